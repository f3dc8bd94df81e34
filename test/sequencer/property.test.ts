/**
 * Property test (fast-check): random sequences of placements (GTC/IOC/post-only, crossing or
 * not) and cancels by three accounts, against the real protocol state. After every command the
 * book is uncrossed, levels add up, the open-order index matches the book, the order tree
 * agrees with the engine on every open order's fill, and positions net to zero; at the end a
 * replay of the journal reproduces the venue.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Sequencer } from "../../sequencer/core/sequencer.ts";
import { SequencerError } from "../../sequencer/errors.ts";
import { Side } from "../../protocol/types.ts";
import type { SideCode } from "../../protocol/types.ts";
import { ETH_PERP, openVenue, tempDb, Trader } from "./helpers.ts";

const P = 300_000n;
const TRADERS = [new Trader("p-alice", 2n), new Trader("p-bob", 3n), new Trader("p-carol", 4n)];

type Step =
  | { kind: "place"; who: number; side: SideCode; offset: number; lots: number; tif: "GTC" | "IOC"; postOnly: boolean }
  | { kind: "cancel"; who: number; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("place" as const),
      who: fc.integer({ min: 0, max: 2 }),
      side: fc.constantFrom(Side.BUY, Side.SELL),
      offset: fc.integer({ min: -4, max: 4 }),
      lots: fc.integer({ min: 1, max: 5 }),
      tif: fc.constantFrom("GTC" as const, "IOC" as const),
      postOnly: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("cancel" as const), who: fc.integer({ min: 0, max: 2 }), pick: fc.nat() }),
  },
);

function checkInvariants(venue: Sequencer): void {
  const book = venue.engine.book(ETH_PERP);
  const bid = book.best(Side.BUY);
  const ask = book.best(Side.SELL);
  if (bid !== null && ask !== null) assert.ok(bid.price < ask.price, "the book is not crossed");
  let inBook = 0;
  for (const side of [Side.BUY, Side.SELL] as const) {
    for (const level of book.levels(side)) {
      let total = 0n;
      let count = 0;
      for (let o = level.head; o !== null; o = o.next) {
        assert.equal(o.price, level.price);
        assert.ok(o.remaining > 0n);
        assert.equal(venue.engine.findOpen(o.accountId, o.orderId), o, "every booked order is indexed");
        total += o.remaining;
        count += 1;
      }
      assert.equal(level.total, total);
      assert.equal(level.count, count);
      inBook += count;
    }
  }
  let indexed = 0;
  let net = 0n;
  for (const t of TRADERS) {
    for (const o of venue.engine.openOrders(t.accountId)) {
      indexed += 1;
      assert.equal(o.filled + o.remaining, o.signed.order.size);
      assert.equal(venue.ledger.state.filledOf(o.accountId, o.orderId), o.filled, "the order tree agrees on fills");
    }
    net += venue.ledger.positionSize(t.accountId, ETH_PERP);
  }
  assert.equal(indexed, inBook, "the index holds exactly the booked orders");
  assert.equal(net, 0n, "positions net to zero");
}

function fingerprint(venue: Sequencer): string {
  return JSON.stringify(
    [venue.engine.snapshot(ETH_PERP, 100), venue.ledger.currentStateRoot(), venue.ledger.currentBatch],
    (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v),
  );
}

test(
  "random order flow keeps the book, the index and the rollup state consistent and replays exactly",
  { timeout: 300_000 },
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 30 }), async (steps) => {
        const db = tempDb();
        const venue = await openVenue(db.file);
        let now = 1_800_000_000_000n;
        const nextId = TRADERS.map(() => 0n);
        try {
          for (const t of TRADERS)
            venue.execute(
              {
                kind: "deposit",
                accountId: t.accountId,
                owner: t.owner,
                pkHash: t.pkHash,
                amount: 100_000_000_000n,
                queueIndex: null,
              },
              (now += 1000n),
            );
          for (const s of steps) {
            const t = TRADERS[s.who]!;
            try {
              if (s.kind === "place") {
                nextId[s.who]! += 1n;
                const order = t.sign({
                  side: s.side,
                  size: BigInt(s.lots) * 10n,
                  price: P + BigInt(s.offset),
                  orderId: nextId[s.who]!,
                  tif: s.postOnly ? "GTC" : s.tif,
                  postOnly: s.postOnly,
                });
                venue.execute({ kind: "place", order, clientOrderId: null }, (now += 1000n));
              } else {
                const open = venue.engine.openOrders(t.accountId);
                if (open.length === 0) continue;
                const victim = open[s.pick % open.length]!;
                venue.execute(
                  { kind: "cancel", accountId: t.accountId, orderId: victim.orderId, reason: "user" },
                  (now += 1000n),
                );
              }
            } catch (e) {
              if (!(e instanceof SequencerError)) throw e;
            }
            checkInvariants(venue);
          }
          const before = fingerprint(venue);
          venue.close();
          const replayed = await openVenue(db.file);
          try {
            assert.equal(fingerprint(replayed), before);
          } finally {
            replayed.close();
          }
        } finally {
          try {
            venue.close();
          } catch {
            // already closed
          }
          db.cleanup();
        }
      }),
      { numRuns: 12, seed: 20261121 },
    );
  },
);
