/**
 * Bad input as users and models give it, and a machine that misbehaves.
 *
 * A corpus of broken and hostile configs, prompt folders, request files, submit arguments and odd
 * `--data`/`--config` values runs through the real CLI (`deno run -P=pressroom src/main.ts`, each case in
 * a folder of its own holding a seeded data folder). Every failure is exit 2 (the user's fault) or 1 (the
 * machine's), exactly one line on stderr naming the file, field or argument, nothing on stdout, and a
 * snapshot of the folder before and after shows nothing lost, changed, half-written or left as a
 * temporary file; every success is harmless (what was given is kept exactly, inside the data folder's
 * layout). A corpus of hostile tool arguments (path traversal, front matter injection, 1 MB and empty
 * values, Unicode edge cases, wrong types) runs through the tool layer into the files on disk. Then the
 * machine's faults: the ledger locked by another program, and the data folder mounted read-only.
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { ulid } from "ulid";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { filesUnder, pressroomArgs, tempDir, TEST_KEY, VALID_BRIEF } from "../helpers.ts";
import { isTempName } from "../../src/output/atomic.ts";
import { publishArticle, renderArticle, renderDraft } from "../../src/output/article.ts";
import { parseFrontMatter, parseYaml, splitFrontMatter } from "../../src/output/front_matter.ts";
import { writeReview } from "../../src/output/review.ts";
import { mirrorWorkflow } from "../../src/output/workflow_files.ts";
import { runTool, type ToolOutcome } from "../../src/pipeline/run_tool.ts";
import { type ContentState, emptyState } from "../../src/content/state.ts";
import type { AgentId } from "../../src/config/schema.ts";

// ---------------------------------------------------------------------------------------------------
// Running the CLI, and looking at a folder before and after
// ---------------------------------------------------------------------------------------------------

/** A key so that `run` gets past its key check, and an address where nothing answers: no call leaves. */
const ENV = {
  ANTHROPIC_API_KEY: TEST_KEY,
  ANTHROPIC_BASE_URL: "http://127.0.0.1:9",
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
};
/** A zero daily cap: a workflow that `run --once` picks up is stopped before any request is sent. */
const BASE_CONFIG = JSON.stringify({ caps: { dailyUsd: 0 } });
const DATA = "pressroom-data";
const ULID = "[0-7][0-9A-HJKMNP-TV-Z]{25}";
/** Where the program may create files in its data folder. */
const LAYOUT = new RegExp(
  `^${DATA}/(workflows/${ULID}/(request\\.json|brief\\.json|draft\\.md|transcript\\.jsonl)` +
    `|review/${ULID}\\.md|published/[a-z0-9-]+\\.md|inbox/(done/${ULID}-|rejected/)[^/]+)$`,
);
/** Compared by their rows, not their bytes (a ledger opened and closed is rewritten); lock files come and go. */
const VOLATILE = new RegExp(`^${DATA}/(pressroom\\.db(-wal|-shm|-journal)?|locks/.*)$`);

interface Run {
  code: number;
  out: string;
  err: string;
}

