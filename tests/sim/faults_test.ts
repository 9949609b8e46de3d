/**
 * Fault injection, seen through the real SDK: each fault surfaces as the SDK's
 * own error class (or, for the ones that shape a 200, as what the SDK returns),
 * scripts pick requests by index, agent, workflow and SDK attempt, random rates are seeded.
 */
import Anthropic from "@anthropic-ai/sdk";
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { classifyFailedAttempt } from "../../src/claude/billing.ts";
import { buildRequest } from "../../src/claude/request.ts";
import { createSimulator } from "../../src/sim/simulator.ts";
import type { FaultPlan } from "../../src/sim/faults.ts";
import { simClient } from "./harness.ts";

const params = buildRequest({
  model: "claude-sonnet-4-6",
  maxTokens: 256,
  cacheTtl: "5m",
  stable: ["Shared.", "Agent."],
  volatile: "Workflow wf-1.",
});
const headers = { "x-pressroom-agent": "intake", "x-pressroom-workflow": "wf-1" };
/** Long enough a prefix to be cached: whether a request reached the model shows in the cache. */
const cacheable = buildRequest({
  model: "claude-sonnet-4-6",
  maxTokens: 256,
  cacheTtl: "5m",
  stable: ["Shared rules. ".repeat(600), "Agent."],
  volatile: "Workflow wf-1.",
});

function client(faults: FaultPlan, maxRetries = 0, timeoutMs?: number) {
  const sim = createSimulator({ faults });
  return { sim, client: simClient(sim, maxRetries, timeoutMs) };
}

Deno.test("faults: 429 rate_limit_error with retry-after and retry-after-ms, in the API's error shape", async () => {
  const { client: c } = client({
    script: (i) => (i === 0 ? { kind: "rate_limit", retryAfterMs: 1500 } : undefined),
  });
  const error = await assertRejects(() => c.messages.create(params, { headers }), Anthropic.RateLimitError);
  assertEquals(error.status, 429);
  assertEquals(error.headers?.get("retry-after"), "2");
  assertEquals(error.headers?.get("retry-after-ms"), "1500");
  assertEquals((error.error as { type: string }).type, "error");
  assertEquals((error.error as { error: { type: string } }).error.type, "rate_limit_error");
  assert(error.requestID?.startsWith("req_sim_"), String(error.requestID));
});

Deno.test("faults: 529 is the SDK's OverloadedError, 500 its InternalServerError", async () => {
  const { client: c } = client({ script: (i) => (i === 0 ? "overloaded" : "server_error") });
  const overloaded = await assertRejects(
    () => c.messages.create(params, { headers }),
    Anthropic.OverloadedError,
  );
  assertEquals((overloaded.error as { error: { type: string } }).error.type, "overloaded_error");
  const server = await assertRejects(
    () => c.messages.create(params, { headers }),
    Anthropic.InternalServerError,
  );
  assertEquals(server.status, 500);
  assertEquals((server.error as { error: { type: string } }).error.type, "api_error");
});

Deno.test("faults: a timeout never answers, and the SDK gives up with APIConnectionTimeoutError", async () => {
  const { client: c } = client({ script: () => "timeout" }, 0, 50);
  await assertRejects(() => c.messages.create(params, { headers }), Anthropic.APIConnectionTimeoutError);
});

Deno.test("faults: a hung request ends when the caller aborts it (APIUserAbortError)", async () => {
  const { client: c } = client({ script: () => "timeout" });
  const controller = new AbortController();
  const pending = c.messages.create(params, { headers, signal: controller.signal });
  setTimeout(() => controller.abort(), 10);
  await assertRejects(() => pending, Anthropic.APIUserAbortError);
});

Deno.test("faults: a malformed 200 body fails to parse; a missing usage leaves the message without usage", async () => {
  const { client: c } = client({ script: (i) => (i === 0 ? "malformed_body" : "missing_usage") });
  await assertRejects(() => c.messages.create(params, { headers }), SyntaxError);
  const message = await c.messages.create(params, { headers });
  assertEquals(message.usage, undefined);
  assert(message.id.startsWith("msg_sim_"));
  assertEquals(message.stop_reason, "tool_use");
});

Deno.test("faults: a connection reset rejects fetch with a TypeError, which the SDK calls APIConnectionError", async () => {
  const { sim, client: c } = client({ script: (i) => (i === 0 || i === 1 ? "connection_reset" : undefined) });
  const raw = sim.fetch("http://sim.invalid/v1/messages", {
    method: "POST",
    headers: { "x-api-key": "sim", "anthropic-version": "2023-06-01", ...headers },
    body: JSON.stringify(cacheable),
  });
  const dropped = await assertRejects(() => raw, TypeError, "connection closed before message completed");
  // The simulator drops it unbilled, but no client can tell a reset before the work from one after:
  // callClaude books it at its worst case, as it does a real reset.
  assertEquals(classifyFailedAttempt(dropped), {
    mayBeBilled: true,
    reason: "connection lost after the request may have been sent",
  });
  const error = await assertRejects(
    () => c.messages.create(cacheable, { headers }),
    Anthropic.APIConnectionError,
  );
  assert(!(error instanceof Anthropic.APIConnectionTimeoutError));
  // Dropped before the model saw it: nothing was cached, so the next request writes the cache.
  const { usage } = await c.messages.create(cacheable, { headers });
  assertEquals(usage.cache_read_input_tokens, 0);
  assert(usage.cache_creation_input_tokens! > 0);
});

