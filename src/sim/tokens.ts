/**
 * Token counting for the simulated model: what a content block or tool definition counts, by the
 * approximation in pricing/tokens.ts. Pure.
 * @module
 */
import { countTokens } from "../pricing/tokens.ts";

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
