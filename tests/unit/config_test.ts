/** Loading pressroom.json: defaults, path resolution, and one clear error per problem. */
import { assertEquals, assertRejects } from "../assert.ts";
import { loadConfig } from "../../src/config/load.ts";
import { ConfigError } from "../../src/errors.ts";
import { configJsonSchema } from "../../src/config/schema.ts";
import { tempDir } from "../helpers.ts";

const noEnv = { get: (_: string) => undefined };

async function withConfig(content: string) {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/pressroom.json`, content);
  return dir;
}

async function rejection(content: string): Promise<string> {
  const dir = await withConfig(content);
  const error = await assertRejects(() => loadConfig({ cwd: dir, env: noEnv }), ConfigError);
  return error.message.replace(`${dir}/`, "");
}

Deno.test("no config file: every field has its default, the field report's model assignment", async () => {
  const dir = await tempDir();
  const { config, file, dataDir } = await loadConfig({ cwd: dir, env: noEnv });
  assertEquals(file, null);
  assertEquals(dataDir, `${dir}/pressroom-data`);
  assertEquals(config.caps, {
    dailyUsd: 20,
    perModelDailyUsd: { "claude-opus-*": 12 },
    perWorkflowUsd: 1,
    timezone: "UTC",
  });
  assertEquals(config.agents.writer.model, "claude-opus-4-7");
  assertEquals(config.agents.editor.model, "claude-sonnet-4-6");
  assertEquals(config.agents.publisher.maxTokens, 2048);
});

Deno.test("a partial config keeps the defaults of what it leaves out", async () => {
  const dir = await withConfig(
    JSON.stringify({ agents: { writer: { model: "claude-sonnet-4-6", pool: 4 } } }),
  );
  const { config } = await loadConfig({ cwd: dir, env: noEnv });
  assertEquals([config.agents.writer.model, config.agents.writer.pool, config.agents.writer.cacheTtl], [
    "claude-sonnet-4-6",
    4,
    "5m",
  ]);
  assertEquals(config.agents.intake.model, "claude-opus-4-7");
});

Deno.test("data folder: --data, then the file's dataDir, then $STATE_DIRECTORY, then ./pressroom-data", async () => {
  const dir = await withConfig(JSON.stringify({ dataDir: "../elsewhere" }));
  const env = { get: (name: string) => name === "STATE_DIRECTORY" ? "/var/lib/pressroom" : undefined };
  const parent = dir.slice(0, dir.lastIndexOf("/"));
  assertEquals(
    (await loadConfig({ cwd: dir, env })).dataDir,
    `${parent}/elsewhere`,
    "relative to the config file",
  );
  assertEquals((await loadConfig({ cwd: dir, env, dataDir: "d" })).dataDir, `${dir}/d`);
  const bare = await tempDir();
  assertEquals((await loadConfig({ cwd: bare, env })).dataDir, "/var/lib/pressroom");
});

Deno.test("each bad config gets one line naming the file, the field and the problem", async () => {
  assertEquals(
    await rejection(`{"agents": {"writer": {"maxTokens": 2.5}}}`),
    "pressroom.json: agents.writer.maxTokens: Invalid input: expected int, received number",
  );
  assertEquals(
    await rejection(`{"caps": {"dailyUsd": -1}}`),
    "pressroom.json: caps.dailyUsd: Too small: expected number to be >=0",
  );
  assertEquals(await rejection(`{"cap": {}}`), 'pressroom.json: unknown field "cap"');
  assertEquals(
    await rejection(`{"agents": {"editor": {"model": "claude-imaginary-9"}}}`),
    'pressroom.json: agents.editor.model: unknown model "claude-imaginary-9": add its price under "prices"',
  );
  assertEquals(
    await rejection(`{"agents": {"intake": {"schedule": "every minute"}}}`),
    "pressroom.json: agents.intake.schedule: not a valid cron expression",
  );
  assertEquals(
    await rejection(`{"caps": {"timezone": "Mars/Olympus"}}`),
    "pressroom.json: caps.timezone: not a known IANA time zone",
  );
  assertEquals(
    await rejection(`{"caps": {"perModelDailyUsd": {"claude-[opus]": 3}}}`),
    'pressroom.json: caps.perModelDailyUsd["claude-[opus]"]: bad key: a model glob may use letters, digits, . _ - : @ * ?',
  );
  assertEquals(
    await rejection(`{"prices": {"m": {"input": 0.0001, "output": 1}}}`),
    "pressroom.json: prices.m.input: a price must be a multiple of 0.001 USD per million tokens",
  );
  assertEquals(
    await rejection(`{"agents": {"editor": {"model": "claude-sonnet-4-5", "effort": "high"}}}`),
    "pressroom.json: agents.editor.effort: claude-sonnet-4-5 takes no effort setting",
  );
  assertEquals(
    await rejection(`{"agents": {"writer": {"thinking": {"type": "enabled", "budgetTokens": 4000}}}}`),
    'pressroom.json: agents.writer.thinking.type: claude-opus-4-7 takes thinking type "adaptive"',
  );
  const broken = await rejection(`{"agents": {`);
  assertEquals(broken.startsWith("pressroom.json: not valid JSON: "), true, broken);
});

Deno.test("a --config file that does not exist is an error, not silent defaults", async () => {
  const dir = await tempDir();
  await assertRejects(
    () => loadConfig({ cwd: dir, env: noEnv, configPath: "missing.json" }),
    ConfigError,
    "missing.json",
  );
});

Deno.test("a configured model gets its price from config", async () => {
  const dir = await withConfig(JSON.stringify({
    agents: { editor: { model: "my-gateway-model" } },
    prices: { "my-gateway-model": { input: 1, output: 4 } },
  }));
  const { prices } = await loadConfig({ cwd: dir, env: noEnv });
  assertEquals(prices.require("my-gateway-model").rates.output, 4000);
});

Deno.test("the editor JSON Schema describes the same fields", () => {
  const schema = configJsonSchema() as { properties: Record<string, unknown> };
  assertEquals(Object.keys(schema.properties).sort(), [
    "$schema",
    "agents",
    "alerts",
    "caps",
    "dataDir",
    "prices",
    "promptsDir",
    "run",
    "webSearchUsdPerRequest",
  ]);
});
