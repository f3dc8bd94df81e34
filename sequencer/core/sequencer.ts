/**
 * The venue's deterministic core: commands in, outcomes and events out, every change written
 * to the journal before the caller may acknowledge it.
 *
 * `execute(command, now)` runs on the event loop without awaiting, so commands are totally
 * ordered; the journal records them in that order with their `now`. On start, `open()` replays
 * the journal through the same code and checks each outcome against its recorded digest.
 */
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../../protocol/constants.ts";
import { ProtocolError } from "../../protocol/errors.ts";
import { decodeInstrument, perpId } from "../../protocol/instruments.ts";
import { intrinsic } from "../../protocol/margin.ts";
import { CheckState } from "../../protocol/check.ts";
import { RollupState } from "../../protocol/state.ts";
import type { RollupStateSnapshot, SystemAccountKeys } from "../../protocol/state.ts";
import { InstrumentKind, Side, TxType } from "../../protocol/types.ts";
import type { Batch, BatchContext, Profile, SignedOrder, SolidityProof, Tx } from "../../protocol/types.ts";
import type { Command } from "./commands.ts";
import type { CancelledOrder, EngineSnapshot, Fill, FillLocation, PlaceResult } from "./engine/engine.ts";
import { MatchingEngine } from "./engine/engine.ts";
import type { LevelChange, RestingOrder } from "./engine/book.ts";
import type { Market } from "./engine/markets.ts";
import { SequencerError } from "../errors.ts";
import { DEFAULT_CHECKPOINT_POLICY } from "../journal/checkpoints.ts";
import type { CheckpointPolicy } from "../journal/checkpoints.ts";
import { DEFAULT_SYNC_POLL_US } from "../journal/sync-thread.ts";
import type { ProofStatus, Synchronous } from "../journal/journal.ts";
import { Journal } from "../journal/journal.ts";
import { batchHead, BuilderDisagreementError } from "../builder/builder.ts";
import type { BatchHead } from "../builder/builder.ts";
import {
  DEFAULT_BUILDER_NICE,
  DEFAULT_BUILDER_PREHASH,
  DEFAULT_BUILDER_VERIFIERS,
  RemoteBuilder,
} from "../builder/remote.ts";
import { ClosedBatch, ProtocolLedger } from "./ledger.ts";
import type { Applied, BatchMeta, LedgerSnapshot } from "./ledger.ts";
import type { BuildRequest } from "../builder/remote.ts";
import { toJson } from "../wire.ts";
import { placedDigest, placedDigestValue } from "./journal-text.ts";
import { clampFunding, impactPrice, midPremiumOf, PremiumAverage, premiumOf } from "./risk/funding.ts";
import type { PremiumAverageSnapshot } from "./risk/funding.ts";
import { checkStored, decodePart, DEFAULT_SNAPSHOT_POLICY, encodePart, SnapshotError } from "../journal/snapshot.ts";
import type { SnapshotPolicy } from "../journal/snapshot.ts";
import { fundAccountFor, fundAccounts, holdingFund, liquidateUnderwater, NO_RISK_ACTIONS } from "./risk/liquidator.ts";
import type { RiskActions } from "./risk/liquidator.ts";
import { assessHealth, backlogGate, DEFAULT_HEALTH_BOUNDS, effectiveBounds, gateError } from "./health.ts";
import type { Health, HealthBounds, L1Limits } from "./health.ts";

export interface VenueConfig {
  readonly profile: Profile;
  /** Signature domain of the deployment (docs/protocol.md §2). */
  readonly domain: bigint;
  readonly markets: readonly Market[];
  readonly system: { readonly feeAccount: SystemAccountKeys; readonly insurance: SystemAccountKeys };
  /** Oracle prices (cents, index u−1) until the first oracle command. */
  readonly initialPrices: readonly bigint[];
  /**
   * The rollup contract's limits (read from L1 before the journal is replayed, so that the
   * replay makes the same decisions); absent without L1: no price is ever stale.
   */
  readonly limits?: L1Limits;
  /** Backlog bounds of the health gate (default DEFAULT_HEALTH_BOUNDS when `limits` is given, else none). */
  readonly health?: HealthBounds;
  /**
   * The rollup's final batch count when the venue starts (read at the confirmation depth): a batch
   * the journal marks submitted beyond it was dropped by a reorg deeper than that depth, and is
   * kept pending to be sent again (issue 14 F15). Absent: the journal's statuses are trusted.
   */
  readonly l1Batches?: bigint;
}

export type Outcome =
  | { readonly kind: "place"; readonly result: PlaceResult }
  | { readonly kind: "cancel"; readonly cancelled: readonly CancelledOrder[] }
  | { readonly kind: "amend"; readonly order: RestingOrder }
  | { readonly kind: "scheduleCancel"; readonly accountId: bigint; readonly at: bigint | null }
  | { readonly kind: "mmp"; readonly accountId: bigint; readonly underlying: number }
  /** `fired`: the dead-man switch was due and is now disarmed (journaled even with no order). */
  | { readonly kind: "cancelScheduled"; readonly fired: boolean; readonly cancelled: readonly CancelledOrder[] }
  | { readonly kind: "replace"; readonly cancelled: CancelledOrder; readonly placed: PlaceResult }
  | { readonly kind: "deposit"; readonly at: FillLocation }
  | {
      readonly kind: "forcedWithdrawal";
      readonly at: FillLocation;
      readonly served: bigint;
      readonly withdrawal: WithdrawalRecord;
    }
  /** An L1 forced close or forced settlement (§6.10): `served` false when the account held no such position, or a short one in a live option (F17). */
  | {
      readonly kind: "forcedClose";
      readonly at: FillLocation;
      readonly served: boolean;
      /**
       * The insurance fund account the transaction names: account 1, unless the holder rule or a
       * full account 1 chose another.
       */
      readonly insurance: bigint;
    }
  | { readonly kind: "oracle"; readonly risk: RiskActions }
  | { readonly kind: "closeBatch"; readonly batch: bigint | null }
  | { readonly kind: "withdraw"; readonly withdrawal: WithdrawalRecord }
  | { readonly kind: "funding"; readonly updates: readonly FundingUpdate[]; readonly risk: RiskActions }
  | { readonly kind: "expire"; readonly instruments: readonly bigint[]; readonly cancelled: readonly CancelledOrder[] }
  | {
      readonly kind: "settle";
      readonly settled: readonly SettledPosition[];
      readonly cancelled: readonly CancelledOrder[];
    }
  | { readonly kind: "sweepFees"; readonly amount: bigint; readonly at: FillLocation | null };

/** One FUNDING transaction: the index of `underlying` moved by `delta` cents per unit. */
export interface FundingUpdate {
  readonly underlying: number;
  /** Signed cents per unit; positive: longs pay shorts. */
  readonly delta: bigint;
  /** The oracle price the delta was measured against, cents. */
  readonly price: bigint;
  /** The funding index after the update (cents per unit, signed). */
  readonly index: bigint;
  /** Batch time of the update, unix seconds. */
  readonly time: bigint;
  readonly batch: bigint;
  readonly slot: number;
}

/** An L2 withdrawal (signed) or an L1 forced withdrawal, where it landed and what it paid. */
export interface WithdrawalRecord {
  readonly kind: "withdrawal" | "forced";
  readonly accountId: bigint;
  /** Quote base units asked for. */
  readonly requested: bigint;
  /** Quote base units paid on L1 once the batch is verified (0: a refused forced withdrawal). */
  readonly served: bigint;
  /** The withdrawal message's order id (null for a forced withdrawal). */
  readonly orderId: bigint | null;
  readonly batch: bigint;
  readonly slot: number;
  /** Unix ms at which it was applied. */
  readonly time: bigint;
}

/** An L1 deposit as the venue applied it. */
export interface DepositRecord {
  readonly accountId: bigint;
  /** Quote base units. */
  readonly amount: bigint;
  /** Its place in the rollup's L1 priority queue (null: credited by the operator route, no L1). */
  readonly queueIndex: bigint | null;
  readonly batch: bigint;
  readonly slot: number;
  /** Unix ms at which it was applied. */
  readonly time: bigint;
}

/**
 * One position closed by an option settlement (§6.6): the venue's settlement record, journaled
 * with the settle command and listed by `GET /v1/account/settlements`.
 */
export interface SettledPosition {
  readonly accountId: bigint;
  readonly instrument: bigint;
  /** Signed size settled, 1e-4 contracts. */
  readonly size: bigint;
  /** The settlement price S of the series, cents. */
  readonly price: bigint;
  /** The feed round that gave S (0 when settled by the operator without L1). */
  readonly roundId: bigint;
  /** `size × intrinsic(S)`: what the position was worth at the settlement price, quote units. */
  readonly value: bigint;
  /** The position's accumulated cost (§6.1) just before settlement, quote units (signed). */
  readonly cost: bigint;
  /**
   * `value − cost`: what settling added to the account's collateral, quote units (before the
   * shortfall rule of §6.4.4, which only bites an account left with negative collateral).
   */
  readonly pnl: bigint;
  readonly batch: bigint;
  readonly slot: number;
  /** Unix ms at which the series settled. */
  readonly time: bigint;
}

/** A settled option series: its settlement price and the feed round that gave it. */
export interface SeriesSettlement {
  readonly underlying: number;
  readonly expiry: bigint;
  /** Cents. */
  readonly price: bigint;
  readonly roundId: bigint;
  /** Unix ms at which the series settled. */
  readonly time: bigint;
}

/** A closed batch as the batch explorer lists it (status and L1 transaction come from the journal). */
export interface BatchSummary {
  readonly number: bigint;
  readonly oldStateRoot: bigint;
  readonly newStateRoot: bigint;
  /** The batch context's timestamp, unix seconds. */
  readonly timestamp: bigint;
  /** Unix ms at which the batch opened and closed. */
  readonly openedAt: bigint;
  readonly closedAt: bigint;
  /** Real (non-padding) transactions. */
  readonly txCount: number;
  /** Transactions per type name (noop padding included). */
  readonly txTypes: Readonly<Record<string, number>>;
  /** The circuit's public inputs (docs/protocol.md §8), the proof's public signals. */
  readonly publicInputs: readonly bigint[];
}

/**
 * Where a transaction's batch is, as the API reports it for deposits and withdrawals
 * (docs/api.md): `pending` (open), `in_batch` (closed or being proved), `proven`, `verified`
 * (accepted on L1) or `failed` (proof or submission failed; the operator must act).
 */
export type BatchStage = "pending" | "in_batch" | "proven" | "verified" | "failed";

export function batchStage(pipeline: "open" | ProofStatus): BatchStage {
  switch (pipeline) {
    case "open":
      return "pending";
    case "closed":
    case "proving":
      return "in_batch";
    case "proved":
      return "proven";
    case "submitted":
      return "verified";
    case "failed":
      return "failed";
  }
}

export type VenueEvent =
  | {
      readonly type: "book";
      readonly instrument: bigint;
      readonly seq: bigint;
      readonly changes: readonly LevelChange[];
    }
  | { readonly type: "trade"; readonly fill: Fill }
  | {
      readonly type: "orders";
      readonly accountId: bigint;
      readonly placed: PlaceResult | null;
      readonly cancelled: readonly CancelledOrder[];
    }
  | { readonly type: "batch"; readonly closed: ClosedBatch }
  /**
   * A withdrawal was applied, or the batch holding it moved on in the pipeline (a change of its
   * `batchStage`): the record is unchanged, its status is read from the batch.
   */
  | { readonly type: "withdrawal"; readonly withdrawal: WithdrawalRecord }
  | { readonly type: "settlement"; readonly settlement: SettledPosition }
  /** The venue stopped taking commands (journal write failed or an internal error). */
  | { readonly type: "halted"; readonly error: Error }
  /** The health gate's mode or reasons changed (`Sequencer.checkHealth`). */
  | { readonly type: "health"; readonly health: Health };

export type VenueListener = (event: VenueEvent) => void;

