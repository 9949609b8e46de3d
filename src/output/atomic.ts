/**
 * Crash-safe file writes. `writeFileAtomic` never leaves a half-written target:
 * a reader sees the old file or the new one. `writeFileExclusive` publishes a
 * complete file under a name only if the name is free, race-safe between
 * processes. `LineFile` adds JSONL lines, each with a single O_APPEND write.
 * @module
 */
import { basename, dirname } from "node:path";
import { hex } from "../hex.ts";

const encoder = new TextEncoder();

export interface AtomicWriteOptions {
  /** File mode of a new file (before the umask). Default 0o644. */
  mode?: number;
  /**
   * Test seam: runs after the temporary file is written and synced, just
   * before the rename. Throwing here must leave the old target intact.
   */
  beforeRename?: (tempPath: string) => void | Promise<void>;
}

function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : data;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
}

/** The name of a temporary sibling of `path`: hidden, unique, recognisable (`.name.<random>.tmp`). */
export function tempSibling(path: string): string {
  const random = crypto.getRandomValues(new Uint8Array(8));
  return `${dirname(path)}/.${basename(path)}.${hex(random)}.tmp`;
}

/** True for the temporary files this module creates (left behind only by a crash mid-write). */
export function isTempName(name: string): boolean {
  return /^\..+\.[0-9a-f]{16}\.tmp$/.test(name);
}

/** A temporary file older than this is a leftover of a process killed mid-write: a live write takes milliseconds. */
export const STALE_TEMP_MS = 10 * 60_000;

/**
 * Removes from `dir` (not below it) the temporary files of this module older than `olderThanMs`: what a
 * process killed between writing and renaming left. Returns their names; a missing folder has none.
 */
export async function removeStaleTempFiles(
  dir: string,
  now: number,
  olderThanMs = STALE_TEMP_MS,
): Promise<string[]> {
  const removed: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !isTempName(entry.name)) continue;
      const path = `${dir}/${entry.name}`;
      const { mtime } = await Deno.stat(path);
      if (mtime && now - mtime.getTime() >= olderThanMs) {
        await removeQuietly(path);
        removed.push(entry.name);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return removed;
}

async function removeQuietly(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch {
    // already gone, or never created
  }
}

/** fsync a folder so that a rename or link in it survives a power cut. Best effort. */
async function syncDir(dir: string): Promise<void> {
  let handle: Deno.FsFile | undefined;
  try {
    handle = await Deno.open(dir, { read: true });
    await handle.sync();
  } catch {
    // some platforms and file systems cannot open or sync a folder; the data itself is synced
  } finally {
    handle?.close();
  }
}

/** Write `bytes` to a new, unique temporary sibling of `path`, synced to disk. Returns its path. */
async function writeTemp(path: string, bytes: Uint8Array, mode: number): Promise<string> {
  for (let attempt = 0;; attempt++) {
    const temp = tempSibling(path);
    if (await writeNew(temp, bytes, mode)) return temp;
    if (attempt >= 5) throw new Deno.errors.AlreadyExists(`cannot find a free temporary name beside ${path}`);
  }
}

/** Creates `path` with `bytes`, synced; false when it already exists. A failed write leaves no file. */
async function writeNew(path: string, bytes: Uint8Array, mode: number): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, createNew: true, mode });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    throw error;
  }
  try {
    await writeAll(file, bytes);
    await file.sync();
  } catch (error) {
    file.close();
    await removeQuietly(path);
    throw error;
  }
  file.close();
  return true;
}

/**
 * Replace `path` with `data` atomically: write a unique temporary file in the
 * same folder, fsync it, rename it over the target, fsync the folder. On any
 * failure the temporary file is removed and the old file (if any) is untouched.
 * The parent folder must exist.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const temp = await writeTemp(path, toBytes(data), options.mode ?? 0o644);
  try {
    await options.beforeRename?.(temp);
    await Deno.rename(temp, path);
  } catch (error) {
    await removeQuietly(temp);
    throw error;
  }
  await syncDir(dirname(path));
}

/**
 * Create `path` with `data` only if nothing exists under that name; never
 * overwrites. The content is written and synced under a temporary name, then
 * hard-linked to `path` (link fails if the name is taken, atomically, also
 * between processes), so a reader never sees a partial file. On file systems
 * without hard links it falls back to an exclusive create (O_EXCL).
 * Returns false if the name was taken, true if the file was created.
 */
export async function writeFileExclusive(
  path: string,
  data: string | Uint8Array,
  options: { mode?: number } = {},
): Promise<boolean> {
  const bytes = toBytes(data);
  const mode = options.mode ?? 0o644;
  const temp = await writeTemp(path, bytes, mode);
  try {
    await Deno.link(temp, path);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    if (error instanceof Deno.errors.NotFound) throw error;
    // no hard links here (e.g. some FUSE or FAT file systems): exclusive create instead
    return await createExclusive(path, bytes, mode);
  } finally {
    await removeQuietly(temp);
  }
  await syncDir(dirname(path));
  return true;
}

async function createExclusive(path: string, bytes: Uint8Array, mode: number): Promise<boolean> {
  if (!(await writeNew(path, bytes, mode))) return false;
  await syncDir(dirname(path));
  return true;
}

/**
 * A line file (JSONL) open for appending, created with its parent folders. Each
 * `append` adds one line (a newline is added) with one write call on an O_APPEND
 * handle, so lines from several writers never interleave within a line. A line
 * may not contain a line break.
 */
export class LineFile {
  private constructor(readonly path: string, readonly file: Deno.FsFile) {}

  static async open(path: string): Promise<LineFile> {
    const open = () => Deno.open(path, { append: true, create: true, mode: 0o644 });
    try {
      return new LineFile(path, await open());
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      await Deno.mkdir(dirname(path), { recursive: true });
      return new LineFile(path, await open());
    }
  }

  async append(line: string): Promise<void> {
    if (/[\r\n]/.test(line)) throw new TypeError("LineFile.append: the line contains a line break");
    // a regular file takes the whole buffer in one write; the loop only guards a short write
    await writeAll(this.file, encoder.encode(line + "\n"));
  }

  close(): void {
    this.file.close();
  }
}
