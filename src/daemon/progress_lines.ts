/**
 * Lines the daemon writes as it works, besides each stage's: the live progress line (work by stage,
 * spend against each cap) and a line for each cap hold the caps in force lifted or moved.
 * @module
 */
import { formatUsd } from "../pricing/money.ts";
import { holdReason, type Reconciled } from "../pipeline/cap_holds.ts";
import type { PipelineDeps } from "../pipeline/loop.ts";
import type { Log } from "./log.ts";

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
