/**
 * `pressroom prices` and `pressroom prices import` as a user runs them, with
 * the binary's permission set: the prices in force beside the built-in ones,
 * a LiteLLM dry run line by line, a write that changes only `prices` and
 * loads, and every broken or hostile price file refused with one line, exit 2
 * and the config untouched.
 */
// deno-lint-ignore-file no-explicit-any
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { runPressroom, tempDir } from "../helpers.ts";

const FIXTURE = new URL("../fixtures/litellm/small.json", import.meta.url).pathname;

/**
 * A config with an override beside a built-in price, a config-only model, and other fields to keep. The
 * config-only model is past its retirement date, so no agent may use it (the load refuses that); its price
 * stays listed, as one kept for workflows pinned to it.
 */
const CONFIG = {
  $schema: "./pressroom.schema.json",
  dataDir: "./data",
  caps: { dailyUsd: 7.5, perModelDailyUsd: { "claude-opus-*": 3 }, perWorkflowUsd: 0.5, timezone: "UTC" },
  agents: { editor: { model: "claude-sonnet-5", maxTokens: 4096 } },
  prices: {
    "claude-sonnet-5": { input: 2, output: 10, minCacheTokens: 2048, retires: "2099-06-30" },
    "my-proxy": { input: 1.5, output: 7.5, cacheRead: 0.15, retires: "2000-01-01" },
  },
  run: { pollSeconds: 2 },
};

async function project(config: unknown = CONFIG): Promise<string> {
  const cwd = await tempDir();
  await Deno.writeTextFile(`${cwd}/pressroom.json`, JSON.stringify(config, null, 2) + "\n");
  return cwd;
}

const columns = (line: string) => line.split(/\s{2,}/);

Deno.test("prices shows the config override beside the built-in price, marked in force, with sources and dates", async () => {
  const cwd = await project();
  const { code, out, err } = await runPressroom(cwd, ["prices"]);
  assertEquals([code, err], [0, ""]);
  const lines = out.trimEnd().split("\n");
  assertEquals(columns(lines[0]), [
    "model",
    "price",
    "in force",
    "input",
    "output",
    "5m write",
    "1h write",
    "cache read",
    "min cache",
    "retires",
    "source",
  ]);
  const rows = lines.slice(1, -1).map(columns);
  const row = (model: string, price: string) => rows.find((r) => r[0] === model && r[1] === price);
  assertEquals(row("claude-sonnet-5", "built-in"), [
    "claude-sonnet-5",
    "built-in",
    "2.00",
    "10.00",
    "2.50",
    "4.00",
    "0.20",
    "1024",
    "-",
    "platform.claude.com/docs/en/about-claude/pricing, checked 2026-11-24",
  ]);
  assertEquals(row("claude-sonnet-5", "config"), [
    "claude-sonnet-5",
    "config",
    "*",
    "2.00",
    "10.00",
    "2.50",
    "4.00",
    "0.20",
    "2048",
    "2099-06-30",
    "pressroom.json prices",
  ]);
  // A model only the config knows, its cache prices at the standard multipliers; a past date is marked.
  assertEquals(row("my-proxy", "config"), [
    "my-proxy",
    "config",
    "*",
    "1.50",
    "7.50",
    "1.875",
    "3.00",
    "0.15",
    "1024",
    "2000-01-01 (past)",
    "pressroom.json prices",
  ]);
  assertEquals(row("claude-sonnet-5-5", "built-in"), [
    "claude-sonnet-5-5",
    "built-in",
    "*",
    "2.00",
    "10.00",
    "2.50",
    "4.00",
    "0.10",
    "512",
    "-",
    "https://platform.claude.com/docs/en/about-claude/pricing, checked 2026-12-01 " +
    "(prompt caching: reads 0.05 x input on Sonnet 5.5)",
  ]);
  assertEquals(row("claude-haiku-5-5", "built-in, prompt > 100000")?.slice(2), [
    "*",
    "0.50",
    "2.50",
    "0.625",
    "1.00",
    "0.05",
  ]);
  assertEquals(row("claude-opus-4-5-20251101 (claude-opus-4-5)", "built-in")?.[9], "2027-01-22");
  assertEquals(
    lines.at(-1),
    "USD per million tokens; * = the price calls are charged at. Web search $0.01 per request; " +
      `Message Batches 50% off token prices. Config: ${await Deno.realPath(cwd)}/pressroom.json`,
  );
});

