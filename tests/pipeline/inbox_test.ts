/** The inbox and submit's inputs: every request file becomes a workflow or is rejected with its reason, never lost. */
import { assertEquals, assertMatch, assertRejects } from "../assert.ts";
import {
  dispose,
  inboxKey,
  type InboxWatch,
  ingestInbox,
  ingestInboxSettled,
  newInboxWatch,
  settle,
  settlesAt,
} from "../../src/pipeline/inbox.ts";
import { requestFromArgs } from "../../src/pipeline/request.ts";
import { WorkflowStore } from "../../src/pipeline/store.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import { UserInputError } from "../../src/errors.ts";
import type { Ledger } from "../../src/ledger/ledger.ts";
import { makeSocket, openLedger, rawDb, tempDir } from "../helpers.ts";

const POLL_MS = 5_000;

/** One look at the inbox a minute after its files were written: all of them are complete. */
function takeAll(dataDir: string, ledger: Ledger, watch: InboxWatch = newInboxWatch()) {
  return ingestInbox({
    dataDir,
    store: new WorkflowStore(rawDb(ledger)),
    ledger,
    models: { models: DEFAULT_MODELS, canaries: {} },
    watch,
    now: Date.now() + 60_000,
    pollMs: POLL_MS,
  });
}

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
    const store = new WorkflowStore(rawDb(ledger));
    const result = await takeAll(dir, ledger);
    assertEquals(result.created.map((c) => c.file), ["a.json", "b.md"]);
    assertEquals(result.rejected, [{
      file: "c.json",
      reason: "inbox file c.json: topic: expected a string",
    }]);
    assertEquals([result.left, result.waiting], [[], []]);
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
    const store = new WorkflowStore(rawDb(ledger));
    // As if the process died right after creating the workflow: the row exists, the file did not move.
    const made = store.create(
      { topic: "Bees in winter" },
      DEFAULT_MODELS,
      { inboxFile: await inboxKey(`${dir}/inbox/a.txt`, "a.txt") },
    );
    const after = await takeAll(dir, ledger);
    assertEquals([after.created.length, store.list().length], [0, 1]);
    assertEquals([...Deno.readDirSync(`${dir}/inbox/done`)].map((e) => e.name), [`${made.id}-a.txt`]);
    // The same file dropped in again later is a new request.
    await Deno.writeTextFile(`${dir}/inbox/a.txt`, "Bees in winter");
    store.forgetInboxFile(made.id);
    const again = await takeAll(dir, ledger);
    assertEquals([again.created.length, store.list().length], [1, 2]);
  } finally {
    ledger.close();
  }
});

Deno.test("dispose: temporary names are skipped, requests taken in any case, anything else rejected or left", () => {
  const skipped = [
    ".hidden.json",
    "a.json.tmp",
    "b.md.part",
    "c.txt.partial",
    "d.md~",
    "e.JSON.TMP",
    "f.crdownload",
  ];
  for (const name of skipped) assertEquals(dispose(name, "file"), { take: "skip" }, name);
  for (const name of ["a.json", "b.md", "c.txt", "D.JSON", "E.MD", "F.Txt"]) {
    assertEquals(dispose(name, "file"), { take: "request" }, name);
  }
  assertEquals(dispose("done", "folder"), { take: "skip" });
  assertEquals(dispose("rejected", "folder"), { take: "skip" });
  assertEquals(dispose("notes.pdf", "file"), {
    take: "reject",
    reason: "inbox/notes.pdf: not a request file; the inbox takes .json, .md and .txt",
  });
  assertEquals(dispose("drafts", "folder"), {
    take: "reject",
    reason: "inbox/drafts: a folder; the inbox reads only files put directly in it",
  });
  assertEquals(dispose("a.md", "symlink"), {
    take: "reject",
    reason: "inbox/a.md: a symbolic link, not followed; put the file itself in",
  });
  assertEquals(dispose("a.json", "fifo"), {
    take: "reject",
    reason: "inbox/a.json: a FIFO, never read; put a request file in",
  });
  assertEquals(dispose("s.json", "socket"), { take: "leave", reason: "a socket, not a request file" });
  assertEquals(dispose("tty", "device"), { take: "leave", reason: "a device file, not a request file" });
  // A temporary name wins over the kind: a writer's half-made folder is not rejected.
  assertEquals(dispose(".incoming", "folder"), { take: "skip" });
});

Deno.test("settle: an entry is complete once unchanged for a poll, by its mtime or by the looks that saw it", () => {
  const stat = { size: 10, mtimeMs: 1_000, ino: 7 };
  const first = settle(undefined, stat, 2_000);
  assertEquals(first, { ...stat, since: 2_000 });
  assertEquals(settlesAt(first, POLL_MS), 6_000, "five seconds after its last write");
  assertEquals(settle(first, { ...stat }, 4_000), first, "unchanged: the record stands");
  const grown = settle(first, { ...stat, size: 20, mtimeMs: 3_500 }, 4_000);
  assertEquals([grown.since, settlesAt(grown, POLL_MS)], [4_000, 8_500]);
  assertEquals(settle(grown, { ...stat, size: 20, mtimeMs: 3_500, ino: 8 }, 5_000).since, 5_000, "replaced");
  // Written long ago (dropped in while run was stopped): complete at first sight.
  assertEquals(settlesAt(settle(undefined, { ...stat, mtimeMs: 0 }, 60_000), POLL_MS), 5_000);
  // An mtime in the future (another machine's clock) or unknown: a poll of looks that saw it unchanged.
  const future = settle(undefined, { ...stat, mtimeMs: 99_000 }, 2_000);
  assertEquals(settlesAt(future, POLL_MS), 7_000);
  assertEquals(settlesAt(settle(undefined, { ...stat, mtimeMs: null }, 2_000), POLL_MS), 7_000);
});

