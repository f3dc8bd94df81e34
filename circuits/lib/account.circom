pragma circom 2.1.6;

// Account leaf hash (docs/protocol.md §4).

include "circomlib/circuits/poseidon.circom";
include "select.circom";

// positionsHash = H(inst0, size0, cost0, inst1, size1, cost1)            when P = 2
//               = H(pairHash[0..P/2))  with pairHash[j] = H(slot 2j, slot 2j+1)  when P > 2
// P even, 2 <= P <= 16.  inst: 82 bits; size: signed 48; cost: signed 96 (field encoding).
// Also outputs the pair hashes, which AccountLeafAfter reuses.
template PositionsHash(P) {
    assert(P % 2 == 0 && P >= 2 && P <= 16);
    signal input inst[P];
    signal input size[P];
    signal input cost[P];
    signal output out;
    signal output pair[P \ 2];
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
    signal output pair[P \ 2];
    component positions = PositionsHash(P);
    positions.inst <== inst;
    positions.size <== size;
    positions.cost <== cost;
    pair <== positions.pair;
    out <== Poseidon(5)([pkHash, owner, collateral, orderRoot, positions.out]);
}

// The leaf after an update that changed only the slot `sel` selects (issue 17 item 3: unchanged
// hashes reused): the pair holding that slot is hashed again and every other pair hash is the
// one the leaf before gave (`pairBefore`, AccountLeaf's `pair`), so the result is exactly
// AccountLeaf of the updated slots for one Poseidon(6) instead of P/2 (P = 2: its one pair).
// Caller obligations: sel is one-hot (OneHot); pairBefore are AccountLeaf's pair hashes of the
// slots before; every slot but the selected one is unchanged (PositionUpdate).  Ranges as AccountLeaf.
template AccountLeafAfter(P) {
    assert(P % 2 == 0 && P >= 2 && P <= 16);
    var H = P \ 2;
    signal input pkHash;
    signal input owner;
    signal input collateral;
    signal input orderRoot;
    signal input sel[P];
    signal input pairBefore[H];
    signal input inst[P];
    signal input size[P];
    signal input cost[P];
    signal output out;
    signal positionsHash;
    if (P == 2) {
        component whole = PositionsHash(2);
        whole.inst <== inst;
        whole.size <== size;
        whole.cost <== cost;
        positionsHash <== whole.out;
    } else {
        // The changed pair: one-hot over pairs, its six words, its new hash.
        signal pairSel[H];
        signal words[6][H];
        for (var j = 0; j < H; j++) {
            pairSel[j] <== sel[2 * j] + sel[2 * j + 1];
            words[0][j] <== inst[2 * j];
            words[1][j] <== size[2 * j];
            words[2][j] <== cost[2 * j];
            words[3][j] <== inst[2 * j + 1];
            words[4][j] <== size[2 * j + 1];
            words[5][j] <== cost[2 * j + 1];
        }
        signal word[6];
        for (var m = 0; m < 6; m++) {
            word[m] <== Select(H)(pairSel, words[m]);
        }
        signal changed <== Poseidon(6)(word);
        signal pairAfter[H];
        for (var j = 0; j < H; j++) {
            pairAfter[j] <== pairBefore[j] + pairSel[j] * (changed - pairBefore[j]);
        }
        positionsHash <== Poseidon(H)(pairAfter);
    }
    out <== Poseidon(5)([pkHash, owner, collateral, orderRoot, positionsHash]);
}