Deno.test("prices --json prints only JSON with the built-in and config prices side by side", async () => {
  const cwd = await project();
  const { code, out, err } = await runPressroom(cwd, ["prices", "--json"]);
  assertEquals([code, err], [0, ""]);
  const json = JSON.parse(out);
  assertEquals(Object.keys(json), [
    "configFile",
    "unit",
    "webSearchUsdPerRequest",
    "batchDiscountPercent",
    "models",
  ]);
  assertEquals([json.unit, json.webSearchUsdPerRequest, json.batchDiscountPercent], [
    "USD per million tokens",
    0.01,
    50,
  ]);
  const model = (id: string) => json.models.find((m: any) => m.model === id);
  assertEquals(model("claude-sonnet-5"), {
    model: "claude-sonnet-5",
    aliases: [],
    inForce: "config",
    prices: { input: 2, output: 10, cacheWrite5m: 2.5, cacheWrite1h: 4, cacheRead: 0.2 },
    longContext: null,
    minCacheTokens: 2048,
    retires: "2099-06-30",
    source: "pressroom.json prices",
    builtIn: {
      prices: { input: 2, output: 10, cacheWrite5m: 2.5, cacheWrite1h: 4, cacheRead: 0.2 },
      longContext: null,
      minCacheTokens: 1024,
      retires: null,
      source: "platform.claude.com/docs/en/about-claude/pricing, checked 2026-11-24",
    },
    config: {
      key: "claude-sonnet-5",
      prices: { input: 2, output: 10, cacheWrite5m: null, cacheWrite1h: null, cacheRead: null },
      minCacheTokens: 2048,
      retires: "2099-06-30",
    },
  });
  assertEquals(model("my-proxy").builtIn, null);
  assertEquals(model("my-proxy").prices, {
    input: 1.5,
    output: 7.5,
    cacheWrite5m: 1.875,
    cacheWrite1h: 3,
    cacheRead: 0.15,
  });
  assertEquals(model("claude-sonnet-4-5-20250929").aliases, ["claude-sonnet-4-5"]);
  assertEquals(model("claude-sonnet-4-5-20250929").retires, "2026-11-30");
  assertEquals(model("claude-fable-5-1").inForce, "built-in");
  assertEquals(model("claude-fable-5-1").prices.cacheRead, 0.25);
  assertEquals(model("claude-haiku-5-5").longContext, {
    thresholdTokens: 100000,
    prices: { input: 0.5, output: 2.5, cacheWrite5m: 0.625, cacheWrite1h: 1, cacheRead: 0.05 },
  });
});

Deno.test("prices import without --write prints what would change and leaves the config as it was", async () => {
  const cwd = await project();
  const before = await Deno.readFile(`${cwd}/pressroom.json`);
  const { code, out, err } = await runPressroom(cwd, ["prices", "import", FIXTURE]);
  assertEquals([code, err], [0, ""]);
  assertEquals(out.split("\n"), [
    "new      claude-fable-5-2: input 8.00, output 40.00, 5m write 10.00, 1h write 16.00, cache read 0.20",
    "changed  claude-sonnet-5: input 2.00 -> 3.00, output 10.00 -> 15.00, 5m write 2.50 -> 3.75, cache read 0.20 -> 0.30",
    "unchanged: 1 Claude model; ignored: 2 non-Claude entries",
    `dry run: nothing written; --write puts 2 models into ${await Deno.realPath(
      cwd,
    )}/pressroom.json (prices)`,
    "",
  ]);
  assertEquals(await Deno.readFile(`${cwd}/pressroom.json`), before);
});

