// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title HostileToken
/// @notice TEST ONLY collateral with the two powers real stablecoins give their issuer: a fee on
/// transfer that can be switched on after deployment (USDT's `basisPointsRate`), burned from the
/// amount sent, and a blocklist that refuses any transfer from or to a listed address (USDC's
/// `blacklist`). Anyone may set both here. Never referenced by product code.
contract HostileToken is ERC20 {
    /// @notice The fee on each transfer between two nonzero addresses, in basis points of the value.
    uint256 public feeBasisPoints;
    /// @notice Addresses the token refuses to move funds from or to.
    mapping(address account => bool) public blocked;

    /// @notice `account` is blocklisted.
    error Blocklisted(address account);
    /// @notice A fee above the whole value.
    error FeeAboveValue(uint256 basisPoints);

    constructor() ERC20("Hostile USD", "hUSD") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Sets the fee on transfer (at most 10,000: the whole value).
    function setFee(uint256 basisPoints) external {
        if (basisPoints > 10_000) revert FeeAboveValue(basisPoints);
        feeBasisPoints = basisPoints;
    }

    function setBlocked(address account, bool isBlocked) external {
        blocked[account] = isBlocked;
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[from]) revert Blocklisted(from);
        if (blocked[to]) revert Blocklisted(to);
        uint256 fee = from == address(0) || to == address(0) ? 0 : (value * feeBasisPoints) / 10_000;
        if (fee != 0) super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
