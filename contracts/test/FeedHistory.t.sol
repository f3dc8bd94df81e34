// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {RollupFixture} from "./utils/RollupFixture.sol";
import {ITesseraRollup} from "../interfaces/ITesseraRollup.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {MockAggregator} from "../oracle/MockAggregator.sol";
import {ExodusHarness} from "./utils/ExodusHarness.sol";
import {Feed18} from "./utils/Feed18.sol";

/// @notice Settlement prices come from the feed in force at the expiry, which a feed change no
/// longer forgets (review finding: a series expired before a change and not yet settled could
/// never be settled nor exited). `test`-profile rollup (nTx 2, U 2, K 1) with a MockVerifier.
// Test names follow test_<fn>_<condition>.
// solhint-disable func-name-mixedcase
contract FeedHistoryTest is RollupFixture {
    /// @dev The new feed answers differently, so a price read from the wrong feed shows.
    int256 internal constant NEW_ANSWER = 310_000_000_000;
    uint256 internal constant DELAY = FEED_CHANGE_DELAY;

    ExodusHarness internal r;
    uint256 internal root = 1;

    function setUp() public {
        _setUpMarket();
        r = _deploy(ethFeed);
    }

    /// @dev A `test`-profile rollup (K 1, D 2) whose ETH feed is `eth`.
    function _deploy(AggregatorV3Interface eth) internal returns (ExodusHarness) {
        return new ExodusHarness(_config(eth, _profile(1, 2), address(verifier)));
    }

    /// @dev An empty batch stamped now at the given latest rounds, settling `record` at `roundId`
    /// (record 0: nothing).
    function _header(
        uint80 ethRound,
        uint80 btcRound,
        uint256 ethCents,
        uint256 record,
        uint80 roundId
    ) internal returns (ITesseraRollup.BatchHeader memory h) {
        h.newStateRoot = ++root;
        h.timestamp = uint64(block.timestamp);
        h.prices = new uint256[](2);
        h.prices[0] = ethCents;
        h.prices[1] = uint256(BTC_ANSWER) / 1e6;
        h.priceRoundIds = new uint80[](2);
        h.priceRoundIds[0] = ethRound;
        h.priceRoundIds[1] = btcRound;
        h.settlements = new uint256[](1);
        h.settlements[0] = record;
        h.settlementRoundIds = new uint80[](1);
        h.settlementRoundIds[0] = roundId;
        h.instruments = new uint256[](2);
        h.deposits = new uint256[](4);
    }

    function _submit(ITesseraRollup.BatchHeader memory h) internal {
        uint256[8] memory proof;
        vm.prank(OPERATOR, OPERATOR);
        r.submitBatch(h, new bytes(48), proof);
    }

    function _expectSubmitRevert(ITesseraRollup.BatchHeader memory h, bytes memory err) internal {
        uint256[8] memory proof;
        vm.prank(OPERATOR, OPERATOR);
        vm.expectRevert(err);
        r.submitBatch(h, new bytes(48), proof);
    }

    /// @dev The settlement record of ETH series `expiry` at `cents`.
    function _record(uint256 expiry, uint256 cents) internal pure returns (uint256) {
        return 1 + expiry * 2 ** 8 + cents * 2 ** 40;
    }

    /// @dev An ETH call of strike 0 expiring at `expiry`: its exit mark is the settlement price.
    function _call0(uint256 expiry) internal pure returns (uint256) {
        return 1 + 1 * 2 ** 8 + expiry * 2 ** 50;
    }

    /// @dev Queues and executes a change of the ETH feed to `next` after the delay; returns the
    /// change's timestamp.
    function _changeEthFeed(AggregatorV3Interface next) internal returns (uint256 at) {
        r.queueFeedChange(1, next);
        vm.warp(block.timestamp + DELAY);
        r.executeFeedChange(1);
        return block.timestamp;
    }

    function _feedAt(uint256 time) internal view returns (address feed) {
        (feed, ) = r.feedInForceAt(1, time);
    }

    /// The review's scenario: a series expires, a batch after the expiry leaves it unsettled, the
    /// feed changes. A batch now settles it at the old feed's round in force at the expiry; a
    /// round id resolved against the old feed that was not in force, or a price of the new feed,
    /// is refused.
    function test_settlement_afterFeedChangeUsesTheOldFeed() public {
        uint256 t0 = block.timestamp;
        uint256 expiry = t0 + 100;
        MockAggregator next = new MockAggregator("ETH / USD v2", address(this));
        r.queueFeedChange(1, next);
        vm.warp(t0 + 200);
        ethFeed.pushAnswer(ETH_ANSWER + 1e8); // old round 2, after the expiry
        _submit(_header(2, 1, uint256(ETH_ANSWER + 1e8) / 1e6, 0, 0)); // series left unsettled

        vm.warp(t0 + DELAY);
        next.pushAnswer(NEW_ANSWER); // new round 1
        next.pushAnswer(NEW_ANSWER); // new round 2
        next.pushAnswer(NEW_ANSWER); // new round 3 (the old feed has no round 3)
        btcFeed.pushAnswer(BTC_ANSWER);
        r.executeFeedChange(1);
        uint256 oldCents = uint256(ETH_ANSWER) / 1e6;
        uint256 newCents = uint256(NEW_ANSWER) / 1e6;

        // Round 2 of the old feed came after the expiry.
        _expectSubmitRevert(
            _header(3, 2, newCents, _record(expiry, uint256(ETH_ANSWER + 1e8) / 1e6), 2),
            abi.encodeWithSelector(ITesseraRollup.RoundNotInForceAtExpiry.selector, 1, 2, expiry)
        );
        // Round 3 exists only on the new feed: resolved against the old one, it does not exist.
        _expectSubmitRevert(
            _header(3, 2, newCents, _record(expiry, newCents), 3),
            abi.encodeWithSelector(ITesseraRollup.InvalidOracleRound.selector, 1, 3, int256(0), 0)
        );
        // Round 1 at the new feed's price: round 1 is the old feed's, at the old price.
        _expectSubmitRevert(
            _header(3, 2, newCents, _record(expiry, newCents), 1),
            abi.encodeWithSelector(ITesseraRollup.SettlementPriceMismatch.selector, 0, oldCents, newCents)
        );
        // The batch price itself is the new feed's latest round.
        _submit(_header(3, 2, newCents, _record(expiry, oldCents), 1));
        (bool isFixed, uint256 price) = r.settlementPrice(1, expiry);
        assertTrue(isFixed, "settled after the change");
        assertEq(price, oldCents, "old round in force at expiry");
    }

    /// The same series in the exodus: the exit values it at the old feed's round in force at the
    /// expiry (and fixes that price), where it used to revert for every round id.
    function test_exit_valuesExpiredSeriesWithTheOldFeed() public {
        uint256 t0 = block.timestamp;
        uint256 expiry = t0 + 100;
        MockAggregator next = new MockAggregator("ETH / USD v2", address(this));
        r.queueFeedChange(1, next);
        vm.warp(t0 + 200);
        ethFeed.pushAnswer(ETH_ANSWER + 1e8);
        _submit(_header(2, 1, uint256(ETH_ANSWER + 1e8) / 1e6, 0, 0));
        vm.warp(t0 + DELAY);
        next.pushAnswer(NEW_ANSWER);
        r.executeFeedChange(1);

        r.startExodus(1e6);
        uint256[] memory g = new uint256[](5);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.RoundNotInForceAtExpiry.selector, 1, 2, expiry));
        r.markWithRound(_call0(expiry), g, 2);
        int256 mark = r.markWithRound(_call0(expiry), g, 1);
        assertEq(uint256(mark), uint256(ETH_ANSWER) / 1e6, "old feed's round 1");
        (bool isFixed, uint256 price) = r.settlementPrice(1, expiry);
        assertTrue(isFixed && price == uint256(ETH_ANSWER) / 1e6, "fixed by the exit");
    }

    /// An expiry after the change is priced by the new feed: its round 1 settles it, and the old
    /// feed's rounds are not consulted (old round 1, at another price, would not match).
    function test_settlement_expiryAfterChangeUsesTheNewFeed() public {
        MockAggregator next = new MockAggregator("ETH / USD v2", address(this));
        next.pushAnswer(NEW_ANSWER); // new round 1, before the change
        uint256 changedAt = _changeEthFeed(next);
        uint256 expiry = changedAt + 50;
        vm.warp(changedAt + 100);
        btcFeed.pushAnswer(BTC_ANSWER);
        uint256 newCents = uint256(NEW_ANSWER) / 1e6;
        assertEq(_feedAt(expiry), address(next), "new feed after the change");
        _submit(_header(1, 2, newCents, _record(expiry, newCents), 1));
        (, uint256 price) = r.settlementPrice(1, expiry);
        assertEq(price, newCents, "new feed's round 1");
    }

    /// Review of 12-07: a feed with no round yet could be made current, and a series expiring
    /// after the change but before the feed's first round then had no round in force: no batch
    /// could settle it and its exit reverted for every round id, locking its holders' collateral.
    /// The change now waits for the new feed's first valid round; then every expiry after the
    /// change, however far (`gap`), has a round in force, and the exit values it.
    function test_executeFeedChange_waitsForTheNewFeedsFirstRound(uint256 gap) public {
        gap = bound(gap, 1, 30 days);
        MockAggregator next = new MockAggregator("ETH / USD v2", address(this));
        r.queueFeedChange(1, next);
        vm.warp(block.timestamp + DELAY);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.FeedHasNoRound.selector, 1, address(next)));
        r.executeFeedChange(1);
        next.pushAnswer(0); // a round, but no price
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.FeedHasNoRound.selector, 1, address(next)));
        r.executeFeedChange(1);
        assertEq(_feedAt(block.timestamp + 1), address(ethFeed), "refused changes change nothing");

        next.pushAnswer(NEW_ANSWER); // round 2, the first valid one
        r.executeFeedChange(1);
        uint256 changedAt = block.timestamp;
        uint256 expiry = changedAt + gap;
        assertEq(_feedAt(expiry), address(next), "the new feed prices the expiry");

        vm.warp(expiry + 10);
        next.pushAnswer(NEW_ANSWER + 1e8); // round 3, after the expiry
        btcFeed.pushAnswer(BTC_ANSWER);
        _submit(_header(3, 2, uint256(NEW_ANSWER + 1e8) / 1e6, 0, 0)); // the series left unsettled
        r.startExodus(1e6);
        uint256[] memory g = new uint256[](5);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.RoundNotInForceAtExpiry.selector, 1, 3, expiry));
        r.markWithRound(_call0(expiry), g, 3);
        int256 mark = r.markWithRound(_call0(expiry), g, 2);
        assertEq(uint256(mark), uint256(NEW_ANSWER) / 1e6, "round 2 in force at the expiry");
    }

    /// The old feed is in force up to and including the second of the change; the new one from
    /// the next second. A settlement at expiry == change time takes the old feed's round.
    function test_feedInForceAt_boundaryAtTheChangeSecond() public {
        MockAggregator next = new MockAggregator("ETH / USD v2", address(this));
        next.pushAnswer(NEW_ANSWER);
        uint256 changedAt = _changeEthFeed(next);
        assertEq(_feedAt(changedAt), address(ethFeed), "old feed at the change second");
        assertEq(_feedAt(changedAt + 1), address(next), "new feed after it");
        assertEq(_feedAt(0), address(ethFeed), "old feed before");
        (, uint8 decimals) = r.feedInForceAt(1, changedAt);
        assertEq(decimals, 8, "with its decimals");

        vm.warp(changedAt + 10);
        btcFeed.pushAnswer(BTC_ANSWER);
        uint256 newCents = uint256(NEW_ANSWER) / 1e6;
        uint256 oldCents = uint256(ETH_ANSWER) / 1e6;
        _expectSubmitRevert(
            _header(1, 2, newCents, _record(changedAt, newCents), 1),
            abi.encodeWithSelector(ITesseraRollup.SettlementPriceMismatch.selector, 0, oldCents, newCents)
        );
        _submit(_header(1, 2, newCents, _record(changedAt, oldCents), 1));
        (, uint256 price) = r.settlementPrice(1, changedAt);
        assertEq(price, oldCents, "old round at the change second");
    }

    /// Two changes A → B → C: each time resolves to the feed in force then, and a series that
    /// expired while B ruled settles at B's round in force at the expiry after C took over: B's
    /// round before it, superseded by another B round before the expiry, is refused (the successor
    /// is looked up on B too), and so is B's round after the expiry.
    function test_feedInForceAt_twoChanges() public {
        MockAggregator b = new MockAggregator("ETH / USD B", address(this));
        MockAggregator c = new MockAggregator("ETH / USD C", address(this));
        b.pushAnswer(NEW_ANSWER); // B round 1
        uint256 first = _changeEthFeed(b);
        uint256 expiry = first + 1000;
        vm.warp(first + 500);
        b.pushAnswer(NEW_ANSWER + 2e8); // B round 2, in force at the expiry
        vm.warp(first + 2000);
        b.pushAnswer(NEW_ANSWER + 5e8); // B round 3, after the expiry
        c.pushAnswer(ETH_ANSWER); // C round 1
        uint256 second = _changeEthFeed(c);

        assertEq(_feedAt(first - 1), address(ethFeed), "A before the first change");
        assertEq(_feedAt(first), address(ethFeed), "A at the first change");
        assertEq(_feedAt(first + 1), address(b), "B after the first change");
        assertEq(_feedAt(expiry), address(b), "B at the expiry");
        assertEq(_feedAt(second), address(b), "B at the second change");
        assertEq(_feedAt(second + 1), address(c), "C after the second change");
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.UnknownUnderlying.selector, 3));
        r.feedInForceAt(3, first);
        (address btc, ) = r.feedInForceAt(2, first);
        assertEq(btc, address(btcFeed), "BTC has its own history");

        vm.warp(second + 10);
        btcFeed.pushAnswer(BTC_ANSWER);
        uint256 cCents = uint256(ETH_ANSWER) / 1e6;
        uint256 bCents = uint256(NEW_ANSWER + 2e8) / 1e6;
        _expectSubmitRevert(
            _header(1, 2, cCents, _record(expiry, uint256(NEW_ANSWER) / 1e6), 1),
            abi.encodeWithSelector(ITesseraRollup.RoundNotInForceAtExpiry.selector, 1, 1, expiry)
        );
        _expectSubmitRevert(
            _header(1, 2, cCents, _record(expiry, uint256(NEW_ANSWER + 5e8) / 1e6), 3),
            abi.encodeWithSelector(ITesseraRollup.RoundNotInForceAtExpiry.selector, 1, 3, expiry)
        );
        _submit(_header(1, 2, cCents, _record(expiry, bCents), 2));
        (, uint256 price) = r.settlementPrice(1, expiry);
        assertEq(price, bCents, "B's round 2");
    }

    /// The feed in force keeps its own decimals: an 18-decimal feed replaced by an 8-decimal one
    /// still prices its expiries at 10^16 per cent.
    function test_settlement_oldFeedKeepsItsDecimals() public {
        Feed18 wide = new Feed18();
        wide.push(ETH_ANSWER * 1e10);
        r = _deploy(wide);
        uint256 expiry = block.timestamp;
        uint256 cents = uint256(ETH_ANSWER) / 1e6;
        MockAggregator next = new MockAggregator("ETH / USD v2", address(this));
        next.pushAnswer(NEW_ANSWER);
        _changeEthFeed(next);
        btcFeed.pushAnswer(BTC_ANSWER);
        (, uint8 decimals) = r.feedInForceAt(1, expiry);
        assertEq(decimals, 18, "old decimals");
        _submit(_header(1, 2, uint256(NEW_ANSWER) / 1e6, _record(expiry, cents), 1));
        (, uint256 price) = r.settlementPrice(1, expiry);
        assertEq(price, cents, "scaled by the old feed's 10^16");
    }
}
