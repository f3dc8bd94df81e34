/**
 * The L1 watcher: polls the rollup's priority queue and the oracle feeds and turns what is
 * new into journaled commands — deposits and forced withdrawals in queue order (resuming at
 * `Sequencer.expectedQueueIndex` after a restart), oracle prices with their round ids (per feed,
 * the round in force at the venue's clock, the rule L1 applies to batch prices), and
 * the settlement of every expired option series at the feed round in force at its expiry
 * (the round the contract checks, `settlementRoundIds`), once L1 time has passed the expiry. That
 * round is a round of the feed in force at the expiry (the rollup's `feedInForceAt`): the feed
 * replaced by a later feed change still prices the series that expired before the change.
 *
 * Confirmation depth (issue 14 F15): everything is read at block `head − confirmations`, never
 * at `latest`, so a deposit is credited, and a round used, only once that many blocks confirm
 * it; a reorg shallower than the depth never reaches the venue. Each round's `updatedAt` is
 * journaled with its price (F14). The watcher asks the health gate before applying anything: while
 * a price is stale or the venue is halted, queued operations wait on L1 (in order) instead of
 * failing the poll.
 *
 * A reorg deeper than the depth is never built on silently: the watcher keeps the number and hash
 * of the last `MAX_CREDITED_BLOCKS` blocks it credited L1 operations from, and each poll reads the
 * newest one's hash again (a fork at or below any of them changes it). When it changed, the venue
 * halts (`L1_REORG`, the block, its queue indices and the operator's steps in the reason) and the
 * watcher credits nothing more.
 */
import type { Contract, ContractRunner } from "ethers";
import type { Logger } from "pino";
import type { Sequencer } from "../core/sequencer.ts";
import { SequencerError } from "../errors.ts";
import type { Command } from "../core/commands.ts";
import { answerToCents, feedAt, feedContract, rollupContract, roundInForceAt } from "./contracts.ts";
import { priorityOpCommand } from "./priority.ts";
import { reorgReason } from "./submitter.ts";

/** How many crediting blocks the watcher remembers to detect a reorg under them. */
export const MAX_CREDITED_BLOCKS = 64;

/** A block the watcher credited L1 queue operations `first..last` from. */
interface Credited {
  readonly number: number;
  readonly hash: string;
  readonly first: bigint;
  last: bigint;
}

export class L1Watcher {
  private readonly rollup: Contract;
  private feeds: { address: string; contract: Contract; decimals: number; changed: boolean }[] | null = null;
  /** Feeds a feed change replaced, by lower-cased address: they still price earlier expiries. */
  private readonly retiredFeeds = new Map<string, { contract: Contract; decimals: number }>();
  private running: Promise<void> | null = null;
  /** The confirmed block this poll reads at. */
  private tag: number | "latest" = "latest";
  /** The last gate refusal logged, so a waiting queue is logged once. */
  private waiting = "";
  /** The block read this poll (number and hash). */
  private block: { readonly number: number; readonly hash: string } | null = null;
  /** Blocks operations were credited from, oldest first, at most MAX_CREDITED_BLOCKS. */
  private readonly credited: Credited[] = [];
  /** Set once L1 went back on a credited block: the watcher stops. */
  private diverged: string | null = null;

  constructor(
    private readonly venue: Sequencer,
    rollupAddress: string,
    private readonly runner: ContractRunner,
    private readonly clock: () => bigint,
    private readonly log: Logger,
    /** Blocks on top of the one read (0: the latest block, the local dev chain's default). */
    private readonly confirmations = 0,
  ) {
    this.rollup = rollupContract(rollupAddress, runner);
  }

  /** Whether the health gate takes `kind` now; logs the first refusal of a kind once. */
  private admits(kind: Command["kind"]): boolean {
    const refusal = this.venue.gate(kind, this.clock());
    if (refusal === null) {
      if (this.waiting.startsWith(`${kind}:`)) this.waiting = "";
      return true;
    }
    const key = `${kind}:${refusal.code}`;
    if (this.waiting !== key)
      this.log.warn({ kind, code: refusal.code }, "L1 operations wait: the venue does not take them now");
    this.waiting = key;
    return false;
  }

  private call<T>(name: string, ...args: unknown[]): Promise<T> {
    return this.rollup.getFunction(name)(...args, { blockTag: this.tag }) as Promise<T>;
  }

