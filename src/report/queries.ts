/**
 * The ledger rows `report` and `project` read, and nothing else: every query of
 * the report lives here, so that the figures (report.ts, call_history.ts) are
 * maths over plain rows. Read only.
 * @module
 */
import { type Db, statement } from "../db/sqlite.ts";
import { overReservation } from "../ledger/anomalies.ts";
import type { Backend } from "../ledger/ledger.ts";
import { PUBLISHED } from "../pipeline/store.ts";
import type { CallTokens } from "./reprice.ts";
import type { ArmWorkflow } from "./rollout.ts";
import { citationMarks, type CitedWorkflow } from "./citations.ts";

/** A window of the ledger: calls made at or after `since` (epoch ms), of one agent if given. */
export interface Window {
  since: number;
  agent?: string;
}

/** A workflow published in the window, with all it cost on one backend. */
export interface Completion {
  id: string;
  /** When it was published. */
  published: number;
  nano: number;
}

/** What one agent cost in one workflow: all its calls on one backend. */
export interface AgentCost {
  id: string;
  agent: string;
  nano: number;
}

/** One recorded call, as the report counts it. */
export interface CallRow {
  agent: string;
  workflowId: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  /** 5-minute and 1-hour writes together. */
  cacheWriteTokens: number;
  costNano: number;
  ts: number;
  /** 1 when it was sent in a Message Batch. */
  batch: number;
  webSearchRequests: number;
  /** The turn of its stage (1 for the stage's first call); null on rows that were not a turn. */
  turn: number | null;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  /** "1h 1h 5m": the request's TTLs (shared, agent, conversation); null before they were recorded. */
  cacheTtls: string | null;
  /** What the API's cache diagnostics said, when it said something. */
  cacheMissReason: string | null;
  cacheMissedTokens: number | null;
}

/** One classified tool call. */
export interface ToolOutcome {
  agent: string;
  model: string;
  outcome: string;
  workflowId: string;
}

/** A successful call as `project` re-prices it. */
export interface HistoryRow extends CallTokens {
  agent_id: string;
  cost: number;
  ts: number;
}

