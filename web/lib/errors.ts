/**
 * Every error the app shows, in plain words. Codes come from the protocol (docs/protocol.md
 * §10), the sequencer (sequencer/errors.ts), the contracts (custom errors) and the wallet.
 */
import { BaseError, ContractFunctionRevertedError, UserRejectedRequestError } from "viem";
import { ApiError } from "./api.ts";
import { AmountInputError, formatUsdc } from "./format.ts";
import { DeploymentError } from "./deployment.ts";
import { RebuildError } from "../../protocol/rebuild.ts";

const MESSAGES: Readonly<Record<string, string>> = {
  // protocol rules
  BAD_SIGNATURE: "The order's signature does not match your trading key. Unlock trading again and retry.",
  MARGIN: "Not enough margin: this order would take your account below its initial margin.",
  REDUCE_ONLY: "A reduce-only order can only shrink your position, and this one would not.",
  POST_ONLY_TAKER: "A post-only order would have traded immediately, so it was not placed.",
  PRICE_LIMIT: "The price moved past your limit.",
  ORDER_EXPIRED: "The order expired before it could be filled.",
  INSTRUMENT_EXPIRED: "This option has expired and can no longer be traded.",
  NO_POSITION_SLOT: "Your account holds the maximum number of positions. Close one to open another.",
  INSUFFICIENT_FREE_COLLATERAL: "You cannot withdraw that much: the rest of your collateral backs open positions.",
  BAD_MESSAGE: "The withdrawal message was malformed, so the exchange refused it. Reload the page and retry.",
  KEY_MISMATCH: "This trading key is not your account's key. Lock and unlock trading with the wallet that owns it.",
  NEGATIVE_COLLATERAL: "This would leave your account with negative cash and no position.",
  OVERFILL: "The order is already filled.",
  ORDER_SLOT_REUSED: "A newer order replaced this one in your order tree.",
  SELF_TRADE: "The order would have traded against your own order.",
  UNKNOWN_ACCOUNT: "The exchange does not know this account yet: your deposit is still waiting for a batch.",
  // sequencer
  UNREACHABLE: "The exchange server is not responding. Prices may be stale; check your connection.",
  RATE_LIMITED: "Too many requests. Wait a moment and try again.",
  ORDER_SLOT_BUSY: "Too many open orders share an order slot. Cancel an order and retry.",
  DUPLICATE_ORDER_ID: "That order id was already used. Retry to pick a new one.",
  ORDER_ID_WINDOW:
    "The order id was too far above your account's earlier ones for the exchange to record it. Retry: the app asks the exchange for a fresh one.",
  TICK_SIZE: "The price must be a multiple of the market's tick size.",
  LOT_SIZE: "The size must be a multiple of the market's lot size.",
  MIN_SIZE: "The size is below the market's minimum order size.",
  MIN_WITHDRAWAL: "The withdrawal is below the venue's minimum: withdraw more, or everything once no position is open.",
  MIN_NOTIONAL: "The order is below the venue's minimum order value (size × price): enlarge it.",
  NO_FUND_CAPACITY:
    "Nobody holds this market yet, and the insurance fund has no room to back a new one: the order can rest without crossing, or retry once the operator adds insurance fund capacity.",
  MAX_SIZE: "The size is above the largest order the exchange takes (429,496.7295 units).",
  MAX_PRICE: "The price is above the largest price the exchange takes (42,949,672.95 USD).",
  POST_ONLY_WOULD_CROSS: "A post-only order would have traded immediately, so it was not placed.",
  FOK_UNFILLED: "Fill-or-kill: the book could not fill the whole order, so nothing was traded.",
  UNAVAILABLE: "The exchange is temporarily unavailable.",
  // contracts
  FaucetCooldown: "The faucet gives test USDC once an hour per address. Try again later.",
  ExodusIsActive: "The rollup is in exodus mode: only exits and refunds are possible.",
  ExodusNotActive: "Exits open only once the exodus has been activated.",
  NothingToClaim: "Nothing to claim yet: withdrawals become claimable once their batch is verified on L1.",
  InvalidAmount: "The amount must be positive and below 2^56 base units.",
  CollateralShortfall:
    "The collateral token took a fee on this transfer, so less than the amount would reach the rollup. The deposit was refused and nothing moved.",
  InvalidRecipient:
    "That address cannot receive the claim: choose another of your addresses (not the zero address, not the rollup).",
  NotAccountOwner: "Only the wallet that owns this account can do that.",
  TooManyForcedRequests:
    "This account already has 4 forced requests waiting on L1. Each one served frees a place; the operator must serve them within the deadline or the exodus opens.",
  DepositQueueFull:
    "The L1 deposit queue is full: the rollup holds at most 64 batches' worth of deposits waiting. Each batch frees places; try again in a few minutes.",
  InsuranceFundAccount: "Insurance fund accounts cannot be forced closed.",
  InvalidInstrument: "That is not a valid instrument id.",
  NotAnExpiredOption: "Only an option series whose expiry has passed can be settled by force.",
  ExodusTooEarly: "The oldest waiting request is not overdue yet, so the exodus cannot start.",
  NoPendingPriorityOp: "No request is waiting in the L1 queue, so the exodus cannot start.",
  AlreadyExited: "This account has already exited.",
  ExitProofMismatch:
    "The exit proof does not match the rollup's last verified state root: a batch was verified after it was built. Try again.",
  LeafOwnerMismatch: "The account in the exit proof belongs to another owner.",
  BadExitProofShape: "The exit proof has the wrong shape for this rollup: the app's profile is not the rollup's.",
  RoundNotInForceAtExpiry: "The oracle round given for an expired option was not the one in force at its expiry.",
  ERC20InsufficientBalance: "Your wallet does not hold that much USDC.",
  ERC20InsufficientAllowance: "Approve the rollup to move that much USDC first.",
};

