/**
 * `report --html`: one self-contained file, rendered by headless Chromium
 * (Debian's `chromium`, when installed) without console errors, with the same
 * numbers as `--json`.
 */
// deno-lint-ignore-file no-explicit-any
import { assert, assertEquals } from "../assert.ts";
import { runPressroom, tempDir } from "../helpers.ts";
import { fixture } from "./fixture.ts";

const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});
if (!chromium) {
  console.warn("html_test: skipping the headless Chromium test: no /usr/bin/chromium or chromium-browser");
}

/** The value at a dotted path such as `backends.0.completions.meanUsd`. */
const at = (data: any, path: string) => path.split(".").reduce((v, k) => v?.[k], data);

/** How the page prints a figure, by the figure's name. */
function printed(path: string, value: number): string {
  if (/[Uu]sd$/.test(path)) return `$${value.toFixed(4)}`;
  if (/(Accuracy|HitRate|\.share|Accuracy\.value)$/.test(path)) return `${(value * 100).toFixed(1)}%`;
  if (/(retriesPerCompletion|revisionsPerWorkflow|droppedQuotesPerCompletion)$/.test(path)) {
    return value.toFixed(2);
  }
  if (/perCompletion\.\w+$/.test(path)) return value.toFixed(1);
  if (path.endsWith("turnsPerCompletion.mean")) return value.toFixed(1);
  return String(value);
}

Deno.test("report --html writes one self-contained page whose figures match --json", async () => {
  const cwd = await fixture();
  const out = `${cwd}/report.html`;
  const written = await runPressroom(cwd, ["report", "--html", out]);
  assertEquals(written.code, 0, written.err);
  const html = await Deno.readTextFile(out);
  assert(!/<script[^>]+src=|<link[^>]+href=|@import/i.test(html), "nothing is loaded from elsewhere");
  assert(html.includes("uPlot"), "the charting library is inlined");
  const data = JSON.parse((await runPressroom(cwd, ["report", "--json"])).out);
  const cells = [...html.matchAll(/<td data-figure="([^"]+)">([^<]*)<\/td>/g)];
  assert(cells.length > 20);
  for (const [, path, text] of cells) assertEquals(text, printed(path, at(data, path)), path);
  // The simulated writer's call went through a batch: the batch table shows it, saved as much as it cost.
  assertEquals(
    cells.filter(([, path]) => path.includes(".batch.")).map(([, path, text]) => [path, text]),
    [["backends.1.agents.0.batch.share", "100.0%"], ["backends.1.agents.0.batch.savedUsd", "$0.0990"]],
  );
});

Deno.test("report --html shows what the terminal shows: each agent's share and the cold cache write after a model swap", async () => {
  const cwd = await fixture();
  const out = `${cwd}/report.html`;
  const written = await runPressroom(cwd, ["report", "--html", out]);
  assertEquals(written.code, 0, written.err);
  const html = await Deno.readTextFile(out);
  const terminal = (await runPressroom(cwd, ["report"])).out;
  // The fixture's W2 moved the writer from Opus to Sonnet: its first Sonnet call wrote 500 tokens cold.
  const swap =
    /^ {2}model swap: writer claude-opus-4-7 → claude-sonnet-4-6 at (\S+), cold write of 500 tokens \(\$0\.0019\)$/m
      .exec(terminal);
  assert(swap, terminal);
  assert(
    html.includes(
      `<tr><td>writer</td><td>claude-opus-4-7 → claude-sonnet-4-6</td><td>${swap[1]}</td>` +
        `<td data-figure="backends.0.cache.coldWritesAfterSwap.0.writeTokens">500</td>` +
        `<td data-figure="backends.0.cache.coldWritesAfterSwap.0.writeUsd">$0.0019</td><td></td></tr>`,
    ),
    "the swap's row",
  );
  assertEquals(
    [...html.matchAll(/<td data-figure="backends\.0\.shareByAgent\.\d\.share">([^<]*)<\/td>/g)].map((m) =>
      m[1]
    )
      .sort(),
    ["27.3%", "72.7%"],
  );
  const agent = `${cwd}/writer.html`;
  await runPressroom(cwd, ["report", "--agent", "writer", "--html", agent]);
  assert(
    (await Deno.readTextFile(agent)).includes("<h3>The writer's cost per completion (its calls only)</h3>"),
  );
});