  /** One poll; concurrent calls share the poll in progress. */
  poll(): Promise<void> {
    this.running ??= this.pollOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Why the watcher stopped (L1 went back on a block it credited from), or null. */
  get divergedBecause(): string | null {
    return this.diverged;
  }

  /**
   * Whether the blocks operations were credited from are still L1's: false (and the venue halted)
   * when the newest one's hash changed, null when L1 does not have that block now (wait).
   */
  private async creditedStillOnL1(provider: NonNullable<ContractRunner["provider"]>): Promise<boolean | null> {
    const newest = this.credited.at(-1);
    if (newest === undefined) return true;
    const now = await provider.getBlock(newest.number);
    if (now === null) return null;
    if (now.hash === newest.hash) return true;
    // The first credited block L1 no longer has (all after it changed too).
    let lost = newest;
    let lostNow = now.hash;
    for (const c of this.credited) {
      const b = await provider.getBlock(c.number);
      if (b?.hash !== c.hash) {
        lost = c;
        lostNow = b?.hash ?? null;
        break;
      }
    }
    const reason = reorgReason(
      `L1 block ${lost.number} (hash ${lost.hash}), from which the venue credited L1 queue operations ${lost.first}..${lost.last}, now has hash ${lostNow}; the first queue index that may be lost is ${lost.first}`,
      this.confirmations,
    );
    this.diverged = reason;
    const pending = [...this.venue.unprovedBatches(), ...this.venue.provedBatches()].map((b) => b.number);
    const label = pending.length > 0 ? pending.reduce((a, b) => (a < b ? a : b)) : this.venue.ledger.currentBatch;
    this.venue.setBatchStatus(label, "failed", reason);
    this.log.error({ block: lost.number, firstQueueIndex: lost.first.toString() }, reason);
    return false;
  }

  private async pollOnce(): Promise<void> {
    if (this.diverged !== null) return;
    const provider = this.runner.provider;
    if (provider !== null && provider !== undefined) {
      // The block this poll reads: `confirmations` under the head (the head itself with 0).
      const head = await provider.getBlockNumber();
      this.tag = Math.max(0, head - this.confirmations);
      const fine = await this.creditedStillOnL1(provider);
      if (fine === false) return;
      if (fine === null) {
        this.log.warn("L1 is below the newest block the venue credited from: waiting");
        return;
      }
      const block = await provider.getBlock(this.tag);
      if (block === null || block.hash === null) return;
      this.block = { number: block.number, hash: block.hash };
      // Read at that very block: a reorg between here and the reads is then seen next poll.
      this.tag = block.number;
    }
    await this.pollOracle();
    // Nothing enters a batch before a round of every feed does: L1 accepts no batch whose
    // prices lack a round (InvalidOracleRound), and the first round may still be waiting for
    // our clock (pollOracle).
    if (this.venue.ledger.oracleRoundIds.some((id) => id === 0n)) return;
    // Settlements first: a queued forced close or forced settlement (issue 14 F11) of an expired
    // series is served as its settlement and needs the series' record, which only the settle
    // command gives. With the queue first, one such request (anyone may queue a forced
    // settlement right after expiry) would block the queue, and so the settlement, for good.
    await this.pollSettlements();
    await this.pollQueue();
  }

  private async pollSettlements(): Promise<void> {
    const series = this.venue.unsettledSeries();
    if (series.length === 0 || this.feeds === null) return;
    if (!this.admits("settle")) return;
    const block = await this.runner.provider?.getBlock(this.tag);
    if (block === null || block === undefined) return;
    for (const s of series) {
      // A round updated before expiry may still appear until L1 time passes the expiry.
      if (BigInt(block.timestamp) <= s.expiry) continue;
      const feed = this.feeds[s.underlying - 1];
      if (feed === undefined) continue;
      // L1 checks the round against the feed in force at the expiry, not the current one: a
      // series that expired before a feed change settles at a round of the replaced feed.
      const settling = await this.feedInForceAt(s.underlying, s.expiry, feed);
      const round = await roundInForceAt(feedAt(settling.contract, this.tag), s.expiry);
      if (round === null) {
        this.log.error({ underlying: s.underlying, expiry: s.expiry.toString() }, "no feed round in force at expiry");
        continue;
      }
      // L1 fixes a series' price the first time a batch (or an exit) settles it (F16): where proxy
      // phases overlap, another round may also be in force at the expiry; the fixed price wins.
      const [isFixed, fixedPrice] = await this.call<[boolean, bigint]>("settlementPrice", s.underlying, s.expiry);
      const price = isFixed ? fixedPrice : answerToCents(round.answer, settling.decimals);
      this.venue.execute(
        { kind: "settle", underlying: s.underlying, expiry: s.expiry, price, roundId: round.roundId },
        this.clock(),
      );
      this.log.info(
        {
          underlying: s.underlying,
          expiry: s.expiry.toString(),
          price: price.toString(),
          round: round.roundId.toString(),
        },
        "option series settled",
      );
    }
  }

  /**
   * The feed the rollup prices a settlement of `underlying` at `expiry` with (`feedInForceAt`):
   * `current` unless a feed change came after the expiry, else the replaced feed, with its own
   * decimals.
   */
  private async feedInForceAt(
    underlying: number,
    expiry: bigint,
    current: { readonly address: string; readonly contract: Contract; readonly decimals: number },
  ): Promise<{ readonly contract: Contract; readonly decimals: number }> {
    const [address, decimals] = await this.call<[string, bigint]>("feedInForceAt", underlying, expiry);
    const key = address.toLowerCase();
    if (key === current.address.toLowerCase()) return current;
    let retired = this.retiredFeeds.get(key);
    if (retired === undefined) {
      retired = { contract: feedContract(address, this.runner), decimals: Number(decimals) };
      this.retiredFeeds.set(key, retired);
    }
    return retired;
  }

  private async pollOracle(): Promise<void> {
    // Feeds change only through the rollup's timelock (F13); a new feed numbers its rounds
    // afresh, so its first round is taken whatever its id (L1 forgets the old feed's ids too).
    const addresses = await this.call<string[]>("feeds");
    const known = this.feeds;
    this.feeds = await Promise.all(
      addresses.map(async (address, i) => {
        const before = known?.[i];
        if (before !== undefined && before.address === address) return before;
        const contract = feedContract(address, this.runner);
        if (before !== undefined) this.log.warn({ underlying: i + 1, feed: address }, "the rollup's feed changed");
        return { address, contract, decimals: Number(await contract.getFunction("decimals")()), changed: !!before };
      }),
    );
    // A batch is stamped with this venue's clock and L1 accepts only the round in force at its
    // timestamp (issue 14 F5): take, per feed, the round in force now (protocol/feedRounds.ts),
    // which is the latest unless the chain's clock runs ahead of ours. Round ids never go back.
    const now = this.clock();
    const current = this.venue.ledger.oracleRoundIds;
    const currentPrices = this.venue.ledger.oraclePrices;
    const currentTimes = this.venue.ledger.oracleUpdatedAts;
    const rounds = await Promise.all(
      this.feeds.map(async (f, i) => {
        const feed = feedAt(f.contract, this.tag);
        const r = (await feed.getFunction("latestRoundData")()) as [bigint, bigint, bigint, bigint, bigint];
        const round =
          r[3] !== 0n && r[3] * 1000n <= now
            ? { roundId: r[0], answer: r[1], updatedAt: r[3] }
            : await roundInForceAt(feed, now / 1000n);
        if (round === null || (round.roundId <= current[i]! && !f.changed)) return null;
        return { roundId: round.roundId, cents: answerToCents(round.answer, f.decimals), updatedAt: round.updatedAt };
      }),
    );
    if (rounds.every((r) => r === null) || !this.admits("oracle")) return;
    for (const [i, r] of rounds.entries()) if (r !== null) this.feeds[i]!.changed = false;
    const prices = rounds.map((r, i) => r?.cents ?? currentPrices[i]!);
    const roundIds = rounds.map((r, i) => r?.roundId ?? current[i]!);
    const updatedAts = rounds.map((r, i) => r?.updatedAt ?? currentTimes[i]!);
    this.venue.execute({ kind: "oracle", prices, roundIds, updatedAts }, now);
    this.log.info({ prices: prices.map(String), roundIds: roundIds.map(String) }, "oracle round");
  }

  private async pollQueue(): Promise<void> {
    const length = await this.call<bigint>("priorityQueueLength");
    for (let i = this.venue.expectedQueueIndex; i < length; i++) {
      const op = await this.call<{ f0: bigint; f1: bigint }>("priorityOp", i);
      const command = priorityOpCommand(i, op.f0, op.f1);
      // Queued operations apply in order: the first the gate refuses holds the rest on L1.
      if (!this.admits(command.kind)) return;
      try {
        this.venue.execute(command, this.clock());
      } catch (e) {
        // A rejected priority operation blocks the queue (they apply in order): the operator
        // must act before the forced-request deadline.
        if (e instanceof SequencerError)
          this.log.error({ queueIndex: i.toString(), code: e.code, err: e }, "L1 operation rejected");
        throw e;
      }
      this.remember(i);
      this.log.info({ queueIndex: i.toString(), kind: command.kind }, "L1 operation applied");
    }
  }

  /** Records that queue index `i` is credited from this poll's block (bounded). */
  private remember(i: bigint): void {
    const block = this.block;
    if (block === null) return;
    const newest = this.credited.at(-1);
    if (newest?.number === block.number && newest.hash === block.hash) {
      newest.last = i;
      return;
    }
    this.credited.push({ number: block.number, hash: block.hash, first: i, last: i });
    if (this.credited.length > MAX_CREDITED_BLOCKS) this.credited.shift();
  }
}
