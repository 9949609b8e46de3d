/** The SQLite ledger on a real file: reservations, settlement, refusals, orphans, append-only rows. */
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { CostCapError } from "../../src/errors.ts";
import { caps, openLedger, openStorage, rawDb, recordedNano, tempDir } from "../helpers.ts";
import type { ReserveRequest } from "../../src/ledger/ledger.ts";
import { ulid } from "../../src/ids.ts";
import { MIGRATIONS } from "../../src/db/migrations.ts";

const request = (overrides: Partial<ReserveRequest> = {}): ReserveRequest => ({
  agentId: "writer",
  workflowId: "wf-1",
  model: "claude-opus-4-7",
  backend: "anthropic",
  worstCaseNano: 300_000_000,
  ...overrides,
});

const noUsage = { status: "ok" as const, costNano: 0 };

Deno.test("a reservation holds its worst case until settled, then the row holds the real cost", async () => {
  const ledger = openLedger(await tempDir(), caps({ dailyUsd: 1, perModelDailyUsd: {} }));
  const a = ledger.reserve(request());
  const b = ledger.reserve(request({ workflowId: "wf-2" }));
  const c = ledger.reserve(request({ workflowId: "wf-3" }));
  assertEquals(ledger.capStatus()[0].reservedNano, 900_000_000);
  assertThrows(() => ledger.reserve(request({ workflowId: "wf-4" })), CostCapError, "dailyUsd");
  ledger.settle(a, { ...noUsage, costNano: 100_000_000 });
  assertEquals(ledger.capStatus()[0], {
    cap: "dailyUsd",
    scope: "day",
    limitNano: 1_000_000_000,
    spentNano: 100_000_000,
    reservedNano: 600_000_000,
    leftNano: 300_000_000,
    resetsAt: ledger.capStatus()[0].resetsAt,
  });
  ledger.reserve(request({ workflowId: "wf-4" })); // fits now
  ledger.settle(b, noUsage);
  ledger.settle(c, noUsage);
  assertEquals(ledger.openReservations(), 1);
  assertEquals(recordedNano(ledger), 100_000_000);
  ledger.close();
});

Deno.test("a refusal names the cap, the amounts and the reset, and is recorded", async () => {
  const now = Date.parse("2026-11-24T15:00:00Z");
  const ledger = openLedger(await tempDir(), caps({ perModelDailyUsd: { "claude-opus-*": 0.5 } }), () => now);
  ledger.settle(ledger.reserve(request()), { ...noUsage, costNano: 250_000_000 });
  const error = assertThrows(() => ledger.reserve(request()), CostCapError);
  assertEquals(error.breach, {
    cap: 'perModelDailyUsd["claude-opus-*"]',
    limitNano: 500_000_000,
    spentNano: 250_000_000,
    reservedNano: 0,
    requestNano: 300_000_000,
    resetsAt: Date.parse("2026-11-25T00:00:00Z"),
  });
  assertEquals(
    error.message,
    'cost cap perModelDailyUsd["claude-opus-*"] would be exceeded: spent $0.2500 + reserved $0.0000 + this call up to $0.3000 > limit $0.5000; resets 2026-11-25T00:00:00.000Z',
  );
  const refusals = rawDb(ledger).prepare("SELECT cap, request_nano_usd FROM cap_refusal").all();
  assertEquals(refusals.map((r) => ({ ...r })), [{
    cap: 'perModelDailyUsd["claude-opus-*"]',
    request_nano_usd: 300_000_000,
  }]);
  // A Sonnet call is not under the Opus cap.
  ledger.reserve(request({ model: "claude-sonnet-4-6" }));
  ledger.close();
});

