/**
 * Core types of the Tessera protocol. See docs/protocol.md (normative).
 *
 * Every amount, size, price, id and timestamp is a bigint. Field elements cross JSON as
 * decimal strings. Signed values are plain negative bigints here; they become `v mod r` only
 * when hashed or handed to the circuit (see `toField` in field.ts).
 */

/** Circuit/batch shape. Declared once in circuits/profiles.json. */
export interface Profile {
  readonly name: string;
  /** Transaction slots per batch. */
  readonly nTx: number;
  /** Account-tree depth (binary tree). */
  readonly accountDepth: number;
  /** Per-account order-tree depth. */
  readonly orderDepth: number;
  /** Position slots per account (even, 2..16). */
  readonly positions: number;
  /** Number of underlyings (1..3). Underlying ids are 1..U. */
  readonly underlyings: number;
  /** Settlement records per batch. */
  readonly settlements: number;
  /** Deposit records per batch (D): the owner and key of each deposit slot (§7, §8); at most D deposits per batch. */
  readonly deposits: number;
  /**
   * Instrument-table entries per batch (I, §8): the distinct instruments a batch's trades and
   * liquidations name, each slot by its 8-bit index.
   */
  readonly instruments: number;
  /** Minimum seconds between two funding updates of one underlying. */
  readonly fundingInterval: bigint;
}

export const TxType = {
  NOOP: 0,
  DEPOSIT: 1,
  WITHDRAW: 2,
  FORCED_WITHDRAW: 3,
  TRADE: 4,
  LIQUIDATE: 5,
  FUNDING: 6,
  SETTLE: 7,
  FEE_SWEEP: 8,
  FORCED_CLOSE: 9,
} as const;
export type TxTypeCode = (typeof TxType)[keyof typeof TxType];

export const Side = { BUY: 0, SELL: 1 } as const;
export type SideCode = (typeof Side)[keyof typeof Side];

export const InstrumentKind = { PERP: 0, CALL: 1, PUT: 2 } as const;
export type InstrumentKindCode = (typeof InstrumentKind)[keyof typeof InstrumentKind];

export interface InstrumentSpec {
  readonly underlying: number; // 1..U
  readonly kind: InstrumentKindCode;
  readonly strike: bigint; // cents, 0 for perps
  readonly expiry: bigint; // unix seconds, 0 for perps
}

export interface PublicKey {
  readonly x: bigint;
  readonly y: bigint;
}

export interface Signature {
  readonly R8x: bigint;
  readonly R8y: bigint;
  readonly S: bigint;
}

/** An order as signed by its trader (docs/protocol.md §5.1). */
export interface Order {
  readonly accountId: bigint;
  readonly instrument: bigint;
  readonly side: SideCode;
  readonly size: bigint;
  readonly price: bigint;
  readonly orderId: bigint;
  readonly expiry: bigint;
  readonly flags: bigint;
}

export interface SignedOrder {
  readonly order: Order;
  readonly signature: Signature;
  /** The trading public key; its hash must equal the account's pkHash. */
  readonly publicKey: PublicKey;
}

export interface Position {
  readonly instrument: bigint;
  readonly size: bigint; // signed
  readonly cost: bigint; // signed
}

export interface Account {
  readonly pkHash: bigint;
  readonly owner: bigint; // L1 address as a 160-bit integer
  readonly collateral: bigint; // signed, see §6.7
  readonly orderRoot: bigint;
  /** Exactly `profile.positions` entries; empty slots are all zero. */
  readonly positions: readonly Position[];
}

export interface GlobalState {
  readonly feePool: bigint;
  /** Index u-1 holds underlying u. */
  readonly fundingIndex: readonly bigint[];
  readonly lastFundingTime: readonly bigint[];
}

/** What a batch knows from L1 (checked by the contract against the oracle). */
export interface BatchContext {
  readonly timestamp: bigint;
  readonly domain: bigint;
  /** Index u-1 holds the price of underlying u, in cents. */
  readonly prices: readonly bigint[];
  /** Up to profile.settlements records. */
  readonly settlements: readonly SettlementRecord[];
}

export interface SettlementRecord {
  readonly underlying: number;
  readonly expiry: bigint;
  readonly price: bigint;
}

