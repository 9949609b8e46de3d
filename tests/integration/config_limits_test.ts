/**
 * Output limits refused at load, through the CLI as a user meets them: a thinking budget not below
 * `maxTokens`, a `maxTokens` or `maxTokensCeiling` above the model's maximum output (built in, or given by
 * a config price), a ceiling below `maxTokens`, and a bad `maxOutputTokens`. Each is exit 2 with one line on
 * stderr naming the file and the field, nothing on stdout and no data folder made; and the default ceiling
 * never makes a config fail for a model whose maximum output is below it.
 */
import { assertEquals } from "../assert.ts";
import { openLedger, runPressroom, tempDir } from "../helpers.ts";

interface Case {
  name: string;
  config: unknown;
  /** The one stderr line after `pressroom: <dir>/pressroom.json: `. */
  err: string;
}

const SMALL = { "small-gateway-model": { input: 1, output: 2, maxOutputTokens: 8192 } };

const CASES: Case[] = [
  {
    name: "a thinking budget above the default maxTokens (the issue's config)",
    config: {
      agents: { writer: { model: "claude-opus-4-6", thinking: { type: "enabled", budgetTokens: 10_000 } } },
    },
    err: "agents.writer.thinking.budgetTokens: must be below agents.writer.maxTokens (8192)",
  },
  {
    name: "a thinking budget equal to maxTokens",
    config: {
      agents: { editor: { maxTokens: 4096, thinking: { type: "enabled", budgetTokens: 4096 } } },
    },
    err: "agents.editor.thinking.budgetTokens: must be below agents.editor.maxTokens (4096)",
  },
  {
    name: "maxTokens above a built-in model's maximum output",
    config: { agents: { publisher: { model: "claude-haiku-4-5", maxTokens: 64_001 } } },
    err: "agents.publisher.maxTokens: must be at most 64000, the maximum output of claude-haiku-4-5",
  },
  {
    name: "a configured ceiling above the model's maximum output",
    config: { agents: { writer: { model: "claude-haiku-4-5", maxTokensCeiling: 100_000 } } },
    err: "agents.writer.maxTokensCeiling: must be at most 64000, the maximum output of claude-haiku-4-5",
  },
  {
    name: "a configured ceiling below maxTokens",
    config: { agents: { researcher: { maxTokens: 8000, maxTokensCeiling: 4000 } } },
    err: "agents.researcher.maxTokensCeiling: must be at least agents.researcher.maxTokens (8000)",
  },
  {
    name: "maxTokens above a config price's maxOutputTokens",
    config: { agents: { intake: { model: "small-gateway-model", maxTokens: 9000 } }, prices: SMALL },
    err: "agents.intake.maxTokens: must be at most 8192, the maximum output of small-gateway-model",
  },
  {
    name: "a configured ceiling above a config price's maxOutputTokens",
    config: { agents: { intake: { model: "small-gateway-model", maxTokensCeiling: 16_384 } }, prices: SMALL },
    err: "agents.intake.maxTokensCeiling: must be at most 8192, the maximum output of small-gateway-model",
  },
  {
    name: "a maxOutputTokens that is not a whole number",
    config: { prices: { "small-gateway-model": { input: 1, output: 2, maxOutputTokens: 8192.5 } } },
    err: 'prices["small-gateway-model"].maxOutputTokens: Invalid input: expected int, received number',
  },
];

async function folder(config: unknown): Promise<string> {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/pressroom.json`, JSON.stringify(config));
  return dir;
}

Deno.test(`output limits refused at load (${CASES.length} cases): exit 2, one line naming the file and field`, async () => {
  const dirs = await Promise.all(CASES.map((c) => folder(c.config)));
  const runs = await Promise.all(dirs.map((dir) => runPressroom(dir, ["caps", "--json"])));
  for (const [i, c] of CASES.entries()) {
    assertEquals(
      { code: runs[i].code, out: runs[i].out, err: runs[i].err },
      { code: 2, out: "", err: `pressroom: ${dirs[i]}/pressroom.json: ${c.err}\n` },
      c.name,
    );
    assertEquals(
      [...Deno.readDirSync(dirs[i])].map((e) => e.name),
      ["pressroom.json"],
      `${c.name}: nothing made`,
    );
  }
});

Deno.test("the default ceiling fits a model whose maximum output is below it: the config loads", async () => {
  const dir = await folder({
    caps: { dailyUsd: 0 },
    agents: { writer: { model: "small-gateway-model", maxTokens: 4096 } },
    prices: SMALL,
  });
  openLedger(`${dir}/pressroom-data`).close();
  const run = await runPressroom(dir, ["caps", "--json"]);
  assertEquals([run.code, run.err], [0, ""]);
  assertEquals(JSON.parse(run.out).caps[0].limitUsd, 0);
});
