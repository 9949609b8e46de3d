/**
 * Retirement, judged against a given day: retired from the date on, retiring within the warning window,
 * and every replacement the catalog names is a model it prices that does not itself retire.
 */
import { assertEquals } from "../assert.ts";
import { MODELS } from "../../src/models/catalog.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import {
  replacementFor,
  RETIREMENT_WARNING_DAYS,
  retirementDay,
  retirementOf,
  retirementText,
} from "../../src/models/retirement.ts";

Deno.test("retirementOf: retired from the date on, retiring within the window, else nothing", () => {
  const sonnet45 = new PriceBook().require("claude-sonnet-4-5");
  assertEquals(retirementOf(sonnet45, "2026-12-01"), {
    kind: "retired",
    retires: "2026-11-30",
    days: -1,
    replacedBy: "claude-sonnet-4-6",
  });
  assertEquals(retirementOf(sonnet45, "2026-11-30")?.kind, "retired");
  const before = retirementOf(sonnet45, "2026-11-20")!;
  assertEquals([before.kind, before.days, retirementText(before)], [
    "retiring",
    10,
    "retires on 2026-11-30, in 10 days",
  ]);
  assertEquals(
    retirementOf(sonnet45, "2026-09-01"),
    undefined,
    `more than ${RETIREMENT_WARNING_DAYS} days out`,
  );
  assertEquals(retirementOf(new PriceBook().require("claude-sonnet-4-6"), "2026-12-01"), undefined);
  assertEquals(retirementDay(Date.parse("2026-11-30T23:59:59.999Z")), "2026-11-30");
});

Deno.test("replacementFor: the catalog's replacement, else the agent's default model", () => {
  assertEquals(replacementFor({ replacedBy: "claude-sonnet-4-6" }, "writer"), "claude-sonnet-4-6");
  assertEquals(replacementFor({ replacedBy: undefined }, "editor"), "claude-sonnet-4-6");
  assertEquals(replacementFor({ replacedBy: undefined }, "writer"), "claude-opus-4-7");
});

Deno.test("every retiring catalog model names a replacement that is priced and does not retire", () => {
  const prices = new PriceBook();
  for (const model of MODELS.filter((m) => m.retires !== undefined)) {
    const replacement = prices.lookup(model.replacedBy ?? "");
    assertEquals(replacement !== undefined && replacement.retires === undefined, true, model.id);
  }
});
