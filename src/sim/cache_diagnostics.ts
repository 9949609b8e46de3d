/**
 * Cache diagnostics as the API gives them. A request that carries `diagnostics` leaves a fingerprint of
 * its prompt under its response's id; a later request naming that id as `previous_message_id` is compared
 * with it and told the first place they diverge: the model, the tools, the system prompt, or messages that
 * were changed rather than only appended to. The comparison is of the requests' structure, not of the
 * cache: an entry that expired between two identical prefixes is no divergence (`diagnostics` null).
 * Pure apart from its bounded memory of fingerprints.
 * @module
 */
import type { PrefixBlock } from "./cache.ts";
import { hashString } from "./rng.ts";

/** The SDK's CacheMissReason, as the response carries it. */
export type CacheMissReason =
  | {
    type: "model_changed" | "system_changed" | "tools_changed" | "messages_changed";
    cache_missed_input_tokens: number;
  }
  | { type: "previous_message_not_found" | "unavailable" };

interface Fingerprint {
  model: string;
  tools: number;
  system: number;
  /** Each message block's key, in order, and the prompt's tokens up to and including it. */
  messages: { key: number; tokensThrough: number }[];
  /** Tokens before the messages, and in all. */
  beforeMessages: number;
  toolTokens: number;
  total: number;
}

/** How many fingerprints are kept: the API keeps them for a limited time; the simulator for this many. */
export const KEPT_FINGERPRINTS = 20_000;

export class CacheDiagnostics {
  readonly #kept = new Map<string, Fingerprint>();

  /**
   * Compares the prompt with the one `previousId` named (undefined: the request asked for no diagnostics)
   * and keeps this prompt's fingerprint under `messageId`.
   */
  diagnose(
    previousId: string | null | undefined,
    prompt: { model: string; blocks: PrefixBlock[]; toolBlocks: number; systemBlocks: number },
    messageId: string,
  ): { cache_miss_reason: CacheMissReason } | null {
    const now = fingerprint(prompt);
    this.#kept.set(messageId, now);
    if (this.#kept.size > KEPT_FINGERPRINTS) this.#kept.delete(this.#kept.keys().next().value!);
    if (!previousId) return null;
    const before = this.#kept.get(previousId);
    if (!before) return { cache_miss_reason: { type: "previous_message_not_found" } };
    const reason = divergence(before, now);
    return reason ? { cache_miss_reason: reason } : null;
  }
}

function fingerprint(
  { model, blocks, toolBlocks, systemBlocks }: {
    model: string;
    blocks: PrefixBlock[];
    toolBlocks: number;
    systemBlocks: number;
  },
): Fingerprint {
  const hashOf = (part: PrefixBlock[]) => hashString(part.map((b) => b.key).join("\u0000"));
  const tokens = (part: PrefixBlock[]) => part.reduce((n, b) => n + b.tokens, 0);
  const tools = blocks.slice(0, toolBlocks);
  const system = blocks.slice(toolBlocks, toolBlocks + systemBlocks);
  const beforeMessages = tokens(tools) + tokens(system);
  let through = beforeMessages;
  const messages = blocks.slice(toolBlocks + systemBlocks).map((b) => ({
    key: hashString(b.key),
    tokensThrough: through += b.tokens,
  }));
  return {
    model,
    tools: hashOf(tools),
    system: hashOf(system),
    messages,
    beforeMessages,
    toolTokens: tokens(tools),
    total: through,
  };
}

/** The first divergence, with the previous prompt's tokens after it (what a matching prefix would have read). */
function divergence(before: Fingerprint, now: Fingerprint): CacheMissReason | null {
  const missed = (from: number) => Math.max(0, before.total - from);
  if (before.model !== now.model) return { type: "model_changed", cache_missed_input_tokens: missed(0) };
  if (before.tools !== now.tools) return { type: "tools_changed", cache_missed_input_tokens: missed(0) };
  if (before.system !== now.system) {
    return { type: "system_changed", cache_missed_input_tokens: missed(before.toolTokens) };
  }
  const common = before.messages.findIndex((m, i) => now.messages[i]?.key !== m.key);
  if (common === -1) return null;
  const from = common === 0 ? before.beforeMessages : before.messages[common - 1].tokensThrough;
  return { type: "messages_changed", cache_missed_input_tokens: missed(from) };
}
