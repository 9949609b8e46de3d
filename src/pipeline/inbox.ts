/**
 * The inbox: a request file dropped into `<data>/inbox/` becomes a workflow,
 * and the file is moved to `inbox/done/<workflow>-<name>`; a file that is not a
 * valid request goes to `inbox/rejected/` with the reason beside it. Never lost.
 * @module
 */
import { join } from "node:path";
import type { AgentId } from "../config/schema.ts";
import { PressroomError } from "../errors.ts";
import { requestFromInboxFile } from "./request.ts";
import { createWorkflow } from "./create_workflow.ts";
import type { WorkflowStore } from "./store.ts";

const ACCEPTED = /\.(json|md|txt)$/;

export interface InboxResult {
  created: { file: string; workflowId: string }[];
  rejected: { file: string; reason: string }[];
}

export async function ingestInbox(
  dataDir: string,
  store: WorkflowStore,
  models: Record<AgentId, string>,
): Promise<InboxResult> {
  const inbox = join(dataDir, "inbox");
  const result: InboxResult = { created: [], rejected: [] };
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(inbox));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return result;
    throw error;
  }
  // Files still being written are named with a leading dot or a temporary suffix: skip them.
  const files = entries.filter((e) => e.isFile && !e.name.startsWith(".") && ACCEPTED.test(e.name))
    .map((e) => e.name).sort();
  for (const name of files) {
    const path = join(inbox, name);
    try {
      const request = await requestFromInboxFile(path);
      // The same file seen again (a crash came between creating its workflow and moving it) is moved only.
      const key = await inboxKey(path, name);
      const known = store.fromInbox(key);
      if (known) {
        await moveInto(join(inbox, "done"), path, `${known}-${name}`);
        continue;
      }
      const workflow = await createWorkflow(store, dataDir, request, models, key);
      await moveInto(join(inbox, "done"), path, `${workflow.id}-${name}`);
      // Moved: the same file dropped in again later is a new request.
      store.forgetInboxFile(workflow.id);
      result.created.push({ file: name, workflowId: workflow.id });
    } catch (error) {
      if (!(error instanceof PressroomError)) {
        // The folder, not the request, is at fault (permissions, disk): leave the file and say so.
        result.rejected.push({ file: name, reason: `cannot take it in: ${(error as Error).message}` });
        continue;
      }
      const target = await moveInto(join(inbox, "rejected"), path, name);
      await Deno.writeTextFile(`${target}.error.txt`, `${error.message}\n`);
      result.rejected.push({ file: name, reason: error.message });
    }
  }
  return result;
}

/** An inbox file's identity: its name and a hash of its content. */
export async function inboxKey(path: string, name: string): Promise<string> {
  return `${name}@${await digest(path)}`;
}

async function digest(path: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(hash).slice(0, 12), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Moves a file into `dir` under `name`, adding a numeric suffix rather than replacing a file. */
async function moveInto(dir: string, from: string, name: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  for (let n = 1;; n++) {
    const target = join(dir, n === 1 ? name : `${n}-${name}`);
    try {
      await Deno.lstat(target);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      await Deno.rename(from, target);
      return target;
    }
  }
}
