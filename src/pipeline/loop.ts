/**
 * The agent loop: one generic loop runs any agent's stage of a workflow. Each
 * turn is one callClaude() (turn.ts): a used reply's tool calls are classified
 * and applied before its ledger row is written; a cut-off tool call is retried
 * with more max_tokens, a paused turn continued, a refusal or a full context
 * window stops the stage (replies.ts); a turn that ends before the done rule
 * holds gets a nudge naming what is missing. Limits on turns (every call
 * counts), failures in a row and cost stop a runaway stage: the workflow is
 * marked stuck and written to review/ with the reason.
 * @module
 */
import Anthropic from "@anthropic-ai/sdk";
import { BadResponseError, type ClaudeDeps, type Exchange } from "../claude/call_claude.ts";
import type { AgentId, Config } from "../config/schema.ts";
import { citationMarks } from "../report/citations.ts";
import { ApiUnreachableError, CostCapError, UnreachableError } from "../errors.ts";
import { unreachableReason } from "../claude/billing.ts";
import { nanoToUsd } from "../pricing/money.ts";
import { AGENTS, type Stage } from "./agents.ts";
import type { PromptSet } from "./prompts.ts";
import { type CapHold, PUBLISHED, type Workflow, type WorkflowStore } from "./store.ts";
import type { ContentState } from "../content/state.ts";
import { environmentSecrets, mirrorWorkflow, redact, Transcript } from "../output/workflow_files.ts";
import { publishArticle, publishedBy, renderArticle, renderDraft } from "../output/article.ts";
import { type StuckCause, writeReview } from "../output/review.ts";
import { capWait, holdReason } from "./cap_holds.ts";
import { sha256Hex } from "../hex.ts";
import {
  afterReply,
  type Answer,
  ask,
  type Progress,
  type StageRun,
  stageRun,
  startProgress,
} from "./turn.ts";
import { collectedAnswer, sendToBatch } from "./batch_turn.ts";

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
  /** Where a failure that does not stop the stage is told (a transcript line not written): stderr in the CLI. */
  warn?: (line: string) => void;
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
  const run = stageRun(
    deps,
    workflow,
    workflow.stage,
    (exchange) => files.add(() => appendTranscriptSafely(deps, transcript, exchange)),
  );
  if (workflow.status !== "ready") {
    deps.store.update(workflowId, { status: "ready", reason: null, waitUntil: null });
  }
  const ended = await takeTurns(deps, workflow, run, files);
  if (ended) return ended;
  const missing = AGENTS[run.agentId].missing(run.state);
  if (missing !== null) {
    return await stuck(
      deps,
      workflow,
      `${run.agentId}: ${run.settings.maxTurns} turns used and still ${missing}`,
    );
  }
  return await finishStage(deps, workflow, run.state);
}

/**
 * Turns until the done rule holds or the turns run out (undefined), or until something else ends the
 * stage: a stop, a failed call, a reply that stops it (its result).
 */
async function takeTurns(
  deps: PipelineDeps,
  workflow: Workflow,
  run: StageRun,
  files: FileQueue,
): Promise<StageResult | undefined> {
  const { agentId, state, settings } = run;
  const mirror = mirrorer(deps, workflow.id, state);
  let earlierFiles = Promise.resolve();
  // A turn whose Message Batch has ended goes on from where the stage stood when it was sent.
  let collected = deps.ledger.batches.ended(workflow.id);
  let progress = collected ? collected.progress as Progress : startProgress(run);
  let turn = collected?.turn ?? 1;

  for (; turn <= settings.maxTurns; turn++) {
    if (AGENTS[agentId].missing(state) === null) return undefined;
    if (deps.stopping?.aborted) return { kind: "interrupted" };
    // The files of the turn before last are on disk by now: a failed write costs at most one more call.
    await earlierFiles;
    files.throwIfFailed();
    earlierFiles = files.idle();
    let answer: Answer | undefined;
    try {
      if (collected) {
        answer = await collectedAnswer(run, collected);
        collected = undefined;
      }
      // Not billed (canceled, expired, an overloaded batch): the same turn again, as it stood.
      if (!answer && settings.batch) return await sendToBatch(run, turn, progress);
      answer ??= await ask(run, turn, progress);
    } catch (error) {
      deps.store.update(workflow.id, { state });
      files.add(mirror);
      await files.flush();
      return await stopped(deps, workflow, error, state);
    }
    // The next request need not wait for the files (and their fsyncs): they follow in order.
    files.add(mirror);
    const step = afterReply(run, progress, answer);
    if (step.kind === "stop") return await stuck(deps, workflow, step.reason);
    if (step.kind === "done") return undefined;
    progress = step.progress;
  }
  return undefined;
}

