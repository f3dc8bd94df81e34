// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantToken
/// @notice Test-only malicious collateral token: when armed, a transfer out of `victim` calls back
/// into `victim` with `reentryCall` and records the outcome. Never referenced by product code.
contract ReentrantToken is ERC20 {
    address public victim;
    bytes public reentryCall;
    bool public armed;
    bool public reentryAttempted;
    bool public reentrySucceeded;
    bytes public reentryRevertData;

    constructor() ERC20("Reentrant", "RE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice The next transfer out of `victim_` calls `victim_` with `call`.
    function arm(address victim_, bytes calldata call) external {
        victim = victim_;
        reentryCall = call;
        armed = true;
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (armed && from == victim) {
            armed = false;
            reentryAttempted = true;
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, bytes memory ret) = victim.call(reentryCall);
            reentrySucceeded = ok;
            reentryRevertData = ret;
        }
    }
}
