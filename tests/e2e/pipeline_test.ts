/**
 * The pipeline end to end through the real SDK, on loopback, against the
 * simulated model (and scripted turns where a test needs a given move).
 */
// deno-lint-ignore-file no-explicit-any
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import { parseFrontMatter } from "../../src/output/front_matter.ts";
import { filesUnder, rawDb, TEST_KEY } from "../helpers.ts";
import { type Script, startHarness, toolCalls } from "./harness.ts";

const promote: Script = (agent) =>
  agent === "editor" ? { calls: [{ name: "promote_to_published", input: {} }] } : undefined;

function ledgerRows(deps: any, workflowId: string): any[] {
  return rawDb(deps.ledger).prepare("SELECT * FROM ai_call_log WHERE workflow_instance_id = ? ORDER BY id")
    .all(
      workflowId,
    );
}

Deno.test("a request goes through all six agents to a published article, every call in the ledger", async () => {
  const h = await startHarness({ script: promote });
  try {
    const wf = h.deps.store.create({
      topic: "How lighthouses work",
      notes: "See https://example.org/lighthouses",
    }, DEFAULT_MODELS);
    await h.run();
    const done = h.deps.store.get(wf.id);
    assertEquals([done.stage, done.status], ["done", "published"]);
    assertEquals(h.api.requests.flatMap((r) => r.problems), [], "every request had the API's shape");

    const rows = ledgerRows(h.deps, wf.id);
    assertEquals(
      new Set(rows.map((r) => r.agent_id)),
      new Set(["intake", "planner", "researcher", "writer", "editor", "publisher"]),
    );
    for (const row of rows) {
      assertEquals(
        row.model,
        DEFAULT_MODELS[row.agent_id as keyof typeof DEFAULT_MODELS],
        "models as pinned",
      );
      const calls = toolCalls(h.deps, wf.id).length;
      assert(calls > 0);
      const judged = rawDb(h.deps.ledger).prepare(
        "SELECT COUNT(*) AS made, SUM(outcome = 'ok') AS ok FROM tool_call WHERE call_id = ?",
      ).get(row.id) as any;
      assertEquals(
        [row.tool_calls_made, row.tool_calls_succeeded],
        [judged.made, judged.ok ?? 0],
        "row counts = tool_call rows",
      );
    }
    // Each request carried the design's cache layout: two system breakpoints; after the first turn, the
    // newest turn, and at most one more where the previous request ended (request.ts).
    for (const r of h.api.requests) {
      assertEquals(r.body.system.map((b: any) => b.cache_control?.ttl), ["5m", "5m"]);
      assertEquals(r.body.tools.length, 12);
      const marked = r.body.messages.flatMap((m: any) => m.content).filter((b: any) => b.cache_control);
      if (r.body.messages.length === 1) assertEquals(marked, []);
      else {
        assert(r.body.messages.at(-1).content.at(-1).cache_control);
        assert(marked.length <= 2, `${marked.length} breakpoints in the messages`);
      }
    }
    const cacheReads = rows.reduce((n, r) => n + r.cache_read_tokens, 0);
    assert(cacheReads > 0, "later turns read the cached prefix");

    const path = done.publishedPath!;
    const article = await Deno.readTextFile(path);
    const front = parseFrontMatter(article);
    assertEquals(front.workflow_id, wf.id);
    assertEquals(front.models, DEFAULT_MODELS);
    const spent = rows.reduce((n, r) => n + r.cost_nano_usd, 0);
    assertEquals(Math.round(front.cost_usd * 1e9), spent, "front matter carries the cost per completion");
    assertMatch(article, /\n# .+\n/);

    const files = `${h.dir}/workflows/${wf.id}`;
    const transcript = (await Deno.readTextFile(`${files}/transcript.jsonl`)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assertEquals(transcript.length, rows.length, "one transcript line per call");
    assertEquals(transcript.map((t) => t.callId), rows.map((r) => r.id));
    assertEquals(Object.keys(JSON.parse(await Deno.readTextFile(`${files}/brief.json`))).length, 8);
    assert((await Deno.readTextFile(`${files}/draft.md`)).length > 100);

    const needle = TEST_KEY;
    for await (const [file, bytes] of filesUnder(h.dir)) {
      assert(!new TextDecoder("latin1").decode(bytes).includes(needle), `the key reached ${file}`);
    }
  } finally {
    await h.close();
  }
});

Deno.test("every failure kind is classified and answered; a text-only turn gets a nudge; revisions go back to the writer", async () => {
  let editorTurns = 0;
  const script: Script = (agent, request) => {
    const turns = request.body.messages.length; // 1 on the first turn of a stage
    if (agent === "intake" && turns === 1) {
      return {
        calls: [{ name: "add_citation", input: { section_id: "s1", url: "https://x.example", title: "X" } }],
      };
    }
    if (agent === "intake" && turns === 3) {
      return { calls: [{ name: "update_brief_field", input: { field: "target_words", value: "lots" } }] };
    }
    if (agent === "intake" && turns === 5) return { calls: [{ name: "no_such_tool", input: {} }] };
    if (agent === "intake" && turns === 7) return { text: "All done, I think." };
    if (agent === "planner" && turns === 1) {
      return {
        calls: [{ name: "add_section", input: { heading: "Extra", goal: "An extra section", after: "s99" } }],
      };
    }
    if (agent === "editor") {
      editorTurns++;
      if (editorTurns === 1) {
        return {
          calls: [{
            name: "request_revision",
            input: { section_id: "s1", instructions: "Shorter, please." },
          }],
        };
      }
      return { calls: [{ name: "promote_to_published", input: {} }] };
    }
    return undefined;
  };
  // Four scripted turns that do nothing: leave room for the simulated model's own turns and mistakes after them.
  const h = await startHarness({
    script,
    config: { agents: { intake: { maxConsecutiveFailures: 6, maxTurns: 30 } } },
  });
  try {
    const wf = h.deps.store.create({ topic: "Tide pools" }, DEFAULT_MODELS);
    await h.run();
    const calls = toolCalls(h.deps, wf.id);
    const outcome = (agent: string, tool: string) => calls.find(([a, t]) => a === agent && t === tool)?.[2];
    assertEquals(outcome("intake", "add_citation"), "wrong_tool");
    assertEquals(outcome("intake", "no_such_tool"), "wrong_tool");
    assertEquals(
      calls.find(([a, t, o]) => a === "intake" && t === "update_brief_field" && o !== "ok")?.[2],
      "malformed_args",
    );
    assertEquals(outcome("planner", "add_section"), "logic_error");
    const nudges = rawDb(h.deps.ledger).prepare(
      "SELECT stage, detail FROM workflow_event WHERE workflow_instance_id = ? AND kind = 'nudge'",
    ).all(wf.id) as any[];
    assertEquals(nudges[0].stage, "intake");
    assertMatch(nudges[0].detail, /brief fields not yet valid/);
    // The nudge reached the model as text after the turn that ended early.
    const nudged = h.api.requests.find((r) =>
      JSON.stringify(r.body.messages.at(-1)).includes("Your job as intake is not done yet")
    );
    assert(nudged, "the model was told what is missing");
    // The error the model saw names the problem.
    const errorResult = h.api.requests.flatMap((r) => r.body.messages.at(-1).content).find((b: any) =>
      b.type === "tool_result" && b.is_error && String(b.content).includes("belongs to the researcher")
    );
    assert(errorResult, "the wrong-tool error came back as is_error");

    const stages = (rawDb(h.deps.ledger).prepare(
      "SELECT stage FROM workflow_event WHERE workflow_instance_id = ? AND kind = 'stage_done' ORDER BY id",
    ).all(wf.id) as any[]).map((e) => e.stage);
    assertEquals(stages, [
      "intake",
      "planner",
      "researcher",
      "writer",
      "editor",
      "writer",
      "editor",
      "publisher",
    ]);
    const done = h.deps.store.get(wf.id);
    assertEquals([done.status, done.state.revisionRounds], ["published", 1]);
  } finally {
    await h.close();
  }
});

Deno.test("a runaway stage is stopped: too many failures in a row, or too many turns, mark the workflow stuck", async () => {
  const script: Script = (agent, request) => {
    if (request.body.messages[0].content[0].text.includes("Failing topic") && agent === "intake") {
      return { calls: [{ name: "set_metadata", input: { slug: "x", description: "x", tags: ["x"] } }] };
    }
    if (request.body.messages[0].content[0].text.includes("Chatty topic") && agent === "intake") {
      return { text: "Let me think about this." };
    }
    return undefined;
  };
  const h = await startHarness({
    script,
    config: { agents: { intake: { maxTurns: 5, maxConsecutiveFailures: 3 } } },
  });
  try {
    const failing = h.deps.store.create({ topic: "Failing topic" }, DEFAULT_MODELS);
    const chatty = h.deps.store.create({ topic: "Chatty topic" }, DEFAULT_MODELS);
    await h.run();
    const f = h.deps.store.get(failing.id);
    assertEquals([f.status, f.stage, f.reason], [
      "stuck",
      "intake",
      "intake: 3 turns in a row whose tool calls all failed",
    ]);
    const c = h.deps.store.get(chatty.id);
    assertEquals(c.status, "stuck");
    assertMatch(c.reason!, /^intake: 5 turns used and still brief fields not yet valid/);
    const review = await Deno.readTextFile(`${h.dir}/review/${failing.id}.md`);
    assertMatch(review, /3 turns in a row whose tool calls all failed/);
    assertEquals(
      h.api.requests.filter((r) => r.body.messages[0].content[0].text.includes("Chatty")).length,
      5,
    );
  } finally {
    await h.close();
  }
});
