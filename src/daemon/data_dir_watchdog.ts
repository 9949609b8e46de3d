/**
 * The data folder deleted under a running daemon: checked before every pass, and when the scheduler
 * fails, so that the cause reported is the deleted folder and nothing is written into nothing.
 * @module
 */
import { PressroomError } from "../errors.ts";
import { dataPaths } from "../output/paths.ts";

/** Throws when the data folder or its database is gone. */
export async function assertDataDir(dataDir: string): Promise<void> {
  try {
    await Deno.stat(dataPaths(dataDir).db);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new PressroomError(
      `${dataDir}: the data folder or its database was deleted while running; stopping`,
    );
  }
}
