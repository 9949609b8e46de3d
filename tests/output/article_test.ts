import { assert, assertEquals, assertMatch, assertRejects, assertThrows } from "../assert.ts";
import { publishArticle, renderArticle, renderDraft } from "../../src/output/article.ts";
import { InvalidSlugError, OutputStateError } from "../../src/output/errors.ts";
import { parseFrontMatter, splitFrontMatter } from "../../src/output/front_matter.ts";
import {
  DENO,
  EXTRA,
  HOSTILE_PARTS,
  listTree,
  ROOT,
  sampleState,
  tempDir,
  tempFilesIn,
  WF,
} from "./fixtures.ts";

const SLUG = "lighthouses-how-they-work";

Deno.test("renderArticle: front matter, title, sections in order, sources once each", () => {
  const state = sampleState();
  const text = renderArticle(state, EXTRA);
  assertEquals(parseFrontMatter(text), {
    title: "Lighthouses: how they work",
    description: "How lighthouses work",
    tags: ["history", "engineering"],
    workflow_id: WF,
    models: EXTRA.models,
    cost_usd: EXTRA.costUsd,
    published_at: EXTRA.publishedAt,
    // Each source once, in reading order, with where its address came from: the front matter round-trips it.
    sources: [
      { title: "Fresnel lens", url: "https://en.wikipedia.org/wiki/Fresnel_lens", provenance: "web_search" },
      {
        title: "Lighthouse keeper",
        url: "https://en.wikipedia.org/wiki/Lighthouse_keeper",
        provenance: "unverified",
      },
    ],
  });
  const body = splitFrontMatter(text).body;
  assertEquals(
    body.split("\n").filter((line) => line.startsWith("#")),
    ["# Lighthouses: how they work", "## The Fresnel lens", "## Keepers", "## Automation", "## Sources"],
  );
  for (const section of state.draft!.sections) assert(body.includes(section.markdown), section.id);
  assert(body.includes("- [Fresnel lens](<https://en.wikipedia.org/wiki/Fresnel_lens>) — “a lens”"));
  assert(body.includes("- [Lighthouse keeper](<https://en.wikipedia.org/wiki/Lighthouse_keeper>)"));
  assertEquals(body.split("https://en.wikipedia.org/wiki/Fresnel_lens").length, 2, "a URL is listed once");
  assert(!body.includes("research") && !body.includes("invented 1822"), "research notes stay out");
  assert(text.endsWith("\n") && !text.endsWith("\n\n"));
});

Deno.test("draft.md marks an unverified address and a dropped quote; the published article does not", () => {
  const state = sampleState();
  const draft = renderDraft(state);
  assert(
    draft.includes(
      "- [Lighthouse keeper](<https://en.wikipedia.org/wiki/Lighthouse_keeper>) _(**unverified:** no web search " +
        "of the research stage returned this address)_ _(quote dropped, not in the cited text: “keepers never slept”)_",
    ),
    draft,
  );
  assert(draft.includes("- [Fresnel lens](<https://en.wikipedia.org/wiki/Fresnel_lens>) — “a lens”\n"));
  assert(!renderArticle(state, EXTRA).includes("unverified:"));
});

Deno.test("renderArticle needs a draft and metadata", () => {
  const noDraft = sampleState();
  noDraft.draft = null;
  assertThrows(() => renderArticle(noDraft, EXTRA), OutputStateError, "no draft");
  const noMeta = sampleState();
  noMeta.metadata = null;
  assertThrows(() => renderArticle(noMeta, EXTRA), OutputStateError, "set_metadata");
});

/** The link lines of a Sources list: `- [text](<dest>)` with an escaped text and a clean destination. */
const LINK_LINE = /^- \[((?:[^\\\]\[]|\\.)*)\]\(<([^<>\s\\]*)>\)(?: — “[^\n]*”)?$/;

