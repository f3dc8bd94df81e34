/**
 * differential: one table of every numeric field of every transaction type (and the batch
 *   context) with its bit width drives cases at the edges of the width — 0, 1, 2^n − 2, 2^n − 1,
 *   2^n and, signed, −2^n, −2^n + 1 — plus the field's rule thresholds. protocol/ must accept a
 *   case exactly when the circuit's constraints hold: an accepted case is proved from
 *   protocol/'s own witness (and the adversary's patched input must reproduce its public
 *   inputs, which checks the patch); a refused case is the adversary's complete witness, which
 *   the R1CS must reject. `TESSERA_DIFFERENTIAL=full` adds random values inside each width.
 *
 * The other invariant, determinism, is determinism.test.ts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sign } from "../protocol/fixtures.ts";
import {
  BatchBuilder,
  emptyAccount,
  freeCollateral,
  packSettlement,
  ProtocolError,
  proofLength,
  RollupState,
  toCircuitInput,
  toField,
  TxType,
} from "../../protocol/index.ts";
import type { Account, Batch, BatchContext, CircuitInput, Order, SignedOrder, Tx } from "../../protocol/index.ts";
import type { CircuitInputs } from "./harness.ts";
import { c, input, recordIndex, setOrder, setPublic, trees } from "./adversary.ts";
import { adversarialWitness, BTC, ETH, NEAR_CALL, scenario, setSlot, TEST } from "./scenarios.ts";

const U = TEST.underlyings;
const record = (k: number): number => 4 + U + k;

// ---------------------------------------------------------------------------------- the table

/** Where a field lives: a scenario batch and a slot whose later slots do not touch its accounts. */
interface Target {
  readonly scenario: string;
  readonly slot: number;
}

/** One numeric field: its width, and how to set it in protocol/'s transaction and in the circuit input. */
interface Field {
  readonly type: string;
  readonly name: string;
  readonly bits: number;
  readonly signed?: boolean;
  readonly at: Target;
  /** Rule thresholds worth a case besides the width's edges. */
  readonly extra?: (before: RollupState) => readonly bigint[];
  /** The scenario's transaction and context with the field set to v. */
  readonly protocol: (tx: Tx, ctx: BatchContext, v: bigint) => { tx: Tx; ctx: BatchContext };
  /** The same change made by the adversary in the honest circuit input (orders re-signed). */
  readonly circuit: (inp: CircuitInputs, v: bigint, before: RollupState) => void;
}

type TradeTx = Extract<Tx, { type: typeof TxType.TRADE }>;

/** A signed order with one field changed, signed again by its account's key. */
function changed(o: SignedOrder, change: Partial<Order>): SignedOrder {
  return sign({ ...o.order, ...change });
}

/** Sets account `side` of `slot` to `id` as it is in `before` (an empty leaf out of range). */
function setAccount(inp: CircuitInputs, side: "a" | "b", slot: number, id: bigint, before: RollupState): void {
  let acc: Account;
  try {
    acc = before.account(id);
  } catch {
    acc = emptyAccount(TEST);
  }
  setSlot(inp, `${side}Id`, slot, id);
  setSlot(inp, `${side}PkHash`, slot, acc.pkHash);
  setSlot(inp, `${side}Owner`, slot, acc.owner);
  setSlot(inp, `${side}Collateral`, slot, acc.collateral);
  setSlot(inp, `${side}OrderRoot`, slot, acc.orderRoot);
  acc.positions.forEach((p, j) => {
    setSlot(inp, `${side}PosInst`, slot, p.instrument, j);
    setSlot(inp, `${side}PosSize`, slot, p.size, j);
    setSlot(inp, `${side}PosCost`, slot, p.cost, j);
  });
}

/** Sets order `prefix` of `slot` to `s` with its order-tree leaf and path as they are in `before`. */
function setOrderWithSlot(
  inp: CircuitInputs,
  prefix: "oa" | "ob",
  slot: number,
  s: SignedOrder,
  before: RollupState,
): void {
  setOrder(inp, prefix, slot, s);
  const { accountId, orderId } = s.order;
  let stored = { orderId: 0n, filled: 0n };
  let siblings: readonly bigint[] = [];
  try {
    stored = before.orderState(accountId, orderId);
    siblings = before.orderProof(accountId, orderId).siblings;
  } catch {
    siblings = Array.from({ length: proofLength(TEST.orderDepth) }, () => 0n);
  }
  setSlot(inp, `${prefix}StoredId`, slot, stored.orderId);
  setSlot(inp, `${prefix}StoredFilled`, slot, stored.filled);
  siblings.forEach((v, j) => setSlot(inp, `${prefix}Siblings`, slot, v, j));
}

