/**
 * What the Messages API refuses, checked the way it checks: a request body in, the first problem out
 * (HTTP status, error type, the API's message), or undefined when the API would take it. The simulated
 * model (simulator.ts) and the loopback fake API (tests/fake_api/server.ts) both answer with it, so
 * every test meets the refusals a live run meets. Pure.
 *
 * Messages marked "API wording" are the API's own, as seen in public issue reports (the comment names
 * one); the others are ours, written in the API's style. Consecutive messages of one role count as one
 * turn, as the API combines them.
 * @module
 */
import { MAX_BREAKPOINTS, MIN_THINKING_BUDGET } from "../claude/request.ts";
import { nestedSchemas, STRICT_MAX_MIN_ITEMS, STRICT_UNSUPPORTED_KEYWORDS } from "../claude/strict_schema.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** A refused request: what the API answers instead of a message. */
export interface Refusal {
  status: 400 | 404;
  type: "invalid_request_error" | "not_found_error";
  message: string;
}

/** What the per-model checks need to know of a model (a PricedModel has all of it). */
export interface ModelFacts {
  canonicalId: string;
  thinking?: readonly string[];
  effort?: readonly string[];
  /** Above 100 where the model takes `inference_geo` (and bills US-only inference at that percent). */
  dataResidencyPercent?: number;
}

export interface ValidateOptions {
  /** The model's facts; when it is absent or answers undefined, the per-model checks are skipped. */
  lookup?: (model: string) => ModelFacts | undefined;
  /** Refuse a model `lookup` does not know with a 404, as the API does (the fake API leaves models to its tests). */
  requireKnownModel?: boolean;
}

/** Parameters API version 2026-10-21 removed. */
export const REMOVED_PARAMETERS = ["temperature", "top_p", "top_k"] as const;

// API wording, anthropics/claude-code#6774 and #3196.
export const EMPTY_CONTENT =
  "all messages must have non-empty content except for the optional final assistant message";
// API wording, anthropics/claude-code#59812.
export const EMPTY_TEXT = "messages: text content blocks must be non-empty";
// API wording, anthropics/claude-code#23440.
export const WHITESPACE_TEXT = "messages: text content blocks must contain non-whitespace text";
// API wording, jobrunr/JavaClaw#36 and strands-agents/sdk-python#1694 (Claude 4.6 and later).
export const NO_PREFILL =
  "This model does not support assistant message prefill. The conversation must end with a user message.";
// API wording, tailcallhq/forgecode#1872.
export const TRAILING_WHITESPACE = "messages: final assistant content cannot end with trailing whitespace";
// API wording (tried through Vertex), liuw1535/antigravity2api-nodejs#149.
export const BUDGET_NOT_BELOW_MAX_TOKENS = "`max_tokens` must be greater than `thinking.budget_tokens`. " +
  "Please consult our documentation at " +
  "https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size";
// API wording (through Bedrock), danny-avila/LibreChat#8346.
export const BUDGET_TOO_SMALL =
  `thinking.enabled.budget_tokens: Input should be greater than or equal to ${MIN_THINKING_BUDGET}`;

const invalid = (message: string): Refusal => ({ status: 400, type: "invalid_request_error", message });

const isObject = (value: unknown): value is Record<string, Json> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A message's content as blocks: a string is one text block. */
export function contentBlocks(content: unknown): Json[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return Array.isArray(content) ? content : [];
}

/** Checks a request body as the API does; the first refusal, or undefined when the API would take it. */
export function validateRequest(body: unknown, options: ValidateOptions = {}): Refusal | undefined {
  return checkShape(body) ?? checkContent(body as Json) ?? checkPairing(body as Json) ??
    checkBreakpoints(body as Json) ?? checkThinkingBudget(body as Json) ?? checkStrictTools(body as Json) ??
    checkModel(body as Json, options);
}

