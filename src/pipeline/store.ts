/**
 * Workflows in SQLite (the ledger's file): creation with models pinned, state
 * saves, status changes, events and classified tool calls.
 * @module
 */
import { monotonicUlid } from "../ids.ts";
import { AGENT_IDS, type AgentId } from "../config/schema.ts";
import { type Db, statement, transaction } from "../db/sqlite.ts";
import { UserInputError } from "../errors.ts";
import type { Backend, CallOutput } from "../ledger/ledger.ts";
import type { Stage } from "./agents.ts";
import type { ArmPin, DrawnArm } from "./canary.ts";
import { type CitationMark, citationMarks } from "../report/citations.ts";
import { type ContentState, emptyState, type WorkflowRequest } from "../content/state.ts";

/**
 * A new workflow's id. Monotonic: ids made in the same millisecond still sort in the order they were made,
 * so every list ordered by creation (status, doctor, models) shows workflows in the order they came.
 */
export const newWorkflowId: (now: number) => string = monotonicUlid();

/** A published workflow, as the shared ledger counts it: when, on which models, with which citations. */
export interface Completion {
  workflowId: string;
  ts: number;
  models: Record<string, string>;
  citations: CitationMark[];
}

export type WorkflowStatus = "ready" | "waiting" | "stuck" | "flagged" | "published";

/** The event the loop records when it publishes a workflow (its status is named the same): a completion. */
export const PUBLISHED = "published" satisfies WorkflowStatus;

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

/** A workflow a cap made wait, with the call the cap refused: see cap_holds.ts. */
export interface CapHold {
  workflowId: string;
  agent: AgentId;
  model: string;
  backend: Backend;
  cap: string;
  /** The refused call's worst case. */
  requestNano: number;
  /** Its `max_tokens` and output price: judged again at the max_tokens its stage would resume with. */
  output: CallOutput;
  /** Only other calls' open reservations stood in the way. */
  inFlight: boolean;
  /** When the cap's period ends, or, in flight, when to look again. */
  until: number;
}

/** An agent that takes no work on a model while a cap holds one of its workflows on that model. */
export interface Pause {
  agent: AgentId;
  model: string;
  cap: string;
  until: number;
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
  /** The SQLite handle: private, so that callers reach workflows only through these methods. */
  readonly #db: Db;

  constructor(db: Db, readonly now: () => number = Date.now) {
    this.#db = db;
  }

