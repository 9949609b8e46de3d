/**
 * The ledger: reservations, settled call rows and spend roll-ups in SQLite.
 * Every cap check and every write happens inside one BEGIN IMMEDIATE
 * transaction, so no interleaving of calls or processes can let recorded
 * spend pass a cap: spent + open reservations + this call's worst case must fit.
 * @module
 */
import { join } from "node:path";
import { ulid } from "../ids.ts";
import { type CapBreach, CostCapError, UnreachableError } from "../errors.ts";
import type { CapsConfig } from "../config/schema.ts";
import { BatchRequests } from "./batch_requests.ts";
import { type Db, transaction } from "../db/sqlite.ts";
import { type Alert, dueAlerts, firedThisPeriod, reachedAlerts } from "./alerts.ts";
import type { SharedLedger } from "./shared_ledger.ts";
import { untilReachable } from "../db/postgres.ts";
import { type OverReservation, overReservation } from "./anomalies.ts";
import { capRulesFor, type CapStatus, capStatusOf, findBreach, type SpendSnapshot } from "./caps.ts";
import type { CallUsage } from "../pricing/cost.ts";
import { nanoToUsd } from "../pricing/money.ts";
import { deadOwners, ownerAlive, OwnerLock, removeOwnerFile } from "./owner.ts";
import { dayPeriod, type Period } from "./period.ts";
import type { ToolOutcome } from "../pipeline/run_tool.ts";
import type { Completion } from "../pipeline/store.ts";
import type { DrawnArm } from "../pipeline/canary.ts";

export type Backend = "anthropic" | "sim";
/** The ledger's file name in the data folder. */
export const LEDGER_FILE = "pressroom.db";
/** Spend roll-ups are kept per 15 minutes: every time zone offset is a multiple of it. */
export const BUCKET_MS = 15 * 60_000;

export interface ReserveRequest {
  agentId: string;
  workflowId: string;
  model: string;
  turn?: number;
  backend: Backend;
  /** The call's worst-case cost. */
  worstCaseNano: number;
  /** Its `max_tokens` and output price: the part of the worst case a lower maxTokens changes. */
  output?: CallOutput;
  /** Sent in a Message Batch: its reservation belongs to the data folder, not to the process that made it. */
  batch?: boolean;
}

/** A call's `max_tokens`, and the output price they are reserved at. */
export type CallOutput = NonNullable<CapBreach["output"]>;

/** The last call a cap refused for a workflow. */
export interface Refusal {
  agentId: string;
  model: string;
  backend: Backend;
  requestNano: number;
  output: CallOutput | null;
}

/** An open reservation: the id becomes the ledger row's id. */
export interface Reservation extends ReserveRequest {
  id: string;
  ts: number;
  /** What is held under the caps: the worst case, plus one more for each retry that `extend` allowed. */
  reservedNano: number;
}

/** What happened to a call, written as its ledger row. */
export interface CallOutcome {
  status: "ok" | "api_error";
  usage?: CallUsage;
  costNano: number;
  stopReason?: string | null;
  requestId?: string | null;
  latencyMs?: number;
  attempts?: number;
  error?: string;
  toolCallsMade?: number;
  toolCallsSucceeded?: number;
  /** Each tool call the reply made, as judged: written with the call's row, in both ledgers. */
  tools?: ToolCallRecord[];
  /** Sent in a Message Batch (a result with usage says so itself). */
  batch?: boolean;
  /** The request's TTLs and what the response's id and cache diagnostics said. */
  cache?: CacheOutcome;
}

/** One tool call of a reply: its tool, how it was judged, and what the model was told when it failed. */
export interface ToolCallRecord {
  tool: string;
  outcome: ToolOutcome;
  message: string | null;
}

export interface CacheOutcome {
  /** "1h 1h 5m": formatTtls of the request's breakpoints. */
  ttls: string;
  messageId?: string | null;
  missReason?: string | null;
  missedTokens?: number | null;
}

/** A call as the cache TTL choice needs it: when, by which agent on which model, and which turn of a stage. */
export interface CallTime {
  ts: number;
  agentId: string;
  model: string;
  workflowId: string;
  turn: number | null;
}

export type { CapStatus };

export interface LedgerOptions {
  /** The data folder: `pressroom.db` and `locks/` live in it. */
  dataDir: string;
  caps: CapsConfig;
  now?: () => number;
  busyTimeoutMs?: number;
  /**
   * Leave what dead processes left open for `recoverAll`: for a data folder about to be pointed at a shared
   * ledger, whose rows say what those processes booked there before they died.
   */
  deferRecovery?: boolean;
}