Deno.test("the daily cap resets at midnight of the configured zone; the per-workflow cap never does", async () => {
  let now = Date.parse("2026-11-24T23:59:00Z");
  const ledger = openLedger(
    await tempDir(),
    caps({ dailyUsd: 0.5, perWorkflowUsd: 0.7, perModelDailyUsd: {} }),
    () => now,
  );
  ledger.settle(ledger.reserve(request()), { ...noUsage, costNano: 300_000_000 });
  assertThrows(() => ledger.reserve(request({ workflowId: "other" })), CostCapError, "dailyUsd");
  now = Date.parse("2026-11-25T00:00:00Z");
  // A new day: wf-1 still has $0.30 of its $0.70 spent, so $0.40 fits and a nano more does not.
  assertThrows(() => ledger.reserve(request({ worstCaseNano: 400_000_001 })), CostCapError, "perWorkflowUsd");
  ledger.reserve(request({ worstCaseNano: 400_000_000 }));
  ledger.close();
});

Deno.test("ledger rows are append-only, and the field report's cap query works unchanged", async () => {
  const now = Date.parse("2026-05-14T10:00:00Z");
  const ledger = openLedger(await tempDir(), caps(), () => now);
  ledger.settle(ledger.reserve(request()), { ...noUsage, costNano: 123_456_789 });
  ledger.settle(ledger.reserve(request({ model: "claude-sonnet-4-6" })), { ...noUsage, costNano: 1_000 });
  const total = rawDb(ledger).prepare(
    `SELECT COALESCE(SUM(usd_cost),0) as total FROM ai_call_log WHERE model LIKE ? AND DATE(ts/1000,'unixepoch') = ?`,
  ).get("claude-opus-4-7%", "2026-05-14") as { total: number };
  assertEquals(total.total, 0.123456789);
  assertThrows(() => rawDb(ledger).exec("UPDATE ai_call_log SET usd_cost = 0"), Error, "append-only");
  assertThrows(() => rawDb(ledger).exec("DELETE FROM ai_call_log"), Error, "append-only");
  ledger.close();
});

Deno.test("reservations of a dead process are settled at their worst case at the next start", async () => {
  const dir = await tempDir();
  const first = openLedger(dir);
  first.reserve(request());
  const ghost = ulid(); // an owner whose process is gone: no lock file holds it
  rawDb(first).prepare(
    `INSERT INTO reservation (id, owner, agent_id, workflow_instance_id, model, ts, cost_nano_usd, turn, backend)
     VALUES (?, ?, 'researcher', 'wf-9', 'claude-sonnet-4-6', ?, 77000000, 3, 'anthropic')`,
  ).run(ulid(), ghost, Date.now());
  const second = openLedger(dir);
  // The live first process keeps its reservation; the ghost's became an orphaned row.
  assertEquals(second.openReservations(), 1);
  const rows = rawDb(second).prepare("SELECT agent_id, status, cost_nano_usd, turn FROM ai_call_log").all();
  assertEquals(rows.map((r) => ({ ...r })), [{
    agent_id: "researcher",
    status: "orphaned",
    cost_nano_usd: 77_000_000,
    turn: 3,
  }]);
  assertEquals(second.capStatus()[0].spentNano, 77_000_000);
  first.close();
  second.close();
});

Deno.test("closing releases the owner lock file", async () => {
  const dir = await tempDir();
  const ledger = openLedger(dir);
  assertEquals([...Deno.readDirSync(`${dir}/locks`)].length, 1);
  ledger.close();
  assertEquals([...Deno.readDirSync(`${dir}/locks`)].length, 0);
});

Deno.test("a database from a newer Pressroom is refused, not clobbered", async () => {
  const dir = await tempDir();
  openLedger(dir).close();
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(`${dir}/pressroom.db`);
  db.exec("PRAGMA user_version = 99");
  db.close();
  assertThrows(() => openLedger(dir), Error, "schema version 99 is newer");
  assert(Deno.statSync(`${dir}/pressroom.db`).size > 0);
});

