/**
 * What `report`, `rollout` and `project` read of the shared ledger, every machine's: the calls of a window
 * with their tool calls, all the calls of the workflows published in it or that drew a canary arm (a
 * completion's cost counts its calls before the window too; an arm's, all of them), those workflows'
 * completions, every canary arm, and the window's cap refusals. Rows come as arrays, in the column order
 * the SQLite ledger's tables take (report/mirror.ts).
 * @module
 */
import { type PgPool, pgTransaction } from "../db/postgres.ts";
import { CALL_LOG_COLUMNS, REFUSAL_COLUMNS, TOOL_CALL_COLUMNS } from "./ledger.ts";

export type Row = unknown[];

export interface ReportRows {
  /** CALL_LOG_COLUMNS. */
  calls: Row[];
  /** TOOL_CALL_COLUMNS, each call's in order. */
  toolCalls: Row[];
  /** COMPLETION_COLUMNS. */
  completions: Row[];
  /** ARM_COLUMNS. */
  arms: Row[];
  /** REFUSAL_COLUMNS. */
  refusals: Row[];
}

const COMPLETION_COLUMNS = ["workflow_instance_id", "published_ts", "models", "citations"] as const;
export const ARM_COLUMNS = [
  "workflow_instance_id",
  "agent_id",
  "arm",
  "model",
  "canary_model",
  "control_model",
  "share",
  "ts",
] as const;

/** The workflows whose every call the report reads: published at or after $1, or in a canary arm. */
const WHOLE_WORKFLOWS = `SELECT workflow_instance_id FROM workflow_completion WHERE published_ts >= $1
  UNION SELECT workflow_instance_id FROM canary_arm`;
const IN_REPORT = `ts >= $1 OR workflow_instance_id IN (${WHOLE_WORKFLOWS})`;

/** What each part of ReportRows is: a statement and whether it takes the window's start. */
const QUERIES: Record<keyof ReportRows, { text: string; since: boolean }> = {
  calls: { text: `SELECT ${CALL_LOG_COLUMNS.join(", ")} FROM ai_call_log WHERE ${IN_REPORT}`, since: true },
  toolCalls: {
    text: `SELECT ${TOOL_CALL_COLUMNS.join(", ")} FROM tool_call
      WHERE call_id IN (SELECT id FROM ai_call_log WHERE ${IN_REPORT}) ORDER BY call_id, n`,
    since: true,
  },
  completions: {
    text: `SELECT ${COMPLETION_COLUMNS.join(", ")} FROM workflow_completion
      WHERE workflow_instance_id IN (${WHOLE_WORKFLOWS})`,
    since: true,
  },
  arms: { text: `SELECT ${ARM_COLUMNS.join(", ")} FROM canary_arm`, since: false },
  refusals: { text: `SELECT ${REFUSAL_COLUMNS.join(", ")} FROM cap_refusal WHERE ts >= $1`, since: true },
};

/** The rows, read in one REPEATABLE READ transaction: one snapshot, as every machine had written it. */
export function readReportRows(pool: PgPool, where: string, since: number): Promise<ReportRows> {
  return pgTransaction(pool, where, async (client) => {
    await client.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    const rows = {} as ReportRows;
    for (const [name, query] of Object.entries(QUERIES) as [keyof ReportRows, typeof QUERIES.calls][]) {
      const values = query.since ? [since] : [];
      rows[name] = (await client.query<Row>({ text: query.text, values, rowMode: "array" })).rows;
    }
    return rows;
  });
}
