/**
 * The data folder's layout, and the only way to build a path inside it.
 * Every name that reaches the file system is either fixed here, a ULID
 * workflow id, or a validated slug; `safeJoin` refuses anything else.
 * @module
 */
import { isAbsolute, resolve, sep } from "node:path";
import { InvalidSlugError, InvalidWorkflowIdError, UnsafePathError } from "./errors.ts";

/** A ULID as `ulid()` makes it: 26 Crockford base-32 characters, upper case, first one 0–7. */
export const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/** Lowercase words of letters and digits joined by single hyphens. */
export const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const SLUG_MAX_LENGTH = 80;

/** A path part may hold only these characters, and may not start with a dot. */
const SAFE_PART = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const MAX_PART_LENGTH = 200;

export function isWorkflowId(id: string): boolean {
  return typeof id === "string" && ULID_PATTERN.test(id);
}

/** Throws `InvalidWorkflowIdError` unless `id` is a ULID; returns it. */
export function assertWorkflowId(id: string): string {
  if (!isWorkflowId(id)) throw new InvalidWorkflowIdError(String(id));
  return id;
}

export function isSlug(slug: string): boolean {
  return typeof slug === "string" && slug.length <= SLUG_MAX_LENGTH && SLUG_PATTERN.test(slug);
}

/**
 * Text as a slug: accents dropped, lowercase words of letters and digits joined by hyphens, cut at a word
 * boundary to at most `max` characters; "" when nothing is left.
 */
export function slugify(text: string, max = SLUG_MAX_LENGTH): string {
  let slug = text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  if (slug.length > max) {
    slug = slug.slice(0, max);
    const hyphen = slug.lastIndexOf("-");
    slug = (hyphen > 0 ? slug.slice(0, hyphen) : slug).replace(/-+$/, "");
  }
  return slug;
}

/** Throws `InvalidSlugError` unless `slug` is a valid slug; returns it. */
export function assertSlug(slug: string): string {
  if (!isSlug(slug)) throw new InvalidSlugError(String(slug));
  return slug;
}

function checkPart(part: string): void {
  if (typeof part !== "string" || part.length === 0) throw new UnsafePathError(String(part), "empty");
  if (part.includes("\0")) throw new UnsafePathError(part, "contains a NUL character");
  if (isAbsolute(part) || /^[A-Za-z]:/.test(part)) throw new UnsafePathError(part, "is absolute");
  if (part.includes("..")) throw new UnsafePathError(part, "contains ..");
  if (/[/\\]/.test(part)) throw new UnsafePathError(part, "contains a path separator");
  if (part.length > MAX_PART_LENGTH) throw new UnsafePathError(part, "is too long");
  if (!SAFE_PART.test(part)) {
    throw new UnsafePathError(
      part,
      "only ASCII letters, digits, '.', '_' and '-' are allowed, not first '.'",
    );
  }
}

/**
 * Join single path parts (file or folder names, no separators) under `root`.
 * Refuses, with `UnsafePathError`, any part that is empty, absolute, contains
 * `..`, NUL, `/` or `\`, starts with a dot, or holds anything but ASCII letters,
 * digits, `.`, `_`, `-` (which also refuses Unicode lookalikes of `/` and `.`),
 * and any result that resolves outside `root`. Returns an absolute path.
 */
export function safeJoin(root: string, ...parts: string[]): string {
  const base = resolve(root);
  for (const part of parts) checkPart(part);
  const joined = resolve(base, ...parts);
  const prefix = base.endsWith(sep) ? base : base + sep;
  if (joined !== base && !joined.startsWith(prefix)) {
    throw new UnsafePathError(parts.join(sep), `resolves outside ${base}`);
  }
  return joined;
}

/** The files of one workflow: `workflows/<id>/…`. */
export interface WorkflowPaths {
  dir: string;
  request: string;
  brief: string;
  draft: string;
  /** draft.md as it stood before the last retry that cleared part of it. */
  draftBeforeRetry: string;
  transcript: string;
  /** The tools lists and stable blocks the transcript's lines refer to, each stored once. */
  transcriptParts: string;
}

/** The data folder's layout. All paths are absolute. */
export interface DataPaths {
  root: string;
  db: string;
  workflows: string;
  published: string;
  review: string;
  inbox: string;
  /** `locks/`: each process's owner lock, and `run.lock`. */
  locks: string;
  /** `locks/run.lock`: held by the one `run` working on the folder. */
  runLock: string;
  /** `workflows/<id>/…`; the id must be a ULID. */
  workflow(id: string): WorkflowPaths;
  /** `published/<slug>.md` (or `<slug>-<n>.md` with `n` ≥ 2); the slug is validated. */
  publishedFile(slug: string, n?: number): string;
  /** `review/<id>.md`; the id must be a ULID. */
  reviewFile(id: string): string;
}

export function dataPaths(dataDir: string): DataPaths {
  const root = resolve(dataDir);
  return {
    root,
    db: safeJoin(root, "pressroom.db"),
    workflows: safeJoin(root, "workflows"),
    published: safeJoin(root, "published"),
    review: safeJoin(root, "review"),
    inbox: safeJoin(root, "inbox"),
    locks: safeJoin(root, "locks"),
    runLock: safeJoin(root, "locks", "run.lock"),
    workflow(id) {
      const dir = safeJoin(root, "workflows", assertWorkflowId(id));
      return {
        dir,
        request: safeJoin(dir, "request.json"),
        brief: safeJoin(dir, "brief.json"),
        draft: safeJoin(dir, "draft.md"),
        draftBeforeRetry: safeJoin(dir, "draft.before-retry.md"),
        transcript: safeJoin(dir, "transcript.jsonl"),
        transcriptParts: safeJoin(dir, "transcript.parts.jsonl"),
      };
    },
    publishedFile(slug, n = 1) {
      assertSlug(slug);
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`publishedFile: bad suffix ${n}`);
      return safeJoin(root, "published", n === 1 ? `${slug}.md` : `${slug}-${n}.md`);
    },
    reviewFile(id) {
      return safeJoin(root, "review", `${assertWorkflowId(id)}.md`);
    },
  };
}