const TRADE: Target = { scenario: "boundary orders", slot: 0 };
const DEPOSIT: Target = { scenario: "thin accounts for the insurance fund", slot: 1 };
/** The deposit record a deposit slot uses: the number of deposit slots before it. */
function recordOf(t: Target): number {
  return scenario(t.scenario)
    .batch.witnesses.slice(0, t.slot)
    .filter((w) => w.tx.type === TxType.DEPOSIT).length;
}
const WITHDRAW: Target = { scenario: "withdraw and served forced withdrawal", slot: 0 };
const FORCED: Target = { scenario: "withdraw and served forced withdrawal", slot: 1 };
const LIQUIDATE: Target = { scenario: "liquidation", slot: 0 };
const FUNDING: Target = { scenario: "funding and no-op", slot: 0 };
const SETTLE: Target = { scenario: "option settlement", slot: 0 };
const SWEEP: Target = { scenario: "refused forced withdrawal and fee sweep", slot: 1 };
const SECOND_LIQUIDATION: Target = { scenario: "liquidations into two insurance fund accounts", slot: 1 };
const FORCED_CLOSE_REFUSAL: Target = { scenario: "forced close of a long option and a refusal", slot: 1 };

/** What account 3 (the forced-withdrawal target) may withdraw before its batch. */
function forcedWithdrawable(before: RollupState): bigint {
  const ctx = scenario(FORCED.scenario).batch.context;
  return freeCollateral(before.account(3n), { prices: ctx.prices, fundingIndex: before.globalState.fundingIndex });
}

/** A field of the maker ("oa") or taker ("ob") order of the trade target. */
function orderField(prefix: "oa" | "ob", name: keyof Order, bits: number, extra?: readonly bigint[]): Field {
  const role = prefix === "oa" ? "maker" : "taker";
  return {
    type: "trade",
    name: `${role} ${name}`,
    bits,
    at: TRADE,
    ...(extra === undefined ? {} : { extra: () => extra }),
    protocol: (tx, ctx, v) => {
      const t = tx as TradeTx;
      return { tx: { ...t, [role]: changed(t[role], { [name]: name === "side" ? Number(v) : v }) }, ctx };
    },
    circuit: (inp, v, before) => {
      const t = scenario(TRADE.scenario).batch.witnesses[TRADE.slot]!.tx as TradeTx;
      const s = changed(t[role], { [name]: name === "side" ? Number(v) : v });
      if (name === "orderId") setOrderWithSlot(inp, prefix, TRADE.slot, s, before);
      else setOrder(inp, prefix, TRADE.slot, s);
    },
  };
}

/** A field of the withdrawal message of the withdraw target (its size is the amount). */
function withdrawalField(name: string, key: keyof Order, bits: number): Field {
  type WithdrawTx = Extract<Tx, { type: typeof TxType.WITHDRAW }>;
  const message = (v: bigint): SignedOrder => {
    const w = (scenario(WITHDRAW.scenario).batch.witnesses[WITHDRAW.slot]!.tx as WithdrawTx).withdrawal;
    return changed(w, { [key]: v });
  };
  return {
    type: "withdraw",
    name,
    bits,
    at: WITHDRAW,
    protocol: (_tx, ctx, v) => ({ tx: { type: TxType.WITHDRAW, withdrawal: message(v) } satisfies WithdrawTx, ctx }),
    circuit: (inp, v, before) => {
      if (key === "size") setSlot(inp, "amount", WITHDRAW.slot, v);
      if (key === "orderId") setOrderWithSlot(inp, "oa", WITHDRAW.slot, message(v), before);
      else setOrder(inp, "oa", WITHDRAW.slot, message(v));
    },
  };
}

