/**
 * `pressroom ledger copy --to postgres://…` from a SQLite ledger of call rows (and as many tool calls) into a
 * real PostgreSQL server: killed part way, then run again, then once more; every row arrives exactly once, and
 * the spend roll-ups the caps read add up to the rows. `deno task test` copies 100,000 calls (about 7 s);
 * `deno task soak` copies a million (about 70 s), as PRESSROOM_COPY_ROWS says.
 * @module
 */
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { CALL_LOG_COLUMNS } from "../../src/ledger/ledger.ts";
import { PUBLISHED, WorkflowStore } from "../../src/pipeline/store.ts";
import type { ArmPin } from "../../src/pipeline/canary.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import { OPUS, SONNET } from "../reference_workload.ts";
import { caps, openLedger, pressroomArgs, rawDb, tempDir } from "../helpers.ts";
import { postgresMissing, startPostgres } from "../pg_server.ts";

const missing = postgresMissing();
if (missing) console.log(`ledger copy test skipped: ${missing}`);
const ROWS = Number(Deno.env.get("PRESSROOM_COPY_ROWS") ?? 100_000);

/**
 * A ledger of `rows` calls over 20 days, 6 agents, 3 models and 50,000 workflows (some cost nothing), with
 * 0 to 2 tool calls each, and one published workflow with a canary arm.
 */
