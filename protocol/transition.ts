/**
 * The transition rules of docs/protocol.md §6, one function per transaction type, run on a
 * private copy of the state (`Transition`). The copy commits only when the rule returns.
 *
 * The rules read and write accounts through a `TxStore`, and run unchanged on two of them:
 * - **commit** (`RollupState.applyTx`, state.ts): the account and order Merkle trees. Every
 *   write hashes the leaf and takes the proof the circuit's witness needs.
 * - **check** (`CheckState.applyTx`, check.ts): plain records, no hashing at all. The
 *   sequencer's core runs this one per command; its batch builder runs commit over the same
 *   transactions when the batch closes.
 * No rule can tell the stores apart (no rule reads a hash), so what the core accepts is what the
 * builder and the circuit accept, by construction; the builder still compares the two
 * (sequencer/builder) and test/protocol/check.test.ts runs both on the same random histories.
 */
import { applyFill, findSlot, hasOpenPosition, leafHash, orderLeafHash, slotFor, withPosition } from "./account.ts";
import {
  BITS,
  BPS,
  FEE_ACCOUNT,
  FLAG_POST_ONLY,
  FLAG_REDUCE_ONLY,
  FUND_BAND_BPS,
  FUNDING_CAP_BPS,
  INSURANCE_ACCOUNT,
  LIQ_PENALTY_BPS,
  MAKER_FEE_BPS,
  TAKER_FEE_BPS,
} from "./constants.ts";
import { ensure, ProtocolError } from "./errors.ts";
import { abs, fitsSigned, fitsUnsigned, FIELD_MODULUS, lowMask } from "./field.ts";
import { decodeInstrument, isOption, validateInstrument, WITHDRAWAL_INSTRUMENT } from "./instruments.ts";
import { pkHashCached } from "./keys.ts";
import {
  belowMM,
  equity,
  expiredOption,
  freeCollateral,
  intrinsic,
  maintenanceHeadroomScaled,
  maintenanceMarginScaled,
  meetsIM,
} from "./margin.ts";
import type { Marks } from "./margin.ts";
import {
  depositData,
  feeSweepData,
  forcedCloseData,
  ORDER_ID_WINDOW,
  forcedWithdrawData,
  fundingData,
  liquidationData,
  NOOP_DATA,
  settlementData,
  tradeData,
  withdrawData,
} from "./pubdata.ts";
import type { PublicData } from "./pubdata.ts";
import { verifyOrderSignature } from "./signing.ts";
import type { SparseMerkleTree } from "./tree.ts";
import { InstrumentKind, Side, TxType } from "./types.ts";
import type {
  Account,
  AccountUpdate,
  BatchContext,
  GlobalState,
  InstrumentSpec,
  MerkleProof,
  Order,
  OrderUpdate,
  Profile,
  SideCode,
  SignedOrder,
  Tx,
} from "./types.ts";

/** What an order-tree leaf holds: `H(orderId, filled)`'s preimage. */
export interface OrderSlot {
  readonly orderId: bigint;
  readonly filled: bigint;
}

/** An account record with its order tree (whose root is `account.orderRoot`): the commit store's entry. */
export interface AccountEntry {
  readonly account: Account;
  readonly orders: SparseMerkleTree<OrderSlot>;
}

/**
 * An account as a rule holds it: the record and its store's handle on the account's order slots
 * (opaque to the rules: an order tree in the commit store, pending slot writes in the check store).
 */
export interface StoreEntry {
  readonly account: Account;
  readonly orders: unknown;
}

/**
 * Where a transition reads and writes accounts (see the file's header). A store is private to
 * one transaction: its writes are kept only when the rule returns.
 */
export interface TxStore {
  /** The account at `id` (the empty account when never written); `id` is in range. */
  entry(id: bigint): StoreEntry;
  /**
   * Writes `after` (range-checked by the caller), or leaves the account unchanged when null.
   * Returns the Merkle proof of `id` against the root before the write (commit), or
   * `UNPROVEN` (check).
   */
  write(id: bigint, after: StoreEntry | null): MerkleProof;
  /** Order slot `index` of the account (`{0, 0}` when never written) and its proof (or `UNPROVEN`). */
  orderSlot(entry: StoreEntry, index: bigint): { readonly slot: OrderSlot; readonly proof: MerkleProof };
  /** `entry` with order slot `index` set to `slot` (and, in commit, `orderRoot` updated). */
  withOrder(entry: StoreEntry, index: bigint, slot: OrderSlot): StoreEntry;
}

/** The proof a check store returns in place of a Merkle proof: it proves nothing and is never used. */
export const UNPROVEN: MerkleProof = Object.freeze({
  index: -1n,
  siblings: Object.freeze([]) as readonly bigint[],
}) as MerkleProof;

/** The commit store: the account tree, whose leaves carry the account records and order trees. */
export class TreeStore implements TxStore {
  constructor(
    readonly tree: SparseMerkleTree<AccountEntry>,
    private readonly empty: AccountEntry,
    private readonly profile: Profile,
  ) {}

  entry(id: bigint): AccountEntry {
    return this.tree.getValue(id) ?? this.empty;
  }

  write(id: bigint, after: StoreEntry | null): MerkleProof {
    const proof = this.tree.proof(id);
    if (after !== null) {
      const entry = after as AccountEntry;
      // Hashed when a proof or the root reads it (protocol/tree.ts): an account written by many
      // slots of a batch is hashed once.
      const profile = this.profile;
      this.tree.set(id, () => leafHash(entry.account, profile), entry);
    }
    return proof;
  }

  orderSlot(entry: StoreEntry, index: bigint): { slot: OrderSlot; proof: MerkleProof } {
    const orders = (entry as AccountEntry).orders;
    return { slot: orders.getValue(index) ?? { orderId: 0n, filled: 0n }, proof: orders.proof(index) };
  }

