/**
 * The venue's deterministic core: commands in, outcomes and events out, every change written
 * to the journal before the caller may acknowledge it.
 *
 * `execute(command, now)` runs on the event loop without awaiting, so commands are totally
 * ordered; the journal records them in that order with their `now`. On start, `open()` replays
 * the journal through the same code and checks each outcome against its recorded digest.
 */
import { ProtocolError } from "../protocol/errors.ts";
import { RollupState } from "../protocol/state.ts";
import type { SystemAccountKeys } from "../protocol/state.ts";
import { TxType } from "../protocol/types.ts";
import type { Profile, SolidityProof, Tx } from "../protocol/types.ts";
import type { Command } from "./commands.ts";
import type { CancelledOrder, Fill, FillLocation, PlaceResult } from "./engine/engine.ts";
import { MatchingEngine } from "./engine/engine.ts";
import type { LevelChange } from "./engine/book.ts";
import type { Market } from "./engine/markets.ts";
import { SequencerError } from "./errors.ts";
import type { ProofStatus, Synchronous } from "./journal/journal.ts";
import { Journal } from "./journal/journal.ts";
import type { Applied, ClosedBatch } from "./ledger.ts";
import { ProtocolLedger } from "./ledger.ts";
import { toJson } from "./wire.ts";

export interface VenueConfig {
  readonly profile: Profile;
  /** Signature domain of the deployment (docs/protocol.md §2). */
  readonly domain: bigint;
  readonly markets: readonly Market[];
  readonly system: { readonly feeAccount: SystemAccountKeys; readonly insurance: SystemAccountKeys };
  /** Oracle prices (cents, index u−1) until the first oracle command. */
  readonly initialPrices: readonly bigint[];
}

export type Outcome =
  | { readonly kind: "place"; readonly result: PlaceResult }
  | { readonly kind: "cancel"; readonly cancelled: readonly CancelledOrder[] }
  | { readonly kind: "replace"; readonly cancelled: CancelledOrder; readonly placed: PlaceResult }
  | { readonly kind: "deposit"; readonly at: FillLocation }
  | { readonly kind: "forcedWithdrawal"; readonly at: FillLocation; readonly served: bigint }
  | { readonly kind: "oracle" }
  | { readonly kind: "closeBatch"; readonly batch: bigint | null };

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
  /** The venue stopped taking commands (journal write failed or an internal error). */
  | { readonly type: "halted"; readonly error: Error };

export type VenueListener = (event: VenueEvent) => void;

/** Thrown when a replayed command does not reproduce its journaled outcome. */
export class ReplayDivergenceError extends Error {
  readonly code = "REPLAY_DIVERGENCE";
}

/** The journaled digest of an outcome: enough to detect any divergence on replay. */
function digest(outcome: Outcome): string {
  const placed = (r: PlaceResult) => ({
    s: r.status,
    f: r.fills.map((f) => [f.tradeId, f.size, f.price, f.makerAccount, f.makerOrderId, f.batch, f.slot]),
    c: r.cancelled.map((c) => [c.order.accountId, c.order.orderId, c.reason]),
    r: r.remaining,
    e: r.rejection?.code ?? null,
  });
  switch (outcome.kind) {
    case "place":
      return toJson(placed(outcome.result));
    case "replace":
      return toJson({ old: outcome.cancelled.order.orderId, new: placed(outcome.placed) });
    case "cancel":
      return toJson(outcome.cancelled.map((c) => [c.order.accountId, c.order.orderId]));
    case "deposit":
      return toJson([outcome.at.batch, outcome.at.slot]);
    case "forcedWithdrawal":
      return toJson([outcome.at.batch, outcome.at.slot, outcome.served]);
    case "oracle":
      return "{}";
    case "closeBatch":
      return toJson(outcome.batch);
  }
}

function fillsOf(outcome: Outcome): readonly Fill[] {
  if (outcome.kind === "place") return outcome.result.fills;
  if (outcome.kind === "replace") return outcome.placed.fills;
  return [];
}

/** Whether an outcome changed anything (a rejection that purged no maker changed nothing). */
function changed(outcome: Outcome): boolean {
  if (outcome.kind === "place") return outcome.result.rejection === null || outcome.result.cancelled.length > 0;
  if (outcome.kind === "cancel") return outcome.cancelled.length > 0;
  if (outcome.kind === "closeBatch") return outcome.batch !== null;
  return true;
}

const RECENT_TRADES = 200;

export interface MarketStats {
  lastPrice: bigint | null;
  /** Cumulative traded size since genesis, 1e-4 units. */
  volume: bigint;
  trades: bigint;
}

export class Sequencer {
  readonly engine: MatchingEngine;
  readonly ledger: ProtocolLedger;
  private readonly listeners = new Set<VenueListener>();
  private readonly recent = new Map<bigint, Fill[]>();
  private readonly stats = new Map<bigint, MarketStats>();
  /** Closed batches not yet submitted to L1, by number, and which of them are proved. */
  private readonly pending = new Map<bigint, ClosedBatch>();
  private readonly proved = new Set<bigint>();
  private replaying = false;
  private halted: Error | null = null;
  private nextQueueIndex = 0n;
  /** The `now` of the last command applied (unix ms); commands never go back in time. */
  private lastNow = 0n;

  private constructor(
    readonly config: VenueConfig,
    readonly journal: Journal,
  ) {
    this.ledger = new ProtocolLedger(
      RollupState.genesis(config.profile, config.system),
      config.domain,
      config.initialPrices,
    );
    this.engine = new MatchingEngine(this.ledger, config.markets);
    for (const m of config.markets) this.stats.set(m.instrument, { lastPrice: null, volume: 0n, trades: 0n });
  }

