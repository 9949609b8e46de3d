/**
 * The review queue, where a person acts: `approve <workflow>` publishes a
 * flagged article as it stands; `retry <workflow> [--stage S]` sends a stuck or
 * flagged workflow back to a stage after the person edited its brief.json or
 * raised a limit. Both refuse a workflow in any other state.
 * @module
 */
import { join } from "node:path";
import { AGENT_IDS, type AgentId } from "../config/schema.ts";
import { UsageError, UserInputError } from "../errors.ts";
import { formatUsd } from "../ledger/money.ts";
import type { Ledger } from "../ledger/ledger.ts";
import type { LoadedConfig } from "../config/load.ts";
import { capWait, withMaxTokens } from "../pipeline/cap_holds.ts";
import { publish } from "../pipeline/loop.ts";
import { BRIEF_FIELDS, type ContentState, type Metadata } from "../pipeline/state.ts";
import { BRIEF_RULES, schemaOf } from "../pipeline/tools.ts";
import { sectionTexts } from "../output/draft_edits.ts";
import { removeReview } from "../output/review.ts";
import type { Parsed } from "./args.ts";
import { configFrom, type Io, openExistingLedger } from "./context.ts";
import { type Workflow, WorkflowStore } from "../pipeline/store.ts";

export const retryOptions = { stage: { type: "string" } } as const;

function oneId(parsed: Parsed, command: string): string {
  if (parsed.positionals.length !== 1) throw new UsageError(`${command}: give one workflow id`);
  return parsed.positionals[0];
}

function expect(workflow: Workflow, allowed: Workflow["status"][], command: string): void {
  if (!allowed.includes(workflow.status)) {
    throw new UserInputError(
      `${command}: workflow ${workflow.id} is ${workflow.status}${
        workflow.stage === "done" ? "" : ` at ${workflow.stage}`
      }; ` +
        `only a ${allowed.join(" or ")} workflow can be ${command === "approve" ? "approved" : "retried"}`,
    );
  }
}

/** Metadata for an article the editor flagged before any publisher ran. */
export function fallbackMetadata(state: ContentState, id: string): Metadata {
  const title = state.draft?.title ?? state.brief.title ?? state.request.topic;
  const slug =
    title.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80)
      .replace(/-+$/, "") || `article-${id.toLowerCase()}`;
  const tags = (state.brief.keywords ?? "article").split(",").map((t) => t.trim()).filter(Boolean).slice(
    0,
    8,
  );
  return { slug, description: (state.brief.angle ?? title).slice(0, 300), tags };
}

export async function approveCommand(parsed: Parsed, io: Io): Promise<number> {
  const id = oneId(parsed, "approve");
  const loaded = await configFrom(parsed, io);
  const ledger = openExistingLedger(loaded, io);
  try {
    const store = new WorkflowStore(ledger.db, io.now);
    const workflow = store.get(id);
    expect(workflow, ["flagged"], "approve");
    const state = workflow.state;
    await readEditedDraft(join(loaded.dataDir, "workflows", id, "draft.md"), state);
    state.metadata ??= fallbackMetadata(state, id);
    store.event(id, workflow.stage, "approved");
    const result = await publish({ ledger, store, dataDir: loaded.dataDir, now: io.now }, workflow, state);
    await removeReview(loaded.dataDir, id);
    if (result.kind === "published") io.out(`${id}  published: ${result.path}`);
    return 0;
  } finally {
    ledger.close();
  }
}

