/**
 * The rollup state and its transition function (docs/protocol.md §4, §6, §7).
 *
 * `RollupState.applyTx` applies one transaction exactly as the circuit proves it and returns
 * the slot's full witness. It is atomic: every check runs against a private copy, and the
 * state changes only when all of them pass. Trees are persistent (see tree.ts), so the copy
 * and `clone()` cost O(1).
 *
 * Roles of the witness's accounts A and B per type (the circuit relies on them):
 *   no-op, funding: A = B = account 0 unchanged;   deposit, withdraw, forced withdrawal: A = the
 *   account, B = account 0 unchanged;   trade: A = maker, B = taker;   liquidation: A = insurance
 *   fund, B = liquidatee;   settlement: A = the account, B = insurance fund;   fee sweep: A = fee
 *   account, B = account 0 unchanged (after A's update).
 * A's proof is against the account root before the slot, B's against the root after A's update.
 */
import { emptyAccount, emptyOrderLeaf, leafHash, positionsHash } from "./account.ts";
import { BITS, FEE_ACCOUNT, INSURANCE_ACCOUNT } from "./constants.ts";
import { ensure } from "./errors.ts";
import { FIELD_MODULUS, fitsUnsigned, lowMask } from "./field.ts";
import type { Marks } from "./margin.ts";
import { poseidon } from "./poseidon.ts";
import { Transition, transition, TreeStore, validateContext } from "./transition.ts";
import type { AccountEntry, InstrumentTableView, OrderSlot } from "./transition.ts";
import { SparseMerkleTree } from "./tree.ts";
import type { TreeSnapshot } from "./tree.ts";
import type { Account, BatchContext, GlobalState, MerkleProof, Profile, Tx, TxWitness } from "./types.ts";

export type { OrderSlot } from "./transition.ts";

/** Options of `RollupState.applyTx`. */
export interface ApplyOptions {
  /** The transaction is a replay of a verified batch's public data: skip key and signature checks. */
  readonly proven?: boolean;
  /**
   * The batch's instrument table (§8): the entries its earlier slots named (default none), and in
   * a replay the index the slot posted. A trade or liquidation names its instrument by its index.
   */
  readonly instruments?: InstrumentTableView;
}

/** Key and owner of a system account created at genesis. */
export interface SystemAccountKeys {
  readonly pkHash: bigint;
  readonly owner: bigint;
}

/**
 * A `RollupState` as plain data (`RollupState.toSnapshot`): the account tree's nodes with their
 * hashes, each leaf's account record and order tree, and the global state. Restoring it hashes
 * nothing (a sequencer snapshot, sequencer/journal/snapshot.ts).
 */
export interface RollupStateSnapshot {
  readonly global: GlobalState;
  readonly tree: TreeSnapshot<{ readonly account: Account; readonly orders: TreeSnapshot<OrderSlot> }>;
}

/** Everything L1 needs to pay an account out in exodus mode (§9 of the contract docs). */
export interface ExitProof {
  readonly accountId: bigint;
  readonly account: Account;
  /** Leaf preimage: `H(pkHash, owner, collateral, orderRoot, positionsHash)`. */
  readonly positionsHash: bigint;
  readonly leaf: bigint;
  readonly proof: MerkleProof;
  readonly accountRoot: bigint;
  /** Global preimage: `globalHash = H(feePool, fundingIndex[1..U], lastFundingTime[1..U])`. */
  readonly global: GlobalState;
  readonly globalHash: bigint;
  readonly stateRoot: bigint;
}

/** `globalHash = H(feePool, fundingIndex[1..U], lastFundingTime[1..U])`. */
export function globalHash(global: GlobalState): bigint {
  return poseidon([global.feePool, ...global.fundingIndex, ...global.lastFundingTime]);
}

/** `stateRoot = H(accountRoot, globalHash)`. */
export function stateRootOf(accountRoot: bigint, global: GlobalState): bigint {
  return poseidon([accountRoot, globalHash(global)]);
}

/** The global state at genesis: fee pool, funding indices and funding times zero. */
export function genesisGlobal(profile: Profile): GlobalState {
  const zeros = Array.from({ length: profile.underlyings }, () => 0n);
  return { feePool: 0n, fundingIndex: zeros, lastFundingTime: zeros };
}

/** The accounts genesis creates: the fee account (0) and the insurance fund (1), with their keys. */
export function genesisAccounts(
  profile: Profile,
  system: { readonly feeAccount: SystemAccountKeys; readonly insurance: SystemAccountKeys },
): (readonly [bigint, Account])[] {
  const account = emptyAccount(profile);
  return (
    [
      [FEE_ACCOUNT, system.feeAccount],
      [INSURANCE_ACCOUNT, system.insurance],
    ] as const
  ).map(([id, keys]) => {
    ensure(keys.pkHash > 0n && keys.pkHash < FIELD_MODULUS, "OUT_OF_RANGE", () => `system account ${id}: pkHash`);
    ensure(fitsUnsigned(keys.owner, BITS.owner), "OUT_OF_RANGE", () => `system account ${id}: owner`);
    return [id, { ...account, pkHash: keys.pkHash, owner: keys.owner }] as const;
  });
}

