// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title TestUSDC
/// @notice A 6-decimal stand-in for USDC on local networks, with a rate-limited faucet for the demo.
contract TestUSDC is ERC20, Ownable {
    /// @notice Base units one faucet call gives (10,000 USDC).
    uint256 public constant FAUCET_AMOUNT = 10_000e6;
    /// @notice Seconds between two faucet calls of one address.
    uint256 public constant FAUCET_COOLDOWN = 1 hours;

    /// @notice When each address last used the faucet.
    mapping(address account => uint256 timestamp) public lastFaucetAt;

    /// @notice `account` may use the faucet again at `availableAt`.
    error FaucetCooldown(address account, uint256 availableAt);

    /// @param owner_ May mint without limit (deploy scripts, tests).
    constructor(address owner_) ERC20("Test USD Coin", "tUSDC") Ownable(owner_) {}

    /// @notice Sends `FAUCET_AMOUNT` to the caller, at most once per `FAUCET_COOLDOWN`.
    function faucet() external {
        uint256 last = lastFaucetAt[msg.sender];
        if (last != 0 && block.timestamp < last + FAUCET_COOLDOWN) {
            revert FaucetCooldown(msg.sender, last + FAUCET_COOLDOWN);
        }
        lastFaucetAt[msg.sender] = block.timestamp;
        _mint(msg.sender, FAUCET_AMOUNT);
    }

    /// @notice Mints `amount` to `to`. Owner only.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }

    /// @notice USDC has 6 decimals.
    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
