/**
 * `pressroom prices [--json]`: the prices in force, the built-in price beside
 * the config override, with sources, cache minimums and retirement dates.
 *
 * `pressroom prices import FILE [--write]`: LiteLLM's price map
 * (`model_prices_and_context_window.json`) against the prices in force; with
 * `--write`, the differences go into the config file's `prices` (atomically,
 * every other field kept, checked with the loader's own validation first).
 *
 * `--json` prints one object (field names are part of the interface):
 * `{ configFile, unit, webSearchUsdPerRequest, batchDiscountPercent, models: [{ model, aliases,
 * inForce: "built-in" | "config", prices, longContext, minCacheTokens, retires, source,
 * builtIn: { prices, longContext, minCacheTokens, retires, source } | null,
 * config: { key, prices, minCacheTokens, retires } | null }] }`, where every `prices` is
 * `{ input, output, cacheWrite5m, cacheWrite1h, cacheRead }` in USD per million tokens (a config
 * field left out is null under `config` and at its standard multiplier under the model's `prices`).
 * @module
 */
import { isRetired, retirementDay } from "../models/retirement.ts";
import { readConfigFile, writeConfig } from "../config/config_file.ts";
import { UsageError, UserInputError } from "../errors.ts";
import { BATCH_DISCOUNT_PERCENT, WEB_SEARCH_USD_PER_REQUEST } from "../models/catalog.ts";
import { formatPerMTok, nanoToPerMTok } from "../models/decimal.ts";
import { parseLiteLlm, PRICE_FIELDS, type PriceField } from "../models/litellm.ts";
import { readPriceFile } from "../models/price_file.ts";
import { PriceBook } from "../models/price_book.ts";
import type { NanoRates } from "../pricing/cost.ts";
import { applyPlan, type ImportPlan, planImport } from "../models/price_import.ts";
import { priceList, type PriceListEntry } from "../models/price_list.ts";
import type { Parsed } from "./args.ts";
import { configFrom } from "./context.ts";
import type { Io } from "./io.ts";
import { table } from "./table.ts";

export const pricesOptions = {
  json: { type: "boolean" },
  write: { type: "boolean" },
} as const;

const LABELS: Record<PriceField, string> = {
  input: "input",
  output: "output",
  cacheWrite5m: "5m write",
  cacheWrite1h: "1h write",
  cacheRead: "cache read",
};

export async function pricesCommand(parsed: Parsed, io: Io): Promise<number> {
  const [sub, ...rest] = parsed.positionals;
  if (sub === undefined) {
    if (parsed.values.write) throw new UsageError("prices: --write goes with `prices import FILE`");
    return await listPrices(parsed, io);
  }
  if (sub !== "import") {
    throw new UsageError(
      `prices: unknown subcommand "${sub}"; use \`prices [--json]\` or \`prices import FILE\``,
    );
  }
  if (rest.length !== 1) {
    throw new UsageError("prices import: give one file: pressroom prices import FILE [--write]");
  }
  if (parsed.values.json) throw new UsageError("prices import: --json is not supported; it prints text only");
  return await importPrices(rest[0], parsed, io);
}

// ---- pressroom prices ----

async function listPrices(parsed: Parsed, io: Io): Promise<number> {
  const loaded = await configFrom(parsed, io);
  const entries = priceList({ book: loaded.prices, overrides: loaded.config.prices });
  const webSearch = loaded.config.webSearchUsdPerRequest ?? WEB_SEARCH_USD_PER_REQUEST;
  if (parsed.values.json) {
    io.out(JSON.stringify(
      {
        configFile: loaded.file,
        unit: "USD per million tokens",
        webSearchUsdPerRequest: webSearch,
        batchDiscountPercent: BATCH_DISCOUNT_PERCENT,
        models: entries.map(entryJson),
      },
      null,
      2,
    ));
    return 0;
  }
  const today = retirementDay(io.now());
  const rows = [
    ["model", "price", "in force", ...PRICE_FIELDS.map((f) => LABELS[f]), "min cache", "retires", "source"],
    ...entries.flatMap((e) => entryRows(e, today)),
  ];
  for (const line of table(rows, ["l", "l", "l", "r", "r", "r", "r", "r", "r", "l", "l"])) io.out(line);
  io.out(
    `USD per million tokens; * = the price calls are charged at. Web search $${webSearch} per request; ` +
      `Message Batches ${BATCH_DISCOUNT_PERCENT}% off token prices. Config: ${
        loaded.file ?? "none (built-in prices)"
      }`,
  );
  return 0;
}

const money = (rates: NanoRates) => PRICE_FIELDS.map((f) => formatPerMTok(rates[f]));
const perMTok = (rates: NanoRates) =>
  Object.fromEntries(PRICE_FIELDS.map((f) => [f, nanoToPerMTok(rates[f])])) as Record<PriceField, number>;
