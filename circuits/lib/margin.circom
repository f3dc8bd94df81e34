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
// expired = the number of expired options it holds (0 when the account may be margined); and
// each slot's own terms (posValue[j], ...), which AccountRiskAfter reuses.
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
    signal output posValue[P];
    signal output posIm[P];
    signal output posMm[P];
    signal output posExpired[P];
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
        posValue[j] <== pos[j].value;
        posIm[j] <== pos[j].im;
        posMm[j] <== pos[j].mm;
        posExpired[j] <== pos[j].expired;
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

// AccountRisk's totals after one slot changed (issue 17 item 3: one risk evaluation shared):
// slot `sel` now holds (inst, size, cost) and every other slot is as `before` saw it. The
// totals are sums over slots, so after = before − the slot's old terms + PositionRisk of its
// new content: exactly AccountRisk of the updated slots, for one PositionRisk instead of P.
// Caller obligations: sel is one-hot (OneHot); before.* are AccountRisk's outputs for the
// slots before, at the same prices, funding and t; the other slots are unchanged
// (PositionUpdate changes only the selected one).  Ranges as AccountRisk.
template AccountRiskAfter(P, U) {
    signal input sel[P];
    signal input beforeValueSum;
    signal input beforeIm;
    signal input beforeMm;
    signal input beforeExpired;
    signal input posValue[P];
    signal input posIm[P];
    signal input posMm[P];
    signal input posExpired[P];
    signal input inst;
    signal input size;
    signal input cost;
    signal input prices[U];
    signal input funding[U];
    signal input t;
    signal output valueSum;
    signal output im;
    signal output mm;
    signal output expired;
    component pos = PositionRisk(U);
    pos.inst <== inst;
    pos.size <== size;
    pos.cost <== cost;
    pos.prices <== prices;
    pos.funding <== funding;
    pos.t <== t;
    signal oldValue <== Select(P)(sel, posValue);
    signal oldIm <== Select(P)(sel, posIm);
    signal oldMm <== Select(P)(sel, posMm);
    signal oldExpired <== Select(P)(sel, posExpired);
    valueSum <== beforeValueSum - oldValue + pos.value;
    im <== beforeIm - oldIm + pos.im;
    mm <== beforeMm - oldMm + pos.mm;
    expired <== beforeExpired - oldExpired + pos.expired;
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
