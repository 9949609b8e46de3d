/**
 * Caps mid-workflow, model pinning across a config change, and hostile model
 * output, end to end.
 */
// deno-lint-ignore-file no-explicit-any
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { type AgentId, configSchema, DEFAULT_MODELS } from "../../src/config/schema.ts";
import { parseFrontMatter } from "../../src/output/front_matter.ts";
import { type Script, startHarness, toolCalls } from "./harness.ts";
import { rawDb } from "../helpers.ts";
import { fixedId } from "../sim_pipeline.ts";

const promote: Script = (agent) =>
  agent === "editor" ? { calls: [{ name: "promote_to_published", input: {} }] } : undefined;

/**
 * The editor promotes and the publisher sets valid metadata: for tests of the caps over days, whose
 * subject is not the simulated model's tool mistakes (the other agents still make them).
 */
const promoteAndPublish: Script = (agent, request, n) =>
  agent === "publisher"
    ? {
      calls: [{
        name: "set_metadata",
        input: { slug: "capped", description: "An article over days.", tags: ["caps"] },
      }],
    }
    : promote(agent, request, n);

Deno.test("a daily cap hit mid-workflow: the workflow waits with its state, and goes on after the reset", async () => {
  let now = Date.parse("2026-11-24T10:00:00Z");
  const h = await startHarness({
    script: promoteAndPublish,
    now: () => now,
    // Turns small enough for every day's cap to leave room for progress: no long turns, whose retries at a
    // higher max_tokens take most of a day's cap (live_replies_test.ts covers them); the writer's default
    // max_tokens (8192) fits the simulated Opus writer's sections, so that none is cut and retried. A writer
    // turn reserves about $0.33: after the earlier stages (about $0.07) it does not fit under the $0.35 cap,
    // and alone, the next day, it does, however many turns the writer takes.
    sim: { quirks: { rates: { long_turn: 0, refusal: 0, context_window_exceeded: 0 } } },
    config: { caps: { dailyUsd: 0.35, perModelDailyUsd: {}, perWorkflowUsd: 5 } },
  });
  try {
    // A fixed id: the simulator seeds each request from its workflow's id, and where the cap falls depends
    // on what each turn costs.
    const wf = h.deps.store.create({ topic: "Beekeeping in cities" }, DEFAULT_MODELS, { id: fixedId(0) });
    const first = await h.run();
    const waiting = h.deps.store.get(wf.id);
    assertEquals(waiting.status, "waiting");
    assertMatch(waiting.reason!, /^waiting for cap dailyUsd to reset at 2026-11-25T00:00:00.000Z/);
    assertEquals(waiting.waitUntil, Date.parse("2026-11-25T00:00:00Z"));
    assert(first.some((e) => e.result.kind === "waiting"));
    const spent =
      (rawDb(h.deps.ledger).prepare("SELECT SUM(cost_nano_usd) AS n FROM ai_call_log").get() as any).n;
    assert(spent <= 350_000_000, `recorded ${spent} nano over the cap`);
    assert(Object.keys(waiting.state.brief).length === 8, "the work done before the cap is kept");
    const refusals = rawDb(h.deps.ledger).prepare("SELECT COUNT(*) AS n FROM cap_refusal").get() as any;
    assertEquals(refusals.n, 1);

    // Nothing is ready until the cap resets; then it goes on, a day's cap at a time.
    assertEquals((await h.run()).length, 0);
    for (let day = 25; day < 45 && h.deps.store.get(wf.id).status === "waiting"; day++) {
      now = Date.parse("2026-11-25T00:00:01Z") + (day - 25) * 86_400_000;
      await h.run();
    }
    const end = h.deps.store.get(wf.id);
    assertEquals(
      end.status,
      "published",
      `${end.reason} until ${end.waitUntil && new Date(end.waitUntil).toISOString()} now ${
        new Date(now).toISOString()
      }`,
    );
    const perDay = rawDb(h.deps.ledger).prepare(
      "SELECT DATE(ts/1000,'unixepoch') AS day, SUM(cost_nano_usd) AS n FROM ai_call_log GROUP BY day",
    ).all() as any[];
    assert(perDay.length >= 2, "the work spanned days");
    for (const d of perDay) assert(d.n <= 350_000_000, `${d.day}: ${d.n} nano over the daily cap`);
  } finally {
    await h.close();
  }
});

