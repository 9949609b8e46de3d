/**
 * The pure parts of `pressroom prices`: exact decimal conversion, reading a
 * LiteLLM price map, the import plan against the prices in force, the config
 * it writes, the price list, and the catalog's checked prices.
 */
import { assert, assertEquals, assertThrows } from "../assert.ts";
import {
  decimalOf,
  formatPerMTok,
  nanoToPerMTok,
  scaledInteger,
  usdPerTokenToNano,
} from "../../src/models/decimal.ts";
import { parseLiteLlm, PriceFileError } from "../../src/models/litellm.ts";
import { applyPlan, planImport } from "../../src/models/price_import.ts";
import { priceList } from "../../src/models/price_list.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import { MODELS } from "../../src/models/catalog.ts";
import { costNano, normalizeUsage } from "../../src/pricing/cost.ts";
import { usdToNano } from "../../src/pricing/money.ts";
import { planLines } from "../../src/cli/prices.ts";

const FIXTURE = new URL("../fixtures/litellm/small.json", import.meta.url);

// ---- decimal.ts ----

Deno.test("decimalOf reads the shortest decimal JavaScript prints, exponent forms included", () => {
  assertEquals(decimalOf(3.75e-6), { digits: 375n, exponent: -8 });
  assertEquals(decimalOf(3e-7), { digits: 3n, exponent: -7 });
  assertEquals(decimalOf(15), { digits: 15n, exponent: 0 });
  assertEquals(decimalOf(1e21), { digits: 1n, exponent: 21 });
  assertEquals(decimalOf(-0.25), { digits: -25n, exponent: -2 });
  assertEquals(decimalOf(NaN), undefined);
  assertEquals(decimalOf(Infinity), undefined);
});

Deno.test("scaledInteger multiplies by a power of ten exactly, or says it is not whole", () => {
  assertEquals(scaledInteger(3.75e-6, 8), 375n);
  assertEquals(scaledInteger(3.75e-6, 7), undefined);
  assertEquals(scaledInteger(12, 3), 12000n);
});

Deno.test("USD per token converts to nano-USD per token with no float drift", () => {
  assertEquals(usdPerTokenToNano(3.75e-6), 3750n);
  assertEquals(usdPerTokenToNano(3e-7), 300n);
  assertEquals(usdPerTokenToNano(1.5e-5), 15000n);
  assertEquals(usdPerTokenToNano(2.5e-8), 25n); // $0.025 / MTok
  assertEquals(usdPerTokenToNano(1e-9), 1n); // $0.001 / MTok, the finest price kept
  // In floats, 8e-7 × 1e6 is 0.7999999999999999 and 3.3e-6 × 1e6 is 3.3000000000000003; the decimal route is exact.
  assertEquals([8e-7 * 1e6, 3.3e-6 * 1e6], [0.7999999999999999, 3.3000000000000003]);
  assertEquals([usdPerTokenToNano(8e-7), usdPerTokenToNano(3.3e-6)], [800n, 3300n]);
});

Deno.test("a price finer than 0.001 USD/MTok, or a float tail, is refused rather than rounded", () => {
  assertEquals(usdPerTokenToNano(1e-10), undefined);
  assertEquals(usdPerTokenToNano(2.9999999999999996e-6), undefined);
  assertEquals(usdPerTokenToNano(3.0000001e-6), undefined);
});

Deno.test("nanoToPerMTok gives numbers that print as their exact decimal, for every price up to $200/MTok", () => {
  for (let nano = 0; nano <= 200_000; nano++) {
    const printed = JSON.stringify(nanoToPerMTok(nano));
    const expected = formatPerMTok(nano, 0).replace(/\.$/, "");
    if (printed !== expected) throw new Error(`${nano} nano prints as ${printed}, not ${expected}`);
  }
  assertEquals(
    JSON.stringify({ cacheWrite5m: nanoToPerMTok(3750), cacheRead: nanoToPerMTok(300) }),
    '{"cacheWrite5m":3.75,"cacheRead":0.3}',
  );
});

