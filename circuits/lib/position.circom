pragma circom 2.1.6;

// Position-slot update for one account (docs/protocol.md §4, §6.1, §6.3.6–7).

include "circomlib/circuits/comparators.circom";
include "range.circom";
include "select.circom";

// Applies a fill of signed size dq at cost price costPrice to the slot selected by sel:
//   size += dq;  cost += dq × costPrice;  if size reaches 0 the slot is realised:
//   realised = cost (the caller subtracts it from collateral) and the slot becomes (0, 0, 0).
// When enabled it also proves (§6.3.6) that the selected slot holds `instrument`, or is the
// first empty slot, and that no other slot holds `instrument`; disabled, the slots come out
// unchanged.
// reduced = 1 iff |size after| < |size before| without a flip (§6.3.9); caller obligation:
// dq != 0 whenever `reduced` is used.
// Caller obligations: enabled is a bit; sel is one-hot (OneHot); instrument != 0 when enabled;
// slots are canonical (size 0 ⇒ inst = cost = 0).
// inst: 82 bits; size: signed 48 (new size checked); cost: signed 96 (new cost checked);
// dq: signed 48 (checked); costPrice: signed 57 (|price − F| < 2^57).
template PositionUpdate(P) {
    signal input enabled;
    signal input sel[P];
    signal input inst[P];
    signal input size[P];
    signal input cost[P];
    signal input instrument;
    signal input dq;
    signal input costPrice;
    signal output newInst[P];
    signal output newSize[P];
    signal output newCost[P];
    // The selected slot after the update (its newInst, newSize, newCost), for AccountRiskAfter.
    signal output selInst;
    signal output selSize;
    signal output selCost;
    signal output realised;
    signal output reduced;

    signal instS <== Select(P)(sel, inst);
    signal sizeS <== Select(P)(sel, size);
    signal costS <== Select(P)(sel, cost);

    // The selected slot holds the instrument or is empty.
    signal mismatch <== instS * (instS - instrument);
    enabled * mismatch === 0;
    // No other slot holds the instrument.
    signal holds[P];
    signal holdsElsewhere[P];
    var elsewhere = 0;
    for (var j = 0; j < P; j++) {
        holds[j] <== IsEqual()([inst[j], instrument]);
        holdsElsewhere[j] <== holds[j] * (1 - sel[j]);
        elsewhere += holdsElsewhere[j];
    }
    enabled * elsewhere === 0;
    // An empty selected slot is the first empty slot (finding F1): the slot is then fixed by
    // the posted data (protocol/'s slotFor), so the same calldata cannot give two roots.
    signal empty[P];
    signal emptyBefore[P];
    signal emptySel[P];
    var earlierEmpty = 0;
    var selEmpty = 0;
    var reached = 0;
    for (var j = 0; j < P; j++) {
        empty[j] <== IsZero()(size[j]);
        reached += sel[j];
        // 1 - reached is 1 exactly for the slots before the selected one.
        emptyBefore[j] <== empty[j] * (1 - reached);
        earlierEmpty += emptyBefore[j];
        emptySel[j] <== sel[j] * empty[j];
        selEmpty += emptySel[j];
    }
    signal firstRule <== enabled * selEmpty;
    firstRule * earlierEmpty === 0;

    signal dqOn <== enabled * dq;
    signal dqNeg <== SignedRange(48)(dqOn);
    signal sizeAfter <== sizeS + dqOn;
    signal costAfter <== costS + dqOn * costPrice;
    signal oldNeg <== SignedRange(48)(sizeS);
    signal newNeg <== SignedRange(48)(sizeAfter);
    _ <== SignedRange(96)(costAfter);

    signal closed <== IsZero()(sizeAfter);
    signal realise <== enabled * closed;
    realised <== realise * costAfter;
    signal keepInst <== (1 - closed) * instrument;
    signal instAfter <== instS + enabled * (keepInst - instS);
    signal costKept <== costAfter - realised;
    selInst <== instAfter;
    selSize <== sizeAfter;
    selCost <== costKept;
    for (var j = 0; j < P; j++) {
        newInst[j] <== inst[j] + sel[j] * (instAfter - instS);
        newSize[j] <== size[j] + sel[j] * (sizeAfter - sizeS);
        newCost[j] <== cost[j] + sel[j] * (costKept - costS);
    }

    // reduced: long and selling without going short, or short and buying without going long.
    signal oldZero <== IsZero()(sizeS);
    signal oldPos <== (1 - oldNeg) * (1 - oldZero);
    signal newPos <== (1 - newNeg) * (1 - closed);
    signal longCut <== oldPos * dqNeg;
    signal shortCut <== oldNeg * (1 - dqNeg);
    signal longReduced <== longCut * (1 - newNeg);
    signal shortReduced <== shortCut * (1 - newPos);
    reduced <== longReduced + shortReduced;
}
