// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "../../interfaces/AggregatorV3Interface.sol";

/// @notice TEST ONLY: a feed with 18 decimals (MockAggregator has 8), one round per push.
contract Feed18 is AggregatorV3Interface {
    error NoRound(uint80 id);

    int256[] internal _answers;
    uint256[] internal _times;

    function push(int256 answer) external returns (uint80) {
        _answers.push(answer);
        _times.push(block.timestamp);
        return uint80(_answers.length);
    }

    function decimals() external pure returns (uint8) {
        return 18;
    }

    function description() external pure returns (string memory) {
        return "ETH / USD 18";
    }

    function version() external pure returns (uint256) {
        return 1;
    }

    function getRoundData(uint80 id) public view returns (uint80, int256, uint256, uint256, uint80) {
        if (id == 0 || id > _answers.length) revert NoRound(id);
        return (id, _answers[id - 1], _times[id - 1], _times[id - 1], id);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(uint80(_answers.length));
    }
}
