/**
 * Shared fixtures of the protocol tests: deterministic keys, a funded genesis state, batch
 * contexts, memoised order signing, and a checker for the witness invariants of state.ts.
 */
import assert from "node:assert/strict";
import {
  BatchBuilder,
  computeRoot,
  domainSeparator,
  getProfile,
  initCrypto,
  leafHash,
  orderLeafHash,
  perpId,
  pkHash,
  publicKeyOf,
  ProtocolError,
  RollupState,
  Side,
  signOrder,
  tradingKeyFromSignature,
  TxType,
  verifyProof,
} from "../../protocol/index.ts";
import type {
  BatchContext,
  Order,
  PrivateKey,
  Profile,
  ProtocolErrorCode,
  SettlementRecord,
  SignedOrder,
  Tx,
  TxWitness,
} from "../../protocol/index.ts";

await initCrypto();

export const TEST = getProfile("test");
export const DEMO = getProfile("demo");
export const DOMAIN = domainSeparator(31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
export const ETH = perpId(1);
export const BTC = perpId(2);
/** 3,000.00 USDC and 60,000.00 USDC, in cents. */
export const ETH_PRICE = 300_000n;
export const BTC_PRICE = 6_000_000n;
export const T0 = 1_800_000_000n;
/** One whole USDC in base units, and one whole underlying unit in size units. */
export const USDC = 1_000_000n;
export const UNIT = 10_000n;

/** Deterministic trading key of test account `id` (keccak of a fake wallet signature). */
export function keyOf(id: bigint): PrivateKey {
  const sig = new Uint8Array(65);
  sig[0] = Number(id) + 1;
  sig[64] = 27;
  return tradingKeyFromSignature(sig);
}

const pkHashes = new Map<bigint, bigint>();
export function pkHashOf(id: bigint): bigint {
  let h = pkHashes.get(id);
  if (h === undefined) {
    h = pkHash(publicKeyOf(keyOf(id)));
    pkHashes.set(id, h);
  }
  return h;
}

export function ownerOf(id: bigint): bigint {
  return 0xa11ce000n + id;
}

export function ctx(over: Partial<BatchContext> = {}, profile: Profile = TEST): BatchContext {
  const prices = [ETH_PRICE, BTC_PRICE, 1_000n].slice(0, profile.underlyings);
  return { timestamp: T0, domain: DOMAIN, prices, settlements: [] as SettlementRecord[], ...over };
}

export function depositTx(id: bigint, amount: bigint): Tx {
  return { type: TxType.DEPOSIT, accountId: id, owner: ownerOf(id), pkHash: pkHashOf(id), amount };
}

/** Genesis plus a deposit of `amounts[i]` into account 2 + i. */
export function world(amounts: readonly bigint[] = [], profile: Profile = TEST): RollupState {
  const state = RollupState.genesis(profile, {
    feeAccount: { pkHash: pkHashOf(0n), owner: ownerOf(0n) },
    insurance: { pkHash: pkHashOf(1n), owner: ownerOf(1n) },
  });
  amounts.forEach((amount, i) => state.applyTx(depositTx(BigInt(i + 2), amount), ctx({}, profile)));
  return state;
}

const signed = new Map<string, SignedOrder>();
/** Signs `order` with its account's key, memoised (circomlibjs signing is slow). */
export function sign(order: Order, domain: bigint = DOMAIN, key: PrivateKey = keyOf(order.accountId)): SignedOrder {
  const k = JSON.stringify({ order, domain, key: [...key] }, (_, v: unknown) =>
    typeof v === "bigint" ? v.toString() : v,
  );
  let s = signed.get(k);
  if (s === undefined) {
    s = signOrder(key, order, domain);
    signed.set(k, s);
  }
  return s;
}

export function order(o: Partial<Order> & Pick<Order, "accountId" | "side">): Order {
  return { instrument: ETH, size: UNIT, price: ETH_PRICE, orderId: 1n, expiry: T0 + 3600n, flags: 0n, ...o };
}

/** A buy order of `accountId` with the defaults of `order`. */
export const buy = (accountId: bigint, o: Partial<Order> = {}): Order => order({ accountId, side: Side.BUY, ...o });
/** A sell order of `accountId` with the defaults of `order`. */
export const sell = (accountId: bigint, o: Partial<Order> = {}): Order => order({ accountId, side: Side.SELL, ...o });

export function tradeTx(maker: Order, taker: Order, size: bigint, price: bigint): Tx {
  return { type: TxType.TRADE, maker: sign(maker), taker: sign(taker), size, price };
}

/** Asserts `fn` throws a ProtocolError with `code` and that `state`'s root did not move. */
export function rejects(state: RollupState, code: ProtocolErrorCode, fn: () => unknown): void {
  const root = state.stateRoot;
  assert.throws(fn, (e: unknown) => e instanceof ProtocolError && e.code === code, `expected ${code}`);
  assert.equal(state.stateRoot, root, "a failed transaction must leave the state unchanged");
}

/**
 * The witness invariants the circuit relies on: A's proof against the root before, B's against
 * the root after A's update, the root after, and the global state transition. Returns the
 * account roots before and after the slot that the proofs imply; with `roots` (the state's
 * `accountRoot` before and after applying it) they must be those.
 */
export function checkWitness(
  w: TxWitness,
  profile: Profile,
  roots?: { readonly before: bigint; readonly after: bigint },
): { before: bigint; after: bigint } {
  const before = computeRoot(leafHash(w.a.before, profile), w.a.proof);
  assert.equal(w.a.proof.index, w.a.accountId);
  const mid = computeRoot(leafHash(w.a.after, profile), w.a.proof);
  assert.ok(verifyProof(mid, leafHash(w.b.before, profile), w.b.proof), "B before, after A");
  assert.equal(w.b.proof.index, w.b.accountId);
  const after = computeRoot(leafHash(w.b.after, profile), w.b.proof);
  if (roots !== undefined) {
    assert.equal(before, roots.before, "A before: the root before the slot");
    assert.equal(after, roots.after, "B after: the root after the slot");
  }
  const fill = w.tx.type === TxType.TRADE ? w.tx.size : w.tx.type === TxType.WITHDRAW ? w.tx.withdrawal.order.size : 0n;
  for (const [o, owner] of [
    [w.orderA, w.a],
    [w.orderB, w.b],
  ] as const) {
    if (o === null) continue;
    const { orderId } = o.signed.order;
    assert.equal(o.signed.order.accountId, owner.accountId);
    assert.equal(o.proof.index, orderId % (1n << BigInt(profile.orderDepth)));
    assert.ok(verifyProof(owner.before.orderRoot, orderLeafHash(o.storedId, o.storedFilled), o.proof), "order before");
    const filled = (orderId === o.storedId ? o.storedFilled : 0n) + fill;
    assert.equal(computeRoot(orderLeafHash(orderId, filled), o.proof), owner.after.orderRoot, "order after");
  }
  return { before, after };
}

/** Runs a batch of `txs` at one context and returns it (closed, padded). */
export function runBatch(state: RollupState, context: BatchContext, txs: readonly Tx[]) {
  const builder = new BatchBuilder(state, context);
  for (const tx of txs) builder.add(tx);
  return builder.close();
}
