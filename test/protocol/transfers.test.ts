import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  depositData,
  emptyAccount,
  equity,
  FEE_ACCOUNT,
  freeCollateral,
  globalHash,
  INSURANCE_ACCOUNT,
  isEmptyAccount,
  poseidon,
  positionsHash,
  InstrumentKind,
  optionId,
  perpId,
  TxType,
  verifyProof,
  withdrawalOrder,
} from "../../protocol/index.ts";
import type { Tx } from "../../protocol/index.ts";
import {
  checkWitness,
  ctx,
  depositTx,
  ETH_PRICE,
  keyOf,
  order,
  ownerOf,
  pkHashOf,
  rejects,
  sign,
  T0,
  TEST,
  tradeTx,
  UNIT,
  USDC,
  world,
} from "./fixtures.ts";

const withdrawTx = (id: bigint, amount: bigint, orderId = 1n, expiry = T0): Tx => ({
  type: TxType.WITHDRAW,
  withdrawal: sign(withdrawalOrder(id, amount, orderId, expiry)),
});

describe("genesis and state roots (§4)", () => {
  test("system accounts 0 and 1 exist with their keys; stateRoot = H(accountRoot, globalHash)", () => {
    const s = world();
    assert.equal(s.account(FEE_ACCOUNT).pkHash, pkHashOf(0n));
    assert.equal(s.account(INSURANCE_ACCOUNT).owner, ownerOf(1n));
    assert.ok(isEmptyAccount(s.account(2n), TEST));
    assert.deepEqual(s.globalState, { feePool: 0n, fundingIndex: [0n, 0n], lastFundingTime: [0n, 0n] });
    assert.equal(s.globalHash, poseidon([0n, 0n, 0n, 0n, 0n]));
    assert.equal(s.stateRoot, poseidon([s.accountRoot, s.globalHash]));
  });

  test("exitProof gives the leaf preimage, a valid path and the global preimage", () => {
    const s = world([123n * USDC]);
    const e = s.exitProof(2n);
    const a = e.account;
    assert.equal(e.leaf, poseidon([a.pkHash, a.owner, a.collateral, a.orderRoot, e.positionsHash]));
    assert.equal(e.positionsHash, positionsHash(a.positions, TEST));
    assert.ok(verifyProof(e.accountRoot, e.leaf, e.proof));
    assert.equal(e.globalHash, globalHash(e.global));
    assert.equal(e.stateRoot, s.stateRoot);
    assert.equal(a.collateral, 123n * USDC);
  });
});

describe("deposits (§6.8)", () => {
  test("a deposit creates an unregistered account; A = the account, B = account 0 unchanged", () => {
    const s = world();
    const w = s.applyTx(depositTx(5n, 77n), ctx());
    checkWitness(w, TEST);
    assert.equal(w.a.accountId, 5n);
    assert.deepEqual(w.a.before, emptyAccount(TEST));
    assert.deepEqual([w.a.after.owner, w.a.after.pkHash, w.a.after.collateral], [ownerOf(5n), pkHashOf(5n), 77n]);
    assert.equal(w.b.accountId, 0n);
    assert.deepEqual(w.b.before, w.b.after);
    // The owner and key go to the batch's deposit record (§8), not the slot.
    assert.deepEqual(w.publicData, depositData(5n, 77n));
    assert.equal(w.publicData[1], 0n);
    assert.equal(s.account(5n).collateral, 77n);
  });

  test("a second deposit with the same owner and key adds up", () => {
    const s = world([100n]);
    s.applyTx(depositTx(2n, 50n), ctx());
    assert.equal(s.account(2n).collateral, 150n);
  });

  test("a deposit to an account with another owner or key is ACCOUNT_MISMATCH", () => {
    const s = world([100n]);
    rejects(s, "ACCOUNT_MISMATCH", () => s.applyTx({ ...depositTx(2n, 1n), owner: 999n } as Tx, ctx()));
    rejects(s, "ACCOUNT_MISMATCH", () => s.applyTx({ ...depositTx(2n, 1n), pkHash: pkHashOf(3n) } as Tx, ctx()));
  });

  test("out-of-range deposits are OUT_OF_RANGE", () => {
    const s = world();
    rejects(s, "OUT_OF_RANGE", () => s.applyTx(depositTx(16n, 1n), ctx()));
    rejects(s, "OUT_OF_RANGE", () => s.applyTx(depositTx(2n, 1n << 56n), ctx()));
    rejects(s, "OUT_OF_RANGE", () => s.applyTx({ ...depositTx(2n, 1n), owner: 1n << 160n } as Tx, ctx()));
  });
});