const FIELDS: readonly Field[] = [
  {
    type: "deposit",
    name: "amount",
    bits: 56,
    at: DEPOSIT,
    protocol: (tx, ctx, v) => ({ tx: { ...(tx as Extract<Tx, { type: 1 }>), amount: v }, ctx }),
    circuit: (inp, v) => setSlot(inp, "amount", DEPOSIT.slot, v),
  },
  {
    type: "deposit",
    name: "owner",
    bits: 160,
    at: DEPOSIT,
    protocol: (tx, ctx, v) => ({ tx: { ...(tx as Extract<Tx, { type: 1 }>), owner: v }, ctx }),
    // The owner is the slot's deposit record in the public data (§8), not a slot parameter.
    circuit: (inp, v) => setPublic(inp, recordIndex(recordOf(DEPOSIT)), v),
  },
  {
    type: "deposit",
    name: "accountId",
    bits: TEST.accountDepth,
    at: DEPOSIT,
    protocol: (tx, ctx, v) => ({ tx: { ...(tx as Extract<Tx, { type: 1 }>), accountId: v }, ctx }),
    circuit: (inp, v, before) => setAccount(inp, "a", DEPOSIT.slot, v, before),
  },
  withdrawalField("amount", "size", 48),
  withdrawalField("expiry", "expiry", 32),
  withdrawalField("orderId", "orderId", 48),
  withdrawalField("flags", "flags", 4),
  {
    type: "forced withdrawal",
    name: "requested",
    bits: 56,
    at: FORCED,
    extra: (before) => {
      const w = forcedWithdrawable(before);
      return [before.account(3n).collateral, before.account(3n).collateral + 1n, w - 1n, w, w + 1n];
    },
    protocol: (tx, ctx, v) => ({ tx: { ...(tx as Extract<Tx, { type: 3 }>), requested: v }, ctx }),
    // The prover serves min(requested, withdrawable) (finding F11): the adversary does the same.
    circuit: (inp, v, before) => {
      const w = forcedWithdrawable(before);
      setSlot(inp, "amount", FORCED.slot, v);
      setSlot(inp, "served", FORCED.slot, v < w ? v : w);
    },
  },
  {
    type: "forced close",
    name: "instrument of a refusal",
    bits: 82,
    at: FORCED_CLOSE_REFUSAL,
    extra: () => [ETH, BTC, NEAR_CALL],
    protocol: (tx, ctx, v) => ({ tx: { ...(tx as Extract<Tx, { type: 9 }>), instrument: v }, ctx }),
    circuit: (inp, v) => setSlot(inp, "instrument", FORCED_CLOSE_REFUSAL.slot, v),
  },
  {
    type: "trade",
    name: "fill size",
    bits: 32,
    at: TRADE,
    protocol: (tx, ctx, v) => ({ tx: { ...(tx as TradeTx), size: v }, ctx }),
    circuit: (inp, v) => setSlot(inp, "fillSize", TRADE.slot, v),
  },
  {
    type: "trade",
    name: "fill price",
    bits: 32,
    at: TRADE,
    protocol: (tx, ctx, v) => ({ tx: { ...(tx as TradeTx), price: v }, ctx }),
    circuit: (inp, v) => setSlot(inp, "fillPrice", TRADE.slot, v),
  },
  orderField("oa", "price", 40),
  orderField("oa", "size", 48),
  orderField("oa", "expiry", 32),
  orderField("oa", "flags", 4, [2n, 3n]),
  orderField("oa", "side", 1),
  // The window of §5.3 at its edges: ids around 2^32 in the maker's slot (its order is id 40)
  // and in slot 3, and 2^32 above the maker's own id, which posts the same low bits.
  orderField("oa", "orderId", 48, [(1n << 32n) - 1n, 1n << 32n, (1n << 32n) + 3n, (1n << 32n) + 40n]),
  orderField("ob", "price", 40),
  orderField("ob", "size", 48),
  orderField("ob", "expiry", 32),
  orderField("ob", "flags", 4, [2n]),
  {
    type: "liquidation",
    name: "size into a second fund account",
    bits: 48,
    at: SECOND_LIQUIDATION,
    extra: (before) => {
      const held = -before.account(9n).positions[0]!.size;
      return [held, held + 1n, 2n];
    },
    protocol: (tx, ctx, v) => ({ tx: { ...(tx as Extract<Tx, { type: 5 }>), size: v }, ctx }),
    circuit: (inp, v) => setSlot(inp, "fillSize", SECOND_LIQUIDATION.slot, v),
  },
  {
    type: "context",
    name: "BTC price",
    bits: 40,
    at: TRADE,
    protocol: (tx, ctx, v) => ({ tx, ctx: { ...ctx, prices: [ctx.prices[0]!, v] } }),
    circuit: (inp, v) => setPublic(inp, 5, v),
  },
  {
    type: "liquidation",
    name: "size",
    bits: 48,
    at: LIQUIDATE,
    extra: (before) => {
      const held = before.account(4n).positions[0]!.size;
      return [held, held + 1n];
    },
    protocol: (tx, ctx, v) => ({ tx: { ...(tx as Extract<Tx, { type: 5 }>), size: v }, ctx }),
    circuit: (inp, v) => setSlot(inp, "fillSize", LIQUIDATE.slot, v),
  },
  {
    type: "funding",
    name: "delta",
    bits: 56,
    signed: true,
    at: FUNDING,
    // The cap at 3,000 USDC: |delta| ≤ 300.
    extra: () => [300n, 301n, -300n, -301n],
    protocol: (tx, ctx, v) => ({ tx: { ...(tx as Extract<Tx, { type: 6 }>), delta: v }, ctx }),
    circuit: (inp, v) => setSlot(inp, "delta", FUNDING.slot, v),
  },
  {
    type: "funding",
    name: "underlying",
    bits: 8,
    at: FUNDING,
    extra: () => [2n, 3n],
    protocol: (tx, ctx, v) => ({ tx: { ...(tx as Extract<Tx, { type: 6 }>), underlying: Number(v) }, ctx }),
    circuit: (inp, v) => setSlot(inp, "underlying", FUNDING.slot, v),
  },
  {
    type: "settlement",
    name: "record price",
    bits: 40,
    at: SETTLE,
    protocol: (tx, ctx, v) => ({
      tx,
      ctx: { ...ctx, settlements: ctx.settlements.map((r, k) => (k === 0 ? { ...r, price: v } : r)) },
    }),
    circuit: (inp, v) => {
      const r = scenario(SETTLE.scenario).batch.context.settlements[0]!;
      // The packed record: a price beyond 40 bits spills into bit 80 and up, as a prover would post it.
      setPublic(inp, record(0), packSettlement({ ...r, price: 0n }) + (v << 40n));
    },
  },
  {
    type: "fee sweep",
    name: "amount",
    bits: 56,
    at: SWEEP,
    extra: (before) => [before.globalState.feePool, before.globalState.feePool + 1n],
    protocol: (tx, ctx, v) => ({ tx: { ...(tx as Extract<Tx, { type: 8 }>), amount: v }, ctx }),
    circuit: (inp, v, before) => {
      setSlot(inp, "amount", SWEEP.slot, v);
      // B is account 0 again, as A left it.
      setSlot(inp, "bCollateral", SWEEP.slot, before.account(0n).collateral + v);
    },
  },
  {
    type: "context",
    name: "batch time",
    bits: 32,
    at: TRADE,
    protocol: (tx, ctx, v) => ({ tx, ctx: { ...ctx, timestamp: v } }),
    circuit: (inp, v) => setPublic(inp, 2, v),
  },
  {
    type: "context",
    name: "ETH price",
    bits: 40,
    at: TRADE,
    protocol: (tx, ctx, v) => ({ tx, ctx: { ...ctx, prices: [v, ...ctx.prices.slice(1)] } }),
    circuit: (inp, v) => setPublic(inp, 4, v),
  },
];

