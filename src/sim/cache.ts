/**
 * Prompt-cache simulation per Anthropic's rules. Pure: the clock is passed in.
 *
 * The prompt is a list of blocks in prefix order (tools, system, messages). A
 * cache entry belongs to one model and is keyed by a hash of the prefix up to a
 * `cache_control` breakpoint. A request reads the longest cached prefix it can
 * find at a breakpoint or up to 20 blocks before one (refreshing that entry's
 * TTL), writes the prefixes of the breakpoints after it (5m or 1h as each
 * breakpoint asks, reported apart), and pays plain input for everything after
 * its last breakpoint. A prefix shorter than the model's minimum is never
 * cached, and no error says so. Entries expire after their TTL.
 * @module
 */
import { hashString } from "./rng.ts";
import type { CacheTtl } from "../pricing/cost.ts";
import { TTL_MS } from "../pricing/cache_ttl.ts";

/** How far before a breakpoint the API looks for an earlier cached prefix. */
export const LOOKBACK_BLOCKS = 20;

export interface PrefixBlock {
  /** The block's content, without its cache_control (what makes two prefixes equal). */
  key: string;
  tokens: number;
  /** Set when the block carries a cache_control breakpoint. */
  breakpoint?: CacheTtl;
}

/** The input side of `usage`, with the API's field names. */
export interface CacheUsage {
  /** Uncached input only. */
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
}

interface Entry {
  ttl: CacheTtl;
  expiresAt: number;
  tokens: number;
}

/** One prompt cache for all models; entries never cross models. */
export class PromptCache {
  readonly #models = new Map<string, Map<number, Entry>>();

  /** Computes the request's usage and updates the cache as the API would. */
  apply(
    model: string,
    blocks: PrefixBlock[],
    now: number,
    minCacheTokens: number,
    /** `read: false`: a miss the cache could have served (a batch's best effort); it still writes. */
    { read: mayRead = true }: { read?: boolean } = {},
  ): CacheUsage {
    const entries = this.#entriesOf(model, now);
    const hashes: number[] = [];
    const totals: number[] = [];
    let hash = hashString(model);
    let total = 0;
    for (const block of blocks) {
      hash = hashString(`${hash}\u0000${block.key}`);
      total += block.tokens;
      hashes.push(hash);
      totals.push(total);
    }
    const breakpoints = blocks.flatMap((b, i) => (b.breakpoint ? [i] : []));

    // The longest cached prefix at a breakpoint or within the lookback window before one.
    let readAt = -1;
    for (const b of mayRead ? breakpoints : []) {
      for (let j = b; j >= Math.max(0, b - LOOKBACK_BLOCKS) && j > readAt; j--) {
        if (entries.has(hashes[j])) {
          readAt = j;
          break;
        }
      }
    }
    const read = readAt >= 0 ? totals[readAt] : 0;
    if (readAt >= 0) {
      // A hit refreshes the entry it read and the cached breakpoints inside it.
      for (const j of [readAt, ...breakpoints.filter((b) => b < readAt)]) {
        const entry = entries.get(hashes[j]);
        if (entry) entry.expiresAt = now + TTL_MS[entry.ttl];
      }
    }

    const written: Record<CacheTtl, number> = { "5m": 0, "1h": 0 };
    let boundary = read;
    let pending = 0;
    for (const b of breakpoints.filter((b) => b > readAt)) {
      const ttl = blocks[b].breakpoint!;
      pending += totals[b] - boundary;
      boundary = totals[b];
      if (totals[b] < minCacheTokens) continue; // too short to cache: stays plain input unless a later one caches
      entries.set(hashes[b], { ttl, expiresAt: now + TTL_MS[ttl], tokens: totals[b] });
      written[ttl] += pending;
      pending = 0;
    }
    const creation = written["5m"] + written["1h"];
    return {
      input_tokens: total - read - creation,
      cache_creation_input_tokens: creation,
      cache_read_input_tokens: read,
      cache_creation: { ephemeral_5m_input_tokens: written["5m"], ephemeral_1h_input_tokens: written["1h"] },
    };
  }

  /** Live entries of a model (or of all models) at `now`. */
  size(now: number, model?: string): number {
    const models = model === undefined ? [...this.#models.keys()] : [model];
    return models.reduce((n, m) => n + this.#entriesOf(m, now).size, 0);
  }

  #entriesOf(model: string, now: number): Map<number, Entry> {
    let entries = this.#models.get(model);
    if (!entries) this.#models.set(model, entries = new Map());
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key);
    return entries;
  }
}
