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

    /// @notice Calldata of one batch, exactly as docs/protocol.md §8.1. The slots' public data
    /// travels beside it as packed bytes (`submitBatch`'s `slots`).
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
        /// I instrument-table words: the instrument ids the batch's trades and liquidations name by
        /// their 8-bit index (docs/protocol.md §7), each below 2^88 (11 bytes in the commitment).
        /// The contract checks only their count and width; the proof binds them.
        uint256[] instruments;
        /// D deposit records, 2·D words: record j is `(owner_j, pkHash_j)` at words 2j (the L1
        /// address as a uint160) and 2j+1. Record k belongs to the batch's k-th deposit slot (slot
        /// order, from 0); the records after the last deposit slot are (0, 0).
        uint256[] deposits;
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
        /// Deposit records per batch (D, 1..nTx): at most D deposit slots per batch.
        uint8 deposits;
        /// Instrument-table entries per batch (I, 1..255): a batch's trades and liquidations name at
        /// most I distinct instruments.
        uint8 instruments;
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
        /// Maximum seconds between a batch's timestamp and the block that accepts it.
        uint256 maxBatchLag;
        /// Seconds a price round stays usable after the next round was updated (0: only the round in
        /// force at the batch time), at most `maxOracleAge`; covers the venue's oracle polling delay.
        uint256 priceRoundGrace;
        /// Seconds a queued feed change waits before it can execute; more than `forcedRequestDeadline`.
        uint256 feedChangeDelay;
        /// Seconds after the exodus activation in which owners register their exit equity.
        uint256 exitClaimWindow;
        /// Poseidon hashers by arity: index n-1 holds the circomlibjs `poseidon(uint256[n])` contract.
        /// Needed: n = 2, 5, 6, P/2 (if P > 2) and 1+2U; others may be zero.
        address[8] poseidonHashers;
    }

    /// @notice One L1 priority operation (deposit, forced withdrawal or forced close) waiting for a batch.
    struct PriorityOp {
        /// Public data word f0 the batch slot must carry (docs/protocol.md §7), its outcome bits 0:
        /// `1 | accountId << 4 | amount << 28 | owner << 84` (deposit), `3 | accountId << 4`
        /// (forced withdrawal), `9 | accountId << 4 | instrument << 28 | settlement << 110`
        /// (forced close or settlement; the slot adds `served` at bit 111), account ids in 24 bits,
        /// instruments in 82. A deposit's owner is not in the slot: the slot carries the low 84
        /// bits, the batch's deposit record the owner.
        uint256 f0;
        /// pkHash for deposits (carried by the batch's deposit record, the slot's f1 is 0), the
        /// requested amount for forced withdrawals (the slot's f1), 0 for forced closes (the
        /// slot's f1 is the insurance fund account the operator picks, not compared).
        uint256 f1;
        /// Who paid (deposits) or asked (forced withdrawals).
        address requester;
        /// Block timestamp at which it was queued.
        uint64 queuedAt;
        /// Deposit refunded during exodus.
        bool refunded;
        /// Operations queued before it and not yet consumed when it was queued (at most 2^24 − 1):
        /// each moves its deadline later by `⌈forcedRequestDeadline / (DEPOSIT_QUEUE_BATCHES · nTx)⌉`
        /// (`overdueAt`).
        uint24 ahead;
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
    /// @notice A forced close (`settlement` false) or a forced settlement (`settlement` true) of account
    /// `accountId`'s position in `instrument`, both asked by its owner, was queued at `queueIndex`.
    event ForcedCloseRequested(
        uint256 indexed queueIndex,
        uint256 indexed accountId,
        uint256 instrument,
        bool settlement
    );
    /// @notice Batch `batchNumber` served the forced close queued at `queueIndex`: `served` (the position
    /// was closed or settled, `insuranceAccount` taking it or absorbing a shortfall) or refused (the
    /// account held no position in `instrument`, proven). Read from the slot (docs/protocol.md §7):
    /// `instrument` at bits 28..110 of f0, `served` at bit 111, `insuranceAccount` the low 24 bits of f1.
    event ForcedCloseServed(
        uint256 indexed batchNumber,
        uint256 indexed queueIndex,
        uint256 indexed accountId,
        uint256 instrument,
        bool served,
        uint256 insuranceAccount
    );
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
    /// @notice An exodus payment (an exit payout, a deposit refund) the token refused to send to
    /// `owner` (a frozen address) was added to `owner`'s claimable balance instead (`claimTo`).
    event PayoutCredited(address indexed owner, uint256 amount);
    /// @notice The exodus started because priority operation `queueIndex`, queued at `queuedAt`, was not served in time.
    event ExodusActivated(uint256 indexed queueIndex, uint64 queuedAt);
    /// @notice The unconsumed deposit at `queueIndex` was refunded to `depositor`.
    event DepositRefunded(uint256 indexed queueIndex, address indexed depositor, uint256 amount);
    /// @notice Account `accountId` exited with `equity` (signed) and was paid `payout`.
    event Exited(uint256 indexed accountId, address indexed owner, int256 equity, uint256 payout);
    /// @notice The admin replaced the operator.
    event OperatorChanged(address indexed previousOperator, address indexed newOperator);
    /// @notice A batch fixed the settlement price of the series of `underlying` expiring at `expiry`.
    event SettlementPriceFixed(uint256 indexed underlying, uint256 indexed expiry, uint256 price);
    /// @notice The admin queued a change of the feed of `underlying` to `feed`, executable from `executableAt`.
    event FeedChangeQueued(uint256 indexed underlying, address feed, uint256 executableAt);
    /// @notice The admin cancelled the queued feed change of `underlying`.
    event FeedChangeCancelled(uint256 indexed underlying, address feed);
    /// @notice The feed of `underlying` changed from `previousFeed` to `newFeed`.
    event FeedChanged(uint256 indexed underlying, address previousFeed, address newFeed);
    /// @notice Account `accountId` registered `equity` (signed) for the pro-rata exodus payout.
    event ExitRegistered(uint256 indexed accountId, address indexed owner, int256 equity);

    // ---------------------------------------------------------------- errors

    /// @notice A constructor parameter is invalid; `field` names it.
    error InvalidConfig(string field);
    /// @notice The caller is not the operator.
    error NotOperator(address caller);
    /// @notice `submitBatch` was reached through a contract (or from an account with code): the
    /// batch's data must be the top-level calldata of an operator transaction, where every exit
    /// tool reads it (docs/contracts.md, "Batches").
    error NotDirectCall(address caller, address origin);
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
    /// @notice A forced close or settlement names instrument 0 or one of more than 82 bits.
    error InvalidInstrument(uint256 instrument);
    /// @notice A forced settlement names a perpetual or an option whose expiry is still ahead.
    error NotAnExpiredOption(uint256 instrument, uint256 expiry);
    /// @notice Insurance fund accounts (account 1's owner and key) are not force-closed.
    error InsuranceFundAccount(uint256 accountId);
    /// @notice The account already has MAX_OPEN_FORCED_REQUESTS forced requests waiting to be served.
    error TooManyForcedRequests(uint256 accountId, uint256 open);
    /// @notice `queued` deposits already wait unconsumed, the most the queue holds (`max`, D · 64):
    /// wait for the next batches to consume some.
    error DepositQueueFull(uint256 queued, uint256 max);
    /// @notice Array lengths of the batch do not match the profile (`instruments`: words of the
    /// instrument table, I; `deposits`: words of the deposit table, 2·D; `slotBytes`: the length
    /// of `slots`, which must be 24·nTx).
    error BadBatchShape(
        uint256 prices,
        uint256 priceRoundIds,
        uint256 settlements,
        uint256 settlementRoundIds,
        uint256 instruments,
        uint256 deposits,
        uint256 slotBytes
    );
    /// @notice The batch timestamp is earlier than the previous batch's.
    error TimestampBeforeLastBatch(uint64 timestamp, uint64 lastBatchTimestamp);
    /// @notice The batch timestamp is later than the block's.
    error TimestampInFuture(uint64 timestamp, uint256 blockTimestamp);
    /// @notice The batch timestamp is more than `maxBatchLag` seconds before the block's.
    error BatchTooOld(uint64 timestamp, uint256 blockTimestamp, uint256 maxBatchLag);
    /// @notice A later round (`nextRoundId`, updated at `nextUpdatedAt`) was in force at the batch
    /// timestamp for longer than `priceRoundGrace`.
    error OracleRoundSuperseded(
        uint256 underlying,
        uint80 roundId,
        uint80 nextRoundId,
        uint256 nextUpdatedAt,
        uint64 timestamp
    );
    /// @notice The price round of `underlying` is older than the one the previous batch used.
    error OracleRoundBackwards(uint256 underlying, uint80 roundId, uint80 lastRoundId);
    /// @notice Public-data word `index` is not below the BN254 scalar field modulus.
    error PublicInputNotInField(uint256 index, uint256 value);
    /// @notice Public-data word `index` does not fit the `bits` its commitment width holds (t: 32,
    /// a price: 40, a settlement record: 80, an instrument-table word: 88, a deposit record's
    /// owner: 160).
    error PublicDataTooWide(uint256 index, uint256 value, uint256 bits);
    /// @notice Settlement records are not canonical at `index`: nonzero records first, keys
    /// `underlying | expiry << 8` strictly increasing, zeros after the first zero.
    error NonCanonicalSettlements(uint256 index, uint256 record);
    /// @notice The settlement price of this series was fixed by an earlier batch at `fixedPrice`.
    error SettlementPriceAlreadyFixed(uint256 underlying, uint256 expiry, uint256 fixedPrice, uint256 given);
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
    /// @notice Slot `slot` does not carry the priority operation at `queueIndex` (`expectedF0`: the
    /// f0 the slot should carry, its outcome bits 0; a deposit's without the owner).
    error PriorityOpMismatch(uint256 slot, uint256 queueIndex, uint256 expectedF0, uint256 f0);
    /// @notice Deposit record `record` (owner, pkHash) is not the owner and key of the deposit
    /// queued for slot `slot`, the batch's `record`-th deposit slot.
    error DepositRecordMismatch(uint256 slot, uint256 record);
    /// @notice Slot `slot` is a deposit beyond the `limit` (D) deposit records of a batch.
    error TooManyDeposits(uint256 slot, uint256 limit);
    /// @notice Deposit record `record` belongs to no deposit slot of the batch and is not (0, 0).
    error UnusedDepositRecordNotZero(uint256 record);
    /// @notice `owner` has nothing to claim.
    error NothingToClaim(address owner);
    /// @notice A deposit of `amount` brought the rollup only `received` (a token that takes a fee on
    /// transfer): crediting `amount` would back the L2 state with collateral the rollup does not hold.
    error CollateralShortfall(uint256 amount, uint256 received);
    /// @notice A claim to the zero address, or to the rollup itself (the funds would stay, owed to nobody).
    error InvalidRecipient(address to);
    /// @notice No priority operation waits at the queue index given (consumed, or never queued).
    error NoPendingPriorityOp();
    /// @notice The waiting priority operation `queueIndex` becomes overdue only after `overdueAt`.
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
    /// @notice `underlying` is not in 1..U.
    error UnknownUnderlying(uint256 underlying);
    /// @notice A feed change of `underlying` is already queued.
    error FeedChangeAlreadyQueued(uint256 underlying);
    /// @notice No feed change of `underlying` is queued.
    error NoFeedChangeQueued(uint256 underlying);
    /// @notice The queued feed change of `underlying` executes only from `executableAt`.
    error FeedChangeTooEarly(uint256 underlying, uint256 executableAt);
    /// @notice Priority operation `queueIndex`, queued early enough to be served before the feed
    /// change of `underlying`, still waits: the change executes once it is served.
    error FeedChangeAwaitsQueue(uint256 underlying, uint256 queueIndex);
    /// @notice The queued feed `feed` of `underlying` has no valid round yet (a positive answer
    /// updated at or before now): every expiry after the change is priced by it, and one before
    /// its first round could never be settled nor exited.
    error FeedHasNoRound(uint256 underlying, address feed);
    /// @notice The exit claim window is open until `endsAt`: payouts start after it.
    error ExitClaimWindowOpen(uint256 endsAt);
    /// @notice Account `accountId` registered no exit in the claim window.
    error ExitNotRegistered(uint256 accountId);
    /// @notice Account `accountId`'s exit was already paid.
    error ExitAlreadyPaid(uint256 accountId);

    // ---------------------------------------------------------------- accounts and priority queue

    /// @notice Registers the next account id (from 2) for `msg.sender` with trading-key hash `pkHash`.
    /// @param pkHash Poseidon hash of the trading public key, a nonzero field element.
    /// @return accountId The new account id.
    function register(uint256 pkHash) external returns (uint256 accountId);

    /// @notice Pulls `amount` collateral from `msg.sender` and queues a deposit into `accountId`.
    /// @param accountId A registered account (any depositor may fund any account).
    /// @param amount Collateral base units, in `[1, 2^56)`.
    /// At most `maxQueuedDeposits` (D · 64) deposits may wait unconsumed (`DepositQueueFull`). The
    /// whole amount must arrive: a token that keeps part of it (a fee on transfer) makes the
    /// deposit revert with `CollateralShortfall`.
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

    /// @notice Queues a forced close of `accountId`'s whole position in `instrument` (issue 14 F11);
    /// only its owner may ask. Served in queue order like every priority operation, within
    /// `forcedRequestDeadline` (else anyone may activate the exodus): the position goes to an
    /// insurance fund account at the batch's rules price with the liquidation penalty, or, for an
    /// option expired at the batch time, is settled at the batch's settlement record. Refused only
    /// when the account holds no such position (docs/contracts.md "Forced close").
    /// @param instrument An instrument id (docs/protocol.md §3), `1 ≤ instrument < 2^82`.
    function requestForcedClose(uint256 accountId, uint256 instrument) external returns (uint256 queueIndex);

    /// @notice Queues a forced settlement of `accountId`'s position in the option `instrument`, whose
    /// expiry has passed; only its owner may ask. Served as the settlement of that position at the
    /// batch's settlement record, refused only when the account holds none. Every forced request
    /// (withdrawal, close, settlement) counts towards the account's MAX_OPEN_FORCED_REQUESTS.
    function requestForcedSettlement(uint256 accountId, uint256 instrument) external returns (uint256 queueIndex);

    // ---------------------------------------------------------------- batches

    /// @notice Whether any slot of a batch stamped `t` reads the batch's oracle prices (finding F13):
    /// every type but no-ops, deposits, settlements, fee sweeps, withdrawals and forced withdrawals
    /// flagged `flat` (the account holds no position) and forced closes served as a settlement or
    /// refused. For a batch for which this is false the `maxOracleAge` bound does not apply: its
    /// prices are still the rounds in force at `t` (docs/contracts.md, "A silent feed").
    /// @param slots The batch's slot public data as `submitBatch` takes it (24 bytes per slot); a
    /// trailing partial slot is ignored.
    function slotsUsePrices(bytes calldata slots, uint64 t) external pure returns (bool);

    /// @notice Verifies and applies one batch. Operator only, sent directly from the operator's
    /// account (no contract in between, no code at the account: `NotDirectCall`), not during exodus.
    /// @param header New root, timestamp, oracle prices, settlement records, instrument table and
    /// deposit records (docs/protocol.md §8.1).
    /// @param slots The slots' public data packed: 24 bytes per slot, nTx slots; slot i at byte
    /// 24·i is f0 big-endian in 16 bytes, then f1 big-endian in 8 bytes (protocol/pubdata.ts `packSlots`).
    /// @param proof Groth16 proof `[a0, a1, b00, b01, b10, b11, c0, c1]` (protocol/proof.ts `packProof`).
    function submitBatch(BatchHeader calldata header, bytes calldata slots, uint256[8] calldata proof) external;

    /// @notice The public data the commitment hashes for this batch against the current root
    /// (docs/protocol.md §8): `[oldStateRoot, newStateRoot, t, domain, prices, settlements,
    /// instrument table, deposit records (owner, pkHash)..., then f0, f1 of every slot]`, each slot
    /// unpacked into two words. Checks only the shapes, not the oracle nor the queue.
    function publicData(BatchHeader calldata header, bytes calldata slots) external view returns (uint256[] memory);

    /// @notice The verifier's one public input for this batch against the current root:
    /// `sha256(public data at fixed widths) & (2^253 − 1)`. Checks the shapes and that every
    /// header word is a field element fitting its width (a slot's 16 + 8 bytes always do), not
    /// the oracle nor the queue.
    function commitment(BatchHeader calldata header, bytes calldata slots) external view returns (uint256);

    // ---------------------------------------------------------------- payments

    /// @notice Pays `owner` its whole claimable balance. Anyone may trigger it; the funds go to `owner`.
    function claim(address owner) external returns (uint256 amount);

    /// @notice Pays the caller's whole claimable balance to `to`: for an owner the collateral token
    /// will not pay (a blocklisted address, a wallet that cannot hold it). Emits `Claimed` for the
    /// caller, as `claim` does.
    function claimTo(address to) external returns (uint256 amount);

    // ---------------------------------------------------------------- exodus

    /// @notice Starts the exodus if the waiting priority operation `queueIndex` is overdue: not yet
    /// consumed, and the block's time is past its `overdueAt`. Any waiting operation may be named,
    /// not only the head: the queue is served in order, so an operation overdue by its own deadline
    /// (which counts every operation that was ahead of it) means the operator failed it, whatever
    /// the deadlines of the operations still ahead of it.
    function activateExodus(uint256 queueIndex) external;

    /// @notice During exodus, refunds the unconsumed deposit at `queueIndex` to its depositor.
    function refundDeposit(uint256 queueIndex) external;

    /// @notice During exodus, proves account `accountId`'s equity at the last verified batch, once.
    /// Inside the claim window (`exodusActivatedAt + exitClaimWindow`) the equity is registered
    /// and paid pro rata by `payExit` after the window; after the window the account is paid at
    /// once out of what the registered exits leave (first come, first served).
    /// @param accountId The exiting account.
    /// @param leafPreimage `[pkHash, owner, collateral, orderRoot, inst_0, size_0, cost_0, ..., inst_{P-1}, size_{P-1}, cost_{P-1}]`
    /// (signed values field-encoded).
    /// @param siblings The account's quaternary Merkle path, bottom-up: per level the parent's other three
    /// children in child order (3 · accountDepth / 2 words).
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

    /// @notice After the claim window, pays a registered exit `min(equity, equity × custody / Σ equity)`
    /// to the account's owner (custody: `l2Custody` at the exodus activation). Anyone may call it.
    /// @return payout The amount paid.
    function payExit(uint256 accountId) external returns (uint256 payout);

    /// @notice What `payExit(accountId)` pays once the claim window has ended (0 if not registered or paid).
    function exitPayout(uint256 accountId) external view returns (uint256);

    /// @notice Last second of the exit claim window (`exodusActivatedAt + exitClaimWindow`); 0 before the exodus.
    function exitClaimWindowEnd() external view returns (uint256);

    // ---------------------------------------------------------------- views

    /// @notice Number of priority operations ever queued (consumed or not).
    function priorityQueueLength() external view returns (uint256);

    /// @notice The priority operation at `queueIndex`.
    function priorityOp(uint256 queueIndex) external view returns (PriorityOp memory);

    /// @notice When the operation at `queueIndex` becomes overdue (`activateExodus(queueIndex)` may
    /// start the exodus after it while it waits): `queuedAt + forcedRequestDeadline` plus
    /// `⌈forcedRequestDeadline / (DEPOSIT_QUEUE_BATCHES · nTx)⌉` for each operation that was ahead of it.
    function overdueAt(uint256 queueIndex) external view returns (uint256);

    /// @notice The oracle feeds; index u-1 is underlying u.
    function feeds() external view returns (AggregatorV3Interface[] memory);

    /// @notice Prices (cents) of the last verified batch, index u-1 for underlying u; zeros before the first batch.
    function lastPrices() external view returns (uint256[] memory);

    /// @notice Feed rounds of the last verified batch's prices, index u-1 (0 before the first batch
    /// and after a feed change): the next batch may not use an older round.
    function lastPriceRoundIds() external view returns (uint80[] memory);

    /// @notice Whether a batch (or an exit) fixed the settlement price of the series, and that price in cents.
    function settlementPrice(uint256 underlying, uint256 expiry) external view returns (bool isFixed, uint256 price);

    /// @notice The feed of `underlying` in force at `time` and its decimals: the feed a settlement
    /// of a series expiring at `time` is priced from (its `settlementRoundIds` are rounds of this
    /// feed). A feed replaced by `executeFeedChange` stays in force up to and including the second
    /// of the change; the current feed rules after the last change.
    function feedInForceAt(uint256 underlying, uint256 time) external view returns (address feed, uint8 decimals);

    // ---------------------------------------------------------------- admin

    /// @notice Replaces the operator. Admin only.
    function setOperator(address newOperator) external;

    /// @notice Queues a change of the feed of `underlying`, executable after `feedChangeDelay`
    /// (longer than `forcedRequestDeadline`, so users can leave first). Admin only, not in exodus.
    function queueFeedChange(uint256 underlying, AggregatorV3Interface newFeed) external;

    /// @notice Cancels the queued feed change of `underlying`. Admin only.
    function cancelFeedChange(uint256 underlying) external;

    /// @notice Executes the queued feed change of `underlying` once its delay has passed, if the new
    /// feed already has a round (`FeedHasNoRound`) and no priority operation queued up to
    /// `executableAt − forcedRequestDeadline` still waits (`FeedChangeAwaitsQueue`). Admin only,
    /// not in exodus.
    function executeFeedChange(uint256 underlying) external;
}
