import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  computeRoot,
  emptyAccount,
  FEE_ACCOUNT,
  globalHash,
  hashNode,
  INSURANCE_ACCOUNT,
  isEmptyAccount,
  leafHash,
  poseidon,
  positionsHash,
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
    assert.equal(s.stateRoot, hashNode(s.accountRoot, s.globalHash));
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
    assert.equal(w.publicData[1], pkHashOf(5n));
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
    assert.equal(w.publicData[0], 2n + (2n << 4n) + (400n << 36n) + (9n << 92n));
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
    assert.equal(w.publicData[0], 3n + (2n << 4n) + (1000n << 36n) + (1000n << 92n));
  });

  test("refused (served 0, nothing changes) beyond collateral or IM, and proven so", () => {
    const s = world([1000n * USDC, 1000n * USDC]);
    let w = s.applyTx({ type: TxType.FORCED_WITHDRAW, accountId: 2n, requested: 1000n * USDC + 1n }, ctx());
    assert.equal(w.served, 0n);
    assert.deepEqual(w.a.before, w.a.after);
    assert.equal(w.publicData[0], 3n + (2n << 4n) + ((1000n * USDC + 1n) << 92n));
    s.applyTx(tradeTx(order({ accountId: 2n, side: 0 }), order({ accountId: 3n, side: 1 }), UNIT, ETH_PRICE), ctx());
    const root = s.stateRoot;
    w = s.applyTx({ type: TxType.FORCED_WITHDRAW, accountId: 2n, requested: 900n * USDC }, ctx());
    assert.equal(w.served, 0n);
    assert.equal(s.stateRoot, root);
    checkWitness(w, TEST);
    // An unregistered account: refused, not an error (the L1 queue must always be served).
    assert.equal(s.applyTx({ type: TxType.FORCED_WITHDRAW, accountId: 9n, requested: 5n }, ctx()).served, 0n);
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
    const w = s.applyTx({ type: TxType.NOOP }, ctx());
    checkWitness(w, TEST);
    assert.equal(s.stateRoot, root);
    assert.deepEqual([w.a.accountId, w.b.accountId, w.publicData], [0n, 0n, [0n, 0n]]);
    assert.equal(computeRoot(leafHash(w.a.before, TEST), w.a.proof), w.accountRootBefore);
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
