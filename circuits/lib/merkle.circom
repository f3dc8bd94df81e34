pragma circom 2.1.6;

// Quaternary Poseidon Merkle trees (docs/protocol.md §4). A tree of depth d (index bits, d even)
// has d/2 levels; node = H(c0, c1, c2, c3), and at level l the path node is child
// `(index >> 2l) & 3` of its parent. A path lists three siblings per level, bottom-up: the
// parent's other children in child order. One level costs a 4-input Poseidon (297 constraints)
// and 4 placement constraints, against 2 × 241 for the two binary levels it replaces.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";

// What a path's placement needs that does not depend on the node: the one-hot position
// e[l][0..3] of the path node at each level, and the two children that are siblings whatever
// the node is, given the position: mid1 = c1 when the node is not child 1 (s0 at position 0,
// else s1), mid2 = c2 when the node is not child 2 (s1 at positions 0..1, s2 at 3).  Shared by
// the two roots of an update.  Caller obligation: pathBits are bits (IndexBits provides them).
template QuadPath(depth) {
    assert(depth % 2 == 0);
    var L = depth \ 2;
    signal input pathBits[depth];
    signal input siblings[3 * L];
    signal output e[L][4];
    signal output mid1[L];
    signal output mid2[L];
    for (var l = 0; l < L; l++) {
        var b0 = pathBits[2 * l];
        var b1 = pathBits[2 * l + 1];
        e[l][3] <== b0 * b1;
        e[l][2] <== b1 - e[l][3];
        e[l][1] <== b0 - e[l][3];
        e[l][0] <== 1 - b0 - b1 + e[l][3];
        mid1[l] <== siblings[3 * l + 1] + e[l][0] * (siblings[3 * l] - siblings[3 * l + 1]);
        mid2[l] <== siblings[3 * l + 1] + e[l][3] * (siblings[3 * l + 2] - siblings[3 * l + 1]);
    }
}

// Root of the tree holding `leaf` on the path that QuadPath describes.
template QuadRoot(L) {
    signal input leaf;
    signal input e[L][4];
    signal input mid1[L];
    signal input mid2[L];
    signal input siblings[3 * L];
    signal output root;
    signal node[L + 1];
    signal c[L][4];
    node[0] <== leaf;
    for (var l = 0; l < L; l++) {
        c[l][0] <== siblings[3 * l] + e[l][0] * (node[l] - siblings[3 * l]);
        c[l][1] <== mid1[l] + e[l][1] * (node[l] - siblings[3 * l + 1]);
        c[l][2] <== mid2[l] + e[l][2] * (node[l] - siblings[3 * l + 1]);
        c[l][3] <== siblings[3 * l + 2] + e[l][3] * (node[l] - siblings[3 * l + 2]);
        node[l + 1] <== Poseidon(4)(c[l]);
    }
    root <== node[L];
}

// Root of the tree that holds `leaf` at the index whose bits are `pathBits`, given the
// siblings bottom-up (3 per level).  Caller obligation: pathBits are bits (IndexBits provides them).
// leaf, siblings: field elements;  pathBits[depth]: bits;  root: field element.
template MerkleRoot(depth) {
    var L = depth \ 2;
    signal input leaf;
    signal input pathBits[depth];
    signal input siblings[3 * L];
    signal output root;
    component path = QuadPath(depth);
    path.pathBits <== pathBits;
    path.siblings <== siblings;
    root <== QuadRoot(L)(leaf, path.e, path.mid1, path.mid2, siblings);
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
    var L = depth \ 2;
    signal input enabled;
    signal input oldRoot;
    signal input oldLeaf;
    signal input newLeaf;
    signal input pathBits[depth];
    signal input siblings[3 * L];
    signal output newRoot;
    component path = QuadPath(depth);
    path.pathBits <== pathBits;
    path.siblings <== siblings;
    signal computedOld <== QuadRoot(L)(oldLeaf, path.e, path.mid1, path.mid2, siblings);
    enabled * (computedOld - oldRoot) === 0;
    signal computedNew <== QuadRoot(L)(newLeaf, path.e, path.mid1, path.mid2, siblings);
    newRoot <== oldRoot + enabled * (computedNew - oldRoot);
}
