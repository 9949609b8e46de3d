/**
 * Loading `pressroom.json`: parse, validate against the schema, resolve paths
 * relative to the file's folder, and check every configured model against the
 * price book: its price, the effort and thinking it takes, and the output
 * limits (`maxTokens`, `maxTokensCeiling`, a thinking budget) the API would
 * otherwise refuse on every call. Any problem is one ConfigError naming the
 * file and field.
 * @module
 */
import { dirname, resolve } from "node:path";
import { hostname } from "node:os";
import type { z } from "zod";
import { ConfigError, UsageError, UserInputError } from "../errors.ts";
import { PriceBook } from "../models/price_book.ts";
import { retirementDay } from "../models/retirement.ts";
import { checkAgentModel } from "./agent_model.ts";
import type { PgTarget } from "../db/postgres.ts";
import { AGENT_IDS, type AgentConfig, type AgentId, type Config, configSchema } from "./schema.ts";

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file, or null when none exists and defaults apply. */
  file: string | null;
  dataDir: string;
  /** Where `dataDir` came from (`--data`, the file's field, `$STATE_DIRECTORY`…), for messages about it. */
  dataDirFrom: string;
  promptsDir: string;
  prices: PriceBook;
  /** The shared ledger (PostgreSQL) when `ledger.url` or $PRESSROOM_LEDGER_URL names one, else null. */
  sharedLedger: SharedLedgerTarget | null;
}

/** Where the shared ledger is, and what this host is called in it. */
export interface SharedLedgerTarget extends PgTarget {
  machine: string;
}

/** What this host is called in the shared ledger's rows: `ledger.machine`, else the host name. */
export function machineName(config: Pick<Config, "ledger">): string {
  return config.ledger.machine ?? hostname();
}

/** The environment variable that points the ledger at PostgreSQL, above the config's `ledger.url`. */
export const LEDGER_URL_ENV = "PRESSROOM_LEDGER_URL";

export interface LoadOptions {
  /** `--config`; when absent, `./pressroom.json` if it exists. */
  configPath?: string;
  /** `--data`, which beats everything. */
  dataDir?: string;
  env?: { get(name: string): string | undefined };
  cwd?: string;
  /** The clock a model's retirement date is judged against (tests pass a fixed one). */
  now?: () => number;
}

export const DEFAULT_CONFIG_FILE = "pressroom.json";

/** A config this large is not one a person wrote. */
export const MAX_CONFIG_BYTES = 1_000_000;

export async function loadConfig(options: LoadOptions = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? Deno.cwd();
  const env = options.env ?? Deno.env;
  // An empty value is a script's unset variable (`--data "$DIR"`), not a wish for the current folder.
  if (options.configPath === "") throw new UsageError("--config: no file given (the value is empty)");
  if (options.dataDir === "") throw new UsageError("--data: no folder given (the value is empty)");
  const file = resolve(cwd, options.configPath ?? DEFAULT_CONFIG_FILE);
  let text: string | null = null;
  try {
    // Looked at before it is read: /dev/zero would fill memory, and a FIFO would block for ever.
    const info = await Deno.stat(file);
    if (!info.isFile) throw new ConfigError(file, "", "not a file");
    if (info.size > MAX_CONFIG_BYTES) {
      throw new ConfigError(file, "", `larger than ${MAX_CONFIG_BYTES} bytes`);
    }
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if (!(error instanceof Deno.errors.NotFound) || options.configPath !== undefined) {
      throw new ConfigError(file, "", `cannot read: ${(error as Error).message}`, { cause: error });
    }
  }
  const raw = text === null ? {} : parseJson(file, text);
  const { config, prices } = checkConfig(file, raw, retirementDay((options.now ?? Date.now)()));
  const dir = text === null ? cwd : dirname(file);
  const { dataDir, dataDirFrom } = resolveDataDir({
    flag: options.dataDir,
    cwd,
    configDir: dir,
    file,
    configured: config.dataDir,
    inFile: typeof raw === "object" && raw !== null && "dataDir" in raw,
    stateDirectory: env.get("STATE_DIRECTORY"),
  });
  await checkDataDir(dataDir, dataDirFrom);
  return {
    config,
    file: text === null ? null : file,
    dataDir,
    dataDirFrom,
    promptsDir: resolve(dir, config.promptsDir),
    prices,
    sharedLedger: sharedLedgerOf(config, file, dir, env.get(LEDGER_URL_ENV)),
  };
}

