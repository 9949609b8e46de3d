/**
 * The shared ledger beside the SQLite one: reserve + settle through the chokepoint (Ledger.reserveCall,
 * Ledger.settleCall), p50 / p99, with 1 and with 4 processes at once, against a local PostgreSQL started
 * with its default durability (tests/pg_server.ts) and the data folder's SQLite file (WAL, synchronous
 * NORMAL). SQLite's processes share one data folder; PostgreSQL's have one each, as machines would.
 * @module
 */
import { pressroomArgs } from "../helpers.ts";
import { postgresMissing, startPostgres } from "../pg_server.ts";
import type { BenchRow } from "./table.ts";

const CALLS = 500;

interface Run {
  p50: number;
  p99: number;
  count: number;
  perSecond: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function runWorkers(processes: number, dirs: string[], url?: string): Promise<Run> {
  const start = Date.now() + 3_000;
  const outputs = await Promise.all(
    dirs.slice(0, processes).map((dir, p) =>
      new Deno.Command(Deno.execPath(), {
        args: pressroomArgs([
          ...["--data", dir, "--name", `p${p}`, "--calls", String(CALLS), "--start", String(start)],
          ...(url ? ["--url", url] : []),
        ], "tests/bench/ledger_worker.ts"),
        stdout: "piped",
        stderr: "piped",
      }).output()
    ),
  );
  const times: number[] = [];
  let wall = 0;
  for (const out of outputs) {
    if (!out.success) throw new Error(`ledger worker failed: ${new TextDecoder().decode(out.stderr)}`);
    const result = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
    times.push(...result.times);
    wall = Math.max(wall, result.wallMs);
  }
  times.sort((a, b) => a - b);
  return {
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    count: times.length,
    perSecond: times.length / (wall / 1000),
  };
}

export async function sharedLedgerBench(): Promise<BenchRow[]> {
  const missing = postgresMissing();
  if (missing) return [{ benchmark: "shared ledger", figure: "skipped", target: "", measured: missing }];
  const server = await startPostgres({ durable: true });
  const rows: BenchRow[] = [];
  try {
    for (const processes of [1, 4]) {
      const sqliteDir = await Deno.makeTempDir({ prefix: "pressroom-shared-bench-" });
      const sqlite = await runWorkers(processes, Array(processes).fill(sqliteDir));
      const url = await server.database(`bench${processes}`);
      const dirs = await Promise.all(Array.from({ length: processes }, () => Deno.makeTempDir()));
      const pg = await runWorkers(processes, dirs, url);
      for (const [name, r] of [["SQLite", sqlite], ["PostgreSQL", pg]] as const) {
        rows.push({
          benchmark: "shared ledger",
          figure: `reserve + settle, ${name}, ${processes} process${
            processes > 1 ? "es" : ""
          }: p50 / p99 of ${r.count}; calls/s`,
          target: "",
          measured: `${r.p50.toFixed(2)} / ${r.p99.toFixed(2)} ms; ${Math.round(r.perSecond)}/s`,
        });
      }
      for (const dir of [sqliteDir, ...dirs]) await Deno.remove(dir, { recursive: true });
    }
  } finally {
    await server.close();
  }
  return rows;
}
