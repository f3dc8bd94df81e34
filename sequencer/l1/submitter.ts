/**
 * The L1 submitter: sends proved batches to the rollup contract's `submitBatch` strictly in
 * batch order (each batch's old root is the contract's current root), with the header and
 * slots of protocol/batch.ts `l1Calldata` (price and settlement round ids included) and the
 * journaled packed proof, then marks them `submitted` with the transaction hash.
 *
 * Idempotent: before each send the contract's state root is read. When it already is the
 * batch's new root, the batch is on L1 (an earlier send was mined though its receipt was lost)
 * and is marked `submitted` without sending again; when it is neither the batch's old nor new
 * root, L1 diverged from the venue and the submitter stops. A failed send is retried on later
 * polls (the batch stays `proved`, the error in its detail); after `maxAttempts` failures the
 * batch is marked `failed` and the submitter stops: later batches build on it.
 *
 * Price rounds (issue 14 F5): L1 accepts only the feed round in force at the batch timestamp,
 * or one superseded less than the rollup's `priceRoundGrace` before it. Before a send the
 * submitter checks the batch's own rounds by that rule, else takes the round in force at the
 * batch time if it has the batch's price (`RollupSubmission.priceRoundsAt`, protocol/feedRounds.ts
 * through l1/contracts.ts); if neither holds (a round the venue had not seen for longer than the
 * grace), the batch is one L1 would refuse: it is marked `failed` without a send and the
 * submitter stops.
 *
 * Finality, retries and stuck transactions (issue 14 F15), when the submission has `chain`
 * (the ethers one has):
 * - a sent batch stays pending (journal status `proved`, detail `sent <hash>`) until the rollup's
 *   `batchNumber` read `confirmations` blocks below the head includes it; only then is it
 *   `submitted` and forgotten. A reorg that drops it (L1's `batchNumber` falls below it) makes it
 *   the next batch to send again, and it is re-sent (the contract's root is then its old root);
 * - the submitter does not wait on a send: a transaction not mined `replaceAfterMs` after it was
 *   sent is replaced with the same nonce and fees raised by `feeBumpPercent` (default 25 %, above
 *   the 10 % nodes require), again each `replaceAfterMs`; one the node no longer knows is sent anew;
 * - a failed or reverted send is retried after an exponential backoff (`backoffMs` doubled per
 *   failure, at most `maxBackoffMs`); after `maxAttempts` failures the batch is `failed`;
 * - a batch whose timestamp the next block would put more than L1's `maxBatchLag` behind is
 *   never sent (L1 would refuse it, `BatchTooOld`): it is failed with `BATCH_TOO_OLD`.
 * - a reorg deeper than `confirmations` (L1's final `batchNumber` falls below a count it reached
 *   before) is never silently built on: the first batch L1 no longer holds is failed with
 *   `L1_REORG` (health.ts), the venue halts with a reason that names it and tells the operator
 *   what to do (`reorgReason`), and the submitter sends nothing more; it also stops sending when
 *   the watcher found such a reorg under a credited L1 operation.
 * A failed batch halts the venue (`Sequencer.setBatchStatus`, health gate `HALTED`).
 */
import type { ContractRunner } from "ethers";
import type { Logger } from "pino";
import { l1Calldata } from "../../protocol/batch.ts";
import type { BatchHeader } from "../../protocol/batch.ts";
import { slotsUsePrices } from "../../protocol/priceUse.ts";
import type { SolidityProof } from "../../protocol/types.ts";
import type { Sequencer } from "../core/sequencer.ts";
import { L1_REORG } from "../core/health.ts";
import type { ClosedBatch } from "../core/ledger.ts";
import { feedContract, priceRoundsAt, PriceRoundError, rollupContract } from "./contracts.ts";
import type { FeedReader } from "./contracts.ts";

