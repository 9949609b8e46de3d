import { assert, assertEquals, assertRejects, assertThrows } from "../assert.ts";
import { TranscriptPartError } from "../../src/output/errors.ts";
import {
  compactEntry,
  parseParts,
  partLine,
  partRef,
  rebuildRequest,
} from "../../src/output/transcript_format.ts";
import { readTranscript, REDACTED, Transcript } from "../../src/output/workflow_files.ts";
import { listTree, tempDir, WF } from "./fixtures.ts";

const SECRET = "sk-ant-test-0123456789-SECRET-must-never-be-written";
const TOOLS = [
  { name: "get_brief", description: "Read the brief.", input_schema: { type: "object", properties: {} } },
  { type: "web_search_20250305", name: "web_search", max_uses: 3 },
];
const SHARED = {
  type: "text",
  text: "You are part of Pressroom.",
  cache_control: { type: "ephemeral", ttl: "5m" },
};

function request(agentBlock: string, volatile = "Write about lighthouses.") {
  return {
    model: "claude-opus-4-7",
    max_tokens: 2048,
    system: [SHARED, { type: "text", text: agentBlock, cache_control: { type: "ephemeral", ttl: "1h" } }],
    messages: [{ role: "user", content: [{ type: "text", text: volatile }] }],
    tools: TOOLS,
    thinking: { type: "adaptive" },
  };
}

function exchange(callId: string, agentBlock: string, volatile?: string) {
  return { ts: 1, callId, agentId: "writer", request: request(agentBlock, volatile), costNano: 5 };
}

async function jsonLines(path: string): Promise<Record<string, unknown>[]> {
  return (await Deno.readTextFile(path)).trim().split("\n").map((line) => JSON.parse(line));
}

Deno.test("compactEntry refers to the tools list and each system block; rebuildRequest puts them back", () => {
  const entry = exchange("c1", "You are the writer.");
  const { entry: compact, pieces } = compactEntry(entry, (piece) => JSON.stringify(piece));
  const refs = [TOOLS, SHARED, entry.request.system[1]].map((piece) => partRef(JSON.stringify(piece)));
  assertEquals(pieces.map((p) => p.ref), refs);
  assertEquals(refs.map((ref) => ref.length), [16, 16, 16]);
  assertEquals((compact as typeof entry & { request: unknown }).request, {
    ...entry.request,
    tools: { $ref: refs[0] },
    system: [{ $ref: refs[1] }, { $ref: refs[2] }],
  });
  const parts = parseParts(pieces.map(partLine).join("\n"));
  assertEquals(rebuildRequest(compact as { request: unknown }, parts), entry.request);
  // What has no request is kept as it is.
  const plain = { kind: "note", text: "hello" };
  assertEquals(compactEntry(plain, JSON.stringify), { entry: plain, pieces: [] });
});

Deno.test("a reference with no stored piece is refused by name; a torn parts line is skipped", () => {
  const torn = `${partLine({ ref: "aaaa", text: '"kept"' })}\n{"ref":"bbbb","part":[{"na`;
  const parts = parseParts(torn);
  assertEquals([...parts], [["aaaa", "kept"]]);
  const line = { request: { model: "m", system: [{ $ref: "aaaa" }], tools: { $ref: "bbbb" } } };
  const error = assertThrows(() => rebuildRequest(line, parts), TranscriptPartError);
  assertEquals(error.message, 'transcript.parts.jsonl holds no piece "bbbb": that request cannot be rebuilt');
});

Deno.test("a workflow's pieces are stored once across its stages, and its requests rebuilt exactly", async () => {
  const dir = await tempDir();
  const writer = new Transcript(dir, WF);
  await writer.append(exchange("c1", "You are the writer."));
  await writer.append(exchange("c2", "You are the writer.", "Second turn."));
  await writer.close();
  // The next stage, maybe in another process: it knows what the file holds.
  const editor = new Transcript(dir, WF);
  await editor.append(exchange("c3", "You are the editor."));
  await editor.close();

  const parts = await jsonLines(`${dir}/workflows/${WF}/transcript.parts.jsonl`);
  assertEquals(parts.map((p) => p.part), [TOOLS, SHARED, request("You are the writer.").system[1], {
    ...SHARED,
    text: "You are the editor.",
    cache_control: { type: "ephemeral", ttl: "1h" },
  }]);
  const back = await readTranscript(dir, WF);
  assertEquals(back, [
    exchange("c1", "You are the writer."),
    exchange("c2", "You are the writer.", "Second turn."),
    exchange("c3", "You are the editor."),
  ]);
});

Deno.test("pieces are redacted like lines, and referred to as stored", async () => {
  const dir = await tempDir();
  const transcript = new Transcript(dir, WF, { secrets: ["my-own-secret-value"] });
  await transcript.append(exchange("c1", `Key ${SECRET} and my-own-secret-value.`));
  await transcript.close();
  const files = `${dir}/workflows/${WF}`;
  const text = await Deno.readTextFile(`${files}/transcript.parts.jsonl`);
  assert(!text.includes(SECRET) && !text.includes("my-own-secret-value"));
  const [line] = await readTranscript(dir, WF);
  const system = (line.request as { system: { text: string }[] }).system;
  assertEquals(system[1].text, `Key ${REDACTED} and ${REDACTED}.`);
});

Deno.test("a piece that cannot be stored writes no line that would refer to it", async () => {
  const dir = await tempDir();
  const files = `${dir}/workflows/${WF}`;
  // A folder where the parts file goes: its append fails.
  await Deno.mkdir(`${files}/transcript.parts.jsonl`, { recursive: true });
  const transcript = new Transcript(dir, WF);
  await assertRejects(
    () => transcript.append(exchange("c1", "You are the writer.")),
    Error,
    "Is a directory",
  );
  await transcript.append({ kind: "note" });
  await transcript.close();
  assertEquals(await jsonLines(`${files}/transcript.jsonl`), [{ kind: "note" }]);
  assertEquals(await listTree(dir), [
    "workflows/",
    `workflows/${WF}/`,
    `workflows/${WF}/transcript.jsonl`,
    `workflows/${WF}/transcript.parts.jsonl/`,
  ]);
});
