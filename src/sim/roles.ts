/**
 * The six roles the simulated model plays, by the tool contract. Each stage
 * acts on the state its prompt shows (prompt_state.ts), reading it with
 * get_brief and get_draft only where the prompt does not show it, then makes
 * its mutation calls toward the agent's done rule: one a turn, except the
 * writer and the researcher, which work every open section in one turn (a call
 * each), and ends the turn with text when its work looks done. A profile decides
 * how often a mutation call goes wrong (wrong tool, malformed, logic), how often
 * a turn ends early with text only, and how long the writer's output is. After
 * an error result the next turn draws afresh. What a turn says depends on the
 * conversation and the Rng only, never on max_tokens: like a model, a role
 * writes what the task takes and the API cuts it where max_tokens runs out. A
 * long turn (the long_turn quirk) overshoots: the writer writes the whole article
 * into its first section, the others think aloud at length before their call. Pure;
 * randomness from the Rng given.
 * @module
 */
import { AGENT_IDS, type AgentId } from "../config/schema.ts";
import {
  BRIEF_FIELDS,
  type BriefField,
  type ContentState,
  MAX_REVISION_ROUNDS,
  type Section,
} from "../content/state.ts";
import { schemaOf, type ToolName } from "../pipeline/tools.ts";
import { BRIEF_RULES } from "../pipeline/brief_rules.ts";
import { type Conversation, knownState } from "./conversation.ts";
import { logicError, malformed, type ToolUse, wrongTool } from "./mistakes.ts";
import { decodableUnderStrict } from "./strict_decoding.ts";
import { drawOutcome, type ModelProfile, type Outcome } from "./profiles.ts";
import type { Rng } from "./rng.ts";
import { slugify } from "../output/paths.ts";
import {
  capitalize,
  clean,
  clip,
  contentWords,
  countWords,
  findUrls,
  paragraphs,
  prose,
  titleCase,
} from "./writing.ts";

export type { ToolUse } from "./mistakes.ts";

export interface RoleInput {
  /** The `x-pressroom-agent` header. */
  agent: string | null;
  conversation: Conversation;
  profile: ModelProfile;
  rng: Rng;
  /** Set when the request offers server-side web search; `force` makes the researcher search. */
  webSearch?: { maxUses: number; force?: boolean };
  /** This turn runs long (the long_turn quirk). */
  long?: boolean;
  /** The input schemas of the tools offered with `strict: true`, by name: their calls decode under them. */
  strictTools?: Map<string, unknown>;
}

/** One server-side web search and what it found: each result with the sentence the answer cites from it. */
export interface WebSearch {
  query: string;
  results: { url: string; title: string; citedText: string }[];
}

export interface RoleTurn {
  /** Text before the calls, or the whole answer when there are none. */
  text?: string;
  calls: ToolUse[];
  searches: WebSearch[];
  /** How each of the turn's mutation calls was meant to go, in the order of `calls`; absent when it made none. */
  outcomes?: Outcome[];
}

const READS: Record<AgentId, ToolName[]> = {
  intake: ["get_brief"],
  planner: ["get_brief", "get_draft"],
  researcher: ["get_brief", "get_draft"],
  writer: ["get_brief", "get_draft"],
  editor: ["get_brief", "get_draft"],
  publisher: ["get_brief"],
};

const isAgent = (id: string | null): id is AgentId => AGENT_IDS.includes(id as AgentId);

/** Words of visible reasoning a long turn puts before its call (about 2,200 tokens; 3,000 on Opus 4.7). */
export const LONG_PREAMBLE_WORDS = 1500;
/** A long writer turn writes this many times the whole article's target into one section. */
export const LONG_WRITER_FACTOR = 1.5;

interface Plan {
  /** The correct next calls, made in one turn (the writer writes every open section at once); none when done. */
  calls?: ToolUse[];
  /** Said when done (or when there is nothing this role can do). */
  done: string;
  /** Text before the call. */
  preamble?: string;
  searches?: WebSearch[];
}