Deno.test("citation titles and URLs cannot break the Markdown link", () => {
  const state = sampleState();
  state.draft!.sections[0].citations = [
    { url: "https://example.com/a", title: "evil](javascript:alert(1)) [x" },
    { url: "https://example.com/b", title: "multi\nline\n## Injected heading" },
    { url: "https://en.wikipedia.org/wiki/Foo_(bar)", title: "parens (ok)" },
    { url: "https://example.com/c d>e<f\\g\nh", title: "<script>alert(1)</script> &amp; `code` *bold*" },
    { url: "https://example.com/q", title: "quote", quote: "” ) ] evil\n# heading" },
  ];
  state.draft!.sections[1].citations = [];
  const body = splitFrontMatter(renderArticle(state, EXTRA)).body;
  const sources = body.slice(body.indexOf("## Sources\n") + "## Sources\n".length).trim().split("\n");
  assertEquals(sources.length, 5);
  const dests = sources.map((line) => {
    const m = LINK_LINE.exec(line);
    assert(m, `not one clean link: ${line}`);
    return m[2];
  });
  assertEquals(dests, [
    "https://example.com/a",
    "https://example.com/b",
    "https://en.wikipedia.org/wiki/Foo_(bar)",
    "https://example.com/c%20d%3Ee%3Cf%5Cg%0Ah",
    "https://example.com/q",
  ]);
  assertEquals(sources[0], "- [evil\\]\\(javascript:alert\\(1\\)\\) \\[x](<https://example.com/a>)");
  assert(sources[3].startsWith("- [\\<script\\>alert\\(1\\)\\</script\\> \\&amp; \\`code\\` \\*bold\\*]("));
  assert(!body.includes("<script>"));
  assertEquals(body.split("\n").filter((line) => line.startsWith("#")).length, 5, "no injected heading");
});

Deno.test("a citation that is not http(s) is never a link", () => {
  const state = sampleState();
  state.draft!.sections[0].citations = [{ url: "javascript:alert(1)", title: "click" }];
  state.draft!.sections[1].citations = [];
  const body = splitFrontMatter(renderArticle(state, EXTRA)).body;
  assert(body.includes("- click (javascript:alert\\(1\\))"));
  assert(!body.includes("]("));
});

Deno.test("hostile headings and titles stay on their own line", () => {
  const state = sampleState();
  state.draft!.title = "Title\n---\nslug: evil";
  state.draft!.sections[0].heading = "Heading\n# Not a title #";
  const text = renderArticle(state, EXTRA);
  assertEquals(parseFrontMatter(text).title, "Title\n---\nslug: evil");
  const body = splitFrontMatter(text).body;
  assert(body.includes("# Title --- slug: evil\n"));
  assert(body.includes("## Heading \\# Not a title \\#\n"));
  assertEquals(body.split("\n").filter((line) => line.startsWith("#")).length, 5);
});

Deno.test("renderDraft shows open revisions, research notes, unwritten sections", () => {
  const state = sampleState();
  state.draft!.sections[1].revision = "Add a date.\nAnd a name.";
  state.draft!.sections[2].markdown = "";
  state.decision = { kind: "revisions" };
  state.revisionRounds = 1;
  const md = renderDraft(state);
  assert(md.startsWith("# Lighthouses: how they work\n"));
  assert(md.includes("## s2 · Keepers"));
  assert(md.includes("> **Open revision:** Add a date.\n> And a name."));
  assert(md.includes("**Research notes**\n\n- invented 1822"));
  assert(md.includes("- line one\n  line two"));
  assert(md.includes("## s3 · Automation\n\n_Goal:_ how automation ended it\n\n_(not written yet)_"));
  assert(md.includes("Revision rounds: 1 · Editor decision: revisions"));
  const empty = sampleState();
  empty.draft = null;
  assertEquals(renderDraft(empty), "# Lighthouses: how they work\n\n_No draft yet._\n");
});