  withOrder(entry: StoreEntry, index: bigint, slot: OrderSlot): AccountEntry {
    const orders = (entry as AccountEntry).orders.clone();
    orders.set(index, orderLeafHash(slot.orderId, slot.filled), slot);
    return { account: { ...entry.account, orderRoot: orders.root }, orders };
  }
}

/**
 * `BAD_CONTEXT`. A module function, not a closure in `validateContext`: the sequencer runs under
 * tsx, whose esbuild keeps function names by defining `name` on every named closure each time
 * it is made, and `validateContext` runs once per transaction.
 */
function contextFail(why: string): never {
  throw new ProtocolError("BAD_CONTEXT", why);
}

/** Checks a batch context against the profile's shape and the field widths (`BAD_CONTEXT`). */
export function validateContext(ctx: BatchContext, profile: Profile): void {
  const fail = contextFail;
  if (!fitsUnsigned(ctx.timestamp, BITS.timestamp)) fail(`timestamp ${ctx.timestamp}`);
  if (!fitsUnsigned(ctx.domain, 252)) fail("domain must be a 252-bit value");
  if (ctx.prices.length !== profile.underlyings) fail(`expected ${profile.underlyings} prices`);
  for (const p of ctx.prices) if (!fitsUnsigned(p, BITS.price)) fail(`price ${p}`);
  if (ctx.settlements.length > profile.settlements) fail(`more than ${profile.settlements} settlement records`);
  // Canonical order (§8): keys `underlying + expiry·2^8` strictly increasing, so a record is
  // found by its series alone and no two records name one series.
  for (let i = 1; i < ctx.settlements.length; i++) {
    if (settlementKey(ctx.settlements[i - 1]!) >= settlementKey(ctx.settlements[i]!)) {
      fail("settlement records must be in strictly increasing (expiry, underlying) order");
    }
  }
  for (const r of ctx.settlements) {
    if (!Number.isInteger(r.underlying) || r.underlying < 1 || r.underlying > profile.underlyings) {
      fail(`settlement underlying ${r.underlying}`);
    }
    if (r.expiry <= 0n || r.expiry > ctx.timestamp) fail(`settlement expiry ${r.expiry} not in (0, t]`);
    if (!fitsUnsigned(r.price, BITS.price)) fail(`settlement price ${r.price}`);
  }
}

/** A settlement record's series key `underlying + expiry·2^8` (its packed form without the price). */
export function settlementKey(r: { readonly underlying: number; readonly expiry: bigint }): bigint {
  return BigInt(r.underlying) + (r.expiry << BigInt(BITS.underlying));
}

/** Range checks of §1 on an order as signed (`OUT_OF_RANGE`). */
function checkOrderRanges(order: Order, profile: Profile): void {
  // The messages' closures are anonymous (see `contextFail`): `orderWhere` is a module function.
  ensure(fitsUnsigned(order.accountId, profile.accountDepth), "OUT_OF_RANGE", () => `${orderWhere(order)}: accountId`);
  ensure(fitsUnsigned(order.instrument, BITS.instrument), "OUT_OF_RANGE", () => `${orderWhere(order)}: instrument`);
  ensure(order.side === Side.BUY || order.side === Side.SELL, "OUT_OF_RANGE", () => `${orderWhere(order)}: side`);
  ensure(order.size >= 1n && fitsUnsigned(order.size, BITS.size), "OUT_OF_RANGE", () => `${orderWhere(order)}: size`);
  ensure(fitsUnsigned(order.price, BITS.price), "OUT_OF_RANGE", () => `${orderWhere(order)}: price`);
  ensure(fitsUnsigned(order.orderId, BITS.orderId), "OUT_OF_RANGE", () => `${orderWhere(order)}: orderId`);
  ensure(fitsUnsigned(order.expiry, BITS.timestamp), "OUT_OF_RANGE", () => `${orderWhere(order)}: expiry`);
  ensure(fitsUnsigned(order.flags, BITS.flags), "OUT_OF_RANGE", () => `${orderWhere(order)}: flags`);
}

function orderWhere(order: Order): string {
  return `order ${order.orderId} of account ${order.accountId}`;
}

/** Range checks of §1 on an account after a transaction (`OUT_OF_RANGE`). */
function checkAccountRanges(id: bigint, a: Account): void {
  ensure(
    fitsSigned(a.collateral, BITS.collateral),
    "OUT_OF_RANGE",
    () => `account ${id}: collateral ${a.collateral}`,
    id,
  );
  for (const p of a.positions) {
    ensure(fitsSigned(p.size, BITS.positionSize), "OUT_OF_RANGE", () => `account ${id}: position size ${p.size}`, id);
    ensure(fitsSigned(p.cost, BITS.cost), "OUT_OF_RANGE", () => `account ${id}: position cost ${p.cost}`, id);
  }
}

/** §6.7: every touched account but an insurance fund account has collateral ≥ 0 or an open position. */
function checkCollateralRule(t: Transition, id: bigint, a: Account): void {
  if (t.isInsurance(a)) return;
  ensure(
    a.collateral >= 0n || hasOpenPosition(a),
    "NEGATIVE_COLLATERAL",
    () => `account ${id} would hold ${a.collateral} collateral and no position`,
    id,
  );
}

/** The position shrank toward zero without flipping (§6.3.9). */
function reduces(before: bigint, after: bigint): boolean {
  return before !== 0n && (after === 0n || after > 0n === before > 0n) && abs(after) < abs(before);
}

/** Size of slot `index` (0 when the slot is past the end). */
function sizeAt(a: Account, index: number): bigint {
  return a.positions[index]?.size ?? 0n;
}

/**
 * A transaction in progress: its store (a private copy of the accounts) and global state, and
 * the account updates made so far. Discarded on failure, kept by the state on success.
 */
export class Transition {
  global: GlobalState;

