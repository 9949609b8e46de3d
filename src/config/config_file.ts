/**
 * Editing `pressroom.json` in place: read as it is on disk (its byte order mark, indent and line ends
 * noted), and written back atomically only after the loader's own checks pass, so that a config that
 * would not load is never written and every field a command did not change is kept.
 * @module
 */
import { checkConfig, validate } from "./load.ts";
import { retirementDay } from "../models/retirement.ts";
import type { Config, PriceOverride } from "./schema.ts";
import { UserInputError } from "../errors.ts";
import type { ImportedModel } from "../models/litellm.ts";
import { PriceBook } from "../models/price_book.ts";
import { writeFileAtomic } from "../output/atomic.ts";

export interface ConfigFile {
  /** The file a rename must replace (symlinks followed), and its mode. */
  path: string;
  mode: number;
  raw: Record<string, unknown>;
  valid: Config;
  /** Kept as the file has them: a byte order mark, the indent, CRLF line ends, a final newline. */
  bom: boolean;
  indent: string;
  crlf: boolean;
  finalNewline: boolean;
}

/** The config as it is on disk now; the loader has already accepted it, so its size and shape are known. */
export async function readConfigFile(file: string): Promise<ConfigFile> {
  const path = await Deno.realPath(file);
  const info = await Deno.stat(path);
  const text = await Deno.readTextFile(path);
  const body = text.replace(/^\uFEFF/, "");
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (error) {
    throw new UserInputError(`${file}: not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const valid = validate(file, raw); // also refuses a top level that is not an object
  return {
    path,
    mode: (info.mode ?? 0o644) & 0o777,
    raw: raw as Record<string, unknown>,
    valid,
    bom: body.length !== text.length,
    indent: /^\{\r?\n([ \t]+)["}]/.exec(body)?.[1] ?? "  ",
    crlf: /\r\n/.test(body),
    finalNewline: /\n$/.test(body),
  };
}

/**
 * Writes `next` over the config, after the checks the loader makes (`checkConfig`: the schema, every
 * agent's model, canary and output limits) and a price book that can price every model written. A config
 * that would not load is never written.
 */
export async function writeConfig(
  config: ConfigFile,
  next: Record<string, unknown>,
  models: ImportedModel[],
  now: () => number = Date.now,
): Promise<void> {
  const { config: valid } = checkConfig(config.path, next, retirementDay(now()));
  const book = new PriceBook({ overrides: valid.prices as Record<string, PriceOverride> });
  for (const { model } of models) {
    try {
      book.require(model);
    } catch (error) {
      throw new UserInputError(
        `${config.path}: prices[${JSON.stringify(model)}]: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  let text = JSON.stringify(next, null, config.indent) + (config.finalNewline ? "\n" : "");
  if (config.crlf) text = text.replace(/\n/g, "\r\n");
  await writeFileAtomic(config.path, (config.bom ? "\uFEFF" : "") + text, { mode: config.mode });
}
