// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title AggregatorV3Interface
/// @notice Chainlink's price feed interface, with exactly Chainlink's ABI, so a real feed plugs in unchanged.
// Chainlink's name, kept so the ABI and imports match theirs.
// solhint-disable-next-line interface-starts-with-i
interface AggregatorV3Interface {
    /// @notice Number of decimals of `answer`.
    function decimals() external view returns (uint8);

    /// @notice Human-readable description of the feed, e.g. "ETH / USD".
    function description() external view returns (string memory);

    /// @notice Version of the aggregator.
    function version() external view returns (uint256);

    /// @notice Data of round `_roundId`.
    /// @return roundId The round id.
    /// @return answer The answer of the round, with `decimals()` decimals.
    /// @return startedAt When the round started (unix seconds).
    /// @return updatedAt When the answer was last updated (unix seconds); 0 for a round that does not exist.
    /// @return answeredInRound The round in which the answer was computed.
    function getRoundData(
        uint80 _roundId
    )
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);

    /// @notice Data of the latest round.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}
