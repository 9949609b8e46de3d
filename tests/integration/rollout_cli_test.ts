/**
 * A canary through the command line: workflows draw their arms and keep them, `models` names the arms in
 * flight, `rollout` reads them from the ledger, and `rollout promote|stop` rewrite the config atomically,
 * keeping its other fields, while workflows in flight keep their pins.
 */
import { assert, assertEquals } from "../assert.ts";
import { runPressroom, tempDir } from "../helpers.ts";

const CONFIG = {
  caps: { dailyUsd: 50, perModelDailyUsd: { "claude-opus-*": 40 }, perWorkflowUsd: 2 },
  agents: { writer: { canary: { model: "claude-sonnet-4-6", share: 0.5 }, pool: 3 } },
};

async function setUp(): Promise<string> {
  const cwd = await tempDir();
  await Deno.writeTextFile(`${cwd}/pressroom.json`, JSON.stringify(CONFIG, null, 2) + "\n");
  return cwd;
}

Deno.test("rollout: the arms of a demo's canary from the ledger, then promote keeps the config's other fields and the pins in flight", async () => {
  const cwd = await setUp();
  const demo = await runPressroom(cwd, ["demo", "--workflows", "12"]);
  assertEquals(demo.code, 0, demo.err);
  const json = await runPressroom(cwd, ["rollout", "--json"]);
  assertEquals(json.code, 0, json.err);
  const [writer] = JSON.parse(json.out).rollouts;
  assertEquals([writer.agent, writer.canary.model, writer.control.model], [
    "writer",
    "claude-sonnet-4-6",
    "claude-opus-4-7",
  ]);
  assertEquals(writer.canary.workflows + writer.control.workflows, 12);
  assert(writer.canary.workflows > 0 && writer.control.workflows > 0, JSON.stringify(writer));
  assertEquals(writer.verdict.kind, "not_enough_data"); // 12 workflows: fewer than 10 completions an arm
  const text = await runPressroom(cwd, ["rollout", "writer"]);
  assert(text.out.includes("verdict: not enough data yet"), text.out);
  assert(text.out.includes("(SIMULATED: the demo's model, no real calls)"), text.out);
  assert(!text.out.includes("Infinity"), text.out);
  assertEquals((await runPressroom(cwd, ["rollout", "planner"])).out, "planner has had no canary\n");

  // project goes by the canary's observed cost once each arm has 5 completions, by re-pricing before.
  const projected = JSON.parse(
    (await runPressroom(cwd, ["project", "--agent", "writer", "--model", "claude-sonnet-4-6", "--json"])).out,
  );
  if (Math.min(writer.canary.completions, writer.control.completions) >= 5) {
    assertEquals(
      projected.observed.ratio,
      writer.canary.agentCostPerCompletionUsd / writer.control.agentCostPerCompletionUsd,
    );
    assertEquals(projected.observed.controlModel, "claude-opus-4-7");
  } else {
    assertEquals(projected.observed, null);
  }

  // A workflow in flight keeps the arm it drew through the promotion.
  const submitted = await runPressroom(cwd, ["submit", "Salt marshes"]);
  const id = submitted.out.split(/\s+/)[0];
  const before = JSON.parse((await runPressroom(cwd, ["models", "--json"])).out);
  const [canary] = before.canaries;
  // The demo may leave a workflow of its own in flight (flagged for review): the new one is on one arm only.
  const arm = canary.inFlight.canary.includes(id) ? "canary" : "control";
  assert(canary.inFlight[arm].includes(id));
  assert(!canary.inFlight[arm === "canary" ? "control" : "canary"].includes(id));

  const promoted = await runPressroom(cwd, ["rollout", "promote", "writer"]);
  assertEquals(promoted.code, 0, promoted.err);
  const config = JSON.parse(await Deno.readTextFile(`${cwd}/pressroom.json`));
  assertEquals(config, {
    caps: CONFIG.caps,
    agents: { writer: { pool: 3, model: "claude-sonnet-4-6" } },
  });
  const after = JSON.parse((await runPressroom(cwd, ["models", "--json"])).out);
  assertEquals(after.canaries, []);
  assertEquals(after.current.writer, "claude-sonnet-4-6");
  const pinned = arm === "canary" ? "claude-sonnet-4-6" : "claude-opus-4-7";
  assertEquals(after.inFlight.writer[pinned], before.inFlight.writer[pinned]);
  // The ended canary is still read from the ledger.
  const ended = await runPressroom(cwd, ["rollout", "writer"]);
  assert(ended.out.includes("(ended)"), ended.out);
});

Deno.test("rollout stop ends the canary and keeps the agent's model; refusals name what is wrong, exit 2", async () => {
  const cwd = await setUp();
  const stopped = await runPressroom(cwd, ["rollout", "stop", "writer"]);
  assertEquals(stopped.code, 0, stopped.err);
  assertEquals(JSON.parse(await Deno.readTextFile(`${cwd}/pressroom.json`)), {
    caps: CONFIG.caps,
    agents: { writer: { pool: 3 } },
  });
  for (
    const [args, line] of [
      [["rollout", "stop", "writer"], "rollout stop: writer runs no canary (agents.writer.canary)"],
      [["rollout", "promote", "copywriter"], 'rollout: unknown agent "copywriter"'],
      [["rollout", "promote"], "rollout promote: give one agent: pressroom rollout promote <agent>"],
    ] as const
  ) {
    const refused = await runPressroom(cwd, [...args]);
    assertEquals(refused.code, 2, refused.err);
    assert(refused.err.includes(line), refused.err);
  }
});
