/**
 * ReportQueries over every machine: the rows the shared ledger gives for a window (ledger/
 * shared_report_rows.ts) in an in-memory SQLite database with the ledger's own schema, so that one set of
 * queries (queries.ts) makes the report of one data folder and of all of them alike.
 * @module
 */
import { type Db, openDb, transaction } from "../db/sqlite.ts";
import { CALL_LOG_COLUMNS, REFUSAL_COLUMNS, TOOL_CALL_COLUMNS } from "../ledger/ledger.ts";
import { ARM_COLUMNS, type ReportRows, type Row } from "../ledger/shared_report_rows.ts";
import { PUBLISHED } from "../pipeline/store.ts";
import { type CitationMark, stateOfMarks } from "./citations.ts";
import { ReportQueries } from "./queries.ts";

/** The report's queries over `rows`; `close` frees the database. */
export function mirrorOf(rows: ReportRows): { queries: ReportQueries; close: () => void } {
  const db = openDb(":memory:");
  transaction(db, () => {
    insertAll(db, "ai_call_log", CALL_LOG_COLUMNS, rows.calls);
    insertAll(db, "tool_call", TOOL_CALL_COLUMNS, rows.toolCalls);
    insertAll(db, "canary_arm", ARM_COLUMNS, rows.arms);
    insertAll(db, "cap_refusal", REFUSAL_COLUMNS, rows.refusals);
    // A published workflow is what the queries count as a completion: its row, its event, its spend.
    insertAll(
      db,
      "workflow",
      ["id", "topic", "created_ts", "updated_ts", "stage", "status", "models", "state"],
      rows.completions.map(([id, ts, models, citations]) => [
        id,
        "",
        ts,
        ts,
        "done",
        PUBLISHED,
        models ?? "{}",
        JSON.stringify(stateOfMarks(JSON.parse((citations as string | null) ?? "[]") as CitationMark[])),
      ]),
    );
    insertAll(
      db,
      "workflow_event",
      ["workflow_instance_id", "ts", "stage", "kind"],
      rows.completions.map(([id, ts]) => [id, ts, "publisher", PUBLISHED]),
    );
    db.exec(
      `INSERT INTO spend_workflow (workflow_instance_id, backend, cost_nano_usd)
       SELECT workflow_instance_id, backend, SUM(cost_nano_usd) FROM ai_call_log WHERE cost_nano_usd > 0
       GROUP BY 1, 2`,
    );
  });
  return { queries: new ReportQueries(db), close: () => db.close() };
}

function insertAll(db: Db, table: string, columns: readonly string[], rows: Row[]): void {
  const insert = db.prepare(
    `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
  );
  for (const row of rows) insert.run(...(row as (string | number | null)[]));
}
