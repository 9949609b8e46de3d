/**
 * US-only inference through callClaude(), the real SDK and the loopback fake API: a response whose
 * `usage.inference_geo` is "us" is booked at 1.1 × its token prices on a model that bills the premium, and
 * the reservation made before the request already held that much, even for a bill as large as the request
 * allows. A model before Opus 4.6 and a "global" response are booked at standard prices.
 */
import { assert, assertEquals } from "../assert.ts";
import { callClaude } from "../../src/claude/call_claude.ts";
import { okReply, type Received, startFakeApi } from "../fake_api/server.ts";
import { deps, openLedger, rawDb, simpleCall, tempDir, TEST_KEY } from "../helpers.ts";

interface Row {
  model: string;
  cost: number;
  reserved: number;
  error: string | null;
  geo: string | null;
}

function rows(ledger: ReturnType<typeof openLedger>): Row[] {
  return rawDb(ledger).prepare(
    `SELECT model, cost_nano_usd AS cost, reserved_nano_usd AS reserved, error, inference_geo AS geo
     FROM ai_call_log ORDER BY id`,
  ).all().map((r) => ({ ...r })) as unknown as Row[];
}

/** 100 in and 200 out, reported as running where `geo` says. */
const small = (geo: string | null) => (req: Received) =>
  okReply(req, { usage: { input_tokens: 100, output_tokens: 200, inference_geo: geo } });

Deno.test("a US-only response is booked at 1.1 × on Opus 4.6, within its reservation; global and Haiku 4.5 at 1 ×", async () => {
  const geos = ["us", "global", "us"];
  const api = startFakeApi({ apiKey: TEST_KEY, reply: (req, n) => small(geos[n])(req) });
  const ledger = openLedger(await tempDir());
  try {
    const d = deps(ledger, api.url);
    const us = await callClaude(d, simpleCall({ model: "claude-opus-4-6" }));
    const global = await callClaude(d, simpleCall({ model: "claude-opus-4-6" }));
    const haiku = await callClaude(d, simpleCall({ model: "claude-haiku-4-5" }));
    // Opus 4.6: 100 × $5 + 200 × $25 per MTok = $0.0055; × 1.1 = $0.00605. Haiku 4.5: 100 × $1 + 200 × $5.
    assertEquals([us.costNano, global.costNano, haiku.costNano], [6_050_000, 5_500_000, 1_100_000]);
    assertEquals(us.usage.inferenceGeo, "us");
    const booked = rows(ledger);
    assertEquals(booked.map((r) => [r.model, r.cost, r.error, r.geo]), [
      ["claude-opus-4-6", 6_050_000, null, "us"],
      ["claude-opus-4-6", 5_500_000, null, "global"],
      ["claude-haiku-4-5", 1_100_000, null, "us"],
    ]);
    for (const r of booked) assert(r.cost <= r.reserved, `${r.model}: ${r.cost} > ${r.reserved}`);
    assertEquals(ledger.openReservations(), 0);
  } finally {
    ledger.close();
    await api.close();
  }
});

Deno.test("the reservation covers the largest US-only bill the request allows: every byte as input, all of max_tokens", async () => {
  // A 60 KB prompt after the last breakpoint: reserved at the input rate, where the estimate's overhead
  // allowance is far less than the 10 % a US-only bill adds. Without the premium in the reservation, the
  // row would be over it.
  const api = startFakeApi({
    apiKey: TEST_KEY,
    reply: (req) => {
      const bytes = new TextEncoder().encode(JSON.stringify(req.body)).length;
      return okReply(req, {
        usage: { input_tokens: bytes, output_tokens: req.body.max_tokens, inference_geo: "us" },
      });
    },
  });
  const ledger = openLedger(await tempDir());
  try {
    const result = await callClaude(
      deps(ledger, api.url),
      simpleCall({ model: "claude-opus-4-7", volatile: "Lighthouses. ".repeat(5000) }),
    );
    const bytes = new TextEncoder().encode(JSON.stringify(api.requests[0].body)).length;
    // (bytes × $5 + 256 × $25 per MTok) × 1.1; both rates are multiples of 10 nano, so exact.
    const expected = (bytes * 5000 + 256 * 25_000) / 10 * 11;
    assertEquals(result.costNano, expected);
    const [row] = rows(ledger);
    assertEquals([row.cost, row.error], [expected, null]);
    assert(row.cost <= row.reserved, `${row.cost} > ${row.reserved}`);
  } finally {
    ledger.close();
    await api.close();
  }
});
