// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TesseraRollup} from "../../TesseraRollup.sol";

/// @notice TEST ONLY: a rollup whose exodus a test starts directly, and whose exit mark a test
/// calls with a settlement round (the exit proof itself is covered by test/contracts/exodus.test.ts).
contract FeedHistoryHarness is TesseraRollup {
    constructor(Config memory cfg) TesseraRollup(cfg) {}

    function startExodus(uint256 custody) external {
        l2Custody = custody;
        exodus = true;
        exodusActivatedAt = uint64(block.timestamp);
        exitCustody = custody;
    }

    function markWithRound(uint256 instrument, uint256[] calldata g, uint80 roundId) external returns (int256) {
        return _mark(instrument, g, roundId);
    }
}