  constructor(
    readonly profile: Profile,
    readonly ctx: BatchContext,
    readonly store: TxStore,
    global: GlobalState,
    /** Replaying a transaction a validity proof already covered: skip the key and signature check. */
    private readonly proven: boolean = false,
    /** The batch's instrument table so far, and in a replay the index the slot posted (§8). */
    private readonly instruments: InstrumentTableView = { table: [] },
  ) {
    this.global = global;
  }

  /**
   * The index by which a trade or liquidation of `instrument` names it in the batch's instrument
   * table (§8): the posted one in a replay (its entry must be `instrument`), else the instrument's
   * entry, else the next free one; `BATCH_FULL` when all `profile.instruments` entries hold others.
   */
  instrumentIndex(instrument: bigint): bigint {
    const { table, posted } = this.instruments;
    if (posted !== undefined) {
      ensure(
        table[Number(posted)] === instrument,
        "BAD_INSTRUMENT",
        () => `instrument-table entry ${posted} is not instrument ${instrument}`,
      );
      return posted;
    }
    const at = table.indexOf(instrument);
    if (at >= 0) return BigInt(at);
    ensure(
      table.length < this.profile.instruments,
      "BATCH_FULL",
      () => `the batch already names ${this.profile.instruments} instruments (its instrument table)`,
    );
    return BigInt(table.length);
  }

  /**
   * An insurance fund account (§4.1): account 1 or any account with account 1's owner and
   * trading key (both fixed at genesis). Only account 1's owner can register such accounts.
   */
  isInsurance(account: Account): boolean {
    const fund = this.entry(INSURANCE_ACCOUNT).account;
    return account.pkHash === fund.pkHash && account.owner === fund.owner;
  }

  /** `UNSETTLED_EXPIRY` when the account holds an option whose expiry is at or before t (§6.2.1). */
  requireSettled(id: bigint, account: Account): void {
    const expired = expiredOption(account, this.ctx.timestamp);
    ensure(
      expired === null,
      "UNSETTLED_EXPIRY",
      () => `account ${id} holds expired option ${expired} that is not settled yet: settle it first`,
      id,
    );
  }

  /** Valuation at this batch's prices and the current funding indices. */
  get marks(): Marks {
    return { prices: this.ctx.prices, fundingIndex: this.global.fundingIndex };
  }

  entry(id: bigint): StoreEntry {
    ensure(fitsUnsigned(id, this.profile.accountDepth), "OUT_OF_RANGE", () => `account id ${id}`);
    return this.store.entry(id);
  }

  /** A registered account (non-zero pkHash), else `UNKNOWN_ACCOUNT`. */
  registered(id: bigint): StoreEntry {
    const e = this.entry(id);
    ensure(e.account.pkHash !== 0n, "UNKNOWN_ACCOUNT", () => `account ${id} is not registered`);
    return e;
  }

  /**
   * Writes `after` (or leaves the account unchanged when null), returning the update with the
   * proof against the root before the write.
   */
  write(id: bigint, after: StoreEntry | null): AccountUpdate {
    const before = this.entry(id);
    if (after !== null) checkAccountRanges(id, after.account);
    const proof = this.store.write(id, after);
    return { accountId: id, before: before.account, after: (after ?? before).account, proof };
  }

  /**
   * §5.3: records a fill of `q` of `signed` in its account's order tree. The id is at least the
   * slot's and below it plus 2^32, so the 32 bits a slot posts give it back (`fullOrderId`).
   */
  fillOrder(entry: StoreEntry, signed: SignedOrder, q: bigint): { entry: StoreEntry; update: OrderUpdate } {
    const { order } = signed;
    const index = order.orderId & lowMask(this.profile.orderDepth);
    const { slot: stored, proof } = this.store.orderSlot(entry, index);
    ensure(
      order.orderId >= stored.orderId,
      "ORDER_SLOT_REUSED",
      () => `order ${order.orderId} of account ${order.accountId}: slot ${index} holds newer order ${stored.orderId}`,
      order.accountId,
    );
    ensure(
      order.orderId < stored.orderId + ORDER_ID_WINDOW,
      "ORDER_ID_WINDOW",
      () =>
        `order ${order.orderId} of account ${order.accountId}: not below ${stored.orderId} + 2^32, the id slot ${index} holds plus the window a slot posts (ask the venue for the account's next order id)`,
      order.accountId,
    );
    const filledBefore = order.orderId === stored.orderId ? stored.filled : 0n;
    ensure(
      filledBefore + q <= order.size,
      "OVERFILL",
      () => `order ${order.orderId} of account ${order.accountId}: ${filledBefore} + ${q} > size ${order.size}`,
      order.accountId,
    );
    return {
      entry: this.store.withOrder(entry, index, { orderId: order.orderId, filled: filledBefore + q }),
      update: { signed, storedId: stored.orderId, storedFilled: stored.filled, proof },
    };
  }

  /**
   * The signer's key hashes to the account's pkHash and the signature verifies (§6.3.1).
   * Skipped only for a proven replay (protocol/rebuild.ts), whose orders are synthetic.
   */
  checkSignature(entry: StoreEntry, signed: SignedOrder): void {
    if (this.proven) return;
    const id = signed.order.accountId;
    ensure(
      pkHashCached(signed.publicKey) === entry.account.pkHash,
      "BAD_SIGNATURE",
      () => `order ${signed.order.orderId}: key is not account ${id}'s trading key`,
      id,
    );
    ensure(
      verifyOrderSignature(signed, this.ctx.domain),
      "BAD_SIGNATURE",
      () => `order ${signed.order.orderId} of account ${id}: invalid signature`,
      id,
    );
  }

  price(underlying: number): bigint {
    return this.ctx.prices[underlying - 1]!;
  }

  fundingIndex(underlying: number): bigint {
    return this.global.fundingIndex[underlying - 1]!;
  }

  /** Cost per unit of a fill at price `p`: `p − F[u]` for perps, `p` for options (§6.1). */
  unitCost(spec: InstrumentSpec, p: bigint): bigint {
    return spec.kind === InstrumentKind.PERP ? p - this.fundingIndex(spec.underlying) : p;
  }

