/**
 * Model profiles for the simulated model, as data, chosen by model family.
 *
 * Sonnet and Opus are calibrated to the field report (../shared/seed/: three weeks of ai_call_log rows
 * from a six-agent pipeline on Sonnet 4.6 and Opus 4.7) over the reference workload
 * (tests/reference_workload.ts: the demo's topics, 60 workflows, seed 7), where
 * tests/e2e/reference_workload_test.ts pins the figures. Each calibrated number carries the report's
 * words it comes from. A rate here is not the report's figure itself: the report counts shares of all
 * tool calls, and roles differ (intake's update_brief_field has no state rule to break, so its logic
 * mistakes are malformed ones; the editor makes one call), so the rates are what makes the shares come
 * out. The figures that cannot all hold at once, and which were kept, are in NOT_PINNED beside the test.
 * Haiku is not in the report: a bit worse than Sonnet, terser and faster. Latencies are rough public
 * figures.
 *
 * Quirk rates (quirks.ts) are ours, kept low (a few per cent at most) so that workflows still finish:
 * Haiku replies empty and blank more often, and a turn that searches pauses now and then on every
 * model. A long turn on Opus costs five times what it costs on Sonnet, so it is rarer there than the
 * report's totals allow otherwise. Refusals and a full context window, which stop a stage, are rare
 * (about 1 in 1,000 calls, a few per cent of workflows).
 * @module
 */
import type { AgentId } from "../config/schema.ts";
import type { Family, ModelInfo } from "../models/catalog.ts";
import type { PriceBook } from "../models/price_book.ts";
import type { QuirkRates } from "./quirks.ts";

/** How a mutation attempt goes wrong; `ok` when it does not. */
export type Outcome = "ok" | "wrong_tool" | "malformed" | "logic";

export interface ModelProfile {
  family: Family;
  /** Chance that one mutation tool call fails, by kind; the rest succeed. */
  failures: { wrong_tool: number; malformed: number; logic: number };
  /** Multiplies every failure rate of one role's calls; a role not named fails at `failures`. */
  roleFailureScale: Partial<Record<AgentId, number>>;
  latency: { baseMs: number; perOutputTokenMs: number };
  /** Chance of ending a turn with text only while work remains (the pipeline then nudges). */
  textOnlyRate: number;
  /** The writer's section length, relative to target_words / sections. */
  verbosity: number;
  /** Words of visible planning the writer puts before each section it writes. */
  writerPlanWords: number;
  /** Words of preamble before other tool calls. */
  preambleWords: number;
  /** Words of the editor's written review before its decision call. */
  reviewWords: number;
  /** The editor's decision: revise (while rounds remain) and flag rates; otherwise it promotes. */
  editor: { reviseRate: number; flagRate: number };
  /** Chance the researcher uses web search on a turn, when the request offers it. */
  webSearchRate: number;
  /**
   * Citing a search result: the chance it cites an address the search did not return instead, and that its
   * quote is not what the result said. Not in the report (it ran without search): guesses, Opus the
   * carefuller.
   */
  citations: { unlisted: number; misquote: number };
  /** Chance per reply of each of the live API's quirks (quirks.ts). */
  quirks: QuirkRates;
}

