/**
 * The inbox as an operator meets it, through the real CLI: the folder is there after `init` and `run`, a
 * file is taken only once complete, and whatever else lands in the folder gets a line and a note.
 */
// deno-lint-ignore-file no-explicit-any
import { assert, assertEquals } from "../assert.ts";
import { jsonLineReader, makeSocket, pressroomArgs, runPressroom, tempDir } from "../helpers.ts";
import { createSimulator } from "../../src/sim/simulator.ts";
import { serveSimulator } from "../../src/sim/server.ts";

/** A zero daily cap: workflows are made, and no stage calls the model. */
const CONFIG = JSON.stringify({ caps: { dailyUsd: 0 } });
const HOUR_AGO = new Date(Date.now() - 3_600_000);

function env(url: string) {
  return { ANTHROPIC_API_KEY: "sk-ant-test-inbox-0123456789", ANTHROPIC_BASE_URL: url };
}

function events(out: string): any[] {
  return out.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

const inboxEvents = (all: any[]) => all.filter((e) => e.event.startsWith("inbox"));

/** The request a workflow was made from, as its folder keeps it. */
async function requestOf(data: string, id: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(`${data}/workflows/${id}/request.json`));
}

/** `run` as a child process whose JSON lines can be read while it works. */
function spawnRun(cwd: string, url: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: pressroomArgs(["run", "--log", "json", ...args]),
    cwd,
    env: env(url),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("init makes the inbox, and so does run on a data folder without one", async () => {
  const server = serveSimulator(createSimulator({ seed: 1 }));
  try {
    const cwd = await tempDir();
    const first = await runPressroom(cwd, ["init"]);
    assertEquals(first.code, 0, first.err);
    assert(first.out.includes(`\nmade    ${cwd}/pressroom-data/inbox/\n`), first.out);
    assertEquals(Deno.statSync(`${cwd}/pressroom-data/inbox`).isDirectory, true);
    const second = await runPressroom(cwd, ["init"]);
    assert(second.out.includes(`\nkept    ${cwd}/pressroom-data/inbox/ (exists)\n`), second.out);

    const other = `${cwd}/elsewhere`;
    const run = await runPressroom(cwd, ["run", "--once", "--data", other], env(server.url));
    assertEquals([run.code, run.err], [0, ""]);
    assertEquals(Deno.statSync(`${other}/inbox`).isDirectory, true);
  } finally {
    await server.close();
  }
});

Deno.test("run --once takes a .json and a .md written in two parts only once complete", async () => {
  const server = serveSimulator(createSimulator({ seed: 2 }));
  const cwd = await tempDir();
  const data = `${cwd}/pressroom-data`;
  await Deno.writeTextFile(`${cwd}/pressroom.json`, CONFIG);
  await Deno.mkdir(`${data}/inbox`, { recursive: true });
  await Deno.writeTextFile(`${data}/inbox/a.json`, '{"topic": "Bees", "notes": "first half');
  await Deno.writeTextFile(`${data}/inbox/b.md`, "Wasps\nfirst half");
  // Started while the files are half written; the second halves come 2.5 s later, within a poll (5 s).
  const child = spawnRun(cwd, server.url, ["--once"]);
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    await sleep(2_500);
    await Deno.writeTextFile(`${data}/inbox/a.json`, ', second half"}', { append: true });
    await Deno.writeTextFile(`${data}/inbox/b.md`, ", second half", { append: true });
    const { code, stdout, stderr } = await child.output();
    assertEquals([code, new TextDecoder().decode(stderr)], [0, ""]);
    const inbox = inboxEvents(events(new TextDecoder().decode(stdout)));
    assertEquals(inbox.map((e) => [e.event, e.file]), [["inbox", "a.json"], ["inbox", "b.md"]]);
    assertEquals(await requestOf(data, inbox[0].workflow), {
      topic: "Bees",
      notes: "first half, second half",
    });
    assertEquals(await requestOf(data, inbox[1].workflow), {
      topic: "Wasps",
      notes: "first half, second half",
    });
    assertEquals([...Deno.readDirSync(`${data}/inbox`)].map((e) => e.name), ["done"]);
  } finally {
    clearTimeout(killer);
    await server.close();
  }
});