  /** Moves `amount` (≥ 0) into the fee pool. */
  addFees(amount: bigint): void {
    const feePool = this.global.feePool + amount;
    ensure(fitsUnsigned(feePool, BITS.feePool), "OUT_OF_RANGE", () => `fee pool ${feePool}`);
    this.global = { ...this.global, feePool };
  }
}

/** Shortfall rule (§6.4.4): a liquidatee or settled account with no position and negative cash. */
function absorbShortfall(account: Account, insurance: Account): { account: Account; insurance: Account } {
  if (hasOpenPosition(account) || account.collateral >= 0n) return { account, insurance };
  return {
    account: { ...account, collateral: 0n },
    insurance: { ...insurance, collateral: insurance.collateral + account.collateral },
  };
}

/** The batch's instrument table as a transition sees it (§8). */
export interface InstrumentTableView {
  /** The entries so far (the builder's) or the posted table (a replay). */
  readonly table: readonly bigint[];
  /** A replay: the index the slot posted. */
  readonly posted?: bigint;
}

export interface Effect {
  readonly a: AccountUpdate;
  readonly b: AccountUpdate;
  readonly orderA?: OrderUpdate;
  readonly orderB?: OrderUpdate;
  readonly posSlotA?: number;
  readonly posSlotB?: number;
  readonly settlementIndex?: number;
  readonly served?: bigint;
  readonly liquidationPrice?: bigint;
  readonly publicData: PublicData;
}

/** Dispatches `tx` to its rule. */
export function transition(t: Transition, tx: Tx): Effect {
  switch (tx.type) {
    case TxType.NOOP:
      return unchangedPair(t, NOOP_DATA);
    case TxType.DEPOSIT:
      return deposit(t, tx);
    case TxType.WITHDRAW:
      return withdraw(t, tx.withdrawal);
    case TxType.FORCED_WITHDRAW:
      return forcedWithdraw(t, tx.accountId, tx.requested);
    case TxType.TRADE:
      return trade(t, tx);
    case TxType.LIQUIDATE:
      return liquidate(t, tx);
    case TxType.FUNDING:
      return funding(t, tx.underlying, tx.delta);
    case TxType.SETTLE:
      return settle(t, tx.accountId, tx.instrument);
    case TxType.FEE_SWEEP:
      return feeSweep(t, tx.amount);
    case TxType.FORCED_CLOSE:
      return forcedClose(t, tx);
    default:
      throw new ProtocolError("OUT_OF_RANGE", `unknown transaction type ${(tx as { type: unknown }).type}`);
  }
}

/** No-op and funding: A and B are account 0, unchanged. */
function unchangedPair(t: Transition, publicData: PublicData): Effect {
  const a = t.write(FEE_ACCOUNT, null);
  const b = t.write(FEE_ACCOUNT, null);
  return { a, b, publicData };
}

/** §6.8 deposit: create the leaf (if unregistered) or match its owner and key; add the amount. */
function deposit(t: Transition, tx: Extract<Tx, { type: typeof TxType.DEPOSIT }>): Effect {
  ensure(fitsUnsigned(tx.accountId, t.profile.accountDepth), "OUT_OF_RANGE", () => `account id ${tx.accountId}`);
  ensure(fitsUnsigned(tx.amount, BITS.amount), "OUT_OF_RANGE", () => `deposit amount ${tx.amount}`);
  ensure(fitsUnsigned(tx.owner, BITS.owner), "OUT_OF_RANGE", () => `owner ${tx.owner}`);
  ensure(tx.pkHash >= 0n && tx.pkHash < FIELD_MODULUS, "OUT_OF_RANGE", "pkHash is not a field element");
  const entry = t.entry(tx.accountId);
  const acc = entry.account;
  const unregistered = acc.pkHash === 0n && acc.owner === 0n;
  ensure(
    unregistered || (acc.pkHash === tx.pkHash && acc.owner === tx.owner),
    "ACCOUNT_MISMATCH",
    () => `account ${tx.accountId} belongs to another owner or key`,
  );
  const after = { ...acc, pkHash: tx.pkHash, owner: tx.owner, collateral: acc.collateral + tx.amount };
  const a = t.write(tx.accountId, { ...entry, account: after });
  const b = t.write(FEE_ACCOUNT, null);
  return { a, b, publicData: depositData(tx.accountId, tx.amount) };
}

/** §6.8 withdraw (signed message of §5.2): `collateral −= amount`, then collateral ≥ 0 and IM. */
function withdraw(t: Transition, signed: SignedOrder): Effect {
  const msg = signed.order;
  checkOrderRanges(msg, t.profile);
  ensure(
    msg.instrument === WITHDRAWAL_INSTRUMENT && msg.side === Side.BUY && msg.price === 0n && msg.flags === 0n,
    "BAD_MESSAGE",
    "a withdrawal has instrument 0, side 0, price 0 and flags 0",
  );
  ensure(msg.expiry >= t.ctx.timestamp, "ORDER_EXPIRED", () => `withdrawal ${msg.orderId} expired at ${msg.expiry}`);
  const entry = t.registered(msg.accountId);
  t.checkSignature(entry, signed);
  const filled = t.fillOrder(entry, signed, msg.size);
  const after = { ...filled.entry.account, collateral: filled.entry.account.collateral - msg.size };
  t.requireSettled(msg.accountId, after);
  ensure(
    after.collateral >= 0n && meetsIM(after, t.marks),
    "INSUFFICIENT_FREE_COLLATERAL",
    () => `account ${msg.accountId} cannot withdraw ${msg.size}`,
  );
  const a = t.write(msg.accountId, { ...filled.entry, account: after });
  const b = t.write(FEE_ACCOUNT, null);
  return {
    a,
    b,
    orderA: filled.update,
    publicData: withdrawData(msg.accountId, msg.size, msg.orderId, isFlat(after)),
  };
}

