// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";

/// @title ITesseraRollup
/// @notice L1 side of the Tessera zk-rollup: account registry, deposits and forced withdrawals
/// (the priority queue), batch verification against the oracle feeds, pull payments of
/// withdrawals, and the escape hatch ("exodus"). docs/protocol.md is normative for every
/// encoding used here; docs/contracts.md describes the contract.
/// @dev Units: amounts in collateral base units (USDC, 6 decimals), prices in cents, time in unix
/// seconds. Field elements are uint256 values below the BN254 scalar field modulus.
interface ITesseraRollup {
    // ---------------------------------------------------------------- structs

    /// @notice Calldata of one batch, exactly as docs/protocol.md §8.1.
    struct BatchHeader {
        uint256 newStateRoot;
        uint64 timestamp;
        /// U prices in cents, underlying 1..U.
        uint256[] prices;
        /// U: the feed round that gives each price.
        uint80[] priceRoundIds;
        /// K packed settlement records `underlying | expiry << 8 | price << 40` (0 = unused).
        uint256[] settlements;
        /// K: the round in force at each record's expiry (0 if unused).
        uint80[] settlementRoundIds;
    }

    /// @notice Shape of the circuit the verifier was built for (circuits/profiles.json).
    struct Profile {
        /// Transaction slots per batch.
        uint16 nTx;
        /// Settlement records per batch (K).
        uint8 settlements;
        /// Depth of the binary account tree.
        uint8 accountDepth;
        /// Position slots per account (P, even, 2..16).
        uint8 positions;
    }

    /// @notice Constructor parameters.
    struct Config {
        /// The collateral token (USDC).
        IERC20 collateral;
        /// One feed per underlying; index u-1 is underlying u. Its length is U.
        AggregatorV3Interface[] feeds;
        /// Groth16 verifier of the profile (snarkjs-generated).
        address verifier;
        Profile profile;
        /// State root after genesis (docs/protocol.md §4), computed by protocol/.
        uint256 genesisStateRoot;
        /// L1 owner and trading-key hash of account 0 (fee account).
        address feeAccountOwner;
        uint256 feeAccountPkHash;
        /// L1 owner and trading-key hash of account 1 (insurance fund).
        address insuranceFundOwner;
        uint256 insuranceFundPkHash;
        /// Submits batches; rotatable by the admin.
        address operator;
        /// Can rotate the operator and nothing else.
        address admin;
        /// Maximum age (seconds) of the oracle round behind a batch price, relative to the batch timestamp.
        uint256 maxOracleAge;
        /// Seconds after which an unserved priority operation lets anyone activate the exodus.
        uint256 forcedRequestDeadline;
        /// Poseidon hashers by arity: index n-1 holds the circomlibjs `poseidon(uint256[n])` contract.
        /// Needed: n = 2, 5, 6, P/2 (if P > 2) and 1+2U; others may be zero.
        address[8] poseidonHashers;
    }

    /// @notice One L1 priority operation (deposit or forced withdrawal) waiting for a batch.
    struct PriorityOp {
        /// Public data word f0 the batch slot must carry (docs/protocol.md §7).
        uint256 f0;
        /// Public data word f1 (pkHash for deposits, 0 for forced withdrawals).
        uint256 f1;
        /// Who paid (deposits) or asked (forced withdrawals).
        address requester;
        /// Block timestamp at which it was queued.
        uint64 queuedAt;
        /// Deposit refunded during exodus.
        bool refunded;
    }

    // ---------------------------------------------------------------- events

    /// @notice Account `accountId` was registered for `owner` with trading-key hash `pkHash`.
    event AccountRegistered(uint256 indexed accountId, address indexed owner, uint256 pkHash);
    /// @notice A priority operation was appended to the queue at `queueIndex`.
    event PriorityOpQueued(uint256 indexed queueIndex, uint256 f0, uint256 f1, uint64 queuedAt);
    /// @notice `depositor` deposited `amount` into account `accountId` (queued at `queueIndex`).
    event DepositQueued(
        uint256 indexed queueIndex,
        uint256 indexed accountId,
        address indexed depositor,
        uint256 amount
    );
    /// @notice The owner of `accountId` asked to withdraw `amount` without the operator (queued at `queueIndex`).
    event ForcedWithdrawalRequested(uint256 indexed queueIndex, uint256 indexed accountId, uint256 amount);
    /// @notice Batch `batchNumber` moved the state from `oldStateRoot` to `newStateRoot`.
    event BatchVerified(
        uint256 indexed batchNumber,
        uint256 oldStateRoot,
        uint256 newStateRoot,
        uint64 timestamp,
        uint256 priorityOpsConsumed
    );
    /// @notice A withdrawal of batch `batchNumber` credited `amount` to `owner`'s claimable balance.
    event WithdrawalCredited(
        uint256 indexed batchNumber,
        uint256 indexed accountId,
        address indexed owner,
        uint256 amount,
        bool forced
    );
    /// @notice `amount` of claimable balance was paid to `owner`.
    event Claimed(address indexed owner, uint256 amount);
    /// @notice The exodus started because priority operation `queueIndex`, queued at `queuedAt`, was not served in time.
    event ExodusActivated(uint256 indexed queueIndex, uint64 queuedAt);
    /// @notice The unconsumed deposit at `queueIndex` was refunded to `depositor`.
    event DepositRefunded(uint256 indexed queueIndex, address indexed depositor, uint256 amount);
    /// @notice Account `accountId` exited with `equity` (signed) and was paid `payout`.
    event Exited(uint256 indexed accountId, address indexed owner, int256 equity, uint256 payout);
    /// @notice The admin replaced the operator.
    event OperatorChanged(address indexed previousOperator, address indexed newOperator);

