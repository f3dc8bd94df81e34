pragma circom 2.1.6;

// Account leaf hash (docs/protocol.md §4).

include "circomlib/circuits/poseidon.circom";

// positionsHash = H(inst0, size0, cost0, inst1, size1, cost1)            when P = 2
//               = H(pairHash[0..P/2))  with pairHash[j] = H(slot 2j, slot 2j+1)  when P > 2
// P even, 2 <= P <= 16.  inst: 82 bits; size: signed 48; cost: signed 96 (field encoding).
template PositionsHash(P) {
    assert(P % 2 == 0 && P >= 2 && P <= 16);
    signal input inst[P];
    signal input size[P];
    signal input cost[P];
    signal output out;
    signal pair[P \ 2];
    for (var j = 0; j < P \ 2; j++) {
        pair[j] <== Poseidon(6)([inst[2 * j], size[2 * j], cost[2 * j], inst[2 * j + 1], size[2 * j + 1], cost[2 * j + 1]]);
    }
    if (P == 2) {
        out <== pair[0];
    } else {
        out <== Poseidon(P \ 2)(pair);
    }
}

// leaf = H(pkHash, owner, collateral, orderRoot, positionsHash).
// owner: 160 bits; collateral: signed 64; pkHash, orderRoot: field elements.
// No range checks here: a leaf's fields are range-checked where they change (TxSlot).
template AccountLeaf(P) {
    signal input pkHash;
    signal input owner;
    signal input collateral;
    signal input orderRoot;
    signal input inst[P];
    signal input size[P];
    signal input cost[P];
    signal output out;
    signal positionsHash <== PositionsHash(P)(inst, size, cost);
    out <== Poseidon(5)([pkHash, owner, collateral, orderRoot, positionsHash]);
}
