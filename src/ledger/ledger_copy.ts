/**
 * `pressroom ledger copy --to postgres://…`: a data folder's SQLite ledger into the shared ledger. Rows go
 * in id order, a batch per transaction, each batch inserting only the rows the target lacks and rolling
 * exactly those into the spend tables in the same statement. A copy cut short commits whole batches
 * only, and a second copy skips what is there: rerun it until it says nothing is left, and no row is
 * lost or counted twice. Cap refusals carry "<machine>:<id>" so that they are skipped alike; fired alerts
 * are keyed by cap, threshold and period.
 * @module
 */
import type { Db } from "../db/sqlite.ts";
import { type PgPool, pgQuery, pgTransaction } from "../db/postgres.ts";
import { PUBLISHED } from "../pipeline/store.ts";
import { CALL_LOG_COLUMNS, REFUSAL_COLUMNS } from "./ledger.ts";
import { ALERT_FIRED_SQL, pgColumnType, rollUpsSql } from "../db/pg_migrations.ts";

export interface CopyOptions {
  /** The SQLite ledger, opened and with nothing in flight. */
  db: Db;
  pool: PgPool;
  /** The target as messages show it. */
  where: string;
  /** What the copied rows' `machine` column says. */
  machine: string;
  /** Rows per transaction. */
  batchRows?: number;
  /** Told after each batch of call rows: how many were read so far. */
  onBatch?: (read: number) => void;
}

export interface CopyCounts {
  /** Rows read from the SQLite ledger. */
  read: number;
  /** Of those, rows the shared ledger did not have yet. */
  inserted: number;
}

export interface CopyResult {
  calls: CopyCounts;
  refusals: CopyCounts;
  alerts: CopyCounts;
  completions: CopyCounts;
}

/** Copies every call row, cap refusal and fired alert the target lacks. */
export async function copyLedger(options: CopyOptions): Promise<CopyResult> {
  return {
    calls: await copyCalls(options),
    refusals: await copyRefusals(options),
    alerts: await copyAlerts(options),
    completions: await copyCompletions(options),
  };
}

const COPY_CALLS_SQL = `
  WITH src AS (
    SELECT * FROM unnest(${CALL_LOG_COLUMNS.map((c, i) => `$${i + 1}::${pgColumnType(c)}[]`).join(", ")})
      AS t(${CALL_LOG_COLUMNS.join(", ")})
  ),
  written AS (
    INSERT INTO ai_call_log (${CALL_LOG_COLUMNS.join(", ")}, machine)
    SELECT *, $${CALL_LOG_COLUMNS.length + 1}::text FROM src
    ON CONFLICT (id) DO NOTHING
    RETURNING backend, ts, model, cost_nano_usd, workflow_instance_id
  ),
  ${rollUpsSql("written")}
  SELECT COUNT(*)::int AS n FROM written`;

async function copyCalls(options: CopyOptions): Promise<CopyCounts> {
  const { db, pool, where, machine, batchRows = 10_000 } = options;
  const page = db.prepare(
    `SELECT ${CALL_LOG_COLUMNS.join(", ")} FROM ai_call_log WHERE id > ? ORDER BY id LIMIT ?`,
  );
  page.setReturnArrays(true);
  const counts = { read: 0, inserted: 0 };
  for (let after = "";;) {
    const rows = page.all(after, batchRows) as unknown as unknown[][];
    if (rows.length === 0) return counts;
    // Column-wise: one array parameter per column, unnested back into rows by the statement.
    const columns = CALL_LOG_COLUMNS.map((_, c) => rows.map((row) => row[c]));
    const written = await pgTransaction(
      pool,
      where,
      (client) => client.query<{ n: number }>(COPY_CALLS_SQL, [...columns, machine]),
    );
    counts.read += rows.length;
    counts.inserted += written.rows[0].n;
    after = rows.at(-1)![0] as string;
    options.onBatch?.(counts.read);
  }
}

async function copyRefusals({ db, pool, where, machine }: CopyOptions): Promise<CopyCounts> {
  const rows = db.prepare(`SELECT id, ${REFUSAL_COLUMNS.join(", ")} FROM cap_refusal ORDER BY id`)
    .all() as Record<string, number | string | null>[];
  let inserted = 0;
  await pgTransaction(pool, where, async (client) => {
    for (const row of rows) {
      const r = await client.query(
        `INSERT INTO cap_refusal (${REFUSAL_COLUMNS.join(", ")}, machine, copied_from)
         VALUES (${REFUSAL_COLUMNS.map((_, i) => `$${i + 1}`).join(", ")}, $13, $14)
         ON CONFLICT (copied_from) DO NOTHING`,
        [...REFUSAL_COLUMNS.map((c) => row[c]), machine, `${machine}:${row.id}`],
      );
      inserted += r.rowCount ?? 0;
    }
  });
  return { read: rows.length, inserted };
}

/** The folder's published workflows, which cost per completion across machines counts. */
async function copyCompletions({ db, pool, where, machine }: CopyOptions): Promise<CopyCounts> {
  const rows = db.prepare(
    "SELECT workflow_instance_id AS id, MIN(ts) AS ts FROM workflow_event WHERE kind = ? GROUP BY 1",
  ).all(PUBLISHED) as { id: string; ts: number }[];
  const r = await pgQuery(
    pool,
    where,
    `INSERT INTO workflow_completion (workflow_instance_id, machine, published_ts)
     SELECT id, $3, ts FROM unnest($1::text[], $2::int8[]) AS t(id, ts) ON CONFLICT DO NOTHING`,
    [rows.map((c) => c.id), rows.map((c) => c.ts), machine],
  );
  return { read: rows.length, inserted: r.rowCount ?? 0 };
}

async function copyAlerts({ db, pool, where, machine }: CopyOptions): Promise<CopyCounts> {
  const rows = db.prepare(
    "SELECT cap, threshold, period_start, ts, spent_nano_usd, limit_nano_usd FROM alert_fired",
  ).all() as Record<string, number | string>[];
  let inserted = 0;
  await pgTransaction(pool, where, async (client) => {
    for (const row of rows) {
      const r = await client.query(
        ALERT_FIRED_SQL,
        [row.cap, row.threshold, row.period_start, row.ts, row.spent_nano_usd, row.limit_nano_usd, machine],
      );
      inserted += r.rowCount ?? 0;
    }
  });
  return { read: rows.length, inserted };
}
