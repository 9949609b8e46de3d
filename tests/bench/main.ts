/**
 * `deno task bench`: every benchmark of Pressroom in one table, with the
 * machine it ran on. Sections: ledger, shared (the PostgreSQL ledger beside SQLite), orchestration, throughput, cache, memory, startup, calibration, and
 * cost (cost_bench.ts), which prints its own table after the others: one row per way of running the
 * reference workload, side by side.
 *
 *   deno run -P=tests tests/bench/main.ts [--rows 0,1000000,10000000] [--samples 2000]
 *     [--workflows 200] [--latency 100] [--only ledger,startup]
 * @module
 */
import { parseArgs } from "node:util";
import { ledgerBench, machineLine } from "./ledger_bench.ts";
import { cacheBench, memoryBench, orchestrationBench, throughputBench } from "./pipeline_bench.ts";
import { startupBench } from "./startup_bench.ts";
import { sharedLedgerBench } from "./shared_ledger_bench.ts";
import { calibrationBench } from "./calibration_bench.ts";
import { costRuns, costTable } from "./cost_bench.ts";
import { type BenchRow, markdownTable } from "./table.ts";

const SECTIONS = [
  "ledger",
  "shared",
  "orchestration",
  "throughput",
  "cache",
  "memory",
  "startup",
  "calibration",
  "cost",
] as const;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "0,1000000,10000000" },
    samples: { type: "string", default: "2000" },
    workflows: { type: "string", default: "200" },
    latency: { type: "string", default: "100" },
    only: { type: "string", default: SECTIONS.join(",") },
  },
  strict: true,
});

function integers(flag: string, text: string): number[] {
  const out = text.split(",").map((s) => Number(s.trim().replaceAll("_", "")));
  if (out.some((n) => !Number.isSafeInteger(n) || n < 0)) {
    console.error(`--${flag}: expected non-negative integers separated by commas, got "${text}"`);
    Deno.exit(2);
  }
  return out;
}

const only = new Set(values.only.split(","));
for (const name of only) {
  if (!(SECTIONS as readonly string[]).includes(name)) {
    console.error(`--only: unknown section "${name}" (sections: ${SECTIONS.join(", ")})`);
    Deno.exit(2);
  }
}
const [samples] = integers("samples", values.samples);
const [workflows] = integers("workflows", values.workflows);
const [latencyMs] = integers("latency", values.latency);
const rows: BenchRow[] = [];
const started = performance.now();
if (only.has("shared")) rows.push(...await sharedLedgerBench());
if (only.has("orchestration")) rows.push(...await orchestrationBench());
if (only.has("throughput")) rows.push(...await throughputBench({ workflows, latencyMs }));
if (only.has("cache")) rows.push(...await cacheBench());
if (only.has("memory")) rows.push(...await memoryBench());
if (only.has("startup")) rows.push(...await startupBench());
if (only.has("calibration")) rows.push(...await calibrationBench());
const cost = only.has("cost") ? costTable(await costRuns()) : undefined;
// Last: its multi-gigabyte fill leaves the kernel writing back for a while, which would slow the fsyncs
// of the pipeline benchmarks. It still comes first in the table.
if (only.has("ledger")) rows.unshift(...ledgerBench({ rows: integers("rows", values.rows), samples }));

console.log(`machine: ${await machineLine()}`);
console.log(
  `run: ${new Date().toISOString().slice(0, 10)}, ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
console.log("");
if (rows.length) console.log(markdownTable(rows));
if (cost) {
  console.log("");
  console.log(
    "cost: the reference workload over a simulated day (60 workflows, seed 7, the steady-state mix)",
  );
  console.log("");
  console.log(cost);
}
