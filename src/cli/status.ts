/**
 * `pressroom status [workflow] [--json]`: every workflow's stage, turns, cost so
 * far and why it waits; with an id, its pinned models and history too.
 * @module
 */
import { formatUsd, nanoToUsd, usdToNano } from "../pricing/money.ts";
import type { Workflow } from "../pipeline/store.ts";
import type { Parsed } from "./args.ts";
import { table } from "./table.ts";
import { alertJson, alertText } from "../daemon/alert_delivery.ts";
import { configFrom } from "./context.ts";
import type { Io } from "./io.ts";
import { asJudged, type CapView, countedNote, openCapView, pauseJson, pauseText } from "./cap_view.ts";

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
  /** The Message Batch its turn waits in: null id while not yet sent. */
  batch: { id: string | null; sentAt: string | null; requests: number } | null;
}

/** The batch a workflow's turn waits in, and the words `status` says of it. */
function batchOf(
  view: CapView,
  w: Workflow,
  now: number,
): { batch: Line["batch"]; said: string } | undefined {
  const open = view.ledger.batches.open(w.id);
  if (!open) return undefined;
  const requests = open.batchId ? view.ledger.batches.sentIn(open.batchId) : 1;
  const said = open.batchId && open.sentTs !== null
    ? `batch ${open.batchId}, sent ${
      Math.round((now - open.sentTs) / 60_000)
    } min ago, ${requests} requests of ours`
    : `recorded ${Math.round((now - open.ts) / 60_000)} min ago, sent at the next pass of run`;
  return {
    batch: {
      id: open.batchId,
      sentAt: open.sentTs === null ? null : new Date(open.sentTs).toISOString(),
      requests,
    },
    said,
  };
}

/** A workflow as `run` will see it: a cap hold the caps in force lift or move is shown so. */
function line(view: CapView, w: Workflow): Line {
  const spend = view.ledger.workflowSpend(w.id);
  const { status, reason, waitUntil } = asJudged(w, view.verdicts.get(w.id));
  const batch = batchOf(view, w, Date.now());
  return {
    id: w.id,
    topic: w.topic,
    stage: w.stage,
    status,
    turns: view.ledger.callCount(w.id),
    costUsd: nanoToUsd(spend.totalNano),
    simulated: spend.simulatedNano > 0,
    reason: batch ? `${reason}; ${batch.said}` : reason,
    waitUntil: waitUntil === null ? null : new Date(waitUntil).toISOString(),
    publishedPath: w.publishedPath,
    models: w.models,
    batch: batch?.batch ?? null,
  };
}

export async function statusCommand(parsed: Parsed, io: Io): Promise<number> {
  const loaded = await configFrom(parsed, io);
  const view = await openCapView(loaded, io);
  const { ledger, store } = view;
  try {
    const id = parsed.positionals[0];
    if (id !== undefined) {
      const detail = line(view, store.get(id));
      const events = store.events(id);
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
          formatUsd(usdToNano(detail.costUsd))
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
    const lines = store.list().map((w) => line(view, w));
    const paused = view.pauses;
    const alerts = await ledger.firedThisPeriod();
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
        `${formatUsd(usdToNano(l.costUsd))}${l.simulated ? " sim" : ""}`,
        l.reason ?? l.publishedPath ?? l.topic.slice(0, 60),
      ]),
    ];
    for (const row of table(rows, ["l", "l", "l", "r", "r", "l"])) io.out(row);
    if (lines.some((l) => l.simulated)) {
      io.out(`sim: ran on the simulated model; ${countedNote(0)}`);
    }
    return 0;
  } finally {
    await ledger.close();
  }
}
