/**
 * The pipeline commands as a user runs them, with the binary's permission set:
 * init, submit, demo, status, approve, retry.
 */
// deno-lint-ignore-file no-explicit-any
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { caps, openLedger, rawDb, runPressroom, tempDir } from "../helpers.ts";
import { dayPeriod } from "../../src/ledger/period.ts";
import { holdReason } from "../../src/pipeline/cap_holds.ts";
import { WorkflowStore } from "../../src/pipeline/store.ts";

const pressroom = runPressroom;

Deno.test("init writes a config, its schema and the prompts, and never overwrites", async () => {
  const cwd = await tempDir();
  const first = await pressroom(cwd, ["init"]);
  assertEquals(first.code, 0, first.err);
  const config = JSON.parse(await Deno.readTextFile(`${cwd}/pressroom.json`));
  assertEquals([config.$schema, config.caps.dailyUsd, config.agents.writer.model], [
    "./pressroom.schema.json",
    20,
    "claude-opus-4-7",
  ]);
  assert(Deno.statSync(`${cwd}/prompts/writer/volatile.md`).isFile);
  await Deno.writeTextFile(`${cwd}/prompts/writer/stable.md`, "My own writer block.");
  const second = await pressroom(cwd, ["init"]);
  assertEquals(second.code, 0);
  assertMatch(second.out, /kept {4}.*prompts\/writer\/stable\.md \(exists\)/);
  assertEquals(await Deno.readTextFile(`${cwd}/prompts/writer/stable.md`), "My own writer block.");
  await Deno.writeTextFile(`${cwd}/prompts/shared/stable.md`, "Be brief.");
  const doctor = await pressroom(cwd, ["doctor"]);
  assertMatch(
    doctor.out,
    /^warn {2}prompts: the prefix up to the shared stable block is about \d+ tokens, below claude-opus-4-7's minimum of 2048 for intake: it will not be cached$/m,
  );
});

Deno.test("demo runs the pipeline offline with no key: articles, review queue, transcripts, ledger", async () => {
  const cwd = await tempDir();
  const { code, out, err } = await pressroom(cwd, ["demo", "--workflows", "4"]);
  assertEquals(code, 0, err);
  assertMatch(out, /Simulated results/);
  assertMatch(out, /cost per completion: mean \$\d+\.\d{4}/);
  assertMatch(out, /^writer\s+claude-opus-4-7\s+\d+/m);
  assertMatch(out, /cache hit rate: \d+\.\d% of prompt tokens read from cache/);
  const data = `${cwd}/pressroom-data`;
  const published = [...Deno.readDirSync(`${data}/published`)].length;
  const reviewDir = [...Deno.readDirSync(data)].some((e) => e.name === "review")
    ? [...Deno.readDirSync(`${data}/review`)].length
    : 0;
  assertEquals(published + reviewDir, 4, "every workflow ended published or in review");
  const workflows = [...Deno.readDirSync(`${data}/workflows`)].map((e) => e.name);
  assertEquals(workflows.length, 4);
  for (const id of workflows) assert(Deno.statSync(`${data}/workflows/${id}/transcript.jsonl`).size > 0);

  const status = await pressroom(cwd, ["status", "--json"]);
  const lines = JSON.parse(status.out).workflows;
  assertEquals(lines.length, 4);
  for (const l of lines) assert(l.turns > 0 && l.costUsd > 0);
  const one = await pressroom(cwd, ["status", lines[0].id]);
  assertMatch(one.out, /created/);
  assertMatch(one.out, /stage_done/);
});

