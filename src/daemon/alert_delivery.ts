/**
 * Sending alerts: a log line always, and the configured command (the alert as
 * JSON on stdin) and URL (POSTed as JSON). A failed delivery is logged, never fatal.
 * The daemon sends them one after another, never holding up the scheduler.
 * @module
 */
import { UnreachableError } from "../errors.ts";
import type { Alert } from "../ledger/alerts.ts";
import type { Ledger } from "../ledger/ledger.ts";
import { formatUsd, nanoToUsd } from "../pricing/money.ts";
import type { Config } from "../config/schema.ts";
import type { Log } from "./log.ts";

/** The most a delivery may take. */
export const DELIVERY_TIMEOUT_MS = 10_000;

export function alertText(a: Alert): string {
  return `alert: ${a.cap} passed ${a.threshold}%: ${formatUsd(a.spentNano)} of ${formatUsd(a.limitNano)}, ` +
    `resets ${new Date(a.resetsAt).toISOString()}`;
}

export function alertJson(a: Alert): Record<string, unknown> {
  return {
    cap: a.cap,
    threshold: a.threshold,
    spentUsd: nanoToUsd(a.spentNano),
    limitUsd: nanoToUsd(a.limitNano),
    resetsAt: new Date(a.resetsAt).toISOString(),
    at: new Date(a.ts).toISOString(),
  };
}

export async function deliver(alerts: Alert[], config: Config["alerts"], log: Log): Promise<void> {
  for (const alert of alerts) {
    log.note("alert", alertText(alert), alertJson(alert));
    const body = JSON.stringify(alertJson(alert));
    if (config.command) {
      try {
        const child = new Deno.Command(config.command[0], {
          args: config.command.slice(1),
          stdin: "piped",
          stdout: "null",
          stderr: "null",
        }).spawn();
        const writer = child.stdin.getWriter();
        await writer.write(new TextEncoder().encode(body + "\n"));
        await writer.close();
        const timer = setTimeout(() => child.kill("SIGKILL"), DELIVERY_TIMEOUT_MS);
        const status = await child.status;
        clearTimeout(timer);
        if (!status.success) log.note("alert_failed", `alert command exited ${status.code}`);
      } catch (error) {
        log.note("alert_failed", `alert command: ${(error as Error).message}`);
      }
    }
    if (config.url) {
      try {
        const response = await fetch(config.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        });
        await response.body?.cancel();
        if (!response.ok) log.note("alert_failed", `alert POST answered ${response.status}`);
      } catch (error) {
        log.note("alert_failed", `alert POST: ${(error as Error).message}`);
      }
    }
  }
}

export interface AlertSenderOptions {
  ledger: Ledger;
  /** The alert settings in force (a reload may change them). */
  config: () => Config["alerts"];
  now: () => number;
  log: Log;
}

export interface AlertSender {
  /** After a stage: sends the alerts now due, after those queued before. */
  queue(): void;
  /** At the end: waits for the queue, then sends what is still due. */
  flush(): Promise<void>;
}

export function alertSender(options: AlertSenderOptions): AlertSender {
  const sendDue = async () => {
    const config = options.config();
    return await deliver(
      await options.ledger.dueAlerts(config.thresholds, options.now()),
      config,
      options.log,
    );
  };
  let queued = Promise.resolve();
  return {
    queue() {
      // A ledger that cannot say what is due now (a shared ledger out of reach): what is due goes out after a
      // later stage. The queue goes on either way.
      queued = queued.then(sendDue).catch((error) => {
        if (!(error instanceof UnreachableError)) {
          options.log.note("alert_failed", `alerts: ${(error as Error).message}`);
        }
      });
    },
    async flush() {
      await queued;
      await sendDue();
    },
  };
}