/** The two calls of the rollup contract the submitter makes. */
export interface RollupSubmission {
  /** The contract's current state root. */
  stateRoot(): Promise<bigint>;
  /** Sends `submitBatch`; `wait` resolves once it is mined and throws if it reverted. */
  submitBatch(
    header: BatchHeader,
    /** Every slot's f0 and f1 packed in 24 bytes, as hex (`packSlots`, docs/protocol.md §7). */
    slots: string,
    proof: SolidityProof,
    replace?: Replacement,
  ): Promise<SentTransaction>;
  /**
   * The feed round in force at `timestamp` for each underlying, whose answer must be `prices`
   * (throws PriceRoundError otherwise). Absent: the batch's own round ids are sent.
   */
  priceRoundsAt?(
    timestamp: bigint,
    prices: readonly bigint[],
    roundIds: readonly bigint[],
    /** False for a batch none of whose slots reads a price: L1 waives maxOracleAge for it (F13). */
    readsPrices?: boolean,
  ): Promise<readonly bigint[]>;
  /**
   * The chain facts for finality, replacement and lag (absent: a mined send is final and the
   * submitter waits for it, the behaviour of in-memory tests).
   */
  readonly chain?: ChainView;
}

/** A sent `submitBatch` transaction. */
export interface SentTransaction {
  readonly hash: string;
  /** Resolves once mined, throws if it reverted (used only without `chain`). */
  wait(): Promise<unknown>;
  readonly nonce?: number;
  readonly maxFeePerGas?: bigint | null;
  readonly maxPriorityFeePerGas?: bigint | null;
  readonly gasPrice?: bigint | null;
  readonly gasLimit?: bigint;
}

/** Send again with the nonce of a stuck transaction and these fees. */
export interface Replacement {
  readonly nonce: number;
  readonly maxFeePerGas: bigint | null;
  readonly maxPriorityFeePerGas: bigint | null;
  readonly gasPrice: bigint | null;
  /**
   * The stuck send's gas limit, sent again as is: estimating it anew may run against the node's
   * pending state (Hardhat's default), where the stuck send already moved the root, and revert.
   */
  readonly gasLimit: bigint | null;
}

export interface ChainView {
  head(): Promise<{ readonly number: number; readonly timestamp: bigint }>;
  /** The rollup's `batchNumber()` at a block (the count of batches it accepted). */
  batchNumber(blockTag: number | "latest"): Promise<bigint>;
  /** A transaction's fate: mined, reverted, pending in the node's pool, or unknown (dropped). */
  transaction(hash: string): Promise<"mined" | "reverted" | "pending" | "unknown">;
  /** L1's `maxBatchLag` in seconds (null: not checked). */
  maxBatchLag(): Promise<bigint | null>;
}

/** `RollupSubmission` over the deployed rollup contract, signing with `runner` (the operator). */
export function rollupSubmission(rollupAddress: string, runner: ContractRunner): RollupSubmission {
  const rollup = rollupContract(rollupAddress, runner);
  // Re-read every time: a feed may change through the rollup's timelock (F13).
  const decimals = new Map<string, Promise<number>>();
  let grace: Promise<bigint> | null = null;
  let maxAge: Promise<bigint> | null = null;
  const loadFeeds = async () => {
    const addresses = (await rollup.getFunction("feeds")()) as string[];
    return Promise.all(
      addresses.map(async (a) => {
        const contract = feedContract(a, runner);
        let d = decimals.get(a);
        if (d === undefined) {
          d = (contract.getFunction("decimals")() as Promise<bigint>).then(Number);
          decimals.set(a, d);
          d.catch(() => decimals.delete(a));
        }
        return { contract: contract as FeedReader, decimals: await d };
      }),
    );
  };
  return {
    priceRoundsAt: async (timestamp, prices, roundIds, readsPrices = true) => {
      grace ??= (rollup.getFunction("priceRoundGrace")() as Promise<bigint>).catch((e: unknown) => {
        grace = null;
        throw e;
      });
      maxAge ??= (rollup.getFunction("maxOracleAge")() as Promise<bigint>).catch((e: unknown) => {
        maxAge = null;
        throw e;
      });
      return priceRoundsAt(
        await loadFeeds(),
        timestamp,
        prices,
        roundIds,
        await grace,
        readsPrices ? await maxAge : null,
      );
    },
    stateRoot: async () => (await rollup.getFunction("stateRoot")()) as bigint,
    submitBatch: async (header, slots, proof, replace) =>
      (await rollup.getFunction("submitBatch")(
        header,
        slots,
        [...proof],
        replace === undefined
          ? {}
          : {
              nonce: replace.nonce,
              ...(replace.gasLimit === null ? {} : { gasLimit: replace.gasLimit }),
              ...(replace.gasPrice !== null && replace.maxFeePerGas === null
                ? { gasPrice: replace.gasPrice }
                : { maxFeePerGas: replace.maxFeePerGas, maxPriorityFeePerGas: replace.maxPriorityFeePerGas }),
            },
      )) as SentTransaction,
    chain: runner.provider === null || runner.provider === undefined ? undefined : chainView(rollup, runner.provider),
  };
}