Deno.test("prices import --write writes exactly the differences, exact decimals, and the config then loads", async () => {
  const cwd = await project();
  const { code, out, err } = await runPressroom(cwd, ["prices", "import", FIXTURE, "--write"]);
  assertEquals([code, err], [0, ""]);
  assertEquals(
    out.trimEnd().split("\n").at(-1),
    `wrote 2 models into ${await Deno.realPath(cwd)}/pressroom.json (prices)`,
  );
  const text = await Deno.readTextFile(`${cwd}/pressroom.json`);
  assert(text.includes('"cacheWrite5m": 3.75'), text);
  assert(text.includes('"cacheRead": 0.3'), text);
  assert(!/\d\.\d{6,}/.test(text), "no float tails");
  const written = JSON.parse(text);
  // Every other field kept, in the same order; the override keeps its cache minimum and date, and the
  // 1h write LiteLLM did not give keeps the price in force (4).
  assertEquals(Object.keys(written), Object.keys(CONFIG));
  assertEquals({ ...written, prices: null }, { ...CONFIG, prices: null });
  assertEquals(written.prices, {
    "claude-sonnet-5": {
      input: 3,
      output: 15,
      cacheWrite5m: 3.75,
      cacheWrite1h: 4,
      cacheRead: 0.3,
      minCacheTokens: 2048,
      retires: "2099-06-30",
    },
    "my-proxy": CONFIG.prices["my-proxy"],
    "claude-fable-5-2": { input: 8, output: 40, cacheWrite5m: 10, cacheWrite1h: 16, cacheRead: 0.2 },
  });

  const listed = await runPressroom(cwd, ["prices", "--json"]);
  assertEquals(listed.code, 0, listed.err);
  const models = JSON.parse(listed.out).models;
  const sonnet5 = models.find((m: any) => m.model === "claude-sonnet-5");
  assertEquals([sonnet5.inForce, sonnet5.prices], ["config", {
    input: 3,
    output: 15,
    cacheWrite5m: 3.75,
    cacheWrite1h: 4,
    cacheRead: 0.3,
  }]);
  assertEquals(models.find((m: any) => m.model === "claude-fable-5-2").prices.cacheWrite1h, 16);

  // A second import finds nothing left to change and does not touch the file.
  const again = await runPressroom(cwd, ["prices", "import", FIXTURE, "--write"]);
  assertEquals(again.code, 0, again.err);
  assertEquals(again.out.trimEnd().split("\n").slice(-2), [
    "unchanged: 3 Claude models; ignored: 2 non-Claude entries",
    "nothing to change: the prices in force already match",
  ]);
  assertEquals(await Deno.readTextFile(`${cwd}/pressroom.json`), text);
});

Deno.test("prices import --write with no config file refuses and creates none", async () => {
  const cwd = await tempDir();
  const { code, out, err } = await runPressroom(cwd, ["prices", "import", FIXTURE, "--write"]);
  assertEquals([code, out], [2, ""]);
  assertEquals(
    err,
    "pressroom: prices import --write: there is no pressroom.json here to write prices into; " +
      "run `pressroom init` first (or name one with --config)\n",
  );
  assertEquals([...Deno.readDirSync(cwd)], []);
  const dry = await runPressroom(cwd, ["prices", "import", FIXTURE]);
  assertEquals(dry.code, 0, dry.err);
  assertEquals(
    dry.out.trimEnd().split("\n").at(-1),
    "dry run: nothing written; --write needs a config file: run `pressroom init` first",
  );
});

Deno.test("prices refuses arguments it does not take, with one line and exit 2", async () => {
  const cwd = await project();
  for (
    const [args, message] of [
      [["prices", "--write"], "prices: --write goes with `prices import FILE`"],
      [
        ["prices", "export"],
        'prices: unknown subcommand "export"; use `prices [--json]` or `prices import FILE`',
      ],
      [["prices", "import"], "prices import: give one file: pressroom prices import FILE [--write]"],
      [
        ["prices", "import", "a.json", "b.json"],
        "prices import: give one file: pressroom prices import FILE [--write]",
      ],
      [
        ["prices", "import", FIXTURE, "--json"],
        "prices import: --json is not supported; it prints text only",
      ],
    ] as const
  ) {
    const { code, out, err } = await runPressroom(cwd, [...args]);
    assertEquals([code, out, err], [2, "", `pressroom: ${message}\n`]);
  }
});

