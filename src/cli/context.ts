/**
 * What most commands need: the loaded config and, on demand, the ledger.
 * @module
 */
import { loadConfig, type LoadedConfig } from "../config/load.ts";
import { Ledger } from "../ledger/ledger.ts";
import type { Parsed } from "./args.ts";

/** Where a command writes; tests pass string sinks. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  env: { get(name: string): string | undefined };
  now: () => number;
}

export const denoIo: Io = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  env: Deno.env,
  now: Date.now,
};

export function configFrom(parsed: Parsed, io: Io): Promise<LoadedConfig> {
  return loadConfig({
    configPath: parsed.values.config as string | undefined,
    dataDir: parsed.values.data as string | undefined,
    env: io.env,
  });
}

export function openLedger(loaded: LoadedConfig, io: Io): Ledger {
  return Ledger.open({ dataDir: loaded.dataDir, caps: loaded.config.caps, now: io.now });
}
