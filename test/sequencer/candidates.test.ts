/**
 * The liquidation index (sequencer/core/risk/candidates.ts) against the full scan it replaces.
 *
 * - protocol/'s `maintenanceInterval`: both ends pass `belowMM`, the prices just outside fail
 *   it, and sampled prices inside pass it, for random accounts holding perps and options;
 * - a price move examines only the accounts whose interval it left;
 * - differential (fast-check): random histories of deposits, withdrawals, trades in perps and
 *   options of both underlyings, funding, price moves (up, down, to 0, 1 cent and 2^40 − 1)
 *   and option settlements, run on three ledgers: one asking the index after every step (its
 *   candidates must hold every account the full scan finds below maintenance margin), one that
 *   asks it only on price and funding ticks as the venue does, and one with the full scan. The
 *   three must liquidate the same accounts, the same way, and keep identical records.
 */
import { describe, test } from "node:test";
import { deserialize, serialize } from "node:v8";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  belowMM,
  CheckState,
  FLAG_REDUCE_ONLY,
  InstrumentKind,
  INSURANCE_ACCOUNT,
  maintenanceHeadroomScaled,
  maintenanceInterval,
  optionId,
  ProtocolError,
  RollupState,
  TxType,
  withdrawalOrder,
} from "../../protocol/index.ts";
import type { Account, Marks, Order, Position, SignedOrder, Tx } from "../../protocol/index.ts";
import { ProtocolLedger } from "../../sequencer/core/ledger.ts";
import { MatchingEngine } from "../../sequencer/core/engine/engine.ts";
import { liquidateUnderwater } from "../../sequencer/core/risk/liquidator.ts";
import type { CandidateScan, RiskActions } from "../../sequencer/core/risk/liquidator.ts";
import { BTC, DEMO, depositTx, DOMAIN, ETH, ownerOf, pkHashOf, sign, T0, UNIT, USDC } from "../protocol/fixtures.ts";

const MAX_PRICE = (1n << 40n) - 1n;
const BASE = [300_000n, 6_000_000n] as const;
const EXP_CALL = T0 + 900n;
const EXP_PUT = T0 + 2_400n;
const CALL = optionId(1, InstrumentKind.CALL, 300_000n, EXP_CALL);
const PUT = optionId(2, InstrumentKind.PUT, 6_000_000n, EXP_PUT);
const INSTRUMENTS = [ETH, BTC, CALL, PUT] as const;
const USERS = [2n, 3n, 4n, 5n, 6n];

function marksAt(prices: readonly bigint[], fundingIndex: readonly bigint[] = [0n, 0n]): Marks {
  return { prices, fundingIndex };
}

function accountWith(collateral: bigint, positions: readonly Position[]): Account {
  const slots = [...positions];
  while (slots.length < DEMO.positions) slots.push({ instrument: 0n, size: 0n, cost: 0n });
  return { pkHash: 1n, owner: 1n, collateral, orderRoot: 0n, positions: slots };
}

const withPrice = (marks: Marks, u: number, p: bigint): Marks => {
  const prices = marks.prices.slice();
  prices[u - 1] = p;
  return { prices, fundingIndex: marks.fundingIndex };
};

