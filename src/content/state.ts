/**
 * A workflow's content state: the request, the brief, the draft, the editor's
 * decisions and the publisher's metadata. Plain JSON, stored in SQLite and
 * mirrored to files; the tool handlers are the only code that changes it.
 * @module
 */

export const BRIEF_FIELDS = [
  "title",
  "audience",
  "angle",
  "key_points",
  "keywords",
  "tone",
  "target_words",
  "sources",
] as const;
export type BriefField = typeof BRIEF_FIELDS[number];

/** What was asked: the topic, optional notes and source files given to `submit`. */
export interface WorkflowRequest {
  topic: string;
  notes?: string;
  sources?: { name: string; text: string }[];
}

export interface Citation {
  /** An http(s) address, or `source:<name>` for one of the request's source files. */
  url: string;
  title: string;
  quote?: string;
  /**
   * Where the address came from (pipeline/provenance.ts): a web search result of the same stage, a source
   * file, or neither. Absent on citations made before provenance was recorded.
   */
  provenance?: "web_search" | "source" | "unverified";
  /** A quote the model gave that the cited text does not contain: dropped, and kept here to say so. */
  droppedQuote?: string;
}

export interface Section {
  /** `s1`, `s2`, … in order of creation. */
  id: string;
  heading: string;
  goal: string;
  citations: Citation[];
  notes: string[];
  /** The writer's text; empty until written. */
  markdown: string;
  /** Open editor instructions the writer has not answered yet. */
  revision?: string;
}

export interface Draft {
  title: string;
  /** In reading order (add_section may insert). */
  sections: Section[];
  /** The next section number to hand out. */
  nextId: number;
}

export interface Metadata {
  slug: string;
  description: string;
  tags: string[];
}

export interface ContentState {
  request: WorkflowRequest;
  brief: Partial<Record<BriefField, string>>;
  draft: Draft | null;
  /** Editor rounds that asked for revisions (at most `MAX_REVISION_ROUNDS`). */
  revisionRounds: number;
  /** The editor's decision in the current editor stage. */
  decision: { kind: "promoted" } | { kind: "flagged"; reason: string } | { kind: "revisions" } | null;
  metadata: Metadata | null;
  /**
   * The stage, state and cap period end when a daily cap last made this workflow wait: a refusal in a
   * later period with no progress is a stall.
   */
  lastCapWait?: { stage: string; fingerprint: string; until?: number };
}

/** The editor may send a draft back to the writer at most this many times. */
export const MAX_REVISION_ROUNDS = 2;

export function emptyState(request: WorkflowRequest): ContentState {
  return { request, brief: {}, draft: null, revisionRounds: 0, decision: null, metadata: null };
}
