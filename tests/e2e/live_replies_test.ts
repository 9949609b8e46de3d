/**
 * Replies the live API sends and the simulated model does not, end to end through the real SDK
 * over loopback: a tool call cut off at max_tokens, empty and whitespace-only replies, pause_turn,
 * refusal with stop_details, and model_context_window_exceeded. Each test scripts the reply and
 * looks at the request that followed it, the ledger, the state and the review file.
 */
// deno-lint-ignore-file no-explicit-any
import { assert, assertEquals } from "../assert.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import { runStage } from "../../src/pipeline/loop.ts";
import type { Draft } from "../../src/content/state.ts";
import type { Received } from "../fake_api/server.ts";
import { rawDb, VALID_BRIEF } from "../helpers.ts";
import {
  type Harness,
  type HarnessOptions,
  requestAfter,
  startHarness as startSqliteHarness,
  toolCalls,
  toolUse,
  workflowAt,
} from "./harness.ts";
import { type PgServer, postgresMissing, startPostgres } from "../pg_server.ts";

type Start = (options: HarnessOptions) => Promise<Harness>;

const pgMissing = postgresMissing();
let server: PgServer | undefined;
let databases = 0;

/**
 * Each test runs twice: on the data folder's ledger, and on a shared one (a real PostgreSQL), where the
 * harness checks at close that both ledgers book every call of these replies alike.
 */
function liveTest(name: string, fn: (start: Start) => Promise<void>): void {
  Deno.test(name, () => fn(startSqliteHarness));
  Deno.test({
    name: `${name} (shared ledger)`,
    ignore: pgMissing !== undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () =>
      fn(async (options) => {
        server ??= await startPostgres();
        return await startSqliteHarness({
          ...options,
          ledgerUrl: await server.database(`live${++databases}`),
        });
      }),
  });
}

/** A draft of one section, cited and not written yet: the writer's whole job is s1. */
function draft(cited: boolean): Draft {
  return {
    title: "How lighthouses work",
    nextId: 2,
    sections: [{
      id: "s1",
      heading: "The lens",
      goal: "Explain the Fresnel lens",
      citations: cited ? [{ url: "https://example.org/fresnel", title: "Fresnel lenses" }] : [],
      notes: [],
      markdown: "",
    }],
  };
}

/** The ledger rows of a workflow as [stop_reason, tool_calls_made, tool_calls_succeeded, turn]. */
function rows(h: Harness, workflowId: string): [string, number, number, number][] {
  return (rawDb(h.deps.ledger).prepare(
    "SELECT stop_reason, tool_calls_made, tool_calls_succeeded, turn FROM ai_call_log " +
      "WHERE workflow_instance_id = ? ORDER BY id",
  ).all(workflowId) as any[]).map((r) => [r.stop_reason, r.tool_calls_made, r.tool_calls_succeeded, r.turn]);
}

/** What the API refuses in a request: an empty message, a text block with no visible text. */
function refusedContent(request: Received): string[] {
  return request.body.messages.flatMap((m: any, i: number) => {
    if (typeof m.content === "string") return m.content.trim() ? [] : [`messages.${i}: empty text`];
    if (!m.content.length) return [`messages.${i}: no content`];
    return m.content.flatMap((b: any, j: number) =>
      b.type === "text" && !b.text.trim() ? [`messages.${i}.content.${j}: whitespace-only text`] : []
    );
  });
}

function withoutCacheControl(message: any): any {
  return {
    ...message,
    content: message.content.map(({ cache_control: _, ...block }: any) => block),
  };
}

async function review(h: Harness, workflowId: string): Promise<string> {
  return await Deno.readTextFile(`${h.dir}/review/${workflowId}.md`);
}

const WRITTEN = "A Fresnel lens bends light from one lamp into a beam seen for miles.";

