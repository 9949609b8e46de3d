/**
 * Caps under a storm: two processes share one SQLite ledger, and four processes with a data folder each
 * (four machines) share one PostgreSQL ledger (tests/pg_server.ts); each fires rounds of
 * concurrent calls (2,000 in all by default) at the fake API, which answers
 * with random latency and random faults: 429 with retry-after, 529, 500, a
 * malformed 200 body, a 200 without usage, and replies slower than the client's
 * timeout. Afterwards the ledger must show spend under every cap (daily, each
 * model glob, each workflow), no open reservation, and for every call the
 * server saw a row that counts its requests and books at least what it billed.
 * (A connection lost mid-request is not in this mix: the fake API cannot drop
 * one. call_claude_test and api_faults_test book resets at the worst case.)
 *
 * Faults and call plans come from one seed, printed in every assertion message
 * (PRESSROOM_STORM_SEED=<seed> replays them; scheduling still varies). Sizes:
 * PRESSROOM_STORM_CALLS (total, default 2000) and PRESSROOM_STORM_ROUNDS (by
 * default about 250 calls per process per round). The caps scale with the
 * number of calls, so that any size keeps them binding.
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import type { CapsConfig } from "../../src/config/schema.ts";
import { costNano, normalizeUsage } from "../../src/pricing/cost.ts";
import { usdToNano } from "../../src/pricing/money.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import {
  errorReply,
  type FakeApi,
  okReply,
  type Received,
  type Reply,
  seededRandom,
  startFakeApi,
} from "../fake_api/server.ts";
import { pressroomArgs, tempDir, TEST_KEY } from "../helpers.ts";
import { pgRows, postgresMissing, startPostgres } from "../pg_server.ts";
import { globMatches } from "../../src/ledger/caps.ts";

const SEED = Number(Deno.env.get("PRESSROOM_STORM_SEED") ?? Math.floor(Math.random() * 2 ** 31));
const TOTAL_CALLS = Number(Deno.env.get("PRESSROOM_STORM_CALLS") ?? 2000);
// About 250 calls per process per round: many more at once only time out on a two-core machine.
const ROUNDS = Number(Deno.env.get("PRESSROOM_STORM_ROUNDS") ?? Math.max(2, Math.round(TOTAL_CALLS / 500)));
/** Short, so that a reply slower than it costs a fraction of a second, not ten minutes. */
const TIMEOUT_MS = 400;
/** Hard bound on each driver (a few seconds is usual): one still running then is killed, and the test fails. */
const DEADLINE_MS = 30_000 * Math.max(1, TOTAL_CALLS / 2000);

/**
 * Caps that only part of the calls fit, each of them binding at some point: wf-0, which gets a
 * quarter of the calls, meets its cap first, then the opus glob (opus is half the calls and most
 * of the money), then the daily cap, well before sonnet and haiku alone could fill it. The sonnet
 * glob is checked too but rarely binds. A call's worst case is about 3¢ here.
 */
const scale = TOTAL_CALLS / 2000;
const CAPS: CapsConfig = {
  dailyUsd: round2(11 * scale),
  perModelDailyUsd: { "claude-opus-*": round2(7 * scale), "claude-sonnet-*": round2(5 * scale) },
  perWorkflowUsd: round2(2 * scale),
  timezone: "UTC",
};

function round2(usd: number): number {
  return Math.max(0.01, Math.round(usd * 100) / 100);
}

const prices = new PriceBook();
const seedNote = `(seed ${SEED}: rerun with PRESSROOM_STORM_SEED=${SEED})`;

/** FNV-1a: each attempt of each call gets its own generator, whatever order requests arrive in. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The tag the driver puts in each call's volatile block. */
function tagOf(request: Received): string | undefined {
  return JSON.stringify(request.body?.messages ?? "").match(/\[call ([\w-]+)\]/)?.[1];
}

/**
 * A bill up to the worst case: a third of calls bill nearly all of it, the rest a random part; a third ran in
 * the US, billed 1.1x on the models that take it (as the live API reports it in `usage.inference_geo`).
 */
