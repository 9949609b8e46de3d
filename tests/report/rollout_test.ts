/**
 * The rollout verdict on seeded arms whose answer is known: a clearly better canary that costs more, a
 * clearly worse one, a cheaper one no worse, and too little data; and the intervals against worked values.
 */
import { assert, assertAlmostEquals, assertEquals } from "../assert.ts";
import { type ArmWorkflow, rollout } from "../../src/report/rollout.ts";
import { newcombe, t975, welch } from "../../src/report/maths.ts";

/** A seeded generator: the same arms on every run. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function arm(
  kind: ArmWorkflow["arm"],
  n: number,
  o: { model: string; costUsd: number; spreadUsd: number; accuracy: number; seed: number },
): ArmWorkflow[] {
  const rand = lcg(o.seed);
  return Array.from({ length: n }, (_, i) => {
    const toolCalls = 20;
    const toolOk = Array.from({ length: toolCalls }, () => rand() < o.accuracy).filter(Boolean).length;
    const workflowUsd = o.costUsd + (rand() - 0.5) * 2 * o.spreadUsd;
    return {
      id: `${kind}-${i}`,
      arm: kind,
      model: o.model,
      published: true,
      workflowNano: Math.round(workflowUsd * 1e9),
      agentNano: Math.round(workflowUsd * 0.4 * 1e9),
      agentCalls: 3,
      toolCalls,
      toolOk,
      revisions: 0,
      flags: 0,
    };
  });
}

const CONTROL = { model: "claude-opus-4-7", costUsd: 0.20, spreadUsd: 0.03, accuracy: 0.94, seed: 1 };

/** `n` canary workflows like the control but for `canary`, beside `controlN` control workflows. */
const versus = (n: number, canary: Partial<typeof CONTROL>, controlN: number) => [
  ...arm("canary", n, { ...CONTROL, ...canary }),
  ...arm("control", controlN, CONTROL),
];

Deno.test("a clearly better canary that costs more: what it costs and the retry price it pays back at", () => {
  const rows = versus(40, { model: "claude-opus-5", costUsd: 0.24, accuracy: 0.995, seed: 2 }, 60);
  const r = rollout("writer", 0.4, rows);
  assertEquals(r.verdict.kind, "better_costs_more");
  assert(r.difference.toolAccuracy.low > 0);
  assert(r.verdict.text.includes("pays back if a retry costs more than $"), r.verdict.text);
  assertEquals([r.canary.completions, r.control.completions], [40, 60]);
});

Deno.test("a clearly worse canary is told to stop", () => {
  const rows = versus(30, { model: "claude-sonnet-4-6", costUsd: 0.15, accuracy: 0.80, seed: 3 }, 30);
  const r = rollout("writer", 0.5, rows);
  assertEquals(r.verdict.kind, "worse");
  assert(r.verdict.text.endsWith("stop it"), r.verdict.text);
});

Deno.test("a cheaper canary, as accurate: promote it once the accuracy interval stays within two points", () => {
  const cheaper = { model: "claude-sonnet-4-6", costUsd: 0.12, spreadUsd: 0.02 };
  // 30 workflows an arm: 600 tool calls each, an interval about 2.7 points wide either side: not yet.
  const early = rollout("writer", 0.5, versus(30, cheaper, 30));
  assertEquals(early.verdict.kind, "not_enough_data");
  assert(early.verdict.text.includes("would tell whether it is worse"), early.verdict.text);
  assert(early.verdict.moreWorkflows! > 0);
  // 120 an arm: within two points.
  const r = rollout("writer", 0.5, versus(120, cheaper, 120));
  assertEquals(r.verdict.kind, "cheaper_no_worse");
  assert(r.difference.workflowCostPerCompletionUsd.high! < 0);
  assert(r.difference.toolAccuracy.low >= -0.02);
});

Deno.test("too little data: the verdict says so and about how many more workflows would settle it", () => {
  const rows = versus(3, { model: "claude-sonnet-4-6", costUsd: 0.18, accuracy: 0.94, seed: 4 }, 12);
  const r = rollout("writer", 0.2, rows);
  assertEquals(r.verdict.kind, "not_enough_data");
  assert(r.verdict.moreWorkflows! >= 35, `${r.verdict.moreWorkflows}`); // 7 more canary completions at 20 %
  assert(r.verdict.text.startsWith("not enough data yet: 3 completions on the canary"), r.verdict.text);
  // One completion an arm: no spread to go by, no interval, and no number made up.
  const one = rollout("writer", 0.5, versus(1, {}, 1));
  assertEquals([one.difference.workflowCostPerCompletionUsd.low, one.verdict.kind], [
    null,
    "not_enough_data",
  ]);
  assert(
    !JSON.stringify(one).includes("Infinity") && !one.verdict.text.includes("Infinity"),
    one.verdict.text,
  );
});

Deno.test("intervals: Newcombe's worked example and Welch against hand values", () => {
  // Newcombe (1998), table II, example (a): 56/70 against 48/80: 0.0524 to 0.3339.
  const d = newcombe(56, 70, 48, 80);
  assertAlmostEquals(d.low, 0.0524, 0.0005);
  assertAlmostEquals(d.high, 0.3339, 0.0005);
  // t quantiles: the table's 12.706, 4.303 and 2.776 at 1, 2 and 4 degrees of freedom; 2.228 at 10, 2.042 at 30.
  assertEquals([t975(1), t975(2), t975(4)], [12.706, 4.303, 2.776]);
  assert(t975(1.5) < 12.706 && t975(1.5) > 4.303);
  assertAlmostEquals(t975(10), 2.228, 0.005);
  assertAlmostEquals(t975(30), 2.042, 0.002);
  // Two samples with the same spread: the interval is centred on the difference of the means.
  const w = welch([1, 2, 3, 4, 5], [0, 1, 2, 3, 4]);
  assertEquals(w.estimate, 1);
  assertAlmostEquals(w.high! - 1, 1 - w.low!, 1e-12);
});
