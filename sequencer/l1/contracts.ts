/**
 * The parts of the L1 contracts the sequencer calls (ethers v6, human-readable ABI): the
 * rollup's priority queue and `submitBatch` (contracts/interfaces/ITesseraRollup.sol) and the
 * Chainlink-style feeds (AggregatorV3Interface).
 */
import { Contract } from "ethers";
import type { ContractRunner } from "ethers";
import { roundInForceAt as inForceAt, usableAt } from "../../protocol/feedRounds.ts";
import type { FeedRound, RoundReader } from "../../protocol/feedRounds.ts";
import type { L1Limits } from "../core/health.ts";

export type { FeedRound } from "../../protocol/feedRounds.ts";

export const ROLLUP_ABI = [
  "function priorityQueueLength() view returns (uint256)",
  "function priorityOp(uint256 queueIndex) view returns (tuple(uint256 f0, uint256 f1, address requester, uint64 queuedAt, bool refunded, uint24 ahead))",
  "function feeds() view returns (address[])",
  "function stateRoot() view returns (uint256)",
  "function priceRoundGrace() view returns (uint256)",
  "function maxOracleAge() view returns (uint256)",
  "function maxBatchLag() view returns (uint256)",
  "function forcedRequestDeadline() view returns (uint256)",
  "function batchNumber() view returns (uint256)",
  "function settlementPrice(uint256 underlying, uint256 expiry) view returns (bool isFixed, uint256 price)",
  "function feedInForceAt(uint256 underlying, uint256 time) view returns (address feed, uint8 decimals)",
  "function submitBatch(tuple(uint256 newStateRoot, uint64 timestamp, uint256[] prices, uint80[] priceRoundIds, uint256[] settlements, uint80[] settlementRoundIds, uint256[] instruments, uint256[] deposits) header, bytes slots, uint256[8] proof)",
] as const;

export const FEED_ABI = [
  "function decimals() view returns (uint8)",
  "function latestRoundData() view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)",
  "function getRoundData(uint80 roundId) view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)",
] as const;

export function rollupContract(address: string, runner: ContractRunner): Contract {
  return new Contract(address, ROLLUP_ABI, runner);
}

export function feedContract(address: string, runner: ContractRunner): Contract {
  return new Contract(address, FEED_ABI, runner);
}

/** The part of a feed contract `roundInForceAt` reads (an ethers `Contract` of FEED_ABI). */
export interface FeedReader {
  getFunction(name: "latestRoundData" | "getRoundData"): (...args: bigint[]) => Promise<unknown>;
}

/** How far back `roundInForceAt` walks from the latest round before giving up. */
const MAX_ROUNDS_BACK = 1024;

type RoundData = [bigint, bigint, bigint, bigint, bigint];

/**
 * The round in force at `expiry` (or at a batch timestamp), by the contract's rule (TesseraRollup
 * `_priceInForceAt`, `_checkPrices`), across Chainlink proxy phases (protocol/feedRounds.ts); null
 * when no such round is within `MAX_ROUNDS_BACK` rounds of the latest or the feed does not serve
 * the older rounds.
 */
export async function roundInForceAt(feed: FeedReader, expiry: bigint): Promise<FeedRound | null> {
  const latest = (await feed.getFunction("latestRoundData")()) as RoundData;
  return inForceAt(
    reader(feed),
    { roundId: latest[0], answer: latest[1], updatedAt: latest[3] },
    expiry,
    MAX_ROUNDS_BACK,
  );
}

/** `getRoundData` as a RoundReader: null when the call reverts or `updatedAt` is 0. */
function reader(feed: FeedReader): RoundReader {
  return async (roundId) => {
    try {
      const r = (await feed.getFunction("getRoundData")(roundId)) as RoundData;
      return r[3] === 0n ? null : { roundId, answer: r[1], updatedAt: r[3] };
    } catch {
      return null;
    }
  };
}

/** A batch price that is not the answer of the round in force at the batch timestamp (L1 would refuse it). */
export class PriceRoundError extends Error {
  readonly code = "PRICE_ROUND_NOT_IN_FORCE";
}

