/**
 * Crash resume: `run` killed with SIGKILL at random moments, again and again,
 * then started again. Each time: no workflow lost, no article published
 * twice, no reservation left open, and never less spend recorded than the API
 * billed. `deno task soak` runs many more kills than the test suite does.
 */
// deno-lint-ignore-file no-explicit-any
import { assert, assertEquals } from "../assert.ts";
import { costNano, normalizeUsage } from "../../src/pricing/cost.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import { isTempName } from "../../src/output/atomic.ts";
import { createSimulator } from "../../src/sim/simulator.ts";
import { seededRandom, startFakeApi } from "../fake_api/server.ts";
import {
  caps,
  openLedger,
  rawDb,
  recordedNano,
  runPressroom,
  spawnRun,
  tempDir,
  TEST_KEY,
} from "../helpers.ts";

const KILLS = Number(Deno.env.get("PRESSROOM_SOAK_KILLS") ?? 6);
const TOPICS = ["Rain gardens", "Window boxes", "Compost tea", "Seed saving"];

Deno.test(`run killed with SIGKILL ${KILLS} times at random moments loses nothing and never undercounts`, async () => {
  const prices = new PriceBook();
  const sim = createSimulator({ seed: 9, prices });
  // The fake API checks each request, answers with the simulator after a delay, and keeps what it billed.
  const api = startFakeApi({
    apiKey: TEST_KEY,
    latencyMs: [20, 120],
    seed: 4,
    reply: async (req) => {
      const response = await sim.handle(
        new Request("http://sim.invalid/v1/messages", {
          method: "POST",
          headers: req.headers,
          body: JSON.stringify(req.body),
        }),
      );
      return {
        status: response.status,
        body: await response.json(),
        headers: Object.fromEntries(response.headers),
      };
    },
  });
  const cwd = await tempDir();
  const data = `${cwd}/pressroom-data`;
  await Deno.mkdir(`${data}/inbox`, { recursive: true });
  for (const topic of TOPICS) {
    await Deno.writeTextFile(`${data}/inbox/${topic.replaceAll(" ", "-")}.txt`, topic);
  }
  const env = { ANTHROPIC_API_KEY: TEST_KEY, ANTHROPIC_BASE_URL: api.url };
  const billed = () =>
    api.billed.reduce((n, b) => n + costNano(normalizeUsage(b.usage, "5m"), prices.require(b.model)), 0);
  const random = seededRandom(KILLS);

  const check = (label: string) => {
    const ledger = openLedger(data, caps()); // the restart: settles what the killed process left open
    try {
      assertEquals(ledger.openReservations(), 0, `${label}: reservations left open`);
      const spent = recordedNano(ledger);
      assert(spent >= billed(), `${label}: recorded ${spent} < billed ${billed()}`);
      const workflows = rawDb(ledger).prepare("SELECT id, status, published_path FROM workflow")
        .all() as any[];
      const inboxLeft = [...Deno.readDirSync(`${data}/inbox`)].filter((e) => e.isFile).length;
      assertEquals(
        workflows.length + inboxLeft,
        TOPICS.length,
        `${label}: a workflow was lost or made twice`,
      );
      const articles = new Map<string, number>();
      for (const e of Deno.readDirSync(`${data}/published`)) {
        // A process killed between writing and linking leaves a hidden temporary copy, not an article:
        // the next `run` removes it once it is stale (see the atomic writes' tests).
        if (isTempName(e.name)) continue;
        const text = Deno.readTextFileSync(`${data}/published/${e.name}`);
        const id = /workflow_id: "([0-9A-Z]+)"/.exec(text)![1];
        articles.set(id, (articles.get(id) ?? 0) + 1);
      }
      for (const [id, n] of articles) assertEquals(n, 1, `${label}: ${id} published ${n} times`);
      return workflows;
    } finally {
      ledger.close();
    }
  };

  try {
    await Deno.mkdir(`${data}/published`, { recursive: true });
    for (let kill = 1; kill <= KILLS; kill++) {
      const child = spawnRun(cwd, env);
      await new Promise((r) => setTimeout(r, 300 + random() * 1500));
      child.kill("SIGKILL");
      await child.status;
      check(`after kill ${kill}`);
    }
    const finish = await runPressroom(cwd, ["run", "--once"], env);
    assertEquals(finish.code, 0, finish.err);
    const workflows = check("at the end");
    for (const w of workflows) {
      assert(["published", "flagged", "stuck"].includes(w.status), `${w.id} ${w.status}`);
    }
    assert(api.billed.length > 0);
  } finally {
    await api.close();
  }
});
