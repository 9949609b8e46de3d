/**
 * Who holds a reservation. Each process that opens the ledger holds an
 * exclusive lock on `<data>/locks/<owner>.lock` for as long as it lives; the OS
 * drops the lock when the process dies, however it dies (SIGKILL included), so
 * another process can tell a live owner from a dead one without guessing from
 * timestamps or pids.
 * @module
 */
import { join } from "node:path";
import { ulid } from "../ids.ts";

/** Owner ids are ULIDs; nothing else is ever joined into a lock path. */
const OWNER_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export class OwnerLock {
  readonly #file: Deno.FsFile;
  readonly #path: string;

  private constructor(readonly id: string, path: string, file: Deno.FsFile) {
    this.#path = path;
    this.#file = file;
  }

  /** Creates and locks a new owner file in `dir`. */
  static acquire(dir: string): OwnerLock {
    Deno.mkdirSync(dir, { recursive: true });
    const id = ulid();
    const path = join(dir, `${id}.lock`);
    // Lock under a name no one checks, then rename: a `.lock` file is never seen unlocked.
    const temp = join(dir, `${id}.new`);
    const file = Deno.openSync(temp, { read: true, write: true, createNew: true });
    file.lockSync(true);
    file.writeSync(new TextEncoder().encode(`${Deno.pid}\n`));
    Deno.renameSync(temp, path);
    return new OwnerLock(id, path, file);
  }

  release(): void {
    try {
      Deno.removeSync(this.#path);
    } catch { /* already gone: the folder was cleaned */ }
    this.#file.close();
  }
}

/** True when the owner's process still holds its lock. A missing lock file means a dead owner. */
export function ownerAlive(dir: string, owner: string): boolean {
  if (!OWNER_ID.test(owner)) return false;
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(join(dir, `${owner}.lock`), { read: true, write: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  try {
    if (!file.tryLockSync(true)) return true;
    file.unlockSync();
    return false;
  } finally {
    file.close();
  }
}

/** Lock files in `dir` whose owners are dead, to be cleaned up. */
export function deadOwners(dir: string): string[] {
  const dead: string[] = [];
  try {
    for (const entry of Deno.readDirSync(dir)) {
      if (!entry.isFile || !entry.name.endsWith(".lock")) continue;
      const owner = entry.name.slice(0, -".lock".length);
      if (!ownerAlive(dir, owner)) dead.push(owner);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return dead;
}

export function removeOwnerFile(dir: string, owner: string): void {
  if (!OWNER_ID.test(owner)) return;
  try {
    Deno.removeSync(join(dir, `${owner}.lock`));
  } catch { /* another process cleaned it first */ }
}
