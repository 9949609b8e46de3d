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
  const due: Alert[] = [];
  const insert = db.prepare(
    `INSERT OR IGNORE INTO alert_fired (cap, threshold, period_start, ts, spent_nano_usd, limit_nano_usd)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  transaction(db, () => {
    for (const cap of capStatus()) {
      if (cap.resetsAt === null || cap.limitNano === 0) continue;
      const periodStart = cap.resetsAt - 1; // one key per period: its end identifies it
      for (const threshold of crossed(cap.spentNano, cap.limitNano, thresholdsOf(thresholds, cap.cap))) {
        const fired = insert.run(cap.cap, threshold, periodStart, now, cap.spentNano, cap.limitNano);
        if (fired.changes === 1) {
          due.push({
            cap: cap.cap,
            threshold,
            spentNano: cap.spentNano,
            limitNano: cap.limitNano,
            resetsAt: cap.resetsAt,
            ts: now,
          });
        }
      }
    }
  });
  return due;
}

/** Alerts fired in the current period of each cap, for `status`. Callers use Ledger.firedThisPeriod. */
export function firedThisPeriod(db: Db, capStatus: CapStatus[]): Alert[] {
  const ends = new Map(
    capStatus.filter((c) => c.resetsAt !== null).map((c) => [c.cap, c.resetsAt! - 1]),
  );
  const rows = db.prepare("SELECT * FROM alert_fired ORDER BY ts").all() as {
    cap: string;
    threshold: number;
    period_start: number;
    ts: number;
    spent_nano_usd: number;
    limit_nano_usd: number;
  }[];
  return rows.filter((r) => ends.get(r.cap) === r.period_start).map((r) => ({
    cap: r.cap,
    threshold: r.threshold,
    spentNano: r.spent_nano_usd,
    limitNano: r.limit_nano_usd,
    resetsAt: r.period_start + 1,
    ts: r.ts,
  }));
}