const band = (b: PriceListEntry["longContext"]) =>
  b ? { thresholdTokens: b.thresholdTokens, prices: perMTok(b.rates) } : null;

/** A retirement date, marked once it has passed (calls to the model then fail). */
const retirement = (date: string | undefined, today: string) =>
  date === undefined ? "-" : isRetired(date, today) ? `${date} (past)` : date;

function entryRows(e: PriceListEntry, today: string): string[][] {
  const name = e.aliases.length ? `${e.model} (${e.aliases.join(", ")})` : e.model;
  const rows: string[][] = [];
  if (e.builtIn) {
    const { info, rates, longContext } = e.builtIn;
    const mark = e.config ? "" : "*";
    rows.push([
      name,
      "built-in",
      mark,
      ...money(rates),
      String(info.minCacheTokens),
      retirement(info.retires, today),
      info.source,
    ]);
    if (longContext) {
      rows.push([
        name,
        `built-in, prompt > ${longContext.thresholdTokens}`,
        mark,
        ...money(longContext.rates),
        "",
        "",
        "",
      ]);
    }
  }
  if (e.config) {
    const label = e.config.key === e.model ? "config" : `config (${e.config.key})`;
    rows.push([
      name,
      label,
      "*",
      ...money(e.rates),
      String(e.minCacheTokens),
      retirement(e.retires, today),
      e.source,
    ]);
  }
  return rows;
}

function entryJson(e: PriceListEntry) {
  const configured = e.config?.prices;
  return {
    model: e.model,
    aliases: e.aliases,
    inForce: e.config ? "config" : "built-in",
    prices: perMTok(e.rates),
    longContext: band(e.longContext),
    minCacheTokens: e.minCacheTokens,
    retires: e.retires ?? null,
    source: e.source,
    builtIn: e.builtIn
      ? {
        prices: perMTok(e.builtIn.rates),
        longContext: band(e.builtIn.longContext),
        minCacheTokens: e.builtIn.info.minCacheTokens,
        retires: e.builtIn.info.retires ?? null,
        source: e.builtIn.info.source,
      }
      : null,
    config: e.config && configured
      ? {
        key: e.config.key,
        prices: Object.fromEntries(PRICE_FIELDS.map((f) => [f, configured[f] ?? null])),
        minCacheTokens: configured.minCacheTokens ?? null,
        retires: configured.retires ?? null,
      }
      : null,
  };
}

// ---- pressroom prices import FILE [--write] ----

async function importPrices(file: string, parsed: Parsed, io: Io): Promise<number> {
  const write = parsed.values.write === true;
  const loaded = await configFrom(parsed, io);
  // Refused before anything is read: creating a config here would stop `pressroom init` writing its own.
  if (write && loaded.file === null) {
    throw new UserInputError(
      "prices import --write: there is no pressroom.json here to write prices into; " +
        "run `pressroom init` first (or name one with --config)",
    );
  }
  const imported = parseLiteLlm(await readPriceFile(file), file);
  // With --write, compare against the file as it is now, the one the result replaces.
  const config = write ? await readConfigFile(loaded.file!) : undefined;
  const book = config
    ? new PriceBook({
      overrides: config.valid.prices,
      webSearchUsdPerRequest: config.valid.webSearchUsdPerRequest,
    })
    : loaded.prices;
  const plan = planImport(imported.models, book, imported.ignored);
  for (const line of planLines(plan)) io.out(line);
  const count = plan.added.length + plan.changed.length;
  if (count === 0) {
    io.out("nothing to change: the prices in force already match");
    return 0;
  }
  if (!config) {
    io.out(
      loaded.file
        ? `dry run: nothing written; --write puts ${plural(count, "model")} into ${loaded.file} (prices)`
        : `dry run: nothing written; --write needs a config file: run \`pressroom init\` first`,
    );
    return 0;
  }
  await writeConfig(config, applyPlan(config.raw, plan), imported.models, io.now);
  io.out(`wrote ${plural(count, "model")} into ${loaded.file} (prices)`);
  return 0;
}

/** What a dry run and a write print, prices in USD per million tokens. */
export function planLines(plan: ImportPlan): string[] {
  return [
    ...plan.added.map((m) =>
      `new      ${m.model}: ${
        PRICE_FIELDS.map((f) => `${LABELS[f]} ${formatPerMTok(m.rates[f])}`).join(", ")
      }`
    ),
    ...plan.changed.map((m) =>
      `changed  ${m.model}: ${
        m.changes.map((c) => `${LABELS[c.field]} ${formatPerMTok(c.from)} -> ${formatPerMTok(c.to)}`).join(
          ", ",
        )
      }`
    ),
    ...plan.skipped.map((s) => `skipped  ${s.model}: ${s.reason}`),
    `unchanged: ${plural(plan.unchanged.length, "Claude model")}; ` +
    `ignored: ${plural(plan.ignored, "non-Claude entry", "non-Claude entries")}`,
  ];
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
