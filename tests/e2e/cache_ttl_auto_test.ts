/**
 * `cacheTtl: "auto"` over a simulated day of agents woken every 15 minutes by cron alone: the first calls
 * go by the schedule, then by the ledger's traffic, which gives the shared prefix (read by one agent or
 * another every quarter hour) 1h, and each agent's own prefix and turns (its calls come in bursts) 5m; `report` shows what that saved against a fixed 5m. And `run.wakeOnHandoff: false` leaves a
 * handed-on workflow to the next agent's cron time.
 */
import { assert, assertEquals } from "../assert.ts";
import { AGENT_IDS } from "../../src/config/schema.ts";
import type { CallTime } from "../../src/ledger/ledger.ts";
import { runPipeline } from "../sim_pipeline.ts";
import { REFERENCE_DAY } from "../bench/cost_bench.ts";
import { SHARED_PREFIX } from "../../src/report/cache_ttls.ts";

async function day(wakeOnHandoff: boolean) {
  let calls: CallTime[] = [];
  const result = await runPipeline({
    workflows: 12,
    seed: 7,
    fixedIds: true,
    day: { ...REFERENCE_DAY, arrivalsMs: REFERENCE_DAY.arrivalsMs.slice(0, 12) },
    config: {
      caps: { dailyUsd: 1e6, perModelDailyUsd: {}, perWorkflowUsd: 1e3 },
      agents: Object.fromEntries(AGENT_IDS.map((a) => [a, { schedule: "*/15 * * * *" }])),
      run: { wakeOnHandoff },
    },
    inspect: (ledger) => calls = ledger.callTimes(0, "sim"),
  });
  // How long each handed-on stage waited: from its workflow's call before to its own first call.
  const waits = calls.flatMap((c, i) => {
    if (c.turn !== 1 || c.agentId === "intake") return [];
    const before = calls.slice(0, i).findLast((b) => b.workflowId === c.workflowId);
    return before ? [c.ts - before.ts] : [];
  }).sort((a, b) => a - b);
  return { result, medianWait: waits[Math.floor(waits.length / 2)] };
}

Deno.test("woken every 15 minutes with TTL auto: the shared prefix takes 1h, the agents' own 5m, and report shows the saving", async () => {
  const { result, medianWait } = await day(false);
  const ttls = result.report.cache.ttls;
  const shared = ttls.filter((t) => t.agent === SHARED_PREFIX);
  assert(shared.length > 0, "no shared prefix row");
  for (const row of shared) assertEquals(row.ttls[0].ttls, "1h", `${row.model}`);
  // Each agent's own calls come in bursts (a wake's workflows) hours apart: its own prefix keeps 5m once the
  // ledger shows it, while the shared prefix, read by a different agent every quarter hour, keeps 1h.
  const intake = ttls.find((t) => t.agent === "intake")!;
  assertEquals(intake.ttls[0].ttls, "5m 5m");
  assert(
    intake.chosenUsd < intake.fixed1hUsd,
    `intake $${intake.chosenUsd} against 1h $${intake.fixed1hUsd}`,
  );
  const saved = ttls.reduce((n, t) => n + t.savedVs5mUsd, 0);
  const savedVs1h = ttls.reduce((n, t) => n + t.savedVs1hUsd, 0);
  assert(saved > 0 && savedVs1h > 0, `saved $${saved} against 5m, $${savedVs1h} against 1h`);
  // Handed on between wakes, a stage waits for its agent's next quarter hour.
  assert(medianWait >= 2 * 60_000, `median wait ${medianWait} ms`);
});

Deno.test("with wakeOnHandoff (the default) the next agent starts as soon as a stage hands the workflow on", async () => {
  const { medianWait } = await day(true);
  assert(medianWait < 60_000, `median wait ${medianWait} ms`);
});
