/**
 * The review's findings against the circuit (issue "The proof must make the promise true"),
 * each as the original attack, now rejected by the R1CS with the adversary's complete witness,
 * or as the boundary transaction, now accepted. Protocol-side halves of the same findings are in
 * test/protocol (risk, trade, batch); the invariant suites (differential, determinism) in
 * invariants.test.ts generalise them.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { packSettlement, Side } from "../../protocol/index.ts";
import {
  assertAccepted,
  assertRejected,
  c,
  input,
  publicValue,
  resigned,
  setOrder,
  setPublic,
  U,
} from "./adversary.ts";
import {
  adversarialWitness,
  LATE_CALL_EXPIRY,
  MAX_PRICE,
  MAX_TIME,
  scenario,
  SECOND_FUND,
  setSlot,
  SETTLE_PRICE,
  slotValue,
  STRESS_BTC,
  T0,
} from "./scenarios.ts";

const TRADE = "deposit and perp trade";
const BOUNDARY = "boundary orders";
const TWO_FUNDS = "liquidations into two insurance fund accounts";
const FUND_REDUCES = "the fund reduces at the mark";
const THIN_REDUCES = "a thin account reduces at the mark";
const LIVE_OPTION = "a perp trade while holding a live option";
const SETTLE = "option settlement";
/** publicInputs index of settlement record k. */
const record = (k: number): number => 4 + U + k;

