/**
 * Gadget tests: each gadget compiled on its own, checked at edge values and bit-width sweeps,
 * against the reference model where one exists, and with tampered witnesses.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import {
  decodeInstrument,
  encodeInstrument,
  equity,
  expiredOption,
  FIELD_MODULUS,
  fitsSigned,
  initialMarginScaled,
  InstrumentKind,
  leafHash,
  maintenanceMarginScaled,
  orderHash,
  SparseMerkleTree,
  toField,
} from "../../protocol/index.ts";
import type { Account, InstrumentKindCode, Position, Profile } from "../../protocol/index.ts";
import { DEMO, DOMAIN, TEST } from "../protocol/fixtures.ts";
import { Circuit } from "./harness.ts";
import type { CircuitInputs, Witness } from "./harness.ts";

const r = FIELD_MODULUS;

/** Deterministic pseudo-random bigints (xorshift64*). */
function rng(seed: bigint): (bits: number) => bigint {
  let x = seed;
  return (bits: number): bigint => {
    let out = 0n;
    for (let have = 0; have < bits; have += 64) {
      x ^= x >> 12n;
      x ^= (x << 25n) & 0xffffffffffffffffn;
      x ^= x >> 27n;
      out = (out << 64n) | ((x * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn);
    }
    return out & ((1n << BigInt(bits)) - 1n);
  };
}

/** Compiles a small main whose source is `body` after the given includes. */
function gadget(name: string, includes: readonly string[], body: string): Promise<Circuit> {
  const source = `pragma circom 2.1.6;\n${includes.map((i) => `include "${i}";`).join("\n")}\n${body}\n`;
  return Circuit.fromSource(`gadget-${name}`, source);
}

/** The witness ignoring asserts, and whether the R1CS accepts it. */
function judge(c: Circuit, input: CircuitInputs): { w: Witness; ok: boolean } {
  const { witness } = c.witnessIgnoringAsserts(input);
  return { w: witness, ok: c.satisfies(witness) };
}

/** A batch time before every expiry the risk tests use. */
const T_RISK = 1_800_000_000n;

describe("range checks", () => {
  const N = 64;
  let range: Circuit;
  let signed: Circuit;
  before(async () => {
    range = await gadget(
      "range-sweep",
      ["lib/range.circom"],
      `template Sweep(N) { signal input in[N]; for (var i = 0; i < N; i++) { RangeCheck(i + 1)(in[i]); } }
component main = Sweep(${N});`,
    );
    signed = await gadget(
      "signed-sweep",
      ["lib/range.circom"],
      `template Sweep(N) { signal input in[N]; signal output neg[N]; for (var i = 0; i < N; i++) { neg[i] <== SignedRange(i + 1)(in[i]); } }
component main = Sweep(${N});`,
    );
  });

  const only = (n: number, v: bigint): CircuitInputs => ({
    in: Array.from({ length: N }, (_, i) => (i === n - 1 ? toField(v) : 0n)),
  });

  test("RangeCheck(n) accepts 0 and 2^n − 1 and rejects 2^n, for every n in 1..64", () => {
    for (let n = 1; n <= N; n++) {
      const top = (1n << BigInt(n)) - 1n;
      assert.ok(judge(range, only(n, 0n)).ok, `0 in ${n} bits`);
      assert.ok(judge(range, only(n, top)).ok, `2^${n} - 1 in ${n} bits`);
      assert.equal(judge(range, only(n, top + 1n)).ok, false, `2^${n} in ${n} bits`);
    }
  });

  test("RangeCheck rejects field-wrapped negatives (r − 1, r − 2^n)", () => {
    for (const n of [1, 8, 32, 56, 64]) {
      assert.equal(judge(range, only(n, r - 1n)).ok, false);
      assert.equal(judge(range, only(n, r - (1n << BigInt(n)))).ok, false);
    }
  });

  test("finding F8: SignedRange(n) accepts exactly protocol's (−2^n, 2^n) with the right sign, for n in 1..64", () => {
    for (let n = 1; n <= N; n++) {
      const b = 1n << BigInt(n);
      for (const [v, neg] of [
        [0n, 0n],
        [b - 1n, 0n],
        [-1n, 1n],
        [-b + 1n, 1n],
      ] as const) {
        assert.ok(fitsSigned(v, n), `protocol accepts ${v} in signed ${n}`);
        const { w, ok } = judge(signed, only(n, v));
        assert.ok(ok, `${v} in signed ${n}`);
        assert.equal(signed.get(w, `neg[${n - 1}]`), neg, `sign of ${v}`);
      }
      for (const v of [b, -b, -b - 1n]) {
        assert.equal(fitsSigned(v, n), false, `protocol refuses ${v} in signed ${n}`);
        assert.equal(judge(signed, only(n, v)).ok, false, `${v} in signed ${n}`);
      }
    }
  });

  test("a tampered sign bit violates SignedRange", () => {
    const { w } = judge(signed, only(48, -5n));
    assert.equal(signed.get(w, "neg[47]"), 1n);
    assert.equal(signed.satisfies(signed.tamper(w, { "neg[47]": 0n })), false);
  });
});

describe("safe comparisons and division", () => {
  let lt: Circuit;
  let le: Circuit;
  let div: Circuit;
  before(async () => {
    lt = await gadget("safe-lt", ["lib/range.circom"], "component main = SafeLessThan(40);");
    le = await gadget("safe-le", ["lib/range.circom"], "component main = SafeLessEqThan(32);");
    div = await gadget("div-bps", ["lib/range.circom"], "component main = DivByConst(82, 10000);");
  });

  test("SafeLessThan(40) orders values at the edges", () => {
    const top = (1n << 40n) - 1n;
    for (const [a, b, out] of [
      [0n, 0n, 0n],
      [0n, 1n, 1n],
      [1n, 0n, 0n],
      [top - 1n, top, 1n],
      [top, top, 0n],
      [top, 0n, 0n],
    ] as const) {
      const { w, ok } = judge(lt, { a, b });
      assert.ok(ok);
      assert.equal(lt.get(w, "out"), out, `${a} < ${b}`);
    }
  });

  test("finding F3: SafeLessEqThan(32) proves a ≤ 2^32 − 1, the largest expiry protocol accepts", () => {
    const top = (1n << 32n) - 1n;
    for (const [a, b, out] of [
      [0n, 0n, 1n],
      [top, top, 1n],
      [top - 1n, top, 1n],
      [0n, top, 1n],
      [top, top - 1n, 0n],
      [1n, 0n, 0n],
    ] as const) {
      const { w, ok } = judge(le, { a, b });
      assert.ok(ok, `${a} <= ${b} has a witness`);
      assert.equal(le.get(w, "out"), out, `${a} <= ${b}`);
      // The output is forced: flipping it breaks the constraints.
      assert.equal(le.satisfies(le.tamper(w, { out: 1n - out })), false, `forced ${a} <= ${b}`);
    }
    assert.equal(judge(le, { a: 0n, b: top + 1n }).ok, false, "b beyond 32 bits");
  });

  test("SafeLessThan(40) rejects inputs beyond 40 bits, including wrapped negatives", () => {
    for (const [a, b] of [
      [1n << 40n, 0n],
      [0n, 1n << 40n],
      [r - 1n, 5n],
    ] as const) {
      assert.equal(judge(lt, { a, b }).ok, false, `${a} vs ${b}`);
    }
  });

  test("DivByConst(82, 10^4) floors, and a shifted quotient/remainder pair is rejected", () => {
    const rand = rng(7n);
    for (let i = 0; i < 40; i++) {
      const num = rand(91);
      const { w, ok } = judge(div, { num });
      assert.ok(ok);
      assert.equal(div.get(w, "q"), num / 10000n);
      assert.equal(div.get(w, "rem"), num % 10000n);
    }
    const { w } = judge(div, { num: 123_456_789n });
    // q − 1 with rem + 10^4 satisfies num = q·d + rem but not rem < d.
    const forged = div.tamper(w, { q: div.get(w, "q") - 1n, rem: div.get(w, "rem") + 10000n });
    assert.equal(div.satisfies(forged), false);
  });
});

describe("hashes and trees match the reference model", () => {
  let merkle: Circuit;
  let leaf2: Circuit;
  let leaf4: Circuit;
  let leafAfter: Circuit;
  let ordHash: Circuit;
  before(async () => {
    merkle = await gadget(
      "merkle-4",
      ["lib/merkle.circom"],
      `template Root(d) { signal input index; signal input leaf; signal input siblings[3 * d \\ 2]; signal output root;
  signal bits[d] <== IndexBits(d)(index); root <== MerkleRoot(d)(leaf, bits, siblings); }
component main = Root(4);`,
    );
    leaf2 = await gadget("leaf-2", ["lib/account.circom"], "component main = AccountLeaf(2);");
    leaf4 = await gadget("leaf-4", ["lib/account.circom"], "component main = AccountLeaf(4);");
    // AccountLeafAfter wired as tx.circom wires it: the before leaf's pair hashes, a one-hot
    // slot, and the slots after with only that one changed.
    leafAfter = await gadget(
      "leaf-after",
      ["lib/account.circom", "lib/select.circom"],
      `template LeafAfter(P) {
  signal input pkHash; signal input owner; signal input collateral; signal input orderRoot;
  signal input inst[P]; signal input size[P]; signal input cost[P]; signal input index;
  signal input newInst; signal input newSize; signal input newCost;
  signal output out;
  signal sel[P] <== OneHot(P)(index);
  component before = AccountLeaf(P);
  before.pkHash <== pkHash; before.owner <== owner; before.collateral <== collateral; before.orderRoot <== orderRoot;
  before.inst <== inst; before.size <== size; before.cost <== cost;
  component after = AccountLeafAfter(P);
  after.pkHash <== pkHash; after.owner <== owner; after.collateral <== collateral; after.orderRoot <== orderRoot;
  after.sel <== sel; after.pairBefore <== before.pair;
  for (var j = 0; j < P; j++) {
    after.inst[j] <== inst[j] + sel[j] * (newInst - inst[j]);
    after.size[j] <== size[j] + sel[j] * (newSize - size[j]);
    after.cost[j] <== cost[j] + sel[j] * (newCost - cost[j]);
  }
  out <== after.out;
}
component main = LeafAfter(8);`,
    );
    ordHash = await gadget("order-hash", ["lib/order.circom"], "component main = OrderHash();");
  });

  test("MerkleRoot over IndexBits equals protocol's tree root at every index; index 16 is out of range", () => {
    const rand = rng(11n);
    const tree = new SparseMerkleTree(4, 0n);
    for (let i = 0n; i < 16n; i += 3n) tree.set(i, rand(250));
    for (let i = 0n; i < 16n; i++) {
      const proof = tree.proof(i);
      const { w, ok } = judge(merkle, { index: i, leaf: tree.get(i), siblings: proof.siblings.slice() });
      assert.ok(ok);
      assert.equal(merkle.get(w, "root"), tree.root);
    }
    const p = tree.proof(0n);
    assert.equal(judge(merkle, { index: 16n, leaf: tree.get(0n), siblings: p.siblings.slice() }).ok, false);
  });

  test("MerkleRoot places the node at its own position: a path read at any other index gives another root", () => {
    // Every leaf distinct, so a node placed at a wrong child position (at either level) changes
    // the root: the placement constraints admit exactly the index's own position.
    const rand = rng(12n);
    const tree = new SparseMerkleTree(4, 0n);
    for (let i = 0n; i < 16n; i++) tree.set(i, rand(250));
    for (let i = 0n; i < 16n; i++) {
      const proof = tree.proof(i);
      for (let j = 0n; j < 16n; j++) {
        if (j === i) continue;
        const { w, ok } = judge(merkle, { index: j, leaf: tree.get(i), siblings: proof.siblings.slice() });
        assert.ok(ok);
        assert.notEqual(merkle.get(w, "root"), tree.root, `leaf ${i} read at index ${j}`);
      }
    }
  });

  const account = (profile: Profile, seed: bigint): Account => {
    const rand = rng(seed);
    const positions: Position[] = Array.from({ length: profile.positions }, (_, j) =>
      j % 3 === 2
        ? { instrument: 0n, size: 0n, cost: 0n }
        : { instrument: rand(82), size: rand(47) * (j % 2 === 0 ? -1n : 1n), cost: -rand(95) },
    );
    return { pkHash: rand(253), owner: rand(160), collateral: -rand(63), orderRoot: rand(253), positions };
  };

  /** AccountLeaf's inputs for an account (signed fields field-encoded). */
  const leafInputs = (a: Account): CircuitInputs => ({
    pkHash: a.pkHash,
    owner: a.owner,
    collateral: toField(a.collateral),
    orderRoot: a.orderRoot,
    inst: a.positions.map((p) => p.instrument),
    size: a.positions.map((p) => toField(p.size)),
    cost: a.positions.map((p) => toField(p.cost)),
  });

  for (const [profile, name] of [
    [TEST, "2"],
    [DEMO, "4"],
  ] as const) {
    test(`AccountLeaf(${name}) equals protocol's leafHash, signed fields included`, () => {
      const c = name === "2" ? leaf2 : leaf4;
      for (const seed of [1n, 2n, 3n]) {
        const a = account(profile, seed);
        const { w, ok } = judge(c, leafInputs(a));
        assert.ok(ok);
        assert.equal(c.get(w, "out"), leafHash(a, profile));
      }
    });
  }

  test("AccountLeafAfter equals protocol's leafHash of the updated slots, at every slot (P = 8)", () => {
    // Only the changed slot's pair is hashed again; the other pairs come from the leaf before.
    // Every index of an 8-slot account, the slot emptied, opened or changed, must give the leaf
    // protocol/ computes from scratch.
    const profile = { ...DEMO, positions: 8 };
    const rand = rng(33n);
    for (let index = 0; index < 8; index++) {
      for (const kind of ["emptied", "opened", "changed"] as const) {
        const empty: Position = { instrument: 0n, size: 0n, cost: 0n };
        const drawn = account(profile, BigInt(100 + index));
        const a: Account =
          kind === "opened" ? { ...drawn, positions: drawn.positions.map((p, j) => (j === index ? empty : p)) } : drawn;
        const next: Position = kind === "emptied" ? empty : { instrument: rand(82), size: -rand(47), cost: rand(95) };
        const { w, ok } = judge(leafAfter, {
          ...leafInputs(a),
          index: BigInt(index),
          newInst: next.instrument,
          newSize: toField(next.size),
          newCost: toField(next.cost),
        });
        assert.ok(ok, `index ${index}, ${kind}`);
        const positions = a.positions.slice();
        positions[index] = next;
        assert.equal(leafAfter.get(w, "out"), leafHash({ ...a, positions }, profile), `index ${index}, ${kind}`);
      }
    }
  });

  test("OrderHash equals protocol's orderHash", () => {
    const o = {
      accountId: 9n,
      instrument: encodeInstrument({
        underlying: 2,
        kind: InstrumentKind.PUT,
        strike: 5_000_000n,
        expiry: 1_900_000_000n,
      }),
      side: 1 as const,
      size: 123_456n,
      price: 4_999_999n,
      orderId: (1n << 48n) - 1n,
      expiry: 1_900_000_000n,
      flags: 5n,
    };
    const { w, ok } = judge(ordHash, {
      domain: DOMAIN,
      accountId: o.accountId,
      instrument: o.instrument,
      side: BigInt(o.side),
      size: o.size,
      price: o.price,
      orderId: o.orderId,
      expiry: o.expiry,
      flags: o.flags,
    });
    assert.ok(ok);
    assert.equal(ordHash.get(w, "out"), orderHash(o, DOMAIN));
  });
});

describe("instruments and margin match the reference model", () => {
  let decode: Circuit;
  let risk: Circuit;
  let riskAfter: Circuit;
  before(async () => {
    decode = await gadget("instrument-decode", ["lib/instrument.circom"], "component main = InstrumentDecode();");
    risk = await gadget("account-risk", ["lib/margin.circom"], "component main = AccountRisk(4, 2);");
    // AccountRiskAfter wired as tx.circom wires it, beside a full AccountRisk of the same slots
    // after the change, so the test compares the two outright.
    riskAfter = await gadget(
      "account-risk-after",
      ["lib/margin.circom", "lib/select.circom"],
      `template RiskAfter(P, U) {
  signal input inst[P]; signal input size[P]; signal input cost[P]; signal input index;
  signal input newInst; signal input newSize; signal input newCost;
  signal input prices[U]; signal input funding[U]; signal input t;
  signal output after[4]; signal output full[4];
  signal sel[P] <== OneHot(P)(index);
  component before = AccountRisk(P, U);
  before.inst <== inst; before.size <== size; before.cost <== cost;
  before.prices <== prices; before.funding <== funding; before.t <== t;
  component inc = AccountRiskAfter(P, U);
  inc.sel <== sel;
  inc.beforeValueSum <== before.valueSum; inc.beforeIm <== before.im;
  inc.beforeMm <== before.mm; inc.beforeExpired <== before.expired;
  inc.posValue <== before.posValue; inc.posIm <== before.posIm;
  inc.posMm <== before.posMm; inc.posExpired <== before.posExpired;
  inc.inst <== newInst; inc.size <== newSize; inc.cost <== newCost;
  inc.prices <== prices; inc.funding <== funding; inc.t <== t;
  component all = AccountRisk(P, U);
  for (var j = 0; j < P; j++) {
    all.inst[j] <== inst[j] + sel[j] * (newInst - inst[j]);
    all.size[j] <== size[j] + sel[j] * (newSize - size[j]);
    all.cost[j] <== cost[j] + sel[j] * (newCost - cost[j]);
  }
  all.prices <== prices; all.funding <== funding; all.t <== t;
  after <== [inc.valueSum, inc.im, inc.mm, inc.expired];
  full <== [all.valueSum, all.im, all.mm, all.expired];
}
component main = RiskAfter(4, 2);`,
    );
  });

  test("InstrumentDecode splits ids like protocol's decodeInstrument; ids of 2^82 and above are rejected", () => {
    const specs = [
      { underlying: 1, kind: InstrumentKind.PERP, strike: 0n, expiry: 0n },
      { underlying: 2, kind: InstrumentKind.CALL, strike: (1n << 40n) - 1n, expiry: (1n << 32n) - 1n },
      { underlying: 255, kind: InstrumentKind.PUT, strike: 1n, expiry: 1n },
    ];
    for (const spec of specs) {
      const id = encodeInstrument(spec);
      const { w, ok } = judge(decode, { id });
      assert.ok(ok);
      const d = decodeInstrument(id);
      assert.equal(decode.get(w, "underlying"), BigInt(d.underlying));
      assert.equal(decode.get(w, "strike"), d.strike);
      assert.equal(decode.get(w, "expiry"), d.expiry);
      assert.equal(decode.get(w, "isPerp"), d.kind === InstrumentKind.PERP ? 1n : 0n);
      assert.equal(decode.get(w, "isCall"), d.kind === InstrumentKind.CALL ? 1n : 0n);
      assert.equal(decode.get(w, "isPut"), d.kind === InstrumentKind.PUT ? 1n : 0n);
    }
    assert.equal(judge(decode, { id: 1n << 82n }).ok, false);
    const { w } = judge(decode, { id: 3n << 8n }); // kind 3: no kind bit set
    assert.deepEqual(
      ["isPerp", "isCall", "isPut"].map((s) => decode.get(w, s)),
      [0n, 0n, 0n],
    );
  });

  test("AccountRisk gives protocol's equity, IM×10^4 and MM×10^4 for mixed perps and options", () => {
    const rand = rng(5n);
    const prices = [300_000n, 6_000_000n];
    const fundingIndex = [250n, -1_000n];
    for (let round = 0; round < 12; round++) {
      const positions: Position[] = Array.from({ length: 4 }, (_, j) => {
        if (round % 4 === j) return { instrument: 0n, size: 0n, cost: 0n };
        const underlying = Number(rand(1)) + 1;
        const kind = Number(rand(8) % 3n) as InstrumentKindCode;
        const strike = kind === InstrumentKind.PERP ? 0n : (prices[underlying - 1]! * (80n + rand(6))) / 100n;
        const instrument = encodeInstrument({ underlying, kind, strike, expiry: kind === 0 ? 0n : 2_000_000_000n });
        const size = (rand(20) + 1n) * (rand(1) === 0n ? 1n : -1n);
        return { instrument, size, cost: size * (prices[underlying - 1]! - rand(14)) };
      });
      const collateral = rand(40) - (1n << 39n);
      const account: Account = { pkHash: 1n, owner: 1n, collateral, orderRoot: 0n, positions };
      const marks = { prices, fundingIndex };
      const { w, ok } = judge(risk, {
        inst: positions.map((p) => p.instrument),
        size: positions.map((p) => toField(p.size)),
        cost: positions.map((p) => toField(p.cost)),
        prices,
        funding: fundingIndex.map(toField),
        t: T_RISK,
      });
      assert.ok(ok);
      const valueSum = risk.get(w, "valueSum");
      assert.equal(
        toField(collateral + (valueSum > r / 2n ? valueSum - r : valueSum)),
        toField(equity(account, marks)),
      );
      assert.equal(risk.get(w, "im"), initialMarginScaled(account, marks));
      assert.equal(risk.get(w, "mm"), maintenanceMarginScaled(account, marks));
      assert.equal(risk.get(w, "expired"), 0n);
    }
  });

  test("AccountRiskAfter equals AccountRisk of the updated slots: every slot, emptied, opened, flipped, expired", () => {
    // The after-risk of a slot is the before-risk with one slot's terms replaced. Slots hold
    // perps, calls and puts, live and expired; the new content is empty, another instrument, or
    // the same instrument at another size, at every index; prices and funding at their edges.
    const rand = rng(21n);
    const expiry = 2_000_000_000n;
    const prices = [300_000n, 6_000_000n];
    const position = (): Position => {
      if (rand(2) === 0n) return { instrument: 0n, size: 0n, cost: 0n };
      const underlying = Number(rand(1)) + 1;
      const kind = Number(rand(8) % 3n) as InstrumentKindCode;
      const strike = kind === InstrumentKind.PERP ? 0n : (prices[underlying - 1]! * (80n + rand(6))) / 100n;
      const exp = kind === 0 ? 0n : expiry + rand(1); // expired at t = expiry, or live
      const instrument = encodeInstrument({ underlying, kind, strike, expiry: exp });
      const size = (rand(40) + 1n) * (rand(1) === 0n ? 1n : -1n);
      return { instrument, size, cost: size * (prices[underlying - 1]! - rand(14)) };
    };
    const fundings = [
      [0n, 0n],
      [250n, -1_000n],
      [(1n << 40n) - 1n, -(1n << 40n)],
    ];
    for (let round = 0; round < 24; round++) {
      const positions = Array.from({ length: 4 }, position);
      const index = round % 4;
      const next = round % 3 === 0 ? { instrument: 0n, size: 0n, cost: 0n } : position();
      const funding = fundings[round % fundings.length]!;
      const { w, ok } = judge(riskAfter, {
        inst: positions.map((p) => p.instrument),
        size: positions.map((p) => toField(p.size)),
        cost: positions.map((p) => toField(p.cost)),
        index: BigInt(index),
        newInst: next.instrument,
        newSize: toField(next.size),
        newCost: toField(next.cost),
        prices,
        funding: funding.map(toField),
        t: expiry,
      });
      assert.ok(ok, `round ${round}`);
      for (let k = 0; k < 4; k++) {
        assert.equal(riskAfter.get(w, `after[${k}]`), riskAfter.get(w, `full[${k}]`), `round ${round}, output ${k}`);
      }
      const after = positions.slice();
      after[index] = next;
      const account: Account = { pkHash: 1n, owner: 1n, collateral: 0n, orderRoot: 0n, positions: after };
      const marks = { prices, fundingIndex: funding };
      if (expiredOption(account, expiry) === null) {
        assert.equal(
          riskAfter.get(w, "after[1]"),
          initialMarginScaled(account, marks),
          `round ${round}: protocol's IM`,
        );
        assert.equal(
          riskAfter.get(w, "after[2]"),
          maintenanceMarginScaled(account, marks),
          `round ${round}: protocol's MM`,
        );
        assert.equal(riskAfter.get(w, "after[3]"), 0n);
      } else {
        assert.notEqual(riskAfter.get(w, "after[3]"), 0n, `round ${round}: an expired option counted`);
      }
    }
  });

  test("finding F4: AccountRisk counts expired options at the edge of expiry, as protocol's expiredOption", () => {
    const expiry = 2_000_000_000n;
    const call = encodeInstrument({ underlying: 1, kind: InstrumentKind.CALL, strike: 300_000n, expiry });
    const put = encodeInstrument({ underlying: 2, kind: InstrumentKind.PUT, strike: 6_000_000n, expiry: expiry + 1n });
    const positions: Position[] = [
      { instrument: call, size: -5n, cost: -100n },
      { instrument: put, size: 3n, cost: 90n },
      {
        instrument: encodeInstrument({ underlying: 1, kind: InstrumentKind.PERP, strike: 0n, expiry: 0n }),
        size: 1n,
        cost: 1n,
      },
      { instrument: 0n, size: 0n, cost: 0n },
    ];
    const account: Account = { pkHash: 1n, owner: 1n, collateral: 0n, orderRoot: 0n, positions };
    for (const [t, count] of [
      [expiry - 1n, 0n],
      [expiry, 1n],
      [expiry + 1n, 2n],
      [(1n << 32n) - 1n, 2n],
    ] as const) {
      const { w, ok } = judge(risk, {
        inst: positions.map((p) => p.instrument),
        size: positions.map((p) => toField(p.size)),
        cost: positions.map((p) => toField(p.cost)),
        prices: [300_000n, 6_000_000n],
        funding: [0n, 0n],
        t,
      });
      assert.ok(ok);
      assert.equal(risk.get(w, "expired"), count, `t = ${t}`);
      assert.equal(count > 0n, expiredOption(account, t) !== null, `protocol agrees at t = ${t}`);
    }
  });
});