describe("withdrawals (§6.8, §5.2)", () => {
  test("a withdrawal debits collateral, fills its message in the order tree and is public", () => {
    const s = world([1000n]);
    const w = s.applyTx(withdrawTx(2n, 400n, 9n), ctx());
    checkWitness(w, TEST);
    assert.equal(s.account(2n).collateral, 600n);
    assert.deepEqual(s.orderState(2n, 9n), { orderId: 9n, filled: 400n });
    assert.equal(w.orderA?.signed.order.orderId, 9n);
    // flat (bit 84): account 2 holds no position, so the withdrawal read no price (F13).
    assert.deepEqual(w.publicData, [2n + (2n << 4n) + (400n << 28n) + (1n << 84n), 9n]);
  });

  test("replaying a withdrawal is OVERFILL", () => {
    const s = world([1000n]);
    s.applyTx(withdrawTx(2n, 400n, 9n), ctx());
    rejects(s, "OVERFILL", () => s.applyTx(withdrawTx(2n, 400n, 9n), ctx()));
  });

  test("exactly the free collateral can be withdrawn, one unit more cannot", () => {
    const s = world([1000n * USDC, 1000n * USDC]);
    s.applyTx(tradeTx(order({ accountId: 2n, side: 0 }), order({ accountId: 3n, side: 1 }), UNIT, ETH_PRICE), ctx());
    const free = 1000n * USDC - (UNIT * ETH_PRICE * 2n) / 10_000n - (UNIT * ETH_PRICE) / 10n;
    rejects(s, "INSUFFICIENT_FREE_COLLATERAL", () => s.applyTx(withdrawTx(2n, free + 1n, 2n), ctx()));
    s.applyTx(withdrawTx(2n, free, 3n), ctx());
    assert.equal(s.account(2n).collateral, (UNIT * ETH_PRICE) / 10n);
  });

  test("withdrawing more than the collateral is INSUFFICIENT_FREE_COLLATERAL", () => {
    const s = world([1000n]);
    rejects(s, "INSUFFICIENT_FREE_COLLATERAL", () => s.applyTx(withdrawTx(2n, 1001n), ctx()));
  });

  test("a withdrawal signed by another key is BAD_SIGNATURE, a malformed one BAD_MESSAGE", () => {
    const s = world([1000n, 1000n]);
    const forged = {
      type: TxType.WITHDRAW,
      withdrawal: sign(withdrawalOrder(2n, 10n, 1n, T0), undefined, keyOf(3n)),
    } as Tx;
    rejects(s, "BAD_SIGNATURE", () => s.applyTx(forged, ctx()));
    const priced = {
      type: TxType.WITHDRAW,
      withdrawal: sign({ ...withdrawalOrder(2n, 10n, 1n, T0), price: 1n }),
    } as Tx;
    rejects(s, "BAD_MESSAGE", () => s.applyTx(priced, ctx()));
    rejects(s, "ORDER_EXPIRED", () => s.applyTx(withdrawTx(2n, 10n, 1n, T0 - 1n), ctx()));
    rejects(s, "UNKNOWN_ACCOUNT", () => s.applyTx(withdrawTx(7n, 10n), ctx()));
  });
});

