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
import type { Io } from "./io.ts";

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
