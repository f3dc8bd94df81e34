/**
 * A batch carries at most `profile.deposits` deposit records (docs/protocol.md §8). The core's
 * ledger closes the open batch when a deposit finds them all used, so the builder (protocol/'s
 * BatchBuilder, which refuses a further deposit with BATCH_FULL) never disagrees with it, and the
 * batch it builds posts one record per deposit, in slot order.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { l1Calldata, TxType, unpackSlots } from "../../protocol/index.ts";
import { DEMO, depositTx, ownerOf, pkHashOf, T0, USDC } from "../protocol/fixtures.ts";
import { protocolLedger } from "./helpers.ts";

describe("deposit records per batch", () => {
  test("a deposit beyond the open batch's D records opens the next batch; each batch posts its own records", () => {
    const profile = { ...DEMO, deposits: 2 };
    const ledger = protocolLedger(profile);
    const now = T0 * 1000n;
    const at = [2n, 3n, 4n, 5n, 6n].map((id) => ledger.apply(depositTx(id, 10n * USDC), now));
    assert.deepEqual(
      at.map((a) => [a.batch, a.slot]),
      [
        [1n, 0],
        [1n, 1],
        [2n, 0],
        [2n, 1],
        [3n, 0],
      ],
      "two deposits per batch though a batch has four slots",
    );
    ledger.closeBatch(now);
    const closed = ledger.takeClosed();
    assert.deepEqual(
      closed.map((c) => c.number),
      [1n, 2n, 3n],
    );
    for (const [i, c] of closed.entries()) {
      const { header, slots } = l1Calldata(c.batch, { priceRoundIds: [1n, 1n], settlementRoundIds: [] });
      const ids = c.batch.witnesses.flatMap((w) => (w.tx.type === TxType.DEPOSIT ? [w.tx.accountId] : []));
      assert.deepEqual(ids, [2n, 3n, 4n, 5n, 6n].slice(2 * i, 2 * i + 2));
      assert.deepEqual(
        header.deposits,
        [...ids.flatMap((id) => [ownerOf(id), pkHashOf(id)]), 0n, 0n].slice(0, 4),
        `batch ${c.number}: a record per deposit, in slot order, the rest 0`,
      );
      assert.equal(unpackSlots(slots).length, 2 * profile.nTx);
    }
    assert.equal(ledger.committedRoot, ledger.currentStateRoot(), "the builder built every batch the core closed");
  });
});
