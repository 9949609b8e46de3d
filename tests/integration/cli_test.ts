/**
 * The command line as a user runs it: `deno run -P=pressroom src/main.ts`, with
 * the binary's permission set, in a folder of its own.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { caps, openLedger, runPressroom, tempDir, TEST_KEY } from "../helpers.ts";
import { MIGRATIONS } from "../../src/db/migrations.ts";

const pressroom = runPressroom;

const isoDay = (offsetDays: number) =>
  new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

Deno.test("caps --json prints each cap with today's spend and reservations, and nothing else", async () => {
  const cwd = await tempDir();
  await Deno.writeTextFile(
    `${cwd}/pressroom.json`,
    JSON.stringify({ caps: { dailyUsd: 5, perWorkflowUsd: 5 } }),
  );
  const ledger = openLedger(`${cwd}/pressroom-data`, caps({ dailyUsd: 5, perWorkflowUsd: 5 }));
  const r = ledger.reserve({
    agentId: "writer",
    workflowId: "wf",
    model: "claude-opus-4-7",
    backend: "anthropic",
    worstCaseNano: 1_500_000_000,
  });
  ledger.settle(r, { status: "ok", costNano: 1_250_000_000 });
  ledger.reserve({
    agentId: "editor",
    workflowId: "wf",
    model: "claude-sonnet-4-6",
    backend: "anthropic",
    worstCaseNano: 100_000_000,
  });
  const { code, out, err } = await pressroom(cwd, ["caps", "--json"]);
  ledger.close();
  assertEquals([code, err], [0, ""]);
  const report = JSON.parse(out);
  assertEquals(report.caps[0], {
    cap: "dailyUsd",
    limitUsd: 5,
    spentUsd: 1.25,
    reservedUsd: 0.1,
    leftUsd: 3.65,
    resetsAt: `${isoDay(1)}T00:00:00.000Z`,
  });
  assertEquals(report.caps[1].cap, 'perModelDailyUsd["claude-opus-*"]');
  assertEquals([report.caps[1].spentUsd, report.caps[1].reservedUsd], [1.25, 0]);
});

Deno.test("caps prints a table; global flags may stand anywhere on the line", async () => {
  const cwd = await tempDir();
  openLedger(`${cwd}/d1`).close();
  const before = await pressroom(cwd, ["--data", "d1", "caps"]);
  const after = await pressroom(cwd, ["caps", "--data", "d1"]);
  assertEquals([before.code, after.code], [0, 0]);
  assertEquals(before.out, after.out);
  assertMatch(before.out, /^cap\s+limit\s+spent today\s+reserved\s+left\s+resets$/m);
  assertMatch(before.out, /^dailyUsd\s+\$20\.0000\s+\$0\.0000/m);
});

Deno.test("bad input: one line on stderr naming the file or argument, exit 2, nothing on stdout", async () => {
  const cwd = await tempDir();
  await Deno.writeTextFile(`${cwd}/pressroom.json`, `{"agents": {"writer": {"pool": 0}}}`);
  const bad = await pressroom(cwd, ["caps", "--json"]);
  assertEquals([bad.code, bad.out], [2, ""]);
  assertEquals(
    bad.err,
    `pressroom: ${cwd}/pressroom.json: agents.writer.pool: Too small: expected number to be >=1\n`,
  );
  const unknown = await pressroom(cwd, ["frobnicate"]);
  assertEquals([unknown.code, unknown.err.trim().split("\n").length], [2, 1]);
  assertMatch(unknown.err, /unknown command "frobnicate"/);
  const flag = await pressroom(cwd, ["doctor", "--config", `${cwd}/missing.json`]);
  assertEquals(flag.code, 1, "doctor reports a bad config as a failed check");
  assertMatch(flag.out, /^fail {2}config: .*missing\.json: cannot read/m);
  const option = await pressroom(cwd, ["caps", "--bogus"]);
  assertEquals(option.code, 2);
  assertMatch(option.err, /^pressroom: caps: Unknown option '--bogus'/);
});

Deno.test("doctor: models, retirement, ledger, the key's presence and the API host, never the key", async () => {
  const cwd = await tempDir();
  await Deno.writeTextFile(
    `${cwd}/pressroom.json`,
    JSON.stringify({
      agents: { editor: { model: "soon-gone" } },
      prices: { "soon-gone": { input: 3, output: 15, retires: isoDay(10) } },
    }),
  );
  // The API host as doctor sees it: any answer proves it can be reached; no key may be sent to it.
  const heard: Headers[] = [];
  const api = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    heard.push(request.headers);
    return new Response("not found", { status: 404 });
  });
  const url = `http://127.0.0.1:${api.addr.port}`;
  openLedger(`${cwd}/pressroom-data`).close();
  try {
    const { code, out } = await pressroom(cwd, ["doctor"], {
      ANTHROPIC_API_KEY: TEST_KEY,
      ANTHROPIC_BASE_URL: url,
    });
    assertEquals(code, 0, out);
    assertMatch(out, /^ok {4}config: /m);
    assertMatch(out, /^ok {4}model claude-opus-4-7 \(intake, planner, researcher, writer\)/m);
    assertMatch(
      out,
      new RegExp(`^warn  model soon-gone \\(editor\\): retires on ${isoDay(10)}, in 10 days$`, "m"),
    );
    assertMatch(
      out,
      new RegExp(
        `^ok {4}ledger: .*pressroom\\.db \\(schema ${MIGRATIONS.length}, 0 calls, 0 in flight\\)$`,
        "m",
      ),
    );
    assertMatch(out, /^ok {4}ANTHROPIC_API_KEY: set$/m);
    assert(out.includes(`\nok    API: ${url} answered (HTTP 404; no key sent)\n`), out);
    assertEquals(heard.length, 1);
    assertEquals([heard[0].get("x-api-key"), heard[0].get("authorization")], [null, null]);
    assert(!out.includes(TEST_KEY));
  } finally {
    await api.shutdown();
  }

  await Deno.remove(`${cwd}/pressroom.json`);
  const noKey = await pressroom(cwd, ["doctor"]);
  assertEquals(noKey.code, 0, noKey.out);
  assertMatch(noKey.out, /^warn {2}ANTHROPIC_API_KEY: not set/m);
  assert(!noKey.out.includes("API: "), "without a key nothing calls the API: nothing to reach");
});

Deno.test("schema prints the JSON Schema an editor can check pressroom.json against", async () => {
  const { code, out } = await pressroom(await tempDir(), ["schema"]);
  assertEquals(code, 0);
  const schema = JSON.parse(out);
  assertEquals(schema.properties.caps.properties.dailyUsd, { default: 20, type: "number", minimum: 0 });
  assertEquals(schema.properties.agents.properties.writer.properties.cacheTtl.enum, ["auto", "5m", "1h"]);
});
