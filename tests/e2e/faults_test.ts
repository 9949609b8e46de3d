/**
 * API faults from the simulated model while the pipeline runs: 429 with
 * retry-after, 529, 500, timeouts, malformed bodies, usage missing. The run
 * survives, records what happened, and each workflow continues or waits.
 */
// deno-lint-ignore-file no-explicit-any
import { assert, assertEquals } from "../assert.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import { startHarness } from "./harness.ts";
import { rawDb } from "../helpers.ts";

Deno.test("the pipeline rides out every kind of API fault and records each one", async () => {
  const faults: Record<number, any> = {
    2: { kind: "rate_limit", retryAfterMs: 20 },
    5: "overloaded",
    9: "server_error",
    14: "missing_usage",
    20: "malformed_body",
  };
  let now = Date.parse("2026-11-24T10:00:00Z");
  const h = await startHarness({
    now: () => now,
    script: (agent) =>
      agent === "editor" ? { calls: [{ name: "promote_to_published", input: {} }] } : undefined,
    sim: { faults: { script: (n) => faults[n] } },
  });
  try {
    const ids = [0, 1].map((i) => h.deps.store.create({ topic: `Faults ${i}` }, DEFAULT_MODELS).id);
    // Transient errors that outlast the SDK's retries make a workflow wait a minute; run again after it.
    for (let pass = 0; pass < 5 && ids.some((id) => h.deps.store.get(id).status !== "published"); pass++) {
      await h.run();
      now += 61_000;
    }
    assertEquals(ids.map((id) => h.deps.store.get(id).status), ["published", "published"]);
    const rows = rawDb(h.deps.ledger).prepare(
      "SELECT status, attempts, error, cost_nano_usd, reserved_nano_usd FROM ai_call_log",
    )
      .all() as any[];
    assert(rows.some((r) => r.attempts > 1), "the SDK retried under one reservation");
    const noUsage = rows.find((r) => String(r.error).includes("no usage"));
    assert(
      noUsage && noUsage.cost_nano_usd === noUsage.reserved_nano_usd,
      "a response without usage is booked at its worst case",
    );
    assertEquals(h.deps.ledger.openReservations(), 0);
    assertEquals(h.api.requests.flatMap((r) => r.problems), []);
  } finally {
    await h.close();
  }
});
