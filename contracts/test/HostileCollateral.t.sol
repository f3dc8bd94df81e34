// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {RollupFixture} from "./utils/RollupFixture.sol";
import {TesseraRollup} from "../TesseraRollup.sol";
import {ITesseraRollup} from "../interfaces/ITesseraRollup.sol";
import {HostileToken} from "../mocks/HostileToken.sol";
import {ExodusHarness} from "./utils/ExodusHarness.sol";

/// @notice TEST ONLY: the rollup on a collateral whose issuer turns a fee on transfer on after
/// deployment, or freezes an owner (contracts/mocks/HostileToken.sol). Invariants: the priority
/// queue never credits more collateral than the rollup received, for every fee and every amount
/// (their edges included); every exodus payment (a pro-rata payout, a late exit, a deposit refund)
/// reaches its owner or the owner's claimable balance, frozen or not, and `claimTo` takes it out.
/// A withdrawal's claim by a frozen owner is in test/contracts/rollup.test.ts.
// Test names follow test_<fn>_<condition> and testFuzz_<fn>_<condition>.
// solhint-disable func-name-mixedcase
contract HostileCollateralTest is RollupFixture {
    uint256 internal constant MAX_AMOUNT = (1 << 56) - 1;
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);
    address internal constant CAROL = address(0xCA401);

    HostileToken internal token;
    TesseraRollup internal rollup;

    function setUp() public {
        _setUpMarket();
        token = new HostileToken();
        collateralToken = IERC20(address(token));
        rollup = new TesseraRollup(_config(ethFeed, _profile(1, 2), address(verifier)));
    }

    function testFuzz_deposit_creditsOnlyWhatArrives(uint256 amount, uint256 feeBasisPoints, bool combined) public {
        amount = _edge(amount, 1, MAX_AMOUNT);
        feeBasisPoints = _edge(feeBasisPoints, 0, 10_000);
        token.setFee(feeBasisPoints);
        token.mint(ALICE, amount);
        vm.prank(ALICE);
        token.approve(address(rollup), amount);
        uint256 id;
        if (!combined) {
            vm.prank(ALICE);
            id = rollup.register(7);
        }
        uint256 received = amount - (amount * feeBasisPoints) / 10_000;

        vm.prank(ALICE);
        if (received < amount) {
            vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.CollateralShortfall.selector, amount, received));
        }
        if (combined) rollup.registerAndDeposit(7, amount);
        else rollup.deposit(id, amount);

        // What the queue credits is what the rollup holds: all of it, or nothing was queued.
        uint256 credited = rollup.queuedDeposits() == 0 ? 0 : uint256(rollup.priorityOp(0).f0 >> 28) & MAX_AMOUNT;
        assertEq(token.balanceOf(address(rollup)), credited, "custody = credited");
        assertEq(rollup.priorityQueueLength(), received < amount ? 0 : 1, "queued only when all arrived");
        assertEq(token.balanceOf(ALICE), received < amount ? amount : 0, "a refused deposit moves nothing");
    }

    /// @dev `owner` (none of whose funds the test held before) got `amount` exactly once: in its
    /// wallet, or, when the token refuses it, in its claimable balance.
    function _owedOnce(
        ExodusHarness h,
        address owner,
        bool isFrozen,
        uint256 amount,
        string memory what
    ) internal view {
        uint256 paid = token.balanceOf(owner);
        uint256 credited = h.claimable(owner);
        assertEq(isFrozen ? credited : paid, amount, what);
        assertEq(paid + credited, amount, "exactly once");
    }

    /// @dev `owner`'s claimable balance, if any, taken out to a fresh address by the owner only.
    function _claimOut(ExodusHarness h, address owner, address to) internal {
        uint256 due = h.claimable(owner);
        if (due == 0) return;
        vm.prank(to);
        vm.expectRevert(abi.encodeWithSelector(ITesseraRollup.NothingToClaim.selector, to));
        h.claimTo(to);
        vm.prank(owner);
        h.claimTo(to);
        assertEq(token.balanceOf(to), due, "claimed elsewhere");
        assertEq(h.claimable(owner), 0, "once");
    }

    function testFuzz_exodusPayments_owedToAFrozenOwnerToo(
        uint256 custody,
        uint256 equity,
        uint256 lateEquity,
        uint256 refund,
        uint256 frozen
    ) public {
        custody = _edge(custody, 1, MAX_AMOUNT);
        equity = _edge(equity, 1, custody);
        lateEquity = _edge(lateEquity, 1, MAX_AMOUNT);
        refund = _edge(refund, 1, MAX_AMOUNT);
        // Which of the three recipients the token refuses: a bit each.
        frozen = frozen % 8;
        ExodusHarness h = new ExodusHarness(_config(ethFeed, _profile(1, 2), address(verifier)));

        // A deposit left in the queue when the exodus starts, from CAROL.
        token.mint(CAROL, refund);
        vm.startPrank(CAROL);
        token.approve(address(h), refund);
        h.registerAndDeposit(9, refund);
        vm.stopPrank();
        token.mint(address(h), custody);
        h.startExodus(custody);
        h.proveExit(2, ALICE, int256(equity));
        vm.warp(block.timestamp + 3 days + 1);
        token.setBlocked(ALICE, frozen & 1 != 0);
        token.setBlocked(BOB, frozen & 2 != 0);
        token.setBlocked(CAROL, frozen & 4 != 0);

        // The pro-rata payout after the window, the late exit of an account that registered
        // none (BOB's), the refund: each reaches its owner, or its owner's claimable balance.
        uint256 payout = h.payExit(2);
        assertEq(payout, equity, "E <= C: paid in full");
        _owedOnce(h, ALICE, frozen & 1 != 0, payout, "ALICE owed her payout");
        uint256 available = custody - equity;
        h.proveExit(3, BOB, int256(lateEquity));
        _owedOnce(h, BOB, frozen & 2 != 0, lateEquity < available ? lateEquity : available, "BOB owed min(e, rest)");
        h.refundDeposit(0);
        _owedOnce(h, CAROL, frozen & 4 != 0, refund, "CAROL owed her deposit");

        // What the rollup still holds is what it owes: the claimable balances and the custody left.
        uint256 owed = h.claimable(ALICE) + h.claimable(BOB) + h.claimable(CAROL) + h.l2Custody();
        assertEq(token.balanceOf(address(h)), owed, "balance = claimable + custody");
        // A frozen owner takes it out through another address; nobody else can.
        _claimOut(h, ALICE, address(0xD00D));
        _claimOut(h, BOB, address(0xD00E));
        _claimOut(h, CAROL, address(0xD00F));
        assertEq(token.balanceOf(address(h)), h.l2Custody(), "only the custody is left");
    }
}
