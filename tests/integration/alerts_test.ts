/** Cap alerts: each threshold once per period, across processes; delivered to a log, a command and a URL. */
// deno-lint-ignore-file no-explicit-any
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { crossed, thresholdsOf } from "../../src/ledger/alerts.ts";
import { deliver } from "../../src/daemon/alert_delivery.ts";
import type { Log } from "../../src/daemon/log.ts";
import { caps, openLedger, runPressroom, tempDir } from "../helpers.ts";

const spend = (ledger: ReturnType<typeof openLedger>, nano: number) =>
  ledger.settle(
    ledger.reserve({
      agentId: "writer",
      workflowId: "wf",
      model: "claude-sonnet-4-6",
      backend: "anthropic",
      worstCaseNano: nano,
    }),
    { status: "ok", costNano: nano },
  );

Deno.test("thresholds are exact integer comparisons, per cap or by default", () => {
  assertEquals(crossed(799_999_999, 1_000_000_000, [50, 80]), [50]);
  assertEquals(crossed(800_000_000, 1_000_000_000, [50, 80]), [50, 80]);
  assertEquals(thresholdsOf({ default: [80], dailyUsd: [95, 50] }, "dailyUsd"), [50, 95]);
  assertEquals(thresholdsOf({ default: [80] }, 'perModelDailyUsd["claude-opus-*"]'), [80]);
});

Deno.test("each threshold fires once per period, even with two processes asking", async () => {
  let now = Date.parse("2026-11-24T10:00:00Z");
  const dir = await tempDir();
  const config = caps({ dailyUsd: 1, perModelDailyUsd: {}, perWorkflowUsd: 100 });
  const a = openLedger(dir, config, () => now);
  const b = openLedger(dir, config, () => now);
  const thresholds = { default: [50, 80] };
  try {
    spend(a, 600_000_000);
    const first = [...await a.dueAlerts(thresholds, now), ...await b.dueAlerts(thresholds, now)];
    assertEquals(first.map((x) => [x.cap, x.threshold, x.spentNano]), [["dailyUsd", 50, 600_000_000]]);
    assertEquals(await a.dueAlerts(thresholds, now), []);
    spend(a, 250_000_000);
    assertEquals((await b.dueAlerts(thresholds, now)).map((x) => x.threshold), [80]);
    now = Date.parse("2026-11-25T09:00:00Z");
    spend(b, 500_000_000);
    assertEquals((await a.dueAlerts(thresholds, now)).map((x) => [x.threshold, x.resetsAt]), [[
      50,
      Date.parse("2026-11-26T00:00:00Z"),
    ]]);
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("an alert goes to the log, to a command as JSON on stdin, and to a URL as a JSON POST; failures are logged", async () => {
  const dir = await tempDir();
  const notes: [string, string][] = [];
  const log: Log = { stage() {}, note: (what, text) => notes.push([what, text]), progress() {}, done() {} };
  const posted: any[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    posted.push(await req.json());
    return new Response("ok");
  });
  try {
    const alert = {
      cap: "dailyUsd",
      threshold: 80,
      spentNano: 16_500_000_000,
      limitNano: 20e9,
      resetsAt: Date.parse("2026-11-25T00:00:00Z"),
      ts: Date.parse("2026-11-24T18:00:00Z"),
    };
    await deliver([alert], {
      thresholds: { default: [80] },
      command: ["sh", "-c", `cat > ${dir}/alert.json`],
      url: `http://127.0.0.1:${server.addr.port}/hook`,
    }, log);
    const expected = {
      cap: "dailyUsd",
      threshold: 80,
      spentUsd: 16.5,
      limitUsd: 20,
      resetsAt: "2026-11-25T00:00:00.000Z",
      at: "2026-11-24T18:00:00.000Z",
    };
    assertEquals(JSON.parse(await Deno.readTextFile(`${dir}/alert.json`)), expected);
    assertEquals(posted, [expected]);
    assertEquals(notes[0], [
      "alert",
      "alert: dailyUsd passed 80%: $16.5000 of $20.0000, resets 2026-11-25T00:00:00.000Z",
    ]);
    await deliver([alert], {
      thresholds: {},
      command: ["/nonexistent/notify"],
      url: "http://127.0.0.1:1/none",
    }, log);
    assertEquals(notes.filter(([w]) => w === "alert_failed").length, 2);
  } finally {
    await server.shutdown();
  }
});

Deno.test("status lists the alerts of the current period", async () => {
  const cwd = await tempDir();
  await Deno.writeTextFile(`${cwd}/pressroom.json`, JSON.stringify({ caps: { dailyUsd: 1 } }));
  const ledger = openLedger(`${cwd}/pressroom-data`, caps({ dailyUsd: 1 }));
  spend(ledger, 900_000_000);
  assertEquals((await ledger.dueAlerts({ default: [80] }, Date.now())).length, 1);
  ledger.close();
  const out = (await runPressroom(cwd, ["status"])).out;
  assertMatch(out, /^alert: dailyUsd passed 80%: \$0\.9000 of \$1\.0000, resets /m);
  const json = JSON.parse((await runPressroom(cwd, ["status", "--json"])).out);
  assert(json.alerts.length === 1 && json.alerts[0].threshold === 80);
});
