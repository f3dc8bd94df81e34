import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { OrderBook } from "../../sequencer/core/engine/book.ts";
import type { RestingOrder } from "../../sequencer/core/engine/book.ts";
import type { SideCode } from "../../protocol/types.ts";

function resting(orderId: bigint, side: SideCode, price: bigint, size: bigint): RestingOrder {
  return {
    signed: {
      order: { accountId: 2n, instrument: 1n, side, size, price, orderId, expiry: 0n, flags: 0n },
      signature: { R8x: 0n, R8y: 0n, S: 0n },
      publicKey: { x: 0n, y: 0n },
    },
    accountId: 2n,
    orderId,
    instrument: 1n,
    side,
    price,
    clientOrderId: null,
    reduceOnly: false,
    acceptedAt: 0n,
    remaining: size,
    filled: 0n,
    prev: null,
    next: null,
  };
}

describe("order book", () => {
  test("levels are sorted best first on each side and totals add up", () => {
    const book = new OrderBook(1n);
    for (const [id, side, price, size] of [
      [1n, 0, 100n, 5n],
      [2n, 0, 102n, 1n],
      [3n, 0, 101n, 2n],
      [4n, 1, 105n, 3n],
      [5n, 1, 103n, 4n],
      [6n, 0, 102n, 7n],
    ] as const)
      book.add(resting(id, side, price, size));
    const snap = book.snapshot(10);
    assert.deepEqual(snap.bids, [
      [102n, 8n, 2],
      [101n, 2n, 1],
      [100n, 5n, 1],
    ]);
    assert.deepEqual(snap.asks, [
      [103n, 4n, 1],
      [105n, 3n, 1],
    ]);
    assert.deepEqual(book.snapshot(1).bids, [[102n, 8n, 2]]);
  });

  test("a level is FIFO: the earlier order is at the head, removal relinks the list", () => {
    const book = new OrderBook(1n);
    const a = resting(1n, 1, 100n, 1n);
    const b = resting(2n, 1, 100n, 2n);
    const c = resting(3n, 1, 100n, 3n);
    book.add(a);
    book.add(b);
    book.add(c);
    assert.equal(book.best(1)!.head, a);
    book.remove(b);
    assert.equal(a.next, c);
    assert.equal(c.prev, a);
    assert.equal(book.best(1)!.total, 4n);
    book.remove(a);
    assert.equal(book.best(1)!.head, c);
    book.remove(c);
    assert.equal(book.best(1), null);
  });

  test("fills reduce the level and remove an order when nothing remains", () => {
    const book = new OrderBook(1n);
    const a = resting(1n, 0, 100n, 10n);
    book.add(a);
    book.fill(a, 4n);
    assert.equal(a.remaining, 6n);
    assert.equal(a.filled, 4n);
    assert.equal(book.best(0)!.total, 6n);
    book.fill(a, 6n);
    assert.equal(book.best(0), null);
  });

  test("changes are published once per flush with an increasing sequence number", () => {
    const book = new OrderBook(1n);
    assert.equal(book.flushChanges(), null);
    const a = resting(1n, 0, 100n, 10n);
    book.add(a);
    book.add(resting(2n, 0, 100n, 5n));
    const first = book.flushChanges()!;
    assert.equal(first.seq, 1n);
    assert.deepEqual(first.changes, [{ side: 0, price: 100n, size: 15n, orders: 2 }]);
    book.remove(a);
    book.add(resting(3n, 1, 110n, 1n));
    const second = book.flushChanges()!;
    assert.equal(second.seq, 2n);
    assert.deepEqual(
      [...second.changes].sort((x, y) => x.side - y.side),
      [
        { side: 0, price: 100n, size: 5n, orders: 1 },
        { side: 1, price: 110n, size: 1n, orders: 1 },
      ],
    );
    assert.equal(book.snapshot(5).seq, 2n);
  });
});
