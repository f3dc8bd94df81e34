/**
 * Property tests over random sequences of transactions (fast-check): value conservation
 * (§6.9), the collateral rule (§6.7), canonical position slots, valid witnesses, and that a
 * failed transaction leaves the state untouched; and that `check` (plain records,
 * protocol/check.ts) and `commit` (Merkle trees, protocol/state.ts) agree on every step of
 * every history. Orders come from a pre-signed pool, since circomlibjs signs about 30 orders a
 * second.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CheckState,
  decodeInstrument,
  FLAG_REDUCE_ONLY,
  hasOpenPosition,
  InstrumentKind,
  INSURANCE_ACCOUNT,
  intrinsic,
  optionId,
  ProtocolError,
  TxType,
  withdrawalOrder,
} from "../../protocol/index.ts";
import type { BatchContext, Order, RollupState, SignedOrder, Tx } from "../../protocol/index.ts";
import {
  BTC,
  checkWitness,
  ctx,
  depositTx,
  ETH,
  ownerOf,
  pkHashOf,
  sign,
  T0,
  TEST,
  UNIT,
  USDC,
  world,
} from "./fixtures.ts";

const USERS = [2n, 3n, 4n, 5n];
const EXP = T0 + 600n;
const CALL = optionId(1, InstrumentKind.CALL, 300_000n, EXP);
const INSTRUMENTS = [ETH, BTC, CALL] as const;
/** Limits wide enough that random fill prices between them are valid: [sell, buy] per instrument. */
const LIMITS: Record<string, readonly [bigint, bigint]> = {
  [ETH.toString()]: [200_000n, 400_000n],
  [BTC.toString()]: [4_000_000n, 8_000_000n],
  [CALL.toString()]: [1_000n, 40_000n],
};

/** pool[user][instrument][side][variant]; variant 1 is reduce-only. */
const pool: SignedOrder[][][][] = USERS.map((accountId) =>
  INSTRUMENTS.map((instrument, i) =>
    [0, 1].map((side) =>
      [0, 1].map((variant) => {
        const [lo, hi] = LIMITS[instrument.toString()]!;
        const o: Order = {
          accountId,
          instrument,
          side: side as 0 | 1,
          size: 2n * UNIT,
          price: side === 0 ? hi : lo,
          orderId: BigInt(1 + i * 4 + side * 2 + variant),
          expiry: T0 + 1_000_000n,
          flags: variant === 1 ? FLAG_REDUCE_ONLY : 0n,
        };
        return sign(o);
      }),
    ),
  ),
);
const AMOUNTS = [10n * USDC, 500n * USDC, 5_000n * USDC];
const withdrawals = USERS.map((id) =>
  AMOUNTS.map((amount, k) => sign(withdrawalOrder(id, amount, BigInt(20 + k), T0 + 1_000_000n))),
);

const op = fc.oneof(
  fc.record({
    kind: fc.constant("deposit" as const),
    user: fc.nat(3),
    amount: fc.bigInt({ min: 0n, max: 5_000n * USDC }),
  }),
  fc.record({ kind: fc.constant("withdraw" as const), user: fc.nat(3), k: fc.nat(2) }),
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("trade" as const),
      maker: fc.nat(3),
      taker: fc.nat(3),
      inst: fc.nat(2),
      makerSide: fc.nat(1),
      makerVariant: fc.constantFrom(0, 0, 0, 1),
      takerVariant: fc.constantFrom(0, 0, 0, 1),
      size: fc.bigInt({ min: 1n, max: UNIT / 2n }),
      /** Per mille from the mark (perps) or of the limit range (the option). */
      at: fc.integer({ min: -50, max: 1000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("liquidate" as const),
      user: fc.nat(4),
      inst: fc.nat(2),
      size: fc.bigInt({ min: 1n, max: 2n * UNIT }),
    }),
  },
  fc.record({
    kind: fc.constant("funding" as const),
    u: fc.integer({ min: 1, max: 2 }),
    permille: fc.integer({ min: -1100, max: 1100 }),
  }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("settle" as const), user: fc.nat(4), inst: fc.nat(2) }) },
  fc.record({
    kind: fc.constant("forced" as const),
    user: fc.nat(4),
    requested: fc.bigInt({ min: 0n, max: 3_000n * USDC }),
  }),
  fc.record({ kind: fc.constant("sweep" as const), amount: fc.bigInt({ min: 0n, max: 20n * USDC }) }),
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("advance" as const),
      dt: fc.bigInt({ min: 0n, max: 400n }),
      eth: fc.integer({ min: -30, max: 25 }),
      btc: fc.integer({ min: -30, max: 25 }),
    }),
  },
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

/** The account id of user index `i`, where index 4 is the insurance fund. */
const userId = (i: number): bigint => USERS[i] ?? INSURANCE_ACCOUNT;