Deno.test({
  name: "the page renders in headless Chromium: charts drawn, no console errors, the same numbers",
  ignore: !chromium,
  async fn() {
    const cwd = await fixture();
    const out = `${cwd}/report.html`;
    await runPressroom(cwd, ["report", "--html", out]);
    const profile = await tempDir();
    const run = await new Deno.Command(chromium!, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
        `file://${out}`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dom = new TextDecoder().decode(run.stdout);
    const log = new TextDecoder().decode(run.stderr);
    assert(run.success, log.slice(-2000));
    const consoleErrors = log.split("\n").filter((l) =>
      /CONSOLE|Uncaught/.test(l) && /error|Uncaught/i.test(l)
    );
    assertEquals(consoleErrors, []);
    const data = JSON.parse((await runPressroom(cwd, ["report", "--json"])).out);
    // Time series only from two days of data: the fixture's day is one, so none, and the page says why.
    assertEquals(data.backends.map((b: any) => b.trendByDay.length), [1, 0]);
    assertEquals((dom.match(/<canvas/g) ?? []).length, 0);
    assert(dom.includes("One day of data: the time series starts with the second day."));
    // The charts people open the report for, drawn as SVG: accuracy with intervals, the cost distribution,
    // the model mixes (the fixture's writer moved from Opus to Sonnet), cache savings.
    for (const chart of ["accuracy-0", "histogram-0", "mixes-backends.0", "cache-savings-0"]) {
      assert(dom.includes(`data-chart="${chart}"`), chart);
    }
    assertEquals((dom.match(/<th><\/th>/g) ?? []).length, 0, "a table with an empty column header");
    const cells = [...dom.matchAll(/<td data-figure="([^"]+)">([^<]*)<\/td>/g)];
    assert(cells.length > 20);
    for (const [, path, text] of cells) assertEquals(text, printed(path, at(data, path)), path);
  },
});

Deno.test({
  name:
    "a two-arm canary's report renders in headless Chromium: its section, both arms' intervals, the verdict, the same numbers",
  ignore: !chromium,
  async fn() {
    const cwd = await tempDir();
    await Deno.writeTextFile(
      `${cwd}/pressroom.json`,
      JSON.stringify({ agents: { writer: { canary: { model: "claude-sonnet-4-6", share: 0.5 } } } }),
    );
    assertEquals((await runPressroom(cwd, ["demo", "--workflows", "12"])).code, 0);
    const out = `${cwd}/report.html`;
    assertEquals((await runPressroom(cwd, ["report", "--html", out])).code, 0);
    const profile = await tempDir();
    const chrome = (extra: string[]) =>
      new Deno.Command(chromium!, {
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          `--user-data-dir=${profile}`,
          "--hide-scrollbars",
          "--window-size=1000,3000",
          ...extra,
          `file://${out}`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const run = await chrome(["--enable-logging=stderr", "--v=0", "--dump-dom"]);
    const dom = new TextDecoder().decode(run.stdout);
    const log = new TextDecoder().decode(run.stderr);
    assert(run.success, log.slice(-2000));
    assertEquals(log.split("\n").filter((l) => /CONSOLE|Uncaught/.test(l) && /error|Uncaught/i.test(l)), []);
    const data = JSON.parse((await runPressroom(cwd, ["report", "--json"])).out);
    const [writer] = data.rollouts;
    assert(dom.includes("<h2>Canary: writer on claude-sonnet-4-6 (50 % of new workflows)</h2>"));
    const arms = /data-chart="canary-accuracy-0"[\s\S]*?<\/svg>/.exec(dom)![0];
    assertEquals([...arms.matchAll(/<g data-row="([^"]+)"/g)].map((m) => m[1]), [
      "canary · claude-sonnet-4-6",
      "control · claude-opus-4-7",
    ]);
    assert(dom.includes(`data-chart="canary-difference-0"`));
    const verdict = /<p data-figure="rollouts\.0\.verdict\.text"><strong>Verdict:<\/strong> ([^<]*)<\/p>/
      .exec(dom);
    assertEquals(verdict?.[1].replaceAll("&amp;", "&"), writer.verdict.text);
    const cells = [...dom.matchAll(/<td data-figure="(rollouts\.[^"]+)">([^<]*)<\/td>/g)];
    assertEquals(cells.length, 14);
    for (const [, path, text] of cells) assertEquals(text, printed(path, at(data, path)), path);
    // The screenshot a person looks at: the page paints, charts and all.
    const shot = `${cwd}/report.png`;
    assert((await chrome([`--screenshot=${shot}`])).success);
    assert((await Deno.stat(shot)).size > 20_000);
  },
});