/**
 * §6.8 forced withdrawal: serve `min(requested, withdrawable)`, withdrawable being the largest
 * `w ≥ 0` with `collateral − w ≥ 0` and initial margin met after (`freeCollateral`); 0 while the
 * account holds an expired, unsettled option (§6.2.1).
 */
function forcedWithdraw(t: Transition, accountId: bigint, requested: bigint): Effect {
  ensure(fitsUnsigned(requested, BITS.amount), "OUT_OF_RANGE", () => `requested ${requested}`);
  const entry = t.entry(accountId);
  const acc = entry.account;
  const withdrawable = expiredOption(acc, t.ctx.timestamp) === null ? freeCollateral(acc, t.marks) : 0n;
  const served = requested < withdrawable ? requested : withdrawable;
  const drained = { ...acc, collateral: acc.collateral - served };
  const a = t.write(accountId, served === 0n ? null : { ...entry, account: drained });
  const b = t.write(FEE_ACCOUNT, null);
  return { a, b, served, publicData: forcedWithdrawData(accountId, served, requested, isFlat(acc)) };
}

/** The account holds no position (every size 0): its withdrawals read no price (§6.8, §8). */
function isFlat(acc: Account): boolean {
  return acc.positions.every((p) => p.size === 0n);
}

/** §6.3 trade between a maker (A) and a taker (B). */
function trade(t: Transition, tx: Extract<Tx, { type: typeof TxType.TRADE }>): Effect {
  const maker = tx.maker.order;
  const taker = tx.taker.order;
  const { size: q, price: p } = tx;
  const now = t.ctx.timestamp;
  checkOrderRanges(maker, t.profile);
  checkOrderRanges(taker, t.profile);
  // A trade slot posts q and p in 32 bits each (§7): lots of 1e-4 unit and ticks of one cent.
  ensure(q >= 1n && fitsUnsigned(q, BITS.fillSize), "OUT_OF_RANGE", () => `fill size ${q} is not in 1..2^32 − 1 lots`);
  ensure(fitsUnsigned(p, BITS.fillPrice), "OUT_OF_RANGE", () => `fill price ${p} is not below 2^32 ticks`);
  ensure(maker.accountId !== taker.accountId, "SELF_TRADE", () => `account ${maker.accountId} on both sides`);
  ensure(maker.instrument === taker.instrument, "INSTRUMENT_MISMATCH", "maker and taker trade different instruments");
  ensure(maker.side !== taker.side, "SIDE_MISMATCH", "maker and taker are on the same side");
  const spec = validateInstrument(maker.instrument, t.profile, now);
  ensure(maker.expiry >= now, "ORDER_EXPIRED", () => `maker order ${maker.orderId} expired at ${maker.expiry}`);
  ensure(taker.expiry >= now, "ORDER_EXPIRED", () => `taker order ${taker.orderId} expired at ${taker.expiry}`);
  const [buy, sell] = maker.side === Side.BUY ? [maker, taker] : [taker, maker];
  ensure(
    buy.price >= p && p >= sell.price,
    "PRICE_LIMIT",
    () => `fill price ${p} outside [${sell.price}, ${buy.price}]`,
  );
  ensure((taker.flags & FLAG_POST_ONLY) === 0n, "POST_ONLY_TAKER", () => `taker order ${taker.orderId} is post-only`);

  const makerEntry = t.registered(maker.accountId);
  const takerEntry = t.registered(taker.accountId);
  t.checkSignature(makerEntry, tx.maker);
  t.checkSignature(takerEntry, tx.taker);
  const makerFilled = t.fillOrder(makerEntry, tx.maker, q);
  const takerFilled = t.fillOrder(takerEntry, tx.taker, q);
  const instrumentIndex = t.instrumentIndex(maker.instrument);

  const unit = t.unitCost(spec, p);
  const notional = q * p;
  const x = rulesPrice(spec, t.price(spec.underlying));
  const side = (order: Order, entry: StoreEntry, feeBps: bigint) => {
    const id = order.accountId;
    const acc = entry.account;
    const slot = slotFor(acc, order.instrument);
    ensure(slot >= 0, "NO_POSITION_SLOT", () => `account ${id} has no free position slot`, id);
    const signedQ = order.side === Side.BUY ? q : -q;
    const filled = applyFill(acc, slot, order.instrument, signedQ, signedQ * unit);
    const fee = (notional * feeBps) / BPS;
    const after = { ...filled, collateral: filled.collateral - fee };
    const reduced = reduces(sizeAt(acc, slot), sizeAt(after, slot));
    ensure(
      (order.flags & FLAG_REDUCE_ONLY) === 0n || reduced,
      "REDUCE_ONLY",
      () => `reduce-only order ${order.orderId} would grow or flip the position of account ${id}`,
      id,
    );
    if (t.isInsurance(acc)) {
      // §6.3.11: the insurance fund takes positions only through LIQUIDATE; by trading it may
      // only reduce them, at a price within FUND_BAND_BPS of the rules' price.
      ensure(reduced, "REDUCE_ONLY", () => `insurance fund account ${id} may only reduce its positions by trading`, id);
      ensure(
        withinBand(p, x, t.price(spec.underlying), FUND_BAND_BPS),
        "PRICE_BAND",
        () =>
          `insurance fund account ${id} trades at ${p}, more than ${FUND_BAND_BPS} bps of ${t.price(spec.underlying)} from ${x}`,
        id,
      );
    } else {
      t.requireSettled(id, after);
      // §6.3.9-10: initial margin after the trade, or a reduction that leaves the account
      // solvent and does not lower its maintenance headroom (no equity stripping, §6.3.10).
      const relief =
        reduced &&
        equity(after, t.marks) >= 0n &&
        maintenanceHeadroomScaled(after, t.marks) >= maintenanceHeadroomScaled(acc, t.marks);
      ensure(
        meetsIM(after, t.marks) || relief,
        "MARGIN",
        () =>
          `account ${id} would not meet initial margin, and the trade is not a reduction that keeps its maintenance headroom`,
        id,
      );
    }
    checkCollateralRule(t, id, after);
    return { slot, after, fee };
  };
  const m = side(maker, makerFilled.entry, MAKER_FEE_BPS);
  const k = side(taker, takerFilled.entry, TAKER_FEE_BPS);
  t.addFees(m.fee + k.fee);

  const a = t.write(maker.accountId, { ...makerFilled.entry, account: m.after });
  const b = t.write(taker.accountId, { ...takerFilled.entry, account: k.after });
  return {
    a,
    b,
    orderA: makerFilled.update,
    orderB: takerFilled.update,
    posSlotA: m.slot,
    posSlotB: k.slot,
    publicData: tradeData({
      maker: maker.accountId,
      taker: taker.accountId,
      size: q,
      price: p,
      takerSide: taker.side,
      makerOrderId: maker.orderId,
      takerOrderId: taker.orderId,
      instrumentIndex,
    }),
  };
}

