/**
 * The sequencer's live rollup state: protocol/'s `RollupState` plus the open batch
 * (protocol/'s `BatchBuilder`). Every transaction the venue makes goes through here, so every
 * rule check is protocol/'s own code; the engine only plans fills.
 *
 * A batch opens at the first transaction after the previous one closed, with the context
 * `{ timestamp: now in seconds, domain, prices: the latest oracle prices, settlements: the
 * records of the settlement in progress }`, and closes when it holds `nTx` transactions, on a
 * `closeBatch` command, or when a transaction needs a context the open batch does not have
 * (`ensureContext`: new prices for a liquidation, a later timestamp for funding, a settlement
 * record). Closed batches wait in `takeClosed()` for the proving pipeline.
 */
import { BatchBuilder } from "../protocol/batch.ts";
import { txUsesPrices } from "../protocol/priceUse.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { settlementKey } from "../protocol/transition.ts";
import { pkHash } from "../protocol/keys.ts";
import type { RollupState } from "../protocol/state.ts";
import type { Batch, BatchContext, Profile, PublicKey, SettlementRecord, SignedOrder, Tx } from "../protocol/types.ts";
import { TxType } from "../protocol/types.ts";
import type { Blame, FillLocation, Ledger, PlannedFill } from "./engine/engine.ts";
import { SequencerError } from "./errors.ts";

export interface ClosedBatch {
  /** Batch number, from 1, in closing order. */
  readonly number: bigint;
  readonly batch: Batch;
  /** Real (non-padding) transactions in the batch. */
  readonly txCount: number;
  /** The feed round behind each price of the batch context (submitBatch's `priceRoundIds`). */
  readonly priceRoundIds: readonly bigint[];
  /** The feed round behind each settlement record (submitBatch's `settlementRoundIds`). */
  readonly settlementRoundIds: readonly bigint[];
  /** Unix ms at which the batch opened and closed. */
  readonly openedAt: bigint;
  readonly closedAt: bigint;
}

/** A settlement record with the feed round that gives its price (the round in force at expiry). */
export interface SettlementWithRound {
  readonly record: SettlementRecord;
  readonly roundId: bigint;
}

/** Where a transaction landed and, for a forced withdrawal, what it served. */
export interface Applied extends FillLocation {
  readonly served: bigint;
  /** For a liquidation: the rules' price X (cents). */
  readonly liquidationPrice: bigint;
}

const MS_PER_SECOND = 1000n;

export class ProtocolLedger implements Ledger {
  private prices: readonly bigint[];
  private roundIds: readonly bigint[];
  /** When each price's feed round was updated on L1, unix seconds (0: unknown, not from L1). */
  private updatedAts: readonly bigint[];
  private builderRounds: readonly bigint[] = [];
  private builderSettlementRounds: readonly bigint[] = [];
  /** Settlement records the next batch opened carries (set while a settlement runs). */
  private settling: readonly SettlementWithRound[] = [];
  /** Accounts ever registered by a deposit (the accounts the risk engine watches). */
  private readonly registered = new Set<bigint>();
  private builder: BatchBuilder | null = null;
  private nextBatch = 1n;
  private openedAt = 0n;
  private closed: ClosedBatch[] = [];
  private readonly keyHashes = new Map<string, bigint>();

  constructor(
    readonly state: RollupState,
    readonly domain: bigint,
    initialPrices: readonly bigint[],
    /**
     * The rollup's `maxOracleAge` (seconds), or null without L1: a batch is never opened at a
     * time `t` when a price's round is older than this (L1 would refuse it, issue 14 F14).
     */
    readonly maxOracleAge: bigint | null = null,
  ) {
    this.prices = initialPrices;
    this.roundIds = initialPrices.map(() => 0n);
    this.updatedAts = initialPrices.map(() => 0n);
  }

  get profile(): Profile {
    return this.state.profile;
  }

  get oraclePrices(): readonly bigint[] {
    return this.prices;
  }

  /** The feed round behind each oracle price (0 = not from L1). */
  get oracleRoundIds(): readonly bigint[] {
    return this.roundIds;
  }

  /** When each price's round was updated on L1, unix seconds (0 = unknown). */
  get oracleUpdatedAts(): readonly bigint[] {
    return this.updatedAts;
  }

  /**
   * Underlyings (1-based) whose price round is older than `maxOracleAge` at `t` (unix seconds):
   * a batch stamped `t` with these prices is one L1 refuses (`StaleOraclePrice`). Rounds of
   * unknown time (0) and a ledger without L1 limits are never stale.
   */
  staleAt(t: bigint): number[] {
    const max = this.maxOracleAge;
    if (max === null) return [];
    const out: number[] = [];
    this.updatedAts.forEach((at, i) => {
      if (at !== 0n && t - at > max) out.push(i + 1);
    });
    return out;
  }

