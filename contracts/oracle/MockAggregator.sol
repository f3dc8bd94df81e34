// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";

/// @title MockAggregator
/// @notice A Chainlink-style feed with 8 decimals whose rounds the owner pushes: the local demo's
/// oracle and the tests'. Round ids are 1, 2, 3, ...; a round that does not exist reverts, as on
/// Chainlink's OCR aggregators.
contract MockAggregator is AggregatorV3Interface, Ownable {
    struct Round {
        int256 answer;
        uint64 updatedAt;
    }

    /// @notice Answers have 8 decimals (USD feeds on Chainlink).
    uint8 public constant DECIMALS = 8;

    string private _description;
    Round[] private _rounds;

    /// @notice Emitted for every new round.
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    /// @notice Round `roundId` does not exist.
    error RoundNotFound(uint80 roundId);
    /// @notice Rounds must have non-decreasing `updatedAt`, not later than the current block.
    error BadRoundTime(uint256 updatedAt, uint256 previousUpdatedAt);

    /// @param description_ e.g. "ETH / USD".
    /// @param owner_ Who may push rounds.
    constructor(string memory description_, address owner_) Ownable(owner_) {
        _description = description_;
    }

    /// @notice Pushes a new round with `answer` (8 decimals) updated now.
    function pushAnswer(int256 answer) external onlyOwner returns (uint80 roundId) {
        return _push(answer, block.timestamp);
    }

    /// @notice Pushes a new round with `answer` updated at `updatedAt` (not before the previous round, not in the future).
    function setAnswerAt(int256 answer, uint256 updatedAt) external onlyOwner returns (uint80 roundId) {
        return _push(answer, updatedAt);
    }

    /// @inheritdoc AggregatorV3Interface
    function decimals() external pure returns (uint8) {
        return DECIMALS;
    }

    /// @inheritdoc AggregatorV3Interface
    function description() external view returns (string memory) {
        return _description;
    }

    /// @inheritdoc AggregatorV3Interface
    function version() external pure returns (uint256) {
        return 4;
    }

    /// @inheritdoc AggregatorV3Interface
    function getRoundData(
        uint80 _roundId
    )
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return _round(_roundId);
    }

    /// @inheritdoc AggregatorV3Interface
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return _round(uint80(_rounds.length));
    }

    function _push(int256 answer, uint256 updatedAt) internal returns (uint80 roundId) {
        uint256 previous = _rounds.length == 0 ? 0 : _rounds[_rounds.length - 1].updatedAt;
        if (updatedAt < previous || updatedAt > block.timestamp || updatedAt == 0) {
            revert BadRoundTime(updatedAt, previous);
        }
        _rounds.push(Round({answer: answer, updatedAt: uint64(updatedAt)}));
        roundId = uint80(_rounds.length);
        emit AnswerUpdated(answer, roundId, updatedAt);
    }

    function _round(uint80 id) internal view returns (uint80, int256, uint256, uint256, uint80) {
        if (id == 0 || id > _rounds.length) revert RoundNotFound(id);
        Round storage r = _rounds[id - 1];
        return (id, r.answer, r.updatedAt, r.updatedAt, id);
    }
}
