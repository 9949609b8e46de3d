/**
 * The agent loop: one generic loop runs any agent's stage of a workflow. Each
 * turn is one callClaude(); the response's tool calls are classified and
 * applied before its ledger row is written; a turn that ends before the done
 * rule holds gets a nudge naming what is missing. Limits on turns, failures in
 * a row and cost stop a runaway stage: the workflow is marked stuck and written
 * to review/ with the reason.
 * @module
 */
import Anthropic from "@anthropic-ai/sdk";
import { BadResponseError, callClaude, type ClaudeDeps, type Exchange } from "../claude/call_claude.ts";
import type { Turn } from "../claude/request.ts";
import type { KnownPrefix } from "../claude/estimate.ts";
import type { AgentId, Config } from "../config/schema.ts";
import { CostCapError } from "../errors.ts";
import { nanoToUsd } from "../ledger/money.ts";
import { TOOL_DEFINITIONS } from "./tools.ts";
import { AGENTS, type Stage } from "./agents.ts";
import { type PromptSet, renderVolatile } from "./prompts.ts";
import { runTool, type ToolCallResult } from "./run_tool.ts";
import type { CapHold, Workflow, WorkflowStore } from "./store.ts";
import type { ContentState } from "./state.ts";
import { environmentSecrets, mirrorWorkflow, redact, Transcript } from "../output/workflow_files.ts";
import { publishArticle, publishedBy, renderArticle, renderDraft } from "../output/article.ts";
import { writeReview } from "../output/review.ts";
import { capWait, holdReason } from "./cap_holds.ts";

/** How long a workflow waits after an API error that survived the SDK's retries. */
export const API_ERROR_BACKOFF_MS = 60_000;

export interface PipelineDeps extends ClaudeDeps {
  store: WorkflowStore;
  config: Config;
  prompts: PromptSet;
  dataDir: string;
  now: () => number;
  /** Aborts calls in flight: the hard stop. */
  signal?: AbortSignal;
  /** Ends the stage between turns, its state kept: the graceful stop. */
  stopping?: AbortSignal;
}

export type StageResult =
  | { kind: "advanced"; from: AgentId; to: Stage }
  | { kind: "published"; path: string }
  | { kind: "flagged"; reason: string }
  | { kind: "stuck"; reason: string }
  | { kind: "waiting"; reason: string; until: number; cap?: string }
  | { kind: "interrupted" };

/** Runs the workflow's current stage to its end, or until something stops it. */
export async function runStage(deps: PipelineDeps, workflowId: string): Promise<StageResult> {
  const files = new FileQueue();
  const transcript = new Transcript(deps.dataDir, workflowId);
  try {
    return await workStage(deps, workflowId, files, transcript);
  } finally {
    // The stage is over only when its files are on disk; a write that failed fails the stage.
    await files.flush().finally(() => transcript.close());
  }
}

