/**
 * Cap alerts: when a daily cap's spend passes one of its thresholds (80 % by
 * default), one alert per threshold per period, recorded in `alert_fired` in
 * the same transaction that decides it fired, so two processes never both send it.
 * @module
 */
import { type Db, transaction } from "../db/sqlite.ts";
import type { CapStatus } from "./ledger.ts";

export interface Alert {
  cap: string;
  /** Percent of the limit. */
  threshold: number;
  spentNano: number;
  limitNano: number;
  /** When the cap's period resets (epoch ms). */
  resetsAt: number;
  ts: number;
}

/** The thresholds of a cap: its own, else `default`. Pure. */
export function thresholdsOf(thresholds: Record<string, number[]>, cap: string): number[] {
  return [...(thresholds[cap] ?? thresholds.default ?? [])].sort((a, b) => a - b);
}

/** The thresholds spend has reached, in percent, for one cap. Pure; exact integers. */
export function crossed(spentNano: number, limitNano: number, thresholds: number[]): number[] {
  return thresholds.filter((t) => spentNano * 100 >= limitNano * t);
}

/** Every threshold each daily cap has reached now, whether or not it was sent already. Pure. */
export function reachedAlerts(
  capStatus: CapStatus[],
  thresholds: Record<string, number[]>,
  now: number,
): Alert[] {
  return capStatus.flatMap((cap) => {
    if (cap.resetsAt === null || cap.limitNano === 0) return [];
    const reached = crossed(cap.spentNano, cap.limitNano, thresholdsOf(thresholds, cap.cap));
    return reached.map((threshold) => ({
      cap: cap.cap,
      threshold,
      spentNano: cap.spentNano,
      limitNano: cap.limitNano,
      resetsAt: cap.resetsAt!,
      ts: now,
    }));
  });
}

/** An alert's period key: the period's last millisecond identifies it. */
export function periodKey(alert: Pick<Alert, "resetsAt">): number {
  return alert.resetsAt - 1;
}

/**
 * Alerts due now that no process has sent in this period; each is recorded as it is returned.
 * `capStatus` is read inside the transaction. Callers use Ledger.dueAlerts.
 */
export function dueAlerts(
  db: Db,
  capStatus: () => CapStatus[],
  thresholds: Record<string, number[]>,
  now: number,
): Alert[] {
  const insert = db.prepare(
    `INSERT OR IGNORE INTO alert_fired (cap, threshold, period_start, ts, spent_nano_usd, limit_nano_usd)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  return transaction(
    db,
    () =>
      reachedAlerts(capStatus(), thresholds, now).filter((a) =>
        insert.run(a.cap, a.threshold, periodKey(a), a.ts, a.spentNano, a.limitNano).changes === 1
      ),
  );
}

/** Alerts fired in the current period of each cap, for `status`. Callers use Ledger.firedThisPeriod. */
export function firedThisPeriod(db: Db, capStatus: CapStatus[]): Alert[] {
  return ofPeriods(
    db.prepare("SELECT * FROM alert_fired ORDER BY ts").all() as unknown as FiredRow[],
    capStatus,
  );
}

/** A row of `alert_fired`, in either ledger. */
export interface FiredRow {
  cap: string;
  threshold: number;
  period_start: number;
  ts: number;
  spent_nano_usd: number;
  limit_nano_usd: number;
}

/** The fired alerts of each cap's current period, oldest first. Pure. */
export function ofPeriods(rows: FiredRow[], capStatus: CapStatus[]): Alert[] {
  const ends = new Map(
    capStatus.filter((c) => c.resetsAt !== null).map((c) => [c.cap, c.resetsAt! - 1]),
  );
  return rows.filter((r) => ends.get(r.cap) === r.period_start).map((r) => ({
    cap: r.cap,
    threshold: r.threshold,
    spentNano: r.spent_nano_usd,
    limitNano: r.limit_nano_usd,
    resetsAt: r.period_start + 1,
    ts: r.ts,
  }));
}
