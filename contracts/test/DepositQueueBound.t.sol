// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {RollupFixture} from "./utils/RollupFixture.sol";
import {TesseraRollup} from "../TesseraRollup.sol";
import {ITesseraRollup} from "../interfaces/ITesseraRollup.sol";

/// @notice The bound on unconsumed deposits (review finding: a flood of 1-unit deposits, refunded
/// in the exodus, outran the provers and forced the exodus). On a `test`-profile rollup (nTx 2,
/// D 2 unless a test says otherwise) with a MockVerifier; deposit-only batches read no price, so
/// round 1 stays usable however long the tests run (finding F13).
// Test names follow test_<fn>_<condition> and testFuzz_<fn>_<condition>.
// solhint-disable func-name-mixedcase
contract DepositQueueBoundTest is RollupFixture {
    /// @dev Written out independently of the contract's DEPOSIT_QUEUE_BATCHES.
    uint256 internal constant QUEUE_BATCHES = 64;
    uint256 internal constant PK = 7;
    address internal constant MALLORY = address(0xBAD);
    address internal constant ALICE = address(0xA11CE);

    TesseraRollup internal r;
    /// @dev Mallory's account, the target of the flood.
    uint256 internal id;

    function setUp() public {
        _setUpMarket();
        r = _deploy(2);
        id = _registerAndFund(r);
    }

    /// @dev A `test`-profile rollup (K 1) with `d` deposit records per batch.
    function _deploy(uint8 d) internal returns (TesseraRollup) {
        return new TesseraRollup(_config(ethFeed, _profile(1, d), address(verifier)));
    }

    /// @dev Registers Mallory's account on `rollup` and gives her plenty of 1-unit deposits.
    function _registerAndFund(TesseraRollup rollup) internal returns (uint256 accountId) {
        vm.prank(MALLORY);
        accountId = rollup.register(PK);
        usdc.mint(MALLORY, 1_000_000);
        vm.prank(MALLORY);
        usdc.approve(address(rollup), type(uint256).max);
    }

    function _deposit(TesseraRollup rollup, uint256 accountId) internal {
        vm.prank(MALLORY);
        rollup.deposit(accountId, 1);
    }

    function _expectQueueFull(TesseraRollup rollup, uint256 accountId, uint256 max) internal {
        vm.prank(MALLORY);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.DepositQueueFull.selector, max, max));
        rollup.deposit(accountId, 1);
    }

    /// @dev A batch stamped now that consumes `k` (≤ 2, ≤ nTx) queued 1-unit deposits to
    /// `accountId`, the rest no-ops; the deposit records are Mallory's.
    function _consume(TesseraRollup rollup, uint256 accountId, uint256 k) internal {
        ITesseraRollup.BatchHeader memory h = _priceFreeHeader(rollup.queueHead(), rollup.depositRecords());
        uint128[2] memory f0;
        for (uint256 j = 0; j < k; ++j) {
            f0[j] = uint128(1 + accountId * 2 ** 4 + 1 * 2 ** 28);
            (h.deposits[2 * j], h.deposits[2 * j + 1]) = (uint256(uint160(MALLORY)), PK);
        }
        uint256[8] memory proof;
        vm.prank(OPERATOR, OPERATOR);
        rollup.submitBatch(h, abi.encodePacked(f0[0], uint64(0), f0[1], uint64(0)), proof);
    }

    /// The bound is D × 64, from the deployment's D.
    function test_constructor_maxQueuedDepositsIsDTimes64() public {
        assertEq(r.maxQueuedDeposits(), 2 * QUEUE_BATCHES, "D = 2");
        assertEq(_deploy(1).maxQueuedDeposits(), QUEUE_BATCHES, "D = 1");
        assertEq(_deploy(2).DEPOSIT_QUEUE_BATCHES(), QUEUE_BATCHES, "the named constant");
    }

    /// The review's flood, kept up for longer than the deadline: Mallory refills the queue after
    /// every batch, the operator serves D deposits a batch every two hours. The deposit past the
    /// bound reverts, so the queue head is never older than 64 batches, and the exodus can never
    /// be activated; then the operator drains the queue and nothing is pending.
    function test_deposit_floodCannotOutrunTheOperator() public {
        uint256 max = r.maxQueuedDeposits();
        for (uint256 i = 0; i < max; ++i) _deposit(r, id);
        assertEq(r.queuedDeposits(), max, "full");
        _expectQueueFull(r, id, max);

        uint256 start = block.timestamp;
        uint256 batches = 0;
        while (block.timestamp <= start + DEADLINE + 2 hours) {
            vm.warp(block.timestamp + 2 hours);
            _consume(r, id, 2);
            ++batches;
            // The bound frees exactly what the batch consumed.
            assertEq(r.queuedDeposits(), max - 2, "a batch frees D places");
            _deposit(r, id);
            _deposit(r, id);
            _expectQueueFull(r, id, max);
        }
        assertTrue(batches * 2 hours > DEADLINE, "the flood outlasted the deadline");
        uint256 head = r.queueHead();
        // Its deadline grew by the operations that were ahead of it (ForcedRequestFlood.t.sol).
        uint256 overdueAt = r.overdueAt(head);
        assertTrue(overdueAt >= r.priorityOp(head).queuedAt + DEADLINE, "at least the fixed deadline");
        assertTrue(
            block.timestamp - r.priorityOp(head).queuedAt <= QUEUE_BATCHES * 2 hours,
            "head waits <= 64 batches"
        );
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.ExodusTooEarly.selector, head, overdueAt));
        r.activateExodus(head);
        // Nor by any other waiting deposit (activateExodus takes any of them).
        for (uint256 i = head; i < r.priorityQueueLength(); ++i)
            assertTrue(r.overdueAt(i) >= block.timestamp, "not due");

        // Drained in 64 batches, well inside the deadline.
        for (uint256 b = 0; b < QUEUE_BATCHES; ++b) {
            vm.warp(block.timestamp + 2 hours);
            _consume(r, id, 2);
        }
        assertEq(r.queuedDeposits(), 0, "drained");
        assertEq(r.queueHead(), r.priorityQueueLength(), "queue empty");
        uint256 end = r.queueHead();
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.NoPendingPriorityOp.selector));
        r.activateExodus(end);
    }

    /// Forced requests are not deposits: a full deposit queue does not stop an owner from forcing
    /// a withdrawal (the flood cannot censor the way out), and a forced request does not take a
    /// deposit's place.
    function test_deposit_fullQueueDoesNotBlockForcedRequests() public {
        uint256 max = r.maxQueuedDeposits();
        for (uint256 i = 0; i < max; ++i) _deposit(r, id);
        vm.prank(ALICE);
        uint256 alice = r.register(9);
        vm.prank(ALICE);
        r.requestForcedWithdrawal(alice, 5);
        assertEq(r.queuedDeposits(), max, "a forced request is not counted");
        assertEq(r.priorityQueueLength(), max + 1, "queued behind the deposits");
        _expectQueueFull(r, id, max);
    }

    /// Deposits and batches interleaved at random on a D = 1 rollup (bound 64): `queuedDeposits` is
    /// always the number of unconsumed deposits, a deposit succeeds exactly when it is below the
    /// bound, and a batch frees what it consumed.
    function testFuzz_deposit_boundTracksInterleavedConsumption(uint256 seed) public {
        TesseraRollup one = _deploy(1);
        uint256 acc = _registerAndFund(one);
        uint256 max = one.maxQueuedDeposits();
        uint256 pending = 0;
        for (uint256 step = 0; step < 48; ++step) {
            uint256 pick = uint256(keccak256(abi.encode(seed, step)));
            if (pick % 4 != 0) {
                uint256 burst = 1 + ((pick >> 8) % 6);
                for (uint256 j = 0; j < burst; ++j) {
                    if (pending < max) {
                        _deposit(one, acc);
                        ++pending;
                    } else {
                        _expectQueueFull(one, acc, max);
                    }
                }
            } else {
                vm.warp(block.timestamp + 60);
                uint256 k = pending == 0 ? 0 : 1;
                _consume(one, acc, k);
                pending -= k;
            }
            assertEq(one.queuedDeposits(), pending, "count = unconsumed deposits");
            assertEq(one.priorityQueueLength() - one.queueHead(), pending, "count = queue length - head");
        }
    }
}