async function workStage(
  deps: PipelineDeps,
  workflowId: string,
  files: FileQueue,
  transcript: Transcript,
): Promise<StageResult> {
  const workflow = deps.store.get(workflowId);
  if (workflow.stage === "done") throw new Error(`workflow ${workflowId} is done`);
  const agentId = workflow.stage;
  const agent = AGENTS[agentId];
  const settings = deps.config.agents[agentId];
  const model = workflow.models[agentId];
  const state = workflow.state;
  // The files on disk follow the state; a turn that changed neither the brief nor the draft writes nothing.
  const mirrored = { brief: "", draft: "" };
  const mirror = async () => {
    const brief = JSON.stringify(state.brief);
    const draft = renderDraft(state);
    if (brief === mirrored.brief && draft === mirrored.draft) return;
    await mirrorWorkflow(deps.dataDir, workflowId, {
      brief: brief === mirrored.brief ? undefined : state.brief,
      draftMarkdown: draft === mirrored.draft ? undefined : draft,
    });
    Object.assign(mirrored, { brief, draft });
  };
  const record = (exchange: Exchange) => files.add(() => appendTranscriptSafely(deps, transcript, exchange));

  if (workflow.status !== "ready") {
    deps.store.update(workflowId, { status: "ready", reason: null, waitUntil: null });
  }
  const volatile = renderVolatile(deps.prompts, agentId, state);
  const stable = [deps.prompts.shared.text, deps.prompts.agents[agentId].stable.text];
  const turns: Turn[] = [];
  let failuresInARow = 0;
  let knownPrefix: KnownPrefix | undefined;
  let earlierFiles = Promise.resolve();

  for (let turn = 1; turn <= settings.maxTurns; turn++) {
    if (agent.missing(state) === null) break;
    if (deps.stopping?.aborted) return { kind: "interrupted" };
    // The files of the turn before last are on disk by now: a failed write costs at most one more call.
    await earlierFiles;
    files.throwIfFailed();
    earlierFiles = files.idle();
    let results: ToolCallResult[] = [];
    let message: Anthropic.Message;
    try {
      let prompt: KnownPrefix | undefined;
      ({ message, prompt } = await callClaude(deps, {
        agentId,
        workflowId,
        turn,
        model,
        maxTokens: settings.maxTokens,
        cacheTtl: settings.cacheTtl,
        effort: settings.effort,
        thinking: settings.thinking,
        webSearchMaxUses: settings.webSearch.enabled && agentId === "researcher"
          ? settings.webSearch.maxUses
          : undefined,
        tools: TOOL_DEFINITIONS,
        stable,
        volatile,
        turns,
        signal: deps.signal,
        knownPrefix,
        judgeToolCalls: (response) => {
          results = response.content.filter((b) => b.type === "tool_use").map((b) =>
            runTool(agentId, state, b.name, b.input)
          );
          return { made: results.length, succeeded: results.filter((r) => r.outcome === "ok").length };
        },
        persist: (callId) => {
          deps.store.recordToolCalls({ callId, workflowId, agentId, model, turn }, results);
          deps.store.update(workflowId, { state });
        },
        record,
      }));
      knownPrefix = prompt;
    } catch (error) {
      deps.store.update(workflowId, { state });
      files.add(mirror);
      await files.flush();
      return await stopped(deps, workflow, error, state);
    }
    // The next request need not wait for the files (and their fsyncs): they follow in order.
    files.add(mirror);

    const toolUses = message.content.filter((b): b is Anthropic.ToolUseBlock => b.type === "tool_use");
    turns.push({ role: "assistant", content: message.content.map(boundedBlock) });
    const reply: Anthropic.ContentBlockParam[] = toolUses.map((use, i) => ({
      type: "tool_result",
      tool_use_id: use.id,
      content: results[i]?.content ?? "not run",
      ...(results[i]?.outcome === "ok" ? {} : { is_error: true }),
    }));
    if (toolUses.length && results.every((r) => r.outcome !== "ok")) failuresInARow++;
    else if (toolUses.length) failuresInARow = 0;
    if (failuresInARow >= settings.maxConsecutiveFailures) {
      return await stuck(
        deps,
        workflow,
        `${agentId}: ${failuresInARow} turns in a row whose tool calls all failed`,
      );
    }
    if (message.stop_reason === "refusal") {
      return await stuck(deps, workflow, `${agentId}: the model refused`);
    }
    const missing = agent.missing(state);
    if (missing === null) break;
    if (!toolUses.length) {
      deps.store.event(workflowId, agentId, "nudge", missing);
      reply.push({ type: "text", text: nudge(agentId, missing, message.stop_reason) });
    }
    turns.push({ role: "user", content: reply });
  }

  const missing = agent.missing(state);
  if (missing !== null) {
    return await stuck(deps, workflow, `${agentId}: ${settings.maxTurns} turns used and still ${missing}`);
  }
  return await finishStage(deps, workflow, state);
}

/** The most of one tool call's input that goes back into the conversation. */
export const MAX_ECHOED_INPUT_BYTES = 64_000;

/**
 * A response block as it goes back into the next request. An oversized tool
 * input (which its schema refused anyway) is replaced by a note, so one bad
 * turn cannot inflate every later request of the stage.
 */
