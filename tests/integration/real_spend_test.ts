/**
 * Caps count real API spend only, and every command says so: the demo's simulated dollars, in the same
 * folder, never stop a real run. `project` divides by the days its data covers.
 */
// deno-lint-ignore-file no-explicit-any
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { runPressroom, tempDir } from "../helpers.ts";
import { createSimulator } from "../../src/sim/simulator.ts";
import { RECOVERABLE_QUIRKS } from "../../src/sim/quirks.ts";
import { serveSimulator } from "../../src/sim/server.ts";
import { dayKey } from "../../src/ledger/period.ts";

const KEY = "sk-ant-test-real-spend-0123456789";

Deno.test("the demo's simulated dollars never count toward the caps of a real run in the same folder", async () => {
  const cwd = await tempDir();
  // Ten workflows, not the default three: the daily cap set below what they spent must still leave room for
  // the real run (next), and three simulated workflows spend from about $0.37 to $0.63.
  const demo = await runPressroom(cwd, ["demo", "--workflows", "10"]);
  assertEquals(demo.code, 0, demo.err);
  assertMatch(demo.out, /^left: .*; \d+ published in all$/m);
  assertEquals((await runPressroom(cwd, ["init"])).code, 0);

  const caps = JSON.parse((await runPressroom(cwd, ["caps", "--json"])).out);
  assertEquals([caps.counts, caps.caps[0].cap, caps.caps[0].spentUsd], ["anthropic", "dailyUsd", 0]);
  const simulated = caps.simulatedSpentTodayUsd;
  assert(simulated > 1, `the demo spent $${simulated} on the simulated model`);
  const text = (await runPressroom(cwd, ["caps"])).out;
  assertMatch(
    text,
    /^caps count real API spend only; the simulated model's \$\d+\.\d{4} today is not counted$/m,
  );
  const status = await runPressroom(cwd, ["status"]);
  assertMatch(status.out, /^\S+ +done +published +\d+ +\$\d+\.\d{4} sim /m);
  assertMatch(status.out, /^sim: ran on the simulated model; caps count real API spend only$/m);
  assert(
    JSON.parse((await runPressroom(cwd, ["status", "--json"])).out).workflows.every((w: any) => w.simulated),
  );

  // A daily cap below what the demo spent today: a real run goes on regardless.
  const config = JSON.parse(await Deno.readTextFile(`${cwd}/pressroom.json`));
  config.caps.dailyUsd = Math.floor(simulated * 100) / 100 - 0.01;
  // The real run spends about $0.2 and reserves up to about $0.35 per writer call at its default max_tokens
  // (8,192); a cut writer turn retried at 16,384 tokens reserves about $0.55. A daily cap of at least $0.99
  // holds all of it; the per-workflow cap is raised so that only the daily cap is at stake.
  config.caps.perWorkflowUsd = 5;
  // And its random mistakes, with the live API's empty replies, now and then take intake past 16 turns.
  for (const agent of Object.values(config.agents) as any[]) {
    agent.maxTurns = 30;
    agent.maxConsecutiveFailures = 8;
  }
  await Deno.writeTextFile(`${cwd}/pressroom.json`, JSON.stringify(config));
  const server = serveSimulator(createSimulator({ seed: 5, quirks: RECOVERABLE_QUIRKS }));
  try {
    const env = { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.url };
    const id =
      JSON.parse((await runPressroom(cwd, ["submit", "Real work beside the demo", "--json"], env)).out).id;
    const run = await runPressroom(cwd, ["run", "--once"], env);
    assertEquals(run.code, 0, run.err);
    const runs = run.out.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(runs.filter((e) => e.event === "paused"), []);
    const mine = JSON.parse((await runPressroom(cwd, ["status", id, "--json"])).out);
    assert(["published", "flagged"].includes(mine.status), JSON.stringify(mine));
    const after = JSON.parse((await runPressroom(cwd, ["caps", "--json"])).out);
    assertEquals(after.simulatedSpentTodayUsd, simulated);
    assert(after.caps[0].spentUsd > 0 && after.caps[0].spentUsd <= config.caps.dailyUsd);

    // And the demo keeps out of a folder with real work in it.
    const again = await runPressroom(cwd, ["demo"]);
    assertEquals(again.code, 2);
    assertMatch(
      again.err,
      /^pressroom: demo: \S+ holds real API work; the demo would work its workflows on the simulated model/,
    );
  } finally {
    await server.close();
  }
});

Deno.test("project divides by the cap days its data covers, and says which", async () => {
  const server = serveSimulator(createSimulator({ seed: 8, quirks: RECOVERABLE_QUIRKS }));
  try {
    const cwd = await tempDir();
    const env = { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.url };
    const agents = Object.fromEntries(
      ["intake", "planner", "researcher", "writer", "editor", "publisher"].map((
        a,
      ) => [a, { maxTurns: 30, maxConsecutiveFailures: 8 }]),
    );
    await Deno.writeTextFile(
      `${cwd}/pressroom.json`,
      JSON.stringify({ caps: { perWorkflowUsd: 5 }, agents }),
    );
    for (const topic of ["Compost in winter", "Rain barrels", "Seed saving"]) {
      assertEquals((await runPressroom(cwd, ["submit", topic], env)).code, 0);
    }
    assertEquals((await runPressroom(cwd, ["run", "--once"], env)).code, 0);
    const caps = JSON.parse((await runPressroom(cwd, ["caps", "--json"])).out);
    const args = ["project", "--agent", "writer", "--model", "claude-opus-4-7"];
    const p = JSON.parse((await runPressroom(cwd, [...args, "--json"])).out);
    const today = dayKey(Date.now(), "UTC");
    assertEquals([p.days, p.span], [7, { days: 1, from: today, to: today }]);
    // The writer on its own model: the projection is today's spend, as `caps` counts it.
    assertEquals(p.pipelineDailyUsd, caps.caps[0].spentUsd);
    const text = await runPressroom(cwd, args);
    assertMatch(
      text.out,
      new RegExp(
        `^writer on claude-opus-4-7, from \\d+ calls of the last 7 days, which cover 1 day \\(${today} to ${today}, UTC\\)`,
        "m",
      ),
    );
  } finally {
    await server.close();
  }
});
