/** The workflow store's reads that leave the state out: pins in creation order, and the workflows in flight. */
import { assertEquals } from "../assert.ts";
import { openLedger, rawDb, tempDir } from "../helpers.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import { WorkflowStore } from "../../src/pipeline/store.ts";

Deno.test("pinHistory: every workflow's pinned models in creation order, published ones and re-pins included", async () => {
  let now = Date.parse("2026-11-24T10:00:00Z");
  const clock = () => now;
  const ledger = openLedger(await tempDir(), undefined, clock);
  try {
    const store = new WorkflowStore(rawDb(ledger), clock);
    assertEquals(store.pinHistory(), []);
    const first = store.create({ topic: "first" }, DEFAULT_MODELS);
    now += 1000;
    const second = store.create({ topic: "second" }, { ...DEFAULT_MODELS, writer: "claude-sonnet-4-6" });
    store.update(first.id, { status: "published" });
    store.repin(second.id, "editor", "claude-haiku-4-5");
    assertEquals(store.pinHistory(), [
      { id: first.id, createdTs: now - 1000, models: DEFAULT_MODELS },
      {
        id: second.id,
        createdTs: now,
        models: { ...DEFAULT_MODELS, writer: "claude-sonnet-4-6", editor: "claude-haiku-4-5" },
      },
    ]);
    assertEquals(store.pinned().map((w) => w.id), [second.id], "in flight: not published");
  } finally {
    ledger.close();
  }
});
