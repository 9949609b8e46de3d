/**
 * Whether a model can serve an agent: priced, not retired on `today` (the API refuses it from that day),
 * and taking the agent's effort and thinking. Pure; shared by the config loader (an agent's model) and
 * `retry --model` (a re-pin), which word the problem as their own error.
 * @module
 */
import type { PriceBook, PricedModel } from "../models/price_book.ts";
import { replacementFor, retirementOf } from "../models/retirement.ts";
import type { AgentConfig, AgentId } from "./schema.ts";

export interface AgentModelProblem {
  /** The agent's field at fault: `model`, `effort` or `thinking.type`. */
  field: "model" | "effort" | "thinking.type";
  message: string;
}

export type AgentModelCheck = { ok: true; priced: PricedModel } | { ok: false; problem: AgentModelProblem };

export function checkAgentModel(options: {
  id: AgentId;
  agent: Pick<AgentConfig, "effort" | "thinking">;
  model: string;
  prices: PriceBook;
  /** YYYY-MM-DD, UTC. */
  today: string;
}): AgentModelCheck {
  const { id, agent, model } = options;
  const fail = (field: AgentModelProblem["field"], message: string): AgentModelCheck => ({
    ok: false,
    problem: { field, message },
  });
  const priced = options.prices.lookup(model);
  if (!priced) return fail("model", `unknown model "${model}": add its price under "prices"`);
  const retirement = retirementOf(priced, options.today);
  if (retirement?.kind === "retired") {
    return fail(
      "model",
      `${model} retired on ${retirement.retires} and the API refuses it; ` +
        `use ${replacementFor(retirement, id)} instead`,
    );
  }
  if (agent.effort && priced.effort && !priced.effort.includes(agent.effort)) {
    const takes = priced.effort.length ? `takes ${priced.effort.join(", ")}` : "takes no effort setting";
    return fail("effort", `${model} ${takes}`);
  }
  if (agent.thinking && priced.thinking && !priced.thinking.includes(agent.thinking.type)) {
    return fail(
      "thinking.type",
      `${model} takes thinking type ${priced.thinking.map((t) => `"${t}"`).join(" or ")}`,
    );
  }
  return { ok: true, priced };
}
