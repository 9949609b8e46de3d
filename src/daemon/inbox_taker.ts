/**
 * `run` and the inbox: the folder made at start, taken before every look for work (by `--once` after
 * waiting for files still being written), and a line for each request taken, rejected or left.
 * @module
 */
import { dataPaths } from "../output/paths.ts";
import { type InboxResult, ingestInbox, ingestInboxSettled, newInboxWatch } from "../pipeline/inbox.ts";
import type { PipelineDeps } from "../pipeline/loop.ts";
import type { Log } from "./log.ts";
import type { ModelPlan } from "../pipeline/canary.ts";

export interface InboxTakerOptions {
  deps: PipelineDeps;
  log: Log;
  /** The models of new workflows: those of the config in force. */
  models: () => ModelPlan;
  once: boolean;
  sleep: (ms: number, wake: AbortSignal) => Promise<void>;
  stopping: AbortSignal;
}

export interface InboxTaker {
  /** At `run` start: makes the inbox; `--once` takes it, waiting for files still being written. */
  start(): Promise<void>;
  /** At every pass: takes what is complete. */
  pass(): Promise<void>;
}

export function inboxTaker(options: InboxTakerOptions): InboxTaker {
  const { deps, log } = options;
  // Kept between passes: a file is complete once unchanged for a poll interval.
  const watch = newInboxWatch();
  const look = () => ({
    dataDir: deps.dataDir,
    store: deps.store,
    ledger: deps.ledger,
    models: options.models(),
    watch,
    pollMs: deps.config.run.pollSeconds * 1000,
  });
  return {
    async start() {
      // The folder the README says to drop requests in is there from the first run on.
      await Deno.mkdir(dataPaths(deps.dataDir).inbox, { recursive: true });
      if (!options.once) return;
      const result = await ingestInboxSettled({
        ...look(),
        now: deps.now,
        sleep: options.sleep,
        stopping: options.stopping,
        mostMs: deps.config.run.onceWaitSeconds * 1000,
      });
      logInbox(log, result);
      for (const w of result.waiting) {
        const reason = `still being written (changed in the last ${deps.config.run.pollSeconds}s); ` +
          "the next run takes it";
        log.note("inbox_left", `inbox/${w.file} left in place: ${reason}`, { file: w.file, reason });
      }
    },
    async pass() {
      logInbox(log, await ingestInbox({ ...look(), now: deps.now() }));
    },
  };
}

function logInbox(log: Log, inbox: InboxResult): void {
  for (const c of inbox.created) {
    log.note("inbox", `${c.workflowId}  from inbox/${c.file}`, { workflow: c.workflowId, file: c.file });
  }
  for (const r of inbox.rejected) log.note("inbox_rejected", `inbox/${r.file} rejected: ${r.reason}`, r);
  for (const l of inbox.left) log.note("inbox_left", `inbox/${l.file} left in place: ${l.reason}`, l);
}
