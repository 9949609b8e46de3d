/**
 * The shared ledger on a real PostgreSQL server (tests/pg_server.ts): caps across two data folders (two
 * machines), heartbeats and what a process taken for dead does, the database going away and coming back,
 * TLS with a self-signed certificate, two processes migrating at once, `report` and `rollout` over every
 * machine, and `ledger copy` after an upgrade.
 * @module
 */
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import { assert, assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { CostCapError, LedgerUnreachableError } from "../../src/errors.ts";
import type { Ledger, Reservation } from "../../src/ledger/ledger.ts";
import {
  ReservationGoneError,
  SharedLedger,
  type SharedLedgerOptions,
} from "../../src/ledger/shared_ledger.ts";
import { poolConfig } from "../../src/db/pg_pool.ts";
import { DatabaseSync } from "node:sqlite";
import { PUBLISHED, type Workflow, WorkflowStore } from "../../src/pipeline/store.ts";
import { createWorkflow } from "../../src/pipeline/create_workflow.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import type { AgentModelFigures } from "../../src/report/report.ts";
import type { CitationFigures } from "../../src/report/citations.ts";
import { caps, openLedger, pressroomArgs, rawDb, runPressroom, tempDir } from "../helpers.ts";
import { pgRows, type PgServer, postgresMissing, startPostgres } from "../pg_server.ts";

const missing = postgresMissing();
if (missing) console.log(`shared ledger tests skipped: ${missing}`);

/** One server for the file; each test takes its own database. */
let server: PgServer | undefined;
let databases = 0;
async function database(): Promise<string> {
  server ??= await startPostgres();
  return await server.database(`t${++databases}`);
}

const CAPS = caps({ dailyUsd: 1, perModelDailyUsd: {}, perWorkflowUsd: 100 });
const call = (workflowId: string, worstCaseNano: number) => ({
  agentId: "writer",
  workflowId,
  model: "claude-opus-4-7",
  backend: "anthropic" as const,
  worstCaseNano,
});

async function sharedLedger(url: string, machine: string, extra: Partial<SharedLedgerOptions> = {}) {
  const dir = await tempDir();
  const ledger = openLedger(dir, CAPS);
  folders.set(ledger, dir);
  ledger.share(await SharedLedger.connect({ target: { url, from: "test" }, caps: CAPS, machine, ...extra }));
  return ledger;
}

/** The data folder a ledger opened here lives in. */
const folders = new WeakMap<Ledger, string>();
function dataOf(ledger: Ledger): Promise<string> {
  return Promise.resolve(folders.get(ledger)!);
}

const pgTest = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore: missing !== undefined, sanitizeResources: false, sanitizeOps: false, fn });

pgTest(
  "two machines share the caps: the second is refused what the first reserved, and sees its spend",
  async () => {
    const url = await database();
    const a = await sharedLedger(url, "alpha");
    const b = await sharedLedger(url, "beta");
    try {
      const held = await a.reserveCall(call("wf-a", 700_000_000));
      const refused = await assertRejects(() => b.reserveCall(call("wf-b", 400_000_000)), CostCapError);
      assertEquals(
        [refused.breach.cap, refused.breach.reservedNano, refused.breach.spentNano],
        ["dailyUsd", 700_000_000, 0],
      );
      await a.settleCall(held, { status: "ok", costNano: 250_000_000 });
      const fits = await b.reserveCall(call("wf-b", 400_000_000));
      await b.settleCall(fits, { status: "ok", costNano: 100_000_000 });
      await b.refresh();
      const daily = b.capStatus().find((c) => c.cap === "dailyUsd")!;
      assertEquals([daily.spentNano, daily.reservedNano], [350_000_000, 0]);
      assertEquals(
        await pgRows(url, "SELECT machine, cost_nano_usd::int AS c FROM ai_call_log ORDER BY machine"),
        [{ machine: "alpha", c: 250_000_000 }, { machine: "beta", c: 100_000_000 }],
      );
      assertEquals(await pgRows(url, "SELECT cap, machine FROM cap_refusal"), [{
        cap: "dailyUsd",
        machine: "beta",
      }]);
      // Each machine's own file mirrors its own calls.
      const mirrored = (l: Ledger) => ({
        ...rawDb(l).prepare("SELECT COUNT(*) AS n, SUM(cost_nano_usd) AS c FROM ai_call_log").get(),
      });
      assertEquals([mirrored(a), mirrored(b)], [{ n: 1, c: 250_000_000 }, { n: 1, c: 100_000_000 }]);
    } finally {
      await a.close();
      await b.close();
    }
  },
);

