/**
 * Commands that tell the truth, run as a user runs them: a mistyped `--data` finds no ledger and says so
 * (nothing is created), `caps` says a per-workflow cap never resets, and `--version` names the program.
 */
import { assert, assertEquals } from "../assert.ts";
import { caps, openLedger, runPressroom, tempDir } from "../helpers.ts";
import { MIGRATIONS } from "../../src/db/migrations.ts";
import { VERSION } from "../../src/version.ts";

const pressroom = runPressroom;

/** Every command that reads the ledger, or acts on a workflow already in it. */
const READERS = [
  ["status"],
  ["status", "01JWORKFLOW", "--json"],
  ["caps", "--json"],
  ["report"],
  ["models"],
  ["project", "--agent", "writer", "--model", "claude-sonnet-4-6"],
  ["approve", "01JWORKFLOW"],
  ["retry", "01JWORKFLOW"],
];

const entries = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("a mistyped --data: each command that reads the ledger says none is there, exit 2, and creates nothing", async () => {
  const cwd = await tempDir();
  for (const args of READERS) {
    const { code, out, err } = await pressroom(cwd, [...args, "--data", "pressroom-dta"]);
    assertEquals({ code, out, err }, {
      code: 2,
      out: "",
      err: `pressroom: --data: no ledger at ${cwd}/pressroom-dta/pressroom.db (the folder does not exist); ` +
        "check the folder, or start one with `pressroom submit` or `pressroom demo`\n",
    }, args.join(" "));
  }
  assertEquals(entries(cwd), [], "no data folder was made");

  // A folder that is there but holds no ledger (the config's folder, say) stays as it was.
  await Deno.mkdir(`${cwd}/elsewhere`);
  await Deno.writeTextFile(`${cwd}/pressroom.json`, JSON.stringify({ dataDir: "elsewhere" }));
  const status = await pressroom(cwd, ["status"]);
  assertEquals([status.code, status.out, status.err], [
    2,
    "",
    `pressroom: ${cwd}/pressroom.json: dataDir: no ledger at ${cwd}/elsewhere/pressroom.db (no such file); ` +
    "check the folder, or start one with `pressroom submit` or `pressroom demo`\n",
  ]);
  assertEquals(entries(`${cwd}/elsewhere`), []);
});

Deno.test("doctor with a mistyped --data: every other check still runs, the ledger check fails, exit 2, nothing made", async () => {
  const cwd = await tempDir();
  const { code, out, err } = await pressroom(cwd, ["doctor", "--data", "nowhere"]);
  assertEquals([code, err], [2, ""]);
  assertEquals(out.split("\n").filter((l) => l.includes("ledger")), [
    `fail  ledger: --data: no ledger at ${cwd}/nowhere/pressroom.db (the folder does not exist); ` +
    "check the folder, or start one with `pressroom submit` or `pressroom demo`",
  ]);
  assert(/^ok {4}config: /m.test(out) && /^warn {2}ANTHROPIC_API_KEY: not set/m.test(out), out);
  assertEquals(entries(cwd), []);
});

Deno.test("a ledger that is there is read as before: status says no workflows yet, exit 0", async () => {
  const cwd = await tempDir();
  openLedger(`${cwd}/pressroom-data`).close();
  const { code, out, err } = await pressroom(cwd, ["status"]);
  assertEquals({ code, out, err }, {
    code: 0,
    out: 'no workflows yet: pressroom submit "<topic>"\n',
    err: "",
  });
});

Deno.test("caps: the daily caps' days and zone, and a per-workflow cap that never resets", async () => {
  const cwd = await tempDir();
  await Deno.writeTextFile(
    `${cwd}/pressroom.json`,
    JSON.stringify({ caps: { perWorkflowUsd: 1, timezone: "Europe/Paris" } }),
  );
  openLedger(`${cwd}/pressroom-data`, caps({ timezone: "Europe/Paris" })).close();
  const { code, out, err } = await pressroom(cwd, ["caps"]);
  assertEquals([code, err], [0, ""]);
  const lines = out.split("\n");
  assertEquals(lines.slice(3, 5), [
    "daily caps: days run midnight to midnight in Europe/Paris",
    "perWorkflowUsd: $1.0000 per workflow, never resets",
  ]);
});

Deno.test("--version and -V print the version, the ledger schema and the Deno it runs on", async () => {
  const cwd = await tempDir();
  const expected = `pressroom ${VERSION} (ledger schema ${MIGRATIONS.length}, deno ${Deno.version.deno})\n`;
  for (const flag of ["--version", "-V"]) {
    const { code, out, err } = await pressroom(cwd, [flag]);
    assertEquals({ code, out, err }, { code: 0, out: expected, err: "" }, flag);
  }
  const help = await pressroom(cwd, ["--help"]);
  assert(
    help.out.startsWith(
      "usage: pressroom <command> [options]   (global: --config FILE, --data DIR; pressroom --version)\n",
    ),
  );
  assertEquals(entries(cwd), []);
});