describe("forced withdrawals (§6.8)", () => {
  test("served in full when collateral and IM allow; A = the account", () => {
    const s = world([1000n]);
    const w = s.applyTx({ type: TxType.FORCED_WITHDRAW, accountId: 2n, requested: 1000n }, ctx());
    checkWitness(w, TEST);
    assert.equal(w.served, 1000n);
    assert.equal(s.account(2n).collateral, 0n);
    assert.deepEqual(w.publicData, [3n + (2n << 4n) + (1000n << 28n) + (1n << 84n), 1000n], "flat: no position");
  });

  test("served min(requested, withdrawable) beyond collateral or IM (finding F11), 0 when nothing is", () => {
    const s = world([1000n * USDC, 1000n * USDC, 1000n * USDC]);
    let w = s.applyTx({ type: TxType.FORCED_WITHDRAW, accountId: 2n, requested: 1000n * USDC + 1n }, ctx());
    assert.equal(w.served, 1000n * USDC, "all the collateral, not nothing");
    assert.deepEqual(w.publicData, [3n + (2n << 4n) + ((1000n * USDC) << 28n) + (1n << 84n), 1000n * USDC + 1n]);
    checkWitness(w, TEST);
    // Account 3 buys 1 ETH: initial margin binds, and the request gets what IM leaves.
    s.applyTx(tradeTx(order({ accountId: 4n, side: 1 }), order({ accountId: 3n, side: 0 }), UNIT, ETH_PRICE), ctx());
    const marks = s.marks(ctx().prices);
    const free = freeCollateral(s.account(3n), marks);
    assert.ok(free > 0n && free < 900n * USDC);
    w = s.applyTx({ type: TxType.FORCED_WITHDRAW, accountId: 3n, requested: 900n * USDC }, ctx());
    assert.equal(w.served, free);
    assert.equal(freeCollateral(s.account(3n), marks), 0n, "nothing withdrawable after");
    checkWitness(w, TEST);
    const root = s.stateRoot;
    w = s.applyTx({ type: TxType.FORCED_WITHDRAW, accountId: 3n, requested: 1n }, ctx());
    assert.equal(w.served, 0n);
    assert.equal(s.stateRoot, root);
    // An unregistered account: refused, not an error (the L1 queue must always be served).
    assert.equal(s.applyTx({ type: TxType.FORCED_WITHDRAW, accountId: 9n, requested: 5n }, ctx()).served, 0n);
  });

  test("an account holding an expired, unsettled option is served 0", () => {
    const s = world([1000n * USDC, 1000n * USDC]);
    const call = optionId(1, InstrumentKind.CALL, 300_000n, T0 + 10n);
    const o = (id: bigint, side: 0 | 1) => order({ accountId: id, side, instrument: call, price: 5_000n });
    s.applyTx(tradeTx(o(2n, 1), o(3n, 0), UNIT, 5_000n), ctx());
    const w = s.applyTx({ type: TxType.FORCED_WITHDRAW, accountId: 3n, requested: USDC }, ctx({ timestamp: T0 + 10n }));
    assert.equal(w.served, 0n);
  });
});

