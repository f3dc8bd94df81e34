// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {RollupFixture} from "./utils/RollupFixture.sol";
import {TesseraRollup} from "../TesseraRollup.sol";
import {ITesseraRollup} from "../interfaces/ITesseraRollup.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {MockAggregator} from "../oracle/MockAggregator.sol";
import {MockVerifier} from "../mocks/MockVerifier.sol";
import {PhasedAggregator} from "../mocks/PhasedAggregator.sol";
import {BatchForwarder} from "./utils/BatchForwarder.sol";
import {ExodusHarness} from "./utils/ExodusHarness.sol";

/// @notice Fuzz tests of deposits, claims, forced withdrawals and the public-input array, on a
/// `test`-profile rollup (nTx 2, U 2, K 1, I 2, D 2, depth 4, P 2) with a MockVerifier. The exit proof
/// (on-chain Poseidon) is covered by test/contracts/exodus.test.ts.
// Test names follow test_<fn>_<condition> and testFuzz_<fn>_<condition>.
// solhint-disable func-name-mixedcase
contract TesseraRollupTest is RollupFixture {
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant MAX_AMOUNT = (1 << 56) - 1;
    uint256 internal constant U = 2;
    uint256 internal constant K = 1;
    uint256 internal constant D = 2;
    uint256 internal constant N_DATA = 4 + U + K + N_INST + 2 * D + 2 * N_TX;
    /// @dev Bytes of a slot: f0 in 16, then f1 in 8 (docs/protocol.md §7).
    uint256 internal constant SLOT_BYTES = 24;
    /// @dev The widest f1 a slot's 8 bytes hold (2^64, the first that does not fit, cannot be posted).
    uint256 internal constant MAX_F1 = 2 ** 64 - 1;
    /// @dev The widest instrument id (82 bits) and account id (24 bits).
    uint256 internal constant MAX_INSTRUMENT = 2 ** 82 - 1;
    uint256 internal constant MAX_ACCOUNT = 2 ** 24 - 1;
    /// @dev Public-data index of the first instrument-table word and of the first deposit record word.
    uint256 internal constant INSTRUMENTS_AT = 4 + U + K;
    uint256 internal constant RECORDS_AT = INSTRUMENTS_AT + N_INST;
    address internal constant ALICE = address(0xA11CE);

    TesseraRollup internal rollup;

    function setUp() public {
        _setUpMarket();
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
        return new TesseraRollup(_config(eth, _profile(k, d), verifier_));
    }

    // ---------------------------------------------------------------- profile

    /// Slot data carries 24-bit account ids and the account tree is quaternary: the tree is 2 to 24
    /// deep in index bits, an even number (0, odd depths, 25 and deeper refused).
    function test_constructor_accountDepthEvenAtMost24() public {
        ITesseraRollup.Profile memory p = _profile(K, D);
        uint8[7] memory refused = [0, 1, 3, 23, 25, 26, 255];
        for (uint256 i = 0; i < refused.length; ++i) {
            p.accountDepth = refused[i];
            vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.InvalidConfig.selector, "accountDepth"));
            new TesseraRollup(_config(ethFeed, p, address(verifier)));
        }
        p.accountDepth = 24;
        TesseraRollup r = new TesseraRollup(_config(ethFeed, p, address(verifier)));
        assertEq(r.accountDepth(), 24, "24 accepted");
        vm.prank(ALICE);
        assertEq(r.register(7), 2, "registers");
        p.accountDepth = 2;
        assertEq(new TesseraRollup(_config(ethFeed, p, address(verifier))).accountDepth(), 2, "2 accepted");
    }

    /// P positions per account, even and at most MAX_OPEN_FORCED_REQUESTS (review finding): one round
    /// of forced closes empties an account within one deadline, which the feed-change delay exceeds.
    function test_constructor_positionsAtMostTheOpenForcedRequests() public {
        ITesseraRollup.Profile memory p = _profile(K, D);
        uint8[7] memory refused = [0, 1, 3, 5, 6, 8, 16];
        for (uint256 i = 0; i < refused.length; ++i) {
            p.positions = refused[i];
            vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.InvalidConfig.selector, "positions"));
            new TesseraRollup(_config(ethFeed, p, address(verifier)));
        }
        assertEq(rollup.MAX_OPEN_FORCED_REQUESTS(), 4, "the bound");
        p.positions = 4;
        assertEq(new TesseraRollup(_config(ethFeed, p, address(verifier))).positionsPerAccount(), 4, "4 accepted");
        p.positions = 2;
        assertEq(new TesseraRollup(_config(ethFeed, p, address(verifier))).positionsPerAccount(), 2, "2 accepted");
    }

    /// I instrument-table entries, 1..255 (0 refused): the public data counts I words and the
    /// commitment 11 bytes for each, and a batch header carries exactly I.
    function testFuzz_constructor_instrumentTable(uint8 instruments) public {
        ITesseraRollup.Profile memory p = _profile(K, D);
        p.instruments = 0;
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.InvalidConfig.selector, "instruments"));
        new TesseraRollup(_config(ethFeed, p, address(verifier)));
        uint256 n = _edge(instruments, 1, 255);
        p.instruments = uint8(n);
        TesseraRollup r = new TesseraRollup(_config(ethFeed, p, address(verifier)));
        assertEq(r.instrumentTable(), n, "I");
        assertEq(r.publicDataCount(), 4 + U + K + n + 2 * D + 2 * N_TX, "words");
        assertEq(r.commitmentByteLength(), 100 + 5 * U + 10 * K + 11 * n + 52 * D + 24 * N_TX, "bytes");
        ITesseraRollup.BatchHeader memory h = _header(1);
        h.instruments = new uint256[](n);
        h.instruments[n - 1] = (1 << 88) - 1;
        bytes memory slots = _slots(0, 0, 0, 0);
        uint256[] memory inputs = r.publicData(h, slots);
        assertEq(inputs.length, 4 + U + K + n + 2 * D + 2 * N_TX, "I words in the public data");
        assertEq(inputs[INSTRUMENTS_AT + n - 1], (1 << 88) - 1, "the last entry");
        r.commitment(h, slots);
        h.instruments = new uint256[](n + 1);
        vm.expectRevert(
            abi.encodeWithSelector(ITesseraRollup.BadBatchShape.selector, U, U, K, K, n + 1, 2 * D, SLOT_BYTES * N_TX)
        );
        r.commitment(h, slots);
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
    /// `1 | accountId << 4 | amount << 28`; the owner and key travel in the batch's deposit records.
    function _depositF0(uint256 accountId, uint256 amount) internal pure returns (uint256) {
        return 1 + accountId * 2 ** 4 + amount * 2 ** 28;
    }

    /// @dev The f0 L1 queues for a deposit: the slot's f0 with the owner at bit 84.
    function _queuedDepositF0(uint256 accountId, uint256 amount, address owner) internal pure returns (uint256) {
        return _depositF0(accountId, amount) + uint256(uint160(owner)) * 2 ** 84;
    }

    /// @dev A withdrawal's f0, `2 | accountId << 4 | amount << 28 | flat << 84`; its f1 is the orderId.
    function _withdrawF0(uint256 accountId, uint256 amount, bool flat) internal pure returns (uint256) {
        return 2 + accountId * 2 ** 4 + amount * 2 ** 28 + (flat ? 2 ** 84 : 0);
    }

    /// @dev A forced withdrawal's f0, `3 | accountId << 4 | served << 28`, `flat` 0; its f1 is the
    /// requested amount.
    function _forcedF0(uint256 accountId, uint256 served) internal pure returns (uint256) {
        return 3 + accountId * 2 ** 4 + served * 2 ** 28;
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
        h.instruments = new uint256[](N_INST);
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

    /// @dev The two slots packed as `submitBatch` takes them: f0 in 16 bytes then f1 in 8, each
    /// big-endian (docs/protocol.md §7). Refuses a value that does not fit rather than cut it.
    function _slots(uint256 f0a, uint256 f1a, uint256 f0b, uint256 f1b) internal pure returns (bytes memory s) {
        assertTrue(f0a < 2 ** 128 && f0b < 2 ** 128 && f1a <= MAX_F1 && f1b <= MAX_F1, "slot words fit");
        s = abi.encodePacked(uint128(f0a), uint64(f1a), uint128(f0b), uint64(f1b));
        assertEq(s.length, SLOT_BYTES * N_TX, "24 bytes per slot");
    }

    function _submit(ITesseraRollup.BatchHeader memory h, bytes memory slots) internal {
        uint256[8] memory proof;
        vm.prank(OPERATOR, OPERATOR);
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

    /// A queued deposit is `1 | accountId << 4 | amount << 28 | owner << 84`: the amount at the
    /// edges of its 56 bits (1, 2^56 − 1) and the owner (any address, 2^160 − 1 included) stay
    /// apart, the slot carries the low 84 bits, and a refund in the exodus pays the amount read at
    /// bit 28.
    function testFuzz_deposit_queueEntryFieldsAtTheirEdges(uint256 amount, address owner, bool maxOwner) public {
        amount = _edge(amount, 1, MAX_AMOUNT);
        if (maxOwner) owner = address(type(uint160).max);
        vm.assume(owner != address(0) && owner != address(vm));
        vm.prank(owner);
        uint256 id = rollup.register(7);
        _fund(ALICE, amount); // alice funds the owner's account
        vm.prank(ALICE);
        uint256 queueIndex = rollup.deposit(id, amount);
        uint256 f0 = rollup.priorityOp(queueIndex).f0;
        assertEq(f0, _queuedDepositF0(id, amount, owner), "queued f0");
        assertEq(f0 & (2 ** 84 - 1), _depositF0(id, amount), "the slot's f0: the low 84 bits");
        assertEq((f0 >> 4) & (2 ** 24 - 1), id, "account id at 4");
        assertEq((f0 >> 28) & MAX_AMOUNT, amount, "amount at 28");
        assertEq(f0 >> 84, uint160(owner), "owner at 84");
        vm.warp(block.timestamp + 7 days + 1);
        rollup.activateExodus(rollup.queueHead());
        rollup.refundDeposit(queueIndex);
        assertEq(usdc.balanceOf(ALICE), amount, "refunded the amount at bit 28");
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
        _submit(h, _slots(f0, 1 + (pkHash % MAX_F1), 0, 0));

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
        assertEq(r.publicDataCount(), 4 + U + K + N_INST + 2 + 2 * N_TX, "words");
        assertEq(r.commitmentByteLength(), 100 + 5 * U + 10 * K + 11 * N_INST + 52 + SLOT_BYTES * N_TX, "bytes");
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
            abi.encodeWithSelector(ITesseraRollup.BadBatchShape.selector, U, U, K, K, N_INST, 2 * D, SLOT_BYTES * N_TX)
        );
        _submitSlotsTo(r, h, _slots(_depositF0(id, first), 0, 0, 0));
        h.newStateRoot = 2;
        _submitSlotsTo(r, h, _slots(0, 0, _depositF0(id, second), 0));
        assertEq(r.queueHead(), 2, "one per batch");
        assertEq(r.l2Custody(), first + second, "custody");
    }

    /// `slots` is exactly 24·nTx bytes, the instrument table exactly I words and the deposit table
    /// exactly 2·D words.
    function testFuzz_submitBatch_rejectsSlotsOrTablesOfTheWrongLength(
        uint256 length,
        uint256 words,
        uint256 entries
    ) public {
        length = bound(length, 0, 4 * SLOT_BYTES * N_TX);
        vm.assume(length != SLOT_BYTES * N_TX);
        words = bound(words, 0, 4 * D);
        vm.assume(words != 2 * D);
        entries = bound(entries, 0, 4 * N_INST);
        vm.assume(entries != N_INST);
        ITesseraRollup.BatchHeader memory h = _header(1);
        _expectBadShape(h, new bytes(length), N_INST, 2 * D, length);
        h.deposits = new uint256[](words);
        _expectBadShape(h, _slots(0, 0, 0, 0), N_INST, words, SLOT_BYTES * N_TX);
        h = _header(1);
        h.instruments = new uint256[](entries);
        _expectBadShape(h, _slots(0, 0, 0, 0), entries, 2 * D, SLOT_BYTES * N_TX);
    }

    /// @dev `submitBatch`, `publicData` and `commitment` all refuse `h`, `slots` with
    /// `BadBatchShape` reporting these lengths (and the header's U, U, K, K).
    function _expectBadShape(
        ITesseraRollup.BatchHeader memory h,
        bytes memory slots,
        uint256 entries,
        uint256 words,
        uint256 length
    ) internal {
        bytes memory err = abi.encodeWithSelector(
            ITesseraRollup.BadBatchShape.selector,
            U,
            U,
            K,
            K,
            entries,
            words,
            length
        );
        vm.expectRevert(err);
        _submit(h, slots);
        vm.expectRevert(err);
        rollup.publicData(h, slots);
        vm.expectRevert(err);
        rollup.commitment(h, slots);
    }

    /// F13 on the packed layout: a served forced close's instrument is in its own f0 (bits 28..110),
    /// read at its slot's offset 24·i; its f1 (the insurance account, up to 2^64 − 1) and its
    /// neighbour's words play no part; a trailing partial slot is no slot.
    function test_slotsUsePrices_readsThePackedSlots() public view {
        uint64 t = uint64(block.timestamp);
        uint256 perp = 1;
        uint256 expiredCall = 1 | (1 << 8) | (1 << 10) | (uint256(t) << 50);
        uint256 closePerp = _forcedCloseF0(2, perp, true, false);
        uint256 closeCall = _forcedCloseF0(2, expiredCall, true, false);
        assertTrue(!rollup.slotsUsePrices(_slots(0, MAX_F1, closeCall, MAX_F1), t), "settled: no price");
        assertTrue(!rollup.slotsUsePrices(_slots(closeCall, 0, 0, perp), t), "slot 0 settled: no price");
        assertTrue(rollup.slotsUsePrices(_slots(0, MAX_F1, closePerp, 0), t), "perp: rules price");
        assertTrue(rollup.slotsUsePrices(_slots(closePerp, MAX_F1, closeCall, 0), t), "slot 0 perp: rules price");
        bytes memory one = abi.encodePacked(uint128(closePerp), uint64(MAX_F1));
        assertTrue(rollup.slotsUsePrices(one, t), "one whole slot");
        bytes memory partialSlot = abi.encodePacked(uint128(closePerp), uint56(MAX_F1));
        assertTrue(!rollup.slotsUsePrices(partialSlot, t), "23 bytes: no slot");
        bytes memory partialSecond = abi.encodePacked(uint128(closeCall), uint64(0), uint128(closePerp), uint56(0));
        assertTrue(!rollup.slotsUsePrices(partialSecond, t), "24 + 23 bytes: one slot");
        bytes memory wholeSecond = abi.encodePacked(uint128(closeCall), uint64(0), uint128(closePerp), uint64(0));
        assertTrue(rollup.slotsUsePrices(wholeSecond, t), "24 + 24 bytes: two slots");
    }

    /// F13 flags at their bits: `flat` is bit 84 of a withdrawal and of a forced withdrawal, a
    /// forced close is served at bit 111 and a forced settlement at bit 110; a neighbouring bit is
    /// no flag, and the widest account id and instrument (bits 4..110) reach neither flag.
    function test_slotsUsePrices_flagsAtTheirBits() public view {
        uint64 t = uint64(block.timestamp);
        for (uint256 txType = 2; txType <= 3; ++txType) {
            uint256 f0 = txType | (MAX_ACCOUNT << 4) | (MAX_AMOUNT << 28);
            assertTrue(rollup.slotsUsePrices(_slots(f0, 0, 0, 0), t), "not flat");
            assertTrue(!rollup.slotsUsePrices(_slots(f0 | (1 << 84), 0, 0, 0), t), "flat at 84");
            assertTrue(rollup.slotsUsePrices(_slots(f0 | (1 << 85), 0, 0, 0), t), "85 is no flag");
        }
        // A live call of underlying 255 at the widest strike and expiry: bits 28..109 all set.
        uint256 liveCall = 255 | (1 << 8) | ((2 ** 40 - 1) << 10) | ((2 ** 32 - 1) << 50);
        assertEq(liveCall, MAX_INSTRUMENT - (1 << 9), "all but the kind's high bit");
        uint256 close = _forcedCloseF0(MAX_ACCOUNT, liveCall, false, false);
        assertTrue(close < 1 << 110, "the fields end below bit 110");
        assertTrue(!rollup.slotsUsePrices(_slots(close, MAX_F1, 0, 0), t), "refused: no price");
        assertTrue(rollup.slotsUsePrices(_slots(close | (1 << 111), 0, 0, 0), t), "served at 111");
        assertTrue(!rollup.slotsUsePrices(_slots(close | (3 << 110), 0, 0, 0), t), "a settlement at 110");
        assertTrue(!rollup.slotsUsePrices(_slots(close | (1 << 110), 0, 0, 0), t), "110 alone: refused");
        assertTrue(rollup.slotsUsePrices(_slots(close | (3 << 111), 0, 0, 0), t), "112 is no flag");
        assertTrue(!rollup.slotsUsePrices(_slots(close | (1 << 112), 0, 0, 0), t), "112 is not served");
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
        _submit(_headerWithDeposit(1, ALICE, 7), _slots(_depositF0(id, deposited), 0, _withdrawF0(id, w1, false), 1));
        _submit(_header(2), _slots(_withdrawF0(id, w2, false), 2, 0, 0));
        assertEq(rollup.claimable(ALICE), w1 + w2, "credited");
        assertEq(rollup.l2Custody(), deposited - w1 - w2, "custody");

        vm.prank(caller);
        assertEq(rollup.claim(ALICE), w1 + w2, "claimed");
        assertEq(usdc.balanceOf(ALICE), w1 + w2, "paid to the owner");
        assertEq(rollup.claimable(ALICE), 0, "cleared");
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.NothingToClaim.selector, ALICE));
        rollup.claim(ALICE);
    }

    /// The queued forced withdrawal is `3 | accountId << 4` with the requested amount in f1; the
    /// slot matches it with `served` (bits 28..84) and `flat` (bit 84) masked out, its f1 exactly
    /// the requested amount. Requested at 1 and 2^56 − 1, the edges of its 56 bits; a wrong f1
    /// anywhere up to 2^64 − 1, the widest f1 a slot holds.
    function testFuzz_forcedWithdrawal_matchesWithServedMaskedOut(
        uint256 requested,
        uint256 served,
        bool flat,
        uint256 off
    ) public {
        requested = _edge(requested, 1, MAX_AMOUNT);
        served = served % 2 == 0 ? 0 : requested;
        off = _edge(off, 1, MAX_F1);
        vm.assume(off != requested);
        uint256 id = _registerAlice(7);
        _fund(ALICE, requested);
        vm.startPrank(ALICE);
        rollup.deposit(id, requested);
        rollup.requestForcedWithdrawal(id, requested);
        vm.stopPrank();
        assertEq(rollup.priorityOp(1).f0, 3 + id * 2 ** 4, "queued with served and flat 0");
        assertEq(rollup.priorityOp(1).f1, requested, "f1 = requested");
        uint256 f0 = _forcedF0(id, served) + (flat ? 2 ** 84 : 0);
        ITesseraRollup.BatchHeader memory h = _headerWithDeposit(1, ALICE, 7);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.PriorityOpMismatch.selector, 1, 1, 3 + id * 2 ** 4, f0));
        _submit(h, _slots(_depositF0(id, requested), 0, f0, off));
        _submit(h, _slots(_depositF0(id, requested), 0, f0, requested));
        assertEq(rollup.claimable(ALICE), served, "credited served");
        assertEq(rollup.queueHead(), 2, "consumed");
        assertEq(rollup.l2Custody(), requested - served, "custody");
    }

    /// A withdrawal's f0 `2 | accountId << 4 | amount << 28 | flat << 84` credits the account and
    /// the amount read at their offsets, whatever the neighbours hold: account ids at 0, 1 and
    /// 2^24 − 1, amounts at 0, 1 and 2^56 − 1, `flat` set or not, the posted orderId (f1: its low
    /// 32 bits, which the contract never reads) at 0, 1 and 2^32 − 1.
    function testFuzz_withdrawal_readsAccountAndAmountAtTheirOffsets(
        uint256 account,
        uint256 amount,
        bool flat,
        uint256 orderId
    ) public {
        uint256 id = _registerAlice(7);
        account = account % 5 == 4 ? id : _edge(account, 0, 2 ** 24 - 1);
        amount = _edge(amount, 0, MAX_AMOUNT);
        orderId = _edge(orderId, 0, 2 ** 32 - 1);
        _fund(ALICE, MAX_AMOUNT);
        vm.prank(ALICE);
        rollup.deposit(id, MAX_AMOUNT);
        address owner = rollup.accountOwner(account);
        bytes memory slots = _slots(_depositF0(id, MAX_AMOUNT), 0, _withdrawF0(account, amount, flat), orderId);
        assertTrue(rollup.slotsUsePrices(slots, uint64(block.timestamp)) == !flat, "flat: no price");
        vm.expectEmit();
        emit ITesseraRollup.WithdrawalCredited(1, account, owner, amount, false);
        _submit(_headerWithDeposit(1, ALICE, 7), slots);
        assertEq(rollup.claimable(owner), amount, "credited");
        assertEq(rollup.l2Custody(), MAX_AMOUNT - amount, "custody");
    }

    /// The instrument of a forced close fits the 82 bits the circuit decodes: 1 and 2^82 − 1 are
    /// queued as they are in f0 at bit 28 (2^82 − 1 ending at bit 109, below the settlement flag),
    /// f1 = 0; 0 (no instrument) and 2^82 refused.
    function test_requestForcedClose_instrumentEdges() public {
        uint256 id = _registerAlice(7);
        vm.startPrank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.InvalidInstrument.selector, 0));
        rollup.requestForcedClose(id, 0);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.InvalidInstrument.selector, 1 << 82));
        rollup.requestForcedClose(id, 1 << 82);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.InvalidInstrument.selector, 1 << 82));
        rollup.requestForcedSettlement(id, 1 << 82);
        rollup.requestForcedClose(id, 1);
        rollup.requestForcedClose(id, MAX_INSTRUMENT);
        vm.stopPrank();
        assertEq(rollup.priorityOp(0).f0, 9 + id * 2 ** 4 + 2 ** 28, "9 | accountId << 4 | 1 << 28");
        assertEq(rollup.priorityOp(0).f1, 0, "f1 = 0");
        uint256 f0 = rollup.priorityOp(1).f0;
        assertEq(f0, _forcedCloseF0(id, MAX_INSTRUMENT, false, false), "9 | id << 4 | instrument << 28");
        assertEq((f0 >> 28) & MAX_INSTRUMENT, MAX_INSTRUMENT, "2^82 - 1 at bit 28");
        assertEq(f0 >> 110, 0, "settlement and served 0");
        assertEq(rollup.priorityOp(1).f1, 0, "f1 = 0");
    }

    /// The queue entry of a forced close and of a forced settlement: `PriorityOpQueued` and the
    /// stored entry carry f0 = `9 | accountId << 4 | instrument << 28 | settlement << 110` (the
    /// widest account id the tree holds here, 15) and f1 = 0, and `ForcedCloseRequested` the
    /// instrument and the flag.
    function testFuzz_requestForcedClose_queueFormat(uint256 instrument, bool settlement) public {
        for (uint256 i = 0; i < 14; ++i) _registerAlice(7); // ids 2..15: the depth-4 tree is full
        uint256 id = 15;
        if (settlement) {
            // An expired call (kind 1) of underlying 255 at any strike, expired now at the latest.
            uint256 expiry = bound(instrument, 1, block.timestamp);
            instrument = 255 | (1 << 8) | ((instrument % 2 ** 40) << 10) | (expiry << 50);
        } else {
            instrument = _edge(instrument, 1, MAX_INSTRUMENT);
        }
        uint256 f0 = 9 + id * 2 ** 4 + instrument * 2 ** 28 + (settlement ? 2 ** 110 : 0);
        vm.expectEmit();
        emit ITesseraRollup.PriorityOpQueued(0, f0, 0, uint64(block.timestamp));
        vm.expectEmit();
        emit ITesseraRollup.ForcedCloseRequested(0, id, instrument, settlement);
        vm.prank(ALICE);
        if (settlement) rollup.requestForcedSettlement(id, instrument);
        else rollup.requestForcedClose(id, instrument);
        ITesseraRollup.PriorityOp memory op = rollup.priorityOp(0);
        assertEq(op.f0, f0, "queued f0");
        assertEq(op.f0, _forcedCloseF0(id, instrument, false, settlement), "the helper's layout");
        assertEq(op.f1, 0, "queued f1 = 0");
        assertEq(op.requester, ALICE, "requester");
    }

    /// A forced close is queued as `9 | accountId << 4 | instrument << 28 | settlement << 110`, f1
    /// = 0 (instrument at 1 and 2^82 − 1 among others), and served by a slot whose served bit
    /// (111) is the circuit's and whose f1, the insurance account (0, 1, 2^24 − 1), is the
    /// operator's and not compared: ForcedCloseServed reports the instrument read from f0 (bits
    /// 28..110), `served` and the insurance account as read. A slot with the other settlement
    /// flag, a bit above 111, or another account or instrument (a flipped bit in 4..110) does not
    /// match.
    function testFuzz_forcedClose_matchesWithServedMaskedOut(
        uint256 instrument,
        uint256 insurance,
        bool served,
        bool settlement,
        uint256 stray
    ) public {
        uint256 id = _registerAlice(7);
        vm.startPrank(ALICE);
        if (settlement) {
            // An expired put (kind 2) of underlying 1, any strike.
            instrument = 1 | (2 << 8) | (bound(instrument, 0, 2 ** 40 - 1) << 10) | ((block.timestamp - 1) << 50);
            rollup.requestForcedSettlement(id, instrument);
        } else {
            instrument = _edge(instrument, 1, MAX_INSTRUMENT);
            rollup.requestForcedClose(id, instrument);
        }
        vm.stopPrank();
        uint256 queued = _forcedCloseF0(id, instrument, false, settlement);
        assertEq(rollup.priorityOp(0).f0, queued, "queued f0");
        assertEq(rollup.priorityOp(0).f1, 0, "queued f1: 0");
        insurance = _edge(insurance, 0, MAX_ACCOUNT);
        uint256 f0 = _forcedCloseF0(id, instrument, served, settlement);
        ITesseraRollup.BatchHeader memory h = _header(1);
        uint256 other = f0 ^ (1 << 110);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.PriorityOpMismatch.selector, 0, 0, queued, other));
        _submit(h, _slots(other, insurance, 0, 0));
        other = f0 | (1 << bound(stray, 112, 127));
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.PriorityOpMismatch.selector, 0, 0, queued, other));
        _submit(h, _slots(other, insurance, 0, 0));
        other = f0 ^ (1 << bound(stray >> 8, 4, 109));
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.PriorityOpMismatch.selector, 0, 0, queued, other));
        _submit(h, _slots(other, insurance, 0, 0));
        vm.expectEmit();
        emit ITesseraRollup.ForcedCloseServed(1, 0, id, instrument, served, insurance);
        _submit(h, _slots(f0, insurance, 0, 0));
        assertEq(rollup.openForcedRequests(id), 0, "freed");
        assertEq(rollup.queueHead(), 1, "consumed");
    }

    /// A forced close's f1 is the insurance account the operator picked, not compared: any f1 up
    /// to 2^64 − 1 (the widest a slot's 8 bytes hold) serves it, and ForcedCloseServed reports
    /// its low 24 bits (the circuit proves the account, so a proof with a wider f1 does not
    /// exist; the contract masks). 2^64 cannot be posted: in 9 bytes the slots are one byte too
    /// long (`BadBatchShape`).
    function testFuzz_forcedClose_insuranceIsTheLowBitsOfF1(uint256 f1, bool served) public {
        f1 = _edge(f1, 0, MAX_F1);
        uint256 id = _registerAlice(7);
        vm.prank(ALICE);
        rollup.requestForcedClose(id, MAX_INSTRUMENT);
        uint256 f0 = _forcedCloseF0(id, MAX_INSTRUMENT, served, false);
        ITesseraRollup.BatchHeader memory h = _header(1);
        bytes memory tooWide = abi.encodePacked(uint128(f0), uint72(2 ** 64), uint128(0), uint64(0));
        _expectBadShape(h, tooWide, N_INST, 2 * D, SLOT_BYTES * N_TX + 1);
        vm.expectEmit();
        emit ITesseraRollup.ForcedCloseServed(1, 0, id, MAX_INSTRUMENT, served, f1 & MAX_ACCOUNT);
        _submit(h, _slots(f0, f1, 0, 0));
        assertEq(rollup.queueHead(), 1, "consumed");
        assertEq(rollup.openForcedRequests(id), 0, "freed");
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
                if (i < maxOpen) (f0s[i], f1s[i]) = (_forcedF0(id, 0), amount);
            } else if (kind == 1) {
                rollup.requestForcedClose(id, perp);
                if (i < maxOpen) (f0s[i], f1s[i]) = (_forcedCloseF0(id, perp, false, false), 1);
            } else {
                rollup.requestForcedSettlement(id, expiredPut);
                if (i < maxOpen) (f0s[i], f1s[i]) = (_forcedCloseF0(id, expiredPut, false, true), 1);
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

    /// The words of §8 in order: roots, t, domain, prices, settlements, the instrument table (I
    /// words as given), the deposit records (2·D words as given), then every packed slot unpacked
    /// into f0 (16 bytes) and f1 (8 bytes).
    function testFuzz_publicData_layoutOfSection8(
        uint256 newRoot,
        uint256 settlement,
        uint256[2] memory table,
        uint256[4] memory words,
        uint256[4] memory records,
        uint32 dt
    ) public {
        vm.warp(block.timestamp + dt);
        ITesseraRollup.BatchHeader memory h = _header(newRoot);
        h.settlements[0] = settlement;
        for (uint256 i = 0; i < N_INST; ++i) h.instruments[i] = table[i];
        for (uint256 j = 0; j < 2 * D; ++j) h.deposits[j] = records[j];
        // Each word at 0, 1, its widest (f0 2^128 − 1, f1 2^64 − 1) or anywhere between: a full
        // f1 does not reach the next slot's f0.
        for (uint256 i = 0; i < 4; ++i) words[i] = _edge(words[i], 0, i % 2 == 0 ? 2 ** 128 - 1 : MAX_F1);
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
        for (uint256 i = 0; i < N_INST; ++i) assertEq(inputs[INSTRUMENTS_AT + i], table[i], "instrument-table word");
        for (uint256 j = 0; j < 2 * D; ++j) assertEq(inputs[RECORDS_AT + j], records[j], "deposit record word");
        for (uint256 i = 0; i < 4; ++i) assertEq(inputs[RECORDS_AT + 2 * D + i], words[i], "slot word");
    }

    /// The commitment is sha256 of the public data packed at its widths (t: uint32, prices: uint40,
    /// settlement records: uint80, instrument-table words: uint88, a deposit record's owner:
    /// address, slots: f0 uint128 and f1 uint64, the rest uint256), top 3 bits cleared:
    /// abi.encodePacked of those types. The slot segment is the calldata `slots` as it is.
    function testFuzz_commitment_sha256OfFixedWidths(
        uint256 newRoot,
        uint80 settlement,
        uint88[2] memory table,
        uint256[4] memory words,
        address[2] memory owners,
        uint256[2] memory pks,
        uint32 dt
    ) public {
        vm.warp(block.timestamp + bound(dt, 0, type(uint32).max - block.timestamp));
        newRoot = bound(newRoot, 0, R - 1);
        for (uint256 i = 0; i < 4; ++i) words[i] = bound(words[i], 0, i % 2 == 0 ? 2 ** 128 - 1 : MAX_F1);
        ITesseraRollup.BatchHeader memory h = _header(newRoot);
        h.settlements[0] = settlement;
        for (uint256 i = 0; i < N_INST; ++i) h.instruments[i] = table[i];
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
        packed = abi.encodePacked(packed, table[0], table[1]);
        packed = abi.encodePacked(packed, owners[0], pks[0], owners[1], pks[1]);
        bytes memory tail = abi.encodePacked(uint128(words[0]), uint64(words[1]), uint128(words[2]), uint64(words[3]));
        assertTrue(keccak256(tail) == keccak256(slots), "slot segment = calldata bytes");
        packed = abi.encodePacked(packed, tail);
        assertEq(packed.length, rollup.commitmentByteLength(), "length");
        uint256 expected = uint256(sha256(packed)) & ((1 << 253) - 1);
        assertEq(rollup.commitment(h, slots), expected, "commitment");
        assertTrue(expected < R, "a field element");
    }

    /// A word wider than its commitment width is refused (the circuit could not open it): a price,
    /// a settlement record, an instrument-table word (88 bits), a deposit record's owner (160
    /// bits) or its pkHash (a field element). A slot's f0 and f1 cannot be wider: `slots` holds
    /// exactly 16 + 8 bytes of each.
    function testFuzz_commitment_refusesWordsWiderThanTheirWidth(
        uint256 price,
        uint256 record,
        uint256 entry,
        bool second,
        uint256 owner,
        uint256 pk
    ) public {
        price = bound(price, 1 << 40, R - 1);
        record = bound(record, 1 << 80, R - 1);
        // 2^88 itself half the time: the first value that does not fit.
        entry = entry % 2 == 0 ? 1 << 88 : bound(entry, 1 << 88, R - 1);
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
        uint256 at = second ? 1 : 0;
        h.instruments[at] = entry;
        vm.expectRevert(
            abi.encodeWithSelector(ITesseraRollup.PublicDataTooWide.selector, INSTRUMENTS_AT + at, entry, 88)
        );
        rollup.commitment(h, slots);
        h = _header(1);
        h.deposits[2] = owner;
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.PublicDataTooWide.selector, RECORDS_AT + 2, owner, 160));
        rollup.commitment(h, slots);
        h = _header(1);
        h.deposits[1] = pk;
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.PublicInputNotInField.selector, RECORDS_AT + 1, pk));
        rollup.commitment(h, slots);
        h = _header(1);
        h.prices[0] = (1 << 40) - 1;
        h.settlements[0] = (1 << 80) - 1;
        (h.instruments[0], h.instruments[1]) = ((1 << 88) - 1, 1);
        (h.deposits[0], h.deposits[1]) = ((1 << 160) - 1, R - 1);
        slots = _slots(2 ** 128 - 1, MAX_F1, 2 ** 128 - 1, MAX_F1);
        assertTrue(rollup.commitment(h, slots) < 1 << 253, "the edges fit");
        uint256[] memory inputs = rollup.publicData(h, slots);
        assertEq(inputs[INSTRUMENTS_AT], (1 << 88) - 1, "2^88 - 1 as it is");
        assertEq(inputs[RECORDS_AT + 2 * D], 2 ** 128 - 1, "f0 at 2^128 - 1");
        assertEq(inputs[RECORDS_AT + 2 * D + 1], MAX_F1, "f1 at 2^64 - 1");
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
        vm.prank(OPERATOR, OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.InvalidProof.selector));
        rollup.submitBatch(other, slots, proof);
        _submit(h, slots);
        assertEq(rollup.stateRoot(), newRoot, "root");
        assertEq(rollup.batchNumber(), 1, "batch number");
    }

    /// @dev Review of 12-08: a batch reached through a contract leaves its data in a forwarder's
    /// input, where the exit tools (which read each BatchVerified transaction's own input) cannot
    /// find it. Three ways an operator could do it, each refused with nothing applied; the same
    /// batch sent directly lands.
    function test_attack_submitBatchOnlyAsTheTransactionsOwnCall() public {
        ITesseraRollup.BatchHeader memory h = _header(7);
        bytes memory slots = _slots(0, 0, 0, 0);
        verifier.setExpectedInputsHash(keccak256(abi.encodePacked(rollup.commitment(h, slots))));
        uint256[8] memory proof;
        // 1. The operator's EOA reached from another transaction's origin (a relayer's call).
        vm.prank(OPERATOR, ALICE);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.NotDirectCall.selector, OPERATOR, ALICE));
        rollup.submitBatch(h, slots, proof);
        // 2. An operator EOA with EIP-7702 code sending to itself: its own origin, but code.
        address delegated = address(0x7702);
        vm.etch(delegated, abi.encodePacked(hex"ef0100", address(0xAA)));
        rollup.setOperator(delegated);
        vm.prank(delegated, delegated);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.NotDirectCall.selector, delegated, delegated));
        rollup.submitBatch(h, slots, proof);
        // 3. A forwarder contract made operator by the admin, called by an EOA.
        BatchForwarder forwarder = new BatchForwarder();
        rollup.setOperator(address(forwarder));
        vm.prank(ALICE, ALICE);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.NotDirectCall.selector, address(forwarder), ALICE));
        forwarder.forward(rollup, h, slots, proof);
        assertEq(rollup.batchNumber(), 0, "nothing applied");
        rollup.setOperator(OPERATOR);
        _submit(h, slots);
        assertEq(rollup.stateRoot(), 7, "the direct call lands");
    }

    function testFuzz_submitBatch_rejectsInventedPrice(uint256 delta) public {
        delta = bound(delta, 1, 2 ** 40);
        ITesseraRollup.BatchHeader memory h = _header(1);
        uint256 real = h.prices[1];
        h.prices[1] = real + delta;
        uint256[8] memory proof;
        vm.prank(OPERATOR, OPERATOR);
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
        vm.prank(OPERATOR, OPERATOR);
        vm.expectRevert(
            abi.encodeWithSelector(ITesseraRollup.RoundNotInForceAtExpiry.selector, 1, lastOfPhase1, expiry)
        );
        r.submitBatch(h, _slots(0, 0, 0, 0), proof);

        h.settlements[0] = _record(1, expiry, uint256(ETH_ANSWER + 2e8) / 1e6);
        h.settlementRoundIds[0] = firstOfPhase2;
        vm.prank(OPERATOR, OPERATOR);
        r.submitBatch(h, _slots(0, 0, 0, 0), proof);
        assertEq(r.batchNumber(), 1, "the record with the round in force is accepted");

        // Expiry t − 30: phase 1's last round is in force (phase 2 began after it).
        ITesseraRollup.BatchHeader memory h2 = _header(2);
        h2.prices[0] = h.prices[0];
        h2.priceRoundIds[0] = firstOfPhase2;
        h2.settlements[0] = _record(1, t - 30, uint256(ETH_ANSWER + 1e8) / 1e6);
        h2.settlementRoundIds[0] = lastOfPhase1;
        vm.prank(OPERATOR, OPERATOR);
        r.submitBatch(h2, _slots(0, 0, 0, 0), proof);
        assertEq(r.batchNumber(), 2, "the last round of a phase is in force until the next phase's first");
    }

    // ---------------------------------------------------------------- issue 14 findings

    function _submitTo(TesseraRollup r, ITesseraRollup.BatchHeader memory h) internal {
        uint256[8] memory proof;
        vm.prank(OPERATOR, OPERATOR);
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
        vm.prank(OPERATOR, OPERATOR);
        vm.expectRevert(err);
        r.submitBatch(h, slots, proof);
    }

    function _submitSlotsTo(TesseraRollup r, ITesseraRollup.BatchHeader memory h, bytes memory slots) internal {
        uint256[8] memory proof;
        vm.prank(OPERATOR, OPERATOR);
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
    /// pkHash (the 32-byte words a batch chooses), and a narrow word such as an instrument-table
    /// entry is checked the same way before its width. A slot's f0 and f1 are below 2^128 < r by
    /// their 16 + 8 bytes in `slots`.
    function testFuzz_findingF16_publicInputsBelowR(uint256 word, uint256 where) public {
        word = bound(word, R, type(uint256).max);
        where = bound(where, 0, 3);
        ITesseraRollup.BatchHeader memory h = _header(1);
        bytes memory slots = _slots(0, 0, 0, 0);
        uint256 index;
        if (where == 0) {
            h.newStateRoot = word;
            index = 1;
        } else if (where == 3) {
            h.instruments[1] = word;
            index = INSTRUMENTS_AT + 1;
        } else {
            h.deposits[where == 1 ? 1 : 3] = word;
            index = where == 1 ? RECORDS_AT + 1 : RECORDS_AT + 3;
        }
        uint256[8] memory proof;
        vm.prank(OPERATOR, OPERATOR);
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
        h = new ExodusHarness(_config(ethFeed, _profile(K, D), address(verifier)));
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

    // ---------------------------------------------------------------- the slot scan and the round in force (gas work, issue 17)

    /// Every slot L1 acts on is acted on wherever it sits: a batch of n slots (1 to 13: every
    /// remainder of the scan's four-slot steps, and several steps) with one deposit and up to n − 1
    /// withdrawals at fuzzed places, every other slot of a type L1 only hashes (any of the 16
    /// types but 1, 2, 3 and 9, with fuzzed bits). The deposit is consumed from the queue and
    /// every withdrawal credited, as a slot-by-slot reading of the batch says.
    function testFuzz_applySlots_actsOnEveryL1SlotWhereverItSits(uint256 nSeed, uint256 layout, uint256 bits) public {
        uint256 n = bound(nSeed, 1, 13);
        ITesseraRollup.Profile memory profile = _profile(K, 1);
        profile.nTx = uint16(n);
        rollup = new TesseraRollup(_config(ethFeed, profile, address(verifier)));
        uint256 id = _registerAlice(7);
        _fund(ALICE, MAX_AMOUNT);
        vm.prank(ALICE);
        rollup.deposit(id, MAX_AMOUNT);
        uint256 depositAt = layout % n;
        bytes memory slots;
        uint256 credited = 0;
        for (uint256 i = 0; i < n; ++i) {
            uint256 word = uint256(keccak256(abi.encode(layout, bits, i)));
            uint256 f0;
            uint256 f1 = (word >> 128) & MAX_F1;
            if (i == depositAt) {
                (f0, f1) = (_depositF0(id, MAX_AMOUNT), 0);
            } else if (i > depositAt && word % 3 == 0) {
                uint256 amount = (word >> 8) % 1000;
                f0 = _withdrawF0(id, amount, true);
                credited += amount;
            } else {
                // A type L1 never acts on, with everything above the type bits fuzzed.
                uint256[12] memory others = [uint256(0), 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15];
                f0 = (((word >> 64) & ((1 << 124) - 1)) << 4) | others[(word >> 4) % 12];
            }
            slots = bytes.concat(slots, abi.encodePacked(uint128(f0), uint64(f1)));
        }
        ITesseraRollup.BatchHeader memory h = _header(1);
        h.deposits = new uint256[](2);
        (h.deposits[0], h.deposits[1]) = (uint256(uint160(ALICE)), 7);
        _submit(h, slots);
        assertEq(rollup.queueHead(), 1, "the deposit was consumed");
        assertEq(rollup.claimable(ALICE), credited, "every withdrawal credited");
        assertEq(rollup.l2Custody(), MAX_AMOUNT - credited, "custody");
    }

    /// The round in force, differentially: on a phased feed with fuzzed rounds (times out of order
    /// across phases, answers at 0 and below, possibly an empty newest phase whose
    /// `latestRoundData` reverts), every round id, latest or not, and one that does not exist, is
    /// accepted or refused with the error the rule (docs/protocol.md §8, written out here from
    /// `getRoundData` alone) gives. The contract reads the latest round in one call and any other
    /// round with its successor; the two paths must agree with the one rule.
    function testFuzz_oracle_roundInForceAsTheRuleSays(uint256 seed, uint256 g, uint256 pick) public {
        grace = bound(g, 0, 600);
        vm.warp(block.timestamp + 10_000);
        PhasedAggregator phased = new PhasedAggregator();
        uint80[] memory ids = new uint80[](7);
        uint256 count = 0;
        uint256 rounds = 1 + (seed % 5);
        for (uint256 k = 0; k < rounds; ++k) {
            uint256 w = uint256(keccak256(abi.encode(seed, k)));
            if (k > 0 && w % 3 == 0) phased.nextPhase();
            int256 pushed = w % 11 == 0 ? -int256((w >> 8) % 1e8) : int256((w >> 8) % 1e12);
            ids[count++] = phased.push(pushed, block.timestamp - 3000 + ((w >> 64) % 2500));
        }
        if (seed % 7 == 0) phased.nextPhase(); // the newest phase empty: latestRoundData reverts
        ids[count++] = uint80((uint256(phased.phaseId()) << 64) | 9); // no such round
        uint80 id = ids[pick % count];
        ITesseraRollup.BatchHeader memory h = _header(1);
        h.timestamp = uint64(block.timestamp - ((pick >> 8) % 3000));
        h.priceRoundIds[0] = id;
        TesseraRollup r = _deployWith(phased, K, address(verifier));
        (, int256 answer, ) = _roundOf(phased, id);
        h.prices[0] = answer > 0 ? uint256(answer) / 1e6 : 0;
        bytes memory err = _roundRuleError(phased, id, h.timestamp);
        if (err.length > 0) {
            _expectSubmitRevert(r, h, err);
        } else {
            _submitTo(r, h);
            assertEq(r.lastPriceRoundIds()[0], id, "accepted: the round stored");
            assertEq(r.lastPrices()[0], h.prices[0], "accepted: the price stored");
        }
    }

    /// @dev What the rule says of round `id` of `feed` for a batch at `t` (with `grace`), from
    /// `getRoundData` alone: the error the batch must be refused with, or nothing.
    function _roundRuleError(PhasedAggregator feed, uint80 id, uint64 t) internal view returns (bytes memory) {
        (bool exists, int256 answer, uint256 at) = _roundOf(feed, id);
        if (!exists || answer <= 0 || at == 0) {
            return abi.encodeWithSelector(ITesseraRollup.InvalidOracleRound.selector, 1, id, answer, at);
        }
        if (at > t) return abi.encodeWithSelector(ITesseraRollup.OracleRoundAfterBatch.selector, 1, id, at, t);
        uint80 next = id + 1;
        (bool nextExists, , uint256 nextAt) = _roundOf(feed, next);
        if (!nextExists) {
            next = uint80((((uint256(id) >> 64) + 1) << 64) | 1);
            (nextExists, , nextAt) = _roundOf(feed, next);
        }
        if (nextExists && nextAt + grace <= t) {
            return abi.encodeWithSelector(ITesseraRollup.OracleRoundSuperseded.selector, 1, id, next, nextAt, t);
        }
        return "";
    }

    /// An exit marks a perpetual at the last batch's price of its underlying, and only of an
    /// underlying the deployment has (1..U): the price arrays are fixed-size, so an index past U
    /// must be refused, not read as an empty price of 0. Every underlying byte 0..255.
    function testFuzz_exit_marksOnlyTheDeploymentsUnderlyings(uint8 underlying) public {
        ExodusHarness h = _harness();
        _submitSlotsTo(h, _header(1), _slots(0, 0, 0, 0));
        uint256[] memory global = new uint256[](1 + 2 * U); // no funding yet: the mark is the price
        if (underlying == 0 || underlying > U) {
            vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.UnknownUnderlying.selector, underlying));
            h.markOf(underlying, global);
        } else {
            int256 mark = h.markOf(underlying, global);
            assertEq(uint256(mark), h.lastPrices()[underlying - 1], "the last batch's price");
            assertTrue(mark > 0, "a price was recorded");
        }
    }

    /// @dev Round `id` of `feed` as `getRoundData` gives it: whether it exists (answers, with a
    /// nonzero time), its answer and time.
    function _roundOf(PhasedAggregator feed, uint80 id) internal view returns (bool, int256, uint256) {
        try feed.getRoundData(id) returns (uint80, int256 answer, uint256, uint256 at, uint80) {
            return (at != 0, answer, at);
        } catch {
            return (false, 0, 0);
        }
    }
}