Deno.test("the daemon takes a file written in two parts 3 s apart once complete; a socket is reported once", async () => {
  const server = serveSimulator(createSimulator({ seed: 3 }));
  const cwd = await tempDir();
  const data = `${cwd}/pressroom-data`;
  await Deno.writeTextFile(`${cwd}/pressroom.json`, CONFIG);
  await Deno.mkdir(`${data}/inbox`, { recursive: true });
  await Deno.writeTextFile(`${data}/inbox/first.txt`, "Written yesterday");
  await Deno.utime(`${data}/inbox/first.txt`, HOUR_AGO, HOUR_AGO);
  assertEquals(await makeSocket(`${data}/inbox/listener.json`), true, "python3 makes a socket");
  const child = spawnRun(cwd, server.url, []);
  const read = jsonLineReader(child);
  try {
    // Its first look took the old file: the daemon is polling (every 5 s, the default).
    const isTaken = (l: any) => l.event === "inbox";
    const first = await read(isTaken, 30_000);
    assertEquals(first.filter(isTaken).map((l) => l.file), ["first.txt"]);
    await Deno.writeTextFile(`${data}/inbox/late.json`, '{"topic": "Moths", "notes": "first half');
    await Deno.writeTextFile(`${data}/inbox/late.md`, "Moths again\nfirst half");
    await sleep(3_000);
    await Deno.writeTextFile(`${data}/inbox/late.json`, ', second half"}', { append: true });
    await Deno.writeTextFile(`${data}/inbox/late.md`, ", second half", { append: true });
    // Taken two polls or more after the first look: the socket, still there, was not reported again.
    const late = await read(isTaken, 30_000, 2);
    child.kill("SIGTERM");
    const lines = [...first, ...late, ...await read((l) => l.event === "stopped", 30_000)];
    assertEquals((await child.status).code, 0);
    const inbox = inboxEvents(lines);
    assertEquals(inbox.map((e) => [e.event, e.file]), [
      ["inbox", "first.txt"],
      ["inbox_left", "listener.json"],
      ["inbox", "late.json"],
      ["inbox", "late.md"],
    ]);
    assertEquals(inbox[1].message, "inbox/listener.json left in place: a socket, not a request file");
    assertEquals(await requestOf(data, inbox[2].workflow), {
      topic: "Moths",
      notes: "first half, second half",
    });
    assertEquals(await requestOf(data, inbox[3].workflow), {
      topic: "Moths again",
      notes: "first half, second half",
    });
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.stderr.cancel().catch(() => {});
    await server.close();
  }
});