/** The shared ledger the config or the environment names, or null. */
function sharedLedgerOf(
  config: Config,
  file: string,
  dir: string,
  fromEnv: string | undefined,
): SharedLedgerTarget | null {
  const url = fromEnv || config.ledger.url;
  if (!url) return null;
  const from = fromEnv ? `$${LEDGER_URL_ENV}` : `${file}: ledger.url`;
  return {
    url,
    from,
    caFile: config.ledger.caFile === undefined ? undefined : resolve(dir, config.ledger.caFile),
    machine: machineName(config),
  };
}

/**
 * Where the data folder is, and where that came from: `--data` (against the working folder), else the
 * file's `dataDir`, else systemd's `$STATE_DIRECTORY` (its first entry), else the default `dataDir`
 * (both against the config file's folder).
 */
function resolveDataDir(from: {
  flag: string | undefined;
  cwd: string;
  configDir: string;
  file: string;
  /** The config's `dataDir` (the schema's default when the file leaves it out). */
  configured: string;
  inFile: boolean;
  stateDirectory: string | undefined;
}): { dataDir: string; dataDirFrom: string } {
  if (from.flag !== undefined) return { dataDir: resolve(from.cwd, from.flag), dataDirFrom: "--data" };
  if (from.inFile) {
    return { dataDir: resolve(from.configDir, from.configured), dataDirFrom: `${from.file}: dataDir` };
  }
  if (from.stateDirectory) {
    return { dataDir: resolve(from.stateDirectory.split(":")[0]), dataDirFrom: "$STATE_DIRECTORY" };
  }
  return { dataDir: resolve(from.configDir, from.configured), dataDirFrom: "the default data folder" };
}

/** The data folder may not exist yet (it is made on first use), but if something is there it must be a folder. */
async function checkDataDir(dataDir: string, from: string): Promise<void> {
  try {
    if ((await Deno.stat(dataDir)).isDirectory) return;
  } catch {
    return; // absent (made later) or unreadable (the ledger says why when it opens)
  }
  throw new UserInputError(`${from}: ${dataDir} is not a folder`);
}