liveTest(
  "a tool call cut off at max_tokens is retried with max_tokens doubled, then applied; the stage finishes",
  async (startHarness) => {
    let cutAt: number | undefined;
    const h = await startHarness({
      // A writer max_tokens below its default (8192), so that the doubled retry is at 4096.
      config: { agents: { writer: { maxTokens: 2048 } } },
      script: (agent, request, n) => {
        if (agent !== "writer") return undefined;
        if (request.body.max_tokens === 2048) {
          cutAt = n;
          // The input holds only the finished parameters: no markdown.
          return {
            reply: {
              content: [
                { type: "text", text: "Writing s1." },
                toolUse("update_section", { section_id: "s1" }),
              ],
              stop_reason: "max_tokens",
              usage: { input_tokens: 900, output_tokens: 2048 },
            },
          };
        }
        return { calls: [{ name: "update_section", input: { section_id: "s1", markdown: WRITTEN } }] };
      },
    });
    try {
      const wf = workflowAt(h.deps, "How lighthouses work", "writer", {
        brief: VALID_BRIEF,
        draft: draft(true),
      });
      assertEquals(await runStage(h.deps, wf.id), { kind: "advanced", from: "writer", to: "editor" });
      assertEquals(h.api.requests.map((r) => r.body.max_tokens), [2048, 4096]);
      const retry = requestAfter(h.api, cutAt!)!;
      assertEquals(retry.body.messages, h.api.requests[cutAt!].body.messages, "the same turns again");
      assertEquals(h.deps.store.get(wf.id).state.draft!.sections[0].markdown, WRITTEN);
      // Both calls are in the ledger; the cut-off reply's call counts as made by no one.
      assertEquals(rows(h, wf.id), [["max_tokens", 0, 0, 1], ["tool_use", 1, 1, 2]]);
      assertEquals(toolCalls(h.deps, wf.id), [["writer", "update_section", "ok"]]);
      const reserved = (rawDb(h.deps.ledger).prepare(
        "SELECT reserved_nano_usd AS n FROM ai_call_log WHERE workflow_instance_id = ? ORDER BY id",
      ).all(wf.id) as any[]).map((r) => r.n);
      const perOutputToken = h.deps.prices.require(wf.models.writer, "test").rates.output;
      assert(reserved[1] >= 4096 * perOutputToken, "the retry is reserved with its own max_tokens");
      assertEquals(h.api.requests.flatMap((r) => r.problems), []);
    } finally {
      await h.close();
    }
  },
);

liveTest(
  "a tool call still cut off at maxTokensCeiling stops the stage, naming the field to raise",
  async (startHarness) => {
    const h = await startHarness({
      // A writer max_tokens below its default (8192): the first call at 2048, the one retry at the ceiling.
      config: { agents: { writer: { maxTokens: 2048, maxTokensCeiling: 4096 } } },
      script: (agent, request) =>
        agent === "writer"
          ? {
            reply: {
              content: [toolUse("update_section", { section_id: "s1" })],
              stop_reason: "max_tokens",
              usage: { input_tokens: 900, output_tokens: request.body.max_tokens },
            },
          }
          : undefined,
    });
    try {
      const wf = workflowAt(h.deps, "How lighthouses work", "writer", {
        brief: VALID_BRIEF,
        draft: draft(true),
      });
      const reason =
        "writer: a tool call was still cut off at max_tokens 4096; raise agents.writer.maxTokensCeiling";
      assertEquals(await runStage(h.deps, wf.id), { kind: "stuck", reason });
      assertEquals(h.api.requests.map((r) => r.body.max_tokens), [2048, 4096]);
      const stuck = h.deps.store.get(wf.id);
      assertEquals([stuck.status, stuck.reason, stuck.state.draft!.sections[0].markdown], [
        "stuck",
        reason,
        "",
      ]);
      assert((await review(h, wf.id)).includes(reason), "the review file gives the reason");
      assertEquals(rows(h, wf.id), [["max_tokens", 0, 0, 1], ["max_tokens", 0, 0, 2]]);
      assertEquals(toolCalls(h.deps, wf.id), [], "no cut-off call counts as a model mistake");
    } finally {
      await h.close();
    }
  },
);

