/** ULIDs: the spec's encoding, sortable by time, and strictly increasing from the monotonic maker. */
import { assertEquals, assertMatch, assertThrows } from "../assert.ts";
import { monotonicUlid, ulid } from "../../src/ids.ts";

const CROCKFORD = /^[0-9A-HJKMNP-TV-Z]{26}$/;

Deno.test("a ULID is 26 Crockford digits whose first ten are the time, as the spec's example", () => {
  // github.com/ulid/spec: 1469918176385 ms is 01ARYZ6S41.
  const id = ulid(1469918176385);
  assertMatch(id, CROCKFORD);
  assertEquals(id.slice(0, 10), "01ARYZ6S41");
  assertEquals(ulid(0).slice(0, 10), "0000000000");
  assertEquals(ulid(2 ** 48 - 1).slice(0, 10), "7ZZZZZZZZZ");
  assertThrows(() => ulid(2 ** 48), RangeError);
  assertThrows(() => ulid(-1), RangeError);
});

Deno.test("ULIDs of later times sort later; random parts differ", () => {
  const ids = [5, 1_000, 1_700_000_000_000, 1_700_000_000_001].map((t) => ulid(t));
  assertEquals([...ids].sort(), ids);
  assertEquals(new Set(Array.from({ length: 100 }, () => ulid(42))).size, 100);
});

Deno.test("the monotonic maker's ids strictly increase within a millisecond and when the clock steps back", () => {
  const next = monotonicUlid();
  const ids = [...Array.from({ length: 200 }, () => next(1_000)), next(999), next(1_000), next(1_001)];
  for (const id of ids) assertMatch(id, CROCKFORD);
  assertEquals([...ids].sort(), ids);
  assertEquals(new Set(ids).size, ids.length);
  assertEquals(ids.at(-1)!.slice(0, 10), ulid(1_001).slice(0, 10));
});
