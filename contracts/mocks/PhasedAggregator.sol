// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";

/// @title PhasedAggregator
/// @notice TEST ONLY: a feed with the round ids of Chainlink's AggregatorProxy, which numbers the
/// rounds of each underlying aggregator ("phase") separately: `roundId = phaseId << 64 | n` with
/// n = 1, 2, ... inside a phase. When the proxy moves to a new aggregator, the round after the last
/// of phase p is round 1 of phase p + 1, not `roundId + 1`. Rounds that do not exist revert.
contract PhasedAggregator is AggregatorV3Interface {
    struct Round {
        int256 answer;
        uint64 updatedAt;
    }

    /// @notice Round `roundId` does not exist.
    error RoundNotFound(uint80 roundId);

    /// @notice The phase new rounds go to (phases start at 1, as on Chainlink's proxies).
    uint16 public phaseId = 1;
    mapping(uint16 phase => Round[] rounds) private _rounds;

    /// @notice Pushes a round updated at `updatedAt` into the current phase; returns its id.
    function push(int256 answer, uint256 updatedAt) external returns (uint80 roundId) {
        _rounds[phaseId].push(Round({answer: answer, updatedAt: uint64(updatedAt)}));
        return _id(phaseId, _rounds[phaseId].length);
    }

    /// @notice Moves to a new aggregator: later rounds are numbered in phase `phaseId + 1`.
    function nextPhase() external {
        ++phaseId;
    }

    /// @inheritdoc AggregatorV3Interface
    function decimals() external pure returns (uint8) {
        return 8;
    }

    /// @inheritdoc AggregatorV3Interface
    function description() external pure returns (string memory) {
        return "phased test feed";
    }

    /// @inheritdoc AggregatorV3Interface
    function version() external pure returns (uint256) {
        return 4;
    }

    /// @inheritdoc AggregatorV3Interface
    function getRoundData(uint80 roundId) external view returns (uint80, int256, uint256, uint256, uint80) {
        return _round(roundId);
    }

    /// @inheritdoc AggregatorV3Interface
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return _round(_id(phaseId, _rounds[phaseId].length));
    }

    function _id(uint16 phase, uint256 n) internal pure returns (uint80) {
        return uint80((uint256(phase) << 64) | n);
    }

    function _round(uint80 roundId) internal view returns (uint80, int256, uint256, uint256, uint80) {
        uint16 phase = uint16(roundId >> 64);
        uint64 n = uint64(roundId);
        Round[] storage rounds = _rounds[phase];
        if (n == 0 || n > rounds.length) revert RoundNotFound(roundId);
        Round storage r = rounds[n - 1];
        return (roundId, r.answer, r.updatedAt, r.updatedAt, roundId);
    }
}
