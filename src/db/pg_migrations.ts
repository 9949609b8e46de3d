/**
 * The shared ledger's schema in PostgreSQL, as an ordered list of migrations, and running them once
 * when several processes start together: each process takes one advisory lock for the whole run, so
 * the second waits, then finds every migration applied. `pressroom_schema` holds the versions applied.
 * Append; never edit one that shipped.
 *
 * What lives here is the money path shared by every machine: call rows (with their tool calls),
 * reservations, spend roll-ups, cap refusals, fired alerts, and the processes' heartbeats; and what the
 * reports read of each machine's workflows: those published, and the canary arms drawn. Workflows, leases
 * and files stay in each machine's data folder.
 * @module
 */
import { asUnreachable, checkout, type PgPool, pgQuery, pgTransaction } from "./postgres.ts";
import { BUCKET_MS } from "../ledger/ledger.ts";
import { DatabaseError } from "./sqlite.ts";

export const PG_MIGRATIONS: readonly string[] = [
  // 1: the money path, as the SQLite ledger has it after its migration 8, plus who wrote each row.
  `
  CREATE TABLE ai_call_log (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    workflow_instance_id TEXT NOT NULL,
    model TEXT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cache_read_tokens BIGINT NOT NULL,
    cache_write_tokens BIGINT NOT NULL,
    usd_cost DOUBLE PRECISION NOT NULL,
    tool_calls_made INTEGER NOT NULL,
    tool_calls_succeeded INTEGER NOT NULL,
    ts BIGINT NOT NULL,
    cost_nano_usd BIGINT NOT NULL,
    reserved_nano_usd BIGINT NOT NULL,
    cache_write_5m_tokens BIGINT NOT NULL,
    cache_write_1h_tokens BIGINT NOT NULL,
    web_search_requests INTEGER NOT NULL,
    stop_reason TEXT,
    status TEXT NOT NULL CHECK (status IN ('ok', 'api_error', 'orphaned')),
    request_id TEXT,
    latency_ms BIGINT,
    turn INTEGER,
    backend TEXT NOT NULL CHECK (backend IN ('anthropic', 'sim')),
    attempts INTEGER,
    error TEXT,
    inference_geo TEXT,
    batch INTEGER NOT NULL DEFAULT 0,
    cache_ttls TEXT,
    message_id TEXT,
    cache_miss_reason TEXT,
    cache_missed_tokens BIGINT,
    -- The host that made the call (its ledger.machine), for reports across machines.
    machine TEXT NOT NULL
  );
  CREATE INDEX ai_call_log_workflow ON ai_call_log (workflow_instance_id);
  CREATE INDEX ai_call_log_ts ON ai_call_log (ts);
  CREATE INDEX ai_call_log_agent_ts ON ai_call_log (agent_id, ts);
  CREATE FUNCTION pressroom_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;
  CREATE TRIGGER ai_call_log_append_only BEFORE UPDATE OR DELETE ON ai_call_log
    FOR EACH ROW EXECUTE FUNCTION pressroom_append_only();

  CREATE TABLE spend_bucket (
    backend TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    model TEXT NOT NULL,
    cost_nano_usd BIGINT NOT NULL,
    calls BIGINT NOT NULL,
    PRIMARY KEY (backend, bucket, model)
  );
  CREATE TABLE spend_workflow (
    workflow_instance_id TEXT NOT NULL,
    backend TEXT NOT NULL,
    cost_nano_usd BIGINT NOT NULL,
    PRIMARY KEY (workflow_instance_id, backend)
  );

  -- One row per backend: every reservation locks it, so cap checks queue one by one, whatever day and
  -- time zone each process counts in.
  CREATE TABLE cap_lock (
    backend TEXT PRIMARY KEY
  );

  -- The processes sharing the ledger: a row whose beat_at is older than the timeout is a dead one.
  CREATE TABLE ledger_owner (
    id TEXT PRIMARY KEY,
    machine TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    beat_at TIMESTAMPTZ NOT NULL DEFAULT now()
  );

  CREATE TABLE reservation (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    machine TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    workflow_instance_id TEXT NOT NULL,
    model TEXT NOT NULL,
    ts BIGINT NOT NULL,
    cost_nano_usd BIGINT NOT NULL,
    turn INTEGER,
    backend TEXT NOT NULL CHECK (backend IN ('anthropic', 'sim')),
    -- A request in a Message Batch: the data folder's, collected by whichever process runs there next.
    batch BOOLEAN NOT NULL DEFAULT false
  );
  CREATE INDEX reservation_day ON reservation (backend, ts);
  CREATE INDEX reservation_workflow ON reservation (workflow_instance_id);
  CREATE INDEX reservation_owner ON reservation (owner);

  CREATE TABLE cap_refusal (
    id BIGSERIAL PRIMARY KEY,
    ts BIGINT NOT NULL,
    cap TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    workflow_instance_id TEXT NOT NULL,
    model TEXT NOT NULL,
    request_nano_usd BIGINT NOT NULL,
    spent_nano_usd BIGINT NOT NULL,
    reserved_nano_usd BIGINT NOT NULL,
    limit_nano_usd BIGINT NOT NULL,
    backend TEXT NOT NULL CHECK (backend IN ('anthropic', 'sim')),
    max_tokens BIGINT,
    output_nano_per_token BIGINT,
    machine TEXT NOT NULL,
    -- "<machine>:<id>" for refusals copied from a SQLite ledger, so that a second copy skips them.
    copied_from TEXT UNIQUE
  );
  CREATE INDEX cap_refusal_ts ON cap_refusal (ts);

  -- Workflows published, by the machine that ran them: what cost per completion is counted over.
  CREATE TABLE workflow_completion (
    workflow_instance_id TEXT PRIMARY KEY,
    machine TEXT NOT NULL,
    published_ts BIGINT NOT NULL
  );
  CREATE INDEX workflow_completion_ts ON workflow_completion (published_ts);

  CREATE TABLE alert_fired (
    cap TEXT NOT NULL,
    threshold INTEGER NOT NULL,
    period_start BIGINT NOT NULL,
    ts BIGINT NOT NULL,
    spent_nano_usd BIGINT NOT NULL,
    limit_nano_usd BIGINT NOT NULL,
    machine TEXT NOT NULL,
    PRIMARY KEY (cap, threshold, period_start)
  );
  `,
  // 2: what `report` and `rollout` read besides the calls, so that they cover every machine: each call's
  // tool calls (written with its row), the canary arms drawn, and the published workflows' models and
  // citations.
  `
  CREATE TABLE tool_call (
    call_id TEXT NOT NULL,
    -- Its place among the call's tool calls, from 1: with call_id, what makes a copy rerunnable.
    n INTEGER NOT NULL,
    workflow_instance_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    model TEXT NOT NULL,
    turn INTEGER NOT NULL,
    tool TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'wrong_tool', 'malformed_args', 'logic_error')),
    message TEXT,
    ts BIGINT NOT NULL,
    machine TEXT NOT NULL,
    PRIMARY KEY (call_id, n)
  );
  CREATE INDEX tool_call_workflow ON tool_call (workflow_instance_id);

  CREATE TABLE canary_arm (
    workflow_instance_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    arm TEXT NOT NULL CHECK (arm IN ('canary', 'control')),
    model TEXT NOT NULL,
    canary_model TEXT NOT NULL,
    control_model TEXT NOT NULL,
    share DOUBLE PRECISION NOT NULL,
    ts BIGINT NOT NULL,
    machine TEXT NOT NULL,
    PRIMARY KEY (workflow_instance_id, agent_id)
  );
  CREATE INDEX canary_arm_machine_ts ON canary_arm (machine, ts);

  -- JSON: the workflow's pinned models, and its draft's citations as the report counts them.
  ALTER TABLE workflow_completion ADD COLUMN models TEXT, ADD COLUMN citations TEXT;
  `,
];

