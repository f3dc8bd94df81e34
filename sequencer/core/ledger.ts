/**
 * The sequencer's live rollup state, in two halves of protocol/'s transition:
 * - `state`, the core's: protocol/'s `CheckState`, plain records with every rule and no
 *   hashing. Every transaction the venue makes is accepted or refused here, per command.
 * - `committedState`, the batch builder's: protocol/'s `RollupState` (Merkle trees) as of the
 *   last closed batch. When a batch closes, sequencer/builder replays its transactions on it
 *   (the full transition, witnesses and public inputs) and checks it reaches the core's records
 *   (fail closed: `BuilderDisagreementError`).
 *
 * A batch opens at the first transaction after the previous one closed, with the context
 * `{ timestamp: now in seconds, domain, prices: the latest oracle prices, settlements: the
 * records of the settlement in progress }`, and closes when it holds `nTx` transactions, on a
 * `closeBatch` command, on a new oracle round (`ensureContext`), or when a transaction needs
 * the next batch: the open one has no room for it (its deposit records or instrument table are
 * used up) or lacks the context it needs (`apply`'s `accept`: the latest prices for a
 * liquidation, a later timestamp for funding; a settlement record). Closed batches wait in
 * `takeClosed()` for the proving pipeline.
 *
 * Guarantee: a refused transaction changes nothing, the batch numbering included. One that needs
 * the next batch is checked there first (every check `apply` runs, on a scratch copy of the
 * records) and the open batch closes only once it passes: a rejected command never closes a
 * batch the journal does not hold (finding F1, which `closeBeforeCheck` keeps for the journals
 * written before it).
 */
import { namedInstrument, namedInstruments, refuseStalePriceReads } from "../../protocol/batch.ts";
import type { CheckState, CheckStateSnapshot } from "../../protocol/check.ts";
import { txUsesPrices } from "../../protocol/priceUse.ts";
import { ProtocolError } from "../../protocol/errors.ts";
import { settlementKey } from "../../protocol/transition.ts";
import { pkHashCached } from "../../protocol/keys.ts";
import type { RollupState } from "../../protocol/state.ts";
import type {
  Account,
  Batch,
  BatchContext,
  Profile,
  PublicKey,
  SettlementRecord,
  SignedOrder,
  Tx,
} from "../../protocol/types.ts";
import { TxType } from "../../protocol/types.ts";
import { deserialize, serialize } from "node:v8";
import { batchHead, buildBatch, ordersOf, snapshotRecords } from "../builder/builder.ts";
import type { BatchHead } from "../builder/builder.ts";
import { decodeBuildRequest, encodeBuildRequest } from "../builder/remote.ts";
import type { BuildRequest, RemoteBuilder } from "../builder/remote.ts";
import type { Blame, FillLocation, Ledger, PlannedFill } from "./engine/engine.ts";
import { SequencerError } from "../errors.ts";
import { requireRegistered } from "./registered.ts";
import { LiquidationIndex } from "./risk/candidates.ts";
import type { LiquidationIndexSnapshot } from "./risk/candidates.ts";
import { FundCapacity } from "./risk/fund-capacity.ts";