  /**
   * A new workflow at intake, with each agent's model pinned from `models`. `id`, if given, must be a
   * fresh ULID; `inboxFile` is the key of the inbox file it came from.
   */
  create(
    request: WorkflowRequest,
    models: Record<AgentId, string>,
    options: { inboxFile?: string; id?: string; arms?: ArmPin[] } = {},
  ): Workflow {
    const now = this.now();
    const id = options.id ?? newWorkflowId(now);
    const pinned = Object.fromEntries(AGENT_IDS.map((a) => [a, models[a]])) as Record<AgentId, string>;
    transaction(this.#db, () => {
      statement(
        this.#db,
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
      for (const a of options.arms ?? []) {
        statement(
          this.#db,
          `INSERT INTO canary_arm (workflow_instance_id, agent_id, arm, model, canary_model, control_model, share, ts)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(id, a.agent, a.arm, a.model, a.canaryModel, a.controlModel, a.share, now);
      }
    });
    return this.get(id);
  }

  /** The workflow made from this inbox file, if one was. */
  fromInbox(inboxFile: string): string | undefined {
    const row = statement(this.#db, "SELECT id FROM workflow WHERE inbox_file = ?").get(inboxFile) as
      | { id: string }
      | undefined;
    return row?.id;
  }

  forgetInboxFile(id: string): void {
    statement(this.#db, "UPDATE workflow SET inbox_file = NULL WHERE id = ?").run(id);
  }

  get(id: string): Workflow {
    const row = statement(this.#db, "SELECT * FROM workflow WHERE id = ?").get(id) as Row | undefined;
    if (!row) throw new UnknownWorkflowError(id);
    return fromRow(row);
  }

  list(): Workflow[] {
    return (statement(this.#db, "SELECT * FROM workflow ORDER BY created_ts, id").all() as unknown as Row[])
      .map(
        fromRow,
      );
  }

  /**
   * Workflows an agent may work on now (ready, or waiting with the wait over), oldest first: only
   * their ids, stages and pinned models, since the scheduler asks on every pass and a state can be large.
   */
  ready(now = this.now()): { id: string; stage: AgentId; model: string }[] {
    return statement(
      this.#db,
      `SELECT id, stage, json_extract(models, '$.' || stage) AS model FROM workflow WHERE stage != 'done'
         AND (status = 'ready' OR (status = 'waiting' AND wait_until IS NOT NULL AND wait_until <= ?))
       ORDER BY updated_ts, id`,
    ).all(now) as { id: string; stage: AgentId; model: string }[];
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
    const write = () => {
      const result = statement(this.#db, `UPDATE workflow SET ${sets.join(", ")} WHERE id = ?`).run(
        ...values,
        id,
      );
      if (result.changes === 0) throw new UnknownWorkflowError(id);
    };
    // A workflow that no longer waits is held by no cap. (A state save, every turn, is one statement.)
    if (patch.status === undefined || patch.status === "waiting") return write();
    transaction(this.#db, () => {
      write();
      statement(this.#db, "DELETE FROM cap_hold WHERE workflow_instance_id = ?").run(id);
    });
  }

  /**
   * Pins `agent` of a workflow to `model` in place of the model pinned so far, with a `repinned` event
   * (`old -> new`) in its history. Returns the model it was pinned to; nothing changes when it is the same.
   */
  repin(id: string, agent: AgentId, model: string): string {
    return transaction(this.#db, () => {
      const old = this.get(id).models[agent];
      if (old === model) return old;
      statement(this.#db, "UPDATE workflow SET models = json_set(models, ?, ?), updated_ts = ? WHERE id = ?")
        .run(
          `$.${agent}`,
          model,
          this.now(),
          id,
        );
      this.event(id, agent, "repinned", `${old} -> ${model}`);
      return old;
    });
  }

  /**
   * Sends a workflow back to work (`retry`), in one transaction: the agents re-pinned, its state and
   * stage, ready now, and a `retried` event with `detail`.
   */
  sendBack(
    id: string,
    to: { stage: AgentId; state: ContentState; pins: [AgentId, string][]; detail: string },
  ): void {
    transaction(this.#db, () => {
      for (const [agent, model] of to.pins) this.repin(id, agent, model);
      this.update(id, { state: to.state, stage: to.stage, status: "ready", reason: null, waitUntil: null });
      this.event(id, to.stage, "retried", to.detail);
    });
  }

  /** The workflows published at or after `since`: when (their first publication), models and citations. */
  publishedSince(since: number): Completion[] {
    return (statement(
      this.#db,
      `SELECT e.workflow_instance_id AS workflowId, MIN(e.ts) AS ts, w.models, w.state
       FROM workflow_event e JOIN workflow w ON w.id = e.workflow_instance_id WHERE e.kind = ?
       GROUP BY e.workflow_instance_id HAVING MIN(e.ts) >= ? ORDER BY 2`,
    ).all(PUBLISHED, since) as { workflowId: string; ts: number; models: string; state: string }[]).map((
      r,
    ) => ({
      workflowId: r.workflowId,
      ts: r.ts,
      models: JSON.parse(r.models),
      citations: citationMarks(JSON.parse(r.state)),
    }));
  }

  /** What happened to a workflow, in order. */
  events(id: string): { ts: number; stage: string | null; kind: string; detail: string | null }[] {
    return statement(
      this.#db,
      "SELECT ts, stage, kind, detail FROM workflow_event WHERE workflow_instance_id = ? ORDER BY id",
    ).all(id) as { ts: number; stage: string | null; kind: string; detail: string | null }[];
  }

  event(id: string, stage: Stage | null, kind: string, detail?: string): void {
    this.#event(id, stage, kind, detail ?? null, this.now());
  }

  #event(id: string, stage: Stage | null, kind: string, detail: string | null, ts: number): void {
    statement(
      this.#db,
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
    const row = statement(this.#db, "SELECT lease_owner, lease_until FROM workflow WHERE id = ?").get(id) as
      | { lease_owner: string | null; lease_until: number | null }
      | undefined;
    if (!row) return false;
    const held = row.lease_owner !== null && row.lease_owner !== owner &&
      (row.lease_until ?? 0) > this.now() && isAlive(row.lease_owner);
    if (held) return false;
    const result = statement(
      this.#db,
      "UPDATE workflow SET lease_owner = ?, lease_until = ? WHERE id = ? AND lease_owner IS ?",
    ).run(owner, until, id, row.lease_owner);
    return result.changes === 1;
  }

  renew(id: string, owner: string, until: number): void {
    statement(this.#db, "UPDATE workflow SET lease_until = ? WHERE id = ? AND lease_owner = ?").run(
      until,
      id,
      owner,
    );
  }

  release(id: string, owner: string): void {
    statement(
      this.#db,
      "UPDATE workflow SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?",
    )
      .run(id, owner);
  }

  /**
   * Makes the workflow wait for a cap, in one transaction: its status, reason and wait end, its state
   * if given, the hold that keeps the refused call, and a `waiting` event.
   */
  holdForCap(hold: CapHold, reason: string, state?: ContentState): void {
    transaction(this.#db, () => {
      this.update(hold.workflowId, {
        status: "waiting",
        reason,
        waitUntil: hold.until,
        ...(state ? { state } : {}),
      });
      statement(
        this.#db,
        `INSERT OR REPLACE INTO cap_hold (workflow_instance_id, agent_id, model, backend, cap, request_nano_usd,
           max_tokens, output_nano_per_token, in_flight, until, ts)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        hold.workflowId,
        hold.agent,
        hold.model,
        hold.backend,
        hold.cap,
        hold.requestNano,
        hold.output.maxTokens,
        hold.output.nanoPerToken,
        hold.inFlight ? 1 : 0,
        hold.until,
        this.now(),
      );
      if (!hold.inFlight) this.event(hold.workflowId, hold.agent, "waiting", reason);
    });
  }

  /** The cap holds on one backend's workflows, oldest first. */
  holds(backend: Backend): CapHold[] {
    return (statement(
      this.#db,
      `SELECT workflow_instance_id, agent_id, model, backend, cap, request_nano_usd, max_tokens,
         output_nano_per_token, in_flight, until
       FROM cap_hold WHERE backend = ? ORDER BY ts, workflow_instance_id`,
    ).all(backend) as {
      workflow_instance_id: string;
      agent_id: AgentId;
      model: string;
      backend: Backend;
      cap: string;
      request_nano_usd: number;
      max_tokens: number;
      output_nano_per_token: number;
      in_flight: number;
      until: number;
    }[]).map((r) => ({
      workflowId: r.workflow_instance_id,
      agent: r.agent_id,
      model: r.model,
      backend: r.backend,
      cap: r.cap,
      requestNano: r.request_nano_usd,
      output: { maxTokens: r.max_tokens, nanoPerToken: r.output_nano_per_token },
      inFlight: r.in_flight === 1,
      until: r.until,
    }));
  }

  /**
   * The caps in force no longer refuse the held call: the workflow is ready again. Only if the hold
   * and its waiting workflow are still as they were read (another process may have moved on); says
   * whether it lifted.
   */
  liftHold(hold: CapHold, why: string): boolean {
    return transaction(this.#db, () => {
      if (!this.#stillHeld(hold)) return false;
      this.update(hold.workflowId, { status: "ready", reason: null, waitUntil: null });
      this.event(hold.workflowId, hold.agent, "resumed", why);
      return true;
    });
  }

  /** Replaces a hold that is still as it was read by `next`; says whether it did. */
  moveHold(hold: CapHold, next: CapHold, reason: string): boolean {
    return transaction(this.#db, () => {
      if (!this.#stillHeld(hold)) return false;
      this.holdForCap(next, reason);
      return true;
    });
  }

  #stillHeld(hold: CapHold): boolean {
    return statement(
      this.#db,
      `SELECT 1 FROM cap_hold h JOIN workflow w ON w.id = h.workflow_instance_id
       WHERE h.workflow_instance_id = ? AND h.cap = ? AND h.until = ? AND h.in_flight = ?
         AND h.request_nano_usd = ? AND w.status = 'waiting'`,
    ).get(hold.workflowId, hold.cap, hold.until, hold.inFlight ? 1 : 0, hold.requestNano) !== undefined;
  }

