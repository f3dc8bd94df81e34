/**
 * `attack:` tests of the batch numbering (finding F1): an order the venue refuses must change
 * nothing, not even which batch the next fill lands in, so that a crash and a replay of the
 * journal rebuild the venue that served. Runs from this process against a venue in a child
 * process (sequencer/main.ts, the prod profile: 16 instrument-table entries a batch) over
 * 127.0.0.1, bounded in count; waits are bounded polls.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { getProfile } from "../../protocol/profiles.ts";
import { Side } from "../../protocol/types.ts";
import {
  ADMIN_TOKEN,
  CHILD_PROFILE,
  ChildVenueHandle,
  eventually,
  farOptionsEnv,
  fund,
  registerFundAccounts,
} from "./attackers.ts";
import type { Listed } from "./attackers.ts";
import { Trader } from "./traders.ts";
import type { Client, HttpReply } from "./traders.ts";

const TIMEOUT = { timeout: 180_000 };
/** Instrument-table entries a batch of the child's profile has. */
const TABLE = getProfile(CHILD_PROFILE).instruments;
/** Position slots an account has: each pair of traders trades this many instruments. */
const SLOTS = getProfile(CHILD_PROFILE).positions;

/** A price well inside each instrument's range, on its tick: the perps at the oracle, options at 100 ticks. */
function priceOf(m: Listed): bigint {
  if (m.kind === "perp") return m.underlying === 1 ? 300_000n : 6_000_000n;
  return 100n * BigInt(m.tickSize);
}

function fillAt(r: HttpReply): [string, number][] {
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return (r.body.fills as { batch: string; slot: number }[]).map((f) => [String(f.batch), Number(f.slot)]);
}

async function openBatch(client: Client): Promise<string> {
  const r = await client.get("/v1/status");
  assert.equal(r.status, 200);
  return String(r.body.openBatch);
}

describe("attack: batch numbering", () => {
  test(
    "attack: a refused order on an instrument the open batch has no room for closes nothing; after SIGKILL the venue restarts with every fill where it was",
    TIMEOUT,
    async () => {
      // One far option expiry besides the perps, enough strikes for 16 + 1 instruments.
      const v = await ChildVenueHandle.start(farOptionsEnv());
      try {
        let client = v.client;
        const listed = (await client.get("/v1/instruments?status=active")).body.instruments as Listed[];
        assert.ok(listed.length > TABLE, `${listed.length} instruments listed`);
        const used = listed.slice(0, TABLE + 1);
        const pairs = TABLE / SLOTS;
        const makers = Array.from({ length: pairs + 1 }, (_, i) => new Trader(`f1-maker-${i}`, BigInt(2 + i)));
        const takers = Array.from({ length: pairs }, (_, i) => new Trader(`f1-taker-${i}`, BigInt(20 + i)));
        const broke = new Trader("f1-broke", 40n);
        for (const t of [...makers, ...takers]) await fund(client, t);
        // 17 instruments with open positions need as many free insurance fund slots (intake's
        // NO_FUND_CAPACITY): account 1's and four more fund accounts'.
        await registerFundAccounts(client, [60n, 61n, 62n, 63n]);
        assert.equal((await client.deposit(broke, 0n)).status, 200);
        // Deposits may share the batch the trades open in: start the trades on a fresh one.
        assert.equal((await client.post("/v1/admin/close-batch", {}, ADMIN_TOKEN)).status, 200);

        const order = (t: Trader, m: Listed, side: "buy" | "sell", orderId: bigint, tif: "GTC" | "IOC") =>
          t.sign({
            instrument: BigInt(m.instrument),
            side: side === "buy" ? Side.BUY : Side.SELL,
            size: 10n * BigInt(m.lotSize),
            price: priceOf(m),
            orderId,
            tif,
          });
        // 16 instruments, 4 per pair of traders (their position slots): the open batch's table is full.
        const at: [string, number][] = [];
        for (let i = 0; i < TABLE; i++) {
          const m = used[i]!;
          const pair = Math.floor(i / SLOTS);
          const id = BigInt(1 + (i % SLOTS));
          const rested = await client.place(order(makers[pair]!, m, "sell", id, "GTC"));
          assert.equal(rested.status, 200, JSON.stringify(rested.body));
          at.push(...fillAt(await client.place(order(takers[pair]!, m, "buy", id, "IOC"))));
        }
        const batch = at[0]![0];
        assert.deepEqual(
          at,
          at.map((_, i) => [batch, at[0]![1] + i]),
          "16 fills, one batch, consecutive slots",
        );
        // The 17th instrument: an ask, and an IOC from an account without collateral.
        const extra = used[TABLE]!;
        assert.equal((await client.place(order(makers[pairs]!, extra, "sell", 1n, "GTC"))).status, 200);
        // Another ask on the first instrument, for the next fill.
        assert.equal((await client.place(order(makers[0]!, used[0]!, "sell", 10n, "GTC"))).status, 200);
        const before = await openBatch(client);
        const refused = await client.place(order(broke, extra, "buy", 1n, "IOC"));
        assert.equal(refused.status, 422, JSON.stringify(refused.body));
        assert.equal(refused.body.code, "MARGIN");
        assert.equal(await openBatch(client), before, "the refusal closed no batch");

        const next = fillAt(await client.place(order(takers[0]!, used[0]!, "buy", 10n, "IOC")));
        assert.deepEqual(next, [[batch, at[0]![1] + TABLE]], "the next fill keeps the batch and takes its next slot");
        const token = await client.session(takers[0]!);
        const fillsBefore = (await client.get("/v1/account/fills?limit=10", token)).body.fills as {
          tradeId: string;
          batch: string;
          slot: number;
        }[];

        // A crash, then a restart that replays the journal (no snapshot covers these commands).
        await v.restart("SIGKILL");
        client = v.client;
        const health = await eventually(
          () => client.get("/health"),
          (r) => r.status === 200,
        );
        assert.equal(health.status, 200, "the venue restarted and serves");
        assert.equal(await openBatch(client), before, "the open batch is the one it was");
        const fillsAfter = (await client.get("/v1/account/fills?limit=10", await client.session(takers[0]!))).body
          .fills as { tradeId: string; batch: string; slot: number }[];
        assert.deepEqual(
          fillsAfter.map((f) => [f.tradeId, String(f.batch), Number(f.slot)]),
          fillsBefore.map((f) => [f.tradeId, String(f.batch), Number(f.slot)]),
          "every fill keeps its batch and slot",
        );
        // And it goes on: the next fill after the restart takes the next slot of the same batch.
        assert.equal((await client.place(order(makers[0]!, used[0]!, "sell", 11n, "GTC"))).status, 200);
        assert.deepEqual(fillAt(await client.place(order(takers[0]!, used[0]!, "buy", 11n, "IOC"))), [
          [batch, at[0]![1] + TABLE + 1],
        ]);
      } finally {
        await v.stop();
      }
    },
  );
});
