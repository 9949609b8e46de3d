/**
 * `pressroom ledger copy --to postgres://…`: a data folder's SQLite ledger into the shared ledger. Rows go
 * in id order, a batch per transaction, each batch inserting only the rows the target lacks and rolling
 * exactly those into the spend tables in the same statement. A copy cut short commits whole batches
 * only, and a second copy skips what is there: rerun it until it says nothing is left, and no row is
 * lost or counted twice. Tool calls go the same way, keyed by their call and place in it. Cap refusals
 * carry "<machine>:<id>" so that they are skipped alike; fired alerts are keyed by cap, threshold and
 * period; completions and canary arms by workflow.
 * @module
 */
import type { Db } from "../db/sqlite.ts";
import type { StatementSync } from "node:sqlite";
import { type PgPool, pgQuery, pgTransaction } from "../db/postgres.ts";
import { WorkflowStore } from "../pipeline/store.ts";
import { armParams, ARMS_SQL, completionParams, COMPLETIONS_SQL } from "./shared_facts.ts";
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
  toolCalls: CopyCounts;
  refusals: CopyCounts;
  alerts: CopyCounts;
  completions: CopyCounts;
  arms: CopyCounts;
}

/** Copies every call row, tool call, cap refusal, fired alert, completion and canary arm the target lacks. */
export async function copyLedger(options: CopyOptions): Promise<CopyResult> {
  return {
    calls: await copyCalls(options),
    toolCalls: await copyToolCalls(options),
    refusals: await copyRefusals(options),
    alerts: await copyAlerts(options),
    completions: await copyCompletions(options),
    arms: await copyArms(options),
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

function copyCalls(options: CopyOptions): Promise<CopyCounts> {
  const page = options.db.prepare(
    `SELECT id, ${CALL_LOG_COLUMNS.join(", ")} FROM ai_call_log WHERE id > ? ORDER BY id LIMIT ?`,
  );
  return copyPages(options, { page, first: "", sql: COPY_CALLS_SQL, onBatch: options.onBatch });
}

/** A call's tool calls went in together, so their ids run on: n is the place among them, from 1. */
const COPY_TOOL_CALLS_SQL = `
  WITH written AS (
    INSERT INTO tool_call (call_id, n, workflow_instance_id, agent_id, model, turn, tool, outcome, message, ts,
      machine)
    SELECT *, $11 FROM unnest($1::text[], $2::int4[], $3::text[], $4::text[], $5::text[], $6::int4[],
      $7::text[], $8::text[], $9::text[], $10::int8[])
    ON CONFLICT DO NOTHING RETURNING 1
  )
  SELECT COUNT(*)::int AS n FROM written`;

function copyToolCalls(options: CopyOptions): Promise<CopyCounts> {
  const page = options.db.prepare(
    `SELECT t.id, t.call_id, t.id - (SELECT MIN(f.id) FROM tool_call f WHERE f.call_id = t.call_id) + 1,
       t.workflow_instance_id, t.agent_id, t.model, t.turn, t.tool, t.outcome, t.message, t.ts
     FROM tool_call t WHERE t.id > ? ORDER BY t.id LIMIT ?`,
  );
  return copyPages(options, { page, first: 0, sql: COPY_TOOL_CALLS_SQL });
}

/**
 * Copies a table a page at a time in key order, each page one transaction: `page` gives the key, then the
 * columns `sql` takes as one array parameter each, followed by the machine's name; `sql` returns `n`, the
 * rows it inserted.
 */
async function copyPages(
  { pool, where, machine, batchRows = 10_000 }: CopyOptions,
  { page, first, sql, onBatch }: {
    page: StatementSync;
    first: string | number;
    sql: string;
    onBatch?: (read: number) => void;
  },
): Promise<CopyCounts> {
  page.setReturnArrays(true);
  const counts = { read: 0, inserted: 0 };
  for (let after = first;;) {
    const rows = page.all(after, batchRows) as unknown as unknown[][];
    if (rows.length === 0) return counts;
    // Column-wise: one array parameter per column, unnested back into rows by the statement.
    const columns = rows[0].slice(1).map((_, c) => rows.map((row) => row[c + 1]));
    const written = await pgTransaction(
      pool,
      where,
      (client) => client.query<{ n: number }>(sql, [...columns, machine]),
    );
    counts.read += rows.length;
    counts.inserted += written.rows[0].n;
    after = rows.at(-1)![0] as string | number;
    onBatch?.(counts.read);
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
  const completions = new WorkflowStore(db).publishedSince(0);
  const r = await pgQuery(pool, where, COMPLETIONS_SQL, completionParams(completions, machine));
  return { read: completions.length, inserted: r.rowCount ?? 0 };
}

/** The canary arms the folder's workflows drew, which `rollout` across machines weighs. */
async function copyArms({ db, pool, where, machine }: CopyOptions): Promise<CopyCounts> {
  const arms = new WorkflowStore(db).canaryArms();
  const r = await pgQuery(pool, where, ARMS_SQL, armParams(arms, machine));
  return { read: arms.length, inserted: r.rowCount ?? 0 };
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