/** How `Sequencer.open` runs its journal. */
export interface OpenOptions {
  /**
   * Group commit (sequencer/journal): commands executed in one event-loop turn share one journal
   * commit, at the end of the turn or when `maxGroup` commands wait. Replies must wait for
   * `durable()`, and events are held until the commit (the service does both).
   */
  readonly groupCommit?: boolean;
  /** Commands that wait for one commit at most (default 4096). */
  readonly maxGroup?: number;
  /**
   * When the journal's write-ahead log is checkpointed, off the core's thread
   * (sequencer/journal/checkpoints.ts; default `DEFAULT_CHECKPOINT_POLICY`).
   */
  readonly checkpoints?: Partial<CheckpointPolicy>;
  /**
   * How long the journal's sync thread polls for the next group's sync after one, µs
   * (sequencer/journal/sync-thread.ts; default `DEFAULT_SYNC_POLL_US`); null syncs through
   * libuv's thread pool.
   */
  readonly syncPollUs?: number | null;
  /**
   * Where closed batches are built (sequencer/builder): "inline", on the core's thread as each
   * batch closes (the default), or "process", in a builder process of their own while the core
   * goes on; a batch then reaches `unprovedBatches()` and the `batch` event once built.
   */
  readonly builder?: "inline" | "process";
  /**
   * With `builder: "process"`: signature verifiers (threads) of the builder process's own, which
   * verify the next batches' signatures while it hashes; 0 verifies every signature on the
   * builder's thread. Default `DEFAULT_BUILDER_VERIFIERS`: 1 on 2 or more cores, else 0.
   */
  readonly builderVerifiers?: number;
  /**
   * With `builder: "process"`: how much lower the builder process's scheduling priority is than
   * the venue's (default `DEFAULT_BUILDER_NICE`; 0: the same).
   */
  readonly builderNice?: number;
  /**
   * With `builder: "process"`: the builder hashes the next batch's order trees on a thread of
   * its own while it builds this one (sequencer/builder/prehash.ts; default
   * `DEFAULT_BUILDER_PREHASH`: where there is a second core).
   */
  readonly builderPrehash?: boolean;
  /**
   * Snapshots (sequencer/journal/snapshot.ts): when to take them (default
   * `DEFAULT_SNAPSHOT_POLICY`), or false to take none.
   */
  readonly snapshots?: Partial<SnapshotPolicy> | false;
  /**
   * Load the newest valid snapshot on open and replay only the journal after it (default true);
   * false replays the whole journal from genesis (the safety check, sequencer/tools/snapshot-check.ts).
   */
  readonly loadSnapshot?: boolean;
  /** Where snapshot events go (a snapshot skipped on open, one written, one that failed to write). */
  readonly log?: SnapshotLog;
}

/** Receives the snapshot events of a venue (the service passes its logger). */
export type SnapshotLog = (level: "info" | "warn", message: string, fields: Readonly<Record<string, unknown>>) => void;

/** How `Sequencer.open` started: from which snapshot, and which it skipped and why. */
export interface RestoreReport {
  /** The journal seq of the snapshot loaded (0: none, the journal was replayed from genesis). */
  readonly snapshotSeq: bigint;
  /** Journal commands replayed after it. */
  readonly replayed: number;
  readonly skipped: readonly { readonly seq: bigint; readonly reason: string }[];
}

/** What a stored built batch is kept with: its public inputs (`Journal.hasBuiltBatch`). */
function commitmentOf(c: ClosedBatch): string {
  return c.head.publicInputs.join(",");
}

/** A closed batch's built form as the journal stores it (`Journal.storeBuiltBatch`), decoded. */
interface StoredBatch {
  readonly number: bigint;
  readonly batch: Batch;
  readonly head: BatchHead;
  readonly encoded: Buffer;
}

/** Batch `number` from the journal's stored built batches, or null when it holds none. */
function storedBatch(journal: Journal, seq: bigint, number: bigint): StoredBatch | null {
  const encoded = journal.builtBatch(number);
  if (encoded === null) return null;
  const batch = decodePart<Batch>(seq, `batch ${number}`, encoded);
  return { number, encoded, batch, head: batchHead(batch) };
}

/** Bytes of snapshots the store may hold unwritten before the venue skips taking another. */
const SNAPSHOT_STORE_BUDGET = 256 * 1024 * 1024;

function missingBatch(seq: bigint, number: bigint): SnapshotError {
  return new SnapshotError(seq, `the snapshots file does not hold batch ${number}, which it names`);
}

/** The snapshot's outer core part: the core, and the batches building when it was taken. */
interface CoreSnapshotPart {
  readonly core: Uint8Array;
  /** Built since the core's part was taken (their built form is in the journal). */
  readonly built: readonly bigint[];
  /** Not in the builder's trees yet: built again on restore (the bytes the core sent the builder). */
  readonly requests: readonly BuildRequest[];
}

/**
 * The core's part of a snapshot (sequencer/journal/snapshot.ts), between two commands: every
 * field of `Sequencer` a replay rebuilds, with the ledger's and the engine's. What is not here is
 * not state: listeners, held events and waiters (none at a committed boundary), the builder
 * process, the halt flags (no snapshot is taken halted), and `proved`, which the restore reads
 * from the journal's batch statuses as a replay does.
 */
interface CoreSnapshot {
  readonly seq: bigint;
  /** The `now` of the last journaled command (where a replay's clock ends). */
  readonly lastNow: bigint;
  readonly nextQueueIndex: bigint;
  readonly ledger: LedgerSnapshot;
  readonly engine: EngineSnapshot;
  readonly recent: ReadonlyMap<bigint, readonly Fill[]>;
  readonly stats: ReadonlyMap<bigint, MarketStats>;
  /**
   * Closed batches not submitted at the snapshot, oldest first (filtered again on restore),
   * without their built form: the snapshots file stores that once per batch (`storeBuiltBatch`).
   */
  readonly pending: readonly BatchMeta[];
  readonly deposits: ReadonlyMap<bigint, readonly DepositRecord[]>;
  readonly withdrawals: ReadonlyMap<bigint, readonly WithdrawalRecord[]>;
  readonly withdrawalsByBatch: ReadonlyMap<bigint, readonly WithdrawalRecord[]>;
  readonly lastFunding: ReadonlyMap<number, FundingUpdate>;
  readonly premiums: ReadonlyMap<number, PremiumAverageSnapshot>;
  readonly expired: ReadonlySet<bigint>;
  readonly settledSeries: ReadonlyMap<string, SeriesSettlement>;
  readonly summaries: readonly BatchSummary[];
}

/** Thrown when a replayed command does not reproduce its journaled outcome. */
export class ReplayDivergenceError extends Error {
  readonly code = "REPLAY_DIVERGENCE";
}

/** The journaled digest of an outcome: enough to detect any divergence on replay. */
function digest(outcome: Outcome): string {
  switch (outcome.kind) {
    case "place":
      return placedDigest(outcome.result);
    case "replace":
      return toJson({ old: outcome.cancelled.order.orderId, new: placedDigestValue(outcome.placed) });
    case "cancel":
      return toJson(outcome.cancelled.map((c) => [c.order.accountId, c.order.orderId]));
    case "amend":
      return toJson([outcome.order.accountId, outcome.order.orderId, outcome.order.remaining]);
    case "scheduleCancel":
      return toJson([outcome.accountId, outcome.at]);
    case "mmp":
      return toJson([outcome.accountId, outcome.underlying]);
    case "cancelScheduled":
      return toJson([outcome.fired, outcome.cancelled.map((c) => [c.order.accountId, c.order.orderId])]);
    case "deposit":
      return toJson([outcome.at.batch, outcome.at.slot]);
    case "forcedWithdrawal":
      return toJson([outcome.at.batch, outcome.at.slot, outcome.served]);
    case "forcedClose":
      // The fund account only when not account 1: every forced close journaled before other fund
      // accounts were named took account 1, so their digests read as before, and a replay that
      // names another account than the live venue did diverges loudly.
      return toJson(
        outcome.insurance === INSURANCE_ACCOUNT
          ? [outcome.at.batch, outcome.at.slot, outcome.served]
          : [outcome.at.batch, outcome.at.slot, outcome.served, outcome.insurance],
      );
    case "oracle":
      return toJson(risk(outcome.risk));
    case "closeBatch":
      return toJson(outcome.batch);
    case "withdraw":
      return toJson([outcome.withdrawal.batch, outcome.withdrawal.slot]);
    case "funding":
      return toJson({ u: outcome.updates.map((u) => [u.underlying, u.delta, u.batch, u.slot]), r: risk(outcome.risk) });
    case "expire":
      return toJson({ i: outcome.instruments, c: outcome.cancelled.map((c) => [c.order.accountId, c.order.orderId]) });
    case "settle":
      return toJson(outcome.settled.map((p) => [p.accountId, p.instrument, p.size, p.batch, p.slot]));
    case "sweepFees":
      return toJson([outcome.amount, outcome.at?.batch ?? null, outcome.at?.slot ?? null]);
  }
}

/**
 * What a command's journaled outcome told the traders, from its digest (`digest`), without the
 * numbers a rebuild gives afresh (trade ids, batches, slots): a rebuild reports the kept commands
 * whose projection changed (`Sequencer.rebuild`). A fill is its size, price and maker; a
 * deposit, a withdrawal or a closed batch has nothing more to tell than that it was kept.
 */
function tradersView(kind: Command["kind"], text: string): string {
  type Row = readonly unknown[];
  const placed = (v: { s: unknown; f: Row[]; c: unknown; r: unknown; e: unknown }) => ({
    s: v.s,
    f: v.f.map((f) => f.slice(1, 5)),
    c: v.c,
    r: v.r,
    e: v.e,
  });
  const riskView = (r: { f: Row[]; c: unknown; s: unknown }) => ({ f: r.f.map((f) => f.slice(1, 5)), c: r.c, s: r.s });
  const v: unknown = JSON.parse(text);
  switch (kind) {
    case "place":
      return JSON.stringify(placed(v as Parameters<typeof placed>[0]));
    case "replace": {
      const r = v as { old: unknown; new: Parameters<typeof placed>[0] };
      return JSON.stringify({ old: r.old, new: placed(r.new) });
    }
    case "oracle":
      return JSON.stringify(riskView(v as Parameters<typeof riskView>[0]));
    case "funding": {
      const f = v as { u: Row[]; r: Parameters<typeof riskView>[0] };
      return JSON.stringify({ u: f.u.map((u) => u.slice(0, 2)), r: riskView(f.r) });
    }
    case "settle":
      return JSON.stringify((v as Row[]).map((p) => p.slice(0, 3)));
    case "sweepFees":
      return JSON.stringify((v as Row)[0]);
    case "forcedWithdrawal":
      return JSON.stringify((v as Row)[2]);
    case "forcedClose":
      // Served or not, and the fund account when not account 1.
      return JSON.stringify((v as Row).slice(2));
    case "deposit":
    case "withdraw":
    case "closeBatch":
      return "";
    default:
      return text;
  }
}

function risk(r: RiskActions) {
  return {
    f: r.fills.map((f) => [f.tradeId, f.takerAccount, f.instrument, f.size, f.price, f.batch, f.slot]),
    c: r.cancelled.map((c) => [c.order.accountId, c.order.orderId]),
    s: r.skipped.map((k) => [k.accountId, k.instrument, k.code]),
  };
}

/** Settlement records an outcome made. */
function settlementsOf(outcome: Outcome): readonly SettledPosition[] {
  return outcome.kind === "settle" ? outcome.settled : [];
}

function fillsOf(outcome: Outcome): readonly Fill[] {
  if (outcome.kind === "place") return outcome.result.fills;
  if (outcome.kind === "replace") return outcome.placed.fills;
  if (outcome.kind === "oracle" || outcome.kind === "funding") return outcome.risk.fills;
  return [];
}

/** Resting orders an outcome cancelled. */
function cancelledOf(outcome: Outcome): readonly CancelledOrder[] {
  switch (outcome.kind) {
    case "cancel":
    case "cancelScheduled":
      return outcome.cancelled;
    case "place":
      return outcome.result.cancelled;
    case "replace":
      return [outcome.cancelled, ...outcome.placed.cancelled];
    case "oracle":
    case "funding":
      return outcome.risk.cancelled;
    case "expire":
    case "settle":
      return outcome.cancelled;
    default:
      return [];
  }
}

function samePrices(a: readonly bigint[], b: readonly bigint[]): boolean {
  return a.length === b.length && a.every((p, i) => p === b[i]);
}

/** Whether an outcome changed anything (a rejection that purged no maker changed nothing). */
function changed(outcome: Outcome): boolean {
  if (outcome.kind === "place") return outcome.result.rejection === null || outcome.result.cancelled.length > 0;
  if (outcome.kind === "cancel") return outcome.cancelled.length > 0;
  if (outcome.kind === "cancelScheduled") return outcome.fired;
  if (outcome.kind === "closeBatch") return outcome.batch !== null;
  if (outcome.kind === "funding") return outcome.updates.length > 0;
  if (outcome.kind === "expire") return outcome.instruments.length > 0;
  if (outcome.kind === "sweepFees") return outcome.amount > 0n;
  return true;
}

/** Trades kept per market for `recentTrades` (and the market-data process). */
export const RECENT_TRADES = 200;
/**
 * The journal meta key holding the first seq sampled with the impact-price funding premium
 * (risk/funding.ts). A journal created by this release records 1; one written before records the
 * seq after its last command when first opened, so that its older commands replay as executed.
 */