Deno.test("a .json and a .md written in two parts 3 s apart are taken once complete, not half", async () => {
  const dir = await tempDir();
  const ledger = openLedger(dir);
  try {
    await Deno.mkdir(`${dir}/inbox`);
    const store = new WorkflowStore(rawDb(ledger));
    const watch = newInboxWatch();
    const t0 = Date.now();
    const look = (at: number) =>
      ingestInbox({
        dataDir: dir,
        store,
        ledger,
        models: { models: DEFAULT_MODELS, canaries: {} },
        watch,
        now: t0 + at,
        pollMs: POLL_MS,
      });
    const write = async (name: string, text: string, at: number) => {
      await Deno.writeTextFile(`${dir}/inbox/${name}`, text, { append: true });
      await Deno.utime(`${dir}/inbox/${name}`, new Date(t0 + at), new Date(t0 + at));
    };
    await write("a.json", '{"topic": "Bees", "notes": "first half', 0);
    await write("b.md", "Wasps\nfirst half", 0);
    const early = await look(1_000);
    assertEquals(early.waiting, [{ file: "a.json", settlesAt: t0 + 5_000 }, {
      file: "b.md",
      settlesAt: t0 + 5_000,
    }]);
    assertEquals([early.created, early.rejected], [[], []]);
    await write("a.json", ', second half"}', 3_000);
    await write("b.md", ", second half", 3_000);
    const later = await look(5_000);
    assertEquals(later.waiting.map((w) => [w.file, w.settlesAt - t0]), [["a.json", 8_000], ["b.md", 8_000]]);
    const done = await look(8_000);
    assertEquals([done.created.map((c) => c.file), done.rejected, done.waiting], [
      ["a.json", "b.md"],
      [],
      [],
    ]);
    assertEquals(store.list().map((w) => w.state.request.notes), [
      "first half, second half",
      "first half, second half",
    ]);
  } finally {
    ledger.close();
  }
});

Deno.test("folders, links, FIFOs and other extensions go to rejected/ with the reason, never opened; .JSON is taken", async () => {
  const dir = await tempDir();
  const ledger = openLedger(dir);
  const inbox = `${dir}/inbox`;
  const outside = `${await tempDir()}/secret.json`;
  try {
    await Deno.mkdir(`${inbox}/drafts`, { recursive: true });
    await Deno.writeTextFile(`${inbox}/drafts/inside.json`, '{"topic": "In a folder"}');
    await Deno.writeTextFile(outside, '{"topic": "Outside the data folder"}');
    await Deno.symlink(outside, `${inbox}/link.json`);
    assertEquals((await new Deno.Command("mkfifo", { args: [`${inbox}/pipe.json`] }).output()).success, true);
    await Deno.writeTextFile(`${inbox}/notes.pdf`, "%PDF");
    await Deno.writeTextFile(`${inbox}/UPPER.JSON`, '{"topic": "Shouted JSON"}');
    await Deno.writeTextFile(`${inbox}/LOUD.MD`, "Shouted markdown");
    await Deno.writeTextFile(`${inbox}/.hidden.json`, "{");
    await Deno.writeTextFile(`${inbox}/half.md.part`, "Half");
    assertEquals(await makeSocket(`${inbox}/sock.json`), true, "python3 makes a socket");
    const store = new WorkflowStore(rawDb(ledger));
    const watch = newInboxWatch();
    const first = await takeAll(dir, ledger, watch);
    assertEquals(first.created.map((c) => c.file), ["LOUD.MD", "UPPER.JSON"]);
    assertEquals(store.list().map((w) => w.topic), ["Shouted markdown", "Shouted JSON"]);
    assertEquals(first.rejected, [
      { file: "drafts", reason: "inbox/drafts: a folder; the inbox reads only files put directly in it" },
      { file: "link.json", reason: "inbox/link.json: a symbolic link, not followed; put the file itself in" },
      {
        file: "notes.pdf",
        reason: "inbox/notes.pdf: not a request file; the inbox takes .json, .md and .txt",
      },
      { file: "pipe.json", reason: "inbox/pipe.json: a FIFO, never read; put a request file in" },
    ]);
    assertEquals(first.left, [{ file: "sock.json", reason: "a socket, not a request file" }]);
    for (const r of first.rejected) {
      assertEquals(await Deno.readTextFile(`${inbox}/rejected/${r.file}.error.txt`), `${r.reason}\n`);
    }
    // Moved as they were: the folder with its file, the link still a link, the FIFO still a FIFO.
    assertEquals(await Deno.readTextFile(`${inbox}/rejected/drafts/inside.json`), '{"topic": "In a folder"}');
    assertEquals(await Deno.readLink(`${inbox}/rejected/link.json`), outside);
    assertEquals((await Deno.lstat(`${inbox}/rejected/pipe.json`)).isFifo, true);
    assertEquals(await Deno.readTextFile(outside), '{"topic": "Outside the data folder"}');
    const left = [...Deno.readDirSync(inbox)].map((e) => e.name).sort();
    assertEquals(left, [".hidden.json", "done", "half.md.part", "rejected", "sock.json"]);
    // The next polls: the socket is not reported again while it stays.
    const second = await takeAll(dir, ledger, watch);
    assertEquals([second.created, second.rejected, second.left, second.waiting], [[], [], [], []]);
  } finally {
    ledger.close();
  }
});