Deno.test("a ledger locked by another program: a clear error, nothing reserved, nothing lost", async () => {
  const dir = await tempDir();
  const ledger = openStorage({ dataDir: dir, caps: caps(), busyTimeoutMs: 100 }).ledger;
  ledger.settle(ledger.reserve(request()), { ...noUsage, costNano: 5 });
  const { DatabaseSync } = await import("node:sqlite");
  const other = new DatabaseSync(`${dir}/pressroom.db`);
  other.exec("BEGIN EXCLUSIVE");
  try {
    const error = assertThrows(() => ledger.reserve(request()), Error, "locked by another program");
    assertEquals((error as { exitCode?: number }).exitCode, 1);
  } finally {
    other.exec("ROLLBACK");
    other.close();
  }
  assertEquals(ledger.openReservations(), 0);
  assertEquals(recordedNano(ledger), 5);
  ledger.reserve(request()); // works again once the lock is gone
  ledger.close();
});

Deno.test("what a response changed is saved with its row or not at all, and the row is never lost", async () => {
  const ledger = openLedger(await tempDir(), caps({ dailyUsd: 1, perModelDailyUsd: {} }));
  rawDb(ledger).exec("CREATE TABLE note (text TEXT NOT NULL)");
  const insert = (text: string | null) => () =>
    rawDb(ledger).prepare("INSERT INTO note VALUES (?)").run(text);
  ledger.settle(ledger.reserve(request()), { ...noUsage, costNano: 7 }, insert("saved with its row"));
  // The extra write fails half-way (its second insert breaks NOT NULL): none of it stays, the row does.
  const failing = () => {
    insert("half")();
    insert(null)();
  };
  assertThrows(
    () => ledger.settle(ledger.reserve(request()), { ...noUsage, costNano: 5 }, failing),
    Error,
    "NOT NULL",
  );
  assertEquals(rawDb(ledger).prepare("SELECT text FROM note").all().map((r) => r.text), [
    "saved with its row",
  ]);
  assertEquals(recordedNano(ledger), 12);
  assertEquals(ledger.openReservations(), 0);
  ledger.close();
});

Deno.test("caps count each backend's own spend: the simulated model's dollars never hold back a real call", async () => {
  const ledger = openLedger(await tempDir(), caps({ dailyUsd: 1, perModelDailyUsd: {}, perWorkflowUsd: 1 }));
  try {
    const sim = ledger.reserve(request({ backend: "sim", worstCaseNano: 900_000_000 }));
    ledger.settle(sim, { ...noUsage, costNano: 900_000_000 });
    // The same workflow id and model on the real API: neither the day nor the workflow has spent anything.
    const real = ledger.reserve(request({ worstCaseNano: 900_000_000 }));
    assertEquals(ledger.capStatus({ workflowId: "wf-1" }).map((c) => [c.cap, c.reservedNano, c.spentNano]), [
      ["dailyUsd", 900_000_000, 0],
      ["perWorkflowUsd", 900_000_000, 0],
    ]);
    assertEquals(ledger.capStatus({ backend: "sim" })[0].spentNano, 900_000_000);
    assertEquals(ledger.simulatedSpentTodayNano(), 900_000_000);
    // The simulated world keeps its own caps: it has $0.10 left.
    assertThrows(
      () => ledger.reserve(request({ backend: "sim", workflowId: "wf-2" })),
      CostCapError,
      "dailyUsd",
    );
    ledger.settle(real, { ...noUsage, costNano: 50_000_000 });
    assertEquals([ledger.workflowSpentNano("wf-1"), ledger.workflowSpentNano("wf-1", "anthropic")], [
      950_000_000,
      50_000_000,
    ]);
    const refusals = rawDb(ledger).prepare("SELECT backend FROM cap_refusal").all().map((r) => r.backend);
    assertEquals(refusals, ["sim"]);
  } finally {
    ledger.close();
  }
});

