/**
 * The machine at fault, through the real CLI: the ledger locked by another program, and the data folder
 * (or only its workflows/) mounted read-only. Each ends in one line on stderr and exit 1, with nothing
 * lost or half-written.
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { assertEquals, assertMatch } from "../assert.ts";
import { readOnly, readOnlyMountProblem, tempDir } from "../helpers.ts";
import {
  assertHarmless,
  assertNoTempFiles,
  assertOneLine,
  assertUnchanged,
  caseFolder,
  cli,
  createdId,
  DATA,
  requestOf,
  type Run,
  type Snapshot,
  snapshot,
  workflowIds,
} from "./bad_input_harness.ts";

/** Holds a lock on the ledger from this process, as another program would, until released. */
function holdLedger(dir: string, sql: string): { release(): void } {
  const db = new DatabaseSync(`${dir}/${DATA}/pressroom.db`);
  db.exec(sql);
  return {
    release: () => {
      db.exec("ROLLBACK");
      db.close();
    },
  };
}

/**
 * Two ledgers held by another program (this process) while the CLI runs against each: a write
 * transaction, which leaves readers reading (WAL), and an exclusive lock, which shuts everyone out.
 * Each command waits out the 10 s busy timeout, so this starts when the file loads and the wait
 * overlaps the read-only test instead of adding to it.
 */
async function lockedLedgers(): Promise<{ dirs: string[]; before: Snapshot[]; runs: Run[] }> {
  const root = await tempDir();
  const dirs = [await caseFolder(root, "write-lock"), await caseFolder(root, "exclusive-lock")];
  const before = await Promise.all(dirs.map(snapshot));
  const holds = [
    holdLedger(dirs[0], "BEGIN EXCLUSIVE"),
    holdLedger(dirs[1], "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; SELECT COUNT(*) FROM workflow"),
  ];
  try {
    const runs = await Promise.all(
      dirs.flatMap((dir) =>
        [["status", "--json"], ["submit", "Topic", "--json"], ["run", "--once"]].map((a) => cli(dir, a))
      ),
    );
    return { dirs, before, runs };
  } finally {
    for (const hold of holds) hold.release();
  }
}
const lockedScenario = lockedLedgers().then((value) => ({ value }), (error: Error) => ({ error }));

Deno.test("the ledger locked by another program: one line and exit 1 after the busy timeout, the ledger intact", async () => {
  const scenario = await lockedScenario;
  if ("error" in scenario) throw scenario.error;
  const { dirs, before, runs } = scenario.value;
  const [status, ...refused] = runs;
  assertEquals(status.code, 0, status.err);
  assertEquals(JSON.parse(status.out).workflows.length, 1, "a reader reads beside a writer");
  const labels = ["submit", "run", "status (exclusive)", "submit (exclusive)", "run (exclusive)"];
  for (const [i, r] of refused.entries()) {
    assertEquals(r.code, 1, `${labels[i]}: ${r.err}`);
    assertOneLine(
      r.err,
      /pressroom\.db.* locked by another program for longer than the busy timeout/,
      labels[i],
    );
    assertEquals(r.out, "", `${labels[i]}: nothing on stdout`);
  }
  for (const [i, dir] of dirs.entries()) {
    const after = await snapshot(dir);
    assertUnchanged(before[i], after, dir);
    assertNoTempFiles(after, dir);
    const again = await cli(dir, ["status", "--json"]);
    assertEquals(
      [again.code, JSON.parse(again.out).workflows[0].topic],
      [0, "Seeded topic"],
      "works once free",
    );
  }
});

const noReadOnlyMount = await readOnlyMountProblem();
if (noReadOnlyMount) {
  console.warn(`bad_input_machine_test: skipping the read-only data folder test: ${noReadOnlyMount}`);
}

Deno.test({
  name:
    "a read-only data folder: one line and exit 1, nothing written; a read-only workflows/ loses no request" +
    (noReadOnlyMount ? " (ignored: mounting a folder read-only needs root and `unshare -m`)" : ""),
  ignore: noReadOnlyMount !== null,
  async fn() {
    const root = await tempDir();
    const dir = await caseFolder(root, "read-only");
    const data = `${dir}/${DATA}`;
    await Deno.mkdir(`${data}/inbox`);
    await Deno.writeTextFile(`${data}/inbox/request.json`, '{"topic": "Waits for a writable folder"}');
    const before = await snapshot(dir);
    const seeded = workflowIds(dir);
    const [submit, run, status] = await Promise.all([
      cli(dir, ["submit", "Topic", "--json"], readOnly(data)),
      cli(dir, ["run", "--once"], readOnly(data)),
      cli(dir, ["status", "--json"], readOnly(data)),
    ]);
    assertEquals([submit.code, submit.out], [1, ""], submit.err);
    assertOneLine(
      submit.err,
      /\/pressroom\.db: cannot open the database: unable to open database file/,
      "submit",
    );
    assertEquals([run.code, run.out], [1, ""], run.err);
    assertOneLine(
      run.err,
      /^pressroom: Read-only file system \(os error 30\): open '.*\/locks\/run\.lock'$/,
      "run",
    );
    assertEquals([status.code, status.out], [1, ""], status.err);
    assertOneLine(status.err, /\/pressroom\.db: cannot open the database/, "status");
    assertUnchanged(before, await snapshot(dir), "whole folder read-only");

    // Only workflows/ read-only (the ledger writable): a request is refused before its workflow exists.
    const sub = await cli(dir, ["submit", "Topic", "--json"], readOnly(`${data}/workflows`));
    assertEquals([sub.code, sub.out], [1, ""], sub.err);
    assertOneLine(
      sub.err,
      /^pressroom: Read-only file system \(os error 30\): mkdir '.*\/workflows\/[0-9A-Z]{26}'$/,
      "submit",
    );
    assertUnchanged(before, await snapshot(dir), "submit into a read-only workflows/");
    const inbox = await cli(dir, ["run", "--once", "--log", "json"], readOnly(`${data}/workflows`));
    // the request waits in the inbox; the seeded workflow's stage cannot write its files, which stops the run
    assertMatch(inbox.out, /"event":"inbox_left".*cannot take it in: Read-only file system/);
    assertEquals(inbox.code, 1, inbox.err);
    assertOneLine(
      inbox.err,
      /^pressroom: Read-only file system \(os error 30\): open '.*\/workflows\/[0-9A-Z]{26}\//,
      "run",
    );
    const after = await snapshot(dir);
    assertEquals(after.files, before.files, "workflows/ read-only: the files on disk");
    assertEquals(after.ledger?.integrity, "ok");
    assertEquals(workflowIds(dir), seeded, "no workflow was made");

    // Writable again: the request that waited in the inbox becomes one workflow.
    const later = await cli(dir, ["run", "--once", "--log", "json"]);
    assertEquals([later.code, later.err], [0, ""]);
    const added = assertHarmless(before, await snapshot(dir), "writable again", /\/inbox\/request\.json$/);
    assertEquals(await requestOf(dir, createdId(added)), { topic: "Waits for a writable folder" });
  },
});
