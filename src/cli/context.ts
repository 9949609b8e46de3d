/**
 * What most commands need: the loaded config and, on demand, the storage (ledger, workflows, reports).
 * @module
 */
import { join } from "node:path";
import { loadConfig, type LoadedConfig } from "../config/load.ts";
import { NoLedgerError } from "../errors.ts";
import { LEDGER_FILE } from "../ledger/ledger.ts";
import { Storage } from "../db/storage.ts";
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
  /**
   * Ends the process at once with `code`: a second signal to `run`. Only src/main.ts gives it (with
   * Deno.exit); without it, a second signal cuts calls in flight short instead.
   */
  exit?: (code: number) => never;
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

/** Opens the storage, making the data folder and the ledger when they are not there: for commands that start work. */
export function openStorage(loaded: LoadedConfig, io: Io): Storage {
  return Storage.open({ dataDir: loaded.dataDir, caps: loaded.config.caps, now: io.now });
}

/**
 * Opens the ledger that is there, for commands that read it or act on workflows in it: a mistyped `--data`
 * gets NoLedgerError (exit 2), never a new empty folder and ledger. A ledger that is there is opened as
 * `run` opens it: migrated to this program's schema, and what dead processes reserved settled, so that
 * what the command shows is what `run` will see.
 */
export function openExistingStorage(loaded: LoadedConfig, io: Io): Storage {
  const path = join(loaded.dataDir, LEDGER_FILE);
  if (!exists(path)) throw new NoLedgerError(loaded.dataDirFrom, path, exists(loaded.dataDir));
  return openStorage(loaded, io);
}

/** Whether something is at `path`; a path that cannot be read is left for the open to explain. */
function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (error) {
    return !(error instanceof Deno.errors.NotFound);
  }
}