export const PROFILES: Record<Family, ModelProfile> = {
  sonnet: {
    family: "sonnet",
    // "81.3% on first attempt … wrong tool selected (6%), malformed args (9%), … logically incorrect (3.7%)".
    failures: { wrong_tool: 0.06, malformed: 0.045, logic: 0.085 },
    // "Sonnet 4.6 required an average of 11.3 turns to complete an 8-turn loop"; editor "Sonnet 4.6
    // accuracy: 96.1%".
    roleFailureScale: { intake: 1.15, editor: 0.2 },
    latency: { baseMs: 800, perOutputTokenMs: 14 },
    textOnlyRate: 0.04,
    verbosity: 1,
    // "Writer went from $0.0248 to $0.0894 per call" (Sonnet's is the first).
    writerPlanWords: 80,
    preambleWords: 12,
    reviewWords: 150,
    // Not in the report: few revisions, since the report's totals leave little room for them.
    editor: { reviseRate: 0.05, flagRate: 0.03 },
    webSearchRate: 0.5,
    citations: { unlisted: 0.08, misquote: 0.1 },
    quirks: {
      empty_reply: 0.02,
      whitespace_reply: 0.01,
      pause_turn: 0.04,
      long_turn: 0.02,
      refusal: 0.0006,
      context_window_exceeded: 0.0003,
      us_inference: 0.03,
    },
  },
  opus: {
    family: "opus",
    // "93.7% first-attempt accuracy … (down to 0.8%). Malformed args dropped to 3.1% … dropped to 2.4%."
    failures: { wrong_tool: 0.009, malformed: 0.035, logic: 0.075 },
    // "Opus 4.7 completes the same loop in 8.4 turns on average"; editor "Opus 4.7: 96.4%"; the writer's
    // share keeps "Average total per completion: $0.243" (a failed section costs a turn of its own).
    roleFailureScale: { intake: 0.3, writer: 0.3, editor: 0.5 },
    latency: { baseMs: 1400, perOutputTokenMs: 25 },
    textOnlyRate: 0.01,
    verbosity: 1.3,
    // "1,400 extra output tokens that Opus produces before it's 'done'" (per writer call, over Sonnet's).
    writerPlanWords: 440,
    preambleWords: 30,
    // "I flipped it [the editor] back to Sonnet 4.6 on day 19 and saved $0.0278 per completion": Opus
    // reviews at length, which is what the steady state ($0.187 against $0.243) saves.
    reviewWords: 1000,
    editor: { reviseRate: 0.1, flagRate: 0.02 },
    webSearchRate: 0.6,
    citations: { unlisted: 0.04, misquote: 0.05 },
    quirks: {
      empty_reply: 0.015,
      whitespace_reply: 0.01,
      pause_turn: 0.05,
      long_turn: 0.01,
      refusal: 0.0004,
      context_window_exceeded: 0.0003,
      us_inference: 0.03,
    },
  },
  haiku: {
    family: "haiku",
    failures: { wrong_tool: 0.08, malformed: 0.11, logic: 0.05 },
    roleFailureScale: {},
    latency: { baseMs: 400, perOutputTokenMs: 7 },
    textOnlyRate: 0.06,
    verbosity: 0.85,
    writerPlanWords: 20,
    preambleWords: 8,
    reviewWords: 100,
    editor: { reviseRate: 0.35, flagRate: 0.05 },
    webSearchRate: 0.4,
    citations: { unlisted: 0.12, misquote: 0.15 },
    quirks: {
      empty_reply: 0.03,
      whitespace_reply: 0.015,
      pause_turn: 0.03,
      long_turn: 0.01,
      refusal: 0.001,
      context_window_exceeded: 0.0003,
      us_inference: 0.03,
    },
  },
};

/** Tokens a model's tokenizer counts for what Sonnet 4.6's counts as 1.0: on prose, and on tool definitions. */
export interface Tokenizer {
  prose: number;
  tools: number;
}

/**
 * The newer tokenizer (Opus 4.7 on), as the field report measured it: "added roughly 8–10% to input token
 * counts on my prose-heavy prompts"; "the tool definitions serialize to more tokens with the new tokenizer
 * (roughly 12% more on my 12-tool surface)". The catalog's tokenizerFactor (1.35, Anthropic's upper bound)
 * stays what estimates and cap holds use, so that an estimate never counts fewer tokens than are billed.
 */
export const NEW_TOKENIZER: Tokenizer = { prose: 1.09, tools: 1.12 };
const OLD_TOKENIZER: Tokenizer = { prose: 1, tools: 1 };

/** How the simulated model counts a model's tokens: any model the catalog gives a larger count uses the new tokenizer. */
export function simTokenizer(model: Pick<ModelInfo, "tokenizerFactor">): Tokenizer {
  return model.tokenizerFactor > 1 ? NEW_TOKENIZER : OLD_TOKENIZER;
}

/** The profile of a model's family; a configured model of no known family plays Sonnet. */
export function profileFor(model: string, prices: PriceBook): ModelProfile {
  return PROFILES[prices.lookup(model)?.family ?? "sonnet"];
}

/** Draws how one mutation attempt by `agent` goes, from one uniform number in [0, 1). */
export function drawOutcome(profile: ModelProfile, u: number, agent?: AgentId): Outcome {
  const scale = (agent && profile.roleFailureScale[agent]) ?? 1;
  const [wrong_tool, malformed, logic] = [
    profile.failures.wrong_tool,
    profile.failures.malformed,
    profile.failures.logic,
  ].map((rate) => rate * scale);
  if (u < wrong_tool) return "wrong_tool";
  if (u < wrong_tool + malformed) return "malformed";
  if (u < wrong_tool + malformed + logic) return "logic";
  return "ok";
}