export const FUNDING_IMPACT_FROM = "fundingImpactFrom";
/**
 * The journal meta key holding the first seq executed under finding F1's rule: a transaction that
 * needs the next batch (sequencer/core/ledger.ts `apply`) closes the open one only once it passes,
 * so a refused command never closes a batch. A journal created by this release records 1; one
 * written before records the seq after its last command when first opened, so that its older
 * commands replay as executed (the open batch closed before the transaction was checked). A
 * rebuild (`Sequencer.rebuild`) numbers its batches afresh and records 1.
 */
export const ACCEPTED_CLOSE_FROM = "acceptedCloseFrom";
/**
 * The journal meta key holding the first seq executed under the maker-expiry rule: a resting order
 * whose signed expiry is before the command's time is cancelled when a taker reaches it
 * (`maker_rejected`, `ORDER_EXPIRED`), never filled (sequencer/core/engine/engine.ts
 * `makersExpireAtVenueTime`). A journal created by this release records 1; one written before
 * records the seq after its last command when first opened, so that its older commands (which
 * could fill such a maker within the batch it opened before its expiry) replay as executed.
 */
export const MAKER_EXPIRY_FROM = "makerExpiryFrom";
/**
 * The journal meta key holding the first seq executed under the fund-holder rule for forced
 * closes: the position goes to the insurance fund account that already holds the instrument, if
 * one does, before account 1 takes it into a free slot (as liquidations always have: risk/
 * liquidator.ts `fundAccountFor`). Without it a forced close could spend a fund slot on an
 * instrument the fund already held, and the capacity bound (risk/fund-capacity.ts) would not
 * hold. A journal created by this release records 1; one written before records the seq after its
 * last command when first opened, so that its older forced closes replay as executed (account 1
 * whenever it could take the position).
 */
export const FORCED_CLOSE_HOLDER_FROM = "forcedCloseHolderFrom";
const MS_PER_SECOND = 1000n;

export interface MarketStats {
  lastPrice: bigint | null;
  /** Cumulative traded size since genesis, 1e-4 units. */
  volume: bigint;
  trades: bigint;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/** A committed group waiting for its fsync: what to tell, and whom to wake, once it is durable. */
interface SyncGroup {
  readonly events: VenueEvent[];
  readonly waiters: Waiter[];
}

export class Sequencer {
  readonly engine: MatchingEngine;
  readonly ledger: ProtocolLedger;
  private readonly listeners = new Set<VenueListener>();
  /** Group commit: events about commands not yet committed, emitted at the commit. */
  private held: VenueEvent[] = [];
  /** Group commit: callers of `durable()` waiting for the next commit. */
  private waiting: Waiter[] = [];
  private commitScheduled = false;
  /**
   * Group commit with the fsync apart (`Journal.syncsApart`): committed groups whose events and
   * waiters wait for a `sync()` of the journal, oldest first, and whether one is running.
   */
  private unsynced: SyncGroup[] = [];
  private syncing = false;
  /**
   * A turn's commit was put off because a sync was running (`syncsApart`): the open group
   * takes the commands that come meanwhile and is committed when that sync ends.
   */
  private commitDeferred = false;
  /** A journal commit or sync failed: what `durable()` answers from then on. */
  private journalFailed: SequencerError | null = null;
  private remote: RemoteBuilder | null = null;
  private readonly builtWaiters: (() => void)[] = [];
  private maxGroup = 4096;
  private readonly recent = new Map<bigint, Fill[]>();
  private readonly stats = new Map<bigint, MarketStats>();
  /** Closed batches not yet submitted to L1, by number, and which of them are proved. */
  private readonly pending = new Map<bigint, ClosedBatch>();
  private readonly proved = new Set<bigint>();
  /** Built batches a replay closed, stored once it has read the journal (no write while it reads). */
  private unstored: ClosedBatch[] = [];
  private replaying = false;
  /** Set while `rebuild` executes an old journal's commands: the health gate is not applied. */
  private rebuilding = false;
  private halted: Error | null = null;
  /** A closed batch the circuit refuses (pipeline/witness.ts): the venue stops for good. */
  private refused: { readonly batch: bigint; readonly reason: string } | null = null;
  /** A batch whose proof or L1 submission failed for good: HALTED until a restart. */
  private failed: { readonly batch: bigint; readonly reason: string } | null = null;
  /** The last health pushed (mode and reasons), to push only changes. */
  private lastHealthKey = "";
  private nextQueueIndex = 0n;
  /** Deposits per account, oldest first. */
  private readonly deposits = new Map<bigint, DepositRecord[]>();
  /** Withdrawals and forced withdrawals per account, oldest first. */
  private readonly withdrawals = new Map<bigint, WithdrawalRecord[]>();
  /** The same records by batch, to push a withdrawal's status when its batch moves on. */
  private readonly withdrawalsByBatch = new Map<bigint, WithdrawalRecord[]>();
  /** The last funding update per underlying. */
  private readonly lastFunding = new Map<number, FundingUpdate>();
  /** Time-weighted premium of each underlying's perp book over the current funding interval. */
  private readonly premiums = new Map<number, PremiumAverage>();
  /** Each underlying's perp instrument id (`perpId(u)` at index u − 1): sampled after every command. */
  private readonly perps: readonly bigint[];
  /**
   * The first journal seq whose premium sample uses the impact prices (risk/funding.ts); commands
   * before it were executed under the mid rule and replay under it (`FUNDING_IMPACT_FROM`).
   */
  private impactPremiumFrom: bigint;
  /** The first journal seq executed under finding F1's batch-closing rule (`ACCEPTED_CLOSE_FROM`). */
  private readonly acceptedCloseFrom: bigint;
  /** The first journal seq executed under the maker-expiry rule (`MAKER_EXPIRY_FROM`). */
  private makerExpiryFrom: bigint;
  /** The first journal seq executed under the fund-holder rule for forced closes (`FORCED_CLOSE_HOLDER_FROM`). */
  private forcedCloseHolderFrom: bigint;
  /** Whether the command running now is under the fund-holder rule (set per command, as the others). */
  private forcedCloseToHolder = true;
  /** Options whose expiry passed (trading stopped), and settled series by `underlying:expiry`. */
  private readonly expired = new Set<bigint>();
  private readonly settledSeries = new Map<string, SeriesSettlement>();
  /** Every closed batch, by number order (the explorer's list). */
  private readonly summaries: BatchSummary[] = [];
  /** The `now` of the last command applied (unix ms); commands never go back in time. */
  private lastNow = 0n;
  /**
   * The `now` of the last journaled command: what a replay ends at (`lastNow` also moves for
   * rejected commands, which the journal does not hold), so the time a snapshot stores.
   */
  private journaledNow = 0n;
  /** When to take snapshots (null: never), and the seq and batch of the last one. */
  private snapshotPolicy: SnapshotPolicy | null = null;
  private snapshotSeq = 0n;
  private snapshotBatch = 0n;
  /** A snapshot waiting for the builder process's state. */
  private snapshotPending: Promise<bigint | null> | null = null;
  private log: SnapshotLog = () => {};
  private closedDown = false;
  private snapshotting = false;
  /** Set while `execute` runs a command: no snapshot until it is published. */
  private executing = false;
  private restoreReport: RestoreReport = { snapshotSeq: 0n, replayed: 0, skipped: [] };

  private constructor(
    readonly config: VenueConfig,
    readonly journal: Journal,
    restored: { readonly state: CheckState; readonly committed: RollupState } | null = null,
  ) {
    this.ledger = new ProtocolLedger(
      restored?.state ?? CheckState.genesis(config.profile, config.system),
      restored?.committed ?? RollupState.genesis(config.profile, config.system),
      config.domain,
      config.initialPrices,
      config.limits?.maxOracleAge ?? null,
    );
    this.engine = new MatchingEngine(this.ledger, config.markets);
    this.perps = Array.from({ length: config.profile.underlyings }, (_, i) => perpId(i + 1));
    for (const m of config.markets) this.stats.set(m.instrument, { lastPrice: null, volume: 0n, trades: 0n });
    this.impactPremiumFrom = BigInt(journal.metaOnce(FUNDING_IMPACT_FROM, (length) => String(length + 1n)));
    this.acceptedCloseFrom = BigInt(journal.metaOnce(ACCEPTED_CLOSE_FROM, (length) => String(length + 1n)));
    this.makerExpiryFrom = BigInt(journal.metaOnce(MAKER_EXPIRY_FROM, (length) => String(length + 1n)));
    this.forcedCloseHolderFrom = BigInt(journal.metaOnce(FORCED_CLOSE_HOLDER_FROM, (length) => String(length + 1n)));
  }

  /**
   * Opens the venue on a journal file, replaying it. Call `initCrypto()` (protocol/) first.
   * Throws `JournalMismatchError` if the file belongs to another configuration and
   * `ReplayDivergenceError` if the replay does not reproduce a journaled outcome.
   */
  static open(
    config: VenueConfig,
    file: string,
    synchronous: Synchronous = "FULL",
    extraMeta: Readonly<Record<string, string>> = {},
    options: OpenOptions = {},
  ): Sequencer {
    const groupCommit = options.groupCommit ?? false;
    const journal = Journal.open(
      file,
      {
        ...extraMeta,
        profile: config.profile.name,
        domain: config.domain.toString(),
        genesis: toJson(config.system),
        markets: toJson(config.markets.map((m) => [m.instrument, m.tickSize, m.lotSize, m.minSize])),
        initialPrices: toJson(config.initialPrices),
      },
      synchronous,
      groupCommit,
      { ...DEFAULT_CHECKPOINT_POLICY, ...options.checkpoints },
      options.syncPollUs === undefined ? DEFAULT_SYNC_POLL_US : options.syncPollUs,
    );
    const log = options.log ?? (() => {});
    const loaded = options.loadSnapshot === false ? null : Sequencer.fromSnapshots(config, journal, options, log);
    const restored = loaded?.found ?? null;
    const venue = restored?.venue ?? new Sequencer(config, journal);
    venue.log = log;
    if (options.snapshots !== false) venue.snapshotPolicy = { ...DEFAULT_SNAPSHOT_POLICY, ...options.snapshots };
    if (options.maxGroup !== undefined) venue.maxGroup = options.maxGroup;
    if (options.builder === "process")
      venue.startRemoteBuilder(
        restored?.builder ?? null,
        options.builderVerifiers ?? DEFAULT_BUILDER_VERIFIERS,
        options.builderNice ?? DEFAULT_BUILDER_NICE,
        options.builderPrehash ?? DEFAULT_BUILDER_PREHASH,
      );
    const after = restored?.seq ?? 0n;
    venue.snapshotSeq = after;
    venue.snapshotBatch = venue.ledger.currentBatch - 1n;
    const replayed = venue.replay(after);
    venue.restoreReport = { snapshotSeq: after, replayed, skipped: loaded?.skipped ?? [] };
    // Batches the journal marks submitted that L1 no longer holds (F15): sent again.
    for (const b of venue.provedBatches())
      if (journal.batchStatus(b.number) === "submitted")
        venue.setBatchStatus(
          b.number,
          "proved",
          `not on L1 at restart (L1 holds ${config.l1Batches} batches): sending again`,
        );
    return venue;
  }

