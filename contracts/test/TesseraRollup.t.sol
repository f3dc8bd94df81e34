// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {TestBase} from "./utils/TestBase.sol";
import {TesseraRollup} from "../TesseraRollup.sol";
import {ITesseraRollup} from "../interfaces/ITesseraRollup.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {MockAggregator} from "../oracle/MockAggregator.sol";
import {TestUSDC} from "../token/TestUSDC.sol";
import {MockVerifier} from "../mocks/MockVerifier.sol";
import {PhasedAggregator} from "../mocks/PhasedAggregator.sol";
import {ExodusHarness} from "./utils/ExodusHarness.sol";

/// @notice Fuzz tests of deposits, claims, forced withdrawals and the public-input array, on a
/// `test`-profile rollup (nTx 2, U 2, K 1, D 2, depth 4, P 2) with a MockVerifier. The exit proof
/// (on-chain Poseidon) is covered by test/contracts/exodus.test.ts.
// Test names follow test_<fn>_<condition> and testFuzz_<fn>_<condition>.
// solhint-disable func-name-mixedcase
contract TesseraRollupTest is TestBase {
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant MAX_AMOUNT = (1 << 56) - 1;
    uint256 internal constant N_TX = 2;
    uint256 internal constant U = 2;
    uint256 internal constant K = 1;
    uint256 internal constant D = 2;
    uint256 internal constant N_DATA = 4 + U + K + 2 * D + 2 * N_TX;
    /// @dev Bytes of a slot: f0 in 26, then f1 in 17 (docs/protocol.md §7).
    uint256 internal constant SLOT_BYTES = 43;
    uint256 internal constant GENESIS_ROOT = 0x1234;
    uint256 internal constant MAX_BATCH_LAG = 3600;
    int256 internal constant ETH_ANSWER = 300_012_345_678;
    int256 internal constant BTC_ANSWER = 6_000_050_000_000;

    address internal constant OPERATOR = address(0x0B);
    address internal constant ALICE = address(0xA11CE);
    address internal constant FEE_OWNER = address(0xFEE);
    address internal constant INSURANCE_OWNER = address(0x1F);

    TestUSDC internal usdc;
    MockAggregator internal ethFeed;
    MockAggregator internal btcFeed;
    MockVerifier internal verifier;
    TesseraRollup internal rollup;
    /// @dev priceRoundGrace of the rollups `_deployWith` makes (0: the strict rule).
    uint256 internal grace;

    function setUp() public {
        vm.warp(1_800_000_000);
        usdc = new TestUSDC(address(this));
        ethFeed = new MockAggregator("ETH / USD", address(this));
        btcFeed = new MockAggregator("BTC / USD", address(this));
        ethFeed.pushAnswer(ETH_ANSWER);
        btcFeed.pushAnswer(BTC_ANSWER);
        verifier = new MockVerifier(1);
        rollup = _deploy(ethFeed);
    }

    /// @dev A `test`-profile rollup whose ETH feed is `eth` (BTC: `btcFeed`).
    function _deploy(AggregatorV3Interface eth) internal returns (TesseraRollup) {
        return _deployWith(eth, K, address(verifier));
    }

    /// @dev A `test`-profile rollup with `k` settlement records per batch and the given verifier.
    function _deployWith(AggregatorV3Interface eth, uint256 k, address verifier_) internal returns (TesseraRollup) {
        return _deployProfile(eth, k, D, verifier_);
    }

    /// @dev A `test`-profile rollup with `k` settlement and `d` deposit records per batch.
    function _deployProfile(
        AggregatorV3Interface eth,
        uint256 k,
        uint256 d,
        address verifier_
    ) internal returns (TesseraRollup) {
        AggregatorV3Interface[] memory feeds = new AggregatorV3Interface[](2);
        feeds[0] = eth;
        feeds[1] = btcFeed;
        address[8] memory hashers;
        // Exit is not exercised here: any nonzero address satisfies the constructor.
        for (uint256 n = 1; n <= 8; ++n) hashers[n - 1] = address(uint160(0x9000 + n));
        return
            new TesseraRollup(
                ITesseraRollup.Config({
                    collateral: IERC20(address(usdc)),
                    feeds: feeds,
                    verifier: verifier_,
                    profile: ITesseraRollup.Profile({
                        nTx: uint16(N_TX),
                        settlements: uint8(k),
                        accountDepth: 4,
                        positions: 2,
                        deposits: uint8(d)
                    }),
                    genesisStateRoot: GENESIS_ROOT,
                    feeAccountOwner: FEE_OWNER,
                    feeAccountPkHash: 11,
                    insuranceFundOwner: INSURANCE_OWNER,
                    insuranceFundPkHash: 22,
                    operator: OPERATOR,
                    admin: address(this),
                    maxOracleAge: 3600,
                    forcedRequestDeadline: 7 days,
                    maxBatchLag: MAX_BATCH_LAG,
                    priceRoundGrace: grace,
                    feedChangeDelay: 8 days,
                    exitClaimWindow: 3 days,
                    poseidonHashers: hashers
                })
            );
    }

    // ---------------------------------------------------------------- helpers

    function _registerAlice(uint256 pkHash) internal returns (uint256 accountId) {
        vm.prank(ALICE);
        accountId = rollup.register(pkHash);
    }

    function _fund(address who, uint256 amount) internal {
        usdc.mint(who, amount);
        vm.prank(who);
        usdc.approve(address(rollup), amount);
    }

    /// @dev A deposit slot's f0 (docs/protocol.md §7), written out independently of the contract:
    /// the owner and key travel in the batch's deposit records.
    function _depositF0(uint256 accountId, uint256 amount) internal pure returns (uint256) {
        return 1 + accountId * 2 ** 4 + amount * 2 ** 36;
    }

    /// @dev The f0 L1 queues for a deposit: the slot's f0 with the owner at bit 92.
    function _queuedDepositF0(uint256 accountId, uint256 amount, address owner) internal pure returns (uint256) {
        return _depositF0(accountId, amount) + uint256(uint160(owner)) * 2 ** 92;
    }

    function _withdrawF0(uint256 accountId, uint256 amount, uint256 orderId) internal pure returns (uint256) {
        return 2 + accountId * 2 ** 4 + amount * 2 ** 36 + orderId * 2 ** 92;
    }

    function _forcedF0(uint256 accountId, uint256 served, uint256 requested) internal pure returns (uint256) {
        return 3 + accountId * 2 ** 4 + served * 2 ** 36 + requested * 2 ** 92;
    }

    function _header(uint256 newRoot) internal view returns (ITesseraRollup.BatchHeader memory h) {
        h.newStateRoot = newRoot;
        h.timestamp = uint64(block.timestamp);
        h.prices = new uint256[](U);
        h.prices[0] = uint256(ETH_ANSWER) / 1e6;
        h.prices[1] = uint256(BTC_ANSWER) / 1e6;
        h.priceRoundIds = new uint80[](U);
        h.priceRoundIds[0] = 1;
        h.priceRoundIds[1] = 1;
        h.settlements = new uint256[](K);
        h.settlementRoundIds = new uint80[](K);
        h.deposits = new uint256[](2 * D);
    }

    /// @dev `_header(newRoot)` whose deposit record 0 is (owner, pkHash), record 1 zero.
    function _headerWithDeposit(
        uint256 newRoot,
        address owner,
        uint256 pkHash
    ) internal view returns (ITesseraRollup.BatchHeader memory h) {
        h = _header(newRoot);
        (h.deposits[0], h.deposits[1]) = (uint256(uint160(owner)), pkHash);
    }

    /// @dev The two slots packed as `submitBatch` takes them: f0 in 26 bytes then f1 in 17, each
    /// big-endian (docs/protocol.md §7). Refuses a value that does not fit rather than cut it.
    function _slots(uint256 f0a, uint256 f1a, uint256 f0b, uint256 f1b) internal pure returns (bytes memory s) {
        assertTrue(f0a < 2 ** 208 && f0b < 2 ** 208 && f1a < 2 ** 136 && f1b < 2 ** 136, "slot words fit");
        s = abi.encodePacked(uint208(f0a), uint136(f1a), uint208(f0b), uint136(f1b));
        assertEq(s.length, SLOT_BYTES * N_TX, "43 bytes per slot");
    }

    function _submit(ITesseraRollup.BatchHeader memory h, bytes memory slots) internal {
        uint256[8] memory proof;
        vm.prank(OPERATOR);
        rollup.submitBatch(h, slots, proof);
    }

    // ---------------------------------------------------------------- deposits

    function testFuzz_deposit_queuesPackedPublicData(uint256 amount, uint256 pkHash, address depositor) public {
        amount = bound(amount, 1, MAX_AMOUNT);
        pkHash = bound(pkHash, 1, R - 1);
        vm.assume(depositor != address(0) && depositor != address(rollup));
        uint256 id = _registerAlice(pkHash);
        _fund(depositor, amount);
        vm.prank(depositor);
        uint256 queueIndex = rollup.deposit(id, amount);

        ITesseraRollup.PriorityOp memory op = rollup.priorityOp(queueIndex);
        assertEq(op.f0, _queuedDepositF0(id, amount, ALICE), "f0 with the owner");
        assertEq(op.f1, pkHash, "f1 = pkHash");
        assertEq(op.requester, depositor, "requester");
        assertEq(op.queuedAt, block.timestamp, "queuedAt");
        assertEq(usdc.balanceOf(address(rollup)), amount, "custody");
        assertEq(usdc.balanceOf(depositor), 0, "pulled");
    }

    function testFuzz_deposit_rejectsOutOfRangeAmount(uint256 amount) public {
        amount = amount % 2 == 0 ? 0 : bound(amount, MAX_AMOUNT + 1, type(uint256).max);
        uint256 id = _registerAlice(1);
        _fund(ALICE, 1);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.InvalidAmount.selector, amount));
        rollup.deposit(id, amount);
    }

    function testFuzz_deposit_consumedOnlyInOrder(uint256 first, uint256 second) public {
        first = bound(first, 1, MAX_AMOUNT / 2);
        second = bound(second, 1, MAX_AMOUNT / 2);
        vm.assume(first != second);
        uint256 id = _registerAlice(7);
        _fund(ALICE, first + second);
        vm.startPrank(ALICE);
        rollup.deposit(id, first);
        rollup.deposit(id, second);
        vm.stopPrank();
        ITesseraRollup.BatchHeader memory h = _headerWithDeposit(1, ALICE, 7);
        (h.deposits[2], h.deposits[3]) = (uint256(uint160(ALICE)), 7);
        bytes memory swapped = _slots(_depositF0(id, second), 0, _depositF0(id, first), 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITesseraRollup.PriorityOpMismatch.selector,
                0,
                0,
                _depositF0(id, first),
                _depositF0(id, second)
            )
        );
        _submit(h, swapped);
        _submit(h, _slots(_depositF0(id, first), 0, _depositF0(id, second), 0));
        assertEq(rollup.queueHead(), 2, "both consumed");
        assertEq(rollup.l2Custody(), first + second, "custody");
    }

    // ---------------------------------------------------------------- deposit records

    /// A deposit record whose owner or key is not the queued deposit's is refused; so is the right
    /// record in the wrong place (record k belongs to the k-th deposit slot, not to slot k), and a
    /// deposit slot with a nonzero f1. The k-th deposit slot may sit at any slot index.
    function testFuzz_depositRecord_mustMatchTheQueuedDeposit(uint256 pkHash, uint256 wrong, bool ownerWrong) public {
        pkHash = bound(pkHash, 1, R - 1);
        uint256 id = _registerAlice(pkHash);
        _fund(ALICE, 100);
        vm.prank(ALICE);
        rollup.deposit(id, 100);
        bytes memory slots = _slots(_depositF0(id, 100), 0, 0, 0);
        ITesseraRollup.BatchHeader memory h = _headerWithDeposit(1, ALICE, pkHash);
        if (ownerWrong) {
            wrong = bound(wrong, 0, type(uint160).max);
            vm.assume(wrong != uint160(ALICE));
            h.deposits[0] = wrong;
        } else {
            wrong = bound(wrong, 0, R - 1);
            vm.assume(wrong != pkHash);
            h.deposits[1] = wrong;
        }
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.DepositRecordMismatch.selector, 0, 0));
        _submit(h, slots);

        h = _header(1);
        (h.deposits[2], h.deposits[3]) = (uint256(uint160(ALICE)), pkHash);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.DepositRecordMismatch.selector, 0, 0));
        _submit(h, slots);

        h = _headerWithDeposit(1, ALICE, pkHash);
        uint256 f0 = _depositF0(id, 100);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.PriorityOpMismatch.selector, 0, 0, f0, f0));
        _submit(h, _slots(f0, 1 + (pkHash % (2 ** 136 - 1)), 0, 0));

        // Slot 1 after a no-op: still the batch's first deposit, so record 0.
        _submit(h, _slots(0, 0, f0, 0));
        assertEq(rollup.queueHead(), 1, "consumed");
        assertEq(rollup.l2Custody(), 100, "custody");
    }

    /// Two deposits of two owners: record 0 is the first deposit slot's, record 1 the second's.
    function testFuzz_depositRecord_kthDepositSlotTakesRecordK(uint256 pkA, uint256 pkB, address bob) public {
        pkA = bound(pkA, 1, R - 1);
        pkB = bound(pkB, 1, R - 1);
        vm.assume(bob != ALICE && bob != address(0) && bob != address(rollup));
        uint256 a = _registerAlice(pkA);
        vm.prank(bob);
        uint256 b = rollup.register(pkB);
        _fund(bob, 300);
        vm.startPrank(bob);
        rollup.deposit(a, 100); // bob funds alice's account: the record's owner is still alice
        rollup.deposit(b, 200);
        vm.stopPrank();
        bytes memory slots = _slots(_depositF0(a, 100), 0, _depositF0(b, 200), 0);
        ITesseraRollup.BatchHeader memory h = _header(1);
        (h.deposits[0], h.deposits[1]) = (uint256(uint160(bob)), pkB);
        (h.deposits[2], h.deposits[3]) = (uint256(uint160(ALICE)), pkA);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.DepositRecordMismatch.selector, 0, 0));
        _submit(h, slots);
        (h.deposits[0], h.deposits[1]) = (uint256(uint160(ALICE)), pkA);
        if (pkA != pkB) {
            vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.DepositRecordMismatch.selector, 1, 1));
            _submit(h, slots);
        }
        (h.deposits[2], h.deposits[3]) = (uint256(uint160(bob)), pkB);
        _submit(h, slots);
        assertEq(rollup.queueHead(), 2, "both consumed");
        assertEq(rollup.l2Custody(), 300, "custody");
    }

    /// A record that belongs to no deposit slot must be (0, 0), with or without deposits before it.
    function testFuzz_depositRecord_unusedRecordsMustBeZero(uint256 owner, uint256 pk, bool second) public {
        owner = bound(owner, 0, type(uint160).max);
        pk = bound(pk, 0, R - 1);
        vm.assume(owner != 0 || pk != 0);
        uint256 j = second ? 1 : 0;
        ITesseraRollup.BatchHeader memory h = _header(1);
        (h.deposits[2 * j], h.deposits[2 * j + 1]) = (owner, pk);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.UnusedDepositRecordNotZero.selector, j));
        _submit(h, _slots(0, 0, 0, 0));

        uint256 id = _registerAlice(7);
        _fund(ALICE, 100);
        vm.prank(ALICE);
        rollup.deposit(id, 100);
        bytes memory slots = _slots(_depositF0(id, 100), 0, 0, 0);
        h = _headerWithDeposit(1, ALICE, 7);
        (h.deposits[2], h.deposits[3]) = (owner, pk);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.UnusedDepositRecordNotZero.selector, 1));
        _submit(h, slots);
        (h.deposits[2], h.deposits[3]) = (0, 0);
        _submit(h, slots);
        assertEq(rollup.queueHead(), 1, "consumed");
    }

    /// With D = 1 a batch holds one deposit slot: a second one is refused, whatever its record.
    function testFuzz_depositRecord_atMostDDepositSlots(uint256 first, uint256 second) public {
        first = bound(first, 1, MAX_AMOUNT / 2);
        second = bound(second, 1, MAX_AMOUNT / 2);
        TesseraRollup r = _deployProfile(ethFeed, K, 1, address(verifier));
        assertEq(r.depositRecords(), 1, "D");
        assertEq(r.publicDataCount(), 4 + U + K + 2 + 2 * N_TX, "words");
        assertEq(r.commitmentByteLength(), 100 + 5 * U + 10 * K + 52 + SLOT_BYTES * N_TX, "bytes");
        vm.prank(ALICE);
        uint256 id = r.register(7);
        usdc.mint(ALICE, first + second);
        vm.startPrank(ALICE);
        usdc.approve(address(r), first + second);
        r.deposit(id, first);
        r.deposit(id, second);
        vm.stopPrank();
        ITesseraRollup.BatchHeader memory h = _header(1);
        h.deposits = new uint256[](2);
        (h.deposits[0], h.deposits[1]) = (uint256(uint160(ALICE)), 7);
        _expectSubmitRevertWith(
            r,
            h,
            _slots(_depositF0(id, first), 0, _depositF0(id, second), 0),
            abi.encodeWithSelector(ITesseraRollup.TooManyDeposits.selector, 1, 1)
        );
        // D's two words and no more: the shared test header's 2·2 are refused.
        _expectSubmitRevertWith(
            r,
            _headerWithDeposit(1, ALICE, 7),
            _slots(_depositF0(id, first), 0, 0, 0),
            abi.encodeWithSelector(ITesseraRollup.BadBatchShape.selector, U, U, K, K, 2 * D, SLOT_BYTES * N_TX)
        );
        _submitSlotsTo(r, h, _slots(_depositF0(id, first), 0, 0, 0));
        h.newStateRoot = 2;
        _submitSlotsTo(r, h, _slots(0, 0, _depositF0(id, second), 0));
        assertEq(r.queueHead(), 2, "one per batch");
        assertEq(r.l2Custody(), first + second, "custody");
    }

    /// `slots` is exactly 43·nTx bytes and the deposit table exactly 2·D words.
    function testFuzz_submitBatch_rejectsSlotsOrRecordsOfTheWrongLength(uint256 length, uint256 words) public {
        length = bound(length, 0, 4 * SLOT_BYTES * N_TX);
        vm.assume(length != SLOT_BYTES * N_TX);
        words = bound(words, 0, 4 * D);
        vm.assume(words != 2 * D);
        ITesseraRollup.BatchHeader memory h = _header(1);
        bytes memory slots = new bytes(length);
        bytes memory err = abi.encodeWithSelector(ITesseraRollup.BadBatchShape.selector, U, U, K, K, 2 * D, length);
        vm.expectRevert(err);
        _submit(h, slots);
        vm.expectRevert(err);
        rollup.publicData(h, slots);
        vm.expectRevert(err);
        rollup.commitment(h, slots);
        h.deposits = new uint256[](words);
        slots = _slots(0, 0, 0, 0);
        err = abi.encodeWithSelector(ITesseraRollup.BadBatchShape.selector, U, U, K, K, words, SLOT_BYTES * N_TX);
        vm.expectRevert(err);
        _submit(h, slots);
        vm.expectRevert(err);
        rollup.commitment(h, slots);
    }

    /// F13 on the packed layout: a served forced close's instrument is its own slot's f1 (the 17
    /// bytes after its f0), not a neighbour's; a trailing partial slot is no slot.
    function test_slotsUsePrices_readsThePackedSlots() public view {
        uint64 t = uint64(block.timestamp);
        uint256 servedClose = 9 | (2 << 4) | (1 << 68);
        uint256 perp = 1;
        uint256 expiredCall = 1 | (1 << 8) | (1 << 10) | (uint256(t) << 50);
        assertTrue(!rollup.slotsUsePrices(_slots(0, perp, servedClose, expiredCall), t), "settled: no price");
        assertTrue(rollup.slotsUsePrices(_slots(0, expiredCall, servedClose, perp), t), "perp: rules price");
        bytes memory one = abi.encodePacked(uint208(servedClose), uint136(perp));
        assertTrue(rollup.slotsUsePrices(one, t), "one whole slot");
        bytes memory partialSlot = abi.encodePacked(uint208(servedClose), uint128(perp));
        assertTrue(!rollup.slotsUsePrices(partialSlot, t), "42 bytes: no slot");
    }

    // ---------------------------------------------------------------- claims

    function testFuzz_claim_paysExactlyWhatBatchesCredited(
        uint256 deposited,
        uint256 w1,
        uint256 w2,
        address caller
    ) public {
        deposited = bound(deposited, 1, MAX_AMOUNT);
        w1 = bound(w1, 0, deposited);
        w2 = bound(w2, 0, deposited - w1);
        vm.assume(w1 + w2 > 0);
        uint256 id = _registerAlice(7);
        _fund(ALICE, deposited);
        vm.prank(ALICE);
        rollup.deposit(id, deposited);
        _submit(_headerWithDeposit(1, ALICE, 7), _slots(_depositF0(id, deposited), 0, _withdrawF0(id, w1, 1), 0));
        _submit(_header(2), _slots(_withdrawF0(id, w2, 2), 0, 0, 0));
        assertEq(rollup.claimable(ALICE), w1 + w2, "credited");
        assertEq(rollup.l2Custody(), deposited - w1 - w2, "custody");

        vm.prank(caller);
        assertEq(rollup.claim(ALICE), w1 + w2, "claimed");
        assertEq(usdc.balanceOf(ALICE), w1 + w2, "paid to the owner");
        assertEq(rollup.claimable(ALICE), 0, "cleared");
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.NothingToClaim.selector, ALICE));
        rollup.claim(ALICE);
    }

    function testFuzz_forcedWithdrawal_matchesWithServedMaskedOut(uint256 requested, uint256 served) public {
        requested = bound(requested, 1, MAX_AMOUNT);
        served = served % 2 == 0 ? 0 : requested;
        uint256 id = _registerAlice(7);
        _fund(ALICE, requested);
        vm.startPrank(ALICE);
        rollup.deposit(id, requested);
        rollup.requestForcedWithdrawal(id, requested);
        vm.stopPrank();
        assertEq(rollup.priorityOp(1).f0, _forcedF0(id, 0, requested), "queued with served = 0");
        _submit(
            _headerWithDeposit(1, ALICE, 7),
            _slots(_depositF0(id, requested), 0, _forcedF0(id, served, requested), 0)
        );
        assertEq(rollup.claimable(ALICE), served, "credited served");
        assertEq(rollup.queueHead(), 2, "consumed");
    }

    /// attack: whatever mix of forced requests an owner sends, at most MAX_OPEN_FORCED_REQUESTS
    /// wait at once, nobody else can spend her bound, and each served slot frees exactly one.
    function testFuzz_attack_forcedRequestsBoundedPerAccount(uint256 kinds, uint256 amount, address stranger) public {
        vm.assume(stranger != ALICE);
        amount = bound(amount, 1, MAX_AMOUNT);
        uint256 id = _registerAlice(7);
        uint256 maxOpen = rollup.MAX_OPEN_FORCED_REQUESTS();
        uint256 perp = 1; // underlying 1, kind perp
        uint256 expiredPut = 1 | (2 << 8) | (1 << 10) | (uint256(block.timestamp - 1) << 50);
        uint256[] memory f0s = new uint256[](maxOpen);
        uint256[] memory f1s = new uint256[](maxOpen);
        for (uint256 i = 0; i <= maxOpen; ++i) {
            uint256 kind = (kinds >> (2 * i)) % 3;
            vm.prank(stranger);
            vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.NotAccountOwner.selector, id, stranger));
            rollup.requestForcedClose(id, perp);
            if (i == maxOpen) {
                vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.TooManyForcedRequests.selector, id, maxOpen));
            } else {
                assertEq(rollup.openForcedRequests(id), i, "open before");
            }
            vm.prank(ALICE);
            if (kind == 0) {
                rollup.requestForcedWithdrawal(id, amount);
                if (i < maxOpen) (f0s[i], f1s[i]) = (_forcedF0(id, 0, amount), 0);
            } else if (kind == 1) {
                rollup.requestForcedClose(id, perp);
                if (i < maxOpen) (f0s[i], f1s[i]) = (9 | (id << 4), perp);
            } else {
                rollup.requestForcedSettlement(id, expiredPut);
                if (i < maxOpen) (f0s[i], f1s[i]) = (9 | (id << 4) | (1 << 69), expiredPut);
            }
        }
        assertEq(rollup.openForcedRequests(id), maxOpen, "bounded");
        // A batch serving the first two (refused: served bits 0) frees two.
        _submit(_header(1), _slots(f0s[0], f1s[0], f0s[1], f1s[1]));
        assertEq(rollup.openForcedRequests(id), maxOpen - 2, "freed as served");
        vm.prank(ALICE);
        rollup.requestForcedClose(id, perp);
        assertEq(rollup.openForcedRequests(id), maxOpen - 1, "usable again");
    }

    // ---------------------------------------------------------------- public inputs

    /// The words of §8 in order: roots, t, domain, prices, settlements, the deposit records (2·D
    /// words as given), then every packed slot unpacked into f0 (26 bytes) and f1 (17 bytes).
    function testFuzz_publicData_layoutOfSection8(
        uint256 newRoot,
        uint256 settlement,
        uint256[4] memory words,
        uint256[4] memory records,
        uint32 dt
    ) public {
        vm.warp(block.timestamp + dt);
        ITesseraRollup.BatchHeader memory h = _header(newRoot);
        h.settlements[0] = settlement;
        for (uint256 j = 0; j < 2 * D; ++j) h.deposits[j] = records[j];
        for (uint256 i = 0; i < 4; ++i) words[i] = bound(words[i], 0, i % 2 == 0 ? 2 ** 208 - 1 : 2 ** 136 - 1);
        bytes memory slots = _slots(words[0], words[1], words[2], words[3]);
        uint256[] memory inputs = rollup.publicData(h, slots);
        assertEq(inputs.length, N_DATA, "length");
        assertEq(inputs[0], GENESIS_ROOT, "old root is the current root");
        assertEq(inputs[1], newRoot, "new root");
        assertEq(inputs[2], block.timestamp, "timestamp");
        assertEq(inputs[3], rollup.domain(), "domain");
        assertEq(
            rollup.domain(),
            uint256(keccak256(abi.encode("tessera", block.chainid, address(rollup)))) >> 4,
            "domain"
        );
        assertEq(inputs[4], h.prices[0], "price 1");
        assertEq(inputs[5], h.prices[1], "price 2");
        assertEq(inputs[6], settlement, "settlement");
        for (uint256 j = 0; j < 2 * D; ++j) assertEq(inputs[7 + j], records[j], "deposit record word");
        for (uint256 i = 0; i < 4; ++i) assertEq(inputs[7 + 2 * D + i], words[i], "slot word");
    }

    /// The commitment is sha256 of the public data packed at its widths (t: uint32, prices: uint40,
    /// settlement records: uint80, a deposit record's owner: address, slots: f0 uint208 and f1
    /// uint136, the rest uint256), top 3 bits cleared: abi.encodePacked of those types. The slot
    /// segment is the calldata `slots` as it is.
    function testFuzz_commitment_sha256OfFixedWidths(
        uint256 newRoot,
        uint80 settlement,
        uint256[4] memory words,
        address[2] memory owners,
        uint256[2] memory pks,
        uint32 dt
    ) public {
        vm.warp(block.timestamp + bound(dt, 0, type(uint32).max - block.timestamp));
        newRoot = bound(newRoot, 0, R - 1);
        for (uint256 i = 0; i < 4; ++i) words[i] = bound(words[i], 0, i % 2 == 0 ? 2 ** 208 - 1 : 2 ** 136 - 1);
        ITesseraRollup.BatchHeader memory h = _header(newRoot);
        h.settlements[0] = settlement;
        for (uint256 j = 0; j < D; ++j) {
            pks[j] = bound(pks[j], 0, R - 1);
            (h.deposits[2 * j], h.deposits[2 * j + 1]) = (uint256(uint160(owners[j])), pks[j]);
        }
        bytes memory slots = _slots(words[0], words[1], words[2], words[3]);
        bytes memory packed = abi.encodePacked(
            uint256(GENESIS_ROOT),
            newRoot,
            uint32(block.timestamp),
            rollup.domain(),
            uint40(h.prices[0]),
            uint40(h.prices[1]),
            settlement
        );
        packed = abi.encodePacked(packed, owners[0], pks[0], owners[1], pks[1]);
        bytes memory tail = abi.encodePacked(
            uint208(words[0]),
            uint136(words[1]),
            uint208(words[2]),
            uint136(words[3])
        );
        assertTrue(keccak256(tail) == keccak256(slots), "slot segment = calldata bytes");
        packed = abi.encodePacked(packed, tail);
        assertEq(packed.length, rollup.commitmentByteLength(), "length");
        uint256 expected = uint256(sha256(packed)) & ((1 << 253) - 1);
        assertEq(rollup.commitment(h, slots), expected, "commitment");
        assertTrue(expected < R, "a field element");
    }

    /// A word wider than its commitment width is refused (the circuit could not open it): a price,
    /// a settlement record, a deposit record's owner (160 bits) or its pkHash (a field element).
    /// A slot's f0 and f1 cannot be wider: `slots` holds exactly 26 + 17 bytes of each.
    function testFuzz_commitment_refusesWordsWiderThanTheirWidth(
        uint256 price,
        uint256 record,
        uint256 owner,
        uint256 pk
    ) public {
        price = bound(price, 1 << 40, R - 1);
        record = bound(record, 1 << 80, R - 1);
        owner = bound(owner, 1 << 160, R - 1);
        pk = bound(pk, R, type(uint256).max);
        ITesseraRollup.BatchHeader memory h = _header(1);
        bytes memory slots = _slots(0, 0, 0, 0);
        h.prices[1] = price;
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.PublicDataTooWide.selector, 5, price, 40));
        rollup.commitment(h, slots);
        h = _header(1);
        h.settlements[0] = record;
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.PublicDataTooWide.selector, 6, record, 80));
        rollup.commitment(h, slots);
        h = _header(1);
        h.deposits[2] = owner;
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.PublicDataTooWide.selector, 9, owner, 160));
        rollup.commitment(h, slots);
        h = _header(1);
        h.deposits[1] = pk;
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.PublicInputNotInField.selector, 8, pk));
        rollup.commitment(h, slots);
        h = _header(1);
        h.prices[0] = (1 << 40) - 1;
        h.settlements[0] = (1 << 80) - 1;
        (h.deposits[0], h.deposits[1]) = ((1 << 160) - 1, R - 1);
        slots = _slots(2 ** 208 - 1, 2 ** 136 - 1, 2 ** 208 - 1, 2 ** 136 - 1);
        assertTrue(rollup.commitment(h, slots) < 1 << 253, "the edges fit");
    }

    function testFuzz_submitBatch_bindsInputsToTheProof(uint256 newRoot, uint256 tamperedRoot) public {
        newRoot = bound(newRoot, 0, R - 1);
        tamperedRoot = bound(tamperedRoot, 0, R - 1);
        vm.assume(newRoot != tamperedRoot);
        ITesseraRollup.BatchHeader memory h = _header(newRoot);
        bytes memory slots = _slots(0, 0, 0, 0);
        verifier.setExpectedInputsHash(keccak256(abi.encodePacked(rollup.commitment(h, slots))));
        ITesseraRollup.BatchHeader memory other = _header(tamperedRoot);
        uint256[8] memory proof;
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.InvalidProof.selector));
        rollup.submitBatch(other, slots, proof);
        _submit(h, slots);
        assertEq(rollup.stateRoot(), newRoot, "root");
        assertEq(rollup.batchNumber(), 1, "batch number");
    }

    function testFuzz_submitBatch_rejectsInventedPrice(uint256 delta) public {
        delta = bound(delta, 1, 2 ** 40);
        ITesseraRollup.BatchHeader memory h = _header(1);
        uint256 real = h.prices[1];
        h.prices[1] = real + delta;
        uint256[8] memory proof;
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.OraclePriceMismatch.selector, 2, 1, real, real + delta));
        rollup.submitBatch(h, _slots(0, 0, 0, 0), proof);
    }

    // ---------------------------------------------------------------- settlement rounds

    /// @dev A settlement record of docs/protocol.md §8: underlying | expiry << 8 | price << 40.
    function _record(uint256 underlying, uint256 expiry, uint256 price) internal pure returns (uint256) {
        return underlying | (expiry << 8) | (price << 40);
    }

    /// On a Chainlink proxy the round after the last of phase 1 is round 1 of phase 2, not
    /// `roundId + 1`: a record may not claim phase 1's last round is in force at an expiry after
    /// phase 2's first round, and the round really in force there is accepted.
    function test_submitBatch_settlementRoundAcrossFeedPhases() public {
        PhasedAggregator phased = new PhasedAggregator();
        uint256 t = block.timestamp;
        phased.push(ETH_ANSWER, t - 100);
        uint80 lastOfPhase1 = phased.push(ETH_ANSWER + 1e8, t - 50);
        phased.nextPhase();
        uint80 firstOfPhase2 = phased.push(ETH_ANSWER + 2e8, t - 20);
        assertEq(firstOfPhase2, (uint80(2) << 64) | 1, "phase 2, round 1");
        TesseraRollup r = _deploy(phased);

        ITesseraRollup.BatchHeader memory h = _header(1);
        h.prices[0] = uint256(ETH_ANSWER + 2e8) / 1e6;
        h.priceRoundIds[0] = firstOfPhase2;
        uint256[8] memory proof;

        // Expiry t − 10: phase 2's first round (t − 20) is in force, not phase 1's last (t − 50).
        uint256 expiry = t - 10;
        h.settlements[0] = _record(1, expiry, uint256(ETH_ANSWER + 1e8) / 1e6);
        h.settlementRoundIds[0] = lastOfPhase1;
        vm.prank(OPERATOR);
        vm.expectRevert(
            abi.encodeWithSelector(ITesseraRollup.RoundNotInForceAtExpiry.selector, 1, lastOfPhase1, expiry)
        );
        r.submitBatch(h, _slots(0, 0, 0, 0), proof);

        h.settlements[0] = _record(1, expiry, uint256(ETH_ANSWER + 2e8) / 1e6);
        h.settlementRoundIds[0] = firstOfPhase2;
        vm.prank(OPERATOR);
        r.submitBatch(h, _slots(0, 0, 0, 0), proof);
        assertEq(r.batchNumber(), 1, "the record with the round in force is accepted");

        // Expiry t − 30: phase 1's last round is in force (phase 2 began after it).
        ITesseraRollup.BatchHeader memory h2 = _header(2);
        h2.prices[0] = h.prices[0];
        h2.priceRoundIds[0] = firstOfPhase2;
        h2.settlements[0] = _record(1, t - 30, uint256(ETH_ANSWER + 1e8) / 1e6);
        h2.settlementRoundIds[0] = lastOfPhase1;
        vm.prank(OPERATOR);
        r.submitBatch(h2, _slots(0, 0, 0, 0), proof);
        assertEq(r.batchNumber(), 2, "the last round of a phase is in force until the next phase's first");
    }

    // ---------------------------------------------------------------- issue 14 findings

    function _submitTo(TesseraRollup r, ITesseraRollup.BatchHeader memory h) internal {
        uint256[8] memory proof;
        vm.prank(OPERATOR);
        r.submitBatch(h, _slots(0, 0, 0, 0), proof);
    }

    function _expectSubmitRevert(TesseraRollup r, ITesseraRollup.BatchHeader memory h, bytes memory err) internal {
        _expectSubmitRevertWith(r, h, _slots(0, 0, 0, 0), err);
    }

    function _expectSubmitRevertWith(
        TesseraRollup r,
        ITesseraRollup.BatchHeader memory h,
        bytes memory slots,
        bytes memory err
    ) internal {
        uint256[8] memory proof;
        vm.prank(OPERATOR);
        vm.expectRevert(err);
        r.submitBatch(h, slots, proof);
    }

    function _submitSlotsTo(TesseraRollup r, ITesseraRollup.BatchHeader memory h, bytes memory slots) internal {
        uint256[8] memory proof;
        vm.prank(OPERATOR);
        r.submitBatch(h, slots, proof);
    }

    /// F5: a round with a later round already in force at the batch time is refused, whatever the
    /// gap; the round in force is accepted.
    function testFuzz_findingF5_supersededRoundRefused(uint256 gap, uint256 after_) public {
        gap = bound(gap, 1, 3000);
        after_ = bound(after_, 0, 500);
        vm.warp(block.timestamp + gap);
        ethFeed.pushAnswer(ETH_ANSWER + 1e8);
        vm.warp(block.timestamp + after_);
        ITesseraRollup.BatchHeader memory h = _header(1);
        uint256 round2At = block.timestamp - after_;
        vm.expectRevert(
            abi.encodeWithSelector(ITesseraRollup.OracleRoundSuperseded.selector, 1, 1, 2, round2At, h.timestamp)
        );
        _submit(h, _slots(0, 0, 0, 0));
        h.prices[0] = uint256(ETH_ANSWER + 1e8) / 1e6;
        h.priceRoundIds[0] = 2;
        _submit(h, _slots(0, 0, 0, 0));
        assertEq(rollup.lastPriceRoundIds()[0], 2, "round stored");
        // A batch stamped before round 2 (but after the last batch) cannot use it, nor go back to round 1.
        ITesseraRollup.BatchHeader memory back = _header(2);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.OracleRoundBackwards.selector, 1, 1, 2));
        _submit(back, _slots(0, 0, 0, 0));
    }

    /// F5: a batch stamped more than `maxBatchLag` before the block is refused (backdating).
    function testFuzz_findingF5_backdatedBatchRefused(uint256 lag) public {
        lag = bound(lag, MAX_BATCH_LAG + 1, 10 * MAX_BATCH_LAG);
        uint256 t = block.timestamp;
        vm.warp(t + lag);
        ITesseraRollup.BatchHeader memory h = _header(1);
        h.timestamp = uint64(t);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.BatchTooOld.selector, t, t + lag, MAX_BATCH_LAG));
        _submit(h, _slots(0, 0, 0, 0));
        h.timestamp = uint64(t + lag - MAX_BATCH_LAG);
        // Within the lag the time check passes; the old rounds are then merely stale or fine, and
        // stale binds only a batch that reads a price (a funding update here, issue 14 F13).
        uint256 funding = 6 | (1 << 4) | ((1 << 63) << 12);
        if (h.timestamp - t > 3600) {
            vm.expectRevert(
                abi.encodeWithSelector(ITesseraRollup.StaleOraclePrice.selector, 1, 1, t, uint64(h.timestamp))
            );
        }
        _submit(h, _slots(funding, 0, 0, 0));
    }

    /// @dev A phased feed with overlapping phases: phase 1 rounds at t−100 (A) and t−20 (B), phase 2
    /// round 1 at t−60 (C). At t−50 both A (next in its phase at t−20) and C (no next) are in force.
    function _overlappingPhases() internal returns (PhasedAggregator phased, uint80 a, uint80 c) {
        vm.warp(block.timestamp + 200); // the BTC round (set-up time) is in force throughout
        phased = new PhasedAggregator();
        uint256 t = block.timestamp;
        a = phased.push(ETH_ANSWER, t - 100);
        phased.push(ETH_ANSWER + 3e8, t - 20);
        phased.nextPhase();
        c = phased.push(ETH_ANSWER + 5e8, t - 60);
    }

    /// F5: price round ids never go back from batch to batch, even where proxy phases overlap.
    function test_findingF5_roundIdsNeverGoBack() public {
        (PhasedAggregator phased, uint80 a, uint80 c) = _overlappingPhases();
        TesseraRollup r = _deploy(phased);
        ITesseraRollup.BatchHeader memory h = _header(1);
        h.timestamp = uint64(block.timestamp - 55);
        h.prices[0] = uint256(ETH_ANSWER + 5e8) / 1e6;
        h.priceRoundIds[0] = c;
        _submitTo(r, h);
        h.timestamp = uint64(block.timestamp - 50);
        h.prices[0] = uint256(ETH_ANSWER) / 1e6;
        h.priceRoundIds[0] = a;
        _expectSubmitRevert(r, h, abi.encodeWithSelector(ITesseraRollup.OracleRoundBackwards.selector, 1, a, c));
    }

    /// F16: a settlement price is fixed by the first batch that uses the series; a later batch may
    /// not settle it at another round's answer, even one in force at expiry on an overlapping phase.
    function test_findingF16_settlementPriceFixedOnce() public {
        (PhasedAggregator phased, uint80 a, uint80 c) = _overlappingPhases();
        TesseraRollup r = _deploy(phased);
        uint256 expiry = block.timestamp - 50;
        ITesseraRollup.BatchHeader memory h = _header(1);
        h.prices[0] = uint256(ETH_ANSWER + 5e8) / 1e6;
        h.priceRoundIds[0] = c;
        h.timestamp = uint64(block.timestamp - 30);
        h.settlements[0] = _record(1, expiry, uint256(ETH_ANSWER) / 1e6);
        h.settlementRoundIds[0] = a;
        _submitTo(r, h);
        (bool isFixed, uint256 price) = r.settlementPrice(1, expiry);
        assertTrue(isFixed, "fixed");
        assertEq(price, uint256(ETH_ANSWER) / 1e6, "at round A's answer");

        h.newStateRoot = 2;
        uint256 other = uint256(ETH_ANSWER + 5e8) / 1e6;
        h.settlements[0] = _record(1, expiry, other);
        h.settlementRoundIds[0] = c;
        _expectSubmitRevert(
            r,
            h,
            abi.encodeWithSelector(
                ITesseraRollup.SettlementPriceAlreadyFixed.selector,
                1,
                expiry,
                uint256(ETH_ANSWER) / 1e6,
                other
            )
        );
        h.settlements[0] = _record(1, expiry, uint256(ETH_ANSWER) / 1e6);
        _submitTo(r, h);
        assertEq(r.batchNumber(), 2, "the fixed price is accepted again");
    }

    /// F16: every public-input word must be below r: the new root and every deposit record's
    /// pkHash (the 32-byte words a batch chooses). A slot's f0 and f1 are below 2^208 < r by their
    /// 26 + 17 bytes in `slots`.
    function testFuzz_findingF16_publicInputsBelowR(uint256 word, uint256 where) public {
        word = bound(word, R, type(uint256).max);
        where = bound(where, 0, 2);
        ITesseraRollup.BatchHeader memory h = _header(1);
        bytes memory slots = _slots(0, 0, 0, 0);
        uint256 index;
        if (where == 0) {
            h.newStateRoot = word;
            index = 1;
        } else {
            h.deposits[where == 1 ? 1 : 3] = word;
            index = where == 1 ? 8 : 10;
        }
        uint256[8] memory proof;
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.PublicInputNotInField.selector, index, word));
        rollup.submitBatch(h, slots, proof);
    }

    /// F9: with K = 3 records, anything but [nonzero with strictly increasing keys..., zeros...] is refused.
    function testFuzz_findingF9_settlementRecordsCanonical(uint8 shape, uint32 e1, uint32 e2) public {
        vm.warp(block.timestamp + 2000);
        uint256 t = block.timestamp;
        // Two expiries in [t − 1000, t − 1] with the ETH and BTC rounds 1 (set-up time t − 2000) in force.
        e1 = uint32(bound(e1, t - 1000, t - 1));
        e2 = uint32(bound(e2, t - 1000, t - 1));
        vm.assume(e1 != e2);
        (uint32 lo, uint32 hi) = e1 < e2 ? (e1, e2) : (e2, e1);
        ethFeed.pushAnswer(ETH_ANSWER); // round 2 at t: round 1 is in force before it
        MockVerifier v = new MockVerifier(1);
        TesseraRollup r = _deployWith(ethFeed, 3, address(v));
        uint256 p = uint256(ETH_ANSWER) / 1e6;
        uint256 a = _record(1, lo, p);
        uint256 b = _record(1, hi, p);
        uint256 c = _record(2, lo, uint256(BTC_ANSWER) / 1e6);
        ITesseraRollup.BatchHeader memory h = _header(1);
        h.priceRoundIds[0] = 2;
        h.settlements = new uint256[](3);
        h.settlementRoundIds = new uint80[](3);
        h.settlementRoundIds[0] = 1;
        h.settlementRoundIds[1] = 1;
        h.settlementRoundIds[2] = 1;
        uint256 badIndex;
        uint256 kind = shape % 5;
        if (kind == 0) {
            (h.settlements[0], h.settlements[1], h.settlements[2]) = (b, a, 0); // decreasing
            badIndex = 1;
        } else if (kind == 1) {
            (h.settlements[0], h.settlements[1], h.settlements[2]) = (a, a, 0); // repeated key
            badIndex = 1;
        } else if (kind == 2) {
            (h.settlements[0], h.settlements[1], h.settlements[2]) = (0, a, 0); // zero first
            badIndex = 1;
        } else if (kind == 3) {
            (h.settlements[0], h.settlements[1], h.settlements[2]) = (a, 0, b); // gap
            badIndex = 2;
        } else {
            // Same key, different price: refused as a repeat before any oracle check.
            (h.settlements[0], h.settlements[1], h.settlements[2]) = (a, a + (1 << 40), 0);
            badIndex = 1;
        }
        _expectSubmitRevert(
            r,
            h,
            abi.encodeWithSelector(ITesseraRollup.NonCanonicalSettlements.selector, badIndex, h.settlements[badIndex])
        );
        // Keys order by expiry, then underlying: (1, lo) < (2, lo) < (1, hi).
        (h.settlements[0], h.settlements[1], h.settlements[2]) = (a, c, b);
        _submitTo(r, h);
        assertEq(r.batchNumber(), 1, "canonical records accepted");
    }

    /// F13: a feed change waits `feedChangeDelay` (> forcedRequestDeadline), can be cancelled,
    /// and only the admin may queue, cancel or execute it.
    function testFuzz_findingF13_feedChangeTimelocked(uint256 wait) public {
        uint256 delay = rollup.feedChangeDelay();
        assertTrue(delay > rollup.forcedRequestDeadline(), "delay exceeds the forced-request deadline");
        wait = bound(wait, 0, delay - 1);
        MockAggregator next = new MockAggregator("ETH / USD v2", address(this));
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSignature("OwnableUnauthorizedAccount(address)", ALICE));
        rollup.queueFeedChange(1, next);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.UnknownUnderlying.selector, 3));
        rollup.queueFeedChange(3, next);

        uint256 queuedAt = block.timestamp;
        rollup.queueFeedChange(1, next);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.FeedChangeAlreadyQueued.selector, 1));
        rollup.queueFeedChange(1, next);
        vm.warp(queuedAt + wait);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.FeedChangeTooEarly.selector, 1, queuedAt + delay));
        rollup.executeFeedChange(1);
        rollup.cancelFeedChange(1);
        vm.warp(queuedAt + delay);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.NoFeedChangeQueued.selector, 1));
        rollup.executeFeedChange(1);

        // Queued again, executed after the full delay: the old feed's round ids no longer bind.
        rollup.queueFeedChange(1, next);
        vm.warp(block.timestamp + delay);
        next.pushAnswer(ETH_ANSWER);
        rollup.executeFeedChange(1);
        assertEq(address(rollup.feeds()[0]), address(next), "feed changed");
        assertEq(rollup.lastPriceRoundIds()[0], 0, "round memory reset");
    }

    /// @dev The set-up rollup's configuration, as an ExodusHarness.
    function _harness() internal returns (ExodusHarness h) {
        AggregatorV3Interface[] memory feeds = new AggregatorV3Interface[](2);
        feeds[0] = ethFeed;
        feeds[1] = btcFeed;
        address[8] memory hashers;
        for (uint256 n = 1; n <= 8; ++n) hashers[n - 1] = address(uint160(0x9000 + n));
        h = new ExodusHarness(
            ITesseraRollup.Config({
                collateral: IERC20(address(usdc)),
                feeds: feeds,
                verifier: address(verifier),
                profile: ITesseraRollup.Profile({
                    nTx: uint16(N_TX),
                    settlements: uint8(K),
                    accountDepth: 4,
                    positions: 2,
                    deposits: uint8(D)
                }),
                genesisStateRoot: GENESIS_ROOT,
                feeAccountOwner: FEE_OWNER,
                feeAccountPkHash: 11,
                insuranceFundOwner: INSURANCE_OWNER,
                insuranceFundPkHash: 22,
                operator: OPERATOR,
                admin: address(this),
                maxOracleAge: 3600,
                forcedRequestDeadline: 7 days,
                maxBatchLag: MAX_BATCH_LAG,
                priceRoundGrace: 0,
                feedChangeDelay: 8 days,
                exitClaimWindow: 3 days,
                poseidonHashers: hashers
            })
        );
    }

    /// F12: whatever the equities (bad debt or not) and the order of the payouts, every account
    /// registered in the claim window gets min(e, e·C/E), Σ ≤ C, the shortfall under C is rounding
    /// only, and a late exit is paid only from what the registered ones leave.
    function testFuzz_findingF12_proRataPayout(
        uint256[4] memory equities,
        uint256 custody,
        uint256 order,
        int256 late
    ) public {
        ExodusHarness h = _harness();
        uint256 total = 0;
        for (uint256 i = 0; i < 4; ++i) {
            equities[i] = bound(equities[i], 0, 1e15);
            total += equities[i];
        }
        custody = bound(custody, 0, 2 * total + 1);
        late = int256(bound(uint256(late), 0, 1e15)) - 5e14;
        usdc.mint(address(h), custody);
        h.startExodus(custody);
        for (uint256 i = 0; i < 4; ++i) h.proveExit(2 + i, address(uint160(0xE000 + i)), int256(equities[i]));
        assertEq(h.totalExitEquity(), total, "registered equity");

        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.ExitClaimWindowOpen.selector, h.exitClaimWindowEnd()));
        h.payExit(2);
        vm.warp(h.exitClaimWindowEnd() + 1);

        uint256 paid = 0;
        for (uint256 k = 0; k < 4; ++k) {
            uint256 i = (k + (order % 4)) % 4;
            uint256 e = equities[i];
            uint256 payout = h.payExit(2 + i);
            assertTrue(payout <= e, "never above the equity");
            uint256 expected = total <= custody ? e : (e * custody) / total;
            assertEq(payout, expected, "pro rata");
            assertEq(usdc.balanceOf(address(uint160(0xE000 + i))), payout, "paid to the owner");
            paid += payout;
        }
        assertTrue(paid <= custody, "within the custody");
        uint256 share = total < custody ? total : custody;
        assertTrue(share - paid < 4, "all of the share up to rounding");

        // A late exit gets at most what the registered exits left.
        h.proveExit(9, address(0xE009), late);
        uint256 latePaid = usdc.balanceOf(address(0xE009));
        uint256 left = custody - share;
        uint256 positive = late > 0 ? uint256(late) : 0;
        assertEq(latePaid, positive < left ? positive : left, "late: first come from the rest");
        assertEq(usdc.balanceOf(address(h)), custody - paid - latePaid, "custody accounted");
    }

    /// F5 with a grace g: a round superseded at `nextAt` is usable while t < nextAt + g, refused
    /// from nextAt + g on; with g = 0 only the round in force at t.
    function testFuzz_findingF5_graceBoundsTheChoice(uint256 g, uint256 late) public {
        grace = bound(g, 0, 600);
        late = bound(late, 0, 1200);
        TesseraRollup r = _deploy(ethFeed);
        assertEq(r.priceRoundGrace(), grace, "grace");
        vm.warp(block.timestamp + 10);
        ethFeed.pushAnswer(ETH_ANSWER + 1e8);
        uint256 nextAt = block.timestamp;
        vm.warp(nextAt + late);
        ITesseraRollup.BatchHeader memory h = _header(1); // still priced with round 1
        if (late >= grace) {
            _expectSubmitRevert(
                r,
                h,
                abi.encodeWithSelector(ITesseraRollup.OracleRoundSuperseded.selector, 1, 1, 2, nextAt, h.timestamp)
            );
        } else {
            _submitTo(r, h);
            assertEq(r.batchNumber(), 1, "accepted within the grace");
        }
    }
}