function boundedBlock(block: Anthropic.ContentBlock): Anthropic.ContentBlockParam {
  if (block.type !== "tool_use") return block as Anthropic.ContentBlockParam;
  const size = new TextEncoder().encode(JSON.stringify(block.input ?? {})).length;
  if (size <= MAX_ECHOED_INPUT_BYTES) return block;
  return { ...block, input: { omitted: `an input of ${size} bytes, too large to repeat; it was refused` } };
}

function nudge(agent: AgentId, missing: string, stopReason: string | null): string {
  const cut = stopReason === "max_tokens" ? "Your answer was cut off at max_tokens. " : "";
  return `${cut}Your job as ${agent} is not done yet: ${missing}. Continue with your tools.`;
}

/** The done rule holds: move to the next stage, or publish, or flag. */
async function finishStage(
  deps: PipelineDeps,
  workflow: Workflow,
  state: ContentState,
): Promise<StageResult> {
  const agentId = workflow.stage as AgentId;
  const to = AGENTS[agentId].next(state);
  const turns = deps.ledger.callCount(workflow.id, agentId);
  deps.store.event(workflow.id, agentId, "stage_done", JSON.stringify({ turns, to }));

  if (agentId === "editor" && state.decision?.kind === "flagged") {
    const reason = state.decision.reason;
    deps.store.update(workflow.id, { state, stage: "editor", status: "flagged", reason });
    await writeReview(deps.dataDir, workflow.id, { kind: "flagged", reason, state, stage: "editor" });
    return { kind: "flagged", reason };
  }
  if (agentId === "editor" && state.decision?.kind === "revisions") {
    state.revisionRounds++;
    state.decision = null;
  }
  if (agentId === "publisher") return await publish(deps, workflow, state);
  deps.store.update(workflow.id, { state, stage: to, status: "ready", reason: null, waitUntil: null });
  return { kind: "advanced", from: agentId, to };
}

/** Writes the article and marks the workflow published. Also used by `approve`. */
export async function publish(
  deps: Pick<PipelineDeps, "ledger" | "store" | "dataDir" | "now">,
  workflow: Workflow,
  state: ContentState,
): Promise<StageResult> {
  const metadata = state.metadata;
  if (!metadata) throw new Error("publish needs metadata");
  const content = renderArticle(state, {
    workflowId: workflow.id,
    models: workflow.models,
    costUsd: nanoToUsd(deps.ledger.workflowSpentNano(workflow.id)),
    publishedAt: new Date(deps.now()).toISOString(),
  });
  // A process that died after writing the file but before recording it must not publish twice:
  // the path is recorded before each attempt, and checked here first.
  const earlier = deps.store.get(workflow.id).publishedPath;
  const path = earlier && await publishedBy(earlier, workflow.id)
    ? earlier
    : await publishArticle(deps.dataDir, metadata.slug, content, (p) =>
      deps.store.update(workflow.id, { publishedPath: p }));
  deps.store.update(workflow.id, {
    state,
    stage: "done",
    status: "published",
    publishedPath: path,
    reason: null,
  });
  deps.store.event(workflow.id, "publisher", "published", path);
  return { kind: "published", path };
}

async function stuck(deps: PipelineDeps, workflow: Workflow, reason: string): Promise<StageResult> {
  const current = deps.store.get(workflow.id);
  deps.store.update(workflow.id, { status: "stuck", reason });
  deps.store.event(workflow.id, current.stage, "stuck", reason);
  await writeReview(deps.dataDir, workflow.id, {
    kind: "stuck",
    reason,
    state: current.state,
    stage: current.stage,
  });
  return { kind: "stuck", reason };
}

