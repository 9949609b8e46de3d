/**
 * `pressroom caps [--json]`: each cap with its limit, today's spend, open
 * reservations, what is left, and when it resets.
 * @module
 */
import { formatUsd, nanoToUsd } from "../ledger/money.ts";
import type { CapStatus } from "../ledger/ledger.ts";
import type { Parsed } from "./args.ts";
import { table } from "./table.ts";
import { configFrom, type Io, openLedger } from "./context.ts";

export const capsOptions = { json: { type: "boolean" } } as const;

export async function capsCommand(parsed: Parsed, io: Io): Promise<number> {
  const loaded = await configFrom(parsed, io);
  const ledger = openLedger(loaded, io);
  let caps: CapStatus[];
  try {
    caps = ledger.capStatus();
  } finally {
    ledger.close();
  }
  const perWorkflow = loaded.config.caps.perWorkflowUsd;
  if (parsed.values.json) {
    io.out(JSON.stringify(
      {
        timezone: loaded.config.caps.timezone,
        caps: caps.map((c) => ({
          cap: c.cap,
          limitUsd: nanoToUsd(c.limitNano),
          spentUsd: nanoToUsd(c.spentNano),
          reservedUsd: nanoToUsd(c.reservedNano),
          leftUsd: nanoToUsd(c.leftNano),
          resetsAt: c.resetsAt === null ? null : new Date(c.resetsAt).toISOString(),
        })),
        perWorkflowUsd: perWorkflow,
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
  io.out(`perWorkflowUsd: $${perWorkflow} per workflow (days in ${loaded.config.caps.timezone})`);
  return 0;
}
