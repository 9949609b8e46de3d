/**
 * The simulator's cache diagnostics, as the API gives them: a request naming an earlier response's id is
 * told the first place it diverged from that request (model, tools, system, messages), nothing when it
 * only appended, "previous_message_not_found" for an id it never fingerprinted, and an entry that merely
 * expired is no divergence. Its 5m-before-1h refusal and TTL per entry are in validate_test and cache_test.
 */
import { assertEquals } from "../assert.ts";
import { buildRequest, type PromptSpec } from "../../src/claude/request.ts";
import { TOOL_DEFINITIONS } from "../../src/pipeline/tools.ts";
import { createSimulator } from "../../src/sim/simulator.ts";

const LONG = "The house style guide, at length. ".repeat(400);
const spec: PromptSpec = {
  model: "claude-sonnet-4-6",
  maxTokens: 512,
  cacheTtl: "5m",
  stable: [LONG, "Agent."],
  volatile: "Workflow wf-1.",
  tools: TOOL_DEFINITIONS,
};

async function send(
  sim: ReturnType<typeof createSimulator>,
  changes: Partial<PromptSpec>,
): Promise<{ id: string; diagnostics: unknown; read: number }> {
  const response = await sim.handle(
    new Request("http://sim/v1/messages", {
      method: "POST",
      headers: {
        "x-api-key": "sim",
        "anthropic-version": "2023-06-01",
        "x-pressroom-agent": "planner",
        "x-pressroom-workflow": "wf-1",
      },
      body: JSON.stringify(buildRequest({ ...spec, ...changes })),
    }),
  );
  const body = await response.json();
  return { id: body.id, diagnostics: body.diagnostics, read: body.usage.cache_read_input_tokens };
}

const reason = (d: unknown) => (d as { cache_miss_reason: { type: string } } | null)?.cache_miss_reason.type;

Deno.test("diagnostics: appended turns are no divergence; model, tools, system and edited messages are named", async () => {
  let clock = 0;
  const sim = createSimulator({ quirks: false, now: () => clock });
  const first = await send(sim, { previousMessageId: null });
  assertEquals(first.diagnostics, null);
  const turns = [
    { role: "assistant" as const, content: "Working." },
    { role: "user" as const, content: "Go on." },
  ];
  const appended = await send(sim, { previousMessageId: first.id, turns });
  assertEquals(appended.diagnostics, null);
  const edited = await send(sim, {
    previousMessageId: appended.id,
    turns: [{ role: "assistant", content: "Different." }, { role: "user", content: "Go on." }],
  });
  assertEquals(reason(edited.diagnostics), "messages_changed");
  const system = await send(sim, { previousMessageId: first.id, stable: [LONG, "Another agent."] });
  assertEquals(reason(system.diagnostics), "system_changed");
  const tools = await send(sim, { previousMessageId: first.id, tools: TOOL_DEFINITIONS.slice(1) });
  assertEquals(reason(tools.diagnostics), "tools_changed");
  const model = await send(sim, { previousMessageId: first.id, model: "claude-opus-4-7" });
  const missed = model.diagnostics as {
    cache_miss_reason: { type: string; cache_missed_input_tokens: number };
  };
  assertEquals(missed.cache_miss_reason.type, "model_changed");
  assertEquals(missed.cache_miss_reason.cache_missed_input_tokens > 3000, true);
  // The model swap wrote the new model's cache cold: nothing read.
  assertEquals(model.read, 0);

  // An expired entry is a miss, but not a divergence: the diagnostics say nothing, the usage says it all.
  clock += 6 * 60_000;
  const late = await send(sim, { previousMessageId: first.id });
  assertEquals([late.diagnostics, late.read], [null, 0]);
});

Deno.test("diagnostics: an id never fingerprinted is not found, and a request without diagnostics leaves none", async () => {
  const sim = createSimulator({ quirks: false });
  assertEquals(
    reason((await send(sim, { previousMessageId: "msg_unknown" })).diagnostics),
    "previous_message_not_found",
  );
  const silent = await send(sim, {});
  assertEquals(silent.diagnostics, null);
  assertEquals(
    reason((await send(sim, { previousMessageId: silent.id })).diagnostics),
    "previous_message_not_found",
  );
});

Deno.test("diagnostics: a previous_message_id that is not a string is refused", async () => {
  const sim = createSimulator({ quirks: false });
  const body = { ...buildRequest(spec), diagnostics: { previous_message_id: 7 } };
  const response = await sim.handle(
    new Request("http://sim/v1/messages", {
      method: "POST",
      headers: { "x-api-key": "sim", "anthropic-version": "2023-06-01" },
      body: JSON.stringify(body),
    }),
  );
  assertEquals(response.status, 400);
  assertEquals(
    (await response.json()).error.message,
    "diagnostics.previous_message_id: must be a string or null",
  );
});
