// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ITesseraRollup} from "./interfaces/ITesseraRollup.sol";

/// @title TesseraExitRoot
/// @notice The state root an exit proof leads to (docs/protocol.md §4): an account leaf's
/// preimage, its path in the quaternary account tree and the global state's preimage, hashed with
/// circomlib's Poseidon through the deployed hashers. Stateless apart from its constructor's
/// arguments; `TesseraRollup` deploys one in its constructor and compares what it returns with its
/// last verified state root.
/// @dev Apart from the rollup so that the rollup's runtime code stays under EIP-170's 24,576 bytes
/// (docs/contracts.md, "Code size"). The rollup checks the proof's shape and the leaf's owner
/// before it calls `root`; `root` refuses any input that is not a field element
/// (`NotAFieldElement`: `x` and `x + r` would hash alike but decode differently), and the rollup
/// passes the refusal on.
contract TesseraExitRoot {
    /// @notice BN254 scalar field modulus (the circuit's native field).
    uint256 public constant FIELD_MODULUS =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @dev `bytes4(keccak256("poseidon(uint256[n])"))` of n = 1..8, four bytes each from the top.
    /// test/contracts/exodus.test.ts calls real hashers through every arity an exit uses.
    bytes32 internal constant POSEIDON_SELECTORS = 0x1caab9a729a5f2f625cc70e8248f66774937a258f5b4a7887bbb2cf6aa0e3207;

    /// @notice Positions per account leaf (the profile's P, even).
    uint256 public immutable positionsPerAccount;
    /// @dev Poseidon hashers by arity (index n − 1); the rollup's constructor checked the arities an exit uses.
    address[8] internal _poseidon;

    /// @param hashers Poseidon hashers by arity (index n − 1).
    /// @param positions Positions per account leaf.
    constructor(address[8] memory hashers, uint256 positions) {
        _poseidon = hashers;
        positionsPerAccount = positions;
    }

    /// @notice State root from an account leaf preimage, its Merkle path and the global preimage.
    /// The account tree is quaternary: at level l the path node is child `(accountId >> 2l) & 3` of
    /// its parent, and `siblings[3l..3l+2]` are the parent's other children in child order.
    /// @param accountId The leaf's index in the account tree.
    /// @param leafPreimage `[pkHash, owner, collateral, orderRoot]`, then P × `[instrument, size, cost]`.
    /// @param siblings Three per level, bottom-up.
    /// @param globalPreimage `[feePool, fundingIndex[1..U], lastFundingTime[1..U]]`.
    /// @return node The root they hash to.
    function root(
        uint256 accountId,
        uint256[] calldata leafPreimage,
        uint256[] calldata siblings,
        uint256[] calldata globalPreimage
    ) external view returns (uint256 node) {
        uint256[] memory leaf = new uint256[](5);
        for (uint256 i = 0; i < 4; ++i) leaf[i] = leafPreimage[i];
        leaf[4] = _positionsHash(leafPreimage);
        node = _hash(leaf);
        uint256[] memory children = new uint256[](4);
        uint256 levels = siblings.length / 3;
        for (uint256 level = 0; level < levels; ++level) {
            uint256 own = (accountId >> (2 * level)) & 3;
            uint256 next = 3 * level;
            for (uint256 c = 0; c < 4; ++c) children[c] = c == own ? node : siblings[next++];
            node = _hash(children);
        }
        uint256[] memory pair = new uint256[](2);
        pair[0] = node;
        pair[1] = _hash(globalPreimage);
        node = _hash(pair);
    }

    /// @dev positionsHash: H(6 words) when P = 2, else H(pairHash[0..P/2)) with pairHash[j] = H(6 words).
    function _positionsHash(uint256[] calldata leafPreimage) internal view returns (uint256) {
        uint256 pairs = positionsPerAccount / 2;
        uint256[] memory pairHashes = new uint256[](pairs);
        uint256[] memory pair = new uint256[](6);
        for (uint256 j = 0; j < pairs; ++j) {
            for (uint256 w = 0; w < 6; ++w) pair[w] = leafPreimage[4 + 6 * j + w];
            pairHashes[j] = _hash(pair);
        }
        return pairs == 1 ? pairHashes[0] : _hash(pairHashes);
    }

    /// @dev circomlib Poseidon of `inputs` through the deployed hasher of that arity.
    function _hash(uint256[] memory inputs) internal view returns (uint256) {
        uint256 n = inputs.length;
        for (uint256 i = 0; i < n; ++i) {
            if (inputs[i] >= FIELD_MODULUS) revert ITesseraRollup.NotAFieldElement(inputs[i]);
        }
        bytes4 selector = bytes4(POSEIDON_SELECTORS << (32 * (n - 1)));
        (bool ok, bytes memory ret) = _poseidon[n - 1].staticcall(abi.encodePacked(selector, inputs));
        if (!ok || ret.length != 32) revert ITesseraRollup.HasherFailed(n);
        return abi.decode(ret, (uint256));
    }
}
