/**
 * Run by permissions_test.ts under the binary's permission set (`-P=pressroom`):
 * every write path of src/output must work there. Prints a JSON report.
 * `pressroom_perms_driver.ts <dataDir>`
 * @module
 */
import { publishArticle, renderArticle, renderDraft } from "../../src/output/article.ts";
import { parseFrontMatter } from "../../src/output/front_matter.ts";
import { writeReview } from "../../src/output/review.ts";
import { appendTranscript, mirrorWorkflow } from "../../src/output/workflow_files.ts";
import { EXTRA, sampleState, WF } from "./fixtures.ts";

const dataDir = Deno.args[0];
const state = sampleState();
const article = renderArticle(state, EXTRA);
const published = await publishArticle(dataDir, state.metadata!.slug, article);
const review = await writeReview(dataDir, WF, { reason: "check", kind: "flagged", stage: "editor", state });
await mirrorWorkflow(dataDir, WF, {
  request: state.request,
  brief: state.brief,
  draftMarkdown: renderDraft(state),
});
await appendTranscript(dataDir, WF, { kind: "request", text: "hello" });
let parse: string;
try {
  parse = parseFrontMatter(article).title === state.draft!.title ? "ok" : "mismatch";
} catch (error) {
  parse = `${(error as Error).name}: ${(error as Error).message}`;
}
console.log(JSON.stringify({ published, review, parse }));
