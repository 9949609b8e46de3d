/**
 * `pressroom prune --older-than 30d [--dry-run]`: removes the transcripts of workflows published longer
 * ago than that (output/prune.ts says what goes and what stays); `--dry-run` lists them and their bytes
 * and removes nothing.
 * @module
 */
import { UsageError } from "../errors.ts";
import { finishedBefore, removeTranscripts, transcriptsOf, type WorkflowAge } from "../output/prune.ts";
import { parseSince } from "../report/maths.ts";
import type { Parsed } from "./args.ts";
import { configFrom, openExistingStorage } from "./context.ts";
import type { Io } from "./io.ts";

export const pruneOptions = { "older-than": { type: "string" }, "dry-run": { type: "boolean" } } as const;

export async function pruneCommand(parsed: Parsed, io: Io): Promise<number> {
  const olderThan = parsed.values["older-than"] as string | undefined;
  if (olderThan === undefined) throw new UsageError("prune: --older-than is required, e.g. --older-than 30d");
  if (parsed.positionals.length) {
    throw new UsageError(`prune: takes no arguments, got "${parsed.positionals[0]}"`);
  }
  const cutoff = parseSince(olderThan, io.now(), "--older-than");
  const loaded = await configFrom(parsed, io);
  const storage = await openExistingStorage(loaded, io);
  let workflows: WorkflowAge[];
  try {
    workflows = storage.workflows(io.now).statuses();
  } finally {
    await storage.close();
  }
  const transcripts = await transcriptsOf(loaded.dataDir, finishedBefore(workflows, cutoff));
  const before = new Date(cutoff).toISOString();
  if (transcripts.length === 0) {
    io.out(`no transcripts of workflows published before ${before}`);
    return 0;
  }
  for (const t of transcripts) {
    io.out(`${t.workflowId}  published ${new Date(t.finishedTs).toISOString()}  ${t.bytes} bytes`);
  }
  const bytes = transcripts.reduce((n, t) => n + t.bytes, 0);
  const what = `the transcripts of ${transcripts.length} workflow${transcripts.length === 1 ? "" : "s"} ` +
    `published before ${before} (${bytes} bytes)`;
  if (parsed.values["dry-run"]) {
    io.out(`dry run: would remove ${what}; nothing was removed`);
    return 0;
  }
  await removeTranscripts(transcripts);
  io.out(`removed ${what}`);
  return 0;
}