/** A closed batch's place in the pipeline, without its built form. */
export interface BatchMeta {
  /** Batch number, from 1, in closing order. */
  readonly number: bigint;
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

/**
 * A batch's built form: the batch itself (built on this thread), or the bytes the builder process
 * sent with its head (and the batch when it is decoded already).
 */
export type BuiltForm =
  { readonly batch: Batch } | { readonly encoded: Uint8Array; readonly head: BatchHead; readonly batch?: Batch };

/**
 * A closed batch, built. Built in the builder's process, it is held as the bytes that process
 * sent (`v8.serialize`d, about 1.2 MB per 256 slots) with its head, and decoded only where the
 * witnesses are read (the provers, the submitter, the witness check), each time anew unless the
 * last decoded form is still alive: the core's thread never decodes a batch it only records, and
 * the heap holds bytes, not hundreds of thousands of bigints per batch waiting for L1.
 *
 * Once the snapshots file holds the built form (`release`), the batch holds neither: it reads
 * the bytes back from there when the witnesses are wanted. A batch waits for its proof and for
 * L1 for minutes, and batches close several times a second under load, so holding each one's
 * bytes until L1 took it would grow the venue's memory with the proving backlog (and every
 * megabyte of it makes V8 collect garbage sooner, on the core's thread).
 */
export class ClosedBatch implements BatchMeta {
  readonly number: bigint;
  readonly txCount: number;
  readonly priceRoundIds: readonly bigint[];
  readonly settlementRoundIds: readonly bigint[];
  readonly openedAt: bigint;
  readonly closedAt: bigint;
  readonly head: BatchHead;
  /**
   * Where the built form is: the bytes (built in the builder's process, not released yet), the
   * batch itself (built on this thread, not released yet), or a reader of the stored bytes.
   */
  #form:
    | { readonly kind: "bytes"; readonly encoded: Uint8Array }
    | { readonly kind: "batch"; readonly batch: Batch }
    | { readonly kind: "stored"; readonly load: () => Uint8Array | null };
  /** The last decoded form, while something still uses it. */
  #decoded: WeakRef<Batch>;

  constructor(meta: BatchMeta, built: BuiltForm) {
    this.number = meta.number;
    this.txCount = meta.txCount;
    this.priceRoundIds = meta.priceRoundIds;
    this.settlementRoundIds = meta.settlementRoundIds;
    this.openedAt = meta.openedAt;
    this.closedAt = meta.closedAt;
    if ("encoded" in built) {
      this.head = built.head;
      this.#form = { kind: "bytes", encoded: built.encoded };
      this.#decoded = new WeakRef(built.batch ?? EMPTY);
    } else {
      this.head = batchHead(built.batch);
      this.#form = { kind: "batch", batch: built.batch };
      this.#decoded = new WeakRef(built.batch);
    }
  }