export class ReportQueries {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** The backends with calls in the window, in name order. */
  backends(since: number): Backend[] {
    return (statement(this.#db, "SELECT DISTINCT backend FROM ai_call_log WHERE ts >= ? ORDER BY backend")
      .all(
        since,
      ) as { backend: Backend }[]).map((r) => r.backend);
  }

  /** Workflows published at or after `since` that spent on `backend`, with all they spent there. */
  completions(backend: Backend, since: number): Completion[] {
    return statement(
      this.#db,
      `SELECT w.id, e.ts AS published, COALESCE(s.cost_nano_usd, 0) AS nano FROM workflow w
       JOIN workflow_event e ON e.workflow_instance_id = w.id AND e.kind = ?
       JOIN spend_workflow s ON s.workflow_instance_id = w.id AND s.backend = ?
       WHERE e.ts >= ?`,
    ).all(PUBLISHED, backend, since) as unknown as Completion[];
  }

  /** The models and content of the workflows published at or after `since` that spent on `backend`. */
  completedContent(backend: Backend, since: number): CitedWorkflow[] {
    return (statement(
      this.#db,
      `SELECT w.models, w.state FROM workflow w
       JOIN workflow_event e ON e.workflow_instance_id = w.id AND e.kind = ?
       JOIN spend_workflow s ON s.workflow_instance_id = w.id AND s.backend = ?
       WHERE e.ts >= ?`,
    ).all(PUBLISHED, backend, since) as { models: string; state: string }[]).map((r) => ({
      models: JSON.parse(r.models),
      citations: citationMarks(JSON.parse(r.state)),
    }));
  }

  /**
   * What each agent cost on `backend` in each workflow published at or after `since`: all its calls,
   * also those made before.
   */
  completionCosts(backend: Backend, since: number): (AgentCost & { model: string })[] {
    return statement(
      this.#db,
      `SELECT workflow_instance_id AS id, agent_id AS agent, model, SUM(cost_nano_usd) AS nano FROM ai_call_log
       WHERE backend = ? AND workflow_instance_id IN
         (SELECT workflow_instance_id FROM workflow_event WHERE kind = ? AND ts >= ?)
       GROUP BY workflow_instance_id, agent_id, model`,
    ).all(backend, PUBLISHED, since) as unknown as (AgentCost & { model: string })[];
  }

  /** The calls of the window on `backend`, oldest first. */
  calls(backend: Backend, window: Window): CallRow[] {
    return statement(
      this.#db,
      `SELECT agent_id AS agent, workflow_instance_id AS workflowId, model, input_tokens AS inputTokens,
              output_tokens AS outputTokens, cache_read_tokens AS cacheReadTokens,
              cache_write_tokens AS cacheWriteTokens, cost_nano_usd AS costNano, ts, batch,
              web_search_requests AS webSearchRequests, turn, cache_write_5m_tokens AS cacheWrite5mTokens,
              cache_write_1h_tokens AS cacheWrite1hTokens, cache_ttls AS cacheTtls,
              cache_miss_reason AS cacheMissReason, cache_missed_tokens AS cacheMissedTokens
       FROM ai_call_log WHERE ts >= ? AND backend = ?${agentIs("agent_id", window)} ORDER BY ts, id`,
    ).all(...bind(window, backend)) as unknown as CallRow[];
  }

  /** The tool calls made by the window's calls on `backend`. */
  toolOutcomes(backend: Backend, window: Window): ToolOutcome[] {
    return statement(
      this.#db,
      `SELECT t.agent_id AS agent, t.model, t.outcome, t.workflow_instance_id AS workflowId
       FROM tool_call t JOIN ai_call_log c ON c.id = t.call_id
       WHERE c.ts >= ? AND c.backend = ?${agentIs("t.agent_id", window)}`,
    ).all(...bind(window, backend)) as unknown as ToolOutcome[];
  }

  /** When a cap refused a call on `backend` at or after `since`. */
  refusals(backend: Backend, since: number): number[] {
    return (statement(this.#db, "SELECT ts FROM cap_refusal WHERE ts >= ? AND backend = ?").all(
      since,
      backend,
    ) as { ts: number }[]).map((r) => r.ts);
  }

  /** Calls on `backend` at or after `since` booked above their reservation. */
  overReserved(backend: Backend, since: number): number {
    return overReservation(this.#db, { since, backend }).count;
  }

  /** Whether any call was made on the real API at or after `since`. */
  anyRealCall(since: number): boolean {
    return statement(this.#db, "SELECT 1 FROM ai_call_log WHERE ts >= ? AND backend = 'anthropic' LIMIT 1")
      .get(since) !== undefined;
  }

  /** The successful calls on `backend` at or after `since`, of every agent. */
  okCalls(backend: Backend, since: number): HistoryRow[] {
    return statement(
      this.#db,
      `SELECT agent_id, model, input_tokens AS inputTokens, output_tokens AS outputTokens,
              cache_read_tokens AS cacheReadTokens, cache_write_5m_tokens AS cacheWrite5mTokens,
              cache_write_1h_tokens AS cacheWrite1hTokens, web_search_requests AS webSearchRequests,
              inference_geo AS inferenceGeo, cost_nano_usd AS cost, ts
       FROM ai_call_log WHERE ts >= ? AND backend = ? AND status = 'ok'`,
    ).all(since, backend) as unknown as HistoryRow[];
  }

  /** The workflows and agents that drew a canary arm: not swaps, for the report. */
  canaryArmKeys(): Set<string> {
    return new Set(
      (statement(this.#db, "SELECT workflow_instance_id AS id, agent_id AS agent FROM canary_arm").all() as {
        id: string;
        agent: string;
      }[]).map((r) => `${r.id}\u0000${r.agent}`),
    );
  }

  /** The agents that have had a canary, in the order their first arms were drawn. */
  canaryAgents(): string[] {
    return (statement(
      this.#db,
      "SELECT agent_id, MIN(ts) AS first FROM canary_arm GROUP BY agent_id ORDER BY first",
    )
      .all() as { agent_id: string }[]).map((r) => r.agent_id);
  }

  /**
   * The workflows of an agent's canary arms (the latest canary's: the arms of its canary model), with what
   * each cost, the agent's calls and tool calls, and the editor's revisions and flags in it.
   */
  rolloutWorkflows(agent: string, backend: Backend): { share: number; rows: ArmWorkflow[] } {
    const latest = statement(
      this.#db,
      "SELECT canary_model, control_model, share FROM canary_arm WHERE agent_id = ? ORDER BY ts DESC LIMIT 1",
    ).get(agent) as { canary_model: string; control_model: string; share: number } | undefined;
    if (!latest) return { share: 0, rows: [] };
    const rows = statement(
      this.#db,
      `SELECT a.workflow_instance_id AS id, a.arm, a.model,
         EXISTS (SELECT 1 FROM workflow_event e WHERE e.workflow_instance_id = a.workflow_instance_id
                 AND e.kind = ?2) AS published,
         COALESCE((SELECT SUM(c.cost_nano_usd) FROM ai_call_log c
                   WHERE c.workflow_instance_id = a.workflow_instance_id AND c.backend = ?1), 0) AS workflowNano,
         COALESCE((SELECT SUM(c.cost_nano_usd) FROM ai_call_log c
                   WHERE c.workflow_instance_id = a.workflow_instance_id AND c.agent_id = a.agent_id
                   AND c.backend = ?1), 0) AS agentNano,
         (SELECT COUNT(*) FROM ai_call_log c WHERE c.workflow_instance_id = a.workflow_instance_id
          AND c.agent_id = a.agent_id AND c.backend = ?1) AS agentCalls,
         (SELECT COUNT(*) FROM tool_call t
          WHERE t.workflow_instance_id = a.workflow_instance_id AND t.agent_id = a.agent_id) AS toolCalls,
         (SELECT COUNT(*) FROM tool_call t WHERE t.workflow_instance_id = a.workflow_instance_id
          AND t.agent_id = a.agent_id AND t.outcome = 'ok') AS toolOk,
         (SELECT COUNT(*) FROM tool_call t WHERE t.workflow_instance_id = a.workflow_instance_id
          AND t.tool = 'request_revision' AND t.outcome = 'ok') AS revisions,
         (SELECT COUNT(*) FROM tool_call t WHERE t.workflow_instance_id = a.workflow_instance_id
          AND t.tool = 'flag_for_review' AND t.outcome = 'ok') AS flags
       FROM canary_arm a
       WHERE a.agent_id = ?3 AND a.canary_model = ?4 AND a.control_model = ?5
         -- an arm is the workflows whose calls went to this backend: the demo's never stand in for real ones
         AND EXISTS (SELECT 1 FROM ai_call_log c WHERE c.workflow_instance_id = a.workflow_instance_id
                     AND c.backend = ?1)
       ORDER BY a.ts, a.workflow_instance_id`,
    ).all(backend, PUBLISHED, agent, latest.canary_model, latest.control_model) as unknown as (
      & Omit<ArmWorkflow, "published">
      & { published: number }
    )[];
    return { share: latest.share, rows: rows.map((r) => ({ ...r, published: r.published === 1 })) };
  }

  /** The mean output tokens of an agent's successful calls on `backend` per model, over all time. */
  meanOutput(agent: string, backend: Backend): Record<string, number> {
    return Object.fromEntries(
      (statement(
        this.#db,
        `SELECT model, AVG(output_tokens) AS mean FROM ai_call_log
         WHERE agent_id = ? AND backend = ? AND status = 'ok' GROUP BY model`,
      ).all(agent, backend) as { model: string; mean: number }[]).map((r) => [r.model, r.mean]),
    );
  }
}

/** The condition on the agent, when the window names one. */
const agentIs = (column: string, window: Window) => window.agent ? ` AND ${column} = ?` : "";

/** `since`, `backend` and the agent, if the window names one: the order `calls` and `toolOutcomes` bind. */
const bind = (window: Window, backend: Backend) =>
  window.agent ? [window.since, backend, window.agent] : [window.since, backend];