/** The request's fields and their types (the API's schema validation). */
function checkShape(body: unknown): Refusal | undefined {
  if (!isObject(body)) return invalid("The request body must be a JSON object."); // ours
  if (typeof body.model !== "string" || !body.model) return invalid("model: Field required"); // ours
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) {
    return invalid("max_tokens: Field required (a positive integer)"); // ours
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return invalid("messages: Field required (at least one message)"); // ours
  }
  for (const removed of REMOVED_PARAMETERS) {
    // Ours: the pydantic-style wording the API uses for fields it does not know.
    if (removed in body) return invalid(`${removed}: Extra inputs are not permitted in this API version`);
  }
  for (const [i, m] of body.messages.entries()) {
    if (!isObject(m) || (m.role !== "user" && m.role !== "assistant")) {
      return invalid(`messages.${i}.role: must be user or assistant`); // ours
    }
    if (typeof m.content !== "string" && !Array.isArray(m.content)) {
      return invalid(`messages.${i}.content: Field required`); // ours
    }
  }
  if (body.system !== undefined && typeof body.system !== "string" && !Array.isArray(body.system)) {
    return invalid("system: must be a string or a list of text blocks"); // ours
  }
  const thinking = body.thinking;
  if (
    thinking?.type === "enabled" && !(Number.isInteger(thinking.budget_tokens) &&
      thinking.budget_tokens >= MIN_THINKING_BUDGET)
  ) return invalid(BUDGET_TOO_SMALL);
  const diagnostics = body.diagnostics;
  if (
    diagnostics !== undefined && diagnostics !== null &&
    !(isObject(diagnostics) && (diagnostics.previous_message_id === undefined ||
      diagnostics.previous_message_id === null || typeof diagnostics.previous_message_id === "string"))
  ) {
    return invalid("diagnostics.previous_message_id: must be a string or null"); // ours
  }
  if (body.inference_geo !== undefined && body.inference_geo !== "global" && body.inference_geo !== "us") {
    return invalid(`inference_geo: must be "global" or "us"`); // ours
  }
  return undefined;
}

/** Empty messages and empty or blank text blocks. */
function checkContent(body: Json): Refusal | undefined {
  const last = body.messages.length - 1;
  for (const [i, m] of body.messages.entries()) {
    const empty = m.content === "" || (Array.isArray(m.content) && m.content.length === 0);
    // The optional final assistant message may be empty (a prefill); any other may not.
    if (empty && !(i === last && m.role === "assistant")) return invalid(`messages.${i}: ${EMPTY_CONTENT}`);
  }
  for (const m of body.messages) {
    if (m.content === "") continue;
    for (const block of contentBlocks(m.content)) {
      if (block?.type !== "text") continue;
      if (typeof block.text !== "string" || block.text === "") return invalid(EMPTY_TEXT);
      if (!/\S/.test(block.text)) return invalid(WHITESPACE_TEXT);
    }
  }
  return undefined;
}

interface Placed {
  block: Json;
  /** Index of the message that holds it, and its index there. */
  message: number;
  index: number;
}

interface Turn {
  role: "user" | "assistant";
  first: number;
  last: number;
  blocks: Placed[];
}

/** Consecutive messages of one role, combined as the API combines them. */
function turnsOf(messages: Json[]): Turn[] {
  const turns: Turn[] = [];
  messages.forEach((m, i) => {
    const placed = contentBlocks(m.content).map((block, index) => ({ block, message: i, index }));
    const previous = turns.at(-1);
    if (previous && previous.role === m.role) {
      previous.last = i;
      previous.blocks.push(...placed);
    } else turns.push({ role: m.role, first: i, last: i, blocks: placed });
  });
  return turns;
}

/** Result block types that answer a `server_tool_use` in the same turn. */
const serverResultType = (name: string) => `${name}_tool_result`;

/** tool_use / tool_result and server_tool_use / its result pairing, and where a paused turn may stand. */
function checkPairing(body: Json): Refusal | undefined {
  const turns = turnsOf(body.messages);
  for (const [t, turn] of turns.entries()) {
    const next = turns[t + 1];
    if (turn.role === "assistant") {
      const uses = turn.blocks.filter((p) => p.block?.type === "tool_use").map((p) => String(p.block.id));
      const answered = new Set(
        next?.blocks.filter((p) => p.block?.type === "tool_result").map((p) => String(p.block.tool_use_id)),
      );
      const missing = uses.filter((id) => !answered.has(id));
      if (missing.length && next) {
        // API wording, anthropics/claude-code#2697.
        return invalid(
          `messages.${next.first}: \`tool_use\` ids were found without \`tool_result\` blocks immediately ` +
            `after: ${
              missing.join(", ")
            }. Each \`tool_use\` block must have a corresponding \`tool_result\` ` +
            "block in the next message.",
        );
      }
      const refused = checkServerTools(turn, next, uses.length > 0);
      if (refused) return refused;
    } else {
      const before = turns[t - 1];
      const asked = new Set(
        before?.role === "assistant"
          ? before.blocks.filter((p) => p.block?.type === "tool_use").map((p) => String(p.block.id))
          : [],
      );
      for (const p of turn.blocks) {
        if (p.block?.type === "tool_result" && !asked.has(String(p.block.tool_use_id))) {
          // API wording, anthropics/claude-code#13460.
          return invalid(
            `messages.${p.message}.content.${p.index}: unexpected \`tool_use_id\` found in \`tool_result\` ` +
              `blocks: ${p.block.tool_use_id}. Each \`tool_result\` block must have a corresponding ` +
              "`tool_use` block in the previous message.",
          );
        }
      }
    }
  }
  return undefined;
}

