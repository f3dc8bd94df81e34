pragma circom 2.1.6;

// Orders: hash, signature, order-tree rule (docs/protocol.md §5).

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/eddsaposeidon.circom";
include "circomlib/circuits/comparators.circom";
include "range.circom";
include "merkle.circom";

// orderHash = H(domain, accountId, instrument, side, size, price, orderId, expiry, flags).
// Widths are checked by the rule templates that use each field, not here.
template OrderHash() {
    signal input domain;
    signal input accountId;
    signal input instrument;
    signal input side;
    signal input size;
    signal input price;
    signal input orderId;
    signal input expiry;
    signal input flags;
    signal output out <== Poseidon(9)([domain, accountId, instrument, side, size, price, orderId, expiry, flags]);
}

// When enabled, (x, y) is a point of Baby Jubjub: a·x² + y² == 1 + d·x²·y² (circomlib's
// BabyCheck, gated by `enabled`). 4 constraints.
template OnCurveIf() {
    signal input enabled;
    signal input x;
    signal input y;
    var a = 168700;
    var d = 168696;
    signal x2 <== x * x;
    signal y2 <== y * y;
    signal x2y2 <== x2 * y2;
    enabled * (a * x2 + y2 - 1 - d * x2y2) === 0;
}

// When enabled: A and R8 are points of Baby Jubjub (OnCurveIf: circomlib's verifier checks
// neither, and its addition formulas are only a group law on the curve), H(Ax, Ay) == pkHash and
// (R8, S) is a valid EdDSA-Poseidon signature of msg by A (circomlib EdDSAPoseidonVerifier:
// S < subgroup order, 8·A != 0, S·B8 == R8 + 8·h·A). The same checks as protocol/signing.ts.
// When disabled the key is replaced by the base point so the verifier's witness always exists.
// enabled: bit (caller obligation);  S: 253 bits (checked by the verifier even when disabled:
// pass 0 for an unused signature).
template OrderSignature() {
    signal input enabled;
    signal input pkHash;
    signal input Ax;
    signal input Ay;
    signal input R8x;
    signal input R8y;
    signal input S;
    signal input msg;
    var BASE8[2] = [
        5299619240641551281634865583518297030282874472190772894086521144482721001553,
        16950150798460657717958625567821834550301663161624707787222815936182638968203
    ];
    component keyOnCurve = OnCurveIf();
    keyOnCurve.enabled <== enabled;
    keyOnCurve.x <== Ax;
    keyOnCurve.y <== Ay;
    component r8OnCurve = OnCurveIf();
    r8OnCurve.enabled <== enabled;
    r8OnCurve.x <== R8x;
    r8OnCurve.y <== R8y;
    signal keyHash <== Poseidon(2)([Ax, Ay]);
    enabled * (keyHash - pkHash) === 0;
    signal ax <== BASE8[0] + enabled * (Ax - BASE8[0]);
    signal ay <== BASE8[1] + enabled * (Ay - BASE8[1]);
    EdDSAPoseidonVerifier()(enabled, ax, ay, S, R8x, R8y, msg);
}

// When enabled: 0 <= orderId - storedId < 2^32, the order is not one a newer id evicted
// (ORDER_SLOT_REUSED) and is within the window its 32 posted bits name (ORDER_ID_WINDOW).
// Num2Bits(32) written out, so a refusal names this template. 33 constraints.
template OrderIdWindow() {
    signal input enabled;
    signal input orderId;
    signal input storedId;
    signal ahead <== enabled * (orderId - storedId);
    signal bits[32];
    var sum = 0;
    for (var i = 0; i < 32; i++) {
        bits[i] <-- (ahead >> i) & 1;
        bits[i] * (bits[i] - 1) === 0;
        sum += bits[i] * (1 << i);
    }
    sum === ahead;
}

// The order-tree rule (§5.3) for a fill of `fill` on an order of `size`.
// Slot orderId mod 2^orderDepth holds leaf H(storedId, storedFilled) under oldRoot.
//   storedId <= orderId < storedId + 2^32 (ORDER_SLOT_REUSED below, ORDER_ID_WINDOW above: one
//   range check); filledBefore = storedFilled if equal, else 0; filledBefore + fill <= size (else
//   OVERFILL); new leaf H(orderId, filledBefore + fill).
// posted = orderId mod 2^32, what the slot publishes (§7). The window makes it determine orderId:
// the one id in [storedId, storedId + 2^32) with those low bits.
// When disabled nothing is checked and newRoot == oldRoot.
// enabled: bit (caller obligation); orderId, size, fill, storedFilled: 48 bits (checked, also
// when disabled: pass zeros); storedId: the preimage of a leaf of the committed order tree, which
// only this template writes, with a 48-bit id (not checked again); fill >= 1 and size >= 1 are
// the caller's rules; orderDepth <= 32, so posted names the slot.
template OrderTreeUpdate(orderDepth) {
    assert(orderDepth <= 32);
    signal input enabled;
    signal input oldRoot;
    signal input orderId;
    signal input storedId;
    signal input storedFilled;
    signal input size;
    signal input fill;
    signal input siblings[3 * orderDepth \ 2];
    signal output newRoot;
    signal output posted;

    signal idBits[48] <== Num2Bits(48)(orderId);
    signal pathBits[orderDepth];
    for (var i = 0; i < orderDepth; i++) {
        pathBits[i] <== idBits[i];
    }
    var low = 0;
    for (var i = 0; i < 32; i++) {
        low += idBits[i] * (1 << i);
    }
    posted <== low;
    OrderIdWindow()(enabled, orderId, storedId);
    signal same <== IsEqual()([orderId, storedId]);
    RangeCheck(48)(storedFilled);
    RangeCheck(48)(fill);
    signal filledBefore <== same * storedFilled;
    signal filledAfter <== filledBefore + fill;
    AssertLessEqIfEnabled(49)(enabled, filledAfter, size);
    RangeCheck(48)(size);

    signal oldLeaf <== Poseidon(2)([storedId, storedFilled]);
    signal newLeaf <== Poseidon(2)([orderId, filledAfter]);
    newRoot <== MerkleUpdate(orderDepth)(enabled, oldRoot, oldLeaf, newLeaf, pathBits, siblings);
}
