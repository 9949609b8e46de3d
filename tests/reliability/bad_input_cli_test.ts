/**
 * Bad input through the real CLI: broken and hostile configs, prompt folders, submit arguments and odd
 * `--data`/`--config` values (`deno run -P=pressroom src/main.ts`, each case in a folder of its own holding
 * a seeded data folder), one step per case. Every failure is exit 2 (the user's fault) or 1 (the
 * machine's), exactly one line on stderr naming the file, field or argument, nothing on stdout, and the
 * folder before and after shows nothing lost, changed, half-written or left as a temporary file; every
 * success is harmless (what was given is kept exactly, inside the data folder's layout).
 *
 * One case alone: `PRESSROOM_CASE='config is a FIFO' deno test -P=tests tests/reliability/bad_input_cli_test.ts`.
 * @module
 */
import { assertEquals, assertMatch } from "../assert.ts";
import { tempDir } from "../helpers.ts";
import {
  assertHarmless,
  assertNoTempFiles,
  assertOneLine,
  assertUnchanged,
  BASE_CONFIG,
  big,
  bytes,
  caseFolder,
  cli,
  createdId,
  DATA,
  type Entry,
  FIFO,
  FOLDER,
  inBatches,
  materialise,
  requestOf,
  type Run,
  selected,
  type Snapshot,
  snapshot,
  UNICODE_TOPIC,
} from "./bad_input_harness.ts";

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

const withPrompts = (files: Record<string, Entry>): Record<string, Entry> => ({
  "pressroom.json": JSON.stringify({ caps: { dailyUsd: 0 }, promptsDir: "p" }),
  ...files,
});

/** A well-formed workflow id that names no workflow. */
const NO_SUCH_WORKFLOW = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

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

interface Outcome {
  folder: string;
  run: Run;
  before: Snapshot;
  after: Snapshot;
}

/** A case from its own folder: the files it writes, the folder before, the run, the folder after. */
async function runCase(root: string, index: number, c: CliCase): Promise<Outcome> {
  const folder = await caseFolder(root, `${index}-${c.name}`);
  await materialise(folder, c.files ?? {});
  const before = await snapshot(folder);
  const run = await cli(folder, c.args);
  return { folder, run, before, after: await snapshot(folder) };
}

/** Exit code and stderr as the case says; on failure the folder unchanged, on success harmless. */
async function judge(c: CliCase, { folder, run, before, after }: Outcome): Promise<void> {
  const label = `case "${c.name}"`;
  assertEquals(run.code, c.code, `${label}: exit code; stderr: ${run.err}`);
  assertNoTempFiles(after, label);
  if (c.code === 0) {
    assertEquals(run.err, "", `${label}: nothing on stderr`);
    await c.check?.(folder, run, assertHarmless(before, after, label));
  } else {
    assertOneLine(run.err, c.err!, label);
    assertEquals(run.out, "", `${label}: nothing on stdout`);
    assertUnchanged(before, after, label);
    await c.check?.(folder, run, []);
  }
}

Deno.test({
  name:
    `bad input through the CLI (${CLI_CASES.length} cases): one line and exit 2 or 1, or a harmless result; ` +
    "nothing lost",
  // the cases run a few at a time from the start, so child processes outlive the step that started them
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const root = await tempDir();
    const chosen = CLI_CASES.map((c, i) => ({ c, i })).filter(({ c }) => selected(c.name));
    const outcomes = inBatches(chosen.map(({ c, i }) => () => runCase(root, i, c)));
    const folders: string[] = [];
    for (const c of CLI_CASES) {
      const at = chosen.findIndex((x) => x.c === c);
      await t.step({
        name: c.name,
        ignore: at < 0,
        fn: async () => {
          const outcome = await outcomes[at];
          folders.push(outcome.folder);
          await judge(c, outcome);
        },
      });
    }
    // nothing was written beside the case folders (a path built from input would land there)
    assertEquals(
      [...Deno.readDirSync(root)].map((e) => e.name).sort(),
      folders.map((f) => f.slice(root.length + 1)).sort(),
    );
  },
});
