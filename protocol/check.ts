/**
 * The rollup state as plain records, for `check`: the transition rules of transition.ts on
 * accounts, order slots and the global state, with no hashing at all (no leaf, no tree path, no
 * key hash after a key's first use).
 *
 * `CheckState.applyTx` runs exactly the rules `RollupState.applyTx` (state.ts) runs, through the
 * check store instead of the commit store, so both accept and refuse the same transactions with
 * the same error, and leave the same records. What it cannot give is what needs a hash: roots,
 * proofs, witnesses. Those come from replaying the same transactions on a `RollupState` (the
 * sequencer's batch builder), which is where the records are compared again.
 *
 * Records are kept in layers: a transaction writes into a layer of its own, read through to the
 * state's, and merged into it only when every rule passed. Atomic like `applyTx`, in O(touched).
 * `account(id).orderRoot` is whatever the account had before the check state took it over (a
 * check store never computes a root): read roots from the commit state.
 */
import { emptyAccount } from "./account.ts";
import { BITS, INSURANCE_ACCOUNT } from "./constants.ts";
import { ensure } from "./errors.ts";
import { fitsUnsigned, lowMask } from "./field.ts";
import type { Marks } from "./margin.ts";
import { genesisAccounts, genesisGlobal } from "./state.ts";
import type { SystemAccountKeys } from "./state.ts";
import { Transition, transition, UNPROVEN, validateContext } from "./transition.ts";
import type { OrderSlot, StoreEntry, TxStore } from "./transition.ts";
import type { PublicData } from "./pubdata.ts";
import type { Account, BatchContext, GlobalState, MerkleProof, Profile, Tx } from "./types.ts";

/** What a state answers about accounts: the rules' inputs that the sequencer reads too. */
export interface StateView {
  readonly profile: Profile;
  readonly globalState: GlobalState;
  account(id: bigint): Account;
  orderState(accountId: bigint, orderId: bigint): OrderSlot;
  isInsuranceAccount(id: bigint): boolean;
  marks(prices: readonly bigint[]): Marks;
}

/** What `CheckState.applyTx` tells about an accepted transaction (the witness minus every hash). */
export interface CheckOutcome {
  readonly tx: Tx;
  /** Accounts written (A, then B when distinct), as the commit witness's A and B. */
  readonly accounts: readonly bigint[];
  /** A forced withdrawal's served amount (else 0). */
  readonly served: bigint;
  /** A liquidation's rules price X (else 0). */
  readonly liquidationPrice: bigint;
  readonly publicData: PublicData;
}

const NO_SLOT: OrderSlot = Object.freeze({ orderId: 0n, filled: 0n });

/** One layer of records: a state's own, or a transaction's (read through to its parent). */
class Layer {
  readonly accounts = new Map<bigint, Account>();
  /** Order slots by `accountId · 2^orderDepth + index`. */
  readonly orders = new Map<bigint, OrderSlot>();

  constructor(
    readonly parent: Layer | null,
    private readonly orderBits: bigint,
  ) {}

  account(id: bigint): Account | undefined {
    return this.accounts.get(id) ?? this.parent?.account(id);
  }

  slotKey(id: bigint, index: bigint): bigint {
    return (id << this.orderBits) | index;
  }

  slot(key: bigint): OrderSlot | undefined {
    return this.orders.get(key) ?? this.parent?.slot(key);
  }

  /** Moves this layer's records into its parent. */
  mergeIntoParent(): void {
    const parent = this.parent!;
    for (const [id, a] of this.accounts) parent.accounts.set(id, a);
    for (const [k, s] of this.orders) parent.orders.set(k, s);
  }
}

/** The check store's handle on an account's order slots: the slot writes not yet stored. */
interface PendingOrders {
  readonly id: bigint;
  readonly writes: ReadonlyMap<bigint, OrderSlot>;
}

/** The check store of one transaction: plain records in a layer of its own. */
class PlainStore implements TxStore {
  constructor(
    private readonly layer: Layer,
    private readonly empty: Account,
  ) {}

  entry(id: bigint): StoreEntry {
    const orders: PendingOrders = { id, writes: new Map() };
    return { account: this.layer.account(id) ?? this.empty, orders };
  }

  write(id: bigint, after: StoreEntry | null): MerkleProof {
    if (after === null) return UNPROVEN;
    this.layer.accounts.set(id, after.account);
    const pending = after.orders as PendingOrders;
    // An entry carries only its own account's slots: a rule never moves orders between accounts.
    if (pending.writes.size > 0 && pending.id !== id)
      throw new Error(`internal: account ${pending.id}'s order slots written to account ${id}`);
    for (const [index, slot] of pending.writes) this.layer.orders.set(this.layer.slotKey(id, index), slot);
    return UNPROVEN;
  }

  orderSlot(entry: StoreEntry, index: bigint): { slot: OrderSlot; proof: MerkleProof } {
    const pending = entry.orders as PendingOrders;
    const slot = pending.writes.get(index) ?? this.layer.slot(this.layer.slotKey(pending.id, index)) ?? NO_SLOT;
    return { slot, proof: UNPROVEN };
  }

  withOrder(entry: StoreEntry, index: bigint, slot: OrderSlot): StoreEntry {
    const pending = entry.orders as PendingOrders;
    const writes = new Map(pending.writes).set(index, slot);
    return { account: entry.account, orders: { id: pending.id, writes } satisfies PendingOrders };
  }
}

