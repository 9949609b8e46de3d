/**
 * The inbox: a request file dropped into `<data>/inbox/` becomes a workflow,
 * and the file is moved to `inbox/done/<workflow>-<name>`; a file that is not a
 * valid request goes to `inbox/rejected/` with the reason beside it. Never lost.
 *
 * A file is taken only once it is complete: written under a temporary name
 * (a leading dot, `.tmp`, `.part`, `~`…) and renamed, or unchanged (size,
 * mtime, inode) for one poll interval. Anything else in the folder (a folder,
 * a symbolic link, a FIFO, another extension) is moved to `inbox/rejected/` with
 * its reason, never opened; what cannot be moved safely is left and reported once.
 * @module
 */
import { join } from "node:path";
import { PressroomError } from "../errors.ts";
import { requestFromInboxFile } from "./request.ts";
import { createWorkflow } from "./create_workflow.ts";
import type { WorkflowStore } from "./store.ts";
import type { Ledger } from "../ledger/ledger.ts";
import { sha256Hex } from "../hex.ts";
import type { ModelPlan } from "./canary.ts";

/** A writer's name for a file not complete yet: skipped, without a word. */
const TEMP_NAME = /^\.|\.(tmp|part|partial|crdownload|swp)$|~$/i;
const REQUEST_NAME = /\.(json|md|txt)$/i;
/** The inbox's own folders. */
const OWN_FOLDERS = new Set(["done", "rejected"]);

export type EntryKind = "file" | "folder" | "symlink" | "fifo" | "socket" | "device";

/** What to do with an inbox entry, by its name and kind alone. */
export type Disposition =
  | { take: "skip" }
  | { take: "request" }
  | { take: "reject"; reason: string }
  | { take: "leave"; reason: string };

/** Pure: an entry's kind from its `lstat` (a symbolic link is never followed). */
export function entryKind(info: Deno.FileInfo): EntryKind {
  if (info.isSymlink) return "symlink";
  if (info.isFile) return "file";
  if (info.isDirectory) return "folder";
  if (info.isFifo) return "fifo";
  if (info.isSocket) return "socket";
  return "device";
}

/** Pure: what the inbox does with an entry named `name` of kind `kind`. */
export function dispose(name: string, kind: EntryKind): Disposition {
  if (TEMP_NAME.test(name)) return { take: "skip" };
  const where = `inbox/${name}`;
  switch (kind) {
    case "file":
      return REQUEST_NAME.test(name)
        ? { take: "request" }
        : { take: "reject", reason: `${where}: not a request file; the inbox takes .json, .md and .txt` };
    case "folder":
      return OWN_FOLDERS.has(name) ? { take: "skip" } : {
        take: "reject",
        reason: `${where}: a folder; the inbox reads only files put directly in it`,
      };
    case "symlink":
      return { take: "reject", reason: `${where}: a symbolic link, not followed; put the file itself in` };
    case "fifo":
      return { take: "reject", reason: `${where}: a FIFO, never read; put a request file in` };
    case "socket":
      // Some program listens on it: moving it would cut that program off.
      return { take: "leave", reason: "a socket, not a request file" };
    case "device":
      return { take: "leave", reason: "a device file, not a request file" };
  }
}

/** An entry as one look saw it, and since when it has looked so. */
export interface Seen {
  size: number;
  mtimeMs: number | null;
  ino: number | null;
  /** When a look first saw it with this size, mtime and inode. */
  since: number;
}

/** What the caller keeps between looks, so that a file can be seen unchanged for a poll interval. */
export interface InboxWatch {
  seen: Map<string, Seen>;
  /** Names of the entries left in place and reported: each is reported once while it stays, not at every poll. */
  reported: Set<string>;
}

export function newInboxWatch(): InboxWatch {
  return { seen: new Map(), reported: new Set() };
}

/** Pure: the entry's record after this look, given the last one (undefined when first seen). */
export function settle(previous: Seen | undefined, now: Omit<Seen, "since">, at: number): Seen {
  const same = previous !== undefined && previous.size === now.size && previous.mtimeMs === now.mtimeMs &&
    previous.ino === now.ino;
  return same ? previous : { ...now, since: at };
}

/**
 * Pure: when an entry counts as complete: once unchanged for `pollMs`, by its mtime (a file last written a
 * poll interval ago, such as one dropped in while `run` was stopped, is taken at first sight) or, when the
 * mtime is not to be trusted (in the future, unknown), by the looks that saw it unchanged.
 */
export function settlesAt(seen: Seen, pollMs: number): number {
  return Math.min(seen.since, seen.mtimeMs ?? Number.POSITIVE_INFINITY) + pollMs;
}

export interface InboxOptions {
  dataDir: string;
  store: WorkflowStore;
  /** Told of the canary arms each new workflow draws. */
  ledger: Ledger;
  models: ModelPlan;
  /** Kept by the caller from one look to the next (a new one sees every entry for the first time). */
  watch: InboxWatch;
  /** The time of this look, on the clock the mtimes are compared with. */
  now: number;
  /** How long an entry must stay unchanged to be complete: `run.pollSeconds`. */
  pollMs: number;
}

export interface InboxResult {
  created: { file: string; workflowId: string }[];
  rejected: { file: string; reason: string }[];
  /** Left in place and reported now; the watch keeps it from being reported again. */
  left: { file: string; reason: string }[];
  /** Still being written, or too recently: looked at again at the next poll. */
  waiting: { file: string; settlesAt: number }[];
}

