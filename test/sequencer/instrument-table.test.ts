/**
 * A batch names at most `profile.instruments` instruments (its instrument table, docs/protocol.md
 * §8). The core's ledger closes the open batch when a trade of a new instrument finds the table
 * full, so the builder (protocol/'s BatchBuilder, which refuses it with BATCH_FULL) never
 * disagrees with it, and each batch posts its own table with every trade naming its entry.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeSlot, l1Calldata, TxType, unpackSlots } from "../../protocol/index.ts";
import { BTC, buy, DEMO, depositTx, ETH, sell, T0, tradeTx, UNIT, USDC } from "../protocol/fixtures.ts";
import { protocolLedger } from "./helpers.ts";

describe("instrument table per batch", () => {
  test("a trade of an instrument beyond the open batch's table opens the next batch; each batch posts its table", () => {
    const profile = { ...DEMO, instruments: 1 };
    const ledger = protocolLedger(profile);
    const now = T0 * 1000n;
    ledger.apply(depositTx(2n, 100_000n * USDC), now);
    ledger.apply(depositTx(3n, 100_000n * USDC), now);
    ledger.closeBatch(now);
    const trade = (instrument: bigint, orderId: bigint, price: bigint) =>
      tradeTx(sell(2n, { instrument, orderId, price }), buy(3n, { instrument, orderId, price }), UNIT, price);
    const at = [
      trade(ETH, 1n, 300_000n),
      trade(ETH, 2n, 300_000n),
      trade(BTC, 3n, 6_000_000n),
      trade(ETH, 4n, 300_000n),
    ].map((tx) => ledger.apply(tx, now));
    assert.deepEqual(
      at.map((a) => [a.batch, a.slot]),
      [
        [2n, 0],
        [2n, 1],
        [3n, 0],
        [4n, 0],
      ],
      "one instrument per batch though a batch has four slots",
    );
    ledger.closeBatch(now);
    const closed = ledger.takeClosed().filter((c) => c.number >= 2n);
    const tables = closed.map((c) => {
      const { header, slots } = l1Calldata(c.batch, { priceRoundIds: [1n, 1n], settlementRoundIds: [] });
      const words = unpackSlots(slots);
      for (let i = 0; i < words.length; i += 2) {
        const slot = decodeSlot(words[i]!, words[i + 1]!);
        if (slot.type === TxType.TRADE) assert.equal(slot.instrumentIndex, 0n, `batch ${c.number}: entry 0`);
      }
      return header.instruments;
    });
    assert.deepEqual(tables, [[ETH], [BTC], [ETH]]);
    assert.equal(ledger.committedRoot, ledger.currentStateRoot(), "the builder built every batch the core closed");
  });
});
