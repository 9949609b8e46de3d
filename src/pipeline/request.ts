/**
 * Building a workflow request from what a person gives: a topic, a notes file,
 * source files (from `submit`), or a request file dropped into the inbox.
 * Every problem is a UserInputError naming the file or argument.
 * @module
 */
import { basename } from "node:path";
import { z } from "zod";
import { UsageError, UserInputError } from "../errors.ts";
import type { WorkflowRequest } from "../content/state.ts";
import { hasControlChars } from "./text.ts";

/** Larger files are refused: they would only be truncated by the model's context. */
export const MAX_FILE_BYTES = 200_000;
export const MAX_TOPIC_CHARS = 300;

export function checkTopic(topic: string, where: string): string {
  const clean = topic.trim();
  if (!clean) throw new UsageError(`${where}: the topic is empty`);
  if (clean.length > MAX_TOPIC_CHARS) {
    throw new UsageError(`${where}: the topic is longer than ${MAX_TOPIC_CHARS} characters`);
  }
  if (hasControlChars(clean)) {
    throw new UsageError(`${where}: the topic has control characters`);
  }
  // A topic is a headline: a line break in it would split the status table and every log line.
  if (/[\r\n\u2028\u2029]/.test(clean)) throw new UsageError(`${where}: the topic is more than one line`);
  checkUnicode(clean, where);
  return clean;
}

/** JSON can carry a lone UTF-16 surrogate (`"\ud800"`), which is no character at all: refuse it as bad text. */
function checkUnicode(text: string, where: string): string {
  if (!text.isWellFormed()) throw new UserInputError(`${where}: not valid Unicode text (a lone surrogate)`);
  return text;
}

export async function readTextInput(path: string, what: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) throw new UserInputError(`${what} ${path}: not a file`);
    if (info.size > MAX_FILE_BYTES) {
      throw new UserInputError(`${what} ${path}: larger than ${MAX_FILE_BYTES} bytes`);
    }
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof UserInputError) throw error;
    throw new UserInputError(`${what} ${path}: cannot read: ${(error as Error).message}`, { cause: error });
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UserInputError(`${what} ${path}: not UTF-8 text`);
  }
}

export async function requestFromArgs(
  topic: string,
  notesFile?: string,
  sourceFiles: string[] = [],
): Promise<WorkflowRequest> {
  const request: WorkflowRequest = { topic: checkTopic(topic, "submit") };
  // `--notes ""` (an unset variable in a script) is refused by the read, not silently dropped.
  if (notesFile !== undefined) request.notes = await readTextInput(notesFile, "--notes");
  if (sourceFiles.length) {
    request.sources = await Promise.all(
      sourceFiles.map(async (f) => ({ name: basename(f), text: await readTextInput(f, "--source") })),
    );
  }
  return request;
}

const SOURCES_SHAPE = 'sources: expected [{ "name": string, "text": string }]';
const source = z.object({
  name: z.string({ error: SOURCES_SHAPE }),
  text: z.string({ error: SOURCES_SHAPE }),
}, {
  error: SOURCES_SHAPE,
});

/**
 * A `.json` inbox file's shape; each message names the field. As in pressroom.json, a misspelt field
 * ("note") is an error, never silently nothing.
 */
const INBOX_REQUEST = z.strictObject({
  topic: z.string({ error: "topic: expected a string" }),
  notes: z.string({ error: "notes: expected a string" }).optional(),
  sources: z.array(source, { error: SOURCES_SHAPE }).optional(),
}, {
  error: (issue) =>
    issue.code === "unrecognized_keys"
      ? `unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}; known: topic, notes, sources`
      : "topic: expected a string",
});

/**
 * An inbox file: `.json` with `{ "topic", "notes"?, "sources"?: [{ "name", "text" }] }`, or a text file
 * (`.md`, `.txt`) whose first line is the topic and the rest the notes; extensions in any case.
 */
export async function requestFromInboxFile(path: string): Promise<WorkflowRequest> {
  const text = await readTextInput(path, "inbox file");
  const name = basename(path);
  // `.JSON` too: the extension is the file type whatever its case.
  if (name.toLowerCase().endsWith(".json")) {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new UserInputError(`inbox file ${name}: not valid JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const parsed = INBOX_REQUEST.safeParse(raw);
    if (!parsed.success) throw new UserInputError(`inbox file ${name}: ${parsed.error.issues[0].message}`);
    const r = parsed.data;
    const request: WorkflowRequest = { topic: checkTopic(r.topic, `inbox file ${name}: topic`) };
    if (r.notes !== undefined) request.notes = checkUnicode(r.notes, `inbox file ${name}: notes`);
    if (r.sources !== undefined) {
      request.sources = r.sources.map(({ name: n, text }, i) => ({
        name: checkUnicode(n, `inbox file ${name}: sources[${i}].name`),
        text: checkUnicode(text, `inbox file ${name}: sources[${i}].text`),
      }));
    }
    return request;
  }
  const [first, ...rest] = text.split("\n");
  const request: WorkflowRequest = {
    topic: checkTopic(first.replace(/^#+\s*/, ""), `inbox file ${name}: first line`),
  };
  const notes = rest.join("\n").trim();
  if (notes) request.notes = notes;
  return request;
}