Deno.test("a ledger from before backends were apart migrates: spend per backend, old cap waits ready again", async () => {
  const dir = await tempDir();
  const { DatabaseSync } = await import("node:sqlite");
  const { MIGRATIONS } = await import("../../src/db/migrations.ts");
  const db = new DatabaseSync(`${dir}/pressroom.db`);
  for (const m of MIGRATIONS.slice(0, 4)) db.exec(m);
  db.exec("PRAGMA user_version = 4");
  const now = Date.now();
  const row = db.prepare(
    `INSERT INTO ai_call_log (id, agent_id, workflow_instance_id, model, input_tokens, output_tokens,
       cache_read_tokens, cache_write_tokens, usd_cost, tool_calls_made, tool_calls_succeeded, ts, cost_nano_usd,
       reserved_nano_usd, cache_write_5m_tokens, cache_write_1h_tokens, web_search_requests, status, backend)
     VALUES (?, 'writer', ?, 'claude-opus-4-7', 0, 0, 0, 0, ?, 0, 0, ?, ?, ?, 0, 0, 0, 'ok', ?)`,
  );
  row.run(ulid(), "wf-sim", 0.4, now, 400_000_000, 400_000_000, "sim");
  row.run(ulid(), "wf-real", 0.3, now, 300_000_000, 300_000_000, "anthropic");
  db.exec(`INSERT INTO cap_refusal (ts, cap, agent_id, workflow_instance_id, model, request_nano_usd,
    spent_nano_usd, reserved_nano_usd, limit_nano_usd) VALUES (${now}, 'dailyUsd', 'writer', 'wf-sim',
    'claude-opus-4-7', 1, 1, 0, 1)`);
  const workflow = db.prepare(
    `INSERT INTO workflow (id, topic, created_ts, updated_ts, stage, status, models, state, reason, wait_until)
     VALUES (?, 't', 0, 0, 'writer', 'waiting', '{}', '{}', ?, ?)`,
  );
  workflow.run("wf-capped", "waiting for cap dailyUsd to reset at 2099-01-01T00:00:00.000Z", now + 3_600_000);
  workflow.run("wf-api", "API error, retrying after 2099-01-01T00:00:00.000Z: 529", now + 60_000);
  db.exec(
    `INSERT INTO agent_pause (agent_id, cap, until, ts) VALUES ('writer', 'dailyUsd', ${now + 3_600_000}, 0)`,
  );
  db.close();

  const ledger = openLedger(dir, caps({ dailyUsd: 1, perModelDailyUsd: {} }));
  try {
    assertEquals(ledger.capStatus()[0].spentNano, 300_000_000);
    assertEquals(ledger.capStatus({ backend: "sim" })[0].spentNano, 400_000_000);
    assertEquals(ledger.workflowSpentNano("wf-sim", "sim"), 400_000_000);
    assertEquals(rawDb(ledger).prepare("SELECT backend FROM cap_refusal").get()?.backend, "sim");
    const states = rawDb(ledger).prepare("SELECT id, status, wait_until FROM workflow ORDER BY id").all()
      .map((r) => [r.id, r.status, r.wait_until]);
    assertEquals(states, [["wf-api", "waiting", now + 60_000], ["wf-capped", "ready", null]]);
  } finally {
    ledger.close();
  }
});

