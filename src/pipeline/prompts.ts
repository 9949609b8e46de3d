/**
 * Prompt blocks: `shared/stable.md`, `<agent>/stable.md`, `<agent>/volatile.md`.
 * The built-in blocks are read through `import.meta` URLs (so `deno compile
 * --include prompts` carries them); a file in the user's prompts folder
 * replaces the built-in one. Every block is checked before any call: a missing
 * or empty file, or a placeholder the renderer does not know, is an error
 * naming the file.
 * @module
 */
import { join } from "node:path";
import { AGENT_IDS, type AgentId } from "../config/schema.ts";
import { UserInputError } from "../errors.ts";
import { AGENTS } from "./agents.ts";
import { BRIEF_FIELDS, type ContentState, type Draft, MAX_REVISION_ROUNDS } from "../content/state.ts";
import { UNVERIFIED_NOTE } from "../output/markdown.ts";

export class PromptError extends UserInputError {
  constructor(readonly file: string, problem: string, options?: ErrorOptions) {
    super(`${file}: ${problem}`, options);
    this.name = "PromptError";
  }
}

const json = (value: unknown) => "```json\n" + JSON.stringify(value, null, 2) + "\n```";

/** The placeholders a volatile block may use, each rendered from the workflow state. */
export const PLACEHOLDERS: Record<string, (state: ContentState) => string> = {
  topic: (s) => s.request.topic,
  request: (s) =>
    [
      `Topic: ${s.request.topic}`,
      s.request.notes ? `\nNotes:\n${s.request.notes}` : "",
      ...(s.request.sources ?? []).map((f) => `\nSource file "${f.name}":\n${f.text}`),
    ].join("\n"),
  brief: (s) => {
    const missing = BRIEF_FIELDS.filter((f) => !s.brief[f]);
    return json(s.brief) + (missing.length ? `\nMissing fields: ${missing.join(", ")}` : "");
  },
  title: (s) => s.draft?.title ?? s.brief.title ?? s.request.topic,
  outline: (s) =>
    s.draft
      ? s.draft.sections.map((x) => `- ${x.id}: ${x.heading} (goal: ${x.goal})`).join("\n")
      : "(no draft yet)",
  draft: (s) =>
    s.draft
      ? json({ title: s.draft.title, sections: s.draft.sections }) + unverifiedList(s.draft)
      : "(no draft yet)",
  editor_notes: (s) => {
    const open = s.draft?.sections.filter((x) => x.revision) ?? [];
    return open.length ? open.map((x) => `- ${x.id}: ${x.revision}`).join("\n") : "(none)";
  },
  revision_round: (s) => `${Math.min(s.revisionRounds + 1, MAX_REVISION_ROUNDS + 1)}`,
};

/** The citations marked unverified, after the draft: what the editor should weigh before promoting. */
function unverifiedList(draft: Draft): string {
  const marked = draft.sections.flatMap((x) =>
    x.citations.filter((c) => c.provenance === "unverified").map((c) => `- ${x.id}: ${c.url}`)
  );
  return marked.length ? `\n\nUnverified citations (${UNVERIFIED_NOTE}):\n${marked.join("\n")}` : "";
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_]+)\s*\}\}/g;

export interface Block {
  /** Where it was read from, for errors. */
  file: string;
  text: string;
}

export interface PromptSet {
  shared: Block;
  agents: Record<AgentId, { stable: Block; volatile: Block }>;
}

/** Larger blocks are refused (about 50,000 tokens, a quarter of a context window). */
export const MAX_BLOCK_BYTES = 200_000;

/** Every block's path relative to the prompts folder. */
export const PROMPT_FILES = [
  "shared/stable.md",
  ...AGENT_IDS.flatMap((a) => [AGENTS[a].prompts.stable, AGENTS[a].prompts.volatile]),
];

async function readBlock(relative: string, userDir: string | undefined): Promise<Block> {
  const candidates: [string, string | URL][] = [];
  if (userDir) candidates.push([join(userDir, relative), join(userDir, relative)]);
  const builtin = new URL(`../../prompts/${relative}`, import.meta.url);
  candidates.push([`(built-in) prompts/${relative}`, builtin]);
  for (const [file, path] of candidates) {
    let bytes: Uint8Array;
    try {
      // The user's file is looked at before it is read: /dev/zero or a FIFO would never end.
      if (typeof path === "string") {
        const info = await Deno.stat(path);
        if (!info.isFile) throw new PromptError(file, "not a file");
        // A block goes out with every call: a huge one would only be refused by the caps, call after call.
        if (info.size > MAX_BLOCK_BYTES) {
          throw new PromptError(
            file,
            `larger than ${MAX_BLOCK_BYTES} bytes; a prompt block goes out with every call`,
          );
        }
      }
      bytes = await Deno.readFile(path);
    } catch (error) {
      if (error instanceof PromptError) throw error;
      if (error instanceof Deno.errors.NotFound) continue;
      throw new PromptError(file, `cannot read: ${(error as Error).message}`, { cause: error });
    }
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new PromptError(file, "not UTF-8 text");
    }
    if (!text.trim()) throw new PromptError(file, "is empty");
    return { file, text };
  }
  throw new PromptError(relative, "missing from the prompts folder and from the built-in prompts");
}

/** Loads and checks all thirteen blocks. */
export async function loadPrompts(userDir?: string): Promise<PromptSet> {
  const blocks = await Promise.all(PROMPT_FILES.map((f) => readBlock(f, userDir)));
  const byFile = new Map(PROMPT_FILES.map((f, i) => [f, blocks[i]]));
  for (const [i, block] of blocks.entries()) {
    for (const [, name] of block.text.matchAll(PLACEHOLDER)) {
      if (PROMPT_FILES[i].endsWith("stable.md")) {
        throw new PromptError(
          block.file,
          `{{${name}}}: stable blocks are sent as written; placeholders go in volatile.md`,
        );
      }
      if (!Object.hasOwn(PLACEHOLDERS, name)) {
        throw new PromptError(
          block.file,
          `unknown placeholder {{${name}}}; known: ${
            Object.keys(PLACEHOLDERS).map((p) => `{{${p}}}`).join(", ")
          }`,
        );
      }
    }
  }
  return {
    shared: byFile.get("shared/stable.md")!,
    agents: Object.fromEntries(
      AGENT_IDS.map((
        a,
      ) => [a, {
        stable: byFile.get(AGENTS[a].prompts.stable)!,
        volatile: byFile.get(AGENTS[a].prompts.volatile)!,
      }]),
    ) as PromptSet["agents"],
  };
}

/** The agent's volatile block for this state. */
export function renderVolatile(prompts: PromptSet, agent: AgentId, state: ContentState): string {
  return prompts.agents[agent].volatile.text.replace(
    PLACEHOLDER,
    (_, name: string) => PLACEHOLDERS[name](state),
  );
}
