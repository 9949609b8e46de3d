/**
 * The simulated model holds the field report's figures on the reference workload (tests/reference_workload.ts):
 * every figure it pins lands in its band under the report's three stacks, seeded, so that `demo`, `project`
 * and the cost bench stand on a model that behaves like the stack the report measured.
 */
import { assert, assertEquals } from "../assert.ts";
import { calibrationChecks, NOT_PINNED, referenceMixes } from "../reference_workload.ts";

Deno.test("the reference workload reproduces the field report's figures within their bands", async () => {
  const checks = calibrationChecks(await referenceMixes());
  const off = checks.filter((c) => !c.notPinned && Math.abs(c.measured - c.expected) > c.tolerance)
    .map((c) =>
      `${c.figure}: ${c.measured.toFixed(c.digits)}, expected ${c.expected} ±${c.tolerance.toFixed(c.digits)}`
    );
  assertEquals(off, []);
  // Each figure left unpinned is one the report gives, and says why.
  const shown = new Set(checks.map((c) => c.figure));
  for (const figure of Object.keys(NOT_PINNED)) assert(shown.has(figure), `${figure} is not a report figure`);
  assertEquals(checks.filter((c) => !c.notPinned).length, 16);
});
