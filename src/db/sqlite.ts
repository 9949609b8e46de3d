/**
 * Opening `pressroom.db`: WAL, a busy timeout so processes wait for each other
 * instead of failing, migrations, and an explicit transaction helper
 * (node:sqlite has none).
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { PressroomError } from "../errors.ts";
import { MIGRATIONS } from "./migrations.ts";

export type Db = DatabaseSync;

/** Pages (4 KiB) the WAL may hold before a commit checkpoints it. */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;

export interface OpenOptions {
  /** How long to wait for another process's write lock, in ms. */
  busyTimeoutMs?: number;
}

/** The database could not be opened or is newer than this program. */
export class DatabaseError extends PressroomError {
  override name = "DatabaseError";
}

export function openDb(path: string, options: OpenOptions = {}): Db {
  const busyTimeoutMs = Math.trunc(options.busyTimeoutMs ?? 10_000);
  // Switching a new file to WAL can meet another process doing the same and fail at once, without the
  // busy handler: try again for as long as the busy timeout allows. Time on the clock, not the sleeps:
  // an attempt can itself wait the whole busy timeout (a program holding an exclusive lock), and counting
  // only the sleeps would retry for an hour.
  const started = performance.now();
  for (;;) {
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(path);
      db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
      db.exec("PRAGMA journal_mode = WAL");
      // NORMAL in WAL mode survives a killed process; only a power loss can drop the last commits.
      db.exec("PRAGMA synchronous = NORMAL");
      // Checkpoints are the slow tail of a commit: let the WAL grow to ~40 MB before SQLite does one
      // itself, and run them from the scheduler between stages (Ledger.checkpoint), off the call path.
      db.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      migrate(db, path);
      return db;
    } catch (error) {
      if (db?.isOpen) db.close();
      if (error instanceof DatabaseError) throw error;
      if (isDatabaseBusy(error)) {
        if (performance.now() - started < busyTimeoutMs) {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, OPEN_RETRY_MS);
          continue;
        }
        throw new DatabaseError(`${path}: cannot open the database: ${LOCKED_BY_ANOTHER_PROGRAM}`, {
          cause: error,
        });
      }
      throw new DatabaseError(`${path}: cannot open the database: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

/** What a ledger held by another program past the busy timeout is called, wherever that shows. */
export const LOCKED_BY_ANOTHER_PROGRAM =
  "locked by another program for longer than the busy timeout (find what holds it, then try again)";

/** SQLITE_BUSY or SQLITE_LOCKED from node:sqlite: another connection holds a lock this one waited for in vain. */
export function isDatabaseBusy(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === "ERR_SQLITE_ERROR" &&
    /database (table )?is locked|busy/i.test(error.message);
}

/** How long to wait between attempts to open a database another process is setting up. */
const OPEN_RETRY_MS = 25;

function migrate(db: Db, path: string): void {
  const { user_version: version } = db.prepare("PRAGMA user_version").get() as { user_version: number };
  if (version > MIGRATIONS.length) {
    throw new DatabaseError(
      `${path}: schema version ${version} is newer than this program knows (${MIGRATIONS.length}); upgrade Pressroom`,
    );
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    transaction(db, () => {
      // Another process may have migrated while we waited for the lock.
      const now = (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
      if (now > v) return;
      db.exec(MIGRATIONS[v]);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    });
  }
}

const statements = new WeakMap<Db, Map<string, StatementSync>>();

/** `db.prepare(sql)`, compiled once per connection: hot paths run the same few statements every turn. */
export function statement(db: Db, sql: string): StatementSync {
  let cache = statements.get(db);
  if (!cache) statements.set(db, cache = new Map());
  let stmt = cache.get(sql);
  if (!stmt) cache.set(sql, stmt = db.prepare(sql));
  return stmt;
}

/**
 * Runs `fn` inside BEGIN IMMEDIATE … COMMIT; rolls back if it throws. `fn` must not await.
 * Inside a transaction already, `fn` simply joins it: writes that belong together can nest.
 */
export function transaction<T>(db: Db, fn: () => T): T {
  if (db.isTransaction) return fn();
  try {
    db.exec("BEGIN IMMEDIATE");
  } catch (error) {
    if (isDatabaseBusy(error)) {
      throw new DatabaseError(
        `${db.location() ?? "the database"}: nothing was written: ${LOCKED_BY_ANOTHER_PROGRAM}`,
        { cause: error },
      );
    }
    throw error;
  }
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}
