/**
 * V5: a filled order is signature-checked once, at intake. Counts this process's EdDSA
 * verifications (protocol/eddsa-fast.ts) while orders rest, fill (partly, then fully), are
 * dry-run (FOK) and go into a closed batch: with inline verification each order costs exactly
 * one; with verifier threads (or processes) the venue's thread verifies none, and the verifiers
 * verify each order exactly once.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { eddsaVerifications } from "../../protocol/eddsa-fast.ts";
import { Side } from "../../protocol/types.ts";
import type { VerifyTransport } from "../../sequencer/intake/verify-pool.ts";
import { ADMIN_TOKEN, startVenue, Trader } from "./helpers.ts";

const P = 300_000n;
const ONE = 10_000n;

async function scenario(
  verifyWorkers: number,
): Promise<{ intake: number; rest: number; pool: number; transport: VerifyTransport }> {
  const v = await startVenue({ verifyWorkers });
  try {
    const poolBefore = v.service.verifier.answered;
    const maker = new Trader(`vo-maker-${verifyWorkers}`, 2n);
    const taker = new Trader(`vo-taker-${verifyWorkers}`, 3n);
    for (const t of [maker, taker]) assert.equal((await v.client.deposit(t, 100_000_000_000n)).status, 200);
    const before = eddsaVerifications();
    const place = async (t: Trader, spec: Parameters<Trader["sign"]>[0], status: string) => {
      const r = await v.client.place(t.sign(spec));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.status, status, JSON.stringify(r.body));
    };
    // Two resting asks, then three takers: a partial fill, a FOK (dry run first) and a sweep.
    await place(maker, { side: Side.SELL, size: 3n * ONE, price: P, orderId: 1n }, "resting");
    await place(maker, { side: Side.SELL, size: 2n * ONE, price: P + 100n, orderId: 2n }, "resting");
    const afterIntake = eddsaVerifications();
    await place(taker, { side: Side.BUY, size: ONE, price: P, orderId: 1n }, "filled");
    await place(taker, { side: Side.BUY, size: ONE, price: P, orderId: 2n, tif: "FOK" }, "filled");
    await place(taker, { side: Side.BUY, size: 3n * ONE, price: P + 100n, orderId: 3n }, "filled");
    assert.equal((await v.client.post("/v1/admin/close-batch", {}, ADMIN_TOKEN)).status, 200);
    return {
      intake: afterIntake - before,
      rest: eddsaVerifications() - afterIntake,
      pool: v.service.verifier.answered - poolBefore,
      transport: v.service.verifier.transport,
    };
  } finally {
    await v.cleanup();
  }
}

describe("signature verification once per order", () => {
  test("inline verifier: each order verified once, at intake; fills, FOK dry runs and the batch add none", async () => {
    const { intake, rest } = await scenario(0);
    assert.equal(intake, 2, "two maker orders");
    assert.equal(rest, 3, "three taker orders, one verification each");
  });

  test("verifier threads: the venue's thread verifies nothing when orders fill; the verifiers check each order once", async () => {
    const { intake, rest, pool, transport } = await scenario(1);
    assert.equal(transport, "threads", "the native addon's threads by default");
    assert.equal(intake, 0);
    assert.equal(rest, 0);
    assert.equal(pool, 5, "five orders, one verification each");
  });
});
