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

/// @notice Fuzz tests of deposits, claims, forced withdrawals and the public-input array, on a
/// `test`-profile rollup (nTx 2, U 2, K 1, depth 4, P 2) with a MockVerifier. The exit proof
/// (on-chain Poseidon) is covered by test/contracts/exodus.test.ts.
// Test names follow test_<fn>_<condition> and testFuzz_<fn>_<condition>.
// solhint-disable func-name-mixedcase
contract TesseraRollupTest is TestBase {
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant MAX_AMOUNT = (1 << 56) - 1;
    uint256 internal constant N_TX = 2;
    uint256 internal constant U = 2;
    uint256 internal constant K = 1;
    uint256 internal constant N_PUBLIC = 4 + U + K + 2 * N_TX;
    uint256 internal constant GENESIS_ROOT = 0x1234;
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

    function setUp() public {
        vm.warp(1_800_000_000);
        usdc = new TestUSDC(address(this));
        ethFeed = new MockAggregator("ETH / USD", address(this));
        btcFeed = new MockAggregator("BTC / USD", address(this));
        ethFeed.pushAnswer(ETH_ANSWER);
        btcFeed.pushAnswer(BTC_ANSWER);
        verifier = new MockVerifier(N_PUBLIC);
        rollup = _deploy(ethFeed);
    }

    /// @dev A `test`-profile rollup whose ETH feed is `eth` (BTC: `btcFeed`).
    function _deploy(AggregatorV3Interface eth) internal returns (TesseraRollup) {
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
                    verifier: address(verifier),
                    profile: ITesseraRollup.Profile({
                        nTx: uint16(N_TX),
                        settlements: uint8(K),
                        accountDepth: 4,
                        positions: 2
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

    /// @dev docs/protocol.md §7, written out independently of the contract.
    function _depositF0(uint256 accountId, uint256 amount, address owner) internal pure returns (uint256) {
        return 1 + accountId * 2 ** 4 + amount * 2 ** 36 + uint256(uint160(owner)) * 2 ** 92;
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
    }

    function _slots(uint256 f0a, uint256 f1a, uint256 f0b, uint256 f1b) internal pure returns (uint256[] memory s) {
        s = new uint256[](2 * N_TX);
        (s[0], s[1], s[2], s[3]) = (f0a, f1a, f0b, f1b);
    }

    function _submit(ITesseraRollup.BatchHeader memory h, uint256[] memory slots) internal {
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
        assertEq(op.f0, _depositF0(id, amount, ALICE), "f0");
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
        uint256[] memory swapped = _slots(_depositF0(id, second, ALICE), 7, _depositF0(id, first, ALICE), 7);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITesseraRollup.PriorityOpMismatch.selector,
                0,
                0,
                _depositF0(id, first, ALICE),
                _depositF0(id, second, ALICE)
            )
        );
        _submit(_header(1), swapped);
        _submit(_header(1), _slots(_depositF0(id, first, ALICE), 7, _depositF0(id, second, ALICE), 7));
        assertEq(rollup.queueHead(), 2, "both consumed");
        assertEq(rollup.l2Custody(), first + second, "custody");
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
        _submit(_header(1), _slots(_depositF0(id, deposited, ALICE), 7, _withdrawF0(id, w1, 1), 0));
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
        _submit(_header(1), _slots(_depositF0(id, requested, ALICE), 7, _forcedF0(id, served, requested), 0));
        assertEq(rollup.claimable(ALICE), served, "credited served");
        assertEq(rollup.queueHead(), 2, "consumed");
    }

    // ---------------------------------------------------------------- public inputs

    function testFuzz_publicInputs_layoutOfSection8(
        uint256 newRoot,
        uint256 settlement,
        uint256[4] memory words,
        uint32 dt
    ) public {
        vm.warp(block.timestamp + dt);
        ITesseraRollup.BatchHeader memory h = _header(newRoot);
        h.settlements[0] = settlement;
        uint256[] memory slots = _slots(words[0], words[1], words[2], words[3]);
        uint256[] memory inputs = rollup.publicInputs(h, slots);
        assertEq(inputs.length, N_PUBLIC, "length");
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
        for (uint256 i = 0; i < 4; ++i) assertEq(inputs[7 + i], words[i], "slot word");
    }

    function testFuzz_submitBatch_bindsInputsToTheProof(uint256 newRoot, uint256 tamperedRoot) public {
        vm.assume(newRoot != tamperedRoot);
        ITesseraRollup.BatchHeader memory h = _header(newRoot);
        uint256[] memory slots = _slots(0, 0, 0, 0);
        verifier.setExpectedInputsHash(keccak256(abi.encodePacked(rollup.publicInputs(h, slots))));
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
}
