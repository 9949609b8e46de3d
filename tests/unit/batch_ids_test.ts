/** custom_id: the agent, workflow and reservation of a batch request, within the API's pattern. */
import { assertEquals, assertThrows } from "../assert.ts";
import { customIdOf, parseCustomId } from "../../src/claude/batch_ids.ts";
import { ulid } from "../../src/ids.ts";

Deno.test("a batch request's custom_id names its call, fits the API's pattern and reads back", () => {
  const call = { agent: "researcher", workflow: ulid(), reservation: ulid() };
  const id = customIdOf(call);
  assertEquals([id.length <= 64, /^[a-zA-Z0-9_-]{1,64}$/.test(id)], [true, true]);
  assertEquals(parseCustomId(id), call);
  assertEquals(parseCustomId("someone-else's id"), undefined);
  assertEquals(parseCustomId("a_b"), undefined);
  assertThrows(() => customIdOf({ ...call, workflow: "has_underscore" }), Error, "no custom_id fits");
  assertThrows(() => customIdOf({ ...call, reservation: "x".repeat(40) }), Error, "at most 64");
});
