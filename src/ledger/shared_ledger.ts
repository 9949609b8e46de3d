/**
 * The shared ledger: the money path of every Pressroom pointed at one PostgreSQL database (ledger.url),
 * on any number of machines. Each machine's data folder keeps its own SQLite ledger as a mirror of its
 * own calls (what its workflows read); this one decides the caps and holds every machine's rows.
 *
 * Cap check and reservation are one READ COMMITTED transaction that first locks the `cap_lock` row of
 * the call's backend (an upsert, which takes the row lock). Every transaction that adds to reservations
 * (reserve, extend) holds that lock from its check to its commit, so they queue one by one, whatever cap
 * day or time zone each process counts in; each reads spent and reserved in one statement after the lock
 * is granted, so it sees every commit before it. A settle, which turns a reservation into spend, is one
 * statement: a check sees all of it or none. Spent + reserved + this call can therefore never pass a cap
 * in force where the check is made, whatever the number of processes and machines.
 *
 * Liveness is a heartbeat: each process has a `ledger_owner` row whose `beat_at` it refreshes every
 * HEARTBEAT_MS and with every reservation, on the database's clock. A row older than OWNER_TIMEOUT_MS
 * is a dead process: any other process deletes it and settles its reservations at their worst case
 * (`orphaned`), in one transaction. A process that finds its own row gone (it was cut off past the
 * timeout) does not settle as if nothing happened: its calls were booked at their worst case, so its
 * late settles write nothing here (the mirror keeps the real cost), it registers again under a new id,
 * and it says so.
 * @module
 */
import { ulid } from "../ids.ts";
import { type CapBreach, CostCapError, LedgerUnreachableError, PressroomError } from "../errors.ts";
import type { CapsConfig } from "../config/schema.ts";
import { openPool } from "../db/pg_pool.ts";
import {
  asUnreachable,
  checkout,
  type PgClient,
  type PgPool,
  pgQuery,
  type PgTarget,
  pgTransaction,
  redactedUrl,
} from "../db/postgres.ts";
import { ALERT_FIRED_SQL, migratePg, pgColumnType, rollUpsSql } from "../db/pg_migrations.ts";
import { type Alert, type FiredRow, ofPeriods, periodKey } from "./alerts.ts";
import { capRulesFor, type CapStatus, capStatusOf, findBreach, type SpendSnapshot } from "./caps.ts";
import { dayPeriod, type Period } from "./period.ts";
import type { HistoryRow } from "../report/queries.ts";
import type { Completion } from "../pipeline/store.ts";
import type { DrawnArm } from "../pipeline/canary.ts";
import type { ToolOutcome } from "../pipeline/run_tool.ts";
import { armParams, ARMS_SQL, completionParams, COMPLETIONS_SQL } from "./shared_facts.ts";
import { readReportRows, type ReportRows } from "./shared_report_rows.ts";
import {
  type Backend,
  type BookedCall,
  BUCKET_MS,
  CALL_LOG_COLUMNS,
  callLogValues,
  fromRow,
  REFUSAL_COLUMNS,
  refusalValues,
  type Reservation,
  type ReservationRow,
  type ReserveRequest,
  type SettledOutcome,
  toolCallsOf,
} from "./ledger.ts";

/** How often a process refreshes its heartbeat. */
export const HEARTBEAT_MS = 5_000;
/** A process whose heartbeat is older than this is dead: six missed beats. */
export const OWNER_TIMEOUT_MS = 30_000;
/**
 * How long a batched request's reservation waits for its data folder's next process: a Message Batch ends
 * within 24 hours, and its results can be fetched after that; past this, any process books it at its worst
 * case.
 */
export const BATCH_RESERVATION_MS = 29 * 3_600_000;

export interface SharedLedgerOptions {
  target: PgTarget;
  caps: CapsConfig;
  /** The name rows and reports give this host (config/load.ts machineName). */
  machine: string;
  now?: () => number;
  /** Told when this process finds it was taken for dead, and the owner id it goes on under. */
  onHeartbeatLost?: (lost: string, next: string) => void;
  heartbeatMs?: number;
  ownerTimeoutMs?: number;
}