export async function ingestInbox(options: InboxOptions): Promise<InboxResult> {
  const { dataDir, watch, now, pollMs } = options;
  const inbox = join(dataDir, "inbox");
  const result: InboxResult = { created: [], rejected: [], left: [], waiting: [] };
  let names: string[];
  try {
    names = (await Array.fromAsync(Deno.readDir(inbox))).map((e) => e.name).sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return result;
    throw error;
  }
  forgetAllBut(watch, new Set(names));
  for (const name of names) {
    const path = join(inbox, name);
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue; // taken by another process meanwhile
      throw error;
    }
    const kind = entryKind(info);
    const what = dispose(name, kind);
    if (what.take === "skip") continue;
    if (what.take === "leave") {
      leaveOnce(watch, result, name, what.reason);
      continue;
    }
    // Files and folders fill over time; a link or a FIFO is made whole at once.
    if (kind === "file" || kind === "folder") {
      const seen = settle(watch.seen.get(name), statOf(info), now);
      watch.seen.set(name, seen);
      const at = settlesAt(seen, pollMs);
      if (now < at) {
        result.waiting.push({ file: name, settlesAt: at });
        continue;
      }
    }
    watch.seen.delete(name);
    if (what.take === "reject") {
      await reject(inbox, path, name, what.reason).then(
        () => result.rejected.push({ file: name, reason: what.reason }),
        (error) => leaveOnce(watch, result, name, cannotTakeIn(error)),
      );
      continue;
    }
    await takeRequest(options, inbox, name, result);
  }
  return result;
}

export interface SettlingOptions extends Omit<InboxOptions, "now"> {
  now: () => number;
  /** Waits `ms` or until `wake` aborts (the scheduler's sleep). */
  sleep: (ms: number, wake: AbortSignal) => Promise<void>;
  /** Aborted when the process should stop: the waiting ends. */
  stopping: AbortSignal;
  /** The most it waits in all (`run.onceWaitSeconds`), however long the poll interval. */
  mostMs: number;
}

/**
 * `run --once`: takes the inbox, looking again while something in it is still settling, for at most two
 * poll intervals (and `mostMs`) in all: a file written just before the run is complete one interval after its last
 * write, and one still changing after two is left for the next run (its `waiting` entry says so).
 */
export async function ingestInboxSettled(options: SettlingOptions): Promise<InboxResult> {
  const deadline = options.now() + Math.min(2 * options.pollMs, options.mostMs);
  const all: InboxResult = { created: [], rejected: [], left: [], waiting: [] };
  for (;;) {
    const look = await ingestInbox({ ...options, now: options.now() });
    all.created.push(...look.created);
    all.rejected.push(...look.rejected);
    all.left.push(...look.left);
    all.waiting = look.waiting;
    const now = options.now();
    if (!look.waiting.length || now >= deadline || options.stopping.aborted) return all;
    const next = Math.min(deadline, ...look.waiting.map((w) => w.settlesAt));
    await options.sleep(Math.max(0, next - now), options.stopping);
  }
}

/** A request file: a workflow and a move to done/, or a move to rejected/ with the reason. */
async function takeRequest(options: InboxOptions, inbox: string, name: string, result: InboxResult) {
  const { dataDir, store, ledger, models, watch } = options;
  const path = join(inbox, name);
  try {
    const request = await requestFromInboxFile(path);
    // The same file seen again (a crash came between creating its workflow and moving it) is moved only.
    const key = await inboxKey(path, name);
    const known = store.fromInbox(key);
    if (known) {
      await moveInto(join(inbox, "done"), path, `${known}-${name}`);
      return;
    }
    const workflow = await createWorkflow({ store, ledger, dataDir }, request, models, key);
    await moveInto(join(inbox, "done"), path, `${workflow.id}-${name}`);
    // Moved: the same file dropped in again later is a new request.
    store.forgetInboxFile(workflow.id);
    result.created.push({ file: name, workflowId: workflow.id });
  } catch (error) {
    if (!(error instanceof PressroomError)) {
      // The folder, not the request, is at fault (permissions, disk): leave the file and say so, once.
      leaveOnce(watch, result, name, cannotTakeIn(error));
      return;
    }
    await reject(inbox, path, name, error.message);
    result.rejected.push({ file: name, reason: error.message });
  }
}

function cannotTakeIn(error: unknown): string {
  return `cannot take it in: ${(error as Error).message}`;
}

/** Moves an entry to rejected/ (a rename: a link is not followed, a FIFO not opened) with the reason beside it. */
async function reject(inbox: string, path: string, name: string, reason: string): Promise<void> {
  const target = await moveInto(join(inbox, "rejected"), path, name);
  await Deno.writeTextFile(`${target}.error.txt`, `${reason}\n`);
}

function leaveOnce(watch: InboxWatch, result: InboxResult, name: string, reason: string): void {
  if (watch.reported.has(name)) return;
  watch.reported.add(name);
  result.left.push({ file: name, reason });
}

/** Entries gone from the inbox are forgotten: one dropped in again under the same name is new. */
function forgetAllBut(watch: InboxWatch, present: Set<string>): void {
  for (const name of watch.seen.keys()) if (!present.has(name)) watch.seen.delete(name);
  for (const name of watch.reported) if (!present.has(name)) watch.reported.delete(name);
}

function statOf(info: Deno.FileInfo): Omit<Seen, "since"> {
  return { size: info.size, mtimeMs: info.mtime?.getTime() ?? null, ino: info.ino };
}

/** An inbox file's identity: its name and a hash of its content. */
export async function inboxKey(path: string, name: string): Promise<string> {
  return `${name}@${await sha256Hex(await Deno.readFile(path), 12)}`;
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
