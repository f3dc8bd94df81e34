/**
 * Soundness: an adversarial prover starts from an honest batch, changes what it proves (inputs
 * it controls: transactions, orders it can sign, values it publishes) and computes the complete
 * witness with the generated wasm, failed asserts ignored, publishing the new state root and
 * public data its own transition yields. Each case checks that the R1CS rejects that witness,
 * i.e. that the constraints — not only the witness generator's asserts — enforce the rule.
 * Boundary cases check that the honest value one unit away is accepted by the same procedure.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BTC, DOMAIN, keyOf, order, sign } from "../protocol/fixtures.ts";
import {
  FIELD_MODULUS,
  freeCollateral,
  InstrumentKind,
  largestLiquidation,
  optionId,
  Side,
  signOrder,
  TxType,
  withdrawalOrder,
} from "../../protocol/index.ts";
import {
  assertAccepted,
  assertRejected,
  c,
  D,
  f0Index,
  input,
  publicValue,
  recordIndex,
  resigned,
  setOrder,
  setPublic,
  signedAt,
  tableIndex,
  U,
} from "./adversary.ts";
import {
  adversarialWitness,
  CRASH_PRICE,
  ETH,
  ETH_PRICE,
  scenario,
  setSlot,
  slotValue,
  T0,
  UNIT,
  USDC,
} from "./scenarios.ts";

const TRADE = "deposit and perp trade"; // slot 0 deposit into 2, slot 1: maker 2 buys from taker 3
const WITHDRAW = "withdraw and served forced withdrawal";
const SWEEP = "refused forced withdrawal and fee sweep";
const FUNDING = "funding and no-op";
const OPTION = "leveraged long and option trade"; // slot 1: maker 3 sells a call to taker 2
const LIQ = "liquidation";
const SETTLE = "option settlement";
const TWO_FILLS = "two fills in one order slot";
const BOUNDARY = "trade at exactly initial margin";

describe("soundness of the batch circuit (test profile)", () => {
  test("soundness: a forged signature (S + 1) is rejected", () => {
    const inp = input(TRADE);
    setSlot(inp, "oaS", 1, slotValue(inp, "oaS", 1) + 1n);
    assertRejected(inp, /ForceEqualIfEnabled/);
  });

  test("soundness: maker and taker signatures swapped are rejected", () => {
    const inp = input(TRADE);
    for (const f of ["R8x", "R8y", "S"]) {
      const a = slotValue(inp, `oa${f}`, 1);
      setSlot(inp, `oa${f}`, 1, slotValue(inp, `ob${f}`, 1));
      setSlot(inp, `ob${f}`, 1, a);
    }
    assertRejected(inp, /ForceEqualIfEnabled/);
  });

  test("soundness: a signature whose R8 is not a curve point is rejected by the on-curve check", () => {
    // circomlib's verifier alone takes any pair as R8; its addition formulas are a group law on
    // the curve only, so the circuit checks R8 (and A) on Baby Jubjub, as protocol/ does.
    const inp = input(TRADE);
    setSlot(inp, "oaR8y", 1, slotValue(inp, "oaR8y", 1) + 1n);
    assertRejected(inp, /OnCurveIf/);
  });

  test("soundness: a public key that is not a curve point is rejected by the on-curve check", () => {
    const inp = input(TRADE);
    setSlot(inp, "obAx", 1, slotValue(inp, "obAx", 1) + 1n);
    assertRejected(inp, /OnCurveIf/);
  });

  test("soundness: an order validly signed by another account's key is rejected", () => {
    const inp = input(TRADE);
    setOrder(inp, "oa", 1, signOrder(keyOf(3n), signedAt(TRADE, 1, "oa").order, DOMAIN));
    assertRejected(inp, /OrderSignature/);
  });

  test("soundness: a signature for another domain (deployment) is rejected", () => {
    const inp = input(TRADE);
    setOrder(inp, "oa", 1, sign(signedAt(TRADE, 1, "oa").order, DOMAIN + 1n));
    assertRejected(inp, /ForceEqualIfEnabled/);
  });

  test("soundness: a fill beyond the order's size is rejected", () => {
    const inp = input(TRADE);
    // Both orders have size UNIT; fill UNIT + 1 (margin is ample, only the size rule breaks).
    setSlot(inp, "fillSize", 1, UNIT + 1n);
    assertRejected(inp, /AssertLessEqIfEnabled/);
  });

  test("soundness: filling exactly the order's size is accepted", () => {
    const inp = input(TRADE);
    setSlot(inp, "fillSize", 1, UNIT);
    assertAccepted(inp);
  });

  test("soundness: a second fill of a filled order is rejected", () => {
    // Slot 0 fills maker order 9 completely; slot 1 fills order 13, which shares its
    // order-tree slot. The prover swaps order 9 back into slot 1 for one more unit.
    const inp = input(TWO_FILLS);
    setOrder(inp, "oa", 1, signedAt(TWO_FILLS, 0, "oa"));
    setSlot(inp, "fillSize", 1, 1n);
    assertRejected(inp, /AssertLessEqIfEnabled/);
  });

  test("soundness: an order evicted from its order-tree slot is rejected (ORDER_SLOT_REUSED)", () => {
    const inp = input(TWO_FILLS);
    // Slot 1's order-tree slot holds order 9; order 5 (same slot, older id) is validly signed.
    setOrder(inp, "oa", 1, resigned(TWO_FILLS, 1, "oa", { orderId: 5n }));
    assertRejected(inp, /OrderIdWindow/);
  });

  test("attack: an order id 2^32 above the id its slot holds, which posts the same low bits, is rejected (ORDER_ID_WINDOW)", () => {
    const inp = input(TWO_FILLS);
    const stored = signedAt(TWO_FILLS, 0, "oa").order.orderId;
    // The maker also signed an order with id 9 + 2^32: its slot would post 9, as order 9 did.
    setOrder(inp, "oa", 1, resigned(TWO_FILLS, 1, "oa", { orderId: stored + (1n << 32n) }));
    assertRejected(inp, /OrderIdWindow/);
    // One below the window's end, in the same slot, is accepted by the rule (the signature is valid).
    const edge = input(TWO_FILLS);
    setOrder(edge, "oa", 1, resigned(TWO_FILLS, 1, "oa", { orderId: stored + (1n << 32n) - 4n }));
    assertAccepted(edge);
  });

  test("soundness: a fill price beyond the buyer's limit is rejected", () => {
    const inp = input(TRADE);
    setSlot(inp, "fillPrice", 1, ETH_PRICE + 1n);
    assertRejected(inp, /AssertLessEqIfEnabled/);
  });

  test("soundness: a fill price below the seller's limit is rejected", () => {
    const inp = input(TRADE);
    setSlot(inp, "fillPrice", 1, ETH_PRICE - 1n);
    // Let the buyer accept anything: only the seller's limit (ETH_PRICE) is broken.
    setOrder(inp, "oa", 1, resigned(TRADE, 1, "oa", { price: ETH_PRICE * 2n }));
    assertRejected(inp, /AssertLessEqIfEnabled/);
  });

  test("soundness: an expired order is rejected", () => {
    const inp = input(TRADE);
    setOrder(inp, "oa", 1, resigned(TRADE, 1, "oa", { expiry: T0 - 1n }));
    assertRejected(inp, /AssertLessEqIfEnabled/);
  });

  test("soundness: an order expiring exactly at the batch time is accepted", () => {
    const inp = input(TRADE);
    setOrder(inp, "oa", 1, resigned(TRADE, 1, "oa", { expiry: T0 }));
    assertAccepted(inp);
  });

  test("soundness: margin one unit below the initial requirement is rejected", () => {
    // The honest batch deposits exactly IM + fee and trades; the prover deposits one unit less
    // (account 5's leaf before the trade follows from the deposit the circuit computes).
    const inp = input(BOUNDARY);
    setSlot(inp, "amount", 0, slotValue(inp, "amount", 0) - 1n);
    setSlot(inp, "bCollateral", 1, slotValue(inp, "bCollateral", 1) - 1n);
    assertRejected(inp, "MARGIN");
  });

  test("soundness: a reduce-only order that increases exposure is rejected", () => {
    const inp = input(TRADE);
    // The maker (account 2) holds no position: buying with reduce-only opens one.
    setOrder(inp, "oa", 1, resigned(TRADE, 1, "oa", { flags: 1n }));
    assertRejected(inp, "REDUCE_ONLY");
  });

  test("soundness: a post-only taker is rejected", () => {
    const inp = input(TRADE);
    setOrder(inp, "ob", 1, resigned(TRADE, 1, "ob", { flags: 2n }));
    assertRejected(inp, "POST_ONLY_TAKER");
  });

  test("soundness: two orders on the same side are rejected", () => {
    const inp = input(TRADE);
    setOrder(inp, "ob", 1, resigned(TRADE, 1, "ob", { side: Side.BUY }));
    assertRejected(inp, "SIDE_MISMATCH");
  });

  test("soundness: orders on different instruments are rejected", () => {
    const inp = input(TRADE);
    setOrder(inp, "ob", 1, resigned(TRADE, 1, "ob", { instrument: BTC }));
    assertRejected(inp, "INSTRUMENT_MISMATCH");
  });

  test("soundness: trading an expired option is rejected", () => {
    const inp = input(OPTION);
    const expired = optionId(1, InstrumentKind.CALL, 300_000n, T0);
    setOrder(inp, "oa", 1, resigned(OPTION, 1, "oa", { instrument: expired }));
    setOrder(inp, "ob", 1, resigned(OPTION, 1, "ob", { instrument: expired }));
    assertRejected(inp, /AssertTradable/);
  });

  test("soundness: a fill into a slot holding another instrument is rejected", () => {
    const inp = input(OPTION);
    // Taker 2 holds the ETH perp in slot 0; the call must go to an empty slot.
    assert.equal(slotValue(inp, "bPosInst", 1, 0), ETH);
    setSlot(inp, "posSlotB", 1, 0n);
    assertRejected(inp, /PositionUpdate/);
  });

  test("soundness: opening a second slot for a held instrument is rejected", () => {
    const inp = input(TWO_FILLS);
    // Taker 3 holds the ETH perp in slot 0; putting this fill in empty slot 1 splits it.
    assert.equal(slotValue(inp, "bPosInst", 1, 0), ETH);
    assert.equal(slotValue(inp, "bPosSize", 1, 1), 0n);
    setSlot(inp, "posSlotB", 1, 1n);
    assertRejected(inp, /PositionUpdate/);
  });

  test("soundness: liquidating a healthy account is rejected", () => {
    const inp = input(LIQ);
    // At 2,750 USDC account 4 (1 ETH long from 3,000, 399.4 USDC) has equity 149.4 > MM 137.5.
    setPublic(inp, 4, 275_000n);
    assertRejected(inp, "ACCOUNT_HEALTHY");
  });

  test("soundness: liquidating just below maintenance margin is accepted", () => {
    const inp = input(LIQ);
    assert.equal(publicValue(inp, 4), CRASH_PRICE);
    // Account 4 holds 1 ETH bought at 3,000 with 399.4 USDC after the maker fee. At 2,735 its
    // equity is 134.4 USDC, below MM = 136.75: liquidatable, one step from the healthy case, for
    // no more than it takes to restore maintenance margin (finding F6).
    setPublic(inp, 4, 273_500n);
    const w = scenario(LIQ).batch.witnesses[0]!;
    const marks = { prices: [273_500n, publicValue(inp, 5)], fundingIndex: w.globalBefore.fundingIndex };
    const q = largestLiquidation(w.b.before, ETH, marks);
    assert.ok(q > 0n && q < UNIT, `partial liquidation of ${q}`);
    setSlot(inp, "fillSize", 0, q);
    assertAccepted(inp);
    setSlot(inp, "fillSize", 0, q + 1n);
    assertRejected(inp, "BAD_LIQUIDATION: beyond maintenance");
  });

  test("soundness: a wrong liquidation price in the public data is rejected", () => {
    const inp = input(LIQ);
    const { published } = adversarialWitness(c, inp);
    const f1 = published[f0Index(0) + 1]!;
    setPublic(inp, f0Index(0) + 1, f1 + 1n); // X + 1 (a liquidation's f1 is p = X)
    assertRejected(inp, "PUBLIC_DATA", [f0Index(0) + 1]);
  });

  test("attack: a trade names its instrument by table index; any other entry, an index past the table or a swapped entry is rejected", () => {
    // Slot 1 of TRADE trades the ETH perp, entry 0 of the batch's table [ETH, 0].
    assert.deepEqual(scenario(TRADE).batch.instruments, [ETH, 0n]);
    const tag = "BAD_INSTRUMENT: the table entry the slot names";
    // The prover points the slot at entry 1 (0): the posted index moves, the entry is not ETH.
    let inp = input(TRADE);
    setSlot(inp, "instIdx", 1, 1n);
    assertRejected(inp, tag);
    // An index past the table's I entries has no one-hot selector at all.
    inp = input(TRADE);
    setSlot(inp, "instIdx", 1, 2n);
    assertRejected(inp, /OneHot/);
    // Entry 0 replaced by another instrument, the slot still naming it.
    inp = input(TRADE);
    setPublic(inp, tableIndex(0), BTC);
    assertRejected(inp, tag);
    // Any layout whose named entry is the slot's instrument is a valid batch (the rebuild takes
    // it too, test/protocol/rebuild.test.ts): ETH at entry 1, named by index 1.
    inp = input(TRADE);
    setPublic(inp, tableIndex(0), BTC);
    setPublic(inp, tableIndex(1), ETH);
    setSlot(inp, "instIdx", 1, 1n);
    assertAccepted(inp);
  });

  test("soundness: liquidating more than the position is rejected", () => {
    const inp = input(LIQ);
    setSlot(inp, "fillSize", 0, UNIT + 1n);
    assertRejected(inp, "BAD_LIQUIDATION");
  });

  test("soundness: funding beyond its bound is rejected", () => {
    const inp = input(FUNDING);
    // Cap: |delta| × 10^4 ≤ 10 × 300,000 → |delta| ≤ 300.
    setSlot(inp, "delta", 0, 301n);
    assertRejected(inp, /AssertLessEqIfEnabled/);
  });

  test("soundness: negative funding beyond its bound is rejected", () => {
    const inp = input(FUNDING);
    setSlot(inp, "delta", 0, -301n);
    assertRejected(inp, /AssertLessEqIfEnabled/);
  });

  test("soundness: funding exactly at its bound is accepted", () => {
    const inp = input(FUNDING);
    setSlot(inp, "delta", 0, -300n);
    assertAccepted(inp);
  });

  test("soundness: a second funding update within the interval is rejected", () => {
    const inp = input(FUNDING);
    setSlot(inp, "txType", 1, BigInt(TxType.FUNDING));
    setSlot(inp, "underlying", 1, 1n);
    setSlot(inp, "delta", 1, 1n);
    assertRejected(inp, /AssertLessEqIfEnabled/);
  });

  test("soundness: a wrong settlement price is rejected", () => {
    const inp = input(SETTLE);
    const honest = c.witness(inp);
    // The prover claims a different intrinsic value for the settled call.
    const wires = c.find(/^main\.slot\[0\]\.intrinsicSettle$/);
    const name = wires[0] ?? c.find(/^main\.slot\[0\]\.settleFillPrice$/)[0];
    assert.ok(name !== undefined, "a settlement price wire is in the witness");
    const tampered = c.tamper(honest, { [name]: c.get(honest, name) + 1n });
    assert.ok(c.violated(tampered).length > 0);
  });

  test("soundness: settling against a record of another expiry is rejected", () => {
    const inp = input(SETTLE);
    const record = publicValue(inp, 4 + U);
    setPublic(inp, 4 + U, record + (1n << 8n)); // expiry + 1
    assertRejected(inp, "NO_SETTLEMENT_PRICE");
  });

  test("soundness: settling an option before its expiry is rejected", () => {
    const inp = input(SETTLE);
    const expiry = T0 + 1_000n;
    // The batch time moves before the expiry (the record's own expiry is the contract's check).
    setPublic(inp, 2, expiry - 1n);
    assertRejected(inp, /AssertLessEqIfEnabled/);
  });

  test("soundness: a deposit that differs from the L1 queue is rejected", () => {
    const inp = input(TRADE);
    // The L1 queue (public f0) says 5 USDC; the prover credits 6 USDC (and carries the extra
    // unit into account 2's leaf in the next slot).
    setSlot(inp, "amount", 0, 6n * USDC);
    setSlot(inp, "aCollateral", 1, slotValue(inp, "aCollateral", 1) + USDC);
    assertRejected(inp, "PUBLIC_DATA", [f0Index(0)]);
  });

  test("soundness: a deposit into another owner's account is rejected", () => {
    const inp = input(TRADE);
    // Deposit record 0 (slot 0's) names another owner; slot 1 carries that owner in the leaf.
    setPublic(inp, recordIndex(0), publicValue(inp, recordIndex(0)) + 1n);
    setSlot(inp, "aOwner", 1, publicValue(inp, recordIndex(0)));
    assertRejected(inp, "ACCOUNT_MISMATCH");
  });

  test("soundness: a deposit record no deposit uses is rejected", () => {
    const inp = input(TRADE);
    const used = scenario(TRADE).batch.witnesses.filter((w) => w.tx.type === TxType.DEPOSIT).length;
    assert.ok(used < D, "the scenario leaves a record unused");
    setPublic(inp, recordIndex(used), 5n);
    assertRejected(inp, "BAD_CONTEXT");
  });

  test("soundness: an overflowed deposit amount that wraps the field is rejected", () => {
    const inp = input(TRADE);
    // amount = r − 1 (i.e. −1): would debit the account if unchecked.
    setSlot(inp, "amount", 0, FIELD_MODULUS - 1n);
    setSlot(inp, "aCollateral", 1, slotValue(inp, "aCollateral", 1) - 5n * USDC - 1n);
    assertRejected(inp, /Num2Bits/);
  });

  test("soundness: a withdrawal beyond free collateral is rejected", () => {
    const inp = input(WITHDRAW);
    const w = scenario(WITHDRAW).batch.witnesses[0]!;
    const marks = { prices: scenario(WITHDRAW).batch.context.prices, fundingIndex: w.globalBefore.fundingIndex };
    const free = freeCollateral(w.a.before, marks);
    setOrder(inp, "oa", 0, sign(withdrawalOrder(2n, free + 1n, 7n, T0 + 60n)));
    setSlot(inp, "amount", 0, free + 1n);
    assertRejected(inp, "INSUFFICIENT_FREE_COLLATERAL");
  });

  test("soundness: a withdrawal of exactly the free collateral is accepted", () => {
    const inp = input(WITHDRAW);
    const w = scenario(WITHDRAW).batch.witnesses[0]!;
    const marks = { prices: scenario(WITHDRAW).batch.context.prices, fundingIndex: w.globalBefore.fundingIndex };
    const free = freeCollateral(w.a.before, marks);
    setOrder(inp, "oa", 0, sign(withdrawalOrder(2n, free, 7n, T0 + 60n)));
    setSlot(inp, "amount", 0, free);
    assertAccepted(inp);
  });

  test("soundness: a withdrawal of a wrapped (negative) amount is rejected", () => {
    const inp = input(WITHDRAW);
    const amount = FIELD_MODULUS - 1_000n * USDC;
    setOrder(inp, "oa", 0, sign(withdrawalOrder(2n, amount, 7n, T0 + 60n)));
    setSlot(inp, "amount", 0, amount);
    assertRejected(inp, /Num2Bits/);
  });

  test("soundness: a refused forced withdrawal published as served is rejected", () => {
    const inp = input(SWEEP);
    const { published } = adversarialWitness(c, inp);
    const requested = slotValue(inp, "amount", 0);
    setPublic(inp, f0Index(0), published[f0Index(0)]! + (requested << 28n));
    assertRejected(inp, "PUBLIC_DATA", [f0Index(0)]);
  });

  test("soundness: a fee sweep beyond the fee pool is rejected", () => {
    const inp = input(SWEEP);
    setSlot(inp, "amount", 1, slotValue(inp, "amount", 1) + 1n);
    // B is the fee account again, after A's update.
    setSlot(inp, "bCollateral", 1, slotValue(inp, "bCollateral", 1) + 1n);
    assertRejected(inp, /Num2Bits/);
  });

  test("soundness: a wrong old state root is rejected", () => {
    const inp = input(TRADE);
    setPublic(inp, 0, publicValue(inp, 0) + 1n);
    assertRejected(inp, "OLD_ROOT");
  });

  test("soundness: a wrong new state root is rejected", () => {
    const inp = input(TRADE);
    setPublic(inp, 1, publicValue(inp, 1) + 1n);
    assertRejected(inp, "NEW_ROOT", [1]);
  });

  test("soundness: an account leaf that is not in the tree is rejected", () => {
    const inp = input(TRADE);
    // The taker claims 1,000 USDC more collateral than its leaf holds.
    setSlot(inp, "bCollateral", 1, slotValue(inp, "bCollateral", 1) + 1_000n * USDC);
    assertRejected(inp, /MerkleUpdate/);
  });

  test("soundness: an unknown transaction type is rejected", () => {
    const inp = input(FUNDING);
    setSlot(inp, "txType", 1, 10n);
    assertRejected(inp, /OneHot/);
  });

  test("soundness: the taker order of another account is rejected", () => {
    const inp = input(TRADE);
    // A valid order of account 4 presented for taker account 3.
    setOrder(inp, "ob", 1, sign(order({ accountId: 4n, side: Side.SELL, orderId: 1n })));
    assertRejected(inp, /OrderSignature/);
  });
});
