/**
 * A resting order whose own signed expiry passed leaves the book on the venue's timer
 * (`cancelExpired`, a journaled command), not only when a taker reaches it: an order that can no
 * longer fill must not stand as liquidity in the public book or in the funding premium's impact
 * prices, where it would move funding at no risk to its maker.
 *
 * - The index (sequencer/core/engine/expiries.ts) against a plain model, random operations.
 * - The venue: what is due when (`expiry < now`, the taker's rule: the expiry's own second still
 *   rests), what is cancelled (expired, `ORDER_EXPIRED`; partly filled ones too), replay = live,
 *   and the index rebuilt from a snapshot.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Side } from "../../protocol/types.ts";
import { initCrypto } from "../../protocol/index.ts";
import { ExpiryHeap } from "../../sequencer/core/engine/expiries.ts";
import type { PlaceResult } from "../../sequencer/core/engine/engine.ts";
import { Sequencer } from "../../sequencer/core/sequencer.ts";
import type { Outcome } from "../../sequencer/core/sequencer.ts";
import { depositAt, ETH_PERP, openInline, placeAt, replayDifferences, tempDb, Trader, venueConfig } from "./helpers.ts";
import type { OrderSpec } from "./helpers.ts";

const RICH = 100_000_000_000n;
const ONE = 10_000n;
const P = 300_000n;
/** Venue time zero, unix seconds. */
const T0 = 1_800_000_000n;
/** `T0 + s` seconds, as a command's time (unix ms). */
const at = (s: bigint, ms = 0n): bigint => (T0 + s) * 1000n + ms;
/** No fee sweep is ever due here. */
const NO_SWEEP = 1n << 200n;

const MAKER = new Trader("ox-maker", 2n);
const BIDDER = new Trader("ox-bidder", 3n);
const TAKER = new Trader("ox-taker", 4n);

interface Fake {
  readonly id: number;
  readonly signed: { readonly order: { readonly expiry: bigint } };
}

describe("the expiry index", () => {
  test("its next expired order is always one the plain model has at the earliest expiry before now, and it stays bounded", () => {
    type Op =
      | { readonly op: "rest"; readonly expiry: number }
      | { readonly op: "leave"; readonly pick: number }
      | { readonly op: "expire"; readonly now: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant("rest" as const), expiry: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ op: fc.constant("leave" as const), pick: fc.nat() }),
      fc.record({ op: fc.constant("expire" as const), now: fc.integer({ min: 0, max: 45 }) }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 3000 }), (ops) => {
        const resting = new Map<number, Fake>();
        const heap = new ExpiryHeap<Fake>(
          (o) => resting.get(o.id) === o,
          () => resting.values(),
        );
        let next = 0;
        for (const o of ops) {
          if (o.op === "rest") {
            const order = { id: next++, signed: { order: { expiry: BigInt(o.expiry) } } };
            resting.set(order.id, order);
            heap.push(order);
          } else if (o.op === "leave") {
            const ids = [...resting.keys()];
            if (ids.length === 0) continue;
            resting.delete(ids[o.pick % ids.length]!);
            heap.left();
          } else {
            const now = BigInt(o.now);
            // Take every expired order out, as the engine does, checking each against the model.
            for (let got = heap.nextExpired(now); got !== null; got = heap.nextExpired(now)) {
              const min = Math.min(...[...resting.values()].map((r) => Number(r.signed.order.expiry)));
              assert.equal(resting.get(got.id), got, "a resting order");
              assert.equal(Number(got.signed.order.expiry), min, "at the earliest expiry");
              assert.ok(got.signed.order.expiry < now, "before now");
              resting.delete(got.id);
              heap.left();
            }
            assert.ok(
              [...resting.values()].every((r) => r.signed.order.expiry >= now),
              "nothing expired is left",
            );
          }
          const earliest = heap.earliest();
          const min =
            resting.size === 0 ? null : Math.min(...[...resting.values()].map((r) => Number(r.signed.order.expiry)));
          assert.equal(earliest === null ? null : Number(earliest), min);
          assert.ok(heap.size <= 2 * resting.size + 1024, `${heap.size} entries for ${resting.size} orders`);
        }
      }),
      { numRuns: 60 },
    );
  });
});

const deposit = (venue: Sequencer, t: Trader, now: bigint): void => depositAt(venue, t, RICH, now);

function place(venue: Sequencer, t: Trader, spec: OrderSpec, now: bigint): PlaceResult {
  const result = placeAt(venue, t, spec, now);
  assert.equal(result.rejection, null, String(result.rejection));
  return result;
}

