pragma circom 2.1.6;

// The batch's one public input (docs/protocol.md §8): a SHA-256 commitment to everything the
// proof depends on, `sha256(bytes) mod 2^253`, where `bytes` is the fixed serialization below.
// protocol/commitment.ts (`batchCommitment`) and TesseraRollup.sol (`commitment`) compute the
// same bytes; test/circuits/commitment.test.ts and test/contracts/commitment.test.ts check that
// the three agree at the edges of every field.

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/sha256/sha256.circom";

// Byte width of word i of the public data `[oldStateRoot, newStateRoot, t, domain, prices[U],
// settlement records[K], instrument table[I], deposit records[D] (owner, pkHash), f0/f1 of every
// slot]`. narrow = 1 (the layout in use): roots, domain and a record's pkHash take 32 bytes, t 4,
// a price 5, a settlement record 10, an instrument-table entry 11, a record's owner 20, a slot's
// f0 16 and f1 8 (their bit widths 32, 40, 80, 82, 160, 128, 64 rounded up to bytes).
// narrow = 0: every word 32 bytes
// (abi.encodePacked of uint256s); kept only to measure the difference (docs/circuits.md
// "Commitment").
function commitmentWidth(i, U, K, I, D, narrow) {
    if (narrow == 0) return 32;
    if (i == 2) return 4;
    if (i >= 4 && i < 4 + U) return 5;
    if (i >= 4 + U && i < 4 + U + K) return 10;
    var table = 4 + U + K;
    var records = table + I;
    var slots = records + 2 * D;
    if (i >= table && i < records) return 11;
    if (i >= records && i < slots && (i - records) % 2 == 0) return 20;
    if (i >= slots && (i - slots) % 2 == 0) return 16;
    if (i >= slots) return 8;
    return 32;
}

function commitmentBytes(U, K, I, D, nTx, narrow) {
    var n = 0;
    for (var i = 0; i < 4 + U + K + I + 2 * D + 2 * nTx; i++) n += commitmentWidth(i, U, K, I, D, narrow);
    return n;
}

// out = sha256(w[0] ‖ w[1] ‖ ...) with the digest's top 3 bits cleared (so out < 2^253 < r), each
// word big-endian at commitmentWidth bytes.
// words: a word of width < 32 bytes is constrained to fit (this is the range check of t, the
//        prices, the settlement records, the instrument table, the deposit records' owners and
//        every f0 and f1); a 32-byte word is any field element, decomposed with Num2Bits(254),
//        which admits x + r as a second decomposition when x + r < 2^254. That is sound only with
//        the caller's obligation, met by TesseraRollup: every word of the hashed calldata is < r,
//        so the bytes of x + r are never what L1 hashed.
// out:   253 bits.
template PublicCommitment(U, K, I, D, nTx, narrow) {
    var nWords = 4 + U + K + I + 2 * D + 2 * nTx;
    var nBytes = commitmentBytes(U, K, I, D, nTx, narrow);
    signal input words[nWords];
    signal output out;

    component sha = Sha256(8 * nBytes);
    component bits[nWords];
    var off = 0;
    for (var i = 0; i < nWords; i++) {
        var w = commitmentWidth(i, U, K, I, D, narrow);
        var nb = w == 32 ? 254 : 8 * w;
        bits[i] = Num2Bits(nb);
        bits[i].in <== words[i];
        // Big-endian: the message's bit off + j is bit 8w − 1 − j of the word.
        for (var j = 0; j < 8 * w; j++) {
            var b = 8 * w - 1 - j;
            if (b >= nb) {
                sha.in[off + j] <== 0;
            } else {
                sha.in[off + j] <== bits[i].out[b];
            }
        }
        off += 8 * w;
    }
    // sha.out[0] is the digest's most significant bit; drop out[0..3).
    var acc = 0;
    for (var k = 3; k < 256; k++) acc += sha.out[k] * (1 << (255 - k));
    out <== acc;
}
