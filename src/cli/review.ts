/**
 * The review queue, where a person acts: `approve <workflow>` publishes a
 * flagged article as it stands; `retry <workflow> [--stage S]` sends a stuck or
 * flagged workflow back to a stage after the person edited its brief.json or
 * raised a limit. Both refuse a workflow in any other state.
 * @module
 */
import { z } from "zod";
import { AGENT_IDS, type AgentId } from "../config/schema.ts";
import { UsageError, UserInputError } from "../errors.ts";
import { formatUsd } from "../pricing/money.ts";
import type { Ledger } from "../ledger/ledger.ts";
import type { LoadedConfig } from "../config/load.ts";
import { capWait, withMaxTokens } from "../pipeline/cap_holds.ts";
import { publish } from "../pipeline/loop.ts";
import { retirementDay } from "../models/retirement.ts";
import { checkAgentModel } from "../config/agent_model.ts";
import { BRIEF_FIELDS, type BriefField, type ContentState, type Metadata } from "../content/state.ts";
import { schemaOf } from "../pipeline/tools.ts";
import { BRIEF_RULES } from "../pipeline/brief_rules.ts";
import { cannotStartOver, resumeAt, startOver } from "../pipeline/send_back.ts";
import { NOT_WRITTEN, renderDraft, renderedText } from "../output/article.ts";
import { writeFileAtomic } from "../output/atomic.ts";
import { DraftEditError, readSectionTexts } from "../output/draft_edits.ts";
import { dataPaths, slugify, type WorkflowPaths } from "../output/paths.ts";
import { approvalBlocker, removeReview } from "../output/review.ts";
import { mirrorWorkflow } from "../output/workflow_files.ts";
import type { Parsed } from "./args.ts";
import { configFrom, openExistingStorage } from "./context.ts";
import type { Io } from "./io.ts";
import type { Workflow } from "../pipeline/store.ts";

export const retryOptions = {
  stage: { type: "string" },
  model: { type: "string", multiple: true },
} as const;

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
  const slug = slugify(title) || `article-${id.toLowerCase()}`;
  const tags = (state.brief.keywords ?? "article").split(",").map((t) => t.trim()).filter(Boolean).slice(
    0,
    8,
  );
  return { slug, description: (state.brief.angle ?? title).slice(0, 300), tags };
}

/** `approve`: a flagged article, or a stuck one whose draft has text in every section, published as it stands. */
export async function approveCommand(parsed: Parsed, io: Io): Promise<number> {
  const id = oneId(parsed, "approve");
  const loaded = await configFrom(parsed, io);
  const storage = await openExistingStorage(loaded, io);
  const { ledger } = storage;
  try {
    const store = storage.workflows(io.now);
    const workflow = store.get(id);
    expect(workflow, ["flagged", "stuck"], "approve");
    const state = workflow.state;
    const files = dataPaths(loaded.dataDir).workflow(id);
    await readEditedDraft(files.draft, state);
    const blocker = approvalBlocker(state);
    if (blocker !== null) {
      throw new UserInputError(
        `approve: workflow ${id} cannot be published as it stands: ${blocker}` +
          (state.draft
            ? `; write their text in ${files.draft} first`
            : `; \`pressroom retry ${id}\` goes on`),
      );
    }
    state.metadata ??= fallbackMetadata(state, id);
    store.event(id, workflow.stage, "approved", `from ${workflow.status} at ${workflow.stage}`);
    const result = await publish({ ledger, store, dataDir: loaded.dataDir, now: io.now }, workflow, state);
    await removeReview(loaded.dataDir, id);
    if (result.kind === "published") io.out(`${id}  published: ${result.path}`);
    return 0;
  } finally {
    await storage.close();
  }
}

/**
 * `retry`: a stuck, flagged or waiting workflow goes on (see send_back.ts for where, and what a
 * `--stage` clears), after the person's edits to brief.json and draft.md are taken, each agent given
 * with `--model` re-pinned.
 */
export async function retryCommand(parsed: Parsed, io: Io): Promise<number> {
  const id = oneId(parsed, "retry");
  const stageArg = parsed.values.stage as string | undefined;
  if (stageArg !== undefined && !(AGENT_IDS as readonly string[]).includes(stageArg)) {
    throw new UsageError(`retry: --stage must be one of ${AGENT_IDS.join(", ")}`);
  }
  const loaded = await configFrom(parsed, io);
  const pins = modelPins((parsed.values.model as string[] | undefined) ?? [], loaded, io.now());
  const storage = await openExistingStorage(loaded, io);
  const { ledger } = storage;
  try {
    const store = storage.workflows(io.now);
    const workflow = store.get(id);
    expect(workflow, ["stuck", "flagged", "waiting"], "retry");
    // A turn in a batch is billed when the batch ends, and its stage books it: sending the workflow back
    // under it would book it against the wrong stage.
    const batched = ledger.batches.open(id);
    if (batched) {
      throw new UserInputError(
        `retry: workflow ${id} has the ${batched.agentId}'s turn ${batched.turn} in a Message Batch${
          batched.batchId ? ` (${batched.batchId})` : ""
        }; \`pressroom run\` collects it when the batch ends, and the workflow goes on from there`,
      );
    }
    if (!pins.some(([agent]) => agent === ledger.lastRefusal(id)?.agentId)) {
      refuseIfCapStillStops(ledger, loaded, id, io.now());
    }
    const files = dataPaths(loaded.dataDir).workflow(id);
    const stored = workflow.state;
    const editedSections = await readEditedDraft(files.draft, stored);
    const brief = await readEditedBrief(files.brief, stored.brief);
    const editedFields = BRIEF_FIELDS.filter((f) => brief[f] !== undefined && brief[f] !== stored.brief[f]);
    stored.brief = brief;
    const resume = resumeAt({ stage: workflow.stage as AgentId, status: workflow.status }, stored);
    let { stage, state } = resume;
    let cleared: string[] = [];
    if (stageArg !== undefined) {
      stage = stageArg as AgentId;
      ({ state, cleared } = startOver(stored, stage, {
        briefFields: new Set(editedFields),
        sections: editedSections,
      }));
      const why = cannotStartOver(resume.stage, stage, state);
      if (why) throw new UserInputError(`retry: --stage ${stage}: ${why}`);
    }
    if (cleared.length) await keepDraftBeforeRetry(files);
    const from = `from ${workflow.status} at ${workflow.stage}`;
    store.sendBack(id, {
      stage,
      state,
      pins,
      detail: cleared.length ? `${from}; cleared ${cleared.join(", ")}` : from,
    });
    await mirrorWorkflow(loaded.dataDir, id, { brief: state.brief, draftMarkdown: renderDraft(state) });
    await removeReview(loaded.dataDir, id);
    for (const [agent, model] of pins) {
      io.out(`${id}  ${agent} pinned to ${model} (was ${workflow.models[agent]})`);
    }
    if (cleared.length) {
      io.out(`${id}  cleared ${cleared.join(", ")}; the draft as it was: ${files.draftBeforeRetry}`);
    }
    io.out(`${id}  back to ${stage}`);
    return 0;
  } finally {
    await storage.close();
  }
}