/** The program as a user runs it; `wrap` puts a command in front (e.g. `unshare -m …` for a mount). */
async function cli(cwd: string, args: string[], wrap: string[] = []): Promise<Run> {
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

/** Runs `tasks` at most `width` at a time (each is a `deno run`; a few at once keep the file fast). */
async function inBatches<T>(tasks: (() => Promise<T>)[], width = 6): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

/** A folder as a user leaves it: a config, a submitted workflow, an article and a review file. */
const template = (async () => {
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
})();

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyTree(`${from}/${entry.name}`, `${to}/${entry.name}`);
    else await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

/** A fresh copy of the template, named after the case. */
async function caseFolder(root: string, name: string): Promise<string> {
  const dir = `${root}/${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}`;
  await copyTree(await template, dir);
  return dir;
}

interface Snapshot {
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

async function snapshot(dir: string): Promise<Snapshot> {
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
function assertOneLine(err: string, pattern: RegExp, label: string): void {
  assertMatch(err, /^pressroom: [^\n]*\n$/, `${label}: one line on stderr, got ${JSON.stringify(err)}`);
  assertMatch(err.trimEnd(), pattern, label);
}

/** Nothing lost, changed or half-written: the same files with the same bytes, the same ledger. */
function assertUnchanged(before: Snapshot, after: Snapshot, label: string): void {
  assertEquals(after.files, before.files, `${label}: the files on disk`);
  assertEquals(after.ledger, before.ledger, `${label}: the ledger`);
}

/** Kept what was there (but for what `moves` may move); anything new lies in the data folder's layout. */
function assertHarmless(before: Snapshot, after: Snapshot, label: string, moves?: RegExp): string[] {
  for (const [path, hash] of Object.entries(before.files)) {
    if (!moves?.test(path)) assertEquals(after.files[path], hash, `${label}: ${path} kept as it was`);
  }
  const added = Object.keys(after.files).filter((p) => !(p in before.files));
  for (const path of added) assertMatch(path, LAYOUT, `${label}: a new file outside the layout: ${path}`);
  assertEquals(after.ledger?.integrity, "ok", `${label}: ledger integrity`);
  return added;
}

function assertNoTempFiles(snap: Snapshot, label: string): void {
  const temp = Object.keys(snap.files).filter((p) => isTempName(p.split("/").pop()!));
  assertEquals(temp, [], `${label}: temporary files left`);
}

function workflowIds(dir: string): string[] {
  const db = new DatabaseSync(`${dir}/${DATA}/pressroom.db`);
  try {
    return db.prepare("SELECT id FROM workflow ORDER BY id").all().map((r) => String(r.id));
  } finally {
    db.close();
  }
}

async function requestOf(dir: string, id: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(`${dir}/${DATA}/workflows/${id}/request.json`));
}

// ---------------------------------------------------------------------------------------------------
// The CLI corpus
// ---------------------------------------------------------------------------------------------------

const FIFO = Symbol("fifo");
const FOLDER = Symbol("folder");
type Entry = string | Uint8Array | typeof FIFO | typeof FOLDER | { symlink: string };

interface CliCase {
  name: string;
  /** Written into the case's folder first (relative paths). */
  files?: Record<string, Entry>;
  args: string[];
  code: 0 | 1 | 2;
  /** For a failure: the one line on stderr. */
  err?: RegExp;
  /** For a success: what must hold afterwards (the new files are given). */
  check?: (dir: string, run: Run, added: string[]) => Promise<void> | void;
}

const bytes = (...b: number[]) => new Uint8Array(b);
const big = (n: number, c = "a") => c.repeat(n);
const withPrompts = (files: Record<string, Entry>): Record<string, Entry> => ({
  "pressroom.json": JSON.stringify({ caps: { dailyUsd: 0 }, promptsDir: "p" }),
  ...files,
});
/** A topic that must come back byte for byte: bidi overrides, an emoji ZWJ family, a combining accent. */
const UNICODE_TOPIC = "\u202eevil\u202c and \u2066isolated\u2069: 👨‍👩‍👧 cafe\u0301 in 東京";

/** A well-formed workflow id that names no workflow. */
const NO_SUCH_WORKFLOW = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

/** The id of the one workflow a successful case created (the seeded one may gain files too). */
function createdId(added: string[]): string {
  const ids = added.map((p) => p.match(new RegExp(`workflows/(${ULID})/request\\.json$`))?.[1]).filter(
    Boolean,
  );
  assertEquals(ids.length, 1, `one new workflow, got ${ids}`);
  return ids[0]!;
}

const CLI_CASES: CliCase[] = [
  // pressroom.json
  {
    name: "empty config file",
    files: { "c.json": "" },
    args: ["status", "--json", "--config", "c.json"],
    code: 2,
    err: /\/c\.json: not valid JSON/,
  },
  {
    name: "binary config with a terminal escape",
    files: { "c.json": bytes(0xff, 0xfe, 0x00, 0x1b, 0x5b, 0x32, 0x4a) },
    args: ["caps", "--json", "--config", "c.json"],
    code: 2,
    err: /\/c\.json: not valid JSON.*\\u001b\[2J/,
  },
  {
    name: "config whose JSON error quotes line breaks and controls",
    files: { "c.json": '{"caps":\n\n\u0001}' },
    args: ["status", "--config", "c.json"],
    code: 2,
    err: /\/c\.json: not valid JSON: .*\\n\\n\\u0001/,
  },
  {
    name: "config is a folder",
    files: { "c.json": FOLDER },
    args: ["status", "--config", "c.json"],
    code: 2,
    err: /\/c\.json: not a file$/,
  },
  {
    name: "config is /dev/zero (would fill memory)",
    args: ["status", "--json", "--config", "/dev/zero"],
    code: 2,
    err: /^pressroom: \/dev\/zero: not a file$/,
  },
  {
    name: "config is a FIFO (would block for ever)",
    files: { "c.json": FIFO },
    args: ["status", "--config", "c.json"],
    code: 2,
    err: /\/c\.json: not a file$/,
  },
  {
    name: "config of 2 MB",
    files: { "c.json": `{"$schema": "${big(2_000_000)}"}` },
    args: ["status", "--config", "c.json"],
    code: 2,
    err: /\/c\.json: larger than 1000000 bytes$/,
  },
  {
    name: "config nested 400,000 deep",
    files: { "c.json": `{"caps": ${"[".repeat(400_000)}${"]".repeat(400_000)}}` },
    args: ["status", "--config", "c.json"],
    code: 2,
    err: /\/c\.json: caps: .*expected object/,
  },
  {
    name: "config is a JSON array",
    files: { "c.json": "[]" },
    args: ["status", "--config", "c.json"],
    code: 2,
    err: /\/c\.json: Invalid input: expected object, received array/,
  },
  {
    name: "model name with a line break and an escape",
    files: { "c.json": JSON.stringify({ agents: { writer: { model: "evil\nmodel\u001b[31m" } } }) },
    args: ["status", "--config", "c.json"],
    code: 2,
    err: /\/c\.json: agents\.writer\.model: unknown model "evil\\nmodel\\u001b\[31m"/,
  },
  {
    name: "time zone with a bidi override",
    files: { "c.json": JSON.stringify({ caps: { timezone: "\u202eUTC" } }) },
    args: ["caps", "--config", "c.json"],
    code: 2,
    err: /\/c\.json: caps\.timezone: not a known IANA time zone$/,
  },
  {
    name: "a number given as a string",
    files: { "c.json": JSON.stringify({ caps: { dailyUsd: "20" } }) },
    args: ["caps", "--json", "--config", "c.json"],
    code: 2,
    err: /\/c\.json: caps\.dailyUsd: Invalid input: expected number, received string$/,
  },
  {
    name: "a cap of 1e400 (Infinity)",
    files: { "c.json": '{"caps": {"dailyUsd": 1e400}}' },
    args: ["caps", "--config", "c.json"],
    code: 2,
    err: /caps\.dailyUsd: .*Infinity/,
  },
  {
    name: "a negative wait for run --once",
    files: { "c.json": JSON.stringify({ run: { onceWaitSeconds: -1 } }) },
    args: ["run", "--once", "--config", "c.json"],
    code: 2,
    err: /\/c\.json: run\.onceWaitSeconds: Too small: expected number to be >=0$/,
  },
  {
    name: "__proto__ as a field",
    files: { "c.json": '{"__proto__": {"dataDir": "/"}}' },
    args: ["status", "--config", "c.json"],
    code: 2,
    err: /\/c\.json: unknown field "__proto__"$/,
  },
  {
    name: "dataDir with a NUL byte",
    files: { "c.json": JSON.stringify({ dataDir: "data\u0000/../etc" }) },
    args: ["status", "--config", "c.json"],
    code: 2,
    err: /\/c\.json: dataDir: a path may not contain a NUL character$/,
  },
  {
    name: "dataDir names a file",
    files: { "c.json": JSON.stringify({ dataDir: "c.json" }) },
    args: ["submit", "Topic", "--config", "c.json"],
    code: 2,
    err: /\/c\.json: dataDir: .*\/c\.json is not a folder$/,
  },
  {
    name: "a config that starts with a byte order mark is read",
    files: { "pressroom.json": `\uFEFF${BASE_CONFIG}` },
    args: ["caps", "--json"],
    code: 0,
    check: (_dir, run) => assertEquals(JSON.parse(run.out).caps[0].limitUsd, 0),
  },
  // the command line
  { name: "--config empty", args: ["status", "--config", ""], code: 2, err: /--config: no file given/ },
  {
    name: "--config missing",
    args: ["status", "--config", "nope.json"],
    code: 2,
    err: /nope\.json: cannot read/,
  },
  {
    name: "--data empty (an unset variable)",
    args: ["submit", "Topic", "--json", "--data", ""],
    code: 2,
    err: /^pressroom: --data: no folder given/,
  },
  {
    name: "--data is /dev/null",
    args: ["status", "--json", "--data", "/dev/null"],
    code: 2,
    err: /^pressroom: --data: \/dev\/null is not a folder$/,
  },
  {
    name: "--data is a file",
    files: { "notes.md": "notes" },
    args: ["submit", "Topic", "--data", "notes.md"],
    code: 2,
    err: /^pressroom: --data: .*\/notes\.md is not a folder$/,
  },
  {
    name: "unknown option",
    args: ["submit", "Topic", "--bogus"],
    code: 2,
    err: /submit: Unknown option '--bogus'/,
  },
  {
    name: "two topics",
    args: ["submit", "One", "Two", "--json"],
    code: 2,
    err: /submit: give the topic as one argument/,
  },
  {
    name: "a workflow id with an escape and traversal",
    args: ["status", "../\u001b[2J../x", "--json"],
    code: 2,
    err: /no workflow "\.\.\/\\u001b\[2J\.\.\/x"/,
  },
  {
    name: "retry to a stage that is a path",
    args: ["retry", NO_SUCH_WORKFLOW, "--stage", "../x"],
    code: 2,
    err: /--stage must be one of/,
  },
  // submit's topic and files
  { name: "empty topic", args: ["submit", "   ", "--json"], code: 2, err: /submit: the topic is empty$/ },
  {
    name: "topic on two lines",
    args: ["submit", "Line one\nline two", "--json"],
    code: 2,
    err: /submit: the topic is more than one line$/,
  },
  {
    name: "topic with an escape",
    args: ["submit", "a\u001b[2Jb"],
    code: 2,
    err: /the topic has control characters$/,
  },
  {
    name: "topic of 301 characters",
    args: ["submit", big(301)],
    code: 2,
    err: /longer than 300 characters$/,
  },
  {
    name: "topic that looks like a path",
    args: ["submit", "../../../etc/passwd", "--json"],
    code: 0,
    check: async (dir, run, added) => {
      const id = createdId(added);
      assertEquals(JSON.parse(run.out).id, id);
      assertEquals(await requestOf(dir, id), { topic: "../../../etc/passwd" });
    },
  },
  {
    name: "topic with bidi, emoji and combining marks",
    args: ["submit", UNICODE_TOPIC, "--json"],
    code: 0,
    check: async (dir, _run, added) =>
      assertEquals(await requestOf(dir, createdId(added)), { topic: UNICODE_TOPIC }),
  },
  {
    name: "--notes empty",
    args: ["submit", "Topic", "--notes", ""],
    code: 2,
    err: /^pressroom: --notes : cannot read/,
  },
  {
    name: "--notes missing",
    args: ["submit", "Topic", "--notes", "nope.md"],
    code: 2,
    err: /--notes nope\.md: cannot read/,
  },
  {
    name: "--notes a folder",
    args: ["submit", "Topic", "--notes", "."],
    code: 2,
    err: /--notes \.: not a file$/,
  },
  {
    name: "--notes /dev/zero",
    args: ["submit", "Topic", "--notes", "/dev/zero"],
    code: 2,
    err: /--notes \/dev\/zero: not a file$/,
  },
  {
    name: "--notes a FIFO",
    files: { "n.md": FIFO },
    args: ["submit", "Topic", "--json", "--notes", "n.md"],
    code: 2,
    err: /--notes n\.md: not a file$/,
  },
  {
    name: "--notes binary",
    files: { "n.md": bytes(0x50, 0x4b, 0x03, 0x04, 0xff, 0x00) },
    args: ["submit", "Topic", "--notes", "n.md"],
    code: 2,
    err: /--notes n\.md: not UTF-8 text$/,
  },
  {
    name: "--source of 300 KB",
    files: { "s.txt": big(300_000) },
    args: ["submit", "Topic", "--source", "s.txt"],
    code: 2,
    err: /--source s\.txt: larger than 200000 bytes$/,
  },
  {
    name: "--source with CRLF and an odd name",
    files: { "my notes €.txt": "line one\r\nline two\r\n" },
    args: ["submit", "Topic", "--json", "--source", "my notes €.txt"],
    code: 0,
    check: async (dir, _run, added) =>
      assertEquals(await requestOf(dir, createdId(added)), {
        topic: "Topic",
        sources: [{ name: "my notes €.txt", text: "line one\r\nline two\r\n" }],
      }),
  },
  // prompt folders (run --once loads them before any work)
  {
    name: "empty prompt block",
    files: withPrompts({ "p/writer/stable.md": " \n" }),
    args: ["run", "--once"],
    code: 2,
    err: /\/p\/writer\/stable\.md: is empty$/,
  },
  {
    name: "binary prompt block",
    files: withPrompts({ "p/writer/stable.md": bytes(0x89, 0x50, 0x4e, 0x47, 0xff, 0x00) }),
    args: ["run", "--once"],
    code: 2,
    err: /\/p\/writer\/stable\.md: not UTF-8 text$/,
  },
  {
    name: "a folder where a prompt block should be",
    files: withPrompts({ "p/editor/volatile.md": FOLDER }),
    args: ["run", "--once"],
    code: 2,
    err: /\/p\/editor\/volatile\.md: not a file$/,
  },
  {
    name: "a file where an agent's prompt folder should be",
    files: withPrompts({ "p/planner": "not a folder" }),
    args: ["run", "--once"],
    code: 2,
    err: /\/p\/planner\/(stable|volatile)\.md: cannot read: Not a directory/,
  },
  {
    name: "a prompt block linked to /dev/zero",
    files: withPrompts({ "p/shared/stable.md": { symlink: "/dev/zero" } }),
    args: ["run", "--once"],
    code: 2,
    err: /\/p\/shared\/stable\.md: not a file$/,
  },
  {
    name: "unknown placeholder",
    files: withPrompts({ "p/writer/volatile.md": "Write {{topic}} for {{reader}}." }),
    args: ["run", "--once"],
    code: 2,
    err: /\/p\/writer\/volatile\.md: unknown placeholder \{\{reader\}\}; known: /,
  },
  {
    name: "huge prompt block",
    files: withPrompts({ "p/intake/stable.md": big(300_000) }),
    args: ["run", "--once"],
    code: 2,
    err: /\/p\/intake\/stable\.md: larger than 200000 bytes/,
  },
  {
    name: "braces that are no placeholder are sent as written",
    files: withPrompts({ "p/intake/volatile.md": "Topic {{ topic }} {{topic {{}} }} {{2x}}" }),
    args: ["run", "--once", "--log", "json"],
    code: 0,
    check: (_dir, run) => assertMatch(run.out, /"result":"stuck"/, "the seeded workflow met the zero cap"),
  },
  // the data folder holds something odd
  {
    name: "pressroom.db is not a database",
    files: { [`${DATA}/pressroom.db`]: "just some text, not SQLite" },
    args: ["status", "--json"],
    code: 1,
    err: /\/pressroom\.db: cannot open the database: file is not a database$/,
    check: async (dir) =>
      assertEquals(await Deno.readTextFile(`${dir}/${DATA}/pressroom.db`), "just some text, not SQLite"),
  },
  {
    name: "pressroom.db is a folder",
    files: { [`${DATA}/pressroom.db`]: FOLDER },
    args: ["submit", "Topic", "--json"],
    code: 1,
    err: /\/pressroom\.db: cannot open the database/,
  },
  {
    name: "locks is a file",
    files: { [`${DATA}/locks`]: "x" },
    args: ["status"],
    code: 1,
    err: /^pressroom: File exists \(os error 17\): mkdir '.*\/locks'$/,
  },
  {
    // submit used to create the workflow, then fail on its folder with a stack trace: a failed submit
    // whose workflow ran anyway
    name: "workflows is a file",
    files: { [`${DATA}/workflows`]: "x" },
    args: ["submit", "Topic", "--json"],
    code: 1,
    err: /^pressroom: Not a directory \(os error 20\): mkdir '.*\/workflows\/[0-9A-Z]{26}'$/,
  },
];

async function materialise(dir: string, files: Record<string, Entry>): Promise<void> {
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

Deno.test(`bad input through the CLI (${CLI_CASES.length} cases): one line and exit 2 or 1, or a harmless result; nothing lost`, async () => {
  const root = await tempDir();
  const folders = await Promise.all(CLI_CASES.map((c, i) => caseFolder(root, `${i}-${c.name}`)));
  for (const [i, c] of CLI_CASES.entries()) await materialise(folders[i], c.files ?? {});
  const before = await Promise.all(folders.map(snapshot));
  const runs = await inBatches(CLI_CASES.map((c, i) => () => cli(folders[i], c.args)));
  // every case is judged, and every failing one reported, before the test fails
  const failures: string[] = [];
  for (const [i, c] of CLI_CASES.entries()) {
    const label = `case "${c.name}"`;
    const run = runs[i];
    try {
      const after = await snapshot(folders[i]);
      assertEquals(run.code, c.code, `${label}: exit code; stderr: ${run.err}`);
      assertNoTempFiles(after, label);
      if (c.code === 0) {
        assertEquals(run.err, "", `${label}: nothing on stderr`);
        await c.check?.(folders[i], run, assertHarmless(before[i], after, label));
      } else {
        assertOneLine(run.err, c.err!, label);
        assertEquals(run.out, "", `${label}: nothing on stdout`);
        assertUnchanged(before[i], after, label);
        await c.check?.(folders[i], run, []);
      }
    } catch (error) {
      failures.push(`${(error as Error).message.slice(0, 600)}\n  stderr: ${run.err}`);
    }
  }
  assertEquals(
    failures,
    [],
    `${failures.length} of ${CLI_CASES.length} cases failed:\n${failures.join("\n")}`,
  );
  // nothing was written beside the case folders (a path built from input would land there)
  assertEquals(
    [...Deno.readDirSync(root)].map((e) => e.name).sort(),
    folders.map((f) => f.slice(root.length + 1)).sort(),
  );
});

// ---------------------------------------------------------------------------------------------------
// The inbox corpus: one `run --once` over a folder of good, bad and odd request files
// ---------------------------------------------------------------------------------------------------

type InboxFate = { rejected: RegExp } | { done: Record<string, unknown> } | "skipped";

const INBOX: [name: string, content: Entry, fate: InboxFate][] = [
  ["empty.json", "", { rejected: /not valid JSON/ }],
  ["empty.md", "", { rejected: /first line: the topic is empty$/ }],
  ["binary.txt", bytes(0xff, 0xfe, 0x00, 0x41), { rejected: /not UTF-8 text$/ }],
  ["huge.md", big(300_000), { rejected: /larger than 200000 bytes$/ }],
  ["broken.json", '{"topic":', { rejected: /broken\.json: not valid JSON/ }],
  ["array.json", "[1, 2]", { rejected: /array\.json: topic: expected a string$/ }],
  ["number-topic.json", '{"topic": 42}', { rejected: /topic: expected a string$/ }],
  ["typo.json", '{"topic": "Bees", "note": "a misspelt notes"}', {
    rejected: /unknown field "note"; known: topic/,
  }],
  ["proto.json", '{"topic": "Bees", "__proto__": {"notes": "p"}}', { rejected: /unknown field "__proto__"/ }],
  ["nul.json", '{"topic": "a\\u0000b"}', { rejected: /topic: the topic has control characters$/ }],
  ["two-lines.json", '{"topic": "a\\nb"}', { rejected: /topic: the topic is more than one line$/ }],
  ["lone-surrogate.json", '{"topic": "bees \\ud800"}', { rejected: /topic: not valid Unicode text/ }],
  ["lone-in-notes.json", '{"topic": "Bees", "notes": "\\udfff"}', {
    rejected: /notes: not valid Unicode text/,
  }],
  ["long.json", JSON.stringify({ topic: big(301) }), { rejected: /longer than 300 characters$/ }],
  ["bad-sources.json", '{"topic": "Bees", "sources": [{"name": 1}]}', { rejected: /sources: expected/ }],
  [
    "traversal.json",
    JSON.stringify({ topic: "../../../etc/passwd", sources: [{ name: "../../etc/shadow", text: "t" }] }),
    { done: { topic: "../../../etc/passwd", sources: [{ name: "../../etc/shadow", text: "t" }] } },
  ],
  ["unicode.json", JSON.stringify({ topic: UNICODE_TOPIC }), { done: { topic: UNICODE_TOPIC } }],
  ["crlf.md", "CRLF topic\r\nline one\r\nline two\r\n", {
    done: { topic: "CRLF topic", notes: "line one\r\nline two" },
  }],
  ["# heading.txt", "# A heading topic\n", { done: { topic: "A heading topic" } }],
  ["$(touch pwned).json", '{"topic": "Shell in a name"}', { done: { topic: "Shell in a name" } }],
  ["name\nwith a line break.md", "Line break in the name\n", { done: { topic: "Line break in the name" } }],
  [".partial.json", "{", "skipped"],
  ["copying.json.tmp", '{"topic": "Half', "skipped"],
  ["notes.pdf", "%PDF", {
    rejected: /^inbox\/notes\.pdf: not a request file; the inbox takes \.json, \.md and \.txt$/,
  }],
  ["folder.json", FOLDER, {
    rejected: /^inbox\/folder\.json: a folder; the inbox reads only files put directly in it$/,
  }],
  ["fifo.json", FIFO, { rejected: /^inbox\/fifo\.json: a FIFO, never read; put a request file in$/ }],
  ["passwd.md", { symlink: "/etc/passwd" }, {
    rejected: /^inbox\/passwd\.md: a symbolic link, not followed/,
  }],
  ["zero.md", { symlink: "/dev/zero" }, { rejected: /^inbox\/zero\.md: a symbolic link, not followed/ }],
  ["UPPER.JSON", '{"topic": "Upper case"}', { done: { topic: "Upper case" } }],
];

Deno.test(`bad request files in the inbox (${INBOX.length} cases): done, rejected with one line, or left; never lost`, async () => {
  const root = await tempDir();
  const dir = await caseFolder(root, "inbox");
  const inbox = `${dir}/${DATA}/inbox`;
  await Deno.mkdir(inbox);
  for (const [name, content] of INBOX) await materialise(inbox, { [name]: content });
  const given = new Map<string, Uint8Array>();
  for (const [name, content] of INBOX) {
    if (content instanceof Uint8Array || typeof content === "string") {
      given.set(name, await Deno.readFile(`${inbox}/${name}`));
    }
  }
  const before = await snapshot(dir);
  const run = await cli(dir, ["run", "--once", "--log", "json"]);
  assertEquals([run.code, run.err], [0, ""]);
  // the log stays one JSON object a line, whatever the file names hold
  for (const line of run.out.trim().split("\n")) JSON.parse(line);
  const after = await snapshot(dir);
  assertNoTempFiles(after, "inbox");
  // inbox files move to done/ or rejected/: each is followed below
  assertHarmless(before, after, "inbox", new RegExp(`^${DATA}/inbox/[^/]+$`));
  const done = [...Deno.readDirSync(`${inbox}/done`)].map((e) => e.name);
  const rejected = [...Deno.readDirSync(`${inbox}/rejected`)].map((e) => e.name);
  for (const [name, , fate] of INBOX) {
    const label = `inbox file ${JSON.stringify(name)}`;
    const same = async (path: string) => {
      if (given.has(name)) assertEquals(await Deno.readFile(path), given.get(name), `${label}: bytes kept`);
    };
    if (fate === "skipped") {
      Deno.lstatSync(`${inbox}/${name}`); // still there, as it was
      await same(`${inbox}/${name}`);
    } else if ("rejected" in fate) {
      assert(rejected.includes(name), `${label}: in rejected/`);
      await same(`${inbox}/rejected/${name}`);
      const reason = await Deno.readTextFile(`${inbox}/rejected/${name}.error.txt`);
      assertMatch(reason, /^[^\n]+\n$/, `${label}: the reason is one line`);
      assertMatch(reason.trimEnd(), fate.rejected, label);
    } else {
      const moved = done.filter((d) => d.slice(27) === name);
      assertEquals(moved.length, 1, `${label}: once in done/`);
      await same(`${inbox}/done/${moved[0]}`);
      assertEquals(await requestOf(dir, moved[0].slice(0, 26)), fate.done, label);
    }
  }
  const left = [...Deno.readDirSync(inbox)].map((e) => e.name).sort();
  assertEquals(
    left,
    [...INBOX.filter(([, , f]) => f === "skipped").map(([n]) => n), "done", "rejected"].sort(),
  );
  assertEquals(done.length + rejected.length / 2, INBOX.filter(([, , f]) => f !== "skipped").length);
  assertEquals(Object.keys(after.files).some((p) => p.endsWith("pwned")), false, "no command ran");
});

// ---------------------------------------------------------------------------------------------------
// The tool corpus: hostile arguments from the model, through the tool layer to the files on disk
// ---------------------------------------------------------------------------------------------------

const MB = big(1_048_576, "x");
/** Tries to close the front matter and add fields (and a slug that walks out of published/). */
const INJECT = '"\n---\ntitle: pwned\nslug: ../../etc/passwd\n---\n# pwned';
const UNICODE = "\u202eevil\u202c \u2066iso\u2069 👨‍👩‍👧 e\u0301 zero\u200bwidth \u2028line sep\u2029 \ufeffbom";
const LONE = "a lone \ud800 surrogate";

function ok(agent: AgentId, state: ContentState, tool: string, input: unknown): void {
  const result = runTool(agent, state, tool, input);
  assertEquals(result.outcome, "ok", `${tool}: ${result.content}`);
}

/** The states a case starts from: nothing yet, written but not decided, and promoted with metadata. */
function baseState(kind: "fresh" | "written" | "promoted"): ContentState {
  const state = emptyState({ topic: "Lighthouses" });
  if (kind === "fresh") return state;
  for (const [field, value] of Object.entries(VALID_BRIEF)) {
    ok("intake", state, "update_brief_field", { field, value });
  }
  ok("planner", state, "create_draft", {
    title: "How lighthouses work",
    sections: ["Lenses", "Lamps", "Keepers"].map((heading) => ({ heading, goal: `Explain ${heading}` })),
  });
  for (const id of ["s1", "s2", "s3"]) {
    ok("researcher", state, "add_citation", {
      section_id: id,
      url: `https://example.org/${id}`,
      title: "Source",
    });
    ok("writer", state, "update_section", { section_id: id, markdown: `Text of ${id}.` });
  }
  if (kind === "written") return state;
  ok("editor", state, "promote_to_published", {});
  ok("publisher", state, "set_metadata", {
    slug: "lighthouses",
    description: "How they work",
    tags: ["sea"],
  });
  return state;
}

type ToolCase = [
  agent: AgentId,
  tool: string,
  input: unknown,
  outcome: ToolOutcome,
  base: "fresh" | "written" | "promoted",
];

const META = { slug: "ok-slug", description: "A description", tags: ["tag"] };
const sections = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ heading: `H${i}`, goal: `goal ${i}` }));

const TOOL_CASES: ToolCase[] = [
  // the slug is the one piece of model output that becomes a path
  ...[
    "../../etc/passwd",
    "/etc/passwd",
    "a/b",
    "a\\b",
    "..",
    ".hidden",
    "a\u0000b",
    "ａｂｃ",
    "café",
    "a\u2215b",
    "a\u2024b",
    "Upper",
    "a--b",
    "-a",
    "a-",
    "a b",
    "a\nb",
    "",
    big(81),
  ].map((slug): ToolCase => ["publisher", "set_metadata", { ...META, slug }, "malformed_args", "promoted"]),
  ["publisher", "set_metadata", { ...META, slug: big(80) }, "ok", "promoted"],
  ["publisher", "set_metadata", { ...META, slug: 5 }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, slug: ["a"] }, "malformed_args", "promoted"],
  // front matter injection, huge, empty and Unicode values in the metadata
  ["publisher", "set_metadata", { ...META, description: INJECT }, "ok", "promoted"],
  ["publisher", "set_metadata", { ...META, description: UNICODE }, "ok", "promoted"],
  ["publisher", "set_metadata", { ...META, description: LONE }, "ok", "promoted"],
  ["publisher", "set_metadata", { ...META, description: MB }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, description: "" }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, description: " \n\t " }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, tags: ['x: y "z" #k', "---", "[a]"] }, "ok", "promoted"],
  ["publisher", "set_metadata", { ...META, tags: "tag" }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, tags: [] }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, tags: ["a,b"] }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, tags: ["a\nb"] }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, tags: [1] }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, tags: Array(9).fill("t") }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, path: "/tmp/x" }, "malformed_args", "promoted"],
  [
    "publisher",
    "set_metadata",
    JSON.parse('{"__proto__": {"slug": "x"}, "description": "d", "tags": ["t"]}'),
    "malformed_args",
    "promoted",
  ],
  // wrong types for the whole input
  ["publisher", "set_metadata", "slug=x", "malformed_args", "promoted"],
  ["publisher", "set_metadata", [META], "malformed_args", "promoted"],
  ["publisher", "set_metadata", 42, "malformed_args", "promoted"],
  ["publisher", "set_metadata", null, "malformed_args", "promoted"],
  ["writer", "get_draft", null, "ok", "written"],
  // the brief: numbers as strings and strings as numbers, odd fields, injection
  ["intake", "update_brief_field", { field: "target_words", value: 900 }, "malformed_args", "fresh"],
  ["intake", "update_brief_field", { field: "target_words", value: " 900 " }, "ok", "fresh"],
  ["intake", "update_brief_field", { field: "target_words", value: "9e2" }, "malformed_args", "fresh"],
  ["intake", "update_brief_field", { field: "target_words", value: "１２００" }, "malformed_args", "fresh"],
  ["intake", "update_brief_field", { field: "target_words", value: "-900" }, "malformed_args", "fresh"],
  [
    "intake",
    "update_brief_field",
    { field: "target_words", value: "9".repeat(400) },
    "malformed_args",
    "fresh",
  ],
  ["intake", "update_brief_field", { field: "__proto__", value: "x" }, "malformed_args", "fresh"],
  ["intake", "update_brief_field", { field: "constructor", value: "x" }, "malformed_args", "fresh"],
  ["intake", "update_brief_field", { field: "title", value: INJECT }, "ok", "fresh"],
  ["intake", "update_brief_field", { field: "title", value: UNICODE }, "ok", "fresh"],
  ["intake", "update_brief_field", { field: "title", value: MB }, "malformed_args", "fresh"],
  ["intake", "update_brief_field", { field: "title", value: "" }, "malformed_args", "fresh"],
  ["intake", "update_brief_field", { field: "title", value: "ab\u0007cd" }, "malformed_args", "fresh"],
  // the draft: headings that try to be Markdown structure or front matter
  [
    "planner",
    "create_draft",
    { title: INJECT, sections: [{ heading: "# x\n## y", goal: "---\nz: 1" }, ...sections(2)] },
    "ok",
    "fresh",
  ],
  ["planner", "create_draft", { title: UNICODE, sections: sections(3) }, "ok", "fresh"],
  ["planner", "create_draft", { title: "T", sections: sections(3) }, "malformed_args", "fresh"],
  ["planner", "create_draft", { title: "Title", sections: sections(13) }, "malformed_args", "fresh"],
  ["planner", "create_draft", { title: "Title", sections: sections(10_000) }, "malformed_args", "fresh"],
  ["planner", "create_draft", { title: "Title", sections: "three" }, "malformed_args", "fresh"],
  ["planner", "create_draft", { title: "Title", sections: [[[[["deep"]]]]] }, "malformed_args", "fresh"],
  [
    "planner",
    "create_draft",
    { title: "Title", sections: [...sections(2), { heading: "h0", goal: "again" }] },
    "logic_error",
    "fresh",
  ],
  ["planner", "add_section", { heading: LONE, goal: "lone surrogate heading" }, "ok", "written"],
  ["planner", "add_section", { heading: "New", goal: "after s0", after: "s0" }, "malformed_args", "written"],
  ["planner", "add_section", { heading: "New", goal: "after 1", after: 1 }, "malformed_args", "written"],
  ["planner", "add_section", { heading: "New", goal: "after s99", after: "s99" }, "logic_error", "written"],
  // research: URLs that are paths or scripts, section ids that are not
  [
    "researcher",
    "add_citation",
    { section_id: "s1", url: "javascript:alert(1)", title: "x" },
    "malformed_args",
    "written",
  ],
  [
    "researcher",
    "add_citation",
    { section_id: "s1", url: "https://example.org/" + "a".repeat(2000), title: "x" },
    "malformed_args",
    "written",
  ],
  [
    "researcher",
    "add_citation",
    { section_id: "s1", url: "https://example.org/../../etc/passwd", title: INJECT },
    "ok",
    "written",
  ],
  [
    "researcher",
    "add_citation",
    { section_id: "s1\n", url: "https://example.org/a", title: "x" },
    "malformed_args",
    "written",
  ],
  [
    "researcher",
    "add_citation",
    { section_id: "S1", url: "https://example.org/a", title: "x" },
    "malformed_args",
    "written",
  ],
  [
    "researcher",
    "add_citation",
    { section_id: 1, url: "https://example.org/a", title: "x" },
    "malformed_args",
    "written",
  ],
  [
    "researcher",
    "add_citation",
    { section_id: "s1", url: "https://example.org/q", title: "x", quote: MB },
    "malformed_args",
    "written",
  ],
  ["researcher", "add_research_note", { section_id: "s2", note: UNICODE }, "ok", "written"],
  // text: a body that tries to be front matter, an unclosed fence, empty
  [
    "writer",
    "update_section",
    { section_id: "s1", markdown: "---\ntitle: pwned\n---\n```\nunclosed" },
    "ok",
    "written",
  ],
  ["writer", "update_section", { section_id: "s2", markdown: UNICODE + LONE }, "ok", "written"],
  ["writer", "update_section", { section_id: "s3", markdown: "" }, "malformed_args", "written"],
  ["writer", "update_section", { section_id: "s3", markdown: "x\u0000y" }, "malformed_args", "written"],
  // the editor's reason lands in the review file's front matter
  ["editor", "flag_for_review", { reason: INJECT }, "ok", "written"],
  ["editor", "flag_for_review", { reason: MB }, "malformed_args", "written"],
  ["editor", "request_revision", { section_id: "s1", instructions: UNICODE }, "ok", "written"],
  // names that are not tools, or not yours
  ...["__proto__", "constructor", "toString", "../set_metadata", "set_metadata\u0000", "", "SET_METADATA"]
    .map(
      (name): ToolCase => ["publisher", name, META, "wrong_tool", "promoted"],
    ),
  ["publisher", "update_section", { section_id: "s1", markdown: "mine now" }, "wrong_tool", "promoted"],
];