/** Each broken or hostile file: how to make it, and the error after `pressroom: <file>: `. */
const HOSTILE: { name: string; make: (path: string) => Promise<void>; problem: RegExp }[] = [
  { name: "missing.json", make: async () => {}, problem: /^cannot read: no such file$/ },
  {
    name: "not-json.json",
    make: (p) => Deno.writeTextFile(p, "model,price\n"),
    problem: /^not valid JSON: /,
  },
  {
    name: "array.json",
    make: (p) => Deno.writeTextFile(p, "[]"),
    problem: /^not a LiteLLM price map: the top level is an array, not an object$/,
  },
  {
    name: "negative.json",
    make: (p) =>
      Deno.writeTextFile(p, '{"claude-x": {"input_cost_per_token": -3e-6, "output_cost_per_token": 1e-5}}'),
    problem: /^entry "claude-x": input_cost_per_token: negative \(-0\.000003 USD per token\)$/,
  },
  {
    name: "absurd.json",
    make: (p) =>
      Deno.writeTextFile(p, '{"claude-x": {"input_cost_per_token": 3, "output_cost_per_token": 15}}'),
    problem: /^entry "claude-x": input_cost_per_token: 3 USD per token is above 10000 USD per million tokens/,
  },
  {
    name: "string.json",
    make: (p) =>
      Deno.writeTextFile(
        p,
        '{"claude-x": {"input_cost_per_token": "0.000003", "output_cost_per_token": 1e-5}}',
      ),
    problem: /^entry "claude-x": input_cost_per_token: must be a number, not a string$/,
  },
  {
    name: "array-entry.json",
    make: (p) => Deno.writeTextFile(p, '{"claude-x": [3e-6, 1.5e-5]}'),
    problem: /^entry "claude-x": must be an object, not an array$/,
  },
  {
    name: "infinity.json",
    make: (p) =>
      Deno.writeTextFile(p, '{"claude-x": {"input_cost_per_token": 1e999, "output_cost_per_token": 1e-5}}'),
    problem: /^entry "claude-x": input_cost_per_token: not a finite number \(Infinity\)$/,
  },
  {
    name: "fine.json",
    make: (p) =>
      Deno.writeTextFile(p, '{"claude-x": {"input_cost_per_token": 3e-6, "output_cost_per_token": 1.5e-14}}'),
    problem:
      /^entry "claude-x": output_cost_per_token: 1\.5e-14 USD per token is finer than 0\.001 USD per million/,
  },
  {
    name: "huge.json",
    make: async (p) => {
      // Sparse: 100 MB on paper, nothing written.
      await Deno.writeTextFile(p, "");
      await Deno.truncate(p, 100 * 1024 * 1024);
    },
    problem: /^104857600 bytes, over the 20971520-byte limit for a price map$/,
  },
  { name: "folder.json", make: (p) => Deno.mkdir(p), problem: /^a folder, not a file$/ },
  {
    name: "fifo.json",
    make: async (p) => {
      const { success } = await new Deno.Command("mkfifo", { args: [p] }).output();
      assert(success, "mkfifo");
    },
    problem: /^not a regular file \(a device, FIFO or socket\)$/,
  },
];

Deno.test("a broken or hostile price file is one line on stderr naming it, exit 2, config untouched", async (t) => {
  const cwd = await project();
  const before = await Deno.readFile(`${cwd}/pressroom.json`);
  for (const { name, make, problem } of HOSTILE) {
    await t.step(name, async () => {
      await make(`${cwd}/${name}`);
      const started = performance.now();
      const { code, out, err } = await runPressroom(cwd, ["prices", "import", name, "--write"]);
      assertEquals([code, out], [2, ""], err);
      assertEquals(err.split("\n").length, 2, `one line: ${err}`);
      assert(err.startsWith(`pressroom: ${name}: `), err);
      assertMatch(err.slice(`pressroom: ${name}: `.length).trimEnd(), problem);
      assertEquals(await Deno.readFile(`${cwd}/pressroom.json`), before);
      assert(performance.now() - started < 15_000, "refused without reading the whole file");
    });
  }
  await t.step("/dev/zero", async () => {
    const { code, out, err } = await runPressroom(cwd, ["prices", "import", "/dev/zero", "--write"]);
    assertEquals([code, out, err], [
      2,
      "",
      "pressroom: /dev/zero: not a regular file (a device, FIFO or socket)\n",
    ]);
    assertEquals(await Deno.readFile(`${cwd}/pressroom.json`), before);
  });
});
