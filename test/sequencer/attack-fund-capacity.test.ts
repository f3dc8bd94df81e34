/**
 * `attack:` the insurance fund's capacity (sequencer/core/risk/fund-capacity.ts). A liquidation or
 * a forced close moves a position to an insurance fund account that holds the instrument or has an
 * empty slot; a forced close that finds none cannot be served, and its L1 deadline opens the
 * exodus for everyone. The griefer holds a small position in more instruments than the fund has
 * free slots, then queues a forced close of each.
 *
 * Run from this process against a venue in a child process over 127.0.0.1 (the prod profile: four
 * position slots an account, so account 1 backs four instruments), bounded in count.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { getProfile } from "../../protocol/profiles.ts";
import { Side } from "../../protocol/types.ts";
import { toWire } from "../../sequencer/wire.ts";
import {
  ADMIN_TOKEN,
  CHILD_PROFILE,
  ChildVenueHandle,
  farOptionsEnv,
  fund,
  metric,
  registerFundAccounts,
} from "./attackers.ts";
import type { Listed } from "./attackers.ts";
import { Trader } from "./traders.ts";
import type { Client, HttpReply } from "./traders.ts";

const TIMEOUT = { timeout: 180_000 };
const SLOTS = getProfile(CHILD_PROFILE).positions;

async function status(client: Client): Promise<Record<string, unknown>> {
  const r = await client.get("/v1/status");
  assert.equal(r.status, 200);
  return r.body;
}

async function capacity(client: Client): Promise<{ freeSlots: number; uncoveredInstruments: number }> {
  return (await status(client)).insuranceFund as { freeSlots: number; uncoveredInstruments: number };
}

function accepted(r: HttpReply): Record<string, unknown> {
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

describe("attack: insurance fund capacity", () => {
  test(
    "attack: a griefer cannot hold more instruments than the fund can take; every forced close it queues is served, before and after a restart",
    TIMEOUT,
    async () => {
      // One option expiry 60 days out, strikes enough for SLOTS + 2 series of one underlying.
      const v = await ChildVenueHandle.start(farOptionsEnv());
      try {
        const client = v.client;
        const options = ((await client.get("/v1/instruments?kind=option&status=active")).body.instruments as Listed[])
          .filter((m) => m.underlying === 1)
          .slice(0, SLOTS + 2);
        assert.equal(options.length, SLOTS + 2, "enough listed options");
        // The griefer's two accounts hold the long side, two liquidity accounts the short: each
        // account has SLOTS position slots.
        const griefers = [new Trader("griefer-1", 2n), new Trader("griefer-2", 3n)];
        const makers = [new Trader("lp-1", 4n), new Trader("lp-2", 5n)];
        for (const t of [...griefers, ...makers]) await fund(client, t);
        assert.deepEqual(await capacity(client), { freeSlots: SLOTS, uncoveredInstruments: 0 });

        const ids = new Map<bigint, bigint>();
        const order = (t: Trader, m: Listed, side: 0 | 1, tif: "GTC" | "IOC") => {
          const orderId = (ids.get(t.accountId) ?? 0n) + 1n;
          ids.set(t.accountId, orderId);
          // 10 lots at 100 ticks: 10 USD of ETH option premium, above the 1 USD minimum.
          return t.sign({
            instrument: BigInt(m.instrument),
            side,
            size: 10n * BigInt(m.lotSize),
            price: 100n * BigInt(m.tickSize),
            orderId,
            tif,
          });
        };
        const open = async (k: number): Promise<HttpReply> => {
          const m = options[k]!;
          const pair = Math.floor(k / SLOTS);
          accepted(await client.place(order(makers[pair]!, m, Side.SELL, "GTC")));
          return client.place(order(griefers[pair]!, m, Side.BUY, "IOC"));
        };

        // Account 1 has SLOTS free slots: the first SLOTS instruments open.
        for (let k = 0; k < SLOTS; k++) {
          const fills = accepted(await open(k)).fills as unknown[];
          assert.equal(fills.length, 1);
        }
        assert.deepEqual(await capacity(client), { freeSlots: SLOTS, uncoveredInstruments: SLOTS });

        // The next first fill is refused: its ask rests, the taker is refused and nothing changes.
        const stable = async () => {
          const st = await status(client);
          const book = (await client.get(`/v1/instruments/${options[SLOTS]!.name}/book?depth=5`)).body;
          return JSON.stringify([st.openBatch, st.stateRoot, st.insuranceFund, st.journal, book]);
        };
        const next = options[SLOTS]!;
        accepted(await client.place(order(makers[1]!, next, Side.SELL, "GTC")));
        const before = await stable();
        const refused = await client.place(order(griefers[1]!, next, Side.BUY, "IOC"));
        assert.equal(refused.status, 503, JSON.stringify(refused.body));
        assert.equal(refused.body.code, "NO_FUND_CAPACITY");
        assert.match(refused.body.message as string, new RegExp(next.name));
        assert.match(refused.body.message as string, /insurance fund account/);
        assert.equal(await stable(), before, "a refused order changes nothing");
        // Nor does it get through a batch, or a replace of a resting bid by a crossing one.
        const batch = accepted(
          await client.post("/v1/orders/batch", {
            orders: [{ order: toWire(order(griefers[1]!, next, Side.BUY, "IOC")) }],
          }),
        ).results as Record<string, unknown>[];
        assert.deepEqual([batch[0]!.ok, batch[0]!.code], [false, "NO_FUND_CAPACITY"]);
        const token = await client.session(griefers[1]!);
        const bid = order(griefers[1]!, next, Side.BUY, "GTC");
        const low = { ...bid.order, size: 2n * bid.order.size, price: bid.order.price - 10n * BigInt(next.tickSize) };
        accepted(await client.place(griefers[1]!.sign(low)));
        const resting = await stable();
        const replaced = await client.post(
          `/v1/orders/${low.orderId}/replace`,
          { order: toWire(order(griefers[1]!, next, Side.BUY, "GTC")) },
          token,
        );
        assert.deepEqual([replaced.status, replaced.body.code], [503, "NO_FUND_CAPACITY"]);
        assert.equal(await stable(), resting, "a refused replace changes nothing: the bid still rests");
        assert.equal(await metric(v.url, "tessera_insurance_fund_free_slots"), SLOTS);
        assert.equal(await metric(v.url, "tessera_insurance_fund_uncovered_instruments"), SLOTS);
        // Crossing only its own ask fills nothing (self-trade prevention cancels it): not refused.
        const own = options[SLOTS + 1]!;
        accepted(await client.place(order(griefers[1]!, own, Side.SELL, "GTC")));
        assert.deepEqual(accepted(await client.place(order(griefers[1]!, own, Side.BUY, "IOC"))).fills, []);
        assert.deepEqual(await capacity(client), { freeSlots: SLOTS, uncoveredInstruments: SLOTS });
        // Trading goes on where positions exist: the griefer adds to a held instrument.
        accepted(await client.place(order(makers[0]!, options[0]!, Side.SELL, "GTC")));
        assert.equal(
          (accepted(await client.place(order(griefers[0]!, options[0]!, Side.BUY, "IOC"))).fills as unknown[]).length,
          1,
        );

        // The operator registers a fund account: SLOTS more free slots, and the instrument opens.
        await registerFundAccounts(client, [70n]);
        assert.deepEqual(await capacity(client), { freeSlots: 2 * SLOTS, uncoveredInstruments: SLOTS });
        assert.equal(
          (accepted(await client.place(order(griefers[1]!, next, Side.BUY, "IOC"))).fills as unknown[]).length,
          1,
        );
        assert.equal((accepted(await open(SLOTS + 1)).fills as unknown[]).length, 1);
        assert.deepEqual(await capacity(client), { freeSlots: 2 * SLOTS, uncoveredInstruments: SLOTS + 2 });

        // The griefer queues a forced close of every position at once: each is served. Account 1
        // takes SLOTS of them, the registered fund account the other two (account 1 has no slot
        // left for them): the fund accounts then hold all SLOTS + 2 instruments.
        for (const [k, m] of options.entries()) {
          const r = accepted(
            await client.post(
              "/v1/admin/forced-closes",
              toWire({
                accountId: griefers[Math.floor(k / SLOTS)]!.accountId,
                instrument: BigInt(m.instrument),
                settlement: false,
              }),
              ADMIN_TOKEN,
            ),
          );
          assert.equal(r.served, true, `forced close of ${m.name}`);
          // Account 1 takes the first SLOTS (its slots), fund account 70 the rest.
          assert.equal(String(r.insurance), k < SLOTS ? "1" : "70", `the fund account of ${m.name}`);
        }
        // The batch holding them closes, so the state root says which fund account took each.
        accepted(await client.post("/v1/admin/close-batch", {}, ADMIN_TOKEN));
        const closed = await status(client);
        assert.deepEqual(closed.insuranceFund, { freeSlots: SLOTS - 2, uncoveredInstruments: 0 });

        // A crash and a replay of the journal serve them the same way.
        await v.restart("SIGKILL");
        const replayed = await status(v.client);
        assert.deepEqual(
          [replayed.journal, replayed.insuranceFund, replayed.openBatch, replayed.stateRoot],
          [closed.journal, closed.insuranceFund, closed.openBatch, closed.stateRoot],
        );
      } finally {
        await v.stop();
      }
    },
  );
});