export function playRole(input: RoleInput): RoleTurn {
  const { agent, conversation, rng, profile } = input;
  if (!isAgent(agent)) {
    return {
      text:
        "This is the simulated model. No x-pressroom-agent header named one of the six roles, so I have " +
        "nothing to do.",
      calls: [],
      searches: [],
    };
  }
  const reads = READS[agent];
  const missingRead = reads.some((r) => !(r === "get_brief" ? conversation.brief : conversation.draft));
  if (missingRead) {
    return {
      text: `Let me read ${
        reads.map((r) => (r === "get_brief" ? "the brief" : "the draft")).join(" and ")
      } first.`,
      calls: reads.map((name) => ({ name, input: {} })),
      searches: [],
    };
  }
  const state = knownState(conversation);
  const plan = PLANNERS[agent](state, input);
  if (!plan.calls?.length) return { text: plan.done, calls: [], searches: [] };
  if (rng.chance(profile.textOnlyRate)) {
    return {
      text: rng.pick([
        "I think this is in good shape now.",
        "That should cover what was asked.",
        "Let me know if you would like any changes.",
      ]),
      calls: [],
      searches: [],
    };
  }
  const topics = contentWords(JSON.stringify(plan.calls[0].input)).slice(0, 4);
  let preamble = plan.preamble ??
    `Calling ${plan.calls[0].name}. ` + prose(rng, profile.preambleWords, topics, "note").join(" ");
  if (input.long && agent !== "writer") {
    preamble += " " + prose(rng, LONG_PREAMBLE_WORDS, topics, "plan").join(" ");
  }
  const made = plan.calls.map((intended) => attempt(intended, state, input));
  return {
    text: preamble,
    calls: made.map((m) => m.call),
    searches: plan.searches ?? [],
    outcomes: made.map((m) => m.outcome),
  };
}

/** One mutation call as the model makes it: the intended one, or a mistake drawn from the profile. */
function attempt(
  intended: ToolUse,
  state: ContentState,
  input: RoleInput,
): { call: ToolUse; outcome: Outcome } {
  const { rng, profile } = input;
  const agent = input.agent as AgentId;
  let outcome = drawOutcome(profile, rng.next(), agent);
  let call = intended;
  const strict = input.strictTools?.has(intended.name) ?? false;
  if (outcome === "wrong_tool") call = wrongTool(agent, intended, rng, strict);
  if (outcome === "logic") {
    const mistaken = logicError(intended, state, rng);
    if (mistaken) call = mistaken;
    else outcome = "malformed"; // this agent's tools have no state rule to break
  }
  if (outcome === "malformed") {
    const schema = input.strictTools?.get(intended.name);
    call = malformed(intended, rng, (args) => !strict || decodableUnderStrict(schema, args));
    if (call === intended) outcome = "ok"; // strict decoding left no mistake to make
  }
  return { call, outcome };
}

const PLANNERS: Record<AgentId, (state: ContentState, input: RoleInput) => Plan> = {
  intake: planIntake,
  planner: planPlanner,
  researcher: planResearcher,
  writer: planWriter,
  editor: planEditor,
  publisher: planPublisher,
};

// ---- intake ----

/** A value for each brief field that its rule accepts whatever the request holds. */
const FALLBACK_BRIEF: Record<BriefField, string> = {
  title: "A Practical Guide",
  audience: "General readers who want a practical introduction",
  angle: "What it means in practice, and how to get real value from it",
  key_points: "What it is and why it matters\nHow it works in practice\nHow to get started",
  keywords: "guide, practice",
  tone: "clear and practical",
  target_words: "1000",
  sources: "No sources given; cite reputable public references.",
};

const labelled = (notes: string, label: string) =>
  notes.match(new RegExp(`^\\s*${label}\\s*[:\\-]\\s*(.+)$`, "im"))?.[1];

/** The brief field's value, derived from the request's topic, notes and sources. */
export function briefValue(field: BriefField, state: ContentState, rng: Rng): string {
  const topic = clean(state.request.topic ?? "") || "the topic";
  const notes = state.request.notes ?? "";
  const value = ((): string => {
    switch (field) {
      case "title":
        return titleCase(clip(topic, 140));
      case "audience":
        return clip(
          labelled(notes, "audience") ?? `Readers who want a clear, practical take on ${clip(topic, 200)}`,
          300,
        );
      case "angle":
        return clip(
          labelled(notes, "angle") ??
            `What ${clip(topic, 400)} means in practice, and how to get value from it`,
          600,
        );
      case "key_points": {
        const bullets = notes.split("\n").map((l) => l.match(/^\s*(?:[-*•]|\d+[.)])\s+(.+)$/)?.[1])
          .filter((p): p is string => !!p && clean(p).length >= 3).map((p) => clip(p, 200));
        const points = bullets.length >= 2 ? bullets.slice(0, 8) : [
          `What ${clip(topic, 120)} is and why it matters now`,
          `How ${clip(topic, 120)} works in practice`,
          "Common mistakes and how to avoid them",
          "How to get started this week",
        ];
        return points.join("\n");
      }
      case "keywords": {
        const words = contentWords(`${topic} ${labelled(notes, "keywords") ?? ""}`)
          .filter((w) => w.length <= 40 && !w.includes(","));
        return words.slice(0, 6).join(", ");
      }
      case "tone":
        return clip(
          labelled(notes, "tone") ??
            rng.pick(["clear and practical", "friendly and direct", "expert but approachable"]),
          100,
        );
      case "target_words": {
        const asked = Number(notes.match(/(\d{3,4})\s*words/i)?.[1] ?? 1000);
        return String(Math.min(5000, Math.max(200, asked)));
      }
      case "sources": {
        const named = (state.request.sources ?? []).map((s) => clip(s.name, 200));
        const urls = findUrls(`${notes}\n${(state.request.sources ?? []).map((s) => s.text).join("\n")}`);
        return clip([...named, ...urls].join("\n"), 2000);
      }
    }
  })();
  return BRIEF_RULES[field].safeParse(value).success ? value : FALLBACK_BRIEF[field];
}

