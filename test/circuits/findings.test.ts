/**
 * The review's findings against the circuit (issue "The proof must make the promise true"),
 * each as the original attack, now rejected by the R1CS with the adversary's complete witness,
 * or as the boundary transaction, now accepted. Protocol-side halves of the same findings are in
 * test/protocol (risk, trade, batch); the invariant suites (differential, determinism) in
 * differential.test.ts and determinism.test.ts generalise them.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { freeCollateral, packSettlement, Side } from "../../protocol/index.ts";
import { FORCED_CLOSE_SERVED_BIT } from "../../protocol/pubdata.ts";
import type { CircuitInputs } from "./harness.ts";
import {
  assertAccepted,
  assertRejected,
  c,
  f0Index,
  input,
  trees,
  publicValue,
  resigned,
  setOrder,
  setPublic,
  U,
} from "./adversary.ts";
import {
  adversarialWitness,
  FC_LONG,
  FC_SHORT,
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

/** A forced close's `served` bit in f0 (docs/protocol.md §7). */
const SERVED = BigInt(FORCED_CLOSE_SERVED_BIT);
const TRADE = "deposit and perp trade";
const BOUNDARY = "boundary orders";
const TWO_FUNDS = "liquidations into two insurance fund accounts";
const FUND_REDUCES = "the fund reduces at the mark";
const THIN_REDUCES = "a thin account reduces at the mark";
const LIVE_OPTION = "a perp trade while holding a live option";
const SETTLE = "option settlement";
const FC_PERP = "forced close of a perp and of a short option";
const FC_LONG_OPTION = "forced close of a long option and a refusal";
const FC_WITHDRAW = "forced withdrawals of min(requested, withdrawable)";
const FC_EXPIRED = "forced close and forced settlement of an expired call";
const WITHDRAWALS = "withdraw and served forced withdrawal";
const REFUSED_FW = "refused forced withdrawal and fee sweep";

/** Sets account A of `slot` to account `id` as it is before the scenario's batch. */
function setAccountA(inp: CircuitInputs, name: string, slot: number, id: bigint): void {
  const acc = scenario(name).before.account(id);
  setSlot(inp, "aId", slot, id);
  setSlot(inp, "aPkHash", slot, acc.pkHash);
  setSlot(inp, "aOwner", slot, acc.owner);
  setSlot(inp, "aCollateral", slot, acc.collateral);
  setSlot(inp, "aOrderRoot", slot, acc.orderRoot);
  acc.positions.forEach((p, j) => {
    setSlot(inp, "aPosInst", slot, p.instrument, j);
    setSlot(inp, "aPosSize", slot, p.size, j);
    setSlot(inp, "aPosCost", slot, p.cost, j);
  });
}