function chainView(
  rollup: ReturnType<typeof rollupContract>,
  provider: NonNullable<ContractRunner["provider"]>,
): ChainView {
  let lag: Promise<bigint> | null = null;
  return {
    head: async () => {
      const block = await provider.getBlock("latest");
      if (block === null) throw new Error("the L1 node returned no latest block");
      return { number: block.number, timestamp: BigInt(block.timestamp) };
    },
    batchNumber: async (blockTag) => (await rollup.getFunction("batchNumber")({ blockTag })) as bigint,
    transaction: async (hash) => {
      const receipt = await provider.getTransactionReceipt(hash);
      if (receipt !== null) return receipt.status === 1 ? "mined" : "reverted";
      return (await provider.getTransaction(hash)) === null ? "unknown" : "pending";
    },
    maxBatchLag: async () => {
      lag ??= (rollup.getFunction("maxBatchLag")() as Promise<bigint>).catch((e: unknown) => {
        lag = null;
        throw e;
      });
      return lag;
    },
  };
}

/** Sends of one batch before it is marked failed. */
export const DEFAULT_SUBMIT_ATTEMPTS = 5;

export interface SubmitterOptions {
  /** Sends of one batch before it is marked failed (default DEFAULT_SUBMIT_ATTEMPTS). */
  readonly maxAttempts?: number;
  /** Blocks on top of a batch's block before it is final (default 0). */
  readonly confirmations?: number;
  /** First retry delay after a failed send, doubled per failure (default 1,000 ms). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** A send not mined after this long is replaced with higher fees (default 60,000 ms). */
  readonly replaceAfterMs?: number;
  /** Fee increase of each replacement, percent (default 25). */
  readonly feeBumpPercent?: bigint;
  /** Seconds kept between the next block and L1's maxBatchLag (default 30). */
  readonly lagMarginSeconds?: bigint;
  /** Unix ms (default Date.now). */
  readonly clock?: () => number;
}

export const DEFAULT_SUBMITTER = {
  maxAttempts: DEFAULT_SUBMIT_ATTEMPTS,
  confirmations: 0,
  backoffMs: 1_000,
  maxBackoffMs: 60_000,
  replaceAfterMs: 60_000,
  feeBumpPercent: 25n,
  lagMarginSeconds: 30n,
} as const;

interface InFlight {
  readonly number: bigint;
  /** The latest send. */
  hash: string;
  /** Every send of this batch with the same nonce (the original and its replacements). */
  readonly hashes: string[];
  sentAt: number;
  replacement: Replacement | null;
  replacements: number;
}

/**
 * The halt reason for a reorg deeper than the confirmation depth: `what` says what L1 went back
 * on; the rest tells the operator how to recover (docs/deployment.md §3.4).
 */
export function reorgReason(what: string, confirmations: number): string {
  return (
    `${L1_REORG}: ${what}: a reorg deeper than the confirmation depth (${confirmations} blocks). ` +
    "The venue halted: L1 no longer holds what it held final, and nothing built on it is sent. " +
    "Operator: stop the venue and compare L1's priority queue at a final block with the journal. " +
    "If every credited L1 operation is still there at its queue index, restart the venue (batches " +
    "beyond L1's final count are proved and sent again); if some are gone, rebuild the journal " +
    "without them (npx tsx sequencer/tools/rebuild.ts <new journal> <first lost queue index>, " +
    "docs/deployment.md §3.4) and start on it. Then raise TESSERA_L1_CONFIRMATIONS above this reorg's depth."
  );
}

/** Whether the venue halted because L1 went back on something final (this submitter or the watcher). */
export function haltedByReorg(venue: Sequencer): boolean {
  return venue.health(venue.now).failedBatch?.reason.startsWith(`${L1_REORG}:`) ?? false;
}

function bump(fee: bigint | null | undefined, percent: bigint): bigint | null {
  return fee === null || fee === undefined ? null : (fee * (100n + percent)) / 100n + 1n;
}

