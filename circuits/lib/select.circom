pragma circom 2.1.6;

// One-hot selectors and muxes (position slots, underlyings, settlement records).

include "circomlib/circuits/comparators.circom";

// sel[i] = 1 iff index == i; proves 0 <= index < n (no separate range check needed:
// the one-hot vector sums to 1 and its weighted sum equals index).
// index: [0, n);  sel[n]: bits, exactly one set.
template OneHot(n) {
    signal input index;
    signal output sel[n];
    var sum = 0;
    var weighted = 0;
    for (var i = 0; i < n; i++) {
        sel[i] <-- index == i ? 1 : 0;
        sel[i] * (sel[i] - 1) === 0;
        sum += sel[i];
        weighted += i * sel[i];
    }
    // Made true for the `<--` above by: bits, exactly one set, and its position is index.
    sum === 1;
    weighted === index;
}

// eq[i] = 1 iff value == first + i, for i in [0, n); any > value gives all zeros.
// value: any field element.  eq[n]: bits, at most one set.
template Indicator(n, first) {
    signal input value;
    signal output eq[n];
    for (var i = 0; i < n; i++) {
        eq[i] <== IsEqual()([value, first + i]);
    }
}

// out = sum_i sel[i] * in[i].  Caller obligation: sel has at most one bit set (OneHot or
// Indicator output); then out is the selected element, or 0 when none is selected.
template Select(n) {
    signal input sel[n];
    signal input in[n];
    signal output out;
    signal acc[n + 1];
    acc[0] <== 0;
    for (var i = 0; i < n; i++) {
        acc[i + 1] <== acc[i] + sel[i] * in[i];
    }
    out <== acc[n];
}
