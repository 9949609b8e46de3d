/**
 * `pressroom doctor`: is this install ready to run? Config, prices and
 * retirement dates of the configured models, the data folder, the ledger (and
 * calls booked above their reservation), and whether an API key is present
 * (never what it is).
 * @module
 */
import { AGENT_IDS } from "../config/schema.ts";
import { NoLedgerError, PressroomError } from "../errors.ts";
import type { Parsed } from "./args.ts";
import { configFrom, type Io, openExistingLedger } from "./context.ts";
import { dayKey } from "../ledger/period.ts";
import { type OverReservation, overReservation } from "../ledger/anomalies.ts";
import type { LoadedConfig } from "../config/load.ts";
import { loadPrompts, PROMPT_FILES } from "../pipeline/prompts.ts";
import { toolDefinitions } from "../pipeline/tools.ts";
import { countTokens } from "../sim/tokens.ts";

/** A model this close to its retirement gets a warning. */
const RETIREMENT_WARNING_DAYS = 60;
/** The hosts the permission set lets a compiled binary reach. */
const ALLOWED_HOSTS = ["api.anthropic.com", "127.0.0.1", "localhost"];

type Level = "ok" | "warn" | "fail";

export async function doctorCommand(parsed: Parsed, io: Io): Promise<number> {
  let failed = false;
  // No ledger where the data folder points is bad input (a mistyped --data?), as for every command that reads it.
  let noLedger = false;
  const say = (level: Level, text: string) => {
    if (level === "fail") failed = true;
    io.out(`${level.padEnd(4)}  ${text}`);
  };

  let loaded;
  try {
    loaded = await configFrom(parsed, io);
  } catch (error) {
    if (!(error instanceof PressroomError)) throw error;
    say("fail", `config: ${error.message}`);
    return 1;
  }
  say("ok", `config: ${loaded.file ?? "no pressroom.json, using defaults"}`);

  const today = dayKey(io.now(), "UTC");
  const seen = new Set<string>();
  for (const id of AGENT_IDS) {
    const model = loaded.config.agents[id].model;
    if (seen.has(model)) continue;
    seen.add(model);
    const priced = loaded.prices.require(model);
    const users = AGENT_IDS.filter((a) => loaded.config.agents[a].model === model).join(", ");
    const retires = priced.retires;
    if (retires && retires <= today) {
      say("fail", `model ${model} (${users}): retired on ${retires}; choose another model`);
    } else if (retires && daysBetween(today, retires) <= RETIREMENT_WARNING_DAYS) {
      say("warn", `model ${model} (${users}): retires on ${retires}, in ${daysBetween(today, retires)} days`);
    } else {
      say("ok", `model ${model} (${users}): priced from ${priced.source}`);
    }
  }

  await checkPrompts(loaded, say);

  try {
    const ledger = openExistingLedger(loaded, io);
    try {
      const rows = (ledger.db.prepare("SELECT COUNT(*) AS n FROM ai_call_log").get() as { n: number }).n;
      const version =
        (ledger.db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
      say(
        "ok",
        `ledger: ${loaded.dataDir}/pressroom.db (schema ${version}, ${rows} calls, ${ledger.openReservations()} in flight)`,
      );
      const over = overReservation(ledger.db);
      if (over.latest) say("warn", overReservationLine(over));
    } finally {
      ledger.close();
    }
  } catch (error) {
    noLedger = error instanceof NoLedgerError;
    say("fail", `ledger: ${noLedger ? "" : `${loaded.dataDir}: `}${(error as Error).message}`);
  }

  const key = io.env.get("ANTHROPIC_API_KEY")?.trim();
  say(
    key ? "ok" : "warn",
    key ? "ANTHROPIC_API_KEY: set" : "ANTHROPIC_API_KEY: not set; only `pressroom demo` can run",
  );
  const baseUrl = io.env.get("ANTHROPIC_BASE_URL")?.trim();
  if (baseUrl) {
    let host: string | undefined;
    try {
      host = new URL(baseUrl).hostname;
    } catch {
      say("fail", "ANTHROPIC_BASE_URL: not a URL");
    }
    if (host !== undefined) {
      const allowed = ALLOWED_HOSTS.includes(host);
      say(
        allowed ? "ok" : "warn",
        `ANTHROPIC_BASE_URL: host ${host}${
          allowed ? "" : " is not in the permission set; the binary cannot reach it"
        }`,
      );
    }
  }
  return noLedger ? 2 : failed ? 1 : 0;
}

/** Prompts load, and each stable prefix is long enough for its agent's model to cache it. */
async function checkPrompts(loaded: LoadedConfig, say: (level: Level, text: string) => void): Promise<void> {
  let prompts;
  try {
    prompts = await loadPrompts(loaded.promptsDir);
  } catch (error) {
    if (!(error instanceof PressroomError)) throw error;
    say("fail", `prompts: ${error.message}`);
    return;
  }
  let short = 0;
  for (const id of AGENT_IDS) {
    const { model, strict } = loaded.config.agents[id];
    const tools = JSON.stringify(toolDefinitions({ strict }));
    const priced = loaded.prices.require(model);
    const prefixes: [string, string][] = [
      ["shared stable block", tools + prompts.shared.text],
      [`${id} stable block`, tools + prompts.shared.text + prompts.agents[id].stable.text],
    ];
    for (const [name, prefix] of prefixes) {
      const tokens = countTokens(prefix, priced.tokenizerFactor);
      if (tokens < priced.minCacheTokens) {
        short++;
        say(
          "warn",
          `prompts: the prefix up to the ${name} is about ${tokens} tokens, below ${model}'s minimum of ` +
            `${priced.minCacheTokens} for ${id}: it will not be cached`,
        );
      }
    }
  }
  if (!short) {
    say("ok", `prompts: ${PROMPT_FILES.length} blocks; every stable prefix is long enough to cache`);
  }
}

/** Rows above their reservation: the API never reports such usage, so something in between did. */
function overReservationLine({ count, latest }: OverReservation): string {
  return `ledger: ${count} call(s) booked above their reservation, which can pass a cap: the response ` +
    `reported more usage than its request allows (a proxy in between?); latest ${latest!.id} by ` +
    `${latest!.agentId} on ${latest!.model}`;
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);
}
