/**
 * What the bad-input corpora share (`bad_input_*_test.ts`): the program run as a user runs it, in a folder
 * of its own seeded from one template, and a snapshot of that folder before and after, so a case can show
 * that nothing was lost, changed, half-written or left as a temporary file.
 *
 * One case of a corpus alone: `PRESSROOM_CASE='<part of its name>' deno test -P=tests <file>` runs the
 * steps whose name holds that text and ignores the rest.
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { filesUnder, pressroomArgs, tempDir, TEST_KEY } from "../helpers.ts";
import { isTempName } from "../../src/output/atomic.ts";

/** A key so that `run` gets past its key check, and an address where nothing answers: no call leaves. */
export const ENV = {
  ANTHROPIC_API_KEY: TEST_KEY,
  ANTHROPIC_BASE_URL: "http://127.0.0.1:9",
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
};
/** A zero daily cap: a workflow that `run --once` picks up is stopped before any request is sent. */
export const BASE_CONFIG = JSON.stringify({ caps: { dailyUsd: 0 } });
export const DATA = "pressroom-data";
export const ULID = "[0-7][0-9A-HJKMNP-TV-Z]{25}";
/** Where the program may create files in its data folder. */
export const LAYOUT = new RegExp(
  `^${DATA}/(workflows/${ULID}/(request\\.json|brief\\.json|draft\\.md|transcript\\.jsonl|transcript\\.parts\\.jsonl)` +
    `|review/${ULID}\\.md|published/[a-z0-9-]+\\.md|inbox/(done/${ULID}-|rejected/)[^/]+)$`,
);
/** Compared by their rows, not their bytes (a ledger opened and closed is rewritten); lock files come and go. */
const VOLATILE = new RegExp(`^${DATA}/(pressroom\\.db(-wal|-shm|-journal)?|locks/.*)$`);

export interface Run {
  code: number;
  out: string;
  err: string;
}

/** The program as a user runs it; `wrap` puts a command in front (e.g. `unshare -m …` for a mount). */
export async function cli(cwd: string, args: string[], wrap: string[] = []): Promise<Run> {
  const argv = [
    ...wrap,
    Deno.execPath(),
    ...pressroomArgs(args),
  ];
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd,
    env: ENV,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // A case that hangs (a FIFO read, a lock waited on for ever) fails as such instead of hanging the suite.
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, HANG_MS);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const err = new TextDecoder().decode(stderr) + (hung ? `(killed: still running after ${HANG_MS} ms)` : "");
  return { code, out: new TextDecoder().decode(stdout), err };
}

/** Longer than the ledger's 10 s busy timeout, the longest any case should wait. */
const HANG_MS = 30_000;

/**
 * Starts `tasks` at most `width` at a time (each is a `deno run`; a few at once keep a corpus fast) and
 * gives each one's result as it ends, so that a step can wait for its own case.
 */
export function inBatches<T>(tasks: (() => Promise<T>)[], width = 6): Promise<T>[] {
  const results = tasks.map(() => Promise.withResolvers<T>());
  // a case that fails is reported by its own step, when the step awaits it
  for (const r of results) r.promise.catch(() => {});
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      await tasks[i]().then(results[i].resolve, results[i].reject);
    }
  };
  for (let w = 0; w < width; w++) worker();
  return results.map((r) => r.promise);
}