/** Edges of a width: 0, 1, 2^n − 2, 2^n − 1, 2^n; signed also −1, −2^n + 1, −2^n. */
function edges(bits: number, signed: boolean): bigint[] {
  const top = 1n << BigInt(bits);
  const out = new Set<bigint>([0n, 1n, top - 2n, top - 1n, top]);
  if (signed) for (const v of [-1n, -top + 1n, -top]) out.add(v);
  return [...out].filter((v) => v >= (signed ? -top : 0n));
}

/** Deterministic random values inside a width (xorshift on bigints). */
function randomValues(bits: number, signed: boolean, n: number, seed: bigint): bigint[] {
  let x = seed | 1n;
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) {
    x ^= (x << 13n) & ((1n << 256n) - 1n);
    x ^= x >> 7n;
    x ^= (x << 17n) & ((1n << 256n) - 1n);
    const width = BigInt(1 + Number(x % BigInt(bits)));
    const v = (x >> 8n) % (1n << width);
    out.push(signed && (x & 1n) === 1n ? -v : v);
  }
  return out;
}

// --------------------------------------------------------------------------------- verdicts

/** protocol/'s verdict: the batch with the changed transaction and context, or null when refused. */
function protocolBatch(field: Field, v: bigint): Batch | null {
  const s = scenario(field.at.scenario);
  const txs = s.batch.witnesses.map((w) => w.tx);
  const { tx, ctx } = field.protocol(txs[field.at.slot]!, s.batch.context, v);
  try {
    const builder = new BatchBuilder(s.before.clone(), ctx);
    txs.forEach((t, i) => {
      if (t.type !== TxType.NOOP || i === field.at.slot) builder.add(i === field.at.slot ? tx : t);
    });
    return builder.close();
  } catch (e) {
    if (e instanceof ProtocolError) return null;
    throw e;
  }
}

