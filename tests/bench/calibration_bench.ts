/**
 * Calibration: the reference workload (tests/reference_workload.ts) under the field report's three stacks,
 * each figure beside the report's and whether it lands within ±10 % of it. This is how far the simulated
 * model behind `demo`, `project` and every cost figure is from the stack it was drawn from.
 * @module
 */
import type { BenchRow } from "./table.ts";
import { BAND, FIELD_REPORT, MIXES, type ReferenceFigures, referenceRun } from "../reference_workload.ts";

type Flat = Record<string, number>;

/** The figures with the failure kinds as their own keys, as the report lists them. */
function flat(f: Partial<ReferenceFigures> | typeof FIELD_REPORT["sonnet"]): Flat {
  const { failures, ...rest } = f as Partial<ReferenceFigures>;
  const out: Flat = {};
  for (const [k, v] of Object.entries(rest)) if (typeof v === "number") out[k] = v;
  for (const [k, v] of Object.entries(failures ?? {})) out[`failures.${k}`] = v;
  return out;
}

function row(figure: string, expected: number, measured: number, digits: number): BenchRow {
  const off = measured / expected - 1;
  return {
    benchmark: "calibration",
    figure,
    target: `${expected.toFixed(digits)} ±${BAND * 100} %`,
    measured: `${measured.toFixed(digits)} (${off >= 0 ? "+" : ""}${(off * 100).toFixed(0)} %)`,
    met: Math.abs(off) <= BAND,
  };
}

const DIGITS: Record<string, number> = { intakeTurnsPerCompletion: 1 };

export async function calibrationBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const measured: Record<string, ReferenceFigures> = {};
  for (const mix of ["sonnet", "opus", "steady"] as const) {
    measured[mix] = await referenceRun(MIXES[mix]);
    const got = flat(measured[mix]);
    for (const [key, expected] of Object.entries(flat(FIELD_REPORT[mix]))) {
      rows.push(
        row(
          `${mix}: ${key} (${measured[mix].completions} completions)`,
          expected,
          got[key],
          DIGITS[key] ?? 4,
        ),
      );
    }
  }
  rows.push(row(
    "opus − sonnet: writer output tokens per call",
    FIELD_REPORT.writerExtraOutputTokensOpus,
    measured.opus.writerOutputTokensPerCall - measured.sonnet.writerOutputTokensPerCall,
    0,
  ));
  rows.push(row(
    "sonnet − opus: retries per completion",
    FIELD_REPORT.retriesPreventedByOpus,
    measured.sonnet.retriesPerCompletion - measured.opus.retriesPerCompletion,
    1,
  ));
  return rows;
}
