/**
 * Retired models and an API that cannot be reached, as an operator meets them on the command line:
 * a retired model refused at load, workflows in flight pinned to a retired or retiring model named by
 * `doctor` and `models`, `doctor` connecting to the API host, and `run --once` exiting 1 when it cannot
 * reach the API at all, the work left as it was. Claude Sonnet 4.5 retired on
 * 2026-11-30, before these tests were written, so it stays retired whatever the wall date; a retiring
 * model is a config price with a date relative to today.
 */
import { assert, assertEquals } from "../assert.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import { WorkflowStore } from "../../src/pipeline/store.ts";
import { openLedger, rawDb, runPressroom, tempDir, TEST_KEY } from "../helpers.ts";

const isoDay = (offsetDays: number) =>
  new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

const KEY = { ANTHROPIC_API_KEY: TEST_KEY };

Deno.test("a retired model in the config: submit, run and doctor refuse it with one line naming the agent and a replacement", async () => {
  const cwd = await tempDir();
  await Deno.writeTextFile(
    `${cwd}/pressroom.json`,
    JSON.stringify({ agents: { editor: { model: "claude-sonnet-4-5" } } }),
  );
  const line =
    `${cwd}/pressroom.json: agents.editor.model: claude-sonnet-4-5 retired on 2026-11-30 and the ` +
    "API refuses it; use claude-sonnet-4-6 instead";
  const submit = await runPressroom(cwd, ["submit", "Lighthouses"], KEY);
  assertEquals([submit.code, submit.out, submit.err], [2, "", `pressroom: ${line}\n`]);
  const run = await runPressroom(cwd, ["run", "--once"], KEY);
  assertEquals([run.code, run.out, run.err], [2, "", `pressroom: ${line}\n`]);
  const doctor = await runPressroom(cwd, ["doctor"]);
  assertEquals([doctor.code, doctor.out], [1, `fail  config: ${line}\n`]);
  await assertMissing(`${cwd}/pressroom-data`);
});

Deno.test("doctor and models name workflows in flight pinned to a retired or retiring model, with the re-pin command", async () => {
  const cwd = await tempDir();
  const soon = isoDay(20);
  // The config is fixed (editor on the default Sonnet); a price for the retiring gateway model stays.
  await Deno.writeTextFile(
    `${cwd}/pressroom.json`,
    JSON.stringify({ prices: { "gateway-soon": { input: 1, output: 2, retires: soon } } }),
  );
  const ledger = openLedger(`${cwd}/pressroom-data`);
  const store = new WorkflowStore(rawDb(ledger));
  const old = { ...DEFAULT_MODELS, editor: "claude-sonnet-4-5", publisher: "claude-sonnet-4-5" };
  const stuckOnOld = store.create({ topic: "a" }, old).id;
  const pastEditor = store.create({ topic: "b" }, old).id;
  store.update(pastEditor, { stage: "publisher" });
  const done = store.create({ topic: "c" }, old).id;
  store.update(done, { stage: "done", status: "published" });
  const retiring = store.create({ topic: "d" }, { ...DEFAULT_MODELS, writer: "gateway-soon" }).id;
  const fine = store.create({ topic: "e" }, DEFAULT_MODELS).id;
  ledger.close();

  const retiredLine = `2 workflow(s) in flight pinned to claude-sonnet-4-5, which retired on 2026-11-30 ` +
    `(its calls fail): ${stuckOnOld} (editor, publisher), ${pastEditor} (publisher); re-pin with ` +
    "`pressroom retry <workflow> --model editor=claude-sonnet-4-6 --model publisher=claude-sonnet-4-6`";
  const retiringLine =
    `1 workflow(s) in flight pinned to gateway-soon, which retires on ${soon}, in 20 days: ` +
    `${retiring} (writer); re-pin with \`pressroom retry <workflow> --model writer=claude-opus-4-7\``;

  const doctor = await runPressroom(cwd, ["doctor"]);
  assertEquals(doctor.code, 1, doctor.out);
  const lines = doctor.out.split("\n");
  assert(lines.includes(`fail  workflows: ${retiredLine}`), doctor.out);
  assert(lines.includes(`warn  workflows: ${retiringLine}`), doctor.out);
  assert(!doctor.out.includes(fine) && !doctor.out.includes(done), "only workflows pinned to such a model");
  assertEquals(lines.filter((l) => l.startsWith("fail")).length, 1, doctor.out);

  const models = await runPressroom(cwd, ["models"]);
  assertEquals(models.code, 0, models.err);
  const shown = models.out.split("\n");
  assert(shown.includes(`warning: ${retiredLine}`), models.out);
  assert(shown.includes(`warning: ${retiringLine}`), models.out);

  const json = await runPressroom(cwd, ["models", "--json"]);
  assertEquals(JSON.parse(json.out).retirements, [
    {
      model: "claude-sonnet-4-5",
      kind: "retired",
      retires: "2026-11-30",
      days: JSON.parse(json.out).retirements[0].days,
      replacedBy: "claude-sonnet-4-6",
      workflows: [
        { id: stuckOnOld, agents: ["editor", "publisher"] },
        { id: pastEditor, agents: ["publisher"] },
      ],
    },
    {
      model: "gateway-soon",
      kind: "retiring",
      retires: soon,
      days: 20,
      workflows: [{ id: retiring, agents: ["writer"] }],
    },
  ]);
  assert(JSON.parse(json.out).retirements[0].days < 0);
});

