/**
 * The review queue as an operator works it, the program run as a subprocess: what the review file
 * suggests works, `retry --stage` makes the stage work again, `retry --model` re-pins, and every
 * hand edit to draft.md is taken or refused with its line.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { openLedger, rawDb, runPressroom as pressroom, tempDir, VALID_BRIEF } from "../helpers.ts";
import { createSimulator } from "../../src/sim/simulator.ts";
import { serveSimulator } from "../../src/sim/server.ts";
import { WorkflowStore } from "../../src/pipeline/store.ts";
import type { ContentState } from "../../src/content/state.ts";
import { renderDraft } from "../../src/output/article.ts";
import { mirrorWorkflow } from "../../src/output/workflow_files.ts";

const KEY = "sk-ant-test-review-cli-key-0123456789";

async function config(cwd: string, fields: Record<string, unknown>): Promise<void> {
  await Deno.writeTextFile(`${cwd}/pressroom.json`, JSON.stringify(fields));
}

async function submit(cwd: string, topic: string): Promise<string> {
  const submitted = await pressroom(cwd, ["submit", topic, "--json"]);
  assertEquals(submitted.code, 0, submitted.err);
  return JSON.parse(submitted.out).id;
}

/** Changes a workflow in the store, as a run would have left it. */
function leave(cwd: string, id: string, change: (store: WorkflowStore, state: ContentState) => void): void {
  const ledger = openLedger(`${cwd}/pressroom-data`);
  try {
    const store = new WorkflowStore(rawDb(ledger));
    change(store, store.get(id).state);
  } finally {
    ledger.close();
  }
}

/** A complete, flagged article: three written sections, each with a citation. */
function flaggedState(state: ContentState): ContentState {
  state.brief = { ...VALID_BRIEF };
  state.draft = {
    title: "How lighthouses work",
    nextId: 4,
    sections: ["Lenses", "Lamps", "Keepers"].map((heading, i) => ({
      id: `s${i + 1}`,
      heading,
      goal: `Explain ${heading.toLowerCase()}`,
      citations: [{ url: `https://example.org/${heading.toLowerCase()}`, title: heading }],
      notes: [],
      markdown: `The old text about ${heading.toLowerCase()}.`,
    })),
  };
  state.decision = { kind: "flagged", reason: "check the claims" };
  return state;
}

/** A flagged article, changed by `change` if given, with its draft.md as a run mirrors it. */
async function leaveFlagged(
  cwd: string,
  id: string,
  change: (store: WorkflowStore, state: ContentState) => void = () => {},
): Promise<void> {
  let state: ContentState | undefined;
  leave(cwd, id, (store, stored) => {
    store.update(id, { state: flaggedState(stored), stage: "editor", status: "flagged", reason: "check" });
    change(store, store.get(id).state);
    state = store.get(id).state;
  });
  await mirrorWorkflow(`${cwd}/pressroom-data`, id, {
    brief: state!.brief,
    draftMarkdown: renderDraft(state!),
  });
}

const draftPath = (cwd: string, id: string) => `${cwd}/pressroom-data/workflows/${id}/draft.md`;

/** The history of a workflow as `status <id> --json` prints it. */
async function history(cwd: string, id: string): Promise<{ stage: string; kind: string; detail: string }[]> {
  const status = await pressroom(cwd, ["status", id, "--json"]);
  assertEquals(status.code, 0, status.err);
  return JSON.parse(status.out).events;
}

