/**
 * `pressroom doctor`: is this install ready to run? Config, prices and
 * retirement dates of the configured models, the data folder, the ledger (and
 * calls booked above their reservation), workflows in flight pinned to a
 * retired or retiring model, whether an API key is present (never what it is),
 * and, with a key, whether the API host answers at all.
 * @module
 */
import { AGENT_IDS } from "../config/schema.ts";
import { NoLedgerError, PressroomError } from "../errors.ts";
import type { Parsed } from "./args.ts";
import { configFrom, openExistingStorage } from "./context.ts";
import type { Io } from "./io.ts";
import {
  type PinnedRetirement,
  pinnedRetirements,
  pinnedRetirementText,
  retirementDay,
  retirementOf,
  retirementText,
} from "../models/retirement.ts";
import type { OverReservation } from "../ledger/anomalies.ts";
import type { LoadedConfig } from "../config/load.ts";
import { loadPrompts, PROMPT_FILES } from "../pipeline/prompts.ts";
import { toolDefinitions } from "../pipeline/tools.ts";
import { countTokens } from "../pricing/tokens.ts";
import { baseUrlFromEnv } from "../claude/base_url.ts";
import { classifyFailedAttempt } from "../claude/billing.ts";

/** How long doctor waits for the API host to answer. */
export const REACH_TIMEOUT_MS = 5_000;
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

  const today = retirementDay(io.now());
  const seen = new Set<string>();
  for (const id of AGENT_IDS) {
    const model = loaded.config.agents[id].model;
    if (seen.has(model)) continue;
    seen.add(model);
    const priced = loaded.prices.require(model);
    const users = AGENT_IDS.filter((a) => loaded.config.agents[a].model === model).join(", ");
    // A retired one was refused at load; one retiring soon is worth a warning.
    const retirement = retirementOf(priced, today);
    if (retirement) {
      const move = retirement.replacedBy ? `; move to ${retirement.replacedBy}` : "";
      say(
        retirement.kind === "retired" ? "fail" : "warn",
        `model ${model} (${users}): ${retirementText(retirement)}${move}`,
      );
    } else {
      say("ok", `model ${model} (${users}): priced from ${priced.source}`);
    }
  }

  await checkPrompts(loaded, say);

  try {
    const storage = await openExistingStorage(loaded, io);
    const { ledger } = storage;
    try {
      say(
        "ok",
        `ledger: ${loaded.dataDir}/pressroom.db (schema ${ledger.schemaVersion()}, ${ledger.totalCalls()} calls, ${ledger.openReservations()} in flight)`,
      );
      const shared = ledger.shared;
      if (shared) {
        say(
          "ok",
          `shared ledger: ${shared.where} as machine "${shared.machine}" (${await shared
            .openReservations()} in flight over every machine)`,
        );
      }
      const over = ledger.overReservation();
      if (over.latest) say("warn", overReservationLine(over));
      const pinned = storage.workflows(io.now).pinned();
      reportPinned(pinnedRetirements(pinned, (m) => loaded.prices.lookup(m), today), say);
    } finally {
      await storage.close();
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
  // Without a key nothing calls the API (only the offline demo can run): nothing to reach.
  if (key) await checkReach(baseUrlFromEnv(io.env), say);
  return noLedger ? 2 : failed ? 1 : 0;
}

/** The API host answers (a base URL that is not a URL has failed already). */
async function checkReach(url: string, say: (level: Level, text: string) => void): Promise<void> {
  if (!URL.canParse(url)) return;
  const reach = await reachApi(url, REACH_TIMEOUT_MS);
  if (reach.ok) say("ok", `API: ${url} answered (HTTP ${reach.status}; no key sent)`);
  else say("fail", `API: cannot reach ${url}: ${reach.why}`);
}

/**
 * One unauthenticated GET of the base URL, cut off after `timeoutMs`: any HTTP answer, even an error
 * status, proves that the host can be reached (name, route, TLS). No key is sent, so nothing is billed.
 */
export async function reachApi(
  url: string,
  timeoutMs: number,
): Promise<{ ok: true; status: number } | { ok: false; why: string }> {
  try {
    const response = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return { ok: true, status: response.status };
  } catch (error) {
    if ((error as Error).name === "TimeoutError") {
      return { ok: false, why: `no answer within ${timeoutMs} ms` };
    }
    return { ok: false, why: classifyFailedAttempt(error).reason };
  }
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

/** Workflows in flight pinned to a retired model (their calls fail: a failed check) or a retiring one. */
function reportPinned(pinned: PinnedRetirement[], say: (level: Level, text: string) => void): void {
  for (const p of pinned) {
    say(p.kind === "retired" ? "fail" : "warn", `workflows: ${pinnedRetirementText(p)}`);
  }
}
