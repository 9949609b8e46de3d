/**
 * Sends the turns recorded for Message Batches (batch_turn.ts), one batch per agent with every turn of that
 * agent recorded by then, records each batch's id as soon as the API returns it, polls open batches every
 * `run.batchPollSeconds`, and when one has ended records each result for its request and makes its
 * workflow ready, so that its stage books the result and goes on. The scheduler calls it on every pass.
 * @module
 */
import type Anthropic from "@anthropic-ai/sdk";
import type { Ledger } from "../ledger/ledger.ts";
import type { BatchRequest } from "../ledger/batch_requests.ts";
import type { WorkflowStore } from "./store.ts";

export interface BatchDispatchDeps {
  ledger: Ledger;
  store: WorkflowStore;
  client: Anthropic;
  now: () => number;
  pollMs: () => number;
}

export class BatchDispatch {
  constructor(readonly deps: BatchDispatchDeps) {}

  /**
   * Creates one batch for each agent's recorded turns, leaving out agents in `busy` (their stages may
   * still record more for the same batch). Returns how many requests were sent.
   */
  async send(busy: (agent: string) => boolean = () => false): Promise<number> {
    const { ledger, client } = this.deps;
    const byAgent = new Map<string, BatchRequest[]>();
    for (const r of ledger.batches.pending()) {
      if (busy(r.agentId)) continue;
      byAgent.set(r.agentId, [...byAgent.get(r.agentId) ?? [], r]);
    }
    let sent = 0;
    for (const requests of byAgent.values()) {
      const batch = await client.messages.batches.create({
        requests: requests.map((r) => ({
          custom_id: r.customId,
          params: r.params as Anthropic.Messages.Batches.BatchCreateParams.Request["params"],
        })),
      });
      ledger.batches.markSent(batch.id, requests.map((r) => r.customId));
      sent += requests.length;
    }
    return sent;
  }

  /** When the next open batch is due a poll (epoch ms), or undefined with none open. */
  nextPollAt(): number | undefined {
    const open = this.deps.ledger.batches.openBatches();
    if (!open.length) return undefined;
    return Math.min(...open.map((b) => (b.polledTs ?? b.sentTs) + this.deps.pollMs()));
  }

  /** Requests of ours in open batches (or recorded and not yet sent, or in doubt). */
  waiting(): number {
    return this.deps.ledger.batches.waitingCount();
  }

  /**
   * Polls the open batches that are due (all of them with `force`); for each that has ended, records its
   * results and makes their workflows ready. Returns the workflows made ready.
   */
  async collect({ force = false } = {}): Promise<string[]> {
    const { ledger, client, now } = this.deps;
    const ready = await this.#resolveDoubts();
    for (const open of ledger.batches.openBatches()) {
      if (!force && (open.polledTs ?? open.sentTs) + this.deps.pollMs() > now()) continue;
      const batch = await client.messages.batches.retrieve(open.batchId);
      ledger.batches.markPolled(open.batchId);
      if (batch.processing_status !== "ended") continue;
      ready.push(...await this.#recordResults(open.batchId, ledger.batches.workflowsIn(open.batchId)));
    }
    return ready;
  }

  /** Records the results of an ended batch that are ours (`ours`: custom_id → workflow) and readies their workflows. */
  async #recordResults(batchId: string, ours: Map<string, string>): Promise<string[]> {
    const { ledger, store, client } = this.deps;
    const workflows = new Set<string>();
    for await (const line of await client.messages.batches.results(batchId)) {
      const workflow = ours.get(line.custom_id);
      if (!workflow) continue;
      ledger.batches.markSent(batchId, [line.custom_id]); // a request in doubt, found in this batch
      if (ledger.batches.recordResult(batchId, line.custom_id, line.result)) workflows.add(workflow);
    }
    for (const workflow of workflows) {
      store.update(workflow, { status: "ready", reason: null, waitUntil: null });
      store.event(workflow, null, "batch_ended", batchId);
    }
    return [...workflows];
  }

  /**
   * Requests a dead process recorded and never saw acknowledged (it died between the create call and
   * recording the batch's id): the batches the API lists since they were recorded, and that no request of
   * ours is known to be in, are searched for their custom_ids once ended. While one of those batches is
   * still in progress, the doubt stands; once all have ended, the requests none held are sent again.
   */
  async #resolveDoubts(): Promise<string[]> {
    const { ledger, client } = this.deps;
    const doubts = ledger.batches.inDoubt();
    if (!doubts.length) return [];
    const ours = new Map(doubts.map((d) => [d.customId, d.workflowId]));
    const since = Math.min(...doubts.map((d) => d.ts)) - CLOCK_SLACK_MS;
    const known = ledger.batches.knownBatchIds();
    const ready: string[] = [];
    let undecided = false;
    for await (const batch of client.messages.batches.list({ limit: 100 })) {
      if (Date.parse(batch.created_at) < since) break; // newest first: the rest are older still
      if (known.has(batch.id)) continue;
      if (batch.processing_status !== "ended") {
        undecided = true;
        continue;
      }
      ready.push(...await this.#recordResults(batch.id, ours));
    }
    if (!undecided) ledger.batches.undoubt(ledger.batches.inDoubt().map((d) => d.customId));
    return ready;
  }
}

/** How far the API's clock and ours may disagree when batches are matched by the time they were created. */
const CLOCK_SLACK_MS = 10 * 60_000;
