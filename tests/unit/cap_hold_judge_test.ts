/**
 * A hold judged against the ledger: at the max_tokens its stage resumes with, so that a hold on a call the
 * stage had raised for a cut-off tool call is not lifted only to be refused again at once.
 */
import { assertEquals } from "../assert.ts";
import { caps, openStorage, tempDir } from "../helpers.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import { judgeCapHolds } from "../../src/pipeline/cap_holds.ts";
import { MAX_TOKENS_RAISED } from "../../src/pipeline/replies.ts";

Deno.test("a hold on a call raised for a cut-off tool call is judged at the raised max_tokens, not lifted and refused again", async () => {
  const now = Date.parse("2026-12-01T12:00:00Z");
  // $1 a day; $0.80 spent: a writer call of $0.10 at 4,096 tokens fits, the raised one at 8,192 does not.
  const storage = openStorage({
    dataDir: await tempDir(),
    caps: caps({ dailyUsd: 1, perWorkflowUsd: 5 }),
    now: () => now,
  });
  try {
    const { ledger } = storage;
    const store = storage.workflows(() => now);
    const id = store.create({ topic: "Raised and refused" }, DEFAULT_MODELS).id;
    const spent = ledger.reserve({
      agentId: "intake",
      workflowId: id,
      model: DEFAULT_MODELS.writer,
      backend: "anthropic",
      worstCaseNano: 800_000_000,
    });
    ledger.settle(spent, { status: "ok", costNano: 800_000_000 });
    const nanoPerToken = 25_000; // $25 per MTok
    const hold = {
      workflowId: id,
      agent: "writer" as const,
      model: DEFAULT_MODELS.writer,
      backend: "anthropic" as const,
      cap: "dailyUsd",
      requestNano: 100_000_000 - 4096 * nanoPerToken + 8192 * nanoPerToken,
      output: { maxTokens: 8192, nanoPerToken },
      inFlight: false,
      until: Date.parse("2026-12-02T00:00:00Z"),
    };
    store.holdForCap(hold, "held");
    const settingsOf = () => ({ maxTokens: 4096, maxTokensCeiling: 16384 });
    const judge = () => judgeCapHolds({ ledger, store, settingsOf }, "anthropic", now)[0].verdict.kind;

    // Before the stage raised max_tokens, the same hold is judged at the configured 4,096: it fits.
    assertEquals(judge(), "lift");
    store.event(id, "writer", MAX_TOKENS_RAISED, "8192");
    assertEquals(judge(), "keep");
    // A retry starts the stage afresh at the configured max_tokens: the call fits again.
    store.event(id, "writer", "retried", "from waiting at writer");
    assertEquals(judge(), "lift");
  } finally {
    storage.close();
  }
});