  /**
   * Rebuilds a journal without some of its commands (issue 14 F15, docs/deployment.md §3.4): the
   * commands of `from` (replayed and checked first) are executed again, in order and at their own
   * `now`, into a new venue on `to`, except those `drop` names — L1 operations a reorg deeper than
   * the confirmation depth took away (drop every one from the first lost queue index on: the
   * watcher reads the survivors from L1 again). A later command that no longer passes the rules
   * (an order of the dropped depositor, a fill that needed its collateral) is left out and
   * reported; every other acknowledged order is kept, and those whose outcome as the traders were
   * told it changed (a taker that filled against a dropped order now meets the next one, or
   * nothing) are reported in `changed` with the old and new digests: the operator tells them.
   * Batches are numbered afresh and proved again; the submitter finds those L1 already holds by
   * their roots. The health gate is not applied while rebuilding.
   */
  static rebuild(
    config: VenueConfig,
    from: string,
    to: string,
    drop: (command: Command) => boolean,
    extraMeta: Readonly<Record<string, string>> = {},
  ): {
    venue: Sequencer;
    kept: number;
    dropped: { seq: bigint; kind: string; reason: string }[];
    changed: { seq: bigint; kind: string; was: string; now: string }[];
  } {
    // The old journal is read, never written (no snapshot taken into it).
    const old = Sequencer.open(config, from, "FULL", extraMeta, { snapshots: false });
    const journal = Journal.open(
      to,
      {
        ...extraMeta,
        profile: config.profile.name,
        domain: config.domain.toString(),
        genesis: toJson(config.system),
        markets: toJson(config.markets.map((m) => [m.instrument, m.tickSize, m.lotSize, m.minSize])),
        initialPrices: toJson(config.initialPrices),
      },
      "FULL",
    );
    // Its batches are numbered afresh, so every command runs under finding F1's rule (the new
    // journal records ACCEPTED_CLOSE_FROM 1): none closes a batch unless it is kept.
    const venue = new Sequencer(config, journal);
    const dropped: { seq: bigint; kind: string; reason: string }[] = [];
    const changed: { seq: bigint; kind: string; was: string; now: string }[] = [];
    let kept = 0;
    venue.rebuilding = true;
    // The old journal's rule changes carry over: its commands before the funding rule change
    // replay under the mid rule, and those before the maker-expiry rule keep the fills they made
    // (acknowledged to both traders). Each new cut-over comes where the old one's does, at the new
    // journal's own seq; one the old journal had from its start (1) is the default already.
    const cutovers = [
      { key: FUNDING_IMPACT_FROM, from: old.impactPremiumFrom, set: (seq: bigint) => (venue.impactPremiumFrom = seq) },
      { key: MAKER_EXPIRY_FROM, from: old.makerExpiryFrom, set: (seq: bigint) => (venue.makerExpiryFrom = seq) },
      {
        key: FORCED_CLOSE_HOLDER_FROM,
        from: old.forcedCloseHolderFrom,
        set: (seq: bigint) => (venue.forcedCloseHolderFrom = seq),
      },
    ];
    const moveCutover = (c: (typeof cutovers)[number], seq: bigint): void => {
      c.set(seq);
      venue.journal.setMeta(c.key, String(seq));
    };
    // Recorded at once: a rebuild cut short leaves a journal that still says how it was written.
    for (const c of cutovers) if (c.from > 1n) moveCutover(c, BigInt(Number.MAX_SAFE_INTEGER));
    try {
      for (const entry of old.journal.entries()) {
        for (const c of cutovers) if (entry.seq === c.from) moveCutover(c, venue.journal.length + 1n);
        if (drop(entry.command)) {
          dropped.push({ seq: entry.seq, kind: entry.command.kind, reason: "dropped by the rebuild (not on L1)" });
          continue;
        }
        try {
          const outcome = venue.execute(entry.command, entry.now);
          kept += 1;
          // Kept, but did it tell the traders the same? (A fill against a dropped depositor's
          // order now meets the next one, or nothing.)
          const now = digest(outcome);
          if (tradersView(entry.command.kind, now) !== tradersView(entry.command.kind, entry.outcome))
            changed.push({ seq: entry.seq, kind: entry.command.kind, was: entry.outcome, now });
        } catch (e) {
          if (!(e instanceof SequencerError || e instanceof ProtocolError)) throw e;
          dropped.push({ seq: entry.seq, kind: entry.command.kind, reason: `${e.code}: ${e.message}` });
        }
      }
      for (const c of cutovers) if (c.from > old.journal.length) moveCutover(c, venue.journal.length + 1n);
    } finally {
      venue.rebuilding = false;
      old.close();
    }
    return { venue, kept, dropped, changed };
  }

  /**
   * The venue at the newest stored snapshot that checks out (hash, version, place in the journal,
   * contents, and one L1 still holds every batch of: see `restoreSnapshot`), with the builder
   * state to start a builder process from; `found` null when none does (replay from genesis).
   * Each snapshot skipped is logged and returned with its reason.
   */
  private static fromSnapshots(
    config: VenueConfig,
    journal: Journal,
    options: OpenOptions,
    log: SnapshotLog,
  ): {
    found: { venue: Sequencer; seq: bigint; builder: { state: Buffer; root: bigint } } | null;
    skipped: { seq: bigint; reason: string }[];
  } {
    const skipped: { seq: bigint; reason: string }[] = [];
    for (const seq of journal.snapshots.seqs()) {
      try {
        const stored = journal.snapshots.read(seq);
        if (stored === null) throw new SnapshotError(seq, "deleted while opening");
        checkStored(stored, journal);
        const outer = decodePart<CoreSnapshotPart>(seq, "core", stored.core);
        const core = decodePart<CoreSnapshot>(seq, "core", Buffer.from(outer.core));
        if (core.seq !== seq) throw new SnapshotError(seq, `its core part is at seq ${core.seq}`);
        // Each batch building at the snapshot: built since (its built form), or still not in the
        // builder's trees (its build request, built again on restore).
        const building = core.ledger.building.map((b) => b.number).join(",");
        const covered = [...outer.built, ...outer.requests.map((r) => r.number)];
        if (covered.join(",") !== building)
          throw new SnapshotError(seq, `it lacks the built form or build request of batches ${building}`);
        // The builder's trees are after the last batch built: the last of those, if any.
        const built: StoredBatch[] = [];
        for (const n of outer.built) {
          const b = storedBatch(journal, seq, n);
          if (b === null) throw missingBatch(seq, n);
          built.push(b);
        }
        const root = built.at(-1)?.batch.newStateRoot ?? core.ledger.lastRoot;
        const inline = options.builder !== "process";
        let committed = RollupState.genesis(config.profile, config.system);
        if (inline) {
          committed = RollupState.fromSnapshot(
            config.profile,
            decodePart<RollupStateSnapshot>(seq, "builder", stored.builder),
          );
          if (committed.stateRoot !== root)
            throw new SnapshotError(
              seq,
              `its builder trees reach root ${committed.stateRoot}, its core expects ${root}`,
            );
        }
        const venue = new Sequencer(config, journal, {
          state: CheckState.fromSnapshot(config.profile, core.ledger.state),
          committed,
        });
        venue.restoreSnapshot(seq, core, built, outer.requests, inline);
        log("info", "venue restored from a snapshot", { seq: seq.toString(), batch: stored.batch.toString() });
        return { found: { venue, seq, builder: { state: stored.builder, root } }, skipped };
      } catch (e) {
        const reason = e instanceof SnapshotError ? e.message : `snapshot at journal seq ${seq}: ${String(e)}`;
        skipped.push({ seq, reason });
        log("warn", "snapshot skipped", { seq: seq.toString(), reason });
      }
    }
    return { found: null, skipped };
  }

  /** The venue's own state beside the ledger, as a snapshot and `inspectState` hold it. */
  private venueState() {
    const premiums = new Map<number, PremiumAverageSnapshot>();
    for (const [u, p] of this.premiums) premiums.set(u, p.toSnapshot());
    return {
      nextQueueIndex: this.nextQueueIndex,
      engine: this.engine.toSnapshot(),
      recent: this.recent,
      stats: this.stats,
      deposits: this.deposits,
      withdrawals: this.withdrawals,
      withdrawalsByBatch: this.withdrawalsByBatch,
      lastFunding: this.lastFunding,
      premiums,
      expired: this.expired,
      settledSeries: this.settledSeries,
      summaries: this.summaries,
    };
  }

  /** The core's part of a snapshot, between two committed commands (see `CoreSnapshot`). */
  private toSnapshot(): CoreSnapshot {
    return {
      seq: this.journal.length,
      lastNow: this.journaledNow,
      ledger: this.ledger.toSnapshot(),
      ...this.venueState(),
      // Their place in the pipeline: the built forms are in the snapshots file (`built_batches`).
      pending: [...this.pending.values()].map((c) => c.meta()),
    };
  }

  /**
   * The closed batch a snapshot names, with its built form from the journal; null when the batch
   * was submitted since (the journal dropped it, and `track` would not keep it).
   */
  private loadBatch(seq: bigint, meta: BatchMeta): ClosedBatch | null {
    const stored = storedBatch(this.journal, seq, meta.number);
    if (stored !== null) {
      const c = new ClosedBatch(meta, stored);
      // Read from the file, so held there (with its commitment: one moved from an older journal
      // has none recorded and stays in memory): kept in memory only while decoded and in use.
      const commitment = commitmentOf(c);
      if (this.journal.holdsBuiltBatch(c.number, commitment)) this.releaseBuilt(c, commitment);
      return c;
    }
    const l1 = this.config.l1Batches;
    const dropped = l1 !== undefined && meta.number > l1;
    if (this.journal.batchStatus(meta.number) === "submitted" && !dropped) return null;
    throw missingBatch(seq, meta.number);
  }

  /**
   * Takes a deserialized `CoreSnapshot` into this fresh venue (made on its restored states), with
   * what the snapshot stored for the batches that were building when it was taken: the built
   * form of those built before the builder's trees were taken, the build requests of the rest
   * (built again: here when `inline`, else by the builder process once it starts).
   * Closed batches are sorted into the pipeline against the journal's statuses now, as a replay
   * does; a snapshot missing a batch that L1 no longer holds (a reorg deeper than the
   * confirmation depth dropped a batch submitted before it) cannot resend it and is refused.
   */
  private restoreSnapshot(
    seq: bigint,
    s: CoreSnapshot,
    built: readonly StoredBatch[],
    requests: readonly BuildRequest[],
    inline: boolean,
  ): void {
    const lastBatch = s.ledger.nextBatch - 1n;
    const l1 = this.config.l1Batches;
    if (l1 !== undefined && l1 < lastBatch) {
      const kept = new Set([...s.pending, ...built].map((b) => b.number));
      for (const r of requests) kept.add(r.number);
      for (let n = l1 + 1n; n <= lastBatch; n++)
        if (!kept.has(n))
          throw new SnapshotError(
            seq,
            `L1 holds ${l1} batches and batch ${n}, submitted before it, must be sent again`,
          );
    }
    this.ledger.restore(s.ledger);
    this.engine.restore(s.engine);
    this.lastNow = s.lastNow;
    this.journaledNow = s.lastNow;
    this.nextQueueIndex = s.nextQueueIndex;
    const refill = <K, V>(into: Map<K, V>, from: ReadonlyMap<K, V>) => {
      into.clear();
      for (const [k, v] of from) into.set(k, v);
    };
    refill(this.recent, s.recent as Map<bigint, Fill[]>);
    refill(this.stats, s.stats);
    refill(this.deposits, s.deposits as Map<bigint, DepositRecord[]>);
    refill(this.withdrawals, s.withdrawals as Map<bigint, WithdrawalRecord[]>);
    refill(this.withdrawalsByBatch, s.withdrawalsByBatch as Map<bigint, WithdrawalRecord[]>);
    refill(this.lastFunding, s.lastFunding);
    this.premiums.clear();
    for (const [u, p] of s.premiums) this.premiums.set(u, PremiumAverage.fromSnapshot(p));
    this.expired.clear();
    for (const i of s.expired) this.expired.add(i);
    refill(this.settledSeries, s.settledSeries);
    this.summaries.splice(0, this.summaries.length, ...s.summaries);
    for (const meta of s.pending) {
      const c = this.loadBatch(seq, meta);
      if (c !== null) this.track(c);
    }
    // Batches the builder process built after the core's part was taken, as they came back then;
    // then those its trees did not include yet, built again.
    for (const b of built) this.ledger.built(b.number, b, 0);
    this.ledger.resumeBuilding(requests, inline);
    this.absorbClosed();
  }

  /**
   * Everything a replay rebuilds, as plain data: for comparing a venue restored from a snapshot
   * with a full replay (sequencer/tools/snapshot-check.ts, tests). Hashes nothing, but copies
   * the builder's trees: not for the command path.
   */
  inspectState(): Record<string, unknown> {
    return {
      seq: this.journal.length,
      lastNow: this.lastNow,
      ledger: this.ledger.inspect(),
      committed: this.remote === null ? this.ledger.committedState.toSnapshot() : null,
      committedRoot: this.ledger.committedRoot,
      ...this.venueState(),
      // Decoded here only: a snapshot never reads a pending batch's witnesses.
      pending: [...this.pending.values()].map((c) => c.plain()),
      // Derived, not in snapshots: a restored venue's rebuilt totals against the replayed ones.
      openTotals: this.engine.inspectOpenTotals(),
      proved: [...this.proved].sort((a, b) => (a < b ? -1 : 1)),
      halt: this.halt,
    };
  }

  /** How this venue was opened: the snapshot loaded, the commands replayed after it, those skipped. */
  get restored(): RestoreReport {
    return this.restoreReport;
  }

  /**
   * Takes a snapshot when the policy says one is due (called after each commit and each built
   * batch, so always between two committed commands).
   */
  private maybeSnapshot(): void {
    const p = this.snapshotPolicy;
    if (p === null || this.snapshotting || this.executing || this.snapshotPending !== null) return;
    const seq = this.journal.length;
    const batches = this.ledger.currentBatch - 1n;
    if (seq === this.snapshotSeq) return;
    if (seq - this.snapshotSeq < BigInt(p.everyEntries) && batches - this.snapshotBatch < BigInt(p.everyBatches))
      return;
    void this.snapshot();
  }

