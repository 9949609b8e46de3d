/** The simulator behind a loopback server, through the real SDK over real HTTP. */
import Anthropic from "@anthropic-ai/sdk";
import { assert, assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { createClient } from "../../src/claude/client.ts";
import { buildRequest } from "../../src/claude/request.ts";
import { AGENT_IDS } from "../../src/config/schema.ts";
import { createSimulator } from "../../src/sim/simulator.ts";
import { serveSimulator } from "../../src/sim/server.ts";
import { type Models, REQUEST, runPipeline } from "./harness.ts";

/** A request as small as the API takes, for tests of the server rather than of the model. */
const TINY = buildRequest({
  model: "claude-sonnet-4-6",
  maxTokens: 64,
  cacheTtl: "5m",
  stable: ["s"],
  volatile: "v",
});

Deno.test("server: listens on 127.0.0.1 and runs a whole workflow with the SDK", async () => {
  const server = serveSimulator(createSimulator({ seed: 5 }));
  try {
    assert(server.url.startsWith("http://127.0.0.1:"), server.url);
    const client = createClient({ apiKey: "sim", baseURL: server.url, maxRetries: 0 });
    const models = Object.fromEntries(AGENT_IDS.map((a) => [a, "claude-sonnet-4-6"])) as Models;
    const result = await runPipeline(client, REQUEST, models, "wf-http");
    assert(result.end === "published" || result.end === "flagged", result.end);
    const { request_id } = await client.messages.create(
      buildRequest({
        model: "claude-haiku-4-5",
        maxTokens: 64,
        cacheTtl: "5m",
        stable: ["s"],
        volatile: "v",
      }),
      { headers: { "x-pressroom-agent": "intake" } },
    ).withResponse();
    assert(request_id?.startsWith("req_sim_"));
  } finally {
    await server.close();
  }
});

Deno.test("server: errors and timeouts reach the SDK over HTTP as they would from the API", async () => {
  const sim = createSimulator({
    faults: { script: (i) => (i === 0 ? "overloaded" : i === 1 ? "timeout" : undefined) },
  });
  const server = serveSimulator(sim);
  try {
    const client = createClient({ apiKey: "sim", baseURL: server.url, maxRetries: 0, timeoutMs: 100 });
    const params = TINY;
    const headers = { "x-pressroom-agent": "editor" };
    const overloaded = await assertRejects(
      () => client.messages.create(params, { headers }),
      Anthropic.OverloadedError,
    );
    assertEquals(overloaded.status, 529);
    await assertRejects(
      () => client.messages.create(params, { headers }),
      Anthropic.APIConnectionTimeoutError,
    );
    const ok = await client.messages.create(params, { headers });
    assertEquals(ok.type, "message");
    assertEquals(sim.requests, 3);
  } finally {
    await server.close();
  }
});

Deno.test("server: a connection reset closes the socket with no HTTP response; the server goes on", async () => {
  // Every request of one agent is reset: Deno's fetch resends once by itself on a reused connection.
  const sim = createSimulator({
    faults: { script: (_i, agent) => (agent === "unlucky" ? "connection_reset" : undefined) },
  });
  const server = serveSimulator(sim);
  try {
    const params = TINY;
    const post = (agent: string) =>
      fetch(`${server.url}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": "sim", "anthropic-version": "2023-06-01", "x-pressroom-agent": agent },
        body: JSON.stringify(params),
      });
    // Plain fetch: no status, no body, only a failed connection.
    const dropped = await assertRejects(() => post("unlucky"), TypeError);
    assertMatch(String(dropped.cause), /connection closed before message completed/);
    const answered = await post("writer");
    assertEquals([answered.status, (await answered.json()).type], [200, "message"]);

    const client = createClient({ apiKey: "sim", baseURL: server.url, maxRetries: 0 });
    const error = await assertRejects(
      () => client.messages.create(params, { headers: { "x-pressroom-agent": "unlucky" } }),
      Anthropic.APIConnectionError,
    );
    assert(!(error instanceof Anthropic.APIConnectionTimeoutError));
    const ok = await client.messages.create(params, { headers: { "x-pressroom-agent": "writer" } });
    assertEquals(ok.type, "message");
  } finally {
    await server.close();
  }
});
