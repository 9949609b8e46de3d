/** Canary assignment: reproducible from the workflow id, near `share` over many ids, independent per agent. */
import { assert, assertEquals } from "../assert.ts";
import { canaryDraw, type ModelPlan, pinModels } from "../../src/pipeline/canary.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import { monotonicUlid } from "../../src/ids.ts";

const plan: ModelPlan = {
  models: DEFAULT_MODELS,
  canaries: {
    writer: { model: "claude-sonnet-4-6", share: 0.2 },
    researcher: { model: "claude-sonnet-4-6", share: 0.5 },
  },
};

Deno.test("the same workflow id draws the same arms every time, and only agents with a canary draw", () => {
  const id = "01JZ0000000000000000000000";
  const first = pinModels(id, plan);
  assertEquals(pinModels(id, plan), first);
  assertEquals(first.arms.map((a) => a.agent), ["researcher", "writer"]);
  for (const arm of first.arms) {
    assertEquals(
      first.models[arm.agent],
      arm.arm === "canary" ? "claude-sonnet-4-6" : DEFAULT_MODELS[arm.agent],
    );
  }
  assertEquals(first.models.intake, DEFAULT_MODELS.intake);
});

Deno.test("over 20,000 ids created a millisecond apart, each agent's canary share lands near its share, independently", () => {
  const ulid = monotonicUlid();
  const ids = Array.from({ length: 20_000 }, (_, i) => ulid(Date.UTC(2026, 11, 7) + i));
  const pins = ids.map((id) => pinModels(id, plan));
  const share = (agent: "writer" | "researcher") =>
    pins.filter((p) => p.arms.find((a) => a.agent === agent)!.arm === "canary").length / ids.length;
  // Binomial standard errors: 0.28 and 0.35 points; four of them either side.
  assert(Math.abs(share("writer") - 0.2) < 0.012, `writer ${share("writer")}`);
  assert(Math.abs(share("researcher") - 0.5) < 0.014, `researcher ${share("researcher")}`);
  const both = pins.filter((p) => p.arms.every((a) => a.arm === "canary")).length / ids.length;
  assert(Math.abs(both - 0.1) < 0.01, `both ${both}`);
  for (const id of ids.slice(0, 100)) {
    const u = canaryDraw(id, "writer");
    assert(u >= 0 && u < 1);
  }
});
