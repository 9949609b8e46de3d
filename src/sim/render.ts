/**
 * A role's turn as the API's content blocks, in the order a model writes them: its thinking (when
 * the request turns thinking on), the text before its calls, each web search with its result, then
 * the client tool calls. Ids are derived from the request, so the same request renders the same
 * blocks, ids included (a paused turn is continued from them). Pure.
 * @module
 */
import type { RoleTurn } from "./roles.ts";
import { createRng, hashString } from "./rng.ts";
import { countTokens } from "../pricing/tokens.ts";
import { contentWords, prose } from "./writing.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** The request's `thinking`, as far as the simulated model reads it. */
export type ThinkingRequest = { type: "adaptive" } | { type: "enabled"; budget_tokens: number } | undefined;

/** Words of thinking a turn writes, before any budget: a range, drawn per turn. */
export const THINKING_WORDS: readonly [number, number] = [60, 400];

/** The thinking block of a turn, or undefined when the request does not turn thinking on. */
export function thinkingBlock(
  thinking: ThinkingRequest,
  turn: RoleTurn,
  requestHash: number,
  factor: number,
): Json | undefined {
  if (thinking?.type !== "adaptive" && thinking?.type !== "enabled") return undefined;
  const rng = createRng(hashString(`thinking:${requestHash}`));
  const topics = contentWords(`${turn.text ?? ""} ${turn.calls.map((c) => c.name).join(" ")}`).slice(0, 5);
  let text = prose(rng, rng.int(THINKING_WORDS[0], THINKING_WORDS[1]), topics, "plan").join(" ");
  if (thinking.type === "enabled") {
    // Thinking stays within its budget: drop whole sentences until it fits.
    const sentences = text.split(/(?<=\.) /);
    while (sentences.length > 1 && countTokens(sentences.join(" "), factor) > thinking.budget_tokens) {
      sentences.pop();
    }
    text = sentences.join(" ");
  }
  return { type: "thinking", thinking: text, signature: `sim_sig_${requestHash.toString(36)}` };
}

/** The whole turn as content blocks. */
export function renderTurn(turn: RoleTurn, requestHash: number, thinking?: Json): Json[] {
  const id = (prefix: string, i: number) => `${prefix}_sim_${hashString(`${requestHash}:${i}`).toString(36)}`;
  const content: Json[] = thinking ? [thinking] : [];
  if (turn.text) content.push({ type: "text", text: turn.text, citations: null });
  turn.searches.forEach((search, i) => {
    const searchId = id("srvtoolu", 100 + i);
    content.push({
      type: "server_tool_use",
      id: searchId,
      caller: { type: "direct" },
      name: "web_search",
      input: { query: search.query },
    });
    content.push({
      type: "web_search_tool_result",
      tool_use_id: searchId,
      caller: { type: "direct" },
      content: search.results.map((r) => ({
        type: "web_search_result",
        url: r.url,
        title: r.title,
        encrypted_content: "simulated",
        page_age: null,
      })),
    });
    // What the answer says from the results, each sentence citing the result it came from.
    for (const r of search.results) {
      content.push({
        type: "text",
        text: r.citedText,
        citations: [{
          type: "web_search_result_location",
          url: r.url,
          title: r.title,
          cited_text: r.citedText,
          encrypted_index: "simulated",
        }],
      });
    }
  });
  turn.calls.forEach((call, i) =>
    content.push({
      type: "tool_use",
      id: id("toolu", i),
      caller: { type: "direct" },
      name: call.name,
      input: call.input,
    })
  );
  return content;
}
