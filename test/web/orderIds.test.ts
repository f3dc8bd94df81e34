import { test } from "node:test";
import assert from "node:assert/strict";
import { OrderIdAllocator } from "../../sdk/orders.ts";
import { allocateOrderId, lastOrderIdKey, nextOrderId } from "../../web/lib/orderIds.ts";

test("next order id starts at the venue's next id, grows and skips slots held by open orders", () => {
  assert.equal(nextOrderId(0n, 101n, [], 4), 101n);
  assert.equal(nextOrderId(200n, 101n, [], 4), 201n, "above the last id used here");
  assert.equal(nextOrderId(200n, 300n, [], 4), 300n, "the venue saw higher ids (another client)");
  // 201 % 16 = 9 and 202 % 16 = 10 are busy.
  assert.equal(nextOrderId(200n, 101n, [9n, 26n], 4), 203n);
});

test("no id when every slot is taken or the 48-bit range is exhausted", () => {
  const all = Array.from({ length: 16 }, (_, i) => BigInt(i));
  assert.equal(nextOrderId(0n, 1n, all, 4), null);
  assert.equal(nextOrderId((1n << 48n) - 1n, (1n << 48n) - 1n, [], 4), null);
});

test("a remembered id 2^32 or more above the venue's next id is ignored (no slot would take it)", () => {
  // An id of the old clock-seeded scheme (seconds · 2^16) left in localStorage.
  const clockSeeded = 1_795_000_000n << 16n;
  assert.equal(nextOrderId(clockSeeded, 5n, [], 4), 5n);
  assert.equal(nextOrderId(5n + (1n << 32n) - 1n, 5n, [], 4), 5n + (1n << 32n), "just inside: kept");
  assert.equal(nextOrderId(5n + (1n << 32n), 5n, [], 4), 5n);
});

/** A localStorage stand-in. */
function memoryStore(): Pick<Storage, "getItem" | "setItem"> & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) };
}

test("the web app and an SDK process of one account count up from the venue's next id without colliding", () => {
  // The venue has seen ids up to 41 from account 7: its next id is 42.
  const venueNext = 42n;
  // An SDK process starts from it and places three orders (ids 42..44)...
  const sdk = new OrderIdAllocator(4, venueNext);
  const sdkIds = [sdk.next(), sdk.next(), sdk.next()];
  assert.deepEqual(sdkIds, [42n, 43n, 44n]);
  // ...then the web app asks the venue (now 45) before signing, and starts above all of them.
  const store = memoryStore();
  const first = allocateOrderId(store, 7n, 45n, [], 4)!;
  assert.equal(first, 45n);
  assert.ok(sdkIds.every((id) => id < first));
  assert.equal(store.map.get(lastOrderIdKey(7n)), "45");
  // The venue has not seen 45 yet (the order is in flight): the remembered id keeps us above it.
  const second = allocateOrderId(store, 7n, 45n, [], 4)!;
  assert.equal(second, first + 1n, "the last id is remembered: never handed out twice");
  // A busy slot is skipped; another account has its own sequence.
  const busy = [(second + 1n) % 16n];
  assert.equal(allocateOrderId(store, 7n, 45n, busy, 4), second + 2n);
  assert.equal(allocateOrderId(store, 8n, 1n, [], 4), 1n, "a fresh account starts at 1");
  // Every id a fresh account gets is far below 2^32 (ORDER_ID_WINDOW of an empty slot).
  assert.ok([first, second].every((id) => id < 1n << 32n));
});