export class Ledger {
  /** The SQLite handle: private, so that callers reach the ledger only through its methods. */
  readonly #db: Db;
  readonly owner: OwnerLock;
  readonly #locksDir: string;
  readonly #now: () => number;
  #caps: CapsConfig;
  #shared: SharedLedger | undefined;
  #stmts: ReturnType<typeof prepare>;
  /** Turns sent through Message Batches, recorded with their reservations. */
  readonly batches: BatchRequests;

  private constructor(db: Db, options: LedgerOptions, locksDir: string) {
    this.#db = db;
    this.#locksDir = locksDir;
    this.#now = options.now ?? Date.now;
    this.#caps = options.caps;
    this.#stmts = prepare(db);
    this.batches = new BatchRequests(db, this.#now);
    this.owner = OwnerLock.acquire(locksDir);
  }

  /**
   * The ledger on an open (created and migrated) handle, having settled what dead processes left open.
   * Storage.open (src/db/storage.ts) opens the handle; closing the ledger closes it.
   */
  static on(db: Db, options: LedgerOptions): Ledger {
    const ledger = new Ledger(db, options, join(options.dataDir, "locks"));
    if (!options.deferRecovery) ledger.recoverOrphans();
    return ledger;
  }

  /** Closes the ledger file, and the shared ledger's connections if there is one. */
  async close(): Promise<void> {
    this.owner.release();
    this.#db.close();
    await this.#shared?.close();
  }

  /** Hands the caps and every call's row to the shared ledger (ledger.url); this file keeps a mirror of this process's calls. */
  share(shared: SharedLedger): void {
    this.#shared = shared;
  }

  /** The shared ledger in use, if any. */
  get shared(): SharedLedger | undefined {
    return this.#shared;
  }

  /**
   * The chokepoint's reservation: in the shared ledger when there is one (cap check over every machine),
   * then mirrored here with `alsoWrite`; else `reserve`. If the mirror cannot be written, the shared
   * reservation is released and nothing is sent.
   */
  async reserveCall(
    request: ReserveRequest,
    alsoWrite?: (reservation: Reservation) => void,
  ): Promise<Reservation> {
    const shared = this.#shared;
    if (!shared) return this.reserve(request, alsoWrite);
    const reservation = this.#newReservation(request);
    await shared.reserve(reservation);
    try {
      transaction(this.#db, () => {
        this.#insertReservation(reservation);
        alsoWrite?.(reservation);
      });
    } catch (error) {
      await shared.release(reservation.id);
      throw error;
    }
    return reservation;
  }

  /** The chokepoint's `extend`: the shared ledger decides, the mirror follows. */
  async extendCall(reservation: Reservation, extraNano: number): Promise<void> {
    const shared = this.#shared;
    if (!shared) return this.extend(reservation, extraNano);
    await shared.extend(reservation, extraNano);
    this.#stmts.extend.run(extraNano, reservation.id);
    reservation.reservedNano += extraNano;
  }

  /**
   * The chokepoint's `settle`: the shared ledger's row first (retried while its database is away: the
   * spend must be recorded there, and the reservation holds the caps meanwhile), then this file's, with
   * `alsoWrite`. A reservation another process booked at its worst case is said so through `onOrphaned`.
   */
  async settleCall(reservation: Reservation, outcome: CallOutcome, alsoWrite?: () => void): Promise<void> {
    const shared = this.#shared;
    if (shared) {
      const result = await untilReachable(() => shared.settle(reservation, outcome), settleRetryWait);
      if (result === "orphaned") this.onOrphaned?.(reservation);
    }
    this.settle(reservation, outcome, alsoWrite);
  }

  /** Told when a settle finds its call booked at its worst case by another process (the shared ledger). */
  onOrphaned?: (reservation: Reservation) => void;

