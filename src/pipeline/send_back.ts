/**
 * Where `pressroom retry` sends a workflow, and what it clears. Without
 * `--stage` the workflow resumes: the stage it stopped in goes on with its work
 * so far (a flagged article goes back to the writer if a revision is open, else
 * to the editor). With `--stage S`, S starts over: its output and that of every
 * later stage, which was built on it, is cleared, so S's done rule does not hold
 * and the stage works again. A person's own edits (brief fields changed in
 * brief.json, section texts changed in draft.md) are kept. Pure.
 * @module
 */
import { AGENT_IDS, type AgentId } from "../config/schema.ts";
import { AGENTS } from "./agents.ts";
import type { BriefField, ContentState } from "../content/state.ts";

/** What the person changed by hand before the retry: kept through a reset. */
export interface HandEdits {
  briefFields: ReadonlySet<BriefField>;
  sections: ReadonlySet<string>;
}

const order = (stage: AgentId) => AGENT_IDS.indexOf(stage);

/** The state with the decisions of `stage` and later stages undone: the editor's and the publisher's. */
function withoutDecisions(state: ContentState, stage: AgentId): ContentState {
  const next = structuredClone(state);
  if (order(stage) <= order("editor")) next.decision = null;
  if (order(stage) <= order("publisher")) next.metadata = null;
  return next;
}

/**
 * The stage a retry without `--stage` resumes, and the state it resumes with: from the stage the
 * workflow stopped in (the writer, for a flagged article), the first whose done rule does not hold.
 * A stage a person finished by hand (every section written in draft.md) is passed, not run.
 */
export function resumeAt(
  stopped: { stage: AgentId; status: string },
  state: ContentState,
): { stage: AgentId; state: ContentState } {
  const start = stopped.status === "flagged" ? "writer" : stopped.stage;
  const resumed = withoutDecisions(state, start);
  const stage = AGENT_IDS.slice(order(start)).find((s) => AGENTS[s].missing(resumed) !== null) ?? "publisher";
  return { stage, state: resumed };
}

/**
 * `retry --stage S`: S and every later stage start over. Returns the new state and, for the user,
 * what was cleared.
 */
export function startOver(
  state: ContentState,
  stage: AgentId,
  edits: HandEdits,
): { state: ContentState; cleared: string[] } {
  const next = withoutDecisions(state, stage);
  const cleared: string[] = [];
  const untouched = (id: string) => !edits.sections.has(id);
  if (order(stage) <= order("intake")) {
    next.brief = Object.fromEntries(
      Object.entries(next.brief).filter(([field]) => edits.briefFields.has(field as BriefField)),
    );
    cleared.push(edits.briefFields.size ? "the brief fields you did not set in brief.json" : "the brief");
  }
  if (order(stage) <= order("planner")) {
    if (next.draft) cleared.push("the draft");
    next.draft = null;
    next.revisionRounds = 0;
  } else if (next.draft && order(stage) <= order("writer")) {
    const researcher = stage === "researcher";
    for (const section of next.draft.sections) {
      if (researcher) {
        section.citations = [];
        section.notes = [];
        delete section.revision;
      }
      if (untouched(section.id)) section.markdown = "";
    }
    if (researcher) {
      next.revisionRounds = 0;
      cleared.push("every section's citations and research notes");
    }
    cleared.push(
      edits.sections.size ? "the text of the sections you did not edit in draft.md" : "every section's text",
    );
  }
  if (order(stage) <= order("editor") && state.decision) cleared.push("the editor's decision");
  if (state.metadata) cleared.push("the publisher's metadata");
  return { state: next, cleared };
}

/** Why `retry --stage S` cannot send the workflow there, or null when it can. */
export function cannotStartOver(
  resume: AgentId,
  stage: AgentId,
  after: ContentState,
): string | null {
  if (order(stage) > order(resume)) {
    return `the ${resume}'s work is not done yet: a retry sends a workflow back to ${
      AGENT_IDS.slice(0, order(resume) + 1).join(", ")
    }, not past a stage`;
  }
  if (AGENTS[stage].missing(after) === null) {
    return `the ${stage} would have nothing to do: your edits to brief.json or draft.md do its work; ` +
      "retry without --stage to go on from there";
  }
  return null;
}
