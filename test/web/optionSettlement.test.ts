/**
 * What a settled option series shows: its intrinsic value per contract, a position's outcome,
 * the wording of a settled position, and the venue's settlement records merged with live ones.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { encodeInstrument } from "../../protocol/instruments.ts";
import { InstrumentKind } from "../../protocol/types.ts";
import type { Instrument, Settlement } from "../../web/lib/api.ts";
import { settlementOf, settlementOutcome } from "../../web/components/options/analytics.ts";
import { describeSettlement, mergeSettlement } from "../../web/components/options/settledPositions.ts";

function option(kind: "call" | "put", strike: bigint): Instrument {
  const expiry = 1_795_000_000n;
  const instrument = encodeInstrument({
    underlying: 1,
    kind: kind === "call" ? InstrumentKind.CALL : InstrumentKind.PUT,
    strike,
    expiry,
  });
  return {
    instrument,
    name: `ETH-x-${strike}-${kind === "call" ? "C" : "P"}`,
    kind,
    underlying: 1,
    strike,
    expiry,
    tickSize: 100n,
    lotSize: 100n,
    minSize: 100n,
    minNotional: 10_000_000n,
    status: "settled",
    settlementPrice: null,
  };
}

test("intrinsic value per contract at the settlement price, none while awaiting it", () => {
  assert.deepEqual(settlementOf(option("call", 300_000n), 305_000n), { price: 305_000n, intrinsic: 5_000n });
  assert.deepEqual(settlementOf(option("put", 300_000n), 305_000n), { price: 305_000n, intrinsic: 0n });
  assert.deepEqual(settlementOf(option("put", 310_000n), 305_000n), { price: 305_000n, intrinsic: 5_000n });
  assert.equal(settlementOf(option("call", 300_000n), null), null);
});

test("a settled position is worth size × intrinsic; its PnL subtracts the cost", () => {
  const settlement = settlementOf(option("call", 300_000n), 305_000n)!;
  // Long 1 ETH (10,000 size units) bought for 200 USD (cost 200,000,000 base units).
  assert.deepEqual(settlementOutcome({ size: 10_000n, cost: 200_000_000n }, settlement), {
    value: 50_000_000n,
    pnl: -150_000_000n,
  });
  // The writer: short 1, premium received (negative cost).
  assert.deepEqual(settlementOutcome({ size: -10_000n, cost: -200_000_000n }, settlement), {
    value: -50_000_000n,
    pnl: 150_000_000n,
  });
});

test("a settled position reads: settled at the price, intrinsic per contract, worth and PnL", () => {
  const settlement = settlementOf(option("call", 300_000n), 305_000n)!;
  assert.equal(
    describeSettlement({ ...settlement, value: 50_000_000n, pnl: -150_000_000n }),
    "Settled at 3,050.00: 50.00 per contract, worth +50.00 USDC (PnL −150.00)",
  );
  assert.match(
    describeSettlement({ price: 290_000n, intrinsic: 0n, value: 0n, pnl: 120_000_000n }),
    /^Settled at 2,900\.00: 0\.00 per contract, worth 0\.00 USDC \(PnL \+120\.00\)$/,
  );
});

describe("settlement records from the venue and its stream", () => {
  const record = (batch: number, slot: number, pnl: bigint): Settlement => ({
    accountId: 2n,
    instrument: option("call", 300_000n).instrument,
    name: "ETH-x-300000-C",
    size: 10_000n,
    price: 305_000n,
    roundId: 7n,
    value: 50_000_000n,
    cost: 200_000_000n,
    pnl,
    batch,
    slot,
    time: 1_795_000_010n,
  });

  test("a live record joins the list newest first (by batch, then slot)", () => {
    const listed = [record(5, 3, 1n), record(5, 1, 2n), record(2, 7, 3n)];
    assert.deepEqual(
      mergeSettlement(listed, record(5, 2, 4n)).map((s) => [s.batch, s.slot]),
      [
        [5, 3],
        [5, 2],
        [5, 1],
        [2, 7],
      ],
    );
    assert.deepEqual(
      mergeSettlement(listed, record(6, 0, 5n)).map((s) => s.pnl),
      [5n, 1n, 2n, 3n],
    );
    assert.deepEqual(mergeSettlement([], record(1, 1, 9n)), [record(1, 1, 9n)]);
  });

  test("a record already listed (same batch and slot) is replaced, not repeated", () => {
    const merged = mergeSettlement([record(5, 3, 1n), record(2, 7, 3n)], record(5, 3, 8n));
    assert.deepEqual(
      merged.map((s) => [s.batch, s.slot, s.pnl]),
      [
        [5, 3, 8n],
        [2, 7, 3n],
      ],
    );
  });
});