describe("maintenanceInterval", () => {
  const position = fc.record({
    inst: fc.nat(3),
    size: fc.bigInt({ min: -3n * UNIT, max: 3n * UNIT }),
    entry: fc.bigInt({ min: 0n, max: 8_000_000n }),
  });
  test("its ends pass belowMM, the prices just outside fail it, and so does nothing inside", () => {
    let bounded = 0;
    fc.assert(
      fc.property(
        fc.bigInt({ min: -2_000n * USDC, max: 20_000n * USDC }),
        fc.array(position, { minLength: 1, maxLength: 4 }),
        fc.array(fc.bigInt({ min: 0n, max: 10_000_000n }), { minLength: 2, maxLength: 2 }),
        fc.array(fc.bigInt({ min: -5_000n, max: 5_000n }), { minLength: 2, maxLength: 2 }),
        fc.array(fc.bigInt({ min: 0n, max: 1n << 20n }), { minLength: 8, maxLength: 8 }),
        (collateral, raw, prices, funding, samples) => {
          const seen = new Set<bigint>();
          const positions = raw
            .filter((p) => p.size !== 0n && !seen.has(INSTRUMENTS[p.inst]!) && seen.add(INSTRUMENTS[p.inst]!))
            .map((p) => ({ instrument: INSTRUMENTS[p.inst]!, size: p.size, cost: p.size * p.entry }));
          const account = accountWith(collateral, positions);
          const marks = marksAt(prices, funding);
          for (const u of [1, 2]) {
            const interval = maintenanceInterval(account, marks, u);
            assert.equal(interval === null, belowMM(account, marks), "null exactly when below MM now");
            if (interval === null) continue;
            const { lo, hi } = interval;
            const fails = (p: bigint): boolean => belowMM(account, withPrice(marks, u, p));
            assert.ok(lo <= prices[u - 1]! && prices[u - 1]! <= hi, "holds the current price");
            assert.ok(!fails(lo) && !fails(hi), "both ends pass");
            if (lo > 0n) assert.ok(fails(lo - 1n), `${lo - 1n} (below lo) fails`);
            if (hi < MAX_PRICE) {
              assert.ok(fails(hi + 1n), `${hi + 1n} (above hi) fails`);
              bounded += 1;
            }
            // Inside: a spread of samples, both ends' neighbours and the headroom at the ends.
            const width = hi - lo;
            for (const s of samples) {
              const p = lo + (width === 0n ? 0n : (s * width) >> 20n);
              assert.ok(maintenanceHeadroomScaled(account, withPrice(marks, u, p)) >= 0n, `${p} inside passes`);
            }
            for (const p of [lo + 1n, hi - 1n]) if (p >= lo && p <= hi) assert.ok(!fails(p));
          }
        },
      ),
      { numRuns: 400 },
    );
    assert.ok(bounded > 50, `most accounts have a finite upper end (${bounded})`);
  });

  test("with one share per underlying, prices anywhere in both intervals at once pass belowMM", () => {
    let narrower = 0;
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 20_000n * USDC }),
        fc.array(position, { minLength: 2, maxLength: 4 }),
        fc.array(fc.bigInt({ min: 1n, max: 10_000_000n }), { minLength: 2, maxLength: 2 }),
        fc.array(fc.bigInt({ min: 0n, max: 1n << 20n }), { minLength: 6, maxLength: 6 }),
        (collateral, raw, prices, samples) => {
          const seen = new Set<bigint>();
          const positions = raw
            .filter((p) => p.size !== 0n && !seen.has(INSTRUMENTS[p.inst]!) && seen.add(INSTRUMENTS[p.inst]!))
            .map((p) => ({ instrument: INSTRUMENTS[p.inst]!, size: p.size, cost: p.size * p.entry }));
          const account = accountWith(collateral, positions);
          const marks = marksAt(prices);
          const eth = maintenanceInterval(account, marks, 1, 2);
          const btc = maintenanceInterval(account, marks, 2, 2);
          if (eth === null || btc === null) return;
          const full = maintenanceInterval(account, marks, 1)!;
          assert.ok(full.lo <= eth.lo && eth.hi <= full.hi, "a share is within the whole interval");
          if (full.lo < eth.lo || eth.hi < full.hi) narrower += 1;
          const at = (iv: { lo: bigint; hi: bigint }, s: bigint): bigint => iv.lo + (((iv.hi - iv.lo) * s) >> 20n);
          const corners = [
            [eth.lo, btc.lo],
            [eth.lo, btc.hi],
            [eth.hi, btc.lo],
            [eth.hi, btc.hi],
          ];
          for (let i = 0; i < samples.length; i += 2) corners.push([at(eth, samples[i]!), at(btc, samples[i + 1]!)]);
          for (const p of corners) assert.ok(!belowMM(account, marksAt(p)), `${p.join(", ")} passes`);
        },
      ),
      { numRuns: 400 },
    );
    assert.ok(narrower > 20, `sharing the headroom narrows some intervals (${narrower})`);
  });
});