Deno.test("formatPerMTok shows at least two decimals and never a float tail", () => {
  assertEquals(
    [3750, 100, 125, 10_000, 1, 0, 25, 50_000].map((n) => formatPerMTok(n)),
    ["3.75", "0.10", "0.125", "10.00", "0.001", "0.00", "0.025", "50.00"],
  );
  assertEquals(formatPerMTok(3750, 0), "3.75");
  assertThrows(() => formatPerMTok(0.5), RangeError);
});

// ---- litellm.ts ----

Deno.test("parseLiteLlm keeps Claude entries in file order, counts the rest, skips sample_spec", async () => {
  const parsed = parseLiteLlm(await Deno.readTextFile(FIXTURE), "small.json");
  assertEquals(parsed.ignored, 2);
  assertEquals(parsed.models, [
    { model: "claude-sonnet-5", rates: { input: 3000, output: 15000, cacheWrite5m: 3750, cacheRead: 300 } },
    {
      model: "claude-fable-5-2",
      rates: { input: 8000, output: 40000, cacheWrite5m: 10000, cacheWrite1h: 16000, cacheRead: 200 },
    },
    {
      model: "claude-opus-4-7",
      rates: { input: 5000, output: 25000, cacheWrite5m: 6250, cacheWrite1h: 10000, cacheRead: 500 },
    },
  ]);
});

Deno.test("parseLiteLlm accepts a byte order mark and leaves non-Claude entries unchecked", () => {
  const parsed = parseLiteLlm('\uFEFF{"gpt-x": "anything", "vertex_ai/claude-9": [1]}', "f.json");
  assertEquals(parsed, { models: [], ignored: 2 });
});

const entry = (fields: Record<string, unknown>) =>
  JSON.stringify({ "claude-x": { input_cost_per_token: 3e-6, output_cost_per_token: 1.5e-5, ...fields } });

const BROKEN: [string, string, string][] = [
  ["not JSON", "{nope", "f.json: not valid JSON: "],
  [
    "an array at the top",
    "[1, 2]",
    "f.json: not a LiteLLM price map: the top level is an array, not an object",
  ],
  ["null at the top", "null", "f.json: not a LiteLLM price map: the top level is null, not an object"],
  [
    "an entry that is an array",
    '{"claude-x": [1]}',
    'f.json: entry "claude-x": must be an object, not an array',
  ],
  [
    "an entry that is a string",
    '{"claude-x": "3e-6"}',
    'f.json: entry "claude-x": must be an object, not a string',
  ],
  [
    "a string price",
    entry({ input_cost_per_token: "3e-6" }),
    'f.json: entry "claude-x": input_cost_per_token: must be a number, not a string',
  ],
  [
    "an array price",
    entry({ cache_read_input_token_cost: [3e-7] }),
    'f.json: entry "claude-x": cache_read_input_token_cost: must be a number, not an array',
  ],
  [
    "a null price",
    entry({ cache_creation_input_token_cost: null }),
    'f.json: entry "claude-x": cache_creation_input_token_cost: must be a number, not null',
  ],
  [
    "a boolean price",
    entry({ output_cost_per_token: true }),
    'f.json: entry "claude-x": output_cost_per_token: must be a number, not a boolean',
  ],
  [
    "an infinite price (1e400)",
    '{"claude-x": {"input_cost_per_token": 1e400, "output_cost_per_token": 1e-5}}',
    'f.json: entry "claude-x": input_cost_per_token: not a finite number (Infinity)',
  ],
  [
    "a negative infinite price",
    '{"claude-x": {"input_cost_per_token": 3e-6, "output_cost_per_token": -1e400}}',
    'f.json: entry "claude-x": output_cost_per_token: not a finite number (-Infinity)',
  ],
  [
    "a negative price",
    entry({ input_cost_per_token: -3e-6 }),
    'f.json: entry "claude-x": input_cost_per_token: negative (-0.000003 USD per token)',
  ],
  [
    "a zero price",
    entry({ cache_read_input_token_cost: 0 }),
    'f.json: entry "claude-x": cache_read_input_token_cost: zero: a Claude price is never free, ' +
    "and a zero would let calls go uncounted",
  ],
  [
    "an absurd price (per MTok written as per token)",
    entry({ output_cost_per_token: 15 }),
    'f.json: entry "claude-x": output_cost_per_token: 15 USD per token is above 10000 USD per million tokens: ' +
    "not a real price",
  ],
  [
    "a price finer than 0.001 USD/MTok",
    entry({ input_cost_per_token: 3.0000001e-6 }),
    'f.json: entry "claude-x": input_cost_per_token: 0.0000030000001 USD per token is finer than ' +
    "0.001 USD per million tokens: it cannot be kept exactly",
  ],
  [
    "a missing output price",
    '{"claude-x": {"input_cost_per_token": 3e-6}}',
    'f.json: entry "claude-x": output_cost_per_token: missing: every Claude entry needs input and output prices',
  ],
  [
    "a model id with a line break",
    '{"claude-x\\nchanged  claude-y": {"input_cost_per_token": 3e-6, "output_cost_per_token": 1e-5}}',
    'f.json: entry "claude-x\\nchanged  claude-y": a model id must be printable ASCII without spaces or quotes',
  ],
];

