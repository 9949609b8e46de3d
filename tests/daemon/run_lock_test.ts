/** One `run` per data folder: the lock on locks/run.lock, refused with the folder named, or passed with --force. */
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { UserInputError } from "../../src/errors.ts";
import { lockRun } from "../../src/daemon/run_lock.ts";
import { tempDir } from "../helpers.ts";

Deno.test("a second lock on the same folder is refused naming the folder; --force goes on without one", async () => {
  const dataDir = await tempDir();
  const first = lockRun(dataDir, false);
  try {
    assert(first !== undefined);
    assert(Deno.statSync(`${dataDir}/locks/run.lock`).isFile);
    const error = assertThrows(() => lockRun(dataDir, false), UserInputError);
    assertEquals(
      error.message,
      `another pressroom run is working on ${dataDir}; stop it first, or pass --force to run a second one beside it`,
    );
    assertEquals(lockRun(dataDir, true), undefined);
  } finally {
    first?.close();
  }
  // Closed (or the process gone): the folder is free again.
  const again = lockRun(dataDir, false);
  assert(again !== undefined);
  again.close();
  await Deno.remove(dataDir, { recursive: true });
});
