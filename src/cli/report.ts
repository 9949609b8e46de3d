/**
 * `pressroom report [--since 7d] [--agent A] [--json]`: cost per completion,
 * per agent × model figures, cache and caps, from the ledger alone. Real and
 * simulated spend are reported apart.
 * @module
 */
import { AGENT_IDS } from "../config/schema.ts";
import { UsageError, UserInputError } from "../errors.ts";
import { resolve } from "node:path";
import { writeFileAtomic } from "../output/atomic.ts";
import { renderHtml } from "../report/html.ts";
import { parseSince, sinceLabel } from "../report/maths.ts";
import { type BackendReport, buildReport } from "../report/report.ts";
import { MACHINE_HEADER, machineCells, type MachineRow, machineRow } from "../report/machines.ts";
import { type Rollout, rolloutFrom } from "../report/rollout.ts";
import type { Parsed } from "./args.ts";
import { configFrom, openExistingStorage } from "./context.ts";
import type { Io } from "./io.ts";
import { table } from "./table.ts";
import { pct, usd } from "../report/format.ts";

export const reportOptions = {
  since: { type: "string" },
  agent: { type: "string" },
  json: { type: "boolean" },
  html: { type: "string" },
} as const;

export async function reportCommand(parsed: Parsed, io: Io): Promise<number> {
  const agent = parsed.values.agent as string | undefined;
  if (agent !== undefined && !(AGENT_IDS as readonly string[]).includes(agent)) {
    throw new UsageError(`report: --agent must be one of ${AGENT_IDS.join(", ")}`);
  }
  const sinceText = (parsed.values.since as string | undefined) ?? "7d";
  const since = parseSince(sinceText, io.now());
  const loaded = await configFrom(parsed, io);
  const storage = await openExistingStorage(loaded, io);
  let reports: BackendReport[];
  let rollouts: Rollout[];
  let machines: MachineRow[] | undefined;
  try {
    // On a shared ledger every figure is every machine's, and the machine table says which did what.
    machines = (await storage.ledger.shared?.machines(since, agent))?.map(machineRow);
    const queries = await storage.reportsSince(since);
    reports = buildReport(queries, {
      since,
      agent,
      prices: loaded.prices,
      caps: loaded.config.caps,
    });
    rollouts = queries.canaryAgents().filter((a) => agent === undefined || a === agent)
      .flatMap((a) => rolloutFrom(queries, a) ?? []);
  } finally {
    await storage.close();
  }
  const data = {
    since: new Date(since).toISOString(),
    agent: agent ?? null,
    timezone: loaded.config.caps.timezone,
    backends: reports,
    rollouts,
    ...(machines ? { machines } : {}),
  };
  const html = parsed.values.html as string | undefined;
  if (html !== undefined) {
    await writeFileAtomic(resolve(html), renderHtml(data)).catch((error) => {
      throw new UserInputError(`--html ${html}: cannot write: ${(error as Error).message}`, { cause: error });
    });
    if (!parsed.values.json) io.out(`wrote ${html}`);
  }
  if (parsed.values.json) {
    io.out(JSON.stringify(data, null, 2));
    return 0;
  }
  if (html !== undefined) return 0;
  if (!reports.length) {
    io.out(`no model calls since ${new Date(since).toISOString()}`);
    return 0;
  }
  for (const r of reports) {
    printBackend(io, r, { since: sinceLabel(sinceText), agent, timezone: loaded.config.caps.timezone });
  }
  if (machines?.length) printMachines(io, machines);
  for (const r of rollouts) {
    io.out(`canary: ${r.agent} on ${r.canary.model}: ${r.verdict.text} (pressroom rollout)`);
  }
  return 0;
}

interface PrintOptions {
  /** The window as the user gave it: `last 7d`, `since 2026-11-30`. */
  since: string;
  agent: string | undefined;
  timezone: string;
}