for (const [what, text, message] of BROKEN) {
  Deno.test(`parseLiteLlm refuses ${what} with one error naming the file, entry and field`, () => {
    const error = assertThrows(() => parseLiteLlm(text, "f.json"), PriceFileError);
    assert(error.message.startsWith(message), `got: ${error.message}`);
    if (what !== "not JSON") assertEquals(error.message, message);
    assertEquals(error.exitCode, 2);
  });
}

Deno.test("just at the ceiling, $10,000/MTok, is accepted; a nano more is not", () => {
  assertEquals(
    parseLiteLlm(entry({ output_cost_per_token: 0.01 }), "f.json").models[0].rates.output,
    10_000_000,
  );
  assertThrows(
    () => parseLiteLlm(entry({ output_cost_per_token: 0.010000001 }), "f.json"),
    PriceFileError,
    "above",
  );
});

// ---- price_import.ts ----

const imported = (model: string, rates: Record<string, number>) => ({
  model,
  rates: { input: 0, output: 0, ...rates } as { input: number; output: number },
});

Deno.test("planImport: a changed price lists each field old -> new; a field the map lacks keeps the price in force", () => {
  const plan = planImport(
    [imported("claude-sonnet-5", { input: 3000, output: 15000, cacheRead: 300 })],
    new PriceBook(),
  );
  assertEquals(plan.changed, [{
    model: "claude-sonnet-5",
    rates: { input: 3000, output: 15000, cacheWrite5m: 2500, cacheWrite1h: 4000, cacheRead: 300 },
    changes: [
      { field: "input", from: 2000, to: 3000 },
      { field: "output", from: 10000, to: 15000 },
      { field: "cacheRead", from: 200, to: 300 },
    ],
  }]);
  assertEquals([plan.added, plan.unchanged, plan.skipped], [[], [], []]);
});

Deno.test("planImport: equal prices are unchanged, compared with the config override when there is one", () => {
  const book = new PriceBook({ overrides: { "claude-opus-4-7": { input: 4, output: 20 } } });
  const plan = planImport(
    [
      imported("claude-opus-4-7", {
        input: 4000,
        output: 20000,
        cacheWrite5m: 5000,
        cacheWrite1h: 8000,
        cacheRead: 400,
      }),
      imported("claude-opus-4-6", { input: 5000, output: 25000 }),
    ],
    book,
    7,
  );
  assertEquals(plan.unchanged, ["claude-opus-4-7", "claude-opus-4-6"]);
  assertEquals(plan.ignored, 7);
});

Deno.test("planImport: a new model without cache prices gets the standard multipliers, rounded up to a nano", () => {
  const plan = planImport([imported("claude-next", { input: 1, output: 5 })], new PriceBook());
  // 1 nano: 5m write 1.25 -> 2, 1h write 2, read 0.1 -> 1
  assertEquals(plan.added, [{
    model: "claude-next",
    rates: { input: 1, output: 5, cacheWrite5m: 2, cacheWrite1h: 2, cacheRead: 1 },
    changes: [],
  }]);
});