describe("findings against the circuit (test profile)", () => {
  test("finding F1: a new position in any empty slot but the first is rejected", () => {
    // Slot 1: maker 2 opens its first position, in slot 0 by protocol's rule.
    assert.equal(slotValue(input(TRADE), "posSlotA", 1), 0n);
    const inp = input(TRADE);
    setSlot(inp, "posSlotA", 1, 1n);
    assertRejected(inp, /PositionUpdate/);
  });

  test("finding F1: the insurance fund account's slot in a liquidation is fixed too", () => {
    // Slot 1: the second fund account, empty, takes the call into its first slot.
    const inp = input(TWO_FUNDS);
    assert.equal(slotValue(inp, "posSlotA", 1), 0n);
    setSlot(inp, "posSlotA", 1, 1n);
    assertRejected(inp, /PositionUpdate/);
  });

  test("finding F2: the insurance fund cannot trade beyond FUND_BAND_BPS of the mark; at the band it can", () => {
    // Slot 0: fund account 1 sells 10 units of BTC to account 2 at the mark. 5% of 55,000 USD.
    const edge = STRESS_BTC - (STRESS_BTC * 500n) / 10_000n;
    const at = (p: bigint) => {
      const inp = input(FUND_REDUCES);
      setSlot(inp, "fillPrice", 0, p);
      setOrder(inp, "oa", 0, resigned(FUND_REDUCES, 0, "oa", { price: p }));
      return inp;
    };
    assertAccepted(at(edge));
    assertRejected(at(edge - 1n), "PRICE_BAND");
    // The original attack: the fund sells at a fraction of the price to a colluder.
    assertRejected(at(STRESS_BTC / 100n), "PRICE_BAND");
  });

  test("finding F2: the insurance fund cannot open or grow a position by trading", () => {
    // The same trade with the sides flipped: the fund buys more BTC from account 2.
    const inp = input(FUND_REDUCES);
    setOrder(inp, "oa", 0, resigned(FUND_REDUCES, 0, "oa", { side: Side.BUY }));
    setOrder(inp, "ob", 0, resigned(FUND_REDUCES, 0, "ob", { side: Side.SELL }));
    assertRejected(inp, "REDUCE_ONLY: insurance fund");
  });

  test("finding F3: an order expiring at 2^32 − 1 with a buy limit of 2^40 − 1 is accepted", () => {
    const w = scenario(BOUNDARY).batch.witnesses[0]!;
    assert.equal(w.orderA?.signed.order.price, MAX_PRICE);
    assert.equal(w.orderA?.signed.order.expiry, MAX_TIME);
    assert.equal(w.orderB?.signed.order.expiry, MAX_TIME);
    const inp = input(BOUNDARY);
    assert.deepEqual(c.violated(c.witness(inp)), []);
    // One past the widest value does not fit its field.
    setOrder(inp, "oa", 0, resigned(BOUNDARY, 0, "oa", { expiry: MAX_TIME + 1n }));
    assertRejected(inp, /AssertLessEqIfEnabled|RangeCheck|Num2Bits/);
  });

  test("finding F4: an account holding an expired, unsettled option cannot trade", () => {
    // Slot 0: account 10 (short the late call) sells ETH perps. At the call's expiry it must
    // first be settled; one second before, the trade stands.
    const before = input(LIVE_OPTION);
    setPublic(before, 2, LATE_CALL_EXPIRY - 1n);
    assertAccepted(before);
    const at = input(LIVE_OPTION);
    setPublic(at, 2, LATE_CALL_EXPIRY);
    assertRejected(at, "UNSETTLED_EXPIRY");
  });

  test("finding F6: a long option cannot be liquidated", () => {
    // Slot 0 liquidates account 8's BTC long; the prover points it at 8's long call instead.
    const inp = input(TWO_FUNDS);
    assert.equal(slotValue(inp, "posSlotB", 0), 0n);
    setSlot(inp, "posSlotB", 0, 1n);
    setSlot(inp, "fillSize", 0, 1n);
    assertRejected(inp, "BAD_LIQUIDATION: long option");
  });

  test("finding F7: a liquidation beyond account 1's slots goes to a second insurance fund account", () => {
    const batch = scenario(TWO_FUNDS).batch;
    const [btc, call] = batch.witnesses;
    assert.equal(btc!.a.accountId, 1n);
    assert.ok(
      btc!.a.after.positions.every((p) => p.size !== 0n),
      "account 1 has no free slot after the BTC liquidation",
    );
    assert.equal(call!.a.accountId, SECOND_FUND);
    // The fund account is published (the maker field of f0), so a rebuild knows where it went.
    assert.equal((call!.publicData[0] >> 4n) & 0xffffffffn, SECOND_FUND);
    assertAccepted(input(TWO_FUNDS));
    // An ordinary account cannot stand in for the fund: account 1's owner is part of the rule.
    const inp = input(TWO_FUNDS);
    setSlot(inp, "aOwner", 1, slotValue(inp, "aOwner", 1) + 1n);
    const { witness } = adversarialWitness(c, inp, [], undefined);
    assert.ok(c.violated(witness).length > 0);
  });

  test("finding F9: a settlement record after a zero record is rejected", () => {
    const inp = input(SETTLE);
    const packed = packSettlement({ underlying: 1, expiry: T0 + 1_000n, price: SETTLE_PRICE });
    assert.equal(publicValue(inp, record(0)), packed);
    assert.equal(publicValue(inp, record(1)), 0n);
    setPublic(inp, record(0), 0n);
    setPublic(inp, record(1), packed);
    setSlot(inp, "settleIdx", 0, 1n);
    setSlot(inp, "settleIdx", 1, 1n);
    assertRejected(inp, "BAD_CONTEXT: record after a zero one");
  });

  test("finding F9: records out of order, or two records of one series, are rejected", () => {
    const packed = packSettlement({ underlying: 1, expiry: T0 + 1_000n, price: SETTLE_PRICE });
    const later = packSettlement({ underlying: 1, expiry: T0 + 1_500n, price: SETTLE_PRICE });
    const outOfOrder = input(SETTLE);
    setPublic(outOfOrder, record(0), later);
    setPublic(outOfOrder, record(1), packed);
    setSlot(outOfOrder, "settleIdx", 0, 1n);
    setSlot(outOfOrder, "settleIdx", 1, 1n);
    assertRejected(outOfOrder, "BAD_CONTEXT: records out of order");
    // A second record of the same series at another price, which a prover would pick per slot.
    const twice = input(SETTLE);
    setPublic(twice, record(1), packSettlement({ underlying: 1, expiry: T0 + 1_000n, price: SETTLE_PRICE * 2n }));
    setSlot(twice, "settleIdx", 1, 1n);
    assertRejected(twice, "BAD_CONTEXT: records out of order");
  });

  test("finding F10: an account below IM cannot strip equity by reducing at a bad price", () => {
    // Slot 0: thin account 8 sells 10 units of BTC to account 2 at the mark (accepted: it
    // reduces risk). At a tenth of the mark it moves equity to account 2 and lowers its
    // maintenance headroom.
    assertAccepted(input(THIN_REDUCES));
    const inp = input(THIN_REDUCES);
    const p = STRESS_BTC / 10n;
    setSlot(inp, "fillPrice", 0, p);
    setOrder(inp, "oa", 0, resigned(THIN_REDUCES, 0, "oa", { price: p }));
    setOrder(inp, "ob", 0, resigned(THIN_REDUCES, 0, "ob", { price: p }));
    assertRejected(inp, "MARGIN");
  });
});