Deno.test("a file the folder keeps from being taken in is left and reported once, not at every poll", async () => {
  const dir = await tempDir();
  const ledger = openLedger(dir);
  try {
    await Deno.mkdir(`${dir}/inbox`);
    await Deno.writeTextFile(`${dir}/inbox/a.txt`, "Bees in winter");
    await Deno.writeTextFile(`${dir}/workflows`, "a file where the workflows folder goes");
    const watch = newInboxWatch();
    const first = await takeAll(dir, ledger, watch);
    assertEquals(first.left.map((l) => l.file), ["a.txt"]);
    assertMatch(first.left[0].reason, /^cannot take it in: Not a directory/);
    assertEquals((await takeAll(dir, ledger, watch)).left, [], "said once");
    await Deno.remove(`${dir}/workflows`);
    assertEquals((await takeAll(dir, ledger, watch)).created.map((c) => c.file), ["a.txt"]);
  } finally {
    ledger.close();
  }
});

Deno.test("run --once's look: waits, on the injected clock, for a file still being written; leaves one that goes on changing", async () => {
  const dir = await tempDir();
  const ledger = openLedger(dir);
  try {
    await Deno.mkdir(`${dir}/inbox`);
    const store = new WorkflowStore(rawDb(ledger));
    const t0 = Date.now();
    let now = t0 + 1_000;
    const slept: number[] = [];
    const path = `${dir}/inbox/a.md`;
    const stamp = (at: number) => Deno.utime(path, new Date(t0 + at), new Date(t0 + at));
    await Deno.writeTextFile(path, "Bees\nfirst");
    await stamp(0);
    // The writer adds a part during the first wait, then stops.
    const settled = await ingestInboxSettled({
      dataDir: dir,
      store,
      ledger,
      models: { models: DEFAULT_MODELS, canaries: {} },
      watch: newInboxWatch(),
      pollMs: POLL_MS,
      mostMs: 60_000,
      now: () => now,
      stopping: new AbortController().signal,
      sleep: async (ms) => {
        slept.push(ms);
        if (slept.length === 1) {
          await Deno.writeTextFile(path, ", second", { append: true });
          await stamp(2_000);
        }
        now += ms;
      },
    });
    assertEquals(slept, [4_000, 2_000]);
    assertEquals([settled.created.map((c) => c.file), settled.waiting], [["a.md"], []]);
    assertEquals(store.list()[0].state.request.notes, "first, second");

    // A file that changes at every look is left after two polls in all.
    await Deno.writeTextFile(`${dir}/inbox/log.txt`, "Growing");
    await Deno.utime(`${dir}/inbox/log.txt`, new Date(now), new Date(now));
    let n = 0;
    const changing = await ingestInboxSettled({
      dataDir: dir,
      store,
      ledger,
      models: { models: DEFAULT_MODELS, canaries: {} },
      watch: newInboxWatch(),
      pollMs: POLL_MS,
      mostMs: 60_000,
      now: () => now,
      stopping: new AbortController().signal,
      sleep: async (ms) => {
        now += ms;
        await Deno.writeTextFile(`${dir}/inbox/log.txt`, ` ${++n}`, { append: true });
        await Deno.utime(`${dir}/inbox/log.txt`, new Date(now), new Date(now));
      },
    });
    assertEquals(changing.created, []);
    assertEquals(changing.waiting.map((w) => w.file), ["log.txt"]);
    assertEquals(now - (t0 + 7_000), 2 * POLL_MS, "waited two polls, no more");

    // However long the poll interval, it waits no longer than run.onceWaitSeconds.
    const before = now;
    const bounded = await ingestInboxSettled({
      dataDir: dir,
      store,
      ledger,
      models: { models: DEFAULT_MODELS, canaries: {} },
      watch: newInboxWatch(),
      pollMs: 3_600_000,
      mostMs: 3_000,
      now: () => now,
      stopping: new AbortController().signal,
      sleep: (ms) => {
        now += ms;
        return Promise.resolve();
      },
    });
    assertEquals(bounded.waiting.map((w) => w.file), ["log.txt"]);
    assertEquals(now - before, 3_000);
  } finally {
    ledger.close();
  }
});
