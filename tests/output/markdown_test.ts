import { assertEquals } from "../assert.ts";
import { renderArticle } from "../../src/output/article.ts";
import { splitFrontMatter } from "../../src/output/front_matter.ts";
import {
  closeOpenFences,
  collapseWhitespace,
  escapeInline,
  linkDestination,
} from "../../src/output/markdown.ts";
import { EXTRA, sampleState } from "./fixtures.ts";

Deno.test("closeOpenFences closes only a fence left open", () => {
  assertEquals(closeOpenFences("text"), "text");
  assertEquals(closeOpenFences("```js\ncode\n```"), "```js\ncode\n```");
  assertEquals(closeOpenFences("```js\ncode\n"), "```js\ncode\n```");
  assertEquals(closeOpenFences("````\n```\nstill code"), "````\n```\nstill code\n````");
  assertEquals(closeOpenFences("~~~\n```\n~~~"), "~~~\n```\n~~~");
  assertEquals(closeOpenFences("~~~\ncode"), "~~~\ncode\n~~~");
  assertEquals(closeOpenFences("``` a`b\nnot a fence"), "``` a`b\nnot a fence");
  assertEquals(closeOpenFences("    ```\nindented code, not a fence"), "    ```\nindented code, not a fence");
});

Deno.test("an unclosed fence in one section cannot swallow the next heading", () => {
  const state = sampleState();
  state.draft!.sections[0].markdown = "Example:\n\n```js\nconsole.log(1)";
  const body = splitFrontMatter(renderArticle(state, EXTRA)).body;
  assertEquals(body.includes("```js\nconsole.log(1)\n```\n\n## Keepers\n"), true);
});

Deno.test("inline text is one literal line; link destinations keep the URL as written", () => {
  assertEquals(collapseWhitespace(" a\n\tb \u2028 c "), "a b c");
  assertEquals(
    escapeInline("[x](y) *z* #1 <b> & `c` | ~ !"),
    "\\[x\\]\\(y\\) \\*z\\* \\#1 \\<b\\> \\& \\`c\\` \\| \\~ \\!",
  );
  assertEquals(
    linkDestination("https://en.wikipedia.org/wiki/Foo_(bar)?q=1#frag"),
    "https://en.wikipedia.org/wiki/Foo_(bar)?q=1#frag",
  );
  assertEquals(linkDestination("HTTP://Example.com/a b"), "HTTP://Example.com/a%20b");
  assertEquals(linkDestination("javascript:alert(1)"), null);
  assertEquals(linkDestination("data:text/html,x"), null);
  assertEquals(linkDestination("//example.com"), null);
  assertEquals(linkDestination("https:///etc/passwd"), null);
});