/** The adversary's input for the same change, from the scenario's honest input. */
function patched(field: Field, v: bigint): CircuitInputs {
  const s = scenario(field.at.scenario);
  const inp = input(field.at.scenario);
  field.circuit(inp, v, s.before);
  return inp;
}

/** The adversary's witness; an account id beyond the tree has no path to recompute. */
function adversaryOf(inp: CircuitInputs): ReturnType<typeof adversarialWitness> {
  try {
    return adversarialWitness(c, inp, [], trees.get(inp));
  } catch (e) {
    if (!(e instanceof ProtocolError && e.code === "OUT_OF_RANGE")) throw e;
    return adversarialWitness(c, inp);
  }
}

const full = process.env["TESSERA_DIFFERENTIAL"] === "full";

describe("differential: protocol/ accepts exactly when the circuit's constraints hold", () => {
  let cases = 0;
  for (const field of FIELDS) {
    test(`differential: ${field.type} ${field.name} (${field.signed === true ? "signed " : ""}${field.bits} bits)`, () => {
      const before = scenario(field.at.scenario).before;
      const values = new Set<bigint>([...edges(field.bits, field.signed === true), ...(field.extra?.(before) ?? [])]);
      if (full) for (const v of randomValues(field.bits, field.signed === true, 20, BigInt(cases + 7))) values.add(v);
      for (const v of values) {
        cases++;
        const batch = protocolBatch(field, v);
        const inp = patched(field, v);
        const adversary = adversaryOf(inp);
        const circuitAccepts = c.violated(adversary.witness).length === 0;
        if (batch === null) {
          assert.equal(circuitAccepts, false, `${field.name} = ${v}: protocol/ refuses it, the circuit must too`);
          continue;
        }
        // Accepted: protocol/'s own witness satisfies the R1CS ...
        const honest = c.witness(toCircuitInput(batch) as CircuitInput as CircuitInputs);
        assert.deepEqual(c.violated(honest), [], `${field.name} = ${v}: protocol/ accepts it, the circuit must too`);
        // ... and the adversary's patch of the same change publishes the same inputs.
        batch.publicData.forEach((p, j) => {
          assert.equal(adversary.published[j], toField(p), `${field.name} = ${v}: public input ${j}`);
        });
        assert.ok(circuitAccepts, `${field.name} = ${v}: the patched input is accepted too`);
      }
    });
  }

  test("differential: at least 150 cases ran, from every transaction type", () => {
    assert.ok(cases >= 150, `${cases} cases`);
    const types = new Set(FIELDS.map((f) => f.type));
    for (const t of [
      "deposit",
      "withdraw",
      "forced withdrawal",
      "trade",
      "liquidation",
      "funding",
      "settlement",
      "fee sweep",
      "forced close",
    ]) {
      assert.ok(types.has(t), t);
    }
  });
});