export async function retryCommand(parsed: Parsed, io: Io): Promise<number> {
  const id = oneId(parsed, "retry");
  const stageArg = parsed.values.stage as string | undefined;
  if (stageArg !== undefined && !(AGENT_IDS as readonly string[]).includes(stageArg)) {
    throw new UsageError(`retry: --stage must be one of ${AGENT_IDS.join(", ")}`);
  }
  const loaded = await configFrom(parsed, io);
  const ledger = openExistingLedger(loaded, io);
  try {
    const store = new WorkflowStore(ledger.db, io.now);
    const workflow = store.get(id);
    expect(workflow, ["stuck", "flagged"], "retry");
    refuseIfCapStillStops(ledger, loaded, id, io.now());
    const stage = (stageArg ?? (workflow.status === "flagged" ? "writer" : workflow.stage)) as AgentId;
    const state = workflow.state;
    state.brief = await readEditedBrief(join(loaded.dataDir, "workflows", id, "brief.json"), state.brief);
    await readEditedDraft(join(loaded.dataDir, "workflows", id, "draft.md"), state);
    const order = AGENT_IDS.indexOf(stage);
    if (order <= AGENT_IDS.indexOf("editor")) state.decision = null;
    if (order <= AGENT_IDS.indexOf("publisher")) state.metadata = null;
    store.update(id, { state, stage, status: "ready", reason: null, waitUntil: null });
    store.event(id, stage, "retried", `from ${workflow.status} at ${workflow.stage}`);
    await removeReview(loaded.dataDir, id);
    io.out(`${id}  back to ${stage}`);
    return 0;
  } finally {
    ledger.close();
  }
}

/**
 * A workflow a cap stopped for good (a cap that never resets, or a call over a cap on its own) would be
 * stopped again at its first call: the call that stopped it is judged against the caps and the agent's
 * maxTokens in force, and a retry that cannot get further is refused, with what to change.
 */
function refuseIfCapStillStops(ledger: Ledger, loaded: LoadedConfig, id: string, now: number): void {
  const refused = ledger.lastRefusal(id);
  if (!refused || refused.backend !== "anthropic") return;
  const agent = refused.agentId as AgentId;
  const nano = withMaxTokens(refused.requestNano, refused.output, loaded.config.agents[agent].maxTokens);
  const breach = ledger.wouldRefuse({ model: refused.model, workflowId: id, backend: refused.backend }, nano);
  if (!breach || capWait(breach, now).kind !== "stuck") return;
  throw new UserInputError(
    `retry: cap ${breach.cap} would stop workflow ${id} again: its ${agent} call of up to ` +
      `${formatUsd(nano)}, with ${formatUsd(breach.spentNano)} spent, is over ${
        formatUsd(breach.limitNano)
      }; ` +
      `raise caps.${breach.cap} (or lower agents.${agent}.maxTokens) in ${
        loaded.file ?? "pressroom.json"
      } first`,
  );
}

/** Section texts a person edited in draft.md replace the stored ones; each must pass update_section's rules. */
async function readEditedDraft(path: string, state: ContentState): Promise<void> {
  if (!state.draft) return;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw new UserInputError(`${path}: cannot read: ${(error as Error).message}`);
  }
  const texts = sectionTexts(text);
  for (const section of state.draft.sections) {
    const edited = texts.get(section.id);
    if (edited === undefined || edited === section.markdown) continue;
    // An emptied section is unwritten again; any other text must pass update_section's rules.
    const checked = edited
      ? schemaOf("update_section").safeParse({ section_id: section.id, markdown: edited })
      : null;
    if (checked && !checked.success) {
      throw new UserInputError(`${path}: ${section.id}: ${checked.error.issues[0].message}`);
    }
    section.markdown = edited;
  }
}

/** The brief as the person left it in brief.json; every field must pass the brief's rules. */
async function readEditedBrief(path: string, current: ContentState["brief"]): Promise<ContentState["brief"]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return current;
    throw new UserInputError(`${path}: cannot read: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UserInputError(`${path}: not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new UserInputError(`${path}: expected an object`);
  }
  const brief: ContentState["brief"] = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!(BRIEF_FIELDS as readonly string[]).includes(key)) {
      throw new UserInputError(`${path}: ${key}: unknown brief field`);
    }
    const field = key as typeof BRIEF_FIELDS[number];
    const checked = BRIEF_RULES[field].safeParse(value);
    if (!checked.success) throw new UserInputError(`${path}: ${field}: ${checked.error.issues[0].message}`);
    brief[field] = checked.data;
  }
  return brief;
}
