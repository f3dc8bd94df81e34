/**
 * Which slots read the batch's prices (issue 14 finding F13): a batch of slots that read none may
 * carry a silent feed's last price on L1. `txUsesPrices` (the sequencer's question before a
 * transaction is applied) must equal `slotUsesPrices` (the contract's question on the slot's
 * public data) for every transaction, or the venue would build a batch L1 refuses, or stall one
 * L1 would take. test/contracts/findings.test.ts holds the contract to `slotUsesPrices`.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  BatchBuilder,
  decodeSlot,
  InstrumentKind,
  optionId,
  perpId,
  slotUsesPrices,
  TxType,
  txUsesPrices,
  withdrawalOrder,
} from "../../protocol/index.ts";
import type { Tx } from "../../protocol/index.ts";
import { ctx, depositTx, ETH_PRICE, order, sign, T0, tradeTx, UNIT, USDC, world } from "./fixtures.ts";

const withdrawTx = (id: bigint, amount: bigint, orderId: bigint): Tx => ({
  type: TxType.WITHDRAW,
  withdrawal: sign(withdrawalOrder(id, amount, orderId, T0 + 60n)),
});

describe("finding F13: what reads a price", () => {
  test("txUsesPrices before a transaction equals slotUsesPrices of the slot it makes, for every kind", () => {
    const s = world([1_000n * USDC, 1_000n * USDC, 1_000n * USDC]); // accounts 2, 3, 4 funded
    const perp = perpId(1);
    const expired = optionId(1, InstrumentKind.CALL, 290_000n, T0 - 60n);
    const live = optionId(1, InstrumentKind.PUT, 290_000n, T0 + 86_400n);
    const context = ctx({ settlements: [{ underlying: 1, expiry: T0 - 60n, price: 300_000n }] });
    const txs: Tx[] = [
      depositTx(5n, 10n * USDC),
      // Account 4 is flat: its withdrawals read no price.
      withdrawTx(4n, 1n * USDC, 1n),
      { type: TxType.FORCED_WITHDRAW, accountId: 4n, requested: 2n * USDC },
      tradeTx(
        order({ accountId: 2n, side: 0, orderId: 1n, instrument: perp }),
        order({ accountId: 3n, side: 1, orderId: 1n, instrument: perp }),
        UNIT,
        ETH_PRICE,
      ),
      // Accounts 2 and 3 now hold the perp: theirs do.
      withdrawTx(2n, 1n * USDC, 2n),
      { type: TxType.FORCED_WITHDRAW, accountId: 3n, requested: 2n * USDC },
      // Forced closes: refused (no such position), a forced settlement of an expired series, at the rules price.
      { type: TxType.FORCED_CLOSE, accountId: 4n, instrument: perp, settlement: false },
      { type: TxType.FORCED_CLOSE, accountId: 4n, instrument: expired, settlement: true },
      { type: TxType.FORCED_CLOSE, accountId: 4n, instrument: live, settlement: false },
      { type: TxType.FORCED_CLOSE, accountId: 2n, instrument: perp, settlement: false },
      // Account 3 writes the live put to account 4: the writer's forced close is refused (finding
      // F17) and reads nothing; the holder's is served at the rules price.
      tradeTx(
        order({ accountId: 3n, side: 1, orderId: 2n, instrument: live, price: 5_000n }),
        order({ accountId: 4n, side: 0, orderId: 7n, instrument: live, price: 5_000n }),
        UNIT,
        5_000n,
      ),
      { type: TxType.FORCED_CLOSE, accountId: 3n, instrument: live, settlement: false },
      { type: TxType.FORCED_CLOSE, accountId: 4n, instrument: live, settlement: false },
      { type: TxType.FUNDING, underlying: 1, delta: 0n },
      { type: TxType.NOOP },
    ];
    const seen = new Map<string, boolean>();
    for (const tx of txs) {
      const before = txUsesPrices(tx, s, context.timestamp);
      const b = new BatchBuilder(s, context);
      const w = b.add(tx);
      b.close();
      const [f0, f1] = w.publicData;
      assert.equal(
        slotUsesPrices(f0, context.timestamp),
        before,
        `${JSON.stringify(decodeSlot(f0, f1), (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`,
      );
      seen.set(`${tx.type}:${before}`, true);
    }
    // Both answers occur for withdrawals, forced withdrawals and forced closes.
    for (const type of [TxType.WITHDRAW, TxType.FORCED_WITHDRAW, TxType.FORCED_CLOSE])
      for (const reads of [true, false]) assert.ok(seen.has(`${type}:${reads}`), `type ${type} reads ${reads}`);
  });

  test("a withdrawal's flat flag is set exactly when every position size is 0", () => {
    const s = world([1_000n * USDC, 1_000n * USDC]);
    const b = new BatchBuilder(s, ctx());
    const flat = decodeSlot(...b.add(withdrawTx(2n, 1n * USDC, 1n)).publicData);
    assert.ok(flat.type === TxType.WITHDRAW && flat.flat);
    b.add(
      tradeTx(
        order({ accountId: 2n, side: 0, orderId: 2n }),
        order({ accountId: 3n, side: 1, orderId: 1n }),
        UNIT,
        ETH_PRICE,
      ),
    );
    b.close();
    const b2 = new BatchBuilder(s, ctx());
    const holding = decodeSlot(...b2.add({ type: TxType.FORCED_WITHDRAW, accountId: 2n, requested: 1n }).publicData);
    assert.ok(holding.type === TxType.FORCED_WITHDRAW && !holding.flat);
  });

  test("a batch with a stale price takes no transaction that reads one", () => {
    const s = world([1_000n * USDC, 1_000n * USDC]);
    const b = new BatchBuilder(s, ctx(), { pricesStale: true });
    b.add(withdrawTx(2n, 1n * USDC, 1n)); // flat: reads no price
    assert.throws(() => b.add({ type: TxType.FUNDING, underlying: 1, delta: 0n }), /BAD_CONTEXT/);
    b.add(depositTx(4n, 1n * USDC));
  });
});
