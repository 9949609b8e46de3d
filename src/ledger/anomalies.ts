/**
 * Ledger rows that should not exist: calls booked above what they reserved. A
 * response can report more usage than its request allows (more output than
 * `max_tokens`: the real API never does, a broken proxy or gateway might); it
 * is booked as reported, which can pass a cap, so `doctor` and `report` show them.
 * @module
 */
import type { Db } from "../db/sqlite.ts";
import type { Backend } from "./ledger.ts";

/** The most recent row booked above its reservation. */
export interface OverReservedCall {
  id: string;
  agentId: string;
  workflowId: string;
  model: string;
  ts: number;
  costNano: number;
  reservedNano: number;
}

export interface OverReservation {
  /** How many rows cost more than they reserved. */
  count: number;
  latest?: OverReservedCall;
}

/**
 * Rows whose cost is above their reservation: all of them, or those made at or after `since` (epoch
 * ms), on one backend if given. A partial index holds only such rows, so this reads no more than them.
 */
export function overReservation(
  db: Db,
  options: { since?: number; backend?: Backend } = {},
): OverReservation {
  const since = options.since ?? Number.MIN_SAFE_INTEGER;
  const backend = options.backend ?? null;
  const where = "cost_nano_usd > reserved_nano_usd AND ts >= ? AND (? IS NULL OR backend = ?)";
  const { n } = db.prepare(`SELECT COUNT(*) AS n FROM ai_call_log WHERE ${where}`).get(
    since,
    backend,
    backend,
  ) as { n: number };
  if (n === 0) return { count: 0 };
  const row = db.prepare(
    `SELECT id, agent_id, workflow_instance_id, model, ts, cost_nano_usd, reserved_nano_usd FROM ai_call_log
     WHERE ${where} ORDER BY ts DESC, id DESC LIMIT 1`,
  ).get(since, backend, backend) as {
    id: string;
    agent_id: string;
    workflow_instance_id: string;
    model: string;
    ts: number;
    cost_nano_usd: number;
    reserved_nano_usd: number;
  };
  return {
    count: n,
    latest: {
      id: row.id,
      agentId: row.agent_id,
      workflowId: row.workflow_instance_id,
      model: row.model,
      ts: row.ts,
      costNano: row.cost_nano_usd,
      reservedNano: row.reserved_nano_usd,
    },
  };
}