  private staleError(stale: readonly number[]): SequencerError {
    return new SequencerError(
      "PRICE_STALE",
      `the price round of underlying ${stale.join(", ")} is older than L1's maxOracleAge (${this.maxOracleAge} s): only transactions that read no price (deposits, settlements, fee sweeps, forced settlements, withdrawals from accounts without positions) go on until a fresh round arrives`,
    );
  }

  /**
   * The open batch was opened while a price round was older than maxOracleAge (finding F13): it
   * takes no transaction that reads prices (protocol/priceUse.ts), so fresh rounds close it (the
   * oracle command).
   */
  get pricesStale(): boolean {
    return this.builder?.pricesStale === true;
  }

  /** The context the next transaction is applied with. */
  context(now: bigint): BatchContext {
    return this.builder?.context ?? this.freshContext(now);
  }

  private freshContext(now: bigint): BatchContext {
    return {
      timestamp: now / MS_PER_SECOND,
      domain: this.domain,
      prices: this.prices,
      settlements: this.settling.map((s) => s.record),
    };
  }

  /**
   * Closes the open batch unless `accept` holds for its context, so that the next transaction
   * opens a batch at `now` with the latest prices (and the settlement records in progress).
   */
  ensureContext(now: bigint, accept: (ctx: BatchContext) => boolean): void {
    if (this.builder !== null && !accept(this.builder.context)) this.closeBatch(now);
  }

  /**
   * Runs `fn` with `settlements` carried by every batch opened meanwhile (the open batch is
   * closed first unless it already carries them all). At most `profile.settlements` records.
   */
  withSettlements<T>(settlements: readonly SettlementWithRound[], now: bigint, fn: () => T): T {
    if (settlements.length > this.profile.settlements)
      throw new SequencerError(
        "BAD_REQUEST",
        `a batch carries at most ${this.profile.settlements} settlement records, got ${settlements.length}`,
      );
    const has = (ctx: BatchContext, r: SettlementRecord): boolean =>
      ctx.settlements.some((c) => c.underlying === r.underlying && c.expiry === r.expiry && c.price === r.price);
    this.ensureContext(now, (ctx) => settlements.every((s) => has(ctx, s.record)));
    // Canonical order (protocol/'s validateContext, the circuit and the contract): by series key.
    this.settling = settlements.slice().sort((x, y) => (settlementKey(x.record) < settlementKey(y.record) ? -1 : 1));
    try {
      return fn();
    } finally {
      this.settling = [];
    }
  }

  /** Accounts registered by a deposit, in registration order. */
  registeredAccounts(): Iterable<bigint> {
    return this.registered;
  }

  /** The number the open batch has or the next one will have. */
  get currentBatch(): bigint {
    return this.nextBatch;
  }

  /** Unix ms at which the open batch opened, or null when none is open. */
  get openSince(): bigint | null {
    return this.builder === null ? null : this.openedAt;
  }

  /**
   * Applies `tx` through protocol/ in the open batch, opening one if needed. Throws
   * ProtocolError and changes nothing (a batch opened for a rejected transaction is discarded,
   * so the batch context depends only on accepted commands).
   */
  apply(tx: Tx, now: bigint): Applied {
    const t = now / MS_PER_SECOND;
    const stale = this.staleAt(t);
    // A batch stamped while a round is older than maxOracleAge lands on L1 only if none of its
    // slots reads a price (finding F13): such a batch takes nothing that does.
    if (
      this.builder?.pricesStale === true &&
      stale.length > 0 &&
      txUsesPrices(tx, this.state, this.builder.context.timestamp)
    )
      throw this.staleError(stale);
    const fresh = this.builder === null;
    if (fresh && stale.length > 0 && txUsesPrices(tx, this.state, t)) throw this.staleError(stale);
    const builder =
      this.builder ?? new BatchBuilder(this.state, this.freshContext(now), { pricesStale: stale.length > 0 });
    const witness = builder.add(tx);
    if (fresh) {
      this.builder = builder;
      this.builderRounds = this.roundIds;
      this.builderSettlementRounds = this.settling.map((s) => s.roundId);
      this.openedAt = now;
    }
    if (tx.type === TxType.DEPOSIT) this.registered.add(tx.accountId);
    const at = {
      batch: this.nextBatch,
      slot: builder.size - 1,
      served: witness.served,
      liquidationPrice: witness.liquidationPrice,
    };
    if (builder.isFull) this.closeBatch(now);
    return at;
  }