/** The rules' price X of an instrument at underlying price `price` (§6.4.2): perp `price`, option intrinsic. */
export function rulesPrice(spec: InstrumentSpec, price: bigint): bigint {
  return spec.kind === InstrumentKind.PERP ? price : intrinsic(spec, price);
}

/** What liquidating `q` of slot `slot` does to the liquidatee (§6.4.2-4). */
interface LiquidationOutcome {
  /** The rules' price and the cost per unit it books. */
  readonly x: bigint;
  readonly unit: bigint;
  /** The liquidatee with the fill and the penalty applied, before a shortfall moves. */
  readonly account: Account;
  readonly penalty: bigint;
  /** `(q − 1)·H(q) + H(0) < 0`: q is no more than it takes to restore maintenance margin. */
  readonly withinRule: boolean;
}

function liquidation(
  acc: Account,
  slot: number,
  spec: InstrumentSpec,
  instrument: bigint,
  q: bigint,
  marks: Marks,
): LiquidationOutcome {
  const price = marks.prices[spec.underlying - 1]!;
  const x = rulesPrice(spec, price);
  const unit = spec.kind === InstrumentKind.PERP ? x - marks.fundingIndex[spec.underlying - 1]! : x;
  const qL = sizeAt(acc, slot) > 0n ? -q : q;
  const filled = applyFill(acc, slot, instrument, qL, qL * unit);
  // §6.4.3: a share of the maintenance margin the liquidation releases.
  const released = maintenanceMarginScaled(acc, marks) - maintenanceMarginScaled(filled, marks);
  const penalty = (released * LIQ_PENALTY_BPS) / (BPS * BPS);
  const account = { ...filled, collateral: filled.collateral - penalty };
  // H(q) after the shortfall rule: a closed-out debtor ends at collateral 0.
  const closedOut = !hasOpenPosition(account) && account.collateral < 0n;
  const hq = maintenanceHeadroomScaled(closedOut ? { ...account, collateral: 0n } : account, marks);
  const withinRule = (q - 1n) * hq + maintenanceHeadroomScaled(acc, marks) < 0n;
  return { x, unit, account, penalty, withinRule };
}

/**
 * The largest size of `instrument` a liquidation of `account` may take now (§6.4): 0 when the
 * account is not below maintenance margin or the position carries none; otherwise the largest q
 * with `(q − 1)·H(q) + H(0) < 0` (the set of such q is an interval from 1). For liquidators.
 */
export function largestLiquidation(account: Account, instrument: bigint, marks: Marks): bigint {
  const slot = findSlot(account, instrument);
  if (slot < 0 || !belowMM(account, marks)) return 0n;
  const held = abs(sizeAt(account, slot));
  const spec = decodeInstrument(instrument);
  if (spec.kind !== InstrumentKind.PERP && sizeAt(account, slot) > 0n) return 0n;
  const ok = (q: bigint): boolean => liquidation(account, slot, spec, instrument, q, marks).withinRule;
  if (ok(held)) return held;
  let good = 1n;
  let bad = held;
  while (bad - good > 1n) {
    const mid = (good + bad) / 2n;
    if (ok(mid)) good = mid;
    else bad = mid;
  }
  return good;
}

/** `|p − x| × 10^4 ≤ bandBps × price`. */
export function withinBand(p: bigint, x: bigint, price: bigint, bandBps: bigint): boolean {
  return abs(p - x) * BPS <= bandBps * price;
}

/** The entry of `insuranceId`, which must be an insurance fund account (§6.4: account 1's owner and key). */
function fundEntry(t: Transition, insuranceId: bigint) {
  const entry = t.entry(insuranceId);
  ensure(
    t.isInsurance(entry.account),
    "BAD_LIQUIDATION",
    () => `account ${insuranceId} is not an insurance fund account (owner and key of account ${INSURANCE_ACCOUNT})`,
  );
  return entry;
}

/**
 * §6.4: insurance fund account A takes `q` of the liquidatee's (B) position at the rules' price.
 * Only a position that carries maintenance margin (a perp or a short option) of an account below
 * maintenance margin, and no more of it than it takes to bring the account back to maintenance
 * (`(q − 1)·H(q) + H(0) < 0`, H the maintenance headroom ×10^4 before and after).
 */