/** Three ledgers fed the same commands; they differ only in how a liquidation pass finds accounts. */
class Venue {
  readonly ledger: ProtocolLedger;
  readonly engine: MatchingEngine;

  constructor(
    readonly scan: CandidateScan,
    /** Ask the index after every step as well (the superset check), not only on ticks. */
    readonly eager: boolean,
  ) {
    const system = {
      feeAccount: { pkHash: pkHashOf(0n), owner: ownerOf(0n) },
      insurance: { pkHash: pkHashOf(1n), owner: ownerOf(1n) },
    };
    this.ledger = new ProtocolLedger(CheckState.genesis(DEMO, system), RollupState.genesis(DEMO, system), DOMAIN, [
      ...BASE,
    ]);
    this.engine = new MatchingEngine(this.ledger, []);
  }

  /** Applies `tx`; a refusal is returned as its code (the three ledgers must agree on it). */
  apply(tx: Tx, now: bigint): string {
    try {
      this.ledger.apply(tx, now);
      return "ok";
    } catch (e) {
      if (e instanceof ProtocolError) return e.code;
      throw e;
    }
  }

  /** Every registered account below MM at the oracle prices (the full scan's set, before filters). */
  underwater(): bigint[] {
    const state = this.ledger.state;
    const marks = state.marks(this.ledger.oraclePrices);
    return [...this.ledger.registeredAccounts()].filter((id) => belowMM(state.account(id), marks));
  }

  /** The superset property: the index's candidates hold every account below MM. */
  checkIndex(): number {
    const want = this.underwater();
    const got = new Set(this.ledger.liquidationIndex.candidates(this.ledger.state, this.ledger.oraclePrices));
    for (const id of want) assert.ok(got.has(id), `the index misses account ${id}, below MM`);
    return want.length;
  }

  tick(now: bigint): RiskActions {
    if (this.eager) this.checkIndex();
    return liquidateUnderwater(this.ledger, this.engine, now, this.scan);
  }

  records(): string {
    const s = this.ledger.state;
    const ids = [0n, INSURANCE_ACCOUNT, ...USERS];
    return JSON.stringify([ids.map((id) => s.account(id)), s.globalState], (_k, v: unknown) =>
      typeof v === "bigint" ? v.toString() : v,
    );
  }
}

const json = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x));

/** pool[user][instrument][side]: large orders at the widest limits, so any fill price is valid. */
const pool: SignedOrder[][][] = USERS.map((accountId) =>
  INSTRUMENTS.map((instrument, i) =>
    [0, 1].map((side) => {
      const o: Order = {
        accountId,
        instrument,
        side: side as 0 | 1,
        size: 100_000n * UNIT,
        price: side === 0 ? MAX_PRICE : 1n,
        orderId: BigInt(1 + i * 2 + side),
        expiry: T0 + 1_000_000n,
        flags: 0n,
      };
      return sign(o);
    }),
  ),
);
const reduceOnly = USERS.map((accountId) =>
  [0, 1].map((side) =>
    sign({
      accountId,
      instrument: ETH,
      side: side as 0 | 1,
      size: 100_000n * UNIT,
      price: side === 0 ? MAX_PRICE : 1n,
      orderId: 9n + BigInt(side),
      expiry: T0 + 1_000_000n,
      flags: FLAG_REDUCE_ONLY,
    }),
  ),
);
const withdrawals = USERS.map((id) => sign(withdrawalOrder(id, 300n * USDC, 12n, T0 + 1_000_000n)));

