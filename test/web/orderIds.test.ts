import { test } from "node:test";
import assert from "node:assert/strict";
import { firstOrderIdAt, OrderIdAllocator } from "../../sdk/orders.ts";
import { allocateOrderId, nextOrderId } from "../../web/lib/orderIds.ts";

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

/** A localStorage stand-in. */
function memoryStore(): Pick<Storage, "getItem" | "setItem"> {
  const map = new Map<string, string>();
  return { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) };
}

test("the web app's ids follow the SDK's seed, so both clients of one account never collide", () => {
  const t0 = 1_795_000_000n;
  // An SDK process started at t0 places three orders...
  const sdk = new OrderIdAllocator(4, t0);
  const sdkIds = [sdk.next(), sdk.next(), sdk.next()];
  assert.equal(sdkIds[0], firstOrderIdAt(t0));
  // ...the web app, a second later, starts above all of them and keeps growing.
  const store = memoryStore();
  const first = allocateOrderId(store, 7n, t0 + 1n, [], 4)!;
  assert.equal(first, firstOrderIdAt(t0 + 1n));
  assert.ok(sdkIds.every((id) => id < first));
  const second = allocateOrderId(store, 7n, t0 + 1n, [], 4)!;
  assert.equal(second, first + 1n, "the last id is remembered: never handed out twice");
  // A busy slot is skipped; another account has its own sequence.
  const busy = [(second + 1n) % 16n];
  assert.equal(allocateOrderId(store, 7n, t0 + 1n, busy, 4), second + 2n);
  assert.equal(allocateOrderId(store, 8n, t0 + 1n, [], 4), first);
});