Deno.test("planImport: Haiku 5.5's long-prompt band cannot be expressed in config, so a different price is skipped", () => {
  const plan = planImport([imported("claude-haiku-5-5", { input: 200, output: 1000 })], new PriceBook());
  assertEquals(plan.changed, []);
  assertEquals(plan.skipped, [{
    model: "claude-haiku-5-5",
    reason:
      "its built-in price has a band for prompts over 100000 tokens, which config prices cannot express; " +
      "left as built in",
  }]);
});

Deno.test("applyPlan writes only the differences, keeps key order, other fields and an override's limits and dates", () => {
  const raw = {
    $schema: "./pressroom.schema.json",
    caps: { dailyUsd: 5 },
    prices: {
      "claude-sonnet-5": {
        input: 2,
        output: 10,
        minCacheTokens: 2048,
        retires: "2027-06-30",
        maxOutputTokens: 64_000,
      },
      "my-model": { input: 1, output: 2 },
    },
    run: { pollSeconds: 1 },
  };
  const before = structuredClone(raw);
  const plan = planImport([
    imported("claude-sonnet-5", { input: 3000, output: 15000, cacheWrite5m: 3750 }),
    imported("claude-new", { input: 300, output: 1500 }),
    imported("claude-opus-4-7", { input: 5000, output: 25000 }),
  ], new PriceBook({ overrides: raw.prices }));
  const next = applyPlan(raw, plan);
  assertEquals(raw, before, "the input is not modified");
  assertEquals(Object.keys(next), ["$schema", "caps", "prices", "run"]);
  assertEquals(next.prices, {
    "claude-sonnet-5": {
      input: 3,
      output: 15,
      cacheWrite5m: 3.75,
      cacheWrite1h: 4,
      cacheRead: 0.2,
      minCacheTokens: 2048,
      retires: "2027-06-30",
      maxOutputTokens: 64_000,
    },
    "my-model": { input: 1, output: 2 },
    "claude-new": { input: 0.3, output: 1.5, cacheWrite5m: 0.375, cacheWrite1h: 0.6, cacheRead: 0.03 },
  });
  assert(!JSON.stringify(next).match(/\d\.\d{6,}/), "no float tails");
});

Deno.test("applyPlan adds prices at the end of a config that has none", () => {
  const plan = planImport([imported("claude-new", { input: 3000, output: 15000 })], new PriceBook());
  assertEquals(Object.keys(applyPlan({ dataDir: "d" }, plan)), ["dataDir", "prices"]);
});

Deno.test("planLines: one line per new, changed and skipped model, then the counts, singular or plural", () => {
  const plan = planImport(
    [
      imported("claude-new", { input: 300, output: 1500 }),
      imported("claude-sonnet-5-5", { input: 2000, output: 10000, cacheRead: 200 }),
      imported("claude-haiku-5-5", { input: 200, output: 1000 }),
      imported("claude-opus-4-7", { input: 5000, output: 25000 }),
    ],
    new PriceBook(),
    1,
  );
  assertEquals(planLines(plan), [
    "new      claude-new: input 0.30, output 1.50, 5m write 0.375, 1h write 0.60, cache read 0.03",
    "changed  claude-sonnet-5-5: cache read 0.10 -> 0.20",
    "skipped  claude-haiku-5-5: its built-in price has a band for prompts over 100000 tokens, " +
    "which config prices cannot express; left as built in",
    "unchanged: 1 Claude model; ignored: 1 non-Claude entry",
  ]);
});

// ---- price_list.ts ----

Deno.test("priceList: built-in models in catalog order, then config-only models; an override is in force", () => {
  const overrides = {
    "claude-opus-4-5": { input: 4, output: 20, retires: "2027-02-01" },
    "my-proxy": { input: 1, output: 2, cacheRead: 0.05 },
  };
  const list = priceList({ book: new PriceBook({ overrides }), overrides });
  assertEquals(list.map((e) => e.model).slice(0, 3), [
    "claude-fable-5-1",
    "claude-fable-5",
    "claude-opus-5-5",
  ]);
  assertEquals(list.map((e) => e.model).slice(-3), [
    "claude-haiku-4-5-20251001",
    "claude-opus-4-5",
    "my-proxy",
  ]);
  const opus45 = list.find((e) => e.model === "claude-opus-4-5-20251101")!;
  // The dated id is charged at the override under its alias, as PriceBook.lookup does.
  assertEquals(opus45.config?.key, "claude-opus-4-5");
  assertEquals(opus45.rates.input, 4000);
  assertEquals(opus45.builtIn?.rates.input, 5000);
  assertEquals([opus45.retires, opus45.builtIn?.info.retires], ["2027-02-01", "2027-01-22"]);
  const proxy = list.find((e) => e.model === "my-proxy")!;
  assertEquals([proxy.builtIn, proxy.rates.cacheWrite5m, proxy.source], [
    undefined,
    1250,
    "pressroom.json prices",
  ]);
  const haiku55 = list.find((e) => e.model === "claude-haiku-5-5")!;
  assertEquals(haiku55.longContext?.rates.cacheRead, 50);
});