/**
 * Server tool calls in one assistant turn: each result must follow its call, and a call without its
 * result is taken only in the last message (a paused turn sent back to be continued) or beside client
 * tool calls that the next turn answers (the API runs the search with that next request).
 */
function checkServerTools(turn: Turn, next: Turn | undefined, hasClientCalls: boolean): Refusal | undefined {
  const calls = new Map<string, string>();
  const results = new Set<string>();
  for (const p of turn.blocks) {
    const type = String(p.block?.type ?? "");
    if (type === "server_tool_use") calls.set(String(p.block.id), String(p.block.name));
    else if (type.endsWith("_tool_result") && type !== "tool_result") {
      const id = String(p.block.tool_use_id);
      if (!calls.has(id)) {
        // API wording for advisor_tool_result, anthropics/claude-code#64383; the same rule for web search.
        return invalid(
          `messages.${p.message}.content.${p.index}: unexpected \`tool_use_id\` found in \`${type}\` blocks: ` +
            `${id}. Each \`${type}\` block must have a corresponding \`server_tool_use\` block before it.`,
        );
      }
      results.add(id);
    }
  }
  if (!next) return undefined;
  const answeredByNext = hasClientCalls && next.blocks.some((p) => p.block?.type === "tool_result");
  for (const p of turn.blocks) {
    if (p.block?.type !== "server_tool_use" || results.has(String(p.block.id)) || answeredByNext) continue;
    // API wording, anthropics/anthropic-sdk-python#1339 and gsd-build/gsd-2#2869.
    return invalid(
      `messages.${p.message}: \`${p.block.name}\` tool use with id \`${p.block.id}\` was found without a ` +
        `corresponding \`${serverResultType(String(p.block.name))}\` block`,
    );
  }
  return undefined;
}

/** The prompt's blocks in prefix order: tools, system, messages. */
export function allBlocks(body: Json): Json[] {
  return placedBlocks(body).map(([block]) => block);
}

/** The prompt's blocks in prefix order, each with its path in the request (`system.1`, `messages.2.content.0`). */
function placedBlocks(body: Json): [Json, string][] {
  const system = typeof body.system === "string" ? [{ type: "text", text: body.system }] : body.system ?? [];
  return [
    ...(body.tools ?? []).map((b: Json, i: number): [Json, string] => [b, `tools.${i}`]),
    ...system.map((b: Json, i: number): [Json, string] => [b, `system.${i}`]),
    ...body.messages.flatMap((m: Json, i: number) =>
      contentBlocks(m.content).map((b, j): [Json, string] => [b, `messages.${i}.content.${j}`])
    ),
  ];
}

function checkBreakpoints(body: Json): Refusal | undefined {
  const breakpoints = placedBlocks(body).filter(([b]) => b?.cache_control);
  if (breakpoints.length > MAX_BREAKPOINTS) {
    // API wording, tghamm/Anthropic.SDK#50.
    return invalid(
      `A maximum of ${MAX_BREAKPOINTS} blocks with cache_control may be provided. Found ${breakpoints.length}.`,
    );
  }
  let seen5m = false;
  for (const [b, path] of breakpoints) {
    const ttl = b.cache_control.ttl ?? "5m";
    if (b.cache_control.type !== "ephemeral" || (ttl !== "5m" && ttl !== "1h")) {
      return invalid(`${path}.cache_control: type must be ephemeral and ttl 5m or 1h`); // ours
    }
    if (ttl === "5m") seen5m = true;
    else if (seen5m) {
      // API wording, cnighswonger/claude-code-cache-fix#44.
      return invalid(
        `${path}.cache_control.ttl: a ttl='1h' cache_control block must not come after a ttl='5m' ` +
          "cache_control block. Note that blocks are processed in the following order: `tools`, `system`, " +
          "`messages`.",
      );
    }
  }
  return undefined;
}

function checkThinkingBudget(body: Json): Refusal | undefined {
  if (body.thinking?.type === "enabled" && body.thinking.budget_tokens >= body.max_tokens) {
    return invalid(BUDGET_NOT_BELOW_MAX_TOKENS);
  }
  return undefined;
}

