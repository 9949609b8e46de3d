/**
 * Argument parsing with node:util parseArgs. Global flags (`--config`, `--data`)
 * may stand anywhere on the line; each command adds its own options.
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.ts";

export type Options = NonNullable<ParseArgsConfig["options"]>;

export const GLOBAL_OPTIONS = {
  config: { type: "string" },
  data: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

/** The command name: the first argument that is neither a flag nor a global flag's value. */
export function findCommand(args: string[]): { command: string | undefined; rest: string[] } {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--config" || arg === "--data") {
      i++;
      continue;
    }
    if (!arg.startsWith("-")) return { command: arg, rest: [...args.slice(0, i), ...args.slice(i + 1)] };
  }
  return { command: undefined, rest: args };
}

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parse(command: string, args: string[], options: Options): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...GLOBAL_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
    return { values, positionals };
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message.split("\n")[0]}`, { cause: error });
  }
}
