/**
 * An approximate token count: UTF-8 bytes / 4, times the model's tokenizer factor (Opus 4.7 and later
 * count about 1.35x), rounded up. Close enough for costs and cache minimums: the simulated model bills
 * by it and `doctor` checks prompt prefixes against a model's minimum cacheable length with it. Pure.
 * @module
 */

const encoder = new TextEncoder();

export function countTokens(text: string, tokenizerFactor = 1): number {
  if (!text) return 0;
  return Math.ceil((encoder.encode(text).length / 4) * tokenizerFactor);
}
