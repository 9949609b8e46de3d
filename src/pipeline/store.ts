/**
 * Workflows in SQLite (the ledger's file): creation with models pinned, state
 * saves, status changes, events and classified tool calls.
 * @module
 */
import { ulid } from "ulid";
import { AGENT_IDS, type AgentId } from "../config/schema.ts";
import { type Db, statement, transaction } from "../db/sqlite.ts";
import { UserInputError } from "../errors.ts";
import type { Stage } from "./agents.ts";
import type { ToolCallResult } from "./run_tool.ts";
import { type ContentState, emptyState, type WorkflowRequest } from "./state.ts";

export type WorkflowStatus = "ready" | "waiting" | "stuck" | "flagged" | "published";

export interface Workflow {
  id: string;
  topic: string;
  createdTs: number;
  updatedTs: number;
  stage: Stage;
  status: WorkflowStatus;
  /** The model of each agent, pinned when the workflow was created. */
  models: Record<AgentId, string>;
  state: ContentState;
  reason: string | null;
  waitUntil: number | null;
  publishedPath: string | null;
}

export interface WorkflowPatch {
  stage?: Stage;
  status?: WorkflowStatus;
  reason?: string | null;
  waitUntil?: number | null;
  publishedPath?: string | null;
  state?: ContentState;
}

/** A workflow id that does not exist. */
export class UnknownWorkflowError extends UserInputError {
  constructor(id: string) {
    super(`no workflow "${id}"; \`pressroom status\` lists them`);
    this.name = "UnknownWorkflowError";
  }
}

interface Row {
  id: string;
  topic: string;
  created_ts: number;
  updated_ts: number;
  stage: Stage;
  status: WorkflowStatus;
  models: string;
  state: string;
  reason: string | null;
  wait_until: number | null;
  published_path: string | null;
}

const fromRow = (r: Row): Workflow => ({
  id: r.id,
  topic: r.topic,
  createdTs: r.created_ts,
  updatedTs: r.updated_ts,
  stage: r.stage,
  status: r.status,
  models: JSON.parse(r.models),
  state: JSON.parse(r.state),
  reason: r.reason,
  waitUntil: r.wait_until,
  publishedPath: r.published_path,
});

export class WorkflowStore {
  constructor(readonly db: Db, readonly now: () => number = Date.now) {}

  /**
   * A new workflow at intake, with each agent's model pinned from `models`. `id`, if given, must be a
   * fresh ULID; `inboxFile` is the key of the inbox file it came from.
   */
  create(
    request: WorkflowRequest,
    models: Record<AgentId, string>,
    options: { inboxFile?: string; id?: string } = {},
  ): Workflow {
    const now = this.now();
    const id = options.id ?? ulid(now);
    const pinned = Object.fromEntries(AGENT_IDS.map((a) => [a, models[a]])) as Record<AgentId, string>;
    transaction(this.db, () => {
      statement(
        this.db,
        `INSERT INTO workflow (id, topic, created_ts, updated_ts, stage, status, models, state, inbox_file)
         VALUES (?, ?, ?, ?, 'intake', 'ready', ?, ?, ?)`,
      ).run(
        id,
        request.topic,
        now,
        now,
        JSON.stringify(pinned),
        JSON.stringify(emptyState(request)),
        options.inboxFile ?? null,
      );
      this.#event(id, "intake", "created", JSON.stringify(pinned), now);
    });
    return this.get(id);
  }

  /** The workflow made from this inbox file, if one was. */
  fromInbox(inboxFile: string): string | undefined {
    const row = statement(this.db, "SELECT id FROM workflow WHERE inbox_file = ?").get(inboxFile) as
      | { id: string }
      | undefined;
    return row?.id;
  }

  forgetInboxFile(id: string): void {
    statement(this.db, "UPDATE workflow SET inbox_file = NULL WHERE id = ?").run(id);
  }

  get(id: string): Workflow {
    const row = statement(this.db, "SELECT * FROM workflow WHERE id = ?").get(id) as Row | undefined;
    if (!row) throw new UnknownWorkflowError(id);
    return fromRow(row);
  }

  list(): Workflow[] {
    return (statement(this.db, "SELECT * FROM workflow ORDER BY created_ts, id").all() as unknown as Row[])
      .map(
        fromRow,
      );
  }

  /**
   * Workflows an agent may work on now (ready, or waiting with the wait over), oldest first: only
   * their ids and stages, since the scheduler asks on every pass and a state can be large.
   */
  ready(now = this.now()): { id: string; stage: Stage }[] {
    return statement(
      this.db,
      `SELECT id, stage FROM workflow WHERE stage != 'done'
         AND (status = 'ready' OR (status = 'waiting' AND wait_until IS NOT NULL AND wait_until <= ?))
       ORDER BY updated_ts, id`,
    ).all(now) as { id: string; stage: Stage }[];
  }

