/**
 * The L1 watcher: polls the rollup's priority queue and the oracle feeds and turns what is
 * new into journaled commands — deposits and forced withdrawals in queue order (resuming at
 * `Sequencer.expectedQueueIndex` after a restart), oracle prices with their round ids, and
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
  private feeds: { contract: Contract; decimals: number }[] | null = null;
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
      const price = answerToCents(round.answer, feed.decimals);
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
    if (this.feeds === null) {
      const addresses = (await this.rollup.getFunction("feeds")()) as string[];
      this.feeds = await Promise.all(
        addresses.map(async (a) => {
          const contract = feedContract(a, this.runner);
          return { contract, decimals: Number(await contract.getFunction("decimals")()) };
        }),
      );
    }
    const rounds = await Promise.all(
      this.feeds.map(async (f) => {
        const r = (await f.contract.getFunction("latestRoundData")()) as [bigint, bigint, bigint, bigint, bigint];
        return { roundId: r[0], cents: answerToCents(r[1], f.decimals), updatedAt: r[3] };
      }),
    );
    const prices = rounds.map((r) => r.cents);
    const roundIds = rounds.map((r) => r.roundId);
    const current = this.venue.ledger.oracleRoundIds;
    if (roundIds.every((id, i) => id === current[i])) return;
    // A batch may only use rounds stamped at or before its own timestamp (the contract checks
    // `updatedAt <= timestamp`), and batches are stamped with this venue's clock: a round from a
    // chain whose clock runs ahead waits until ours has passed it.
    const now = this.clock();
    if (rounds.some((r) => r.updatedAt * 1000n > now)) return;
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