describe("forced close (§6.10, finding F11)", () => {
  const setup = () => {
    const s = world([1000n * USDC, 1000n * USDC]);
    s.applyTx(tradeTx(order({ accountId: 2n, side: 1 }), order({ accountId: 3n, side: 0 }), UNIT, ETH_PRICE), ctx());
    return s;
  };
  const close = (accountId: bigint, instrument: bigint, settlement = false, insurance?: bigint): Tx => ({
    type: TxType.FORCED_CLOSE,
    accountId,
    instrument,
    settlement,
    ...(insurance === undefined ? {} : { insurance }),
  });

  test("the whole position goes to the insurance fund at the oracle price, equity falls by the penalty only", () => {
    for (const price of [ETH_PRICE, ETH_PRICE / 2n, ETH_PRICE * 2n]) {
      const s = setup();
      const marks = s.marks([price, ctx().prices[1]!]);
      const before = equity(s.account(3n), marks);
      const w = s.applyTx(close(3n, perpId(1)), ctx({ prices: [price, ctx().prices[1]!] }));
      checkWitness(w, TEST);
      assert.equal(w.served, 1n);
      assert.deepEqual([w.a.accountId, w.b.accountId], [INSURANCE_ACCOUNT, 3n]);
      assert.ok(s.account(3n).positions.every((p) => p.size === 0n));
      assert.equal(s.account(INSURANCE_ACCOUNT).positions[0]!.size, UNIT);
      // Penalty: 20% of the 5% maintenance margin = 1% of the notional at the oracle price.
      const penalty = (UNIT * price) / 100n;
      const after = s.account(3n).collateral;
      assert.equal(after, before > penalty ? before - penalty : 0n, "at worst the fund absorbs the deficit");
      assert.equal(w.publicData[0], 9n + (3n << 4n) + (perpId(1) << 28n) + (1n << 111n));
      assert.equal(w.publicData[1], INSURANCE_ACCOUNT);
    }
  });

  test("refused only when the account holds no position in the instrument; the fund must be a fund account", () => {
    const s = setup();
    const root = s.stateRoot;
    const w = s.applyTx(close(3n, perpId(2)), ctx());
    assert.equal(w.served, 0n);
    assert.equal(s.stateRoot, root);
    assert.deepEqual(w.publicData, [9n + (3n << 4n) + (perpId(2) << 28n), INSURANCE_ACCOUNT]);
    checkWitness(w, TEST);
    // An unregistered account holds nothing: refused, not an error.
    assert.equal(s.applyTx(close(9n, perpId(1)), ctx()).served, 0n);
    rejects(s, "BAD_LIQUIDATION", () => s.applyTx(close(3n, perpId(1), false, 2n), ctx()));
    rejects(s, "BAD_LIQUIDATION", () => s.applyTx(close(1n, perpId(1)), ctx()));
    rejects(s, "OUT_OF_RANGE", () => s.applyTx(close(3n, 0n), ctx()));
  });

  test("no margin rule: an underwater account is closed too, and a forced settlement waits for expiry", () => {
    const s = setup();
    // ETH at 1,500: account 3 (long 1 ETH from 3,000, ~1,000 USDC) is far below maintenance.
    const crash = ctx({ prices: [ETH_PRICE / 2n, ctx().prices[1]!] });
    const w = s.applyTx(close(3n, perpId(1)), crash);
    assert.equal(w.served, 1n);
    assert.equal(s.account(3n).collateral, 0n, "the deficit went to the fund");
    const t = setup();
    rejects(t, "NOT_EXPIRED", () => t.applyTx(close(2n, perpId(1), true), ctx()));
  });

  test("an expired option is settled at the batch's record (a record is required)", () => {
    const s = world([1000n * USDC, 1000n * USDC]);
    const call = optionId(1, InstrumentKind.CALL, 300_000n, T0 + 10n);
    const o = (id: bigint, side: 0 | 1) => order({ accountId: id, side, instrument: call, price: 5_000n });
    s.applyTx(tradeTx(o(2n, 1), o(3n, 0), UNIT, 5_000n), ctx());
    const later = { timestamp: T0 + 20n };
    rejects(s, "NO_SETTLEMENT_PRICE", () => s.applyTx(close(3n, call), ctx(later)));
    const rec = ctx({ ...later, settlements: [{ underlying: 1, expiry: T0 + 10n, price: 310_000n }] });
    const collateral = s.account(3n).collateral;
    const w = s.applyTx(close(3n, call, true), rec);
    checkWitness(w, TEST);
    assert.equal(w.served, 1n);
    assert.equal(w.settlementIndex, 0);
    // Long 1 call: + 1 × intrinsic(3,100) − premium paid, no penalty.
    assert.equal(s.account(3n).collateral, collateral + UNIT * 10_000n - UNIT * 5_000n);
    assert.ok(s.account(3n).positions.every((p) => p.size === 0n));
  });
});