  /**
   * Waits still on after `now`, with the agent and pinned model they are for, and the backend of the
   * cap hold they are under, if any: what `run --once` may wait for.
   */
  waitsAfter(now: number): { agent: AgentId; model: string; until: number; holdBackend: Backend | null }[] {
    return (statement(
      this.#db,
      `SELECT w.stage AS agent, json_extract(w.models, '$.' || w.stage) AS model, w.wait_until AS until,
         h.backend AS holdBackend
       FROM workflow w LEFT JOIN cap_hold h ON h.workflow_instance_id = w.id
       WHERE w.status = 'waiting' AND w.stage != 'done' AND w.wait_until > ?`,
    ).all(now) as { agent: AgentId; model: string; until: number; holdBackend: Backend | null }[]);
  }

  /** Waiting workflows and when their waits end: no states. */
  waiting(): { id: string; waitUntil: number | null }[] {
    return (statement(
      this.#db,
      "SELECT id, wait_until FROM workflow WHERE status = 'waiting' ORDER BY wait_until, id",
    ).all() as { id: string; wait_until: number | null }[]).map((r) => ({
      id: r.id,
      waitUntil: r.wait_until,
    }));
  }

  /** Workflows not published yet, oldest first, with their stage and pinned models (no state: it can be large). */
  pinned(): { id: string; stage: Stage; models: Record<AgentId, string> }[] {
    return (statement(
      this.#db,
      "SELECT id, stage, models FROM workflow WHERE status != 'published' ORDER BY created_ts, id",
    ).all() as { id: string; stage: Stage; models: string }[]).map((r) => ({
      id: r.id,
      stage: r.stage,
      models: JSON.parse(r.models),
    }));
  }

