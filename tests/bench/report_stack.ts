/**
 * The field report's stack as it describes itself (../shared/seed/), as a request layout and a cap check
 * that the cost bench runs Pressroom's pipeline under, so that only these differ from Pressroom's own:
 * - "I split the system prompt into two blocks: a stable block (the tool definitions, the output schema,
 *   the persona …) and a volatile block (… the active article context …). Only the stable block gets
 *   cache_control: ephemeral. The volatile block is always fresh." (segmented: one cached block, 5m);
 * - before that split, the volatile context sat inside the one cached block (`oneBlockLayout`);
 * - "a separate Durable Object Alarm that sums usd_cost for the current UTC day and rejects new calls with a
 *   429 when the sum exceeds $20" (`reportCapGate`): a check before each call, with no reservation.
 * @module
 */
// deno-lint-ignore-file no-explicit-any
import type { Gate, Transform } from "../sim_pipeline.ts";
import { rawDb } from "../helpers.ts";
import { DAY_MS } from "../../src/ledger/period.ts";

/** The report's daily cap: "a hard $20/day cap". */
export const REPORT_DAILY_CAP_USD = 20;

const withoutCacheControl = (blocks: any) =>
  Array.isArray(blocks) ? blocks.map(({ cache_control: _, ...block }: any) => block) : blocks;

/** Pressroom's request with every breakpoint removed and its stable blocks joined into one. */
function stripped(body: any): any {
  const stable = (body.system ?? []).map((b: any) => b.text).join("\n\n");
  return {
    ...body,
    tools: withoutCacheControl(body.tools),
    system: [{ type: "text", text: stable }],
    messages: body.messages.map((m: any) => ({ ...m, content: withoutCacheControl(m.content) })),
  };
}

/** Segmented: the stable block (tools and system) cached for 5 minutes; the volatile block and turns never. */
export const segmentedLayout: Transform = (body) => {
  const out = stripped(body);
  out.system[0].cache_control = { type: "ephemeral" };
  return out;
};

/** Before segmentation: one cached block that ends after the workflow's own context. */
export const oneBlockLayout: Transform = (body) => {
  const out = stripped(body);
  const first = out.messages[0];
  const content = typeof first.content === "string" ? [{ type: "text", text: first.content }] : first.content;
  content[content.length - 1] = { ...content.at(-1), cache_control: { type: "ephemeral" } };
  out.messages[0] = { ...first, content };
  return out;
};

/** The report's cap: the day's usd_cost summed before each call; a 429 once it passes the cap. */
export function reportCapGate(capUsd = REPORT_DAILY_CAP_USD): Gate {
  return (ledger, now) => {
    const dayStart = now - (now % DAY_MS);
    const { usd } = rawDb(ledger).prepare(
      "SELECT COALESCE(SUM(usd_cost), 0) AS usd FROM ai_call_log WHERE ts >= ?",
    )
      .get(dayStart) as { usd: number };
    if (usd <= capUsd) return undefined;
    return Response.json(
      { type: "error", error: { type: "rate_limit_error", message: `daily cap of $${capUsd} reached` } },
      { status: 429, headers: { "retry-after": String(Math.ceil((dayStart + DAY_MS - now) / 1000)) } },
    );
  };
}
