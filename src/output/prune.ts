/**
 * What `pressroom prune` removes: the transcripts (`transcript.jsonl` and `transcript.parts.jsonl`) of
 * workflows finished before a cutoff, and nothing else: the ledger, requests, briefs, drafts, articles
 * and review files stay. Finished means published: a stuck or flagged workflow can still be retried or
 * approved, and its transcript is how a person finds out what went wrong.
 * @module
 */
import type { WorkflowStatus } from "../pipeline/store.ts";
import { dataPaths } from "./paths.ts";

/** A workflow as the store lists it for pruning: no state. */
export interface WorkflowAge {
  id: string;
  status: WorkflowStatus;
  /** When its status last changed: for a published workflow, when it was published. */
  updatedTs: number;
}

/** The transcript files of one finished workflow that are on disk. */
export interface PrunableTranscript {
  workflowId: string;
  finishedTs: number;
  paths: string[];
  bytes: number;
}

/** The workflows whose transcripts may go: published at or before `cutoff` (epoch ms), oldest first. */
export function finishedBefore(workflows: readonly WorkflowAge[], cutoff: number): WorkflowAge[] {
  return workflows.filter((w) => w.status === "published" && w.updatedTs <= cutoff)
    .sort((a, b) => a.updatedTs - b.updatedTs || a.id.localeCompare(b.id));
}

/** The transcript files of these workflows that are on disk, with their sizes; a workflow with none is left out. */
export async function transcriptsOf(
  dataDir: string,
  workflows: readonly WorkflowAge[],
): Promise<PrunableTranscript[]> {
  const found: PrunableTranscript[] = [];
  for (const workflow of workflows) {
    const paths = dataPaths(dataDir).workflow(workflow.id);
    const files: { path: string; size: number }[] = [];
    for (const path of [paths.transcript, paths.transcriptParts]) {
      const size = await fileSize(path);
      if (size !== undefined) files.push({ path, size });
    }
    if (files.length === 0) continue;
    found.push({
      workflowId: workflow.id,
      finishedTs: workflow.updatedTs,
      paths: files.map((f) => f.path),
      bytes: files.reduce((n, f) => n + f.size, 0),
    });
  }
  return found;
}

/** Removes the files; one already gone (another prune) is fine. */
export async function removeTranscripts(transcripts: readonly PrunableTranscript[]): Promise<void> {
  for (const path of transcripts.flatMap((t) => t.paths)) {
    try {
      await Deno.remove(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
}

/** The size of the regular file at `path`, or undefined when there is none. */
async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await Deno.lstat(path);
    return info.isFile ? info.size : undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}
