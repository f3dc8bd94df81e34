/**
 * `attack:` dust (sequencer/intake/dust.ts). Every fill takes a batch slot, which costs the
 * operator the same L1 gas and proving whatever its size, while its fee is a few bps of its
 * notional, rounded down. An account must not be able to fill the batches with fills that pay
 * (almost) nothing: every order is at least the venue's minimum notional at the lowest price it
 * can fill at, so a fill below the minimum must complete an order that filled before.
 *
 * Run against a venue in a child process over 127.0.0.1 with a 10 USD minimum, on ETH-PERP at
 * 3,000 USD: a lot (0.001 ETH) is 3 USD, so 3 lots are below the minimum and 4 lots above.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Side } from "../../protocol/types.ts";
import type { SideCode } from "../../protocol/types.ts";
import { withdrawalOrder } from "../../protocol/signing.ts";
import { toWire } from "../../sequencer/wire.ts";
import { ChildVenueHandle, fund } from "./attackers.ts";
import { FAR_EXPIRY, Trader } from "./traders.ts";
import type { Client, HttpReply } from "./traders.ts";

const P = 300_000n;
const LOT = 10n;
const MIN = 10_000_000n;
const TIMEOUT = { timeout: 180_000 };

async function fingerprint(client: Client): Promise<string> {
  const status = await client.get("/v1/status");
  const book = await client.get("/v1/instruments/ETH-PERP/book?depth=20");
  return JSON.stringify([status.body.journal, book.body]);
}

/** `send` is refused 422 MIN_NOTIONAL, with a message, and changes nothing. */
async function refusedAsDust(client: Client, send: () => Promise<HttpReply>): Promise<void> {
  const before = await fingerprint(client);
  const r = await send();
  assert.equal(r.status, 422, JSON.stringify(r.body));
  assert.equal(r.body.code, "MIN_NOTIONAL");
  assert.match(r.body.message as string, /minimum order notional/);
  assert.equal(await fingerprint(client), before, "a refused order changes nothing");
}

