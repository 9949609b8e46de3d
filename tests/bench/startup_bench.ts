/**
 * Start-up benchmark: `status` and `caps` as a user runs them (`deno run -P=pressroom src/main.ts`, on a
 * data folder with a ledger) against `deno eval ''` in the same run, taken in turn (A B A B …) so that a
 * machine whose speed drifts moves both alike. Wall time as the ratio of medians, and peak RSS of the
 * command's process as the kernel counts it (`/usr/bin/time -f %M`; not measured where it is missing).
 * @module
 */
import { pressroomArgs, runPressroom, tempDir } from "../helpers.ts";
import type { BenchRow } from "./table.ts";

/** Runs of each command, after one untimed warm-up run of each. */
const RUNS = 15;
const TIME = "/usr/bin/time";
const WALL_RATIO_TARGET = 3;
const PEAK_MIB_TARGET = 50;
const FLOOR = "tests/bench/startup_floor.ts";

interface Sample {
  wallMs: number;
  /** Peak resident set of the process, MiB; undefined without `/usr/bin/time`. */
  peakMib?: number;
}

function hasTime(): boolean {
  try {
    return Deno.statSync(TIME).isFile;
  } catch {
    return false;
  }
}

/** One run of `deno <args>` in `cwd`, timed from here; its peak RSS from `/usr/bin/time` when there is one. */
async function sample(cwd: string, args: string[], measurePeak: boolean): Promise<Sample> {
  const peakFile = measurePeak ? `${cwd}/.peak-kib` : undefined;
  const argv = peakFile
    ? [TIME, "-f", "%M", "-o", peakFile, Deno.execPath(), ...args]
    : [Deno.execPath(), ...args];
  const started = performance.now();
  const { code, stderr } = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`${args.join(" ")}: exit ${code}: ${new TextDecoder().decode(stderr)}`);
  if (!peakFile) return { wallMs };
  const kib = Number((await Deno.readTextFile(peakFile)).trim().split("\n").pop());
  return { wallMs, peakMib: kib / 1024 };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A data folder with a ledger and a few workflows in it, as `status` and `caps` meet one. */
async function dataFolder(): Promise<string> {
  const cwd = await tempDir();
  for (const topic of ["Lighthouses", "Sourdough", "Heat pumps"]) {
    const run = await runPressroom(cwd, ["submit", topic]);
    if (run.code !== 0) throw new Error(`submit: ${run.err}`);
  }
  return cwd;
}

/** `status` and `caps` against `deno eval ''`: wall time as a ratio of medians, and peak RSS. */
export async function startupBench(): Promise<BenchRow[]> {
  const cwd = await dataFolder();
  const measurePeak = hasTime();
  const rows: BenchRow[] = [];
  try {
    const programs = [
      { label: "status", args: pressroomArgs(["status"]), target: true },
      { label: "caps", args: pressroomArgs(["caps"]), target: true },
      // What no change to Pressroom's own code can remove: its libraries, loaded and nothing run.
      {
        label: "libraries alone (tests/bench/startup_floor.ts)",
        args: pressroomArgs([], FLOOR),
        target: false,
      },
    ];
    for (const { label, args: program, target } of programs) {
      const empty = ["eval", ""];
      await sample(cwd, program, false);
      await sample(cwd, empty, false);
      const a: Sample[] = [];
      const b: Sample[] = [];
      for (let i = 0; i < RUNS; i++) {
        a.push(await sample(cwd, program, measurePeak));
        b.push(await sample(cwd, empty, measurePeak));
      }
      const ratio = median(a.map((s) => s.wallMs)) / median(b.map((s) => s.wallMs));
      rows.push({
        benchmark: "startup",
        figure: `${label} under deno run: wall time against deno eval '' (median of ${RUNS} each, in turn)`,
        target: target ? `≤ ${WALL_RATIO_TARGET}×` : "",
        measured: `${ratio.toFixed(2)}× (${median(a.map((s) => s.wallMs)).toFixed(0)} ms against ${
          median(b.map((s) => s.wallMs)).toFixed(0)
        } ms)`,
        met: target ? ratio <= WALL_RATIO_TARGET : undefined,
      });
      const peakA = measurePeak ? median(a.map((s) => s.peakMib!)) : undefined;
      const peakB = measurePeak ? median(b.map((s) => s.peakMib!)) : undefined;
      rows.push({
        benchmark: "startup",
        figure: `${label} under deno run: peak RSS (median of ${RUNS})` +
          (peakB === undefined ? "" : `; deno eval '': ${peakB.toFixed(0)} MiB`),
        target: target ? `≤ ${PEAK_MIB_TARGET} MiB` : "",
        measured: peakA === undefined ? `not measured: ${TIME} is not installed` : `${peakA.toFixed(0)} MiB`,
        met: peakA === undefined || !target ? undefined : peakA <= PEAK_MIB_TARGET,
      });
    }
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
  return rows;
}