Deno.test("what doctor reads of the ledger: schema version, every call row, calls booked above their reservation", async () => {
  let now = Date.parse("2026-11-24T10:00:00Z");
  const ledger = openLedger(await tempDir(), caps(), () => now);
  try {
    assertEquals([ledger.schemaVersion(), ledger.totalCalls()], [MIGRATIONS.length, 0]);
    assertEquals(ledger.overReservation(), { count: 0 });
    ledger.settle(ledger.reserve(request({ worstCaseNano: 100 })), { ...noUsage, costNano: 100 });
    now++;
    const over = ledger.reserve(request({ backend: "sim", worstCaseNano: 100 }));
    ledger.settle(over, { ...noUsage, costNano: 250 });
    now++;
    ledger.settle(ledger.reserve(request({ workflowId: "wf-2" })), { status: "api_error", costNano: 0 });
    assertEquals(ledger.totalCalls(), 3, "failed calls are rows too");
    const latest = {
      id: over.id,
      agentId: "writer",
      workflowId: "wf-1",
      model: "claude-opus-4-7",
      ts: over.ts,
      costNano: 250,
      reservedNano: 100,
    };
    assertEquals(ledger.overReservation(), { count: 1, latest });
    assertEquals(ledger.overReservation({ backend: "sim", since: over.ts }), { count: 1, latest });
    assertEquals(ledger.overReservation({ backend: "anthropic" }), { count: 0 });
    assertEquals(ledger.overReservation({ since: over.ts + 1 }), { count: 0 });
  } finally {
    ledger.close();
  }
});

Deno.test("a dead process's reservation of a request in a Message Batch is adopted, not settled: its result can still be fetched", async () => {
  const dir = await tempDir();
  const first = openLedger(dir);
  const ghost = ulid();
  const [batched, plain] = [ulid(), ulid()];
  const insert = rawDb(first).prepare(
    `INSERT INTO reservation (id, owner, agent_id, workflow_instance_id, model, ts, cost_nano_usd, turn, backend)
     VALUES (?, ?, 'writer', 'wf-9', 'claude-opus-4-7', ?, 50000000, 2, 'anthropic')`,
  );
  insert.run(batched, ghost, Date.now());
  insert.run(plain, ghost, Date.now());
  first.batches.record({
    customId: `writer_wf-9_${batched}`,
    reservationId: batched,
    workflowId: "wf-9",
    agentId: "writer",
    model: "claude-opus-4-7",
    turn: 2,
    params: { model: "claude-opus-4-7" },
    progress: {},
  });
  first.close();
  const second = openLedger(dir);
  // The plain one is booked at its worst case; the batched one stays held, now by the live process.
  const rows = rawDb(second).prepare("SELECT id, status FROM ai_call_log").all().map((r) => ({ ...r }));
  assertEquals(rows, [{ id: plain, status: "orphaned" }]);
  assertEquals(second.reservation(batched)?.reservedNano, 50_000_000);
  const owner = rawDb(second).prepare("SELECT owner FROM reservation WHERE id = ?").get(batched) as {
    owner: string;
  };
  assertEquals(owner.owner, second.owner.id);
  assertEquals(second.capStatus()[0].reservedNano, 50_000_000);
  second.close();
});

Deno.test("a batch request counts on the cap day it was recorded and sent, whenever its result is booked", async () => {
  const clock = { ms: Date.UTC(2026, 11, 7, 23, 50) };
  const ledger = openLedger(await tempDir(), caps({ dailyUsd: 1, perModelDailyUsd: {} }), () => clock.ms);
  const reservation = ledger.reserve(request({ workflowId: "wf-b" }), (r) =>
    ledger.batches.record({
      customId: `writer_wf-b_${r.id}`,
      reservationId: r.id,
      workflowId: "wf-b",
      agentId: "writer",
      model: "claude-opus-4-7",
      turn: 1,
      params: {},
      progress: {},
    }));
  clock.ms += 40 * 60_000; // the batch ends after midnight
  ledger.settle(reservation, { status: "ok", costNano: 120_000_000, batch: true });
  assertEquals(ledger.capStatus()[0].spentNano, 0, "nothing on the new day");
  const row = rawDb(ledger).prepare("SELECT ts, batch FROM ai_call_log").get() as {
    ts: number;
    batch: number;
  };
  assertEquals([row.ts, row.batch], [Date.UTC(2026, 11, 7, 23, 50), 1]);
  clock.ms -= 40 * 60_000;
  assertEquals(ledger.capStatus()[0].spentNano, 120_000_000, "the day it was sent");
  ledger.close();
});
