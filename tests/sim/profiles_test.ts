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

function measure(family: Family, roles: AgentId[], attempts: number, seed: number) {
  const profile = PROFILES[family];
  const counts: Record<Outcome, number> = { ok: 0, wrong_tool: 0, malformed: 0, logic: 0 };
  const mismatches: string[] = [];
  const rng = createRng(seed);
  let made = 0;
  for (let i = 0; made < attempts; i++) {
    const agent = roles[i % roles.length];
    const state = stateFor(agent);
    const turn = play(agent, afterReads(agent, state), profile, rng);
    if (!turn.outcome) continue; // ended the turn with text: not a tool call
    assertEquals(turn.calls.length, 1);
    const { outcome, text } = classify(agent, turn.calls[0].name, turn.calls[0].input, state);
    if (outcome !== turn.outcome) mismatches.push(`${agent} meant ${turn.outcome}, got ${outcome}: ${text}`);
    counts[outcome]++;
    made++;
  }
  const pct = (n: number) => Math.round((n / attempts) * 1000) / 10;
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

const EXPECTED: Record<Family, Record<Outcome, number>> = {
  sonnet: { ok: 81, wrong_tool: 6, malformed: 9, logic: 4 },
  opus: { ok: 94, wrong_tool: 1, malformed: 3, logic: 2 },
  haiku: { ok: 76, wrong_tool: 8, malformed: 11, logic: 5 },
};

for (const family of ["sonnet", "opus", "haiku"] as const) {
  Deno.test(`profiles: ${family} — ${ATTEMPTS} mutation attempts land near ${EXPECTED[family].ok}% and the split`, () => {
    const { percent, mismatches } = measure(family, ROLES, ATTEMPTS, 42);
    console.log(`  ${family}: ${JSON.stringify(percent)}`);
    assertEquals(mismatches, [], "every mistake is classified as the kind the role meant");
    assert(Math.abs(percent.ok - EXPECTED[family].ok) <= 3, `ok ${percent.ok}%`);
    for (const kind of ["wrong_tool", "malformed", "logic"] as const) {
      assert(Math.abs(percent[kind] - EXPECTED[family][kind]) <= 2, `${kind} ${percent[kind]}%`);
    }
  });
}

Deno.test("profiles: intake and publisher, whose tools have no state rule, fold logic errors into malformed", () => {
  const { percent, mismatches } = measure("sonnet", ["intake", "publisher"], ATTEMPTS, 7);
  console.log(`  sonnet intake+publisher: ${JSON.stringify(percent)}`);
  assertEquals(mismatches, []);
  assertEquals(percent.logic, 0);
  assert(Math.abs(percent.ok - 81) <= 3, `ok ${percent.ok}%`);
  assert(Math.abs(percent.malformed - 13) <= 2.5, `malformed ${percent.malformed}%`);
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
  assertEquals(drawOutcome(PROFILES.sonnet, 0.0), "wrong_tool");
  assertEquals(drawOutcome(PROFILES.sonnet, 0.061), "malformed");
  assertEquals(drawOutcome(PROFILES.sonnet, 0.151), "logic");
  assertEquals(drawOutcome(PROFILES.sonnet, 0.19), "ok");
});
