/**
 * `pressroom run` on a shared ledger (a real PostgreSQL server, tests/pg_server.ts), against the simulated
 * model served on loopback: killed with SIGKILL with calls in flight, and the database restarted while it
 * works. Each time the shared ledger ends with nothing open, and with the same calls and spend as the data
 * folder's own ledger.
 * @module
 */
import { assert, assertAlmostEquals, assertEquals, assertMatch } from "../assert.ts";
import { createSimulator } from "../../src/sim/simulator.ts";
import { serveSimulator } from "../../src/sim/server.ts";
import { SharedLedger } from "../../src/ledger/shared_ledger.ts";
import {
  caps,
  dropRequest,
  jsonLineReader,
  runPressroom,
  spawnDaemon,
  stopDaemon,
  tempDir,
} from "../helpers.ts";
import { pgRows, type PgServer, postgresMissing, startPostgres } from "../pg_server.ts";
import { DatabaseSync } from "node:sqlite";
import { AGENT_IDS } from "../../src/config/schema.ts";

const missing = postgresMissing();
if (missing) console.log(`shared ledger run tests skipped: ${missing}`);
const TOPICS = ["Rain gardens", "Window boxes"];
const KEY = "sk-ant-test-shared-0123456789";

let server: PgServer | undefined;
async function database(name: string): Promise<string> {
  server ??= await startPostgres();
  return await server.database(name);
}

/** Calls and spend in the shared ledger, and in the data folder's own. */
async function totals(url: string, data: string) {
  const [shared] = await pgRows<{ n: number; nano: number }>(
    url,
    "SELECT COUNT(*)::int AS n, COALESCE(SUM(cost_nano_usd), 0)::bigint AS nano FROM ai_call_log",
  );
  const db = new DatabaseSync(`${data}/pressroom.db`, { readOnly: true });
  try {
    const local = db.prepare("SELECT COUNT(*) AS n, COALESCE(SUM(cost_nano_usd), 0) AS nano FROM ai_call_log")
      .get() as { n: number; nano: number };
    const rows = db.prepare("SELECT status, reason FROM workflow").all();
    const statuses = rows.map((r) => String(r.status));
    const reasons = rows.map((r) => `${r.status}: ${r.reason ?? ""}`);
    return { shared: { n: shared.n, nano: Number(shared.nano) }, local: { ...local }, statuses, reasons };
  } finally {
    db.close();
  }
}

/**
 * Eight failed tool turns in a row before a workflow is stuck, as the e2e harness gives: the simulated model's
 * draws follow the (random) workflow ids, and now and then fail four in a row.
 */
const ROOM = Object.fromEntries(AGENT_IDS.map((a) => [a, { maxConsecutiveFailures: 8 }]));

async function setUp(name: string) {
  const url = await database(name);
  const cwd = await tempDir();
  const data = `${cwd}/pressroom-data`;
  await Deno.mkdir(`${data}/inbox`, { recursive: true });
  for (const topic of TOPICS) await dropRequest(`${data}/inbox`, `${topic.replaceAll(" ", "-")}.txt`, topic);
  await Deno.writeTextFile(
    `${cwd}/pressroom.json`,
    JSON.stringify({ run: { pollSeconds: 0.2 }, agents: ROOM }),
  );
  return { url, cwd, data };
}

function daemon(cwd: string, apiUrl: string, ledgerUrl: string): Deno.ChildProcess {
  return spawnDaemon(cwd, {
    ANTHROPIC_API_KEY: KEY,
    ANTHROPIC_BASE_URL: apiUrl,
    PRESSROOM_LEDGER_URL: ledgerUrl,
  });
}

/** What the daemon wrote on stderr, once it has ended (or been killed for it). */
async function errorsOf(child: Deno.ChildProcess): Promise<string> {
  try {
    child.kill("SIGKILL");
  } catch { /* gone */ }
  return "\n" + new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
}

async function until(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const pgTest = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore: missing !== undefined, sanitizeResources: false, sanitizeOps: false, fn });

pgTest(
  "run killed with SIGKILL with calls in flight: their reservations are booked at their worst case once its heartbeat is stale, and the work finishes",
  async () => {
    const api = serveSimulator(createSimulator({ seed: 21, latencyScale: 0.05 }));
    const { url, cwd, data } = await setUp("killed");
    const child = daemon(cwd, api.url, url);
    try {
      await until(
        "a call in flight",
        // Before `run` migrates the database, there is no table to count in.
        async () =>
          (await pgRows<{ n: number }>(url, "SELECT COUNT(*)::int AS n FROM reservation").catch(
            () => [{ n: 0 }],
          ))[0]
            .n > 0,
        60_000,
      );
      child.kill("SIGKILL");
      await child.status;
      const [open] = await pgRows<{ n: number }>(url, "SELECT COUNT(*)::int AS n FROM reservation");
      // Another process, judging a heartbeat stale after a second, settles what the dead one held.
      await new Promise((r) => setTimeout(r, 1_500));
      const other = await SharedLedger.connect({
        target: { url, from: "test" },
        caps: caps(),
        machine: "other",
        ownerTimeoutMs: 1_000,
      });
      await other.close();
      const orphaned = await pgRows<{ c: string; r: string }>(
        url,
        "SELECT cost_nano_usd AS c, reserved_nano_usd AS r FROM ai_call_log WHERE status = 'orphaned'",
      );
      assertEquals(orphaned.length, open.n);
      for (const row of orphaned) assertEquals(row.c, row.r, "an orphaned call is booked at its worst case");
      assertEquals(await pgRows(url, "SELECT COUNT(*)::int AS n FROM reservation"), [{ n: 0 }]);

      const finish = await runPressroom(cwd, ["run", "--once"], {
        ANTHROPIC_API_KEY: KEY,
        ANTHROPIC_BASE_URL: api.url,
        PRESSROOM_LEDGER_URL: url,
      });
      assertEquals(finish.code, 0, finish.err);
      const t = await totals(url, data);
      assertEquals(t.statuses.filter((s) => s === "published" || s === "flagged").length, TOPICS.length);
      assertEquals(t.shared, t.local, "the shared ledger and the data folder's own agree");
    } finally {
      await stopDaemon(child, api);
    }
  },
);