Deno.test("submit pins models; approve publishes a flagged article; retry sends a stuck one back; wrong states are refused", async () => {
  const cwd = await tempDir();
  await Deno.writeTextFile(`${cwd}/notes.md`, "Keep it short.");
  const submitted = await pressroom(cwd, ["submit", "Urban beekeeping", "--notes", "notes.md", "--json"]);
  assertEquals(submitted.code, 0, submitted.err);
  const { id, models } = JSON.parse(submitted.out);
  assertEquals(models.editor, "claude-sonnet-4-6");
  assertEquals(
    JSON.parse(await Deno.readTextFile(`${cwd}/pressroom-data/workflows/${id}/request.json`)).notes,
    "Keep it short.",
  );
  const missing = await pressroom(cwd, ["submit", "Topic", "--notes", "nope.md"]);
  assertEquals(missing.code, 2);
  assertMatch(missing.err, /^pressroom: --notes nope\.md: cannot read/);

  const early = await pressroom(cwd, ["approve", id]);
  assertEquals(early.code, 2);
  assertEquals(
    early.err,
    `pressroom: approve: workflow ${id} is ready at intake; only a flagged or stuck workflow can be approved\n`,
  );
  const retryEarly = await pressroom(cwd, ["retry", id]);
  assertEquals(retryEarly.code, 2);
  const unknown = await pressroom(cwd, ["approve", "01ARZ3NDEKTSV4RRFFQ69G5FAV"]);
  assertEquals(unknown.code, 2);

  // Put the workflow where a person would find it: flagged by the editor, then stuck.
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(`${cwd}/pressroom-data/pressroom.db`);
  const row = db.prepare("SELECT state FROM workflow WHERE id = ?").get(id) as any;
  const state = JSON.parse(row.state);
  state.brief = { title: "Urban beekeeping", keywords: "bees, cities", angle: "Bees do well in cities" };
  state.draft = {
    title: "Urban beekeeping: a starter's guide",
    nextId: 2,
    sections: [{
      id: "s1",
      heading: "Why cities",
      goal: "g",
      citations: [],
      notes: [],
      markdown: "Bees thrive.",
    }],
  };
  db.prepare(
    "UPDATE workflow SET state = ?, stage = 'editor', status = 'flagged', reason = 'check claims' WHERE id = ?",
  )
    .run(JSON.stringify(state), id);
  db.close();
  const approved = await pressroom(cwd, ["approve", id]);
  assertEquals(approved.code, 0, approved.err);
  const article = await Deno.readTextFile(
    `${cwd}/pressroom-data/published/urban-beekeeping-a-starter-s-guide.md`,
  );
  assertMatch(article, /^---\ntitle: "Urban beekeeping: a starter's guide"/);
  assertMatch(article, /Bees thrive\./);
  const again = await pressroom(cwd, ["approve", id]);
  assertEquals(again.code, 2);
  assertMatch(again.err, /is published; only a flagged or stuck workflow can be approved/);

  const db2 = new DatabaseSync(`${cwd}/pressroom-data/pressroom.db`);
  db2.prepare("UPDATE workflow SET stage = 'writer', status = 'stuck', reason = 'turns' WHERE id = ?").run(
    id,
  );
  db2.close();
  await Deno.mkdir(`${cwd}/pressroom-data/workflows/${id}`, { recursive: true });
  await Deno.writeTextFile(
    `${cwd}/pressroom-data/workflows/${id}/brief.json`,
    JSON.stringify({ target_words: "lots" }),
  );
  const badBrief = await pressroom(cwd, ["retry", id]);
  assertEquals(badBrief.code, 2);
  assertMatch(badBrief.err, /brief\.json: target_words: a whole number of words/);
  await Deno.writeTextFile(
    `${cwd}/pressroom-data/workflows/${id}/brief.json`,
    JSON.stringify({ title: "Urban bees", target_words: "600" }),
  );
  const retried = await pressroom(cwd, ["retry", id, "--stage", "intake"]);
  // Intake starts over from the fields the person set; what followed it is cleared, the old draft kept.
  assertEquals([retried.code, retried.out], [
    0,
    `${id}  cleared the brief fields you did not set in brief.json, the draft, the publisher's metadata; ` +
    `the draft as it was: ${cwd}/pressroom-data/workflows/${id}/draft.before-retry.md\n${id}  back to intake\n`,
  ]);
  const status = JSON.parse((await pressroom(cwd, ["status", id, "--json"])).out);
  assertEquals([status.stage, status.status], ["intake", "ready"]);
  const badStage = await pressroom(cwd, ["retry", id, "--stage", "printer"]);
  assertEquals(badStage.code, 2);
});

