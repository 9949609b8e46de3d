/**
 * Token counting for the simulated model: UTF-8 bytes / 4, times the model's
 * tokenizer factor (Opus 4.7 and later count about 1.35x), rounded up. An
 * approximation of a real tokenizer, close enough for costs and cache minimums. Pure.
 * @module
 */

const encoder = new TextEncoder();

export function countTokens(text: string, tokenizerFactor = 1): number {
  if (!text) return 0;
  return Math.ceil((encoder.encode(text).length / 4) * tokenizerFactor);
}

/** The text a content block or tool definition is counted by (its `cache_control` is not part of it). */
export function blockText(block: unknown): string {
  if (typeof block === "string") return block;
  if (!block || typeof block !== "object") return "";
  const { cache_control: _, ...rest } = block as Record<string, unknown>;
  switch (rest.type) {
    case "text":
      return String(rest.text ?? "");
    case "thinking":
      return String(rest.thinking ?? "");
    case "tool_use":
    case "server_tool_use":
      return `${rest.name ?? ""}${JSON.stringify(rest.input ?? {})}`;
    case "tool_result": {
      const content = rest.content;
      if (typeof content === "string") return content;
      return Array.isArray(content) ? content.map(blockText).join("\n") : "";
    }
    default:
      return JSON.stringify(rest);
  }
}

export function blockTokens(block: unknown, tokenizerFactor = 1): number {
  return countTokens(blockText(block), tokenizerFactor);
}
