/**
 * The simulated model's Message Batches API (`/v1/messages/batches`): create, retrieve, list, cancel and
 * results, with the API's shapes (SDK 1.12 `MessageBatch`, `MessageBatchIndividualResponse`) on the
 * simulator's clock. A batch ends `processingMs` after it was created; then each request is answered as
 * `/v1/messages` would answer it, billed at batch prices (`usage.service_tier` "batch"), and its result is
 * `succeeded`, or `errored` (an invalid request, or at `errorRate` an overloaded or server error). A batch
 * canceled before it ends has its requests canceled; one that has not ended 24 hours after it was created
 * has them expired. Cache hits inside a batch are best effort: a request reads the cache at `cacheRate`.
 * Results come back as JSONL in an order of their own. The role a request plays comes from its `custom_id`
 * (batch_ids.ts), where a synchronous call carries it in the `x-pressroom-agent` header.
 * @module
 */
import { parseCustomId } from "../claude/batch_ids.ts";
import { createRng, hashString, type Rng } from "./rng.ts";

/** How the simulated batches behave; every field has a default. */
export interface BatchPlan {
  /** How long a batch takes to end, ms after it was created (default 0: ended at the next look). */
  processingMs?: number;
  /** Chance that a valid request errors anyway, as overloaded or as a server error (default 0). */
  errorRate?: number;
  /** Chance that a request reads the prompt cache (default 1); a miss still writes it. */
  cacheRate?: number;
  /**
   * How the n-th batch created (0-based) ends instead of being answered: canceled (as by someone in the
   * Console), expired, or every request errored (refused as invalid, or overloaded); undefined to answer it.
   */
  endAs?: (batchIndex: number) => "canceled" | "expired" | "invalid" | "overloaded" | undefined;
}

/** One request answered inside a batch: what `/v1/messages` answered, and whether it read the cache. */
export type AnswerOne = (
  body: unknown,
  meta: { agent: string; workflow: string; readCache: boolean },
) => Promise<
  Response
>;

/** A batch expires this long after it was created, as the API's do. */
export const BATCH_EXPIRY_MS = 24 * 60 * 60_000;
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

type Result =
  | { type: "succeeded"; message: unknown }
  | { type: "errored"; error: { type: "error"; error: { type: string; message: string } } }
  | { type: "canceled" }
  | { type: "expired" };

interface Batch {
  id: string;
  index: number;
  createdAt: number;
  cancelAt?: number;
  endedAt?: number;
  requests: { custom_id: string; params: unknown }[];
  results?: { custom_id: string; result: Result }[];
}

type Counts = Record<"processing" | "succeeded" | "errored" | "canceled" | "expired", number>;

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

function apiError(status: number, type: string, message: string): Response {
  return Response.json({ type: "error", error: { type, message } }, { status });
}

export class SimBatches {
  readonly #batches: Batch[] = [];
  readonly #rng: Rng;

  constructor(
    readonly plan: BatchPlan,
    readonly now: () => number,
    readonly answer: AnswerOne,
    seed: number,
  ) {
    this.#rng = createRng(hashString(`batches:${seed}`));
  }