function planIntake(state: ContentState, { rng }: RoleInput): Plan {
  const field = BRIEF_FIELDS.find((f) => !state.brief[f]);
  if (!field) return { done: "The brief is complete: all eight fields are set." };
  return {
    calls: [{ name: "update_brief_field", input: { field, value: briefValue(field, state, rng) } }],
    done: "",
    preamble: `Next I'll set the ${field.replace("_", " ")} from the request.`,
  };
}

// ---- planner ----

const FILLER_SECTIONS = [
  { heading: "Background", goal: "Give the reader the context they need before the details." },
  { heading: "In practice", goal: "Show how this works day to day, with one concrete example." },
  { heading: "What to do next", goal: "Leave the reader with clear next steps." },
];

export function draftPlan(
  state: ContentState,
): { title: string; sections: { heading: string; goal: string }[] } {
  const title = clip(state.brief.title ?? titleCase(state.request.topic ?? ""), 150);
  const points = (state.brief.key_points ?? "").split(/\n|;/).map((p) => clean(p)).filter((p) =>
    p.length >= 3
  );
  const sections: { heading: string; goal: string }[] = [];
  const seen = new Set<string>();
  for (const point of points.slice(0, 6)) {
    const heading = capitalize(clip(point.replace(/[.:;]+$/, ""), 80));
    if (heading.length < 2 || seen.has(heading.toLowerCase())) continue;
    seen.add(heading.toLowerCase());
    sections.push({ heading, goal: clip(`Explain ${point.charAt(0).toLowerCase()}${point.slice(1)}`, 500) });
  }
  for (const filler of FILLER_SECTIONS) {
    if (sections.length >= 3) break;
    if (!seen.has(filler.heading.toLowerCase())) sections.push(filler);
  }
  return { title: title.length >= 3 ? title : "Untitled article", sections };
}

function planPlanner(state: ContentState): Plan {
  if (state.draft) {
    return {
      done: `The draft is planned: ${state.draft.sections.map((s) => `${s.id} ${s.heading}`).join("; ")}.`,
    };
  }
  return { calls: [{ name: "create_draft", input: draftPlan(state) }], done: "" };
}

// ---- researcher ----

const citable = (url: string) =>
  schemaOf("add_citation").safeParse({ section_id: "s1", url, title: "source" }).success;

function planResearcher(state: ContentState, input: RoleInput): Plan {
  const { rng, profile, webSearch, conversation } = input;
  const draft = state.draft;
  if (!draft) return { done: "There is no draft yet, so there is nothing to research." };
  const open = draft.sections.filter((s) => !s.citations.length && !s.notes.length);
  if (!open.length) return { done: "Every section has research." };
  const given = findUrls([
    state.request.notes ?? "",
    state.brief.sources ?? "",
    ...(state.request.sources ?? []).map((s) => s.text),
  ].join("\n")).filter(citable);
  // Told that an address no search returned is not taken: search for every open section that can be, and
  // write notes for the rest instead of citing from memory.
  const refused = conversation.calls.some((c) =>
    c.name === "add_citation" && c.result?.isError && c.result.text.includes("search first")
  );
  // A turn that searches searches for each open section in turn, as far as max_uses goes.
  const searching = webSearch && webSearch.maxUses > 0 &&
    (rng.chance(profile.webSearchRate) || webSearch.force || refused);
  const searches: WebSearch[] = searching
    ? open.slice(0, webSearch.maxUses).map((section) => searchFor(section, state.request.topic ?? "", rng))
    : [];
  // One turn researches every open section, each a call of its own, as the prompt asks.
  const calls = open.map((section, i) =>
    researchCall(section, draft.sections.indexOf(section), {
      // Told that only searched addresses are taken, it cites none it has not searched.
      candidates: searches[i]?.results ??
        (refused ? [] : given.map((url) => ({ url, title: "", citedText: "" }))),
      searched: i < searches.length,
      fromMemory: !refused,
      keywords: state.brief.keywords ?? "",
      rng,
      profile,
    })
  );
  return {
    calls,
    done: "",
    preamble: `Researching ${open.map((s) => s.id).join(", ")}.`,
    searches,
  };
}