function liquidate(t: Transition, tx: Extract<Tx, { type: typeof TxType.LIQUIDATE }>): Effect {
  const { accountId: id, instrument, size: q } = tx;
  const insuranceId = tx.insurance ?? INSURANCE_ACCOUNT;
  ensure(fitsUnsigned(instrument, BITS.instrument), "OUT_OF_RANGE", () => `instrument ${instrument}`);
  const insEntry = fundEntry(t, insuranceId);
  const entry = t.entry(id);
  const acc = entry.account;
  ensure(!t.isInsurance(acc), "BAD_LIQUIDATION", "an insurance fund account cannot be liquidated");
  const slotL = findSlot(acc, instrument);
  ensure(slotL >= 0, "NO_POSITION", () => `account ${id} holds no position in instrument ${instrument}`);
  const spec = validateInstrument(instrument, t.profile, t.ctx.timestamp);
  const held = sizeAt(acc, slotL);
  ensure(q >= 1n && q <= abs(held), "BAD_LIQUIDATION", () => `liquidation size ${q} not in [1, ${abs(held)}]`);
  ensure(
    spec.kind === InstrumentKind.PERP || held < 0n,
    "BAD_LIQUIDATION",
    `a long option carries no maintenance margin: liquidating it removes no risk`,
  );
  t.requireSettled(id, acc);
  ensure(belowMM(acc, t.marks), "ACCOUNT_HEALTHY", () => `account ${id} is above maintenance margin`);

  const out = liquidation(acc, slotL, spec, instrument, q, t.marks);
  const closingSide: SideCode = held > 0n ? Side.SELL : Side.BUY;
  const qL = held > 0n ? -q : q;

  const slotI = slotFor(insEntry.account, instrument);
  ensure(slotI >= 0, "NO_POSITION_SLOT", () => `insurance fund account ${insuranceId} has no free position slot`);
  const took = applyFill(insEntry.account, slotI, instrument, -qL, -qL * out.unit);

  const settled = absorbShortfall(out.account, { ...took, collateral: took.collateral + out.penalty });
  checkCollateralRule(t, id, settled.account);
  ensure(
    out.withinRule,
    "BAD_LIQUIDATION",
    () => `liquidating ${q} of account ${id} goes beyond what brings it back to maintenance margin`,
  );

  const a = t.write(insuranceId, { ...insEntry, account: settled.insurance });
  const b = t.write(id, { ...entry, account: settled.account });
  return {
    a,
    b,
    posSlotA: slotI,
    posSlotB: slotL,
    liquidationPrice: out.x,
    publicData: liquidationData(insuranceId, id, q, out.x, closingSide, t.instrumentIndex(instrument)),
  };
}

/** §6.5 funding update of one underlying. */
function funding(t: Transition, underlying: number, delta: bigint): Effect {
  ensure(
    Number.isInteger(underlying) && underlying >= 1 && underlying <= t.profile.underlyings,
    "BAD_INSTRUMENT",
    () => `underlying ${underlying}`,
  );
  ensure(fitsSigned(delta, BITS.fundingIndex), "OUT_OF_RANGE", () => `funding delta ${delta}`);
  const now = t.ctx.timestamp;
  ensure(
    abs(delta) * BPS <= FUNDING_CAP_BPS * t.price(underlying),
    "FUNDING_CAP",
    () => `|${delta}| exceeds ${FUNDING_CAP_BPS} bps of ${t.price(underlying)}`,
  );
  const last = t.global.lastFundingTime[underlying - 1]!;
  ensure(
    now >= last + t.profile.fundingInterval,
    "FUNDING_TOO_EARLY",
    () => `underlying ${underlying}: last funding at ${last}, interval ${t.profile.fundingInterval}, now ${now}`,
  );
  const index = t.fundingIndex(underlying) + delta;
  ensure(fitsSigned(index, BITS.fundingIndex), "OUT_OF_RANGE", () => `funding index ${index}`);
  const fundingIndex = t.global.fundingIndex.slice();
  const lastFundingTime = t.global.lastFundingTime.slice();
  fundingIndex[underlying - 1] = index;
  lastFundingTime[underlying - 1] = now;
  t.global = { ...t.global, fundingIndex, lastFundingTime };
  return unchangedPair(t, fundingData(underlying, delta));
}

/** §6.6 settlement of an expired option at the batch's settlement price; shortfall rule. */
function settle(t: Transition, accountId: bigint, instrument: bigint): Effect {
  ensure(fitsUnsigned(instrument, BITS.instrument), "OUT_OF_RANGE", () => `instrument ${instrument}`);
  const spec = validateInstrument(instrument, t.profile);
  ensure(isOption(spec), "BAD_INSTRUMENT", "only options settle");
  const entry = t.entry(accountId);
  const acc = entry.account;
  const slot = findSlot(acc, instrument);
  ensure(slot >= 0, "NO_POSITION", () => `account ${accountId} holds no position in instrument ${instrument}`);
  ensure(spec.expiry <= t.ctx.timestamp, "NOT_EXPIRED", () => `option expires at ${spec.expiry}`);
  const settlementIndex = t.ctx.settlements.findIndex(
    (r) => r.underlying === spec.underlying && r.expiry === spec.expiry,
  );
  ensure(
    settlementIndex >= 0,
    "NO_SETTLEMENT_PRICE",
    () => `no settlement record for underlying ${spec.underlying} at ${spec.expiry}`,
  );
  const record = t.ctx.settlements[settlementIndex]!;
  const pos = acc.positions[slot]!;
  const payout = pos.size * intrinsic(spec, record.price) - pos.cost;
  const cleared = withPosition({ ...acc, collateral: acc.collateral + payout }, slot, { ...pos, size: 0n });

  if (t.isInsurance(acc)) {
    // An insurance fund account keeps its own result (the fund may be negative): nothing moves.
    const a = t.write(accountId, { ...entry, account: cleared });
    const b = t.write(INSURANCE_ACCOUNT, null);
    return { a, b, posSlotA: slot, settlementIndex, publicData: settlementData(accountId, instrument) };
  }
  const insEntry = t.entry(INSURANCE_ACCOUNT);
  const settled = absorbShortfall(cleared, insEntry.account);
  checkCollateralRule(t, accountId, settled.account);
  const a = t.write(accountId, { ...entry, account: settled.account });
  const b = t.write(
    INSURANCE_ACCOUNT,
    settled.insurance === insEntry.account ? null : { ...insEntry, account: settled.insurance },
  );
  return { a, b, posSlotA: slot, settlementIndex, publicData: settlementData(accountId, instrument) };
}

