// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ITesseraRollup} from "../../interfaces/ITesseraRollup.sol";

/// @notice An operator that is a contract: it passes a batch on to the rollup, which must refuse
/// it (`NotDirectCall`; TesseraRollup.t.sol, test_attack_submitBatchOnlyAsTheTransactionsOwnCall).
contract BatchForwarder {
    function forward(
        ITesseraRollup rollup,
        ITesseraRollup.BatchHeader calldata h,
        bytes calldata slots,
        uint256[8] calldata proof
    ) external {
        rollup.submitBatch(h, slots, proof);
    }
}