Deno.test("run without a key says so in one line and exits 2", async () => {
  const cwd = await tempDir();
  const { code, out, err } = await pressroom(cwd, ["run", "--once"]);
  assertEquals([code, out], [2, ""]);
  assertEquals(
    err,
    "pressroom: ANTHROPIC_API_KEY is not set: export it, or use the simulated model (pressroom demo)\n",
  );
});

Deno.test("run --once with a key works the pipeline over HTTP (the simulated model at ANTHROPIC_BASE_URL)", async () => {
  const { createSimulator } = await import("../../src/sim/simulator.ts");
  const { RECOVERABLE_QUIRKS } = await import("../../src/sim/quirks.ts");
  const { serveSimulator } = await import("../../src/sim/server.ts");
  const server = serveSimulator(createSimulator({ seed: 3, quirks: RECOVERABLE_QUIRKS }));
  try {
    const cwd = await tempDir();
    // The simulated Opus costs more than the field report's and makes its own mistakes: room for both.
    const agents = Object.fromEntries(
      ["intake", "planner", "researcher", "writer", "editor", "publisher"].map((a) => [
        a,
        { maxTurns: 30, maxConsecutiveFailures: 8 },
      ]),
    );
    await Deno.writeTextFile(
      `${cwd}/pressroom.json`,
      JSON.stringify({ caps: { perWorkflowUsd: 5 }, agents }),
    );
    await Deno.mkdir(`${cwd}/pressroom-data/inbox`, { recursive: true });
    await Deno.writeTextFile(
      `${cwd}/pressroom-data/inbox/idea.txt`,
      "Growing tomatoes on a balcony\nSmall spaces.",
    );
    // What a process killed while publishing an hour ago left behind.
    const leftover = `${cwd}/pressroom-data/published/.old.md.0123456789abcdef.tmp`;
    await Deno.mkdir(`${cwd}/pressroom-data/published`);
    await Deno.writeTextFile(leftover, "a copy that never became an article");
    const hourAgo = new Date(Date.now() - 3_600_000);
    await Deno.utime(leftover, hourAgo, hourAgo);
    const env = { ANTHROPIC_API_KEY: "sk-ant-test-run-once-key-0123456789", ANTHROPIC_BASE_URL: server.url };
    const { code, out, err } = await pressroom(cwd, ["run", "--once"], env);
    assertEquals(code, 0, err);
    // Not a terminal: one JSON object per line, for journald.
    const events = out.trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.event !== "cleanup");
    assertEquals(await Deno.stat(leftover).catch(() => "removed"), "removed");
    assertEquals(events[0].event, "inbox");
    assertEquals(events[0].file, "idea.txt");
    const intake = events.find((e) => e.event === "stage" && e.agent === "intake");
    assertEquals([intake.result, intake.to, intake.workflow], ["advanced", "planner", events[0].workflow]);
    assert(events.every((e) => typeof e.ts === "string"));
    const status = JSON.parse((await pressroom(cwd, ["status", "--json"])).out).workflows;
    assertEquals(status.length, 1);
    assert(["published", "flagged"].includes(status[0].status), JSON.stringify(status[0]));
    const rows = JSON.parse((await pressroom(cwd, ["caps", "--json"])).out);
    assert(rows.caps[0].spentUsd > 0);
  } finally {
    await server.close();
  }
});