function usageFor(request: Received, random: () => number) {
  const bytes = new TextEncoder().encode(JSON.stringify(request.body)).length;
  const greedy = random() < 0.3;
  const input = greedy ? bytes : Math.ceil(bytes * (0.2 + 0.8 * random()));
  const read = greedy ? 0 : Math.floor(input * 0.5 * random());
  return {
    input_tokens: input - read,
    cache_read_input_tokens: read,
    cache_creation_input_tokens: 0,
    output_tokens: greedy ? request.body.max_tokens : 1 + Math.floor(random() * request.body.max_tokens),
    inference_geo: random() < 1 / 3 ? "us" : "global",
  };
}

type Fault = "429" | "529" | "500" | "malformed" | "no_usage" | "slow" | "ok";

/** What the server does with one attempt of one call: decided by the seed, the call's tag and the attempt. */
function stormReply(request: Received): [Fault, Reply] {
  const attempt = request.headers.get("x-stainless-retry-count") ?? "0";
  const random = seededRandom(hash(`${SEED}:${tagOf(request)}:${attempt}`));
  // A few calls fail every attempt the same way, so that calls also end with retries exhausted.
  const doomed = seededRandom(hash(`${SEED}:${tagOf(request)}`))();
  const roll = doomed < 0.06 ? [0.05, 0.1, 0.15][Math.floor(doomed / 0.02)] : random();
  const latency = random() * 40;
  const brief = () => String(5 + Math.floor(random() * 25));
  if (roll < 0.08) {
    // Both spellings of the API's wait: milliseconds, or (standard) seconds.
    const wait: Record<string, string> = random() < 0.5
      ? { "retry-after-ms": brief() }
      : { "retry-after": "0.02" };
    return ["429", { ...errorReply(429, "rate_limit_error", wait), delayMs: latency }];
  }
  if (roll < 0.14) {
    return ["529", {
      ...errorReply(529, "overloaded_error", { "retry-after-ms": brief() }),
      delayMs: latency,
    }];
  }
  if (roll < 0.19) {
    return ["500", { ...errorReply(500, "api_error", { "retry-after-ms": brief() }), delayMs: latency }];
  }
  const usage = usageFor(request, random);
  if (roll < 0.23) {
    // Cut short on its way back: the API did the work and bills it, but nobody can read the answer.
    const body = '{"id": "msg_cut';
    return ["malformed", { body, headers: { "content-type": "application/json" }, billedUsage: usage }];
  }
  if (roll < 0.27) {
    const reply = okReply(request);
    delete (reply.body as { usage?: unknown }).usage;
    return ["no_usage", { ...reply, billedUsage: usage, delayMs: latency }];
  }
  if (roll < 0.31) {
    // Slower than the client waits: the server still does the work and bills it.
    return ["slow", { ...okReply(request, { usage }), delayMs: TIMEOUT_MS + 100 + random() * 200 }];
  }
  return ["ok", { ...okReply(request, { usage }), delayMs: latency }];
}

interface DriverSummary {
  ok: number;
  refused: Record<string, number>;
  failed: Record<string, number>;
  unexpected: number;
  firstUnexpected: string[];
  rows: Record<string, string>;
}

interface Driver {
  dir: string;
  name: string;
  seed: number;
  perRound: number;
  /** The shared ledger, for drivers on PostgreSQL. */
  ledgerUrl?: string;
  /** The zone its cap days run in, when not the caps' own. */
  timezone?: string;
}

