/**
 * The scheduler with a fake clock: cron wakes, handoffs, pools, the global
 * limit, leases between two processes' worth of schedulers, and cap pauses.
 */
// deno-lint-ignore-file no-explicit-any
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { createClient } from "../../src/claude/client.ts";
import { ApiUnreachableError } from "../../src/errors.ts";
import { openStorage, rawDb, TEST_KEY } from "../helpers.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import { WorkflowStore } from "../../src/pipeline/store.ts";
import { runScheduler, type SchedulerEvent } from "../../src/scheduler/scheduler.ts";
import { pausesOf } from "../../src/pipeline/cap_holds.ts";
import { startHarness } from "../e2e/harness.ts";
import { fixedId } from "../sim_pipeline.ts";

const promote = (agent: string) =>
  agent === "editor" ? { calls: [{ name: "promote_to_published", input: {} }] } : undefined;

/**
 * The editor promotes and the publisher sets valid metadata: for tests of the caps over days, whose
 * subject is not the simulated model's tool mistakes (the other agents still make them).
 */
const promoteAndPublish = (agent: string) =>
  agent === "publisher"
    ? {
      calls: [{
        name: "set_metadata",
        input: { slug: "capped", description: "An article over days.", tags: ["caps"] },
      }],
    }
    : promote(agent);

/** A clock that jumps ahead whenever the scheduler sleeps and nothing wakes it within a few real ms. */
function fakeTime(start: number) {
  let now = start;
  return {
    now: () => now,
    set: (t: number) => now = t,
    sleep: (ms: number, wake: AbortSignal) =>
      new Promise<void>((resolve) => {
        if (wake.aborted) return resolve();
        // Asleep until woken (a stage ends): no time passes on its own.
        const timer = Number.isFinite(ms)
          ? setTimeout(() => {
            wake.removeEventListener("abort", woken);
            now += ms;
            resolve();
          }, 3)
          : undefined;
        function woken() {
          clearTimeout(timer);
          resolve();
        }
        wake.addEventListener("abort", woken, { once: true });
      }),
  };
}

Deno.test("an agent wakes on its cron expression; a handoff wakes the next agent at once", async () => {
  const clock = fakeTime(Date.parse("2026-11-24T08:00:00Z"));
  // When the planner's first request arrives: the fake clock moves while a stage works (a busy machine
  // moves it further), so the planner's own stage must not count toward its wait.
  let plannerAsked: number | undefined;
  const h = await startHarness({
    script: (agent) => {
      if (agent === "planner") plannerAsked ??= clock.now();
      return promote(agent);
    },
    now: clock.now,
    config: { agents: { intake: { schedule: "0 9 * * *" } } },
  });
  const stopping = new AbortController();
  const events: (SchedulerEvent & { at: number })[] = [];
  let passes = 0;
  let id = "";
  try {
    await runScheduler({
      deps: h.deps,
      once: false,
      stopping: stopping.signal,
      sleep: clock.sleep,
      beforePass: () => {
        // After the first pass every agent sleeps; then a request comes in.
        if (++passes === 2) id = h.deps.store.create({ topic: "Cron wakes" }, DEFAULT_MODELS).id;
        if (id && h.deps.store.get(id).status === "published") stopping.abort();
        return Promise.resolve();
      },
      onEvent: (e) => events.push({ ...e, at: clock.now() }),
    });
    const intake = events.find((e) => e.agent === "intake")!;
    assert(
      intake.at >= Date.parse("2026-11-24T09:00:00Z"),
      `intake ran at ${new Date(intake.at).toISOString()}`,
    );
    assert(plannerAsked !== undefined, "the planner was asked");
    assert(
      plannerAsked - intake.at < 60_000,
      "the planner took the handoff without waiting for its next minute",
    );
    assertEquals(h.deps.store.get(id).status, "published");
  } finally {
    await h.close();
  }
});

/** The most intervals that overlap at any moment. */
function mostAtOnce(intervals: [number, number][]): number {
  // At equal times a start sorts before an end, so a stage of one request still counts.
  const edges = intervals.flatMap(([a, b]) => [[a, 1], [b, -1]] as [number, number][]).sort((x, y) =>
    x[0] - y[0] || y[1] - x[1]
  );
  let open = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, open += d);
  return most;
}

Deno.test("pools and the global limit bound how many stages run at once", async () => {
  // When each agent's first and last request for each workflow arrived: within the span of that stage.
  // (No padding: the next stage of a pool of one may send its first request a millisecond later.)
  const spans = new Map<string, [number, number]>();
  const h = await startHarness({
    script: (agent, request) => {
      const key = `${agent} ${request.headers.get("x-pressroom-workflow")}`;
      const t = performance.now();
      spans.set(key, [spans.get(key)?.[0] ?? t, t]);
      return promote(agent);
    },
    config: { agents: { writer: { pool: 1 }, intake: { pool: 3 } }, run: { maxConcurrent: 4 } },
  });
  try {
    for (let i = 0; i < 6; i++) h.deps.store.create({ topic: `Pool ${i}` }, DEFAULT_MODELS);
    await h.run();
    const unpublished = h.deps.store.list().filter((w) => w.status !== "published");
    assertEquals(unpublished.map((w) => `${w.stage} ${w.status}: ${w.reason}`), []);
    const of = (agent: string) => [...spans].filter(([k]) => k.startsWith(`${agent} `)).map(([, v]) => v);
    assertEquals(mostAtOnce(of("writer")), 1, "writer pool 1");
    const intake = mostAtOnce(of("intake"));
    assert(intake > 1 && intake <= 3, `intake ran ${intake} at once`);
    const all = mostAtOnce([...spans.values()]);
    assert(all <= 4, `${all} stages at once`);
  } finally {
    await h.close();
  }
});