/**
 * The `--model <agent>=<model>` values: each agent once, each model known to the price book, not
 * retired, and taking the agent's configured effort and thinking (the checks config models pass).
 */
function modelPins(values: string[], loaded: LoadedConfig, now: number): [AgentId, string][] {
  const today = retirementDay(now);
  const pins = new Map<AgentId, string>();
  for (const value of values) {
    const bad = (problem: string) => new UsageError(`retry: --model ${value}: ${problem}`);
    const match = /^([^=]+)=(.+)$/.exec(value);
    if (!match) throw bad("expected <agent>=<model>, e.g. writer=claude-sonnet-4-6");
    const [, agent, model] = match;
    if (!(AGENT_IDS as readonly string[]).includes(agent)) {
      throw bad(`unknown agent "${agent}"; agents: ${AGENT_IDS.join(", ")}`);
    }
    if (pins.has(agent as AgentId)) throw bad(`the ${agent} is given twice`);
    const checked = checkAgentModel({
      id: agent as AgentId,
      agent: loaded.config.agents[agent as AgentId],
      model,
      prices: loaded.prices,
      today,
    });
    if (!checked.ok) throw bad(checked.problem.message);
    pins.set(agent as AgentId, model);
  }
  return [...pins];
}

/** A retry that clears work keeps draft.md as it stood beside it: the transcript has every tool call too. */
async function keepDraftBeforeRetry(files: WorkflowPaths): Promise<void> {
  let text: string;
  try {
    text = await Deno.readTextFile(files.draft);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  await writeFileAtomic(files.draftBeforeRetry, text);
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

/** A file a person may have edited (brief.json, draft.md): its text, or undefined when it is not there. */
async function readHandEdited(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new UserInputError(`${path}: cannot read: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Section texts a person edited in draft.md replace the stored ones; each must pass update_section's
 * rules, and an emptied section is unwritten again. Any other change to the file is refused with its
 * line. Returns the ids of the sections edited.
 */
async function readEditedDraft(path: string, state: ContentState): Promise<Set<string>> {
  const edited = new Set<string>();
  const text = await readHandEdited(path);
  if (text === undefined) return edited;
  let texts;
  try {
    texts = readSectionTexts(text, state);
  } catch (error) {
    if (error instanceof DraftEditError) {
      throw new UserInputError(`${path} line ${error.line}: ${error.problem}`, { cause: error });
    }
    throw error;
  }
  for (const { id, text: edit, line } of texts) {
    const section = state.draft!.sections.find((s) => s.id === id)!;
    const shown = renderedText(section.markdown);
    if (edit === (shown === NOT_WRITTEN ? "" : shown)) continue;
    if (edit) {
      const checked = schemaOf("update_section").safeParse({ section_id: id, markdown: edit });
      if (!checked.success) {
        throw new UserInputError(`${path} line ${line}: ${id}'s text: ${checked.error.issues[0].message}`);
      }
    }
    section.markdown = edit;
    delete section.revision; // the person's text answers it, as update_section's does
    edited.add(id);
  }
  return edited;
}

/** brief.json as a person may edit it: known fields only, each passing the brief's rules. */
const EDITED_BRIEF = z.strictObject(
  Object.fromEntries(BRIEF_FIELDS.map((f) => [f, BRIEF_RULES[f].optional()])) as Record<
    BriefField,
    z.ZodOptional<z.ZodType<string>>
  >,
  {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? `${issue.keys[0]}: unknown brief field` : "expected an object",
  },
);

/** The brief as the person left it in brief.json; every field must pass the brief's rules. */
async function readEditedBrief(path: string, current: ContentState["brief"]): Promise<ContentState["brief"]> {
  const text = await readHandEdited(path);
  if (text === undefined) return current;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UserInputError(`${path}: not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const checked = EDITED_BRIEF.safeParse(raw);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new UserInputError(
      `${path}: ${issue.path.length ? `${String(issue.path[0])}: ` : ""}${issue.message}`,
    );
  }
  return checked.data;
}
