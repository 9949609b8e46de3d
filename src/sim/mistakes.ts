/**
 * The simulated model's mistakes, one per failure kind of the tool contract:
 * a wrong tool (another agent's mutation tool, or a name that does not exist),
 * malformed arguments (that fail the tool's zod schema), and a logic error
 * (valid arguments the state refuses). Each turns the call the role meant to
 * make into the mistaken one. Pure; randomness comes from the Rng given.
 * @module
 */
import type { AgentId } from "../config/schema.ts";
import type { ContentState } from "../content/state.ts";
import { TOOL_NAMES, type ToolName } from "../pipeline/tools.ts";
import { AGENTS } from "../pipeline/agents.ts";
import type { Rng } from "./rng.ts";

export interface ToolUse {
  name: string;
  input: Record<string, unknown>;
}

const UNKNOWN_TOOLS = [
  "update_draft",
  "write_section",
  "publish_article",
  "set_brief",
  "add_source",
  "save_metadata",
];

/** Arguments of the right shape for any mutation tool, for a call made to the wrong one. */
function plausibleArgs(name: ToolName): Record<string, unknown> {
  switch (name) {
    case "update_brief_field":
      return { field: "tone", value: "clear and practical" };
    case "create_draft":
      return {
        title: "Draft",
        sections: ["Introduction", "Details", "Conclusion"].map((heading) => ({
          heading,
          goal: `Write the ${heading}.`,
        })),
      };
    case "add_section":
      return { heading: "More detail", goal: "Add more detail." };
    case "add_citation":
      return { section_id: "s1", url: "https://example.org/source", title: "A source" };
    case "add_research_note":
      return { section_id: "s1", note: "A fact worth using." };
    case "update_section":
      return { section_id: "s1", markdown: "A paragraph about the subject." };
    case "request_revision":
      return { section_id: "s1", instructions: "Tighten this section." };
    case "flag_for_review":
      return { reason: "This needs a person's look." };
    case "set_metadata":
      return { slug: "draft", description: "A draft.", tags: ["draft"] };
    default:
      return {};
  }
}

/**
 * Another agent's mutation tool, or a tool that does not exist (never under strict tool use, which
 * only names the tools offered).
 */
export function wrongTool(agent: AgentId, intended: ToolUse, rng: Rng, strict = false): ToolUse {
  const mine = new Set<string>(AGENTS[agent].tools);
  const others = TOOL_NAMES.filter((n) => !mine.has(n) && n !== "get_brief" && n !== "get_draft");
  if (rng.chance(0.3) && !strict) return { name: rng.pick(UNKNOWN_TOOLS), input: intended.input };
  const name = rng.pick(others);
  return { name, input: plausibleArgs(name) };
}

/** A value each brief field's rule refuses. */
const BAD_BRIEF_VALUES: Record<string, string> = {
  title: "A",
  audience: "x",
  angle: "short",
  key_points: "just one point",
  keywords: Array.from({ length: 14 }, (_, i) => `keyword${i + 1}`).join(", "),
  tone: "",
  target_words: "about a thousand",
  sources: "",
};

/**
 * The intended call with arguments that fail its schema. Under strict tool use only the mistakes strict
 * decoding lets through are made (`decodable` says which: a length, an item count); with none, the
 * intended call, as strict decoding would produce it.
 */
export function malformed(
  intended: ToolUse,
  rng: Rng,
  decodable: (input: unknown) => boolean = () => true,
): ToolUse {
  const { name, input } = intended;
  const without = (key: string) => Object.fromEntries(Object.entries(input).filter(([k]) => k !== key));
  const options: Record<string, unknown>[] = (() => {
    switch (name) {
      case "update_brief_field":
        return [
          { field: input.field, value: BAD_BRIEF_VALUES[String(input.field)] ?? "" },
          { field: "summary", value: input.value },
          { field: input.field },
          { field: input.field, value: input.field === "target_words" ? 1200 : ["a", "b"] },
        ];
      case "create_draft":
        return [
          { ...input, sections: (input.sections as unknown[]).slice(0, 2) },
          without("title"),
          {
            ...input,
            sections: (input.sections as { heading: string }[]).map((s) => ({ heading: s.heading })),
          },
        ];
      case "add_section":
        return [without("goal"), { ...input, after: "first" }];
      case "add_citation":
        return [
          { ...input, url: String(input.url).replace(/^https?:/, "ftp:") },
          { ...input, url: String(input.url).replace(/^https?:\/\//, "") },
          without("title"),
          { ...input, section_id: String(input.section_id).toUpperCase() },
        ];
      case "add_research_note":
        return [{ ...without("note"), text: input.note }, {
          ...input,
          section_id: `section ${input.section_id}`,
        }];
      case "update_section":
        return [
          { ...without("markdown"), content: input.markdown },
          { ...input, section_id: String(input.section_id).toUpperCase() },
          { ...input, markdown: "   " },
        ];
      case "request_revision":
        return [{ ...input, instructions: "fix" }, without("instructions")];
      case "flag_for_review":
        return [{ reason: "bad" }, {}];
      case "promote_to_published":
        return [{ confirm: true }];
      case "set_metadata": {
        const slug = String(input.slug);
        const description = String(input.description);
        return [
          { ...input, slug: `My-${slug.replace(/-([a-z])/g, (_, c) => `-${c.toUpperCase()}`)}` },
          { ...input, slug: `${slug.replaceAll("-", " ")} v2` },
          { ...input, tags: [] },
          { ...input, description: `${description} `.repeat(Math.ceil(320 / (description.length + 1))) },
          { ...input, tags: [`${(input.tags as string[]).join(", ")}, more`] },
        ];
      }
      default:
        return [{ ...input, unexpected: true }];
    }
  })();
  const possible = options.filter(decodable);
  return possible.length ? { name, input: rng.pick(possible) } : intended;
}

/**
 * Valid arguments the state refuses: a section that does not exist, a draft
 * created twice, a section added before there is a draft. Undefined when the
 * agent's tools have no state rule to break (update_brief_field, set_metadata).
 */
export function logicError(intended: ToolUse, state: ContentState, rng: Rng): ToolUse | undefined {
  const count = state.draft?.sections.length ?? 0;
  const unknownSection = `s${count + rng.int(1, 9) + 80}`;
  switch (intended.name) {
    case "create_draft":
      return state.draft
        ? intended
        : { name: "add_section", input: { heading: "Background", goal: "Set the scene for the reader." } };
    case "add_citation":
    case "add_research_note":
    case "update_section":
    case "request_revision":
      return { name: intended.name, input: { ...intended.input, section_id: unknownSection } };
    case "flag_for_review":
    case "promote_to_published":
      return {
        name: "request_revision",
        input: { section_id: unknownSection, instructions: "Tighten this section and add an example." },
      };
    default:
      return undefined;
  }
}