Deno.test("doctor connects to the API host: an unreachable base URL is a failed check, exit 1", async () => {
  const cwd = await tempDir();
  openLedger(`${cwd}/pressroom-data`).close();
  // Port 1: Deno refuses it before connecting, as the example meets it; a closed port: refused.
  const closed = await closedPort();
  for (
    const [url, why] of [
      ["http://127.0.0.1:1", "port blocked by Deno before connecting"],
      [`http://127.0.0.1:${closed}`, "connection refused"],
    ]
  ) {
    const { code, out } = await runPressroom(cwd, ["doctor"], { ...KEY, ANTHROPIC_BASE_URL: url });
    assertEquals(code, 1, out);
    const fails = out.split("\n").filter((l) => l.startsWith("fail"));
    assertEquals(fails, [`fail  API: cannot reach ${url}: ${why}`]);
  }
});

Deno.test("run --once that cannot reach the API at all exits 1 with one line naming the base URL; the work stays ready", async () => {
  const cwd = await tempDir();
  const submitted = await runPressroom(cwd, ["submit", "Lighthouses"], KEY);
  assertEquals(submitted.code, 0, submitted.err);
  const id = submitted.out.split(" ")[0];
  const closed = await closedPort();
  for (
    const [url, why] of [
      ["http://127.0.0.1:1", "port blocked by Deno before connecting"],
      [`http://127.0.0.1:${closed}`, "connection refused"],
    ]
  ) {
    const run = await runPressroom(cwd, ["run", "--once"], { ...KEY, ANTHROPIC_BASE_URL: url });
    assertEquals([run.code, run.out], [1, ""]);
    assertEquals(
      run.err,
      `pressroom: cannot reach the API at ${url} (${why}): nothing was sent, and the work stays where it was\n`,
    );
  }
  // Not lost, not failed: still ready at intake, with no wait to sit out; nothing spent, nothing held.
  const status = JSON.parse((await runPressroom(cwd, ["status", id, "--json"])).out);
  assertEquals([status.stage, status.status, status.reason, status.waitUntil], [
    "intake",
    "ready",
    null,
    null,
  ]);
  assertEquals(status.costUsd, 0);
  const caps = JSON.parse((await runPressroom(cwd, ["caps", "--json"])).out).caps;
  assertEquals([caps[0].spentUsd, caps[0].reservedUsd], [0, 0]);
});

/** A port on 127.0.0.1 that nothing listens on: one the OS just gave out and took back. */
export async function closedPort(): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await Promise.resolve();
  return port;
}

async function assertMissing(path: string): Promise<void> {
  try {
    await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  throw new Error(`${path} exists`);
}
