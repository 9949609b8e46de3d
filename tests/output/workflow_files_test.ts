import { assert, assertEquals, assertRejects } from "../assert.ts";
import { InvalidWorkflowIdError } from "../../src/output/errors.ts";
import {
  appendTranscript,
  mirrorWorkflow,
  redact,
  REDACTED,
  redactedJson,
  Transcript,
} from "../../src/output/workflow_files.ts";
import { renderDraft } from "../../src/output/article.ts";
import { HOSTILE_PARTS, listTree, sampleState, tempDir, tempFilesIn, WF } from "./fixtures.ts";

const SECRET = "sk-ant-test-0123456789-SECRET-must-never-be-written";

Deno.test("redact removes every occurrence, longest secret first, and JSON-escaped forms", () => {
  assertEquals(redact("a hunter22 b hunter22", ["hunter22"]), `a ${REDACTED} b ${REDACTED}`);
  assertEquals(redact("abcdef", ["abc", "abcdef"]), REDACTED);
  assertEquals(redact("nothing here", ["", "zzz"]), "nothing here");
  assertEquals(redact('{"k":"pa\\"ss\\\\word"}', ['pa"ss\\word']), `{"k":"${REDACTED}"}`);
  assertEquals(redact(`key ${SECRET} end`, []), `key ${REDACTED} end`, "key-shaped tokens always go");
});

Deno.test("redactedJson redacts keys, values and credential-named fields and stays valid JSON", () => {
  const text = redactedJson(
    {
      headers: { "x-api-key": "whatever-key", Authorization: "Bearer abc", "x-pressroom-agent": "writer" },
      [`field-${SECRET}`]: 1,
      nested: [{ text: `before ${SECRET} after` }, "my-own-secret-value"],
    },
    [SECRET, "my-own-secret-value"],
  );
  const back = JSON.parse(text);
  assertEquals(back.headers, {
    "x-api-key": REDACTED,
    Authorization: REDACTED,
    "x-pressroom-agent": "writer",
  });
  assertEquals(back[`field-${REDACTED}`], 1);
  assertEquals(back.nested, [{ text: `before ${REDACTED} after` }, REDACTED]);
  assert(!text.includes(SECRET) && !text.includes("my-own-secret-value") && !text.includes("whatever-key"));
});

Deno.test("mirrorWorkflow writes request.json, brief.json and draft.md atomically", async () => {
  const dir = await tempDir();
  const state = sampleState();
  await mirrorWorkflow(dir, WF, {
    request: state.request,
    brief: state.brief,
    draftMarkdown: renderDraft(state),
  });
  const base = `${dir}/workflows/${WF}`;
  assertEquals(JSON.parse(await Deno.readTextFile(`${base}/request.json`)), state.request);
  assertEquals(JSON.parse(await Deno.readTextFile(`${base}/brief.json`)), state.brief);
  assertEquals(await Deno.readTextFile(`${base}/draft.md`), renderDraft(state));
  // a later mirror of only the brief leaves the other files alone
  await mirrorWorkflow(dir, WF, { brief: { ...state.brief, tone: "dry" } });
  assertEquals(JSON.parse(await Deno.readTextFile(`${base}/brief.json`)).tone, "dry");
  assertEquals(JSON.parse(await Deno.readTextFile(`${base}/request.json`)), state.request);
  assertEquals(await listTree(dir), [
    "workflows/",
    `workflows/${WF}/`,
    `workflows/${WF}/brief.json`,
    `workflows/${WF}/draft.md`,
    `workflows/${WF}/request.json`,
  ]);
});

Deno.test("mirrored files are redacted too", async () => {
  const dir = await tempDir();
  await mirrorWorkflow(dir, WF, {
    request: { topic: `leak ${SECRET}` },
    draftMarkdown: `# x\n\nmy-private-token-123\n`,
  }, { secrets: ["my-private-token-123"] });
  for (const name of ["request.json", "draft.md"]) {
    const text = await Deno.readTextFile(`${dir}/workflows/${WF}/${name}`);
    assert(!text.includes(SECRET) && !text.includes("my-private-token-123"), name);
    assert(text.includes(REDACTED), name);
  }
});

