/**
 * determinism: every value the prover chooses that the public data does not carry (position
 * slots, the settlement record index, parameters a slot's type does not read) is either forced
 * by the constraints or changes the posted data: no two roots for one calldata. And every
 * scenario batch rebuilt from its L1 calldata alone gives the same roots.
 *
 * The other invariant, differential (protocol/ accepts exactly when the constraints hold), is
 * differential.test.ts; the two are separate files so the suite runs them side by side.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { applyPostedBatch, l1Calldata, RollupState, toField, TxType, unpackSlots } from "../../protocol/index.ts";
import { c, input, resigned, setOrder, trees } from "./adversary.ts";
import { adversarialWitness, buildScenarios, scenario, setSlot, slotValue, TEST } from "./scenarios.ts";

const all = buildScenarios();
const WINDOW = 1n << 32n;
const P = TEST.positions;
const K = TEST.settlements;

/** Per-slot parameters each transaction type reads; every other one is the prover's free choice. */
const READS: Readonly<Record<number, readonly string[]>> = {
  [TxType.NOOP]: [],
  [TxType.DEPOSIT]: ["amount"],
  [TxType.WITHDRAW]: ["amount"],
  [TxType.FORCED_WITHDRAW]: ["amount", "served"],
  [TxType.TRADE]: ["fillSize", "fillPrice", "instIdx", "posSlotA", "posSlotB"],
  [TxType.LIQUIDATE]: ["fillSize", "instIdx", "posSlotA", "posSlotB"],
  [TxType.FUNDING]: ["underlying", "delta"],
  [TxType.SETTLE]: ["settleIdx", "posSlotA"],
  [TxType.FEE_SWEEP]: ["amount"],
  [TxType.FORCED_CLOSE]: ["instrument", "flag", "settleIdx", "posSlotA", "posSlotB"],
};
// A deposit's owner and key are no parameter: they are the batch's deposit record (public data).
const PARAMS = [
  "amount",
  "fillSize",
  "fillPrice",
  "instIdx",
  "underlying",
  "delta",
  "instrument",
  "flag",
  "served",
  "settleIdx",
  "posSlotA",
  "posSlotB",
];

/** Alternatives to the honest value of a private parameter. */
function alternatives(name: string, honest: bigint): bigint[] {
  const range = name === "settleIdx" ? K : name.startsWith("posSlot") ? P : 0;
  if (range > 0) return Array.from({ length: range }, (_, i) => BigInt(i)).filter((v) => v !== honest);
  return [honest + 1n];
}

/**
 * The adversary's choice `value` for `name` in `slot`: the constraints reject it, or the posted
 * data (header and slots) differs, or the new root is the honest one. Two roots for one
 * calldata is the failure.
 */
function assertDetermined(name: string, slot: number, param: string, value: bigint): void {
  const inp = input(name);
  setSlot(inp, param, slot, value);
  const { witness, published } = adversarialWitness(c, inp, [], trees.get(inp));
  if (c.violated(witness).length > 0) return;
  const honest = scenario(name).batch.publicData;
  const posted = honest.some((p, j) => j !== 1 && published[j] !== toField(p));
  const sameRoot = published[1] === toField(honest[1]!);
  assert.ok(posted || sameRoot, `${name}, slot ${slot}: ${param} = ${value} proves another root for the same calldata`);
}

describe("determinism: no private choice moves the root without changing the posted data", () => {
  for (const s of all) {
    test(`determinism: ${s.name}`, () => {
      const inp = input(s.name);
      const seenFree = new Set<number>();
      s.batch.witnesses.forEach((w, slot) => {
        const reads = READS[w.tx.type]!;
        for (const param of PARAMS) {
          const read = reads.includes(param);
          const choice = param === "settleIdx" || param.startsWith("posSlot");
          // A read parameter that is not a slot or record choice is posted in the slot's data.
          if (read && !choice) continue;
          // Unread parameters are gated alike in every slot of a type: once per type.
          if (!read && seenFree.has(w.tx.type)) continue;
          for (const v of alternatives(param, slotValue(inp, param, slot))) assertDetermined(s.name, slot, param, v);
        }
        seenFree.add(w.tx.type);
      });
    });
  }

  // A slot posts an order id's low 32 bits (§7): the same order signed with an id 2^32 away posts
  // the same bits. The window rule (§5.3) must leave the prover no such second id.
  test("determinism: an order id 2^32 away, which posts the same low bits, is refused in every order of every scenario", () => {
    let tried = 0;
    for (const s of all) {
      s.batch.witnesses.forEach((w, slot) => {
        for (const [prefix, u] of [
          ["oa", w.orderA],
          ["ob", w.orderB],
        ] as const) {
          if (u === null) continue;
          for (const id of [u.signed.order.orderId + WINDOW, u.signed.order.orderId - WINDOW]) {
            if (id < 0n) continue;
            const inp = input(s.name);
            setOrder(inp, prefix, slot, resigned(s.name, slot, prefix, { orderId: id }));
            const { witness } = adversarialWitness(c, inp, [], trees.get(inp));
            assert.ok(c.violated(witness).length > 0, `${s.name}, slot ${slot}, ${prefix}: order id ${id} accepted`);
            tried++;
          }
        }
      });
    }
    assert.ok(tried >= 10, `only ${tried} orders tried`);
  });

  test("determinism: every scenario batch rebuilt from its L1 calldata alone gives the same roots", () => {
    const first = all[0]!;
    // The scenarios run on one state from a genesis with the deposits of buildScenarios.
    const state: RollupState = first.before.clone();
    for (const [i, s] of all.entries()) {
      const rounds = {
        priceRoundIds: s.batch.context.prices.map(() => 1n),
        settlementRoundIds: s.batch.context.settlements.map(() => 1n),
      };
      const { header, slots } = l1Calldata(s.batch, rounds);
      assert.equal(state.stateRoot, s.batch.oldStateRoot, `${s.name}: old root`);
      applyPostedBatch(state, { header, slots: unpackSlots(slots) }, s.batch.context.domain, BigInt(i + 1));
      assert.equal(state.stateRoot, s.batch.newStateRoot, `${s.name}: rebuilt root`);
    }
  });
});