/**
 * One workflow made (drawing a writer canary arm), its writer call with two tool calls (one ok, one the wrong
 * tool), and published with two citations, as the pipeline would.
 */
async function publishOne(ledger: Ledger, costNano: number): Promise<Workflow> {
  const store = new WorkflowStore(rawDb(ledger));
  const plan = { models: DEFAULT_MODELS, canaries: { writer: { model: "claude-haiku-4-5", share: 0.5 } } };
  const w = await createWorkflow({ store, ledger, dataDir: await dataOf(ledger) }, { topic: "t" }, plan);
  const r = await ledger.reserveCall({ ...call(w.id, 100_000_000), model: w.models.writer });
  await ledger.settleCall(r, {
    status: "ok",
    costNano,
    toolCallsMade: 2,
    toolCallsSucceeded: 1,
    tools: [
      { tool: "update_section", outcome: "ok", message: null },
      { tool: "add_citation", outcome: "wrong_tool", message: "not the writer's" },
    ],
  });
  store.event(w.id, "publisher", PUBLISHED, "published/t.md");
  await ledger.completed({
    workflowId: w.id,
    ts: Date.now(),
    models: w.models,
    citations: [{ provenance: "web_search" }, { provenance: "source", dropped: true }],
  });
  return w;
}

pgTest(
  "ledger copy after an upgrade brings what the reports read of a machine that shared before: tool calls, arms, models",
  async () => {
    const url = await database();
    const ledger = await sharedLedger(url, "alpha");
    let w: Workflow;
    try {
      w = await publishOne(ledger, 40_000_000);
    } finally {
      await ledger.close();
    }
    // What a machine on schema 1 left: its call, and its completion without models or citations.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(
      "DELETE FROM tool_call; DELETE FROM canary_arm; UPDATE workflow_completion SET models = NULL, citations = NULL",
    );
    await client.end();
    const cwd = await tempDir();
    const copied = await runPressroom(cwd, ["ledger", "copy", "--to", url, "--data", await dataOf(ledger)]);
    assertEquals(copied.code, 0, copied.err);
    assertMatch(
      copied.out,
      /: 0 of 1 call rows, 2 of 2 tool calls, 0 of 0 cap refusals, 0 of 0 fired alerts, 1 of 1 completions, 1 of 1 canary arms /,
    );
    assertEquals(await pgRows(url, "SELECT tool, outcome FROM tool_call ORDER BY n"), [
      { tool: "update_section", outcome: "ok" },
      { tool: "add_citation", outcome: "wrong_tool" },
    ]);
    assertEquals(
      await pgRows(url, "SELECT workflow_instance_id AS id, models, citations FROM workflow_completion"),
      [
        // The data folder's draft had no citations (this workflow never ran its stages).
        { id: w.id, models: JSON.stringify(w.models), citations: "[]" },
      ],
    );
    assertEquals((await pgRows(url, "SELECT workflow_instance_id AS id FROM canary_arm")).map((r) => r.id), [
      w.id,
    ]);
  },
);

pgTest(
  "text with a NUL byte (a tool's name, its message, the error) is booked in both ledgers, without it",
  async () => {
    const url = await database();
    const ledger = await sharedLedger(url, "alpha");
    try {
      await ledger.settleCall(await ledger.reserveCall(call("wf-nul", 100_000_000)), {
        status: "ok",
        costNano: 1_000_000,
        toolCallsMade: 1,
        toolCallsSucceeded: 0,
        tools: [{
          tool: "update\u0000_section",
          outcome: "wrong_tool",
          message: "no tool named update\u0000_section",
        }],
        error: "a proxy said \u0000",
      });
      const local = rawDb(ledger).prepare("SELECT tool, message FROM tool_call").all().map((r) => ({ ...r }));
      assertEquals(local, [{ tool: "update_section", message: "no tool named update_section" }]);
      assertEquals(await pgRows(url, "SELECT tool, message FROM tool_call"), local);
      assertEquals(await pgRows(url, "SELECT error FROM ai_call_log"), [{ error: "a proxy said " }]);
      assertEquals({ ...rawDb(ledger).prepare("SELECT error FROM ai_call_log").get() }, {
        error: "a proxy said ",
      });
    } finally {
      await ledger.close();
    }
  },
);