Deno.test("transcript lines are valid JSON, one per exchange, and never hold a secret", async () => {
  const dir = await tempDir();
  const custom = 'custom"secret\\with\nodd chars';
  const entries = [
    { kind: "request", headers: { "x-api-key": SECRET }, body: { messages: [{ content: "hello\nworld" }] } },
    { kind: "response", text: `the key is ${SECRET}, and ${custom}` },
    { kind: "tool", [SECRET]: "as a key", unicode: "é 😀 \u2028", nested: { deep: [custom] } },
  ];
  for (const entry of entries) await appendTranscript(dir, WF, entry, { secrets: [custom] });
  const text = await Deno.readTextFile(`${dir}/workflows/${WF}/transcript.jsonl`);
  assert(!text.includes(SECRET), "the key is not in the file");
  assert(!text.includes(custom) && !text.includes(JSON.stringify(custom).slice(1, -1)));
  const lines = text.split("\n");
  assertEquals(lines.pop(), "");
  assertEquals(lines.length, 3);
  const parsed = lines.map((line) => JSON.parse(line));
  assertEquals(parsed[0].body, entries[0].body);
  assertEquals(parsed[0].headers["x-api-key"], REDACTED);
  assertEquals(parsed[1].text, `the key is ${REDACTED}, and ${REDACTED}`);
  assertEquals(parsed[2].unicode, "é 😀 \u2028");
  assertEquals(parsed[2].nested.deep, [REDACTED]);
});

Deno.test("the API key from the environment is redacted without being named", async () => {
  const dir = await tempDir();
  const before = Deno.env.get("ANTHROPIC_API_KEY");
  const key = "plain-looking-key-value-42";
  Deno.env.set("ANTHROPIC_API_KEY", key);
  try {
    await appendTranscript(dir, WF, { echo: `x-api-key was ${key}` });
    await mirrorWorkflow(dir, WF, { draftMarkdown: key });
  } finally {
    if (before === undefined) Deno.env.delete("ANTHROPIC_API_KEY");
    else Deno.env.set("ANTHROPIC_API_KEY", before);
  }
  // both files were written, and each holds the placeholder where the key was
  const files = (await listTree(dir)).filter((p) => !p.endsWith("/"));
  assertEquals(files, [`workflows/${WF}/draft.md`, `workflows/${WF}/transcript.jsonl`]);
  for (const path of files) {
    const text = await Deno.readTextFile(`${dir}/${path}`);
    assert(!text.includes(key), path);
    assert(text.includes(REDACTED), path);
  }
});

Deno.test("a pathological secret that spans JSON syntax still never reaches the file", async () => {
  const dir = await tempDir();
  await appendTranscript(dir, WF, { a: "x", b: "y" }, { secrets: ['","'] });
  const line = (await Deno.readTextFile(`${dir}/workflows/${WF}/transcript.jsonl`)).trim();
  assert(!line.includes('","'));
  JSON.parse(line);
});

Deno.test("100 concurrent transcript appends give 100 valid lines", async () => {
  const dir = await tempDir();
  await Promise.all(
    Array.from({ length: 100 }, (_, i) => appendTranscript(dir, WF, { i, text: "word ".repeat(i * 50) })),
  );
  const lines = (await Deno.readTextFile(`${dir}/workflows/${WF}/transcript.jsonl`)).trim().split("\n");
  assertEquals(lines.length, 100);
  assertEquals(
    lines.map((l) => JSON.parse(l).i).sort((a, b) => a - b),
    Array.from({ length: 100 }, (_, i) => i),
  );
  assertEquals(await tempFilesIn(dir), []);
});

Deno.test("a value with no JSON form writes nothing", async () => {
  const dir = await tempDir();
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  await assertRejects(() => appendTranscript(dir, WF, cyclic), TypeError);
  await assertRejects(() => appendTranscript(dir, WF, { n: 1n }), TypeError);
  assertEquals(await listTree(dir), []);
});

Deno.test("hostile workflow ids are refused before any folder is made", async () => {
  const sandbox = await tempDir();
  const dataDir = `${sandbox}/data`;
  await Deno.mkdir(dataDir);
  for (const id of [...HOSTILE_PARTS, `../${WF}`, `${WF}/x`]) {
    await assertRejects(
      () => mirrorWorkflow(dataDir, id, { request: { topic: "x" } }),
      InvalidWorkflowIdError,
    );
    await assertRejects(() => appendTranscript(dataDir, id, { x: 1 }), InvalidWorkflowIdError);
  }
  assertEquals(await listTree(sandbox), ["data/"]);
});

Deno.test("a Transcript keeps one file open for a stage, and opens it afresh after a failed append", async () => {
  const dir = await tempDir();
  const folder = `${dir}/workflows/${WF}`;
  await Deno.mkdir(`${dir}/workflows`, { recursive: true });
  await Deno.writeTextFile(folder, "a file where the workflow's folder goes");
  const transcript = new Transcript(dir, WF);
  await assertRejects(() => transcript.append({ n: 1 }), Error, "Not a directory");
  await Deno.remove(folder);
  await transcript.append({ n: 2 });
  await transcript.append({ n: 3 });
  await transcript.close();
  const lines = (await Deno.readTextFile(`${folder}/transcript.jsonl`)).trim().split("\n");
  assertEquals(lines.map((line) => JSON.parse(line).n), [2, 3]);
});
