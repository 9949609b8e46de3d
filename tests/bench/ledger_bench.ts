/**
 * Ledger benchmark: does the cost of a cap check (reserve + settle) stay flat as
 * `ai_call_log` grows, and how does it compare with the plain SUM-over-the-log
 * cap query that a naive ledger would run before every call?
 *
 * For each row count it fills a fresh ledger with that many settled rows spread
 * over the last 30 days (and the `spend_bucket` / `spend_workflow` roll-ups that
 * match them), then times reserve+settle pairs and the SUM query on the same file.
 * @module
 */
import { join } from "node:path";
import type { Ledger } from "../../src/ledger/ledger.ts";
import { openStorage, rawDb } from "../helpers.ts";
import type { BenchRow } from "./table.ts";

const DAY_MS = 86_400_000;
const SPAN_MS = 30 * DAY_MS;
const BUCKET_MS = 15 * 60_000;
/** Rows per fill transaction: keeps the WAL at a few hundred MB instead of the whole file. */
const FILL_CHUNK = 500_000;
/** Rows per workflow in the fill: 40k workflows per million rows. */
const ROWS_PER_WORKFLOW = 25;
/** Wall-clock budget per timed loop, per row count. */
const LOOP_BUDGET_MS = 60_000;
/** Reserve + settle pairs between two WAL checkpoints. */
const CALLS_PER_CHECKPOINT = 200;
/** Untimed reserve + settle pairs before the timed ones. */
const WARMUP = 200;

const AGENTS = ["intake", "planner", "researcher", "writer", "editor", "publisher"];
const MODELS = ["claude-opus-4-7", "claude-sonnet-4-6", "claude-haiku-4-5-20251001"];
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

const CAPS = {
  dailyUsd: 1e9,
  perModelDailyUsd: { "claude-opus-*": 1e9 },
  perWorkflowUsd: 1e9,
  timezone: "UTC",
};

/** The usage every benchmark call settles with. */
export const USAGE = {
  inputTokens: 100,
  outputTokens: 50,
  cacheReadTokens: 0,
  cacheWrite5mTokens: 0,
  cacheWrite1hTokens: 0,
  webSearchRequests: 0,
  batch: false,
};

const SUM_QUERY =
  "SELECT COALESCE(SUM(usd_cost),0) as total FROM ai_call_log WHERE model LIKE ? AND DATE(ts/1000,'unixepoch') = ?";

interface Result {
  rows: number;
  fillS: number;
  rsP50: number;
  rsP99: number;
  rsCount: number;
  sumP50: number;
  sumP99: number;
  sumCount: number;
  dbBytes: number;
  todayRows: number;
}

/** SQL for a Crockford base32 string of `chars` characters encoding the integer expression `expr`. */
function base32Sql(expr: string, chars: number): string {
  const parts: string[] = [];
  for (let j = chars - 1; j >= 0; j--) {
    parts.push(`substr('${CROCKFORD}', ((${expr}) >> ${5 * j} & 31) + 1, 1)`);
  }
  return parts.join(" || ");
}

/**
 * Inserts rows [lo, hi) of `total`, in time order from `start` over 30 days. Ids are
 * real ULIDs (48-bit ms time + 80 bits, here the row number), so like the live ledger's
 * they arrive in ascending key order.
 */
