/** Model mixes, the cost histogram and the charts' axis ticks, from rows worked out by hand. */
import { assertEquals } from "../assert.ts";
import { histogram, modelMixes } from "../../src/report/mixes.ts";
import { intervalChart, ticks } from "../../src/report/charts.ts";
import { completionCosts } from "../../src/report/report.ts";

const OPUS = "claude-opus-4-7";
const SONNET = "claude-sonnet-4-6";
const row = (id: string, agent: string, model: string, usd: number) => ({
  id,
  agent,
  model,
  nano: usd * 1e9,
});

Deno.test("completions grouped by the models their agents ran on, labelled by the agent whose model differs", () => {
  const costs = [
    row("a", "intake", OPUS, 0.02),
    row("a", "writer", OPUS, 0.08),
    row("b", "intake", OPUS, 0.02),
    row("b", "writer", OPUS, 0.06),
    row("c", "intake", OPUS, 0.04),
    row("c", "writer", SONNET, 0.04),
    row("d", "intake", OPUS, 1), // not completed
  ];
  const mixes = modelMixes(costs, new Set(["a", "b", "c"]));
  assertEquals(mixes, [
    {
      label: `writer ${OPUS}`,
      models: { intake: OPUS, writer: OPUS },
      completions: 2,
      meanUsd: 0.09,
      agents: [{ agent: "intake", usd: 0.02, share: 2 / 9 }, {
        agent: "writer",
        usd: 0.07,
        share: 7 / 9,
      }],
    },
    {
      label: `writer ${SONNET}`,
      models: { intake: OPUS, writer: SONNET },
      completions: 1,
      meanUsd: 0.08,
      agents: [{ agent: "intake", usd: 0.04, share: 0.5 }, { agent: "writer", usd: 0.04, share: 0.5 }],
    },
  ]);
  assertEquals(modelMixes(costs.slice(0, 4), new Set(["a", "b"]))[0].label, "every completion");
});

Deno.test("the histogram: about √n equal bins from the cheapest to the dearest, every completion counted once", () => {
  const bins = histogram([0.1, 0.1, 0.2, 0.3, 0.5]);
  assertEquals(bins.length, 3);
  assertEquals(bins.map((b) => b.count), [3, 1, 1]);
  assertEquals([bins[0].fromUsd, bins[2].toUsd], [0.1, 0.5]);
  assertEquals(histogram([0.2, 0.2]).map((b) => b.count), [2]);
  assertEquals(histogram([]), []);
});

Deno.test("axis ticks are round numbers that cover the range; a chart marks each row with its interval", () => {
  assertEquals(ticks(0.6, 1), [0.6, 0.7, 0.8, 0.9, 1]);
  assertEquals(ticks(-0.07, 0.07), [-0.05, 0, 0.05]);
  const svg = intervalChart(
    "a",
    "Accuracy",
    [{ label: "writer · m", value: 0.9, low: 0.8, high: 0.95, n: 40 }],
    String,
    [
      0.5,
      1,
    ],
  );
  assertEquals((svg.match(/<g data-row="writer · m">/g) ?? []).length, 1);
  assertEquals(svg.includes("<title>writer · m: 0.9 (0.8 to 0.95, n=40)</title>"), true);
});

Deno.test("with --agent, a workflow whose agent was re-pinned mid-way counts both models' cost", () => {
  const costs = [
    row("a", "writer", OPUS, 0.03),
    row("a", "writer", SONNET, 0.01),
    row("a", "intake", OPUS, 0.02),
  ];
  const { agentNano, totalNano } = completionCosts(costs, new Set(["a"]), "writer");
  assertEquals([agentNano.get("a"), totalNano], [40_000_000, 60_000_000]);
});