/** Writes the brief and draft files when the state changed them; a turn that changed neither writes nothing. */
function mirrorer(deps: PipelineDeps, workflowId: string, state: ContentState): () => Promise<void> {
  const mirrored = { brief: "", draft: "" };
  return async () => {
    const brief = JSON.stringify(state.brief);
    const draft = renderDraft(state);
    if (brief === mirrored.brief && draft === mirrored.draft) return;
    await mirrorWorkflow(deps.dataDir, workflowId, {
      brief: brief === mirrored.brief ? undefined : state.brief,
      draftMarkdown: draft === mirrored.draft ? undefined : draft,
    });
    Object.assign(mirrored, { brief, draft });
  };
}

/** The done rule holds: move to the next stage, or publish, or flag. */
async function finishStage(
  deps: PipelineDeps,
  workflow: Workflow,
  state: ContentState,
): Promise<StageResult> {
  const agentId = workflow.stage as AgentId;
  const end = AGENTS[agentId].end(state);
  const to: Stage = end.kind === "advance" ? end.to : "done";
  const turns = deps.ledger.callCount(workflow.id, agentId);
  deps.store.event(workflow.id, agentId, "stage_done", JSON.stringify({ turns, to }));

  switch (end.kind) {
    case "flag": {
      const reason = end.reason;
      deps.store.update(workflow.id, { state, stage: agentId, status: "flagged", reason });
      await writeReview(deps.dataDir, workflow.id, { kind: "flagged", reason, state, stage: agentId });
      return { kind: "flagged", reason };
    }
    case "publish":
      return await publish(deps, workflow, state);
    case "advance":
      deps.store.update(workflow.id, {
        state,
        stage: end.to,
        status: "ready",
        reason: null,
        waitUntil: null,
      });
      return { kind: "advanced", from: agentId, to: end.to };
  }
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
    status: PUBLISHED,
    publishedPath: path,
    reason: null,
  });
  deps.store.event(workflow.id, "publisher", PUBLISHED, path);
  await deps.ledger.completed({
    workflowId: workflow.id,
    ts: deps.now(),
    models: workflow.models,
    citations: citationMarks(state),
  });
  return { kind: "published", path };
}

async function stuck(
  deps: PipelineDeps,
  workflow: Workflow,
  reason: string,
  cause?: StuckCause,
): Promise<StageResult> {
  const current = deps.store.get(workflow.id);
  deps.store.update(workflow.id, { status: "stuck", reason });
  deps.store.event(workflow.id, current.stage, "stuck", reason);
  await writeReview(deps.dataDir, workflow.id, {
    kind: "stuck",
    reason,
    state: current.state,
    stage: current.stage,
    cause,
  });
  return { kind: "stuck", reason };
}

/**
 * A call failed: wait for a cap or a transient error, stop on a permanent one; an API that cannot be
 * reached at all is thrown as ApiUnreachableError.
 */
async function stopped(
  deps: PipelineDeps,
  workflow: Workflow,
  error: unknown,
  state: ContentState,
): Promise<StageResult> {
  if (error instanceof CostCapError) return await waitForCap(deps, workflow, error, state);
  if (error instanceof Anthropic.APIUserAbortError) return { kind: "interrupted" };
  // The shared ledger is out of reach: no call went out, and no other workflow's can either.
  if (error instanceof UnreachableError) throw error;
  // Nothing reached the API: not the workflow's fault, and no other workflow gets through either. It stays
  // as it is (its state saved, still ready) and the caller decides: `run --once` stops, `run` backs off.
  const unreachable = unreachableReason(error);
  if (unreachable) throw new ApiUnreachableError(deps.client.baseURL, unreachable, { cause: error });
  if (error instanceof Anthropic.AuthenticationError || error instanceof Anthropic.PermissionDeniedError) {
    throw error; // no workflow can go on: the caller stops
  }
  if (error instanceof Anthropic.BadRequestError || error instanceof Anthropic.NotFoundError) {
    const agent = workflow.stage as AgentId;
    return await stuck(
      deps,
      workflow,
      `API refused the request: ${redact((error as Error).message, environmentSecrets())}`,
      { kind: "api_refusal", agent, model: workflow.models[agent] },
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
      { kind: "cap", cap },
    );
  }
  if (!wait.inFlight) {
    // A whole cap period that moved the stage no further would repeat forever: stop instead. A second
    // refusal in the same period (the cap was raised, and not enough) is no such stall.
    const { lastCapWait: _, ...content } = state;
    const fingerprint = await sha256Hex(JSON.stringify(content));
    const last = state.lastCapWait;
    if (
      last?.stage === workflow.stage && last.fingerprint === fingerprint && last.until !== undefined &&
      last.until < wait.until
    ) {
      return await stuck(
        deps,
        workflow,
        `${workflow.stage}: a whole period of cap ${cap} brought no progress; raise ${cap} or lower maxTokens`,
        { kind: "cap", cap },
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

async function appendTranscriptSafely(
  deps: PipelineDeps,
  transcript: Transcript,
  exchange: Exchange,
): Promise<void> {
  // The transcript is a record, not the source of truth: a failed append must not lose the turn.
  try {
    await transcript.append({ ts: deps.now(), ...exchange });
  } catch (error) {
    deps.warn?.(`pressroom: transcript of ${transcript.workflowId}: ${(error as Error).message}`);
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