const op = fc.oneof(
  fc.record({ kind: fc.constant("deposit" as const), user: fc.nat(4), amount: fc.bigInt({ min: 1n, max: 3_000n }) }),
  fc.record({ kind: fc.constant("withdraw" as const), user: fc.nat(4) }),
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("trade" as const),
      maker: fc.nat(4),
      taker: fc.nat(3),
      inst: fc.nat(3),
      makerSide: fc.nat(1),
      reduce: fc.constantFrom(false, false, false, true),
      size: fc.bigInt({ min: 1n, max: 2n * UNIT }),
      /** Per mille from the mark (perps) or of 5% of the price (options). */
      at: fc.integer({ min: -60, max: 1000 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("price" as const),
      u: fc.nat(2),
      how: fc.constantFrom("pct", "pct", "pct", "pct", "zero", "one", "max", "base"),
      /** Percent move: mostly small (accounts near MM on two underlyings), sometimes large. */
      pct: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: -4, max: 4 }) }, fc.integer({ min: -60, max: 60 })),
    }),
  },
  fc.record({
    kind: fc.constant("funding" as const),
    u: fc.integer({ min: 1, max: 2 }),
    permille: fc.integer({ min: -1000, max: 1000 }),
  }),
  fc.record({ kind: fc.constant("advance" as const), dt: fc.integer({ min: 1, max: 900 }) }),
  fc.record({ kind: fc.constant("settle" as const), price: fc.bigInt({ min: 0n, max: 10_000_000n }) }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

/** Totals over all runs of the differential test, to show it exercised what it claims. */
const seen = { liquidations: 0, underwater: 0, ticks: 0, settled: 0, trades: 0, examined: 0, scanned: 0 };

function run(ops: readonly Op[], deposits: readonly bigint[]): void {
  const venues = [new Venue("index", true), new Venue("index", false), new Venue("full", false)];
  let now = T0 * 1000n;
  const all = <T>(f: (v: Venue) => T): T[] => venues.map(f);
  const same = <T>(f: (v: Venue) => T, what: string): T => {
    const [first, ...rest] = all(f).map((x) => ({ x, s: json(x) }));
    for (const r of rest) assert.equal(r.s, first!.s, `${what} differs between index and full scan`);
    return first!.x;
  };
  const apply = (tx: Tx): string => same((v) => v.apply(tx, now), "refusal");
  const tick = (): void => {
    const actions = same((v) => v.tick(now), "liquidation");
    seen.ticks += 1;
    seen.liquidations += actions.fills.length;
  };

  USERS.forEach((id, i) => apply(depositTx(id, deposits[i]! * USDC)));
  for (const o of ops) {
    now += 1000n;
    switch (o.kind) {
      case "deposit":
        apply(depositTx(USERS[o.user]!, o.amount * USDC));
        break;
      case "withdraw":
        apply({ type: TxType.WITHDRAW, withdrawal: withdrawals[o.user]! });
        break;
      case "trade": {
        const taker = (o.maker + 1 + o.taker) % USERS.length;
        const maker = pool[o.maker]![o.inst]![o.makerSide]!;
        const takerOrder =
          o.reduce && o.inst === 0 ? reduceOnly[taker]![1 - o.makerSide]! : pool[taker]![o.inst]![1 - o.makerSide]!;
        const prices = venues[0]!.ledger.oraclePrices;
        const mark = prices[o.inst % 2]!;
        let price =
          o.inst < 2 ? mark + (mark * BigInt(o.at % 61)) / 1000n : 1n + (mark * BigInt(Math.abs(o.at))) / 20_000n;
        if (price < 1n) price = 1n;
        if (price > MAX_PRICE) price = MAX_PRICE;
        if (apply({ type: TxType.TRADE, maker, taker: takerOrder, size: o.size, price }) === "ok") seen.trades += 1;
        break;
      }
      case "price": {
        const prices = venues[0]!.ledger.oraclePrices.slice();
        const u = o.u === 2 ? [0, 1] : [o.u];
        for (const i of u) {
          const p = prices[i]!;
          prices[i] =
            o.how === "zero"
              ? 0n
              : o.how === "one"
                ? 1n
                : o.how === "max"
                  ? MAX_PRICE
                  : o.how === "base"
                    ? BASE[i]!
                    : (() => {
                        const moved = ((p === 0n ? 1n : p) * BigInt(100 + o.pct)) / 100n;
                        return moved > MAX_PRICE ? MAX_PRICE : moved;
                      })();
        }
        for (const v of venues) {
          v.ledger.setPrices(prices, [0n, 0n]);
          v.ledger.ensureContext(now, (ctx) => ctx.prices.every((p, i) => p === prices[i]));
        }
        tick();
        break;
      }
      case "funding": {
        now += DEMO.fundingInterval * 1000n;
        for (const v of venues) v.ledger.closeBatch(now);
        const price = venues[0]!.ledger.oraclePrices[o.u - 1]!;
        const delta = (price * BigInt(o.permille)) / 1_000_000n;
        if (apply({ type: TxType.FUNDING, underlying: o.u, delta }) === "ok") tick();
        break;
      }
      case "advance":
        now += BigInt(o.dt) * 1000n;
        for (const v of venues) v.ledger.closeBatch(now);
        break;
      case "settle": {
        // Every holder of a series that expired, at a random settlement price.
        const t = now / 1000n;
        for (const [inst, u, expiry] of [
          [CALL, 1, EXP_CALL],
          [PUT, 2, EXP_PUT],
        ] as const) {
          if (expiry > t) continue;
          const record = { underlying: u, expiry, price: o.price };
          for (const id of [...USERS, INSURANCE_ACCOUNT]) {
            const held = venues[0]!.ledger.state
              .account(id)
              .positions.some((p) => p.size !== 0n && p.instrument === inst);
            if (!held) continue;
            const codes = same(
              (v) =>
                v.ledger.withSettlements([{ record, roundId: 0n }], now, () =>
                  v.apply({ type: TxType.SETTLE, accountId: id, instrument: inst }, now),
                ),
              "settlement",
            );
            if (codes === "ok") seen.settled += 1;
          }
        }
        break;
      }
    }
    seen.underwater += venues[0]!.checkIndex();
    same((v) => v.records(), "records");
  }
  const index = venues[1]!.ledger.liquidationIndex.stats;
  seen.examined += index.examined;
  seen.scanned += index.passes * [...venues[1]!.ledger.registeredAccounts()].length;
}

describe("liquidation index against the full scan", () => {
  test("random histories: candidates hold every account below MM, liquidations are identical", () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 150n, max: 3_000n }), { minLength: USERS.length, maxLength: USERS.length }),
        fc.array(op, { minLength: 20, maxLength: 60 }),
        (deposits, ops) => run(ops, deposits),
      ),
      { numRuns: 40 },
    );
    assert.ok(seen.trades > 100, `trades were accepted (${seen.trades})`);
    assert.ok(seen.liquidations > 0, `some histories liquidated someone (${seen.liquidations})`);
    assert.ok(seen.underwater > 0, `accounts went below MM (${seen.underwater} account-steps)`);
    assert.ok(seen.settled > 0, `options were settled (${seen.settled})`);
    assert.ok(seen.examined < seen.scanned, `the index examined fewer accounts than a scan (${json(seen)})`);
  });
});

