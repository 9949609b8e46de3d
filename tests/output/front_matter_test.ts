import { assert, assertEquals, assertMatch, assertThrows } from "../assert.ts";
import { FrontMatterError } from "../../src/output/errors.ts";
import {
  type FrontMatter,
  parseFrontMatter,
  serializeFrontMatter,
  splitFrontMatter,
} from "../../src/output/front_matter.ts";
import { WF } from "./fixtures.ts";

function fm(overrides: Partial<FrontMatter> = {}): FrontMatter {
  return {
    title: "Lighthouses",
    description: "How they work",
    tags: ["history"],
    workflow_id: WF,
    models: { intake: "claude-opus-4-7", editor: "claude-sonnet-4-5" },
    cost_usd: 0.123456789,
    published_at: "2026-11-24T10:00:00.000Z",
    ...overrides,
  };
}

const NASTY = [
  "",
  " ",
  " leading and trailing ",
  'double "quotes" and \\backslashes\\',
  "single 'quotes'",
  "colon: space",
  "key: value\nother: value",
  "a\n---\nslug: evil",
  "---",
  "--- leading fence",
  "...",
  "# not a comment",
  "a # comment?",
  "true",
  "null",
  "~",
  "yes",
  "1e3",
  "0x10",
  "1.0",
  ".inf",
  "[a, b]",
  "{a: b}",
  "&anchor x",
  "*alias",
  "!tag x",
  "%YAML 1.2",
  "@at",
  "`tick`",
  "| block",
  "> folded",
  "? key",
  "- item",
  "tab\there",
  "windows\r\nline",
  "nul \0 byte and bell \x07 and esc \x1b and del \x7f",
  "next line \u0085 line sep \u2028 para sep \u2029",
  "bom \ufeff inside",
  "unicode: café, 日本語, עברית, emoji 😀👩‍👩‍👧",
  "lone surrogate \ud800 here",
  "x".repeat(100_000),
  "long words ".repeat(5_000),
  "\n\n\nleading newlines",
  "trailing newlines\n\n\n",
];

Deno.test("front matter round-trips every hostile string in every string field", () => {
  for (const s of NASTY) {
    const x = fm({
      title: s,
      description: s,
      tags: [s, "plain", s],
      published_at: s,
      models: { intake: s, [s || "empty"]: "m" },
      sources: [{ title: s, url: `https://example.org/${s}`, provenance: "web_search" }, {
        title: "Field notes",
        url: "source:field-notes.md",
        provenance: "source",
      }],
    });
    const text = serializeFrontMatter(x);
    assertEquals(parseFrontMatter(text), x, JSON.stringify(s.slice(0, 60)));
    // one field or item per line, every string double-quoted
    for (const line of text.split("\n").slice(1, -2)) {
      assertMatch(line, /^( {2}| {4})?(- "|"|\? "|: "|(- )?[A-Za-z0-9_-]+:($| "| [0-9]))/);
    }
  }
});

Deno.test("front matter round-trips random strings (seeded)", () => {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pool = [
    "-",
    ":",
    " ",
    "\n",
    "#",
    '"',
    "'",
    "\\",
    "\t",
    "\r",
    "---",
    "a",
    "é",
    "😀",
    "{",
    "[",
    "&",
    "*",
    "|",
    ">",
  ];
  for (let i = 0; i < 300; i++) {
    const len = Math.floor(rand() * 30);
    const s = Array.from({ length: len }, () => pool[Math.floor(rand() * pool.length)]).join("");
    const x = fm({ title: s, description: s.split("").reverse().join(""), tags: [s] });
    assertEquals(parseFrontMatter(serializeFrontMatter(x)), x, JSON.stringify(s));
  }
});

Deno.test("injection: no value can end the front matter or add a field", () => {
  const x = fm({
    title: "a\n---\nslug: evil",
    description: "---\ntitle: hacked\n---",
    tags: ["a: b", "x\n---\nevil: 1", "c: d\ne: f"],
  });
  const text = serializeFrontMatter(x);
  // exactly two fence lines: the opening and the closing one
  assertEquals(text.split("\n").filter((line) => /^(---|\.\.\.)\s*$/.test(line)).length, 2);
  assert(text.startsWith("---\n") && text.endsWith("\n---\n"));
  const parsed = parseFrontMatter(text);
  assertEquals(parsed, x);
  assertEquals(Object.keys(parsed).sort(), Object.keys(x).sort());
  assert(!("slug" in parsed) && !("evil" in parsed));
});

Deno.test("characters other YAML readers take for line breaks, BOMs or bidi controls are escaped", () => {
  const odd = "nel \u0085 ls \u2028 ps \u2029 bom \ufeff rlo \u202e c1 \u009b";
  const x = fm({ title: odd, tags: [odd], models: { [odd]: odd } });
  const text = serializeFrontMatter(x);
  assert(!/[\u0085\u2028\u2029\ufeff\u202e\u009b]/.test(text), text);
  assert(text.includes("\\u2028"));
  assertEquals(parseFrontMatter(text), x);
});

Deno.test("a body after the front matter cannot change it", () => {
  const x = fm();
  const body = "---\nslug: evil\ntitle: hacked\n---\n\n# Body\n";
  const document = serializeFrontMatter(x) + "\n" + body;
  assertEquals(parseFrontMatter(document), x);
  assertEquals(splitFrontMatter(document).body, "\n" + body);
});

Deno.test("numbers keep their value; cost must be finite and >= 0", () => {
  for (const cost of [0, 1e-9, 0.1 + 0.2, 123456.789, 1e21]) {
    assertEquals(parseFrontMatter(serializeFrontMatter(fm({ cost_usd: cost }))).cost_usd, cost);
  }
  for (const cost of [NaN, Infinity, -1]) {
    assertThrows(() => serializeFrontMatter(fm({ cost_usd: cost })), FrontMatterError, "cost_usd");
  }
});

Deno.test("serialize refuses fields of the wrong type", () => {
  const bad = [
    { title: 1 },
    { tags: "a" },
    { tags: [1] },
    { models: { intake: 2 } },
    { models: ["x"] },
    { workflow_id: null },
    { sources: [{ title: "t", url: "u" }] },
    { sources: "https://example.org" },
  ] as unknown as Partial<FrontMatter>[];
  for (const b of bad) assertThrows(() => serializeFrontMatter(fm(b)), FrontMatterError);
});

Deno.test("parse refuses broken documents with FrontMatterError", () => {
  const good = serializeFrontMatter(fm());
  const broken = [
    "no front matter",
    "# title\n---\ntitle: x\n---\n",
    good.slice(0, -4), // not closed
    good.replace('title: "Lighthouses"', 'title: "Lighthouses"\ntitle: "again"'), // duplicate key
    good.replace('description: "How they work"', 'description: &a "x"\nextra: *a'), // alias
    good.replace("cost_usd: 0.123456789", 'cost_usd: "0.12"'),
    good.replace('title: "Lighthouses"', "title: [1, 2]"),
    "---\n- a list\n---\n",
    "---\n: : :\n---\n",
  ];
  for (const doc of broken) {
    assert(doc !== good);
    assertThrows(() => parseFrontMatter(doc), FrontMatterError);
  }
});

Deno.test("parse accepts CRLF line ends and a BOM", () => {
  const x = fm();
  const crlf = "\ufeff" + serializeFrontMatter(x).replaceAll("\n", "\r\n") + "\r\nbody\r\n";
  assertEquals(parseFrontMatter(crlf), x);
});
