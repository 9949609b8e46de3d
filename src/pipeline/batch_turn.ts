/**
 * A batch agent's turn (`agents.<id>.batch`): built exactly as a synchronous turn is (turn.ts), reserved at
 * its worst case at batch prices and recorded with its `custom_id` and the stage's progress before any batch
 * is created; the workflow then waits while the turn is in a batch (batch_dispatch.ts sends and collects).
 * Once its result is in, the stage books it as a synchronous reply: `succeeded` is the turn's answer;
 * `errored` as an invalid request stops the stage as a 400 would; an overloaded or server error, `canceled`
 * and `expired` were not billed: a $0 row, and the turn is sent again.
 * @module
 */
import Anthropic from "@anthropic-ai/sdk";
import { customIdOf } from "../claude/batch_ids.ts";
import { bookBatched, releaseBatched, reserveBatched } from "../claude/call_claude.ts";
import type { BatchRequest } from "../ledger/batch_requests.ts";
import type { StageResult } from "./loop.ts";
import { type Answer, type Progress, type StageRun, turnCall } from "./turn.ts";

/** Records the turn for the next batch and makes the workflow wait for it. */
export async function sendToBatch(run: StageRun, turn: number, progress: Progress): Promise<StageResult> {
  const { deps, agentId, workflow } = run;
  const { call } = turnCall(run, turn, progress);
  await reserveBatched(deps, call, (params, reservation) =>
    deps.ledger.batches.record({
      customId: customIdOf({ agent: agentId, workflow: workflow.id, reservation: reservation.id }),
      reservationId: reservation.id,
      workflowId: workflow.id,
      agentId,
      model: run.model,
      turn,
      params,
      progress,
    }));
  const reason = `in a Message Batch: the ${agentId}'s turn ${turn}`;
  deps.store.update(workflow.id, { status: "waiting", reason, waitUntil: null, state: run.state });
  deps.store.event(workflow.id, agentId, "batched", String(turn));
  return { kind: "waiting", reason, until: deps.now() + deps.config.run.batchPollSeconds * 1000 };
}

/**
 * The answer of a turn whose batch has ended, booked with its tool calls in one transaction; undefined when
 * it was not billed and goes into the next batch. Throws the API's error for a request it refused.
 */
export async function collectedAnswer(run: StageRun, request: BatchRequest): Promise<Answer | undefined> {
  const { deps } = run;
  const reservation = deps.ledger.reservation(request.reservationId);
  const settled = () => deps.ledger.batches.markSettled(request.customId);
  if (!reservation) {
    // Booked already (by a process that took it for dead before batches were adopted): nothing to book twice.
    settled();
    return undefined;
  }
  const result = request.result as BatchResult;
  if (result.type === "succeeded") {
    const { call, answer } = turnCall(run, request.turn, request.progress as Progress);
    const persist = call.persist;
    call.persist = (callId) => {
      persist?.(callId);
      settled();
    };
    const params = request.params as Anthropic.MessageCreateParamsNonStreaming;
    const booked = await bookBatched(deps, call, { params, reservation }, result.message);
    return answer(booked.message, booked.prompt);
  }
  const error = result.type === "errored" ? result.error?.error : undefined;
  const why = error
    ? `batch request errored (${error.type}): ${error.message}; not billed`
    : `batch request ${result.type}: not billed`;
  await releaseBatched(deps, reservation, why, settled);
  if (error?.type === "invalid_request_error") {
    throw new Anthropic.BadRequestError(400, { type: "error", error }, error.message, new Headers());
  }
  return undefined;
}

type BatchResult =
  | { type: "succeeded"; message: Anthropic.Message }
  | { type: "errored"; error?: { error?: { type: string; message: string } } }
  | { type: "canceled" | "expired" };