/** PostgreSQL's type for each ai_call_log column: INSERT … SELECT needs its parameters typed. */
const TEXT_COLUMNS = new Set([
  "id",
  "agent_id",
  "workflow_instance_id",
  "model",
  "stop_reason",
  "status",
  "request_id",
  "backend",
  "error",
  "inference_geo",
  "cache_ttls",
  "message_id",
  "cache_miss_reason",
]);
export function pgColumnType(column: string): string {
  return TEXT_COLUMNS.has(column) ? "text" : column === "usd_cost" ? "float8" : "int8";
}

/**
 * The last two CTEs (`bucket`, `total`) of a statement that rolls the rows of the CTE `written` (backend,
 * ts, model, cost_nano_usd, workflow_instance_id) into the spend tables, as the SQLite ledger does: rows
 * that cost nothing are not rolled up.
 */
export function rollUpsSql(written: string): string {
  return `bucket AS (
    INSERT INTO spend_bucket (backend, bucket, model, cost_nano_usd, calls)
    SELECT backend, ts / ${BUCKET_MS}, model, SUM(cost_nano_usd), COUNT(*) FROM ${written}
    WHERE cost_nano_usd > 0 GROUP BY 1, 2, 3
    ON CONFLICT (backend, bucket, model) DO UPDATE
      SET cost_nano_usd = spend_bucket.cost_nano_usd + EXCLUDED.cost_nano_usd,
        calls = spend_bucket.calls + EXCLUDED.calls
  ),
  total AS (
    INSERT INTO spend_workflow (workflow_instance_id, backend, cost_nano_usd)
    SELECT workflow_instance_id, backend, SUM(cost_nano_usd) FROM ${written}
    WHERE cost_nano_usd > 0 GROUP BY 1, 2
    ON CONFLICT (workflow_instance_id, backend) DO UPDATE
      SET cost_nano_usd = spend_workflow.cost_nano_usd + EXCLUDED.cost_nano_usd
  )`;
}