Deno.test("faults: 529 and 500 carry retry-after only when the fault gives one", async () => {
  const { client: c } = client({
    script: (i) => (i === 0 ? { kind: "overloaded", retryAfterMs: 2500 } : "server_error"),
  });
  const overloaded = await assertRejects(
    () => c.messages.create(params, { headers }),
    Anthropic.OverloadedError,
  );
  assertEquals(overloaded.headers?.get("retry-after-ms"), "2500");
  assertEquals(overloaded.headers?.get("retry-after"), "3");
  const server = await assertRejects(() => c.messages.create(params, { headers }), Anthropic.APIError);
  assertEquals([server.status, server.headers?.get("retry-after")], [500, null]);
});

Deno.test("faults: partial usage leaves optional fields out or null and keeps what was billed", async () => {
  const full = await simClient(createSimulator()).messages.create(cacheable, { headers });
  const { client: c } = client({
    script: (i) => (i === 0 ? "partial_usage" : { kind: "partial_usage", drop: ["input_tokens"] }),
  });
  const partial = await c.messages.create(cacheable, { headers });
  const usage = partial.usage as unknown as Record<string, unknown>;
  for (const gone of ["cache_creation", "server_tool_use", "service_tier"]) assert(!(gone in usage), gone);
  assertEquals(usage.cache_read_input_tokens, null);
  assertEquals(
    [usage.input_tokens, usage.output_tokens, usage.cache_creation_input_tokens],
    [full.usage.input_tokens, full.usage.output_tokens, full.usage.cache_creation_input_tokens],
  );
  assert(full.usage.cache_creation_input_tokens! > 0, "the first request writes the cache");
  const noInput = (await c.messages.create(cacheable, { headers })).usage as unknown as Record<
    string,
    unknown
  >;
  assert(!("input_tokens" in noInput), JSON.stringify(noInput));
  assertEquals(typeof noInput.output_tokens, "number");
  assertEquals(noInput.cache_read_input_tokens, full.usage.cache_creation_input_tokens);
});

Deno.test("faults: the script sees the request index, the agent, the workflow and the SDK's attempt", async () => {
  const seen: [number, string | null, string | null, number][] = [];
  const { client: c } = client({
    script: (i, agent, { workflowId, attempt }) => {
      seen.push([i, agent, workflowId, attempt]);
      return agent === "writer" ? "server_error" : undefined;
    },
  });
  await c.messages.create(params, { headers });
  await assertRejects(
    () => c.messages.create(params, { headers: { ...headers, "x-pressroom-agent": "writer" } }),
    Anthropic.InternalServerError,
  );
  assertEquals(seen, [[0, "intake", "wf-1", 0], [1, "writer", "wf-1", 0]]);
});

Deno.test("faults: the SDK's own retries honour retry-after-ms and then succeed", async () => {
  const attempts: number[] = [];
  const { sim, client: c } = client({
    script: (i, _agent, { attempt }) => {
      attempts.push(attempt);
      return i < 2 ? { kind: i === 0 ? "rate_limit" : "overloaded", retryAfterMs: 5 } : undefined;
    },
  }, 2);
  const started = performance.now();
  const message = await c.messages.create(params, { headers });
  assertEquals(message.type, "message");
  assertEquals(sim.requests, 3);
  assertEquals(attempts, [0, 1, 2]);
  assert(performance.now() - started < 5000, "short retry-after is honoured, not the 60 s cap");
});

Deno.test("faults: random rates are seeded: the same seed fails the same requests", async () => {
  const statuses = async (seed: number) => {
    const sim = createSimulator({
      seed,
      faults: { rates: { server_error: 0.3, rate_limit: 0.1 }, retryAfterMs: 0 },
    });
    const c = simClient(sim);
    const out: number[] = [];
    for (let i = 0; i < 40; i++) {
      try {
        await c.messages.create(params, { headers });
        out.push(200);
      } catch (error) {
        out.push(error instanceof Anthropic.APIError ? error.status ?? 0 : 0);
      }
    }
    return out;
  };
  const a = await statuses(3);
  assertEquals(a, await statuses(3));
  const failed = a.filter((s) => s !== 200).length;
  assert(failed >= 8 && failed <= 26, `${failed} of 40 failed at a 40% rate`);
  assert(a.includes(429) && a.includes(500));
  assert(JSON.stringify(a) !== JSON.stringify(await statuses(4)));
});