function fillLedger(
  dir: string,
  rows: number,
): { nano: number; paid: number; tools: number; published: string } {
  const ledger = openLedger(dir, caps());
  const db = rawDb(ledger);
  const values: Record<string, string> = {
    id: "printf('01J%023d', i)",
    agent_id: "'agent' || (i % 6)",
    workflow_instance_id: "'wf-' || (i % 50000)",
    model:
      "CASE i % 3 WHEN 0 THEN 'claude-opus-4-7' WHEN 1 THEN 'claude-sonnet-4-6' ELSE 'claude-haiku-4-5' END",
    input_tokens: "i % 5000",
    output_tokens: "i % 700",
    cache_read_tokens: "i % 3000",
    cache_write_tokens: "0",
    usd_cost: "(i % 97) * 1000 / 1e9",
    tool_calls_made: "i % 3",
    tool_calls_succeeded: "i % 2",
    ts: "1700000000000 + i * 1728",
    cost_nano_usd: "(i % 97) * 1000",
    reserved_nano_usd: "100000",
    cache_write_5m_tokens: "0",
    cache_write_1h_tokens: "0",
    web_search_requests: "0",
    stop_reason: "'end_turn'",
    status: "'ok'",
    backend: "'anthropic'",
    batch: "0",
  };
  const columns = CALL_LOG_COLUMNS.filter((c) => c in values);
  db.exec(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
     INSERT INTO ai_call_log (${columns.join(", ")}) SELECT ${
      columns.map((c) => values[c]).join(", ")
    } FROM n`,
  );
  db.exec(`INSERT INTO cap_refusal (ts, cap, agent_id, workflow_instance_id, model, request_nano_usd,
    spent_nano_usd, reserved_nano_usd, limit_nano_usd) VALUES (1700000000000, 'dailyUsd', 'writer', 'wf-1',
    'claude-opus-4-7', 5, 6, 7, 8)`);
  // Each call's tool calls, in one run of ids as the ledger writes them: the first ok, a second one failed.
  db.exec(`INSERT INTO tool_call (call_id, workflow_instance_id, agent_id, model, turn, tool, outcome, ts)
    SELECT c.id, c.workflow_instance_id, c.agent_id, c.model, 1, 'update_section',
      CASE k.k WHEN 1 THEN 'ok' ELSE 'logic_error' END, c.ts
    FROM ai_call_log c JOIN (SELECT 1 AS k UNION ALL SELECT 2) k ON k.k <= c.tool_calls_made ORDER BY c.id, k.k`);
  // One workflow that drew a canary arm and was published.
  const store = new WorkflowStore(db);
  const arm = {
    agent: "writer",
    arm: "canary",
    model: SONNET,
    canaryModel: SONNET,
    controlModel: OPUS,
    share: 0.1,
  };
  const published = store.create({ topic: "t" }, DEFAULT_MODELS, { arms: [arm as ArmPin] }).id;
  store.event(published, "publisher", PUBLISHED, "published/t.md");
  const sums = db.prepare(
    `SELECT SUM(cost_nano_usd) AS nano, SUM(cost_nano_usd > 0) AS paid, SUM(tool_calls_made) AS tools
     FROM ai_call_log`,
  ).get() as { nano: number; paid: number; tools: number };
  ledger.close();
  return { ...sums, published };
}

function copy(cwd: string, url: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: pressroomArgs(["ledger", "copy", "--to", url]),
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test({
  name: `ledger copy of ${ROWS} rows, killed part way and run again twice: each row once, roll-ups exact`,
  ignore: missing !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const server = await startPostgres();
    const cwd = await tempDir();
    try {
      const url = await server.database("copy");
      const expected = fillLedger(`${cwd}/pressroom-data`, ROWS);
      const client = new pg.Client({ connectionString: url });
      const count = async () => {
        const r = await client.query("SELECT COUNT(*)::int AS n FROM ai_call_log").catch(() => ({
          rows: [{ n: 0 }],
        }));
        return r.rows[0].n as number;
      };

      // Cut short once some rows are in.
      const first = copy(cwd, url);
      await client.connect();
      for (const deadline = Date.now() + 120_000; (await count()) === 0 && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 50));
      }
      first.kill("SIGKILL");
      await first.output();
      const partial = await count();
      assert(partial > 0 && partial < ROWS, `the first copy should stop part way, not at ${partial}`);

      const second = await copy(cwd, url).output();
      const out = new TextDecoder().decode(second.stdout);
      assertEquals(second.code, 0, new TextDecoder().decode(second.stderr));
      assertMatch(
        out,
        new RegExp(
          `: ${
            ROWS - partial
          } of ${ROWS} call rows, \\d+ of ${expected.tools} tool calls, 1 of 1 cap refusals`,
        ),
      );
      assertMatch(out, /, 1 of 1 completions, 1 of 1 canary arms /);
      const third = await copy(cwd, url).output();
      assertMatch(
        new TextDecoder().decode(third.stdout),
        new RegExp(
          `: 0 of ${ROWS} call rows, 0 of ${expected.tools} tool calls, 0 of 1 cap refusals, 0 of 0 fired alerts, 0 of 1 completions, 0 of 1 canary arms `,
        ),
      );

      const sums = async (sql: string) => (await client.query(sql)).rows[0];
      assertEquals(
        await sums(
          "SELECT COUNT(*)::int AS n, COUNT(DISTINCT id)::int AS ids, SUM(cost_nano_usd)::bigint AS nano FROM ai_call_log",
        ),
        { n: ROWS, ids: ROWS, nano: String(expected.nano) },
      );
      assertEquals(
        await sums("SELECT SUM(cost_nano_usd)::bigint AS nano, SUM(calls)::int AS calls FROM spend_bucket"),
        { nano: String(expected.nano), calls: expected.paid },
      );
      assertEquals(
        await sums("SELECT SUM(cost_nano_usd)::bigint AS nano, COUNT(*)::int AS n FROM spend_workflow"),
        { nano: String(expected.nano), n: 50_000 },
      );
      assertEquals(
        await sums(
          `SELECT COUNT(*)::int AS n, COUNT(*) FILTER (WHERE n = 1 AND outcome = 'ok')::int AS first,
             COUNT(*) FILTER (WHERE n = 2 AND outcome = 'logic_error')::int AS second FROM tool_call`,
        ),
        { n: expected.tools, first: ROWS - Math.floor(ROWS / 3), second: Math.floor((ROWS + 1) / 3) },
      );
      assertEquals(
        await sums("SELECT workflow_instance_id AS id, models FROM workflow_completion"),
        { id: expected.published, models: JSON.stringify(DEFAULT_MODELS) },
      );
      assertEquals(
        await sums("SELECT workflow_instance_id AS id, agent_id, model, share FROM canary_arm"),
        { id: expected.published, agent_id: "writer", model: SONNET, share: 0.1 },
      );
      await client.end();
    } finally {
      await server.close();
      await Deno.remove(cwd, { recursive: true });
    }
  },
});