function printBackend(io: Io, r: BackendReport, { since, agent, timezone }: PrintOptions): void {
  io.out(
    `== ${
      r.simulated ? "SIMULATED (the demo's simulated model, not real spend)" : "Anthropic API"
    }, ${since}`,
  );
  const c = r.completions;
  io.out(
    `${agent === undefined ? "cost per completion" : `the ${agent}'s cost per completion`} (n=${c.count}): ` +
      `mean ${usd(c.meanUsd)}, p50 ${usd(c.p50Usd)}, p90 ${usd(c.p90Usd)}`,
  );
  if (agent !== undefined) {
    for (const s of r.shareByAgent) {
      io.out(`the ${s.agent}'s share of those workflows' whole cost: ${pct(s.share)} (${usd(s.usd)})`);
    }
  } else if (r.shareByAgent.length) {
    const shares = [...r.shareByAgent].sort((a, b) => agentOrder(a.agent) - agentOrder(b.agent));
    io.out(`share by agent: ${shares.map((s) => `${s.agent} ${pct(s.share)}`).join(", ")}`);
  }
  for (const t of r.trendByDay) io.out(`  ${t.day}: ${t.completions} completed, mean ${usd(t.meanUsd)}`);
  io.out("");
  const rows = [
    [
      "agent",
      "model",
      "calls",
      "$/call",
      "in tok",
      "out tok",
      "tool ok (95% CI, n)",
      "wrong",
      "malformed",
      "logic",
      "retries/compl",
      "turns/compl (n)",
    ],
    ...[...r.agents].sort((a, b) =>
      agentOrder(a.agent) - agentOrder(b.agent) || a.model.localeCompare(b.model)
    ).map((
      a,
    ) => [
      a.agent,
      a.model,
      String(a.calls),
      usd(a.costPerCallUsd),
      String(a.inputTokens),
      String(a.outputTokens),
      `${pct(a.toolAccuracy)} (${pct(a.toolAccuracy95.low)}–${pct(a.toolAccuracy95.high)}, ${a.toolCalls})`,
      String(a.failures.wrong_tool),
      String(a.failures.malformed_args),
      String(a.failures.logic_error),
      a.retriesPerCompletion.toFixed(2),
      `${a.turnsPerCompletion.mean.toFixed(1)} (${a.turnsPerCompletion.n})`,
    ]),
  ];
  for (const line of table(rows, ["l", "l"])) io.out(line);
  for (const a of r.agents.filter((a) => a.batch.share > 0)) {
    io.out(
      `  Message Batches: ${a.agent} on ${a.model}: ${pct(a.batch.share)} of calls, ${
        usd(a.batch.savedUsd)
      } saved against standard prices`,
    );
  }
  io.out("");
  io.out(
    `cache (n=${r.cache.calls} calls): stable blocks read on ${pct(r.cache.stableHitRate)} of calls, ` +
      `${pct(r.cache.tokenHitRate)} of prompt tokens from cache, cache reads saved ${
        usd(r.cache.readSavedUsd)
      }`,
  );
  for (const s of r.cache.coldWritesAfterSwap) {
    io.out(
      `  model swap: ${s.agent} ${s.from} → ${s.to} at ${s.at}, cold write of ${s.writeTokens} tokens ` +
        `(${usd(s.writeUsd)})${s.reason ? `, diagnostics: ${s.reason}` : ""}`,
    );
  }
  cacheTtlLines(io, r.cache);
  for (const c of r.citations) {
    const k = c.perCompletion;
    io.out(
      `citations per completion (${c.agent} on ${c.model}, n=${c.completions}): ${
        k.web_search.toFixed(1)
      } from ` +
        `web search, ${k.source.toFixed(1)} from source files, ${k.unverified.toFixed(1)} unverified` +
        (k.unrecorded ? `, ${k.unrecorded.toFixed(1)} unrecorded` : "") +
        `; ${c.droppedQuotesPerCompletion.toFixed(2)} quotes dropped`,
    );
  }
  io.out("");
  io.out(
    r.simulated
      ? `caps per day (${timezone}): the simulated model's spend, never counted toward the caps`
      : `caps per day (${timezone}): real API spend, which is all the caps count`,
  );
  for (const d of r.caps) {
    const caps = Object.entries(d.byCap).map(([k, v]) => `${k} ${usd(v)}`).join(", ");
    io.out(`  ${d.day}: ${caps}; ${d.refusals} refusals${d.hitCap ? " (hit a cap)" : ""}`);
  }
  if (r.overReservedCalls) {
    io.out(
      `  ${r.overReservedCalls} call(s) booked above their reservation, which can pass a cap: usage the API ` +
        "cannot send (a proxy in between?); `pressroom doctor` names the latest",
    );
  }
  io.out("");
}

/** The TTLs each breakpoint used with what they saved, and the cache misses the API explained. */
function cacheTtlLines(io: Io, cache: BackendReport["cache"]): void {
  if (cache.ttls.length) {
    io.out("");
    io.out("cache TTLs (shared agent conversation; re-priced from the ledger's token counts):");
    const rows = [
      [
        "agent",
        "model",
        "TTLs used (calls)",
        "booked",
        "as chosen",
        "fixed 5m",
        "fixed 1h",
        "saved vs 5m",
        "vs 1h",
      ],
      ...cache.ttls.map((t) => [
        t.agent,
        t.model,
        t.ttls.map((u) => `${u.ttls} (${u.calls})`).join(", "),
        usd(t.cacheUsd),
        usd(t.chosenUsd),
        usd(t.fixed5mUsd),
        usd(t.fixed1hUsd),
        usd(t.savedVs5mUsd),
        usd(t.savedVs1hUsd),
      ]),
    ];
    for (const line of table(rows, ["l", "l", "l"])) io.out(line);
  }
  if (cache.misses.length) {
    io.out("");
    io.out("cache misses the API's diagnostics explained:");
    const rows = [
      ["agent", "model", "reason", "calls", "missed tokens", "cache writes"],
      ...cache.misses.map((
        m,
      ) => [m.agent, m.model, m.reason, String(m.calls), String(m.missedTokens), usd(m.writeUsd)]),
    ];
    for (const line of table(rows, ["l", "l", "l"])) io.out(line);
  }
}

/** Agents in pipeline order, intake first. */
const agentOrder = (agent: string) => AGENT_IDS.indexOf(agent as never);

/** Every machine on the shared ledger: the caps count them all, and the figures above are all of theirs. */
function printMachines(io: Io, machines: MachineRow[]): void {
  io.out("");
  io.out("every machine on the shared ledger (the figures above are all of theirs):");
  const rows = machines.map((m) => machineCells(m).map((c) => c.text));
  for (const line of table([[...MACHINE_HEADER], ...rows], ["l", "l"])) io.out(line);
}