/** What settling a reservation did in the shared ledger. */
export type SettleResult = "booked" | "already" | "orphaned" | "unreserved";

/** A retry's reservation was booked at its worst case by another process: the retry is not sent. */
export class ReservationGoneError extends PressroomError {
  constructor(readonly id: string) {
    super(
      `reservation ${id} was booked at its worst case by another process while this one's heartbeat had ` +
        "lapsed; the call is not retried",
    );
    this.name = "ReservationGoneError";
  }
}

export class SharedLedger {
  readonly #pool: PgPool;
  /** The URL with its password hidden, for messages. */
  readonly where: string;
  readonly machine: string;
  readonly #now: () => number;
  readonly #options: SharedLedgerOptions;
  #caps: CapsConfig;
  #owner = ulid();
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Reservations whose commit's fate was unknown when the database went away: released once it is back. */
  readonly #limbo = new Set<string>();
  /** A new owner row being registered, for the calls that noticed the old one gone at the same time. */
  #renewing: Promise<void> | undefined;
  /** The last day snapshots read, per backend, for readers that cannot wait (see Ledger's figures). */
  readonly #days = new Map<Backend, { day: Period; byModel: SpendSnapshot["dayByModel"] }>();

  private constructor(pool: PgPool, options: SharedLedgerOptions) {
    this.#pool = pool;
    this.#options = options;
    this.where = redactedUrl(options.target.url);
    this.machine = options.machine;
    this.#now = options.now ?? Date.now;
    this.#caps = options.caps;
  }

