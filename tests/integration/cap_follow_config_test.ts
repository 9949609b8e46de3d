/**
 * Caps that follow the config across restarts, as a user meets them: the CLI as subprocesses with the
 * binary's permission set, against the simulated model behind a loopback Messages API. A cap stops the
 * work; the user raises it in pressroom.json; the next `run --once`, or a restarted `run`, goes on at
 * once, and `status` and `caps` say the same thing as `run` in between.
 */
// deno-lint-ignore-file no-explicit-any
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { pressroomArgs, runPressroom, tempDir } from "../helpers.ts";
import { createSimulator } from "../../src/sim/simulator.ts";
import { RECOVERABLE_QUIRKS } from "../../src/sim/quirks.ts";
import { serveSimulator } from "../../src/sim/server.ts";

const KEY = "sk-ant-test-caps-follow-config-0123456789";

interface Setup {
  cwd: string;
  env: Record<string, string>;
  pressroom(args: string[]): Promise<{ code: number; out: string; err: string }>;
  /** Rewrites pressroom.json with `edit` applied to it, as a user edits the file. */
  edit(edit: (config: any) => void): Promise<void>;
  close(): Promise<void>;
}

async function setup(workflows: number, edit: (config: any) => void): Promise<Setup> {
  const server = serveSimulator(createSimulator({ seed: 11, quirks: RECOVERABLE_QUIRKS }));
  const cwd = await tempDir();
  const env = { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.url };
  const pressroom = (args: string[]) => runPressroom(cwd, args, env);
  const editConfig = async (change: (config: any) => void) => {
    const config = JSON.parse(await Deno.readTextFile(`${cwd}/pressroom.json`));
    change(config);
    await Deno.writeTextFile(`${cwd}/pressroom.json`, JSON.stringify(config, null, 2));
  };
  assertEquals((await pressroom(["init"])).code, 0);
  await editConfig((config) => {
    // The simulated model's random mistakes now and then take a stage past the default 16 turns, and its
    // Opus costs more per completion than the field report's: an editor's revisions can take a workflow
    // past the default $1. Room for both, unless a test sets its own.
    for (const agent of Object.values(config.agents) as any[]) {
      agent.maxTurns = 30;
      agent.maxConsecutiveFailures = 8;
    }
    config.caps.perWorkflowUsd = 5;
    edit(config);
  });
  for (let i = 1; i <= workflows; i++) {
    const submitted = await pressroom(["submit", `Topic ${i}: keeping bees on a city roof`]);
    assertEquals(submitted.code, 0, submitted.err);
  }
  return { cwd, env, pressroom, edit: editConfig, close: () => server.close() };
}

const allOpus = (config: any) => {
  for (const agent of Object.values(config.agents) as any[]) {
    agent.model = "claude-opus-4-7";
    agent.pool = 8;
  }
};

/** The JSON lines `run` prints when stdout is not a terminal. */
const events = (out: string) => out.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));

/**
 * Through the whole pipeline: published, or flagged by the simulated editor (which flags a few per
 * cent of drafts at random, and the order calls run in varies), never waiting or stuck.
 */
const DONE = ["published", "flagged"];
const done = (workflows: any[]) => workflows.filter((w) => DONE.includes(w.status)).length;

async function statusJson(s: Setup) {
  const status = await s.pressroom(["status", "--json"]);
  assertEquals(status.code, 0, status.err);
  return JSON.parse(status.out);
}

async function capsJson(s: Setup) {
  const caps = await s.pressroom(["caps", "--json"]);
  assertEquals(caps.code, 0, caps.err);
  return JSON.parse(caps.out);
}

