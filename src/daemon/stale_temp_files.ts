/**
 * At start: a process killed between writing and renaming left a hidden copy beside an article or a
 * review. The daemon removes those and logs each one.
 * @module
 */
import { removeStaleTempFiles } from "../output/atomic.ts";
import { dataPaths } from "../output/paths.ts";
import type { Log } from "./log.ts";

export async function removeStaleOutputTemps(dataDir: string, now: number, log: Log): Promise<void> {
  const { published, review } = dataPaths(dataDir);
  for (const dir of [published, review]) {
    for (const name of await removeStaleTempFiles(dir, now)) {
      log.note("cleanup", `removed ${dir}/${name}, left by a process that was killed while writing it`);
    }
  }
}
