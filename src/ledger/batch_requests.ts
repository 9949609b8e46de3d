/**
 * The turns sent through Message Batches (`batch_request`): each recorded with its reservation before its
 * batch is created, given its batch id as soon as the API returns it, given its result once the batch has
 * ended, and settled by its stage as a synchronous reply is. A process that dies leaves these rows; the
 * next one adopts their reservations (ledger.ts) and collects them (claude/batches.ts).
 * @module
 */
import { type Db, statement } from "../db/sqlite.ts";

export type BatchRequestState = "pending" | "doubt" | "sent" | "ended" | "settled";

/** A batch request as recorded before its batch is created. */
export interface NewBatchRequest {
  customId: string;
  reservationId: string;
  workflowId: string;
  agentId: string;
  model: string;
  turn: number;
  params: unknown;
  progress: unknown;
}

export interface BatchRequest extends NewBatchRequest {
  state: BatchRequestState;
  batchId: string | null;
  /** The result line's `result` ({type: "succeeded", message} | errored | canceled | expired). */
  result: unknown;
  ts: number;
  sentTs: number | null;
}

/** A batch with requests of ours not yet collected. */
export interface OpenBatch {
  batchId: string;
  requests: number;
  sentTs: number;
  polledTs: number | null;
}

interface Row {
  custom_id: string;
  reservation_id: string;
  workflow_instance_id: string;
  agent_id: string;
  model: string;
  turn: number;
  params: string;
  progress: string;
  state: BatchRequestState;
  batch_id: string | null;
  result: string | null;
  ts: number;
  sent_ts: number | null;
}

function fromRow(row: Row): BatchRequest {
  return {
    customId: row.custom_id,
    reservationId: row.reservation_id,
    workflowId: row.workflow_instance_id,
    agentId: row.agent_id,
    model: row.model,
    turn: row.turn,
    params: JSON.parse(row.params),
    progress: JSON.parse(row.progress),
    state: row.state,
    batchId: row.batch_id,
    result: row.result === null ? null : JSON.parse(row.result),
    ts: row.ts,
    sentTs: row.sent_ts,
  };
}

export class BatchRequests {
  readonly #db: Db;

  constructor(db: Db, readonly now: () => number) {
    this.#db = db;
  }

  /** Records a request before its batch is created; runs inside the reservation's transaction. */
  record(request: NewBatchRequest): void {
    statement(
      this.#db,
      `INSERT INTO batch_request (custom_id, reservation_id, workflow_instance_id, agent_id, model, turn,
         params, progress, state, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
    ).run(
      request.customId,
      request.reservationId,
      request.workflowId,
      request.agentId,
      request.model,
      request.turn,
      JSON.stringify(request.params),
      JSON.stringify(request.progress),
      this.now(),
    );
  }

  /** Requests recorded and not yet in a batch the API acknowledged, oldest first. */
  pending(): BatchRequest[] {
    return this.#rows("state = 'pending'");
  }

  /** Requests a dead process recorded and may have sent in a batch whose id it never recorded. */
  inDoubt(): BatchRequest[] {
    return this.#rows("state = 'doubt'");
  }

  /** Requests in doubt that no batch turned out to hold: sent with the next batch. */
  undoubt(customIds: string[]): void {
    const back = statement(
      this.#db,
      "UPDATE batch_request SET state = 'pending' WHERE custom_id = ? AND state = 'doubt'",
    );
    for (const id of customIds) back.run(id);
  }

  /** Every batch id our requests are known to be in. */
  knownBatchIds(): Set<string> {
    const rows = statement(this.#db, "SELECT DISTINCT batch_id FROM batch_request WHERE batch_id IS NOT NULL")
      .all() as { batch_id: string }[];
    return new Set(rows.map((r) => r.batch_id));
  }

  /** The batch the API created for these requests (or that held requests in doubt). */
  markSent(batchId: string, customIds: string[]): void {
    const sent = statement(
      this.#db,
      `UPDATE batch_request SET state = 'sent', batch_id = ?, sent_ts = ?
       WHERE custom_id = ? AND state IN ('pending', 'doubt')`,
    );
    for (const id of customIds) sent.run(batchId, this.now(), id);
  }

  /** Batches with requests of ours still in them, oldest first. */
  openBatches(): OpenBatch[] {
    const rows = statement(
      this.#db,
      `SELECT batch_id, COUNT(*) AS n, MIN(sent_ts) AS sent_ts, MAX(polled_ts) AS polled_ts FROM batch_request
       WHERE state = 'sent' GROUP BY batch_id ORDER BY MIN(sent_ts)`,
    ).all() as { batch_id: string; n: number; sent_ts: number; polled_ts: number | null }[];
    return rows.map((r) => ({
      batchId: r.batch_id,
      requests: r.n,
      sentTs: r.sent_ts,
      polledTs: r.polled_ts,
    }));
  }

  markPolled(batchId: string): void {
    statement(this.#db, "UPDATE batch_request SET polled_ts = ? WHERE batch_id = ? AND state = 'sent'")
      .run(this.now(), batchId);
  }

  /** A result of an ended batch, for the request it names; false when it is not one of ours in that batch. */
  recordResult(batchId: string, customId: string, result: unknown): boolean {
    const changed = statement(
      this.#db,
      "UPDATE batch_request SET state = 'ended', result = ? WHERE custom_id = ? AND batch_id = ? AND state = 'sent'",
    ).run(JSON.stringify(result), customId, batchId);
    return changed.changes === 1;
  }

  /** The workflow's request whose result waits for its stage, if any. */
  ended(workflowId: string): BatchRequest | undefined {
    return this.#rows("state = 'ended' AND workflow_instance_id = ?", workflowId)[0];
  }

  /** The workflow's request still in a batch (or about to be), if any. */
  open(workflowId: string): BatchRequest | undefined {
    return this.#rows("state IN ('pending', 'doubt', 'sent') AND workflow_instance_id = ?", workflowId)[0];
  }

  /** Our requests in a batch, whatever their state, as custom_id → workflow (no request bodies read). */
  workflowsIn(batchId: string): Map<string, string> {
    const rows = statement(
      this.#db,
      "SELECT custom_id, workflow_instance_id FROM batch_request WHERE batch_id = ?",
    ).all(batchId) as { custom_id: string; workflow_instance_id: string }[];
    return new Map(rows.map((r) => [r.custom_id, r.workflow_instance_id]));
  }

  /** How many of our requests wait: recorded, in doubt, or in a batch not collected yet. */
  waitingCount(): number {
    return this.#count("state IN ('pending', 'doubt', 'sent')");
  }

  /** How many of our requests a batch holds that are not collected yet. */
  sentIn(batchId: string): number {
    return this.#count("state = 'sent' AND batch_id = ?", batchId);
  }

  markSettled(customId: string): void {
    statement(this.#db, "UPDATE batch_request SET state = 'settled' WHERE custom_id = ?").run(customId);
  }

  #count(where: string, ...args: string[]): number {
    return (statement(this.#db, `SELECT COUNT(*) AS n FROM batch_request WHERE ${where}`).get(...args) as {
      n: number;
    }).n;
  }

  #rows(where: string, ...args: string[]): BatchRequest[] {
    return (statement(this.#db, `SELECT * FROM batch_request WHERE ${where} ORDER BY ts, custom_id`)
      .all(...args) as unknown as Row[]).map(fromRow);
  }
}