async function runDriver(api: FakeApi, d: Driver): Promise<DriverSummary> {
  const { dir, name, seed } = d;
  const child = new Deno.Command(Deno.execPath(), {
    args: pressroomArgs([
      ...["--data", dir, "--name", name, "--seed", String(seed), "--caps", JSON.stringify(CAPS)],
      ...["--rounds", String(ROUNDS), "--calls", String(d.perRound), "--timeout-ms", String(TIMEOUT_MS)],
      ...(d.timezone ? ["--timezone", d.timezone] : []),
    ], "tests/fixtures/storm_driver.ts"),
    env: {
      ANTHROPIC_API_KEY: TEST_KEY,
      ANTHROPIC_BASE_URL: api.url,
      ...(d.ledgerUrl ? { PRESSROOM_LEDGER_URL: d.ledgerUrl } : {}),
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), DEADLINE_MS);
  try {
    const { code, stdout, stderr } = await child.output();
    const err = new TextDecoder().decode(stderr);
    assertEquals(code, 0, `driver ${name} failed ${seedNote}:\n${err}`);
    const last = new TextDecoder().decode(stdout).trim().split("\n").at(-1)!;
    return JSON.parse(last) as DriverSummary;
  } finally {
    clearTimeout(timer);
  }
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** Recorded spend under every cap, summed from the rows themselves (exact integers, not the roll-ups). */
function spendByCap(rows: Row[]): { cap: string; nano: number; limitNano: number }[] {
  const out: { cap: string; nano: number; limitNano: number }[] = [];
  const add = (cap: string, usd: number, keyOf: (r: Row) => string | undefined) => {
    const sums = new Map<string, number>();
    for (const r of rows) {
      const key = keyOf(r);
      if (key !== undefined) sums.set(key, (sums.get(key) ?? 0) + r.cost_nano_usd);
    }
    for (const [key, nano] of [...sums].sort()) {
      out.push({ cap: `${cap} ${key}`, nano, limitNano: usdToNano(usd) });
    }
  };
  // Days as the ledger counts them (UTC), should the storm straddle midnight.
  const day = (r: Row) => String(Math.floor(r.ts / 86_400_000));
  add("dailyUsd, day", CAPS.dailyUsd, day);
  for (const [glob, usd] of Object.entries(CAPS.perModelDailyUsd)) {
    add(`perModelDailyUsd["${glob}"], day`, usd, (r) => globMatches(glob, r.model) ? day(r) : undefined);
  }
  add("perWorkflowUsd,", CAPS.perWorkflowUsd, (r) => r.workflow_instance_id);
  return out;
}

/** What the storm left in the ledger, as the drivers left it. */
interface LedgerView {
  rows: Row[];
  open: number;
  refusals: number;
}

const ROW_COLUMNS =
  "id, status, cost_nano_usd, reserved_nano_usd, attempts, error, ts, model, workflow_instance_id";

/**
 * The SQLite file as the drivers left it. Storage.open would settle what they left open as orphans and so
 * hide the very leak this test looks for.
 */
function sqliteView(dir: string): LedgerView {
  const db = new DatabaseSync(join(dir, "pressroom.db"), { readOnly: true });
  try {
    return {
      rows: db.prepare(`SELECT ${ROW_COLUMNS} FROM ai_call_log`).all() as unknown as Row[],
      open: (db.prepare("SELECT COUNT(*) AS n FROM reservation").get() as { n: number }).n,
      refusals: (db.prepare("SELECT COUNT(*) AS n FROM cap_refusal").get() as { n: number }).n,
    };
  } finally {
    db.close();
  }
}

async function postgresView(url: string): Promise<LedgerView> {
  const count = async (table: string) =>
    (await pgRows<{ n: number }>(url, `SELECT COUNT(*)::int AS n FROM ${table}`))[0].n;
  const rows = (await pgRows(url, `SELECT ${ROW_COLUMNS} FROM ai_call_log`)).map((r) => ({
    ...r,
    cost_nano_usd: Number(r.cost_nano_usd),
    reserved_nano_usd: Number(r.reserved_nano_usd),
    ts: Number(r.ts),
  })) as Row[];
  return { rows, open: await count("reservation"), refusals: await count("cap_refusal") };
}

interface Row {
  id: string;
  status: string;
  cost_nano_usd: number;
  reserved_nano_usd: number;
  attempts: number | null;
  error: string | null;
  ts: number;
  model: string;
  workflow_instance_id: string;
}

/** A storm's processes: how many, and where each keeps its ledger. */
interface StormSetup {
  processes: number;
  /** Each process's data folder. */
  dirs: string[];
  /** The shared ledger they all use, if any. */
  ledgerUrl?: string;
  /** Each process's cap-day zone, if they differ. */
  timezones?: string[];
  /** Reads what they left. */
  view: () => LedgerView | Promise<LedgerView>;
}

Deno.test("cap storm: two processes on one SQLite ledger, rounds of concurrent calls, random faults: no cap is passed, nothing is left open", async () => {
  const dir = await tempDir();
  await storm({ processes: 2, dirs: [dir, dir], view: () => sqliteView(dir) });
  // Kept (in storm) when something broke, for a look at the rows.
  await Deno.remove(dir, { recursive: true });
});

const pgMissing = postgresMissing();
Deno.test({
  name:
    "cap storm: four machines in four time zones on one PostgreSQL ledger, rounds of concurrent calls, random faults: no cap is passed, nothing is left open",
  ignore: pgMissing !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const server = await startPostgres();
    try {
      const url = await server.database("storm");
      const dirs = await Promise.all([0, 1, 2, 3].map(() => tempDir()));
      // Four machines whose cap days start at four different hours: one lock orders them all the same.
      const timezones = ["UTC", "Pacific/Kiritimati", "America/Adak", "Asia/Kolkata"];
      await storm({ processes: 4, dirs, ledgerUrl: url, timezones, view: () => postgresView(url) });
    } finally {
      await server.close();
    }
  },
});
if (pgMissing) console.log(`PostgreSQL cap storm skipped: ${pgMissing}`);

async function storm(setup: StormSetup): Promise<void> {
  const { processes: PROCESSES } = setup;
  const PER_ROUND = Math.ceil(TOTAL_CALLS / PROCESSES / ROUNDS);
  const started = performance.now();
  const served: Record<string, number> = {};
  const api = startFakeApi({
    apiKey: TEST_KEY,
    reply: (request) => {
      const [fault, reply] = stormReply(request);
      served[fault] = (served[fault] ?? 0) + 1;
      return reply;
    },
  });
  let drivers: DriverSummary[];
  try {
    drivers = await Promise.all(
      setup.dirs.map((dir, p) =>
        runDriver(api, {
          dir,
          name: `p${p}`,
          seed: SEED + p + 1,
          perRound: PER_ROUND,
          ledgerUrl: setup.ledgerUrl,
        })
      ),
    );
    // Replies to timed-out requests are still on their way, and billed when they go out.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const quiet = await Promise.race([
      api.idle().then(() => true),
      new Promise<boolean>((r) => timer = setTimeout(() => r(false), 10_000)),
    ]);
    clearTimeout(timer);
    assertEquals(quiet, true, `the server was still answering 10 s after the drivers ended ${seedNote}`);
  } finally {
    await api.close();
  }
  const stormMs = Math.round(performance.now() - started);

  const { rows, open, refusals } = await setup.view();
  {
    const calls = drivers.reduce((n, d) => n + d.ok + sum(d.refused) + sum(d.failed) + d.unexpected, 0);
    const ok = drivers.reduce((n, d) => n + d.ok, 0);
    const refusedBy: Record<string, number> = {};
    const failedBy: Record<string, number> = {};
    for (const d of drivers) {
      for (const [cap, n] of Object.entries(d.refused)) refusedBy[cap] = (refusedBy[cap] ?? 0) + n;
      for (const [kind, n] of Object.entries(d.failed)) failedBy[kind] = (failedBy[kind] ?? 0) + n;
    }
    const refused = sum(refusedBy);
    const recorded = rows.reduce((n, r) => n + r.cost_nano_usd, 0);
    const billedByTag = new Map<string, number>();
    for (const b of api.billed) {
      const tag = tagOf(api.requests[b.n])!;
      const nano = costNano(normalizeUsage(b.usage, "5m"), prices.require(b.model));
      billedByTag.set(tag, (billedByTag.get(tag) ?? 0) + nano);
    }
    const billed = [...billedByTag.values()].reduce((a, b) => a + b, 0);
    const spend = spendByCap(rows);
    const usd = (nano: number) => `$${(nano / 1e9).toFixed(4)}`;
    console.log([
      `storm ${seedNote}: ${calls} calls, ${PROCESSES} processes × ${ROUNDS} rounds, ${stormMs} ms`,
      `  ${ok} ok, ${refused} refused ${JSON.stringify(refusedBy)}, failed ${JSON.stringify(failedBy)}`,
      `  ${api.requests.length} requests answered ${JSON.stringify(served)}`,
      `  recorded ${usd(recorded)}, billed ${usd(billed)}`,
      ...spend.filter((s) => !s.cap.startsWith("perWorkflowUsd"))
        .map((s) => `  ${s.cap}: ${usd(s.nano)} of ${usd(s.limitNano)}`),
      `  perWorkflowUsd ${usd(usdToNano(CAPS.perWorkflowUsd))}: ` +
      spend.filter((s) => s.cap.startsWith("perWorkflowUsd")).map((s) => `${s.cap.slice(16)} ${usd(s.nano)}`)
        .join(", "),
    ].join("\n"));

    // Every broken promise is listed, so that one failing run shows all of them at once.
    const broken: string[] = [];
    const expect = (holds: boolean, what: string) => holds || broken.push(what);
    const examples = (list: string[]) => `${list.length}, e.g. ${list.slice(0, 3).join("; ")}`;

    // Every call ended in one of the expected ways, and the storm really pushed against every cap.
    for (const u of drivers.flatMap((d) => d.firstUnexpected)) broken.push(`unexpected error: ${u}`);
    expect(
      calls === PROCESSES * ROUNDS * PER_ROUND,
      `${calls} outcomes for ${PROCESSES * ROUNDS * PER_ROUND} calls`,
    );
    expect(ok > 0 && refused > 0, "the caps should fit only some of the calls");
    for (const cap of ["dailyUsd", 'perModelDailyUsd["claude-opus-*"]', "perWorkflowUsd"]) {
      expect(refusedBy[cap] > 0, `no call was refused by ${cap}: the storm did not reach it`);
    }
    for (const fault of ["429", "529", "500", "malformed", "no_usage", "slow"]) {
      expect(served[fault] > 0, `the server never answered ${fault}: that fault was not exercised`);
    }
    for (const kind of ["429", "529", "500", "bad_response"]) {
      expect(failedBy[kind] > 0, `no call ended in ${kind}: that ending was not exercised`);
    }
    expect(rows.some((r) => (r.attempts ?? 0) > 1), "no call was retried");

    // The caps held, and nothing is left open.
    for (const s of spend) {
      expect(s.nano <= s.limitNano, `recorded spend passed ${s.cap}: ${usd(s.nano)} > ${usd(s.limitNano)}`);
    }
    expect(open === 0, `${open} reservations left open`);
    const orphaned = rows.filter((r) => r.status === "orphaned").length;
    expect(orphaned === 0, `${orphaned} orphaned rows, though no process died`);
    expect(refusals === refused, `${refusals} refusals recorded for ${refused} calls refused`);
    // The cap check only ever saw a call's reservation: a row booked above it can pass a cap. This
    // server never reports more usage than a request allows, so no row here may be such an anomaly.
    const above = rows.filter((r) => r.cost_nano_usd > r.reserved_nano_usd)
      .map((r) => `${r.id} ${r.status} ${r.attempts} attempts: ${r.cost_nano_usd} > ${r.reserved_nano_usd}`);
    expect(above.length === 0, `rows booked above their reservation: ${examples(above)}`);

    // Every request the server saw belongs to a call whose one ledger row counts it and covers its bill.
    const byId = new Map(rows.map((r) => [r.id, r]));
    const rowOf = new Map(drivers.flatMap((d) => Object.entries(d.rows)));
    expect(
      byId.size === rowOf.size,
      `${byId.size} ledger rows for ${rowOf.size} calls that were not refused`,
    );
    const sent = new Map<string, number>();
    for (const [n, request] of api.requests.entries()) {
      const tag = tagOf(request) ?? "?";
      sent.set(tag, (sent.get(tag) ?? 0) + 1);
      expect(request.problems.length === 0, `request ${n} is malformed: ${request.problems.join(", ")}`);
      expect(rowOf.has(tag), `request ${n} (call ${tag}) has no ledger row`);
    }
    const uncounted: string[] = [];
    const short: string[] = [];
    for (const [tag, id] of rowOf) {
      const row = byId.get(id);
      if (!row) {
        broken.push(`call ${tag}: its row ${id} is missing`);
        continue;
      }
      if ((row.attempts ?? 0) < (sent.get(tag) ?? 0)) {
        uncounted.push(`${tag}: ${sent.get(tag)} requests, ${row.attempts} attempts`);
      }
      if (row.cost_nano_usd < (billedByTag.get(tag) ?? 0)) {
        short.push(
          `${tag} ${row.status} (${row.error}): booked ${row.cost_nano_usd}, billed ${billedByTag.get(tag)}`,
        );
      }
    }
    expect(uncounted.length === 0, `rows counting fewer attempts than requests sent: ${examples(uncounted)}`);
    expect(short.length === 0, `calls booked below what the server billed: ${examples(short)}`);
    expect(recorded >= billed, `recorded ${usd(recorded)} < billed ${usd(billed)}`);
    assertEquals(
      broken,
      [],
      `the storm broke ${broken.length} promises ${seedNote}; ledger kept in ${
        setup.ledgerUrl ?? setup.dirs[0]
      }`,
    );
  }
}
