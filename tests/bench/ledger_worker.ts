/**
 * One process of the shared-ledger bench (shared_ledger_bench.ts): opens the ledger in --data (and the
 * shared one at --url, if given), waits for --start (epoch ms) so that every process starts together, then
 * times --calls reserve + settle pairs through the chokepoint's own methods and prints their times (ms) as
 * one JSON line.
 * @module
 */
import { parseArgs } from "node:util";
import { Storage } from "../../src/db/storage.ts";
import { SharedLedger } from "../../src/ledger/shared_ledger.ts";
import { USAGE } from "./ledger_bench.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    data: { type: "string" },
    url: { type: "string" },
    name: { type: "string", default: "p" },
    calls: { type: "string", default: "500" },
    warmup: { type: "string", default: "50" },
    start: { type: "string", default: "0" },
  },
});
const caps = {
  dailyUsd: 1e9,
  perModelDailyUsd: { "claude-opus-*": 1e9 },
  perWorkflowUsd: 1e9,
  timezone: "UTC",
};
const ledger = Storage.open({ dataDir: values.data!, caps }).ledger;
if (values.url) {
  ledger.share(
    await SharedLedger.connect({ target: { url: values.url, from: "--url" }, caps, machine: values.name }),
  );
}
const one = async (i: number) => {
  const r = await ledger.reserveCall({
    agentId: "writer",
    workflowId: `wf-${values.name}-${i % 20}`,
    model: i % 2 ? "claude-opus-4-7" : "claude-sonnet-4-6",
    backend: "anthropic",
    worstCaseNano: 50_000_000,
  });
  await ledger.settleCall(r, { status: "ok", usage: USAGE, costNano: 1_000_000 });
};
for (let i = 0; i < Number(values.warmup); i++) await one(i);
const wait = Number(values.start) - Date.now();
if (wait > 0) await new Promise((r) => setTimeout(r, wait));
const times: number[] = [];
const began = performance.now();
for (let i = 0; i < Number(values.calls); i++) {
  const t = performance.now();
  await one(i);
  times.push(performance.now() - t);
}
const wallMs = performance.now() - began;
await ledger.close();
console.log(JSON.stringify({ times, wallMs }));
