/**
 * `pressroom status [workflow] [--json]`: every workflow's stage, turns, cost so
 * far and why it waits; with an id, its pinned models and history too.
 * @module
 */
import { formatUsd, nanoToUsd } from "../ledger/money.ts";
import type { Workflow } from "../pipeline/store.ts";
import type { Parsed } from "./args.ts";
import { table } from "./table.ts";
import { firedThisPeriod } from "../ledger/alerts.ts";
import { alertJson, alertText } from "./alert_delivery.ts";
import { configFrom, type Io } from "./context.ts";
import type { Ledger } from "../ledger/ledger.ts";
import { countedNote, openWithCapsInForce, pauseJson, pauseText } from "./cap_view.ts";

export const statusOptions = { json: { type: "boolean" } } as const;

interface Line {
  id: string;
  topic: string;
  stage: string;
  status: string;
  turns: number;
  costUsd: number;
  /** Run on the simulated model (the demo): its spend never counts toward the caps. */
  simulated: boolean;
  reason: string | null;
  waitUntil: string | null;
  publishedPath: string | null;
  models: Record<string, string>;
}

function line(ledger: Ledger, w: Workflow): Line {
  return {
    id: w.id,
    topic: w.topic,
    stage: w.stage,
    status: w.status,
    turns: ledger.callCount(w.id),
    costUsd: nanoToUsd(ledger.workflowSpentNano(w.id)),
    simulated: ledger.workflowSpentNano(w.id, "sim") > 0,
    reason: w.reason,
    waitUntil: w.waitUntil === null ? null : new Date(w.waitUntil).toISOString(),
    publishedPath: w.publishedPath,
    models: w.models,
  };
}

export async function statusCommand(parsed: Parsed, io: Io): Promise<number> {
  const loaded = await configFrom(parsed, io);
  const { ledger, store } = openWithCapsInForce(loaded, io);
  try {
    const id = parsed.positionals[0];
    if (id !== undefined) {
      const detail = line(ledger, store.get(id));
      const events = ledger.db.prepare(
        "SELECT ts, stage, kind, detail FROM workflow_event WHERE workflow_instance_id = ? ORDER BY id",
      ).all(id) as { ts: number; stage: string | null; kind: string; detail: string | null }[];
      if (parsed.values.json) {
        io.out(
          JSON.stringify(
            { ...detail, events: events.map((e) => ({ ...e, ts: new Date(e.ts).toISOString() })) },
            null,
            2,
          ),
        );
        return 0;
      }
      io.out(`${detail.id}  ${detail.topic}`);
      io.out(
        `stage ${detail.stage}, ${detail.status}, ${detail.turns} turns, ${
          formatUsd(Math.round(detail.costUsd * 1e9))
        }`,
      );
      if (detail.reason) io.out(`why: ${detail.reason}`);
      if (detail.publishedPath) io.out(`published: ${detail.publishedPath}`);
      io.out(`models: ${Object.entries(detail.models).map(([a, m]) => `${a}=${m}`).join(", ")}`);
      for (const e of events) {
        io.out(
          `  ${new Date(e.ts).toISOString()}  ${(e.stage ?? "").padEnd(10)} ${e.kind}${
            e.detail ? `  ${e.detail}` : ""
          }`,
        );
      }
      return 0;
    }
    const lines = store.list().map((w) => line(ledger, w));
    const paused = store.pauses("anthropic");
    const alerts = firedThisPeriod(ledger);
    if (parsed.values.json) {
      io.out(
        JSON.stringify(
          { workflows: lines, paused: paused.map(pauseJson), alerts: alerts.map(alertJson) },
          null,
          2,
        ),
      );
      return 0;
    }
    for (const a of alerts) io.out(alertText(a));
    for (const p of paused) io.out(pauseText(p));
    if (!lines.length) {
      io.out('no workflows yet: pressroom submit "<topic>"');
      return 0;
    }
    const rows = [
      ["workflow", "stage", "status", "turns", "cost", "topic / why"],
      ...lines.map((l) => [
        l.id,
        l.stage,
        l.status,
        String(l.turns),
        `${formatUsd(Math.round(l.costUsd * 1e9))}${l.simulated ? " sim" : ""}`,
        l.reason ?? l.publishedPath ?? l.topic.slice(0, 60),
      ]),
    ];
    for (const row of table(rows, ["l", "l", "l", "r", "r", "l"])) io.out(row);
    if (lines.some((l) => l.simulated)) {
      io.out(`sim: ran on the simulated model; ${countedNote(0)}`);
    }
    return 0;
  } finally {
    ledger.close();
  }
}
