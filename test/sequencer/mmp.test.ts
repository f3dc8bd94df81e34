/**
 * Market-maker protection's window (sequencer/core/engine/mmp.ts): the running totals and the
 * trip decision equal a brute-force recomputation (the list filter and reductions the engine
 * used before) over seeded random histories of fills across several windows, makers and
 * underlyings, with resets, reconfigurations and a snapshot round trip; and the intake's bounds
 * (maxCount, the profile's underlyings).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { initCrypto } from "../../protocol/index.ts";
import { Side } from "../../protocol/types.ts";
import type { SideCode } from "../../protocol/types.ts";
import type { Command } from "../../sequencer/core/commands.ts";
import { deserialize, serialize } from "node:v8";
import { fillDelta, MatchingEngine } from "../../sequencer/core/engine/engine.ts";
import type { EngineSnapshot, Fill, MmpConfig } from "../../sequencer/core/engine/engine.ts";
import { MmpWindow } from "../../sequencer/core/engine/mmp.ts";
import type { MmpFill } from "../../sequencer/core/engine/mmp.ts";
import { Sequencer } from "../../sequencer/core/sequencer.ts";
import type { Outcome } from "../../sequencer/core/sequencer.ts";
import { SequencerError } from "../../sequencer/errors.ts";
import { MAX_MMP_COUNT } from "../../sequencer/intake/schemas.ts";
import { compareWithFullReplay } from "../../sequencer/tools/snapshot-check.ts";
import { BTC_PERP, ETH_PERP, LISTED_AT, startVenue, tempDb, Trader, venueConfig } from "./helpers.ts";
import { mulberry32 } from "../random.ts";

await initCrypto();

/** The protection as the engine computed it before: the list filtered and reduced per fill. */
interface RefState {
  config: MmpConfig;
  fills: MmpFill[];
  frozen: boolean;
}

class Reference {
  /** accountId → underlying → state, in the engine's order (insertion; re-set keeps the place). */
  readonly states = new Map<bigint, Map<number, RefState>>();

  config(accountId: bigint, underlying: number, config: MmpConfig | null): void {
    const mine = this.states.get(accountId) ?? new Map<number, RefState>();
    this.states.set(accountId, mine);
    if (config === null) mine.delete(underlying);
    else mine.set(underlying, { config, fills: [], frozen: mine.get(underlying)?.frozen ?? false });
    if (mine.size === 0) this.states.delete(accountId);
  }

  reset(accountId: bigint, underlying: number): boolean {
    const s = this.states.get(accountId)?.get(underlying);
    if (s === undefined) return false;
    s.frozen = false;
    s.fills = [];
    return true;
  }

  /** The (account, underlying) pairs the fills trip, in order. */
  fills(fills: readonly Fill[], now: bigint, underlyingOf: (i: bigint) => number): string[] {
    const tripped: string[] = [];
    for (const f of fills) {
      const u = underlyingOf(f.instrument);
      const s = this.states.get(f.makerAccount)?.get(u);
      if (s === undefined || s.frozen) continue;
      const since = now - s.config.windowMs;
      s.fills = s.fills.filter((x) => x.time > since);
      const makerSide: SideCode = f.takerSide === Side.BUY ? Side.SELL : Side.BUY;
      s.fills.push({ time: now, size: f.size, delta: fillDelta(f.instrument, makerSide, f.size) });
      const quantity = s.fills.reduce((sum, x) => sum + x.size, 0n);
      const delta = s.fills.reduce((sum, x) => sum + x.delta, 0n);
      const { maxQuantity, maxCount, maxDelta } = s.config;
      const deltaTripped = maxDelta > 0n && (delta >= maxDelta || -delta >= maxDelta);
      if (quantity < maxQuantity && s.fills.length < maxCount && !deltaTripped) continue;
      s.frozen = true;
      tripped.push(`${f.makerAccount}:${u}`);
    }
    return tripped;
  }

  view(accountId: bigint) {
    return [...(this.states.get(accountId) ?? [])].map(([underlying, s]) => ({
      underlying,
      frozen: s.frozen,
      quantity: s.fills.reduce((sum, x) => sum + x.size, 0n),
      count: s.fills.length,
      delta: s.fills.reduce((sum, x) => sum + x.delta, 0n),
      fills: s.fills,
    }));
  }
}

function engineView(engine: MatchingEngine, accountId: bigint) {
  return engine.mmpOf(accountId).map(({ underlying, state }) => ({
    underlying,
    frozen: state.frozen,
    quantity: state.window.quantity,
    count: state.window.count,
    delta: state.window.delta,
    fills: state.window.fills(),
  }));
}

