/**
 * Fixtures for the files-on-disk tests: a content state, ids, and folder walks.
 * @module
 */
import { type ContentState, emptyState } from "../../src/content/state.ts";

export const WF = "01JC8Q6Z1X2Y3Z4A5B6C7D8E9F";
export const WF2 = "01JC8Q6Z1X2Y3Z4A5B6C7D8E9G";

export const DENO = Deno.execPath();
export const ROOT = new URL("../../", import.meta.url).pathname;

export async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "pressroom-output-test-" });
}

/** Every entry under `dir`, recursively, as paths relative to `dir` (folders end with `/`). */
export async function listTree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const rel = `${prefix}${entry.name}`;
    if (entry.isDirectory) out.push(`${rel}/`, ...(await listTree(`${dir}/${entry.name}`, `${rel}/`)));
    else out.push(rel);
  }
  return out.sort();
}

/** Names in `dir` that look like leftover temporary files. */
export async function tempFilesIn(dir: string): Promise<string[]> {
  return (await listTree(dir)).filter((p) => /(^|\/)\.[^/]*\.tmp$/.test(p));
}

/** A state with a full draft: three written sections, citations, notes and metadata. */
export function sampleState(): ContentState {
  const state = emptyState({ topic: "Lighthouses of the Atlantic coast", notes: "keep it short" });
  state.brief = {
    title: "Lighthouses: how they work",
    audience: "curious readers",
    angle: "engineering history of lighthouses",
    key_points: "lenses\nkeepers",
    keywords: "lighthouse, fresnel lens",
    tone: "warm",
    target_words: "800",
    sources: "wikipedia",
  };
  state.draft = {
    title: "Lighthouses: how they work",
    nextId: 4,
    sections: [
      {
        id: "s1",
        heading: "The Fresnel lens",
        goal: "explain the lens",
        citations: [{
          url: "https://en.wikipedia.org/wiki/Fresnel_lens",
          title: "Fresnel lens",
          quote: "a lens",
          provenance: "web_search",
        }],
        notes: ["invented 1822"],
        markdown: "Augustin-Jean Fresnel made lighthouses **visible** from afar.",
      },
      {
        id: "s2",
        heading: "Keepers",
        goal: "the people who kept them",
        citations: [
          {
            url: "https://en.wikipedia.org/wiki/Lighthouse_keeper",
            title: "Lighthouse keeper",
            provenance: "unverified",
            droppedQuote: "keepers never slept",
          },
          { url: "https://en.wikipedia.org/wiki/Fresnel_lens", title: "Fresnel lens (again)" },
        ],
        notes: [],
        markdown: "Keepers trimmed wicks.\n\n- one\n- two",
      },
      {
        id: "s3",
        heading: "Automation",
        goal: "how automation ended it",
        citations: [],
        notes: ["line one\nline two"],
        markdown: "Today the lights run themselves.",
      },
    ],
  };
  state.metadata = {
    slug: "lighthouses-how-they-work",
    description: "How lighthouses work",
    tags: ["history", "engineering"],
  };
  state.decision = { kind: "promoted" };
  return state;
}

export const EXTRA = {
  workflowId: WF,
  models: { intake: "claude-opus-4-7", editor: "claude-sonnet-4-5" },
  costUsd: 0.123456789,
  publishedAt: "2026-11-24T10:00:00.000Z",
};

/** Parts an attacker (or a confused model) might try; every one must be refused. */
export const HOSTILE_PARTS = [
  "../../x",
  "/etc/passwd",
  "a/b",
  "..",
  ".",
  "",
  "\0",
  "a\0b",
  "a\\b",
  "..\\..\\x",
  "C:evil",
  ".hidden",
  "a..b",
  "\u2215etc\u2215passwd", // division slash
  "\u2044etc", // fraction slash
  "\uff0f", // fullwidth solidus
  "\uff0e\uff0e", // fullwidth full stops
  "\u2024\u2024", // one dot leaders
  "\u2025", // two dot leader
  "caf\u00e9",
  "\u0430dmin", // Cyrillic a
  "a b",
  "a\nb",
  "x".repeat(201),
];
