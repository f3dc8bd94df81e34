pragma circom 2.1.6;

// Valuation and margin (docs/protocol.md §6.1–6.2).  All requirements are scaled by 10^4
// (basis points), so no division happens.

include "range.circom";
include "instrument.circom";

// Intrinsic value and out-of-the-money amount of an option at price `price`:
//   d = price - strike;  call: intrinsic = max(d, 0), otm = max(-d, 0);  put: the reverse.
// price, strike: 40 bits (caller obligation);  isCall, isPut: bits, not both.
// intrinsic, otm: 40 bits (0 for a perp).
template OptionMoneyness() {
    signal input price;
    signal input strike;
    signal input isCall;
    signal input isPut;
    signal output intrinsic;
    signal output otm;
    signal d <== price - strike;
    signal dNeg <== SignedRange(40)(d);
    signal up <== (1 - dNeg) * d;     // max(d, 0)
    signal down <== up - d;           // max(-d, 0)
    signal callUp <== isCall * up;
    signal callDown <== isCall * down;
    signal putUp <== isPut * up;
    signal putDown <== isPut * down;
    intrinsic <== callUp + putDown;
    otm <== callDown + putUp;
}

// One position's value and margin terms.
//   value = size × mark − cost,  mark = price − F (perp) | intrinsic (option)
//   im    = |size| × price × IM_BPS                                   (perp)
//         = |size| × max(OPT_A_IM × price − 10^4 × otm, OPT_B_IM × price) (short option)
//         = 0                                                        (long option, empty)
//   mm    = the same with MM_BPS, OPT_A_MM, OPT_B_MM.
// Caller obligations: the slot is canonical (size 0 ⇒ inst = cost = 0) and a non-empty slot
// holds a tradable instrument (both maintained by PositionUpdate).
//   expired = 1 iff the slot holds an option whose expiry is at or before t (§6.2.1): its value
//             is the settlement value, which only a settlement record gives, so callers refuse
//             every margin check of an account holding one (finding F4).
// size: signed 48 (checked); cost: signed 96; price: 40 bits; F: signed 56; t: 32 bits.
// value: signed < 2^106; im, mm: < 2^103; expired: bit.
template PositionRisk(U) {
    signal input inst;
    signal input size;
    signal input cost;
    signal input prices[U];
    signal input funding[U];
    signal input t;
    signal output value;
    signal output im;
    signal output mm;
    signal output expired;

    component m = InstrumentMarket(U);
    m.id <== inst;
    m.prices <== prices;
    m.funding <== funding;
    signal intrinsic;
    signal otm;
    (intrinsic, otm) <== OptionMoneyness()(m.price, m.strike, m.isCall, m.isPut);
    signal perpMark <== m.isPerp * (m.price - m.fundingIndex);
    value <== size * (perpMark + intrinsic) - cost;

    signal sizeNeg <== SignedRange(48)(size);
    signal absSize <== size - 2 * sizeNeg * size;
    signal notional <== absSize * m.price;
    signal perpIm <== m.isPerp * notional;
    signal shortOption <== (1 - m.isPerp) * sizeNeg;

    // max(a, b) = b + max(a - b, 0) with a - b signed, |a - b| < 2^54.
    signal diffIm <== 500 * m.price - 10000 * otm;
    signal diffImNeg <== SignedRange(55)(diffIm);
    signal optIm <== 1000 * m.price + (1 - diffImNeg) * diffIm;
    signal diffMm <== 250 * m.price - 10000 * otm;
    signal diffMmNeg <== SignedRange(55)(diffMm);
    signal optMm <== 500 * m.price + (1 - diffMmNeg) * diffMm;
    signal shortAbs <== shortOption * absSize;
    im <== 1000 * perpIm + shortAbs * optIm;
    mm <== 500 * perpIm + shortAbs * optMm;

    // expiry and t are 32-bit (decoding, batch check), as LessThan(32) requires.
    signal live <== LessThan(32)([t, m.expiry]);
    expired <== (1 - m.isPerp) * (1 - live);
}

// Cross-margin totals of one account (§6.2): valueSum = Σ value(pos), im and mm ×10^4, and
// expired = the number of expired options it holds (0 when the account may be margined).
// valueSum: signed < 2^110 (P ≤ 16); im, mm: < 2^107; expired: [0, P].
template AccountRisk(P, U) {
    signal input inst[P];
    signal input size[P];
    signal input cost[P];
    signal input prices[U];
    signal input funding[U];
    signal input t;
    signal output valueSum;
    signal output im;
    signal output mm;
    signal output expired;
    var v = 0;
    var i = 0;
    var m = 0;
    var e = 0;
    component pos[P];
    for (var j = 0; j < P; j++) {
        pos[j] = PositionRisk(U);
        pos[j].inst <== inst[j];
        pos[j].size <== size[j];
        pos[j].cost <== cost[j];
        pos[j].prices <== prices;
        pos[j].funding <== funding;
        pos[j].t <== t;
        v += pos[j].value;
        i += pos[j].im;
        m += pos[j].mm;
        e += pos[j].expired;
    }
    valueSum <== v;
    im <== i;
    mm <== m;
    expired <== e;
}

// out = 1 iff 10^4 × (collateral + valueSum) ≥ requirement.
// collateral: signed 65; valueSum: signed < 2^110; requirement: < 2^107.  The difference is
// below 2^125 in absolute value, checked at 128 bits.
template MeetsRequirement() {
    signal input collateral;
    signal input valueSum;
    signal input requirement;
    signal output out;
    signal neg <== SignedRange(128)(10000 * (collateral + valueSum) - requirement);
    out <== 1 - neg;
}
