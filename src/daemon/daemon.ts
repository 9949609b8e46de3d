/**
 * The daemon behind `pressroom run`: all six agents in one process, each on its own cron wake cycle,
 * with the run lock, clean-up of half-written files at start, the inbox and the config file looked
 * at before every pass, alerts, and a stop on signals (stop_signals.ts). `once` drains ready work
 * and returns, its last line saying what is left and why. `drainReady` is the same drain without
 * the rest, for `demo`. The command line parses flags and wires config and backend in.
 * @module
 */
import type { LoadedConfig } from "../config/load.ts";
import type { Pause } from "../pipeline/store.ts";
import type { PipelineDeps } from "../pipeline/loop.ts";
import { realSleep, runScheduler, type SchedulerEvent } from "../scheduler/scheduler.ts";
import { alertSender } from "./alert_delivery.ts";
import { environmentSecrets, redact } from "../output/workflow_files.ts";
import { configReloader } from "./config_reload.ts";
import { assertDataDir } from "./data_dir_watchdog.ts";
import { inboxTaker } from "./inbox_taker.ts";
import { leftAfterDrain, type LeftSummary, pausedText } from "./left_line.ts";
import type { Log } from "./log.ts";
import { logHolds, progressLine } from "./progress_lines.ts";
import { lockRun } from "./run_lock.ts";
import { removeStaleOutputTemps } from "./stale_temp_files.ts";
import { listenForSignals, type SignalSource, stopControl } from "./stop_signals.ts";
import type { ModelPlan } from "../pipeline/canary.ts";

/** The pipeline wired to a backend: what the daemon works on, and closes at the end. */
export interface PipelineHandle {
  deps: PipelineDeps;
  close(): Promise<void> | void;
}

export interface DaemonOptions {
  /** The config at start. */
  loaded: LoadedConfig;
  /** Reads the config again (SIGHUP, a changed file). */
  load: () => Promise<LoadedConfig>;
  /** Opens ledger, store and backend; `signal` aborts calls in flight, `stopping` tells them to wind down. */
  open: (
    loaded: LoadedConfig,
    signals: { signal: AbortSignal; stopping: AbortSignal },
  ) => Promise<PipelineHandle>;
  /** The models of workflows created now, under a config. */
  models: (loaded: LoadedConfig) => ModelPlan;
  log: Log;
  /** Drain ready work and return, instead of running until a signal. */
  once: boolean;
  /** Run beside another `run` on the same folder. */
  force: boolean;
  now: () => number;
  /** Where the second signal is told (stderr). */
  err: (line: string) => void;
  /** Ends the process at once on a second signal (see stopControl). */
  exit?: (code: number) => never;
  signals?: SignalSource;
}

export async function runDaemon(options: DaemonOptions): Promise<void> {
  const { log, once } = options;
  const runLock = lockRun(options.loaded.dataDir, options.force);
  const config = await configReloader({ loaded: options.loaded, load: options.load, log });
  const stop = stopControl({
    graceSeconds: () => config.current().config.run.graceSeconds,
    onStopping: (grace) =>
      log.note("stopping", `stopping: no new work; calls in flight get ${grace}s to finish`),
    onSecondSignal: () => {
      log.done();
      options.err("pressroom: second signal: exiting now; the next start recovers what was in flight");
    },
    exit: options.exit,
  });
  const unlisten = listenForSignals({ stop: stop.stop, reload: config.request }, options.signals);
  let pipeline: PipelineHandle | undefined;
  try {
    pipeline = await options.open(options.loaded, { signal: stop.hard, stopping: stop.stopping });
    const { deps } = pipeline;
    // File times are the real clock's.
    await removeStaleOutputTemps(deps.dataDir, Date.now(), log);
    const inbox = inboxTaker({
      deps,
      log,
      models: () => options.models(config.current()),
      once,
      sleep: realSleep,
      stopping: stop.stopping,
    });
    const alerts = alertSender({
      ledger: deps.ledger,
      config: () => config.current().config.alerts,
      now: options.now,
      log,
    });
    await inbox.start();
    const summary = await runScheduler({
      deps,
      once,
      stopping: stop.stopping,
      sleep: realSleep,
      onHolds: (changes) => logHolds(log, changes),
      onUnreachable: (error, until) =>
        log.note("unreachable", `${error.message}; trying again at ${new Date(until).toISOString()}`, {
          where: error.where,
          why: error.why,
          until: new Date(until).toISOString(),
        }),
      onBatchError: (error) =>
        log.note(
          "batch",
          `a Message Batches call failed, tried again later: ${
            redact(error instanceof Error ? error.message : String(error), environmentSecrets())
          }`,
        ),
      onEvent: (event) => {
        log.stage(event);
        log.progress(progressLine(deps));
        alerts.queue();
      },
      beforePass: async () => {
        await assertDataDir(deps.dataDir);
        await config.check(deps);
        await inbox.pass();
        log.progress(progressLine(deps));
      },
    }).catch(async (error) => {
      // Whatever failed, a deleted data folder is the cause to report.
      await assertDataDir(deps.dataDir);
      throw error;
    });
    logPaused(log, summary.paused);
    if (once) {
      const left = leftAfterDrain(deps.store, deps.backend, summary.paused);
      log.note("left", left.text, left.fields);
      if (summary.inBatches) {
        log.note(
          "batches",
          `${summary.inBatches} requests wait in open Message Batches; the next run --once collects them`,
          { requests: summary.inBatches },
        );
      }
    }
    await alerts.flush();
    if (stop.stopping.aborted) log.note("stopped", "stopped; everything in flight is recorded");
  } finally {
    stop.dispose();
    log.done();
    unlisten();
    await pipeline?.close();
    runLock?.close();
  }
}

function logPaused(log: Log, paused: Pause[]): void {
  for (const p of paused) {
    log.note("paused", pausedText(p), { ...p, until: new Date(p.until).toISOString() });
  }
}

export interface DrainResult {
  /** Agents a cap paused. */
  paused: Pause[];
  /** What is left, and why. */
  left: LeftSummary;
}

/** Works what is ready now and returns what is left: no lock, signals, inbox, reload or alerts. */
export async function drainReady(
  deps: PipelineDeps,
  onEvent: (event: SchedulerEvent) => void,
): Promise<DrainResult> {
  const { paused } = await runScheduler({
    deps,
    once: true,
    stopping: new AbortController().signal,
    sleep: realSleep,
    onEvent,
  });
  return { paused, left: leftAfterDrain(deps.store, deps.backend, paused) };
}
