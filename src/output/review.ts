/**
 * `review/<workflow id>.md`: a flagged or stuck workflow, with the reason, the
 * stage, the brief and the draft so far, for a person to read before
 * `pressroom approve` or `pressroom retry`.
 * @module
 */
import type { ContentState } from "../pipeline/state.ts";
import { renderBrief, renderDraft } from "./article.ts";
import { writeFileAtomic } from "./atomic.ts";
import { serializeYaml } from "./front_matter.ts";
import { blockQuote, closeOpenFences } from "./markdown.ts";
import { dataPaths } from "./paths.ts";

export interface ReviewInfo {
  reason: string;
  kind: "flagged" | "stuck";
  state: ContentState;
  /** The stage the workflow stopped in (e.g. `editor`); shown as `unknown` when absent. */
  stage?: string;
  /** ISO 8601; defaults to now. */
  at?: string;
}

/** The review file's text: small front matter (workflow id, kind, stage, reason, time), then Markdown. */
export function renderReview(workflowId: string, info: ReviewInfo): string {
  const stage = info.stage ?? "unknown";
  const at = info.at ?? new Date().toISOString();
  const head = serializeYaml({ workflow_id: workflowId, kind: info.kind, stage, reason: info.reason, at });
  const title = info.kind === "flagged" ? "Flagged for review" : "Stuck";
  return [
    `---\n${head}---\n`,
    `# ${title}: workflow ${workflowId}\n`,
    `Stage: **${stage}** · ${at}\n`,
    `${blockQuote(closeOpenFences(info.reason || "(no reason given)"))}\n`,
    `Publish it as it stands with \`pressroom approve ${workflowId}\`, or send it back with ` +
    `\`pressroom retry ${workflowId} --stage <stage>\`.\n`,
    `## Brief\n\n${renderBrief(info.state)}\n`,
    `## Draft so far\n`,
    renderDraft(info.state),
  ].join("\n");
}

/** Write (or replace) `review/<workflowId>.md` atomically; the id must be a ULID. Returns the path. */
export async function writeReview(dataDir: string, workflowId: string, info: ReviewInfo): Promise<string> {
  const paths = dataPaths(dataDir);
  const path = paths.reviewFile(workflowId);
  await Deno.mkdir(paths.review, { recursive: true });
  await writeFileAtomic(path, renderReview(workflowId, info));
  return path;
}

/** Remove `review/<workflowId>.md`; true if it existed. */
export async function removeReview(dataDir: string, workflowId: string): Promise<boolean> {
  try {
    await Deno.remove(dataPaths(dataDir).reviewFile(workflowId));
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
