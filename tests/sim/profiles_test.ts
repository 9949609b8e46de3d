/**
 * Profile accuracy: thousands of seeded mutation attempts, made by the roles
 * against real states and classified with the real handlers, land within a
 * few points of the field report's figures, failure kind by failure kind.
 */
import { assert, assertEquals } from "../assert.ts";
import type { AgentId } from "../../src/config/schema.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import { drawOutcome, profileFor, PROFILES } from "../../src/sim/profiles.ts";
import type { Family } from "../../src/models/catalog.ts";
import { createRng } from "../../src/sim/rng.ts";
import { afterReads, classify, type Outcome, play, stateFor } from "./harness.ts";

const ATTEMPTS = 2000;
/** Roles whose tools have a state rule to break, so every failure kind can happen. */
const ROLES: AgentId[] = ["planner", "researcher", "writer", "editor"];

/** Every mutation call the role makes over `attempts` calls, classified by the tool layer. */
function measure(family: Family, agent: AgentId, attempts: number, seed: number) {
  const profile = PROFILES[family];
  const counts: Record<Outcome, number> = { ok: 0, wrong_tool: 0, malformed: 0, logic: 0 };
  const mismatches: string[] = [];
  const rng = createRng(seed);
  let made = 0;
  while (made < attempts) {
    const state = stateFor(agent);
    const turn = play(agent, afterReads(agent, state), profile, rng);
    if (!turn.outcomes) continue; // ended the turn with text: not a tool call
    assertEquals(turn.calls.length, turn.outcomes.length);
    turn.calls.forEach((call, i) => {
      const { outcome, text } = classify(agent, call.name, call.input, state);
      const meant = turn.outcomes![i];
      if (outcome !== meant) mismatches.push(`${agent} meant ${meant}, got ${outcome}: ${text}`);
      counts[outcome]++;
      made++;
    });
  }
  const pct = (n: number) => Math.round((n / made) * 1000) / 10;
  return {
    mismatches,
    percent: {
      ok: pct(counts.ok),
      wrong_tool: pct(counts.wrong_tool),
      malformed: pct(counts.malformed),
      logic: pct(counts.logic),
    },
  };
}

/** The profile's rates for one role, in per cent; `fold` moves logic errors into malformed. */
function expected(family: Family, agent: AgentId, fold = false): Record<Outcome, number> {
  const { failures, roleFailureScale } = PROFILES[family];
  const scale = roleFailureScale[agent] ?? 1;
  const wrong_tool = failures.wrong_tool * scale * 100;
  const logic = fold ? 0 : failures.logic * scale * 100;
  const malformed = (failures.malformed + (fold ? failures.logic : 0)) * scale * 100;
  return { ok: 100 - wrong_tool - malformed - logic, wrong_tool, malformed, logic };
}

/** Three standard errors of a rate measured over `n` calls, in points. */
const tolerance = (percent: number, n = ATTEMPTS) =>
  3 * Math.sqrt((percent / 100) * (1 - percent / 100) / n) * 100;
const KINDS = ["ok", "wrong_tool", "malformed", "logic"] as const;

for (const family of ["sonnet", "opus", "haiku"] as const) {
  Deno.test(`profiles: ${family} — ${ATTEMPTS} mutation calls by each role land at the profile's rates for it`, () => {
    const measured = { ok: 0, wrong_tool: 0, malformed: 0, logic: 0 };
    const want = { ok: 0, wrong_tool: 0, malformed: 0, logic: 0 };
    for (const agent of ROLES) {
      const { percent, mismatches } = measure(family, agent, ATTEMPTS, 42);
      assertEquals(mismatches, [], "every mistake is classified as the kind the role meant");
      const rates = expected(family, agent);
      for (const kind of KINDS) {
        measured[kind] += percent[kind] / ROLES.length;
        want[kind] += rates[kind] / ROLES.length;
      }
    }
    const n = ATTEMPTS * ROLES.length;
    for (const kind of KINDS) {
      assert(
        Math.abs(measured[kind] - want[kind]) <= tolerance(want[kind], n),
        `${family} ${kind}: ${measured[kind].toFixed(1)}%, profile ${want[kind].toFixed(1)}%`,
      );
    }
  });
}

Deno.test("profiles: intake and publisher, whose tools have no state rule, fold logic errors into malformed", () => {
  for (const agent of ["intake", "publisher"] as const) {
    const { percent, mismatches } = measure("sonnet", agent, ATTEMPTS, 7);
    const want = expected("sonnet", agent, true);
    assertEquals(mismatches, []);
    assertEquals(percent.logic, 0);
    assert(Math.abs(percent.ok - want.ok) <= tolerance(want.ok), `${agent} ok ${percent.ok}%`);
    assert(
      Math.abs(percent.malformed - want.malformed) <= tolerance(want.malformed),
      `${agent} malformed ${percent.malformed}%`,
    );
  }
});

Deno.test("profiles: chosen by model family, Opus more accurate than Sonnet, Haiku a bit worse", () => {
  const prices = new PriceBook();
  assertEquals(profileFor("claude-opus-4-7", prices).family, "opus");
  assertEquals(profileFor("claude-sonnet-4-5", prices).family, "sonnet");
  assertEquals(profileFor("claude-haiku-4-5-20251001", prices).family, "haiku");
  // A configured model with no family in its name plays Sonnet.
  const custom = new PriceBook({ overrides: { "my-model": { input: 1, output: 2 } } });
  assertEquals(profileFor("my-model", custom).family, "sonnet");
  const ok = (f: Family) => 1 - Object.values(PROFILES[f].failures).reduce((a, b) => a + b, 0);
  assert(ok("opus") > ok("sonnet") && ok("sonnet") > ok("haiku"));
  const rates = {
    ...PROFILES.sonnet,
    failures: { wrong_tool: 0.06, malformed: 0.09, logic: 0.04 },
    roleFailureScale: { intake: 0.5 },
  };
  assertEquals(drawOutcome(rates, 0.0), "wrong_tool");
  assertEquals(drawOutcome(rates, 0.061), "malformed");
  assertEquals(drawOutcome(rates, 0.151), "logic");
  assertEquals(drawOutcome(rates, 0.19), "ok");
  // A role's scale moves every threshold: intake fails half as often.
  assertEquals(drawOutcome(rates, 0.061, "intake"), "malformed");
  assertEquals(drawOutcome(rates, 0.1, "intake"), "ok");
});