/** Whether the timer would cancel expired orders at `now`. */
function sweepDue(venue: Sequencer, now: bigint): boolean {
  return venue.dueCommands(now, NO_SWEEP).some((c) => c.kind === "cancelExpired");
}

/** Runs the sweep at `now`: the cancelled orders as [account, order id, reason, code, remaining]. */
function sweep(venue: Sequencer, now: bigint): [bigint, bigint, string, string | null, bigint][] {
  const outcome: Outcome = venue.execute({ kind: "cancelExpired" }, now);
  assert.equal(outcome.kind, "cancel");
  if (outcome.kind !== "cancel") return [];
  return outcome.cancelled.map((c) => [c.order.accountId, c.order.orderId, c.reason, c.code, c.order.remaining]);
}

describe("resting orders past their own expiry leave the book on the venue's timer", () => {
  const db = tempDb();
  after(() => db.cleanup());

  test("due from the second after the expiry; expired ones cancelled (ORDER_EXPIRED), partly filled too, live ones kept; replay = live; a snapshot's venue finds them", async () => {
    let venue = await openInline(db.file);
    try {
      for (const t of [MAKER, BIDDER, TAKER]) deposit(venue, t, at(-10n));
      venue.execute({ kind: "closeBatch" }, at(-9n));
      place(venue, MAKER, { side: Side.SELL, size: ONE, price: P + 1_000n, orderId: 1n, expiry: T0 + 5n }, at(0n));
      place(venue, MAKER, { side: Side.SELL, size: ONE, price: P + 2_000n, orderId: 2n }, at(0n, 1n));
      place(
        venue,
        BIDDER,
        { side: Side.BUY, size: 2n * ONE, price: P - 1_000n, orderId: 1n, expiry: T0 + 3n },
        at(0n, 2n),
      );
      // Half of the bid fills: the rest stays until its expiry.
      const taken = place(
        venue,
        TAKER,
        { side: Side.SELL, size: ONE, price: P - 1_000n, orderId: 1n, tif: "IOC" },
        at(1n),
      );
      assert.equal(taken.filled, ONE);

      // The expiry's own second: still live, nothing due (a taker at T0 + 3 could still fill it).
      assert.equal(sweepDue(venue, at(3n, 999n)), false);
      assert.equal(venue.engine.earliestOrderExpiry(), T0 + 3n);
      assert.equal(sweepDue(venue, at(4n)), true);
      assert.deepEqual(sweep(venue, at(4n)), [[BIDDER.accountId, 1n, "expired", "ORDER_EXPIRED", ONE]]);
      assert.equal(venue.engine.book(ETH_PERP).best(Side.BUY), null, "the bid left the book");
      assert.equal(venue.engine.findOpen(MAKER.accountId, 1n)?.orderId, 1n, "the ask expiring at T0 + 5 still rests");
      assert.equal(sweepDue(venue, at(5n, 500n)), false);

      assert.equal(sweepDue(venue, at(6n)), true);
      assert.deepEqual(sweep(venue, at(6n)), [[MAKER.accountId, 1n, "expired", "ORDER_EXPIRED", ONE]]);
      assert.equal(venue.engine.book(ETH_PERP).best(Side.SELL)?.price, P + 2_000n, "the live ask is the best");
      assert.equal(sweepDue(venue, at(100n)), false, "the far expiry is not due");
      assert.deepEqual(sweep(venue, at(100n)), [], "a sweep with nothing due cancels nothing");
      assert.deepEqual(await replayDifferences(venue, db.file), [], "full replay = live");

      // A quote expiring at T0 + 200, then a snapshot: the restored venue's index has it.
      place(venue, MAKER, { side: Side.SELL, size: ONE, price: P + 3_000n, orderId: 3n, expiry: T0 + 200n }, at(101n));
      await venue.durable();
      const seq = await venue.snapshot();
      assert.ok(seq !== null && seq > 0n, "a snapshot was stored");
      await venue.snapshotsStored();
      venue.close();
      await initCrypto();
      venue = Sequencer.open(venueConfig(), db.file, "FULL", {}, { builder: "inline" });
      assert.equal(venue.restored.snapshotSeq, seq);
      assert.equal(venue.restored.replayed, 0);
      assert.equal(venue.engine.earliestOrderExpiry(), T0 + 200n);
      assert.equal(sweepDue(venue, at(200n)), false);
      assert.deepEqual(sweep(venue, at(201n)), [[MAKER.accountId, 3n, "expired", "ORDER_EXPIRED", ONE]]);
      assert.deepEqual(await replayDifferences(venue, db.file), [], "full replay = live after the restore");
    } finally {
      venue.close();
    }
  });
});
