// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {TestBase} from "./TestBase.sol";
import {ITesseraRollup} from "../../interfaces/ITesseraRollup.sol";
import {AggregatorV3Interface} from "../../interfaces/AggregatorV3Interface.sol";
import {MockAggregator} from "../../oracle/MockAggregator.sol";
import {TestUSDC} from "../../token/TestUSDC.sol";
import {MockVerifier} from "../../mocks/MockVerifier.sol";

/// @notice TEST ONLY: what the Solidity suites share to deploy a `test`-profile rollup (nTx 2,
/// U 2, I 2, depth 4, P 2; K and D per test): the collateral, the ETH and BTC feeds with one
/// round each, a MockVerifier, and the deployment's configuration.
abstract contract RollupFixture is TestBase {
    uint256 internal constant N_TX = 2;
    /// @dev Instrument-table entries per batch (I).
    uint256 internal constant N_INST = 2;
    uint256 internal constant GENESIS_ROOT = 0x1234;
    uint256 internal constant MAX_BATCH_LAG = 3600;
    uint256 internal constant DEADLINE = 7 days;
    uint256 internal constant FEED_CHANGE_DELAY = 8 days;
    int256 internal constant ETH_ANSWER = 300_012_345_678;
    int256 internal constant BTC_ANSWER = 6_000_050_000_000;

    address internal constant OPERATOR = address(0x0B);
    address internal constant FEE_OWNER = address(0xFEE);
    address internal constant INSURANCE_OWNER = address(0x1F);

    TestUSDC internal usdc;
    MockAggregator internal ethFeed;
    MockAggregator internal btcFeed;
    MockVerifier internal verifier;
    /// @dev priceRoundGrace of the configurations `_config` makes (0: the strict rule).
    uint256 internal grace;
    /// @dev The collateral of the configurations `_config` makes when set; `usdc` when zero.
    IERC20 internal collateralToken;

    /// @dev The clock, the collateral, the feeds (round 1 each) and the verifier.
    function _setUpMarket() internal {
        vm.warp(1_800_000_000);
        usdc = new TestUSDC(address(this));
        ethFeed = new MockAggregator("ETH / USD", address(this));
        btcFeed = new MockAggregator("BTC / USD", address(this));
        ethFeed.pushAnswer(ETH_ANSWER);
        btcFeed.pushAnswer(BTC_ANSWER);
        verifier = new MockVerifier(1);
    }

    /// @dev The `test` profile with `k` settlement and `d` deposit records per batch.
    function _profile(uint256 k, uint256 d) internal pure returns (ITesseraRollup.Profile memory) {
        return
            ITesseraRollup.Profile({
                nTx: uint16(N_TX),
                settlements: uint8(k),
                accountDepth: 4,
                positions: 2,
                deposits: uint8(d),
                instruments: uint8(N_INST)
            });
    }

    /// @dev A deployment's configuration with `profile`, ETH feed `eth` and `verifier_`.
    function _config(
        AggregatorV3Interface eth,
        ITesseraRollup.Profile memory profile,
        address verifier_
    ) internal view returns (ITesseraRollup.Config memory) {
        AggregatorV3Interface[] memory feeds = new AggregatorV3Interface[](2);
        feeds[0] = eth;
        feeds[1] = btcFeed;
        address[8] memory hashers;
        // Exit proofs are not exercised here: any nonzero address satisfies the constructor.
        for (uint256 n = 1; n <= 8; ++n) hashers[n - 1] = address(uint160(0x9000 + n));
        return
            ITesseraRollup.Config({
                collateral: address(collateralToken) == address(0) ? IERC20(address(usdc)) : collateralToken,
                feeds: feeds,
                verifier: verifier_,
                profile: profile,
                genesisStateRoot: GENESIS_ROOT,
                feeAccountOwner: FEE_OWNER,
                feeAccountPkHash: 11,
                insuranceFundOwner: INSURANCE_OWNER,
                insuranceFundPkHash: 22,
                operator: OPERATOR,
                admin: address(this),
                maxOracleAge: 3600,
                forcedRequestDeadline: DEADLINE,
                maxBatchLag: MAX_BATCH_LAG,
                priceRoundGrace: grace,
                feedChangeDelay: FEED_CHANGE_DELAY,
                exitClaimWindow: 3 days,
                poseidonHashers: hashers
            });
    }

    /// @dev A forced close's f0, `9 | accountId << 4 | instrument << 28 | settlement << 110 | served << 111`
    /// (queued with `served` 0 and f1 = 0); a slot's f1 is the insurance fund account.
    function _forcedCloseF0(
        uint256 accountId,
        uint256 instrument,
        bool served,
        bool settlement
    ) internal pure returns (uint256) {
        return 9 + accountId * 2 ** 4 + instrument * 2 ** 28 + (settlement ? 2 ** 110 : 0) + (served ? 2 ** 111 : 0);
    }

    /// @dev The header of a batch stamped now whose slots read no price (deposits, refused forced
    /// closes: finding F13), so round 1 of both feeds stays usable however far the test moves
    /// time; K = 1, two instrument-table words, `d` deposit records left zero. Its new root is
    /// derived from the time and `queueHead`, so consecutive batches differ.
    function _priceFreeHeader(
        uint256 queueHead,
        uint256 d
    ) internal view returns (ITesseraRollup.BatchHeader memory h) {
        h.newStateRoot = uint256(keccak256(abi.encode(block.timestamp, queueHead))) >> 8;
        h.timestamp = uint64(block.timestamp);
        h.prices = new uint256[](2);
        h.prices[0] = uint256(ETH_ANSWER) / 1e6;
        h.prices[1] = uint256(BTC_ANSWER) / 1e6;
        h.priceRoundIds = new uint80[](2);
        h.priceRoundIds[0] = 1;
        h.priceRoundIds[1] = 1;
        h.settlements = new uint256[](1);
        h.settlementRoundIds = new uint80[](1);
        h.instruments = new uint256[](2);
        h.deposits = new uint256[](2 * d);
    }
}