/** The `k`-th open position of `id` (mod their count), or an empty ETH slot when none. */
function held(s: RollupState, id: bigint, k: number): { instrument: bigint; size: bigint } {
  const open = s.account(id).positions.filter((p) => p.size !== 0n);
  return open.length === 0 ? { instrument: ETH, size: 0n } : open[k % open.length]!;
}

function toTx(o: Op, context: BatchContext, s: RollupState): Tx | null {
  switch (o.kind) {
    case "deposit":
      return depositTx(userId(o.user), o.amount);
    case "withdraw":
      return { type: TxType.WITHDRAW, withdrawal: withdrawals[o.user]![o.k]! };
    case "trade": {
      const maker = pool[o.maker]![o.inst]![o.makerSide]![o.makerVariant]!;
      const taker = pool[(o.maker + 1 + (o.taker % 3)) % 4]![o.inst]![1 - o.makerSide]![o.takerVariant]!;
      const [lo, hi] = LIMITS[INSTRUMENTS[o.inst]!.toString()]!;
      const mark = context.prices[o.inst]; // ETH and BTC are underlyings 1 and 2
      const price =
        mark === undefined || o.inst === 2
          ? lo + ((hi - lo) * BigInt(Math.abs(o.at))) / 1000n
          : mark + (mark * BigInt(o.at % 51)) / 1000n;
      return { type: TxType.TRADE, maker, taker, size: o.size, price: price < lo ? lo : price > hi ? hi : price };
    }
    case "liquidate": {
      const { instrument, size } = held(s, userId(o.user), o.inst);
      // Mostly a valid size (1..|size|), sometimes the raw draw (which may be too big).
      const q = size !== 0n && o.size % 4n !== 0n ? 1n + (o.size % (size < 0n ? -size : size)) : o.size;
      return { type: TxType.LIQUIDATE, accountId: userId(o.user), instrument, size: q };
    }
    case "funding": {
      const price = context.prices[o.u - 1]!;
      return { type: TxType.FUNDING, underlying: o.u, delta: (price * BigInt(o.permille)) / 1_000_000n };
    }
    case "settle": {
      // Mostly the option (the only instrument that settles), sometimes whatever is held.
      const instrument = o.inst === 0 ? held(s, userId(o.user), 0).instrument : CALL;
      return { type: TxType.SETTLE, accountId: userId(o.user), instrument };
    }
    case "forced":
      return { type: TxType.FORCED_WITHDRAW, accountId: userId(o.user), requested: o.requested };
    case "sweep":
      return { type: TxType.FEE_SWEEP, amount: o.amount };
    case "advance":
      return null;
  }
}

/** A random history: four users' deposits, the option's settlement price, then the ops. */
const history = [
  fc.array(fc.bigInt({ min: 200n * USDC, max: 2_000n * USDC }), { minLength: 4, maxLength: 4 }),
  fc.bigInt({ min: 250_000n, max: 350_000n }),
  fc.array(op, { minLength: 15, maxLength: 40 }),
] as const;

/** The batch context after an "advance" op: later, with moved prices, the option's record once expired. */
function advanced(context: BatchContext, o: Extract<Op, { kind: "advance" }>, settlementPrice: bigint): BatchContext {
  const timestamp = context.timestamp + o.dt;
  const prices = [(context.prices[0]! * BigInt(100 + o.eth)) / 100n, (context.prices[1]! * BigInt(100 + o.btc)) / 100n];
  const settlements = timestamp >= EXP ? [{ underlying: 1, expiry: EXP, price: settlementPrice }] : [];
  return { ...context, timestamp, prices, settlements };
}

/** Σ (collateral + Σ (size × v − cost)) + feePool over every leaf, for a fixed valuation `v`. */
function totalValue(s: RollupState, v: (instrument: bigint) => bigint): bigint {
  let total = s.globalState.feePool;
  for (let id = 0n; id < 1n << BigInt(TEST.accountDepth); id++) {
    const a = s.account(id);
    total += a.collateral;
    for (const p of a.positions) total += p.size * v(p.instrument) - p.cost;
  }
  return total;
}

function checkInvariants(s: RollupState): void {
  for (let id = 0n; id < 1n << BigInt(TEST.accountDepth); id++) {
    const a = s.account(id);
    if (id !== INSURANCE_ACCOUNT) assert.ok(a.collateral >= 0n || hasOpenPosition(a), `§6.7 broken for account ${id}`);
    const held = a.positions.filter((p) => p.size !== 0n).map((p) => p.instrument);
    assert.equal(new Set(held).size, held.length, "one slot per instrument");
    for (const p of a.positions) if (p.size === 0n) assert.deepEqual(p, { instrument: 0n, size: 0n, cost: 0n });
  }
}