function parseJson(file: string, text: string): unknown {
  try {
    // Windows editors start UTF-8 files with a byte order mark; it is not part of the JSON.
    return JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new ConfigError(file, "", `not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** Validates `raw`; the first problem becomes a ConfigError. */
/**
 * The loader's checks of a parsed config, short of the data folder: the schema, then every agent's model,
 * canary and output limits against the prices it gives. A config that passes loads; `writeConfig` runs
 * them before it writes, so a command never writes a config the loader would refuse.
 */
export function checkConfig(
  file: string,
  raw: unknown,
  today: string,
): { config: Config; prices: PriceBook } {
  const config = validate(file, raw);
  const prices = new PriceBook({
    overrides: config.prices,
    webSearchUsdPerRequest: config.webSearchUsdPerRequest,
  });
  checkAgents(file, config, prices, raw, today);
  return { config, prices };
}

export function validate(file: string, raw: unknown): Config {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new ConfigError(file, fieldPath(issue.path), describeIssue(issue));
}

/** `agents.writer.maxTokens`, `caps.perModelDailyUsd["claude-opus-*"]`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === "number") return `${out}[${key}]`;
    const k = String(key);
    if (/^[A-Za-z_$][\w$]*$/.test(k)) return out ? `${out}.${k}` : k;
    return `${out}[${JSON.stringify(k)}]`;
  }, "");
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    return `unknown field ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  }
  if (issue.code === "invalid_key") return `bad key: ${issue.issues[0]?.message ?? issue.message}`;
  return issue.message;
}

/**
 * Every agent's model must have a price and not be retired on `today` (the API refuses it from that day:
 * the line names the model to move to), effort/thinking must be ones the model takes, and its output
 * limits must fit (`checkOutputLimits`, which also settles a ceiling the file leaves out).
 */
function checkAgents(file: string, config: Config, prices: PriceBook, raw: unknown, today: string): void {
  for (const id of AGENT_IDS) {
    const agent = config.agents[id];
    const field = `agents.${id}`;
    const checked = checkAgentModel({ id, agent, model: agent.model, prices, today });
    if (!checked.ok) {
      throw new ConfigError(file, `${field}.${checked.problem.field}`, checked.problem.message);
    }
    if (agent.canary) checkCanary(file, id, agent, prices, today, ceilingConfigured(raw, id));
    const priced = checked.priced;
    agent.maxTokensCeiling = checkOutputLimits(file, id, agent, {
      maxOutputTokens: priced.maxOutputTokens,
      ceilingSet: ceilingConfigured(raw, id),
    });
  }
}

/**
 * A canary is priced and capped like any model: one the loader would refuse as the agent's model (unknown,
 * retired, not taking its effort or thinking, or an output limit above its maximum) is refused.
 */
function checkCanary(
  file: string,
  id: AgentId,
  agent: AgentConfig,
  prices: PriceBook,
  today: string,
  ceilingSet: boolean,
): void {
  const canary = agent.canary!;
  const field = `agents.${id}.canary`;
  if (canary.model === agent.model) {
    throw new ConfigError(
      file,
      `${field}.model`,
      `is the agent's own model (${agent.model}): nothing to compare`,
    );
  }
  const checked = checkAgentModel({ id, agent, model: canary.model, prices, today });
  if (!checked.ok) {
    const where = checked.problem.field === "model"
      ? `${field}.model`
      : `agents.${id}.${checked.problem.field}`;
    throw new ConfigError(file, where, checked.problem.message);
  }
  checkOutputLimits(file, id, { ...agent, model: canary.model }, {
    maxOutputTokens: checked.priced.maxOutputTokens,
    ceilingSet,
  });
}

/** Whether the file itself gives the agent's `maxTokensCeiling` (the schema fills in a default otherwise). */
function ceilingConfigured(raw: unknown, id: AgentId): boolean {
  const agents = (raw as { agents?: Record<string, unknown> } | null)?.agents;
  return (agents?.[id] as Record<string, unknown> | undefined)?.maxTokensCeiling !== undefined;
}

export interface OutputLimitFacts {
  /** The model's maximum output; undefined when neither the catalog nor config says (no check then). */
  maxOutputTokens: number | undefined;
  /** Whether the file gives `maxTokensCeiling`, or the schema's default stands in for it. */
  ceilingSet: boolean;
}

/**
 * Pure. The API refuses, with a 400 on every call, a `max_tokens` above the model's maximum output and an
 * enabled thinking budget that is not below `max_tokens`. The loop sends `maxTokens`, and after a tool call
 * cut off at `max_tokens` retries with more, up to `maxTokensCeiling`: so both must fit the model, the
 * ceiling may not be below `maxTokens`, and the budget must be below `maxTokens`, the lowest `max_tokens`
 * ever sent (then it is below every retry's too: no separate check against the ceiling). Returns the
 * ceiling in force: one the file leaves out is the default lowered to the model's maximum and raised to
 * `maxTokens`, so that a default never makes a config fail; one the file gives is checked as it is.
 */
export function checkOutputLimits(
  file: string,
  id: AgentId,
  agent: Pick<AgentConfig, "model" | "maxTokens" | "maxTokensCeiling" | "thinking">,
  facts: OutputLimitFacts,
): number {
  const field = `agents.${id}`;
  const most = facts.maxOutputTokens;
  const aboveModel = (n: number) => most !== undefined && n > most;
  const modelLimit = `must be at most ${most}, the maximum output of ${agent.model}`;
  if (aboveModel(agent.maxTokens)) throw new ConfigError(file, `${field}.maxTokens`, modelLimit);
  let ceiling = agent.maxTokensCeiling;
  if (!facts.ceilingSet) {
    ceiling = Math.max(agent.maxTokens, Math.min(ceiling, most ?? ceiling));
  } else if (ceiling < agent.maxTokens) {
    throw new ConfigError(
      file,
      `${field}.maxTokensCeiling`,
      `must be at least ${field}.maxTokens (${agent.maxTokens})`,
    );
  } else if (aboveModel(ceiling)) {
    throw new ConfigError(file, `${field}.maxTokensCeiling`, modelLimit);
  }
  if (agent.thinking?.type === "enabled" && agent.thinking.budgetTokens >= agent.maxTokens) {
    throw new ConfigError(
      file,
      `${field}.thinking.budgetTokens`,
      `must be below ${field}.maxTokens (${agent.maxTokens})`,
    );
  }
  return ceiling;
}
