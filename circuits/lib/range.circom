pragma circom 2.1.6;

// Range checks and safe comparisons (docs/protocol.md §1, docs/circuits.md "Range").
// Every comparison in Tessera goes through these templates: circomlib's LessThan(n) is only
// sound when both inputs are already known to fit in n bits, so each template here range-checks
// its own inputs (or states the caller's obligation when it does not).

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";

// Proves 0 <= in < 2^n.  n <= 252.
// in: field element; constrained to n bits.
template RangeCheck(n) {
    assert(n <= 252);
    signal input in;
    signal bits[n] <== Num2Bits(n)(in);
}

// Proves -2^n < in < 2^n for the signed encoding `v mod r` and outputs the sign: the range of
// protocol/'s `fitsSigned` exactly (docs/protocol.md §1). `in + 2^n` fits in n + 1 bits and is
// not 0, so -2^n itself is refused as protocol/ refuses it (finding F8).  n <= 251.
// in:    signed, |in| < 2^n.
// isNeg: 1 bit, 1 iff in < 0.
template SignedRange(n) {
    assert(n <= 251);
    signal input in;
    signal output isNeg;
    signal shifted <== in + (1 << n);
    signal bits[n + 1] <== Num2Bits(n + 1)(shifted);
    // shifted != 0: it has an inverse.
    signal inv <-- shifted != 0 ? 1 / shifted : 0;
    shifted * inv === 1;
    // Bit n of in + 2^n is set exactly when in >= 0.
    isNeg <== 1 - bits[n];
}

// out = 1 iff a < b, for a, b proven in [0, 2^n).  n <= 251.
template SafeLessThan(n) {
    assert(n <= 251);
    signal input a;
    signal input b;
    signal output out;
    RangeCheck(n)(a);
    RangeCheck(n)(b);
    out <== LessThan(n)([a, b]);
}

// out = 1 iff a <= b, for a, b proven in [0, 2^n).  n <= 251.
// Computed as not (b < a): comparing a < b + 1 would need b + 1 < 2^n and so could never prove
// b = 2^n - 1, an order expiring at 2^32 - 1 or a buy limit of 2^40 - 1 (finding F3).
template SafeLessEqThan(n) {
    signal input a;
    signal input b;
    signal output out;
    signal gt <== SafeLessThan(n)(b, a);
    out <== 1 - gt;
}

// Proves a <= b when enabled (enabled must be a bit); a and b are range-checked to n bits
// always, so the caller must pass n-bit values even when disabled.
template AssertLessEqIfEnabled(n) {
    signal input enabled;
    signal input a;
    signal input b;
    signal le <== SafeLessEqThan(n)(a, b);
    enabled * (1 - le) === 0;
}

// Quotient and remainder of a non-negative numerator by a constant:
// num = q * d + rem, 0 <= rem < d, 0 <= q < 2^qBits.
// Caller obligation: num < 2^qBits * d (true for every use: documented at the call site), and
// qBits + bits(d) < 253 so the equation cannot wrap the field.
// num: [0, 2^qBits * d);  q: qBits bits;  rem: bits(d) bits.
template DivByConst(qBits, d) {
    assert(d > 0);
    signal input num;
    signal output q;
    signal output rem;
    var dBits = 1;
    while ((1 << dBits) < d) { dBits++; }
    assert(qBits + dBits < 253);
    q <-- num \ d;
    rem <-- num % d;
    // The two statements above are made true by the three constraints below.
    num === q * d + rem;
    RangeCheck(qBits)(q);
    signal remLtD <== SafeLessThan(dBits)(rem, d);
    remLtD === 1;
}

// Boolean constraint: in is 0 or 1.
template AssertBit() {
    signal input in;
    in * (in - 1) === 0;
}
