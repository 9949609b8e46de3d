/**
 * Only one `run` works on a data folder unless told otherwise: an exclusive OS lock on
 * `<data>/locks/run.lock`, dropped by the OS however the process ends.
 * @module
 */
import { UserInputError } from "../errors.ts";
import { dataPaths } from "../output/paths.ts";

/**
 * Takes the run lock, or throws naming the folder; with `force`, a second run goes on without it
 * (undefined).
 */
export function lockRun(dataDir: string, force: boolean): Deno.FsFile | undefined {
  const { locks, runLock } = dataPaths(dataDir);
  Deno.mkdirSync(locks, { recursive: true });
  const file = Deno.openSync(runLock, { read: true, write: true, create: true });
  if (file.tryLockSync(true)) return file;
  file.close();
  if (force) return undefined;
  throw new UserInputError(
    `another pressroom run is working on ${dataDir}; stop it first, or pass --force to run a second one beside it`,
  );
}