export class L1Submitter {
  private running: Promise<void> | null = null;
  private stopped: string | null = null;
  /** Failed sends, the last transaction hash sent and when the next try may go, per batch number. */
  private readonly attempts = new Map<bigint, { failures: number; lastHash: string | null; notBefore: number }>();
  private readonly opts: Required<Omit<SubmitterOptions, "clock">> & { clock: () => number };
  /** The send awaiting inclusion (with `chain`). */
  private inFlight: InFlight | null = null;
  /** Batches L1 included, waiting for their confirmations: number → transaction hash. */
  private readonly included = new Map<bigint, string>();
  /** The highest final batch count read from L1 (null before the first read). */
  private finalCount: bigint | null = null;

  constructor(
    private readonly venue: Sequencer,
    private readonly rollup: RollupSubmission,
    private readonly log: Logger,
    options: number | SubmitterOptions = {},
  ) {
    const o = typeof options === "number" ? { maxAttempts: options } : options;
    this.opts = { ...DEFAULT_SUBMITTER, clock: Date.now, ...o };
  }

  /** Why the submitter stopped, or null while it runs. */
  get stoppedBecause(): string | null {
    return this.stopped;
  }

  /** Submits every proved batch that is next in order; concurrent calls share the run. */
  poll(): Promise<void> {
    this.running ??= this.submitReady().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private markSubmitted(batch: ClosedBatch, hash: string, how: string): void {
    this.venue.setBatchStatus(batch.number, "submitted", hash);
    this.attempts.delete(batch.number);
    this.included.delete(batch.number);
    this.log.info({ batch: batch.number.toString(), tx: hash }, how);
  }

  private fail(batch: ClosedBatch | bigint, reason: string, detail = reason): void {
    this.stopped = reason;
    this.inFlight = null;
    this.venue.setBatchStatus(typeof batch === "bigint" ? batch : batch.number, "failed", detail);
  }

  /** Pending batches (closed, not final), oldest first. */
  private pendingBatches(): ClosedBatch[] {
    return [...this.venue.unprovedBatches(), ...this.venue.provedBatches()].sort((a, b) =>
      a.number < b.number ? -1 : 1,
    );
  }

  /**
   * With `chain`: marks final batches submitted, follows the send in flight (included, dropped,
   * reverted, stuck: replaced). Returns L1's latest batch count and head, or null to wait.
   */
  private async track(chain: ChainView): Promise<{ latest: bigint; headTime: bigint } | null> {
    const head = await chain.head();
    const latest = await chain.batchNumber("latest");
    const depth = this.opts.confirmations;
    const final = depth === 0 ? latest : await chain.batchNumber(Math.max(0, head.number - depth));
    if (this.finalCount !== null && final < this.finalCount) {
      // L1 went back on batches it held final: halt, never build on or re-send past it silently.
      const lost = final + 1n;
      const reason = reorgReason(
        `batch ${lost} was final on L1 (its final batch count was ${this.finalCount}) but L1's final count is now ${final} (batches ${lost}..${this.finalCount} are gone)`,
        depth,
      );
      this.fail(lost, reason);
      this.log.error({ batch: lost.toString(), was: this.finalCount.toString(), now: final.toString() }, reason);
      return null;
    }
    if (this.finalCount === null || final > this.finalCount) this.finalCount = final;
    for (const b of this.pendingBatches()) {
      if (b.number > final) break;
      this.markSubmitted(
        b,
        this.included.get(b.number) ?? this.attempts.get(b.number)?.lastHash ?? "",
        "batch final on L1",
      );
    }
    for (const [n, hash] of this.included)
      if (n > latest) {
        // A reorg took it out of L1: it is the next to send again.
        this.included.delete(n);
        this.log.warn({ batch: n.toString(), tx: hash }, "reorg: a sent batch is no longer on L1; it is sent again");
        this.venue.setBatchStatus(n, "proved", `dropped by a reorg (was ${hash}): sending again`);
      }
    const f = this.inFlight;
    if (f === null) return { latest, headTime: head.timestamp };
    if (f.number <= latest) {
      // One of the sends with this nonce was mined (a replacement, or the original after all).
      let mined = f.hash;
      if (f.hashes.length > 1)
        for (const h of f.hashes)
          if ((await chain.transaction(h)) === "mined") {
            mined = h;
            break;
          }
      this.included.set(f.number, mined);
      const tried = this.attempts.get(f.number);
      if (tried !== undefined) tried.lastHash = mined;
      f.hash = mined;
      this.inFlight = null;
      if (f.number > final)
        this.venue.setBatchStatus(f.number, "proved", `sent ${f.hash}: on L1, waiting for ${depth} confirmations`);
      return { latest, headTime: head.timestamp };
    }
    if (f.number !== latest + 1n) {
      // L1 went back below the batch before it (a reorg): start again from L1's next batch.
      this.inFlight = null;
      return { latest, headTime: head.timestamp };
    }
    const fate = await chain.transaction(f.hash);
    const batch = this.pendingBatches().find((b) => b.number === f.number);
    if (batch === undefined) {
      this.inFlight = null;
      return { latest, headTime: head.timestamp };
    }
    if (fate === "reverted" || fate === "mined") {
      // Mined but L1 did not count it (reverted, or mined and reorged with another history).
      this.inFlight = null;
      this.sendFailed(
        batch,
        new Error(`transaction ${f.hash} ${fate === "reverted" ? "reverted" : "did not move the rollup"}`),
      );
      return null;
    }
    if (fate === "unknown") {
      this.log.warn(
        { batch: f.number.toString(), tx: f.hash },
        "the sent transaction is gone (reorg or evicted): sending again",
      );
      this.inFlight = null;
      return { latest, headTime: head.timestamp };
    }
    const now = this.opts.clock();
    if (now - f.sentAt < this.opts.replaceAfterMs || f.replacement === null) return null;
    // Stuck: the same nonce with higher fees.
    const r = f.replacement;
    const next: Replacement = {
      nonce: r.nonce,
      maxFeePerGas: bump(r.maxFeePerGas, this.opts.feeBumpPercent),
      maxPriorityFeePerGas: bump(r.maxPriorityFeePerGas, this.opts.feeBumpPercent),
      gasPrice: bump(r.gasPrice, this.opts.feeBumpPercent),
      gasLimit: r.gasLimit,
    };
    try {
      const tx = await this.send(batch, next);
      if (tx === null) return null;
      f.hash = tx.hash;
      f.hashes.push(tx.hash);
      f.sentAt = now;
      f.replacement = next;
      f.replacements += 1;
      this.attempts.get(batch.number)!.lastHash = tx.hash;
      this.venue.setBatchStatus(
        batch.number,
        "proved",
        `sent ${tx.hash} (replacement ${f.replacements}, nonce ${r.nonce})`,
      );
      this.log.warn(
        { batch: batch.number.toString(), tx: tx.hash, nonce: r.nonce },
        "stuck batch transaction replaced with higher fees",
      );
    } catch (e) {
      // Typically "nonce too low": the earlier one was mined meanwhile; the next poll sees it.
      f.sentAt = now;
      this.log.warn({ batch: batch.number.toString(), err: e }, "replacing a stuck batch transaction failed");
    }
    return null;
  }

  /** Header and slots with the round ids L1 accepts, then the send; null when the batch was failed. */
  private async send(next: ClosedBatch, replace?: Replacement): Promise<SentTransaction | null> {
    const proof = this.venue.journal.proofOf(next.number);
    if (proof === null) return null;
    let priceRoundIds = next.priceRoundIds;
    try {
      // L1 waives maxOracleAge for a batch none of whose slots reads a price (finding F13).
      const t = next.batch.context.timestamp;
      const readsPrices = slotsUsePrices(
        next.batch.witnesses.flatMap((w) => w.publicData),
        t,
      );
      if (this.rollup.priceRoundsAt !== undefined)
        priceRoundIds = await this.rollup.priceRoundsAt(t, next.batch.context.prices, next.priceRoundIds, readsPrices);
    } catch (e) {
      if (!(e instanceof PriceRoundError)) throw e;
      this.fail(next, `batch ${next.number}: ${e.message}`, `${e.code}: ${e.message}`);
      this.log.error({ batch: next.number.toString(), code: e.code }, "batch price not in force on L1: not sent");
      return null;
    }
    const { header, slots } = l1Calldata(next.batch, {
      priceRoundIds,
      settlementRoundIds: next.settlementRoundIds,
    });
    return this.rollup.submitBatch(header, slots, proof, replace);
  }

  private sendFailed(next: ClosedBatch, e: unknown): void {
    const tried = this.attempts.get(next.number) ?? { failures: 0, lastHash: null, notBefore: 0 };
    this.attempts.set(next.number, tried);
    const reason = `batch ${next.number}: ${e instanceof Error ? e.message : String(e)}`;
    tried.failures += 1;
    if (tried.failures >= this.opts.maxAttempts) {
      this.fail(next, reason);
      this.log.error({ batch: next.number.toString(), err: e }, "batch submission failed: submitter stopped");
      return;
    }
    const delay = Math.min(this.opts.maxBackoffMs, this.opts.backoffMs * 2 ** (tried.failures - 1));
    tried.notBefore = this.opts.clock() + delay;
    this.venue.setBatchStatus(
      next.number,
      "proved",
      `send ${tried.failures} failed, retrying: ${reason} (next try in ${delay} ms)`,
    );
    this.log.warn({ batch: next.number.toString(), err: e, retryInMs: delay }, "batch submission failed: retrying");
  }

  private async submitReady(): Promise<void> {
    const chain = this.rollup.chain;
    while (this.stopped === null) {
      if (haltedByReorg(this.venue)) {
        this.stopped = "L1 went back on what the venue held final (see the venue's health)";
        this.inFlight = null;
        this.log.error(this.stopped);
        return;
      }
      let l1: { latest: bigint; headTime: bigint } | null = null;
      if (chain !== undefined) {
        l1 = await this.track(chain);
        if (l1 === null || this.stopped !== null) return;
      }
      const pending = this.pendingBatches();
      // With `chain`, batches L1 already counts wait for their confirmations: the next to send is
      // the one after L1's count. Only the oldest unsent batch may go: a proved batch behind an
      // unproved one waits.
      const latest = l1?.latest ?? null;
      const next = latest === null ? pending[0] : pending.find((b) => b.number > latest);
      if (next === undefined || !this.venue.provedBatches().some((b) => b.number === next.number)) return;
      if (latest !== null && next.number !== latest + 1n) return;
      if (this.venue.journal.proofOf(next.number) === null) return;
      const tried = this.attempts.get(next.number) ?? { failures: 0, lastHash: null, notBefore: 0 };
      this.attempts.set(next.number, tried);
      if (this.opts.clock() < tried.notBefore) return;

      const root = await this.rollup.stateRoot();
      if (root === next.batch.newStateRoot) {
        if (chain === undefined) {
          this.markSubmitted(next, tried.lastHash ?? "", "batch already on L1: not sent again");
          continue;
        }
        return; // counted by the next track()
      }
      if (root !== next.batch.oldStateRoot) {
        this.stopped = `batch ${next.number}: L1 root ${root} is neither the batch's old nor its new root`;
        this.log.error({ batch: next.number.toString() }, this.stopped);
        return;
      }

      if (chain !== undefined && l1 !== null) {
        const lag = await chain.maxBatchLag();
        // The next block's time is at least the head's: leave a margin for it to be mined.
        if (lag !== null && l1.headTime + this.opts.lagMarginSeconds - next.batch.context.timestamp > lag) {
          const reason = `batch ${next.number}: its timestamp ${next.batch.context.timestamp} is more than L1's maxBatchLag (${lag} s) behind the chain (${l1.headTime}); L1 would refuse it (BatchTooOld)`;
          this.fail(next, reason, `BATCH_TOO_OLD: ${reason}`);
          this.log.error({ batch: next.number.toString() }, "batch too old for L1: not sent");
          return;
        }
      }

      try {
        const tx = await this.send(next);
        if (tx === null) return;
        tried.lastHash = tx.hash;
        if (chain !== undefined) {
          this.inFlight = {
            number: next.number,
            hash: tx.hash,
            hashes: [tx.hash],
            sentAt: this.opts.clock(),
            replacements: 0,
            replacement:
              tx.nonce === undefined
                ? null
                : {
                    nonce: tx.nonce,
                    maxFeePerGas: tx.maxFeePerGas ?? null,
                    maxPriorityFeePerGas: tx.maxPriorityFeePerGas ?? null,
                    gasPrice: tx.gasPrice ?? null,
                    gasLimit: tx.gasLimit ?? null,
                  },
          };
          this.venue.setBatchStatus(next.number, "proved", `sent ${tx.hash}`);
          this.log.info({ batch: next.number.toString(), tx: tx.hash }, "batch sent");
          continue;
        }
        await tx.wait();
        this.markSubmitted(next, tx.hash, "batch submitted");
      } catch (e) {
        if ((await this.rollup.stateRoot()) === next.batch.newStateRoot) {
          if (chain === undefined) {
            this.markSubmitted(next, tried.lastHash ?? "", "batch on L1 despite the send error");
            continue;
          }
          return;
        }
        this.sendFailed(next, e);
        return;
      }
    }
  }
}