/** An intake that only ever reads, under a $0.15 daily cap: every day's cap runs out with nothing to show. */
function readingIntake(now: () => number) {
  return startHarness({
    script: (agent) => agent === "intake" ? { calls: [{ name: "get_brief", input: {} }] } : undefined,
    now,
    config: {
      caps: { dailyUsd: 0.15, perModelDailyUsd: {}, perWorkflowUsd: 5 },
      agents: { intake: { maxTurns: 60 } },
    },
  });
}

Deno.test("a workflow a whole cap period moves no further is stuck, not left waiting forever", async () => {
  let now = Date.parse("2026-11-24T10:00:00Z");
  const h = await readingIntake(() => now);
  try {
    const wf = h.deps.store.create({ topic: "Stalls" }, DEFAULT_MODELS);
    await h.run();
    assertEquals(h.deps.store.get(wf.id).status, "waiting");
    now = Date.parse("2026-11-25T00:00:01Z");
    await h.run();
    const end = h.deps.store.get(wf.id);
    assertEquals(end.status, "stuck");
    assertEquals(
      end.reason,
      "intake: a whole period of cap dailyUsd brought no progress; raise dailyUsd or lower maxTokens",
    );
  } finally {
    await h.close();
  }
});

Deno.test("a cap raised too little refuses again the same day: the workflow waits again, it is no stall", async () => {
  const h = await readingIntake(() => Date.parse("2026-11-24T10:00:00Z"));
  try {
    const wf = h.deps.store.create({ topic: "Raised a little" }, DEFAULT_MODELS);
    await h.run();
    assertEquals(h.deps.store.get(wf.id).status, "waiting");
    const spent = h.deps.ledger.capStatus({ backend: "sim" })[0].spentNano;
    // The cap raised by a little, the same day: the hold lifts, the stage goes on, and is refused again.
    h.deps.ledger.setCaps({ ...h.deps.config.caps, dailyUsd: 0.3 });
    await h.run();
    const again = h.deps.store.get(wf.id);
    assertEquals([again.status, again.reason], [
      "waiting",
      "waiting for cap dailyUsd to reset at 2026-11-25T00:00:00.000Z",
    ]);
    assert(h.deps.ledger.capStatus({ backend: "sim" })[0].spentNano > spent, "it went on after the raise");
  } finally {
    await h.close();
  }
});

Deno.test("the per-workflow cap stops a workflow for good: stuck, in the review queue", async () => {
  const h = await startHarness({ script: promote, config: { caps: { perWorkflowUsd: 0.3 } } });
  try {
    const wf = h.deps.store.create({ topic: "Night sky photography" }, DEFAULT_MODELS);
    await h.run();
    const stuck = h.deps.store.get(wf.id);
    assertEquals(stuck.status, "stuck");
    assertMatch(stuck.reason!, /perWorkflowUsd would be exceeded/);
    assert(Deno.statSync(`${h.dir}/review/${wf.id}.md`).isFile);
  } finally {
    await h.close();
  }
});

Deno.test("models are pinned when a workflow is created: a config change reaches new workflows only", async () => {
  const h = await startHarness({ script: promote });
  try {
    const before = h.deps.store.create({ topic: "Old assignment" }, DEFAULT_MODELS);
    const swapped: Record<AgentId, string> = { ...DEFAULT_MODELS, writer: "claude-sonnet-4-6" };
    h.deps.config = configSchema.parse({ agents: { writer: { model: "claude-sonnet-4-6" } } });
    const after = h.deps.store.create({ topic: "New assignment" }, swapped);
    await h.run();
    const writerModels = (id: string) =>
      new Set((rawDb(h.deps.ledger).prepare(
        "SELECT DISTINCT model FROM ai_call_log WHERE workflow_instance_id = ? AND agent_id = 'writer'",
      ).all(id) as any[]).map((r) => r.model));
    assertEquals(writerModels(before.id), new Set(["claude-opus-4-7"]));
    assertEquals(writerModels(after.id), new Set(["claude-sonnet-4-6"]));
    assertEquals(h.deps.store.get(before.id).status, "published");
  } finally {
    await h.close();
  }
});