liveTest(
  "an empty reply and a whitespace-only reply are never sent back: the next requests are valid, and the stage finishes",
  async (startHarness) => {
    const fields = Object.entries(VALID_BRIEF).map(([field, value]) => ({
      name: "update_brief_field",
      input: { field, value },
    }));
    const replies = [
      { reply: { content: [], stop_reason: "end_turn" } },
      { calls: fields.slice(0, 4) },
      { reply: { content: [{ type: "text", text: " \n\t " }], stop_reason: "end_turn" } },
      { calls: fields.slice(4) },
    ];
    let intakeRequests = 0;
    const h = await startHarness({
      script: (agent) => agent === "intake" ? replies[intakeRequests++] : undefined,
    });
    try {
      const wf = h.deps.store.create({ topic: "How lighthouses work" }, DEFAULT_MODELS);
      assertEquals(await runStage(h.deps, wf.id), { kind: "advanced", from: "intake", to: "planner" });
      const requests = h.api.requests;
      assertEquals(requests.length, 4, "every billed reply counts as a turn");
      assertEquals(requests.flatMap(refusedContent), []);
      assertEquals(requests.flatMap((r) => r.problems), []);

      // The empty first reply adds no assistant turn: the nudge joins the first user message.
      const volatile = requests[0].body.messages[0].content[0].text;
      const nudge = (missing: string) =>
        `Your reply was empty. Your job as intake is not done yet: brief fields not yet valid: ${missing}. ` +
        "Continue with your tools.";
      assertEquals(requests[1].body.messages.length, 1);
      assertEquals(
        requests[1].body.messages[0].content[0].text,
        `${volatile}\n\n${
          nudge("title, audience, angle, key_points, keywords, tone, target_words, sources")
        }`,
      );
      // The whitespace reply likewise: the nudge joins the tool results before it.
      const after = requests[3].body.messages;
      assertEquals(after.map((m: any) => m.role), ["user", "assistant", "user"]);
      assertEquals(after[2].content.map((b: any) => b.type), [
        "tool_result",
        "tool_result",
        "tool_result",
        "tool_result",
        "text",
      ]);
      assertEquals(after[2].content[4].text, nudge("keywords, tone, target_words, sources"));
      assertEquals(rows(h, wf.id).map(([stop, made, ok]) => [stop, made, ok]), [
        ["end_turn", 0, 0],
        ["tool_use", 4, 4],
        ["end_turn", 0, 0],
        ["tool_use", 4, 4],
      ]);
    } finally {
      await h.close();
    }
  },
);

liveTest(
  "a paused turn goes back as the last message with no new user turn; its continuation completes the turn",
  async (startHarness) => {
    const paused = [
      { type: "text", text: "Let me search for a source." },
      {
        type: "server_tool_use",
        id: "srvtoolu_test_1",
        name: "web_search",
        input: { query: "fresnel lens" },
      },
    ];
    const continued = [
      {
        type: "web_search_tool_result",
        tool_use_id: "srvtoolu_test_1",
        content: [{
          type: "web_search_result",
          url: "https://example.org/fresnel",
          title: "Fresnel lenses",
          encrypted_content: "opaque",
          page_age: null,
        }],
      },
      toolUse("add_citation", {
        section_id: "s1",
        url: "https://example.org/fresnel",
        title: "Fresnel lenses",
      }),
    ];
    let pausedAt: number | undefined;
    const h = await startHarness({
      config: { agents: { researcher: { webSearch: { enabled: true } } } },
      script: (agent, request, n) => {
        if (agent !== "researcher") return undefined;
        if (request.body.messages.at(-1).role === "assistant") {
          return { reply: { content: continued, stop_reason: "tool_use" } };
        }
        pausedAt = n;
        return { reply: { content: paused, stop_reason: "pause_turn" } };
      },
    });
    try {
      const wf = workflowAt(h.deps, "How lighthouses work", "researcher", {
        brief: VALID_BRIEF,
        draft: draft(false),
      });
      assertEquals(await runStage(h.deps, wf.id), { kind: "advanced", from: "researcher", to: "writer" });
      const first = h.api.requests[pausedAt!];
      const next = requestAfter(h.api, pausedAt!)!;
      assertEquals(next.body.messages.length, 2);
      assertEquals(withoutCacheControl(next.body.messages[0]), first.body.messages[0]);
      assertEquals(withoutCacheControl(next.body.messages[1]), { role: "assistant", content: paused });
      assertEquals(h.api.requests.length, 2, "the continuation ended the stage: no further call");
      // The address came back in the paused reply's search result: the continuation's citation is checked
      // against it.
      assertEquals(h.deps.store.get(wf.id).state.draft!.sections[0].citations, [
        { url: "https://example.org/fresnel", title: "Fresnel lenses", provenance: "web_search" },
      ]);
      assertEquals(rows(h, wf.id), [["pause_turn", 0, 0, 1], ["tool_use", 1, 1, 2]]);
      // The continuation asks the cache diagnostics about the paused reply, which the ledger keeps.
      const [pausedId] = (rawDb(h.deps.ledger).prepare(
        "SELECT message_id FROM ai_call_log WHERE workflow_instance_id = ? ORDER BY id",
      ).all(wf.id) as { message_id: string }[]).map((r) => r.message_id);
      assertEquals(
        first.body.diagnostics,
        { previous_message_id: null },
        "the researcher's first call opts in",
      );
      assertEquals(next.body.diagnostics, { previous_message_id: pausedId });
      assertEquals(h.api.requests.flatMap((r) => r.problems), []);
    } finally {
      await h.close();
    }
  },
);

