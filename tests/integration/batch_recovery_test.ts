/**
 * A process killed between creating a Message Batch and recording its id: the next one adopts the
 * reservations, finds the batch by listing recent batches and matching custom_ids, collects it and sends
 * nothing twice; requests no batch holds are sent once every candidate batch has ended.
 */
import { assertEquals } from "../assert.ts";
import { caps, openStorage, rawDb, tempDir } from "../helpers.ts";
import { createClient } from "../../src/claude/client.ts";
import { customIdOf } from "../../src/claude/batch_ids.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import { ulid } from "../../src/ids.ts";
import { BatchDispatch } from "../../src/pipeline/batch_dispatch.ts";
import { WorkflowStore } from "../../src/pipeline/store.ts";
import { createSimulator } from "../../src/sim/simulator.ts";

const HOUR = 3_600_000;

/** A data folder where a dead process left `count` batch requests recorded and, maybe, sent. */
async function deadProcessLeft(count: number) {
  const clock = { ms: Date.UTC(2026, 11, 7, 9) };
  const sim = createSimulator({
    seed: 4,
    quirks: false,
    now: () => clock.ms,
    batches: { processingMs: HOUR },
  });
  const client = createClient({
    apiKey: "sk-ant-test",
    baseURL: "http://sim.invalid",
    fetch: sim.fetch,
    maxRetries: 0,
  });
  const dir = await tempDir();
  const first = openStorage({ dataDir: dir, caps: caps(), now: () => clock.ms });
  const store = new WorkflowStore(rawDb(first.ledger), () => clock.ms);
  const ghost = ulid();
  const requests = [];
  for (let i = 0; i < count; i++) {
    const workflow = store.create({ topic: `Topic ${i}` }, DEFAULT_MODELS).id;
    const reservation = ulid();
    rawDb(first.ledger).prepare(
      `INSERT INTO reservation (id, owner, agent_id, workflow_instance_id, model, ts, cost_nano_usd, turn, backend)
       VALUES (?, ?, 'writer', ?, 'claude-opus-4-7', ?, 40000000, 1, 'anthropic')`,
    ).run(reservation, ghost, workflow, clock.ms);
    const customId = customIdOf({ agent: "writer", workflow, reservation });
    const params = {
      model: "claude-opus-4-7",
      max_tokens: 1024,
      messages: [{ role: "user" as const, content: `Write about topic ${i}.` }],
    };
    first.ledger.batches.record({
      customId,
      reservationId: reservation,
      workflowId: workflow,
      agentId: "writer",
      model: "claude-opus-4-7",
      turn: 1,
      params,
      progress: {},
    });
    store.update(workflow, { status: "waiting", reason: "in a Message Batch", waitUntil: null });
    requests.push({ custom_id: customId, params, workflow });
  }
  first.ledger.close();
  return { clock, client, dir, requests };
}

function reopen(dir: string, clock: { ms: number }, client: ReturnType<typeof createClient>) {
  const { ledger } = openStorage({ dataDir: dir, caps: caps(), now: () => clock.ms });
  const store = new WorkflowStore(rawDb(ledger), () => clock.ms);
  const dispatch = new BatchDispatch({ ledger, store, client, now: () => clock.ms, pollMs: () => 60_000 });
  return { ledger, store, dispatch };
}

Deno.test("killed after the create call, before recording the batch id: the batch is found by its custom_ids and collected, nothing sent twice", async () => {
  const { clock, client, dir, requests } = await deadProcessLeft(2);
  // The dead process's create call went through: the API holds the batch, our ledger has no id for it.
  await client.messages.batches.create({
    requests: requests.map(({ custom_id, params }) => ({ custom_id, params })),
  });
  const { ledger, store, dispatch } = reopen(dir, clock, client);
  // Adopted, in doubt: not sent again while a batch that may hold them is still in progress.
  assertEquals(ledger.batches.inDoubt().length, 2);
  assertEquals(await dispatch.collect({ force: true }), []);
  assertEquals(await dispatch.send(), 0);
  clock.ms += HOUR;
  const ready = await dispatch.collect({ force: true });
  assertEquals(ready.sort(), requests.map((r) => r.workflow).sort());
  assertEquals(requests.map((r) => store.get(r.workflow).status), ["ready", "ready"]);
  assertEquals(ledger.batches.inDoubt().length, 0);
  assertEquals(requests.map((r) => ledger.batches.ended(r.workflow)?.state), ["ended", "ended"]);
  // One batch in all: nothing was sent twice. The reservations wait for their stages to settle them.
  assertEquals((await client.messages.batches.list()).data.length, 1);
  assertEquals(ledger.openReservations(), 2);
  ledger.close();
});

Deno.test("killed before the create call went through: once no recent batch holds them, the requests are sent, once", async () => {
  const { clock, client, dir } = await deadProcessLeft(2);
  // Someone else's batch in the same workspace, still in progress: it might hold ours until it ends.
  await client.messages.batches.create({
    requests: [{
      custom_id: "someone-else-1",
      params: { model: "claude-opus-4-7", max_tokens: 16, messages: [{ role: "user", content: "hi" }] },
    }],
  });
  const { ledger, dispatch } = reopen(dir, clock, client);
  await dispatch.collect({ force: true });
  assertEquals(ledger.batches.inDoubt().length, 2);
  clock.ms += HOUR;
  await dispatch.collect({ force: true });
  assertEquals([ledger.batches.inDoubt().length, ledger.batches.pending().length], [0, 2]);
  assertEquals(await dispatch.send(), 2);
  assertEquals(await dispatch.send(), 0);
  assertEquals((await client.messages.batches.list()).data.length, 2);
  ledger.close();
});