Deno.test("a workflow stuck on its per-workflow cap: the review file suggests only what works, and each works", async () => {
  const server = serveSimulator(createSimulator({ seed: 3 }));
  try {
    const cwd = await tempDir();
    const env = { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.url };
    // The writer's turn, s1 written: its first call is over a per-workflow cap of a cent.
    await config(cwd, { caps: { perWorkflowUsd: 0.01 } });
    const id = await submit(cwd, "How lighthouses work");
    await leaveFlagged(cwd, id, (store, state) => {
      state.decision = null;
      for (const section of state.draft!.sections.slice(1)) section.markdown = "";
      store.update(id, { state, stage: "writer", status: "ready", reason: null });
    });
    const run = await pressroom(cwd, ["run", "--once"], env);
    assertEquals(run.code, 0, run.err);
    const status = JSON.parse((await pressroom(cwd, ["status", id, "--json"])).out);
    assertEquals([status.stage, status.status], ["writer", "stuck"]);
    assertMatch(status.reason, /^cost cap perWorkflowUsd would be exceeded/);
    const review = await Deno.readTextFile(`${cwd}/pressroom-data/review/${id}.md`);
    const steps = review.split("## What you can do\n\n")[1].split("\n\n")[0].split("\n");
    const unwritten = "s2, s3";
    assertEquals(steps, [
      `- Publish it by hand: write the missing text in workflows/${id}/draft.md (sections without text: ${unwritten}), ` +
      `then \`pressroom approve ${id}\`.`,
      `- Raise \`caps.perWorkflowUsd\` in pressroom.json; then \`pressroom retry ${id}\` goes on where it stopped, ` +
      `or \`pressroom retry ${id} --stage <stage>\` starts a stage over (intake, planner, researcher, writer): its ` +
      "work and all that follows is cleared, your own edits to brief.json and draft.md are kept.",
    ]);
    assert(!review.includes("Publish it as it stands"));

    // Each command refuses until its condition is met, saying what to do.
    const early = await pressroom(cwd, ["approve", id]);
    assertEquals([early.code, early.err], [
      2,
      `pressroom: approve: workflow ${id} cannot be published as it stands: sections without text: ${unwritten}; ` +
      `write their text in ${draftPath(cwd, id)} first\n`,
    ]);
    const capped = await pressroom(cwd, ["retry", id]);
    assertEquals(capped.code, 2);
    assertMatch(capped.err, /^pressroom: retry: cap perWorkflowUsd would stop workflow \w+ again: /);

    // Raised, the retry goes on where it stopped; the next run stops on the same cap (it is back at $0.40).
    await config(cwd, { caps: { perWorkflowUsd: 5 } });
    const retried = await pressroom(cwd, ["retry", id]);
    assertEquals([retried.code, retried.out], [0, `${id}  back to writer\n`]);
    await config(cwd, { caps: { perWorkflowUsd: 0.01 } });
    assertEquals((await pressroom(cwd, ["run", "--once"], env)).code, 0);
    assertEquals(JSON.parse((await pressroom(cwd, ["status", id, "--json"])).out).status, "stuck");

    // The missing sections written by hand, one opening with a quote: approve publishes it all.
    const draft = await Deno.readTextFile(draftPath(cwd, id));
    await Deno.writeTextFile(
      draftPath(cwd, id),
      draft.replaceAll("_(not written yet)_", "> “Water every morning,” says a grower.\n\nWritten by hand."),
    );
    const approved = await pressroom(cwd, ["approve", id]);
    assertEquals(approved.code, 0, approved.err);
    const article = await Deno.readTextFile(approved.out.split("published: ")[1].trim());
    assertEquals(
      article.split("> “Water every morning,” says a grower.\n\nWritten by hand.").length,
      unwritten.split(", ").length + 1,
    );
    assertEquals(await Deno.stat(`${cwd}/pressroom-data/review/${id}.md`).catch(() => "gone"), "gone");
    assertEquals((await history(cwd, id)).at(-2)?.detail, "from stuck at writer");
  } finally {
    await server.close();
  }
});