pgTest(
  "a process killed between the shared ledger's settle and its own: the next one mirrors what was booked there",
  async () => {
    const url = await database();
    const a = await sharedLedger(url, "alpha");
    const dir = await dataOf(a);
    const r = await a.reserveCall(call("wf-k", 300_000_000));
    // The shared ledger booked the call; the process died before writing its own row (its lock let go).
    await a.shared!.settle(r, {
      status: "ok",
      costNano: 120_000_000,
      toolCallsMade: 1,
      toolCallsSucceeded: 1,
      tools: [{ tool: "update_section", outcome: "ok", message: null }],
    });
    await a.close();
    const cwd = await tempDir();
    await Deno.writeTextFile(`${cwd}/pressroom.json`, JSON.stringify({ caps: { dailyUsd: 1 } }));
    const status = await runPressroom(cwd, ["caps", "--data", dir], { PRESSROOM_LEDGER_URL: url });
    assertEquals(status.code, 0, status.err);
    const db = new DatabaseSync(`${dir}/pressroom.db`, { readOnly: true });
    try {
      const rows = (sql: string) => db.prepare(sql).all().map((row) => ({ ...row }));
      // Booked as the shared ledger booked it, not at its worst case ($0.30).
      assertEquals(rows("SELECT id, status, cost_nano_usd AS c FROM ai_call_log"), [
        { id: r.id, status: "ok", c: 120_000_000 },
      ]);
      assertEquals(rows("SELECT tool, outcome FROM tool_call"), [{ tool: "update_section", outcome: "ok" }]);
      assertEquals(rows("SELECT cost_nano_usd AS c FROM spend_workflow"), [{ c: 120_000_000 }]);
      assertEquals(rows("SELECT COUNT(*) AS n FROM reservation"), [{ n: 0 }]);
    } finally {
      db.close();
    }
    assertEquals(await pgRows(url, "SELECT status, cost_nano_usd::int AS c FROM ai_call_log"), [
      { status: "ok", c: 120_000_000 },
    ]);
  },
);

pgTest(
  "report and rollout cover every machine: completions, tool calls, citations and canary arms of each",
  async () => {
    const url = await database();
    const machines = [await sharedLedger(url, "alpha"), await sharedLedger(url, "beta")];
    try {
      for (const [i, ledger] of machines.entries()) await publishOne(ledger, 40_000_000 * (i + 1));
    } finally {
      for (const ledger of machines) await ledger.close();
    }
    const cwd = await tempDir();
    await Deno.writeTextFile(`${cwd}/pressroom.json`, "{}");
    const reportOf = async (ledger: Ledger, env: Record<string, string>) => {
      const r = await runPressroom(cwd, ["report", "--json", "--data", await dataOf(ledger)], env);
      assertEquals(r.code, 0, r.err);
      return JSON.parse(r.out);
    };
    const shared = { PRESSROOM_LEDGER_URL: url };
    const [alpha, beta] = [await reportOf(machines[0], shared), await reportOf(machines[1], shared)];
    // Either machine's report is every machine's.
    assertEquals(alpha.backends, beta.backends);
    assertEquals(alpha.rollouts, beta.rollouts);
    const [backend] = alpha.backends;
    assertEquals([backend.completions.count, backend.completions.meanUsd], [2, 0.06]);
    const writer = backend.agents.filter((a: { agent: string }) => a.agent === "writer");
    const sum = (f: (a: AgentModelFigures) => number) =>
      writer.reduce((n: number, a: AgentModelFigures) => n + f(a), 0);
    assertEquals([sum((a) => a.calls), sum((a) => a.toolCalls), sum((a) => a.failures.wrong_tool)], [
      2,
      4,
      2,
    ]);
    const cited = backend.citations.reduce((n: number, c: CitationFigures) => n + c.completions, 0);
    assertEquals(cited, 2);
    for (const c of backend.citations) {
      assertEquals([c.perCompletion.web_search, c.perCompletion.source, c.droppedQuotesPerCompletion], [
        1,
        1,
        1,
      ]);
    }
    // The canary's arms: one workflow on each machine, whichever arm each drew.
    const [rollout] = alpha.rollouts;
    assertEquals([rollout.agent, rollout.canary.workflows + rollout.control.workflows], ["writer", 2]);
    const rolloutOut = await runPressroom(
      cwd,
      ["rollout", "--json", "--data", await dataOf(machines[1])],
      shared,
    );
    assertEquals(JSON.parse(rolloutOut.out).rollouts, alpha.rollouts);
    // The page shows the machines beside the figures that are all of theirs.
    const page = `${cwd}/report.html`;
    assertEquals(
      (await runPressroom(cwd, ["report", "--html", page, "--data", await dataOf(machines[0])], shared)).code,
      0,
    );
    const cells = [
      ...(await Deno.readTextFile(page)).matchAll(/<td data-figure="machines\.(\d)\.(\w+)">([^<]*)</g),
    ];
    assertEquals(
      cells.filter(([, , field]) => ["machine", "spentUsd", "completions"].includes(field)).map((
        [, , , text],
      ) => text),
      ["alpha", "$0.0400", "1", "beta", "$0.0800", "1"],
    );
    assertEquals(alpha.machines.map((m: { spentUsd: number }) => m.spentUsd), [0.04, 0.08]);
    const text = await runPressroom(cwd, ["report", "--data", await dataOf(machines[1])], shared);
    assertMatch(text.out, /^every machine on the shared ledger \(the figures above are all of theirs\):$/m);
    assertMatch(text.out, /^cost per completion \(n=2\): mean \$0\.0600,/m);
    assertMatch(text.out, /^alpha +anthropic +1 +1 +\$0\.0400 +1 +\$0\.0400 +50\.0% +– /m);
    // Without the shared ledger, a data folder's report is its own machine's.
    const own = await reportOf(machines[0], {});
    assertEquals(own.backends[0].completions.count, 1);
  },
);

