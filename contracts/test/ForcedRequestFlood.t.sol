// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {RollupFixture} from "./utils/RollupFixture.sol";
import {TesseraRollup} from "../TesseraRollup.sol";
import {ITesseraRollup} from "../interfaces/ITesseraRollup.sol";
import {MockAggregator} from "../oracle/MockAggregator.sol";

/// @notice Deadlines that grow with the queue ahead (review of 12-08: forced requests cost only
/// gas, 4 per registered account, so a flood larger than the provers serve in a deadline aged the
/// head past a fixed `forcedRequestDeadline` and let anyone open the exodus). On a `test`-shaped
/// rollup (nTx 2) with an account tree of depth 8, so the flood fits, and a MockVerifier; the
/// batches serve refused forced closes, which read no price, so round 1 stays usable (finding F13).
// Test names follow test_<fn>_<condition>.
// solhint-disable func-name-mixedcase
contract ForcedRequestFloodTest is RollupFixture {
    /// @dev Written out independently of the contract's DEPOSIT_QUEUE_BATCHES: the full batches per
    /// deadline the operator is assumed to prove.
    uint256 internal constant QUEUE_BATCHES = 64;
    uint256 internal constant PK = 7;
    uint256 internal constant PERP = 1; // underlying 1, kind perp
    address internal constant MALLORY = address(0xBAD);
    address internal constant ALICE = address(0xA11CE);
    /// @dev Mallory's accounts; 4 forced requests each.
    uint256 internal constant FLOODERS = 50;

    TesseraRollup internal r;
    /// @dev The account of each queued operation, by queue index.
    uint256[] internal requester;

    function setUp() public {
        _setUpMarket();
        ITesseraRollup.Profile memory p = _profile(1, 2);
        p.accountDepth = 8;
        r = new TesseraRollup(_config(ethFeed, p, address(verifier)));
    }

    /// @dev What one operation ahead adds to a deadline: a deadline's share of one slot at
    /// QUEUE_BATCHES full batches per deadline, rounded up.
    function _spacing() internal view returns (uint256) {
        uint256 slots = QUEUE_BATCHES * r.nTx();
        return (DEADLINE + slots - 1) / slots;
    }

    function _queueForcedClose(address owner, uint256 accountId) internal {
        vm.prank(owner);
        r.requestForcedClose(accountId, PERP);
        requester.push(accountId);
    }

    /// @dev Mallory's `accounts` accounts, each with MAX_OPEN_FORCED_REQUESTS forced closes queued.
    function _flood(uint256 accounts) internal {
        for (uint256 a = 0; a < accounts; ++a) {
            vm.prank(MALLORY);
            uint256 id = r.register(PK);
            for (uint256 k = 0; k < r.MAX_OPEN_FORCED_REQUESTS(); ++k) _queueForcedClose(MALLORY, id);
        }
    }

    /// @dev A batch stamped now that serves the next two queued forced closes as refused (no
    /// price read).
    function _serveTwo() internal {
        uint256 head = r.queueHead();
        ITesseraRollup.BatchHeader memory h = _priceFreeHeader(head, r.depositRecords());
        bytes memory slots = abi.encodePacked(
            uint128(_forcedCloseF0(requester[head], PERP, false, false)),
            uint64(1),
            uint128(_forcedCloseF0(requester[head + 1], PERP, false, false)),
            uint64(1)
        );
        uint256[8] memory proof;
        vm.prank(OPERATOR, OPERATOR);
        r.submitBatch(h, slots, proof);
        assertEq(r.queueHead(), head + 2, "two served");
    }

    /// The review's flood, larger than a deadline's capacity: 200 forced closes queued at once
    /// (128 is what QUEUE_BATCHES batches of 2 slots serve in one deadline). Each one's deadline
    /// is the fixed one plus one spacing per operation ahead. An operator proving a batch of 2
    /// every deadline/64 serves them all, the exodus can never be activated on the way, although
    /// the head is older than the fixed deadline for the last third of them. Then an honest
    /// request behind an empty queue has the fixed deadline again, and an operator that stops
    /// serving it lets anyone open the exodus right after it, not a second before.
    function test_attack_forcedRequestFloodCannotOpenTheExodus() public {
        uint256 t0 = block.timestamp;
        _flood(FLOODERS);
        uint256 n = r.priorityQueueLength();
        assertEq(n, 4 * FLOODERS, "the flood is queued");
        assertTrue(n > QUEUE_BATCHES * r.nTx(), "more than a deadline's capacity");
        for (uint256 i = 0; i < n; ++i) {
            assertEq(r.priorityOp(i).ahead, i, "everything before it still waits");
            assertEq(r.overdueAt(i), t0 + DEADLINE + i * _spacing(), "one spacing per operation ahead");
        }

        bool olderThanTheFixedDeadline = false;
        while (r.queueHead() < n) {
            vm.warp(block.timestamp + DEADLINE / QUEUE_BATCHES);
            _serveTwo();
            uint256 head = r.queueHead();
            if (head == n) break;
            if (block.timestamp > r.priorityOp(head).queuedAt + DEADLINE) olderThanTheFixedDeadline = true;
            // The head's deadline is the earliest of those waiting (all queued at t0, `ahead` rising).
            vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.ExodusTooEarly.selector, head, r.overdueAt(head)));
            r.activateExodus(head);
        }
        assertTrue(olderThanTheFixedDeadline, "past a fixed deadline");
        assertEq(r.openForcedRequests(requester[0]), 0, "all served");

        vm.prank(ALICE);
        uint256 alice = r.register(9);
        uint256 queuedAt = block.timestamp;
        _queueForcedClose(ALICE, alice);
        assertEq(r.priorityOp(n).ahead, 0, "nothing ahead");
        assertEq(r.overdueAt(n), queuedAt + DEADLINE, "the fixed deadline");
        vm.warp(queuedAt + DEADLINE);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.ExodusTooEarly.selector, n, queuedAt + DEADLINE));
        r.activateExodus(n);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.NoPendingPriorityOp.selector));
        r.activateExodus(n - 1); // served
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.NoPendingPriorityOp.selector));
        r.activateExodus(n + 1); // never queued
        vm.warp(queuedAt + DEADLINE + 1);
        r.activateExodus(n);
        assertTrue(r.exodus(), "her deadline passed: exodus");
    }

    /// An operator that stops part-way through the flood: the exodus opens once the head's own
    /// deadline passes (the spacing of what was ahead of it), and not before.
    function test_activateExodus_afterTheHeadsGrownDeadline() public {
        _flood(10);
        for (uint256 b = 0; b < 5; ++b) {
            vm.warp(block.timestamp + DEADLINE / QUEUE_BATCHES);
            _serveTwo();
        }
        uint256 head = r.queueHead();
        assertEq(head, 10, "ten served");
        uint256 due = r.overdueAt(head);
        assertEq(due, r.priorityOp(head).queuedAt + DEADLINE + 10 * _spacing(), "ten were ahead of it");
        vm.warp(due);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.ExodusTooEarly.selector, head, due));
        r.activateExodus(head);
        vm.warp(due + 1);
        r.activateExodus(head);
        assertTrue(r.exodus(), "overdue");
    }

    /// Review of 12-08, second round: deadlines are not in queue order. A hostile operator queues
    /// a flood of its own, then request B behind it, and serves the flood at once: B, now the head,
    /// keeps the flood's extension, while Alice, queued next with only B ahead, has nearly the
    /// fixed deadline. Alice's own deadline opens the exodus (served in order, she can only be
    /// late if everything ahead of her was served in time for her), while the head's still runs.
    function test_attack_aLaterDeadlineAheadDoesNotHoldBackTheExodus() public {
        _flood(10); // 40, then B from another account of hers
        vm.prank(MALLORY);
        uint256 other = r.register(PK);
        _queueForcedClose(MALLORY, other);
        uint256 b = 40;
        for (uint256 k = 0; k < 20; ++k) _serveTwo(); // the flood, served at once
        assertEq(r.queueHead(), b, "B is the head");
        vm.prank(ALICE);
        uint256 alice = r.register(9);
        _queueForcedClose(ALICE, alice);
        uint256 mine = b + 1;
        assertEq(r.priorityOp(mine).ahead, 1, "only B ahead of her");
        assertTrue(r.overdueAt(mine) < r.overdueAt(b), "her deadline comes first");
        vm.warp(r.overdueAt(mine) + 1);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.ExodusTooEarly.selector, b, r.overdueAt(b)));
        r.activateExodus(b);
        r.activateExodus(mine);
        assertTrue(r.exodus(), "her own deadline opened it");
    }

    /// The feed-change delay exceeds the fixed deadline so that a trader who sees a change queued
    /// can leave before it rules. Behind a flood her deadline falls after the change's
    /// `executableAt`, so the change waits until every request queued in time (by `executableAt −
    /// forcedRequestDeadline`) is served; a request queued later does not hold it up.
    function test_attack_floodCannotLetAFeedChangeOutrunAnExit() public {
        MockAggregator next = new MockAggregator("ETH / USD v2", address(this));
        next.pushAnswer(ETH_ANSWER);
        r.queueFeedChange(1, next);
        uint256 executableAt = block.timestamp + FEED_CHANGE_DELAY;
        _flood(FLOODERS);
        // Alice reacts at once: two forced closes, behind the flood.
        vm.prank(ALICE);
        uint256 alice = r.register(9);
        _queueForcedClose(ALICE, alice);
        _queueForcedClose(ALICE, alice);
        uint256 last = r.priorityQueueLength() - 1;
        assertTrue(r.overdueAt(last) > executableAt, "her deadline is after the change");

        // The operator serves at capacity; the change's time comes with her requests still queued.
        while (block.timestamp < executableAt) {
            vm.warp(block.timestamp + DEADLINE / QUEUE_BATCHES);
            _serveTwo();
        }
        uint256 head = r.queueHead();
        assertTrue(head <= last, "hers still wait");
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.FeedChangeAwaitsQueue.selector, 1, head));
        r.executeFeedChange(1);

        while (r.queueHead() <= last) {
            vm.warp(block.timestamp + DEADLINE / QUEUE_BATCHES);
            _serveTwo();
        }
        // A request queued after `executableAt − deadline` does not hold the change up.
        _queueForcedClose(MALLORY, requester[0]);
        r.executeFeedChange(1);
        assertEq(address(r.feeds()[0]), address(next), "the change ruled after her exit");
    }
}
