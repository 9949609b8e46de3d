/**
 * Running one tool call from the model: classify it (`ok`, `wrong_tool`,
 * `malformed_args`, `logic_error`), apply it when valid, and build the
 * `tool_result` the model sees. Pure: the state is changed in place only on `ok`.
 * @module
 */
import type { AgentId } from "../config/schema.ts";
import type { ContentState } from "../content/state.ts";
import { AGENTS, ownerOf } from "./agents.ts";
import { NO_EVIDENCE, schemaOf, type ToolContext, ToolLogicError, type ToolName, TOOLS } from "./tools.ts";

export type ToolOutcome = "ok" | "wrong_tool" | "malformed_args" | "logic_error";

export interface ToolCallResult {
  tool: string;
  outcome: ToolOutcome;
  /** What the model is told: the result, or an error it can act on. */
  content: string;
}

export function runTool(
  agent: AgentId,
  state: ContentState,
  name: string,
  input: unknown,
  context: ToolContext = NO_EVIDENCE,
): ToolCallResult {
  const spec = Object.hasOwn(TOOLS, name) ? TOOLS[name as ToolName] : undefined;
  const yours = AGENTS[agent].tools;
  const fail = (outcome: ToolOutcome, content: string): ToolCallResult => ({ tool: name, outcome, content });
  if (!spec) {
    return fail(
      "wrong_tool",
      `There is no tool "${name}". Your tools: ${[...yours, "get_brief", "get_draft"].join(", ")}.`,
    );
  }
  const owner = ownerOf(name as ToolName);
  if (owner !== undefined && owner !== agent) {
    return fail(
      "wrong_tool",
      `${name} belongs to the ${owner}; you are the ${agent}. Your tools: ${yours.join(", ")}.`,
    );
  }
  const parsed = schemaOf(name as ToolName).safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
    return fail("malformed_args", `Invalid arguments for ${name}: ${where}${issue.message}`);
  }
  try {
    // deno-lint-ignore no-explicit-any
    const content = (spec.handle as (s: ContentState, a: any, c: ToolContext) => string)(
      state,
      parsed.data,
      context,
    );
    return { tool: name, outcome: "ok", content };
  } catch (error) {
    if (error instanceof ToolLogicError) return fail("logic_error", error.message);
    throw error;
  }
}