/**
 * §6.10 forced close (issue 14 F11), queued on L1 by the account's owner, or a forced settlement
 * (`settlement`), queued by anyone for an expired series. A = the insurance fund account (posted),
 * B = the requester. Refused (nothing changes, `served` 0) when B holds no position in
 * `instrument`, or holds a short position in a live option (finding F17: the fund would take its
 * time value for the intrinsic value; it settles at expiry instead). Otherwise B's whole position goes:
 * - option expired at t: settled at the batch's record as §6.6, A absorbing any shortfall;
 * - else (only without `settlement`): to A at the rules' price X of §6.4 (perp `price[u]`, option
 *   intrinsic), with the liquidation penalty (`LIQ_PENALTY_BPS` of the maintenance margin it
 *   releases) from B to A, then the shortfall rule. No margin, health or size rule applies:
 *   closing only removes risk.
 */
function forcedClose(t: Transition, tx: Extract<Tx, { type: typeof TxType.FORCED_CLOSE }>): Effect {
  const { accountId: id, instrument } = tx;
  const insuranceId = tx.insurance ?? INSURANCE_ACCOUNT;
  ensure(fitsUnsigned(id, t.profile.accountDepth), "OUT_OF_RANGE", () => `account id ${id}`);
  ensure(fitsUnsigned(insuranceId, t.profile.accountDepth), "OUT_OF_RANGE", () => `account id ${insuranceId}`);
  ensure(
    instrument >= 1n && fitsUnsigned(instrument, BITS.instrument),
    "OUT_OF_RANGE",
    () => `instrument ${instrument}`,
  );
  const insEntry = fundEntry(t, insuranceId);
  const entry = t.entry(id);
  const acc = entry.account;
  ensure(!t.isInsurance(acc), "BAD_LIQUIDATION", "an insurance fund account is not force-closed");
  const data = (served: boolean) => forcedCloseData(id, insuranceId, served, tx.settlement, instrument);
  const slot = findSlot(acc, instrument);
  const spec = decodeInstrument(instrument);
  const pos = slot < 0 ? null : acc.positions[slot]!;
  const expired = isOption(spec) && spec.expiry <= t.ctx.timestamp;
  // Refused: no position, or a live short option. The fund would take that obligation, time value
  // and all, for its intrinsic value (finding F17); it settles at expiry instead.
  if (pos === null || (isOption(spec) && !expired && pos.size < 0n)) {
    const a = t.write(insuranceId, null);
    const b = t.write(id, null);
    return { a, b, served: 0n, publicData: data(false) };
  }
  if (expired) {
    const settlementIndex = t.ctx.settlements.findIndex(
      (r) => r.underlying === spec.underlying && r.expiry === spec.expiry,
    );
    ensure(
      settlementIndex >= 0,
      "NO_SETTLEMENT_PRICE",
      () => `no settlement record for underlying ${spec.underlying} at ${spec.expiry}`,
    );
    const record = t.ctx.settlements[settlementIndex]!;
    const payout = pos.size * intrinsic(spec, record.price) - pos.cost;
    const cleared = withPosition({ ...acc, collateral: acc.collateral + payout }, slot, { ...pos, size: 0n });
    const settled = absorbShortfall(cleared, insEntry.account);
    checkCollateralRule(t, id, settled.account);
    const a = t.write(
      insuranceId,
      settled.insurance === insEntry.account ? null : { ...insEntry, account: settled.insurance },
    );
    const b = t.write(id, { ...entry, account: settled.account });
    return { a, b, posSlotB: slot, settlementIndex, served: 1n, publicData: data(true) };
  }
  ensure(
    !tx.settlement,
    "NOT_EXPIRED",
    () => `a forced settlement of ${instrument} waits for its expiry ${spec.expiry}`,
  );
  const x = rulesPrice(spec, t.price(spec.underlying));
  const unit = t.unitCost(spec, x);
  const filled = applyFill(acc, slot, instrument, -pos.size, -pos.size * unit);
  const released = maintenanceMarginScaled(acc, t.marks) - maintenanceMarginScaled(filled, t.marks);
  const penalty = (released * LIQ_PENALTY_BPS) / (BPS * BPS);
  const closed = { ...filled, collateral: filled.collateral - penalty };
  const slotI = slotFor(insEntry.account, instrument);
  ensure(slotI >= 0, "NO_POSITION_SLOT", () => `insurance fund account ${insuranceId} has no free position slot`);
  const took = applyFill(insEntry.account, slotI, instrument, pos.size, pos.size * unit);
  const settled = absorbShortfall(closed, { ...took, collateral: took.collateral + penalty });
  checkCollateralRule(t, id, settled.account);
  const a = t.write(insuranceId, { ...insEntry, account: settled.insurance });
  const b = t.write(id, { ...entry, account: settled.account });
  return { a, b, posSlotA: slotI, posSlotB: slot, liquidationPrice: x, served: 1n, publicData: data(true) };
}

/** §6.8 fee sweep from the fee pool to the fee account (A). */
function feeSweep(t: Transition, amount: bigint): Effect {
  ensure(fitsUnsigned(amount, BITS.amount), "OUT_OF_RANGE", () => `sweep amount ${amount}`);
  ensure(amount <= t.global.feePool, "FEE_POOL", () => `sweep ${amount} exceeds the fee pool ${t.global.feePool}`);
  t.global = { ...t.global, feePool: t.global.feePool - amount };
  const entry = t.entry(FEE_ACCOUNT);
  const a = t.write(FEE_ACCOUNT, {
    ...entry,
    account: { ...entry.account, collateral: entry.account.collateral + amount },
  });
  const b = t.write(FEE_ACCOUNT, null);
  return { a, b, publicData: feeSweepData(amount) };
}
