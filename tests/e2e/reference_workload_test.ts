/**
 * The simulated model holds the field report's figures on the reference workload (tests/reference_workload.ts):
 * every figure it pins lands in its band under the report's three stacks, seeded, so that `demo`, `project`
 * and the cost bench stand on a model that behaves like the stack the report measured.
 */
import { assert, assertEquals } from "../assert.ts";
import { calibrationChecks, NOT_PINNED, referenceMixes, stableHitChecks } from "../reference_workload.ts";
import { costRuns, ROWS } from "../bench/cost_bench.ts";

Deno.test("the reference workload reproduces the field report's figures within their bands", async () => {
  const checks = calibrationChecks(await referenceMixes());
  const off = checks.filter((c) => !c.notPinned && Math.abs(c.measured - c.expected) > c.tolerance)
    .map((c) =>
      `${c.figure}: ${c.measured.toFixed(c.digits)}, expected ${c.expected} ±${c.tolerance.toFixed(c.digits)}`
    );
  assertEquals(off, []);
  // Each figure left unpinned is one the report gives, and says why.
  const shown = new Set([...checks, ...stableHitChecks({ segmented: 0, oneBlock: 0 })].map((c) => c.figure));
  for (const figure of Object.keys(NOT_PINNED)) assert(shown.has(figure), `${figure} is not a report figure`);
  assertEquals(checks.filter((c) => !c.notPinned).length, 16);
});

Deno.test("over the reference day, the report's own stack hits its stable block as the report measured, and Pressroom's defaults cost less per completion with the caps holding", async () => {
  const [report, pressroom] = await costRuns([ROWS[0], ROWS[2]]);
  const [segmented] = stableHitChecks({ segmented: report.stableHitRate, oneBlock: 0 });
  assert(
    Math.abs(segmented.measured - segmented.expected) <= segmented.tolerance,
    `stable-block hit rate ${segmented.measured}, the report's ${segmented.expected}`,
  );
  // The same work gets done either way: nine in ten workflows or more reach publication.
  assertEquals(pressroom.completions, report.completions);
  assert(report.completions >= 54, `${report.completions} completions`);
  assert(
    pressroom.mean < report.mean,
    `Pressroom $${pressroom.mean} against the report's stack $${report.mean}`,
  );
  for (const row of [report, pressroom]) {
    assert(row.maxDaySpendUsd <= row.capUsd, `${row.name}: $${row.maxDaySpendUsd}`);
  }
});

Deno.test("Message Batches on the reference day's first 12 workflows: at most 60 % of Pressroom's synchronous defaults per completion, the caps holding", async () => {
  const [defaults, batched] = await costRuns([ROWS[2], ROWS[3]], { workflows: 12 });
  assertEquals(batched.completions, defaults.completions);
  assert(batched.mean <= 0.6 * defaults.mean, `batches $${batched.mean} against $${defaults.mean}`);
  assert(batched.maxDaySpendUsd <= batched.capUsd);
});

Deno.test("TTL auto on the reference day's first 24 workflows: the cheaper fixed TTL woken every minute, below both woken every 15 minutes", async () => {
  const rows = ROWS.filter((r) => r.name.includes("woken every"));
  assertEquals(rows.length, 6);
  const [min5m, min1h, minAuto, q5m, q1h, qAuto] = await costRuns(rows, { workflows: 24 });
  for (const row of [min5m, min1h, minAuto, q5m, q1h, qAuto]) {
    assertEquals(row.completions, min5m.completions, row.name);
    assert(row.maxDaySpendUsd <= row.capUsd, `${row.name}: $${row.maxDaySpendUsd}`);
  }
  // Woken every minute, the stages' calls are a minute apart: 5m is the cheaper fixed TTL, and auto keeps it.
  assert(min5m.mean < min1h.mean, `5m $${min5m.mean}, 1h $${min1h.mean}`);
  assert(minAuto.mean <= 1.02 * min5m.mean, `auto $${minAuto.mean} against 5m $${min5m.mean}`);
  // Woken every 15 minutes, the stable prefixes want 1h and each stage's turns 5m: auto is below both.
  assert(qAuto.mean < Math.min(q5m.mean, q1h.mean), `auto $${qAuto.mean}, 5m $${q5m.mean}, 1h $${q1h.mean}`);
});