/** The new state root and slot data the adversary's witness proves for `inp` (null: rejected). */
function proves(inp: CircuitInputs): bigint[] | null {
  const { witness, published } = adversarialWitness(c, inp, [], trees.get(inp));
  if (c.violated(witness).length > 0) return null;
  return published;
}
/** publicData index of settlement record k. */
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
    assert.equal((call!.publicData[0] >> 4n) & 0xffffffn, SECOND_FUND);
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

  test("finding F11: a forced close cannot be refused while the account holds the position", () => {
    // Slot 0: account 12's long perp goes to the fund. Publishing it as refused (served bit 0)
    // with any root fails: the circuit computes `served` from the account's own slots.
    const inp = input(FC_PERP);
    const { published } = adversarialWitness(c, inp, [], trees.get(inp));
    const f0 = published[f0Index(0)]!;
    assert.equal((f0 >> SERVED) & 1n, 1n, "served");
    setPublic(inp, f0Index(0), f0 - (1n << SERVED));
    assertRejected(inp, "PUBLIC_DATA", [f0Index(0)]);
  });

  test("finding F13: a withdrawal's flat flag (no position, reads no price) is forced by the account's slots", () => {
    // L1 lets a flat withdrawal ride in a batch that carries a silent feed's price, so the flag
    // must be exactly "every size of A is 0": neither claimed by an account with a position nor
    // dropped by one without (either way the public data would lie about what the rule read).
    for (const [name, slot, bit, flat] of [
      [WITHDRAWALS, 0, 84n, 0n], // account 2 holds the perp it bought: not flat
      [WITHDRAWALS, 1, 84n, 0n], // account 3 holds the perp it sold
      [REFUSED_FW, 0, 84n, 1n], // account 6 holds nothing
    ] as const) {
      const inp = input(name);
      const { published } = adversarialWitness(c, inp, [], trees.get(inp));
      const f0 = published[f0Index(slot)]!;
      assert.equal((f0 >> bit) & 1n, flat, `${name} slot ${slot}`);
      setPublic(inp, f0Index(slot), f0 ^ (1n << bit));
      assertRejected(inp, "PUBLIC_DATA", [f0Index(slot)]);
    }
  });

  test("finding F11: a refusal is accepted only when the account holds no position in the instrument", () => {
    // Slot 1: account 12 no longer holds the perp: refused, and the proof shows it.
    assertAccepted(input(FC_LONG_OPTION));
    const f0 = scenario(FC_LONG_OPTION).batch.publicData[f0Index(1)]!;
    assert.equal((f0 >> SERVED) & 1n, 0n, "refused");
    // The served bit posted for a refusal is rejected too.
    const inp = input(FC_LONG_OPTION);
    setPublic(inp, f0Index(1), f0 + (1n << SERVED));
    assertRejected(inp, "PUBLIC_DATA", [f0Index(1)]);
  });

  test("finding F17: a live short option's forced close is refused, and the refusal is forced", () => {
    // Slot 1 of FC_PERP: account 12's short call is live. Refused: served bit 0, and 1 is rejected.
    const honest = scenario(FC_PERP).batch;
    assert.equal(honest.witnesses[1]!.b.accountId, FC_SHORT);
    assert.ok(honest.witnesses[1]!.b.before.positions.some((p) => p.size < 0n && p.instrument !== 0n));
    assert.equal((honest.publicData[f0Index(1)]! >> SERVED) & 1n, 0n, "refused");
    const inp = input(FC_PERP);
    setPublic(inp, f0Index(1), honest.publicData[f0Index(1)]! + (1n << SERVED));
    assertRejected(inp, "PUBLIC_DATA", [f0Index(1)]);
    // The held size is read from the slot that holds the call, not from the prover's slot choice:
    // pointing the slot elsewhere (at the empty slot the perp left, say) serves nothing either.
    for (let j = 0n; j < 2n; j++) {
      const moved = input(FC_PERP);
      setSlot(moved, "posSlotB", 1, j);
      const out = proves(moved);
      if (out === null) continue;
      assert.equal((out[f0Index(1)]! >> SERVED) & 1n, 0n, `posSlotB ${j} served the short call`);
      assert.equal(out[1], honest.publicData[1], `posSlotB ${j} moved the root`);
    }
  });

  test("finding F17: a live long option's forced close is served whatever the prover's slot choice", () => {
    // Slot 0 of FC_LONG_OPTION: account 11's long call goes to the second fund account.
    const honest = scenario(FC_LONG_OPTION).batch;
    assert.equal((honest.publicData[f0Index(0)]! >> SERVED) & 1n, 1n, "served");
    const refused = input(FC_LONG_OPTION);
    setPublic(refused, f0Index(0), honest.publicData[f0Index(0)]! - (1n << SERVED));
    assertRejected(refused, "PUBLIC_DATA", [f0Index(0)]);
    // Its other slot holds a short perp: a slot choice read as "the held size" would refuse it.
    assert.ok(honest.witnesses[0]!.b.before.positions.some((p) => p.size < 0n && p.instrument !== 0n));
    for (let j = 0n; j < 2n; j++) {
      const moved = input(FC_LONG_OPTION);
      setSlot(moved, "posSlotB", 0, j);
      const out = proves(moved);
      if (out === null) continue;
      assert.equal((out[f0Index(0)]! >> SERVED) & 1n, 1n, `posSlotB ${j} refused the long call`);
      assert.equal(out[1], honest.publicData[1], `posSlotB ${j} moved the root`);
    }
  });

  test("finding F11: the whole position is closed at the rules' price whatever the prover's parameters", () => {
    // No size or price parameter moves a forced close: the trade and liquidation parameters are
    // ignored (the root is the honest one), the settlement index of a live close too.
    const honest = scenario(FC_PERP).batch.publicData;
    for (const [param, value] of [
      ["fillSize", 1n],
      ["fillPrice", 1n],
      ["settleIdx", 1n],
    ] as const) {
      const inp = input(FC_PERP);
      setSlot(inp, param, 0, value);
      const out = proves(inp);
      if (out !== null) assert.equal(out[1], honest[1], `${param} = ${value} moved the root`);
    }
    // The perp went to the fund in full: account 12's slot is empty after slot 0.
    const w = scenario(FC_PERP).batch.witnesses[0]!;
    assert.equal(w.b.accountId, FC_SHORT);
    assert.ok(w.b.after.positions.every((p) => p.instrument !== w.b.before.positions[0]!.instrument || p.size === 0n));
    // An expired option is settled at the record of its series, not another one.
    const expired = input(FC_EXPIRED);
    setSlot(expired, "settleIdx", 0, 1n);
    assertRejected(expired, "NO_SETTLEMENT_PRICE");
  });

  test("finding F11: only an insurance fund account takes a forced close", () => {
    // Slot 0 of the long option's close: the second fund account takes it. Account 2 may not.
    const inp = input(FC_LONG_OPTION);
    setAccountA(inp, FC_LONG_OPTION, 0, 2n);
    assertRejected(inp, "BAD_LIQUIDATION");
  });

  test("finding F11: a forced settlement is served only as a settlement of an expired series", () => {
    // The live perp close flagged as a forced settlement is rejected (the contract checks expiry at request time only).
    const inp = input(FC_PERP);
    setSlot(inp, "flag", 0, 1n);
    assertRejected(inp, "NOT_EXPIRED");
    // The expired call's forced settlement is accepted as posted.
    assertAccepted(input(FC_EXPIRED));
  });

  test("finding F11: a forced withdrawal serves exactly min(requested, withdrawable)", () => {
    const s = scenario(FC_WITHDRAW);
    const marks = { prices: s.batch.context.prices, fundingIndex: s.before.globalState.fundingIndex };
    for (const [slot, id] of [
      [0, FC_LONG],
      [1, FC_SHORT],
    ] as const) {
      const w = freeCollateral(s.before.account(id), marks);
      assert.equal(s.batch.witnesses[slot]!.served, w, `account ${id} is served what it may withdraw`);
      assert.ok(w > 0n && w < slotValue(input(FC_WITHDRAW), "amount", slot));
      const at = (served: bigint) => {
        const inp = input(FC_WITHDRAW);
        setSlot(inp, "served", slot, served);
        return inp;
      };
      assertAccepted(at(w));
      // Less (the old all-or-nothing refusal, or a token amount) is rejected ...
      assertRejected(at(0n), "FORCED_SERVED");
      assertRejected(at(w - 1n), "FORCED_SERVED");
      // ... and so is more than the collateral or initial margin allow.
      assertRejected(at(w + 1n), "FORCED_SERVED");
    }
  });
});