/** A fired alert, once per cap, threshold and period whichever machine fires it: `rowCount` 1 when it is new. */
export const ALERT_FIRED_SQL = `INSERT INTO alert_fired (cap, threshold, period_start, ts, spent_nano_usd,
  limit_nano_usd, machine) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`;

/** Any 64-bit number that no other program's advisory lock on this database is likely to use. */
const MIGRATION_LOCK = 0x7072_6573_7372_6f6fn; // "pressroo"

/**
 * Applies the migrations this database lacks, each in its own transaction, under a session advisory
 * lock that every Pressroom takes for this: when several start together, one migrates and the rest
 * wait, then find nothing to do. Returns the versions it applied. A database newer than this program
 * is refused.
 */
export async function migratePg(pool: PgPool, where: string): Promise<number[]> {
  const lock = await checkout(pool, where);
  const applied: number[] = [];
  try {
    // Another process's migrations may take longer than the pool's lock and statement timeouts.
    await lock.query("SET lock_timeout = 0; SET statement_timeout = 0");
    await lock.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK.toString()]);
    await lock.query(
      "CREATE TABLE IF NOT EXISTS pressroom_schema (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    );
    const current = await pgSchemaVersion(pool, where);
    if (current > PG_MIGRATIONS.length) {
      throw new DatabaseError(
        `${where}: schema version ${current} is newer than this program knows (${PG_MIGRATIONS.length}); upgrade Pressroom`,
      );
    }
    for (let v = current; v < PG_MIGRATIONS.length; v++) {
      await pgTransaction(pool, where, async (client) => {
        await client.query(PG_MIGRATIONS[v]);
        await client.query("INSERT INTO pressroom_schema (version) VALUES ($1)", [v + 1]);
      });
      applied.push(v + 1);
    }
  } catch (error) {
    throw asUnreachable(error, where);
  } finally {
    const reset = async () => {
      await lock.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK.toString()]);
      await lock.query("RESET lock_timeout; RESET statement_timeout");
    };
    // A connection whose session could not be put back is dropped, not returned to the pool.
    lock.release(await reset().then(() => false, () => true));
  }
  return applied;
}

/** How many migrations the shared ledger has had (0 for an empty database). */
export async function pgSchemaVersion(pool: PgPool, where: string): Promise<number> {
  const exists = await pgQuery<{ t: string | null }>(
    pool,
    where,
    "SELECT to_regclass('pressroom_schema') AS t",
  );
  if (exists.rows[0].t === null) return 0;
  const r = await pgQuery<{ v: number | null }>(
    pool,
    where,
    "SELECT MAX(version) AS v FROM pressroom_schema",
  );
  return r.rows[0].v ?? 0;
}