Deno.test("two schedulers on one data folder never work the same stage, and publish each article once", async () => {
  const h = await startHarness({ script: promote });
  const other = openStorage({ dataDir: h.dir, caps: h.deps.config.caps }).ledger;
  try {
    for (let i = 0; i < 4; i++) h.deps.store.create({ topic: `Shared ${i}` }, DEFAULT_MODELS);
    const second = { ...h.deps, ledger: other, store: new WorkflowStore(rawDb(other)) };
    const mine: SchedulerEvent[] = [];
    const theirs: SchedulerEvent[] = [];
    const once = (deps: typeof h.deps, into: SchedulerEvent[]) =>
      runScheduler({
        deps,
        once: true,
        stopping: new AbortController().signal,
        sleep: (ms) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 5))),
        onEvent: (e) => into.push(e),
      });
    await Promise.all([once(h.deps, mine), once(second, theirs)]);
    // Anything left ready (a stage the other one held when this one looked) is drained by one more pass.
    await h.run();
    const stageDone = rawDb(h.deps.ledger).prepare(
      "SELECT workflow_instance_id AS w, stage, COUNT(*) AS n FROM workflow_event WHERE kind = 'stage_done' GROUP BY w, stage",
    ).all() as any[];
    for (const s of stageDone) assertEquals(s.n, 1, `${s.w} ${s.stage} ran ${s.n} times`);
    assertEquals(h.deps.store.list().map((w) => w.status), [
      "published",
      "published",
      "published",
      "published",
    ]);
    assertEquals([...Deno.readDirSync(`${h.dir}/published`)].length, 4);
    assert(mine.length > 0 && theirs.length > 0, `both worked: ${mine.length} and ${theirs.length} stages`);
  } finally {
    other.close();
    await h.close();
  }
});

Deno.test("an agent a cap refused pauses, says so, and takes work again after the reset", async () => {
  const clock = fakeTime(Date.parse("2026-11-24T22:00:00Z"));
  const h = await startHarness({
    script: promoteAndPublish,
    now: clock.now,
    // Every day's calls must move the stage on: no long turns (whose retries at a higher max_tokens take
    // most of a day's cap; live_replies_test covers them); the writer's default max_tokens (8192) fits the
    // simulated Opus writer's sections. A writer turn reserves about $0.33: after the earlier stages (about
    // $0.07) it does not fit under the $0.35 cap, and alone, the next day, it does, however many turns the
    // writer takes.
    sim: { quirks: { rates: { long_turn: 0, refusal: 0, context_window_exceeded: 0 } } },
    config: { caps: { dailyUsd: 0.35, perModelDailyUsd: {}, perWorkflowUsd: 5 } },
  });
  try {
    // A fixed id: the simulator seeds each request from its workflow's id, and where the cap falls depends
    // on what each turn costs.
    const wf = h.deps.store.create({ topic: "Pauses" }, DEFAULT_MODELS, { id: fixedId(0) });
    await h.run();
    const pauses = pausesOf(h.deps.store.holds(h.deps.backend));
    assertEquals(pauses.length, 1);
    assertEquals([pauses[0].cap, pauses[0].until], ["dailyUsd", Date.parse("2026-11-25T00:00:00Z")]);
    assertEquals(h.deps.store.get(wf.id).status, "waiting");
    for (let day = 25; day <= 45 && h.deps.store.get(wf.id).status !== "published"; day++) {
      clock.set(Date.parse("2026-11-25T00:00:01Z") + (day - 25) * 86_400_000);
      await h.run();
    }
    assertEquals(h.deps.store.get(wf.id).status, "published", h.deps.store.get(wf.id).reason ?? "");
    assertEquals(pausesOf(h.deps.store.holds(h.deps.backend)), []);
  } finally {
    await h.close();
  }
});

