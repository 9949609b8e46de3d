/**
 * `pressroom run [--once] [--force] [--log text|json]`: the daemon. All six
 * agents in one process, each on its own cron wake cycle. The inbox and the
 * config file are looked at every `run.pollSeconds`; SIGHUP or a changed
 * config file reloads the config for new work. SIGTERM or SIGINT stops
 * claiming, lets calls in flight finish for up to `run.graceSeconds`, records
 * everything and exits 0; a second signal exits at once, and the next start
 * recovers what was in flight. `--once` drains ready work (waiting, up to
 * `run.onceWaitSeconds` in all, for retries and calls in flight that end soon)
 * and exits 0, also when a cap stopped it; its last line says what is left and why. When no call can
 * reach the API at all, `--once` exits 1 with one line naming the base URL, and `run` logs it and backs
 * off; either way the work stays as it was.
 * @module
 */
import { join } from "node:path";
import { PressroomError, UserInputError } from "../errors.ts";
import type { LoadedConfig } from "../config/load.ts";
import { formatUsd } from "../pricing/money.ts";
import { removeStaleTempFiles } from "../output/atomic.ts";
import { dataPaths } from "../output/paths.ts";
import type { PipelineDeps } from "../pipeline/loop.ts";
import { realSleep, runScheduler } from "../scheduler/scheduler.ts";
import type { Parsed } from "./args.ts";
import { configFrom, type Io } from "./context.ts";
import { createLog, type Log, type LogFormat } from "./log.ts";
import { currentModels, pipelineContext } from "./pipeline_context.ts";
import { deliver } from "./alert_delivery.ts";
import { dueAlerts } from "../ledger/alerts.ts";
import { holdReason, type Reconciled } from "../pipeline/cap_holds.ts";
import { leftAfterDrain, pausedText } from "./left_line.ts";
import { inboxTaker } from "./run_inbox.ts";

export const runOptions = {
  once: { type: "boolean" },
  force: { type: "boolean" },
  log: { type: "string" },
} as const;

export function logFormat(parsed: Parsed, io: Io): LogFormat {
  const given = parsed.values.log as string | undefined;
  if (given === undefined) return io.terminal ? "text" : "json";
  if (given !== "text" && given !== "json") {
    throw new UserInputError(`--log must be text or json, not "${given}"`);
  }
  return given;
}

/**
 * Only one `run` works on a data folder unless told otherwise: an exclusive OS
 * lock on `<data>/locks/run.lock`, dropped by the OS however the process ends.
 */
function lockRun(dataDir: string, force: boolean): Deno.FsFile | undefined {
  const dir = join(dataDir, "locks");
  Deno.mkdirSync(dir, { recursive: true });
  const file = Deno.openSync(join(dir, "run.lock"), { read: true, write: true, create: true });
  if (file.tryLockSync(true)) return file;
  file.close();
  if (force) return undefined;
  throw new UserInputError(
    `another pressroom run is working on ${dataDir}; stop it first, or pass --force to run a second one beside it`,
  );
}

/** One line for the terminal: workflows by stage and spend against each daily cap. */
export function progressLine(deps: PipelineDeps): string {
  const work = deps.store.countByStage().map((r) =>
    `${r.stage}${r.status === "ready" ? "" : `(${r.status})`} ${r.n}`
  ).join(", ");
  const caps = deps.ledger.capStatus({ backend: deps.backend }).map((c) =>
    `${c.cap} ${formatUsd(c.spentNano)}/${formatUsd(c.limitNano)}`
  );
  return `${work || "no work"} | ${caps.join(" | ")}`;
}

