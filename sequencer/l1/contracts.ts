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
] as const;

export function rollupContract(address: string, runner: ContractRunner): Contract {
  return new Contract(address, ROLLUP_ABI, runner);
}

export function feedContract(address: string, runner: ContractRunner): Contract {
  return new Contract(address, FEED_ABI, runner);
}

/** A feed answer with `decimals` decimals in cents: `⌊answer / 10^(decimals − 2)⌋` (§8.1). */
export function answerToCents(answer: bigint, decimals: number): bigint {
  if (answer < 0n) throw new RangeError(`negative oracle answer ${answer}`);
  return decimals >= 2 ? answer / 10n ** BigInt(decimals - 2) : answer * 10n ** BigInt(2 - decimals);
}
