/**
 * The stage's files (transcript, brief, draft) are written off the call path.
 * When they cannot be written, the stage stops spending and fails with the
 * error, and what it spent is recorded.
 */
// deno-lint-ignore-file no-explicit-any
import { assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import { startHarness } from "./harness.ts";
import { rawDb } from "../helpers.ts";

Deno.test("a brief that cannot be written stops the stage one call later; every call is recorded", async () => {
  const h = await startHarness();
  try {
    const id = h.deps.store.create({ topic: "Files that cannot be written" }, DEFAULT_MODELS).id;
    // A non-empty folder where brief.json goes: the atomic rename over it fails after the first turn.
    await Deno.mkdir(`${h.dir}/workflows/${id}/brief.json/blocked`, { recursive: true });
    await assertRejects(() => h.run(), Error, "brief.json");
    // The first turn's write failed while the second call was in flight; there is no third.
    assertEquals(h.api.requests.length, 2);
    const rows = (rawDb(h.deps.ledger).prepare("SELECT COUNT(*) AS n FROM ai_call_log").get() as any).n;
    assertEquals(rows, 2);
    assertEquals(h.deps.ledger.openReservations(), 0);
    const transcript = await Deno.readTextFile(`${h.dir}/workflows/${id}/transcript.jsonl`);
    assertEquals(transcript.trim().split("\n").length, 2, "the transcript still has every exchange");
  } finally {
    await h.close();
  }
});

Deno.test("a transcript that cannot be written is told through deps.warn, and the workflow goes on", async () => {
  // The editor promotes (a simulated editor may flag the draft): the subject is the transcript, not the edit.
  const h = await startHarness({
    script: (agent) =>
      agent === "editor" ? { calls: [{ name: "promote_to_published", input: {} }] } : undefined,
  });
  const warnings: string[] = [];
  h.deps.warn = (line) => warnings.push(line);
  try {
    const id = h.deps.store.create({ topic: "Transcripts that cannot be written" }, DEFAULT_MODELS).id;
    // A folder where transcript.jsonl goes: every append fails; the transcript is a record, not the truth.
    await Deno.mkdir(`${h.dir}/workflows/${id}/transcript.jsonl`, { recursive: true });
    await h.run();
    assertEquals(h.deps.store.get(id).status, "published");
    assertEquals(warnings.length > 0, true, "the failure is told");
    for (const line of warnings) assertMatch(line, new RegExp(`^pressroom: transcript of ${id}: `));
  } finally {
    await h.close();
  }
});
