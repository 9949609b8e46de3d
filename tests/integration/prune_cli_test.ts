/**
 * `pressroom prune` run as a user runs it: only the transcripts of workflows published before the cutoff
 * go; a dry run removes nothing; the ledger, briefs, drafts, articles and review files stay.
 */
import { assertEquals, assertMatch } from "../assert.ts";
import { caps, filesUnder, openLedger, rawDb, runPressroom as pressroom, tempDir } from "../helpers.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import { type WorkflowStatus, WorkflowStore } from "../../src/pipeline/store.ts";
import { mirrorWorkflow, Transcript } from "../../src/output/workflow_files.ts";

const DAY = 86_400_000;
const ISO = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

interface Made {
  id: string;
  status: WorkflowStatus;
  finishedTs: number;
}

/** A workflow left with `status` at `ts`, with every file a run leaves: request, brief, draft, transcript. */
async function leave(data: string, topic: string, status: WorkflowStatus, ts: number, transcript = true) {
  let now = ts;
  const ledger = openLedger(data, caps(), () => now);
  try {
    const store = new WorkflowStore(rawDb(ledger), () => now);
    const id = store.create({ topic }, DEFAULT_MODELS).id;
    now = ts + 60_000;
    store.update(id, { stage: status === "published" ? "done" : "editor", status });
    await mirrorWorkflow(data, id, {
      request: { topic },
      brief: { title: topic },
      draftMarkdown: `# ${topic}\n`,
    });
    if (transcript) {
      const file = new Transcript(data, id);
      const request = { model: "m", system: [{ type: "text", text: "stable" }], tools: [{ name: "t" }] };
      await file.append({ ts, callId: "c1", request, response: { content: [] } });
      await file.close();
    }
    const output = status === "published" ? `published/${id.toLowerCase()}.md` : `review/${id}.md`;
    await Deno.mkdir(`${data}/${output.split("/")[0]}`, { recursive: true });
    await Deno.writeTextFile(`${data}/${output}`, `# ${topic}\n`);
    return { id, status, finishedTs: now };
  } finally {
    ledger.close();
  }
}

/** Every file of the data folder but the ledger's (opening a ledger rewrites it), with its text. */
async function files(data: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const [path, bytes] of filesUnder(data)) {
    if (!/\/pressroom\.db(-wal|-shm|-journal)?$/.test(path)) {
      out[path.slice(data.length + 1)] = new TextDecoder().decode(bytes);
    }
  }
  return out;
}

function statuses(data: string): string[] {
  const ledger = openLedger(data);
  try {
    return new WorkflowStore(rawDb(ledger)).statuses().map((w) => `${w.id} ${w.status}`);
  } finally {
    ledger.close();
  }
}

Deno.test("prune removes only the transcripts of workflows published before the cutoff; a dry run removes nothing", async () => {
  const cwd = await tempDir();
  const data = `${cwd}/pressroom-data`;
  const old = Date.now() - 40 * DAY;
  const made: Made[] = [
    await leave(data, "Published long ago", "published", old),
    await leave(data, "Published an hour ago", "published", Date.now() - 3_600_000),
    await leave(data, "Stuck long ago", "stuck", old),
    await leave(data, "Flagged long ago", "flagged", old),
    await leave(data, "Published long ago, pruned already", "published", old, false),
  ];
  const gone = made[0];
  const goneFiles = ["transcript.jsonl", "transcript.parts.jsonl"].map((f) => `workflows/${gone.id}/${f}`);
  const before = await files(data);
  const bytes = goneFiles.reduce((n, f) => n + new TextEncoder().encode(before[f]).length, 0);
  const rows = statuses(data);
  const listed = `${gone.id}  published ${new Date(gone.finishedTs).toISOString()}  ${bytes} bytes`;
  const what = `the transcripts of 1 workflow published before ${ISO} \\(${bytes} bytes\\)`;

  const dry = await pressroom(cwd, ["prune", "--older-than", "30d", "--dry-run"]);
  assertEquals([dry.code, dry.err], [0, ""]);
  const [first, summary, ...rest] = dry.out.split("\n");
  assertEquals([first, rest], [listed, [""]]);
  assertMatch(summary, new RegExp(`^dry run: would remove ${what}; nothing was removed$`));
  assertEquals(await files(data), before, "a dry run removes nothing");

  const real = await pressroom(cwd, ["prune", "--older-than", "30d"]);
  assertEquals([real.code, real.err], [0, ""]);
  assertEquals(real.out.split("\n")[0], listed);
  assertMatch(real.out, new RegExp(`\\nremoved ${what}\\n$`));
  const after = { ...before };
  for (const f of goneFiles) delete after[f];
  assertEquals(await files(data), after, "only the old published workflow's transcript went");
  assertEquals(statuses(data), rows, "the ledger keeps every workflow");

  const again = await pressroom(cwd, ["prune", "--older-than", "30d"]);
  assertEquals(again.code, 0);
  assertMatch(again.out, new RegExp(`^no transcripts of workflows published before ${ISO}\\n$`));
});

Deno.test("prune refuses a bad or missing --older-than with one line and exit 2, before touching anything", async () => {
  const cwd = await tempDir();
  const data = `${cwd}/pressroom-data`;
  await leave(data, "Published long ago", "published", Date.now() - 40 * DAY);
  const before = await files(data);
  const cases: [string[], string][] = [
    [
      ["--older-than", "30x"],
      'pressroom: --older-than: "30x" is not a duration like 7d, 24h, 90m or a date like 2026-11-01\n',
    ],
    [[], "pressroom: prune: --older-than is required, e.g. --older-than 30d\n"],
    [["--older-than", "30d", "everything"], 'pressroom: prune: takes no arguments, got "everything"\n'],
    [["--older-than"], "pressroom: prune: Option '--older-than <value>' argument missing\n"],
  ];
  for (const [args, err] of cases) {
    const run = await pressroom(cwd, ["prune", ...args]);
    assertEquals({ code: run.code, out: run.out, err: run.err }, { code: 2, out: "", err }, args.join(" "));
  }
  assertEquals(await files(data), before);
});

Deno.test("prune in a folder with no ledger says so and creates nothing", async () => {
  const cwd = await tempDir();
  const run = await pressroom(cwd, ["prune", "--older-than", "30d"]);
  assertEquals({ code: run.code, out: run.out, err: run.err }, {
    code: 2,
    out: "",
    err: `pressroom: the default data folder: no ledger at ${cwd}/pressroom-data/pressroom.db ` +
      "(the folder does not exist); check the folder, or start one with `pressroom submit` or `pressroom demo`\n",
  });
  assertEquals([...Deno.readDirSync(cwd)], []);
});
