/**
 * `pressroom caps [--json]`: each cap with its limit, today's real API spend,
 * open reservations, what is left, and when it resets; the agents a cap
 * paused, judged against the caps in force as `run` and `status` judge them.
 * @module
 */
import { formatUsd, nanoToUsd, usdToNano } from "../pricing/money.ts";
import type { CapStatus } from "../ledger/ledger.ts";
import type { Pause } from "../pipeline/store.ts";
import type { Parsed } from "./args.ts";
import { table } from "./table.ts";
import { configFrom } from "./context.ts";
import type { Io } from "./io.ts";
import { countedNote, openCapView, pauseJson, pauseText } from "./cap_view.ts";

export const capsOptions = { json: { type: "boolean" } } as const;

export async function capsCommand(parsed: Parsed, io: Io): Promise<number> {
  const loaded = await configFrom(parsed, io);
  const view = await openCapView(loaded, io);
  let caps: CapStatus[];
  let simulatedNano: number;
  const paused: Pause[] = view.pauses;
  try {
    caps = view.ledger.capStatus();
    simulatedNano = view.ledger.simulatedSpentTodayNano();
  } finally {
    await view.close();
  }
  const perWorkflow = loaded.config.caps.perWorkflowUsd;
  if (parsed.values.json) {
    io.out(JSON.stringify(
      {
        timezone: loaded.config.caps.timezone,
        counts: "anthropic",
        simulatedSpentTodayUsd: nanoToUsd(simulatedNano),
        caps: caps.map((c) => ({
          cap: c.cap,
          limitUsd: nanoToUsd(c.limitNano),
          spentUsd: nanoToUsd(c.spentNano),
          reservedUsd: nanoToUsd(c.reservedNano),
          leftUsd: nanoToUsd(c.leftNano),
          resetsAt: c.resetsAt === null ? null : new Date(c.resetsAt).toISOString(),
        })),
        perWorkflowUsd: perWorkflow,
        paused: paused.map(pauseJson),
      },
      null,
      2,
    ));
    return 0;
  }
  const rows = [
    ["cap", "limit", "spent today", "reserved", "left", "resets"],
    ...caps.map((c) => [
      c.cap,
      formatUsd(c.limitNano),
      formatUsd(c.spentNano),
      formatUsd(c.reservedNano),
      formatUsd(c.leftNano),
      c.resetsAt === null ? "never" : new Date(c.resetsAt).toISOString(),
    ]),
  ];
  for (const line of table(rows)) io.out(line);
  io.out(`daily caps: days run midnight to midnight in ${loaded.config.caps.timezone}`);
  io.out(`perWorkflowUsd: ${formatUsd(usdToNano(perWorkflow))} per workflow, never resets`);
  io.out(countedNote(simulatedNano));
  for (const p of paused) io.out(pauseText(p));
  return 0;
}
