// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {AggregatorV3Interface} from "./interfaces/AggregatorV3Interface.sol";
import {ITesseraRollup} from "./interfaces/ITesseraRollup.sol";
import {TesseraExitRoot} from "./TesseraExitRoot.sol";

/// @title TesseraRollup
/// @notice Custody and settlement contract of the Tessera zk-rollup (perpetuals and European options).
/// It holds the collateral, keeps the account registry and the priority queue, accepts a batch only
/// with a valid Groth16 proof over public inputs it rebuilds itself (docs/protocol.md §8), pays
/// withdrawals by pull payment, and lets everyone leave with their equity if the operator stops
/// serving the priority queue (exodus).
/// @dev Roles: the operator submits batches; the admin (Ownable2Step owner) can replace the operator
/// and change a feed through a timelock longer than the forced-request deadline, nothing else. No
/// role can move users' funds. Not upgradeable.
///
/// Invariants:
/// - `stateRoot` only changes through a verified proof whose public input 0 is the previous root.
/// - Priority operations are consumed strictly in queue order, each exactly once.
/// - `l2Custody` = Σ consumed deposits − Σ credited withdrawals − Σ exit payouts: the collateral
///   that backs the L2 state. Unconsumed deposits and claimable balances are held on top of it.
// The state variables are the protocol's L1 state; splitting them across contracts would not help a reader.
// solhint-disable-next-line max-states-count
contract TesseraRollup is ITesseraRollup, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice BN254 scalar field modulus (the circuit's native field).
    uint256 public constant FIELD_MODULUS =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice User accounts are numbered from 2; 0 is the fee account, 1 the insurance fund.
    uint256 public constant FIRST_USER_ACCOUNT = 2;
    /// @notice Deposit and withdrawal amounts are below 2^56 base units.
    uint256 public constant MAX_AMOUNT = (1 << 56) - 1;

    uint256 internal constant TX_DEPOSIT = 1;
    uint256 internal constant TX_WITHDRAW = 2;
    uint256 internal constant TX_FORCED_WITHDRAW = 3;
    uint256 internal constant TX_FORCED_CLOSE = 9;
    uint256 internal constant TX_NOOP = 0;
    uint256 internal constant TX_SETTLE = 7;
    uint256 internal constant TX_FEE_SWEEP = 8;
    uint256 internal constant TX_TYPE_MASK = 0xF;
    /// @dev The slot types L1 acts on, as a bit set: bit t for type t (deposit 1, withdrawal 2, forced
    /// withdrawal 3, forced close 9). A literal, for inline assembly (`_nextL1Slot`); the contract
    /// tests submit each of these types and check what L1 did with it.
    uint256 internal constant L1_SLOT_TYPES = 0x20E;
    uint256 internal constant MASK_8 = 0xFF;
    uint256 internal constant MASK_24 = (1 << 24) - 1;
    uint256 internal constant MASK_32 = (1 << 32) - 1;
    uint256 internal constant MASK_40 = (1 << 40) - 1;
    uint256 internal constant MASK_56 = (1 << 56) - 1;
    /// @dev Bits of an account id in slot data and queue entries (docs/protocol.md §7): the account
    /// tree is at most this deep (`_validateConfig`), so every registered id fits.
    uint256 internal constant ACCOUNT_ID_BITS = 24;
    /// @dev Bit at which a slot's or queue entry's first account id starts (24 bits, `MASK_24`).
    uint256 internal constant ACCOUNT_SHIFT = 4;
    /// @dev Bit at which an amount starts: a deposit's, a withdrawal's, a forced withdrawal's
    /// `served` and a fee sweep's (56 bits, `MASK_56`).
    uint256 internal constant AMOUNT_SHIFT = 28;
    /// @dev The key `underlying | expiry << 8` of a settlement record.
    uint256 internal constant SETTLEMENT_KEY_MASK = MASK_40;
    /// @dev A withdrawal's (type 2) and forced withdrawal's (type 3) flag, bit 84 of f0 for both:
    /// the account holds no position, so the slot read no price (issue 14 F13; the circuit proves it).
    uint256 internal constant WITHDRAW_FLAT_BIT = 84;
    uint256 internal constant FORCED_WITHDRAW_FLAT_BIT = 84;
    /// @dev f0 of a forced withdrawal with its outcome bits cleared: `served` (28..84) and `flat`
    /// (84). What remains is the queued `3 | accountId << 4`; `requested` is f1.
    uint256 internal constant FORCED_SERVED_CLEAR = ~((MASK_56 << AMOUNT_SHIFT) | (1 << FORCED_WITHDRAW_FLAT_BIT));
    uint256 internal constant MASK_82 = (1 << 82) - 1;
    /// @dev Bit at which a forced close's instrument starts in its f0, queued and posted alike
    /// (82 bits, 28..110, `MASK_82`).
    uint256 internal constant FORCED_CLOSE_INSTRUMENT_SHIFT = 28;
    /// @dev Bit 110 of a forced close's f0: a forced settlement (the owner's; expired options only).
    uint256 internal constant FORCED_SETTLEMENT_FLAG = 1 << 110;
    /// @dev Bit of a forced close's slot f0 at which the circuit proves `served` (the queued f0 has 0).
    uint256 internal constant FORCED_CLOSE_SERVED_BIT = 111;
    /// @dev f0 of a forced close with `served` (bit 111) cleared: what remains is the queued
    /// `9 | accountId << 4 | instrument << 28 | settlement << 110`. The slot's f1, the insurance
    /// fund account the operator picked (24 bits, `MASK_24`; the circuit proves it is one), is not
    /// compared: the queue entry's f1 is 0.
    uint256 internal constant FORCED_CLOSE_SERVED_CLEAR = ~(uint256(1) << FORCED_CLOSE_SERVED_BIT);
    /// @dev A deposit's slot f0 is its queued f0 without the owner: `1 | accountId << 4 | amount << 28`.
    uint256 internal constant DEPOSIT_SLOT_F0_MASK = (1 << 84) - 1;
    /// @dev Bit of a queued deposit's f0 at which the owner starts.
    uint256 internal constant DEPOSIT_OWNER_SHIFT = 84;
    /// @dev Bytes of a slot in `slots` and in the commitment: f0 in 16 (every type's f0 < 2^128),
    /// then f1 in 8 (every f1 < 2^64), big-endian (docs/protocol.md §7).
    uint256 internal constant SLOT_BYTES = 24;
    uint256 internal constant SLOT_F0_BYTES = 16;
    /// @dev A 32-byte word loaded at a slot's f0 holds f0 in its top 16 bytes: shift out the low
    /// 16 bytes, 8·(32 − 16) bits (a literal: inline assembly reads only literal constants).
    uint256 internal constant SLOT_F0_SHIFT = 128;
    /// @dev A 32-byte word loaded at a slot's f1 holds f1 in its top 8 bytes: shift out the low
    /// 24 bytes, 8·(32 − 8) bits.
    uint256 internal constant SLOT_F1_SHIFT = 192;
    /// @dev Commitment width in bytes of an instrument-table word (an instrument id, docs/protocol.md §3).
    uint256 internal constant INSTRUMENT_WORD_BYTES = 11;
    uint256 internal constant KIND_PERP = 0;
    uint256 internal constant KIND_CALL = 1;
    uint256 internal constant KIND_PUT = 2;
    /// @notice Forced requests (withdrawal, close, settlement) an account may have queued and not
    /// yet served. Each is served by its deadline (`overdueAt`) or the exodus opens; the bound
    /// makes a flood cost one registration per 4 requests, and the deadlines that grow with the
    /// queue ahead (`_overdueAt`) keep any flood from opening the exodus.
    uint256 public constant MAX_OPEN_FORCED_REQUESTS = 4;
    /// @notice Batches in which the operator must be able to drain a full deposit queue: at most
    /// `DEPOSIT_QUEUE_BATCHES · D` deposits may wait unconsumed (`maxQueuedDeposits`). A deposit
    /// costs its sender nothing they do not get back (refunded in the exodus) but costs the
    /// operator one of a batch's D deposit records, so without a bound a flood of 1-unit deposits
    /// outruns the provers and ages the queue head past `forcedRequestDeadline`. 64 batches take
    /// under 40 hours at prod's ~36 minutes a batch on one prover: far inside the deadline.
    uint256 public constant DEPOSIT_QUEUE_BATCHES = 64;

    /// @notice The collateral token (USDC, 6 decimals).
    IERC20 public immutable collateral;
    /// @notice The Groth16 verifier of this profile.
    address public immutable verifier;
    /// @notice Signature domain of this deployment (docs/protocol.md §2).
    uint256 public immutable domain;
    /// @notice Transaction slots per batch.
    uint256 public immutable nTx;
    /// @notice Number of underlyings U (ids 1..U).
    uint256 public immutable underlyings;
    /// @notice Settlement records per batch K.
    uint256 public immutable settlementCount;
    /// @notice Depth of the account tree.
    uint256 public immutable accountDepth;
    /// @notice Position slots per account P.
    uint256 public immutable positionsPerAccount;
    /// @notice Deposit records per batch D: a batch holds at most D deposit slots.
    uint256 public immutable depositRecords;
    /// @notice Most unconsumed deposits the queue holds, D · DEPOSIT_QUEUE_BATCHES (`DepositQueueFull`).
    uint256 public immutable maxQueuedDeposits;
    /// @notice Instrument-table entries per batch I: a batch's trades and liquidations name at most
    /// I distinct instruments, by their index in the header's table.
    uint256 public immutable instrumentTable;
    /// @notice Words of the public data the commitment hashes, 4 + U + K + I + 2·D + 2·nTx
    /// (docs/protocol.md §8; each slot counts as its two words f0, f1).
    uint256 public immutable publicDataCount;
    /// @notice Bytes the commitment hashes, 100 + 5·U + 10·K + 11·I + 52·D + 24·nTx: 32 per root
    /// and the domain, 4 for t, 5 per price, 10 per settlement record, 11 per instrument-table
    /// entry, 20 + 32 per deposit record (owner, pkHash), 16 + 8 per slot (f0, f1).
    uint256 public immutable commitmentByteLength;
    /// @notice Selector of `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[1])`: every profile's
    /// verifier takes the one public input, the commitment.
    bytes4 public constant VERIFY_SELECTOR = bytes4(
        // solhint-disable-next-line gas-small-strings
        keccak256("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[1])") // a constant: hashed at compile time
    );
    /// @notice The commitment is the SHA-256 digest with its top 3 bits cleared: below 2^253 < r.
    uint256 public constant COMMITMENT_MASK = (1 << 253) - 1;
    /// @notice Maximum age (seconds) of a batch price's oracle round at the batch timestamp.
    uint256 public immutable maxOracleAge;
    /// @notice Seconds a priority operation may wait before anyone can activate the exodus, behind
    /// an empty queue (`overdueAt`: more behind a longer one).
    uint256 public immutable forcedRequestDeadline;
    /// @dev What each operation ahead adds to a deadline: `⌈forcedRequestDeadline / (DEPOSIT_QUEUE_BATCHES · nTx)⌉`,
    /// a deadline's share of one slot, rounded up (`_overdueAt`).
    uint256 internal immutable _deadlinePerOpAhead;
    /// @notice Maximum seconds between a batch's timestamp and the block that accepts it.
    uint256 public immutable maxBatchLag;
    /// @notice Seconds a price round stays usable after the next round was updated (0: strictly the
    /// round in force at the batch time).
    uint256 public immutable priceRoundGrace;
    /// @notice Seconds between queueing a feed change and executing it (more than `forcedRequestDeadline`).
    uint256 public immutable feedChangeDelay;
    /// @notice Seconds after the exodus activation in which owners register their exit equity.
    uint256 public immutable exitClaimWindow;

    /// @notice Most underlyings a deployment can have: the global preimage (1 + 2·U words) is hashed
    /// by a Poseidon of at most 8 inputs.
    uint256 public constant MAX_UNDERLYINGS = 3;

    /// @dev The feed of an underlying and its decimals (answer / 10^(decimals − 2) = cents), one slot.
    struct Feed {
        AggregatorV3Interface feed;
        uint8 decimals;
    }

    /// @dev The price (cents, below 2^40: `_commitment` checks every header price fits 5 bytes) and
    /// the feed round of an underlying at the last verified batch, one slot, read and written once
    /// per batch. `roundId` is 0 before the first batch and after a feed change.
    struct LastPrice {
        uint176 price;
        uint80 roundId;
    }

    /// @dev Per underlying (index underlying − 1), fixed-size: no length word to read.
    Feed[MAX_UNDERLYINGS] internal _feeds;
    LastPrice[MAX_UNDERLYINGS] internal _last;
    /// @notice Hashes an exit proof to the state root it leads to (deployed by the constructor with
    /// the Poseidon hashers; apart so that this contract's code fits EIP-170).
    TesseraExitRoot public immutable exitRootHasher;

    /// @notice The address allowed to submit batches.
    address public operator;
    /// @notice True once the escape hatch is active (permanent). Beside `operator`: `submitBatch`
    /// reads both from one slot.
    bool public exodus;
    /// @notice The last verified state root.
    uint256 public stateRoot;
    // The four counters `submitBatch` reads and writes share one slot (one read, one write a batch).
    /// @notice Number of the last verified batch (the first batch is 1; 0 means genesis).
    uint64 public batchNumber;
    /// @notice Timestamp of the last verified batch (0 at genesis).
    uint64 public lastBatchTimestamp;
    /// @notice Index of the oldest unconsumed priority operation.
    uint64 public queueHead;
    /// @notice Deposits queued and not yet consumed by a batch (≤ `maxQueuedDeposits`). Beside
    /// `queueHead`: the batch that consumes deposits writes it to a slot it already read and
    /// wrote (warm, dirty: about 200 gas). Not decreased by `refundDeposit`: no deposit is
    /// queued in the exodus.
    uint64 public queuedDeposits;
    /// @dev Settlement price + 1 of each series `underlying | expiry << 8` once fixed (0: not yet).
    mapping(uint256 key => uint256 pricePlusOne) internal _settlementPrice;
    /// @notice Collateral backing the L2 state (see the invariants above).
    uint256 public l2Custody;

    /// @notice L1 owner of each registered account.
    mapping(uint256 accountId => address owner) public accountOwner;
    /// @notice Trading-key hash of each registered account.
    mapping(uint256 accountId => uint256 pkHash) public accountPkHash;
    /// @notice Forced requests of each account queued and not yet served (≤ MAX_OPEN_FORCED_REQUESTS).
    mapping(uint256 accountId => uint256 open) public openForcedRequests;
    /// @notice The id the next registration receives.
    uint256 public nextAccountId;

    PriorityOp[] internal _queue;

    /// @notice Withdrawn collateral each owner can claim.
    mapping(address owner => uint256 amount) public claimable;
    /// @notice Accounts that have exited (registered their equity, or were paid after the window) during exodus.
    mapping(uint256 accountId => bool done) public exited;
    /// @dev Σ paid to exits registered in the claim window.
    uint256 internal _registeredPaid;
    /// @notice Block timestamp of the exodus activation (0 before).
    uint64 public exodusActivatedAt;
    /// @notice `l2Custody` at the exodus activation: what the exits share.
    uint256 public exitCustody;
    /// @notice Σ positive equity registered in the claim window.
    uint256 public totalExitEquity;
    /// @notice Positive equity each account registered in the claim window.
    mapping(uint256 accountId => uint256 equity) public exitEquity;
    /// @notice Registered exits already paid.
    mapping(uint256 accountId => bool paid) public exitPaid;

    /// @notice A queued feed change.
    struct FeedChange {
        AggregatorV3Interface feed;
        uint64 executableAt;
    }

    /// @notice The queued feed change of each underlying (feed 0: none).
    mapping(uint256 underlying => FeedChange change) public pendingFeedChange;

    /// @dev A feed replaced by `executeFeedChange`, in force up to and including `until` (the
    /// block timestamp of the change), one slot.
    struct RetiredFeed {
        AggregatorV3Interface feed;
        uint8 decimals;
        uint64 until;
    }

    /// @dev The replaced feeds of each underlying (index underlying − 1), oldest first, `until`
    /// strictly increasing (a change waits `feedChangeDelay` > 0 after the one before). Kept so a
    /// series that expired before a change still settles at the round of the feed in force at its
    /// expiry: the new feed has no round then. Append-only; its length is bounded by the timelock
    /// (one change per `feedChangeDelay`, owner only).
    RetiredFeed[][MAX_UNDERLYINGS] internal _retiredFeeds;

    modifier notInExodus() {
        if (exodus) revert ExodusIsActive();
        _;
    }

    modifier onlyInExodus() {
        if (!exodus) revert ExodusNotActive();
        _;
    }

    /// @param cfg Deployment parameters, see {ITesseraRollup.Config}.
    constructor(Config memory cfg) Ownable(cfg.admin) {
        _validateConfig(cfg);
        uint256 u = cfg.feeds.length;
        Profile memory p = cfg.profile;
        for (uint256 i = 0; i < u; ++i) {
            _feeds[i] = Feed({feed: cfg.feeds[i], decimals: _decimalsOf(cfg.feeds[i])});
        }
        exitRootHasher = new TesseraExitRoot(cfg.poseidonHashers, p.positions);

        collateral = cfg.collateral;
        verifier = cfg.verifier;
        domain = uint256(keccak256(abi.encode("tessera", block.chainid, address(this)))) >> 4;
        nTx = p.nTx;
        underlyings = u;
        settlementCount = p.settlements;
        accountDepth = p.accountDepth;
        positionsPerAccount = p.positions;
        depositRecords = p.deposits;
        maxQueuedDeposits = uint256(p.deposits) * DEPOSIT_QUEUE_BATCHES;
        instrumentTable = p.instruments;
        publicDataCount = 4 + u + p.settlements + p.instruments + 2 * uint256(p.deposits) + 2 * uint256(p.nTx);
        uint256 head = 100 + 5 * u + 10 * uint256(p.settlements) + INSTRUMENT_WORD_BYTES * uint256(p.instruments);
        commitmentByteLength = head + 52 * uint256(p.deposits) + SLOT_BYTES * uint256(p.nTx);
        maxOracleAge = cfg.maxOracleAge;
        forcedRequestDeadline = cfg.forcedRequestDeadline;
        // Rounded up: never less than a slot's share (never 0 for a positive deadline).
        _deadlinePerOpAhead = Math.ceilDiv(cfg.forcedRequestDeadline, DEPOSIT_QUEUE_BATCHES * p.nTx);
        maxBatchLag = cfg.maxBatchLag;
        priceRoundGrace = cfg.priceRoundGrace;
        feedChangeDelay = cfg.feedChangeDelay;
        exitClaimWindow = cfg.exitClaimWindow;

        stateRoot = cfg.genesisStateRoot;
        accountOwner[0] = cfg.feeAccountOwner;
        accountPkHash[0] = cfg.feeAccountPkHash;
        accountOwner[1] = cfg.insuranceFundOwner;
        accountPkHash[1] = cfg.insuranceFundPkHash;
        nextAccountId = FIRST_USER_ACCOUNT;
        operator = cfg.operator;
        emit AccountRegistered(0, cfg.feeAccountOwner, cfg.feeAccountPkHash);
        emit AccountRegistered(1, cfg.insuranceFundOwner, cfg.insuranceFundPkHash);
        emit OperatorChanged(address(0), cfg.operator);
    }

    /// @dev Rejects a configuration the contract could not run with (`InvalidConfig(field)`).
    function _validateConfig(Config memory cfg) internal pure {
        uint256 u = cfg.feeds.length;
        Profile memory p = cfg.profile;
        if (address(cfg.collateral) == address(0)) revert InvalidConfig("collateral");
        if (cfg.verifier == address(0)) revert InvalidConfig("verifier");
        if (cfg.operator == address(0)) revert InvalidConfig("operator");
        if (u == 0 || u > MAX_UNDERLYINGS) revert InvalidConfig("feeds");
        if (p.nTx == 0) revert InvalidConfig("nTx");
        // Slot data and queue entries carry 24-bit account ids: a deeper tree's ids would not fit.
        // The account tree is quaternary (docs/protocol.md §4): a level takes two index bits.
        if (p.accountDepth < 2 || p.accountDepth > ACCOUNT_ID_BITS || p.accountDepth % 2 != 0) {
            revert InvalidConfig("accountDepth");
        }
        // At most MAX_OPEN_FORCED_REQUESTS: an owner closes every position with one round of forced
        // closes, served within one deadline, which `feedChangeDelay` exceeds (a feed change never
        // lands before a user could leave).
        if (p.positions < 2 || p.positions > MAX_OPEN_FORCED_REQUESTS || p.positions % 2 != 0) {
            revert InvalidConfig("positions");
        }
        if (p.deposits == 0 || p.deposits > p.nTx) revert InvalidConfig("deposits");
        // uint8: at most 255, the trades' 8-bit instrument index.
        if (p.instruments == 0) revert InvalidConfig("instruments");
        if (cfg.genesisStateRoot >= FIELD_MODULUS) revert InvalidConfig("genesisStateRoot");
        if (cfg.feeAccountOwner == address(0) || cfg.feeAccountPkHash >= FIELD_MODULUS) {
            revert InvalidConfig("feeAccount");
        }
        if (cfg.insuranceFundOwner == address(0) || cfg.insuranceFundPkHash >= FIELD_MODULUS) {
            revert InvalidConfig("insuranceFund");
        }
        if (cfg.maxOracleAge == 0) revert InvalidConfig("maxOracleAge");
        // At most 2^32 s (136 years): `_overdueAt` then needs no overflow checks.
        if (cfg.forcedRequestDeadline == 0 || cfg.forcedRequestDeadline > MASK_32) {
            revert InvalidConfig("forcedRequestDeadline");
        }
        if (cfg.maxBatchLag == 0) revert InvalidConfig("maxBatchLag");
        if (cfg.priceRoundGrace > cfg.maxOracleAge) revert InvalidConfig("priceRoundGrace");
        // Users must be able to leave (request, wait out the deadline, activate the exodus) before a new feed rules.
        if (cfg.feedChangeDelay <= cfg.forcedRequestDeadline) revert InvalidConfig("feedChangeDelay");
        if (cfg.exitClaimWindow == 0) revert InvalidConfig("exitClaimWindow");
        _requireHasher(cfg.poseidonHashers, 2);
        _requireHasher(cfg.poseidonHashers, 4);
        _requireHasher(cfg.poseidonHashers, 5);
        _requireHasher(cfg.poseidonHashers, 6);
        _requireHasher(cfg.poseidonHashers, 1 + 2 * u);
        if (p.positions > 2) _requireHasher(cfg.poseidonHashers, p.positions / 2);
    }

    // ================================================================ accounts and priority queue

    /// @inheritdoc ITesseraRollup
    function register(uint256 pkHash) public returns (uint256 accountId) {
        if (pkHash == 0 || pkHash >= FIELD_MODULUS) revert InvalidPkHash(pkHash);
        accountId = nextAccountId;
        uint256 capacity = 1 << accountDepth;
        if (accountId >= capacity) revert AccountTreeFull(capacity);
        nextAccountId = accountId + 1;
        accountOwner[accountId] = msg.sender;
        accountPkHash[accountId] = pkHash;
        emit AccountRegistered(accountId, msg.sender, pkHash);
    }

    /// @inheritdoc ITesseraRollup
    function deposit(uint256 accountId, uint256 amount) public nonReentrant notInExodus returns (uint256 queueIndex) {
        address owner = accountOwner[accountId];
        if (owner == address(0)) revert UnknownAccount(accountId);
        if (amount == 0 || amount > MAX_AMOUNT) revert InvalidAmount(amount);
        uint256 queued = queuedDeposits;
        if (queued >= maxQueuedDeposits) revert DepositQueueFull(queued, maxQueuedDeposits);
        // Below `maxQueuedDeposits` ≤ 255 · 64: no overflow.
        unchecked {
            queuedDeposits = uint64(queued + 1);
        }
        uint256 f0 =
            TX_DEPOSIT |
                (accountId << ACCOUNT_SHIFT) |
                (amount << AMOUNT_SHIFT) |
                (uint256(uint160(owner)) << DEPOSIT_OWNER_SHIFT);
        queueIndex = _enqueue(f0, accountPkHash[accountId]);
        emit DepositQueued(queueIndex, accountId, msg.sender, amount);
        // The queue credits `amount`: it must all arrive. A token with a fee on transfer (a fee
        // switch turned on after deployment, say) would otherwise leave the L2 state backed by less
        // than it holds, and the last owners to leave would find it missing.
        uint256 held = collateral.balanceOf(address(this));
        collateral.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = collateral.balanceOf(address(this)) - held;
        if (received < amount) revert CollateralShortfall(amount, received);
    }

    /// @inheritdoc ITesseraRollup
    function registerAndDeposit(
        uint256 pkHash,
        uint256 amount
    ) external returns (uint256 accountId, uint256 queueIndex) {
        accountId = register(pkHash);
        queueIndex = deposit(accountId, amount);
    }

    /// @inheritdoc ITesseraRollup
    function requestForcedWithdrawal(
        uint256 accountId,
        uint256 amount
    ) external notInExodus returns (uint256 queueIndex) {
        _reserveForcedRequest(accountId);
        if (amount == 0 || amount > MAX_AMOUNT) revert InvalidAmount(amount);
        queueIndex = _enqueue(TX_FORCED_WITHDRAW | (accountId << ACCOUNT_SHIFT), amount);
        emit ForcedWithdrawalRequested(queueIndex, accountId, amount);
    }

    /// @inheritdoc ITesseraRollup
    function requestForcedClose(
        uint256 accountId,
        uint256 instrument
    ) external notInExodus returns (uint256 queueIndex) {
        _reserveForcedRequest(accountId);
        _checkForcedCloseTarget(accountId, instrument);
        queueIndex = _enqueue(_forcedCloseF0(accountId, instrument), 0);
        emit ForcedCloseRequested(queueIndex, accountId, instrument, false);
    }

    /// @inheritdoc ITesseraRollup
    function requestForcedSettlement(
        uint256 accountId,
        uint256 instrument
    ) external notInExodus returns (uint256 queueIndex) {
        _reserveForcedRequest(accountId);
        _checkForcedCloseTarget(accountId, instrument);
        uint256 kind = (instrument >> 8) & 3;
        uint256 expiry = (instrument >> 50) & MASK_32;
        if ((kind != KIND_CALL && kind != KIND_PUT) || expiry > block.timestamp) {
            revert NotAnExpiredOption(instrument, expiry);
        }
        queueIndex = _enqueue(_forcedCloseF0(accountId, instrument) | FORCED_SETTLEMENT_FLAG, 0);
        emit ForcedCloseRequested(queueIndex, accountId, instrument, true);
    }

    /// @dev Only the account's owner may force anything on it (a forced request by anyone else would
    /// spend the owner's bound below), and at most MAX_OPEN_FORCED_REQUESTS may wait at once.
    function _reserveForcedRequest(uint256 accountId) internal {
        address owner = accountOwner[accountId];
        if (owner == address(0)) revert UnknownAccount(accountId);
        if (owner != msg.sender) revert NotAccountOwner(accountId, msg.sender);
        uint256 open = openForcedRequests[accountId];
        if (open >= MAX_OPEN_FORCED_REQUESTS) revert TooManyForcedRequests(accountId, open);
        openForcedRequests[accountId] = open + 1;
    }

    /// @dev The instrument fits the public data (the circuit decodes 82 bits, instrument 0 is no
    /// instrument) and the account is not an insurance fund account (the circuit never
    /// force-closes one, so such a request could never be served).
    function _checkForcedCloseTarget(uint256 accountId, uint256 instrument) internal view {
        if (instrument == 0 || instrument > MASK_82) revert InvalidInstrument(instrument);
        if (accountOwner[accountId] == accountOwner[1] && accountPkHash[accountId] == accountPkHash[1]) {
            revert InsuranceFundAccount(accountId);
        }
    }

    /// @dev The queued f0 of a forced close, `9 | accountId << 4 | instrument << 28` (`served` and the
    /// settlement flag 0); `instrument` ≤ MASK_82 (`_checkForcedCloseTarget`), so it ends below bit 110.
    function _forcedCloseF0(uint256 accountId, uint256 instrument) internal pure returns (uint256) {
        return TX_FORCED_CLOSE | (accountId << ACCOUNT_SHIFT) | (instrument << FORCED_CLOSE_INSTRUMENT_SHIFT);
    }

    function _enqueue(uint256 f0, uint256 f1) internal returns (uint256 queueIndex) {
        queueIndex = _queue.length;
        uint64 queuedAt = uint64(block.timestamp);
        // The operations waiting ahead of this one: its deadline waits for them (`_overdueAt`). The
        // cap only ever shortens that wait (2^24 operations is far beyond any queue L1 gas buys).
        uint256 ahead;
        // queueHead ≤ the queue's length.
        unchecked {
            ahead = queueIndex - queueHead;
        }
        if (ahead > MASK_24) ahead = MASK_24;
        _queue.push(
            PriorityOp({
                f0: f0,
                f1: f1,
                requester: msg.sender,
                queuedAt: queuedAt,
                refunded: false,
                ahead: uint24(ahead)
            })
        );
        emit PriorityOpQueued(queueIndex, f0, f1, queuedAt);
    }

    /// @dev The operation's deadline: `forcedRequestDeadline` after it was queued, plus the share of
    /// a deadline the operator needs to serve the operations that were ahead of it, at the capacity
    /// the deposit bound already assumes (`DEPOSIT_QUEUE_BATCHES` full batches of nTx slots per
    /// deadline). Without the share, a flood of forced requests (4 per registered account, gas
    /// alone) queued faster than any prover serves them would age the head past a fixed deadline,
    /// and anyone could then end the exchange for everyone (review of 12-08). With it, a request
    /// queued behind an empty queue has exactly the fixed deadline, and an operator serving at
    /// that capacity meets every deadline however long the flood (the share is rounded up); what
    /// the flood still buys is later deadlines for those behind it, at the price of one request's
    /// gas per share (about 18.5 s at prod). `activateExodus` takes any waiting operation past its
    /// own deadline, so an operation ahead with a later deadline (one queued behind a flood the
    /// operator then served quickly) does not hold back the exodus for those behind it.
    function _overdueAt(PriorityOp storage op) internal view returns (uint256) {
        // Below 2^64 + 2^32 + 2^24 · 2^32: no overflow.
        unchecked {
            return uint256(op.queuedAt) + forcedRequestDeadline + uint256(op.ahead) * _deadlinePerOpAhead;
        }
    }

    // ================================================================ batches

    /// @inheritdoc ITesseraRollup
    function submitBatch(
        BatchHeader calldata header,
        bytes calldata slots,
        uint256[8] calldata proof
    ) external notInExodus {
        if (msg.sender != operator) revert NotOperator(msg.sender);
        // The batch's data must be the transaction's own input: the exit tools (protocol/rebuild.ts,
        // web/lib/verifiedBatches.ts) rebuild the state from the input of each BatchVerified
        // transaction. Called through a forwarder (a contract operator, or an EOA whose EIP-7702
        // code calls on), the input would be the forwarder's, and the state readable only from
        // call traces. tx.origin is the point here, not authorisation (the operator check is above).
        // solhint-disable-next-line avoid-tx-origin
        if (msg.sender != tx.origin || msg.sender.code.length != 0) revert NotDirectCall(msg.sender, tx.origin);
        _checkShape(header, slots);
        uint64 t = header.timestamp;
        if (t < lastBatchTimestamp) revert TimestampBeforeLastBatch(t, lastBatchTimestamp);
        if (t > block.timestamp) revert TimestampInFuture(t, block.timestamp);
        if (block.timestamp - t > maxBatchLag) revert BatchTooOld(t, block.timestamp, maxBatchLag);
        _checkPrices(header, slots);
        _checkSettlements(header);
        _verify(proof, _commitment(header, slots));

        uint256 oldRoot = stateRoot;
        uint256 number = uint256(batchNumber) + 1;
        stateRoot = header.newStateRoot;
        batchNumber = uint64(number);
        lastBatchTimestamp = t;
        _recordPrices(header.prices, header.priceRoundIds);
        _fixSettlementPrices(header.settlements);
        uint256 consumed = _applySlots(number, header.deposits, slots);
        emit BatchVerified(number, oldRoot, header.newStateRoot, t, consumed);
    }

    /// @inheritdoc ITesseraRollup
    function publicData(BatchHeader calldata header, bytes calldata slots) external view returns (uint256[] memory) {
        _checkShape(header, slots);
        return _buildPublicData(header, slots);
    }

    /// @inheritdoc ITesseraRollup
    function commitment(BatchHeader calldata header, bytes calldata slots) external view returns (uint256) {
        _checkShape(header, slots);
        return _commitment(header, slots);
    }

    /// @dev U prices and round ids, K settlement records and round ids, I instrument-table words,
    /// 2·D deposit record words, and exactly 24·nTx bytes of slots (so every slot read below is
    /// in bounds).
    function _checkShape(BatchHeader calldata header, bytes calldata slots) internal view {
        uint256 u = underlyings;
        uint256 k = settlementCount;
        if (
            header.prices.length != u ||
            header.priceRoundIds.length != u ||
            header.settlements.length != k ||
            header.settlementRoundIds.length != k ||
            header.instruments.length != instrumentTable ||
            header.deposits.length != 2 * depositRecords ||
            slots.length != SLOT_BYTES * nTx
        ) {
            revert BadBatchShape(
                header.prices.length,
                header.priceRoundIds.length,
                header.settlements.length,
                header.settlementRoundIds.length,
                header.instruments.length,
                header.deposits.length,
                slots.length
            );
        }
    }

    /// @dev f0 of slot `i` of the packed `slots`: the 16 bytes at offset 24·i, big-endian. Loads
    /// the 32 bytes there and shifts out the 16 after f0 (its f1's 8 and the next slot's first 8).
    /// Reads past the end of `slots` land only in the discarded bytes when `i` is a whole slot
    /// (`24·(i + 1) ≤ slots.length`; the callers ensure it), and `calldataload` past the end of
    /// calldata gives zeros, never reverts.
    function _slotF0(bytes calldata slots, uint256 i) internal pure returns (uint256 f0) {
        assembly ("memory-safe") {
            f0 := shr(SLOT_F0_SHIFT, calldataload(add(slots.offset, mul(i, SLOT_BYTES))))
        }
    }

    /// @dev f1 of slot `i` of the packed `slots`: the 8 bytes at offset 24·i + 16, big-endian.
    /// Loads the 32 bytes there and shifts out the 24 after them (the next slot's, or past the end
    /// of `slots`: discarded, as for `_slotF0`).
    function _slotF1(bytes calldata slots, uint256 i) internal pure returns (uint256 f1) {
        assembly ("memory-safe") {
            f1 := shr(SLOT_F1_SHIFT, calldataload(add(slots.offset, add(mul(i, SLOT_BYTES), SLOT_F0_BYTES))))
        }
    }

    /// @dev Stores each underlying's price and round as the last verified ones. Each price fits 40
    /// bits (`_commitment` checked its 5 bytes), so the cast keeps it whole.
    function _recordPrices(uint256[] calldata prices, uint80[] calldata roundIds) internal {
        for (uint256 i = 0; i < prices.length; ++i) {
            _last[i] = LastPrice({price: uint176(prices[i]), roundId: roundIds[i]});
        }
    }

    /// @dev Each price must be its feed's answer (in cents) at the round in force at the batch
    /// timestamp `t`: that round was updated at or before `t` and at most `maxOracleAge` before it,
    /// and the round after it (`_nextRound`) does not exist or was updated after `t − priceRoundGrace`
    /// (with a grace of 0: after `t`). Round ids never go back from one batch to the next.
    /// Finding F13: the age bound applies only to a batch some slot of which reads a price
    /// (`slotsUsePrices`); the others (deposits, settlements, withdrawals of accounts with no
    /// position, refusals) go on through an oracle outage, still at the round in force at `t`.
    function _checkPrices(BatchHeader calldata header, bytes calldata slots) internal view {
        uint64 t = header.timestamp;
        uint256 usesPrices = 2; // 2: not computed yet
        // The arrays' calldata positions decoded once, not at every element.
        uint256[] calldata prices = header.prices;
        uint80[] calldata roundIds = header.priceRoundIds;
        for (uint256 i = 0; i < prices.length; ++i) {
            uint80 roundId = roundIds[i];
            uint256 updatedAt = _checkRoundInForce(i, roundId, prices[i], t);
            if (t - updatedAt > maxOracleAge) {
                if (usesPrices == 2) usesPrices = slotsUsePrices(slots, t) ? 1 : 0;
                if (usesPrices == 1) revert StaleOraclePrice(i + 1, roundId, updatedAt, t);
            }
        }
    }

    /// @dev `price` is the answer of round `roundId` of feed `i`, the round in force at `t`, not
    /// before L1's last round of that feed. Returns the round's `updatedAt`.
    function _checkRoundInForce(
        uint256 i,
        uint80 roundId,
        uint256 price,
        uint64 t
    ) internal view returns (uint256 updatedAt) {
        uint256 underlying = i + 1;
        uint80 lastRoundId = _last[i].roundId;
        if (roundId < lastRoundId) revert OracleRoundBackwards(underlying, roundId, lastRoundId);
        (uint256 cents, uint256 at, bool latest) = _latestRoundIf(underlying, roundId);
        // A batch's price is always a round of the current feed (the history is for settlements).
        if (!latest) (cents, at) = _roundCents(underlying, _feeds[i].feed, _feeds[i].decimals, roundId);
        updatedAt = at;
        if (updatedAt > t) revert OracleRoundAfterBatch(underlying, roundId, updatedAt, t);
        if (!latest) {
            (bool exists, uint80 nextId, uint256 nextAt) = _nextRound(_feeds[i].feed, roundId);
            if (exists && nextAt + priceRoundGrace <= t)
                revert OracleRoundSuperseded(underlying, roundId, nextId, nextAt, t);
        }
        if (cents != price) revert OraclePriceMismatch(underlying, roundId, cents, price);
    }

    /// @inheritdoc ITesseraRollup
    function slotsUsePrices(bytes calldata slots, uint64 t) public pure returns (bool) {
        uint256 n = slots.length / SLOT_BYTES;
        for (uint256 i = 0; i < n; ++i) {
            uint256 f0 = _slotF0(slots, i);
            uint256 txType = f0 & TX_TYPE_MASK;
            if (txType == TX_NOOP || txType == TX_DEPOSIT || txType == TX_SETTLE || txType == TX_FEE_SWEEP) continue;
            if (txType == TX_WITHDRAW && (f0 >> WITHDRAW_FLAT_BIT) & 1 == 1) continue;
            if (txType == TX_FORCED_WITHDRAW && (f0 >> FORCED_WITHDRAW_FLAT_BIT) & 1 == 1) continue;
            if (txType == TX_FORCED_CLOSE) {
                // Refused, or served as a settlement (flagged, or an option expired at t): no price.
                if ((f0 >> FORCED_CLOSE_SERVED_BIT) & 1 == 0 || f0 & FORCED_SETTLEMENT_FLAG != 0) continue;
                uint256 instrument = (f0 >> FORCED_CLOSE_INSTRUMENT_SHIFT) & MASK_82;
                uint256 kind = (instrument >> 8) & 3;
                if ((kind == KIND_CALL || kind == KIND_PUT) && ((instrument >> 50) & MASK_32) <= t) continue;
            }
            return true;
        }
        return false;
    }

    /// @dev The records are canonical (nonzero records first with strictly increasing keys
    /// `underlying | expiry << 8`, then zeros only), and each nonzero record
    /// `underlying | expiry << 8 | price << 40` has 1 ≤ underlying ≤ U, no bits above 80,
    /// expiry ≤ batch timestamp, and price = the series' fixed price if an earlier batch fixed it,
    /// else the answer in force at expiry.
    function _checkSettlements(BatchHeader calldata header) internal view {
        uint256[] calldata settlements = header.settlements;
        _checkCanonical(settlements);
        for (uint256 i = 0; i < settlements.length; ++i) {
            uint256 record = settlements[i];
            if (record == 0) break;
            uint256 key = record & SETTLEMENT_KEY_MASK;
            uint256 underlying = record & MASK_8;
            uint256 expiry = (record >> 8) & MASK_32;
            uint256 price = record >> 40;
            if (underlying == 0 || underlying > underlyings || price > MASK_40 || expiry > header.timestamp) {
                revert InvalidSettlementRecord(i, record);
            }
            uint256 fixedPlusOne = _settlementPrice[key];
            if (fixedPlusOne != 0) {
                if (fixedPlusOne - 1 != price) {
                    revert SettlementPriceAlreadyFixed(underlying, expiry, fixedPlusOne - 1, price);
                }
                continue;
            }
            uint256 expected = _priceInForceAt(underlying, expiry, header.settlementRoundIds[i]);
            if (expected != price) revert SettlementPriceMismatch(i, expected, price);
        }
    }

    /// @dev Nonzero records first, their keys `underlying | expiry << 8` strictly increasing, and
    /// every record after the first zero also zero (the circuit and protocol/ enforce the same).
    function _checkCanonical(uint256[] calldata settlements) internal pure {
        uint256 previousKey = 0;
        bool zeroSeen = false;
        for (uint256 i = 0; i < settlements.length; ++i) {
            uint256 record = settlements[i];
            if (record == 0) {
                zeroSeen = true;
                continue;
            }
            uint256 key = record & SETTLEMENT_KEY_MASK;
            if (zeroSeen || key <= previousKey) revert NonCanonicalSettlements(i, record);
            previousKey = key;
        }
    }

    /// @dev Stores the price of every series a batch settles for the first time (checked before).
    function _fixSettlementPrices(uint256[] calldata settlements) internal {
        for (uint256 i = 0; i < settlements.length; ++i) {
            uint256 record = settlements[i];
            if (record == 0) break;
            _fixSettlementPrice(record & SETTLEMENT_KEY_MASK, record >> 40);
        }
    }

    /// @dev Fixes the price of series `key` (`underlying | expiry << 8`) unless already fixed.
    function _fixSettlementPrice(uint256 key, uint256 price) internal {
        if (_settlementPrice[key] != 0) return;
        _settlementPrice[key] = price + 1;
        emit SettlementPriceFixed(key & MASK_8, key >> 8, price);
    }

    /// @dev `sha256(bytes) & COMMITMENT_MASK` (docs/protocol.md §8), where `bytes` is the public data
    /// `[stateRoot, newStateRoot, t, domain, prices, settlements, instrument table, deposit records,
    /// slots]` big-endian at its widths: the roots and the domain 32 bytes, t 4, a price 5, a
    /// settlement record 10, an instrument-table word 11, a deposit record 20 (owner) + 32
    /// (pkHash), then every slot's 16 + 8 bytes (f0, f1) copied from calldata as they are. Every
    /// header word must fit its width, and a 32-byte word must be a field element (the circuit
    /// decomposes it modulo r, so `x` and `x + r` would otherwise both open it). The slot bytes
    /// need no check: a 16- or 8-byte value is below 2^128 < r, and `_checkShape` fixed their length.
    function _commitment(BatchHeader calldata header, bytes calldata slots) internal view returns (uint256 c) {
        uint256 length =
            100 +
                5 * header.prices.length +
                10 * header.settlements.length +
                INSTRUMENT_WORD_BYTES * header.instruments.length +
                26 * header.deposits.length +
                slots.length;
        // 32 bytes of slack: each narrow word is written as a whole 32-byte word.
        bytes memory buf = new bytes(length + 32);
        uint256 p;
        assembly ("memory-safe") {
            mstore(buf, length)
            p := add(buf, 32)
        }
        p = _putWord(p, 0, stateRoot, 32);
        p = _putWord(p, 1, header.newStateRoot, 32);
        p = _putWord(p, 2, header.timestamp, 4);
        p = _putWord(p, 3, domain, 32);
        uint256 index = 4;
        (p, index) = _putWords(p, index, header.prices, 5);
        (p, index) = _putWords(p, index, header.settlements, 10);
        (p, index) = _putWords(p, index, header.instruments, INSTRUMENT_WORD_BYTES);
        uint256[] calldata deposits = header.deposits; // 2·D words, 20 + 32 bytes per record
        for (uint256 j = 0; j < deposits.length; j += 2) {
            p = _putWord(p, index + j, deposits[j], 20);
            p = _putWord(p, index + j + 1, deposits[j + 1], 32);
        }
        assembly ("memory-safe") {
            calldatacopy(p, slots.offset, slots.length)
        }
        c = uint256(sha256(buf)) & COMMITMENT_MASK;
        // Below 2^253 < r by construction; the verifier reduces nothing, so say it.
        if (c >= FIELD_MODULUS) revert PublicInputNotInField(type(uint256).max, c);
    }

    /// @dev `_putWord` of each of `words` (public-data indices from `index`), all `w` bytes wide;
    /// returns the next `p` and index. The array's calldata position is decoded once here, where
    /// `header.x[i]` in a loop decodes it again at every element.
    function _putWords(
        uint256 p,
        uint256 index,
        uint256[] calldata words,
        uint256 w
    ) private pure returns (uint256, uint256) {
        for (uint256 i = 0; i < words.length; ++i) p = _putWord(p, index + i, words[i], w);
        return (p, index + words.length);
    }

    /// @dev Writes `v` big-endian in `w` bytes at memory `p` (a whole word: the next write or the
    /// buffer's slack takes the rest) after checking it is a field element that fits; returns `p + w`.
    function _putWord(uint256 p, uint256 index, uint256 v, uint256 w) private pure returns (uint256) {
        if (v >= FIELD_MODULUS) revert PublicInputNotInField(index, v);
        if (w < 32 && v >> (8 * w) != 0) revert PublicDataTooWide(index, v, 8 * w);
        assembly ("memory-safe") {
            mstore(p, shl(sub(256, mul(8, w)), v))
        }
        return p + w;
    }

    /// @dev The public data of docs/protocol.md §8, against the current root: the header words,
    /// the instrument table, the deposit records, then f0, f1 of every slot of the packed `slots`
    /// (its length checked).
    function _buildPublicData(
        BatchHeader calldata header,
        bytes calldata slots
    ) internal view returns (uint256[] memory inputs) {
        inputs = new uint256[](publicDataCount);
        inputs[0] = stateRoot;
        inputs[1] = header.newStateRoot;
        inputs[2] = header.timestamp;
        inputs[3] = domain;
        uint256 at = 4;
        for (uint256 i = 0; i < header.prices.length; ++i) inputs[at++] = header.prices[i];
        for (uint256 i = 0; i < header.settlements.length; ++i) inputs[at++] = header.settlements[i];
        for (uint256 i = 0; i < header.instruments.length; ++i) inputs[at++] = header.instruments[i];
        for (uint256 j = 0; j < header.deposits.length; ++j) inputs[at++] = header.deposits[j];
        uint256 n = slots.length / SLOT_BYTES;
        for (uint256 i = 0; i < n; ++i) {
            inputs[at++] = _slotF0(slots, i);
            inputs[at++] = _slotF1(slots, i);
        }
    }

    /// @dev Calls the snarkjs verifier with `proof[0..8)` then the one public input, the commitment.
    function _verify(uint256[8] calldata proof, uint256 c) internal view {
        (bool ok, bytes memory ret) = verifier.staticcall(abi.encodePacked(VERIFY_SELECTOR, proof, c));
        if (!ok || ret.length != 32 || abi.decode(ret, (uint256)) != 1) revert InvalidProof();
    }

    /// @dev Matches deposit, forced-withdrawal and forced-close slots against the queue in order
    /// and credits withdrawals. The k-th deposit slot (k from 0, in slot order) is matched with
    /// deposit record k (`_matchDeposit`), at most D of them, and the records after the last one
    /// must be (0, 0); forced requests are matched with their outcome bits masked (`_serveForced`).
    /// Returns the number of priority operations consumed.
    function _applySlots(
        uint256 number,
        uint256[] calldata deposits,
        bytes calldata slots
    ) internal returns (uint256 consumed) {
        uint256 head = queueHead;
        uint256 depositSlots = 0;
        uint256 n = slots.length / SLOT_BYTES;
        for (uint256 i = _nextL1Slot(slots, 0, n); i < n; i = _nextL1Slot(slots, i + 1, n)) {
            uint256 f0 = _slotF0(slots, i);
            uint256 txType = f0 & TX_TYPE_MASK;
            if (txType == TX_DEPOSIT || txType == TX_FORCED_WITHDRAW || txType == TX_FORCED_CLOSE) {
                if (head == _queue.length) revert PriorityQueueExhausted(i);
                uint256 f1 = _slotF1(slots, i);
                if (txType == TX_DEPOSIT) {
                    _matchDeposit(deposits, depositSlots, i, head, f0, f1);
                    ++depositSlots;
                    l2Custody += (f0 >> AMOUNT_SHIFT) & MASK_56;
                } else {
                    _serveForced(number, i, head, f0, f1);
                }
                ++head;
            } else if (txType == TX_WITHDRAW) {
                _creditWithdrawal(number, (f0 >> ACCOUNT_SHIFT) & MASK_24, (f0 >> AMOUNT_SHIFT) & MASK_56, false);
            }
        }
        for (uint256 j = depositSlots; 2 * j < deposits.length; ++j) {
            if (deposits[2 * j] != 0 || deposits[2 * j + 1] != 0) revert UnusedDepositRecordNotZero(j);
        }
        consumed = head - queueHead;
        queueHead = uint64(head);
        // Written only when the batch took deposits, beside `queueHead`. Cannot underflow: each
        // deposit slot consumed a queued deposit, which `deposit` counted.
        if (depositSlots != 0) {
            unchecked {
                queuedDeposits -= uint64(depositSlots);
            }
        }
    }

    /// @dev The first slot at or after `i` (of `n`) whose type L1 acts on (`L1_SLOT_TYPES`: deposits,
    /// withdrawals, forced withdrawals and closes), or `n` if there is none. Most slots are trades,
    /// which L1 only hashes: this skips them at about 50 gas a slot, where the Solidity loop paid
    /// about 200. The type is f0's low 4 bits, the low nibble of the slot's 16th byte; `i ≤ n` and
    /// `24·n = slots.length` (`_checkShape`), so every load starts inside `slots`.
    function _nextL1Slot(bytes calldata slots, uint256 i, uint256 n) internal pure returns (uint256 j) {
        assembly ("memory-safe") {
            let start := add(slots.offset, mul(i, SLOT_BYTES))
            let end := add(slots.offset, mul(n, SLOT_BYTES))
            // For the slot at q, `shr(and(shr(128, calldataload(q)), 0xF), L1_SLOT_TYPES)` has its
            // low bit set if L1 acts on the slot (bit `type` of the set). Written out four times
            // rather than as a Yul function: the legacy optimizer does not inline one, and a
            // call per slot would cost as much as the test.
            let p := start
            // Four slots a step while four remain (the loop's own cost shared by four), then one
            // at a time from the first slot of the step that found one, or for the last few.
            for {} lt(add(p, 72), end) {
                p := add(p, 96)
            } {
                if and(
                    or(
                        or(
                            shr(and(shr(SLOT_F0_SHIFT, calldataload(p)), TX_TYPE_MASK), L1_SLOT_TYPES),
                            shr(and(shr(SLOT_F0_SHIFT, calldataload(add(p, 24))), TX_TYPE_MASK), L1_SLOT_TYPES)
                        ),
                        or(
                            shr(and(shr(SLOT_F0_SHIFT, calldataload(add(p, 48))), TX_TYPE_MASK), L1_SLOT_TYPES),
                            shr(and(shr(SLOT_F0_SHIFT, calldataload(add(p, 72))), TX_TYPE_MASK), L1_SLOT_TYPES)
                        )
                    ),
                    1
                ) {
                    break
                }
            }
            for {} lt(p, end) {
                p := add(p, SLOT_BYTES)
            } {
                if and(shr(and(shr(SLOT_F0_SHIFT, calldataload(p)), TX_TYPE_MASK), L1_SLOT_TYPES), 1) {
                    break
                }
            }
            j := add(i, div(sub(p, start), SLOT_BYTES))
        }
    }

    /// @dev Matches deposit slot `slot` (`f0`, `f1`), the batch's `k`-th deposit slot, with the
    /// queued deposit at `queueIndex`: a deposit slot beyond the D records is refused
    /// (`TooManyDeposits`); the slot carries the queued f0 without the owner and f1 = 0
    /// (`PriorityOpMismatch`); deposit record k is the queued (owner, pkHash) (`DepositRecordMismatch`).
    function _matchDeposit(
        uint256[] calldata deposits,
        uint256 k,
        uint256 slot,
        uint256 queueIndex,
        uint256 f0,
        uint256 f1
    ) internal view {
        uint256 limit = deposits.length / 2;
        if (k == limit) revert TooManyDeposits(slot, limit);
        PriorityOp storage op = _queue[queueIndex];
        uint256 queued = op.f0;
        uint256 expected = queued & DEPOSIT_SLOT_F0_MASK;
        if (f0 != expected || f1 != 0) revert PriorityOpMismatch(slot, queueIndex, expected, f0);
        if (deposits[2 * k] != queued >> DEPOSIT_OWNER_SHIFT || deposits[2 * k + 1] != op.f1) {
            revert DepositRecordMismatch(slot, k);
        }
    }

    /// @dev Serves the forced withdrawal or forced close queued at `queueIndex` with slot `slot`
    /// (`f0`, `f1`), its f0 compared with the outcome bits masked (served amount and `flat`; the
    /// served bit). A forced withdrawal's f1 is compared as it is (the requested amount); a forced
    /// close's is not (the insurance fund account the operator picked, proven by the circuit).
    /// Frees one of the account's open forced requests, then credits the served amount or reports
    /// the close.
    function _serveForced(uint256 number, uint256 slot, uint256 queueIndex, uint256 f0, uint256 f1) internal {
        PriorityOp storage op = _queue[queueIndex];
        bool withdrawal = f0 & TX_TYPE_MASK == TX_FORCED_WITHDRAW;
        bool matches =
            withdrawal ? (f0 & FORCED_SERVED_CLEAR) == op.f0 && f1 == op.f1 : (f0 & FORCED_CLOSE_SERVED_CLEAR) == op.f0;
        if (!matches) revert PriorityOpMismatch(slot, queueIndex, op.f0, f0);
        uint256 accountId = (f0 >> ACCOUNT_SHIFT) & MASK_24;
        --openForcedRequests[accountId];
        if (withdrawal) {
            _creditWithdrawal(number, accountId, (f0 >> AMOUNT_SHIFT) & MASK_56, true);
        } else {
            emit ForcedCloseServed(
                number,
                queueIndex,
                accountId,
                (f0 >> FORCED_CLOSE_INSTRUMENT_SHIFT) & MASK_82,
                (f0 >> FORCED_CLOSE_SERVED_BIT) & 1 == 1,
                f1 & MASK_24
            );
        }
    }

    function _creditWithdrawal(uint256 number, uint256 accountId, uint256 amount, bool forced) internal {
        address owner = accountOwner[accountId];
        l2Custody -= amount;
        claimable[owner] += amount;
        emit WithdrawalCredited(number, accountId, owner, amount, forced);
    }

    // ================================================================ oracle

    /// @dev The answer of `roundId` of `feed` (of `underlying`, `decimals`) in cents, and its `updatedAt`.
    /// Reverts unless the round exists and its answer is positive.
    function _roundCents(
        uint256 underlying,
        AggregatorV3Interface feed,
        uint8 decimals,
        uint80 roundId
    ) internal view returns (uint256 cents, uint256 updatedAt) {
        int256 answer;
        try feed.getRoundData(roundId) returns (uint80, int256 a, uint256, uint256 at, uint80) {
            answer = a;
            updatedAt = at;
        } catch {
            revert InvalidOracleRound(underlying, roundId, 0, 0);
        }
        if (answer <= 0 || updatedAt == 0) revert InvalidOracleRound(underlying, roundId, answer, updatedAt);
        cents = uint256(answer) / _scale(decimals);
    }

    /// @dev Whether `roundId` is the latest round of the feed of `underlying` and, if it is, its
    /// answer in cents and `updatedAt` (reverting as `_roundCents` on a non-positive answer or a
    /// zero time). One call where `_roundCents` and `_nextRound` make two or three: a batch usually
    /// carries each feed's latest round. No round follows the latest one, in its phase or a later
    /// one (a proxy's latest round is in its newest phase), so `_nextRound` would find none.
    function _latestRoundIf(
        uint256 underlying,
        uint80 roundId
    ) internal view returns (uint256 cents, uint256 updatedAt, bool latest) {
        Feed memory f = _feeds[underlying - 1];
        try f.feed.latestRoundData() returns (uint80 id, int256 answer, uint256, uint256 at, uint80) {
            if (id != roundId) return (0, 0, false);
            if (answer <= 0 || at == 0) revert InvalidOracleRound(underlying, roundId, answer, at);
            return (uint256(answer) / _scale(f.decimals), at, true);
        } catch {
            return (0, 0, false);
        }
    }

    /// @dev The answer in cents of the round in force at `expiry` of the feed in force at `expiry`
    /// (`_feedInForceAt`: a feed replaced after the expiry still prices it, so a series left
    /// unsettled across a feed change can still be settled and exited): `roundId` updated at or
    /// before `expiry`, and the round after it, if it exists, updated after `expiry`. Chainlink's
    /// proxies number rounds per phase (`phaseId << 64 | n`): the round after the last of a phase
    /// is round 1 of the next phase, so when `roundId + 1` does not exist that round is checked instead.
    function _priceInForceAt(uint256 underlying, uint256 expiry, uint80 roundId) internal view returns (uint256 cents) {
        (AggregatorV3Interface feed, uint8 decimals) = _feedInForceAt(underlying, expiry);
        uint256 updatedAt;
        (cents, updatedAt) = _roundCents(underlying, feed, decimals, roundId);
        if (updatedAt > expiry) revert RoundNotInForceAtExpiry(underlying, roundId, expiry);
        (bool exists, , uint256 nextAt) = _nextRound(feed, roundId);
        if (exists && nextAt <= expiry) revert RoundNotInForceAtExpiry(underlying, roundId, expiry);
    }

    /// @dev The feed of `underlying` in force at `time`: the retired feed with the smallest `until`
    /// ≥ `time` (a feed rules up to and including the second it was replaced), else the current
    /// one. The history is sorted by `until`, so the first such entry is it; it holds one entry per
    /// executed change, so the walk is short, and with no change it reads only the array's length.
    function _feedInForceAt(
        uint256 underlying,
        uint256 time
    ) internal view returns (AggregatorV3Interface feed, uint8 decimals) {
        RetiredFeed[] storage retired = _retiredFeeds[underlying - 1];
        uint256 n = retired.length;
        for (uint256 i = 0; i < n; ++i) {
            RetiredFeed storage r = retired[i];
            if (r.until >= time) return (r.feed, r.decimals);
        }
        Feed storage current = _feeds[underlying - 1];
        return (current.feed, current.decimals);
    }

    /// @inheritdoc ITesseraRollup
    function feedInForceAt(uint256 underlying, uint256 time) external view returns (address feed, uint8 decimals) {
        if (underlying == 0 || underlying > underlyings) revert UnknownUnderlying(underlying);
        AggregatorV3Interface f;
        (f, decimals) = _feedInForceAt(underlying, time);
        feed = address(f);
    }

    /// @dev The round of `feed` after `roundId` (protocol/feedRounds.ts): `roundId + 1` if it
    /// exists, else round 1 of the next proxy phase (`(phaseId + 1) << 64 | 1`); whether it exists
    /// and its `updatedAt`.
    function _nextRound(
        AggregatorV3Interface feed,
        uint80 roundId
    ) internal view returns (bool exists, uint80 nextId, uint256 nextAt) {
        // A round id at the top of uint80 has no successor a proxy could serve.
        if (roundId == type(uint80).max) return (false, 0, 0);
        nextId = roundId + 1;
        (exists, nextAt) = _roundTime(feed, nextId);
        if (!exists) {
            uint256 nextPhase = (uint256(roundId) >> 64) + 1;
            // A phase id past 16 bits does not exist on a proxy; its first round cannot be "after".
            if (nextPhase <= type(uint16).max) {
                nextId = uint80((nextPhase << 64) | 1);
                (exists, nextAt) = _roundTime(feed, nextId);
            }
        }
    }

    /// @dev Whether round `roundId` of `feed` exists, and its `updatedAt`.
    function _roundTime(
        AggregatorV3Interface feed,
        uint80 roundId
    ) internal view returns (bool exists, uint256 updatedAt) {
        try feed.getRoundData(roundId) returns (uint80, int256, uint256, uint256 at, uint80) {
            return (at != 0, at);
        } catch {
            return (false, 0);
        }
    }

    // ================================================================ payments

    /// @inheritdoc ITesseraRollup
    function claim(address owner) external nonReentrant returns (uint256 amount) {
        amount = _takeClaimable(owner);
        collateral.safeTransfer(owner, amount);
    }

    /// @inheritdoc ITesseraRollup
    function claimTo(address to) external nonReentrant returns (uint256 amount) {
        if (to == address(0) || to == address(this)) revert InvalidRecipient(to);
        amount = _takeClaimable(msg.sender);
        collateral.safeTransfer(to, amount);
    }

    /// @dev Zeroes `owner`'s claimable balance and returns it; reverts when there is none.
    function _takeClaimable(address owner) internal returns (uint256 amount) {
        amount = claimable[owner];
        if (amount == 0) revert NothingToClaim(owner);
        claimable[owner] = 0;
        emit Claimed(owner, amount);
    }

    // ================================================================ exodus

    /// @inheritdoc ITesseraRollup
    function activateExodus(uint256 queueIndex) external notInExodus {
        if (queueIndex < queueHead || queueIndex >= _queue.length) revert NoPendingPriorityOp();
        PriorityOp storage op = _queue[queueIndex];
        uint64 queuedAt = op.queuedAt;
        uint256 due = _overdueAt(op);
        if (block.timestamp <= due) revert ExodusTooEarly(queueIndex, due);
        exodus = true;
        exodusActivatedAt = uint64(block.timestamp);
        exitCustody = l2Custody;
        emit ExodusActivated(queueIndex, queuedAt);
    }

    /// @inheritdoc ITesseraRollup
    function refundDeposit(uint256 queueIndex) external nonReentrant onlyInExodus {
        if (queueIndex < queueHead || queueIndex >= _queue.length) revert NotRefundable(queueIndex);
        PriorityOp storage op = _queue[queueIndex];
        if (op.f0 & TX_TYPE_MASK != TX_DEPOSIT || op.refunded) revert NotRefundable(queueIndex);
        op.refunded = true;
        uint256 amount = (op.f0 >> AMOUNT_SHIFT) & MASK_56;
        address depositor = op.requester;
        emit DepositRefunded(queueIndex, depositor, amount);
        _payOrCredit(depositor, amount);
    }

    /// @inheritdoc ITesseraRollup
    /// @dev Exit rule: equity = collateral + Σ value(position) (+ feePool for account 0), valued at
    /// the last verified batch's prices: perp `size·(price − F[u]) − cost`; option not expired at the
    /// last batch `size·intrinsic(price) − cost`; option expired by then `size·intrinsic(S) − cost`
    /// with S the series' fixed settlement price, or else the answer in force at expiry (validated
    /// like a settlement record, then fixed). In the claim window the positive part `e` is
    /// registered; after it `payExit` pays `min(e, e·C/E)` (C = custody at activation, E = Σ e).
    /// After the window an unregistered account is paid `min(e, what the registered exits leave)`.
    function exit(
        uint256 accountId,
        uint256[] calldata leafPreimage,
        uint256[] calldata siblings,
        uint256[] calldata globalPreimage,
        uint80[] calldata settlementRoundIds
    ) external nonReentrant onlyInExodus {
        if (exited[accountId]) revert AlreadyExited(accountId);
        address owner = accountOwner[accountId];
        if (owner == address(0)) revert UnknownAccount(accountId);
        if (settlementRoundIds.length != positionsPerAccount) revert BadExitProofShape();
        _checkExitProof(accountId, owner, leafPreimage, siblings, globalPreimage);
        _recordExit(accountId, owner, _exitEquity(accountId, leafPreimage, globalPreimage, settlementRoundIds));
    }

    /// @dev Once the exit proof of `accountId` gave `equity`: registers it in the claim window,
    /// pays it from what the registered exits leave after it.
    function _recordExit(uint256 accountId, address owner, int256 equity) internal {
        exited[accountId] = true;
        if (block.timestamp <= exitClaimWindowEnd()) {
            uint256 positive = equity > 0 ? uint256(equity) : 0;
            exitEquity[accountId] = positive;
            totalExitEquity += positive;
            emit ExitRegistered(accountId, owner, equity);
        } else {
            _payLateExit(accountId, owner, equity);
        }
    }

    /// @dev After the claim window: pays `min(max(0, equity), l2Custody − what the registered exits
    /// may still take)` at once.
    function _payLateExit(uint256 accountId, address owner, int256 equity) internal {
        uint256 positive = equity > 0 ? uint256(equity) : 0;
        uint256 available = l2Custody - (_registeredShare() - _registeredPaid);
        uint256 payout = positive < available ? positive : available;
        exitPaid[accountId] = true;
        l2Custody -= payout;
        emit Exited(accountId, owner, equity, payout);
        if (payout != 0) _payOrCredit(owner, payout);
    }

    /// @inheritdoc ITesseraRollup
    function payExit(uint256 accountId) external nonReentrant onlyInExodus returns (uint256 payout) {
        uint256 windowEnd = exitClaimWindowEnd();
        if (block.timestamp <= windowEnd) revert ExitClaimWindowOpen(windowEnd);
        if (exitPaid[accountId]) revert ExitAlreadyPaid(accountId);
        if (!exited[accountId]) revert ExitNotRegistered(accountId);
        uint256 equity = exitEquity[accountId];
        payout = _proRata(equity);
        exitPaid[accountId] = true;
        _registeredPaid += payout;
        l2Custody -= payout;
        address owner = accountOwner[accountId];
        emit Exited(accountId, owner, int256(equity), payout);
        if (payout != 0) _payOrCredit(owner, payout);
    }

    /// @dev Pays `amount` to `to`; when the token refuses (an address its issuer froze), credits it
    /// to `to`'s claimable balance instead, which `claimTo` sends elsewhere. So an exodus payment
    /// never reverts for its recipient's sake: it is owed to them either way. (A caller who gives
    /// the transfer too little gas only moves the payment to that balance, where `claim` pays it.)
    function _payOrCredit(address to, uint256 amount) internal {
        if (!collateral.trySafeTransfer(to, amount)) {
            claimable[to] += amount;
            emit PayoutCredited(to, amount);
        }
    }

    /// @inheritdoc ITesseraRollup
    function exitPayout(uint256 accountId) external view returns (uint256) {
        if (!exited[accountId] || exitPaid[accountId]) return 0;
        return _proRata(exitEquity[accountId]);
    }

    /// @inheritdoc ITesseraRollup
    function exitClaimWindowEnd() public view returns (uint256) {
        return exodusActivatedAt == 0 ? 0 : uint256(exodusActivatedAt) + exitClaimWindow;
    }

    /// @dev `min(equity, equity × C / E)`, rounded down: Σ over the registered exits ≤ min(E, C).
    function _proRata(uint256 equity) internal view returns (uint256) {
        uint256 total = totalExitEquity;
        uint256 custody = exitCustody;
        if (total <= custody) return equity;
        return (equity * custody) / total;
    }

    /// @dev What the registered exits take in all: min(E, C).
    function _registeredShare() internal view returns (uint256) {
        uint256 total = totalExitEquity;
        return total < exitCustody ? total : exitCustody;
    }

    /// @dev Reverts unless the leaf belongs to `owner` and, with its path and the global preimage,
    /// hashes to the last verified state root.
    function _checkExitProof(
        uint256 accountId,
        address owner,
        uint256[] calldata leafPreimage,
        uint256[] calldata siblings,
        uint256[] calldata globalPreimage
    ) internal view {
        if (
            leafPreimage.length != 4 + 3 * positionsPerAccount ||
            siblings.length != (3 * accountDepth) / 2 ||
            globalPreimage.length != 1 + 2 * underlyings
        ) revert BadExitProofShape();
        if (leafPreimage[1] != uint256(uint160(owner))) revert LeafOwnerMismatch(accountId, leafPreimage[1], owner);
        uint256 root = exitRootHasher.root(accountId, leafPreimage, siblings, globalPreimage);
        if (root != stateRoot) revert ExitProofMismatch(root, stateRoot);
    }

    function _exitEquity(
        uint256 accountId,
        uint256[] calldata leafPreimage,
        uint256[] calldata globalPreimage,
        uint80[] calldata settlementRoundIds
    ) internal returns (int256 equity) {
        equity = _signed(leafPreimage[2]);
        for (uint256 i = 0; i < settlementRoundIds.length; ++i) {
            int256 size = _signed(leafPreimage[5 + 3 * i]);
            int256 cost = _signed(leafPreimage[6 + 3 * i]);
            if (size != 0) {
                equity += size * _mark(leafPreimage[4 + 3 * i], globalPreimage, settlementRoundIds[i]);
            }
            equity -= cost;
        }
        if (accountId == 0) equity += int256(globalPreimage[0]);
    }

    /// @dev Mark of one unit of `instrument` at the last verified batch (docs/protocol.md §6.1),
    /// with expired options at their settlement price (fixed here if no batch fixed it).
    function _mark(
        uint256 instrument,
        uint256[] calldata globalPreimage,
        uint80 settlementRoundId
    ) internal returns (int256) {
        uint256 underlying = instrument & MASK_8;
        // A proven leaf holds instruments of underlyings 1..U only (the circuit's rule). Checked
        // anyway: the price arrays are fixed-size (MAX_UNDERLYINGS), so an index past U would
        // read an empty entry, a price of 0, where a dynamic array used to revert.
        if (underlying == 0 || underlying > underlyings) revert UnknownUnderlying(underlying);
        uint256 kind = (instrument >> 8) & 3;
        if (kind == KIND_PERP) {
            return int256(uint256(_last[underlying - 1].price)) - _signed(globalPreimage[underlying]);
        }
        uint256 strike = (instrument >> 10) & MASK_40;
        uint256 expiry = (instrument >> 50) & MASK_32;
        uint256 price = _last[underlying - 1].price;
        if (expiry <= lastBatchTimestamp) {
            uint256 key = underlying | (expiry << 8);
            uint256 fixedPlusOne = _settlementPrice[key];
            if (fixedPlusOne != 0) {
                price = fixedPlusOne - 1;
            } else {
                price = _priceInForceAt(underlying, expiry, settlementRoundId);
                _fixSettlementPrice(key, price);
            }
        }
        if (kind == KIND_CALL) return price > strike ? int256(price - strike) : int256(0);
        return strike > price ? int256(strike - price) : int256(0);
    }

    /// @dev Field encoding → signed integer (docs/protocol.md §1). `x` is below the modulus (checked when hashed).
    function _signed(uint256 x) internal pure returns (int256) {
        return x > FIELD_MODULUS / 2 ? -int256(FIELD_MODULUS - x) : int256(x);
    }

    function _requireHasher(address[8] memory hashers, uint256 arity) internal pure {
        if (hashers[arity - 1] == address(0)) revert InvalidConfig("poseidonHashers");
    }

    // ================================================================ views and admin

    /// @inheritdoc ITesseraRollup
    function priorityQueueLength() external view returns (uint256) {
        return _queue.length;
    }

    /// @inheritdoc ITesseraRollup
    function priorityOp(uint256 queueIndex) external view returns (PriorityOp memory) {
        return _queue[queueIndex];
    }

    /// @inheritdoc ITesseraRollup
    function overdueAt(uint256 queueIndex) external view returns (uint256) {
        return _overdueAt(_queue[queueIndex]);
    }

    /// @inheritdoc ITesseraRollup
    function feeds() external view returns (AggregatorV3Interface[] memory list) {
        list = new AggregatorV3Interface[](underlyings);
        for (uint256 i = 0; i < list.length; ++i) list[i] = _feeds[i].feed;
    }

    /// @inheritdoc ITesseraRollup
    function lastPrices() external view returns (uint256[] memory list) {
        list = new uint256[](underlyings);
        for (uint256 i = 0; i < list.length; ++i) list[i] = _last[i].price;
    }

    /// @inheritdoc ITesseraRollup
    function lastPriceRoundIds() external view returns (uint80[] memory list) {
        list = new uint80[](underlyings);
        for (uint256 i = 0; i < list.length; ++i) list[i] = _last[i].roundId;
    }

    /// @inheritdoc ITesseraRollup
    function settlementPrice(uint256 underlying, uint256 expiry) external view returns (bool isFixed, uint256 price) {
        uint256 p = _settlementPrice[underlying | (expiry << 8)];
        return (p != 0, p == 0 ? 0 : p - 1);
    }

    /// @inheritdoc ITesseraRollup
    function setOperator(address newOperator) external onlyOwner {
        if (newOperator == address(0)) revert InvalidConfig("operator");
        emit OperatorChanged(operator, newOperator);
        operator = newOperator;
    }

    /// @inheritdoc ITesseraRollup
    function queueFeedChange(uint256 underlying, AggregatorV3Interface newFeed) external onlyOwner notInExodus {
        if (underlying == 0 || underlying > underlyings) revert UnknownUnderlying(underlying);
        if (address(newFeed) == address(0)) revert InvalidConfig("feeds");
        if (address(pendingFeedChange[underlying].feed) != address(0)) revert FeedChangeAlreadyQueued(underlying);
        _decimalsOf(newFeed);
        uint256 executableAt = block.timestamp + feedChangeDelay;
        pendingFeedChange[underlying] = FeedChange({feed: newFeed, executableAt: uint64(executableAt)});
        emit FeedChangeQueued(underlying, address(newFeed), executableAt);
    }

    /// @inheritdoc ITesseraRollup
    function cancelFeedChange(uint256 underlying) external onlyOwner {
        FeedChange memory change = pendingFeedChange[underlying];
        if (address(change.feed) == address(0)) revert NoFeedChangeQueued(underlying);
        delete pendingFeedChange[underlying];
        emit FeedChangeCancelled(underlying, address(change.feed));
    }

    /// @inheritdoc ITesseraRollup
    function executeFeedChange(uint256 underlying) external onlyOwner notInExodus {
        FeedChange memory change = pendingFeedChange[underlying];
        if (address(change.feed) == address(0)) revert NoFeedChangeQueued(underlying);
        if (block.timestamp < change.executableAt) revert FeedChangeTooEarly(underlying, change.executableAt);
        // A request queued in time to leave before the change (by `executableAt − deadline`) may be
        // due later than `executableAt` behind a long queue (`_overdueAt`): the change waits until
        // every such request is served, or overdue (then anyone may open the exodus, which stops it).
        uint256 head = queueHead;
        if (head < _queue.length && _queue[head].queuedAt <= change.executableAt - forcedRequestDeadline) {
            revert FeedChangeAwaitsQueue(underlying, head);
        }
        uint8 decimals = _decimalsOf(change.feed);
        _requireRound(underlying, change.feed);
        delete pendingFeedChange[underlying];
        Feed storage current = _feeds[underlying - 1];
        AggregatorV3Interface previous = current.feed;
        // The previous feed still prices every series that expired up to now (`_feedInForceAt`).
        _retiredFeeds[underlying - 1].push(
            RetiredFeed({feed: previous, decimals: current.decimals, until: uint64(block.timestamp)})
        );
        _feeds[underlying - 1] = Feed({feed: change.feed, decimals: decimals});
        // The new feed numbers its rounds afresh.
        _last[underlying - 1].roundId = 0;
        emit FeedChanged(underlying, address(previous), address(change.feed));
    }

    /// @dev Reverts unless `feed` has a round now: a positive answer updated at or before this block.
    /// The new feed prices every expiry after the change (`_feedInForceAt`), and a series whose
    /// expiry fell before the feed's first round would have no round in force at it: no batch could
    /// settle it and no exit value it, so its holders' collateral would stay locked. With a round
    /// at or before the change, every later expiry has one.
    function _requireRound(uint256 underlying, AggregatorV3Interface feed) internal view {
        try feed.latestRoundData() returns (uint80, int256 answer, uint256, uint256 at, uint80) {
            if (answer <= 0 || at == 0 || at > block.timestamp) revert FeedHasNoRound(underlying, address(feed));
        } catch {
            revert FeedHasNoRound(underlying, address(feed));
        }
    }

    /// @dev 10^(decimals − 2), the divisor from a feed's answer to cents. `decimals` is 2..38
    /// (`_decimalsOf`), so the power is at most 10^36: the EVM's `exp` cannot overflow, and the
    /// checked `**` would pay a square-and-multiply loop with a check per step.
    function _scale(uint8 decimals) internal pure returns (uint256 s) {
        assembly ("memory-safe") {
            s := exp(10, sub(decimals, 2))
        }
    }

    /// @dev The decimals of a feed, 2..38 (its answer / 10^(decimals − 2) is in cents).
    function _decimalsOf(AggregatorV3Interface feed) internal view returns (uint8 decimals) {
        decimals = feed.decimals();
        if (decimals < 2 || decimals > 38) revert InvalidConfig("feedDecimals");
    }
}
