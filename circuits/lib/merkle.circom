pragma circom 2.1.6;

// Binary Poseidon Merkle trees (docs/protocol.md §4): node = H(left, right), bit i of the leaf
// index (least significant first) is 1 when the path node at level i is a right child.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";

// Root of the tree that holds `leaf` at the index whose bits are `pathBits`, given the
// siblings bottom-up.  Caller obligation: pathBits are bits (IndexBits provides them).
// leaf, siblings[depth]: field elements;  pathBits[depth]: bits;  root: field element.
template MerkleRoot(depth) {
    signal input leaf;
    signal input pathBits[depth];
    signal input siblings[depth];
    signal output root;
    signal node[depth + 1];
    signal left[depth];
    node[0] <== leaf;
    for (var i = 0; i < depth; i++) {
        left[i] <== node[i] + pathBits[i] * (siblings[i] - node[i]);
        node[i + 1] <== Poseidon(2)([left[i], siblings[i] + node[i] - left[i]]);
    }
    root <== node[depth];
}

// Bits of a leaf index; proves 0 <= index < 2^depth.
template IndexBits(depth) {
    signal input index;
    signal output bits[depth] <== Num2Bits(depth)(index);
}

// Replaces one leaf: proves oldLeaf sits at `pathBits` under oldRoot when enabled and outputs
// the root with newLeaf there (oldRoot itself when disabled, so a disabled update changes
// nothing whatever the other inputs are).
// enabled, pathBits: bits (caller obligation).
template MerkleUpdate(depth) {
    signal input enabled;
    signal input oldRoot;
    signal input oldLeaf;
    signal input newLeaf;
    signal input pathBits[depth];
    signal input siblings[depth];
    signal output newRoot;
    signal computedOld <== MerkleRoot(depth)(oldLeaf, pathBits, siblings);
    enabled * (computedOld - oldRoot) === 0;
    signal computedNew <== MerkleRoot(depth)(newLeaf, pathBits, siblings);
    newRoot <== oldRoot + enabled * (computedNew - oldRoot);
}