Deno.test("publishArticle writes published/<slug>.md, then -2, -3 … and never overwrites", async () => {
  const dir = await tempDir();
  const first = await publishArticle(dir, SLUG, "first\n");
  assertEquals(first, `${dir}/published/${SLUG}.md`);
  // a different article already holds the -2 name
  await Deno.writeTextFile(`${dir}/published/${SLUG}-2.md`, "someone else\n");
  const second = await publishArticle(dir, SLUG, "second\n");
  const third = await publishArticle(dir, SLUG, "third\n");
  assertEquals(second, `${dir}/published/${SLUG}-3.md`);
  assertEquals(third, `${dir}/published/${SLUG}-4.md`);
  assertEquals(await Deno.readTextFile(first), "first\n");
  assertEquals(await Deno.readTextFile(`${dir}/published/${SLUG}-2.md`), "someone else\n");
  assertEquals(await Deno.readTextFile(second), "second\n");
  assertEquals(await Deno.readTextFile(third), "third\n");
});

Deno.test("20 concurrent publishes of one slug give 20 distinct, intact files", async () => {
  const dir = await tempDir();
  const contents = Array.from({ length: 20 }, (_, i) => `article ${i}\n`.repeat(1000 + i));
  const paths = await Promise.all(contents.map((c) => publishArticle(dir, SLUG, c)));
  assertEquals(new Set(paths).size, 20);
  for (let i = 0; i < 20; i++) assertEquals(await Deno.readTextFile(paths[i]), contents[i]);
  const expected = [`published/`, `published/${SLUG}.md`];
  for (let n = 2; n <= 20; n++) expected.push(`published/${SLUG}-${n}.md`);
  assertEquals(await listTree(dir), expected.sort());
  assertEquals(await tempFilesIn(dir), []);
});

Deno.test("publishes racing from separate processes never overwrite each other", async () => {
  const dir = await tempDir();
  const driver = new URL("./publish_driver.ts", import.meta.url).pathname;
  const procs = ["p0", "p1", "p2", "p3"].map((tag) =>
    new Deno.Command(DENO, {
      args: ["run", "-q", "-P=pressroom", driver, dir, SLUG, "5", tag],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output()
  );
  const outputs = await Promise.all(procs);
  const paths: string[] = [];
  for (const out of outputs) {
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    paths.push(...JSON.parse(new TextDecoder().decode(out.stdout)));
  }
  assertEquals(new Set(paths).size, 20);
  const texts = new Set(await Promise.all(paths.map((p) => Deno.readTextFile(p))));
  assertEquals(texts.size, 20, "every article survived with its own content");
  assertEquals((await listTree(`${dir}/published`)).length, 20);
});

Deno.test("a 1 MB section is published intact", async () => {
  const dir = await tempDir();
  const state = sampleState();
  const line = "Lorem ipsum dolor sit amet, — café ✓ 😀 **bold** [x](y)\n";
  const big = line.repeat(Math.ceil((1024 * 1024) / line.length));
  state.draft!.sections[1].markdown = big;
  const content = renderArticle(state, EXTRA);
  const path = await publishArticle(dir, SLUG, content);
  const back = await Deno.readTextFile(path);
  assertEquals(back, content);
  assert(back.includes(big.trim()));
});

Deno.test("hostile slugs are refused and nothing is written anywhere", async () => {
  const sandbox = await tempDir();
  const dataDir = `${sandbox}/data`;
  await Deno.mkdir(dataDir);
  for (const slug of [...HOSTILE_PARTS, "../published/x", "x/../../y", "Lighthouses"]) {
    await assertRejects(() => publishArticle(dataDir, slug, "evil"), InvalidSlugError);
  }
  assertEquals(await listTree(sandbox), ["data/"]);
});

Deno.test("the published file's front matter reads back, even with hostile metadata", async () => {
  const dir = await tempDir();
  const state = sampleState();
  state.metadata = { slug: SLUG, description: "---\nslug: evil", tags: ["a: b", "# c", "x\n---"] };
  const path = await publishArticle(dir, SLUG, renderArticle(state, EXTRA));
  const fm = parseFrontMatter(await Deno.readTextFile(path));
  assertEquals(fm.description, "---\nslug: evil");
  assertEquals(fm.tags, ["a: b", "# c", "x\n---"]);
  assertMatch(path, /\/published\/lighthouses-how-they-work\.md$/);
});