pgTest(
  "the database restarted while run works: run says why, waits, and finishes the work with every call recorded once",
  async () => {
    const api = serveSimulator(createSimulator({ seed: 22, latencyScale: 0.05 }));
    const { url, cwd, data } = await setUp("restarted");
    const child = daemon(cwd, api.url, url);
    const readLines = jsonLineReader(child);
    try {
      const first = await readLines((l) => l.event === "stage", 60_000);
      if (!first.some((l) => l.event === "stage")) {
        throw new Error(JSON.stringify(first.slice(-3)) + await errorsOf(child));
      }
      await server!.stopServer();
      const seen = await readLines((l) => l.event === "unreachable", 30_000);
      const line = seen.find((l) => l.event === "unreachable");
      if (!line) throw new Error(JSON.stringify(seen.slice(-3)) + await errorsOf(child));
      assertMatch(
        line.message,
        /^cannot reach the shared ledger at postgres:\/\/postgres@127\.0\.0\.1:\d+\/restarted /,
      );
      await new Promise((r) => setTimeout(r, 1_000));
      await server!.startServer();
      await until("every workflow done", async () => {
        const { statuses } = await totals(url, data).catch(() => ({ statuses: [] as string[] }));
        return statuses.length === TOPICS.length &&
          statuses.every((s) => s === "published" || s === "flagged");
      }, 120_000).catch(async (error) => {
        const { reasons } = await totals(url, data);
        throw new Error(`${error.message}: ${reasons.join("; ")}${await errorsOf(child)}`, { cause: error });
      });
      child.kill("SIGTERM");
      const rest = await readLines((l) => l.event === "stopped", 30_000);
      assertEquals(rest.at(-1)?.event, "stopped", JSON.stringify(rest.slice(-3)));
      assertEquals((await child.status).code, 0);
      const t = await totals(url, data);
      assertEquals(t.shared, t.local, "the shared ledger and the data folder's own agree");
      assertEquals(await pgRows(url, "SELECT COUNT(*)::int AS n FROM reservation"), [{ n: 0 }]);
      // The report from the shared ledger (one machine here) is the data folder's own, figure for figure:
      // every tool call, completion and citation reached PostgreSQL with the calls.
      const report = await runPressroom(cwd, ["report", "--json"], { PRESSROOM_LEDGER_URL: url });
      assertEquals(report.code, 0, report.err);
      const own = await runPressroom(cwd, ["report", "--json"]);
      assertEquals(own.code, 0, own.err);
      const { machines, backends, rollouts } = JSON.parse(report.out);
      assertEquals([backends, rollouts], [JSON.parse(own.out).backends, JSON.parse(own.out).rollouts]);
      const local = backends.find((b: { backend: string }) => b.backend === "anthropic").completions;
      assertEquals(machines.map((m: Record<string, unknown>) => [m.backend, m.completions]), [[
        "anthropic",
        local.count,
      ]]);
      // Dollars from exact nano-dollars, divided in two orders: equal to the last few digits.
      assertAlmostEquals(machines[0].costPerCompletionUsd ?? 0, local.meanUsd ?? 0, 1e-9);
    } finally {
      await stopDaemon(child, api);
    }
  },
);

pgTest(
  "demo --batch on a shared ledger: every turn through Message Batches, every row in both ledgers once",
  async () => {
    const url = await database("batched");
    const cwd = await tempDir();
    await Deno.writeTextFile(`${cwd}/pressroom.json`, JSON.stringify({ agents: ROOM }));
    const demo = await runPressroom(cwd, ["demo", "--batch", "--workflows", "1"], {
      PRESSROOM_LEDGER_URL: url,
    });
    assertEquals(demo.code, 0, demo.err);
    const t = await totals(url, `${cwd}/pressroom-data`);
    // Published, or flagged by the simulated editor (its draws follow the workflow id).
    assertEquals(t.statuses.length, 1);
    assert(["published", "flagged"].includes(t.statuses[0]), t.statuses[0]);
    assertEquals(t.shared, t.local, "the shared ledger and the data folder's own agree");
    assertEquals(
      await pgRows(url, "SELECT COUNT(*)::int AS n FROM ai_call_log WHERE batch = 0"),
      [{ n: 0 }],
      "every call went through a batch",
    );
    assertEquals(await pgRows(url, "SELECT COUNT(*)::int AS n FROM reservation"), [{ n: 0 }]);
  },
);

Deno.test({
  name: "shared ledger run tests: the server stops",
  ignore: missing !== undefined,
  fn: async () => {
    await server?.close();
  },
});