// ---- the catalog ----

Deno.test("every built-in price is a whole number of nano-USD per token", () => {
  const book = new PriceBook();
  for (const m of MODELS) for (const id of [m.id, ...m.aliases]) assert(book.lookup(id), id);
});

Deno.test("the 5.5 models and Fable are priced as Anthropic's pages give them, with the page and date", () => {
  const card = (id: string) => MODELS.find((m) => m.id === id)!;
  assertEquals(card("claude-sonnet-5-5").prices, {
    input: 2,
    output: 10,
    cacheWrite5m: 2.5,
    cacheWrite1h: 4,
    cacheRead: 0.1,
  });
  assertEquals(card("claude-opus-5-5").prices, {
    input: 4,
    output: 20,
    cacheWrite5m: 5,
    cacheWrite1h: 8,
    cacheRead: 0.2,
  });
  assertEquals(card("claude-haiku-5-5").prices.cacheRead, 0.01);
  assertEquals(card("claude-haiku-5-5").longContext?.prices.cacheRead, 0.05);
  assertEquals(card("claude-fable-5").prices, {
    input: 10,
    output: 50,
    cacheWrite5m: 12.5,
    cacheWrite1h: 20,
    cacheRead: 1,
  });
  assertEquals(card("claude-fable-5-1").prices, {
    input: 10,
    output: 50,
    cacheWrite5m: 12.5,
    cacheWrite1h: 20,
    cacheRead: 0.25,
  });
  assertEquals([card("claude-fable-5").minCacheTokens, card("claude-fable-5-1").minCacheTokens], [512, 512]);
  for (
    const id of [
      "claude-sonnet-5-5",
      "claude-opus-5-5",
      "claude-haiku-5-5",
      "claude-fable-5",
      "claude-fable-5-1",
    ]
  ) {
    assert(
      /^https:\/\/platform\.claude\.com\/docs\/.*checked 2026-12-01/.test(card(id).source),
      card(id).source,
    );
  }
});

Deno.test("a million Sonnet 5.5 cache-read tokens cost $0.10, Fable 5.1's $0.25", () => {
  const book = new PriceBook();
  const read = (model: string) =>
    costNano(normalizeUsage({ cache_read_input_tokens: 1_000_000 }, "5m"), book.require(model));
  assertEquals([read("claude-sonnet-5-5"), read("claude-fable-5-1")], [usdToNano(0.1), usdToNano(0.25)]);
});

// ---- price_book.ts, as `prices` shows it ----

Deno.test("a config price without cache prices gets the multipliers in whole nano-USD, rounded up", () => {
  const book = new PriceBook({
    overrides: { tiny: { input: 0.001, output: 0.005 }, usual: { input: 3, output: 15 } },
  });
  // $0.001/MTok = 1 nano per token: 5m write 1.25 -> 2, 1h write 2, read 0.1 -> 1
  assertEquals(book.require("tiny").rates, {
    input: 1,
    output: 5,
    cacheWrite5m: 2,
    cacheWrite1h: 2,
    cacheRead: 1,
  });
  assertEquals(book.require("usual").rates, {
    input: 3000,
    output: 15000,
    cacheWrite5m: 3750,
    cacheWrite1h: 6000,
    cacheRead: 300,
  });
});

Deno.test("a model named like an Object property (toString, constructor) has no price", () => {
  const book = new PriceBook({ overrides: {} });
  assertEquals([book.lookup("toString"), book.lookup("constructor")], [undefined, undefined]);
});
