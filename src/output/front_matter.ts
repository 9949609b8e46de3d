/**
 * YAML front matter for published articles, written with the `yaml` package.
 *
 * Every string is written double-quoted on one line (newlines, quotes, `#`,
 * `: `, leading `---`, control characters and lone surrogates are escaped), so
 * no value can end the front matter early or add a field, and any string reads
 * back exactly: `parseFrontMatter(serializeFrontMatter(x))` deep-equals `x`.
 *
 * Note: the `yaml` package's Node build reads the environment variables
 * `LOG_TOKENS` and `LOG_STREAM` on every parse, so parsing needs env access to
 * them; writing does not.
 * @module
 */
import YAML from "yaml";
import { FrontMatterError } from "./errors.ts";

/** The front matter of `published/<slug>.md`. */
export interface FrontMatter {
  title: string;
  description: string;
  tags: string[];
  workflow_id: string;
  /** Agent id -> the model pinned for it. */
  models: Record<string, string>;
  /** Dollars, the workflow's total ledger cost. */
  cost_usd: number;
  /** ISO 8601 timestamp. */
  published_at: string;
  /** Each cited source once, in reading order, with where its address came from. */
  sources?: { title: string; url: string; provenance: string }[];
}

const FIELD_ORDER = [
  "title",
  "description",
  "tags",
  "workflow_id",
  "models",
  "cost_usd",
  "published_at",
  "sources",
] as const satisfies readonly (keyof FrontMatter)[];

const STRINGIFY_OPTIONS = {
  defaultStringType: "QUOTE_DOUBLE",
  // Never fold a long double-quoted string over lines (it would, nested in a list of mappings).
  doubleQuotedAsJSON: true,
  defaultKeyType: "PLAIN",
  lineWidth: 0,
  minContentWidth: 0,
  indent: 2,
} as const;

/** Environment variables the yaml package's Node build reads on every parse (debug switches). */
export const YAML_ENV = ["LOG_TOKENS", "LOG_STREAM"] as const;

const FENCE = /^(?:---|\.\.\.)[ \t]*$/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Serialise a flat-ish record (strings, finite numbers, booleans, arrays and
 * records of those) to YAML with every string double-quoted on one line.
 * Throws `FrontMatterError` if the result could be misread as a fence.
 */
export function serializeYaml(data: Record<string, unknown>): string {
  const doc = new YAML.Document(data);
  // keys that are not plain words are double-quoted too, so every string in the text is quoted
  YAML.visit(doc, {
    Pair(_, pair) {
      if (YAML.isScalar(pair.key) && !/^[A-Za-z0-9_-]{1,64}$/.test(String(pair.key.value))) {
        pair.key.type = "QUOTE_DOUBLE";
      }
    },
  });
  // characters YAML 1.1 readers take for line breaks, a BOM, C1 controls and bidi controls are
  // left raw by the yaml package; escape them (they can only occur inside double quotes here)
  const text = doc.toString(STRINGIFY_OPTIONS).replace(
    /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  for (const line of text.split("\n")) {
    if (FENCE.test(line)) throw new FrontMatterError(`front matter would contain a fence line: ${line}`);
  }
  return text;
}

/** Check the shape of front matter; returns a list of problems (empty when valid). */
function problems(data: Record<string, unknown>): string[] {
  const out: string[] = [];
  const str = (k: string) => typeof data[k] === "string" || out.push(`${k} must be a string`);
  str("title");
  str("description");
  str("workflow_id");
  str("published_at");
  if (!Array.isArray(data.tags) || !data.tags.every((t) => typeof t === "string")) {
    out.push("tags must be a list of strings");
  }
  if (!isObject(data.models) || !Object.values(data.models).every((m) => typeof m === "string")) {
    out.push("models must map agent ids to model ids");
  }
  const sources = data.sources;
  if (
    sources !== undefined &&
    !(Array.isArray(sources) &&
      sources.every((x) =>
        isObject(x) && ["title", "url", "provenance"].every((k) => typeof x[k] === "string")
      ))
  ) out.push("sources must be a list of {title, url, provenance} strings");
  const cost = data.cost_usd;
  if (typeof cost !== "number" || !Number.isFinite(cost) || cost < 0) {
    out.push("cost_usd must be a finite number >= 0");
  }
  return out;
}

/** The front matter block, fences included: `---\n…\n---\n`. Throws `FrontMatterError` on a bad field. */
export function serializeFrontMatter(fm: FrontMatter): string {
  const found = problems(fm as unknown as Record<string, unknown>);
  if (found.length) throw new FrontMatterError(`cannot write front matter: ${found.join("; ")}`);
  const ordered: Record<string, unknown> = {};
  for (const key of FIELD_ORDER) {
    if (fm[key] !== undefined) ordered[key] = key === "tags" ? [...fm.tags] : fm[key];
  }
  // keep any extra fields a caller added, after the known ones
  for (const [key, value] of Object.entries(fm)) if (!(key in ordered)) ordered[key] = value;
  return `---\n${serializeYaml(ordered)}---\n`;
}

/**
 * Split a document into its front matter text (without fences) and body. The
 * document must start with a `---` line; the front matter ends at the first
 * following line that is exactly `---` (or `...`). Throws `FrontMatterError`.
 */
export function splitFrontMatter(document: string): { yaml: string; body: string } {
  const text = document.startsWith("\uFEFF") ? document.slice(1) : document;
  const first = /^---[ \t]*\r?\n/.exec(text);
  if (!first) throw new FrontMatterError("the document does not start with a front matter fence (---)");
  let pos = first[0].length;
  while (pos <= text.length) {
    const end = text.indexOf("\n", pos);
    const lineEnd = end === -1 ? text.length : end;
    const line = text.slice(pos, lineEnd).replace(/\r$/, "");
    if (FENCE.test(line)) {
      return { yaml: text.slice(first[0].length, pos), body: end === -1 ? "" : text.slice(end + 1) };
    }
    if (end === -1) break;
    pos = end + 1;
  }
  throw new FrontMatterError("the front matter is not closed (no --- line after it)");
}

/** Parse the YAML between the fences into a record; throws `FrontMatterError`. */
export function parseYaml(yaml: string): Record<string, unknown> {
  // the yaml package reads these on every parse; ask first, so that a missing grant is a clear
  // error here and never a permission prompt on a terminal
  for (const variable of YAML_ENV) {
    if (Deno.permissions.querySync({ name: "env", variable }).state !== "granted") {
      throw new FrontMatterError(
        `reading YAML needs env access to ${YAML_ENV.join(" and ")} (the yaml package reads them); ` +
          `add them to the permission set`,
      );
    }
  }
  let data: unknown;
  try {
    data = YAML.parse(yaml, { schema: "core", uniqueKeys: true, maxAliasCount: 0 });
  } catch (error) {
    throw new FrontMatterError(`invalid front matter YAML: ${(error as Error).message}`, { cause: error });
  }
  if (!isObject(data)) throw new FrontMatterError("front matter must be a mapping of fields");
  return data;
}

/**
 * Read and validate the front matter of a document (its body is ignored).
 * Unknown fields are kept, so an injected field would show. Throws `FrontMatterError`.
 */
export function parseFrontMatter(document: string): FrontMatter & Record<string, unknown> {
  const data = parseYaml(splitFrontMatter(document).yaml);
  const found = problems(data);
  if (found.length) throw new FrontMatterError(`invalid front matter: ${found.join("; ")}`);
  return data as FrontMatter & Record<string, unknown>;
}
