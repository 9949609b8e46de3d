/**
 * Cap periods. A daily cap's day runs from midnight to midnight in the
 * configured time zone (UTC by default); DST days are 23 or 25 hours long.
 * Pure apart from a small memo, since every call asks for the same day.
 * @module
 */
import { Cron } from "croner";

export interface Period {
  /** Epoch ms, inclusive. */
  start: number;
  /** Epoch ms, exclusive: when the cap resets. */
  end: number;
}

const memo = new Map<string, Period>();
/** Milliseconds in a UTC day (a zone's day may be 23 or 25 hours: see dayPeriod). */
export const DAY_MS = 86_400_000;

/**
 * UTC, the default, needs no time-zone data: loading ICU's zones costs a short command about 20 ms and
 * 11 MiB, more than the rest of `status` or `caps`.
 */
export function isUtc(timezone: string): boolean {
  return timezone === "UTC" || timezone === "Etc/UTC";
}

/** The day containing `now` in `timezone`. */
export function dayPeriod(now: number, timezone: string): Period {
  const hit = memo.get(timezone);
  if (hit && hit.start <= now && now < hit.end) return hit;
  if (isUtc(timezone)) {
    const start = Math.floor(now / DAY_MS) * DAY_MS;
    return { start, end: start + DAY_MS };
  }
  const midnight = new Cron("0 0 0 * * *", { timezone, paused: true });
  const end = midnight.nextRun(new Date(now))!.getTime();
  // The last midnight at or before `now`: walk forward from a point more than a day back.
  let start = now - 26 * 3_600_000;
  for (let next = midnight.nextRun(new Date(start))!.getTime(); next <= now;) {
    start = next;
    next = midnight.nextRun(new Date(next))!.getTime();
  }
  const period = { start, end };
  memo.set(timezone, period);
  return period;
}

/** YYYY-MM-DD of `now` in `timezone`. */
export function dayKey(now: number, timezone: string): string {
  if (isUtc(timezone)) return new Date(now).toISOString().slice(0, 10);
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  })
    .format(new Date(now));
}
