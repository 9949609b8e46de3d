/** Workflow ids: the order they were made, even within one millisecond. */
import { assertEquals } from "../assert.ts";
import { newWorkflowId } from "../../src/pipeline/store.ts";

Deno.test("workflow ids made in the same millisecond sort in the order they were made", () => {
  const at = Date.parse("2026-12-01T06:00:00Z");
  const ids = Array.from({ length: 50 }, () => newWorkflowId(at));
  assertEquals([...ids].sort(), ids);
  assertEquals(new Set(ids).size, 50);
});