describe("a price move examines only the accounts whose interval it left", () => {
  test("of 40 accounts long ETH at spread-out leverage, an 8% drop re-examines only the crossed ones", () => {
    const system = {
      feeAccount: { pkHash: pkHashOf(0n), owner: ownerOf(0n) },
      insurance: { pkHash: pkHashOf(1n), owner: ownerOf(1n) },
    };
    const ledger = new ProtocolLedger(CheckState.genesis(DEMO, system), RollupState.genesis(DEMO, system), DOMAIN, [
      ...BASE,
    ]);
    const index = ledger.liquidationIndex;
    const state = ledger.state;
    const now = T0 * 1000n;
    // Accounts 2..41 deposit; 2..21 then go long 1 ETH against 22..41 at 3,000.00 (10× max).
    const ids = Array.from({ length: 40 }, (_, i) => BigInt(i + 2));
    // Longs hold 302..397 USDC (liquidated near 2,840.00 to 2,740.00), shorts 2,000 USDC.
    for (const [i, id] of ids.entries())
      ledger.apply(depositTx(id, (i < 20 ? 302n + 5n * BigInt(i) : 2_000n) * USDC), now);
    const order = (accountId: bigint, side: 0 | 1): SignedOrder =>
      sign({
        accountId,
        instrument: ETH,
        side,
        size: UNIT,
        price: BASE[0],
        orderId: 1n,
        expiry: T0 + 10_000n,
        flags: 0n,
      });
    for (let i = 0; i < 20; i++)
      ledger.apply(
        { type: TxType.TRADE, maker: order(ids[i]!, 0), taker: order(ids[i + 20]!, 1), size: UNIT, price: BASE[0] },
        now,
      );
    assert.equal(index.candidates(state, BASE).length, 40, "every account is examined once at first");
    assert.equal(index.candidates(state, BASE).length, 0, "nothing moved: nothing to examine");
    // An 8% drop: only the longs whose lower end is above 2,760.00 are re-examined.
    const drop = [276_000n, BASE[1]];
    const crossed = ids.filter((id) => {
      const iv = maintenanceInterval(state.account(id), state.marks(BASE), 1);
      return iv === null || iv.lo > drop[0]!;
    });
    assert.ok(crossed.length > 0 && crossed.length < 20, `some but not all longs cross (${crossed.length})`);
    // A ledger restored from a snapshot taken now (v8 round trip, as stored) finds the same
    // candidates without examining every account again.
    ledger.takeClosed(); // at a boundary: the venue has taken every closed batch
    const snap = deserialize(serialize(ledger.toSnapshot())) as ReturnType<ProtocolLedger["toSnapshot"]>;
    const copy = new ProtocolLedger(
      CheckState.fromSnapshot(DEMO, snap.state),
      RollupState.genesis(DEMO, system),
      DOMAIN,
      [...BASE],
    );
    copy.restore(snap);
    const examined = copy.liquidationIndex.stats.examined;
    assert.deepEqual(copy.liquidationIndex.candidates(copy.state, drop), crossed, "the restored index");
    assert.equal(copy.liquidationIndex.stats.examined - examined, crossed.length, "no rebuild after the restore");
    assert.deepEqual(index.candidates(state, drop), crossed);
    const under = ids.filter((id) => belowMM(state.account(id), state.marks(drop)));
    assert.ok(under.every((id) => crossed.includes(id)));
    // A BTC move touches nobody (no one holds BTC), and the accounts below MM stay candidates.
    const btc = [276_000n, 5_000_000n];
    assert.deepEqual(index.candidates(state, btc), under);
  });

  test("a funding update re-examines the holders of its underlying", () => {
    const system = {
      feeAccount: { pkHash: pkHashOf(0n), owner: ownerOf(0n) },
      insurance: { pkHash: pkHashOf(1n), owner: ownerOf(1n) },
    };
    const ledger = new ProtocolLedger(CheckState.genesis(DEMO, system), RollupState.genesis(DEMO, system), DOMAIN, [
      ...BASE,
    ]);
    const { liquidationIndex: index, state } = ledger;
    const now = T0 * 1000n;
    ledger.apply(depositTx(2n, 400n * USDC), now);
    ledger.apply(depositTx(3n, 100_000n * USDC), now);
    ledger.apply(depositTx(4n, 100_000n * USDC), now);
    const order = (accountId: bigint, side: 0 | 1): SignedOrder =>
      sign({
        accountId,
        instrument: ETH,
        side,
        size: UNIT,
        price: BASE[0],
        orderId: 1n,
        expiry: T0 + 10_000n,
        flags: 0n,
      });
    ledger.apply({ type: TxType.TRADE, maker: order(2n, 0), taker: order(3n, 1), size: UNIT, price: BASE[0] }, now);
    assert.deepEqual(index.candidates(state, BASE), [2n, 3n, 4n]);
    // ETH to the bottom of account 2's interval: at MM, not below, nothing to examine.
    const lo = maintenanceInterval(state.account(2n), state.marks(BASE), 1)!.lo;
    const prices = [lo, BASE[1]];
    ledger.setPrices(prices, [0n, 0n]);
    ledger.closeBatch(now);
    assert.deepEqual(index.candidates(state, prices), []);
    // Longs pay the largest funding allowed: account 2 falls below MM without a price move.
    const later = now + DEMO.fundingInterval * 1000n;
    ledger.apply({ type: TxType.FUNDING, underlying: 1, delta: (lo * 10n) / 10_000n }, later);
    assert.ok(belowMM(state.account(2n), state.marks(prices)));
    assert.deepEqual(index.candidates(state, prices), [2n, 3n], "both ETH holders, not account 4");
  });

  test("an account on two underlyings: both prices moving inside their single-price intervals can still be caught", () => {
    const system = {
      feeAccount: { pkHash: pkHashOf(0n), owner: ownerOf(0n) },
      insurance: { pkHash: pkHashOf(1n), owner: ownerOf(1n) },
    };
    const ledger = new ProtocolLedger(CheckState.genesis(DEMO, system), RollupState.genesis(DEMO, system), DOMAIN, [
      ...BASE,
    ]);
    const { liquidationIndex: index, state } = ledger;
    const now = T0 * 1000n;
    ledger.apply(depositTx(2n, 700n * USDC), now);
    ledger.apply(depositTx(3n, 100_000n * USDC), now);
    const order = (accountId: bigint, instrument: bigint, side: 0 | 1, price: bigint, orderId: bigint): SignedOrder =>
      sign({ accountId, instrument, side, size: UNIT, price, orderId, expiry: T0 + 10_000n, flags: 0n });
    // Account 2: long 1 ETH at 3,000.00 and long 0.05 BTC at 60,000.00 (3,000 USDC each).
    for (const [instrument, price, id] of [
      [ETH, BASE[0], 1n],
      [BTC, BASE[1], 2n],
    ] as const) {
      const size = instrument === ETH ? UNIT : UNIT / 20n;
      ledger.apply(
        {
          type: TxType.TRADE,
          maker: order(2n, instrument, 0, price, id),
          taker: order(3n, instrument, 1, price, id),
          size,
          price,
        },
        now,
      );
    }
    assert.deepEqual(index.candidates(state, BASE), [2n, 3n]);
    const account = state.account(2n);
    const eth = maintenanceInterval(account, state.marks(BASE), 1)!;
    const btc = maintenanceInterval(account, state.marks(BASE), 2)!;
    const half = maintenanceInterval(account, state.marks(BASE), 1, 2)!;
    // Both prices a little lower, inside the index's (shared) intervals: nobody to examine.
    const small = [half.lo, BASE[1] - 1_000n];
    assert.ok(!belowMM(account, state.marks(small)));
    assert.deepEqual(index.candidates(state, small), []);
    // Each price at the bottom of its own interval (each alone passes), together below MM:
    // the index returns the account.
    const both = [eth.lo, btc.lo];
    assert.ok(!belowMM(account, state.marks([eth.lo, BASE[1]])) && !belowMM(account, state.marks([BASE[0], btc.lo])));
    assert.ok(belowMM(account, state.marks(both)));
    assert.deepEqual(index.candidates(state, both), [2n]);
  });
});
