/**
 * Calibration: the reference workload (tests/reference_workload.ts) under the field report's three stacks,
 * each figure beside the report's and whether it lands in its band (±10 %, or two standard errors for a
 * share smaller than the sampling noise). Figures the report gives but that cannot hold beside the others
 * are shown without a verdict, with why (NOT_PINNED). This is how far the simulated model behind `demo`,
 * `project` and every cost figure is from the stack it was drawn from.
 * @module
 */
import type { BenchRow } from "./table.ts";
import { calibrationChecks, type Check, referenceMixes, stableHitChecks } from "../reference_workload.ts";
import { costRuns, ROWS } from "./cost_bench.ts";

function row(check: Check): BenchRow {
  const { expected, measured, tolerance, digits } = check;
  const off = measured / expected - 1;
  const band = Math.abs(tolerance / expected - 0.1) < 1e-9 ? "±10 %" : `±${tolerance.toFixed(digits)} (2 SE)`;
  return {
    benchmark: "calibration",
    figure: check.figure,
    target: check.notPinned
      ? `${expected.toFixed(digits)} (not pinned)`
      : `${expected.toFixed(digits)} ${band}`,
    measured: `${measured.toFixed(digits)} (${off >= 0 ? "+" : ""}${(off * 100).toFixed(0)} %)`,
    met: check.notPinned ? undefined : Math.abs(measured - expected) <= tolerance,
  };
}

export async function calibrationBench(): Promise<BenchRow[]> {
  const [segmented, oneBlock] = await costRuns(ROWS.slice(0, 2));
  const hits = stableHitChecks({ segmented: segmented.stableHitRate, oneBlock: oneBlock.stableHitRate });
  return [...calibrationChecks(await referenceMixes()), ...hits].map(row);
}