  /** Every workflow's status and when it last changed (a published one: when it was published); no states. */
  statuses(): { id: string; status: WorkflowStatus; updatedTs: number }[] {
    return (statement(this.#db, "SELECT id, status, updated_ts FROM workflow ORDER BY created_ts, id")
      .all() as {
        id: string;
        status: WorkflowStatus;
        updated_ts: number;
      }[]).map((r) => ({ id: r.id, status: r.status, updatedTs: r.updated_ts }));
  }

  /** Every workflow's pinned models, in creation order (no state: it can be large): the history of swaps. */
  pinHistory(): { id: string; createdTs: number; models: Record<AgentId, string> }[] {
    return (statement(this.#db, "SELECT id, created_ts, models FROM workflow ORDER BY created_ts, id")
      .all() as {
        id: string;
        created_ts: number;
        models: string;
      }[]).map((r) => ({ id: r.id, createdTs: r.created_ts, models: JSON.parse(r.models) }));
  }

  /** The canary arms drawn at or after `since`, oldest first: which arm each workflow drew, per agent. */
  canaryArms(since = 0): DrawnArm[] {
    return (statement(
      this.#db,
      `SELECT workflow_instance_id, agent_id, arm, model, canary_model, control_model, share, ts FROM canary_arm
       WHERE ts >= ? ORDER BY ts, workflow_instance_id`,
    ).all(since) as {
      workflow_instance_id: string;
      agent_id: AgentId;
      arm: ArmPin["arm"];
      model: string;
      canary_model: string;
      control_model: string;
      share: number;
      ts: number;
    }[]).map((r) => ({
      workflowId: r.workflow_instance_id,
      agent: r.agent_id,
      arm: r.arm,
      model: r.model,
      canaryModel: r.canary_model,
      controlModel: r.control_model,
      share: r.share,
      ts: r.ts,
    }));
  }

  /** Unfinished workflows by stage and status, for the live progress line. */
  countByStage(): { stage: Stage; status: WorkflowStatus; n: number }[] {
    return statement(
      this.#db,
      "SELECT stage, status, COUNT(*) AS n FROM workflow WHERE status != 'published' GROUP BY stage, status",
    ).all() as { stage: Stage; status: WorkflowStatus; n: number }[];
  }

  /** Workflows by status, for a summary of what is left: counts only, no states. */
  countByStatus(): Record<WorkflowStatus, number> {
    const counts: Record<WorkflowStatus, number> = {
      ready: 0,
      waiting: 0,
      stuck: 0,
      flagged: 0,
      published: 0,
    };
    const rows = statement(this.#db, "SELECT status, COUNT(*) AS n FROM workflow GROUP BY status").all() as {
      status: WorkflowStatus;
      n: number;
    }[];
    for (const r of rows) counts[r.status] = r.n;
    return counts;
  }
}