  /**
   * Takes a snapshot now (commits the open group first: a snapshot covers only committed
   * commands). The core's part is serialized at once; with the builder in its own process, the
   * builder's trees are asked for, and it answers with them as they stand, between two builds,
   * without first building its backlog. The snapshot is handed to the store when they come back,
   * with what a restore needs for each batch that was building when the core's part was taken:
   * the built form of those built since (they came back before the trees), the build request of
   * the rest (the bytes the builder was sent, stored as they are). So a builder that lags delays a
   * snapshot by one round trip, not by its backlog. The store hashes and writes it off this
   * thread (sequencer/journal/snapshot-store.ts). Resolves to its seq once stored, or to null
   * when halted, replaying, when the store still holds `SNAPSHOT_STORE_BUDGET` bytes of
   * earlier ones, or when writing it failed (logged; the venue goes on, the journal is unaffected).
   */
  snapshot(): Promise<bigint | null> {
    if (this.snapshotPending !== null) return this.snapshotPending;
    if (this.snapshotting || this.executing || this.replaying || this.rebuilding || this.halt !== null)
      return Promise.resolve(null);
    // A store that has not kept up (a slow disk): no new snapshot while it holds this much not
    // yet written; the policy asks again after the next command.
    if (this.journal.snapshots.queuedBytes >= SNAPSHOT_STORE_BUDGET) return Promise.resolve(null);
    this.snapshotting = true;
    try {
      // The open group first: a snapshot covers only committed commands.
      if (this.journal.uncommitted > 0 || this.held.length > 0) this.commit();
    } finally {
      this.snapshotting = false;
    }
    if (this.journal.uncommitted > 0 || !this.ledger.atBoundary || this.halt !== null) return Promise.resolve(null);
    const seq = this.journal.length;
    const batch = this.ledger.currentBatch - 1n;
    const building = this.ledger.unbuilt().map((b) => b.number);
    // The closed batches its core part names (`toSnapshot`'s `pending`).
    const named = [...this.pending.keys()];
    const started = performance.now();
    let core: Buffer;
    try {
      core = encodePart(this.toSnapshot());
    } catch (e) {
      this.log("warn", "snapshot not taken", { seq: seq.toString(), reason: String(e) });
      return Promise.resolve(null);
    }
    this.snapshotSeq = seq;
    this.snapshotBatch = batch;
    const coreMs = performance.now() - started;
    const store = (
      builder: Buffer,
      built: readonly bigint[],
      requests: readonly BuildRequest[],
    ): Promise<bigint | null> => {
      const handing = performance.now();
      // Counted before the hand-over, which may move the builder part's memory to the writer.
      const bytes = core.length + builder.length;
      let stored: Promise<number>;
      try {
        const part = encodePart({ core, built, requests } satisfies CoreSnapshotPart);
        // The batches a restore will read: those it names still in the pipeline (a batch
        // submitted since was dropped, and a restore does not look for it), and those built since.
        const batches = [...named.filter((n) => this.pending.has(n)), ...built];
        stored = this.journal.snapshots.write(
          { seq, batch, core: part, builder, batches },
          this.snapshotPolicy?.keep ?? DEFAULT_SNAPSHOT_POLICY.keep,
        );
      } catch (e) {
        this.log("warn", "snapshot not written", { seq: seq.toString(), reason: String(e) });
        return Promise.resolve(null);
      }
      // The core's pause: serializing its part, then handing the bytes over (the builder's wait
      // and the store's writing are not one).
      const pauseMs = coreMs + (performance.now() - handing);
      return stored.then(
        (storeMs) => {
          this.log("info", "snapshot written", {
            seq: seq.toString(),
            batch: batch.toString(),
            bytes,
            building: building.length,
            // Of those, the batches the builder's trees did not include yet (built again on restore).
            requests: requests.length,
            coreMs: Math.round(coreMs),
            pauseMs: Math.round(pauseMs),
            storeMs: Math.round(storeMs),
            ms: Math.round(performance.now() - started),
          });
          return seq;
        },
        (e: unknown) => {
          this.log("warn", "snapshot not written", { seq: seq.toString(), reason: String(e) });
          return null;
        },
      );
    };
    const remote = this.remote;
    if (remote === null) return store(encodePart(this.ledger.committedState.toSnapshot()), [], []);
    // The builder process answers with its trees after the last batch it built. Its replies come
    // in order, so the batches it built before answering came back first: of those building at
    // the snapshot, the ones still building now are exactly the ones its trees do not include.
    const pending = new Promise<bigint | null>((resolve) => {
      remote.snapshot((builder) => {
        this.snapshotPending = null;
        if (this.closedDown || this.halt !== null) return resolve(null);
        const built: bigint[] = [];
        const requests: BuildRequest[] = [];
        for (const n of building) {
          const request = this.ledger.buildRequest(n);
          if (request !== null) requests.push(request);
          else if (this.pending.has(n)) built.push(n);
          else {
            this.log("warn", "snapshot not written", {
              seq: seq.toString(),
              reason: `batch ${n}, which it needs, left the pipeline`,
            });
            return resolve(null);
          }
        }
        resolve(store(builder, built, requests));
      });
    });
    this.snapshotPending = pending;
    return pending;
  }

  /**
   * Resolves once every snapshot taken so far is stored or failed (the store writes off this
   * thread; `close` also waits for it, on this thread).
   */
  async snapshotsStored(): Promise<void> {
    if (this.snapshotPending !== null) await this.snapshotPending;
    await this.journal.snapshots.settled();
  }

  private replay(after: bigint): number {
    this.replaying = true;
    const settlements: { seq: bigint; settled: readonly SettledPosition[] }[] = [];
    let replayed = 0;
    try {
      for (const entry of this.journal.entries(after)) {
        replayed += 1;
        this.journaledNow = entry.now;
        this.ledger.closeBeforeCheck = entry.seq < this.acceptedCloseFrom;
        this.engine.makersExpireAtVenueTime = entry.seq >= this.makerExpiryFrom;
        this.forcedCloseToHolder = entry.seq >= this.forcedCloseHolderFrom;
        let outcome: Outcome;
        try {
          outcome = this.run(entry.command, entry.now);
        } catch (e) {
          // A release whose builder disagrees with its core on this journal: open halted, so
          // that the status says which batch and why (the journal is kept as it is).
          if (!(e instanceof BuilderDisagreementError)) throw e;
          this.refuseDisagreement(e);
          break;
        }
        const d = digest(outcome);
        if (d !== entry.outcome)
          throw new ReplayDivergenceError(
            `journal command ${entry.seq} (${entry.command.kind}) replayed to ${d}, journaled ${entry.outcome}`,
          );
        if (outcome.kind === "settle") settlements.push({ seq: entry.seq, settled: outcome.settled });
        this.samplePremiums(entry.now, entry.seq);
        this.publish(outcome);
      }
      // Journals written before settlement records existed get them back from the replay.
      this.journal.restoreSettlements(settlements);
      for (const c of this.unstored.splice(0)) this.handBuilt(c);
    } finally {
      this.replaying = false;
      this.ledger.closeBeforeCheck = false;
      this.engine.makersExpireAtVenueTime = true;
      this.forcedCloseToHolder = true;
    }
    return replayed;
  }

