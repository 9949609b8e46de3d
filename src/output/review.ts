/**
 * `review/<workflow id>.md`: a flagged or stuck workflow, with the reason, the
 * stage, the brief and the draft so far, for a person to read before
 * `pressroom approve` or `pressroom retry`.
 * @module
 */
import { AGENT_IDS } from "../config/schema.ts";
import type { ContentState } from "../content/state.ts";
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
  /** What stopped a stuck workflow, when that decides the way on. */
  cause?: StuckCause;
}

/** A cap that will not let the workflow go on until it is raised, or the API refusing an agent's request. */
export type StuckCause = { kind: "cap"; cap: string } | { kind: "api_refusal"; agent: string; model: string };

/**
 * Why `approve` cannot publish this draft as it stands, or null when it can: it needs a draft whose
 * every section has text. One rule for the command and for the review file that suggests it.
 */
export function approvalBlocker(state: ContentState): string | null {
  if (!state.draft?.sections.length) return "there is no draft yet";
  const unwritten = state.draft.sections.filter((s) => !s.markdown.trim()).map((s) => s.id);
  return unwritten.length ? `sections without text: ${unwritten.join(", ")}` : null;
}

/**
 * What a person can do next, as Markdown list items: only commands that work for this workflow in
 * its state (a command that needs a change first says which).
 */
export function nextSteps(workflowId: string, info: ReviewInfo): string[] {
  const retry = `pressroom retry ${workflowId}`;
  const stopped = (AGENT_IDS as readonly string[]).indexOf(info.stage ?? "");
  const stages = AGENT_IDS.slice(0, stopped === -1 ? AGENT_IDS.length : stopped + 1).join(", ");
  const startOver = `\`${retry} --stage <stage>\` starts a stage over (${stages}): its work and all ` +
    "that follows is cleared, your own edits to brief.json and draft.md are kept";
  const steps: string[] = [];
  const blocker = approvalBlocker(info.state);
  const draftFile = `workflows/${workflowId}/draft.md`;
  if (blocker === null) {
    steps.push(
      `Publish it as it stands: \`pressroom approve ${workflowId}\` (edits to ${draftFile} are taken).`,
    );
  } else if (info.state.draft) {
    steps.push(
      `Publish it by hand: write the missing text in ${draftFile} (${blocker}), then ` +
        `\`pressroom approve ${workflowId}\`.`,
    );
  }
  const cause = info.cause;
  if (info.kind === "flagged") {
    steps.push(`Send it back to the editor (to the writer first if a revision is open): \`${retry}\`.`);
    steps.push(`Or ${startOver}.`);
  } else if (cause?.kind === "cap") {
    steps.push(
      `Raise \`caps.${cause.cap}\` in pressroom.json; then \`${retry}\` goes on where it stopped, or ${startOver}.`,
    );
  } else {
    if (cause?.kind === "api_refusal") {
      steps.push(
        `If the API refused ${cause.model} because it was retired, pin the ${cause.agent} to another model: ` +
          `\`${retry} --model ${cause.agent}=<model>\`.`,
      );
    }
    steps.push(
      `Go on where it stopped: \`${retry}\` (raise the limit named above in pressroom.json first, if one ` +
        "stopped it).",
    );
    steps.push(`Or ${startOver}.`);
  }
  return steps.map((step) => `- ${step}`);
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
    `## What you can do\n\n${nextSteps(workflowId, info).join("\n")}\n`,
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