  update(id: string, patch: WorkflowPatch): void {
    const sets: string[] = ["updated_ts = ?"];
    const values: (string | number | null)[] = [this.now()];
    const column = {
      stage: "stage",
      status: "status",
      reason: "reason",
      waitUntil: "wait_until",
      publishedPath: "published_path",
    } as const;
    for (const [key, name] of Object.entries(column)) {
      if (key in patch) {
        sets.push(`${name} = ?`);
        values.push((patch as Record<string, string | number | null>)[key] ?? null);
      }
    }
    if (patch.state) {
      sets.push("state = ?");
      values.push(JSON.stringify(patch.state));
    }
    const result = statement(this.db, `UPDATE workflow SET ${sets.join(", ")} WHERE id = ?`).run(
      ...values,
      id,
    );
    if (result.changes === 0) throw new UnknownWorkflowError(id);
  }

  event(id: string, stage: Stage | null, kind: string, detail?: string): void {
    this.#event(id, stage, kind, detail ?? null, this.now());
  }

  #event(id: string, stage: Stage | null, kind: string, detail: string | null, ts: number): void {
    statement(
      this.db,
      "INSERT INTO workflow_event (workflow_instance_id, ts, stage, kind, detail) VALUES (?, ?, ?, ?, ?)",
    )
      .run(id, ts, stage, kind, detail);
  }

  /**
   * Takes the lease on a workflow's current stage for `owner` until `until`, if no
   * live process holds it. `isAlive` tells whether another owner still runs.
   * Compare-and-set on the old owner, so two processes cannot both win.
   */
  claim(id: string, owner: string, until: number, isAlive: (owner: string) => boolean): boolean {
    const row = statement(this.db, "SELECT lease_owner, lease_until FROM workflow WHERE id = ?").get(id) as
      | { lease_owner: string | null; lease_until: number | null }
      | undefined;
    if (!row) return false;
    const held = row.lease_owner !== null && row.lease_owner !== owner &&
      (row.lease_until ?? 0) > this.now() && isAlive(row.lease_owner);
    if (held) return false;
    const result = statement(
      this.db,
      "UPDATE workflow SET lease_owner = ?, lease_until = ? WHERE id = ? AND lease_owner IS ?",
    ).run(owner, until, id, row.lease_owner);
    return result.changes === 1;
  }

  renew(id: string, owner: string, until: number): void {
    statement(this.db, "UPDATE workflow SET lease_until = ? WHERE id = ? AND lease_owner = ?").run(
      until,
      id,
      owner,
    );
  }

  release(id: string, owner: string): void {
    statement(
      this.db,
      "UPDATE workflow SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?",
    )
      .run(id, owner);
  }

  /** Agents a cap has paused, and until when. */
  pauses(now = this.now()): { agent: AgentId; cap: string; until: number }[] {
    return (statement(
      this.db,
      "SELECT agent_id, cap, until FROM agent_pause WHERE until > ? ORDER BY agent_id",
    )
      .all(now) as {
        agent_id: AgentId;
        cap: string;
        until: number;
      }[]).map((r) => ({ agent: r.agent_id, cap: r.cap, until: r.until }));
  }

  pause(agent: AgentId, cap: string, until: number): void {
    statement(
      this.db,
      `INSERT INTO agent_pause (agent_id, cap, until, ts) VALUES (?, ?, ?, ?)
       ON CONFLICT (agent_id) DO UPDATE SET cap = excluded.cap, until = excluded.until, ts = excluded.ts`,
    ).run(agent, cap, until, this.now());
  }

  /** After a config change: paused agents and workflows waiting for a cap look again. */
  resumeWaiting(): void {
    transaction(this.db, () => {
      this.db.exec("DELETE FROM agent_pause");
      statement(
        this.db,
        "UPDATE workflow SET status = 'ready', wait_until = NULL, updated_ts = ? WHERE status = 'waiting'",
      )
        .run(this.now());
    });
  }

  recordToolCalls(
    call: { callId: string; workflowId: string; agentId: AgentId; model: string; turn: number },
    results: ToolCallResult[],
  ): void {
    const insert = statement(
      this.db,
      `INSERT INTO tool_call (call_id, workflow_instance_id, agent_id, model, turn, tool, outcome, message, ts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const now = this.now();
    transaction(this.db, () => {
      for (const r of results) {
        insert.run(
          call.callId,
          call.workflowId,
          call.agentId,
          call.model,
          call.turn,
          r.tool.slice(0, 100),
          r.outcome,
          r.outcome === "ok" ? null : r.content.slice(0, 1000),
          now,
        );
      }
    });
  }
}