  /**
   * Reads the shared ledger's day figures (every machine's spend and reservations) into what `capStatus`,
   * `wouldRefuse` and the simulated spend show, for both backends. Nothing without a shared ledger.
   */
  async refresh(): Promise<void> {
    if (!this.#shared) return;
    for (const backend of ["anthropic", "sim"] as const) await this.#shared.capStatus({ backend });
  }

  /**
   * A workflow was published: the shared ledger counts it toward this machine's completions. A database out
   * of reach now is caught up with when the data folder is next opened (Storage.syncShared).
   */
  async completed(completion: Completion): Promise<void> {
    await this.#shared?.recordCompletions([completion]).catch(unlessUnreachable);
  }

  /** A workflow drew canary arms: the shared ledger keeps them for `rollout` (caught up with alike). */
  async armsDrawn(arms: DrawnArm[]): Promise<void> {
    await this.#shared?.recordArms(arms).catch(unlessUnreachable);
  }

  /** Settles what dead processes left open: here (their lock files), and in the shared ledger (their heartbeats). */
  async recoverAll(): Promise<number> {
    const shared = this.#shared;
    const dead = this.#deadOwners();
    // A call the shared ledger booked before its process died (killed between the two settles) is mirrored
    // here as booked there, not at its worst case: the two ledgers stay equal.
    const booked = shared && dead.length
      ? await shared.bookedCalls(dead.flatMap((owner) => this.#reservationIdsOf(owner)))
      : undefined;
    return this.recoverOrphans({ booked, dead }) + (await shared?.recoverDead() ?? 0);
  }

  /** The owners holding reservations here whose process is gone. */
  #deadOwners(): string[] {
    return (this.#stmts.owners.all(this.owner.id) as { owner: string }[]).map((r) => r.owner)
      .filter((owner) => !ownerAlive(this.#locksDir, owner));
  }

  #reservationIdsOf(owner: string): string[] {
    return (this.#stmts.ofOwner.all(owner) as unknown as ReservationRow[]).map((r) => r.id);
  }

  /** An open reservation by id (a batch request's, collected by a later process); undefined once settled. */
  reservation(id: string): Reservation | undefined {
    const row = this.#stmts.reservationById.get(id) as ReservationRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Caps change on config reload; reservations already made keep theirs. */
  setCaps(caps: CapsConfig): void {
    this.#caps = caps;
    this.#shared?.setCaps(caps);
  }

  /**
   * Reserves the call's worst case if it fits under every cap that applies, or
   * records the refusal and throws CostCapError. Check and write are one transaction.
   */
  reserve(request: ReserveRequest, alsoWrite?: (reservation: Reservation) => void): Reservation {
    this.#refuseShared("reserve");
    const reservation = this.#newReservation(request);
    this.#hold(request, reservation.ts, request.worstCaseNano, () => {
      this.#insertReservation(reservation);
      // What must exist exactly when the reservation does (a batch request's record), in its transaction.
      alsoWrite?.(reservation);
    });
    return reservation;
  }

  /** A reservation made now: its id (a ULID of now) becomes the ledger row's id. */
  #newReservation(request: ReserveRequest): Reservation {
    const ts = this.#now();
    return { ...request, id: ulid(ts), ts, reservedNano: request.worstCaseNano };
  }

  #insertReservation(r: Reservation): void {
    this.#stmts.reserve.run(
      r.id,
      this.owner.id,
      r.agentId,
      r.workflowId,
      r.model,
      r.ts,
      r.reservedNano,
      r.turn ?? null,
      r.backend,
    );
  }

  /** With a shared ledger, the caps are checked there: a reservation made only here would bypass them. */
  #refuseShared(what: string): void {
    if (this.#shared) throw new Error(`Ledger.${what}: the ledger is shared; use ${what}Call`);
  }

  /**
   * Holds `extraNano` more for an open reservation if that still fits under every cap that applies,
   * or records the refusal and throws CostCapError: a retry after an attempt that may have been
   * billed needs room for one more worst case. It counts toward the day the call was made in.
   */
  extend(reservation: Reservation, extraNano: number): void {
    this.#refuseShared("extend");
    this.#hold(
      reservation,
      reservation.ts,
      extraNano,
      () => this.#stmts.extend.run(extraNano, reservation.id),
    );
    reservation.reservedNano += extraNano;
  }