Deno.test("hostile model output stays harmless: traversal slugs, paths as citations, a 1 MB section, front matter injection", async () => {
  const injected = 'Lights "on"\n---\nslug: evil\ntitle: pwned';
  const script: Script = (agent, request) => {
    const turns = request.body.messages.length;
    if (agent === "planner" && turns === 1) {
      return {
        calls: [{
          name: "create_draft",
          input: {
            title: "x",
            sections: [{ heading: "A", goal: "a goal" }, { heading: "B", goal: "b goal" }, {
              heading: "C",
              goal: "c goal",
            }],
          },
        }],
      };
    }
    if (agent === "researcher" && turns === 1) {
      return {
        calls: [
          { name: "add_citation", input: { section_id: "s1", url: "file:///etc/passwd", title: "passwd" } },
          { name: "add_citation", input: { section_id: "s1", url: "../../etc/passwd", title: "passwd" } },
        ],
      };
    }
    if (agent === "writer" && turns === 1) {
      return {
        calls: [{ name: "update_section", input: { section_id: "s1", markdown: "A".repeat(1_048_576) } }],
      };
    }
    if (agent === "editor") return { calls: [{ name: "promote_to_published", input: {} }] };
    if (agent === "publisher" && turns === 1) {
      return { calls: [{ name: "set_metadata", input: { slug: "../../x", description: "d", tags: ["t"] } }] };
    }
    if (agent === "publisher" && turns === 3) {
      return {
        calls: [{
          name: "set_metadata",
          input: { slug: "lights", description: "---\ninjected: true", tags: ["a: b"] },
        }],
      };
    }
    return undefined;
  };
  const h = await startHarness({ script });
  const parent = h.dir.slice(0, h.dir.lastIndexOf("/"));
  const siblingsBefore = new Set([...Deno.readDirSync(parent)].map((e) => e.name));
  try {
    const wf = h.deps.store.create({ topic: injected }, DEFAULT_MODELS);
    // The planner's draft title is harmless here; the injection rides in on the brief title via the topic.
    await h.run();
    const done = h.deps.store.get(wf.id);
    assertEquals(done.status, "published", done.reason ?? "");
    const outcomes = toolCalls(h.deps, wf.id).filter(([, , o]) => o !== "ok").map(([a, t, o]) =>
      `${a}:${t}:${o}`
    );
    assert(outcomes.includes("researcher:add_citation:malformed_args"));
    assert(outcomes.includes("writer:update_section:malformed_args"));
    assert(outcomes.includes("publisher:set_metadata:malformed_args"));
    for (const s of done.state.draft!.sections) {
      assert(s.citations.every((c) => /^https?:\/\//.test(c.url)), "only http(s) citations were kept");
      assert(s.markdown.length <= 20_000);
    }
    assertEquals(done.publishedPath, `${h.dir}/published/lights.md`);
    const front = parseFrontMatter(await Deno.readTextFile(done.publishedPath!));
    assertEquals(front.description, "---\ninjected: true");
    assertEquals(front.tags, ["a: b"]);
    assertEquals("injected" in front || "slug" in front, false, "no field was injected");
    const siblingsAfter = [...Deno.readDirSync(parent)].map((e) => e.name).filter((n) =>
      !siblingsBefore.has(n)
    );
    assertEquals(
      siblingsAfter.filter((n) => n === "x" || n === "x.md" || n === "etc"),
      [],
      "nothing written outside",
    );
  } finally {
    await h.close();
  }
});
