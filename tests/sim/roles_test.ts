/**
 * The six roles, driven to their done state by a tiny agent loop that applies
 * calls with the real tool handlers, through the real SDK and the simulator's
 * fetch; and, called directly with a perfect profile over awkward requests,
 * a correct call never fails by accident.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { AGENT_IDS, type AgentId } from "../../src/config/schema.ts";
import { emptyState, type WorkflowRequest } from "../../src/content/state.ts";
import { schemaOf } from "../../src/pipeline/tools.ts";
import { createSimulator } from "../../src/sim/simulator.ts";
import { type ModelProfile, PROFILES } from "../../src/sim/profiles.ts";
import { draftWords, playRole } from "../../src/sim/roles.ts";
import { readConversation } from "../../src/sim/conversation.ts";
import { createRng } from "../../src/sim/rng.ts";
import { loadPrompts, renderVolatile } from "../../src/pipeline/prompts.ts";
import {
  addOutcomes,
  ALL_SONNET,
  driveDirect,
  missingFor,
  type Models,
  type Outcome,
  REQUEST,
  runPipeline,
  runStage,
  simClient,
  stateFor,
} from "./harness.ts";

const PERFECT: ModelProfile = {
  ...PROFILES.sonnet,
  failures: { wrong_tool: 0, malformed: 0, logic: 0 },
  textOnlyRate: 0,
};

for (const agent of AGENT_IDS) {
  Deno.test(`roles: the ${agent} reaches its done state through the SDK, with real handlers`, async () => {
    for (const model of ["claude-sonnet-4-6", "claude-opus-4-7", "claude-haiku-4-5"]) {
      const state = stateFor(agent);
      const sim = createSimulator({ seed: 11 });
      const result = await runStage(simClient(sim), { agent, model, state, maxTurns: 40 });
      assert(result.done, `${agent} on ${model} did not finish: ${missingFor(agent, state)}`);
      assertEquals(missingFor(agent, state), undefined);
      // It starts by reading the state.
      const first = result.messages[0].content.filter((b) => b.type === "tool_use").map((b) => b.name);
      assertEquals(
        first,
        agent === "intake" || agent === "publisher" ? ["get_brief"] : ["get_brief", "get_draft"],
      );
      // And ends with text, by end_turn.
      assertEquals(result.messages.at(-1)!.stop_reason, "end_turn");
      assert(result.messages.at(-1)!.content.every((b) => b.type === "text"));
    }
  });
}

Deno.test("roles: intake fills all eight brief fields from the request, one per turn", async () => {
  const state = emptyState(REQUEST);
  const result = await runStage(simClient(createSimulator({ seed: 5 })), {
    agent: "intake",
    model: "claude-opus-4-7",
    state,
  });
  assert(result.done);
  assertEquals(state.brief.audience, "renters with no garden");
  assertEquals(state.brief.key_points?.split("\n"), [
    "Worm bins work indoors",
    "Bokashi handles cooked scraps",
    "Smell is a solved problem",
  ]);
  assertEquals(state.brief.target_words, "900");
  assertMatch(state.brief.sources ?? "", /https:\/\/www\.epa\.gov\/recycle\/composting-home/);
  for (const m of result.messages) assert(m.content.filter((b) => b.type === "tool_use").length <= 2);
});

Deno.test("roles: planner and researcher use the brief: sections from key points, citations from the notes' URLs", async () => {
  const client = simClient(createSimulator({ seed: 2 }));
  const state = stateFor("planner");
  assert((await runStage(client, { agent: "planner", model: "claude-opus-4-7", state })).done);
  const sections = state.draft!.sections;
  assert(sections.length >= 3 && sections.length <= 6, `${sections.length} sections`);
  assertEquals(sections[0].heading, "Worm bins work indoors");
  assertEquals(state.draft!.title, "Home Composting for Apartment Dwellers");
  assert((await runStage(client, { agent: "researcher", model: "claude-opus-4-7", state })).done);
  const urls = sections.flatMap((s) => s.citations.map((c) => c.url));
  assert(urls.length > 0, "some citations");
  for (const url of urls) {
    assert(
      ["https://www.epa.gov/recycle/composting-home", "https://extension.example.edu/vermicomposting"]
        .includes(url),
      url,
    );
  }
});

Deno.test("roles: the writer writes about target_words, answers open revisions; Opus writes longer", async () => {
  for (
    const [model, low, high] of [["claude-sonnet-4-6", 0.8, 1.3], ["claude-opus-4-7", 1.1, 1.6]] as const
  ) {
    const state = stateFor("writer");
    assert((await runStage(simClient(createSimulator({ seed: 4 })), { agent: "writer", model, state })).done);
    const words = draftWords(state);
    assert(words >= 900 * low && words <= 900 * high, `${model}: ${words} words for a 900-word brief`);
  }
  const state = stateFor("publisher");
  state.draft!.sections[1].revision = "Add one concrete example.";
  const before = state.draft!.sections.map((s) => s.markdown);
  const result = await runStage(simClient(createSimulator({ seed: 4 })), {
    agent: "writer",
    model: "claude-sonnet-4-6",
    state,
  });
  assert(result.done);
  assertEquals(state.draft!.sections[1].revision, undefined);
  assertMatch(state.draft!.sections[1].markdown, /editor's note: Add one concrete example/);
  assertEquals(state.draft!.sections.map((s, i) => (i === 1 ? before[i] : s.markdown)), before);
});

Deno.test("roles: the editor decides once per stage; never asks for a third round", async () => {
  const decisions: Record<string, number> = {};
  for (let seed = 1; seed <= 120; seed++) {
    const state = stateFor("editor");
    state.revisionRounds = seed % 3;
    const result = await runStage(simClient(createSimulator({ seed })), {
      agent: "editor",
      model: "claude-sonnet-4-6",
      state,
    });
    assert(result.done);
    assertEquals(result.outcomes.ok, 1, "exactly one successful decision");
    const kind = state.decision!.kind;
    decisions[kind] = (decisions[kind] ?? 0) + 1;
    if (state.revisionRounds >= 2) assert(kind !== "revisions");
  }
  assert((decisions.promoted ?? 0) > 100, JSON.stringify(decisions));
  assert((decisions.revisions ?? 0) >= 1, JSON.stringify(decisions));
});

Deno.test("roles: the publisher derives valid metadata from the brief", async () => {
  const state = stateFor("publisher");
  assert(
    (await runStage(simClient(createSimulator({ seed: 8 })), {
      agent: "publisher",
      model: "claude-sonnet-4-6",
      state,
    })).done,
  );
  assertEquals(state.metadata!.slug, "home-composting-for-apartment-dwellers");
  assertEquals(state.metadata!.tags, ["composting", "apartment", "worm bin", "bokashi"]);
  assert(schemaOf("set_metadata").safeParse(state.metadata).success);
});

Deno.test("roles: whole workflows through the SDK publish (or are flagged) on every profile, with nudges handled", async () => {
  const totals: Record<Outcome, number> = { ok: 0, wrong_tool: 0, malformed: 0, logic: 0 };
  let nudges = 0;
  const ends: Record<string, number> = {};
  for (const model of ["claude-sonnet-4-6", "claude-opus-4-7", "claude-haiku-4-5"]) {
    const models = Object.fromEntries(AGENT_IDS.map((a) => [a, model])) as Models;
    for (let seed = 1; seed <= 6; seed++) {
      const sim = createSimulator({ seed });
      const result = await runPipeline(
        simClient(sim),
        { topic: `Topic ${seed}: city cycling`, notes: "" },
        models,
        `wf-${seed}`,
      );
      ends[result.end] = (ends[result.end] ?? 0) + 1;
      // Only a refusal or a full context window (the live API's rare stops) may end a workflow early.
      assert(
        result.end !== "stuck" || result.stages.at(-1)!.result.stopped,
        `${model} seed ${seed} got stuck`,
      );
      for (const s of result.stages) {
        addOutcomes(totals, s.result.outcomes);
        nudges += s.result.nudges;
      }
      if (result.end === "published") {
        assert(schemaOf("set_metadata").safeParse(result.state.metadata).success);
      }
    }
  }
  console.log(
    `  18 workflows: ${JSON.stringify(ends)}; mutation calls ${JSON.stringify(totals)}; nudges ${nudges}`,
  );
  assert(nudges > 0, "some turns ended early and were nudged back to work");
  assert(totals.wrong_tool > 0 && totals.malformed > 0 && totals.logic > 0, "every failure kind happened");
});

Deno.test("roles: default models (Opus for four agents, Sonnet for editor and publisher) run a workflow", async () => {
  const models: Models = { ...ALL_SONNET, intake: "claude-opus-4-7", planner: "claude-opus-4-7" };
  models.researcher = models.writer = "claude-opus-4-7";
  const result = await runPipeline(simClient(createSimulator({ seed: 99 })), REQUEST, models, "wf-default", {
    webSearchMaxUses: 3,
  });
  assert(result.end !== "stuck");
  const researcher = result.stages.find((s) => s.agent === "researcher")!.result;
  const searches = researcher.messages.reduce(
    (n, m) => n + (m.usage.server_tool_use?.web_search_requests ?? 0),
    0,
  );
  assert(searches > 0, "the researcher searched the web when offered");
});

const AWKWARD: WorkflowRequest[] = [
  { topic: "AI" },
  { topic: "  " },
  { topic: "Über die Kunst des Kaffeeröstens — ein Leitfaden für Anfänger" },
  { topic: "深度学习入门" },
  { topic: "x".repeat(400), notes: "y".repeat(3000) },
  { topic: "Tabs\tand\u0001control\u0007chars", notes: "- a\n- bb\n- one real point\n- another real point" },
  { topic: "Budgeting", notes: "Tone: dry; 99999 words; sources ftp://nope.example and http://localhost/x" },
  {
    topic: "Sourdough",
    sources: [{ name: "notes.md", text: "See https://example.com/a, https://example.com/b." }],
  },
  { topic: "Keywords, commas, and, more, commas, everywhere, in, this, very, long, comma, topic, list" },
];

Deno.test("roles: with a perfect profile, no correct call ever fails, whatever the request", () => {
  for (const [i, request] of AWKWARD.entries()) {
    for (let seed = 1; seed <= 12; seed++) {
      const state = emptyState(request);
      for (const agent of ["intake", "planner", "researcher", "writer", "editor", "publisher"] as AgentId[]) {
        if (agent === "editor") state.decision = null;
        const run = driveDirect(agent, state, PERFECT, seed * 100 + i);
        assertEquals(run.failures, [], `request ${i} seed ${seed} ${agent}`);
        assert(run.done, `request ${i} seed ${seed}: ${agent} not done: ${missingFor(agent, state)}`);
        if (agent === "editor" && state.decision?.kind !== "promoted") break;
      }
    }
  }
});

Deno.test("roles: a stage restarted on a finished state reads it and ends at once", () => {
  const state = stateFor("publisher"); // everything up to the editor's promotion is done
  for (const agent of ["intake", "planner", "researcher", "writer"] as AgentId[]) {
    const run = driveDirect(agent, state, PERFECT, 1);
    assert(run.done);
    assertEquals(run.turns, 2, `${agent}: one read turn, one closing turn`);
    assertEquals(run.outcomes.ok, 0);
  }
});

Deno.test("roles: a role acts on the state its prompt shows, without reading it first; the writer and researcher work every open section in one turn", async () => {
  const prompts = await loadPrompts(undefined);
  const rng = createRng(5);
  const turnOf = (agent: AgentId, state: ReturnType<typeof stateFor>) =>
    playRole({
      agent,
      conversation: readConversation([{ role: "user", content: renderVolatile(prompts, agent, state) }]),
      profile: PERFECT,
      rng,
    });
  const writer = stateFor("writer");
  const open = writer.draft!.sections.map((s) => s.id);
  const written = turnOf("writer", writer);
  assertEquals(
    written.calls.map((c) => [c.name, c.input.section_id]),
    open.map((id) => ["update_section", id]),
  );
  assertEquals(written.outcomes, open.map(() => "ok"));
  const researcher = stateFor("researcher");
  researcher.draft!.sections.forEach((s) => (s.notes = []));
  const researched = turnOf("researcher", researcher);
  assertEquals(researched.calls.map((c) => c.input.section_id), open);
  const intake = turnOf("intake", emptyState(REQUEST));
  assertEquals(intake.calls.map((c) => [c.name, c.input.field]), [["update_brief_field", "title"]]);
  // A prompt that shows nothing of the workflow: the role reads it first.
  const bare = playRole({
    agent: "writer",
    conversation: readConversation([{ role: "user", content: "Write the article." }]),
    profile: PERFECT,
    rng,
  });
  assertEquals(bare.calls.map((c) => c.name), ["get_brief", "get_draft"]);
});

Deno.test("roles: the researcher with web search cites what its searches returned, quoting the cited text; at its profile's rates an address they did not return, or a misquote", async () => {
  const prompts = await loadPrompts(undefined);
  const rng = createRng(21);
  const profile = { ...PERFECT, webSearchRate: 1, citations: { unlisted: 0.2, misquote: 0.3 } };
  let searched = 0;
  let unlisted = 0;
  let quoted = 0;
  let misquoted = 0;
  for (let i = 0; i < 300; i++) {
    const state = stateFor("researcher");
    state.draft!.sections.forEach((s) => (s.notes = []));
    const turn = playRole({
      agent: "researcher",
      conversation: readConversation([{
        role: "user",
        content: renderVolatile(prompts, "researcher", state),
      }]),
      profile,
      rng,
      webSearch: { maxUses: 1 },
    });
    const [search] = turn.searches;
    const [first] = turn.calls;
    if (first.name !== "add_citation") continue;
    searched++;
    const result = search.results.find((r) => r.url === first.input.url);
    if (!result) unlisted++;
    if (typeof first.input.quote === "string" && result) {
      quoted++;
      if (!result.citedText.includes(first.input.quote)) misquoted++;
    }
  }
  const near = (share: number, rate: number, n: number) =>
    Math.abs(share - rate) < 4 * Math.sqrt(rate * (1 - rate) / n);
  assert(near(unlisted / searched, 0.2, searched), `${unlisted} of ${searched} unlisted`);
  assert(near(misquoted / quoted, 0.3, quoted), `${misquoted} of ${quoted} misquoted`);
});