/** What strict mode refuses in one tool's `input_schema`, in the API's words; undefined when it takes it. */
export function strictSchemaProblem(schema: unknown): string | undefined {
  if (!isObject(schema)) return "input_schema: must be an object"; // ours
  const type = Array.isArray(schema.type) ? String(schema.type[0]) : String(schema.type ?? "unknown");
  const refused = STRICT_UNSUPPORTED_KEYWORDS.filter((k) => k in schema).sort();
  // API wording, earendil-works/pi#9953 (several) and agentjido/req_llm#302 (one).
  if (refused.length === 1) return `For '${type}' type, property '${refused[0]}' is not supported`;
  if (refused.length > 1) return `For '${type}' type, properties ${refused.join(", ")} are not supported`;
  if (typeof schema.minItems === "number" && schema.minItems > STRICT_MAX_MIN_ITEMS) {
    // API wording, ghostlobster/memorize-everything#93.
    return "For 'array' type, 'minItems' values other than 0 or 1 are not supported";
  }
  if (type === "object" && schema.additionalProperties !== false) {
    // API wording, vercel/ai#20681.
    return "For 'object' type, 'additionalProperties' must be explicitly set to false";
  }
  for (const [child] of nestedSchemas(schema, "input_schema")) {
    const problem = strictSchemaProblem(child);
    if (problem) return problem;
  }
  return undefined;
}

function checkStrictTools(body: Json): Refusal | undefined {
  for (const [i, tool] of (Array.isArray(body.tools) ? body.tools : []).entries()) {
    if (!isObject(tool) || tool.strict !== true || (tool.type && tool.type !== "custom")) continue;
    const problem = strictSchemaProblem(tool.input_schema);
    // The API names a client tool's definition `tools.<i>.custom` (earendil-works/pi#9953).
    if (problem) return invalid(`tools.${i}.custom: ${problem}`);
  }
  return undefined;
}

/** Major and minor version of a Claude model id (`claude-opus-4-7` → [4, 7]); undefined for others. */
export function modelVersion(id: string): [number, number] | undefined {
  const match = id.match(/^claude-[a-z]+-(\d+)(?:-(\d{1,2}))?(?:-|$)/);
  return match ? [Number(match[1]), Number(match[2] ?? 0)] : undefined;
}

/** Claude 4.6 and later: no prefill (Anthropic's 4.6 migration notes). */
export function fromClaude46(id: string): boolean {
  const version = modelVersion(id);
  return version !== undefined && (version[0] > 4 || (version[0] === 4 && version[1] >= 6));
}

/** Whether the model takes `inference_geo`: the catalog's data-residency models (src/models/catalog.ts). */
export function takesInferenceGeo(facts: ModelFacts): boolean {
  return (facts.dataResidencyPercent ?? 100) > 100;
}

/** The final assistant message holds a server tool call whose result has not come: a paused turn. */
export function endsPaused(messages: Json[]): boolean {
  const last = messages.at(-1);
  if (last?.role !== "assistant") return false;
  const blocks = contentBlocks(last.content);
  const answered = new Set(
    blocks.filter((b) => String(b?.type ?? "").endsWith("_tool_result")).map((b) => b.tool_use_id),
  );
  return blocks.some((b) => b?.type === "server_tool_use" && !answered.has(b.id));
}

/** The per-model rules: a known model, its thinking types and effort levels, prefill, inference_geo. */
function checkModel(body: Json, options: ValidateOptions): Refusal | undefined {
  const facts = options.lookup?.(body.model);
  if (!facts) {
    return options.requireKnownModel
      ? { status: 404, type: "not_found_error", message: `model: ${body.model}` }
      : undefined;
  }
  const thinking = body.thinking?.type;
  if (thinking && thinking !== "disabled" && facts.thinking && !facts.thinking.includes(thinking)) {
    return invalid(`thinking.type: "${thinking}" is not supported for ${body.model}`); // ours
  }
  const effort = body.output_config?.effort;
  if (effort && facts.effort && !facts.effort.includes(effort)) {
    return invalid(`output_config.effort: "${effort}" is not supported for ${body.model}`); // ours
  }
  const modern = fromClaude46(facts.canonicalId);
  if (body.inference_geo !== undefined && !takesInferenceGeo(facts)) {
    // Ours, after the data residency page: older models refuse the parameter with a 400.
    return invalid(`inference_geo: not supported for ${body.model}`);
  }
  const last = body.messages.at(-1);
  if (last.role !== "assistant") return undefined;
  // A paused server-tool turn sent back to be continued is not a prefill.
  if (modern && !endsPaused(body.messages)) return invalid(NO_PREFILL);
  const lastBlock = contentBlocks(last.content).at(-1);
  if (lastBlock?.type === "text" && /\s$/.test(lastBlock.text)) return invalid(TRAILING_WHITESPACE);
  return undefined;
}