/** Where plausible sources live; a search finds three of them for a section. */
const SOURCE_SITES = [
  (slug: string) => `https://en.wikipedia.org/wiki/${slug.replace(/-/g, "_")}`,
  (slug: string) => `https://www.britannica.com/topic/${slug}`,
  (slug: string) => `https://www.nationalgeographic.com/science/article/${slug}`,
  (slug: string) => `https://www.sciencedaily.com/terms/${slug}.htm`,
  (slug: string) => `https://www.theguardian.com/science/${slug}`,
];

/** A search for one section: three results on plausible sites, each with a sentence the answer cites. */
function searchFor(section: Section, topic: string, rng: Rng): WebSearch {
  const slug = slugify(section.heading, 50) || section.id;
  const words = contentWords(`${section.heading} ${topic}`).slice(0, 5);
  // Three of the sites, drawn with the seeded generator (Fisher–Yates, the same on every engine).
  const sites = [...SOURCE_SITES];
  for (let i = sites.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [sites[i], sites[j]] = [sites[j], sites[i]];
  }
  sites.length = 3;
  return {
    query: clip(`${section.heading} ${topic}`, 200),
    results: sites.map((site, n) => ({
      url: site(slug),
      title: clip(`${section.heading}: ${["an overview", "what we know", "the evidence"][n]}`, 300),
      citedText: clip(prose(rng, 18, words)[0], 150),
    })),
  };
}

/**
 * A citation from the candidates (or, from memory, an address of its own), or now and then a research note
 * instead. Citing a search result, it quotes the text the answer cited from it, and at the profile's rates
 * misquotes it or cites an address the search did not return.
 */
function researchCall(
  section: Section,
  index: number,
  { candidates, searched, fromMemory, keywords, rng, profile }: {
    candidates: WebSearch["results"];
    searched: boolean;
    fromMemory: boolean;
    keywords: string;
    rng: Rng;
    profile: ModelProfile;
  },
): ToolUse {
  const topicWords = contentWords(`${section.heading} ${keywords}`).slice(0, 5);
  const cite = candidates.length ? rng.chance(0.75) : fromMemory && rng.chance(0.5);
  if (!cite) {
    const note = clip(`For "${section.heading}": ${prose(rng, 30, topicWords).join(" ")}`, 2000);
    return { name: "add_research_note", input: { section_id: section.id, note } };
  }
  const found = candidates.length
    ? candidates[(index + rng.int(0, candidates.length - 1)) % candidates.length]
    : undefined;
  const unlisted = !found || (searched && rng.chance(profile.citations.unlisted));
  const args: Record<string, unknown> = {
    section_id: section.id,
    url: unlisted ? `https://example.org/${slugify(section.heading, 60) || section.id}` : found.url,
    title: clip(found?.title || `${section.heading}: background`, 300),
  };
  if (rng.chance(0.5)) {
    const cited = found?.citedText ? found.citedText.split(" ").slice(0, 10).join(" ") : "";
    args.quote = cited && !rng.chance(profile.citations.misquote)
      ? cited
      : clip(prose(rng, 15, topicWords)[0], 1000);
  }
  return { name: "add_citation", input: args };
}

// ---- writer ----

function planWriter(state: ContentState, input: RoleInput): Plan {
  const { rng, profile } = input;
  const draft = state.draft;
  if (!draft) return { done: "There is no draft yet, so there is nothing to write." };
  const open = draft.sections.filter((s) => !s.markdown || s.revision);
  if (!open.length) return { done: "Every section is written and no revision is open." };
  const target = Number(state.brief.target_words) || 1000;
  const keywords = (state.brief.keywords ?? "").split(",").map((k) => k.trim()).filter(Boolean);
  const topicsOf = (section: Section) => [
    section.heading.toLowerCase(),
    ...keywords,
    ...contentWords(section.goal).slice(0, 3),
  ];
  // One turn writes every open section, as the prompt asks, each an update_section call of its own.
  const calls = open.map((section, i) => {
    // Written for the task, not for max_tokens: a turn too long for it is cut by the API.
    const words = input.long && i === 0
      ? Math.round(target * profile.verbosity * LONG_WRITER_FACTOR)
      : Math.max(40, Math.round((target / draft.sections.length) * profile.verbosity));
    return {
      name: "update_section",
      input: { section_id: section.id, markdown: sectionText(section, words, topicsOf(section), rng) },
    };
  });
  const preamble = `Writing ${open.map((s) => s.id).join(", ")}. ` +
    prose(rng, profile.writerPlanWords, topicsOf(open[0]), "plan").join(" ");
  return { calls, done: "", preamble };
}