    // ---------------------------------------------------------------- errors

    /// @notice A constructor parameter is invalid; `field` names it.
    error InvalidConfig(string field);
    /// @notice The caller is not the operator.
    error NotOperator(address caller);
    /// @notice The operation is not allowed once the exodus is active.
    error ExodusIsActive();
    /// @notice The operation needs the exodus to be active.
    error ExodusNotActive();
    /// @notice A trading-key hash must be a nonzero field element.
    error InvalidPkHash(uint256 pkHash);
    /// @notice Every account id of the tree is taken.
    error AccountTreeFull(uint256 capacity);
    /// @notice No account `accountId` is registered.
    error UnknownAccount(uint256 accountId);
    /// @notice Deposit and withdrawal amounts are in `[1, 2^56)`.
    error InvalidAmount(uint256 amount);
    /// @notice Only the owner of `accountId` may do this.
    error NotAccountOwner(uint256 accountId, address caller);
    /// @notice Array lengths of the batch do not match the profile.
    error BadBatchShape(
        uint256 prices,
        uint256 priceRoundIds,
        uint256 settlements,
        uint256 settlementRoundIds,
        uint256 slots
    );
    /// @notice The batch timestamp is earlier than the previous batch's.
    error TimestampBeforeLastBatch(uint64 timestamp, uint64 lastBatchTimestamp);
    /// @notice The batch timestamp is later than the block's.
    error TimestampInFuture(uint64 timestamp, uint256 blockTimestamp);
    /// @notice The feed round does not exist or its answer is not positive.
    error InvalidOracleRound(uint256 underlying, uint80 roundId, int256 answer, uint256 updatedAt);
    /// @notice The feed round was updated after the batch timestamp.
    error OracleRoundAfterBatch(uint256 underlying, uint80 roundId, uint256 updatedAt, uint64 timestamp);
    /// @notice The feed round is older than `maxOracleAge` at the batch timestamp.
    error StaleOraclePrice(uint256 underlying, uint80 roundId, uint256 updatedAt, uint64 timestamp);
    /// @notice The batch price of `underlying` is not the feed's answer in cents.
    error OraclePriceMismatch(uint256 underlying, uint80 roundId, uint256 expected, uint256 given);
    /// @notice A settlement record has a bad underlying, bits above 80, or an expiry after the batch.
    error InvalidSettlementRecord(uint256 index, uint256 record);
    /// @notice `roundId` is not the round in force at `expiry` (updated after it, or a later round was updated at or before it).
    error RoundNotInForceAtExpiry(uint256 underlying, uint80 roundId, uint256 expiry);
    /// @notice The settlement price is not the answer in force at expiry, in cents.
    error SettlementPriceMismatch(uint256 index, uint256 expected, uint256 given);
    /// @notice The verifier rejected the proof (or the public inputs do not match it).
    error InvalidProof();
    /// @notice Slot `slot` carries a priority operation but the queue has none left.
    error PriorityQueueExhausted(uint256 slot);
    /// @notice Slot `slot` does not carry the priority operation at `queueIndex`.
    error PriorityOpMismatch(uint256 slot, uint256 queueIndex, uint256 expectedF0, uint256 f0);
    /// @notice `owner` has nothing to claim.
    error NothingToClaim(address owner);
    /// @notice No priority operation is waiting.
    error NoPendingPriorityOp();
    /// @notice The oldest waiting priority operation becomes overdue only after `overdueAt`.
    error ExodusTooEarly(uint256 queueIndex, uint256 overdueAt);
    /// @notice Queue entry `queueIndex` is not an unconsumed, unrefunded deposit.
    error NotRefundable(uint256 queueIndex);
    /// @notice Account `accountId` already exited.
    error AlreadyExited(uint256 accountId);
    /// @notice Array lengths of the exit proof do not match the profile.
    error BadExitProofShape();
    /// @notice The leaf's owner is not the registry's owner of the account.
    error LeafOwnerMismatch(uint256 accountId, uint256 leafOwner, address registryOwner);
    /// @notice The exit proof does not lead to the last verified state root.
    error ExitProofMismatch(uint256 computedRoot, uint256 stateRoot);
    /// @notice A Poseidon hasher call failed.
    error HasherFailed(uint256 arity);
    /// @notice A hash input is not below the BN254 scalar field modulus.
    error NotAFieldElement(uint256 value);

