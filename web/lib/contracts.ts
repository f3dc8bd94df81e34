/**
 * The L1 contracts the app calls, as typed viem ABIs: TesseraRollup (contracts/TesseraRollup.sol,
 * interface contracts/interfaces/ITesseraRollup.sol) and TestUSDC (contracts/token/TestUSDC.sol).
 * Only the members the app uses are listed; the names and types are copied from the Solidity
 * sources and must change with them.
 */
import { parseAbi } from "viem";

export const rollupAbi = parseAbi([
  "struct BatchHeader { uint256 newStateRoot; uint64 timestamp; uint256[] prices; uint80[] priceRoundIds; uint256[] settlements; uint80[] settlementRoundIds; }",
  "struct PriorityOp { uint256 f0; uint256 f1; address requester; uint64 queuedAt; bool refunded; }",
  "event AccountRegistered(uint256 indexed accountId, address indexed owner, uint256 pkHash)",
  "event DepositQueued(uint256 indexed queueIndex, uint256 indexed accountId, address indexed depositor, uint256 amount)",
  "event ForcedWithdrawalRequested(uint256 indexed queueIndex, uint256 indexed accountId, uint256 amount)",
  "event BatchVerified(uint256 indexed batchNumber, uint256 oldStateRoot, uint256 newStateRoot, uint64 timestamp, uint256 priorityOpsConsumed)",
  "event WithdrawalCredited(uint256 indexed batchNumber, uint256 indexed accountId, address indexed owner, uint256 amount, bool forced)",
  "event Claimed(address indexed owner, uint256 amount)",
  "event ExodusActivated(uint256 indexed queueIndex, uint64 queuedAt)",
  "event Exited(uint256 indexed accountId, address indexed owner, int256 equity, uint256 payout)",
  "function register(uint256 pkHash) returns (uint256 accountId)",
  "function deposit(uint256 accountId, uint256 amount) returns (uint256 queueIndex)",
  "function registerAndDeposit(uint256 pkHash, uint256 amount) returns (uint256 accountId, uint256 queueIndex)",
  "function requestForcedWithdrawal(uint256 accountId, uint256 amount) returns (uint256 queueIndex)",
  "function submitBatch(BatchHeader header, uint256[] slots, uint256[8] proof)",
  "function claim(address owner) returns (uint256 amount)",
  "function activateExodus()",
  "function refundDeposit(uint256 queueIndex)",
  "function exit(uint256 accountId, uint256[] leafPreimage, uint256[] siblings, uint256[] globalPreimage, uint80[] settlementRoundIds)",
  "function priorityQueueLength() view returns (uint256)",
  "function priorityOp(uint256 queueIndex) view returns (PriorityOp)",
  "function lastPrices() view returns (uint256[])",
  "function feeds() view returns (address[])",
  "function domain() view returns (uint256)",
  "function stateRoot() view returns (uint256)",
  "function batchNumber() view returns (uint256)",
  "function lastBatchTimestamp() view returns (uint64)",
  "function l2Custody() view returns (uint256)",
  "function accountOwner(uint256 accountId) view returns (address)",
  "function accountPkHash(uint256 accountId) view returns (uint256)",
  "function queueHead() view returns (uint256)",
  "function claimable(address owner) view returns (uint256)",
  "function exodus() view returns (bool)",
  "function exited(uint256 accountId) view returns (bool)",
  "function forcedRequestDeadline() view returns (uint256)",
  "error FaucetCooldown(address account, uint256 availableAt)",
  "error ExodusIsActive()",
  "error ExodusNotActive()",
  "error UnknownAccount(uint256 accountId)",
  "error InvalidAmount(uint256 amount)",
  "error NotAccountOwner(uint256 accountId, address caller)",
  "error NothingToClaim(address owner)",
  "error NoPendingPriorityOp()",
  "error ExodusTooEarly(uint256 queueIndex, uint256 overdueAt)",
  "error AlreadyExited(uint256 accountId)",
  "error BadExitProofShape()",
  "error LeafOwnerMismatch(uint256 accountId, uint256 leafOwner, address registryOwner)",
  "error ExitProofMismatch(uint256 computedRoot, uint256 stateRoot)",
  "error RoundNotInForceAtExpiry(uint256 underlying, uint80 roundId, uint256 expiry)",
  "error InvalidPkHash(uint256 pkHash)",
  "error AccountTreeFull(uint256 capacity)",
]);

/** The Chainlink-style price feeds the rollup reads (AggregatorV3Interface). */
export const feedAbi = parseAbi([
  "function latestRoundData() view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)",
  "function getRoundData(uint80 roundId) view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)",
]);

export const usdcAbi = parseAbi([
  "function faucet()",
  "function FAUCET_AMOUNT() view returns (uint256)",
  "function lastFaucetAt(address account) view returns (uint256)",
  "function balanceOf(address account) view returns (uint256)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function approve(address spender, uint256 amount) returns (bool)",
  "error FaucetCooldown(address account, uint256 availableAt)",
  "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
  "error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)",
]);