describe("random transaction sequences", () => {
  test("conserve value, keep the collateral rule, and fail atomically", () => {
    const applied = new Map<number, number>();
    let failed = 0;
    const codes = new Map<string, number>();
    fc.assert(
      fc.property(...history, (deposits, settlementPrice, ops) => {
        const s = world(deposits);
        let net = deposits.reduce((a, b) => a + b, 0n);
        const callValue = intrinsic(decodeInstrument(CALL), settlementPrice);
        const v = (instrument: bigint): bigint =>
          instrument === CALL ? callValue : instrument === ETH ? 123_456n : instrument === BTC ? 654_321n : 0n;
        let context = ctx();
        for (const o of ops) {
          if (o.kind === "advance") {
            context = advanced(context, o, settlementPrice);
            continue;
          }
          const tx = toTx(o, context, s)!;
          const root = s.stateRoot;
          const accountRoot = s.accountRoot;
          const global = s.globalState;
          try {
            const w = s.applyTx(tx, context);
            applied.set(tx.type, (applied.get(tx.type) ?? 0) + 1);
            checkWitness(w, TEST, { before: accountRoot, after: s.accountRoot });
            if (tx.type === TxType.DEPOSIT) net += tx.amount;
            if (tx.type === TxType.WITHDRAW) net -= tx.withdrawal.order.size;
            if (tx.type === TxType.FORCED_WITHDRAW) net -= w.served;
          } catch (e) {
            if (!(e instanceof ProtocolError)) throw e;
            failed++;
            codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
            assert.equal(s.stateRoot, root, `${e.code} changed the state root`);
            assert.deepEqual(s.globalState, global);
          }
          checkInvariants(s);
          assert.equal(totalValue(s, v), net, "§6.9 value conservation");
        }
      }),
      { numRuns: 40 },
    );
    // The generator must exercise both outcomes, or the property proves little.
    const ok = (type: number) => applied.get(type) ?? 0;
    console.log("applied by type", Object.fromEntries(applied), "failed", Object.fromEntries(codes));
    for (const type of [TxType.DEPOSIT, TxType.WITHDRAW, TxType.TRADE, TxType.FUNDING, TxType.FORCED_WITHDRAW]) {
      assert.ok(ok(type) > 0, `no successful transaction of type ${type}`);
    }
    assert.ok(failed > 50, `only ${failed} failures`);
  });
});

/** The records of `id` that both stores keep: everything but `orderRoot`, which only commit computes. */
function records(s: RollupState | CheckState, id: bigint): unknown {
  const { orderRoot: _root, ...rest } = s.account(id);
  return rest;
}

describe("check and commit", () => {
  test("agree on every step of random histories: accept or refuse alike (same code), same records", () => {
    const codes = new Map<string, number>();
    let accepted = 0;
    fc.assert(
      fc.property(...history, (deposits, settlementPrice, ops) => {
        const commit = world(deposits);
        const check = CheckState.genesis(TEST, {
          feeAccount: { pkHash: pkHashOf(0n), owner: ownerOf(0n) },
          insurance: { pkHash: pkHashOf(1n), owner: ownerOf(1n) },
        });
        deposits.forEach((amount, i) => check.applyTx(depositTx(BigInt(i + 2), amount), ctx()));
        let context = ctx();
        const ids = Array.from({ length: 1 << TEST.accountDepth }, (_, i) => BigInt(i));
        for (const o of ops) {
          if (o.kind === "advance") {
            context = advanced(context, o, settlementPrice);
            continue;
          }
          const tx = toTx(o, context, commit)!;
          const run = (apply: () => { served: bigint; liquidationPrice: bigint }) => {
            try {
              const r = apply();
              return { ok: `${r.served}:${r.liquidationPrice}` };
            } catch (e) {
              if (!(e instanceof ProtocolError)) throw e;
              return { code: e.code, accountId: e.accountId };
            }
          };
          const committed = run(() => commit.applyTx(tx, context));
          const checked = run(() => check.applyTx(tx, context));
          assert.deepEqual(checked, committed, `tx type ${tx.type}`);
          if ("code" in committed) codes.set(committed.code!, (codes.get(committed.code!) ?? 0) + 1);
          else accepted++;
          for (const id of ids) assert.deepEqual(records(check, id), records(commit, id), `account ${id}`);
          assert.deepEqual(check.globalState, commit.globalState);
          for (const id of USERS)
            for (let orderId = 1n; orderId <= 23n; orderId++)
              assert.deepEqual(
                check.orderState(id, orderId),
                commit.orderState(id, orderId),
                `order ${orderId} of ${id}`,
              );
        }
      }),
      { numRuns: 40 },
    );
    // Both outcomes, many codes: agreement on refusals matters as much as on acceptances.
    assert.ok(accepted > 200, `only ${accepted} accepted`);
    assert.ok(codes.size >= 5, `refusal codes seen: ${[...codes.keys()].join(", ")}`);
  });
});