/** A section's Markdown: about `words` words, answering its open revision and using its research. */
function sectionText(section: Section, words: number, topics: string[], rng: Rng): string {
  const sentences = prose(rng, words, topics);
  if (section.revision) {
    sentences.unshift(`This version answers the editor's note: ${clip(section.revision, 200)}`);
  }
  if (section.notes.length) {
    sentences.splice(1, 0, `Our research found this: ${clip(section.notes[0], 300)}`);
  }
  const citation = section.citations[0];
  if (citation) {
    sentences.splice(2, 0, `As [${clip(citation.title, 80)}](${citation.url}) puts it, the details matter.`);
  }
  return clip(paragraphs(rng, sentences), 20_000);
}

/** Words of the section texts, for tests and reports. */
export function draftWords(state: ContentState): number {
  return (state.draft?.sections ?? []).reduce((n, s) => n + countWords(s.markdown), 0);
}

// ---- editor ----

const REVISIONS = [
  "Tighten this section and add one concrete example.",
  "The opening is slow: lead with the main point, then support it.",
  "Tie this section back to the brief's angle and cut the repetition.",
  "Use the research notes here; a claim needs its source.",
];

function planEditor(state: ContentState, input: RoleInput): Plan {
  const plan = decideEdit(state, input);
  if (!plan.calls || !state.draft) return plan;
  // The editor writes its review before the decision call, at the length its model reviews at.
  const headings = state.draft.sections.map((s) => s.heading.toLowerCase());
  return { ...plan, preamble: prose(input.rng, input.profile.reviewWords, headings, "review").join(" ") };
}

function decideEdit(state: ContentState, { rng, profile }: RoleInput): Plan {
  if (state.decision) {
    const said = {
      promoted: "Promoted for publishing.",
      flagged: "Flagged for review.",
      revisions: "Revisions requested.",
    };
    return { done: said[state.decision.kind] };
  }
  const draft = state.draft;
  const flag = (reason: string): Plan => ({
    calls: [{ name: "flag_for_review", input: { reason } }],
    done: "",
  });
  if (!draft) return flag("There is no draft to review.");
  const unwritten = draft.sections.filter((s) => !s.markdown).map((s) => s.id);
  if (unwritten.length) return flag(`Sections without text: ${unwritten.join(", ")}.`);
  const open = draft.sections.filter((s) => s.revision).map((s) => s.id);
  if (open.length) return flag(`Revisions are still open on ${open.join(", ")}.`);
  const u = rng.next();
  if (u < profile.editor.flagRate) {
    const s = rng.pick(draft.sections);
    return flag(`The claims in ${s.id} (${s.heading}) need a person to check them against the sources.`);
  }
  if (state.revisionRounds < MAX_REVISION_ROUNDS && u < profile.editor.flagRate + profile.editor.reviseRate) {
    const s = rng.pick(draft.sections);
    return {
      calls: [{ name: "request_revision", input: { section_id: s.id, instructions: rng.pick(REVISIONS) } }],
      done: "",
    };
  }
  return { calls: [{ name: "promote_to_published", input: {} }], done: "" };
}

// ---- publisher ----

export function metadataFor(state: ContentState): { slug: string; description: string; tags: string[] } {
  const title = state.brief.title ?? state.request.topic ?? "";
  const slug = slugify(title, 80) || "article";
  const description =
    clip(state.brief.angle ?? `An article about ${clean(state.request.topic ?? "")}`, 300) ||
    "An article.";
  const keywords = (state.brief.keywords ?? "").split(",").map((k) => clip(k, 40))
    .filter((k) => k.length >= 1 && !/[,\n]/.test(k));
  const tags = [...new Set(keywords)].slice(0, 8);
  return { slug, description, tags: tags.length ? tags : [slug.split("-")[0] || "article"] };
}

function planPublisher(state: ContentState): Plan {
  if (state.metadata) return { done: `Metadata set: the article goes out as ${state.metadata.slug}.` };
  return { calls: [{ name: "set_metadata", input: { ...metadataFor(state) } }], done: "" };
}