/**
 * The rollup state: account tree (leaves carry account records and order trees) and global
 * state. Pure: no I/O, no clock; time comes in through the `BatchContext`.
 */
export class RollupState {
  readonly profile: Profile;
  private tree: SparseMerkleTree<AccountEntry>;
  private global: GlobalState;
  private readonly empty: AccountEntry;

  private constructor(
    profile: Profile,
    tree: SparseMerkleTree<AccountEntry>,
    global: GlobalState,
    empty: AccountEntry,
  ) {
    this.profile = profile;
    this.tree = tree;
    this.global = global;
    this.empty = empty;
  }

  /**
   * The state at genesis: every leaf empty except the fee account (0) and the insurance fund
   * (1), created with the given keys; fee pool, funding indices and funding times zero.
   */
  static genesis(
    profile: Profile,
    system: { readonly feeAccount: SystemAccountKeys; readonly insurance: SystemAccountKeys },
  ): RollupState {
    const account = emptyAccount(profile);
    const empty: AccountEntry = {
      account,
      orders: new SparseMerkleTree<OrderSlot>(profile.orderDepth, emptyOrderLeaf()),
    };
    const tree = new SparseMerkleTree<AccountEntry>(profile.accountDepth, leafHash(account, profile));
    const state = new RollupState(profile, tree, genesisGlobal(profile), empty);
    for (const [id, created] of genesisAccounts(profile, system))
      tree.set(id, leafHash(created, profile), { ...empty, account: created });
    return state;
  }

  /** The state as plain data, for a snapshot (see `RollupStateSnapshot`). */
  toSnapshot(): RollupStateSnapshot {
    // Order trees shared between leaves (the empty one) are written once each.
    const seen = new Map<SparseMerkleTree<OrderSlot>, TreeSnapshot<OrderSlot>>();
    const orders = (t: SparseMerkleTree<OrderSlot>): TreeSnapshot<OrderSlot> => {
      let out = seen.get(t);
      if (out === undefined) seen.set(t, (out = t.toSnapshot((slot) => slot)));
      return out;
    };
    return {
      global: this.global,
      tree: this.tree.toSnapshot((entry) => ({ account: entry.account, orders: orders(entry.orders) })),
    };
  }

  /**
   * The state `toSnapshot` wrote, for `profile` (the same profile and genesis keys: the caller
   * checks the snapshot belongs to this venue). Throws `ProtocolError` on a snapshot whose tree
   * shape does not fit the profile.
   */
  static fromSnapshot(profile: Profile, snapshot: RollupStateSnapshot): RollupState {
    const account = emptyAccount(profile);
    const empty: AccountEntry = {
      account,
      orders: new SparseMerkleTree<OrderSlot>(profile.orderDepth, emptyOrderLeaf()),
    };
    ensure(
      snapshot.tree.depth === profile.accountDepth && snapshot.tree.defaultLeaf === leafHash(account, profile),
      "OUT_OF_RANGE",
      () => `snapshot account tree (depth ${snapshot.tree.depth}) does not fit profile ${profile.name}`,
    );
    const seen = new Map<TreeSnapshot<OrderSlot>, SparseMerkleTree<OrderSlot>>();
    const tree = SparseMerkleTree.fromSnapshot(snapshot.tree, (entry): AccountEntry => {
      let orders = seen.get(entry.orders);
      if (orders === undefined)
        seen.set(entry.orders, (orders = SparseMerkleTree.fromSnapshot(entry.orders, (s) => s)));
      ensure(orders.depth === profile.orderDepth, "OUT_OF_RANGE", () => `snapshot order tree depth ${orders.depth}`);
      return { account: entry.account, orders };
    });
    return new RollupState(profile, tree, snapshot.global, empty);
  }

  /** An independent copy in O(1), for dry runs. */
  clone(): RollupState {
    return new RollupState(this.profile, this.tree.clone(), this.global, this.empty);
  }

  account(id: bigint): Account {
    ensure(fitsUnsigned(id, this.profile.accountDepth), "OUT_OF_RANGE", () => `account id ${id}`);
    return (this.tree.getValue(id) ?? this.empty).account;
  }