describe("market-maker protection: the O(1) window equals the brute-force recomputation", () => {
  test("window: random pushes and prunes, clock steps back included", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = mulberry32(seed);
      const w = new MmpWindow();
      let list: MmpFill[] = [];
      let t = 1_000n;
      for (let i = 0; i < 3_000; i++) {
        const r = random();
        // Mostly forward in steps of 0..400 ms (boundaries hit exactly), now and then back.
        t += r < 0.03 ? -BigInt(Math.floor(random() * 800)) : BigInt(Math.floor(random() * 5) * 100);
        const since = t - BigInt(100 * (1 + Math.floor(random() * 20)));
        if (random() < 0.01) {
          w.clear();
          list = [];
        }
        w.prune(since);
        list = list.filter((x) => x.time > since);
        const fill = {
          time: t,
          size: BigInt(1 + Math.floor(random() * 50)),
          delta: BigInt(Math.floor(random() * 21) - 10),
        };
        w.push(fill);
        list.push(fill);
        const at = `seed ${seed}, step ${i}`;
        assert.equal(w.count, list.length, at);
        assert.equal(
          w.quantity,
          list.reduce((s, x) => s + x.size, 0n),
          at,
        );
        assert.equal(
          w.delta,
          list.reduce((s, x) => s + x.delta, 0n),
          at,
        );
        if (i % 97 === 0) assert.deepEqual(w.fills(), list, at);
      }
      assert.deepEqual(MmpWindow.of(list).fills(), list);
    }
  });

  test("venue: trips, cancels and window totals over seeded random fills, and across a snapshot", () => {
    for (const seed of [7, 8, 9]) {
      const random = mulberry32(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
      const db = tempDb();
      let venue = Sequencer.open(
        venueConfig(),
        db.file,
        "NORMAL",
        {},
        { snapshots: { everyEntries: 150, everyBatches: 1000, keep: 3 } },
      );
      try {
        const makers = [new Trader("m1", 20n), new Trader("m2", 21n), new Trader("m3", 22n)];
        const taker = new Trader("tk", 23n);
        let now = (LISTED_AT + 100n) * 1000n;
        const ids = new Map<bigint, bigint>();
        const nextId = (t: Trader): bigint => {
          const id = (ids.get(t.accountId) ?? 0n) + 1n;
          ids.set(t.accountId, id);
          return id;
        };
        const ref = new Reference();
        const underlyingOf = (i: bigint) => venue.engine.market(i).underlying;
        const run = (command: Command): Outcome | null => {
          try {
            return venue.execute(command, now);
          } catch (e) {
            if (e instanceof SequencerError) return null;
            throw e;
          }
        };
        for (const t of [...makers, taker])
          run({
            kind: "deposit",
            accountId: t.accountId,
            owner: t.owner,
            pkHash: t.pkHash,
            amount: 10n ** 13n,
            queueIndex: null,
          });
        let trips = 0;
        let cancels = 0;
        const markets = [
          { instrument: ETH_PERP, price: 300_000n, lot: 10_000n },
          { instrument: BTC_PERP, price: 6_000_000n, lot: 1_000n },
        ];
        const check = (at: string) => {
          for (const m of makers) assert.deepEqual(engineView(venue.engine, m.accountId), ref.view(m.accountId), at);
        };
        // The engine's snapshot as a snapshot stores it (v8), restored into a fresh engine.
        let roundTrips = 0;
        const roundTrip = (at: string) => {
          const fresh = new MatchingEngine(venue.ledger, venueConfig().markets);
          fresh.restore(deserialize(serialize(venue.engine.toSnapshot())) as EngineSnapshot);
          for (const m of makers) assert.deepEqual(engineView(fresh, m.accountId), ref.view(m.accountId), at);
          if (makers.some((m) => ref.view(m.accountId).some((e) => e.count > 0))) roundTrips++;
        };
        const step = (i: number) => {
          now += BigInt(Math.floor(random() * 6) * 250);
          const r = random();
          const maker = pick(makers);
          const u = pick([1, 2]);
          if (r < 0.08) {
            const config =
              random() < 0.1
                ? null
                : {
                    windowMs: BigInt(250 * (1 + Math.floor(random() * 12))),
                    maxQuantity: BigInt(1 + Math.floor(random() * 8)) * 10_000n,
                    maxCount: 2 + Math.floor(random() * 8),
                    maxDelta: random() < 0.5 ? 0n : BigInt(1 + Math.floor(random() * 5)) * 10_000n,
                  };
            if (run({ kind: "mmpConfig", accountId: maker.accountId, underlying: u, config }) !== null)
              ref.config(maker.accountId, u, config);
          } else if (r < 0.22) {
            const outcome = run({ kind: "mmpReset", accountId: maker.accountId, underlying: u });
            assert.equal(outcome !== null, ref.reset(maker.accountId, u), `reset at step ${i}`);
          } else if (r < 0.6) {
            // A maker quotes (rejections, e.g. a busy slot or MMP_FROZEN, change nothing).
            const m = pick(markets);
            const side = pick([Side.BUY, Side.SELL]);
            const price =
              side === Side.SELL
                ? m.price + BigInt(1 + Math.floor(random() * 5))
                : m.price - BigInt(1 + Math.floor(random() * 5));
            const size = m.lot * BigInt(1 + Math.floor(random() * 3));
            run({
              kind: "place",
              order: maker.sign({ instrument: m.instrument, side, size, price, orderId: nextId(maker) }),
              clientOrderId: null,
            });
          } else {
            // The taker sweeps one side of one market.
            const m = pick(markets);
            const side = pick([Side.BUY, Side.SELL]);
            const size = m.lot * BigInt(1 + Math.floor(random() * 8));
            const price = side === Side.BUY ? m.price + 10n : m.price - 10n;
            const outcome = run({
              kind: "place",
              order: taker.sign({ instrument: m.instrument, side, size, price, orderId: nextId(taker), tif: "IOC" }),
              clientOrderId: null,
            });
            if (outcome === null || outcome.kind !== "place") return;
            const tripped = ref.fills(outcome.result.fills, now, underlyingOf);
            trips += tripped.length;
            const mmpCancels = outcome.result.cancelled.filter((c) => c.reason === "mmp");
            cancels += mmpCancels.length;
            // Exactly the tripped makers' orders in the tripped underlyings are cancelled.
            for (const c of mmpCancels)
              assert.ok(tripped.includes(`${c.order.accountId}:${underlyingOf(c.order.instrument)}`), `step ${i}`);
            for (const key of tripped) {
              const [account, underlying] = key.split(":");
              const left = venue.engine
                .openOrders(BigInt(account!))
                .filter((o) => underlyingOf(o.instrument) === Number(underlying));
              assert.deepEqual(left, [], `step ${i}: ${key} tripped, its orders there cancelled`);
            }
          }
          check(`seed ${seed}, step ${i}`);
          if (i % 25 === 0) roundTrip(`seed ${seed}, step ${i}, round trip`);
        };
        for (let i = 0; i < 800; i++) step(i);
        assert.ok(trips >= 10, `seed ${seed}: ${trips} trips`);
        assert.ok(cancels >= 10, `seed ${seed}: ${cancels} cancels`);
        assert.ok(roundTrips >= 3, `seed ${seed}: ${roundTrips} round trips with fills in a window`);
        // A restart from a snapshot (the windows stored as lists) equals a full replay, and the
        // history goes on with the same decisions.
        venue.close();
        const replay = compareWithFullReplay(venueConfig(), db.file);
        assert.ok(replay.snapshotSeq > 0n, "the restart loaded a snapshot");
        assert.deepEqual(replay.differences, []);
        venue = Sequencer.open(venueConfig(), db.file, "NORMAL", {}, { snapshots: false });
        assert.equal(venue.restored.snapshotSeq, replay.snapshotSeq);
        check(`seed ${seed}, restored`);
        for (let i = 800; i < 1000; i++) step(i);
      } finally {
        venue.close();
        db.cleanup();
      }
    }
  });
});