Deno.test("run --once waits for a retry after an API error due within run.onceWaitSeconds, and not past it", async () => {
  for (const [onceWaitSeconds, expected] of [[120, "published"], [30, "waiting"]] as const) {
    const clock = fakeTime(Date.parse("2026-11-24T08:00:00Z"));
    let failures = 0;
    const h = await startHarness({
      script: promote,
      now: clock.now,
      sleep: clock.sleep,
      config: { run: { onceWaitSeconds } },
      // The writer's first call fails on every attempt the SDK makes (three): the workflow waits a minute.
      sim: {
        faults: {
          script: (_i, agent) =>
            agent === "writer" && failures++ < 3 ? { kind: "server_error", retryAfterMs: 1 } : undefined,
        },
      },
    });
    try {
      const wf = h.deps.store.create({ topic: "Retries" }, DEFAULT_MODELS);
      const started = clock.now();
      await h.run();
      const after = h.deps.store.get(wf.id);
      assertEquals(after.status, expected, after.reason ?? "");
      if (expected === "published") assert(clock.now() - started >= 60_000, "it waited out the minute");
      else assert(clock.now() - started < 60_000, "it did not wait past its horizon");
    } finally {
      await h.close();
    }
  }
});

Deno.test("a per-model cap pauses an agent on that model only: its workflows on another model go on", async () => {
  const h = await startHarness({
    script: promote,
    // Under $0.35 on Opus: the writer's call (up to ~$0.32 reserved at its default max_tokens, 8192) fits
    // the cap alone, but not after the earlier stages' spend (~$0.07).
    config: { caps: { dailyUsd: 50, perModelDailyUsd: { "claude-opus-*": 0.35 }, perWorkflowUsd: 5 } },
  });
  const all = (model: string) =>
    Object.fromEntries(Object.keys(DEFAULT_MODELS).map((a) => [a, model])) as typeof DEFAULT_MODELS;
  try {
    // Fixed ids: the simulator seeds each request from its workflow's id, and where the cap falls depends on
    // what each turn costs.
    const opus = h.deps.store.create({ topic: "On Opus" }, all("claude-opus-4-7"), { id: fixedId(0) });
    await h.run();
    // Some agent of the Opus workflow (which one depends on the simulated spend) is paused on Opus.
    const [pause, ...more] = pausesOf(h.deps.store.holds(h.deps.backend));
    assertEquals([pause?.model, more], ["claude-opus-4-7", []]);
    const sonnet = h.deps.store.create({ topic: "On Sonnet" }, all("claude-sonnet-4-6"), { id: fixedId(1) });
    await h.run();
    // Through the paused agent too, on Sonnet.
    assert(["published", "flagged"].includes(h.deps.store.get(sonnet.id).status));
    assertEquals([h.deps.store.get(opus.id).status, h.deps.store.get(opus.id).stage], [
      "waiting",
      pause.agent,
    ]);
  } finally {
    await h.close();
  }
});

Deno.test("an API that cannot be reached: run backs off (10 s, then 20 s) claiming nothing, then goes on; --once stops", async () => {
  const clock = fakeTime(Date.parse("2026-11-24T08:00:00Z"));
  const h = await startHarness({ script: promote, now: clock.now, sleep: clock.sleep });
  const reachable = h.deps.client;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closed = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  listener.close();
  h.deps.client = createClient({ apiKey: TEST_KEY, baseURL: closed, maxRetries: 0 });
  const stopping = new AbortController();
  const backoffs: { at: number; until: number; message: string }[] = [];
  try {
    const wf = h.deps.store.create({ topic: "Outage" }, DEFAULT_MODELS);
    await runScheduler({
      deps: h.deps,
      once: false,
      stopping: stopping.signal,
      sleep: clock.sleep,
      onUnreachable: (error, until) => {
        backoffs.push({ at: clock.now(), until, message: error.message });
        // The API comes back during the second back-off.
        if (backoffs.length === 2) h.deps.client = reachable;
      },
      beforePass: () => {
        if (h.deps.store.get(wf.id).status === "published") stopping.abort();
        return Promise.resolve();
      },
    });
    assertEquals(backoffs.map((b) => b.until - b.at), [10_000, 20_000]);
    assertEquals(
      backoffs[0].message,
      `cannot reach the API at ${closed} (connection refused): nothing was sent, and the work stays where it was`,
    );
    // One call per back-off (none claimed while it lasts), each booked at $0; never stuck nor waiting.
    const failed = rawDb(h.deps.ledger).prepare(
      "SELECT COUNT(*) AS n, SUM(cost_nano_usd) AS nano FROM ai_call_log WHERE status = 'api_error'",
    ).get() as { n: number; nano: number };
    assertEquals([failed.n, failed.nano], [2, 0]);
    assertEquals(h.deps.store.get(wf.id).status, "published");
    assertEquals(h.deps.store.events(wf.id).filter((e) => e.kind === "stuck" || e.kind === "waiting"), []);
    assertEquals(h.deps.ledger.openReservations(), 0);

    // --once: the first call that reaches nothing ends the drain with the error; the workflow stays ready.
    h.deps.client = createClient({ apiKey: TEST_KEY, baseURL: closed, maxRetries: 0 });
    const next = h.deps.store.create({ topic: "Outage again" }, DEFAULT_MODELS);
    const error = await assertRejects(() => h.run(), ApiUnreachableError);
    assertEquals(error.baseUrl, closed);
    assertEquals([h.deps.store.get(next.id).status, h.deps.store.get(next.id).stage], ["ready", "intake"]);
    assertEquals(h.deps.ledger.openReservations(), 0);
  } finally {
    h.deps.client = reachable;
    await h.close();
  }
});
