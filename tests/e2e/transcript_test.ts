/**
 * The transcript keeps each tools list and stable block once per workflow, and every request can be
 * rebuilt from it exactly as the API received it.
 */
import { assert, assertEquals } from "../assert.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import { readTranscript } from "../../src/output/workflow_files.ts";
import { type Script, startHarness } from "./harness.ts";
import type { QuirkKind } from "../../src/sim/quirks.ts";

const promote: Script = (agent) =>
  agent === "editor" ? { calls: [{ name: "promote_to_published", input: {} }] } : undefined;

Deno.test("every request rebuilt from the transcript is the request the API received", async () => {
  const h = await startHarness({ script: promote });
  try {
    const ids = ["How lighthouses work", "Why tides differ"].map((topic) =>
      h.deps.store.create({ topic }, DEFAULT_MODELS).id
    );
    await h.run();
    for (const id of ids) {
      assertEquals(h.deps.store.get(id).status, "published");
      const received = h.api.requests.filter((r) => r.headers.get("x-pressroom-workflow") === id);
      assertEquals(received.flatMap((r) => r.problems), []);
      const transcript = await readTranscript(h.dir, id);
      assertEquals(transcript.map((line) => line.request), received.map((r) => r.body));

      // On disk, each line refers to the pieces, and each distinct piece is stored once: one tools
      // list, the shared stable block and one stable block per agent.
      const files = `${h.dir}/workflows/${id}`;
      const lines = (await Deno.readTextFile(`${files}/transcript.jsonl`)).trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      for (const line of lines) {
        assertEquals(Object.keys(line.request.tools), ["$ref"]);
        assertEquals(line.request.system.map((b: object) => Object.keys(b)), [["$ref"], ["$ref"]]);
      }
      const parts = (await Deno.readTextFile(`${files}/transcript.parts.jsonl`)).trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      assertEquals(parts.length, 1 + 1 + 6);
      assertEquals(new Set(parts.map((p) => p.ref)).size, parts.length, "no piece is stored twice");
      assertEquals(parts.filter((p) => Array.isArray(p.part)).length, 1, "one tools list");
      assert(!(await Deno.readTextFile(`${files}/transcript.jsonl`)).includes('"input_schema"'));
    }
  } finally {
    await h.close();
  }
});

Deno.test("the live API's odd replies go into the transcript as they came, and every request still rebuilds", async () => {
  // Intake's and the planner's first requests get an empty and a whitespace-only reply; every researcher turn
  // that searches pauses, every writer turn runs long (cut at max_tokens where it writes a section), and the
  // publisher is billed in the US. A second workflow's writer is refused.
  const firstOnly: Record<string, QuirkKind> = { intake: "empty_reply", planner: "whitespace_reply" };
  const always: Record<string, QuirkKind> = {
    researcher: "pause_turn",
    writer: "long_turn",
    publisher: "us_inference",
  };
  const met = new Set<string>();
  let refused: string | undefined;
  const h = await startHarness({
    script: promote,
    // A writer max_tokens below its default (8192), which a long turn overshoots.
    config: { agents: { researcher: { webSearch: { enabled: true } }, writer: { maxTokens: 2048 } } },
    sim: {
      quirks: {
        script: (_i, agent, { workflowId }) => {
          if (workflowId === refused) return agent === "writer" ? "refusal" : undefined;
          if (agent === null) return undefined;
          if (always[agent]) return always[agent];
          const key = `${workflowId} ${agent}`;
          if (met.has(key) || !firstOnly[agent]) return undefined;
          met.add(key);
          return firstOnly[agent];
        },
      },
    },
  });
  try {
    // Fixed ids: the simulator seeds each request from its workflow id, and with every writer turn cut short
    // some ids leave the writer stuck on its failure limit. These two publish and get refused, every run.
    const published = h.deps.store.create({ topic: "How lighthouses work" }, DEFAULT_MODELS, {
      id: "01KB0000000000000000000001",
    }).id;
    refused = h.deps.store.create({ topic: "Why tides differ" }, DEFAULT_MODELS, {
      id: "01KB0000000000000000000002",
    }).id;
    await h.run();
    assertEquals(h.deps.store.get(published).status, "published");
    assertEquals(h.deps.store.get(refused).status, "stuck");
    for (const id of [published, refused]) {
      const received = h.api.requests.filter((r) => r.headers.get("x-pressroom-workflow") === id);
      assertEquals(received.flatMap((r) => r.problems), []);
      const transcript = await readTranscript(h.dir, id);
      assertEquals(transcript.map((line) => line.request), received.map((r) => r.body));
    }
    const replies = (await readTranscript(h.dir, published)).map((line) =>
      line.response as {
        content: { type: string; text?: string }[];
        stop_reason: string;
        usage: { inference_geo?: string };
      }
    );
    assert(replies.some((r) => r.content.length === 0), "an empty reply");
    assert(replies.some((r) => r.content.length === 1 && r.content[0].text === "\n\n"), "a whitespace reply");
    assert(replies.some((r) => r.stop_reason === "pause_turn"), "a paused turn");
    assert(replies.some((r) => r.stop_reason === "max_tokens"), "a turn cut at max_tokens");
    assert(replies.some((r) => r.usage.inference_geo === "us"), "usage billed in the US");
    const refusal = (await readTranscript(h.dir, refused)).map((line) =>
      line.response as { stop_reason: string }
    );
    assertEquals(refusal.at(-1)?.stop_reason, "refusal");
  } finally {
    await h.close();
  }
});
