/**
 * The transcript's compact form, pure. Every request repeats the tools list and the stable system blocks
 * (some 11 KB a call), so a transcript line keeps each of them as `{"$ref": "<hash>"}`, and each distinct
 * piece is stored once per workflow in `transcript.parts.jsonl` as `{"ref": "<hash>", "part": <piece>}`,
 * written before the first line that refers to it. `rebuildRequest` puts the pieces back: the request
 * exactly as it was sent.
 * @module
 */
import { createHash } from "node:crypto";
import { TranscriptPartError } from "./errors.ts";

/** A piece stored once per workflow, in place of the piece in a transcript line. */
export interface PartRef {
  $ref: string;
}

/** A piece as JSON text, and the reference a line uses for it. */
export interface Piece {
  ref: string;
  text: string;
}

/** Hex digits of the SHA-256 kept in a reference: 64 bits, ample for the dozen pieces of one workflow. */
export const REF_LENGTH = 16;

/** The reference of a piece: the start of the SHA-256 of its JSON text as stored. */
export function partRef(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, REF_LENGTH);
}

/**
 * The entry with its request's tools list and each system block replaced by a reference, and those
 * pieces as JSON text (`pieceText` makes it, redacted as the file needs) with their references. An
 * entry without a request (or a request without them) comes back as it is, with no pieces.
 */
export function compactEntry(entry: object, pieceText: (piece: unknown) => string): {
  entry: object;
  pieces: Piece[];
} {
  const request = (entry as { request?: unknown }).request;
  if (!isObject(request)) return { entry, pieces: [] };
  const pieces: Piece[] = [];
  const refer = (piece: unknown): PartRef => {
    const text = pieceText(piece);
    const ref = partRef(text);
    pieces.push({ ref, text });
    return { $ref: ref };
  };
  const compact: Record<string, unknown> = { ...request };
  if (Array.isArray(request.tools)) compact.tools = refer(request.tools);
  if (Array.isArray(request.system)) compact.system = request.system.map(refer);
  return { entry: { ...entry, request: compact }, pieces };
}

/** The line of `transcript.parts.jsonl` that stores a piece (its text is JSON already). */
export function partLine(piece: Piece): string {
  return `{"ref":${JSON.stringify(piece.ref)},"part":${piece.text}}`;
}

/**
 * The pieces in the text of a `transcript.parts.jsonl`, by reference. A line that is not a stored piece
 * (a line torn by a crash) is skipped: a request that needs it cannot be rebuilt, and says so.
 */
export function parseParts(text: string): Map<string, unknown> {
  const parts = new Map<string, unknown>();
  for (const line of text.split("\n")) {
    const stored = parseLine(line);
    if (isObject(stored) && typeof stored.ref === "string" && "part" in stored) {
      parts.set(stored.ref, stored.part);
    }
  }
  return parts;
}

/**
 * The request of a transcript line as it was sent: each `{"$ref"}` in its tools and system replaced by
 * the stored piece. Throws `TranscriptPartError` for a reference with no piece in `parts`.
 */
export function rebuildRequest(line: { request?: unknown }, parts: ReadonlyMap<string, unknown>): unknown {
  const { request } = line;
  if (!isObject(request)) return request;
  const rebuilt: Record<string, unknown> = { ...request };
  const resolve = (value: unknown): unknown => {
    if (!isRef(value)) return value;
    if (!parts.has(value.$ref)) throw new TranscriptPartError(value.$ref);
    return parts.get(value.$ref);
  };
  if ("tools" in request) rebuilt.tools = resolve(request.tools);
  if (Array.isArray(request.system)) rebuilt.system = request.system.map(resolve);
  return rebuilt;
}

function isRef(value: unknown): value is PartRef {
  return isObject(value) && typeof value.$ref === "string" && Object.keys(value).length === 1;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