/**
 * The round behind each batch price, by the contract's rule for batch prices (TesseraRollup
 * `_checkPrices`, issue 14 F5): the batch's own round (`roundIds[i]`, the one the venue priced it
 * with) if L1 accepts it at `t` with `grace` (protocol/feedRounds.ts `usableAt`), else the round in
 * force at `t` (`roundInForceAt`) if it gives the same price. Throws PriceRoundError otherwise: a
 * batch L1 would refuse.
 */
export async function priceRoundsAt(
  feeds: readonly { readonly contract: FeedReader; readonly decimals: number }[],
  t: bigint,
  prices: readonly bigint[],
  roundIds: readonly bigint[] = [],
  grace = 0n,
  /** L1's maxOracleAge (seconds): a round older than this at `t` is refused (F14); null: not checked. */
  maxAge: bigint | null = null,
): Promise<bigint[]> {
  const fresh = (round: FeedRound, i: number): bigint => {
    if (maxAge !== null && t - round.updatedAt > maxAge)
      throw new PriceRoundError(
        `underlying ${i + 1}: round ${round.roundId} (updated at ${round.updatedAt}) is older than L1's maxOracleAge (${maxAge} s) at ${t}`,
      );
    return round.roundId;
  };
  return Promise.all(
    feeds.map(async (feed, i) => {
      const read = reader(feed.contract);
      const own = roundIds[i] === undefined || roundIds[i] === 0n ? null : await read(roundIds[i]);
      if (
        own !== null &&
        answerToCents(own.answer, feed.decimals) === prices[i] &&
        (await usableAt(read, own, t, grace))
      )
        return fresh(own, i);
      const round = await roundInForceAt(feed.contract, t);
      if (round === null) throw new PriceRoundError(`underlying ${i + 1}: no feed round in force at ${t}`);
      const cents = answerToCents(round.answer, feed.decimals);
      if (cents !== prices[i])
        throw new PriceRoundError(
          `underlying ${i + 1}: the round in force at ${t} (${round.roundId}) says ${cents} cents, the batch ${prices[i]}`,
        );
      return fresh(round, i);
    }),
  );
}

/** A feed answer with `decimals` decimals in cents: `⌊answer / 10^(decimals − 2)⌋` (§8.1). */
export function answerToCents(answer: bigint, decimals: number): bigint {
  if (answer < 0n) throw new RangeError(`negative oracle answer ${answer}`);
  return decimals >= 2 ? answer / 10n ** BigInt(decimals - 2) : answer * 10n ** BigInt(2 - decimals);
}

/**
 * The rollup's limits the venue must respect (issue 14 F14), read once at start: they are
 * immutable in the contract.
 */
export async function readL1Limits(rollupAddress: string, runner: ContractRunner): Promise<L1Limits> {
  const rollup = rollupContract(rollupAddress, runner);
  const read = async (name: string) => (await rollup.getFunction(name)()) as bigint;
  const [maxOracleAge, maxBatchLag, priceRoundGrace, forcedRequestDeadline] = await Promise.all([
    read("maxOracleAge"),
    read("maxBatchLag"),
    read("priceRoundGrace"),
    read("forcedRequestDeadline"),
  ]);
  return { maxOracleAge, maxBatchLag, priceRoundGrace, forcedRequestDeadline };
}

/** A feed read at `blockTag` (a confirmed block), as `roundInForceAt` and `priceRoundsAt` take it. */
export function feedAt(contract: Contract, blockTag: number | "latest"): FeedReader {
  return {
    getFunction:
      (name) =>
      (...args: bigint[]) =>
        contract.getFunction(name)(...args, { blockTag }),
  };
}

/** The rollup's `batchNumber()` `confirmations` blocks below the head: the batches final on L1. */
export async function readFinalBatchCount(
  rollupAddress: string,
  runner: ContractRunner,
  confirmations: number,
): Promise<bigint> {
  const provider = runner.provider;
  const head = provider === null || provider === undefined ? null : await provider.getBlockNumber();
  const blockTag = head === null ? "latest" : Math.max(0, head - confirmations);
  return (await rollupContract(rollupAddress, runner).getFunction("batchNumber")({ blockTag })) as bigint;
}