  /** Closes the open batch (padding it with no-ops); returns its number, or null if none. */
  closeBatch(now: bigint): bigint | null {
    if (this.builder === null) return null;
    const number = this.nextBatch;
    const txCount = this.builder.size;
    this.closed.push({
      number,
      batch: this.builder.close(),
      txCount,
      priceRoundIds: this.builderRounds,
      settlementRoundIds: this.builderSettlementRounds,
      openedAt: this.openedAt,
      closedAt: now,
    });
    this.builder = null;
    this.nextBatch += 1n;
    return number;
  }

  /** Batches closed since the last call, oldest first. */
  takeClosed(): ClosedBatch[] {
    const out = this.closed;
    this.closed = [];
    return out;
  }

  /** New oracle prices (cents per underlying) and their feed rounds; the next batch uses them. */
  setPrices(prices: readonly bigint[], roundIds: readonly bigint[], updatedAts?: readonly bigint[]): void {
    const u = this.profile.underlyings;
    if (prices.length !== u || roundIds.length !== u)
      throw new SequencerError(
        "BAD_REQUEST",
        `expected ${u} prices and ${u} round ids, got ${prices.length} and ${roundIds.length}`,
      );
    if (updatedAts !== undefined && updatedAts.length !== u)
      throw new SequencerError("BAD_REQUEST", `expected ${u} round times, got ${updatedAts.length}`);
    this.prices = prices;
    this.roundIds = roundIds;
    this.updatedAts = updatedAts ?? prices.map(() => 0n);
  }

  trade(fill: PlannedFill, now: bigint): FillLocation {
    const { batch, slot } = this.apply(
      { type: TxType.TRADE, maker: fill.maker, taker: fill.taker, size: fill.size, price: fill.price },
      now,
    );
    return { batch, slot };
  }

  dryRun(fills: readonly PlannedFill[], now: bigint): ProtocolError | null {
    const copy = this.state.clone();
    const ctx = this.context(now);
    try {
      for (const f of fills)
        copy.applyTx({ type: TxType.TRADE, maker: f.maker, taker: f.taker, size: f.size, price: f.price }, ctx);
      return null;
    } catch (e) {
      if (e instanceof ProtocolError) return e;
      throw e;
    }
  }

  /**
   * Whose order a rejected fill is blamed on. An expired maker order is the maker's; for the
   * per-account checks (order tree, position slot, reduce-only, margin, collateral rule) the
   * protocol error carries the failing account, and maker ≠ taker always holds.
   */
  blame(error: ProtocolError, fill: PlannedFill, now: bigint): Blame {
    const maker = fill.maker.order;
    if (error.code === "ORDER_EXPIRED") return maker.expiry < this.context(now).timestamp ? "maker" : "taker";
    return error.accountId === maker.accountId ? "maker" : "taker";
  }

  orderSlot(accountId: bigint, orderId: bigint): { storedId: bigint; storedFilled: bigint } {
    const s = this.state.orderState(accountId, orderId);
    return { storedId: s.orderId, storedFilled: s.filled };
  }

  slotOf(orderId: bigint): bigint {
    return orderId & ((1n << BigInt(this.profile.orderDepth)) - 1n);
  }

  positionSize(accountId: bigint, instrument: bigint): bigint {
    return (
      this.state.account(accountId).positions.find((p) => p.size !== 0n && p.instrument === instrument)?.size ?? 0n
    );
  }

  private hashKey(key: PublicKey): bigint {
    const k = `${key.x}:${key.y}`;
    let h = this.keyHashes.get(k);
    if (h === undefined) {
      h = pkHash(key);
      if (this.keyHashes.size > 100_000) this.keyHashes.clear();
      this.keyHashes.set(k, h);
    }
    return h;
  }

  authenticate(signed: SignedOrder): void {
    this.checkKey(signed.order.accountId, signed.publicKey);
  }

  /** The account exists and `key` is its trading key; throws UNKNOWN_ACCOUNT / KEY_MISMATCH. */
  checkKey(accountId: bigint, key: PublicKey): void {
    const capacity = 1n << BigInt(this.profile.accountDepth);
    if (accountId >= capacity)
      throw new SequencerError("UNKNOWN_ACCOUNT", `account ${accountId} does not exist (the tree holds ${capacity})`);
    const account = this.state.account(accountId);
    if (account.pkHash === 0n)
      throw new SequencerError("UNKNOWN_ACCOUNT", `account ${accountId} is not registered: deposit on L1 first`);
    if (this.hashKey(key) !== account.pkHash)
      throw new SequencerError("KEY_MISMATCH", `the public key is not account ${accountId}'s trading key`);
  }
}