/** A `CheckState` as plain data (`CheckState.toSnapshot`): its records and global state. */
export interface CheckStateSnapshot {
  readonly accounts: ReadonlyMap<bigint, Account>;
  /** Order slots by `accountId · 2^orderDepth + index`. */
  readonly orders: ReadonlyMap<bigint, OrderSlot>;
  readonly global: GlobalState;
}

/** The rollup state as plain records (see the file's header). Pure: no I/O, no clock. */
export class CheckState implements StateView {
  private global: GlobalState;

  private constructor(
    readonly profile: Profile,
    private readonly layer: Layer,
    global: GlobalState,
    private readonly empty: Account,
  ) {
    this.global = global;
  }

  /** The state at genesis, as `RollupState.genesis` makes it (same accounts and global state). */
  static genesis(
    profile: Profile,
    system: { readonly feeAccount: SystemAccountKeys; readonly insurance: SystemAccountKeys },
  ): CheckState {
    const empty = emptyAccount(profile);
    const state = new CheckState(profile, new Layer(null, BigInt(profile.orderDepth)), genesisGlobal(profile), empty);
    for (const [id, created] of genesisAccounts(profile, system)) state.layer.accounts.set(id, created);
    return state;
  }

  /**
   * The records as plain data, for a snapshot (sequencer/journal/snapshot.ts). The maps are the
   * state's own: serialize them before the state changes again.
   */
  toSnapshot(): CheckStateSnapshot {
    if (this.layer.parent !== null) throw new Error("internal: a scratch CheckState has no snapshot");
    return { accounts: this.layer.accounts, orders: this.layer.orders, global: this.global };
  }

  /** The state `toSnapshot` wrote (the caller checks it belongs to this profile and genesis). */
  static fromSnapshot(profile: Profile, snapshot: CheckStateSnapshot): CheckState {
    const state = new CheckState(
      profile,
      new Layer(null, BigInt(profile.orderDepth)),
      snapshot.global,
      emptyAccount(profile),
    );
    for (const [id, a] of snapshot.accounts) state.layer.accounts.set(id, a);
    for (const [k, slot] of snapshot.orders) state.layer.orders.set(k, slot);
    return state;
  }

  /**
   * A scratch copy for dry runs in O(1): it reads through to this state, so it is valid only
   * while this state does not change (use it and drop it within one synchronous step).
   */
  scratch(): CheckState {
    return new CheckState(
      this.profile,
      new Layer(this.layer, BigInt(this.profile.orderDepth)),
      this.global,
      this.empty,
    );
  }

  get globalState(): GlobalState {
    return this.global;
  }

  account(id: bigint): Account {
    ensure(fitsUnsigned(id, this.profile.accountDepth), "OUT_OF_RANGE", () => `account id ${id}`);
    return this.layer.account(id) ?? this.empty;
  }

  /** The order slot `orderId mod 2^orderDepth` of an account: the order it holds and its fill. */
  orderState(accountId: bigint, orderId: bigint): OrderSlot {
    ensure(fitsUnsigned(accountId, this.profile.accountDepth), "OUT_OF_RANGE", () => `account id ${accountId}`);
    ensure(fitsUnsigned(orderId, BITS.orderId), "OUT_OF_RANGE", () => `order id ${orderId}`);
    const index = orderId & lowMask(this.profile.orderDepth);
    return this.layer.slot(this.layer.slotKey(accountId, index)) ?? NO_SLOT;
  }

  /** How much of `orderId` is filled, or `null` when a newer order evicted it from its slot. */
  filledOf(accountId: bigint, orderId: bigint): bigint | null {
    const slot = this.orderState(accountId, orderId);
    if (slot.orderId > orderId) return null;
    return slot.orderId === orderId ? slot.filled : 0n;
  }

  /** An insurance fund account (§4.1): account 1, or an account with account 1's owner and key. */
  isInsuranceAccount(id: bigint): boolean {
    const fund = this.account(INSURANCE_ACCOUNT);
    const acc = this.account(id);
    return acc.pkHash === fund.pkHash && acc.owner === fund.owner;
  }

  marks(prices: readonly bigint[]): Marks {
    return { prices, fundingIndex: this.global.fundingIndex };
  }

  /**
   * Applies `tx` at batch context `ctx` by the rules of §6, as `RollupState.applyTx` does, with
   * no hashing. Atomic: on any failure it throws `ProtocolError` and the state is unchanged.
   * Signatures are checked as `RollupState` checks them (protocol/signing.ts remembers an order
   * verified at intake, so a fill does not verify it again). `instruments`: the batch's instrument
   * table so far (§8), which fixes a trade's or liquidation's posted index.
   */
  applyTx(tx: Tx, ctx: BatchContext, instruments: readonly bigint[] = []): CheckOutcome {
    validateContext(ctx, this.profile);
    const layer = new Layer(this.layer, BigInt(this.profile.orderDepth));
    const t = new Transition(this.profile, ctx, new PlainStore(layer, this.empty), this.global, false, {
      table: instruments,
    });
    const effect = transition(t, tx);
    layer.mergeIntoParent();
    this.global = t.global;
    const a = effect.a.accountId;
    const b = effect.b.accountId;
    return {
      tx,
      accounts: a === b ? [a] : [a, b],
      served: effect.served ?? 0n,
      liquidationPrice: effect.liquidationPrice ?? 0n,
      publicData: effect.publicData,
    };
  }
}