  /** The order-tree slot `orderId mod 2^orderDepth` of an account: the order it holds and its fill. */
  orderState(accountId: bigint, orderId: bigint): OrderSlot {
    ensure(fitsUnsigned(accountId, this.profile.accountDepth), "OUT_OF_RANGE", () => `account id ${accountId}`);
    ensure(fitsUnsigned(orderId, BITS.orderId), "OUT_OF_RANGE", () => `order id ${orderId}`);
    const orders = (this.tree.getValue(accountId) ?? this.empty).orders;
    return orders.getValue(orderId & lowMask(this.profile.orderDepth)) ?? { orderId: 0n, filled: 0n };
  }

  /**
   * An insurance fund account (§4.1): account 1, or an account with account 1's owner and key.
   * Only those may take liquidated positions; they trade only to reduce.
   */
  isInsuranceAccount(id: bigint): boolean {
    const fund = this.account(INSURANCE_ACCOUNT);
    const acc = this.account(id);
    return acc.pkHash === fund.pkHash && acc.owner === fund.owner;
  }

  /**
   * The account's order tree as it is now. Trees are persistent (protocol/tree.ts): clone it
   * before writing to it, and this state never sees the writes.
   */
  orderTree(accountId: bigint): SparseMerkleTree<OrderSlot> {
    ensure(fitsUnsigned(accountId, this.profile.accountDepth), "OUT_OF_RANGE", () => `account id ${accountId}`);
    return (this.tree.getValue(accountId) ?? this.empty).orders;
  }

  /** The Merkle proof of `orderId`'s slot in the account's order tree (against its `orderRoot`). */
  orderProof(accountId: bigint, orderId: bigint): MerkleProof {
    ensure(fitsUnsigned(accountId, this.profile.accountDepth), "OUT_OF_RANGE", () => `account id ${accountId}`);
    const orders = (this.tree.getValue(accountId) ?? this.empty).orders;
    return orders.proof(orderId & lowMask(this.profile.orderDepth));
  }

  /** How much of `orderId` is filled, or `null` when a newer order evicted it from its slot. */
  filledOf(accountId: bigint, orderId: bigint): bigint | null {
    const slot = this.orderState(accountId, orderId);
    if (slot.orderId > orderId) return null;
    return slot.orderId === orderId ? slot.filled : 0n;
  }

  get globalState(): GlobalState {
    return this.global;
  }

  get accountRoot(): bigint {
    return this.tree.root;
  }

  get globalHash(): bigint {
    return globalHash(this.global);
  }

  get stateRoot(): bigint {
    return stateRootOf(this.tree.root, this.global);
  }

  /** Valuation inputs at the given oracle prices and the current funding indices. */
  marks(prices: readonly bigint[]): Marks {
    return { prices, fundingIndex: this.global.fundingIndex };
  }

  /** Leaf preimage, Merkle proof and global preimage of an account, for the contract's exodus. */
  exitProof(accountId: bigint): ExitProof {
    const account = this.account(accountId);
    const proof = this.tree.proof(accountId);
    const leaf = this.tree.get(accountId);
    const gh = globalHash(this.global);
    return {
      accountId,
      account,
      positionsHash: positionsHash(account.positions, this.profile),
      leaf,
      proof,
      accountRoot: this.tree.root,
      global: this.global,
      globalHash: gh,
      stateRoot: poseidon([this.tree.root, gh]),
    };
  }

  /**
   * Applies `tx` at batch context `ctx` (§6) and returns its witness. Atomic: on any failure
   * it throws `ProtocolError` and the state is unchanged. `options.proven` replays a
   * transaction that a verified batch already proved (protocol/rebuild.ts): its orders carry
   * no real signature, so the key and signature checks are skipped. Never set it for
   * transactions that are not covered by a verified proof.
   */
  applyTx(tx: Tx, ctx: BatchContext, options: ApplyOptions = {}): TxWitness {
    validateContext(ctx, this.profile);
    const store = new TreeStore(this.tree.clone(), this.empty, this.profile);
    const t = new Transition(this.profile, ctx, store, this.global, options.proven === true, options.instruments);
    const globalBefore = this.global;
    const effect = transition(t, tx);
    this.tree = store.tree;
    this.global = t.global;
    return {
      tx,
      a: effect.a,
      b: effect.b,
      orderA: effect.orderA ?? null,
      orderB: effect.orderB ?? null,
      posSlotA: effect.posSlotA ?? 0,
      posSlotB: effect.posSlotB ?? 0,
      settlementIndex: effect.settlementIndex ?? 0,
      served: effect.served ?? 0n,
      liquidationPrice: effect.liquidationPrice ?? 0n,
      globalBefore,
      globalAfter: t.global,
      publicData: effect.publicData,
    };
  }

  /** Runs `applyTx` on a copy: the witness it would produce, or the error it would throw. */
  dryRun(tx: Tx, ctx: BatchContext): TxWitness {
    return this.clone().applyTx(tx, ctx);
  }
}