function accepted(r: HttpReply): Record<string, unknown> {
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

describe("attack: dust orders", () => {
  test("attack: an order below the minimum notional is refused however it is priced or sent", TIMEOUT, async () => {
    const v = await ChildVenueHandle.start({ TESSERA_MIN_ORDER_NOTIONAL: MIN.toString() });
    try {
      const client = v.client;
      const maker = new Trader("dust-maker", 2n);
      const mallory = new Trader("mallory", 3n);
      await fund(client, maker);
      await fund(client, mallory);
      let makerId = 0n;
      let id = 0n;
      accepted(await client.place(maker.sign({ side: Side.SELL, size: 100n * LOT, price: P, orderId: ++makerId })));
      accepted(
        await client.place(maker.sign({ side: Side.BUY, size: 100n * LOT, price: P - 100n, orderId: ++makerId })),
      );

      const instruments = accepted(await client.get("/v1/instruments?kind=perp")).instruments as Record<
        string,
        string
      >[];
      assert.ok(
        instruments.every((m) => m.minNotional === MIN.toString()),
        "the minimum is published per market",
      );

      // 3 lots at the ask: 9 USD.
      await refusedAsDust(client, () =>
        client.place(mallory.sign({ side: Side.BUY, size: 3n * LOT, price: P, orderId: ++id })),
      );
      // A limit far through the book does not make it larger: the buy fills at the 3,000 USD ask.
      await refusedAsDust(client, () =>
        client.place(mallory.sign({ side: Side.BUY, size: 3n * LOT, price: 2n * P, orderId: ++id, tif: "IOC" })),
      );
      // A sell fills at its limit or above: 3 lots at 3,000 USD is 9 USD whatever the bids.
      await refusedAsDust(client, () =>
        client.place(mallory.sign({ side: Side.SELL, size: 3n * LOT, price: P + 1_000n, orderId: ++id })),
      );
      // In a batch the dust order fails alone; the one beside it fills.
      const batch = accepted(
        await client.post("/v1/orders/batch", {
          orders: [
            { order: toWire(mallory.sign({ side: Side.BUY, size: LOT, price: 2n * P, orderId: ++id, tif: "IOC" })) },
            {
              order: toWire(mallory.sign({ side: Side.BUY, size: 4n * LOT, price: 2n * P, orderId: ++id, tif: "IOC" })),
            },
          ],
        }),
      ).results as Record<string, unknown>[];
      assert.equal(batch[0]!.ok, false);
      assert.equal(batch[0]!.code, "MIN_NOTIONAL");
      assert.equal(batch[1]!.ok, true, JSON.stringify(batch[1]));
      const filled = (batch[1]!.result as Record<string, unknown>).fills as Record<string, string>[];
      assert.deepEqual(
        filled.map((f) => [f.size, f.price]),
        [[(4n * LOT).toString(), P.toString()]],
        "4 lots (12 USD) filled at the ask",
      );

      // A replace is an order too.
      const token = await client.session(mallory);
      const resting = ++id;
      accepted(
        await client.place(mallory.sign({ side: Side.SELL, size: 4n * LOT, price: P + 500n, orderId: resting })),
      );
      await refusedAsDust(client, () =>
        client.post(
          `/v1/orders/${resting}/replace`,
          { order: toWire(mallory.sign({ side: Side.SELL, size: 3n * LOT, price: P + 500n, orderId: ++id })) },
          token,
        ),
      );
      // So is an amend of an order that never filled: 4 lots shrunk to 1 would rest as dust, and a
      // thousand such orders would be a thousand dust fills for one sweep.
      await refusedAsDust(client, () => client.post(`/v1/orders/${resting}/amend`, { size: LOT.toString() }, token));
      accepted(await client.post("/v1/orders/cancel-batch", { orderIds: [resting.toString()] }, token));
      // An order that filled before may shrink to any size: its last fill completes it. The
      // maker's ask filled 4 lots; it keeps 1 lot open.
      const makerToken = await client.session(maker);
      const amended = accepted(await client.post("/v1/orders/1/amend", { size: (5n * LOT).toString() }, makerToken));
      assert.equal((amended.order as Record<string, string>).remaining, LOT.toString());

      // Mallory is long 4 lots, 6 USD at half the price. Closing it all there at once is exempt (a
      // position the market moved below the minimum can always be closed); part of it, without
      // reduce-only, or as a resting order (many of those, each the size of the position, would
      // each be a dust fill), is dust.
      const half = P / 2n;
      await refusedAsDust(client, () =>
        client.place(mallory.sign({ side: Side.SELL, size: 4n * LOT, price: half, orderId: ++id, reduceOnly: true })),
      );
      await refusedAsDust(client, () =>
        client.place(
          mallory.sign({ side: Side.SELL, size: 3n * LOT, price: half, orderId: ++id, tif: "IOC", reduceOnly: true }),
        ),
      );
      await refusedAsDust(client, () =>
        client.place(mallory.sign({ side: Side.SELL, size: 4n * LOT, price: half, orderId: ++id, tif: "IOC" })),
      );
      const closing = mallory.sign({
        side: Side.SELL,
        size: 4n * LOT,
        price: half,
        orderId: ++id,
        tif: "IOC",
        reduceOnly: true,
      });
      const close = accepted(await client.place(closing));
      assert.equal(close.filled, (4n * LOT).toString(), "the whole position closed against the bid");
      // Replayed by anyone, it is a used order id, whatever the position now (nothing learnt).
      const replay = await client.place(closing);
      assert.deepEqual([replay.status, replay.body.code], [409, "DUPLICATE_ORDER_ID"]);
      const account = accepted(await client.get("/v1/account", token));
      assert.deepEqual(
        (account.positions as Record<string, string>[]).filter((p) => p.size !== "0"),
        [],
        "mallory is flat",
      );
      assert.equal((await client.get("/health")).status, 200);
    } finally {
      await v.stop();
    }
  });

  test("attack: a withdrawal below the minimum is refused unless it empties the account", TIMEOUT, async () => {
    const v = await ChildVenueHandle.start({ TESSERA_MIN_WITHDRAWAL: MIN.toString() });
    try {
      const client = v.client;
      const rich = new Trader("rich", 2n);
      const dusty = new Trader("dusty", 3n);
      await fund(client, rich);
      const small = MIN / 2n;
      await fund(client, dusty, small);
      const withdraw = (t: Trader, amount: bigint, orderId: bigint) =>
        client.post("/v1/withdrawals", {
          withdrawal: toWire(t.sign(withdrawalOrder(t.accountId, amount, orderId, FAR_EXPIRY))),
        });
      // A withdrawal takes a batch slot and pays no fee: one unit at a time would fill the batches.
      for (const [amount, id] of [
        [0n, 1n],
        [1n, 2n],
        [MIN - 1n, 3n],
      ] as const) {
        const before = await fingerprint(client);
        const r = await withdraw(rich, amount, id);
        assert.equal(r.status, 422, JSON.stringify(r.body));
        assert.equal(r.body.code, "MIN_WITHDRAWAL");
        assert.match(r.body.message as string, /holds no position/);
        assert.equal(await fingerprint(client), before, "a refused withdrawal changes nothing");
      }
      assert.equal(accepted(await withdraw(rich, MIN, 4n)).served, MIN.toString());
      // Less than the minimum can always leave, all of it and once.
      for (const [amount, id] of [
        [small - 1n, 10n],
        [small + 1n, 11n],
      ] as const) {
        const r = await withdraw(dusty, amount, id);
        assert.equal(r.status, 422, JSON.stringify(r.body));
      }
      assert.equal(accepted(await withdraw(dusty, small, 12n)).served, small.toString());
      const replay = await withdraw(dusty, small, 12n);
      assert.deepEqual([replay.status, replay.body.code], [409, "DUPLICATE_ORDER_ID"], "a replay learns nothing");
      const after = await withdraw(dusty, 0n, 13n);
      assert.equal(after.body.code, "MIN_WITHDRAWAL", "nothing is left to take");
      assert.equal((await client.get("/health")).status, 200);
    } finally {
      await v.stop();
    }
  });

  test(
    "attack: seeded order flow: every fill below the minimum completes an order that filled before",
    TIMEOUT,
    async (t) => {
      const v = await ChildVenueHandle.start({ TESSERA_MIN_ORDER_NOTIONAL: MIN.toString() });
      try {
        const client = v.client;
        const traders = [new Trader("flow-a", 2n), new Trader("flow-b", 3n), new Trader("flow-c", 4n)];
        for (const trader of traders) await fund(client, trader);
        const ids = new Map<bigint, bigint>();
        // Each order: its size, and the size filled so far (to see which fill completes it).
        const orders = new Map<string, { size: bigint; filled: bigint }>();
        let seed = 0x5eedn;
        const next = (n: bigint): bigint => {
          seed = (seed * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
          return (seed >> 33n) % n;
        };
        let refused = 0;
        let dustFills = 0;
        let fills = 0;
        for (let i = 0; i < 160; i++) {
          const trader = traders[Number(next(3n))]!;
          const side: SideCode = next(2n) === 0n ? Side.BUY : Side.SELL;
          const size = (1n + next(12n)) * LOT;
          const price = P + (next(11n) - 5n) * 20n;
          const orderId = (ids.get(trader.accountId) ?? 0n) + 1n;
          ids.set(trader.accountId, orderId);
          const book = accepted(await client.get("/v1/instruments/ETH-PERP/book?depth=1"));
          const asks = book.asks as { price: string }[];
          const bestAsk = asks.length > 0 ? BigInt(asks[0]!.price) : null;
          const floor = side === Side.BUY && bestAsk !== null && bestAsk < price ? bestAsk : price;
          const r = await client.place(
            trader.sign({ side, size, price, orderId, tif: next(4n) === 0n ? "IOC" : "GTC" }),
          );
          if (size * floor < MIN) {
            assert.equal(r.status, 422, `order ${i}: ${size} at ${floor} is dust: ${JSON.stringify(r.body)}`);
            assert.equal(r.body.code, "MIN_NOTIONAL");
            refused++;
            continue;
          }
          if (r.status !== 200) {
            assert.notEqual(r.body.code, "MIN_NOTIONAL", `order ${i}: ${size} at ${floor} is not dust`);
            continue;
          }
          orders.set(`${trader.accountId}/${orderId}`, { size, filled: 0n });
          for (const f of r.body.fills as {
            size: string;
            price: string;
            maker: Record<string, string>;
            taker: Record<string, string>;
          }[]) {
            fills++;
            const q = BigInt(f.size);
            const pair = [f.maker, f.taker].map((o) => orders.get(`${o.accountId}/${o.orderId}`)!);
            const completesOneThatFilled = pair.some((o) => o.filled > 0n && o.filled + q === o.size);
            if (q * BigInt(f.price) < MIN) {
              dustFills++;
              assert.ok(
                completesOneThatFilled,
                `fill ${JSON.stringify(f)} is below the minimum yet completes no order that filled before`,
              );
            }
            for (const o of pair) o.filled += q;
          }
        }
        // The flow exercised both sides of the rule: refusals and fills of partly filled remainders.
        assert.ok(refused > 10, `refused ${refused}`);
        assert.ok(fills > 20, `fills ${fills}`);
        assert.ok(dustFills > 0, `dust fills ${dustFills}`);
        const completed = [...orders.values()].filter((o) => o.filled === o.size && o.size > 0n).length;
        t.diagnostic(
          `${fills} fills, ${dustFills} below the minimum; ${refused} orders refused; ${completed} completed`,
        );
        assert.ok(dustFills <= completed, "at most one fill below the minimum per completed order");
        assert.equal((await client.get("/health")).status, 200);
      } finally {
        await v.stop();
      }
    },
  );
});
