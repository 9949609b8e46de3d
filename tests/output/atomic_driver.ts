/**
 * Run as a separate process by the read-only folder test, inside a read-only mount when the tests run as
 * root: `atomic_driver.ts <file>` tries an atomic write of "new" over the file and prints what happened.
 * @module
 */
import { writeFileAtomic } from "../../src/output/atomic.ts";

try {
  await writeFileAtomic(Deno.args[0], "new");
  console.log("written");
} catch (error) {
  console.log(`refused: ${(error as { code?: string }).code ?? (error as Error).name}`);
}
