// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title VerifierGasProbe
/// @notice BENCH ONLY (bench/gas.ts). Never referenced by product code. Stands in for the verifier
/// of a profile whose circuit is too big to prove on the bench machine (prod), and pays inside the
/// batch's own transaction what that verifier would pay, so that the EIP-7623 calldata floor is
/// applied to the real total rather than estimated around it.
/// @dev A Groth16 verifier that snarkjs generates for one public input runs the same code for any
/// circuit and any proof of valid points: a field check of the input, one scalar multiplication,
/// one addition and a four-pair pairing check, each at a fixed price. So this probe ignores the
/// proof and input it is given and has a real generated verifier check a proof that verifier
/// accepts (fixed at deployment, immutable: no storage read), returning its answer. It adds one
/// call to the real verifier's cost; the bench measures that overhead against the real verifier
/// called directly and subtracts it.
contract VerifierGasProbe {
    bytes4 private constant VERIFY_SELECTOR = bytes4(
        // solhint-disable-next-line gas-small-strings
        keccak256("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[1])") // hashed at compile time
    );
    /// @notice The generated verifier that does the work.
    address public immutable verifier;
    uint256 private immutable _a0;
    uint256 private immutable _a1;
    uint256 private immutable _b00;
    uint256 private immutable _b01;
    uint256 private immutable _b10;
    uint256 private immutable _b11;
    uint256 private immutable _c0;
    uint256 private immutable _c1;
    uint256 private immutable _input;

    /// @param verifier_ A snarkjs Groth16 verifier with one public input.
    /// @param proof `[a0, a1, b00, b01, b10, b11, c0, c1]`, a proof `verifier_` accepts for `input`.
    /// @param input Its public input.
    constructor(address verifier_, uint256[8] memory proof, uint256 input) {
        verifier = verifier_;
        (_a0, _a1, _b00, _b01, _b10, _b11, _c0, _c1) = (
            proof[0],
            proof[1],
            proof[2],
            proof[3],
            proof[4],
            proof[5],
            proof[6],
            proof[7]
        );
        _input = input;
    }

    /// @notice The answer of `verifier` for the fixed proof and input, whatever is passed.
    function verifyProof(
        uint256[2] calldata,
        uint256[2][2] calldata,
        uint256[2] calldata,
        uint256[1] calldata
    ) external view returns (bool) {
        (bool ok, bytes memory ret) = verifier.staticcall(
            abi.encodeWithSelector(VERIFY_SELECTOR, [_a0, _a1], [[_b00, _b01], [_b10, _b11]], [_c0, _c1], [_input])
        );
        return ok && ret.length == 32 && abi.decode(ret, (bool));
    }
}
