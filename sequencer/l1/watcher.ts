/**
 * The L1 watcher: polls the rollup's priority queue and the oracle feeds and turns what is
 * new into journaled commands — deposits and forced withdrawals in queue order (resuming at
 * `Sequencer.expectedQueueIndex` after a restart), oracle prices with their round ids (per feed,
 * the round in force at the venue's clock, the rule L1 applies to batch prices), and
 * the settlement of every expired option series at the feed round in force at its expiry
 * (the round the contract checks, `settlementRoundIds`), once L1 time has passed the expiry.
 */
import type { Contract, ContractRunner } from "ethers";
import type { Logger } from "pino";
import type { Sequencer } from "../core.ts";
import { SequencerError } from "../errors.ts";
import { answerToCents, feedContract, rollupContract, roundInForceAt } from "./contracts.ts";
import { priorityOpCommand } from "./priority.ts";

export class L1Watcher {
  private readonly rollup: Contract;
  private feeds: { address: string; contract: Contract; decimals: number; changed: boolean }[] | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly venue: Sequencer,
    rollupAddress: string,
    private readonly runner: ContractRunner,
    private readonly clock: () => bigint,
    private readonly log: Logger,
  ) {
    this.rollup = rollupContract(rollupAddress, runner);
  }

  /** One poll; concurrent calls share the poll in progress. */
  poll(): Promise<void> {
    this.running ??= this.pollOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pollOnce(): Promise<void> {
    await this.pollOracle();
    // Nothing enters a batch before a round of every feed does: L1 accepts no batch whose
    // prices lack a round (InvalidOracleRound), and the first round may still be waiting for
    // our clock (pollOracle).
    if (this.venue.ledger.oracleRoundIds.some((id) => id === 0n)) return;
    await this.pollQueue();
    await this.pollSettlements();
  }

  private async pollSettlements(): Promise<void> {
    const series = this.venue.unsettledSeries();
    if (series.length === 0 || this.feeds === null) return;
    const block = await this.runner.provider?.getBlock("latest");
    if (block === null || block === undefined) return;
    for (const s of series) {
      // A round updated before expiry may still appear until L1 time passes the expiry.
      if (BigInt(block.timestamp) <= s.expiry) continue;
      const feed = this.feeds[s.underlying - 1];
      if (feed === undefined) continue;
      const round = await roundInForceAt(feed.contract, s.expiry);
      if (round === null) {
        this.log.error({ underlying: s.underlying, expiry: s.expiry.toString() }, "no feed round in force at expiry");
        continue;
      }
      // L1 fixes a series' price the first time a batch (or an exit) settles it (F16): where proxy
      // phases overlap, another round may also be in force at the expiry; the fixed price wins.
      const [isFixed, fixedPrice] = (await this.rollup.getFunction("settlementPrice")(s.underlying, s.expiry)) as [
        boolean,
        bigint,
      ];
      const price = isFixed ? fixedPrice : answerToCents(round.answer, feed.decimals);
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

  private async pollOracle(): Promise<void> {
    // Feeds change only through the rollup's timelock (F13); a new feed numbers its rounds
    // afresh, so its first round is taken whatever its id (L1 forgets the old feed's ids too).
    const addresses = (await this.rollup.getFunction("feeds")()) as string[];
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
    const rounds = await Promise.all(
      this.feeds.map(async (f, i) => {
        const r = (await f.contract.getFunction("latestRoundData")()) as [bigint, bigint, bigint, bigint, bigint];
        const round =
          r[3] !== 0n && r[3] * 1000n <= now
            ? { roundId: r[0], answer: r[1], updatedAt: r[3] }
            : await roundInForceAt(f.contract, now / 1000n);
        if (round === null || (round.roundId <= current[i]! && !f.changed)) return null;
        f.changed = false;
        return { roundId: round.roundId, cents: answerToCents(round.answer, f.decimals) };
      }),
    );
    if (rounds.every((r) => r === null)) return;
    const prices = rounds.map((r, i) => r?.cents ?? currentPrices[i]!);
    const roundIds = rounds.map((r, i) => r?.roundId ?? current[i]!);
    this.venue.execute({ kind: "oracle", prices, roundIds }, now);
    this.log.info({ prices: prices.map(String), roundIds: roundIds.map(String) }, "oracle round");
  }

  private async pollQueue(): Promise<void> {
    const length = (await this.rollup.getFunction("priorityQueueLength")()) as bigint;
    for (let i = this.venue.expectedQueueIndex; i < length; i++) {
      const op = (await this.rollup.getFunction("priorityOp")(i)) as { f0: bigint; f1: bigint };
      const command = priorityOpCommand(i, op.f0, op.f1);
      try {
        this.venue.execute(command, this.clock());
      } catch (e) {
        // A rejected priority operation blocks the queue (they apply in order): the operator
        // must act before the forced-request deadline.
        if (e instanceof SequencerError)
          this.log.error({ queueIndex: i.toString(), code: e.code, err: e }, "L1 operation rejected");
        throw e;
      }
      this.log.info({ queueIndex: i.toString(), kind: command.kind }, "L1 operation applied");
    }
  }
}
