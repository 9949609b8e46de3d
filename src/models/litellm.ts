/**
 * Reading LiteLLM's `model_prices_and_context_window.json`: an object of model
 * name → entry, prices in USD per token. Only entries whose key starts with
 * `claude-` are read; the rest are counted and left alone. Every price is
 * checked and converted to exact nano-USD per token; the first problem is one
 * `PriceFileError` naming the file, the entry and the field. Pure: the caller
 * reads the file.
 * @module
 */
import { UserInputError } from "../errors.ts";
import type { TokenPrices } from "./catalog.ts";
import { usdPerTokenToNano } from "./decimal.ts";

export type PriceField = keyof TokenPrices;

/** The five prices, in the order Pressroom prints them. */
export const PRICE_FIELDS: readonly PriceField[] = [
  "input",
  "output",
  "cacheWrite5m",
  "cacheWrite1h",
  "cacheRead",
];

/** LiteLLM's name for each Pressroom price field. */
export const LITELLM_FIELDS: Readonly<Record<PriceField, string>> = {
  input: "input_cost_per_token",
  output: "output_cost_per_token",
  cacheWrite5m: "cache_creation_input_token_cost",
  cacheWrite1h: "cache_creation_input_token_cost_above_1hr",
  cacheRead: "cache_read_input_token_cost",
};

/**
 * No Claude price comes near this ($75/MTok is the dearest ever listed); a figure above it is a unit
 * mistake (per MTok written as per token) or a hostile file, and would make every cap check meaningless.
 */
export const MAX_USD_PER_MTOK = 10_000;
const MAX_NANO_PER_TOKEN = BigInt(MAX_USD_PER_MTOK * 1000);

/** LiteLLM's documentation entry at the top of the file: a template, not a model. */
export const SAMPLE_SPEC_KEY = "sample_spec";

/** A model id Pressroom will write into config: `claude-` and then printable ASCII, no quotes or spaces. */
const CLAUDE_KEY = /^claude-[\x21\x23-\x5b\x5d-\x7e]{1,200}$/;

/** One Claude model's prices as the file gives them, in nano-USD per token; input and output always. */
export type ImportedRates = Partial<Record<PriceField, number>> & { input: number; output: number };

export interface ImportedModel {
  model: string;
  rates: ImportedRates;
}

export interface LiteLlmPrices {
  /** The Claude entries, in file order. */
  models: ImportedModel[];
  /** Entries that are not Claude models (the `sample_spec` template not counted). */
  ignored: number;
}

/** A price file that cannot be used: exit 2, and the message names the file, entry and field. */
export class PriceFileError extends UserInputError {
  constructor(
    readonly file: string,
    readonly entry: string,
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: ${entry ? `${entry}: ` : ""}${problem}`, options);
    this.name = "PriceFileError";
  }
}

/** Parses and checks the text of a LiteLLM price map. `file` names it in errors. */
export function parseLiteLlm(text: string, file: string): LiteLlmPrices {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new PriceFileError(file, "", `not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!isPlainObject(raw)) {
    throw new PriceFileError(
      file,
      "",
      `not a LiteLLM price map: the top level is ${kindOf(raw)}, not an object`,
    );
  }
  const models: ImportedModel[] = [];
  let ignored = 0;
  for (const [key, entry] of Object.entries(raw)) {
    if (key === SAMPLE_SPEC_KEY) continue;
    if (!key.startsWith("claude-")) {
      ignored++;
      continue;
    }
    models.push({ model: key, rates: readEntry(file, key, entry) });
  }
  return { models, ignored };
}

function readEntry(file: string, key: string, entry: unknown): ImportedRates {
  const where = `entry ${JSON.stringify(key)}`;
  if (!CLAUDE_KEY.test(key)) {
    throw new PriceFileError(file, where, "a model id must be printable ASCII without spaces or quotes");
  }
  if (!isPlainObject(entry)) throw new PriceFileError(file, where, `must be an object, not ${kindOf(entry)}`);
  const rates: Partial<Record<PriceField, number>> = {};
  for (const field of PRICE_FIELDS) {
    const name = LITELLM_FIELDS[field];
    if (!Object.hasOwn(entry, name)) {
      if (field === "input" || field === "output") {
        throw new PriceFileError(
          file,
          `${where}: ${name}`,
          "missing: every Claude entry needs input and output prices",
        );
      }
      continue;
    }
    rates[field] = readPrice(file, `${where}: ${name}`, entry[name]);
  }
  return rates as ImportedRates;
}

/** One price: a finite number above 0, at most the ceiling, a whole number of nano-USD per token. */
function readPrice(file: string, where: string, value: unknown): number {
  if (typeof value !== "number") {
    throw new PriceFileError(file, where, `must be a number, not ${kindOf(value)}`);
  }
  if (!Number.isFinite(value)) throw new PriceFileError(file, where, `not a finite number (${value})`);
  if (value < 0) throw new PriceFileError(file, where, `negative (${value} USD per token)`);
  if (value === 0) {
    throw new PriceFileError(
      file,
      where,
      "zero: a Claude price is never free, and a zero would let calls go uncounted",
    );
  }
  const nano = usdPerTokenToNano(value);
  if (nano === undefined) {
    throw new PriceFileError(
      file,
      where,
      `${value} USD per token is finer than 0.001 USD per million tokens: it cannot be kept exactly`,
    );
  }
  if (nano > MAX_NANO_PER_TOKEN) {
    throw new PriceFileError(
      file,
      where,
      `${value} USD per token is above ${MAX_USD_PER_MTOK} USD per million tokens: not a real price`,
    );
  }
  return Number(nano);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** How a JSON value is described in an error: "a string", "an array", "null". */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" ? "an object" : `a ${type}`;
}