Deno.test("a folder, a link, a FIFO and a PDF in the inbox get a line and a note; .JSON, .MD, .TXT are taken", async () => {
  const server = serveSimulator(createSimulator({ seed: 4 }));
  const cwd = await tempDir();
  const data = `${cwd}/pressroom-data`;
  const inbox = `${data}/inbox`;
  await Deno.writeTextFile(`${cwd}/pressroom.json`, CONFIG);
  await Deno.mkdir(`${inbox}/drafts`, { recursive: true });
  const outside = `${cwd}/outside.json`;
  await Deno.writeTextFile(outside, '{"topic": "Outside the data folder"}');
  const files: Record<string, string> = {
    "drafts/inside.json": '{"topic": "In a folder"}',
    "notes.pdf": "%PDF-1.4",
    "UPPER.JSON": '{"topic": "Shouted JSON"}',
    "LOUD.MD": "Shouted markdown",
    "SHOUT.TXT": "Shouted text",
    ".hidden.json": "{",
    "copying.json.tmp": '{"topic": "Still',
    "download.md.part": "Half",
    "backup.md~": "An editor's backup",
  };
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${inbox}/${name}`, text);
    await Deno.utime(`${inbox}/${name}`, HOUR_AGO, HOUR_AGO);
  }
  await Deno.utime(`${inbox}/drafts`, HOUR_AGO, HOUR_AGO);
  await Deno.symlink(outside, `${inbox}/link.json`);
  assertEquals((await new Deno.Command("mkfifo", { args: [`${inbox}/pipe.json`] }).output()).success, true);
  try {
    // A FIFO opened for reading would block for ever: a hang fails the test instead of holding the suite.
    const child = spawnRun(cwd, server.url, ["--once"]);
    const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const { code, stdout, stderr } = await child.output();
    clearTimeout(killer);
    assertEquals([code, new TextDecoder().decode(stderr)], [0, ""]);
    const lines = inboxEvents(events(new TextDecoder().decode(stdout)));
    assertEquals(lines.filter((e) => e.event === "inbox").map((e) => e.file), [
      "LOUD.MD",
      "SHOUT.TXT",
      "UPPER.JSON",
    ]);
    assertEquals(lines.filter((e) => e.event !== "inbox").map((e) => e.message), [
      "inbox/drafts rejected: inbox/drafts: a folder; the inbox reads only files put directly in it",
      "inbox/link.json rejected: inbox/link.json: a symbolic link, not followed; put the file itself in",
      "inbox/notes.pdf rejected: inbox/notes.pdf: not a request file; the inbox takes .json, .md and .txt",
      "inbox/pipe.json rejected: inbox/pipe.json: a FIFO, never read; put a request file in",
    ]);
    const topics = await Promise.all(
      lines.filter((e) => e.event === "inbox").map((e) => requestOf(data, e.workflow)),
    );
    assertEquals(topics, [{ topic: "Shouted markdown" }, { topic: "Shouted text" }, {
      topic: "Shouted JSON",
    }]);
    assertEquals(
      await Deno.readTextFile(`${inbox}/rejected/link.json.error.txt`),
      "inbox/link.json: a symbolic link, not followed; put the file itself in\n",
    );
    assertEquals([...Deno.readDirSync(`${inbox}/rejected`)].map((e) => e.name).sort(), [
      "drafts",
      "drafts.error.txt",
      "link.json",
      "link.json.error.txt",
      "notes.pdf",
      "notes.pdf.error.txt",
      "pipe.json",
      "pipe.json.error.txt",
    ]);
    assertEquals(
      await Deno.readTextFile(`${inbox}/rejected/drafts/inside.json`),
      files["drafts/inside.json"],
    );
    assertEquals(
      await Deno.readTextFile(outside),
      '{"topic": "Outside the data folder"}',
      "the target untouched",
    );
    // Files being written under a temporary name are left without a word.
    assertEquals([...Deno.readDirSync(inbox)].map((e) => e.name).sort(), [
      ".hidden.json",
      "backup.md~",
      "copying.json.tmp",
      "done",
      "download.md.part",
      "rejected",
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("run --once leaves a file that goes on changing, with a line, for the next run", async () => {
  const server = serveSimulator(createSimulator({ seed: 5 }));
  const cwd = await tempDir();
  const data = `${cwd}/pressroom-data`;
  await Deno.writeTextFile(
    `${cwd}/pressroom.json`,
    JSON.stringify({ caps: { dailyUsd: 0 }, run: { pollSeconds: 1 } }),
  );
  await Deno.mkdir(`${data}/inbox`, { recursive: true });
  await Deno.writeTextFile(`${data}/inbox/growing.md`, "A log someone keeps writing\n");
  const child = spawnRun(cwd, server.url, ["--once"]);
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  let running = true;
  // A line every 100 ms for as long as the run lasts: never a second unchanged.
  const writer = (async () => {
    while (running) {
      await Deno.writeTextFile(`${data}/inbox/growing.md`, "more\n", { append: true });
      await sleep(100);
    }
  })();
  try {
    const { code, stdout, stderr } = await child.output();
    running = false;
    await writer;
    assertEquals([code, new TextDecoder().decode(stderr)], [0, ""]);
    assertEquals(inboxEvents(events(new TextDecoder().decode(stdout))).map((e) => e.message), [
      "inbox/growing.md left in place: still being written (changed in the last 1s); the next run takes it",
    ]);
    assertEquals([...Deno.readDirSync(`${data}/inbox`)].map((e) => e.name), ["growing.md"]);
  } finally {
    running = false;
    clearTimeout(killer);
    await server.close();
  }
});
