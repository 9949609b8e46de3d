/**
 * Rules for text that people and models hand to Pressroom.
 * @module
 */

// Tab, line feed and carriage return are text; every other control character is not.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export function hasControlChars(text: string): boolean {
  return CONTROL.test(text);
}

/** Windows and old Mac line ends become `\n`. */
export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}