describe("forced close of options: the fund never takes a short option for its intrinsic value (finding F17)", () => {
  const EXPIRY = T0 + 10n;
  const close = (accountId: bigint, instrument: bigint, settlement = false): Tx => ({
    type: TxType.FORCED_CLOSE,
    accountId,
    instrument,
    settlement,
  });

  test("for calls and puts, in and out of the money, at every time around expiry: refused iff short and live", () => {
    // Account 2 writes the option to account 3 at a premium far above its intrinsic value: the
    // time value a forced close at intrinsic would hand from the fund to the writer.
    for (const kind of [InstrumentKind.CALL, InstrumentKind.PUT])
      for (const strike of [ETH_PRICE - 10_000n, ETH_PRICE, ETH_PRICE + 10_000n])
        for (const [who, short] of [
          [2n, true],
          [3n, false],
        ] as const)
          for (const t of [T0, EXPIRY - 1n, EXPIRY, EXPIRY + 1n]) {
            const name = `${kind === InstrumentKind.CALL ? "call" : "put"} ${strike} ${short ? "short" : "long"} at ${t - EXPIRY}`;
            const s = world([1000n * USDC, 1000n * USDC]);
            const option = optionId(1, kind, strike, EXPIRY);
            const o = (id: bigint, side: 0 | 1) => order({ accountId: id, side, instrument: option, price: 20_000n });
            s.applyTx(tradeTx(o(2n, 1), o(3n, 0), UNIT, 20_000n), ctx());
            const settlements = t >= EXPIRY ? [{ underlying: 1, expiry: EXPIRY, price: ETH_PRICE }] : [];
            const root = s.stateRoot;
            const fund = s.account(INSURANCE_ACCOUNT);
            const w = s.applyTx(close(who, option), ctx({ timestamp: t, settlements }));
            checkWitness(w, TEST);
            const live = t < EXPIRY;
            assert.equal(w.served, short && live ? 0n : 1n, name);
            assert.equal((w.publicData[0] >> 111n) & 1n, w.served, `${name}: the posted served bit`);
            if (w.served === 0n) {
              assert.equal(s.stateRoot, root, `${name}: a refusal changes nothing`);
              assert.ok(
                s.account(who).positions.some((p) => p.instrument === option && p.size === -UNIT),
                name,
              );
            } else {
              assert.ok(
                s.account(who).positions.every((p) => p.instrument !== option || p.size === 0n),
                name,
              );
            }
            // The invariant: whatever the fund took, it took no short option.
            const took = s.account(INSURANCE_ACCOUNT).positions.find((p) => p.instrument === option);
            assert.ok(took === undefined || took.size >= 0n, `${name}: the fund is short the option`);
            if (!live) assert.deepEqual(s.account(INSURANCE_ACCOUNT).positions, fund.positions, `${name}: settled`);
          }
  });

  test("the short writer's margin stays until expiry, then a forced settlement frees it", () => {
    const s = world([1000n * USDC, 1000n * USDC]);
    const call = optionId(1, InstrumentKind.CALL, ETH_PRICE, EXPIRY);
    const o = (id: bigint, side: 0 | 1) => order({ accountId: id, side, instrument: call, price: 20_000n });
    s.applyTx(tradeTx(o(2n, 1), o(3n, 0), UNIT, 20_000n), ctx());
    assert.equal(s.applyTx(close(2n, call), ctx()).served, 0n);
    const settle = ctx({
      timestamp: EXPIRY,
      settlements: [{ underlying: 1, expiry: EXPIRY, price: ETH_PRICE + 1_000n }],
    });
    const collateral = s.account(2n).collateral;
    const w = s.applyTx(close(2n, call, true), settle);
    assert.equal(w.served, 1n);
    // Short 1 call settled 1,000 cents in the money: the writer keeps the premium it was paid
    // (booked in the position's cost until now) less the intrinsic value.
    assert.equal(s.account(2n).collateral, collateral + UNIT * (20_000n - 1_000n));
    assert.ok(s.account(2n).positions.every((p) => p.size === 0n));
  });
});