  /** Answers a request under `/v1/messages/batches`; `path` without the query. */
  async handle(request: Request, path: string): Promise<Response> {
    const url = new URL(request.url);
    const [, id, action] = path.replace(/^\/v1\/messages\/batches/, "").split("/");
    if (!id) {
      if (request.method === "POST") return this.#create(request);
      if (request.method === "GET") return await this.#list(url, request);
    } else {
      const batch = this.#batches.find((b) => b.id === id);
      if (!batch) return apiError(404, "not_found_error", `No batch found with id ${id}.`);
      await this.#settle(batch);
      if (request.method === "GET" && action === undefined) return Response.json(this.#view(batch, url));
      if (request.method === "POST" && action === "cancel") {
        if (batch.endedAt === undefined) batch.cancelAt ??= this.now();
        await this.#settle(batch);
        return Response.json(this.#view(batch, url));
      }
      if (request.method === "GET" && action === "results") return this.#results(batch);
    }
    return apiError(404, "not_found_error", `Not found: ${request.method} ${path}`);
  }

  async #create(request: Request): Promise<Response> {
    let body: { requests?: { custom_id?: unknown; params?: unknown }[] };
    try {
      body = await request.json();
    } catch {
      return apiError(400, "invalid_request_error", "The request body is not valid JSON.");
    }
    const requests = body?.requests;
    if (!Array.isArray(requests) || requests.length === 0) {
      return apiError(400, "invalid_request_error", "requests: at least one request is required");
    }
    const seen = new Set<string>();
    for (const [i, r] of requests.entries()) {
      if (typeof r?.custom_id !== "string" || !CUSTOM_ID.test(r.custom_id)) {
        return apiError(
          400,
          "invalid_request_error",
          `requests.${i}.custom_id: must match ^[a-zA-Z0-9_-]{1,64}$`,
        );
      }
      if (seen.has(r.custom_id)) {
        return apiError(
          400,
          "invalid_request_error",
          `requests.${i}.custom_id: ${r.custom_id} is not unique`,
        );
      }
      if (!r.params || typeof r.params !== "object") {
        return apiError(400, "invalid_request_error", `requests.${i}.params: Field required`);
      }
      seen.add(r.custom_id);
    }
    const created = this.now();
    const batch: Batch = {
      index: this.#batches.length,
      id: `msgbatch_sim_${
        hashString(`${created}:${this.#batches.length}`).toString(36)
      }${this.#batches.length}`,
      createdAt: created,
      requests: requests as Batch["requests"],
    };
    this.#batches.push(batch);
    return Response.json(this.#view(batch, new URL(request.url)));
  }

  async #list(url: URL, request: Request): Promise<Response> {
    // A batch whose time has come shows as ended in the list too.
    for (const batch of this.#batches) await this.#settle(batch);
    const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get("limit") ?? 20) || 20));
    const after = url.searchParams.get("after_id");
    const newestFirst = [...this.#batches].reverse();
    const start = after ? newestFirst.findIndex((b) => b.id === after) + 1 : 0;
    const page = newestFirst.slice(start, start + limit);
    const origin = new URL(request.url);
    return Response.json({
      data: page.map((b) => this.#view(b, origin)),
      has_more: start + limit < newestFirst.length,
      first_id: page[0]?.id ?? null,
      last_id: page.at(-1)?.id ?? null,
    });
  }

  /** Ends the batch when its time has come: answers, cancels or expires its requests. */
  async #settle(batch: Batch): Promise<void> {
    if (batch.endedAt !== undefined) return;
    const now = this.now();
    const processingMs = this.plan.processingMs ?? 0;
    const endsAt = batch.createdAt + processingMs;
    let outcome: "answer" | "canceled" | "expired" | "invalid" | "overloaded";
    const scripted = this.plan.endAs?.(batch.index);
    if (scripted && now >= endsAt) outcome = scripted;
    else if (batch.cancelAt !== undefined && batch.cancelAt < endsAt) outcome = "canceled";
    else if (processingMs >= BATCH_EXPIRY_MS && now >= batch.createdAt + BATCH_EXPIRY_MS) outcome = "expired";
    else if (now >= endsAt && processingMs < BATCH_EXPIRY_MS) outcome = "answer";
    else return;
    batch.endedAt = scripted
      ? now
      : outcome === "expired"
      ? batch.createdAt + BATCH_EXPIRY_MS
      : outcome === "canceled"
      ? batch.cancelAt!
      : Math.max(now, endsAt);
    const results: Batch["results"] = [];
    for (const r of batch.requests) {
      results.push({
        custom_id: r.custom_id,
        result: outcome === "answer"
          ? await this.#answer(r)
          : outcome === "invalid"
          ? errored("invalid_request_error", "messages: the request was refused (simulated)")
          : outcome === "overloaded"
          ? errored("overloaded_error", "Overloaded")
          : { type: outcome },
      });
    }
    batch.results = results;
  }

  async #answer(request: Batch["requests"][number]): Promise<Result> {
    const { agent, workflow } = parseCustomId(request.custom_id) ?? { agent: "", workflow: "" };
    const readCache = this.#rng.chance(this.plan.cacheRate ?? 1);
    if (this.#rng.chance(this.plan.errorRate ?? 0)) {
      const overloaded = this.#rng.chance(0.5);
      return errored(
        overloaded ? "overloaded_error" : "api_error",
        overloaded ? "Overloaded" : "Internal server error",
      );
    }
    const response = await this.answer(request.params, { agent, workflow, readCache });
    const json = await response.json();
    if (response.ok) return { type: "succeeded", message: json };
    return errored(json?.error?.type ?? "api_error", json?.error?.message ?? `status ${response.status}`);
  }

  #results(batch: Batch): Response {
    if (!batch.results) {
      return apiError(400, "invalid_request_error", `Batch ${batch.id} has not ended: no results yet.`);
    }
    // In an order of their own, as the API returns them.
    const lines = [...batch.results].sort((a, b) =>
      hashString(`${batch.id}:${a.custom_id}`) - hashString(`${batch.id}:${b.custom_id}`)
    );
    return new Response(lines.map((l) => JSON.stringify(l)).join("\n") + "\n", {
      headers: { "content-type": "application/binary" },
    });
  }

  #view(batch: Batch, origin: URL) {
    const counts: Counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    if (!batch.results) counts.processing = batch.requests.length;
    for (const r of batch.results ?? []) counts[r.result.type]++;
    const ended = batch.endedAt !== undefined;
    return {
      id: batch.id,
      type: "message_batch",
      processing_status: ended ? "ended" : batch.cancelAt !== undefined ? "canceling" : "in_progress",
      request_counts: counts,
      created_at: iso(batch.createdAt),
      expires_at: iso(batch.createdAt + BATCH_EXPIRY_MS),
      ended_at: iso(batch.endedAt),
      cancel_initiated_at: iso(batch.cancelAt),
      archived_at: null,
      results_url: ended ? `${origin.origin}/v1/messages/batches/${batch.id}/results` : null,
    };
  }
}

function errored(type: string, message: string): Result {
  return { type: "errored", error: { type: "error", error: { type, message } } };
}