  /**
   * Opens the venue on a journal file, replaying it. Call `initCrypto()` (protocol/) first.
   * Throws `JournalMismatchError` if the file belongs to another configuration and
   * `ReplayDivergenceError` if the replay does not reproduce a journaled outcome.
   */
  static open(
    config: VenueConfig,
    file: string,
    synchronous: Synchronous = "NORMAL",
    extraMeta: Readonly<Record<string, string>> = {},
  ): Sequencer {
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
    );
    const venue = new Sequencer(config, journal);
    venue.replay();
    return venue;
  }

  private replay(): void {
    this.replaying = true;
    try {
      for (const entry of this.journal.entries()) {
        const outcome = this.run(entry.command, entry.now);
        const d = digest(outcome);
        if (d !== entry.outcome)
          throw new ReplayDivergenceError(
            `journal command ${entry.seq} (${entry.command.kind}) replayed to ${d}, journaled ${entry.outcome}`,
          );
        this.publish(outcome);
      }
    } finally {
      this.replaying = false;
    }
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
   * way (those changes are journaled before the error is thrown).
   */
  execute(command: Command, now: bigint): Outcome {
    if (this.halted !== null)
      throw new SequencerError("UNAVAILABLE", `the venue halted (${this.halted.message}): it must be restarted`);
    const at = now > this.lastNow ? now : this.lastNow;
    let outcome: Outcome;
    try {
      outcome = this.run(command, at);
      if (changed(outcome)) this.journal.append(at, command, digest(outcome), fillsOf(outcome));
    } catch (e) {
      // A SequencerError is a rejection that changed nothing. Anything else (a failed journal
      // write, a bug) may leave memory ahead of the journal: stop taking commands; a restart
      // replays the journal into a consistent venue.
      if (e instanceof SequencerError) throw e;
      this.halted = e instanceof Error ? e : new Error(String(e));
      this.emit({ type: "halted", error: this.halted });
      throw new SequencerError("UNAVAILABLE", "the venue halted on an internal error: it must be restarted");
    }
    if (changed(outcome)) this.publish(outcome);
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
          result: this.engine.place(command.order, { clientOrderId: command.clientOrderId }, now),
        };
      case "cancel":
        return { kind: "cancel", cancelled: [this.engine.cancel(command.accountId, command.orderId, command.reason)] };
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
          { clientOrderId: command.clientOrderId },
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
        return { kind: "deposit", at: { batch, slot } };
      }
      case "forcedWithdrawal": {
        this.checkQueueOrder(command.queueIndex);
        const { batch, slot, served } = this.applyL1(
          { type: TxType.FORCED_WITHDRAW, accountId: command.accountId, requested: command.requested },
          command.queueIndex,
          now,
        );
        return { kind: "forcedWithdrawal", at: { batch, slot }, served };
      }
      case "oracle":
        this.ledger.setPrices(command.prices, command.roundIds);
        return { kind: "oracle" };
      case "closeBatch":
        return { kind: "closeBatch", batch: this.ledger.closeBatch() };
    }
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
    const closed = this.ledger.takeClosed();
    for (const c of closed) {
      const status = this.journal.batchStatus(c.number);
      if (status === "submitted") continue;
      this.pending.set(c.number, c);
      if (status === "proved") this.proved.add(c.number);
    }
    const books = this.engine.flushBookChanges();
    if (this.replaying) return;
    for (const b of books) this.emit({ type: "book", ...b });
    for (const f of fills) this.emit({ type: "trade", fill: f });
    const placed = outcome.kind === "place" ? outcome.result : outcome.kind === "replace" ? outcome.placed : null;
    const cancelled =
      outcome.kind === "cancel"
        ? outcome.cancelled
        : outcome.kind === "place"
          ? outcome.result.cancelled
          : outcome.kind === "replace"
            ? [outcome.cancelled, ...outcome.placed.cancelled]
            : [];
    const accounts = new Set<bigint>();
    if (placed !== null) accounts.add(placed.accountId);
    for (const f of fills) accounts.add(f.makerAccount);
    for (const c of cancelled) accounts.add(c.order.accountId);
    for (const accountId of accounts) {
      this.emit({
        type: "orders",
        accountId,
        placed: placed !== null && placed.accountId === accountId ? placed : null,
        cancelled: cancelled.filter((c) => c.order.accountId === accountId),
      });
    }
    for (const c of closed) this.emit({ type: "batch", closed: c });
  }

  private emit(event: VenueEvent): void {
    for (const l of this.listeners) l(event);
  }

  /** Closed batches not yet proved, oldest first (the proving pipeline's input). */
  unprovedBatches(): ClosedBatch[] {
    return [...this.pending.values()].filter((b) => !this.proved.has(b.number));
  }

  /** Proved batches not yet submitted to L1, oldest first (the submitter's input). */
  provedBatches(): ClosedBatch[] {
    return [...this.pending.values()].filter((b) => this.proved.has(b.number));
  }

  /** Records a batch's pipeline status; a submitted batch is no longer kept in memory. */
  setBatchStatus(number: bigint, status: ProofStatus, detail = ""): void {
    this.journal.setBatchStatus(number, status, detail);
    if (status === "submitted") {
      this.pending.delete(number);
      this.proved.delete(number);
    }
  }

  /** Stores a batch's proof: the batch moves from the prover's input to the submitter's. */
  recordProof(number: bigint, proof: SolidityProof): void {
    this.journal.recordProof(number, proof);
    this.proved.add(number);
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
    this.journal.close();
  }
}
