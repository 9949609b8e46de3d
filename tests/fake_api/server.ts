// deno-lint-ignore-file no-explicit-any
/**
 * A fake Anthropic Messages API on 127.0.0.1 for tests. It checks the shape of
 * every request the real SDK sends (path, headers, key, body layout), refuses
 * with a 400 in the API's words every body the real API refuses (the simulated
 * model's own checks, src/sim/validate.ts), answers with scripted replies, and
 * remembers what it billed, so tests can compare the ledger with what a real
 * API would have charged.
 * @module
 */
import { PriceBook } from "../../src/models/price_book.ts";
import { endsPaused, type Refusal, validateRequest } from "../../src/sim/validate.ts";

export interface Received {
  body: any;
  headers: Headers;
  /** Everything wrong with the request's shape, the API's refusal first; tests expect none. */
  problems: string[];
  /** What the real API would answer instead of a message (also in `problems`). */
  refused?: Refusal;
}

export interface Reply {
  status?: number;
  /** JSON body, or a raw string (for malformed bodies). */
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  /**
   * What the server charges for a 200 whose body does not show it (no usage, a malformed
   * body): the real API bills the work it did whether or not its answer can be read.
   */
  billedUsage?: unknown;
}

export interface FakeApiOptions {
  apiKey: string;
  /** Scripted reply to the n-th request (0-based); the default is `okReply(body)`. */
  reply?: (request: Received, n: number) => Reply | Promise<Reply>;
  /** Random extra latency per request, [min, max] ms, from a seeded generator. */
  latencyMs?: [number, number];
  seed?: number;
}

export interface FakeApi {
  url: string;
  requests: Received[];
  /** Usage of every 200 reply the server sent, i.e. what was billed; `n` indexes `requests`. */
  billed: { model: string; usage: any; n: number }[];
  /** Resolves once no reply is being prepared: replies to timed-out requests are billed late. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** A deterministic generator (mulberry32), so that failures reproduce. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PRICES = new PriceBook();

/** What the real API refuses in this body, checked as the simulated model checks it; models are the tests' own. */
export function apiRefusal(body: any): Refusal | undefined {
  return validateRequest(body, { lookup: (model) => PRICES.lookup(model) });
}

/** What Pressroom should never send, though the API might take it (headers, roles, layout). */
export function checkShape(req: Request, body: any, apiKey: string): string[] {
  const problems: string[] = [];
  const url = new URL(req.url);
  if (req.method !== "POST" || url.pathname !== "/v1/messages") {
    problems.push(`${req.method} ${url.pathname}`);
  }
  if (req.headers.get("authorization") !== `Bearer ${apiKey}`) problems.push("wrong or missing key");
  if (!req.headers.get("anthropic-version")) problems.push("no anthropic-version header");
  for (const h of ["x-pressroom-agent", "x-pressroom-workflow"]) {
    if (!req.headers.get(h)) problems.push(`no ${h} header`);
  }
  const messages = body?.messages;
  if (Array.isArray(messages) && messages.length) {
    if (messages[0].role !== "user") problems.push("first message is not from the user");
    messages.forEach((m: any, i: number) => {
      if (i > 0 && m.role === messages[i - 1].role) problems.push(`messages ${i - 1} and ${i} share a role`);
    });
    // The one assistant message that may come last: a paused turn sent back to be continued.
    if (messages.at(-1).role !== "user" && !endsPaused(messages)) {
      problems.push("last message is from the assistant and is not a paused turn");
    }
  }
  if (body?.system !== undefined && !Array.isArray(body.system)) problems.push("system is not a block list");
  for (const t of body?.tools ?? []) {
    if (!t.type && (typeof t.name !== "string" || t.input_schema?.type !== "object")) {
      problems.push("bad tool");
    }
  }
  return problems;
}

/** A plain successful reply. Input is billed at one token per body byte, output at `outputTokens`. */
export function okReply(
  request: Received,
  extra: { usage?: any; content?: any[]; stop_reason?: string } = {},
): Reply {
  const bytes = new TextEncoder().encode(JSON.stringify(request.body)).length;
  return {
    body: {
      id: `msg_${crypto.randomUUID().slice(0, 8)}`,
      type: "message",
      role: "assistant",
      model: request.body.model,
      content: extra.content ?? [{ type: "text", text: "ok" }],
      stop_reason: extra.stop_reason ?? "end_turn",
      stop_sequence: null,
      usage: extra.usage ?? {
        input_tokens: Math.ceil(bytes / 4),
        output_tokens: Math.min(request.body.max_tokens, 40),
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    },
  };
}

/** Bills every body byte as an input token and all of max_tokens as output: close to the reserved worst case. */
export function greedyReply(request: Received): Reply {
  const bytes = new TextEncoder().encode(JSON.stringify(request.body)).length;
  return okReply(request, { usage: { input_tokens: bytes, output_tokens: request.body.max_tokens } });
}

/** The error body the API sends. */
export function errorReply(status: number, type: string, headers: Record<string, string> = {}): Reply {
  return { status, headers, body: { type: "error", error: { type, message: `fake ${type}` } } };
}

export function startFakeApi(options: FakeApiOptions): FakeApi {
  const requests: Received[] = [];
  const billed: FakeApi["billed"] = [];
  const random = seededRandom(options.seed ?? 1);
  let n = 0;
  let busy = 0;
  let waiters: (() => void)[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    busy++;
    try {
      return await handle(req);
    } finally {
      if (--busy === 0) {
        waiters.forEach((wake) => wake());
        waiters = [];
      }
    }
  });
  async function handle(req: Request): Promise<Response> {
    let text: string;
    try {
      text = await req.text();
    } catch {
      // The client gave up before its body arrived: nothing was received, so nothing is billed.
      return new Response(null, { status: 499 });
    }
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const refused = apiRefusal(body);
    const received: Received = {
      body,
      headers: req.headers,
      problems: [...(refused ? [refused.message] : []), ...checkShape(req, body, options.apiKey)],
      refused,
    };
    requests.push(received);
    const index = n++;
    if (received.problems.length) {
      // The API's own refusal when there is one, in its words; else what Pressroom got wrong.
      const error = refused
        ? { type: refused.type, message: refused.message }
        : { type: "invalid_request_error", message: received.problems.join("; ") };
      return Response.json({ type: "error", error }, {
        status: refused?.status ?? 400,
        headers: { "request-id": `req_fake_${index}` },
      });
    }
    const reply = await (options.reply ?? okReply)(received, index);
    const [lo, hi] = options.latencyMs ?? [0, 0];
    const delay = (reply.delayMs ?? 0) + lo + random() * (hi - lo);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const status = reply.status ?? 200;
    if (status === 200 && reply.billedUsage !== undefined) {
      billed.push({ model: body.model, usage: reply.billedUsage, n: index });
    } else if (status === 200 && typeof reply.body === "object") {
      billed.push({ model: body.model, usage: (reply.body as any).usage, n: index });
    }
    const headers = {
      "content-type": "application/json",
      "request-id": `req_fake_${index}`,
      ...reply.headers,
    };
    return new Response(typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body), {
      status,
      headers,
    });
  }
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    billed,
    idle: () => busy === 0 ? Promise.resolve() : new Promise((wake) => waiters.push(wake)),
    close: () => server.shutdown(),
  };
}