pgTest(
  "caps, report and project read every machine's calls from the shared ledger; doctor names it",
  async () => {
    const url = await database();
    const a = await sharedLedger(url, "alpha");
    const b = await sharedLedger(url, "beta");
    try {
      await a.settleCall(await a.reserveCall(call("wf-a", 300_000_000)), {
        status: "ok",
        costNano: 200_000_000,
      });
      await b.settleCall(await b.reserveCall(call("wf-b", 300_000_000)), {
        status: "ok",
        costNano: 50_000_000,
      });
    } finally {
      await a.close();
      await b.close();
    }
    const cwd = await tempDir();
    const env = { PRESSROOM_LEDGER_URL: url };
    await Deno.writeTextFile(`${cwd}/pressroom.json`, JSON.stringify({ caps: { dailyUsd: 1 } }));
    const capsOut = await runPressroom(cwd, ["caps", "--json", "--data", await dataOf(a)], env);
    assertEquals(capsOut.code, 0, capsOut.err);
    const daily = JSON.parse(capsOut.out).caps.find((c: { cap: string }) => c.cap === "dailyUsd");
    assertEquals([daily.spentUsd, daily.leftUsd], [0.25, 0.75]);
    const report = await runPressroom(cwd, ["report", "--json", "--data", await dataOf(a)], env);
    assertEquals(report.code, 0, report.err);
    assertEquals(
      JSON.parse(report.out).machines.map((
        m: Record<string, unknown>,
      ) => [m.machine, m.backend, m.calls, m.spentUsd]),
      [["alpha", "anthropic", 1, 0.2], ["beta", "anthropic", 1, 0.05]],
    );
    const project = await runPressroom(
      cwd,
      ["project", "--agent", "writer", "--model", "claude-sonnet-4-6", "--json", "--data", await dataOf(a)],
      env,
    );
    assertEquals(project.code, 0, project.err);
    const swap = JSON.parse(project.out);
    assertEquals([swap.calls, swap.simulated, swap.agentDailyNowUsd], [2, false, 0.25]);
    const doctor = await runPressroom(cwd, ["doctor", "--data", await dataOf(a)], env);
    assertMatch(
      doctor.out,
      /^ok {4}shared ledger: postgres:\/\/postgres@127\.0\.0\.1:\d+\/t\d+ as machine "\S+" \(0 in flight over every machine\)$/m,
    );
  },
);

