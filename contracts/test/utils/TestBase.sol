// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice The Foundry cheatcodes the Solidity tests use (served by Hardhat 3's test runner at
/// the standard address). The npm forge-std 1.1.2 cannot be imported here: it ships no `src/`
/// (which Hardhat resolves `forge-std/...` to) and no `ds-test`.
// Foundry's names for the cheatcode interface and its constant.
// solhint-disable-next-line interface-starts-with-i
interface Vm {
    function warp(uint256 newTimestamp) external;
    function prank(address sender) external;
    /// @dev The next call comes from `sender`, in a transaction whose `tx.origin` is `origin`.
    function prank(address sender, address origin) external;
    /// @dev Sets the code at `target` (an EIP-7702 delegation designator, say).
    function etch(address target, bytes calldata code) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function expectRevert(bytes calldata revertData) external;
    function assume(bool condition) external pure;
    /// @dev The next call must emit the event emitted next in the test, topics and data alike.
    function expectEmit() external;
}

/// @notice Minimal test base: cheatcodes, bounded fuzz inputs and assertions that revert with
/// the compared values.
abstract contract TestBase {
    // solhint-disable-next-line const-name-snakecase
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    error AssertionFailed(string what, uint256 expected, uint256 actual);
    error AssertionFailedAddress(string what, address expected, address actual);

    function assertEq(uint256 actual, uint256 expected, string memory what) internal pure {
        if (actual != expected) revert AssertionFailed(what, expected, actual);
    }

    function assertEq(address actual, address expected, string memory what) internal pure {
        if (actual != expected) revert AssertionFailedAddress(what, expected, actual);
    }

    function assertTrue(bool condition, string memory what) internal pure {
        if (!condition) revert AssertionFailed(what, 1, 0);
    }

    /// @dev Maps `x` into `[min, max]` uniformly enough for fuzzing.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        if (min > max) revert AssertionFailed("bound", min, max);
        if (max - min == type(uint256).max) return x;
        return min + (x % (max - min + 1));
    }

    /// @dev `seed` mapped to `lo`, `lo + 1`, `hi` or anywhere in `[lo, hi]`, a quarter of the runs
    /// each: a field of n bits is fuzzed at 0, 1 and 2^n − 1 every time (2^n, which does not fit,
    /// by the tests that refuse it).
    function _edge(uint256 seed, uint256 lo, uint256 hi) internal pure returns (uint256) {
        uint256 pick = seed % 4;
        if (pick == 0) return lo;
        if (pick == 1) return lo < hi ? lo + 1 : hi;
        if (pick == 2) return hi;
        return bound(seed / 4, lo, hi);
    }
}
