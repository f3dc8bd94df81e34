// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title MockVerifier
/// @notice Unit-test stand-in for a snarkjs Groth16 verifier. Never referenced by product code.
/// It answers `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[N])` for the N it was built
/// with: true when `result` is set, the calldata has exactly that shape, and, if an expected
/// public-input hash is set, `keccak256` of the packed public inputs equals it (so tests can check
/// what a real verifier would bind: tampered or replayed public data is rejected).
contract MockVerifier {
    /// @notice Selector for N public inputs.
    bytes4 public immutable selector;
    /// @notice Number of public inputs N.
    uint256 public immutable publicInputCount;
    /// @notice What the verifier answers for well-formed calldata.
    bool public result = true;
    /// @notice If nonzero, `keccak256(abi.encodePacked(inputs))` must equal it.
    bytes32 public expectedInputsHash;

    constructor(uint256 publicInputCount_) {
        publicInputCount = publicInputCount_;
        selector = bytes4(
            keccak256(
                abi.encodePacked(
                    "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[",
                    _decimal(publicInputCount_),
                    "])"
                )
            )
        );
    }

    /// @notice Sets the answer.
    function setResult(bool result_) external {
        result = result_;
    }

    /// @notice Requires the public inputs to hash to `hash` (0 disables the check).
    function setExpectedInputsHash(bytes32 hash) external {
        expectedInputsHash = hash;
    }

    // solhint-disable-next-line no-complex-fallback
    fallback(bytes calldata data) external returns (bytes memory) {
        bool ok = result && data.length == 4 + 32 * (8 + publicInputCount) && bytes4(data[:4]) == selector;
        if (ok && expectedInputsHash != bytes32(0)) ok = keccak256(data[4 + 32 * 8:]) == expectedInputsHash;
        return abi.encode(ok);
    }

    function _decimal(uint256 v) private pure returns (string memory) {
        if (v == 0) return "0";
        bytes memory digits;
        for (; v != 0; v /= 10) digits = abi.encodePacked(bytes1(uint8(48 + (v % 10))), digits);
        return string(digits);
    }
}
