/** The inbox and submit's inputs: every request file becomes a workflow or is rejected with its reason, never lost. */
import { assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { inboxKey, ingestInbox } from "../../src/pipeline/inbox.ts";
import { requestFromArgs } from "../../src/pipeline/request.ts";
import { WorkflowStore } from "../../src/pipeline/store.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import { UserInputError } from "../../src/errors.ts";
import { openLedger, tempDir } from "../helpers.ts";

Deno.test("inbox files become workflows; bad ones move to rejected/ with the reason", async () => {
  const dir = await tempDir();
  const ledger = openLedger(dir);
  try {
    await Deno.mkdir(`${dir}/inbox`);
    await Deno.writeTextFile(
      `${dir}/inbox/a.json`,
      JSON.stringify({ topic: "Bees in winter", notes: "cold" }),
    );
    await Deno.writeTextFile(`${dir}/inbox/b.md`, "# Composting basics\nUse https://example.org/compost\n");
    await Deno.writeTextFile(`${dir}/inbox/c.json`, `{"topic": 42}`);
    await Deno.writeTextFile(`${dir}/inbox/.partial.json`, "{");
    const store = new WorkflowStore(ledger.db);
    const result = await ingestInbox(dir, store, DEFAULT_MODELS);
    assertEquals(result.created.map((c) => c.file), ["a.json", "b.md"]);
    assertEquals(result.rejected, [{
      file: "c.json",
      reason: "inbox file c.json: topic: expected a string",
    }]);
    const workflows = store.list();
    assertEquals(workflows.map((w) => [w.topic, w.state.request.notes]), [
      ["Bees in winter", "cold"],
      ["Composting basics", "Use https://example.org/compost"],
    ]);
    assertEquals(workflows[0].models, DEFAULT_MODELS, "models pinned at creation");
    const mirrored = JSON.parse(Deno.readTextFileSync(`${dir}/workflows/${workflows[0].id}/request.json`));
    assertEquals(mirrored, { topic: "Bees in winter", notes: "cold" });
    const left = [...Deno.readDirSync(`${dir}/inbox`)].map((e) => e.name).sort();
    assertEquals(left, [".partial.json", "done", "rejected"]);
    assertEquals(Deno.readTextFileSync(`${dir}/inbox/rejected/c.json`), `{"topic": 42}`);
    assertMatch(Deno.readTextFileSync(`${dir}/inbox/rejected/c.json.error.txt`), /topic: expected a string/);
    assertEquals([...Deno.readDirSync(`${dir}/inbox/done`)].length, 2);
  } finally {
    ledger.close();
  }
});

Deno.test("submit's files: a missing, binary or huge file is refused naming it", async () => {
  const dir = await tempDir();
  await assertRejects(
    () => requestFromArgs("Topic", `${dir}/nope.md`),
    UserInputError,
    `--notes ${dir}/nope.md: cannot read`,
  );
  await Deno.writeFile(`${dir}/bin`, new Uint8Array([0xff, 0xfe, 0x00]));
  await assertRejects(
    () => requestFromArgs("Topic", undefined, [`${dir}/bin`]),
    UserInputError,
    "not UTF-8 text",
  );
  await Deno.writeTextFile(`${dir}/big.txt`, "x".repeat(300_000));
  await assertRejects(
    () => requestFromArgs("Topic", `${dir}/big.txt`),
    UserInputError,
    "larger than 200000 bytes",
  );
  await assertRejects(() => requestFromArgs("   "), UserInputError, "the topic is empty");
  await Deno.writeTextFile(`${dir}/src.txt`, "Source text");
  const request = await requestFromArgs(" Topic ", undefined, [`${dir}/src.txt`]);
  assertEquals(request, { topic: "Topic", sources: [{ name: "src.txt", text: "Source text" }] });
});

Deno.test("a crash between creating a workflow and moving its file does not make it twice; a resubmission does", async () => {
  const dir = await tempDir();
  const ledger = openLedger(dir);
  try {
    await Deno.mkdir(`${dir}/inbox`);
    await Deno.writeTextFile(`${dir}/inbox/a.txt`, "Bees in winter");
    const store = new WorkflowStore(ledger.db);
    // As if the process died right after creating the workflow: the row exists, the file did not move.
    const made = store.create(
      { topic: "Bees in winter" },
      DEFAULT_MODELS,
      { inboxFile: await inboxKey(`${dir}/inbox/a.txt`, "a.txt") },
    );
    const after = await ingestInbox(dir, store, DEFAULT_MODELS);
    assertEquals([after.created.length, store.list().length], [0, 1]);
    assertEquals([...Deno.readDirSync(`${dir}/inbox/done`)].map((e) => e.name), [`${made.id}-a.txt`]);
    // The same file dropped in again later is a new request.
    await Deno.writeTextFile(`${dir}/inbox/a.txt`, "Bees in winter");
    store.forgetInboxFile(made.id);
    const again = await ingestInbox(dir, store, DEFAULT_MODELS);
    assertEquals([again.created.length, store.list().length], [1, 2]);
  } finally {
    ledger.close();
  }
});