Deno.test("retry --stage makes that stage work again, clears what follows, keeps the old draft and hand edits", async () => {
  const server = serveSimulator(createSimulator({ seed: 5 }));
  try {
    const cwd = await tempDir();
    await config(cwd, { caps: { perWorkflowUsd: 5 } });
    const [planned, researched, written] = [
      await submit(cwd, "How lighthouses work"),
      await submit(cwd, "How lighthouses work, again"),
      await submit(cwd, "How lighthouses work, once more"),
    ];
    for (const id of [planned, researched, written]) await leaveFlagged(cwd, id);
    const past = await pressroom(cwd, ["retry", planned, "--stage", "publisher"]);
    assertEquals(
      past.err,
      "pressroom: retry: --stage publisher: the editor's work is not done yet: a retry sends a workflow back " +
        "to intake, planner, researcher, writer, editor, not past a stage\n",
    );

    const toPlanner = await pressroom(cwd, ["retry", planned, "--stage", "planner"]);
    assertEquals(
      toPlanner.out,
      [
        `${planned}  cleared the draft, the editor's decision; the draft as it was: ` +
        `${cwd}/pressroom-data/workflows/${planned}/draft.before-retry.md`,
        `${planned}  back to planner`,
        "",
      ].join("\n"),
    );
    assertMatch(await Deno.readTextFile(draftPath(cwd, planned)), /_No draft yet\._/);
    assertMatch(
      await Deno.readTextFile(`${cwd}/pressroom-data/workflows/${planned}/draft.before-retry.md`),
      /The old text about lenses\./,
    );

    const toResearcher = await pressroom(cwd, ["retry", researched, "--stage", "researcher"]);
    assertEquals(
      toResearcher.out.split("\n")[0].split("; the draft")[0],
      [
        `${researched}  cleared every section's citations and research notes`,
        "every section's text",
        "the editor's decision",
      ].join(", "),
    );

    // The person rewrote s2 before sending the article back to the writer: s2 is kept, s1 and s3 are cleared.
    const file = await Deno.readTextFile(draftPath(cwd, written));
    await Deno.writeTextFile(
      draftPath(cwd, written),
      file.replace("The old text about lamps.", "Lamps, by hand."),
    );
    const toWriter = await pressroom(cwd, ["retry", written, "--stage", "writer"]);
    assertEquals(toWriter.code, 0, toWriter.err);
    const rewritten = await Deno.readTextFile(draftPath(cwd, written));
    assertEquals(rewritten.split("_(not written yet)_").length, 3);
    assert(rewritten.includes("Lamps, by hand."));

    const run = await pressroom(cwd, ["run", "--once"], {
      ANTHROPIC_API_KEY: KEY,
      ANTHROPIC_BASE_URL: server.url,
    });
    assertEquals(run.code, 0, run.err);
    for (const [id, stage] of [[planned, "planner"], [researched, "researcher"], [written, "writer"]]) {
      const events = await history(cwd, id);
      const after = events.slice(events.findIndex((e) => e.kind === "retried"));
      assertEquals(after[0].stage, stage);
      const done = after.filter((e) => e.kind === "stage_done");
      assertEquals(done[0].stage, stage, id);
      // Every stage from the one sent back to worked: none is logged done with no turns.
      for (const e of done) assert(JSON.parse(e.detail).turns > 0, `${id}: ${e.stage} ${e.detail}`);
    }
    const status = JSON.parse((await pressroom(cwd, ["status", researched, "--json"])).out);
    assert(["published", "flagged"].includes(status.status), status.status);
  } finally {
    await server.close();
  }
});