/**
 * The Solidity custom error named in a wallet's or node's revert message (for example Hardhat's
 * "reverted with custom error 'FaucetCooldown(...)'"), when the wallet did not pass the revert
 * data through in a form viem decodes.
 */
function customErrorName(message: string): string | null {
  const match = /custom error '?([A-Za-z_][A-Za-z0-9_]*)\(/.exec(message);
  return match === null ? null : match[1]!;
}

/** The sentence for a stable error code, or `fallback` for a code without one. */
export function explainCode(code: string, fallback: string): string {
  return MESSAGES[code] ?? fallback;
}

/**
 * A refused withdrawal in plain words; when the amount was above the free collateral, says how
 * much is free (`freeCollateral`, USDC base units, null when unknown).
 */
export function explainWithdrawal(error: unknown, freeCollateral: bigint | null): string {
  if (error instanceof ApiError && error.code === "INSUFFICIENT_FREE_COLLATERAL" && freeCollateral !== null) {
    const free = freeCollateral > 0n ? freeCollateral : 0n;
    return `You cannot withdraw that much: ${formatUsdc(free)} USDC is free, the rest of your collateral backs open positions.`;
  }
  return explain(error);
}

/** Why a verified batch could not be replayed, in plain words (protocol/rebuild.ts). */
function explainRebuild(error: RebuildError): string {
  const where = `batch ${error.batchNumber}${error.slot === undefined ? "" : `, transaction ${error.slot + 1}`}`;
  switch (error.code) {
    case "BAD_CALLDATA":
    case "UNKNOWN_TX_TYPE":
      return `The data of verified ${where} is not in a format this app understands. Update the app and retry.`;
    case "TX_REJECTED":
    case "PUBDATA_MISMATCH":
    case "ROOT_MISMATCH":
      return `Replaying verified ${where} from L1 gave a different state than the one proven on chain, so no exit proof can be built here. The app's rules may be out of date: update it and retry.`;
  }
}

/** A person-readable sentence for any error the app can meet. */
export function explain(error: unknown): string {
  if (error instanceof RebuildError) return explainRebuild(error);
  if (error instanceof ApiError) return MESSAGES[error.code] ?? error.message;
  if (error instanceof AmountInputError || error instanceof DeploymentError) return error.message;
  if (error instanceof BaseError) {
    if (error.walk((e) => e instanceof UserRejectedRequestError) !== null)
      return "You declined the request in your wallet.";
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) {
      const name = revert.data?.errorName;
      if (name !== undefined) return MESSAGES[name] ?? `The contract refused the transaction (${name}).`;
      return revert.reason ?? "The contract refused the transaction.";
    }
    const named = customErrorName(error.message);
    if (named !== null) return MESSAGES[named] ?? `The contract refused the transaction (${named}).`;
    if (/connect|fetch|network|HTTP request failed/i.test(error.shortMessage)) {
      return "The blockchain node is not reachable. Is the local chain running?";
    }
    return error.shortMessage;
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && MESSAGES[code] !== undefined) return MESSAGES[code];
    const named = customErrorName(error.message);
    if (named !== null) return MESSAGES[named] ?? `The contract refused the transaction (${named}).`;
    return error.message;
  }
  return "Something went wrong.";
}