export type Tx =
  | { readonly type: typeof TxType.NOOP }
  | {
      readonly type: typeof TxType.DEPOSIT;
      readonly accountId: bigint;
      readonly owner: bigint;
      readonly pkHash: bigint;
      readonly amount: bigint;
    }
  | { readonly type: typeof TxType.WITHDRAW; readonly withdrawal: SignedOrder }
  | { readonly type: typeof TxType.FORCED_WITHDRAW; readonly accountId: bigint; readonly requested: bigint }
  | {
      readonly type: typeof TxType.TRADE;
      readonly maker: SignedOrder;
      readonly taker: SignedOrder;
      readonly size: bigint;
      readonly price: bigint;
    }
  | {
      readonly type: typeof TxType.LIQUIDATE;
      readonly accountId: bigint;
      readonly instrument: bigint;
      readonly size: bigint;
      /** The insurance fund account that takes the position (§6.4); account 1 when omitted. */
      readonly insurance?: bigint;
    }
  | { readonly type: typeof TxType.FUNDING; readonly underlying: number; readonly delta: bigint }
  | { readonly type: typeof TxType.SETTLE; readonly accountId: bigint; readonly instrument: bigint }
  | { readonly type: typeof TxType.FEE_SWEEP; readonly amount: bigint }
  | {
      /**
       * An L1 forced close (§6.10, issue 14 F11): the account's whole position in `instrument`
       * goes to an insurance fund account at the rules' price with the liquidation penalty, or,
       * for an option expired at t, is settled at the batch's record. Refused (nothing changes)
       * only when the account holds no such position.
       */
      readonly type: typeof TxType.FORCED_CLOSE;
      readonly accountId: bigint;
      readonly instrument: bigint;
      /** A forced settlement (queued by the owner; only an option expired at t may be served). */
      readonly settlement: boolean;
      /** The insurance fund account that takes the position or absorbs a shortfall; account 1 when omitted. */
      readonly insurance?: bigint;
    };

/** A Merkle proof: siblings bottom-up (index 0 is the leaf's sibling). */
export interface MerkleProof {
  readonly index: bigint;
  readonly siblings: readonly bigint[];
}

/** One account touched by a slot: its leaf before and after, and its path. */
export interface AccountUpdate {
  readonly accountId: bigint;
  readonly before: Account;
  readonly after: Account;
  /** Siblings valid against the account root just before this update. */
  readonly proof: MerkleProof;
}

/** One order touched by a slot, with its order-tree leaf before the fill. */
export interface OrderUpdate {
  readonly signed: SignedOrder;
  readonly storedId: bigint;
  readonly storedFilled: bigint;
  /** Siblings in the account's order tree, against its order root before this fill. */
  readonly proof: MerkleProof;
}

/**
 * Everything the circuit needs for one slot, produced by the reference model while applying
 * the transaction. Account A and B roles per type are in docs/protocol.md §11. The account roots
 * around the slot are not in it: they follow from A's and B's proofs (`computeRoot`), the circuit
 * chains them itself, and computing them per slot would hash every path of the batch once per
 * slot (protocol/tree.ts hashes lazily). The batch carries the roots before and after it.
 */
export interface TxWitness {
  readonly tx: Tx;
  readonly a: AccountUpdate;
  readonly b: AccountUpdate;
  readonly orderA: OrderUpdate | null;
  readonly orderB: OrderUpdate | null;
  /** Position slot index used in account A / B (0 when unused). */
  readonly posSlotA: number;
  readonly posSlotB: number;
  /** For settlement: index of the settlement record used (0 otherwise). */
  readonly settlementIndex: number;
  /** For forced withdrawals: the amount actually served (0 if refused); forced close: 1 served, 0 refused. */
  readonly served: bigint;
  /** For liquidations: the rules' price X. */
  readonly liquidationPrice: bigint;
  readonly globalBefore: GlobalState;
  readonly globalAfter: GlobalState;
  /** This slot's public data (§7). */
  readonly publicData: readonly [bigint, bigint];
}

/** A closed batch: what the prover proves and the contract accepts (docs/protocol.md §8). */
export interface Batch {
  readonly profile: Profile;
  readonly context: BatchContext;
  readonly oldStateRoot: bigint;
  readonly newStateRoot: bigint;
  readonly globalBefore: GlobalState;
  readonly globalAfter: GlobalState;
  readonly accountRootBefore: bigint;
  readonly accountRootAfter: bigint;
  /** Exactly profile.nTx witnesses; unused slots are no-ops. */
  readonly witnesses: readonly TxWitness[];
  /**
   * The instrument table (§8): the distinct instruments the batch's trades and liquidations name,
   * in order of first use, padded with 0 to `profile.instruments` entries.
   */
  readonly instruments: readonly bigint[];
  /** The public data the commitment hashes (§8), 4 + U + K + I + 2·D + 2·nTx words. */
  readonly publicData: readonly bigint[];
  /** `sha256(public data at fixed widths) mod 2^253` (§8, protocol/commitment.ts). */
  readonly commitment: bigint;
  /** The circuit's public inputs: `[commitment]`. */
  readonly publicInputs: readonly bigint[];
  /**
   * Account 1 (the insurance fund) before the batch with its path: the circuit reads its owner
   * and key from it to know the insurance fund's accounts (§4.1).
   */
  readonly insurance: { readonly account: Account; readonly proof: MerkleProof };
}

/** A Groth16 proof packed for the Solidity verifier: [a0, a1, b00, b01, b10, b11, c0, c1]. */
export type SolidityProof = readonly [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