Deno.test(`hostile tool arguments (${TOOL_CASES.length} cases): classified, or harmless on disk and inside the data folder`, async () => {
  const root = await tempDir();
  const data = `${root}/data`;
  await Deno.mkdir(data);
  for (const [i, [agent, tool, input, outcome, base]] of TOOL_CASES.entries()) {
    const label = `tool case ${i}: ${agent} ${tool} ${JSON.stringify(input)?.slice(0, 60)}`;
    const state = baseState(base);
    const untouched = structuredClone(state);
    const result = runTool(agent, state, tool, input);
    assertEquals(result.outcome, outcome, `${label}: ${result.content.slice(0, 200)}`);
    assert(result.content.length < 2_000, `${label}: the message to the model stays short`);
    assertEquals(({} as Record<string, unknown>).slug, undefined, `${label}: Object.prototype untouched`);
    if (outcome !== "ok") {
      assertEquals(state, untouched, `${label}: a failed call changes nothing`);
      continue;
    }
    // Whatever was accepted goes to disk as the pipeline writes it: the mirror, a review file, the article.
    const id = ulid();
    await mirrorWorkflow(data, id, { brief: state.brief, draftMarkdown: renderDraft(state) });
    const reason = state.decision?.kind === "flagged" ? state.decision.reason : "stuck";
    const review = await writeReview(data, id, { kind: "flagged", reason, state, stage: agent });
    assertEquals(review, `${data}/review/${id}.md`, label);
    const head = parseYaml(splitFrontMatter(await Deno.readTextFile(review)).yaml);
    assertEquals(
      Object.keys(head),
      ["workflow_id", "kind", "stage", "reason", "at"],
      `${label}: review fields`,
    );
    assertEquals(head.reason, reason, `${label}: the reason reads back exactly`);
    if (!state.draft) continue;
    state.metadata ??= { slug: "fallback", description: "d", tags: ["t"] };
    const article = renderArticle(state, {
      workflowId: id,
      models: { publisher: "claude-sonnet-4-6" },
      costUsd: 0.5,
      publishedAt: new Date(0).toISOString(),
    });
    const path = await publishArticle(data, state.metadata.slug, article);
    assert(path.startsWith(`${data}/published/${state.metadata.slug}`), `${label}: published at ${path}`);
    const front = parseFrontMatter(await Deno.readTextFile(path));
    assertEquals(
      Object.keys(front),
      ["title", "description", "tags", "workflow_id", "models", "cost_usd", "published_at"],
      `${label}: no field injected`,
    );
    assertEquals([front.title, front.description, front.tags], [
      state.draft.title,
      state.metadata.description,
      state.metadata.tags,
    ], `${label}: metadata reads back exactly`);
  }
  // every file landed in the layout, inside the data folder, and nothing was left half-written
  const files: string[] = [];
  for await (const [path] of filesUnder(root)) files.push(`${DATA}/${path.slice(data.length + 1)}`);
  for (const path of files) assertMatch(path, LAYOUT, "a file outside the layout");
  assertEquals(files.filter((p) => isTempName(p.split("/").pop()!)), []);
  assertEquals([...Deno.readDirSync(root)].map((e) => e.name), ["data"]);
});

// ---------------------------------------------------------------------------------------------------
// The machine's faults
// ---------------------------------------------------------------------------------------------------

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
 * overlaps the corpus instead of adding to it.
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

/**
 * Root ignores file modes, so a read-only folder needs a read-only mount: a bind mount remounted
 * read-only in a private mount namespace (`unshare -m`), which ends with the command it runs.
 */
function readOnly(dir: string): string[] {
  return [
    "unshare",
    "-m",
    "--",
    "sh",
    "-c",
    'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && shift && exec "$@"',
    "sh",
    dir,
  ];
}

const readOnlyMounts = await (async () => {
  try {
    const dir = await tempDir();
    const probe = await new Deno.Command(readOnly(dir)[0], {
      args: [...readOnly(dir).slice(1), "sh", "-c", `! touch "${dir}/probe" 2>/dev/null`],
      stdout: "null",
      stderr: "null",
    }).output();
    return probe.success;
  } catch {
    return false;
  }
})();

Deno.test({
  name:
    "a read-only data folder: one line and exit 1, nothing written; a read-only workflows/ loses no request" +
    (readOnlyMounts ? "" : " (ignored: mounting a folder read-only needs root and `unshare -m`)"),
  ignore: !readOnlyMounts,
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
