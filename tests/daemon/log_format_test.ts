/** `--log`: text on a terminal and JSON lines elsewhere unless named; anything else is a usage error. */
import { assertEquals, assertThrows } from "../assert.ts";
import { UserInputError } from "../../src/errors.ts";
import { parseLogFormat } from "../../src/daemon/log.ts";

Deno.test("without --log, text on a terminal and JSON lines elsewhere", () => {
  assertEquals(parseLogFormat(undefined, true), "text");
  assertEquals(parseLogFormat(undefined, false), "json");
  assertEquals(parseLogFormat(undefined, undefined), "json");
});

Deno.test("--log text or json wins over the terminal; anything else names the flag and the value", () => {
  assertEquals(parseLogFormat("json", true), "json");
  assertEquals(parseLogFormat("text", false), "text");
  const error = assertThrows(() => parseLogFormat("yaml", true), UserInputError);
  assertEquals(error.message, '--log must be text or json, not "yaml"');
  assertEquals(error.exitCode, 2);
});