  on(listener: VenueListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get now(): bigint {
    return this.lastNow;
  }

  /**
   * Applies a command at `now` (unix ms; a `now` earlier than the last command's is raised to
   * it) and journals it when it changed anything. Throws SequencerError when the command is
   * rejected; the venue is then unchanged unless untradeable resting orders were purged on the
   * way (those changes are journaled before the error is thrown). A command refused, or one that
   * changed nothing, after the ledger moved (a batch closed, a transaction applied: finding F1's
   * kind of bug) would leave memory ahead of the journal: the venue halts instead (UNAVAILABLE,
   * and a restart replays the journal), so that it never runs ahead of what a restart rebuilds.
   */
  execute(command: Command, now: bigint): Outcome {
    if (this.refused !== null) throw new SequencerError("HALTED", this.refused.reason);
    if (this.halted !== null)
      throw new SequencerError("UNAVAILABLE", `the venue halted (${this.halted.message}): it must be restarted`);
    const at = now > this.lastNow ? now : this.lastNow;
    // The health gate (issue 14 F14, F15) is not applied on replay: the journal holds only
    // commands it took.
    const refusal = this.rebuilding ? null : this.gate(command.kind, at);
    if (refusal !== null) throw refusal;
    let outcome: Outcome;
    // A commit inside (a full group) takes no snapshot: the command is not published yet.
    this.executing = true;
    // The rule the command runs under: a journal written before finding F1 replays its older
    // commands under the old one; every new command runs under the new one.
    this.ledger.closeBeforeCheck = this.journal.length + 1n < this.acceptedCloseFrom;
    this.engine.makersExpireAtVenueTime = this.journal.length + 1n >= this.makerExpiryFrom;
    this.forcedCloseToHolder = this.journal.length + 1n >= this.forcedCloseHolderFrom;
    const revision = this.ledger.revision;
    try {
      outcome = this.run(command, at);
      if (changed(outcome)) {
        this.journal.append(at, command, digest(outcome), fillsOf(outcome), settlementsOf(outcome));
        this.journaledNow = at;
        if (this.journal.uncommitted >= this.maxGroup) this.commit();
        else if (this.journal.uncommitted > 0) this.scheduleCommit();
      } else if (this.ledger.revision !== revision)
        throw new Error(`internal: a ${command.kind} command that changed nothing moved the ledger`);
    } catch (e) {
      // A SequencerError is a rejection that changed nothing (checked: one that moved the ledger
      // is a bug, handled as one below). The batch builder refusing what the core accepted halts
      // the venue for good (fail closed, sequencer/builder). Anything else (a failed journal
      // write, a bug) may leave memory ahead of the journal: stop taking commands; a restart
      // replays the journal into a consistent venue.
      if (e instanceof SequencerError && this.ledger.revision === revision) throw e;
      if (e instanceof BuilderDisagreementError) {
        this.refuseDisagreement(e);
        throw new SequencerError("HALTED", this.refused!.reason);
      }
      this.halted =
        e instanceof SequencerError
          ? new Error(`internal: a ${command.kind} command refused (${e.code}: ${e.message}) moved the ledger`)
          : e instanceof Error
            ? e
            : new Error(String(e));
      this.emit({ type: "halted", error: this.halted });
      throw new SequencerError("UNAVAILABLE", "the venue halted on an internal error: it must be restarted");
    } finally {
      this.executing = false;
      this.ledger.closeBeforeCheck = false;
      this.engine.makersExpireAtVenueTime = true;
      this.forcedCloseToHolder = true;
    }
    if (changed(outcome)) {
      this.samplePremiums(at, this.journal.length);
      this.publish(outcome);
      // Without group commit the append committed the command: a boundary may be due.
      if (!this.journal.groupCommit) this.maybeSnapshot();
    }
    // A replace whose new order was rejected still cancelled the old one: the caller reads
    // `placed.rejection`. A rejected place is thrown.
    if (outcome.kind === "place" && outcome.result.rejection !== null) throw outcome.result.rejection;
    return outcome;
  }

  /** Runs a command against the in-memory venue; pure function of (state, command, now). */
  private run(command: Command, now: bigint): Outcome {
    this.lastNow = now > this.lastNow ? now : this.lastNow;
    switch (command.kind) {
      case "place":
        return {
          kind: "place",
          result: this.engine.place(
            command.order,
            { clientOrderId: command.clientOrderId, group: command.group ?? null },
            now,
          ),
        };
      case "cancelGroup":
        return { kind: "cancel", cancelled: this.engine.cancelGroup(command.group, command.reason) };
      case "amend":
        return { kind: "amend", order: this.engine.amend(command.accountId, command.orderId, command.size) };
      case "scheduleCancel":
        this.engine.scheduleCancel(command.accountId, command.at);
        return { kind: "scheduleCancel", accountId: command.accountId, at: command.at };
      case "mmpConfig":
        this.engine.setMmp(command.accountId, command.underlying, command.config);
        return { kind: "mmp", accountId: command.accountId, underlying: command.underlying };
      case "mmpReset":
        this.engine.resetMmp(command.accountId, command.underlying);
        return { kind: "mmp", accountId: command.accountId, underlying: command.underlying };
      case "cancelScheduled": {
        const fired = this.engine.cancelDeadline(command.accountId) !== null;
        const cancelled = this.engine.cancelScheduled(command.accountId, now);
        return {
          kind: "cancelScheduled",
          fired: fired && this.engine.cancelDeadline(command.accountId) === null,
          cancelled,
        };
      }
      case "cancel":
        return { kind: "cancel", cancelled: [this.engine.cancel(command.accountId, command.orderId, command.reason)] };
      case "cancelExpired":
        return { kind: "cancel", cancelled: this.engine.cancelExpired(now / MS_PER_SECOND) };
      case "cancelAll":
        return {
          kind: "cancel",
          cancelled: this.engine.cancelAll(command.accountId, command.instrument, command.reason),
        };
      case "replace": {
        const r = this.engine.replace(
          command.accountId,
          command.oldOrderId,
          command.order,
          { clientOrderId: command.clientOrderId, group: command.group ?? null },
          now,
        );
        return { kind: "replace", ...r };
      }
      case "deposit": {
        this.checkQueueOrder(command.queueIndex);
        const { batch, slot } = this.applyL1(
          {
            type: TxType.DEPOSIT,
            accountId: command.accountId,
            owner: command.owner,
            pkHash: command.pkHash,
            amount: command.amount,
          },
          command.queueIndex,
          now,
        );
        let list = this.deposits.get(command.accountId);
        if (list === undefined) this.deposits.set(command.accountId, (list = []));
        list.push({
          accountId: command.accountId,
          amount: command.amount,
          queueIndex: command.queueIndex,
          batch,
          slot,
          time: now,
        });
        return { kind: "deposit", at: { batch, slot } };
      }
      case "forcedWithdrawal": {
        this.checkQueueOrder(command.queueIndex);
        const { batch, slot, served } = this.applyL1(
          { type: TxType.FORCED_WITHDRAW, accountId: command.accountId, requested: command.requested },
          command.queueIndex,
          now,
        );
        const withdrawal = this.recordWithdrawal({
          kind: "forced",
          accountId: command.accountId,
          requested: command.requested,
          served,
          orderId: null,
          batch,
          slot,
          time: now,
        });
        return { kind: "forcedWithdrawal", at: { batch, slot }, served, withdrawal };
      }
      case "forcedClose": {
        // Served in queue order like every L1 operation: the whole position goes to the insurance
        // fund at the batch's rules price, or an expired option is settled (its series must be
        // settled by the venue first: protocol/ refuses it without the record, NO_SETTLEMENT_PRICE).
        this.checkQueueOrder(command.queueIndex);
        const tx = {
          type: TxType.FORCED_CLOSE,
          accountId: command.accountId,
          instrument: command.instrument,
          settlement: command.settlement,
        } as const;
        const funds = fundAccounts(this.ledger);
        // Under the fund-holder rule a close that moves the position goes to a fund account that
        // holds the instrument (no slot spent on an instrument the fund already holds); else, and
        // for a refusal or a settlement, account 1, the protocol's default.
        const holder =
          this.forcedCloseToHolder && this.forcedCloseMoves(command, now)
            ? holdingFund(this.ledger.state, funds, command.instrument)
            : null;
        // Account 1 is the protocol's default: the transaction names only another fund account.
        const naming = (fund: bigint): Tx => (fund === INSURANCE_ACCOUNT ? tx : { ...tx, insurance: fund });
        let insurance = holder ?? INSURANCE_ACCOUNT;
        let applied: Applied;
        try {
          applied = this.applyL1(naming(insurance), command.queueIndex, now);
        } catch (e) {
          // Account 1 has no free slot (and no fund account holds the instrument): another fund
          // account with one takes the position (intake keeps one: risk/fund-capacity.ts). A
          // forced close that threw was never journaled, so this changes no older outcome.
          if (!(e instanceof SequencerError) || e.code !== "NO_POSITION_SLOT" || holder !== null) throw e;
          const other = fundAccountFor(this.ledger.state, funds, command.instrument);
          if (other === null || other === INSURANCE_ACCOUNT) throw e;
          insurance = other;
          applied = this.applyL1(naming(insurance), command.queueIndex, now);
        }
        const { batch, slot, served } = applied;
        return { kind: "forcedClose", at: { batch, slot }, served: served === 1n, insurance };
      }
      case "oracle": {
        const wasStale = this.ledger.pricesStale;
        this.ledger.setPrices(command.prices, command.roundIds, command.updatedAts);
        // Every later transaction is checked at the new prices: the open batch (old prices, or a
        // stale round, which no price-reading transaction may join) closes.
        this.ledger.ensureContext(now, (ctx) => samePrices(ctx.prices, command.prices) && !wasStale);
        // A round already too old for L1 prices no batch: no liquidation at it (F14).
        const stale = this.ledger.staleAt(now / MS_PER_SECOND).length > 0;
        return { kind: "oracle", risk: stale ? NO_RISK_ACTIONS : liquidateUnderwater(this.ledger, this.engine, now) };
      }
      case "closeBatch":
        return { kind: "closeBatch", batch: this.ledger.closeBatch(now) };
      case "withdraw":
        return { kind: "withdraw", withdrawal: this.withdraw(command.withdrawal, now) };
      case "funding": {
        const updates = this.applyFunding(now);
        const risk = updates.length > 0 ? liquidateUnderwater(this.ledger, this.engine, now) : NO_RISK_ACTIONS;
        return { kind: "funding", updates, risk };
      }
      case "expire":
        return { kind: "expire", ...this.expireSeries(now) };
      case "settle":
        return { kind: "settle", ...this.settle(command, now) };
      case "sweepFees": {
        const amount = this.ledger.state.globalState.feePool;
        if (amount === 0n) return { kind: "sweepFees", amount, at: null };
        const { batch, slot } = this.ledger.apply({ type: TxType.FEE_SWEEP, amount }, now);
        return { kind: "sweepFees", amount, at: { batch, slot } };
      }
    }
  }

  /** A signed withdrawal: order-id rules, key, then protocol/ (free collateral). */
  private withdraw(signed: SignedOrder, now: bigint): WithdrawalRecord {
    const o = signed.order;
    this.ledger.checkKey(o.accountId, signed.publicKey);
    this.engine.checkOrderId(o.accountId, o.orderId);
    const { batch, slot } = this.applyL1({ type: TxType.WITHDRAW, withdrawal: signed }, null, now);
    this.engine.burnOrderId(o.accountId, o.orderId);
    return this.recordWithdrawal({
      kind: "withdrawal",
      accountId: o.accountId,
      requested: o.size,
      served: o.size,
      orderId: o.orderId,
      batch,
      slot,
      time: now,
    });
  }

  private recordWithdrawal(record: WithdrawalRecord): WithdrawalRecord {
    let list = this.withdrawals.get(record.accountId);
    if (list === undefined) this.withdrawals.set(record.accountId, (list = []));
    list.push(record);
    let inBatch = this.withdrawalsByBatch.get(record.batch);
    if (inBatch === undefined) this.withdrawalsByBatch.set(record.batch, (inBatch = []));
    inBatch.push(record);
    return record;
  }

  /** Underlyings whose funding interval has elapsed at `now` (unix ms). */
  private fundingDueAt(now: bigint): number[] {
    const t = now / MS_PER_SECOND;
    const g = this.ledger.state.globalState;
    const interval = this.config.profile.fundingInterval;
    const due: number[] = [];
    for (let u = 1; u <= this.config.profile.underlyings; u++)
      if (t >= g.lastFundingTime[u - 1]! + interval) due.push(u);
    return due;
  }

  /**
   * One FUNDING per due underlying, with the rate from the perpetual book's premium over the
   * oracle (risk/funding.ts), in a batch whose timestamp is at least the due time.
   */
  private applyFunding(now: bigint): FundingUpdate[] {
    const due = this.fundingDueAt(now);
    if (due.length === 0) return [];
    const prices = this.ledger.oraclePrices;
    const g = this.ledger.state.globalState;
    const interval = this.config.profile.fundingInterval;
    // The latest prices, and a timestamp past every due interval: an open batch without them
    // closes once the first update is known to pass (`apply`).
    const accept = (ctx: BatchContext): boolean =>
      samePrices(ctx.prices, prices) && due.every((u) => ctx.timestamp >= g.lastFundingTime[u - 1]! + interval);
    if (this.ledger.closeBeforeCheck) this.ledger.ensureContext(now, accept);
    const updates: FundingUpdate[] = [];
    for (const u of due) {
      const perp = perpId(u);
      const listed = this.engine.listMarkets().some((m) => m.instrument === perp);
      const average = listed ? this.premiumAverage(u) : null;
      const delta = average === null ? 0n : clampFunding(average.average(now), prices[u - 1]!);
      const { batch, slot } = this.ledger.apply({ type: TxType.FUNDING, underlying: u, delta }, now, accept);
      average?.restart(now);
      const after = this.ledger.state.globalState;
      const update = {
        underlying: u,
        delta,
        price: prices[u - 1]!,
        index: after.fundingIndex[u - 1]!,
        time: after.lastFundingTime[u - 1]!,
        batch,
        slot,
      };
      this.lastFunding.set(u, update);
      updates.push(update);
    }
    return updates;
  }

  private premiumAverage(u: number): PremiumAverage {
    let average = this.premiums.get(u);
    if (average === undefined) this.premiums.set(u, (average = new PremiumAverage()));
    return average;
  }

  /**
   * Samples each listed perp book's premium over the oracle after a journaled command, at the
   * command's `now` (risk/funding.ts): the same points on a replay, so the same averages.
   */
  private samplePremiums(now: bigint, seq: bigint): void {
    const prices = this.ledger.oraclePrices;
    const impact = seq >= this.impactPremiumFrom;
    for (let u = 1; u <= this.perps.length; u++) {
      const perp = this.perps[u - 1]!;
      if (!this.engine.hasMarket(perp)) continue;
      const book = this.engine.book(perp);
      const oracle = prices[u - 1]!;
      // An impact price is never better than the side's best: with the best bid at or below the
      // oracle and the best ask at or above it (a quiet book) the premium is 0 without a walk.
      const bid = book.best(Side.BUY);
      const ask = book.best(Side.SELL);
      const crosses = (bid !== null && bid.price > oracle) || (ask !== null && ask.price < oracle);
      const premium = !impact
        ? midPremiumOf(bid?.price ?? null, ask?.price ?? null, oracle)
        : crosses
          ? premiumOf(impactPrice(book.levels(Side.BUY)), impactPrice(book.levels(Side.SELL)), oracle)
          : 0n;
      this.premiumAverage(u).observe(premium, now);
    }
  }

  /** Stops trading in every listed option whose expiry passed: its resting orders are cancelled. */
  private expireSeries(now: bigint): { instruments: bigint[]; cancelled: CancelledOrder[] } {
    const t = now / MS_PER_SECOND;
    const instruments: bigint[] = [];
    const cancelled: CancelledOrder[] = [];
    for (const m of this.engine.listMarkets()) {
      if (m.expiry === 0n || m.expiry > t || this.expired.has(m.instrument)) continue;
      this.expired.add(m.instrument);
      instruments.push(m.instrument);
      cancelled.push(...this.engine.cancelInstrument(m.instrument, "expired"));
    }
    return { instruments, cancelled };
  }

  /**
   * Settles every open position of the series `(underlying, expiry)` (every account, the
   * insurance fund included) in batches carrying its settlement record (§6.6).
   */
  private settle(
    c: Extract<Command, { kind: "settle" }>,
    now: bigint,
  ): { settled: SettledPosition[]; cancelled: CancelledOrder[] } {
    const key = `${c.underlying}:${c.expiry}`;
    if (this.settledSeries.has(key))
      throw new SequencerError(
        "ALREADY_SETTLED",
        `the series of underlying ${c.underlying} expiring ${c.expiry} is settled`,
      );
    if (!this.engine.listMarkets().some((m) => m.underlying === c.underlying && m.expiry === c.expiry && m.expiry > 0n))
      throw new SequencerError(
        "UNKNOWN_INSTRUMENT",
        `no option of underlying ${c.underlying} expiring at ${c.expiry} is listed`,
      );
    if (c.expiry > now / MS_PER_SECOND)
      throw new SequencerError("NOT_EXPIRED", `the series expires at ${c.expiry}: settle it after expiry`, 422);
    const { cancelled } = this.expireSeries(now);
    const holders: { accountId: bigint; instrument: bigint; size: bigint; cost: bigint }[] = [];
    for (const accountId of new Set([FEE_ACCOUNT, INSURANCE_ACCOUNT, ...this.ledger.registeredAccounts()])) {
      for (const p of this.ledger.state.account(accountId).positions) {
        if (p.size === 0n) continue;
        const spec = decodeInstrument(p.instrument);
        if (spec.underlying === c.underlying && spec.expiry === c.expiry)
          holders.push({ accountId, instrument: p.instrument, size: p.size, cost: p.cost });
      }
    }
    const record = { underlying: c.underlying, expiry: c.expiry, price: c.price };
    const settleAll = (): SettledPosition[] =>
      holders.map((h) => {
        const { batch, slot } = this.ledger.apply(
          { type: TxType.SETTLE, accountId: h.accountId, instrument: h.instrument },
          now,
        );
        const value = h.size * intrinsic(decodeInstrument(h.instrument), c.price);
        return { ...h, price: c.price, roundId: c.roundId, value, pnl: value - h.cost, batch, slot, time: now };
      });
    // With no holder there is no transaction, and no batch needs to carry the record.
    const settled =
      holders.length === 0 ? [] : this.ledger.withSettlements([{ record, roundId: c.roundId }], now, settleAll);
    this.settledSeries.set(key, { ...record, roundId: c.roundId, time: now });
    return { settled, cancelled };
  }

  /**
   * The housekeeping commands due at `now`, in the order to run them: cancel resting orders
   * whose own expiry passed, stop expired series, funding updates, and a fee sweep once the fee
   * pool exceeds `feeSweepThreshold` (quote units). The service's timer executes them; each is
   * journaled like any command.
   */
  dueCommands(now: bigint, feeSweepThreshold: bigint): Command[] {
    const due: Command[] = [];
    const t = now / MS_PER_SECOND;
    // Nothing that needs a batch while a price is stale or the gate is closed (issue 14 F14, F15).
    const health = this.health(now);
    const open = (kind: Command["kind"]) => gateError(health, kind) === null;
    const earliest = this.engine.earliestOrderExpiry();
    if (earliest !== null && earliest < t) due.push({ kind: "cancelExpired" });
    if (this.engine.listMarkets().some((m) => m.expiry !== 0n && m.expiry <= t && !this.expired.has(m.instrument)))
      due.push({ kind: "expire" });
    if (this.fundingDueAt(now).length > 0 && open("funding")) due.push({ kind: "funding" });
    if (this.ledger.state.globalState.feePool > feeSweepThreshold && open("sweepFees")) due.push({ kind: "sweepFees" });
    return due;
  }

  /** Expired option series not settled yet, `(underlying, expiry)` pairs, oldest first. */
  unsettledSeries(): { underlying: number; expiry: bigint }[] {
    const out = new Map<string, { underlying: number; expiry: bigint }>();
    for (const m of this.engine.listMarkets()) {
      const key = `${m.underlying}:${m.expiry}`;
      if (this.expired.has(m.instrument) && !this.settledSeries.has(key))
        out.set(key, { underlying: m.underlying, expiry: m.expiry });
    }
    return [...out.values()].sort((a, b) =>
      a.expiry < b.expiry ? -1 : a.expiry > b.expiry ? 1 : a.underlying - b.underlying,
    );
  }

  /** Trading status of a listed instrument: `active`, `expired` (not settled) or `settled`. */
  instrumentStatus(instrument: bigint): {
    status: "active" | "expired" | "settled";
    settlement: SeriesSettlement | null;
  } {
    const m = this.engine.market(instrument);
    const settlement = this.settledSeries.get(`${m.underlying}:${m.expiry}`) ?? null;
    if (settlement !== null) return { status: "settled", settlement };
    return { status: this.expired.has(instrument) ? "expired" : "active", settlement: null };
  }

  /** An account's L1 deposits as applied, newest first. */
  depositsOf(accountId: bigint): DepositRecord[] {
    return [...(this.deposits.get(accountId) ?? [])].reverse();
  }

  /** An account's withdrawals and forced withdrawals, newest first. */
  withdrawalsOf(accountId: bigint): WithdrawalRecord[] {
    return [...(this.withdrawals.get(accountId) ?? [])].reverse();
  }

  /** The last funding update of an underlying, or null before the first. */
  lastFundingOf(underlying: number): FundingUpdate | null {
    return this.lastFunding.get(underlying) ?? null;
  }

  /** Closed batches, newest first: `limit` of them with numbers below `before` (null: from the newest). */
  batchSummaries(before: bigint | null, limit: number): BatchSummary[] {
    const out: BatchSummary[] = [];
    for (let i = this.summaries.length - 1; i >= 0 && out.length < limit; i--) {
      const b = this.summaries[i]!;
      if (before === null || b.number < before) out.push(b);
    }
    return out;
  }

  /** The summary of closed batch `number`, or null (open or never closed). */
  batchSummary(number: bigint): BatchSummary | null {
    return this.summaries[Number(number) - 1] ?? null;
  }

  /** L1 priority operations must arrive in queue order (the contract checks each slot). */
  private checkQueueOrder(queueIndex: bigint | null): void {
    if (queueIndex !== null && queueIndex !== this.nextQueueIndex)
      throw new SequencerError(
        "L1_OUT_OF_ORDER",
        `priority operation ${queueIndex} arrived, ${this.nextQueueIndex} is next in the L1 queue`,
      );
  }

  /** Applies an L1 priority operation; a rule failure is a 422 with the protocol code. */
  private applyL1(tx: Tx, queueIndex: bigint | null, now: bigint): Applied {
    let applied: Applied;
    try {
      applied = this.ledger.apply(tx, now);
    } catch (e) {
      if (e instanceof ProtocolError) throw new SequencerError(e.code, e.message, 422);
      throw e;
    }
    if (queueIndex !== null) this.nextQueueIndex = queueIndex + 1n;
    return applied;
  }

  /**
   * Whether a forced close moves the account's position to the fund (§6.10): it holds one, and it
   * is a perp or a long option still live at the batch time. A short live option is refused and an
   * expired one settled, and neither takes a fund slot. Should the close land in a later batch in
   * which the option has expired, it is settled and the named holder, a fund account all the same,
   * absorbs any shortfall.
   */
  private forcedCloseMoves(command: { readonly accountId: bigint; readonly instrument: bigint }, now: bigint): boolean {
    const size = this.ledger.positionSize(command.accountId, command.instrument);
    if (size === 0n) return false;
    const spec = decodeInstrument(command.instrument);
    if (spec.kind === InstrumentKind.PERP) return true;
    return size > 0n && spec.expiry > this.ledger.context(now).timestamp;
  }

  /** The L1 priority queue index the venue expects next (where an L1 watcher resumes). */
  get expectedQueueIndex(): bigint {
    return this.nextQueueIndex;
  }

  private publish(outcome: Outcome): void {
    const fills = fillsOf(outcome);
    for (const f of fills) {
      let list = this.recent.get(f.instrument);
      if (list === undefined) this.recent.set(f.instrument, (list = []));
      list.push(f);
      if (list.length > RECENT_TRADES) list.shift();
      const s = this.stats.get(f.instrument)!;
      s.lastPrice = f.price;
      s.volume += f.size;
      s.trades += 1n;
    }
    const closed = this.absorbClosed();
    const books = this.engine.flushBookChanges();
    if (this.replaying) return;
    for (const b of books) this.emit({ type: "book", ...b });
    for (const f of fills) this.emit({ type: "trade", fill: f });
    const placed = outcome.kind === "place" ? outcome.result : outcome.kind === "replace" ? outcome.placed : null;
    const cancelled = cancelledOf(outcome);
    // An `orders` update goes to each account with a placement or a cancellation here. A maker
    // that was only filled gets none: its `fill` says all of it, and an empty update was one
    // WebSocket message in four per filling order.
    const accounts = new Set<bigint>();
    if (placed !== null) accounts.add(placed.accountId);
    for (const c of cancelled) accounts.add(c.order.accountId);
    for (const accountId of accounts) {
      this.emit({
        type: "orders",
        accountId,
        placed: placed !== null && placed.accountId === accountId ? placed : null,
        cancelled: cancelled.filter((c) => c.order.accountId === accountId),
      });
    }
    const applied = outcome.kind === "withdraw" || outcome.kind === "forcedWithdrawal" ? outcome.withdrawal : null;
    if (applied !== null) this.emit({ type: "withdrawal", withdrawal: applied });
    for (const s of settlementsOf(outcome)) this.emit({ type: "settlement", settlement: s });
    this.emitClosed(closed, applied);
  }

  /** Takes the batches the builder finished into the pipeline (summaries, pending proofs). */
  private absorbClosed(): ClosedBatch[] {
    const closed = this.ledger.takeClosed();
    for (const c of closed) {
      const { oldStateRoot, newStateRoot, timestamp, txTypes, publicInputs } = c.head;
      this.summaries.push({
        number: c.number,
        oldStateRoot,
        newStateRoot,
        timestamp,
        openedAt: c.openedAt,
        closedAt: c.closedAt,
        txCount: c.txCount,
        txTypes: { ...txTypes },
        publicInputs,
      });
      if (this.track(c)) this.storeBuilt(c);
    }
    return closed;
  }

  /**
   * Stores a closed batch's built form, once (a snapshot names it): the bytes the builder process
   * sent, or serialized here when it builds on this thread. The snapshots file's writer thread
   * stores them (`Journal.storeBuiltBatch`); this thread only copies them over.
   */
  private storeBuilt(c: ClosedBatch): void {
    // A replay builds batches the store already holds (the same commitment): nothing to store,
    // and the batch reads its built form from there once the file holds it.
    const commitment = commitmentOf(c);
    if (this.journal.hasBuiltBatch(c.number, commitment)) {
      if (this.journal.holdsBuiltBatch(c.number, commitment)) this.releaseBuilt(c, commitment);
      return;
    }
    if (this.replaying) this.unstored.push(c);
    else this.handBuilt(c);
  }

  private handBuilt(c: ClosedBatch): void {
    const commitment = commitmentOf(c);
    this.journal.storeBuiltBatch(c.number, commitment, c.encoded()).then(
      // Stored: the batch lets go of its bytes and reads them back when its witnesses are
      // wanted, so the proving backlog does not live in this process's memory.
      () => this.releaseBuilt(c, commitment),
      (e: unknown) => {
        // The venue goes on: the batch is still in the pipeline (holding its bytes), and the
        // writer refuses any snapshot that names it (a restart replays from an older one).
        this.log("warn", "built batch not stored", { batch: c.number.toString(), reason: String(e) });
      },
    );
  }

  /** Lets a closed batch read its built form from the snapshots file, which holds it. */
  private releaseBuilt(c: ClosedBatch, commitment: string): void {
    const journal = this.journal;
    c.release(() => journal.storedBuiltBatch(c.number, commitment));
  }

  /**
   * Puts a closed batch in the pipeline by its journaled status (a submitted one is done);
   * false when it is not kept.
   */
  private track(c: ClosedBatch): boolean {
    const status = this.journal.batchStatus(c.number);
    const l1 = this.config.l1Batches;
    const dropped = status === "submitted" && l1 !== undefined && c.number > l1;
    if (status === "submitted" && !dropped) return false;
    this.pending.set(c.number, c);
    if (status === "proved" || dropped) this.proved.add(c.number);
    return true;
  }

  /** The events of closed batches: their withdrawals' new status, then the batch. */
  private emitClosed(closed: readonly ClosedBatch[], applied: WithdrawalRecord | null = null): void {
    for (const c of closed) {
      // Closing moved its withdrawals from `pending` to `in_batch` (one applied by this very
      // command was just pushed with its batch already closed).
      for (const w of this.withdrawalsByBatch.get(c.number) ?? [])
        if (w !== applied) this.emit({ type: "withdrawal", withdrawal: w });
      this.emit({ type: "batch", closed: c });
    }
  }

  private emit(event: VenueEvent): void {
    // Nothing is told about a command before its journal commit (group commit); events keep
    // their order behind the held ones.
    if (this.journal.uncommitted > 0 || this.held.length > 0 || this.unsynced.length > 0) this.held.push(event);
    else for (const l of this.listeners) l(event);
  }

  private startRemoteBuilder(
    from: { readonly state: Buffer; readonly root: bigint } | null,
    verifiers: number,
    nice: number,
    prehash: boolean,
  ): void {
    this.remote = new RemoteBuilder(
      this.config.profile,
      this.config.system,
      {
        onBuilt: (number, head, encoded, ms) => {
          if (this.refused === null && this.halted === null) {
            this.ledger.built(number, { encoded, head }, ms);
            const closed = this.absorbClosed();
            if (!this.replaying) this.emitClosed(closed);
            if (!this.replaying && this.journal.uncommitted === 0) this.maybeSnapshot();
          }
          this.wakeBuilt();
        },
        onRefused: (number, reason) => {
          this.refuseDisagreement(new BuilderDisagreementError(number, reason));
          this.wakeBuilt();
        },
        onLost: (message) => {
          if (this.halted === null) {
            // Memory holds batches no builder will build: a restart replays the journal.
            this.halted = new Error(message);
            this.emit({ type: "halted", error: this.halted });
          }
          this.wakeBuilt();
        },
      },
      from,
      verifiers,
      nice,
      prehash,
    );
    this.ledger.useRemoteBuilder(this.remote);
  }

  /**
   * Resolves once the builder has built every batch closed so far (at once when batches are
   * built inline), or when the venue halts.
   */
  built(): Promise<void> {
    if (this.ledger.builderLag === 0 || this.refused !== null || this.halted !== null) return Promise.resolve();
    return new Promise((resolve) => this.builtWaiters.push(resolve));
  }

  private wakeBuilt(): void {
    if (this.ledger.builderLag === 0 || this.refused !== null || this.halted !== null)
      for (const w of this.builtWaiters.splice(0)) w();
  }

  private scheduleCommit(): void {
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    setImmediate(() => {
      this.commitScheduled = false;
      // With the fsync apart, a group committed while a sync runs waits for the next sync all
      // the same, and that one starts only when this one ends. So the turn's commands stay in
      // the open group until then: one commit (and one WAL write) for all the turns a sync
      // spans instead of one per turn, and nothing is acknowledged later. The group is still
      // bounded by `maxGroup` (execute commits a full one at once).
      if (this.syncing && this.journal.syncsApart) this.commitDeferred = true;
      else this.commit();
    });
  }

  /**
   * Group commit: commits the journal's open group, then emits the events held for it and
   * wakes `durable()`. A failed commit halts the venue (memory is ahead of the journal: a
   * restart replays what was committed) and fails every waiter, so nothing is acknowledged.
   */
  commit(): void {
    const writes = this.journal.uncommitted > 0;
    try {
      this.journal.commit();
    } catch (e) {
      this.haltOnJournal(e, "the venue halted on a failed journal commit: it must be restarted");
      return;
    }
    // Nothing written, told or waited for: no group to keep in order.
    if (!writes && this.held.length === 0 && this.waiting.length === 0) {
      if (!this.replaying) this.maybeSnapshot();
      return;
    }
    const group: SyncGroup = { events: this.held, waiters: this.waiting };
    this.held = [];
    this.waiting = [];
    if (!this.journal.syncsApart) {
      this.release(group);
      if (!this.replaying) this.maybeSnapshot();
      return;
    }
    // Durable once a sync started after this commit has finished. The thread goes on with the
    // next commands meanwhile; a sync running now covers earlier commits only, so the group
    // waits for the next one (which then covers every commit made while this one ran).
    this.unsynced.push(group);
    this.startSync();
    // A snapshot covers committed commands; its own WAL commit lands after theirs, so a power
    // loss cannot keep it without them.
    if (!this.replaying) this.maybeSnapshot();
  }

  /** Group commit with the fsync apart: syncs the journal for every group committed so far. */
  private startSync(): void {
    if (this.syncing || this.unsynced.length === 0) return;
    this.syncing = true;
    const groups = this.unsynced.length;
    this.journal.sync().then(
      () => {
        this.syncing = false;
        for (const group of this.unsynced.splice(0, groups)) this.release(group);
        // The turns put off while this sync ran: committed now, synced next (below).
        if (this.commitDeferred) {
          this.commitDeferred = false;
          if (!this.closedDown) this.commit();
        }
        // Events emitted while groups waited were held behind them; with no group open they
        // wait for no commit, only for the groups just released.
        if (!this.closedDown && this.unsynced.length === 0 && this.journal.uncommitted === 0 && this.held.length > 0) {
          const events = this.held;
          this.held = [];
          this.release({ events, waiters: [] });
        }
        this.startSync();
      },
      (e: unknown) => {
        this.syncing = false;
        this.haltOnJournal(e, "the venue halted on a failed journal sync: it must be restarted");
      },
    );
  }

  /** Tells a durable group's events and wakes its waiters. */
  private release(group: SyncGroup): void {
    for (const event of group.events) for (const l of this.listeners) l(event);
    for (const w of group.waiters) w.resolve();
  }

  /**
   * A journal commit or sync failed: memory is ahead of what is durable, so the venue halts (a
   * restart replays what was committed) and acknowledges and tells nothing it holds.
   */
  private haltOnJournal(e: unknown, message: string): void {
    this.halted ??= e instanceof Error ? e : new Error(String(e));
    const err = new SequencerError("UNAVAILABLE", message);
    this.journalFailed ??= err;
    for (const group of this.unsynced.splice(0)) for (const w of group.waiters) w.reject(err);
    for (const w of this.waiting.splice(0)) w.reject(err);
    this.held = [];
    for (const l of this.listeners) l({ type: "halted", error: this.halted });
  }

  /**
   * Resolves once every command executed so far is durable (at once without group commit, or
   * when nothing waits for a commit or a sync); rejects (UNAVAILABLE) if the commit or the sync
   * fails. Reply to a command only after it.
   */
  durable(): Promise<void> {
    if (this.journalFailed !== null) return Promise.reject(this.journalFailed);
    if (this.journal.uncommitted > 0 || this.held.length > 0)
      return new Promise((resolve, reject) => {
        this.waiting.push({ resolve, reject });
        this.scheduleCommit();
      });
    // Everything is committed: durable with the newest committed group.
    const last = this.unsynced.at(-1);
    if (last === undefined) return Promise.resolve();
    return new Promise((resolve, reject) => last.waiters.push({ resolve, reject }));
  }

  /** Closed batches not yet proved, oldest first (the proving pipeline's input). */
  unprovedBatches(): ClosedBatch[] {
    return [...this.pending.values()].filter((b) => !this.proved.has(b.number));
  }

  /** Proved batches not yet submitted to L1, oldest first (the submitter's input). */
  provedBatches(): ClosedBatch[] {
    return [...this.pending.values()].filter((b) => this.proved.has(b.number));
  }

  /**
   * The batch builder refused a batch the core accepted, or reached other records
   * (sequencer/builder): take no further command (HALTED). Nothing was acknowledged for the
   * command that closed the batch, and nothing of the batch reaches the provers.
   */
  private refuseDisagreement(e: BuilderDisagreementError): void {
    if (this.refused !== null) return;
    this.refused = {
      batch: e.batch,
      reason:
        `${e.message}. The venue takes no orders: batch ${e.batch} cannot be built, so nothing from it on can be proved. ` +
        "Operator: keep the journal, report this message, and restart on a fixed release " +
        `(docs/deployment.md, "A batch the builder refuses").`,
    };
    this.emit({ type: "halted", error: new SequencerError("HALTED", this.refused.reason) });
  }

  /**
   * The circuit refuses closed batch `number` (the reference model and the circuit disagree):
   * take no further command (HALTED), since every later batch builds on a state no proof can
   * reach. The batch is marked failed with `reason`; `halt` tells the operator what to do.
   */
  refuseBatch(number: bigint, reason: string): void {
    if (this.refused !== null) return;
    this.refused = {
      batch: number,
      reason:
        `${reason}. The venue takes no orders: nothing after batch ${number - 1n} can be proved. ` +
        "Operator: keep the journal, report the batch's witness input, and restart on a fixed release " +
        `from the journal cut before batch ${number} (docs/deployment.md, "A batch the circuit refuses").`,
    };
    this.setBatchStatus(number, "failed", reason);
    this.emit({ type: "halted", error: new SequencerError("HALTED", this.refused.reason) });
  }

  /**
   * The health gate at `now` (unix ms): price staleness against L1's `maxOracleAge`, the batch
   * backlog against its bounds, a failed or refused batch (sequencer/core/health.ts).
   */
  health(now: bigint): Health {
    // Batches the builder has not built yet count as unproved: the backlog gate bounds its lag too.
    const pending = [
      ...[...this.pending.values()].map((b) => ({
        number: b.number,
        openedAt: b.openedAt,
        proved: this.proved.has(b.number),
      })),
      ...this.ledger.unbuilt().map((b) => ({ ...b, proved: false })),
    ].sort((a, b) => (a.number < b.number ? -1 : 1));
    return assessHealth({
      now,
      limits: this.config.limits ?? null,
      bounds: this.healthBounds,
      prices: {
        roundIds: this.ledger.oracleRoundIds,
        updatedAts: this.ledger.oracleUpdatedAts,
        stale: this.ledger.staleAt(now / MS_PER_SECOND),
      },
      pending,
      failed: this.failed,
      refused: this.refused,
    });
  }

  /**
   * The backlog gate's bounds: without L1 no batch ever becomes final, so it applies only to a
   * venue linked to L1 (its limits read) or given bounds.
   */
  private get healthBounds(): HealthBounds | null {
    return this.config.health ?? (this.config.limits !== undefined ? DEFAULT_HEALTH_BOUNDS : null);
  }

  /** Why the health gate refuses a command of `kind` at `now`, or null when it takes it. */
  gate(kind: Command["kind"], now: bigint): SequencerError | null {
    // Every command asks, so the common case skips the report: nothing failed or was refused, no
    // price is stale and the backlog is open. `assessHealth` then has no reason to give (mode
    // normal) and `gateError` takes every kind.
    if (this.refused === null && this.failed === null && this.ledger.staleAt(now / MS_PER_SECOND).length === 0) {
      // Counted and searched in place: the backlog can hold hundreds of batches while provers
      // lag, and every command asks.
      const batches = this.pending.size + this.ledger.builderLag;
      let oldest: { readonly number: bigint; readonly openedAt: bigint } | null = this.ledger.oldestUnbuilt();
      for (const b of this.pending.values()) if (oldest === null || b.number < oldest.number) oldest = b;
      const bounds = this.healthBounds;
      const gate = backlogGate(
        batches,
        oldest === null ? null : now - oldest.openedAt,
        bounds === null ? null : effectiveBounds(bounds, this.config.limits ?? null),
      );
      if (gate === "open") return null;
    }
    return gateError(this.health(now), kind);
  }

  /** Pushes a `health` event when the gate's mode or reasons changed since the last push. */
  checkHealth(now: bigint): Health {
    const health = this.health(now);
    const key = `${health.mode}|${health.code}|${health.staleFeeds.map((f) => f.underlying).join(",")}|${health.failedBatch?.batch ?? ""}`;
    if (key !== this.lastHealthKey) {
      this.lastHealthKey = key;
      this.emit({ type: "health", health });
    }
    return health;
  }

  /** Why the venue stopped, or null while it runs. */
  get halt(): { readonly code: string; readonly batch: bigint | null; readonly reason: string } | null {
    if (this.refused !== null) return { code: "HALTED", batch: this.refused.batch, reason: this.refused.reason };
    if (this.halted !== null) return { code: "UNAVAILABLE", batch: null, reason: this.halted.message };
    return null;
  }

  /**
   * Records a batch's pipeline status; a submitted batch is no longer kept in memory. When its
   * stage changes (`batchStage`), its withdrawals are pushed again with their new status.
   */
  setBatchStatus(number: bigint, status: ProofStatus, detail = ""): void {
    this.movingStage(number, () => this.journal.setBatchStatus(number, status, detail));
    if (status === "submitted") {
      this.pending.delete(number);
      this.proved.delete(number);
    }
    // A batch that failed for good (proof or L1 submission): nothing after it reaches L1 (F15).
    if (status === "failed") {
      if (this.refused === null) this.failed ??= { batch: number, reason: detail };
      this.proved.delete(number);
    }
    this.checkHealth(this.lastNow);
  }

  /** Stores a batch's proof: the batch moves from the prover's input to the submitter's. */
  recordProof(number: bigint, proof: SolidityProof): void {
    this.movingStage(number, () => this.journal.recordProof(number, proof));
    this.proved.add(number);
    this.checkHealth(this.lastNow);
  }

  /** Runs `update` on batch `number`'s status and pushes its withdrawals if its stage changed. */
  private movingStage(number: bigint, update: () => void): void {
    const before = batchStage(this.batchStatus(number));
    update();
    if (batchStage(this.batchStatus(number)) === before) return;
    for (const w of this.withdrawalsByBatch.get(number) ?? []) this.emit({ type: "withdrawal", withdrawal: w });
  }

  /** A batch's place in the pipeline: `open` until it closes, then its recorded status. */
  batchStatus(number: bigint): "open" | ProofStatus {
    if (number >= this.ledger.currentBatch) return "open";
    return this.journal.batchStatus(number) ?? "closed";
  }

  recentTrades(instrument: bigint, limit: number): Fill[] {
    this.engine.market(instrument);
    return (this.recent.get(instrument) ?? []).slice(-limit).reverse();
  }

  marketStats(instrument: bigint): MarketStats {
    this.engine.market(instrument);
    return this.stats.get(instrument)!;
  }

  close(): void {
    // The builder first: nothing it answers may reach a closed journal.
    this.closedDown = true;
    this.remote?.close();
    this.commit();
    this.journal.close();
  }
}
