/**
 * The simulated model's words: plausible prose from a topic's words, slugs,
 * URLs found in text, and the small string cleanups that keep generated
 * arguments inside the tools' rules. Pure; randomness comes from the Rng given.
 * @module
 */
import type { Rng } from "./rng.ts";

const STOPWORDS = new Set(
  ("a an and are as at be but by for from has have how in into is it its of on or our that the their this " +
    "to was were what when where which who why will with without your you about over under more most than " +
    "then them they we can do does not all any explain give show")
    .split(" "),
);

/** Replaces characters the tools refuse (controls other than tab and newline) and trims. */
export function clean(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, " ").trim();
}

/** Cuts `text` to at most `max` characters, at a word boundary when there is one. */
export function clip(text: string, max: number): string {
  const t = clean(text);
  if (t.length <= max) return t;
  const cut = t.slice(0, max);
  const space = cut.lastIndexOf(" ");
  return (space > max / 2 ? cut.slice(0, space) : cut).trim();
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function titleCase(text: string): string {
  return clean(text).split(/\s+/).map((w, i) => (i > 0 && STOPWORDS.has(w.toLowerCase()) ? w : capitalize(w)))
    .join(" ");
}

/** The distinct meaningful words of a text, lowercased, in order. */
export function contentWords(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? [];
  return [...new Set(words.filter((w) => w.length >= 3 && !STOPWORDS.has(w)))];
}

/** http(s) URLs in a text, without trailing punctuation. */
export function findUrls(text: string): string[] {
  const found = text.match(/https?:\/\/[^\s<>"'()[\]{}]+/g) ?? [];
  return [...new Set(found.map((u) => u.replace(/[.,;:!?]+$/, "")))];
}

export function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

const SENTENCES = [
  "{T} matters because it changes how people think about {k}.",
  "The practical question is how {k} fits into everyday work on {t}.",
  "Most readers meet {k} long before they can name it, which is why {t} deserves a plain explanation.",
  "A useful way to approach {t} is to start from what {k} makes easier and what it makes harder.",
  "Teams that take {k} seriously tend to measure it, write it down, and revisit it every few weeks.",
  "The common mistake is to treat {t} as a one-off project rather than a habit built around {k}.",
  "Evidence from practitioners points the same way: small, steady changes to {k} beat big rewrites.",
  "It helps to separate what {t} promises from what it reliably delivers today.",
  "When {k} goes wrong, the cause is usually a missing step rather than a missing tool.",
  "For a newcomer, the first win with {t} is often simply noticing where {k} already shows up.",
  "The trade-offs around {k} are real, and naming them early saves time later.",
  "Put simply, {t} rewards patience, clear goals, and an honest look at {k}.",
];

const PLAN_SENTENCES = [
  "I will open with the reader's situation and tie it to {k}.",
  "Next I want one concrete example about {t} so the point does not stay abstract.",
  "The section should answer the goal directly before adding nuance about {k}.",
  "I should keep the tone consistent with the brief and avoid repeating earlier sections.",
  "A short transition at the end will lead into what comes after {t}.",
  "I will check that every claim about {k} is backed by the research notes or citations.",
];

const NOTE_SENTENCES = [
  "I have checked {t} against the brief.",
  "What I read about {k} is consistent with the request.",
  "The next step follows from the state I just read.",
  "Nothing about {t} needs to change before this call.",
];

const REVIEW_SENTENCES = [
  "The section on {t} answers its goal, though the point about {k} could be sharper.",
  "I checked the claims about {k} against the research, and they hold.",
  "The transition into {t} is abrupt; the reader needs one more sentence about {k}.",
  "The tone stays close to the brief throughout the part on {t}.",
  "One example about {k} would make {t} land with a newcomer.",
  "Nothing in {t} repeats earlier sections, which keeps the piece moving.",
];

const POOLS = { article: SENTENCES, plan: PLAN_SENTENCES, note: NOTE_SENTENCES, review: REVIEW_SENTENCES };

/** Sentences about `topics` (heading words, keywords) until about `words` words are written. */
export function prose(
  rng: Rng,
  words: number,
  topics: string[],
  kind: keyof typeof POOLS = "article",
): string[] {
  const pool = POOLS[kind];
  const subjects = topics.length ? topics : ["the subject"];
  const out: string[] = [];
  let count = 0;
  while (count < words) {
    const t = rng.pick(subjects);
    const sentence = rng.pick(pool).replaceAll("{T}", capitalize(t)).replaceAll("{t}", t)
      .replaceAll("{k}", rng.pick(subjects));
    out.push(sentence);
    count += countWords(sentence);
  }
  return out;
}

/** Groups sentences into Markdown paragraphs of three to six sentences. */
export function paragraphs(rng: Rng, sentences: string[]): string {
  const out: string[] = [];
  for (let i = 0; i < sentences.length;) {
    const n = rng.int(3, 6);
    out.push(sentences.slice(i, i + n).join(" "));
    i += n;
  }
  return out.join("\n\n");
}