pgTest(
  "a process taken for dead: its call is booked at its worst case, its late settle adds nothing, it goes on under a new owner",
  async () => {
    const url = await database();
    const lost: string[] = [];
    // Its heartbeat never beats on its own here, and a second is long enough to be taken for dead.
    const a = await sharedLedger(url, "alpha", {
      heartbeatMs: 3_600_000,
      onHeartbeatLost: (l) => lost.push(l),
    });
    const b = await sharedLedger(url, "beta", { ownerTimeoutMs: 1_000 });
    try {
      const firstOwner = a.shared!.owner;
      const inFlight = await a.reserveCall(call("wf-a", 300_000_000));
      await new Promise((r) => setTimeout(r, 1_500));
      assertEquals(await b.recoverAll(), 1);
      // A retry of a call whose reservation was taken is not sent: that call stops, the rest go on.
      await assertRejects(() => a.extendCall(inFlight, 300_000_000), ReservationGoneError);
      const orphaned: Reservation[] = [];
      a.onOrphaned = (r) => orphaned.push(r);
      await a.settleCall(inFlight, { status: "ok", costNano: 120_000_000 });
      assertEquals(orphaned.map((r) => r.id), [inFlight.id]);
      assertEquals(
        await pgRows(url, "SELECT status, cost_nano_usd::int AS c FROM ai_call_log"),
        [{ status: "orphaned", c: 300_000_000 }],
      );
      // Its own file keeps what the call really cost.
      assertEquals({ ...rawDb(a).prepare("SELECT cost_nano_usd AS c FROM ai_call_log").get() }, {
        c: 120_000_000,
      });
      // Its next calls, three at once, find it taken for dead: it registers once, and they go on under it.
      const next = await Promise.all([1, 2, 3].map(() => a.reserveCall(call("wf-a", 10_000_000))));
      assertEquals(lost, [firstOwner]);
      assert(a.shared!.owner !== firstOwner);
      assertEquals(
        await pgRows(
          url,
          "SELECT DISTINCT r.owner, o.id IS NOT NULL AS registered FROM reservation r LEFT JOIN ledger_owner o ON o.id = r.owner",
        ),
        [{ owner: a.shared!.owner, registered: true }],
      );
      for (const r of next) await a.settleCall(r, { status: "ok", costNano: 5_000_000 });
      assertEquals(await pgRows(url, "SELECT COUNT(*)::int AS n FROM reservation"), [{ n: 0 }]);
    } finally {
      await a.close();
      await b.close();
    }
  },
);

pgTest(
  "a call reserved before the folder was pointed at the shared ledger is still recorded there when it settles",
  async () => {
    const url = await database();
    const dir = await tempDir();
    const ledger = openLedger(dir, CAPS);
    const before = ledger.reserve(call("wf-a", 50_000_000));
    ledger.share(await SharedLedger.connect({ target: { url, from: "test" }, caps: CAPS, machine: "alpha" }));
    try {
      await ledger.settleCall(before, { status: "ok", costNano: 20_000_000 });
      assertEquals(
        await pgRows(url, "SELECT machine, status, cost_nano_usd::int AS c FROM ai_call_log"),
        [{ machine: "alpha", status: "ok", c: 20_000_000 }],
      );
      assertEquals(await pgRows(url, "SELECT SUM(cost_nano_usd)::int AS c FROM spend_bucket"), [{
        c: 20_000_000,
      }]);
    } finally {
      await ledger.close();
    }
  },
);

