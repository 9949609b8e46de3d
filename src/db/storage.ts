/**
 * The one place the SQLite handle is opened, and everything that runs SQL on it built over it: the
 * ledger, the workflow store and the report queries. The handle stays private to them, so the
 * pipeline, scheduler and commands reach storage only through their methods, and a second backend
 * would change this file and those classes, not their callers.
 * @module
 */
import { join } from "node:path";
import { type Db, openDb } from "./sqlite.ts";
import { Ledger, LEDGER_FILE, type LedgerOptions } from "../ledger/ledger.ts";
import { WorkflowStore } from "../pipeline/store.ts";
import { ReportQueries } from "../report/queries.ts";
import { mirrorOf } from "../report/mirror.ts";
import { copyLedger, type CopyOptions, type CopyResult } from "../ledger/ledger_copy.ts";
import { DAY_MS } from "../ledger/period.ts";

/** Opens (creating and migrating) the ledger file in the data folder, making the folder if need be. */
export function openHandle(options: Pick<LedgerOptions, "dataDir" | "busyTimeoutMs">): Db {
  Deno.mkdirSync(options.dataDir, { recursive: true });
  return openDb(join(options.dataDir, LEDGER_FILE), { busyTimeoutMs: options.busyTimeoutMs });
}

export class Storage {
  readonly ledger: Ledger;
  readonly reports: ReportQueries;
  readonly #db: Db;
  readonly #mirrors: { close: () => void }[] = [];

  private constructor(db: Db, options: LedgerOptions) {
    this.#db = db;
    this.ledger = Ledger.on(db, options);
    this.reports = new ReportQueries(db);
  }

  /** Opens the data folder's ledger file and settles what dead processes left open. */
  static open(options: LedgerOptions): Storage {
    return Storage.on(openHandle(options), options);
  }

  /** The storage over a handle from openHandle: for tests, which keep the handle for their SQL checks. */
  static on(db: Db, options: LedgerOptions): Storage {
    return new Storage(db, options);
  }

  /** The workflows, with `now` as the store's clock. */
  workflows(now: () => number = Date.now): WorkflowStore {
    return new WorkflowStore(this.#db, now);
  }

  /** Copies this ledger's rows into a shared ledger (ledger_copy.ts): the ones it lacks. */
  copyLedgerTo(options: Omit<CopyOptions, "db">): Promise<CopyResult> {
    return copyLedger({ ...options, db: this.#db });
  }

  /**
   * Records in the shared ledger the workflows this data folder published and the canary arms it drew since
   * its latest ones there (a day before them, for those made while the database was away). Nothing without
   * a shared ledger.
   */
  async syncShared(): Promise<void> {
    const shared = this.ledger.shared;
    if (!shared) return;
    const latest = await shared.latestFacts();
    const since = (ts: number | null) => ts === null ? 0 : ts - DAY_MS;
    const store = this.workflows();
    await shared.recordCompletions(store.publishedSince(since(latest.completion)));
    await shared.recordArms(store.canaryArms(since(latest.arm)));
  }

  /**
   * The report's queries for calls at or after `since`: over this data folder's ledger, or over every
   * machine's rows when the ledger is shared (read now, in one snapshot; freed by `close`).
   */
  async reportsSince(since: number): Promise<ReportQueries> {
    const shared = this.ledger.shared;
    if (!shared) return this.reports;
    const mirror = mirrorOf(await shared.reportRows(since));
    this.#mirrors.push(mirror);
    return mirror.queries;
  }

  /** Releases this process's owner lock and closes the handle (and the shared ledger's connections). */
  close(): Promise<void> {
    for (const mirror of this.#mirrors.splice(0)) mirror.close();
    return this.ledger.close();
  }
}