/** run --once stopped by `cap`: the paused lines, the last line, and status and caps agree. */
async function stoppedBy(s: Setup, cap: string, limitUsd: number) {
  const first = await s.pressroom(["run", "--once"]);
  assertEquals(first.code, 0, first.err);
  const log = events(first.out);
  const paused = log.filter((e) => e.event === "paused");
  assert(paused.length > 0, "a paused line");
  assert(paused.every((e) => e.cap === cap), JSON.stringify(paused));
  const left = log.at(-1);
  assertEquals(left.event, "left");
  assert(left.published < 12, left.message);
  assertEquals(left.caps.map((c: any) => c.cap), [cap]);
  assertMatch(
    left.message,
    new RegExp(`^left: \\d+ waiting for cap ${cap.replace(/[[\]"*]/g, "\\$&")} until `),
  );

  const status = await statusJson(s);
  assertEquals(status.paused.map((p: any) => p.agent), paused.map((e) => e.agent));
  const caps = await capsJson(s);
  assertEquals(caps.paused, status.paused, "caps and status say the same");
  const limited = caps.caps.find((c: any) => c.cap === cap);
  assert(limited.spentUsd <= limitUsd, `spent $${limited.spentUsd} of a $${limitUsd} cap`);
  return { first: log, statusBefore: status };
}

Deno.test("a raised dailyUsd lifts the pause at the next run --once: all 12 done, the cap never passed", async () => {
  // $0.50: above any one call's worst case (the writer's, about $0.36 at its default max_tokens, 8192), so
  // that a workflow that reaches the writer waits for the cap like the others instead of being stuck.
  const s = await setup(12, (config) => {
    allOpus(config);
    config.caps.dailyUsd = 0.5;
  });
  try {
    await stoppedBy(s, "dailyUsd", 0.5);
    await s.edit((config) => config.caps.dailyUsd = 1000);
    // Before any run: status and caps already judge the waits against the raised cap.
    const status = await statusJson(s);
    assertEquals(status.paused, []);
    assertEquals(status.workflows.filter((w: any) => w.status === "waiting"), []);
    assertEquals((await capsJson(s)).paused, []);

    const second = await s.pressroom(["run", "--once"]);
    assertEquals(second.code, 0, second.err);
    const log = events(second.out);
    assertEquals(log.filter((e) => e.event === "paused"), []);
    // The run itself lifted the holds, at its first pass: status and caps only showed what it would do.
    const resumed = log.filter((e) => e.event === "resumed");
    assert(resumed.length > 0, "a resumed line");
    assertEquals(resumed[0].why, "cap dailyUsd no longer refuses the call under the caps in force");
    const after = await statusJson(s);
    assertEquals(done(after.workflows), 12, JSON.stringify(after.workflows.map((w: any) => w.status)));
    const flagged = after.workflows.length -
      after.workflows.filter((w: any) => w.status === "published").length;
    assertEquals(
      log.at(-1).message,
      `left: ${flagged ? `${flagged} flagged for review (see review/)` : "nothing to do"}; ${
        12 - flagged
      } published in all`,
    );
    const caps = await capsJson(s);
    assertEquals([caps.caps[0].reservedUsd, caps.paused], [0, []]);
  } finally {
    await s.close();
  }
});

