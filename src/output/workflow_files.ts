/**
 * The per-workflow mirror on disk: `workflows/<id>/request.json`, `brief.json`,
 * `draft.md` (atomic rewrites) and `transcript.jsonl` (one JSON line per
 * exchange, with `transcript.parts.jsonl` beside it). Everything written here passes through `redact`, so the API key
 * (and any other secret handed in) never reaches these files.
 * @module
 */
import { LineFile, writeFileAtomic } from "./atomic.ts";
import { dataPaths } from "./paths.ts";
import { compactEntry, parseParts, partLine, type Piece, rebuildRequest } from "./transcript_format.ts";

/** What replaces a secret. Plain ASCII letters, so it never breaks a JSON string. */
export const REDACTED = "[REDACTED]";

/** Anthropic key-shaped tokens are redacted even when nobody named them as secrets. */
const KEY_SHAPE = /sk-ant-[A-Za-z0-9_-]{8,}/g;

/** Object keys whose string values are credentials whatever they hold (headers, options). */
const SENSITIVE_KEYS =
  "x-api-key|api[-_]?key|authorization|proxy-authorization|auth[-_]?token|access[-_]?token";
const SENSITIVE_KEY = new RegExp(`^(${SENSITIVE_KEYS})$`, "i");
/** The same keys as they appear in JSON text. */
const SENSITIVE_KEY_IN_JSON = new RegExp(`"(${SENSITIVE_KEYS})"\\s*:`, "i");

/** Secrets shorter than this from the environment are ignored (redacting "x" would shred every file). */
const MIN_ENV_SECRET_LENGTH = 8;

/**
 * Replace every occurrence of each secret in `text` (as written, and as it
 * appears inside a JSON string, i.e. with `"`, `\` and controls escaped), and
 * every Anthropic key-shaped token, by `[REDACTED]`. Empty secrets are ignored.
 */
export function redact(text: string, secrets: readonly string[]): string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== "string" || secret.length === 0) continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  // longest first, so a secret that contains another is removed whole
  let out = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) out = out.split(form).join(REDACTED);
  return out.replace(KEY_SHAPE, REDACTED);
}

/** The secrets Pressroom knows from its environment: the API key, when readable and long enough. */
export function environmentSecrets(): string[] {
  const out: string[] = [];
  for (const name of ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"]) {
    try {
      // query first: reading an env var that is not granted could prompt on a terminal
      if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") continue;
      const value = Deno.env.get(name);
      if (value && value.length >= MIN_ENV_SECRET_LENGTH) out.push(value);
    } catch {
      // no permission to read it: then this process cannot leak it either
    }
  }
  return out;
}

/**
 * JSON text of `value` with every key and string value redacted, and the
 * values of credential-named keys (`x-api-key`, `authorization`, …) replaced.
 */
export function redactedJson(value: unknown, secrets: readonly string[], indent?: number): string {
  // One pass over the text removes every secret, in keys and values alike: `redact` also looks for
  // each secret's JSON-escaped form, and a secret spanning JSON tokens (like `","`) goes too.
  return redact(jsonText(value, indent), secrets);
}

/** JSON text of `value`, the values of credential-named keys replaced; nothing else redacted yet. */
function jsonText(value: unknown, indent?: number): string {
  const plain = JSON.stringify(value, undefined, indent);
  // A replacer slows JSON.stringify several times over: only use it when a credential-named key is there.
  const replacer = (key: string, v: unknown): unknown =>
    typeof v === "string" && v !== "" && SENSITIVE_KEY.test(key) ? REDACTED : v;
  const text = plain !== undefined && SENSITIVE_KEY_IN_JSON.test(plain)
    ? JSON.stringify(value, replacer, indent)
    : plain;
  if (text === undefined) throw new TypeError("redactedJson: the value has no JSON form");
  return text;
}

export interface SecretOptions {
  /** Extra secrets to redact, on top of the environment's API key. */
  secrets?: readonly string[];
}

function secretsFor(options: SecretOptions): string[] {
  return [...environmentSecrets(), ...(options.secrets ?? [])];
}

/** What `mirrorWorkflow` writes; absent parts are left as they are on disk. */
export interface WorkflowMirror {
  request?: unknown;
  brief?: unknown;
  draftMarkdown?: string;
}

/**
 * Rewrite `workflows/<id>/request.json`, `brief.json` and/or `draft.md`
 * atomically (each file on its own), creating the folder. The id must be a ULID.
 */