Deno.test("retry --model re-pins a stuck or waiting workflow's agent, in its history; unknown and retired models are refused", async () => {
  const cwd = await tempDir();
  await config(cwd, {
    prices: { "claude-old-1": { input: 3, output: 15, retires: "2020-01-01" } },
  });
  const [stuck, waiting] = [await submit(cwd, "Stuck topic"), await submit(cwd, "Waiting topic")];
  leave(cwd, stuck, (store) => {
    store.repin(stuck, "writer", "claude-old-1");
    store.update(stuck, { stage: "writer", status: "stuck", reason: "API refused the request: 404 model" });
  });
  leave(cwd, waiting, (store) => {
    store.update(waiting, { status: "waiting", reason: "API error", waitUntil: Date.now() + 60_000 });
  });
  const refused = [
    [["--model", "writer"], "retry: --model writer: expected <agent>=<model>, e.g. writer=claude-sonnet-4-6"],
    [
      ["--model", "printer=claude-sonnet-4-6"],
      'retry: --model printer=claude-sonnet-4-6: unknown agent "printer"; agents: intake, planner, researcher, writer, editor, publisher',
    ],
    [
      ["--model", "writer=claude-nope"],
      'retry: --model writer=claude-nope: unknown model "claude-nope": add its price under "prices"',
    ],
    [
      ["--model", "writer=claude-old-1"],
      "retry: --model writer=claude-old-1: claude-old-1 retired on 2020-01-01 and the API refuses it; use claude-opus-4-7 instead",
    ],
  ] as const;
  for (const [args, line] of refused) {
    const result = await pressroom(cwd, ["retry", stuck, ...args]);
    assertEquals([result.code, result.err], [2, `pressroom: ${line}\n`]);
  }
  const repinned = await pressroom(cwd, [
    "retry",
    stuck,
    "--model",
    "writer=claude-sonnet-4-6",
    "--model",
    "editor=claude-opus-4-7",
  ]);
  assertEquals(
    repinned.out,
    [
      `${stuck}  writer pinned to claude-sonnet-4-6 (was claude-old-1)`,
      `${stuck}  editor pinned to claude-opus-4-7 (was claude-sonnet-4-6)`,
      `${stuck}  back to writer`,
      "",
    ].join("\n"),
  );
  const status = JSON.parse((await pressroom(cwd, ["status", stuck, "--json"])).out);
  assertEquals([status.status, status.models.writer, status.models.editor], [
    "ready",
    "claude-sonnet-4-6",
    "claude-opus-4-7",
  ]);
  assertEquals(
    status.events.filter((e: { kind: string }) => e.kind === "repinned").slice(-2).map((
      e: { stage: string; detail: string },
    ) => [e.stage, e.detail]),
    [["writer", "claude-old-1 -> claude-sonnet-4-6"], ["editor", "claude-sonnet-4-6 -> claude-opus-4-7"]],
  );
  const text = await pressroom(cwd, ["status", stuck]);
  assertMatch(text.out, /^ {2}\S+ {2}writer {5}repinned {2}claude-old-1 -> claude-sonnet-4-6$/m);

  const fromWaiting = await pressroom(cwd, ["retry", waiting, "--model", "intake=claude-sonnet-4-6"]);
  assertEquals(fromWaiting.code, 0, fromWaiting.err);
  assertEquals(
    JSON.parse((await pressroom(cwd, ["status", waiting, "--json"])).out).models.intake,
    "claude-sonnet-4-6",
  );
});

Deno.test("draft.md edits Pressroom cannot take are refused with their line, and nothing changes", async () => {
  const cwd = await tempDir();
  const id = await submit(cwd, "How lighthouses work");
  await leaveFlagged(cwd, id);
  const file = await Deno.readTextFile(draftPath(cwd, id));
  const before = JSON.parse((await pressroom(cwd, ["status", id, "--json"])).out);
  const cases: [string, string][] = [
    [
      file.replace("## s2 · Lamps", "## s7 · Lamps"),
      `line 15: unknown section id "s7"; the draft's sections are s1, s2, s3: section ids cannot change`,
    ],
    [
      file.replace("## s3 · Keepers\n", ""),
      `line 32: section s3 is missing: keep its line "## s3 · Keepers" and the sections' order`,
    ],
    [
      "\u0000\u0001garbage\n",
      `line 1: expected "# How lighthouses work" here: the title and status lines stay as written; only a section's text is read back`,
    ],
  ];
  for (const [edited, line] of cases) {
    await Deno.writeTextFile(draftPath(cwd, id), edited);
    for (const command of ["approve", "retry"]) {
      const result = await pressroom(cwd, [command, id]);
      assertEquals([result.code, result.err], [2, `pressroom: ${draftPath(cwd, id)} ${line}\n`]);
    }
    assertEquals(await Deno.readTextFile(draftPath(cwd, id)), edited);
    assertEquals(JSON.parse((await pressroom(cwd, ["status", id, "--json"])).out), before);
  }
  // A quote opening a section's text is ordinary Markdown: taken.
  await Deno.writeTextFile(
    draftPath(cwd, id),
    file.replace("The old text about lamps.", "> Quoted.\n\nMine."),
  );
  const approved = await pressroom(cwd, ["approve", id]);
  assertEquals(approved.code, 0, approved.err);
  assertMatch(
    await Deno.readTextFile(approved.out.split("published: ")[1].trim()),
    /## Lamps\n\n> Quoted\.\n\nMine\.\n/,
  );
});
