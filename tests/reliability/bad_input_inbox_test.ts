/**
 * Bad request files in the inbox: one `run --once` over a folder of good, bad and odd request files, then
 * one step per file: taken whole into one workflow, moved to `rejected/` with a one-line reason, or left
 * where it is; never lost, and its bytes kept.
 *
 * One file alone: `PRESSROOM_CASE='fifo.json' deno test -P=tests tests/reliability/bad_input_inbox_test.ts`.
 * @module
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { tempDir } from "../helpers.ts";
import {
  assertHarmless,
  assertNoTempFiles,
  big,
  bytes,
  caseFolder,
  cli,
  DATA,
  type Entry,
  FIFO,
  FOLDER,
  materialise,
  requestOf,
  selected,
  snapshot,
  UNICODE_TOPIC,
} from "./bad_input_harness.ts";

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

/** The step's name: the file name as JSON, so that a line break in it stays on one line. */
const stepName = (name: string) => JSON.stringify(name);

Deno.test(`bad request files in the inbox (${INBOX.length} cases): done, rejected with one line, or left; never lost`, async (t) => {
  const chosen = INBOX.filter(([name]) => selected(stepName(name)));
  const root = await tempDir();
  const dir = await caseFolder(root, "inbox");
  const inbox = `${dir}/${DATA}/inbox`;
  await Deno.mkdir(inbox);
  for (const [name, content] of chosen) await materialise(inbox, { [name]: content });
  const given = new Map<string, Uint8Array>();
  for (const [name, content] of chosen) {
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
  // inbox files move to done/ or rejected/: each is followed by its step
  assertHarmless(before, after, "inbox", new RegExp(`^${DATA}/inbox/[^/]+$`));
  const listed = (folder: string) => {
    try {
      return [...Deno.readDirSync(folder)].map((e) => e.name);
    } catch {
      return [];
    }
  };
  const done = listed(`${inbox}/done`);
  const rejected = listed(`${inbox}/rejected`);
  for (const [name, , fate] of INBOX) {
    await t.step({
      name: stepName(name),
      ignore: !chosen.some(([n]) => n === name),
      fn: async () => {
        const label = `inbox file ${stepName(name)}`;
        const same = async (path: string) => {
          if (given.has(name)) {
            assertEquals(await Deno.readFile(path), given.get(name), `${label}: bytes kept`);
          }
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
      },
    });
  }
  // nothing else came or went: the files left are the skipped ones, and each of the others was moved once
  const left = listed(inbox).filter((n) => n !== "done" && n !== "rejected").sort();
  assertEquals(left, chosen.filter(([, , f]) => f === "skipped").map(([n]) => n).sort());
  assertEquals(done.length + rejected.length / 2, chosen.filter(([, , f]) => f !== "skipped").length);
  assertEquals(Object.keys(after.files).some((p) => p.endsWith("pwned")), false, "no command ran");
});
