/**
 * Fault injection, seen through the real SDK: each fault surfaces as the SDK's
 * own error class (or, for the ones that shape a 200, as what the SDK returns),
 * scripts pick requests by index and agent, random rates are seeded.
 */
import Anthropic from "@anthropic-ai/sdk";
import { assert, assertEquals, assertRejects } from "../assert.ts";
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

Deno.test("faults: the script sees the request index and the agent", async () => {
  const seen: [number, string | null][] = [];
  const { client: c } = client({
    script: (i, agent) => {
      seen.push([i, agent]);
      return agent === "writer" ? "server_error" : undefined;
    },
  });
  await c.messages.create(params, { headers });
  await assertRejects(
    () => c.messages.create(params, { headers: { ...headers, "x-pressroom-agent": "writer" } }),
    Anthropic.InternalServerError,
  );
  assertEquals(seen, [[0, "intake"], [1, "writer"]]);
});

Deno.test("faults: the SDK's own retries honour retry-after-ms and then succeed", async () => {
  const { sim, client: c } = client({
    script: (i) => (i < 2 ? { kind: i === 0 ? "rate_limit" : "overloaded", retryAfterMs: 5 } : undefined),
  }, 2);
  const started = performance.now();
  const message = await c.messages.create(params, { headers });
  assertEquals(message.type, "message");
  assertEquals(sim.requests, 3);
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
