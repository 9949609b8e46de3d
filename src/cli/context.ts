/**
 * What most commands need: the loaded config and, on demand, the storage (ledger, workflows, reports).
 * @module
 */
import { join } from "node:path";
import { loadConfig, type LoadedConfig, type SharedLedgerTarget } from "../config/load.ts";
import type { CapsConfig } from "../config/schema.ts";
import type { SharedLedger } from "../ledger/shared_ledger.ts";
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

/**
 * Opens the storage, making the data folder and the ledger when they are not there: for commands that start
 * work. With a shared ledger (ledger.url), connects to it too: migrated, this process registered, and its
 * day figures read.
 */
export async function openStorage(loaded: LoadedConfig, io: Io): Promise<Storage> {
  const storage = Storage.open({
    dataDir: loaded.dataDir,
    caps: loaded.config.caps,
    now: io.now,
    // Recovered once shared: what a dead process booked there is mirrored as booked.
    deferRecovery: Boolean(loaded.sharedLedger),
  });
  if (!loaded.sharedLedger) return storage;
  try {
    const shared = await connectShared(loaded.sharedLedger, loaded.config.caps, io);
    storage.ledger.share(shared);
    storage.ledger.onOrphaned = (r) =>
      io.err(
        `pressroom: call ${r.id} (${r.agentId}, workflow ${r.workflowId}) had been booked at its worst case by ` +
          "another process while this one's heartbeat had lapsed; its real cost is in this data folder's ledger only",
      );
    await storage.ledger.recoverAll();
    await storage.ledger.refresh();
    await storage.syncShared();
  } catch (error) {
    await storage.close();
    throw error;
  }
  return storage;
}

/** The shared ledger, with a process that finds itself taken for dead saying so on stderr. */
async function connectShared(target: SharedLedgerTarget, caps: CapsConfig, io: Io): Promise<SharedLedger> {
  // Loaded here, so that commands on a SQLite ledger never load the PostgreSQL driver.
  const { SharedLedger } = await import("../ledger/shared_ledger.ts");
  return await SharedLedger.connect({
    target,
    caps,
    machine: target.machine,
    now: io.now,
    onHeartbeatLost: (lost, next) =>
      io.err(
        `pressroom: this process's heartbeat in the shared ledger lapsed (owner ${lost}): its calls in flight ` +
          `were booked at their worst case by another process; it goes on as ${next}`,
      ),
  });
}

/**
 * Opens the ledger that is there, for commands that read it or act on workflows in it: a mistyped `--data`
 * gets NoLedgerError (exit 2), never a new empty folder and ledger. A ledger that is there is opened as
 * `run` opens it: migrated to this program's schema, and what dead processes reserved settled, so that
 * what the command shows is what `run` will see.
 */
export function openExistingStorage(loaded: LoadedConfig, io: Io): Promise<Storage> {
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
