/**
 * The SDK's local book when a sweep goes deeper than its snapshot: it shows nothing beyond what
 * it knows, and asks once for a deeper snapshot.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Side } from "../../protocol/types.ts";
import { LocalOrderBook, SNAPSHOT_DEPTH } from "../../sdk/book.ts";

const level = (price: bigint) => ({ price, size: 10n, orders: 1 });

test("a sweep deeper than the snapshot: no phantom depth, one request for a new snapshot", () => {
  const book = new LocalOrderBook(1n);
  const asks = Array.from({ length: SNAPSHOT_DEPTH }, (_, i) => level(1000n + BigInt(i)));
  book.applySnapshot({ seq: 1n, bids: [level(900n)], asks });
  // A delta touches a level beyond the snapshot: it is not shown (levels between are unknown).
  assert.equal(book.applyDelta({ seq: 2n, changes: [{ side: Side.SELL, price: 2000n, size: 5n }] }), "applied");
  assert.equal(book.asks().length, SNAPSHOT_DEPTH);
  assert.equal(book.asks().at(-1)!.price, 1049n);
  // A sweep removes 30 levels: the side is thin, asked for once.
  const removed = Array.from({ length: 30 }, (_, i) => ({ side: Side.SELL, price: 1000n + BigInt(i), size: 0n }));
  assert.equal(book.applyDelta({ seq: 3n, changes: removed }), "thin");
  assert.equal(book.asks().length, 20);
  assert.equal(book.bestAsk()!.price, 1030n);
  assert.equal(book.applyDelta({ seq: 4n, changes: [{ side: Side.BUY, price: 901n, size: 1n }] }), "applied");
  // The new snapshot shows what the sweep uncovered.
  const deeper = Array.from({ length: SNAPSHOT_DEPTH }, (_, i) => level(1030n + BigInt(i)));
  book.applySnapshot({ seq: 5n, bids: [level(901n), level(900n)], asks: deeper });
  assert.equal(book.asks().length, SNAPSHOT_DEPTH);
  assert.equal(book.asks().at(-1)!.price, 1079n);
  // A side the snapshot held whole has no horizon: every level shows.
  assert.equal(book.applyDelta({ seq: 6n, changes: [{ side: Side.BUY, price: 100n, size: 1n }] }), "applied");
  assert.equal(book.bids().length, 3);
});
