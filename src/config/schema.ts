/**
 * The `pressroom.json` schema: zod is the single definition; defaults fill every
 * field, and `z.toJSONSchema` derives the editor schema from it.
 * @module
 */
import { z } from "zod";
import { Cron } from "croner";
import { isUtc } from "../ledger/period.ts";
import { perMTokToNanoPerToken } from "../pricing/money.ts";
import { CACHE_TTLS } from "../pricing/cost.ts";
import { MIN_THINKING_BUDGET, WEB_FETCH_TYPES, WEB_SEARCH_TYPES } from "../claude/request.ts";
import { AGENTS } from "../pipeline/agents.ts";
import { CITATION_MODES } from "../pipeline/provenance.ts";

/** The six agents, in pipeline order. */
export const AGENT_IDS = ["intake", "planner", "researcher", "writer", "editor", "publisher"] as const;
export type AgentId = typeof AGENT_IDS[number];

const cronExpression = z.string().refine((expr) => {
  try {
    new Cron(expr, { paused: true });
    return true;
  } catch {
    return false;
  }
}, { message: "not a valid cron expression" });

const timezone = z.string().refine((tz) => {
  if (isUtc(tz)) return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, { message: "not a known IANA time zone" });

const usd = z.number().nonnegative().finite();

/**
 * A domain for web search's allowed or blocked list: `example.org`, `docs.example.org`, an IDN's punycode
 * (`xn--80ak6aa92e.xn--p1ai`), optionally with a path (`example.com/blog`), as the API takes them; no scheme.
 */
const domain = z.string().regex(
  /^(?=[^/]{1,253}(\/|$))([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+(xn--[a-z0-9-]{1,59}|[a-z]{2,63})(\/\S*)?$/i,
  "a domain such as example.org (no scheme)",
);
const perMTok = usd.refine((p) => perMTokToNanoPerToken(p) !== undefined, {
  message: "a price must be a multiple of 0.001 USD per million tokens",
});

/** Model globs use `*` and `?` only, so that they mean the same everywhere. */
const modelGlob = z.string().regex(
  /^[A-Za-z0-9._:*?@-]+$/,
  "a model glob may use letters, digits, . _ - : @ * ?",
);

/** `maxTokensCeiling` when the config leaves it out (the loader fits it to the model: see load.ts). */
export const DEFAULT_MAX_TOKENS_CEILING = 16_384;

const maxTokensField = z.int().min(1).max(128_000)
  .describe("max_tokens of each call; at most the model's maximum output");

const agentSchema = z.strictObject({
  model: z.string().min(1),
  schedule: cronExpression.default("* * * * *"),
  pool: z.int().min(1).max(64).default(2),
  maxTurns: z.int().min(1).max(200).default(16),
  maxTokens: maxTokensField.default(2048),
  maxTokensCeiling: z.int().min(1).max(128_000).default(DEFAULT_MAX_TOKENS_CEILING)
    .describe(
      "the highest max_tokens a turn cut off inside a tool call is retried with (doubling from maxTokens); " +
        "at least maxTokens and at most the model's maximum output. Left out: 16384, lowered to the " +
        "model's maximum output and raised to maxTokens where needed",
    ),
  maxConsecutiveFailures: z.int().min(1).max(50).default(4)
    .describe("turns in a row whose tool calls all failed before the workflow is stuck"),
  cacheTtl: z.enum(["auto", ...CACHE_TTLS]).default("auto").describe(
    "prompt-cache lifetime of the agent's breakpoints: auto chooses 5m or 1h per breakpoint from the " +
      "ledger's traffic (1h for Message Batches); 5m or 1h fixes it",
  ),
  effort: z.enum(["low", "medium", "high", "xhigh", "max"]).optional()
    .describe("output_config.effort, where the model takes it"),
  thinking: z.union([
    z.strictObject({ type: z.literal("adaptive") }),
    // The API's rule (ThinkingConfigEnabled.budget_tokens): at least 1024 and below max_tokens; the second
    // half needs maxTokens, so the loader checks it.
    z.strictObject({ type: z.literal("enabled"), budgetTokens: z.int().min(MIN_THINKING_BUDGET) }),
  ]).optional().describe("extended thinking, where the model takes it; budgetTokens below maxTokens"),
  batch: z.boolean().default(false).describe(
    "send the agent's turns through Message Batches, at half price: each turn waits for its batch",
  ),
  strict: z.boolean().default(false).describe(
    "offer the tools with strict: true (names, types, required fields and enums guaranteed); agents on " +
      "strict share their own cached tools prefix",
  ),
  citations: z.enum(CITATION_MODES).default("flag").describe(
    "a citation whose address no web search of its stage returned (nor a source file): flag keeps it marked " +
      "unverified, require refuses it, allow keeps it unmarked",
  ),
  canary: z.strictObject({
    model: z.string().min(1),
    share: z.number().gt(0).lt(1).describe("the share of new workflows that get the canary model (0 to 1)"),
  }).optional().describe(
    "try another model on a share of new workflows, each pinned for its life; `pressroom rollout` compares " +
      "the arms",
  ),
  webSearch: z.strictObject({
    enabled: z.boolean().default(false),
    maxUses: z.int().min(1).max(20).default(3),
    version: z.enum(WEB_SEARCH_TYPES).default(WEB_SEARCH_TYPES[0]).describe("the web search tool's version"),
    allowedDomains: z.array(domain).min(1).max(100).optional()
      .describe("search (and fetch) only these domains; not with blockedDomains"),
    blockedDomains: z.array(domain).min(1).max(100).optional()
      .describe("never these domains; not with allowedDomains"),
    fetch: z.strictObject({
      enabled: z.boolean().default(false),
      maxUses: z.int().min(1).max(20).default(2),
      maxContentTokens: z.int().min(1_000).max(100_000).default(20_000)
        .describe("the most tokens one fetched page brings into the context (what a reservation assumes)"),
      version: z.enum(WEB_FETCH_TYPES).default(WEB_FETCH_TYPES[0]),
    }).prefault({}).describe(
      "web fetch: the agent may read in full an address that appeared in the conversation",
    ),
  }).refine((w) => !(w.allowedDomains && w.blockedDomains), {
    message: "give allowedDomains or blockedDomains, not both",
    path: ["blockedDomains"],
  }).prefault({}),
});
export type AgentConfig = z.infer<typeof agentSchema>;

/** Each agent's model when the config names none, as its definition says (pipeline/agents.ts). */
export const DEFAULT_MODELS = Object.fromEntries(
  AGENT_IDS.map((id) => [id, AGENTS[id].defaultModel]),
) as Record<AgentId, string>;

const agentsShape = Object.fromEntries(
  AGENT_IDS.map((id) => [
    id,
    agentSchema.extend({ maxTokens: maxTokensField.default(AGENTS[id].defaultMaxTokens) })
      .partial({ model: true }).prefault({}),
  ]),
) as Record<AgentId, z.ZodPrefault<ReturnType<typeof agentSchema.partial<{ model: true }>>>>;

const priceSchema = z.strictObject({
  input: perMTok,
  output: perMTok,
  cacheWrite5m: perMTok.optional(),
  cacheWrite1h: perMTok.optional(),
  cacheRead: perMTok.optional(),
  minCacheTokens: z.int().min(0).optional(),
  retires: z.iso.date().optional(),
  maxOutputTokens: z.int().min(1).optional()
    .describe(
      "the highest max_tokens the model takes; agents' maxTokens and maxTokensCeiling are checked against it",
    ),
});
export type PriceOverride = z.infer<typeof priceSchema>;

/** A folder path: a NUL byte would end it early at the operating system. */
const folderPath = z.string().min(1).refine((p) => !p.includes("\0"), {
  message: "a path may not contain a NUL character",
});

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  dataDir: folderPath.default("./pressroom-data"),
  promptsDir: folderPath.default("./prompts"),
  caps: z.strictObject({
    dailyUsd: usd.default(20),
    perModelDailyUsd: z.record(modelGlob, usd).default({ "claude-opus-*": 12 }),
    perWorkflowUsd: usd.default(1),
    timezone: timezone.default("UTC"),
  }).prefault({}),
  agents: z.strictObject(agentsShape).prefault({}),
  prices: z.record(z.string().min(1), priceSchema).default({}),
  alerts: z.strictObject({
    /** Percentages of each daily cap; per cap name, or `default` for the rest. */
    thresholds: z.record(z.string(), z.array(z.int().min(1).max(100)).max(10)).default({ default: [80] }),
    command: z.array(z.string().min(1)).min(1).optional()
      .describe('argv of a command run with the alert as JSON on stdin, e.g. ["/usr/local/bin/notify"]'),
    url: z.url({ protocol: /^https?$/ }).optional()
      .describe("POSTed the alert as JSON; its host must be in the permission set"),
  }).prefault({}),
  run: z.strictObject({
    maxConcurrent: z.int().min(1).max(256).default(6).describe("stages worked at once, over all agents"),
    graceSeconds: z.number().min(0).max(3600).default(30)
      .describe("on SIGTERM/SIGINT, how long calls in flight may finish before they are cut off"),
    leaseMinutes: z.number().min(1).max(1440).default(30)
      .describe("how long a claim on a workflow lasts without renewal (a dead process's claims end at once)"),
    pollSeconds: z.number().min(0.1).max(3600).default(5).describe(
      "how often `run` looks at the inbox and the config",
    ),
    wakeOnHandoff: z.boolean().default(true).describe(
      "wake the next agent as soon as a stage hands a workflow on; false: agents work only at their " +
        "schedule's times, as cron-driven pipelines do",
    ),
    batchPollSeconds: z.number().min(1).max(3600).default(60).describe(
      "how often open Message Batches are polled (agents with `batch` on)",
    ),
    onceWaitSeconds: z.number().min(0).max(3600).default(120).describe(
      "how long `run --once`, with nothing else to do, waits for waits that end within it " +
        "(a retry after an API error, calls in flight settling)",
    ),
  }).prefault({}),
  webSearchUsdPerRequest: usd.optional(),
  ledger: z.strictObject({
    url: z.string().regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://").optional()
      .describe(
        "the shared ledger in PostgreSQL, e.g. postgres://pressroom@db.example/pressroom?sslmode=require " +
          "($PRESSROOM_LEDGER_URL wins; the password is best left to $PGPASSWORD); default: SQLite in dataDir",
      ),
    caFile: folderPath.optional().describe(
      "PEM file of the CA that signed the database server's certificate",
    ),
    machine: z.string().min(1).max(100).optional()
      .describe("this host's name in the shared ledger's rows and reports (default: the host name)"),
  }).prefault({}),
}).transform((raw) => ({
  ...raw,
  agents: Object.fromEntries(
    AGENT_IDS.map((id) => [id, { ...raw.agents[id], model: raw.agents[id].model ?? DEFAULT_MODELS[id] }]),
  ) as Record<AgentId, AgentConfig>,
}));

export type Config = z.output<typeof configSchema>;
export type CapsConfig = Config["caps"];

/** The JSON Schema editors use to check `pressroom.json` as it is typed. */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" });
}
