import { assert, assertEquals, assertRejects } from "../assert.ts";
import { InvalidWorkflowIdError } from "../../src/output/errors.ts";
import { parseYaml, splitFrontMatter } from "../../src/output/front_matter.ts";
import { approvalBlocker, nextSteps, removeReview, writeReview } from "../../src/output/review.ts";
import { HOSTILE_PARTS, listTree, sampleState, tempDir, tempFilesIn, WF, WF2 } from "./fixtures.ts";

Deno.test("writeReview writes review/<id>.md with the reason, stage and draft so far", async () => {
  const dir = await tempDir();
  const state = sampleState();
  state.draft!.sections[0].revision = "Cite the 1822 paper.";
  state.decision = { kind: "flagged", reason: "claims need a source" };
  const path = await writeReview(dir, WF, {
    reason: "claims need a source\n---\nkind: stuck",
    kind: "flagged",
    stage: "editor",
    state,
    at: "2026-11-24T10:00:00.000Z",
  });
  assertEquals(path, `${dir}/review/${WF}.md`);
  const text = await Deno.readTextFile(path);
  const { yaml, body } = splitFrontMatter(text);
  assertEquals(parseYaml(yaml), {
    workflow_id: WF,
    kind: "flagged",
    stage: "editor",
    reason: "claims need a source\n---\nkind: stuck",
    at: "2026-11-24T10:00:00.000Z",
  });
  assert(body.includes(`# Flagged for review: workflow ${WF}`));
  assert(body.includes("Stage: **editor**"));
  assert(body.includes("> claims need a source\n> ---\n> kind: stuck"));
  assert(body.includes("## Brief"));
  assert(body.includes("- **angle:** engineering history of lighthouses"));
  assert(body.includes("## Draft so far"));
  assert(body.includes("> **Open revision:** Cite the 1822 paper."));
  for (const section of state.draft!.sections) assert(body.includes(section.markdown), section.id);
  assertEquals(await listTree(dir), ["review/", `review/${WF}.md`]);
});

Deno.test("a stuck workflow with no draft yet gets a review file; a second write replaces it", async () => {
  const dir = await tempDir();
  const state = sampleState();
  state.draft = null;
  delete state.brief.tone;
  await writeReview(dir, WF, { reason: "intake ran out of turns", kind: "stuck", stage: "intake", state });
  let text = await Deno.readTextFile(`${dir}/review/${WF}.md`);
  assert(text.includes("# Stuck: workflow"));
  assert(text.includes("- **tone:** _(missing)_"));
  assert(text.includes("_No draft yet._"));
  await writeReview(dir, WF, { reason: "second reason", kind: "stuck", state });
  text = await Deno.readTextFile(`${dir}/review/${WF}.md`);
  assert(text.includes("second reason") && !text.includes("intake ran out of turns"));
  assert(text.includes("Stage: **unknown**"));
  assertEquals(await tempFilesIn(dir), []);
});

Deno.test("removeReview removes the file and says whether it existed", async () => {
  const dir = await tempDir();
  await writeReview(dir, WF, { reason: "x", kind: "stuck", state: sampleState() });
  await writeReview(dir, WF2, { reason: "y", kind: "stuck", state: sampleState() });
  assertEquals(await removeReview(dir, WF), true);
  assertEquals(await removeReview(dir, WF), false);
  assertEquals(await listTree(dir), ["review/", `review/${WF2}.md`]);
});

Deno.test("hostile workflow ids never reach the file system", async () => {
  const sandbox = await tempDir();
  const dataDir = `${sandbox}/data`;
  await Deno.mkdir(dataDir);
  for (const id of [...HOSTILE_PARTS, `../${WF}`, `${WF}/../../x`, WF.toLowerCase()]) {
    await assertRejects(
      () => writeReview(dataDir, id, { reason: "x", kind: "stuck", state: sampleState() }),
      InvalidWorkflowIdError,
    );
    await assertRejects(() => removeReview(dataDir, id), InvalidWorkflowIdError);
  }
  assertEquals(await listTree(sandbox), ["data/"]);
});

Deno.test("the review file suggests, per state, only commands that work", () => {
  const retry = `pressroom retry ${WF}`;
  const startOver = (stages: string) =>
    `\`${retry} --stage <stage>\` starts a stage over (${stages}): its work and all that follows is cleared, ` +
    "your own edits to brief.json and draft.md are kept";
  const approve =
    `- Publish it as it stands: \`pressroom approve ${WF}\` (edits to workflows/${WF}/draft.md are taken).`;
  const state = sampleState();
  assertEquals(nextSteps(WF, { kind: "flagged", reason: "x", state, stage: "editor" }), [
    approve,
    `- Send it back to the editor (to the writer first if a revision is open): \`${retry}\`.`,
    `- Or ${startOver("intake, planner, researcher, writer, editor")}.`,
  ]);
  const refused = {
    kind: "stuck" as const,
    reason: "API refused the request: 404",
    state,
    stage: "editor",
    cause: { kind: "api_refusal" as const, agent: "editor", model: "claude-old-1" },
  };
  assertEquals(nextSteps(WF, refused), [
    approve,
    `- If the API refused claude-old-1 because it was retired, pin the editor to another model: ` +
    `\`${retry} --model editor=<model>\`.`,
    `- Go on where it stopped: \`${retry}\` (raise the limit named above in pressroom.json first, if one stopped it).`,
    `- Or ${startOver("intake, planner, researcher, writer, editor")}.`,
  ]);
  const noDraft = { ...state, draft: null };
  const capped = { kind: "stuck" as const, reason: "cap", state: noDraft, stage: "planner" };
  assertEquals(nextSteps(WF, { ...capped, cause: { kind: "cap", cap: "perWorkflowUsd" } }), [
    `- Raise \`caps.perWorkflowUsd\` in pressroom.json; then \`${retry}\` goes on where it stopped, or ` +
    `${startOver("intake, planner")}.`,
  ]);
  assertEquals(approvalBlocker(noDraft), "there is no draft yet");
});