/** A folder as a user leaves it: a config, a submitted workflow, an article and a review file. */
async function makeTemplate(): Promise<string> {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/pressroom.json`, BASE_CONFIG);
  const submitted = await cli(dir, ["submit", "Seeded topic", "--json"]);
  assertEquals(submitted.code, 0, submitted.err);
  await Deno.mkdir(`${dir}/${DATA}/published`);
  await Deno.writeTextFile(
    `${dir}/${DATA}/published/an-earlier-article.md`,
    '---\ntitle: "Earlier"\n---\n# x\n',
  );
  await Deno.mkdir(`${dir}/${DATA}/review`);
  await Deno.writeTextFile(`${dir}/${DATA}/review/01ARZ3NDEKTSV4RRFFQ69G5FAW.md`, "# Flagged earlier\n");
  return dir;
}
let template: Promise<string> | undefined;

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyTree(`${from}/${entry.name}`, `${to}/${entry.name}`);
    else await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

/** A fresh copy of the template, named after the case. */
export async function caseFolder(root: string, name: string): Promise<string> {
  const dir = `${root}/${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}`;
  await copyTree(await (template ??= makeTemplate()), dir);
  return dir;
}

export interface Snapshot {
  /** Every file but the ledger and lock files: relative path -> SHA-256. */
  files: Record<string, string>;
  /** The ledger's integrity check and a digest of each table that matters, or why it cannot be read. */
  ledger: Record<string, string> | null;
}

async function sha256(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function snapshot(dir: string): Promise<Snapshot> {
  const files: Record<string, string> = {};
  for await (const [path, bytes] of filesUnder(dir)) {
    const rel = path.slice(dir.length + 1);
    if (!VOLATILE.test(rel)) files[rel] = await sha256(bytes);
  }
  return { files, ledger: await ledgerDigest(`${dir}/${DATA}/pressroom.db`) };
}

async function ledgerDigest(path: string): Promise<Record<string, string> | null> {
  try {
    if (!Deno.statSync(path).isFile) return { unreadable: "not a file" };
  } catch {
    return null;
  }
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path);
    const out: Record<string, string> = {
      integrity: String(
        (db.prepare("PRAGMA integrity_check").get() as Record<string, unknown>).integrity_check,
      ),
    };
    for (const table of ["workflow", "workflow_event", "ai_call_log", "tool_call", "reservation"]) {
      out[table] = await sha256(JSON.stringify(db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all()));
    }
    return out;
  } catch (error) {
    return { unreadable: (error as Error).message };
  } finally {
    db?.close();
  }
}

/** Exactly one line on stderr, `pressroom: …`, matching `pattern`. */
export function assertOneLine(err: string, pattern: RegExp, label: string): void {
  assertMatch(err, /^pressroom: [^\n]*\n$/, `${label}: one line on stderr, got ${JSON.stringify(err)}`);
  assertMatch(err.trimEnd(), pattern, label);
}

/** Nothing lost, changed or half-written: the same files with the same bytes, the same ledger. */
export function assertUnchanged(before: Snapshot, after: Snapshot, label: string): void {
  assertEquals(after.files, before.files, `${label}: the files on disk`);
  assertEquals(after.ledger, before.ledger, `${label}: the ledger`);
}

/** Kept what was there (but for what `moves` may move); anything new lies in the data folder's layout. */
export function assertHarmless(before: Snapshot, after: Snapshot, label: string, moves?: RegExp): string[] {
  for (const [path, hash] of Object.entries(before.files)) {
    if (!moves?.test(path)) assertEquals(after.files[path], hash, `${label}: ${path} kept as it was`);
  }
  const added = Object.keys(after.files).filter((p) => !(p in before.files));
  for (const path of added) assertMatch(path, LAYOUT, `${label}: a new file outside the layout: ${path}`);
  assertEquals(after.ledger?.integrity, "ok", `${label}: ledger integrity`);
  return added;
}

export function assertNoTempFiles(snap: Snapshot, label: string): void {
  const temp = Object.keys(snap.files).filter((p) => isTempName(p.split("/").pop()!));
  assertEquals(temp, [], `${label}: temporary files left`);
}

export function workflowIds(dir: string): string[] {
  const db = new DatabaseSync(`${dir}/${DATA}/pressroom.db`);
  try {
    return db.prepare("SELECT id FROM workflow ORDER BY id").all().map((r) => String(r.id));
  } finally {
    db.close();
  }
}

export async function requestOf(dir: string, id: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(`${dir}/${DATA}/workflows/${id}/request.json`));
}

// ---------------------------------------------------------------------------------------------------
// Files a case writes first, and what the corpora share
// ---------------------------------------------------------------------------------------------------

export const FIFO = Symbol("fifo");
export const FOLDER = Symbol("folder");
export type Entry = string | Uint8Array | typeof FIFO | typeof FOLDER | { symlink: string };

export const bytes = (...b: number[]) => new Uint8Array(b);
export const big = (n: number, c = "a") => c.repeat(n);
/** A topic that must come back byte for byte: bidi overrides, an emoji ZWJ family, a combining accent. */
export const UNICODE_TOPIC = "\u202eevil\u202c and \u2066isolated\u2069: 👨‍👩‍👧 cafe\u0301 in 東京";

/** The id of the one workflow a successful case created (the seeded one may gain files too). */
export function createdId(added: string[]): string {
  const ids = added.map((p) => p.match(new RegExp(`workflows/(${ULID})/request\\.json$`))?.[1]).filter(
    Boolean,
  );
  assertEquals(ids.length, 1, `one new workflow, got ${ids}`);
  return ids[0]!;
}

export async function materialise(dir: string, files: Record<string, Entry>): Promise<void> {
  for (const [rel, entry] of Object.entries(files)) {
    const path = `${dir}/${rel}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.remove(path, { recursive: true }).catch(() => {}); // the template's own, if any
    if (entry === FOLDER) await Deno.mkdir(path);
    else if (entry === FIFO) {
      const made = await new Deno.Command("mkfifo", { args: [path] }).output();
      assert(made.success, "mkfifo");
    } else if (typeof entry === "string") await Deno.writeTextFile(path, entry);
    else if (entry instanceof Uint8Array) await Deno.writeFile(path, entry);
    else await Deno.symlink(entry.symlink, path);
  }
}

/** The one case, or the cases, PRESSROOM_CASE names (by part of the name); every case when it is unset. */
export function selected(name: string): boolean {
  const only = Deno.env.get("PRESSROOM_CASE");
  return !only || name.includes(only);
}
