/**
 * Citations per completion by provenance (pipeline/provenance.ts), per citing agent and its model, from the
 * completed workflows' content. Pure.
 * @module
 */
import type { Citation, ContentState } from "../content/state.ts";
import { AGENTS, ownerOf } from "../pipeline/agents.ts";
import { ratio } from "./maths.ts";

/** How a citation is counted: its provenance, or "unrecorded" for one made before provenance was kept. */
export const CITATION_KINDS = ["web_search", "source", "unverified", "unrecorded"] as const;
type Kind = typeof CITATION_KINDS[number];

export interface CitationFigures {
  agent: string;
  model: string;
  completions: number;
  /** Citations per completion of each provenance. */
  perCompletion: Record<Kind, number>;
  /** Quotes dropped (not in the cited text) per completion. */
  droppedQuotesPerCompletion: number;
}

/** One citation as the figures count it: where its address came from, and whether its quote was dropped. */
export interface CitationMark {
  provenance?: Citation["provenance"];
  dropped?: true;
}

/** A completed workflow's models and citations, as queries.ts reads them. */
export interface CitedWorkflow {
  models: Record<string, string>;
  citations: CitationMark[];
}

/** The citations of a workflow's draft, as the figures count them: what the shared ledger keeps of its content. */
export function citationMarks(state: Pick<ContentState, "draft">): CitationMark[] {
  return (state.draft?.sections ?? []).flatMap((section) =>
    section.citations.map((c) => ({
      ...(c.provenance ? { provenance: c.provenance } : {}),
      ...(c.droppedQuote ? { dropped: true as const } : {}),
    }))
  );
}

/** A draft whose citations are `marks`: how a report over every machine (mirror.ts) stores what it was given. */
export function stateOfMarks(
  marks: CitationMark[],
): { draft: { sections: { citations: Partial<Citation>[] }[] } } {
  return {
    draft: {
      sections: [{
        citations: marks.map((m) => ({
          ...(m.provenance ? { provenance: m.provenance } : {}),
          ...(m.dropped ? { droppedQuote: "(dropped)" } : {}),
        })),
      }],
    },
  };
}

/** The agent whose tool makes citations: its model in each workflow is the one the citations are booked to. */
const CITING_AGENT = ownerOf("add_citation")!;

export function citationFigures(workflows: CitedWorkflow[]): CitationFigures[] {
  const byModel = new Map<string, { completions: number; counts: Record<Kind, number>; dropped: number }>();
  for (const w of workflows) {
    const model = w.models[CITING_AGENT] ?? AGENTS[CITING_AGENT].defaultModel;
    const entry = byModel.get(model) ??
      { completions: 0, counts: { web_search: 0, source: 0, unverified: 0, unrecorded: 0 }, dropped: 0 };
    entry.completions++;
    for (const c of w.citations) {
      entry.counts[c.provenance ?? "unrecorded"]++;
      if (c.dropped) entry.dropped++;
    }
    byModel.set(model, entry);
  }
  return [...byModel].map(([model, e]) => ({
    agent: CITING_AGENT,
    model,
    completions: e.completions,
    perCompletion: Object.fromEntries(
      CITATION_KINDS.map((k) => [k, ratio(e.counts[k], e.completions)]),
    ) as Record<
      Kind,
      number
    >,
    droppedQuotesPerCompletion: ratio(e.dropped, e.completions),
  }));
}
