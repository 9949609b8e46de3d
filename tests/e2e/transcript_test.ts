/**
 * The transcript keeps each tools list and stable block once per workflow, and every request can be
 * rebuilt from it exactly as the API received it.
 */
import { assert, assertEquals } from "../assert.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import { readTranscript } from "../../src/output/workflow_files.ts";
import { type Script, startHarness } from "./harness.ts";

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
