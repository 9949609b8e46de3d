/**
 * Caps across processes and crashes: two processes sharing one ledger file,
 * and a process killed with SIGKILL while its calls are in flight.
 */
import { assert, assertEquals } from "../assert.ts";
import { costNano, normalizeUsage } from "../../src/pricing/cost.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import { type FakeApi, greedyReply, startFakeApi } from "../fake_api/server.ts";
import { caps, openLedger, pressroomArgs, rawDb, recordedNano, tempDir, TEST_KEY } from "../helpers.ts";

const prices = new PriceBook();

function driver(api: FakeApi, args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: pressroomArgs(args, "tests/fixtures/call_driver.ts"),
    env: { ANTHROPIC_API_KEY: TEST_KEY, ANTHROPIC_BASE_URL: api.url },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function summary(child: Deno.ChildProcess) {
  const { code, stdout, stderr } = await child.output();
  const text = new TextDecoder().decode(stdout);
  assertEquals(code, 0, new TextDecoder().decode(stderr));
  return JSON.parse(text.trim().split("\n").at(-1)!) as { ok: number; refused: number; other: string[] };
}

function billedNano(api: FakeApi): number {
  return api.billed.reduce((n, b) => n + costNano(normalizeUsage(b.usage, "5m"), prices.require(b.model)), 0);
}

Deno.test("two processes sharing one ledger never record more than the cap between them", async () => {
  const api = startFakeApi({ apiKey: TEST_KEY, latencyMs: [5, 80], seed: 3, reply: greedyReply });
  const dir = await tempDir();
  const dailyUsd = 0.3;
  try {
    const [a, b] = await Promise.all([
      summary(driver(api, ["--data", dir, "--calls", "40", "--daily", String(dailyUsd), "--seed", "1"])),
      summary(driver(api, ["--data", dir, "--calls", "40", "--daily", String(dailyUsd), "--seed", "2"])),
    ]);
    assertEquals([a.other, b.other], [[], []], "no errors but cap refusals");
    assertEquals([a.ok + a.refused, b.ok + b.refused], [40, 40]);
    assert(a.ok + b.ok > 0 && a.refused + b.refused > 0, JSON.stringify({ a, b }));
    const ledger = openLedger(dir, caps({ dailyUsd }));
    try {
      const spent = recordedNano(ledger);
      assert(spent <= dailyUsd * 1e9, `recorded $${spent / 1e9} over the $${dailyUsd} cap`);
      assertEquals(spent, billedNano(api));
      assertEquals(ledger.openReservations(), 0);
      assertEquals(api.requests.length, a.ok + b.ok);
    } finally {
      ledger.close();
    }
  } finally {
    await api.close();
  }
});

Deno.test("a process killed with calls in flight: after restart nothing is open and spend covers the bill", async () => {
  let answered = 0;
  const api = startFakeApi({
    apiKey: TEST_KEY,
    // The first few answer quickly and settle; the rest are still in flight at the kill.
    reply: (req) => ({ ...greedyReply(req), delayMs: answered++ < 4 ? 0 : 2_000 }),
  });
  const dir = await tempDir();
  try {
    const child = driver(api, ["--data", dir, "--calls", "12", "--spread", "50"]);
    const deadline = Date.now() + 20_000;
    while (api.requests.length < 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assertEquals(api.requests.length, 12, "every call reached the server before the kill");
    await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGKILL");
    const status = await child.status;
    assertEquals(status.signal, "SIGKILL");
    await child.stdout.cancel();
    await child.stderr.cancel();
    // Let the delayed replies go out: the server bills them even though nobody reads them.
    await new Promise((r) => setTimeout(r, 2_200));

    const ledger = openLedger(dir); // the restart
    try {
      assertEquals(ledger.openReservations(), 0);
      const statuses = rawDb(ledger).prepare(
        "SELECT status, COUNT(*) AS n FROM ai_call_log GROUP BY status ORDER BY status",
      )
        .all().map((r) => [r.status, r.n]);
      assertEquals(statuses, [["ok", 4], ["orphaned", 8]]);
      const spent = recordedNano(ledger);
      const billed = billedNano(api);
      assert(spent >= billed, `recorded $${spent / 1e9} < billed $${billed / 1e9}`);
      assertEquals(ledger.capStatus()[0].spentNano, spent, "the cap sees the orphaned spend");
    } finally {
      ledger.close();
    }
  } finally {
    await api.close();
  }
});
