// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TesseraRollup} from "../../TesseraRollup.sol";

/// @notice TEST ONLY: a rollup whose exodus state a test sets directly (the exit proof, which
/// needs the on-chain Poseidon, is covered by test/contracts/exodus.test.ts), to fuzz the
/// claim-window and pro-rata payout rule and the exit's valuation of a position.
contract ExodusHarness is TesseraRollup {
    constructor(Config memory cfg) TesseraRollup(cfg) {}

    /// @notice Starts the exodus now with `custody` as the L2 custody.
    function startExodus(uint256 custody) external {
        l2Custody = custody;
        exodus = true;
        exodusActivatedAt = uint64(block.timestamp);
        exitCustody = custody;
    }

    /// @notice The mark `exit` values one unit of `instrument` at (no settlement round).
    function markOf(uint256 instrument, uint256[] calldata globalPreimage) external returns (int256) {
        return _mark(instrument, globalPreimage, 0);
    }

    /// @notice The same with the settlement round `exit` is given for an expired option.
    function markWithRound(
        uint256 instrument,
        uint256[] calldata globalPreimage,
        uint80 roundId
    ) external returns (int256) {
        return _mark(instrument, globalPreimage, roundId);
    }

    /// @notice What `exit` does after a valid proof of `equity` for `accountId` owned by `owner`.
    function proveExit(uint256 accountId, address owner, int256 equity) external {
        accountOwner[accountId] = owner;
        _recordExit(accountId, owner, equity);
    }
}