Deno.test("a raised per-model cap lifts the pause when the service restarts; new submissions go on too", async () => {
  const s = await setup(12, (config) => {
    allOpus(config);
    // Above any one call's worst case, as for dailyUsd above.
    config.caps.perModelDailyUsd = { "claude-opus-*": 0.5 };
    config.run = { pollSeconds: 0.2 };
  });
  const cap = 'perModelDailyUsd["claude-opus-*"]';
  try {
    await stoppedBy(s, cap, 0.5);
    await s.edit((config) => config.caps.perModelDailyUsd = { "claude-opus-*": 50 });
    assertEquals((await s.pressroom(["submit", "Topic 13: after the raise"])).code, 0);
    // What systemd does after the edit: start `run` again; it works until stopped.
    const daemon = new Deno.Command(Deno.execPath(), {
      args: pressroomArgs(["run"]),
      cwd: s.cwd,
      env: s.env,
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let finished = 0;
    const deadline = Date.now() + 60_000;
    while (finished < 13 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      const status = await statusJson(s);
      finished = done(status.workflows);
      assertEquals(status.paused, [], "status shows no pause once the cap was raised");
    }
    daemon.kill("SIGTERM");
    const { code, stdout } = await daemon.output();
    assertEquals(code, 0);
    assertEquals(finished, 13, "all 12, and the new submission, went through");
    const log = events(new TextDecoder().decode(stdout));
    const resumed = log.filter((e) => e.event === "resumed");
    assert(resumed.length > 0 && resumed.every((e) => e.why.startsWith(`cap ${cap} no longer refuses`)));
    const caps = await capsJson(s);
    assertEquals([caps.caps.find((c: any) => c.cap === cap).reservedUsd, caps.paused], [0, []]);
  } finally {
    await s.close();
  }
});

Deno.test("a workflow stuck on perWorkflowUsd goes on after the cap is raised and retry is run", async () => {
  const s = await setup(1, (config) => config.caps.perWorkflowUsd = 0.15);
  try {
    const first = await s.pressroom(["run", "--once"]);
    assertEquals(first.code, 0, first.err);
    const [workflow] = (await statusJson(s)).workflows;
    assertEquals(workflow.status, "stuck");
    assertMatch(workflow.reason, /^cost cap perWorkflowUsd would be exceeded: .*; it does not reset$/);
    assert(workflow.costUsd > 0.01 && workflow.costUsd <= 0.15, `$${workflow.costUsd}`);
    assertEquals(events(first.out).at(-1).message, "left: 1 stuck (see review/); 0 published in all");

    // Not raised yet, the call that stopped it would be refused again at once: the retry is refused.
    const early = await s.pressroom(["retry", workflow.id]);
    assertEquals(early.code, 2);
    assertMatch(
      early.err,
      new RegExp(
        `^pressroom: retry: cap perWorkflowUsd would stop workflow ${workflow.id} again: its \\w+ call of up ` +
          "to \\$\\S+, with \\$\\S+ spent, is over \\$0\\.1500; raise caps.perWorkflowUsd \\(or lower " +
          "agents\\.\\w+\\.maxTokens\\) in \\S+pressroom\\.json first\\n$",
      ),
    );
    assertEquals((await statusJson(s)).workflows[0].status, "stuck");

    await s.edit((config) => config.caps.perWorkflowUsd = 5);
    assertEquals((await s.pressroom(["retry", workflow.id])).code, 0);
    const second = await s.pressroom(["run", "--once"]);
    assertEquals(second.code, 0, second.err);
    const after = (await statusJson(s)).workflows[0];
    assert(DONE.includes(after.status), `${after.status}: ${after.reason}`);
    assert(after.costUsd <= 5);
  } finally {
    await s.close();
  }
});

Deno.test("run --once claims again the workflows that only calls in flight held back, and says what is left", async () => {
  const s = await setup(8, (config) => {
    for (const agent of Object.values(config.agents) as any[]) agent.pool = 8;
    config.caps.dailyUsd = 1;
    config.run = { maxConcurrent: 16 };
  });
  try {
    const run = await s.pressroom(["run", "--once"]);
    assertEquals(run.code, 0, run.err);
    // Some calls were refused only because others were in flight: spent + this call fitted under the cap.
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(`${s.cwd}/pressroom-data/pressroom.db`, { readOnly: true });
    const inFlight = db.prepare(
      "SELECT COUNT(*) AS n FROM cap_refusal WHERE spent_nano_usd + request_nano_usd <= limit_nano_usd",
    ).get() as { n: number };
    db.close();
    assert(inFlight.n > 0, "the run met refusals caused by calls in flight");

    const status = await statusJson(s);
    const stale = status.workflows.filter((w: any) => /calls in flight/.test(w.reason ?? ""));
    assertEquals(stale, [], "no workflow is left waiting for calls that are no longer in flight");
    const caps = await capsJson(s);
    assertEquals(caps.caps[0].reservedUsd, 0);
    assert(caps.caps[0].spentUsd <= 1);
    const log = events(run.out);
    const left = log.at(-1);
    assertEquals(left.event, "left");
    // Eight workflows cost several dollars: $1 runs out, and what still waits, waits for the reset.
    const waiting = status.workflows.filter((w: any) => w.status === "waiting").length;
    assert(waiting > 0, "the cap ran out before every workflow was done");
    assertEquals([left.waiting, left.inFlight, left.published], [
      waiting,
      0,
      status.workflows.filter((w: any) => w.status === "published").length,
    ]);
    assertEquals(left.caps.map((c: any) => c.cap), ["dailyUsd"]);
    assert(log.some((e) => e.event === "paused" && e.cap === "dailyUsd"));
  } finally {
    await s.close();
  }
});
