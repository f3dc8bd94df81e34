/**
 * The adversarial prover of the soundness, finding and invariant suites: honest scenario
 * inputs to start from, edits of what a prover controls (transactions, re-signed orders,
 * published values), and the two verdicts — the R1CS rejects the complete adversarial witness
 * (and the intended rule is the one that fired), or accepts it.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { sign } from "../protocol/fixtures.ts";
import { FIELD_MODULUS } from "../../protocol/index.ts";
import type { Order, SignedOrder, SparseMerkleTree } from "../../protocol/index.ts";
import { CIRCUITS_DIR } from "../../scripts/zk/compile.ts";
import type { Circuit, CircuitInputs } from "./harness.ts";
import { adversarialWitness, buildScenarios, inputOf, scenario, setSlot, TEST, testCircuit } from "./scenarios.ts";

export const c: Circuit = await testCircuit();
buildScenarios();

export const U = TEST.underlyings;
export const K = TEST.settlements;
export const I = TEST.instruments;
export const D = TEST.deposits;
/** Index of instrument-table entry `j` in the public data. */
export const tableIndex = (j: number): number => 4 + U + K + j;
/** Index of deposit record `k`'s owner in the public data (its pkHash follows it). */
export const recordIndex = (k: number): number => 4 + U + K + I + 2 * k;
/** Index of f0 of `slot` in the public data (f1 follows it). */
export const f0Index = (slot: number): number => 4 + U + K + I + 2 * D + 2 * slot;

/** Pre-batch account trees of the inputs handed out by `input`. */
export const trees = new WeakMap<CircuitInputs, SparseMerkleTree>();
export function input(name: string): CircuitInputs {
  const inp = inputOf(scenario(name).batch);
  trees.set(inp, scenario(name).accounts);
  return inp;
}

/** Replaces order `prefix` ("oa" maker/withdrawal, "ob" taker) of `slot` with a signed order. */
export function setOrder(inp: CircuitInputs, prefix: "oa" | "ob", slot: number, s: SignedOrder): void {
  const o = s.order;
  const fields: Record<string, bigint> = {
    Instrument: o.instrument,
    Side: BigInt(o.side),
    Size: o.size,
    Price: o.price,
    OrderId: o.orderId,
    Expiry: o.expiry,
    Flags: o.flags,
    Ax: s.publicKey.x,
    Ay: s.publicKey.y,
    R8x: s.signature.R8x,
    R8y: s.signature.R8y,
    S: s.signature.S,
  };
  for (const [k, v] of Object.entries(fields)) setSlot(inp, `${prefix}${k}`, slot, v);
}

/** The signed order at `prefix`/`slot` of a scenario's batch. */
export function signedAt(name: string, slot: number, prefix: "oa" | "ob"): SignedOrder {
  const w = scenario(name).batch.witnesses[slot]!;
  const u = prefix === "oa" ? w.orderA : w.orderB;
  if (u === null) throw new Error(`no ${prefix} order in ${name} slot ${slot}`);
  return u.signed;
}

/** The same order with some fields changed, re-signed by its account's key (a valid signature). */
export function resigned(name: string, slot: number, prefix: "oa" | "ob", change: Partial<Order>): SignedOrder {
  return sign({ ...signedAt(name, slot, prefix).order, ...change });
}

export function setPublic(inp: CircuitInputs, j: number, v: bigint): void {
  (inp["publicData"] as string[])[j] = (((v % FIELD_MODULUS) + FIELD_MODULUS) % FIELD_MODULUS).toString();
}

export function publicValue(inp: CircuitInputs, j: number): bigint {
  return BigInt((inp["publicData"] as string[])[j]!);
}

/** Source file of each template whose rule lines carry `// CODE` tags. */
const TAGGED: Readonly<Record<string, string>> = {
  TxSlot: "tx.circom",
  Batch: "batch.circom",
  DepositRecords: "lib/deposits.circom",
};

/** "Template line: N" for every line of a tagged template's file tagged `// <tag>`. */
export function ruleSites(tag: string): string[] {
  const out: string[] = [];
  for (const [template, file] of Object.entries(TAGGED)) {
    readFileSync(path.join(CIRCUITS_DIR, file), "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (new RegExp(`// ${tag}(:|$)`).test(line)) out.push(`${template} line: ${i + 1}`);
      });
  }
  if (out.length === 0) throw new Error(`no rule tagged ${tag}`);
  return out;
}

/** `Error in template TxSlot_415 line: 339` → `TxSlot line: 339`. */
export function site(message: string): string {
  return message.replace(/^Error in template (\w+?)_\d+ line: (\d+)$/, "$1 line: $2");
}

/**
 * The adversary's complete witness for `inp` violates the constraints, and the check that
 * fails is `rule`: a `// CODE` tag on a rule line of tx.circom/batch.circom, or a pattern for
 * the gadget template that enforces it. The adversary's Merkle paths are consistent, so no
 * account-path check fails unless that is the rule.
 */
export function assertRejected(inp: CircuitInputs, rule: string | RegExp, keep: readonly number[] = []): void {
  const { witness, failedAsserts, messages } = adversarialWitness(c, inp, keep, trees.get(inp));
  assert.equal(witness.length, c.r1cs.nWires, "the wasm computed a complete witness");
  assert.ok(failedAsserts > 0, "the witness generator saw the broken rule");
  const sites = messages.map(site);
  const expected = typeof rule === "string" ? ruleSites(rule) : null;
  const hit = sites.some((s) => (expected === null ? (rule as RegExp).test(s) : expected.includes(s)));
  assert.ok(hit, `expected the ${String(rule)} check to fail; failed: ${sites.join(", ")}`);
  if (!(rule instanceof RegExp && rule.test("MerkleUpdate"))) {
    assert.ok(!sites.some((s) => s.startsWith("MerkleUpdate")), `inconsistent paths: ${sites.join(", ")}`);
  }
  assert.ok(c.violated(witness).length > 0, "the R1CS must reject the adversarial witness");
}

/** The same procedure accepts `inp` (boundary cases: the honest value next to the rejected one). */
export function assertAccepted(inp: CircuitInputs): void {
  const { witness, messages } = adversarialWitness(c, inp, [], trees.get(inp));
  // Only the stale public outputs of the first pass may have failed (asserts in Batch itself).
  assert.ok(
    messages.every((m) => m.startsWith("Error in template Batch_")),
    messages.join("; "),
  );
  assert.deepEqual(c.violated(witness), []);
}
