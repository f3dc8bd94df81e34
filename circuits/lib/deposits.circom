pragma circom 2.1.6;

// The batch's deposit records (docs/protocol.md §8). A deposit slot posts only its account and
// amount; the owner and key it writes into the account leaf are deposit record k of the public
// data for the k-th deposit slot of the batch, counted from 0 in slot order. L1 checks each record
// against its priority-queue entry; this template hands each slot its record.

include "circomlib/circuits/comparators.circom";
include "select.circom";

// isDeposit[i]: bit, slot i is a deposit (caller: from the slot's type). owner, pkHash: the D
// records from the public data (the commitment's widths range-check the owners).
// slotOwner[i], slotPkHash[i]: record k for the k-th deposit slot, 0 in every other slot, so no
// slot carries a value the public data does not fix.
// Rules: a deposit slot beyond the D-th has no record (refused), and a record no deposit uses
// is (0, 0), so the records are canonical.
template DepositRecords(nTx, D) {
    assert(D >= 1 && D < 65536 && nTx < 65536);
    signal input isDeposit[nTx];
    signal input owner[D];
    signal input pkHash[D];
    signal output slotOwner[nTx];
    signal output slotPkHash[nTx];

    // count[i]: deposit slots before slot i.
    signal count[nTx + 1];
    signal sel[nTx][D];
    signal hit[nTx];
    signal recOwner[nTx];
    signal recPkHash[nTx];
    count[0] <== 0;
    for (var i = 0; i < nTx; i++) {
        sel[i] <== Indicator(D, 0)(count[i]);
        var h = 0;
        for (var j = 0; j < D; j++) { h += sel[i][j]; }
        hit[i] <== h;
        isDeposit[i] * (1 - hit[i]) === 0;                                             // BATCH_FULL: more deposits than records
        recOwner[i] <== Select(D)(sel[i], owner);
        recPkHash[i] <== Select(D)(sel[i], pkHash);
        slotOwner[i] <== isDeposit[i] * recOwner[i];
        slotPkHash[i] <== isDeposit[i] * recPkHash[i];
        count[i + 1] <== count[i] + isDeposit[i];
    }
    // Record j is used iff j < count[nTx]; an unused one is zero.
    signal used[D];
    for (var j = 0; j < D; j++) {
        used[j] <== LessThan(16)([j, count[nTx]]);
        (1 - used[j]) * owner[j] === 0;                                                // BAD_CONTEXT: unused deposit record
        (1 - used[j]) * pkHash[j] === 0;
    }
}