export async function mirrorWorkflow(
  dataDir: string,
  workflowId: string,
  files: WorkflowMirror,
  options: SecretOptions = {},
): Promise<void> {
  const paths = dataPaths(dataDir).workflow(workflowId);
  const secrets = secretsFor(options);
  await Deno.mkdir(paths.dir, { recursive: true });
  if (files.request !== undefined) {
    await writeFileAtomic(paths.request, redactedJson(files.request, secrets, 2) + "\n");
  }
  if (files.brief !== undefined) {
    await writeFileAtomic(paths.brief, redactedJson(files.brief, secrets, 2) + "\n");
  }
  if (files.draftMarkdown !== undefined) {
    await writeFileAtomic(paths.draft, redact(files.draftMarkdown, secrets));
  }
}

/**
 * `workflows/<id>/transcript.jsonl`, kept open while a stage appends to it:
 * each exchange (a request, a response, a tool result …) one redacted JSON
 * line, its request's tools list and stable blocks stored once per workflow in
 * `transcript.parts.jsonl` (transcript_format.ts). The id must be a ULID.
 * `append` throws `TypeError` for a value with no JSON form (a cycle, a
 * BigInt) — nothing is written then.
 */
export class Transcript {
  #opening: Promise<LineFile> | undefined;
  #parts: Promise<StoredParts> | undefined;

  constructor(readonly dataDir: string, readonly workflowId: string, readonly options: SecretOptions = {}) {}

  async append(entry: object): Promise<void> {
    const secrets = secretsFor(this.options);
    const compact = compactEntry(entry, (piece) => transcriptLine(piece, secrets));
    const line = transcriptLine(compact.entry, secrets);
    const paths = dataPaths(this.dataDir).workflow(this.workflowId);
    try {
      // Each piece is on disk before the first line that refers to it.
      await this.#store(paths.transcriptParts, compact.pieces);
      this.#opening ??= LineFile.open(paths.transcript);
      await (await this.#opening).append(line);
    } catch (error) {
      // The next append opens the files afresh: the folder may be back.
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const file = await this.#opening?.catch(() => undefined);
    const parts = await this.#parts?.catch(() => undefined);
    this.#opening = undefined;
    this.#parts = undefined;
    file?.close();
    parts?.file.close();
  }

  /** Appends the pieces this workflow has not stored yet (an earlier stage may have stored them). */
  async #store(path: string, pieces: Piece[]): Promise<void> {
    if (pieces.length === 0) return;
    this.#parts ??= openParts(path);
    const parts = await this.#parts;
    for (const piece of pieces) {
      if (parts.known.has(piece.ref)) continue;
      await parts.file.append(partLine(piece));
      parts.known.add(piece.ref);
    }
  }
}

/** `transcript.parts.jsonl` open for appending, and the references it holds. */
interface StoredParts {
  file: LineFile;
  known: Set<string>;
}

async function openParts(path: string): Promise<StoredParts> {
  const known = new Set(parseParts(await readIfThere(path)).keys());
  return { file: await LineFile.open(path), known };
}

async function readIfThere(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "";
    throw error;
  }
}

/**
 * The workflow's transcript as its exchanges, each request rebuilt exactly as it was sent from the pieces
 * in `transcript.parts.jsonl`. Throws `TranscriptPartError` when a piece a line refers to is missing.
 */
export async function readTranscript(
  dataDir: string,
  workflowId: string,
): Promise<Record<string, unknown>[]> {
  const paths = dataPaths(dataDir).workflow(workflowId);
  const parts = parseParts(await readIfThere(paths.transcriptParts));
  const lines = (await Deno.readTextFile(paths.transcript)).split("\n").filter((line) => line !== "");
  return lines.map((line) => {
    const entry = JSON.parse(line);
    return "request" in entry ? { ...entry, request: rebuildRequest(entry, parts) } : entry;
  });
}

/** Append one exchange to the workflow's transcript, opening and closing it (see `Transcript`). */
export async function appendTranscript(
  dataDir: string,
  workflowId: string,
  entry: object,
  options: SecretOptions = {},
): Promise<void> {
  const transcript = new Transcript(dataDir, workflowId, options);
  try {
    await transcript.append(entry);
  } finally {
    await transcript.close();
  }
}

function transcriptLine(entry: unknown, secrets: readonly string[]): string {
  const text = jsonText(entry);
  const line = redact(text, secrets);
  if (line === text) return line;
  try {
    JSON.parse(line);
    return line;
  } catch {
    // only a secret that spans JSON syntax gets here: keep the file valid JSONL
    return JSON.stringify({ redaction_error: "entry dropped: redacting a secret broke its JSON form" });
  }
}