  /** In one transaction: `write` if `nano` more fits under every cap on the call, else a recorded refusal. */
  #hold(call: ReserveRequest, ts: number, nano: number, write: () => void): void {
    const breach = transaction(this.#db, (): CapBreach | undefined => {
      const breach = this.#breach(call, ts, nano);
      if (!breach) {
        write();
        return undefined;
      }
      this.#stmts.refuse.run(...refusalValues(call, breach, this.#now()));
      return breach;
    });
    if (breach) throw new CostCapError(call.output ? { ...breach, output: call.output } : breach);
  }

  /**
   * The cap that a call of `nano` would break now under the caps in force, or undefined: the check
   * `reserve` makes, without reserving or recording anything. Cap holds are judged by it.
   */
  wouldRefuse(
    call: Pick<ReserveRequest, "model" | "workflowId" | "backend">,
    nano: number,
  ): CapBreach | undefined {
    return this.#breach(call, this.#now(), nano);
  }

  #breach(
    call: Pick<ReserveRequest, "model" | "workflowId" | "backend">,
    ts: number,
    nano: number,
  ): CapBreach | undefined {
    const day = dayPeriod(ts, this.#caps.timezone);
    const snapshot = this.#snapshot(day, call.workflowId, call.backend);
    return findBreach(capRulesFor(this.#caps, call.model), snapshot, nano, day);
  }

  /**
   * Replaces the reservation by its ledger row, and rolls the cost into the spend tables. One
   * transaction, which `alsoWrite` joins: what the response changed is saved with its row or not at
   * all. If `alsoWrite` fails, the row is still written on its own and the error is thrown.
   */
  settle(reservation: Reservation, outcome: CallOutcome, alsoWrite?: () => void): void {
    try {
      transaction(this.#db, () => {
        this.#writeRow(reservation, outcome);
        alsoWrite?.();
      });
    } catch (error) {
      if (!alsoWrite) throw error;
      // The spend must be recorded whatever happened to the rest.
      transaction(this.#db, () => this.#writeRow(reservation, outcome));
      throw error;
    }
  }

  #writeRow(r: Reservation, o: SettledOutcome): void {
    this.#book(r, { values: callLogValues(r, o), tools: toolCallsOf(o) });
  }

  /** Replaces the reservation by the call's row, its tool calls and its roll-ups. */
  #book(r: Reservation, { values, tools }: BookedCall): void {
    const s = this.#stmts;
    // Gone already: another process took this one for dead and booked the call at its worst case.
    if (s.unreserve.run(r.id).changes === 0) return;
    s.insertRow.run(...values);
    for (const t of tools) s.insertTool.run(r.id, r.workflowId, r.agentId, r.model, r.turn ?? 0, ...t, r.ts);
    const costNano = values[COST_NANO] as number;
    if (costNano > 0) {
      s.addBucket.run(r.backend, Math.floor(r.ts / BUCKET_MS), r.model, costNano);
      s.addWorkflow.run(r.workflowId, r.backend, costNano);
    }
  }

  /**
   * Settles at their worst case the reservations of processes that died with
   * calls in flight: the ledger may overcount a crash, never undercount.
   * A reservation of a request in a Message Batch is adopted instead, as its
   * result can still be fetched and settled. A call in `booked` (what the shared
   * ledger booked of `dead`'s reservations) is written as booked there. Returns
   * how many rows it wrote.
   */
  recoverOrphans(
    { booked = new Map(), dead = this.#deadOwners() }: { booked?: Map<string, BookedCall>; dead?: string[] } =
      {},
  ): number {
    let settled = 0;
    for (const owner of dead) {
      settled += transaction(this.#db, () => {
        // A request it recorded and had not seen acknowledged may be in a batch all the same.
        this.#stmts.doubtPending.run(owner);
        this.#stmts.adoptBatched.run(this.owner.id, owner);
        const rows = this.#stmts.ofOwner.all(owner) as unknown as ReservationRow[];
        for (const row of rows) {
          const call = booked.get(row.id);
          if (call) this.#book(fromRow(row), call);
          else this.#writeRow(fromRow(row), { status: "orphaned", costNano: row.cost_nano_usd });
        }
        return rows.length;
      });
      removeOwnerFile(this.#locksDir, owner);
    }
    for (const owner of deadOwners(this.#locksDir)) {
      if (owner !== this.owner.id) removeOwnerFile(this.#locksDir, owner);
    }
    return settled;
  }

  /**
   * Every configured cap with today's spend and reservations of one backend (caps count each
   * backend's own spend: the real API's unless asked); per-workflow too for one workflow if given.
   */
  capStatus(options: { workflowId?: string; backend?: Backend } = {}): CapStatus[] {
    const { workflowId, backend = "anthropic" } = options;
    const now = this.#now();
    const day = dayPeriod(now, this.#caps.timezone);
    return capStatusOf(
      this.#caps,
      this.#snapshot(day, workflowId ?? "", backend),
      day,
      workflowId !== undefined,
    );
  }

  /** Copies the WAL into the database without waiting for readers; cheap when there is little to copy. */
  checkpoint(): void {
    this.#db.exec("PRAGMA wal_checkpoint(PASSIVE)");
  }

  /** What a workflow has cost so far (its settled calls) on one backend, or on all, in nano-USD. */
  workflowSpentNano(workflowId: string, backend?: Backend): number {
    if (backend === undefined) return this.workflowSpend(workflowId).totalNano;
    return (this.#stmts.workflowSpent.get(workflowId, backend) as { nano: number }).nano;
  }

  /** What a workflow has cost on all backends, and of that on the simulated model, in nano-USD. */
  workflowSpend(workflowId: string): { totalNano: number; simulatedNano: number } {
    const row = this.#stmts.workflowSpend.get(workflowId) as { total: number; sim: number };
    return { totalNano: row.total, simulatedNano: row.sim };
  }

  /** Today's spend on the simulated model: shown beside the caps, never counted toward them. */
  simulatedSpentTodayNano(): number {
    const day = dayPeriod(this.#now(), this.#caps.timezone);
    const shared = this.#shared?.lastDay("sim", day);
    if (shared) return [...shared.values()].reduce((n, e) => n + e.spent, 0);
    const rows = this.#stmts.daySpent.all(
      "sim",
      day.start / BUCKET_MS,
      day.end / BUCKET_MS,
    ) as unknown as ModelSum[];
    return rows.reduce((n, r) => n + r.nano, 0);
  }

  /** Model calls recorded for a workflow, or for one agent of it. */
  callCount(workflowId: string, agentId?: string): number {
    const row = agentId === undefined
      ? this.#stmts.callsOfWorkflow.get(workflowId)
      : this.#stmts.callsOfAgent.get(workflowId, agentId);
    return (row as { n: number }).n;
  }

  /** The last call a cap refused for the workflow, if any was. */
  lastRefusal(workflowId: string): Refusal | undefined {
    const row = this.#stmts.lastRefusal.get(workflowId) as {
      agent_id: string;
      model: string;
      backend: Backend;
      request_nano_usd: number;
      max_tokens: number | null;
      output_nano_per_token: number | null;
    } | undefined;
    if (!row) return undefined;
    return {
      agentId: row.agent_id,
      model: row.model,
      backend: row.backend,
      requestNano: row.request_nano_usd,
      output: row.max_tokens === null || row.output_nano_per_token === null
        ? null
        : { maxTokens: row.max_tokens, nanoPerToken: row.output_nano_per_token },
    };
  }

  /** The answered calls since `since` on a backend, oldest first: the traffic cache TTLs are chosen from. */
  callTimes(since: number, backend: Backend): CallTime[] {
    const rows = this.#stmts.callTimes.all(backend, since) as {
      ts: number;
      agent_id: string;
      model: string;
      workflow_instance_id: string;
      turn: number | null;
    }[];
    return rows.map((r) => ({
      ts: r.ts,
      agentId: r.agent_id,
      model: r.model,
      workflowId: r.workflow_instance_id,
      turn: r.turn,
    }));
  }

  /** The id of the agent's latest answered response on a backend: what its next call's cache is compared with. */
  lastMessageId(agentId: string, backend: Backend): string | null {
    const row = this.#stmts.lastMessageId.get(agentId, backend) as { message_id: string } | undefined;
    return row?.message_id ?? null;
  }

  /** Whether any call was recorded on this backend. */
  hasCalls(backend: Backend): boolean {
    return this.#stmts.anyCallOn.get(backend) !== undefined;
  }

  /** Open reservations, for tests and `doctor`. */
  openReservations(): number {
    return (this.#stmts.countReservations.get() as { n: number }).n;
  }

  /** Every call row recorded, on all backends, for `doctor`. */
  totalCalls(): number {
    return (this.#stmts.countCalls.get() as { n: number }).n;
  }

  /** How many migrations the ledger file has had, for `doctor`. */
  schemaVersion(): number {
    return (this.#stmts.schemaVersion.get() as { user_version: number }).user_version;
  }

  /** Alerts due now that no process has sent in this period, each recorded as it is returned (see alerts.ts). */
  async dueAlerts(thresholds: Record<string, number[]>, now: number): Promise<Alert[]> {
    if (this.#shared) {
      return await this.#shared.recordAlerts(reachedAlerts(await this.#shared.capStatus(), thresholds, now));
    }
    return dueAlerts(this.#db, () => this.capStatus(), thresholds, now);
  }

  /** Alerts fired in the current period of each cap, for `status`. */
  async firedThisPeriod(): Promise<Alert[]> {
    if (this.#shared) return await this.#shared.firedThisPeriod(await this.#shared.capStatus());
    return firedThisPeriod(this.#db, this.capStatus());
  }

  /** The rows booked above their reservation (see anomalies.ts): since a time, on one backend, if given. */
  overReservation(options: { since?: number; backend?: Backend } = {}): OverReservation {
    return overReservation(this.#db, options);
  }

  #snapshot(day: Period, workflowId: string, backend: Backend): SpendSnapshot {
    const s = this.#stmts;
    const dayByModel = new Map<string, { spent: number; reserved: number }>();
    const entry = (model: string) => {
      let e = dayByModel.get(model);
      if (!e) dayByModel.set(model, e = { spent: 0, reserved: 0 });
      return e;
    };
    const shared = this.#shared?.lastDay(backend, day);
    if (shared) {
      for (const [model, e] of shared) dayByModel.set(model, { ...e });
    } else {
      const buckets = s.daySpent.all(
        backend,
        day.start / BUCKET_MS,
        day.end / BUCKET_MS,
      ) as unknown as ModelSum[];
      for (const row of buckets) entry(row.model).spent += row.nano;
      for (const row of s.dayReserved.all(backend, day.start, day.end) as unknown as ModelSum[]) {
        entry(row.model).reserved += row.nano;
      }
    }
    const spent = this.workflowSpentNano(workflowId, backend);
    const reserved = (s.workflowReserved.get(workflowId, backend) as { nano: number }).nano;
    return { dayByModel, workflow: { spent, reserved } };
  }
}

/** What a reservation is settled with: a call's outcome, or its worst case when its process died. */
export type SettledOutcome = CallOutcome | { status: "orphaned"; costNano: number };

/**
 * The columns of an `ai_call_log` row in the order callLogValues gives them: the first twelve keep the
 * names SQL written against such a log expects. Both ledgers (SQLite and PostgreSQL) write from here.
 */
export const CALL_LOG_COLUMNS = [
  "id",
  "agent_id",
  "workflow_instance_id",
  "model",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "usd_cost",
  "tool_calls_made",
  "tool_calls_succeeded",
  "ts",
  "cost_nano_usd",
  "reserved_nano_usd",
  "cache_write_5m_tokens",
  "cache_write_1h_tokens",
  "web_search_requests",
  "stop_reason",
  "status",
  "request_id",
  "latency_ms",
  "turn",
  "backend",
  "attempts",
  "error",
  "inference_geo",
  "batch",
  "cache_ttls",
  "message_id",
  "cache_miss_reason",
  "cache_missed_tokens",
] as const;

/** Where the exact cost sits in a row's values. */
const COST_NANO = CALL_LOG_COLUMNS.indexOf("cost_nano_usd");

/** A call as a ledger books it: its row's values (CALL_LOG_COLUMNS order) and its tool calls (toolCallsOf's). */
export interface BookedCall {
  values: (string | number | null)[];
  tools: [string, ToolOutcome, string | null][];
}

/** A settled call's ledger row, in CALL_LOG_COLUMNS order. */
export function callLogValues(r: Reservation, o: SettledOutcome): (string | number | null)[] {
  const u = "usage" in o && o.usage ? o.usage : undefined;
  const full = o as CallOutcome;
  return [
    r.id,
    r.agentId,
    r.workflowId,
    r.model,
    u?.inputTokens ?? 0,
    u?.outputTokens ?? 0,
    u?.cacheReadTokens ?? 0,
    (u?.cacheWrite5mTokens ?? 0) + (u?.cacheWrite1hTokens ?? 0),
    nanoToUsd(o.costNano),
    full.toolCallsMade ?? 0,
    full.toolCallsSucceeded ?? 0,
    r.ts,
    o.costNano,
    r.reservedNano,
    u?.cacheWrite5mTokens ?? 0,
    u?.cacheWrite1hTokens ?? 0,
    u?.webSearchRequests ?? 0,
    full.stopReason ?? null,
    o.status,
    full.requestId ?? null,
    full.latencyMs ?? null,
    r.turn ?? null,
    r.backend,
    full.attempts ?? null,
    full.error ?? null,
    u?.inferenceGeo?.slice(0, 40) ?? null,
    u?.batch || full.batch ? 1 : 0,
    full.cache?.ttls ?? null,
    full.cache?.messageId?.slice(0, 200) ?? null,
    full.cache?.missReason?.slice(0, 60) ?? null,
    full.cache?.missedTokens ?? null,
  ].map((v) => typeof v === "string" ? withoutNul(v) : v);
}

/** Text as both ledgers keep it: what the API or the model sent may hold NUL, which PostgreSQL's text refuses. */
const withoutNul = (text: string) => text.replaceAll("\u0000", "");

/** Swallows a database out of reach: what was not written then is written when the data folder is next opened. */
function unlessUnreachable(error: unknown): void {
  if (!(error instanceof UnreachableError)) throw error;
}

/** A settled call's tool calls as [tool, outcome, message], cut to what the ledgers keep. */
export function toolCallsOf(o: SettledOutcome): [string, ToolOutcome, string | null][] {
  const kept = (text: string, max: number) => withoutNul(text).slice(0, max);
  return ("tools" in o ? o.tools ?? [] : []).map((t) => [
    kept(t.tool, 100),
    t.outcome,
    t.message === null ? null : kept(t.message, 1000),
  ]);
}

/** The columns of a `tool_call` row, in both ledgers: the call's, then toolCallsOf's, then the call's time. */
export const TOOL_CALL_COLUMNS = [
  "call_id",
  "workflow_instance_id",
  "agent_id",
  "model",
  "turn",
  "tool",
  "outcome",
  "message",
  "ts",
] as const;

/** The columns of a `cap_refusal` row in the order refusalValues gives them, in both ledgers. */
export const REFUSAL_COLUMNS = [
  "ts",
  "cap",
  "agent_id",
  "workflow_instance_id",
  "model",
  "request_nano_usd",
  "spent_nano_usd",
  "reserved_nano_usd",
  "limit_nano_usd",
  "backend",
  "max_tokens",
  "output_nano_per_token",
] as const;

/** A refused call's `cap_refusal` row, in REFUSAL_COLUMNS order. */
export function refusalValues(
  call: ReserveRequest,
  breach: CapBreach,
  ts: number,
): (string | number | null)[] {
  return [
    ts,
    breach.cap,
    call.agentId,
    call.workflowId,
    call.model,
    breach.requestNano,
    breach.spentNano,
    breach.reservedNano,
    breach.limitNano,
    call.backend,
    call.output?.maxTokens ?? null,
    call.output?.nanoPerToken ?? null,
  ];
}

/** How long to wait between attempts to record a settled call in the shared ledger: 250 ms, doubling to 5 s. */
function settleRetryWait(attempt: number): number {
  return Math.min(5_000, 250 * 2 ** attempt);
}

interface ModelSum {
  model: string;
  nano: number;
}

/** A `reservation` row as both ledgers store it. */
export interface ReservationRow {
  id: string;
  agent_id: string;
  workflow_instance_id: string;
  model: string;
  ts: number;
  cost_nano_usd: number;
  turn: number | null;
  backend: Backend;
}

/** The reservation a stored row holds: its worst case as stored (extensions included). */
export function fromRow(row: ReservationRow): Reservation {
  return {
    id: row.id,
    agentId: row.agent_id,
    workflowId: row.workflow_instance_id,
    model: row.model,
    ts: row.ts,
    worstCaseNano: row.cost_nano_usd,
    reservedNano: row.cost_nano_usd,
    turn: row.turn ?? undefined,
    backend: row.backend,
  };
}

function prepare(db: Db) {
  return {
    reserve: db.prepare(
      `INSERT INTO reservation (id, owner, agent_id, workflow_instance_id, model, ts, cost_nano_usd, turn, backend)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    unreserve: db.prepare("DELETE FROM reservation WHERE id = ?"),
    extend: db.prepare("UPDATE reservation SET cost_nano_usd = cost_nano_usd + ? WHERE id = ?"),
    refuse: db.prepare(
      `INSERT INTO cap_refusal (${REFUSAL_COLUMNS.join(", ")}) VALUES (${
        REFUSAL_COLUMNS.map(() => "?").join(", ")
      })`,
    ),
    insertRow: db.prepare(
      `INSERT INTO ai_call_log (${CALL_LOG_COLUMNS.join(", ")})
       VALUES (${CALL_LOG_COLUMNS.map(() => "?").join(", ")})`,
    ),
    insertTool: db.prepare(
      `INSERT INTO tool_call (${TOOL_CALL_COLUMNS.join(", ")})
       VALUES (${TOOL_CALL_COLUMNS.map(() => "?").join(", ")})`,
    ),
    addBucket: db.prepare(
      `INSERT INTO spend_bucket (backend, bucket, model, cost_nano_usd, calls) VALUES (?, ?, ?, ?, 1)
       ON CONFLICT (backend, bucket, model) DO UPDATE SET cost_nano_usd = cost_nano_usd + excluded.cost_nano_usd,
         calls = calls + 1`,
    ),
    addWorkflow: db.prepare(
      `INSERT INTO spend_workflow (workflow_instance_id, backend, cost_nano_usd) VALUES (?, ?, ?)
       ON CONFLICT (workflow_instance_id, backend) DO UPDATE
         SET cost_nano_usd = cost_nano_usd + excluded.cost_nano_usd`,
    ),
    daySpent: db.prepare(
      `SELECT model, SUM(cost_nano_usd) AS nano FROM spend_bucket
       WHERE backend = ? AND bucket >= ? AND bucket < ? GROUP BY model`,
    ),
    dayReserved: db.prepare(
      `SELECT model, SUM(cost_nano_usd) AS nano FROM reservation
       WHERE backend = ? AND ts >= ? AND ts < ? GROUP BY model`,
    ),
    workflowSpent: db.prepare(
      `SELECT COALESCE(SUM(cost_nano_usd), 0) AS nano FROM spend_workflow
       WHERE workflow_instance_id = ? AND backend = ?`,
    ),
    workflowSpend: db.prepare(
      `SELECT COALESCE(SUM(cost_nano_usd), 0) AS total,
              COALESCE(SUM(CASE WHEN backend = 'sim' THEN cost_nano_usd END), 0) AS sim
       FROM spend_workflow WHERE workflow_instance_id = ?`,
    ),
    workflowReserved: db.prepare(
      `SELECT COALESCE(SUM(cost_nano_usd), 0) AS nano FROM reservation
       WHERE workflow_instance_id = ? AND backend = ?`,
    ),
    owners: db.prepare("SELECT DISTINCT owner FROM reservation WHERE owner != ?"),
    ofOwner: db.prepare("SELECT * FROM reservation WHERE owner = ?"),
    reservationById: db.prepare("SELECT * FROM reservation WHERE id = ?"),
    doubtPending: db.prepare(
      `UPDATE batch_request SET state = 'doubt' WHERE state = 'pending'
         AND reservation_id IN (SELECT id FROM reservation WHERE owner = ?)`,
    ),
    adoptBatched: db.prepare(
      `UPDATE reservation SET owner = ? WHERE owner = ?
         AND id IN (SELECT reservation_id FROM batch_request WHERE state != 'settled')`,
    ),
    countReservations: db.prepare("SELECT COUNT(*) AS n FROM reservation"),
    countCalls: db.prepare("SELECT COUNT(*) AS n FROM ai_call_log"),
    schemaVersion: db.prepare("PRAGMA user_version"),
    anyCallOn: db.prepare("SELECT 1 FROM ai_call_log WHERE backend = ? LIMIT 1"),
    callTimes: db.prepare(
      `SELECT ts, agent_id, model, workflow_instance_id, turn FROM ai_call_log
       WHERE backend = ? AND ts >= ? AND status = 'ok' ORDER BY ts`,
    ),
    lastMessageId: db.prepare(
      `SELECT message_id FROM ai_call_log WHERE agent_id = ? AND backend = ? AND message_id IS NOT NULL
       ORDER BY ts DESC LIMIT 1`,
    ),
    lastRefusal: db.prepare(
      `SELECT agent_id, model, backend, request_nano_usd, max_tokens, output_nano_per_token
       FROM cap_refusal WHERE workflow_instance_id = ? ORDER BY id DESC LIMIT 1`,
    ),
    callsOfWorkflow: db.prepare("SELECT COUNT(*) AS n FROM ai_call_log WHERE workflow_instance_id = ?"),
    callsOfAgent: db.prepare(
      "SELECT COUNT(*) AS n FROM ai_call_log WHERE workflow_instance_id = ? AND agent_id = ?",
    ),
  };
}
