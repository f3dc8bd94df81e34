pragma circom 2.1.6;

// Instrument ids (docs/protocol.md §3):
//   id = underlying + kind·2^8 + strike·2^10 + expiry·2^50   (82 bits)

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "range.circom";
include "select.circom";

// Decodes an instrument id; proves id < 2^82 so the decoding is unique.
// underlying: 8 bits; strike: 40 bits; expiry: 32 bits;
// isPerp, isCall, isPut: bits, at most one set (none for kind 3).
template InstrumentDecode() {
    signal input id;
    signal output underlying;
    signal output strike;
    signal output expiry;
    signal output isPerp;
    signal output isCall;
    signal output isPut;
    signal bits[82] <== Num2Bits(82)(id);
    var u = 0;
    for (var i = 0; i < 8; i++) { u += bits[i] * (1 << i); }
    var k = 0;
    for (var i = 0; i < 40; i++) { k += bits[10 + i] * (1 << i); }
    var e = 0;
    for (var i = 0; i < 32; i++) { e += bits[50 + i] * (1 << i); }
    underlying <== u;
    strike <== k;
    expiry <== e;
    isCall <== bits[8] * (1 - bits[9]);
    isPut <== bits[9] * (1 - bits[8]);
    isPerp <== 1 - bits[8] - bits[9] + bits[8] * bits[9];
}

// Decoded instrument plus the batch price and funding index of its underlying.
// prices[U]: 40 bits (checked once per batch); funding[U]: signed 56.
// uSel[U]: bits, uSel[u-1] = 1 iff underlying == u; valid = 1 iff 1 <= underlying <= U.
template InstrumentMarket(U) {
    signal input id;
    signal input prices[U];
    signal input funding[U];
    signal output underlying;
    signal output strike;
    signal output expiry;
    signal output isPerp;
    signal output isCall;
    signal output isPut;
    signal output uSel[U];
    signal output validUnderlying;
    signal output price;
    signal output fundingIndex;
    (underlying, strike, expiry, isPerp, isCall, isPut) <== InstrumentDecode()(id);
    uSel <== Indicator(U, 1)(underlying);
    var s = 0;
    for (var u = 0; u < U; u++) { s += uSel[u]; }
    validUnderlying <== s;
    price <== Select(U)(uSel, prices);
    fundingIndex <== Select(U)(uSel, funding);
}

// When enabled, proves the instrument may be traded at time t (§6.3.2):
// 1 <= underlying <= U, kind <= 2, perps have strike = expiry = 0, options have strike > 0
// and expiry > t.  t: 32 bits (checked once per batch); expiry: 32 bits (from the decoding).
template AssertTradable() {
    signal input enabled;
    signal input validUnderlying;
    signal input strike;
    signal input expiry;
    signal input isPerp;
    signal input isCall;
    signal input isPut;
    signal input t;
    enabled * (1 - validUnderlying) === 0;
    signal isOption <== isCall + isPut;
    enabled * (1 - isPerp - isOption) === 0;
    signal perpOn <== enabled * isPerp;
    perpOn * strike === 0;
    perpOn * expiry === 0;
    signal optionOn <== enabled * isOption;
    signal strikeZero <== IsZero()(strike);
    optionOn * strikeZero === 0;
    signal live <== SafeLessThan(32)(t, expiry);
    optionOn * (1 - live) === 0;
}