/** A call failed: wait for a cap or a transient error, stop on a permanent one. */
async function stopped(
  deps: PipelineDeps,
  workflow: Workflow,
  error: unknown,
  state: ContentState,
): Promise<StageResult> {
  if (error instanceof CostCapError) return await waitForCap(deps, workflow, error, state);
  if (error instanceof Anthropic.APIUserAbortError) return { kind: "interrupted" };
  if (error instanceof Anthropic.AuthenticationError || error instanceof Anthropic.PermissionDeniedError) {
    throw error; // no workflow can go on: the caller stops
  }
  if (error instanceof Anthropic.BadRequestError || error instanceof Anthropic.NotFoundError) {
    return await stuck(
      deps,
      workflow,
      `API refused the request: ${redact((error as Error).message, environmentSecrets())}`,
    );
  }
  if (error instanceof Anthropic.APIError || error instanceof BadResponseError) {
    const until = deps.now() + API_ERROR_BACKOFF_MS;
    const reason = `API error, retrying after ${new Date(until).toISOString()}: ${
      redact((error as Error).message, environmentSecrets())
    }`;
    deps.store.update(workflow.id, { status: "waiting", reason, waitUntil: until });
    deps.store.event(workflow.id, workflow.stage, "waiting", reason);
    return { kind: "waiting", reason, until };
  }
  throw error;
}

/** A cap refused the stage's call: the workflow waits under a cap hold (cap_holds.ts), or stops. */
async function waitForCap(
  deps: PipelineDeps,
  workflow: Workflow,
  error: CostCapError,
  state: ContentState,
): Promise<StageResult> {
  const { cap, requestNano } = error.breach;
  const wait = capWait(error.breach, deps.now());
  if (wait.kind === "stuck") {
    return await stuck(
      deps,
      workflow,
      error.breach.resetsAt === null ? error.message : `${error.message}; ${wait.why}`,
    );
  }
  if (!wait.inFlight) {
    // A whole cap period that moved the stage no further would repeat forever: stop instead. A second
    // refusal in the same period (the cap was raised, and not enough) is no such stall.
    const { lastCapWait: _, ...content } = state;
    const fingerprint = await sha256(JSON.stringify(content));
    const last = state.lastCapWait;
    if (
      last?.stage === workflow.stage && last.fingerprint === fingerprint && last.until !== undefined &&
      last.until < wait.until
    ) {
      return await stuck(
        deps,
        workflow,
        `${workflow.stage}: a whole period of cap ${cap} brought no progress; raise ${cap} or lower maxTokens`,
      );
    }
    state.lastCapWait = { stage: workflow.stage, fingerprint, until: wait.until };
  }
  const agent = workflow.stage as AgentId;
  const model = workflow.models[agent];
  const hold: CapHold = {
    workflowId: workflow.id,
    agent,
    model,
    backend: deps.backend,
    cap,
    requestNano,
    // callClaude gives every refusal its output part; without one, the hold keeps the whole worst case.
    output: error.breach.output ?? { maxTokens: 0, nanoPerToken: 0 },
    inFlight: wait.inFlight,
    until: wait.until,
  };
  const reason = holdReason(hold);
  deps.store.holdForCap(hold, reason, state);
  return { kind: "waiting", reason, until: wait.until, ...(wait.inFlight ? {} : { cap }) };
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function appendTranscriptSafely(
  deps: PipelineDeps,
  transcript: Transcript,
  exchange: Exchange,
): Promise<void> {
  // The transcript is a record, not the source of truth: a failed append must not lose the turn.
  try {
    await transcript.append({ ts: deps.now(), ...exchange });
  } catch (error) {
    console.error(`pressroom: transcript of ${transcript.workflowId}: ${(error as Error).message}`);
  }
}

/**
 * The stage's writes to its files on disk (transcript lines, brief and draft), run one after another
 * in the order they were added, off the call path. `throwIfFailed` and `flush` throw the first
 * failure; the writes after it are still tried (a transcript line does not depend on the brief).
 */
class FileQueue {
  #tail: Promise<void> = Promise.resolve();
  #failure: { error: unknown } | undefined;

  add(write: () => Promise<void>): void {
    this.#tail = this.#tail.then(write).catch((error) => {
      this.#failure ??= { error };
    });
  }

  /** Resolves (never rejects) when what was added so far has been written or has failed. */
  idle(): Promise<void> {
    return this.#tail;
  }

  throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }

  async flush(): Promise<void> {
    await this.#tail;
    this.throwIfFailed();
  }
}