pgTest(
  "the database goes away: nothing is reserved or sent, and it goes on when the database is back",
  async () => {
    const url = await database();
    const a = await sharedLedger(url, "alpha");
    try {
      await server!.stopServer();
      const error = await assertRejects(
        () => a.reserveCall(call("wf-a", 10_000_000)),
        LedgerUnreachableError,
      );
      assertMatch(
        error.message,
        /cannot reach the shared ledger at postgres:\/\/postgres@127\.0\.0\.1:\d+\/t\d+ \(/,
      );
      assertEquals(a.openReservations(), 0);
      await server!.startServer();
      const r = await a.reserveCall(call("wf-a", 10_000_000));
      await a.settleCall(r, { status: "ok", costNano: 1_000 });
      assertEquals(await pgRows(url, "SELECT COUNT(*)::int AS n FROM ai_call_log"), [{ n: 1 }]);
    } finally {
      await a.close();
    }
  },
);

pgTest(
  "a request in a Message Batch outlives its process: recovery leaves it for its data folder, which settles it",
  async () => {
    const url = await database();
    const a = await sharedLedger(url, "alpha", { heartbeatMs: 3_600_000 });
    const batched = await a.reserveCall({ ...call("wf-a", 40_000_000), batch: true });
    const synchronous = await a.reserveCall(call("wf-a", 30_000_000));
    // The process ends with both open: its owner row goes with it.
    await a.shared!.close();
    // Connecting, beta settles what dead processes left: the synchronous call, not the batched one.
    const b = await sharedLedger(url, "beta");
    try {
      assertEquals(await b.recoverAll(), 0, "nothing more to settle once connected");
      assertEquals(
        await pgRows(url, "SELECT id, batch FROM reservation"),
        [{ id: batched.id, batch: true }],
        "only the batched request's reservation is left",
      );
      // The batch's result, collected later by a process on alpha's data folder.
      await b.settleCall(batched, { status: "ok", costNano: 20_000_000, batch: true });
      assertEquals(
        await pgRows(url, "SELECT id, status, cost_nano_usd::int AS c FROM ai_call_log ORDER BY c"),
        [
          { id: batched.id, status: "ok", c: 20_000_000 },
          { id: synchronous.id, status: "orphaned", c: 30_000_000 },
        ],
      );
    } finally {
      await b.close();
    }
  },
);

pgTest("a settle waits for the database to come back: the spend is recorded once", async () => {
  const url = await database();
  const a = await sharedLedger(url, "alpha");
  try {
    const r = await a.reserveCall(call("wf-a", 10_000_000));
    await server!.stopServer();
    const settled = a.settleCall(r, { status: "ok", costNano: 7_000 });
    await new Promise((r) => setTimeout(r, 1_000));
    await server!.startServer();
    await settled;
    assertEquals(
      await pgRows(url, "SELECT status, cost_nano_usd::int AS c FROM ai_call_log"),
      [{ status: "ok", c: 7_000 }],
    );
    assertEquals(await pgRows(url, "SELECT COUNT(*)::int AS n FROM reservation"), [{ n: 0 }]);
  } finally {
    await a.close();
  }
});

pgTest(
  "TLS: sslmode=require with the CA file verifies the self-signed certificate; verify-full without it is refused",
  async () => {
    const url = await database();
    const tls = `${url}?sslmode=require`;
    const client = new pg.Client(poolConfig({ url: tls, caFile: server!.caFile, from: "test" }));
    await client.connect();
    try {
      assertEquals((await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).rows, [{
        ssl: true,
      }]);
    } finally {
      await client.end();
    }
    const unverified = new pg.Client(poolConfig({ url: `${url}?sslmode=verify-full`, from: "test" }));
    const refused = await assertRejects(() => unverified.connect(), Error);
    assertMatch(refused.message, /self[- ]signed certificate/);
    await unverified.end().catch(() => {});
    // The ledger itself over TLS.
    const ledger = openLedger(await tempDir(), CAPS);
    ledger.share(
      await SharedLedger.connect({
        target: { url: tls, caFile: server!.caFile, from: "test" },
        caps: CAPS,
        machine: "tls",
      }),
    );
    try {
      await ledger.settleCall(await ledger.reserveCall(call("wf", 1_000)), { status: "ok", costNano: 1_000 });
    } finally {
      await ledger.close();
    }
  },
);

pgTest(
  "two processes migrating at once: one applies the migrations, the other finds nothing to do",
  async () => {
    const url = await database();
    const cwd = await tempDir();
    const migrate = () =>
      new Deno.Command(Deno.execPath(), {
        args: pressroomArgs(["ledger", "migrate"]),
        cwd,
        env: { PRESSROOM_LEDGER_URL: url },
        stdout: "piped",
        stderr: "piped",
      }).output();
    const outs = await Promise.all([migrate(), migrate()]);
    const text = outs.map((o) =>
      new TextDecoder().decode(o.stdout).trim() + new TextDecoder().decode(o.stderr)
    );
    assertEquals(outs.map((o) => o.code), [0, 0], text.join("\n"));
    assertEquals(text.filter((t) => /applied migrations 1, 2$/.test(t)).length, 1, text.join("\n"));
    assertEquals(text.filter((t) => /up to date, nothing to apply$/.test(t)).length, 1, text.join("\n"));
    assertEquals(await pgRows(url, "SELECT version FROM pressroom_schema ORDER BY 1"), [
      { version: 1 },
      { version: 2 },
    ]);
  },
);

Deno.test({
  name: "shared ledger tests: the server stops",
  ignore: missing !== undefined,
  fn: async () => {
    await server?.close();
  },
});