describe("market-maker protection: intake bounds", () => {
  test("maxCount above the bound and an underlying the profile lacks are refused with 400, changing nothing", async () => {
    const v = await startVenue();
    try {
      const mm = new Trader("mm", 30n);
      assert.equal((await v.client.deposit(mm, 1_000_000n)).status, 200);
      const token = await v.client.session(mm);
      const base = { underlying: 1, windowMs: 1000, maxQuantity: "10000" };
      let r = await v.client.post("/v1/mmp", { ...base, maxCount: MAX_MMP_COUNT + 1 }, token);
      assert.equal(r.status, 400);
      assert.equal(r.body.code, "BAD_REQUEST");
      assert.match(r.body.message as string, /at most 10000 fills per window/);
      const underlyings = v.service.venue.ledger.profile.underlyings;
      for (const underlying of [underlyings + 1, 255]) {
        r = await v.client.post("/v1/mmp", { ...base, underlying, maxCount: 5 }, token);
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.code, "BAD_REQUEST");
        assert.match(r.body.message as string, new RegExp(`underlying ${underlying} is not listed`));
        r = await v.client.post("/v1/mmp/reset", { underlying }, token);
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.code, "BAD_REQUEST");
      }
      r = await v.client.get("/v1/mmp", token);
      assert.deepEqual(r.body.mmp, []);
      // The bounds themselves are accepted.
      r = await v.client.post("/v1/mmp", { ...base, underlying: underlyings, maxCount: MAX_MMP_COUNT }, token);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal((r.body.mmp as unknown[]).length, 1);
    } finally {
      await v.cleanup();
    }
  });
});