  /** Connects, migrates (once, whoever starts first), registers this process and settles the dead's calls. */
  static async connect(options: SharedLedgerOptions): Promise<SharedLedger> {
    const pool = openPool(options.target);
    const ledger = new SharedLedger(pool, options);
    try {
      await migratePg(pool, ledger.where);
      await pgQuery(pool, ledger.where, OWNER_INSERT_SQL, [ledger.#owner, ledger.machine, Deno.pid]);
      await ledger.recoverDead();
    } catch (error) {
      await pool.end().catch(() => {});
      throw error;
    }
    // One beat at a time: after an outage, beats that waited for the database must not pile up.
    let beating = false;
    const timer = setInterval(() => {
      if (beating) return;
      beating = true;
      ledger.beat().catch(() => {}).finally(() => beating = false);
    }, options.heartbeatMs ?? HEARTBEAT_MS);
    Deno.unrefTimer(timer);
    ledger.#timer = timer;
    return ledger;
  }

  /** This process's owner id in `ledger_owner`. */
  get owner(): string {
    return this.#owner;
  }

  setCaps(caps: CapsConfig): void {
    this.#caps = caps;
  }

  /**
   * Ends the heartbeat and the owner row, and closes the pool. What this process still holds is then a dead
   * process's: booked at its worst case by the next recovery, but for requests in Message Batches.
   */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await pgQuery(this.#pool, this.where, "DELETE FROM ledger_owner WHERE id = $1", [this.#owner]).catch(
      () => {},
    );
    await this.#pool.end().catch(() => {});
  }

  /**
   * Holds the reservation's worst case if it fits under every cap that applies, or records the refusal
   * and throws CostCapError. LedgerUnreachableError means nothing may be sent: the reservation may or
   * may not exist, and is released once the database is back.
   */
  async reserve(reservation: Reservation): Promise<void> {
    try {
      await this.#hold(reservation, reservation.ts, reservation.reservedNano, (client) =>
        client.query(
          `INSERT INTO reservation (id, owner, machine, agent_id, workflow_instance_id, model, ts, cost_nano_usd, turn,
             backend, batch) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          [
            reservation.id,
            this.#owner,
            this.machine,
            reservation.agentId,
            reservation.workflowId,
            reservation.model,
            reservation.ts,
            reservation.reservedNano,
            reservation.turn ?? null,
            reservation.backend,
            reservation.batch ?? false,
          ],
        ));
    } catch (error) {
      if (error instanceof LedgerUnreachableError) this.#limbo.add(reservation.id);
      throw error;
    }
  }

  /** Holds `extraNano` more for an open reservation if it still fits (see Ledger.extend). */
  async extend(reservation: Reservation, extraNano: number): Promise<void> {
    await this.#hold(reservation, reservation.ts, extraNano, async (client) => {
      const r = await client.query(
        "UPDATE reservation SET cost_nano_usd = cost_nano_usd + $1 WHERE id = $2",
        [
          extraNano,
          reservation.id,
        ],
      );
      // Booked at its worst case by a process that took this one for dead: no retry goes out unreserved.
      if (r.rowCount === 0) throw new ReservationGoneError(reservation.id);
    });
  }

  async #hold(
    call: ReserveRequest,
    ts: number,
    nano: number,
    write: (client: PgClient) => Promise<unknown>,
  ): Promise<void> {
    const day = dayPeriod(ts, this.#caps.timezone);
    const breach = await pgTransaction(
      this.#pool,
      this.where,
      async (client): Promise<CapBreach | undefined> => {
        // The lock every reservation of this backend queues on (see the module doc), and this process's
        // heartbeat, in one statement.
        const locked = await client.query<{ alive: number }>(LOCK_SQL, [call.backend, this.#owner]);
        if (locked.rows[0].alive === 0) await this.#renewOwner();
        const snapshot = await readSnapshot(client, day, call.workflowId, call.backend);
        const breach = findBreach(capRulesFor(this.#caps, call.model), snapshot, nano, day);
        if (!breach) {
          await write(client);
          return undefined;
        }
        await client.query(REFUSE_SQL, [...refusalValues(call, breach, this.#now()), this.machine]);
        return breach;
      },
    );
    if (breach) throw new CostCapError(call.output ? { ...breach, output: call.output } : breach);
  }

  /**
   * Taken for dead (its owner row is gone): its reservations were booked at their worst case. It registers
   * under a new owner id, once however many of its calls notice at the same moment, and says so once the
   * new row is committed.
   */
  #renewOwner(): Promise<void> {
    this.#renewing ??= (async () => {
      const next = ulid();
      await pgQuery(this.#pool, this.where, OWNER_INSERT_SQL, [next, this.machine, Deno.pid]);
      const lost = this.#owner;
      this.#owner = next;
      this.#options.onHeartbeatLost?.(lost, next);
    })().finally(() => this.#renewing = undefined);
    return this.#renewing;
  }

  /**
   * Replaces the reservation by its row and rolls its cost into the spend tables, in one statement.
   * "orphaned": another process had booked it at its worst case (this one was taken for dead), and nothing
   * more is written; "already": an earlier attempt whose answer was lost had written it; "unreserved": the
   * shared ledger never held it (reserved before the data folder was pointed here): its row is written now.
   */
  async settle(reservation: Reservation, outcome: SettledOutcome): Promise<SettleResult> {
    const values = settleValues(reservation, outcome);
    const written = await pgQuery<{ n: number }>(this.#pool, this.where, SETTLE_SQL, values);
    if (written.rows[0].n === 1) return "booked";
    const row = await pgQuery<{ status: string }>(
      this.#pool,
      this.where,
      "SELECT status FROM ai_call_log WHERE id = $1",
      [reservation.id],
    );
    if (row.rows.length === 0) {
      await pgQuery(this.#pool, this.where, UNRESERVED_SETTLE_SQL, [...values, this.machine]);
      return "unreserved";
    }
    return row.rows[0].status === "orphaned" && outcome.status !== "orphaned" ? "orphaned" : "already";
  }

  /** Drops a reservation whose call was never sent; if that fails, once the database is back. */
  async release(id: string): Promise<void> {
    await pgQuery(this.#pool, this.where, "DELETE FROM reservation WHERE id = $1", [id]).catch(() => {
      this.#limbo.add(id);
    });
  }

  /**
   * Settles at their worst case the reservations of processes whose heartbeat is older than the timeout,
   * and of owners that are gone. Each is its own statement: two processes recovering at once, or a live
   * settle beside them, never wait on each other's roll-up rows in opposite orders, and a reservation
   * settled by one is skipped by the other. Returns how many rows it wrote.
   */
  async recoverDead(): Promise<number> {
    const timeout = this.#options.ownerTimeoutMs ?? OWNER_TIMEOUT_MS;
    await pgQuery(
      this.#pool,
      this.where,
      "DELETE FROM ledger_owner WHERE id <> $1 AND beat_at < now() - make_interval(secs => $2::float8 / 1000)",
      [this.#owner, timeout],
    );
    // A batched request's reservation is its data folder's: it waits for the next process there, unless
    // it is older than any batch can be (the folder is gone for good).
    const dead = await pgQuery<ReservationRow>(
      this.#pool,
      this.where,
      `SELECT id, agent_id, workflow_instance_id, model, ts, cost_nano_usd, turn, backend FROM reservation r
       WHERE NOT EXISTS (SELECT 1 FROM ledger_owner o WHERE o.id = r.owner) AND (NOT batch OR ts < $1)`,
      [this.#now() - BATCH_RESERVATION_MS],
    );
    let settled = 0;
    for (const row of dead.rows) {
      const orphaned = settleValues(fromRow(row), { status: "orphaned", costNano: row.cost_nano_usd });
      settled += (await pgQuery<{ n: number }>(this.#pool, this.where, SETTLE_SQL, orphaned)).rows[0].n;
    }
    return settled;
  }

  /** Refreshes the heartbeat (registering anew if taken for dead) and releases reservations left in limbo. */
  async beat(): Promise<void> {
    const beat = await pgQuery(this.#pool, this.where, BEAT_SQL, [this.#owner]);
    if (beat.rowCount === 0) await this.#renewOwner();
    if (this.#limbo.size > 0) {
      const ids = [...this.#limbo];
      await pgQuery(this.#pool, this.where, "DELETE FROM reservation WHERE id = ANY($1)", [ids]);
      for (const id of ids) this.#limbo.delete(id);
    }
  }

  /** Every configured cap with today's spend and reservations of one backend, over every machine. */
  async capStatus(options: { workflowId?: string; backend?: Backend } = {}): Promise<CapStatus[]> {
    const { workflowId, backend = "anthropic" } = options;
    const day = dayPeriod(this.#now(), this.#caps.timezone);
    const client = await checkout(this.#pool, this.where);
    try {
      const snapshot = await readSnapshot(client, day, workflowId ?? "", backend);
      this.#days.set(backend, { day, byModel: snapshot.dayByModel });
      return capStatusOf(this.#caps, snapshot, day, workflowId !== undefined);
    } catch (error) {
      throw asUnreachable(error, this.where);
    } finally {
      client.release();
    }
  }

  /**
   * Today's spend and reservations per model on a backend as last read (capStatus reads it), or
   * undefined when not read today: for the figures callers need at once (see Ledger#snapshot).
   */
  lastDay(backend: Backend, day: Period): SpendSnapshot["dayByModel"] | undefined {
    const last = this.#days.get(backend);
    return last && last.day.start === day.start ? last.byModel : undefined;
  }

  /** Records the alerts no process has sent in their period, and returns those: each goes out once. */
  async recordAlerts(alerts: Alert[]): Promise<Alert[]> {
    const sent: Alert[] = [];
    for (const a of alerts) {
      const r = await pgQuery(this.#pool, this.where, ALERT_FIRED_SQL, [
        a.cap,
        a.threshold,
        periodKey(a),
        a.ts,
        a.spentNano,
        a.limitNano,
        this.machine,
      ]);
      if (r.rowCount === 1) sent.push(a);
    }
    return sent;
  }

  /** Alerts fired in the current period of each cap, by any machine. */
  async firedThisPeriod(capStatus: CapStatus[]): Promise<Alert[]> {
    const rows = await pgQuery<FiredRow>(this.#pool, this.where, "SELECT * FROM alert_fired ORDER BY ts");
    return ofPeriods(rows.rows, capStatus);
  }

  /** The calls among `ids` this ledger has booked, as its rows and tool calls say: for a mirror's recovery. */
  async bookedCalls(ids: string[]): Promise<Map<string, BookedCall>> {
    if (ids.length === 0) return new Map();
    const rows = await pgQuery<Record<string, string | number | null>>(
      this.#pool,
      this.where,
      `SELECT ${CALL_LOG_COLUMNS.join(", ")} FROM ai_call_log WHERE id = ANY($1)`,
      [ids],
    );
    const tools = await pgQuery<
      { call_id: string; tool: string; outcome: ToolOutcome; message: string | null }
    >(
      this.#pool,
      this.where,
      "SELECT call_id, tool, outcome, message FROM tool_call WHERE call_id = ANY($1) ORDER BY call_id, n",
      [ids],
    );
    const booked = new Map<string, BookedCall>(
      rows.rows.map((row) => [row.id as string, { values: CALL_LOG_COLUMNS.map((c) => row[c]), tools: [] }]),
    );
    for (const t of tools.rows) booked.get(t.call_id)?.tools.push([t.tool, t.outcome, t.message]);
    return booked;
  }

  /** What `report` and `rollout` read of every machine since `since` (shared_report_rows.ts). */
  reportRows(since: number): Promise<ReportRows> {
    return readReportRows(this.#pool, this.where, since);
  }

  /** Calls, spend and cache reads per machine and backend since `since`, over every machine: for `report`. */
  async machines(since: number, agent?: string): Promise<MachineFigures[]> {
    // Completions count the workflows published in the window, each with its whole cost (every agent's,
    // or the one agent's), as the report's cost per completion does.
    const rows = await pgQuery<MachineFigures>(
      this.#pool,
      this.where,
      `WITH calls AS (
         SELECT machine, backend, COUNT(*)::int AS calls, SUM(cost_nano_usd)::bigint AS "spentNano",
           COUNT(DISTINCT workflow_instance_id)::int AS workflows,
           SUM(cache_read_tokens)::bigint AS "cacheReadTokens",
           SUM(input_tokens + cache_read_tokens + cache_write_tokens)::bigint AS "promptTokens",
           SUM(tool_calls_made)::bigint AS "toolCalls", SUM(tool_calls_succeeded)::bigint AS "toolCallsOk",
           MAX(ts)::bigint AS "lastCallTs"
         FROM ai_call_log WHERE ts >= $1 AND ($2::text IS NULL OR agent_id = $2)
         GROUP BY machine, backend
       ),
       completed AS (
         SELECT c.machine, l.backend, COUNT(DISTINCT c.workflow_instance_id)::int AS completions,
           SUM(l.cost_nano_usd)::bigint AS "completedNano"
         FROM workflow_completion c JOIN ai_call_log l ON l.workflow_instance_id = c.workflow_instance_id
         WHERE c.published_ts >= $1 AND ($2::text IS NULL OR l.agent_id = $2)
         GROUP BY c.machine, l.backend
       )
       SELECT calls.*, COALESCE(completed.completions, 0) AS completions,
         COALESCE(completed."completedNano", 0)::bigint AS "completedNano"
       FROM calls LEFT JOIN completed USING (machine, backend)
       ORDER BY backend, machine`,
      [since, agent ?? null],
    );
    return rows.rows;
  }

  /** Whether any real API call was made since `since`, on any machine (see report/call_history.ts). */
  async anyRealCall(since: number): Promise<boolean> {
    const r = await pgQuery(
      this.#pool,
      this.where,
      "SELECT 1 FROM ai_call_log WHERE ts >= $1 AND backend = 'anthropic' LIMIT 1",
      [since],
    );
    return r.rows.length > 0;
  }

  /** Every machine's successful calls on `backend` since `since`, as `project` re-prices them. */
  async okCalls(backend: Backend, since: number): Promise<HistoryRow[]> {
    const r = await pgQuery<HistoryRow>(
      this.#pool,
      this.where,
      `SELECT agent_id, model, input_tokens AS "inputTokens", output_tokens AS "outputTokens",
         cache_read_tokens AS "cacheReadTokens", cache_write_5m_tokens AS "cacheWrite5mTokens",
         cache_write_1h_tokens AS "cacheWrite1hTokens", web_search_requests AS "webSearchRequests",
         inference_geo AS "inferenceGeo", cost_nano_usd AS cost, ts
       FROM ai_call_log WHERE ts >= $1 AND backend = $2 AND status = 'ok'`,
      [since, backend],
    );
    return r.rows;
  }

  /** The agent's mean output tokens per call of each model, over every machine. */
  async meanOutput(agent: string, backend: Backend): Promise<Record<string, number>> {
    const r = await pgQuery<{ model: string; mean: number }>(
      this.#pool,
      this.where,
      `SELECT model, AVG(output_tokens) AS mean FROM ai_call_log
       WHERE agent_id = $1 AND backend = $2 AND status = 'ok' GROUP BY model`,
      [agent, backend],
    );
    return Object.fromEntries(r.rows.map((row) => [row.model, row.mean]));
  }

  /** Records this machine's published workflows (those already there are skipped). */
  async recordCompletions(completions: Completion[]): Promise<void> {
    if (completions.length === 0) return;
    await pgQuery(this.#pool, this.where, COMPLETIONS_SQL, completionParams(completions, this.machine));
  }

  /** Records the canary arms this machine drew (those already there are skipped). */
  async recordArms(arms: DrawnArm[]): Promise<void> {
    if (arms.length === 0) return;
    await pgQuery(this.#pool, this.where, ARMS_SQL, armParams(arms, this.machine));
  }

  /** When this machine's latest recorded completion and canary arm were, or null for none. */
  async latestFacts(): Promise<{ completion: number | null; arm: number | null }> {
    const r = await pgQuery<{ completion: number | null; arm: number | null }>(
      this.#pool,
      this.where,
      `SELECT (SELECT MAX(published_ts) FROM workflow_completion WHERE machine = $1) AS completion,
              (SELECT MAX(ts) FROM canary_arm WHERE machine = $1) AS arm`,
      [this.machine],
    );
    return r.rows[0];
  }

  /** Open reservations over every machine, for `doctor`. */
  async openReservations(): Promise<number> {
    const r = await pgQuery<{ n: number }>(
      this.#pool,
      this.where,
      "SELECT COUNT(*)::int AS n FROM reservation",
    );
    return r.rows[0].n;
  }

  /** The pool, for the queries of `ledger copy` and the report (they share its connections). */
  get pool(): PgPool {
    return this.#pool;
  }
}

/** One machine's calls on one backend, from the shared ledger. */
export interface MachineFigures {
  machine: string;
  backend: Backend;
  calls: number;
  workflows: number;
  spentNano: number;
  cacheReadTokens: number;
  promptTokens: number;
  toolCalls: number;
  toolCallsOk: number;
  lastCallTs: number;
  /** Workflows it published in the window, and what they cost in all. */
  completions: number;
  completedNano: number;
}

/** Spent and reserved for a cap check, in one statement: one snapshot, so a settle is seen whole or not. */
async function readSnapshot(
  client: PgClient,
  day: Period,
  workflowId: string,
  backend: Backend,
): Promise<SpendSnapshot> {
  const rows = await client.query<{ kind: string; model: string; spent: number; reserved: number }>(
    `SELECT 'day' AS kind, model, SUM(cost_nano_usd)::bigint AS spent, 0::bigint AS reserved FROM spend_bucket
       WHERE backend = $1 AND bucket >= $2 AND bucket < $3 GROUP BY model
     UNION ALL
     SELECT 'day', model, 0, SUM(cost_nano_usd)::bigint FROM reservation
       WHERE backend = $1 AND ts >= $4 AND ts < $5 GROUP BY model
     UNION ALL
     SELECT 'workflow', '',
       COALESCE((SELECT SUM(cost_nano_usd) FROM spend_workflow WHERE workflow_instance_id = $6 AND backend = $1), 0)::bigint,
       COALESCE((SELECT SUM(cost_nano_usd) FROM reservation WHERE workflow_instance_id = $6 AND backend = $1), 0)::bigint`,
    [
      backend,
      Math.floor(day.start / BUCKET_MS),
      Math.ceil(day.end / BUCKET_MS),
      day.start,
      day.end,
      workflowId,
    ],
  );
  const dayByModel: SpendSnapshot["dayByModel"] = new Map();
  let workflow = { spent: 0, reserved: 0 };
  for (const r of rows.rows) {
    if (r.kind === "workflow") {
      workflow = { spent: r.spent, reserved: r.reserved };
      continue;
    }
    const e = dayByModel.get(r.model) ?? { spent: 0, reserved: 0 };
    e.spent += r.spent;
    e.reserved += r.reserved;
    dayByModel.set(r.model, e);
  }
  return { dayByModel, workflow };
}

const OWNER_INSERT_SQL = "INSERT INTO ledger_owner (id, machine, pid) VALUES ($1, $2, $3)";
const BEAT_SQL = "UPDATE ledger_owner SET beat_at = now() WHERE id = $1";
/** The backend's lock row, taken by an upsert, and this process's heartbeat: `alive` 0 when it was taken for dead. */
const LOCK_SQL = `
  WITH beat AS (UPDATE ledger_owner SET beat_at = now() WHERE id = $2 RETURNING 1)
  INSERT INTO cap_lock (backend) VALUES ($1)
  ON CONFLICT (backend) DO UPDATE SET backend = EXCLUDED.backend
  RETURNING (SELECT COUNT(*)::int FROM beat) AS alive`;

const REFUSE_SQL = `INSERT INTO cap_refusal (${REFUSAL_COLUMNS.join(", ")}, machine)
  VALUES (${[...REFUSAL_COLUMNS, "machine"].map((_, i) => `$${i + 1}`).join(", ")})`;

/**
 * Settling, as one statement: take the call's machine from `source` (a CTE named `gone`), and only if it
 * gives one, insert the row and roll its cost into the day's bucket and the workflow's total.
 */
function settleSql(source: string): string {
  const n = CALL_LOG_COLUMNS.length;
  return `
  WITH gone AS (${source}),
  written AS (
    INSERT INTO ai_call_log (${CALL_LOG_COLUMNS.join(", ")}, machine)
    SELECT ${
    CALL_LOG_COLUMNS.map((c, i) => `$${i + 1}::${pgColumnType(c)}`).join(", ")
  }, gone.machine FROM gone
    ON CONFLICT (id) DO NOTHING
    RETURNING id, agent_id, backend, ts, model, turn, cost_nano_usd, workflow_instance_id, machine
  ),
  tools AS (
    INSERT INTO tool_call (call_id, n, workflow_instance_id, agent_id, model, turn, tool, outcome, message, ts,
      machine)
    SELECT w.id, t.n, w.workflow_instance_id, w.agent_id, w.model, COALESCE(w.turn, 0), t.tool, t.outcome,
      t.message, w.ts, w.machine
    FROM written w, unnest($${n + 1}::text[], $${n + 2}::text[], $${n + 3}::text[])
      WITH ORDINALITY AS t(tool, outcome, message, n)
  ),
  ${rollUpsSql("written")}
  SELECT COUNT(*)::int AS n FROM written`;
}

/** The parameters of a settle: the row's values, then its tool calls column-wise. */
function settleValues(reservation: Reservation, outcome: SettledOutcome): unknown[] {
  const tools = toolCallsOf(outcome);
  return [...callLogValues(reservation, outcome), ...[0, 1, 2].map((i) => tools.map((t) => t[i]))];
}

/** A reservation replaced by its row. */
const SETTLE_SQL = settleSql("DELETE FROM reservation WHERE id = $1 RETURNING machine");
/** A row whose call the shared ledger never reserved, with this machine's name as the last parameter. */
const UNRESERVED_SETTLE_SQL = settleSql(`SELECT $${CALL_LOG_COLUMNS.length + 4}::text AS machine`);
