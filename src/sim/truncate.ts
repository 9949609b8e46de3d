/**
 * Where a reply stops when the output budget runs out (max_tokens, or a full context window), as
 * the API cuts it: the blocks that fit stay whole; a thinking or text block is cut mid-text; a
 * client tool call keeps only the parameters finished before the cut (`update_section` with its
 * `section_id` and no `markdown`); a server tool call that does not fit never ran, so it and its
 * result are left out. Pure.
 * @module
 */
import { blockText } from "./tokens.ts";
import { countTokens } from "../pricing/tokens.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** Output tokens of a reply's content: a server tool's result block is input, not output. */
export function outputTokensOf(content: readonly Json[], factor: number): number {
  return content.filter((b) => !isServerResult(b)).reduce((n, b) => n + countTokens(blockText(b), factor), 0);
}

const isServerResult = (block: Json) =>
  typeof block?.type === "string" && block.type.endsWith("_tool_result") && block.type !== "tool_result";

/** The longest prefix of `text` whose tokens fit `budget` (bytes / 4 per token, as tokens.ts counts). */
function fitText(text: string, budget: number, factor: number): string {
  if (countTokens(text, factor) <= budget) return text;
  let cut = text.slice(0, Math.max(0, Math.floor((budget * 4) / factor)));
  while (cut && countTokens(cut, factor) > budget) cut = cut.slice(0, -1);
  return cut;
}

/** The tool input's leading parameters that fit `budget` whole; a parameter being written is dropped. */
function fitInput(name: string, input: Json, budget: number, factor: number): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input ?? {})) {
    const next = { ...kept, [key]: value };
    if (countTokens(`${name}${JSON.stringify(next)}`, factor) > budget) break;
    kept[key] = value;
  }
  return kept;
}

/** `content` as it stands when `budget` output tokens have been generated. */
export function cutContent(content: readonly Json[], budget: number, factor: number): Json[] {
  const out: Json[] = [];
  const dropped = new Set<string>();
  let used = 0;
  for (const block of content) {
    if (isServerResult(block)) {
      if (!dropped.has(block.tool_use_id)) out.push(block);
      continue;
    }
    const tokens = countTokens(blockText(block), factor);
    if (used + tokens <= budget) {
      out.push(block);
      used += tokens;
      continue;
    }
    const left = budget - used;
    if (block.type === "text" || block.type === "thinking") {
      const field = block.type === "text" ? "text" : "thinking";
      const text = fitText(String(block[field] ?? ""), left, factor);
      // An empty or blank remainder never left the model.
      if (/\S/.test(text)) out.push({ ...block, [field]: text });
    } else if (block.type === "tool_use") {
      out.push({ ...block, input: fitInput(block.name, block.input, left, factor) });
    } else if (block.type === "server_tool_use") {
      dropped.add(block.id);
    }
    break;
  }
  return out;
}
