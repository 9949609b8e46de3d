import { assert, assertEquals, assertThrows } from "../assert.ts";
import { InvalidSlugError, InvalidWorkflowIdError, UnsafePathError } from "../../src/output/errors.ts";
import { assertSlug, dataPaths, isSlug, isWorkflowId, safeJoin, slugify } from "../../src/output/paths.ts";
import { ulid } from "../../src/ids.ts";
import { HOSTILE_PARTS, WF } from "./fixtures.ts";

Deno.test("safeJoin refuses hostile parts with UnsafePathError", () => {
  for (const part of HOSTILE_PARTS) {
    assertThrows(() => safeJoin("/data", part), UnsafePathError);
    assertThrows(() => safeJoin("/data", "published", part), UnsafePathError);
  }
});

Deno.test("safeJoin names the offending part in its message", () => {
  const error = assertThrows(() => safeJoin("/data", "ok", "a\0b"), UnsafePathError, "NUL");
  assert(error.message.includes(JSON.stringify("a\0b")));
  assertThrows(() => safeJoin("/data", "../../x"), UnsafePathError, "..");
  assertThrows(() => safeJoin("/data", "/etc/passwd"), UnsafePathError, "absolute");
  assertThrows(() => safeJoin("/data", "a/b"), UnsafePathError, "separator");
});

Deno.test("safeJoin joins plain parts inside the root and returns absolute paths", () => {
  assertEquals(safeJoin("/data", "published", "a-b.md"), "/data/published/a-b.md");
  assertEquals(safeJoin("/data/", "x_y.1"), "/data/x_y.1");
  assertEquals(safeJoin("/data"), "/data");
  assert(safeJoin("relative/dir", "a").startsWith("/"));
});

Deno.test("workflow ids must be ULIDs before they become folder names", () => {
  assert(isWorkflowId(WF));
  for (let i = 0; i < 50; i++) assert(isWorkflowId(ulid()));
  const bad = [
    "wf-1",
    WF.toLowerCase(),
    WF + "A",
    WF.slice(1),
    "81ARZ3NDEKTSV4RRFFQ69G5FAV", // first character above 7 overflows 48 bits
    "01ARZ3NDEKTSV4RRFFQ69G5FAI", // I is not Crockford
    "01ARZ3NDEKTSV4RRFFQ69G5FA/",
    "../01ARZ3NDEKTSV4RRFFQ69G5F",
    "01ARZ3NDEKTSV4RRFFQ69G5FA\0",
    "",
  ];
  const paths = dataPaths("/data");
  for (const id of bad) {
    assert(!isWorkflowId(id), id);
    assertThrows(() => paths.workflow(id), InvalidWorkflowIdError);
    assertThrows(() => paths.reviewFile(id), InvalidWorkflowIdError);
  }
});

Deno.test("slugs are lowercase words joined by hyphens, at most 80 characters", () => {
  for (const good of ["a", "a-b-1", "2026-recap", "x".repeat(80)]) assert(isSlug(good), good);
  const bad = [
    ...HOSTILE_PARTS,
    "Ab",
    "a--b",
    "-a",
    "a-",
    "a_b",
    "a.md",
    "\uff41", // fullwidth a
    "x".repeat(81),
    "a\u200bb", // zero-width space
  ];
  for (const slug of bad) {
    assert(!isSlug(slug), JSON.stringify(slug));
    assertThrows(() => assertSlug(slug), InvalidSlugError);
    assertThrows(() => dataPaths("/data").publishedFile(slug), InvalidSlugError);
  }
});

Deno.test("slugify makes a valid slug of any title, or the empty string", () => {
  assertEquals(slugify("Résumé tips: 10 ways!"), "resume-tips-10-ways");
  assertEquals(slugify("  --Hello,   World--  "), "hello-world");
  assertEquals(slugify("日本語"), "");
  const long = slugify("word ".repeat(40));
  assertEquals(long, Array(16).fill("word").join("-"));
  assert(isSlug(long));
  assertEquals(slugify("abcdefghij klm", 12), "abcdefghij");
});

Deno.test("dataPaths lays out the data folder", () => {
  const p = dataPaths("/srv/pressroom");
  assertEquals(p.root, "/srv/pressroom");
  assertEquals(p.db, "/srv/pressroom/pressroom.db");
  assertEquals(p.published, "/srv/pressroom/published");
  assertEquals(p.review, "/srv/pressroom/review");
  assertEquals(p.inbox, "/srv/pressroom/inbox");
  assertEquals(p.workflows, "/srv/pressroom/workflows");
  assertEquals(p.locks, "/srv/pressroom/locks");
  assertEquals(p.runLock, "/srv/pressroom/locks/run.lock");
  assertEquals(p.workflow(WF), {
    dir: `/srv/pressroom/workflows/${WF}`,
    request: `/srv/pressroom/workflows/${WF}/request.json`,
    brief: `/srv/pressroom/workflows/${WF}/brief.json`,
    draft: `/srv/pressroom/workflows/${WF}/draft.md`,
    draftBeforeRetry: `/srv/pressroom/workflows/${WF}/draft.before-retry.md`,
    transcript: `/srv/pressroom/workflows/${WF}/transcript.jsonl`,
    transcriptParts: `/srv/pressroom/workflows/${WF}/transcript.parts.jsonl`,
  });
  assertEquals(p.publishedFile("a-b"), "/srv/pressroom/published/a-b.md");
  assertEquals(p.publishedFile("a-b", 3), "/srv/pressroom/published/a-b-3.md");
  assertEquals(p.reviewFile(WF), `/srv/pressroom/review/${WF}.md`);
});