    // ---------------------------------------------------------------- accounts and priority queue

    /// @notice Registers the next account id (from 2) for `msg.sender` with trading-key hash `pkHash`.
    /// @param pkHash Poseidon hash of the trading public key, a nonzero field element.
    /// @return accountId The new account id.
    function register(uint256 pkHash) external returns (uint256 accountId);

    /// @notice Pulls `amount` collateral from `msg.sender` and queues a deposit into `accountId`.
    /// @param accountId A registered account (any depositor may fund any account).
    /// @param amount Collateral base units, in `[1, 2^56)`.
    /// @return queueIndex Position of the deposit in the priority queue.
    function deposit(uint256 accountId, uint256 amount) external returns (uint256 queueIndex);

    /// @notice `register(pkHash)` then `deposit(accountId, amount)`.
    function registerAndDeposit(
        uint256 pkHash,
        uint256 amount
    ) external returns (uint256 accountId, uint256 queueIndex);

    /// @notice Queues a forced withdrawal of `amount` from `accountId`; only its owner may ask.
    /// The next batches must serve it (or prove it refused) before `forcedRequestDeadline`.
    function requestForcedWithdrawal(uint256 accountId, uint256 amount) external returns (uint256 queueIndex);

    // ---------------------------------------------------------------- batches

    /// @notice Verifies and applies one batch. Operator only, not during exodus.
    /// @param header New root, timestamp, oracle prices and settlement records (docs/protocol.md §8.1).
    /// @param slots `f0, f1` of every slot (2·nTx words).
    /// @param proof Groth16 proof `[a0, a1, b00, b01, b10, b11, c0, c1]` (protocol/proof.ts `packProof`).
    function submitBatch(BatchHeader calldata header, uint256[] calldata slots, uint256[8] calldata proof) external;

    /// @notice The public-input array the verifier would receive for this batch against the current root.
    /// Checks only the array shapes, not the oracle.
    function publicInputs(
        BatchHeader calldata header,
        uint256[] calldata slots
    ) external view returns (uint256[] memory);

    // ---------------------------------------------------------------- payments

    /// @notice Pays `owner` its whole claimable balance. Anyone may trigger it; the funds go to `owner`.
    function claim(address owner) external returns (uint256 amount);

    // ---------------------------------------------------------------- exodus

    /// @notice Starts the exodus if the oldest waiting priority operation is older than `forcedRequestDeadline`.
    function activateExodus() external;

    /// @notice During exodus, refunds the unconsumed deposit at `queueIndex` to its depositor.
    function refundDeposit(uint256 queueIndex) external;

    /// @notice During exodus, pays account `accountId`'s equity at the last verified batch to its owner, once.
    /// @param accountId The exiting account.
    /// @param leafPreimage `[pkHash, owner, collateral, orderRoot, inst_0, size_0, cost_0, ..., inst_{P-1}, size_{P-1}, cost_{P-1}]`
    /// (signed values field-encoded).
    /// @param siblings The account's Merkle path, bottom-up (accountDepth words).
    /// @param globalPreimage `[feePool, fundingIndex_1..U, lastFundingTime_1..U]` (fundingIndex field-encoded).
    /// @param settlementRoundIds Per position slot: for an option expired at the last batch, the feed
    /// round in force at its expiry; otherwise ignored.
    function exit(
        uint256 accountId,
        uint256[] calldata leafPreimage,
        uint256[] calldata siblings,
        uint256[] calldata globalPreimage,
        uint80[] calldata settlementRoundIds
    ) external;

    // ---------------------------------------------------------------- views

    /// @notice Number of priority operations ever queued (consumed or not).
    function priorityQueueLength() external view returns (uint256);

    /// @notice The priority operation at `queueIndex`.
    function priorityOp(uint256 queueIndex) external view returns (PriorityOp memory);

    /// @notice The oracle feeds; index u-1 is underlying u.
    function feeds() external view returns (AggregatorV3Interface[] memory);

    /// @notice Prices (cents) of the last verified batch, index u-1 for underlying u; zeros before the first batch.
    function lastPrices() external view returns (uint256[] memory);

    // ---------------------------------------------------------------- admin

    /// @notice Replaces the operator. Admin only; the admin has no other power.
    function setOperator(address newOperator) external;
}
