import { assertEquals } from "../assert.ts";
import { finishedBefore, type WorkflowAge } from "../../src/output/prune.ts";

Deno.test("only workflows published at or before the cutoff are finished for prune, oldest first", () => {
  const cutoff = 1_000;
  const workflows: WorkflowAge[] = [
    { id: "B", status: "published", updatedTs: 900 },
    { id: "A", status: "published", updatedTs: cutoff },
    { id: "C", status: "published", updatedTs: 100 },
    { id: "late", status: "published", updatedTs: cutoff + 1 },
    ...(["ready", "waiting", "stuck", "flagged"] as const).map((status) => ({
      id: status,
      status,
      updatedTs: 1,
    })),
  ];
  assertEquals(finishedBefore(workflows, cutoff).map((w) => w.id), ["C", "B", "A"]);
});