liveTest(
  "a refusal applies none of its tool calls and stops the stage with its category and explanation",
  async (startHarness) => {
    const h = await startHarness({
      script: (agent) =>
        agent === "intake"
          ? {
            reply: {
              content: [toolUse("update_brief_field", { field: "title", value: "How to pick locks" })],
              stop_reason: "refusal",
              stop_details: {
                type: "refusal",
                category: "cyber",
                explanation: "This could enable\nintrusion into systems.",
              },
            },
          }
          : undefined,
    });
    try {
      const wf = h.deps.store.create({ topic: "Lock picking" }, DEFAULT_MODELS);
      const reason = "intake: the model refused (category: cyber): This could enable intrusion into systems.";
      assertEquals(await runStage(h.deps, wf.id), { kind: "stuck", reason });
      const stuck = h.deps.store.get(wf.id);
      assertEquals([stuck.status, stuck.reason, stuck.state.brief], ["stuck", reason, {}]);
      assertEquals(JSON.parse(await Deno.readTextFile(`${h.dir}/workflows/${wf.id}/brief.json`)), {});
      assert((await review(h, wf.id)).includes(reason), "the review file gives the category and explanation");
      assertEquals(h.api.requests.length, 1);
      assertEquals(rows(h, wf.id), [["refusal", 0, 0, 1]]);
      assertEquals(toolCalls(h.deps, wf.id), []);
    } finally {
      await h.close();
    }
  },
);

liveTest(
  "model_context_window_exceeded applies nothing and stops the stage without a nudge",
  async (startHarness) => {
    const sections = ["Lens", "Lamp", "Keeper"].map((heading) => ({ heading, goal: `About the ${heading}` }));
    const h = await startHarness({
      script: (agent) =>
        agent === "planner"
          ? {
            reply: {
              content: [
                { type: "text", text: "The plan:" },
                toolUse("create_draft", { title: "Lights", sections }),
              ],
              stop_reason: "model_context_window_exceeded",
            },
          }
          : undefined,
    });
    try {
      const wf = workflowAt(h.deps, "How lighthouses work", "planner", { brief: VALID_BRIEF });
      const reason = "planner: the conversation reached the model's context window " +
        "(model_context_window_exceeded); nothing of the reply was applied";
      assertEquals(await runStage(h.deps, wf.id), { kind: "stuck", reason });
      const stuck = h.deps.store.get(wf.id);
      assertEquals([stuck.status, stuck.reason, stuck.state.draft], ["stuck", reason, null]);
      assert((await review(h, wf.id)).includes(reason));
      assertEquals(h.api.requests.length, 1, "no nudge was sent");
      assertEquals(h.deps.store.events(wf.id).filter((e) => e.kind === "nudge"), []);
      assertEquals(rows(h, wf.id), [["model_context_window_exceeded", 0, 0, 1]]);
    } finally {
      await h.close();
    }
  },
);

Deno.test({
  name: "live replies on a shared ledger: the server stops",
  ignore: pgMissing !== undefined,
  fn: async () => {
    await server?.close();
  },
});
