import { test } from "node:test";
import assert from "node:assert/strict";
import { nextOrderId } from "../../web/lib/orderIds.ts";

test("next order id grows and skips slots held by open orders", () => {
  assert.equal(nextOrderId(0n, 100n, [], 4), 101n);
  assert.equal(nextOrderId(200n, 100n, [], 4), 201n);
  // 201 % 16 = 9 and 202 % 16 = 10 are busy.
  assert.equal(nextOrderId(200n, 100n, [9n, 26n], 4), 203n);
});

test("no id when every slot is taken or the 48-bit range is exhausted", () => {
  const all = Array.from({ length: 16 }, (_, i) => BigInt(i));
  assert.equal(nextOrderId(0n, 0n, all, 4), null);
  assert.equal(nextOrderId((1n << 48n) - 1n, 0n, [], 4), null);
});
