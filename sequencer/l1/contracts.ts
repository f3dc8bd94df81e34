/**
 * The parts of the L1 contracts the sequencer calls (ethers v6, human-readable ABI): the
 * rollup's priority queue and `submitBatch` (contracts/interfaces/ITesseraRollup.sol) and the
 * Chainlink-style feeds (AggregatorV3Interface).
 */
import { Contract } from "ethers";
import type { ContractRunner } from "ethers";

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

/** A feed round: its id, raw answer and update time (unix seconds). */
export interface FeedRound {
  readonly roundId: bigint;
  readonly answer: bigint;
  readonly updatedAt: bigint;
}

/** The part of a feed contract `roundInForceAt` reads (an ethers `Contract` of FEED_ABI). */
export interface FeedReader {
  getFunction(name: "latestRoundData" | "getRoundData"): (...args: bigint[]) => Promise<unknown>;
}

/** How far back `roundInForceAt` walks from the latest round before giving up. */
const MAX_ROUNDS_BACK = 1024;

/**
 * The round in force at `expiry`, by the contract's rule (TesseraRollup `_priceInForceAt`):
 * updated at or before `expiry`, with the next round (if any) updated after it. Walks back
 * from the latest round; null when no such round is within `MAX_ROUNDS_BACK` rounds or the
 * feed does not serve the older rounds.
 */
export async function roundInForceAt(feed: FeedReader, expiry: bigint): Promise<FeedRound | null> {
  type RoundData = [bigint, bigint, bigint, bigint, bigint];
  const latest = (await feed.getFunction("latestRoundData")()) as RoundData;
  let round: FeedRound = { roundId: latest[0], answer: latest[1], updatedAt: latest[3] };
  for (let i = 0; i < MAX_ROUNDS_BACK; i++) {
    if (round.updatedAt !== 0n && round.updatedAt <= expiry) return round;
    if (round.roundId <= 1n) return null;
    let r: RoundData;
    try {
      r = (await feed.getFunction("getRoundData")(round.roundId - 1n)) as RoundData;
    } catch {
      return null;
    }
    round = { roundId: round.roundId - 1n, answer: r[1], updatedAt: r[3] };
  }
  return null;
}

/** A feed answer with `decimals` decimals in cents: `⌊answer / 10^(decimals − 2)⌋` (§8.1). */
export function answerToCents(answer: bigint, decimals: number): bigint {
  if (answer < 0n) throw new RangeError(`negative oracle answer ${answer}`);
  return decimals >= 2 ? answer / 10n ** BigInt(decimals - 2) : answer * 10n ** BigInt(2 - decimals);
}