export async function runCommand(parsed: Parsed, io: Io): Promise<number> {
  const format = logFormat(parsed, io);
  let loaded = await configFrom(parsed, io);
  const runLock = lockRun(loaded.dataDir, parsed.values.force === true);
  const stopping = new AbortController();
  const hard = new AbortController();
  const log = createLog(io, format, true);
  let reload = false;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    if (stopping.signal.aborted) {
      log.done();
      io.err("pressroom: second signal: exiting now; the next start recovers what was in flight");
      Deno.exit(130);
    }
    log.note(
      "stopping",
      `stopping: no new work; calls in flight get ${loaded.config.run.graceSeconds}s to finish`,
    );
    stopping.abort();
    graceTimer = setTimeout(() => hard.abort(), loaded.config.run.graceSeconds * 1000);
  };
  const hup = () => reload = true;
  const signals: [Deno.Signal, () => void][] = [["SIGINT", stop], ["SIGTERM", stop], ["SIGHUP", hup]];
  for (const [s, f] of signals) Deno.addSignalListener(s, f);
  const context = await pipelineContext(loaded, io, {
    kind: "anthropic",
    signal: hard.signal,
    stopping: stopping.signal,
  });
  const { deps } = context;
  // A process killed between writing and renaming left a hidden copy beside an article or a review.
  const { published, review } = dataPaths(deps.dataDir);
  for (const dir of [published, review]) {
    for (const name of await removeStaleTempFiles(dir, Date.now())) {
      log.note("cleanup", `removed ${dir}/${name}, left by a process that was killed while writing it`);
    }
  }
  const inbox = inboxTaker({
    deps,
    log,
    models: () => currentModels(loaded),
    once: parsed.values.once === true,
    sleep: realSleep,
    stopping: stopping.signal,
  });
  let configStamp = await stamp(loaded.file);
  // Alerts go out one after another, never holding up the scheduler.
  let alerting = Promise.resolve();
  try {
    await inbox.start();
    // Whatever failed, a deleted data folder is the cause to report.
    const summary = await runScheduler({
      deps,
      once: parsed.values.once === true,
      stopping: stopping.signal,
      sleep: realSleep,
      onHolds: (changes) => logHolds(log, changes),
      onUnreachable: (error, until) =>
        log.note("unreachable", `${error.message}; trying again at ${new Date(until).toISOString()}`, {
          baseUrl: error.baseUrl,
          why: error.why,
          until: new Date(until).toISOString(),
        }),
      onEvent: (event) => {
        log.stage(event);
        log.progress(progressLine(deps));
        alerting = alerting.then(() =>
          deliver(
            dueAlerts(deps.ledger, loaded.config.alerts.thresholds, io.now()),
            loaded.config.alerts,
            log,
          )
        );
      },
      beforePass: async () => {
        await assertDataDir(deps.dataDir);
        const now = await stamp(loaded.file);
        if (reload || now !== configStamp) {
          reload = false;
          configStamp = now;
          loaded = await reloadConfig(parsed, io, deps, log) ?? loaded;
        }
        await inbox.pass();
        log.progress(progressLine(deps));
      },
    }).catch(async (error) => {
      await assertDataDir(deps.dataDir);
      throw error;
    });
    for (const p of summary.paused) {
      log.note("paused", pausedText(p), { ...p, until: new Date(p.until).toISOString() });
    }
    if (parsed.values.once) {
      const left = leftAfterDrain(deps.store, deps.backend, summary.paused);
      log.note("left", left.text, left.fields);
    }
    await alerting;
    await deliver(
      dueAlerts(deps.ledger, loaded.config.alerts.thresholds, io.now()),
      loaded.config.alerts,
      log,
    );
    if (stopping.signal.aborted) log.note("stopped", "stopped; everything in flight is recorded");
    return 0;
  } finally {
    clearTimeout(graceTimer);
    log.done();
    for (const [s, f] of signals) Deno.removeSignalListener(s, f);
    context.close();
    runLock?.close();
  }
}

/** Cap holds that the caps in force lifted or moved: one line per cap. */
export function logHolds(log: Log, changes: Reconciled): void {
  // Holds for calls in flight come and go as calls settle: not worth a line.
  const lifted = Map.groupBy(changes.lifted.filter((h) => !h.inFlight), (h) => h.why);
  for (const [why, holds] of lifted) {
    const agents = [...new Set(holds.map((h) => h.agent))].join(", ");
    log.note("resumed", `${why}: ${holds.length} workflow(s) go on (${agents})`, {
      why,
      workflows: holds.map((h) => h.workflowId),
      agents: agents.split(", "),
    });
  }
  for (const hold of changes.moved.filter((h) => !h.inFlight)) {
    log.note("held", `${hold.workflowId}  ${hold.agent.padEnd(10)} ${holdReason(hold)}`, {
      workflow: hold.workflowId,
      agent: hold.agent,
      cap: hold.cap,
      until: new Date(hold.until).toISOString(),
    });
  }
}

/** The data folder was deleted under a running process: stop before writing into nothing. */
async function assertDataDir(dataDir: string): Promise<void> {
  try {
    await Deno.stat(join(dataDir, "pressroom.db"));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new PressroomError(
      `${dataDir}: the data folder or its database was deleted while running; stopping`,
    );
  }
}

async function stamp(file: string | null): Promise<string> {
  if (!file) return "";
  try {
    const info = await Deno.stat(file);
    return `${info.mtime?.getTime()}:${info.size}`;
  } catch {
    return "missing";
  }
}

/** A new config reaches new work: pools, schedules, caps and the models of new workflows. */
async function reloadConfig(
  parsed: Parsed,
  io: Io,
  deps: PipelineDeps,
  log: Log,
): Promise<LoadedConfig | undefined> {
  try {
    const loaded = await configFrom(parsed, io);
    deps.config = loaded.config;
    deps.prices = loaded.prices;
    // The next scheduler pass judges every cap hold against the new caps.
    deps.ledger.setCaps(loaded.config.caps);
    log.note("reloaded", `config reloaded from ${loaded.file ?? "defaults"}`);
    return loaded;
  } catch (error) {
    log.note("reload_failed", `config not reloaded, the old one stays: ${(error as Error).message}`);
    return undefined;
  }
}