describe("fee sweep and no-op (§6.8)", () => {
  test("a sweep moves fees from the pool to the fee account; more than the pool is FEE_POOL", () => {
    const s = world([1000n * USDC, 1000n * USDC]);
    s.applyTx(tradeTx(order({ accountId: 2n, side: 0 }), order({ accountId: 3n, side: 1 }), UNIT, ETH_PRICE), ctx());
    const pool = s.globalState.feePool;
    assert.equal(pool, (UNIT * ETH_PRICE * 7n) / 10_000n);
    rejects(s, "FEE_POOL", () => s.applyTx({ type: TxType.FEE_SWEEP, amount: pool + 1n }, ctx()));
    const w = s.applyTx({ type: TxType.FEE_SWEEP, amount: pool }, ctx());
    checkWitness(w, TEST);
    assert.equal(w.a.accountId, FEE_ACCOUNT);
    assert.equal(w.b.accountId, FEE_ACCOUNT);
    assert.deepEqual(w.b.before, w.a.after);
    assert.equal(s.account(FEE_ACCOUNT).collateral, pool);
    assert.equal(s.globalState.feePool, 0n);
  });

  test("a no-op changes nothing and has A = B = account 0", () => {
    const s = world([5n]);
    const root = s.stateRoot;
    const accountRoot = s.accountRoot;
    const w = s.applyTx({ type: TxType.NOOP }, ctx());
    checkWitness(w, TEST, { before: accountRoot, after: accountRoot });
    assert.equal(s.stateRoot, root);
    assert.deepEqual([w.a.accountId, w.b.accountId, w.publicData], [0n, 0n, [0n, 0n]]);
  });
});

describe("batch context validation", () => {
  test("a context of the wrong shape is BAD_CONTEXT", () => {
    const s = world();
    rejects(s, "BAD_CONTEXT", () => s.applyTx({ type: TxType.NOOP }, ctx({ prices: [1n] })));
    rejects(s, "BAD_CONTEXT", () => s.applyTx({ type: TxType.NOOP }, ctx({ prices: [1n << 40n, 1n] })));
    const rec = { underlying: 1, expiry: T0, price: 1n };
    rejects(s, "BAD_CONTEXT", () => s.applyTx({ type: TxType.NOOP }, ctx({ settlements: [rec, rec] })));
    rejects(s, "BAD_CONTEXT", () =>
      s.applyTx({ type: TxType.NOOP }, ctx({ settlements: [{ ...rec, expiry: T0 + 1n }] })),
    );
  });

  test("finding F9: settlement records are canonical: increasing series keys, one record per series", () => {
    const s = world();
    const at = (expiry: bigint, underlying = 1, price = 1n) => ({ underlying, expiry, price });
    const t = ctx({ timestamp: T0 + 10n }).timestamp;
    const with_ = (settlements: ReturnType<typeof at>[]) => ctx({ timestamp: t, settlements });
    // Ordered by expiry, then underlying (the key is underlying + expiry·2^8).
    s.applyTx({ type: TxType.NOOP }, with_([at(T0, 2), at(T0 + 1n, 1)]));
    rejects(s, "BAD_CONTEXT", () => s.applyTx({ type: TxType.NOOP }, with_([at(T0 + 1n), at(T0)])));
    rejects(s, "BAD_CONTEXT", () => s.applyTx({ type: TxType.NOOP }, with_([at(T0, 2), at(T0, 1)])));
    // Two prices for one series would let the prover pick per slot.
    rejects(s, "BAD_CONTEXT", () => s.applyTx({ type: TxType.NOOP }, with_([at(T0, 1, 1n), at(T0, 1, 2n)])));
  });
});