  /** The built batch (witnesses and public inputs), decoded from its bytes when needed. */
  get batch(): Batch {
    if (this.#form.kind === "batch") return this.#form.batch;
    let batch = this.#decoded.deref();
    if (batch === undefined || batch === EMPTY) {
      batch = deserialize(this.encoded()) as Batch;
      this.#decoded = new WeakRef(batch);
    }
    return batch;
  }

  /** The built form's bytes: held, read back from the store, or serialized now. */
  encoded(): Uint8Array {
    if (this.#form.kind === "bytes") return this.#form.encoded;
    if (this.#form.kind === "batch") return serialize(this.#form.batch);
    const bytes = this.#form.load();
    if (bytes === null) throw new Error(`batch ${this.number}: its built form is no longer stored`);
    return bytes;
  }

  /**
   * The built form is stored (the snapshots file, `Journal.storeBuiltBatch` resolved): the
   * batch lets go of it and reads it with `load` when it is wanted. Null from `load` (the file no
   * longer holds this form) makes that read throw. A second call keeps the first reader.
   */
  release(load: () => Uint8Array | null): void {
    if (this.#form.kind === "stored") return;
    this.#form = { kind: "stored", load };
  }

  /** Whether the built form is held in memory (not released to the store yet). */
  get held(): boolean {
    return this.#form.kind !== "stored";
  }

  /** Its place in the pipeline and the decoded batch, as plain data (for comparing venues). */
  plain(): BatchMeta & { readonly batch: Batch } {
    return { ...this.meta(), batch: this.batch };
  }

  /** Its place in the pipeline (what a snapshot records of it). */
  meta(): BatchMeta {
    const { number, txCount, priceRoundIds, settlementRoundIds, openedAt, closedAt } = this;
    return { number, txCount, priceRoundIds, settlementRoundIds, openedAt, closedAt };
  }
}

/** A placeholder no decoded batch is ever equal to (a WeakRef needs a target). */
const EMPTY = {} as Batch;

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

/** Deposits among `txs`: each uses one of the batch's deposit records. */
function depositsIn(txs: readonly Tx[]): number {
  let n = 0;
  for (const tx of txs) if (tx.type === TxType.DEPOSIT) n++;
  return n;
}

/** Whether a batch context carries every one of `settlements`' records. */
function carries(ctx: BatchContext, settlements: readonly SettlementWithRound[]): boolean {
  const has = (r: SettlementRecord): boolean =>
    ctx.settlements.some((c) => c.underlying === r.underlying && c.expiry === r.expiry && c.price === r.price);
  return settlements.every((s) => has(s.record));
}

/** The open batch: its context and the transactions the core accepted into it. */
export interface OpenBatch {
  readonly context: BatchContext;
  readonly pricesStale: boolean;
  readonly txs: Tx[];
  /** Accounts and order slots its transactions wrote (the records the builder compares). */
  readonly accounts: Set<bigint>;
  readonly orders: (readonly [bigint, bigint])[];
  readonly openedAt: bigint;
  readonly rounds: readonly bigint[];
  readonly settlementRounds: readonly bigint[];
}

/**
 * The ledger's state between two commands as plain data (`ProtocolLedger.toSnapshot`): oracle
 * prices and rounds, registered accounts, the open batch (its transactions are in the core's
 * records already, not yet in the builder's trees), the batches closed but not built yet, the
 * next batch number, the core's records. The builder's Merkle state is written beside it
 * (sequencer/journal/snapshot.ts).
 */
export interface LedgerSnapshot {
  readonly open: OpenBatch | null;
  /** Closed batches handed to the builder process and not built at the snapshot, oldest first. */
  readonly building: readonly BatchMeta[];
  readonly prices: readonly bigint[];
  readonly roundIds: readonly bigint[];
  readonly updatedAts: readonly bigint[];
  readonly registered: ReadonlySet<bigint>;
  readonly nextBatch: bigint;
  readonly lastRoot: bigint;
  readonly builder: { readonly batches: number; readonly ms: number };
  readonly state: CheckStateSnapshot;
  /** Derived, but stored: rebuilding it examines every registered account (risk/candidates.ts). */
  readonly liquidationIndex: LiquidationIndexSnapshot;
}

export class ProtocolLedger implements Ledger {
  private prices: readonly bigint[];
  private roundIds: readonly bigint[];
  /** When each price's feed round was updated on L1, unix seconds (0: unknown, not from L1). */
  private updatedAts: readonly bigint[];
  /** Settlement records the next batch opened carries (set while a settlement runs). */
  private settling: readonly SettlementWithRound[] = [];
  /** Accounts ever registered by a deposit (the accounts the risk engine watches). */
  private readonly registered = new Set<bigint>();
  /**
   * Liquidation candidates by price (risk/candidates.ts), told which accounts each transaction
   * wrote. Derived from the records and `registered` alone, and stored in snapshots all the same
   * (rebuilding it examines every registered account).
   */
  readonly liquidationIndex: LiquidationIndex;
  /**
   * The insurance fund's free position slots against the instruments it may have to take
   * (risk/fund-capacity.ts), told which accounts each transaction wrote. Derived from the records
   * alone: rebuilt on a restore, never stored.
   */
  readonly fundCapacity: FundCapacity;
  private open: OpenBatch | null = null;
  /** The open batch's instrument table so far (§8), and the batch it belongs to (recomputed on a change). */
  private openTable: { readonly batch: OpenBatch; readonly entries: bigint[] } | null = null;
  private nextBatch = 1n;
  private closed: ClosedBatch[] = [];
  /** Batches built and the milliseconds spent building them (the builder's share of the thread). */
  readonly builder = { batches: 0, ms: 0 };
  /**
   * Bumped by every change of the batches or the records (a transaction applied, a batch closed,
   * new prices): the venue checks that a refused command left it where it was.
   */
  private changes = 0;
  /**
   * The rule before finding F1, for replaying the commands of a journal written under it: a
   * transaction that needs the next batch closes the open one before it is checked, refused or
   * not. Set by the venue per command (`ACCEPTED_CLOSE_FROM`); false for every new command.
   */
  closeBeforeCheck = false;

  /** Closed batches handed to a remote builder and not built yet, with what their ClosedBatch needs. */
  private readonly building = new Map<bigint, BatchMeta>();
  /**
   * What the remote builder was sent for each batch in `building`: a snapshot taken while the
   * builder lags stores these for the batches its trees do not include yet, and a restart sends
   * them again (`resumeBuilding`).
   */
  private readonly requests = new Map<bigint, BuildRequest>();
  private remote: RemoteBuilder | null = null;
  private lastRoot: bigint;

  constructor(
    /** The core's state: plain records, every rule, no hashing. */
    readonly state: CheckState,
    /**
     * The builder's state (Merkle trees) as of the last built batch; the same genesis as
     * `state`. Built here, on this thread, unless `useRemoteBuilder` hands building to a process
     * (then this stays at genesis and is not used).
     */
    readonly committedState: RollupState,
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
    this.lastRoot = committedState.stateRoot;
    this.liquidationIndex = new LiquidationIndex(this.registered, state.profile.underlyings);
    this.fundCapacity = new FundCapacity(state);
  }

  /**
   * Builds every batch closed from now on in `remote` (sequencer/builder/remote.ts), off this
   * thread: a closed batch reaches `takeClosed()` when `built` hands it back.
   */
  /** Accounts written since the last `flushAccountChanges` (null: not tracked). */
  private accountChanges: Set<bigint> | null = null;

  /** Starts recording which accounts each transaction writes (`flushAccountChanges`). */
  trackAccountChanges(): void {
    this.accountChanges ??= new Set();
  }

  /** The accounts written since the last call, with their records as they stand now. */
  flushAccountChanges(): [bigint, Account][] {
    if (this.accountChanges === null || this.accountChanges.size === 0) return [];
    const out = [...this.accountChanges].map((id): [bigint, Account] => [id, this.state.account(id)]);
    this.accountChanges.clear();
    return out;
  }

  useRemoteBuilder(remote: RemoteBuilder): void {
    this.remote = remote;
    // Batches a snapshot restored as not built yet go first, in order (`resumeBuilding`).
    for (const r of this.requests.values()) remote.build(r);
  }

  /** What the remote builder was sent for batch `number`, while it is not built (else null). */
  buildRequest(number: bigint): BuildRequest | null {
    return this.requests.get(number) ?? null;
  }

  /**
   * After `restore`: the build requests a snapshot stored for the batches its builder trees did
   * not include yet (oldest first; each must be one of the restored `building` batches, in
   * order). Built here and now on `committedState` when the builder runs on this thread;
   * otherwise sent to the builder process when `useRemoteBuilder` starts it.
   */
  resumeBuilding(requests: readonly BuildRequest[], inline: boolean): void {
    for (const r of requests) {
      if (!this.building.has(r.number))
        throw new Error(`internal: a build request for batch ${r.number}, which is not building`);
      if (inline) {
        const started = performance.now();
        const { accepted, records } = decodeBuildRequest(r);
        this.built(
          r.number,
          { batch: buildBatch(this.committedState, accepted, records) },
          performance.now() - started,
        );
      } else this.requests.set(r.number, r);
    }
  }

  /**
   * Between two commands: every closed batch taken by the venue and no settlement running (a
   * batch may be open, and batches may wait for the builder process). A snapshot is taken only
   * then.
   */
  get atBoundary(): boolean {
    return this.closed.length === 0 && this.settling.length === 0;
  }

  /** The ledger as plain data between two commands (throws elsewhere); see `LedgerSnapshot`. */
  toSnapshot(): LedgerSnapshot {
    if (!this.atBoundary) throw new Error("internal: a ledger snapshot is taken only between two commands");
    return {
      open: this.open,
      building: [...this.building.values()],
      prices: this.prices,
      roundIds: this.roundIds,
      updatedAts: this.updatedAts,
      registered: this.registered,
      nextBatch: this.nextBatch,
      lastRoot: this.lastRoot,
      builder: { ...this.builder },
      state: this.state.toSnapshot(),
      liquidationIndex: this.liquidationIndex.toSnapshot(),
    };
  }

  /**
   * Everything the ledger holds, as plain data, wherever it is (open batch included): for
   * comparing a venue restored from a snapshot with a full replay. Build times are left out.
   */
  inspect(): Record<string, unknown> {
    return {
      prices: this.prices,
      roundIds: this.roundIds,
      updatedAts: this.updatedAts,
      settling: this.settling,
      registered: this.registered,
      open: this.open,
      nextBatch: this.nextBatch,
      closed: this.closed.map((c) => c.plain()),
      batchesBuilt: this.builder.batches,
      building: [...this.building.values()],
      lastRoot: this.lastRoot,
      state: this.state.toSnapshot(),
    };
  }

  /**
   * Takes a snapshot's values on a fresh ledger made on the snapshot's states (its `state` and
   * `committedState` are restored by the caller). Batches that were building come back as
   * building: hand their built form to `built`, or their build request to `resumeBuilding` (the
   * snapshot stores one or the other).
   */
  restore(s: LedgerSnapshot): void {
    this.open = s.open;
    this.building.clear();
    this.requests.clear();
    for (const b of s.building) this.building.set(b.number, b);
    this.prices = s.prices;
    this.roundIds = s.roundIds;
    this.updatedAts = s.updatedAts;
    this.registered.clear();
    for (const id of s.registered) this.registered.add(id);
    this.nextBatch = s.nextBatch;
    this.lastRoot = s.lastRoot;
    this.builder.batches = s.builder.batches;
    this.builder.ms = s.builder.ms;
    this.liquidationIndex.restore(s.liquidationIndex);
    this.fundCapacity.rebuild(this.state, this.registered);
  }

  /** A batch the remote builder built (in batch order): it joins the closed batches. */
  built(number: bigint, form: BuiltForm, ms: number): void {
    const meta = this.building.get(number);
    if (meta === undefined) throw new Error(`internal: batch ${number} built but never handed to the builder`);
    this.building.delete(number);
    this.requests.delete(number);
    const closed = new ClosedBatch(meta, form);
    this.closed.push(closed);
    this.lastRoot = closed.head.newStateRoot;
    this.builder.batches += 1;
    this.builder.ms += ms;
  }

  /** Closed batches the builder has not built yet (0 when it builds on this thread). */
  get builderLag(): number {
    return this.building.size;
  }

  /** The closed batches the builder has not built yet, oldest first: number and open time. */
  unbuilt(): { readonly number: bigint; readonly openedAt: bigint }[] {
    return [...this.building.values()].map((b) => ({ number: b.number, openedAt: b.openedAt }));
  }

  /** The lowest-numbered of `unbuilt()`, or null: what the health gate asks each command. */
  oldestUnbuilt(): { readonly number: bigint; readonly openedAt: bigint } | null {
    let oldest: BatchMeta | null = null;
    for (const b of this.building.values()) if (oldest === null || b.number < oldest.number) oldest = b;
    return oldest;
  }

  /** The state root after the last built batch. */
  get committedRoot(): bigint {
    return this.lastRoot;
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
    return this.open?.pricesStale === true;
  }

  /** The context the next transaction is applied with. */
  context(now: bigint): BatchContext {
    return this.open?.context ?? this.freshContext(now);
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
   * opens a batch at `now` with the latest prices (and the settlement records in progress). Only
   * for a command that is journaled whatever follows (a new oracle round): a transaction that
   * needs a context passes `accept` to `apply`, which closes the batch only once it passes.
   */
  ensureContext(now: bigint, accept: (ctx: BatchContext) => boolean): void {
    if (this.open !== null && !accept(this.open.context)) this.closeBatch(now);
  }

  /**
   * Runs `fn` with `settlements` carried by every batch opened meanwhile: a transaction `fn`
   * applies closes the open batch first unless it carries them all (`apply`). At most
   * `profile.settlements` records.
   */
  withSettlements<T>(settlements: readonly SettlementWithRound[], now: bigint, fn: () => T): T {
    if (settlements.length > this.profile.settlements)
      throw new SequencerError(
        "BAD_REQUEST",
        `a batch carries at most ${this.profile.settlements} settlement records, got ${settlements.length}`,
      );
    // Before finding F1 the open batch closed here, before any transaction was checked.
    if (this.closeBeforeCheck && this.open !== null && !carries(this.open.context, settlements)) this.closeBatch(now);
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
    return this.open === null ? null : this.open.openedAt;
  }

  /**
   * Applies `tx` through protocol/'s `check` in the open batch, opening one if needed. `accept`:
   * what the transaction needs of its batch's context (the latest prices for a liquidation, a
   * timestamp past a funding interval); an open batch whose context fails it is closed first, as
   * one with no room for `tx` is, or one without the settlement records in progress. Throws
   * ProtocolError or SequencerError (PRICE_STALE) and changes nothing: a transaction that needs
   * the next batch is checked there before the open batch closes, and a batch opened for a
   * rejected transaction is discarded, so the batches depend only on accepted commands. Closing a
   * batch builds it (may throw `BuilderDisagreementError`).
   */
  apply(tx: Tx, now: bigint, accept?: (ctx: BatchContext) => boolean): Applied {
    const named = namedInstrument(tx);
    if (this.open !== null && this.needsNextBatch(this.open, tx, named, accept)) {
      if (!this.closeBeforeCheck) this.checkInNextBatch(tx, now);
      this.closeBatch(now);
    }
    const t = now / MS_PER_SECOND;
    const stale = this.staleAt(t);
    // A batch stamped while a round is older than maxOracleAge lands on L1 only if none of its
    // slots reads a price (finding F13): such a batch takes nothing that does.
    if (
      this.open?.pricesStale === true &&
      stale.length > 0 &&
      txUsesPrices(tx, this.state, this.open.context.timestamp)
    )
      throw this.staleError(stale);
    const fresh = this.open === null;
    if (fresh && stale.length > 0 && txUsesPrices(tx, this.state, t)) throw this.staleError(stale);
    const open: OpenBatch = this.open ?? {
      context: this.freshContext(now),
      pricesStale: stale.length > 0,
      txs: [],
      accounts: new Set(),
      orders: [],
      openedAt: now,
      rounds: this.roundIds,
      settlementRounds: this.settling.map((s) => s.roundId),
    };
    refuseStalePriceReads(open.pricesStale, tx, this.state, open.context.timestamp);
    const table = this.instrumentTable(open);
    const outcome = this.state.applyTx(tx, open.context, table);
    this.changes += 1;
    this.open = open;
    open.txs.push(tx);
    if (named !== null && !table.includes(named)) table.push(named);
    for (const id of outcome.accounts) open.accounts.add(id);
    open.orders.push(...ordersOf(tx));
    if (tx.type === TxType.DEPOSIT) this.registered.add(tx.accountId);
    this.liquidationIndex.touch(outcome.accounts);
    this.fundCapacity.touch(this.state, outcome.accounts);
    if (this.accountChanges !== null) for (const id of outcome.accounts) this.accountChanges.add(id);
    const at = {
      batch: this.nextBatch,
      slot: open.txs.length - 1,
      served: outcome.served,
      liquidationPrice: outcome.liquidationPrice,
    };
    if (open.txs.length >= this.profile.nTx) this.closeBatch(now);
    return at;
  }

  /**
   * Whether `tx` must go in the next batch rather than the open one: the open batch's deposit
   * records are all used (a batch carries at most `profile.deposits`, §8) and `tx` is a deposit;
   * its instrument table is full (§8) and `tx` trades or liquidates an instrument it does not
   * hold; its context lacks the settlement records in progress, or fails `accept`.
   */
  private needsNextBatch(
    open: OpenBatch,
    tx: Tx,
    named: bigint | null,
    accept: ((ctx: BatchContext) => boolean) | undefined,
  ): boolean {
    if (tx.type === TxType.DEPOSIT && depositsIn(open.txs) >= this.profile.deposits) return true;
    if (named !== null) {
      const table = this.instrumentTable(open);
      if (!table.includes(named) && table.length >= this.profile.instruments) return true;
    }
    if (this.settling.length > 0 && !carries(open.context, this.settling)) return true;
    return accept !== undefined && !accept(open.context);
  }

  /**
   * Every check `apply` runs on a transaction that opens a batch at `now` (the stale-price rules,
   * then protocol/'s rules at the fresh context with an empty instrument table), on a scratch
   * copy of the records: throws as `apply` would there, and changes nothing. Closing the open
   * batch changes no record (it reads them for the builder), so `tx` then passes for real.
   */
  private checkInNextBatch(tx: Tx, now: bigint): void {
    const t = now / MS_PER_SECOND;
    const stale = this.staleAt(t);
    if (stale.length > 0 && txUsesPrices(tx, this.state, t)) throw this.staleError(stale);
    refuseStalePriceReads(stale.length > 0, tx, this.state, t);
    this.state.scratch().applyTx(tx, this.freshContext(now), []);
  }

  /**
   * A number that changes with every change of the batches or the records (a transaction
   * applied, a batch closed, new prices): equal before and after a command that changed nothing.
   */
  get revision(): number {
    return this.changes;
  }

  /**
   * Closes the open batch (padding it with no-ops) and builds it on the committed state (see
   * the header); returns its number, or null if none. Throws `BuilderDisagreementError`.
   */
  closeBatch(now: bigint): bigint | null {
    const open = this.open;
    if (open === null) return null;
    this.changes += 1;
    const number = this.nextBatch;
    const accepted = { number, context: open.context, pricesStale: open.pricesStale, txs: open.txs };
    const meta = {
      number,
      txCount: open.txs.length,
      priceRoundIds: open.rounds,
      settlementRoundIds: open.settlementRounds,
      openedAt: open.openedAt,
      closedAt: now,
    };
    const records = snapshotRecords(this.state, open.accounts, open.orders);
    if (this.remote !== null) {
      const request = encodeBuildRequest(accepted, records);
      this.remote.build(request);
      this.building.set(number, meta);
      this.requests.set(number, request);
    } else {
      const started = performance.now();
      const batch: Batch = buildBatch(this.committedState, accepted, records);
      this.builder.batches += 1;
      this.builder.ms += performance.now() - started;
      this.closed.push(new ClosedBatch(meta, { batch }));
      this.lastRoot = batch.newStateRoot;
    }
    this.open = null;
    this.nextBatch += 1n;
    return number;
  }

  /** The instrument table of `open` so far: the distinct instruments its trades and liquidations name. */
  private instrumentTable(open: OpenBatch): bigint[] {
    if (this.openTable?.batch !== open) this.openTable = { batch: open, entries: namedInstruments(open.txs) };
    return this.openTable.entries;
  }

  /**
   * The state root the open batch has reached: the committed state with the open batch's
   * transactions replayed on a copy. It hashes every path of the open batch: for tests and
   * tools, not for the command path.
   */
  currentStateRoot(): bigint {
    if (this.remote !== null) throw new Error("currentStateRoot: the batches are built in another process");
    const copy = this.committedState.clone();
    const txs = this.open?.txs ?? [];
    const instruments = { table: namedInstruments(txs) };
    for (const tx of txs) copy.applyTx(tx, this.open!.context, { instruments });
    return copy.stateRoot;
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
    this.changes += 1;
  }

  trade(fill: PlannedFill, now: bigint): FillLocation {
    const { batch, slot } = this.apply(
      { type: TxType.TRADE, maker: fill.maker, taker: fill.taker, size: fill.size, price: fill.price },
      now,
    );
    return { batch, slot };
  }

  dryRun(fills: readonly PlannedFill[], now: bigint): ProtocolError | null {
    const copy = this.state.scratch();
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

  authenticate(signed: SignedOrder): void {
    this.checkKey(signed.order.accountId, signed.publicKey);
  }

  /** The account exists and `key` is its trading key; throws UNKNOWN_ACCOUNT / KEY_MISMATCH. */
  checkKey(accountId: bigint, key: PublicKey): void {
    const account = this.requireAccount(accountId);
    if (pkHashCached(key) !== account.pkHash)
      throw new SequencerError("KEY_MISMATCH", `the public key is not account ${accountId}'s trading key`);
  }

  /** The record of a registered account; throws UNKNOWN_ACCOUNT (`requireRegistered`). */
  requireAccount(accountId: bigint): Account {
    return requireRegistered(accountId, this.profile.accountDepth, (id) => this.state.account(id));
  }
}