Deno.test("status and caps say which agent a cap paused while that cap, as configured now, still refuses", async () => {
  const cwd = await tempDir();
  // The writer as the run that left the hold had it: maxTokens 2,048 (its default is 8,192).
  const config = (caps: { dailyUsd: number }, writer: { maxTokens: number } = { maxTokens: 2048 }) =>
    Deno.writeTextFile(
      `${cwd}/pressroom.json`,
      JSON.stringify({ caps: { ...caps, perWorkflowUsd: 5 }, agents: { writer } }),
    );
  await config({ dailyUsd: 1 });
  const id = JSON.parse((await pressroom(cwd, ["submit", "Paused topic", "--json"])).out).id;
  // What a run left: $0.90 spent today, and the writer's call of up to $0.20 refused, of which
  // 2,048 tokens at $25/MTok ($0.0512) was output.
  const ledger = openLedger(`${cwd}/pressroom-data`, caps({ dailyUsd: 1, perWorkflowUsd: 5 }));
  const until = dayPeriod(Date.now(), "UTC").end;
  try {
    const r = ledger.reserve({
      agentId: "intake",
      workflowId: id,
      model: "claude-opus-4-7",
      backend: "anthropic",
      worstCaseNano: 900_000_000,
    });
    ledger.settle(r, { status: "ok", costNano: 900_000_000 });
    const hold = {
      workflowId: id,
      agent: "writer" as const,
      model: "claude-opus-4-7",
      backend: "anthropic" as const,
      cap: "dailyUsd",
      requestNano: 200_000_000,
      output: { maxTokens: 2048, nanoPerToken: 25_000 },
      inFlight: false,
      until,
    };
    new WorkflowStore(rawDb(ledger)).holdForCap(hold, holdReason(hold));
  } finally {
    ledger.close();
  }
  const line = `paused: the writer takes no work on claude-opus-4-7 until ${
    new Date(until).toISOString()
  }: cap dailyUsd refused it`;
  const text = await pressroom(cwd, ["status"]);
  assertEquals(text.out.split("\n")[0], line);
  const json = JSON.parse((await pressroom(cwd, ["status", "--json"])).out);
  assertEquals(json.paused, [{
    agent: "writer",
    model: "claude-opus-4-7",
    cap: "dailyUsd",
    until: new Date(until).toISOString(),
  }]);
  assertEquals(json.workflows[0].status, "waiting");
  assertEquals((await pressroom(cwd, ["caps"])).out.split("\n").at(-2), line);

  // Raised to $1.05 the call still does not fit.
  await config({ dailyUsd: 1.05 });
  assertEquals(JSON.parse((await pressroom(cwd, ["caps", "--json"])).out).paused.length, 1);
  // Under $1.07 ($0.17 left), a writer maxTokens of 1,024 is not enough ($0.20 - $0.0256 = $0.1744); 512
  // is ($0.20 - $0.0384 = $0.1616).
  await config({ dailyUsd: 1.07 }, { maxTokens: 1024 });
  assertEquals(JSON.parse((await pressroom(cwd, ["caps", "--json"])).out).paused.length, 1);
  await config({ dailyUsd: 1.07 }, { maxTokens: 512 });
  assertEquals(JSON.parse((await pressroom(cwd, ["caps", "--json"])).out).paused, []);
  // Raised to $1.10 with the writer as it was, it fits too: no pause anywhere, and the workflow is
  // shown as the next run will take it. Neither command wrote anything: the hold is run's to lift.
  await config({ dailyUsd: 1.1 });
  const caps2 = JSON.parse((await pressroom(cwd, ["caps", "--json"])).out);
  assertEquals([caps2.paused, caps2.caps[0].leftUsd], [[], 0.2]);
  const after = JSON.parse((await pressroom(cwd, ["status", "--json"])).out);
  assertEquals([after.paused, after.workflows[0].status, after.workflows[0].reason], [
    [],
    "ready",
    "cap dailyUsd no longer refuses the call under the caps in force: the next run takes it",
  ]);
  await config({ dailyUsd: 1 });
  assertEquals(JSON.parse((await pressroom(cwd, ["status", "--json"])).out).workflows[0].status, "waiting");
});
