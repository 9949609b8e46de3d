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
  /** Redraws the live progress line (empty clears it); absent when stderr is not a terminal. */
  progress?(line: string): void;
  /** Whether stdout is a terminal: text logs there, JSON lines elsewhere. */
  terminal?: boolean;
  env: { get(name: string): string | undefined };
  now: () => number;
}

const encoder = new TextEncoder();

export const denoIo: Io = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  progress: Deno.stderr.isTerminal()
    ? (line) => Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${line}`))
    : undefined,
  terminal: Deno.stdout.isTerminal(),
  env: Deno.env,
  now: Date.now,
};

export function configFrom(parsed: Parsed, io: Io): Promise<LoadedConfig> {
  return loadConfig({
    configPath: parsed.values.config as string | undefined,
    dataDir: parsed.values.data as string | undefined,
    env: io.env,
    now: io.now,
  });
}

export function openLedger(loaded: LoadedConfig, io: Io): Ledger {
  return Ledger.open({ dataDir: loaded.dataDir, caps: loaded.config.caps, now: io.now });
}
