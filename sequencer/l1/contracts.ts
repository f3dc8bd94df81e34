/**
 * The parts of the L1 contracts the sequencer calls (ethers v6, human-readable ABI): the
 * rollup's priority queue and `submitBatch` (contracts/interfaces/ITesseraRollup.sol) and the
 * Chainlink-style feeds (AggregatorV3Interface).
 */
import { Contract } from "ethers";
import type { ContractRunner } from "ethers";
import { roundInForceAt as inForceAt } from "../../protocol/feedRounds.ts";
import type { FeedRound } from "../../protocol/feedRounds.ts";

export type { FeedRound } from "../../protocol/feedRounds.ts";

export const ROLLUP_ABI = [
  "function priorityQueueLength() view returns (uint256)",
  "function priorityOp(uint256 queueIndex) view returns (tuple(uint256 f0, uint256 f1, address requester, uint64 queuedAt, bool refunded))",
  "function feeds() view returns (address[])",
  "function stateRoot() view returns (uint256)",
  "function submitBatch(tuple(uint256 newStateRoot, uint64 timestamp, uint256[] prices, uint80[] priceRoundIds, uint256[] settlements, uint80[] settlementRoundIds) header, uint256[] slots, uint256[8] proof)",
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
 * The round in force at `expiry`, by the contract's rule (TesseraRollup `_priceInForceAt`),
 * across Chainlink proxy phases (protocol/feedRounds.ts); null when no such round is within
 * `MAX_ROUNDS_BACK` rounds of the latest or the feed does not serve the older rounds.
 */
export async function roundInForceAt(feed: FeedReader, expiry: bigint): Promise<FeedRound | null> {
  const latest = (await feed.getFunction("latestRoundData")()) as RoundData;
  const read = async (roundId: bigint): Promise<FeedRound | null> => {
    try {
      const r = (await feed.getFunction("getRoundData")(roundId)) as RoundData;
      return r[3] === 0n ? null : { roundId, answer: r[1], updatedAt: r[3] };
    } catch {
      return null;
    }
  };
  return inForceAt(read, { roundId: latest[0], answer: latest[1], updatedAt: latest[3] }, expiry, MAX_ROUNDS_BACK);
}

/** A feed answer with `decimals` decimals in cents: `⌊answer / 10^(decimals − 2)⌋` (§8.1). */
export function answerToCents(answer: bigint, decimals: number): bigint {
  if (answer < 0n) throw new RangeError(`negative oracle answer ${answer}`);
  return decimals >= 2 ? answer / 10n ** BigInt(decimals - 2) : answer * 10n ** BigInt(2 - decimals);
}
