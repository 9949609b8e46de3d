/**
 * Loading pressroom.json: defaults, path resolution, and one clear error per problem, output limits
 * (maxTokens, maxTokensCeiling, thinking budgets against each other and the model) included.
 */
import { assertEquals, assertRejects, assertThrows } from "../assert.ts";
import { checkOutputLimits, loadConfig } from "../../src/config/load.ts";
import { ConfigError } from "../../src/errors.ts";
import { AGENT_IDS, configJsonSchema, configSchema } from "../../src/config/schema.ts";
import { tempDir } from "../helpers.ts";

const noEnv = { get: (_: string) => undefined };
/** A fixed clock: retirement dates are judged against it, never against the wall date. */
const DEC_1_2026 = () => Date.parse("2026-12-01T12:00:00Z");

async function withConfig(content: string) {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/pressroom.json`, content);
  return dir;
}

async function rejection(content: string, now = DEC_1_2026): Promise<string> {
  const dir = await withConfig(content);
  const error = await assertRejects(() => loadConfig({ cwd: dir, env: noEnv, now }), ConfigError);
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
    "auto",
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
  assertEquals((await loadConfig({ cwd: dir, env })).dataDirFrom, `${dir}/pressroom.json: dataDir`);
  assertEquals((await loadConfig({ cwd: dir, env, dataDir: "d" })).dataDir, `${dir}/d`);
  assertEquals((await loadConfig({ cwd: dir, env, dataDir: "d" })).dataDirFrom, "--data");
  const bare = await tempDir();
  assertEquals((await loadConfig({ cwd: bare, env })).dataDir, "/var/lib/pressroom");
  assertEquals((await loadConfig({ cwd: bare, env })).dataDirFrom, "$STATE_DIRECTORY");
  const plain = await loadConfig({ cwd: bare, env: noEnv });
  assertEquals([plain.dataDir, plain.dataDirFrom], [`${bare}/pressroom-data`, "the default data folder"]);
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
    await rejection(`{"agents": {"editor": {"model": "claude-haiku-4-5", "effort": "high"}}}`),
    "pressroom.json: agents.editor.effort: claude-haiku-4-5 takes no effort setting",
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
  const error = await assertRejects(
    () => loadConfig({ cwd: dir, env: noEnv, configPath: "missing.json" }),
    ConfigError,
    "missing.json",
  );
  assertEquals(error.cause instanceof Deno.errors.NotFound, true, "the cause is kept");
});

Deno.test("a configured model gets its price from config", async () => {
  const dir = await withConfig(JSON.stringify({
    agents: { editor: { model: "my-gateway-model" } },
    prices: { "my-gateway-model": { input: 1, output: 4 } },
  }));
  const { prices } = await loadConfig({ cwd: dir, env: noEnv });
  assertEquals(prices.require("my-gateway-model").rates.output, 4000);
});

/** A JSON Schema node, as far as `configJsonSchema` uses the vocabulary. */
interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  required?: string[];
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
}

/** Where `value` breaks `schema` (the keywords the config schema uses), as `path: problem` lines. */
function schemaProblems(value: unknown, schema: SchemaNode, path = "$"): string[] {
  if (schema.anyOf) {
    return schema.anyOf.some((s) => schemaProblems(value, s, path).length === 0) ? [] : [`${path}: no anyOf`];
  }
  if (schema.enum && !schema.enum.includes(value)) return [`${path}: not in enum`];
  if ("const" in schema && schema.const !== value) return [`${path}: not the const`];
  const kind = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
  const fits = schema.type === undefined || schema.type === kind ||
    (schema.type === "integer" && Number.isInteger(value));
  if (!fits) return [`${path}: ${kind}, not ${schema.type}`];
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) return [`${path}: below minimum`];
    if (schema.maximum !== undefined && value > schema.maximum) return [`${path}: above maximum`];
  }
  if (Array.isArray(value) && schema.items) {
    return value.flatMap((v, i) => schemaProblems(v, schema.items!, `${path}[${i}]`));
  }
  if (kind !== "object") return [];
  const object = value as Record<string, unknown>;
  const missing = (schema.required ?? []).filter((k) => !(k in object)).map((k) => `${path}.${k}: required`);
  return [
    ...missing,
    ...Object.entries(object).flatMap(([key, v]) => {
      const child = schema.properties?.[key] ?? schema.additionalProperties;
      if (child === false || child === undefined) return [`${path}.${key}: unknown field`];
      return child === true ? [] : schemaProblems(v, child, `${path}.${key}`);
    }),
  ];
}

Deno.test("the editor JSON Schema accepts every field the loader fills in, and refuses what the loader refuses", async () => {
  const schema = configJsonSchema() as SchemaNode;
  assertEquals(Object.keys(schema.properties!).sort(), [
    "$schema",
    "agents",
    "alerts",
    "caps",
    "dataDir",
    "ledger",
    "prices",
    "promptsDir",
    "run",
    "webSearchUsdPerRequest",
  ]);
  // Every field with its default, as the loader fills them in: a whole config, which the schema must accept.
  const whole = configSchema.parse({ $schema: "./pressroom.schema.json" });
  assertEquals(Object.keys(whole.agents), [...AGENT_IDS]);
  assertEquals(schemaProblems(whole, schema), []);
  const fuller = {
    ...whole,
    prices: { "my-gateway-model": { input: 1, output: 4 } },
    agents: {
      ...whole.agents,
      writer: { ...whole.agents.writer, thinking: { type: "enabled", budgetTokens: 1024 }, effort: "high" },
      editor: { ...whole.agents.editor, thinking: { type: "adaptive" } },
    },
  };
  assertEquals(schemaProblems(fuller, schema), []);
  // Each of these is refused by the loader with a line naming the field; the schema refuses it at the same path.
  const refused: [config: Record<string, unknown>, path: string][] = [
    [{ dataDirectory: "x" }, "$.dataDirectory: unknown field"],
    [{ caps: { daily: 5 } }, "$.caps.daily: unknown field"],
    [{ caps: { dailyUsd: "20" } }, "$.caps.dailyUsd: string, not number"],
    [{ caps: { dailyUsd: -1 } }, "$.caps.dailyUsd: below minimum"],
    [{ agents: { writer: { modle: "claude-opus-4-7" } } }, "$.agents.writer.modle: unknown field"],
    [{ agents: { writer: { cacheTtl: "2h" } } }, "$.agents.writer.cacheTtl: not in enum"],
    [{ agents: { writer: { pool: 1.5 } } }, "$.agents.writer.pool: number, not integer"],
    [{ agents: { writer: { thinking: { type: "sometimes" } } } }, "$.agents.writer.thinking: no anyOf"],
    [{ agents: { copywriter: {} } }, "$.agents.copywriter: unknown field"],
  ];
  for (const [config, path] of refused) {
    assertEquals(schemaProblems(config, schema), [path], JSON.stringify(config));
    await rejection(JSON.stringify(config));
  }
});

// ---- Output limits: maxTokens, maxTokensCeiling and the thinking budget, against each other and the model ----

const agents = (writer: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ agents: { writer }, ...extra });

Deno.test("a thinking budget not below maxTokens is refused at load, naming the field and the limit", async () => {
  // The config: every call would get a 400 (budget_tokens must be below max_tokens).
  assertEquals(
    await rejection(
      agents({ model: "claude-opus-4-6", thinking: { type: "enabled", budgetTokens: 10_000 } }),
    ),
    "pressroom.json: agents.writer.thinking.budgetTokens: must be below agents.writer.maxTokens (8192)",
  );
  assertEquals(
    await rejection(
      agents({
        model: "claude-sonnet-4-6",
        maxTokens: 4096,
        thinking: { type: "enabled", budgetTokens: 4096 },
      }),
    ),
    "pressroom.json: agents.writer.thinking.budgetTokens: must be below agents.writer.maxTokens (4096)",
  );
  assertEquals(
    await rejection(agents({ model: "claude-opus-4-6", thinking: { type: "enabled", budgetTokens: 1023 } })),
    "pressroom.json: agents.writer.thinking.budgetTokens: Too small: expected number to be >=1024",
  );
});

Deno.test("a thinking budget just below maxTokens loads; adaptive thinking has no budget to check", async () => {
  const dir = await withConfig(JSON.stringify({
    agents: {
      writer: { model: "claude-opus-4-6", thinking: { type: "enabled", budgetTokens: 8191 } },
      editor: { maxTokens: 1024, thinking: { type: "adaptive" } },
    },
  }));
  const { config } = await loadConfig({ cwd: dir, env: noEnv });
  assertEquals(config.agents.writer.thinking, { type: "enabled", budgetTokens: 8191 });
  assertEquals(config.agents.editor.thinking, { type: "adaptive" });
});

Deno.test("maxTokens above the model's maximum output is refused; at the maximum it loads", async () => {
  assertEquals(
    await rejection(agents({ model: "claude-haiku-4-5", maxTokens: 64_001 })),
    "pressroom.json: agents.writer.maxTokens: must be at most 64000, the maximum output of claude-haiku-4-5",
  );
  assertEquals(
    await rejection(agents({ model: "claude-opus-4-5-20251101", maxTokens: 100_000 })),
    "pressroom.json: agents.writer.maxTokens: must be at most 64000, the maximum output of claude-opus-4-5-20251101",
  );
  const dir = await withConfig(agents({ model: "claude-haiku-4-5", maxTokens: 64_000 }));
  const { config } = await loadConfig({ cwd: dir, env: noEnv });
  assertEquals([config.agents.writer.maxTokens, config.agents.writer.maxTokensCeiling], [64_000, 64_000]);
});

Deno.test("a configured maxTokensCeiling must fit between maxTokens and the model's maximum output", async () => {
  assertEquals(
    await rejection(agents({ model: "claude-haiku-4-5", maxTokensCeiling: 100_000 })),
    "pressroom.json: agents.writer.maxTokensCeiling: must be at most 64000, the maximum output of claude-haiku-4-5",
  );
  assertEquals(
    await rejection(agents({ maxTokens: 8000, maxTokensCeiling: 4000 })),
    "pressroom.json: agents.writer.maxTokensCeiling: must be at least agents.writer.maxTokens (8000)",
  );
  const dir = await withConfig(agents({ maxTokens: 8000, maxTokensCeiling: 8000 }));
  assertEquals((await loadConfig({ cwd: dir, env: noEnv })).config.agents.writer.maxTokensCeiling, 8000);
});

Deno.test("the default ceiling (16384) fits the model: lowered to its maximum output, raised to maxTokens", async () => {
  const dir = await withConfig(JSON.stringify({
    agents: {
      writer: { model: "small-gateway-model", maxTokens: 4096 },
      editor: { maxTokens: 32_000 },
    },
    prices: { "small-gateway-model": { input: 1, output: 2, maxOutputTokens: 8192 } },
  }));
  const { config } = await loadConfig({ cwd: dir, env: noEnv });
  assertEquals(config.agents.writer.maxTokensCeiling, 8192, "lowered to the model's maximum output");
  assertEquals(config.agents.editor.maxTokensCeiling, 32_000, "raised to maxTokens");
  assertEquals(config.agents.intake.maxTokensCeiling, 16_384, "kept where it fits");
});

Deno.test("a config price's maxOutputTokens is checked like a built-in one, and overrides it", async () => {
  assertEquals(
    await rejection(agents(
      { model: "small-gateway-model", maxTokens: 9000 },
      { prices: { "small-gateway-model": { input: 1, output: 2, maxOutputTokens: 8192 } } },
    )),
    "pressroom.json: agents.writer.maxTokens: must be at most 8192, the maximum output of small-gateway-model",
  );
  assertEquals(
    await rejection(agents(
      { maxTokens: 4096, maxTokensCeiling: 16_000 },
      { prices: { "claude-opus-4-7": { input: 5, output: 25, maxOutputTokens: 12_000 } } },
    )),
    "pressroom.json: agents.writer.maxTokensCeiling: must be at most 12000, the maximum output of claude-opus-4-7",
  );
  assertEquals(
    await rejection(`{"prices": {"m": {"input": 1, "output": 2, "maxOutputTokens": 0}}}`),
    "pressroom.json: prices.m.maxOutputTokens: Too small: expected number to be >=1",
  );
});

Deno.test("a model only the config knows, without maxOutputTokens, has no output check", async () => {
  const dir = await withConfig(agents(
    { model: "my-gateway-model", maxTokens: 128_000, maxTokensCeiling: 128_000 },
    { prices: { "my-gateway-model": { input: 1, output: 4 } } },
  ));
  const { config, prices } = await loadConfig({ cwd: dir, env: noEnv });
  assertEquals(config.agents.writer.maxTokensCeiling, 128_000);
  assertEquals(prices.require("my-gateway-model").maxOutputTokens, undefined);
});

Deno.test("checkOutputLimits is pure: the ceiling in force, or one ConfigError", () => {
  const agent = { model: "m", maxTokens: 2048, maxTokensCeiling: 16_384, thinking: undefined };
  assertEquals(
    checkOutputLimits("f.json", "writer", agent, { maxOutputTokens: 4096, ceilingSet: false }),
    4096,
  );
  assertEquals(
    checkOutputLimits("f.json", "writer", agent, { maxOutputTokens: undefined, ceilingSet: false }),
    16_384,
  );
  assertThrows(
    () => checkOutputLimits("f.json", "writer", agent, { maxOutputTokens: 4096, ceilingSet: true }),
    ConfigError,
    "f.json: agents.writer.maxTokensCeiling: must be at most 4096, the maximum output of m",
  );
});

Deno.test("a model past its retirement date is refused at load, naming the agent and a replacement", async () => {
  assertEquals(
    await rejection(`{"agents": {"editor": {"model": "claude-sonnet-4-5"}}}`),
    "pressroom.json: agents.editor.model: claude-sonnet-4-5 retired on 2026-11-30 and the API refuses it; " +
      "use claude-sonnet-4-6 instead",
  );
  // The dated id, and on the retirement day itself: the API refuses it from that day.
  assertEquals(
    await rejection(
      `{"agents": {"publisher": {"model": "claude-sonnet-4-5-20250929"}}}`,
      () => Date.parse("2026-11-30T00:00:00Z"),
    ),
    "pressroom.json: agents.publisher.model: claude-sonnet-4-5-20250929 retired on 2026-11-30 and the API " +
      "refuses it; use claude-sonnet-4-6 instead",
  );
  // A config price's retirement date counts too; with no replacement known, the agent's default is named.
  assertEquals(
    await rejection(JSON.stringify({
      agents: { writer: { model: "gateway-old" } },
      prices: { "gateway-old": { input: 1, output: 2, retires: "2026-10-01" } },
    })),
    "pressroom.json: agents.writer.model: gateway-old retired on 2026-10-01 and the API refuses it; " +
      "use claude-opus-4-7 instead",
  );
});

Deno.test("a model before its retirement date, and a config model with no date, load", async () => {
  const dir = await withConfig(JSON.stringify({
    agents: { editor: { model: "claude-sonnet-4-5" }, writer: { model: "gateway-model" } },
    prices: { "gateway-model": { input: 1, output: 2 } },
  }));
  const { config } = await loadConfig({
    cwd: dir,
    env: noEnv,
    now: () => Date.parse("2026-11-29T23:59:59Z"),
  });
  assertEquals([config.agents.editor.model, config.agents.writer.model], [
    "claude-sonnet-4-5",
    "gateway-model",
  ]);
  const later = await loadConfig({ cwd: dir, env: noEnv, now: () => Date.parse("2099-01-01T00:00:00Z") })
    .catch((e: Error) => e.message);
  assertEquals(
    typeof later === "string" && later.includes("agents.editor.model: claude-sonnet-4-5 retired"),
    true,
  );
});

Deno.test("web search takes allowed or blocked domains, not both, and refuses what is not a domain", async () => {
  const research = (webSearch: Record<string, unknown>) =>
    JSON.stringify({ agents: { researcher: { webSearch } } });
  assertEquals(
    await rejection(
      research({ enabled: true, allowedDomains: ["noaa.gov"], blockedDomains: ["example.com"] }),
    ),
    "pressroom.json: agents.researcher.webSearch.blockedDomains: give allowedDomains or blockedDomains, not both",
  );
  assertEquals(
    (await rejection(research({ allowedDomains: ["https://noaa.gov/tides"] }))).startsWith(
      "pressroom.json: agents.researcher.webSearch.allowedDomains[0]: a domain such as example.org (no scheme)",
    ),
    true,
  );
  const dir = await withConfig(
    research({ enabled: true, blockedDomains: ["example.com"], fetch: { enabled: true } }),
  );
  const { config } = await loadConfig({ cwd: dir, env: noEnv, now: DEC_1_2026 });
  assertEquals(config.agents.researcher.webSearch.fetch, {
    enabled: true,
    maxUses: 2,
    maxContentTokens: 20_000,
    version: "web_fetch_20250910",
  });
});

Deno.test("a canary is refused at load when its model is unknown, retired, the agent's own, or its share is not a fraction", async () => {
  const canary = (c: Record<string, unknown>) => agents({ canary: c });
  assertEquals(
    await rejection(canary({ model: "claude-opus-9", share: 0.2 })),
    'pressroom.json: agents.writer.canary.model: unknown model "claude-opus-9": add its price under "prices"',
  );
  assertEquals(
    await rejection(canary({ model: "claude-opus-4-7", share: 0.2 })),
    "pressroom.json: agents.writer.canary.model: is the agent's own model (claude-opus-4-7): nothing to compare",
  );
  for (const share of [0, 1, 1.5]) {
    assertEquals(
      (await rejection(canary({ model: "claude-sonnet-4-6", share }))).startsWith(
        "pressroom.json: agents.writer.canary.share:",
      ),
      true,
      String(share),
    );
  }
  // An output limit the canary's model cannot take is refused as for the agent's own model.
  assertEquals(
    await rejection(agents({ canary: { model: "tiny-model", share: 0.2 } }, {
      prices: { "tiny-model": { input: 1, output: 2, maxOutputTokens: 4096 } },
    })),
    "pressroom.json: agents.writer.maxTokens: must be at most 4096, the maximum output of tiny-model",
  );
  const dir = await withConfig(canary({ model: "claude-sonnet-4-6", share: 0.2 }));
  const { config } = await loadConfig({ cwd: dir, env: noEnv, now: DEC_1_2026 });
  assertEquals(config.agents.writer.canary, { model: "claude-sonnet-4-6", share: 0.2 });
});

Deno.test("the shared ledger: ledger.url, or $PRESSROOM_LEDGER_URL above it; caFile against the config's folder", async () => {
  const dir = await withConfig(
    JSON.stringify({ ledger: { url: "postgres://a@db.example/p", caFile: "ca.pem", machine: "web-1" } }),
  );
  const fromFile = await loadConfig({ cwd: dir, env: noEnv });
  assertEquals(fromFile.sharedLedger, {
    url: "postgres://a@db.example/p",
    from: `${dir}/pressroom.json: ledger.url`,
    caFile: `${dir}/ca.pem`,
    machine: "web-1",
  });
  const env = {
    get: (name: string) => name === "PRESSROOM_LEDGER_URL" ? "postgresql://b@other/q" : undefined,
  };
  const fromEnv = await loadConfig({ cwd: dir, env });
  assertEquals([fromEnv.sharedLedger?.url, fromEnv.sharedLedger?.from], [
    "postgresql://b@other/q",
    "$PRESSROOM_LEDGER_URL",
  ]);
  assertEquals((await loadConfig({ cwd: await tempDir(), env: noEnv })).sharedLedger, null);
});

Deno.test("a shared ledger URL that is not postgres:// is refused at load", async () => {
  assertEquals(
    await rejection(`{"ledger": {"url": "mysql://db/p"}}`),
    "pressroom.json: ledger.url: must start with postgres:// or postgresql://",
  );
});