function fillSql(): string {
  const agent = `CASE k % 6 ${AGENTS.map((a, i) => `WHEN ${i} THEN '${a}'`).join(" ")} END`;
  const model = `CASE (k / 7) % 3 ${MODELS.map((m, i) => `WHEN ${i} THEN '${m}'`).join(" ")} END`;
  return `
    INSERT INTO ai_call_log (id, agent_id, workflow_instance_id, model, input_tokens, output_tokens,
      cache_read_tokens, cache_write_tokens, usd_cost, tool_calls_made, tool_calls_succeeded, ts,
      cost_nano_usd, reserved_nano_usd, cache_write_5m_tokens, cache_write_1h_tokens, web_search_requests,
      stop_reason, status, request_id, latency_ms, turn, backend, attempts, error)
    SELECT
      ${base32Sql("ts", 10)} || ${base32Sql("k", 16)},
      ${agent},
      printf('wf-%09d', k / ${ROWS_PER_WORKFLOW}),
      ${model},
      in_tok, out_tok, read_tok, w5m + w1h,
      cost / 1e9,
      k % 4, k % 4 - (k % 44 = 1),
      ts,
      cost, cost * 2 + 1000000, w5m, w1h, (k % 13 = 0),
      CASE WHEN k % 9 = 0 THEN 'tool_use' ELSE 'end_turn' END,
      'ok',
      'req_sim_' || printf('%016x', k),
      400 + (k * 7919) % 9000,
      k % ${ROWS_PER_WORKFLOW} + 1,
      'sim', 1, NULL
    FROM (
      SELECT k, ts, in_tok, out_tok, read_tok, w5m, w1h,
        -- Exact cost from made-up rates (nano-USD per token); only needs to be positive and varied.
        in_tok * 5000 + out_tok * 25000 + read_tok * 500 + w5m * 6250 + w1h * 10000 AS cost
      FROM (
        SELECT k, ts,
          200 + (k * 2654435761) % 6000 AS in_tok,
          50 + (k * 40503) % 2000 AS out_tok,
          CASE WHEN k % 3 = 0 THEN 0 ELSE (k * 97) % 20000 END AS read_tok,
          CASE WHEN k % 5 = 0 THEN (k * 31) % 4000 ELSE 0 END AS w5m,
          CASE WHEN k % 17 = 0 THEN (k * 131) % 4000 ELSE 0 END AS w1h
        FROM (
          -- node:sqlite binds JS numbers as REAL: cast, or ts gets fractional (and buckets multiply).
          WITH RECURSIVE seq(k) AS (
            SELECT CAST(?1 AS INTEGER) UNION ALL SELECT k + 1 FROM seq WHERE k + 1 < CAST(?2 AS INTEGER)
          )
          SELECT k, CAST(?3 AS INTEGER) + (k * ${SPAN_MS}) / CAST(?4 AS INTEGER) AS ts FROM seq
        )
      )
    )`;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

function fileSize(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

/** Output of a command, or undefined if it cannot run. */
async function commandOutput(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

async function osRelease(): Promise<string> {
  try {
    return Deno.osRelease();
  } catch {
    // -P=tests grants no `sys`, and Deno wants --allow-all for /proc; it does grant `run`.
    return await commandOutput("uname", ["-r"]) ?? "unknown";
  }
}

async function cpuModel(): Promise<string> {
  const line = await commandOutput("grep", ["-m1", "^model name", "/proc/cpuinfo"]);
  return line?.replace(/^model name\s*:\s*/, "") || "unknown cpu";
}

function benchOne(rows: number, samples: number): Result {
  const dataDir = Deno.makeTempDirSync({ prefix: "pressroom-ledger-bench-" });
  const dbPath = join(dataDir, "pressroom.db");
  let ledger: Ledger | undefined;
  try {
    ledger = openStorage({ dataDir, caps: CAPS }).ledger;
    const db = rawDb(ledger);
    const now = Date.now();
    const start = now - SPAN_MS;

    // --- fill ---
    const fillStarted = performance.now();
    const insert = db.prepare(fillSql());
    for (let lo = 0; lo < rows; lo += FILL_CHUNK) {
      const hi = Math.min(rows, lo + FILL_CHUNK);
      db.exec("BEGIN IMMEDIATE");
      try {
        insert.run(lo, hi, start, rows);
        db.exec("COMMIT");
      } catch (error) {
        if (db.isTransaction) db.exec("ROLLBACK");
        throw error;
      }
      if (rows >= 2_000_000) {
        const s = ((performance.now() - fillStarted) / 1000).toFixed(1);
        console.error(
          `  filled ${hi.toLocaleString("en-US")} / ${rows.toLocaleString("en-US")} rows (${s} s)`,
        );
      }
    }
    db.exec("BEGIN IMMEDIATE");
    try {
      // The same roll-ups the ledger writes with each row (it rolls up only rows costing > 0).
      db.exec(`
        INSERT INTO spend_bucket (backend, bucket, model, cost_nano_usd, calls)
          SELECT backend, ts / ${BUCKET_MS}, model, SUM(cost_nano_usd), COUNT(*) FROM ai_call_log
          WHERE cost_nano_usd > 0 GROUP BY backend, ts / ${BUCKET_MS}, model;
        INSERT INTO spend_workflow (workflow_instance_id, backend, cost_nano_usd)
          SELECT workflow_instance_id, backend, SUM(cost_nano_usd) FROM ai_call_log
          WHERE cost_nano_usd > 0 GROUP BY workflow_instance_id, backend;
      `);
      db.exec("COMMIT");
    } catch (error) {
      if (db.isTransaction) db.exec("ROLLBACK");
      throw error;
    }
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const fillS = (performance.now() - fillStarted) / 1000;
    // The fill's writes are still being flushed by the kernel; a ledger that grew over months has none
    // pending. `sync` waits for them, so the timed loops do not measure the fill's writeback.
    new Deno.Command("sync").outputSync();
    const dbBytes = fileSize(dbPath);

    // Sanity: integer columns hold integers, the roll-ups agree with the log, and a day has
    // at most 96 buckets per model (31 days: the 30-day span straddles one extra midnight).
    const check = db.prepare(
      `SELECT log.n, log.nano AS log, log.nonInteger, bucket.nano AS bucket, bucket.calls, bucket.buckets,
              (SELECT COALESCE(SUM(cost_nano_usd), 0) FROM spend_workflow) AS workflow
       FROM (SELECT COUNT(*) AS n, COALESCE(SUM(cost_nano_usd), 0) AS nano,
                    COALESCE(SUM(typeof(ts) != 'integer' OR typeof(cost_nano_usd) != 'integer'), 0) AS nonInteger
             FROM ai_call_log) AS log,
            (SELECT COALESCE(SUM(cost_nano_usd), 0) AS nano, COALESCE(SUM(calls), 0) AS calls, COUNT(*) AS buckets
             FROM spend_bucket) AS bucket`,
    ).get() as Record<string, number>;
    if (
      check.n !== rows || check.nonInteger !== 0 || check.bucket !== check.log ||
      check.workflow !== check.log ||
      check.calls !== rows || check.buckets > 31 * 96 * MODELS.length
    ) {
      throw new Error(`fill is inconsistent: ${JSON.stringify(check)}`);
    }
    const today = new Date(now).toISOString().slice(0, 10);
    const todayRows = (db.prepare("SELECT COUNT(*) AS n FROM ai_call_log WHERE ts >= ?").get(
      Date.parse(`${today}T00:00:00Z`),
    ) as { n: number }).n;
    console.error(
      `  ${rows.toLocaleString("en-US")} rows: fill ${fillS.toFixed(1)} s, db ${mb(dbBytes)} MB, ` +
        `${todayRows.toLocaleString("en-US")} rows today (UTC)`,
    );

    // --- reserve + settle ---
    const workflows = Math.max(1, Math.ceil(rows / ROWS_PER_WORKFLOW));
    const rs: number[] = [];
    const rsStarted = performance.now();
    // The first WARMUP pairs compile the code and warm the page cache; they are not timed.
    for (let i = -WARMUP; i < samples && performance.now() - rsStarted < LOOP_BUDGET_MS; i++) {
      // As under `pressroom run`, whose scheduler checkpoints once a second between calls (and a busy
      // run makes at most a few hundred calls a second): not timed, as it is off the call path there.
      if (i % CALLS_PER_CHECKPOINT === 0) ledger.checkpoint();
      // Half the calls continue a workflow from the fill, half start a new one.
      const workflowId = rows > 0 && Math.random() < 0.5
        ? `wf-${String(Math.floor(Math.random() * workflows)).padStart(9, "0")}`
        : `wf-bench-${i}`;
      const t0 = performance.now();
      const r = ledger.reserve({
        agentId: "writer",
        workflowId,
        model: "claude-opus-4-7",
        backend: "sim",
        worstCaseNano: 50_000_000,
      });
      ledger.settle(r, {
        status: "ok",
        costNano: 12_345_678,
        usage: USAGE,
        toolCallsMade: 1,
        toolCallsSucceeded: 1,
      });
      if (i >= 0) rs.push(performance.now() - t0);
    }
    if (ledger.openReservations() !== 0) throw new Error("reservations left open after the timed loop");

    // --- the plain SUM cap query ---
    const sumStmt = db.prepare(SUM_QUERY);
    const sums: number[] = [];
    const sumStarted = performance.now();
    for (let i = 0; i < samples && performance.now() - sumStarted < LOOP_BUDGET_MS; i++) {
      const t0 = performance.now();
      sumStmt.get("claude-opus-4-7%", today);
      sums.push(performance.now() - t0);
    }

    rs.sort((a, b) => a - b);
    sums.sort((a, b) => a - b);
    return {
      rows,
      fillS,
      rsP50: percentile(rs, 50),
      rsP99: percentile(rs, 99),
      rsCount: rs.length,
      sumP50: percentile(sums, 50),
      sumP99: percentile(sums, 99),
      sumCount: sums.length,
      dbBytes,
      todayRows,
    };
  } finally {
    ledger?.close();
    Deno.removeSync(dataDir, { recursive: true });
  }
}

function mb(bytes: number): string {
  return (bytes / 1_048_576).toFixed(1);
}

function ms(x: number): string {
  return x < 1 ? x.toFixed(3) : x < 100 ? x.toFixed(2) : x.toFixed(0);
}

/** Reserve + settle and the plain SUM query at each row count, as bench rows. */
export function ledgerBench(options: { rows: number[]; samples: number }): BenchRow[] {
  const out: BenchRow[] = [];
  const results: Result[] = [];
  for (const n of options.rows) {
    console.error(`ledger: ${n.toLocaleString("en-US")} rows…`);
    const r = benchOne(n, options.samples);
    results.push(r);
    const at = `${n.toLocaleString("en-US")} rows (${r.todayRows.toLocaleString("en-US")} today, ${
      mb(r.dbBytes)
    } MB)`;
    out.push({
      benchmark: "ledger",
      figure: `reserve + settle (two transactions), p50 / p99 of ${r.rsCount}, at ${at}`,
      target: "p99 ≤ 0.5 ms",
      measured: `${ms(r.rsP50)} / ${ms(r.rsP99)} ms`,
      met: r.rsP99 <= 0.5,
    }, {
      benchmark: "ledger",
      figure: `the plain SUM cap query, p50 / p99 of ${r.sumCount}, same file; ratio of p50s`,
      target: "",
      measured: `${ms(r.sumP50)} / ${ms(r.sumP99)} ms; ${ratio(r.sumP50 / r.rsP50)}`,
    });
  }
  if (results.length > 1) {
    const first = results[0];
    const last = results.at(-1)!;
    const growth = last.rsP99 / first.rsP99;
    out.push({
      benchmark: "ledger",
      figure: `reserve + settle p99 at ${last.rows.toLocaleString("en-US")} rows against ${
        first.rows.toLocaleString("en-US")
      } (flat in the row count)`,
      target: "≤ 1.5×",
      measured: ratio(growth),
      met: growth <= 1.5,
    });
  }
  return out;
}

function ratio(x: number): string {
  return `${x < 10 ? x.toFixed(2) : Math.round(x).toLocaleString("en-US")}×`;
}

/** The machine a table was measured on. */
export async function machineLine(): Promise<string> {
  return `${Deno.build.os} ${await osRelease()} | ${await cpuModel()} | ${navigator.hardwareConcurrency} cores | ` +
    `deno ${Deno.version.deno} (v8 ${Deno.version.v8})`;
}
