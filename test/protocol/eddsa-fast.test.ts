/**
 * protocol/eddsa-fast.ts against its three references: circomlibjs (`prv2pub`, `signPoseidon`,
 * `verifyPoseidon`), circomlib's `EdDSAPoseidonVerifier` circuit (compiled once, cached, judged
 * by witness generation: its asserts are the circuit's `===` constraints) and, for the curve,
 * the Baby Jubjub constants.
 *
 * Where the references disagree, the rule is: the fast verifier is at least as strict as the
 * circuit, and never stricter on a valid signature. Known disagreements, each pinned below:
 * - small-order key A (8·A = identity): circomlibjs accepts a forgery, the circuit and the fast
 *   verifier reject it;
 * - A or R8 off the curve: circomlibjs and the fast verifier reject; the circuit has no on-curve
 *   check (the cases here are also rejected by its equation, but it is not guaranteed to be);
 * - non-canonical coordinates (x + P): circomlibjs and the circuit reduce them modulo P; the fast
 *   verifier rejects them (callers must pass canonical field elements).
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { babyjubjub } from "@noble/curves/misc.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { buildEddsa } from "circomlibjs";
import * as snarkjs from "snarkjs";
import { FIELD_MODULUS } from "../../protocol/field.ts";
import { initPoseidon, poseidon } from "../../protocol/poseidon.ts";
import {
  BASE8,
  EddsaInputError,
  EddsaVerifier,
  SUBGROUP_ORDER,
  publicKeyFast,
  signFast,
  verifyFast,
} from "../../protocol/eddsa-fast.ts";
import type { PublicKey, Signature } from "../../protocol/types.ts";
import { compile } from "../../scripts/zk/compile.ts";

/** The part of circomlibjs' eddsa object used here (field elements are its Montgomery bytes). */
interface CircomlibEddsa {
  readonly F: { e(v: bigint): Uint8Array; toObject(v: Uint8Array): bigint };
  readonly babyJub: {
    readonly Generator: Uint8Array[];
    mulPointEscalar(p: Uint8Array[], e: bigint): Uint8Array[];
    addPoint(a: Uint8Array[], b: Uint8Array[]): Uint8Array[];
  };
  prv2pub(privateKey: Uint8Array): Uint8Array[];
  signPoseidon(privateKey: Uint8Array, msg: Uint8Array): { R8: Uint8Array[]; S: bigint };
  verifyPoseidon(msg: Uint8Array, sig: { R8: Uint8Array[]; S: bigint }, A: Uint8Array[]): boolean;
}

const P = FIELD_MODULUS;
const L = SUBGROUP_ORDER;
const PAIRS = 200;
const KEY_PAIRS = 25;

let eddsa: CircomlibEddsa;
let circuitWasm: string;

before(async () => {
  await initPoseidon();
  eddsa = (await buildEddsa()) as CircomlibEddsa;
  const compiled = await compile({
    name: "eddsa-poseidon-verifier",
    source:
      'pragma circom 2.0.0;\ninclude "circomlib/circuits/eddsaposeidon.circom";\n' +
      "component main = EdDSAPoseidonVerifier();\n",
  });
  circuitWasm = compiled.wasm;
});

/** Deterministic test vectors: key i and message i from SHA-256 of a label. */
function seeded(label: string, i: number): Uint8Array {
  return sha256(new TextEncoder().encode(`tessera/eddsa-fast/${label}/${i}`));
}

function seededMsg(i: number): bigint {
  const bytes = seeded("msg", i);
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v % P;
}

function point(p: PublicKey): Uint8Array[] {
  return [eddsa.F.e(p.x), eddsa.F.e(p.y)];
}

function fromCircomlibPoint(p: Uint8Array[]): PublicKey {
  return { x: eddsa.F.toObject(p[0]!), y: eddsa.F.toObject(p[1]!) };
}

function circomlibVerify(A: PublicKey, msg: bigint, sig: Signature): boolean {
  return eddsa.verifyPoseidon(eddsa.F.e(msg), { R8: point({ x: sig.R8x, y: sig.R8y }), S: sig.S }, point(A));
}

/** True iff circomlib's EdDSAPoseidonVerifier (enabled = 1) is satisfiable on these inputs. */
async function circuitAccepts(A: PublicKey, msg: bigint, sig: Signature): Promise<boolean> {
  const input = { enabled: 1n, Ax: A.x, Ay: A.y, S: sig.S, R8x: sig.R8x, R8y: sig.R8y, M: msg };
  try {
    await snarkjs.wtns.calculate(
      Object.fromEntries(Object.entries(input).map(([k, v]) => [k, v.toString()])),
      circuitWasm,
      { type: "mem" },
    );
    return true;
  } catch {
    return false; // an assert (a `===` constraint) failed
  }
}

function negate(p: PublicKey): PublicKey {
  return { x: (P - p.x) % P, y: p.y };
}

describe("curve parameters", () => {
  test("@noble/curves babyjubjub is circomlib's curve with Base8 as its base point", () => {
    const curve = babyjubjub.Point.CURVE();
    assert.deepEqual(
      { p: curve.p, n: curve.n, h: curve.h, a: curve.a, d: curve.d, x: curve.Gx, y: curve.Gy },
      { p: P, n: L, h: 8n, a: 168700n, d: 168696n, x: BASE8.x, y: BASE8.y },
    );
  });

  test("noble's independent arithmetic confirms a fast signature's equation", () => {
    const prv = seeded("noble", 0);
    const msg = seededMsg(6000);
    const A = publicKeyFast(prv);
    const sig = signFast(prv, msg);
    const Pt = babyjubjub.Point;
    const hm = poseidon([sig.R8x, sig.R8y, A.x, A.y, msg]);
    const left = Pt.BASE.multiply(sig.S);
    const right = Pt.fromAffine({ x: sig.R8x, y: sig.R8y }).add(Pt.fromAffine(A).multiply((8n * hm) % L));
    assert.equal(left.equals(right), true);
    assert.equal(verifyFast(A, msg, sig), true);
  });
});

describe("agreement with circomlibjs on seeded keys and messages", () => {
  test(`${PAIRS} pairs: same keys, byte-identical signatures, each verifier accepts the other's`, () => {
    for (let i = 0; i < PAIRS; i++) {
      const prv = seeded("key", i);
      const msg = seededMsg(i);
      const A = publicKeyFast(prv);
      // prv2pub costs a slow scalar multiplication: compare keys for the first pairs only (the
      // signatures below bind every key anyway: S depends on A through hm).
      if (i < KEY_PAIRS) assert.deepEqual(fromCircomlibPoint(eddsa.prv2pub(prv)), A, `public key ${i}`);
      const ref = eddsa.signPoseidon(prv, eddsa.F.e(msg));
      const R8 = fromCircomlibPoint(ref.R8);
      const refSig: Signature = { R8x: R8.x, R8y: R8.y, S: ref.S };

      const fast = signFast(prv, msg);
      assert.deepEqual(fast, refSig, `signature ${i}`);
      assert.equal(verifyFast(A, msg, refSig), true, `fast verifies circomlibjs signature ${i}`);
      assert.equal(circomlibVerify(A, msg, fast), true, `circomlibjs verifies fast signature ${i}`);
      assert.equal(verifyFast(A, (msg + 1n) % P, fast), false, `wrong message ${i}`);
    }
  });

  test("the circuit accepts fast signatures", async () => {
    for (let i = 0; i < 3; i++) {
      const prv = seeded("circuit", i);
      const msg = seededMsg(1000 + i);
      const sig = signFast(prv, msg);
      assert.equal(await circuitAccepts(publicKeyFast(prv), msg, sig), true);
    }
  });

  test("edge messages 0 and P - 1 sign and verify like circomlibjs", () => {
    const prv = seeded("edge", 0);
    const A = publicKeyFast(prv);
    for (const msg of [0n, P - 1n]) {
      const ref = eddsa.signPoseidon(prv, eddsa.F.e(msg));
      const sig = signFast(prv, msg);
      assert.deepEqual({ x: sig.R8x, y: sig.R8y }, fromCircomlibPoint(ref.R8));
      assert.equal(sig.S, ref.S);
      assert.equal(verifyFast(A, msg, sig), true);
    }
  });

  test("keys of any length expand like circomlibjs", () => {
    for (const prv of [new Uint8Array(0), new Uint8Array(1).fill(1), new Uint8Array(65).fill(0xff)]) {
      assert.deepEqual(publicKeyFast(prv), fromCircomlibPoint(eddsa.prv2pub(prv)));
    }
  });

  test("signFast rejects a message outside the field with a typed error", () => {
    for (const msg of [-1n, P]) {
      assert.throws(
        () => signFast(seeded("key", 0), msg),
        (e: unknown) => e instanceof EddsaInputError && e.code === "OUT_OF_RANGE",
      );
    }
  });
});

describe("rejections", () => {
  const prv = seeded("negative", 0);
  const msg = seededMsg(2000);
  let A: PublicKey;
  let sig: Signature;

  before(() => {
    A = publicKeyFast(prv);
    sig = signFast(prv, msg);
  });

  /** Each case as (key, message, signature), rejected by the fast verifier and the circuit. */
  const cases: [string, () => [PublicKey, bigint, Signature]][] = [
    ["wrong message", () => [A, msg + 1n, sig]],
    ["wrong key", () => [publicKeyFast(seeded("negative", 1)), msg, sig]],
    ["signature by another key", () => [A, msg, signFast(seeded("negative", 1), msg)]],
    ["S = L", () => [A, msg, { ...sig, S: L }]],
    ["S + L (same point, non-canonical scalar)", () => [A, msg, { ...sig, S: sig.S + L }]],
    ["S = 2^253 - 1", () => [A, msg, { ...sig, S: (1n << 253n) - 1n }]],
    ["S - 1", () => [A, msg, { ...sig, S: (sig.S + L - 1n) % L }]],
    ["R8 not on the curve", () => [A, msg, { ...sig, R8y: (sig.R8y + 1n) % P }]],
    ["A not on the curve", () => [{ x: A.x, y: (A.y + 1n) % P }, msg, sig]],
    ["R8 coordinates swapped", () => [A, msg, { ...sig, R8x: sig.R8y, R8y: sig.R8x }]],
    ["A coordinates swapped", () => [{ x: A.y, y: A.x }, msg, sig]],
    ["R8 negated", () => [A, msg, { ...sig, R8x: negate({ x: sig.R8x, y: sig.R8y }).x }]],
    ["A negated", () => [negate(A), msg, sig]],
  ];

  for (const [name, make] of cases) {
    test(`${name}: rejected by fast, circomlibjs and the circuit`, async () => {
      const [key, m, s] = make();
      assert.equal(verifyFast(key, m, s), false);
      assert.equal(circomlibVerify(key, m, s), false);
      assert.equal(await circuitAccepts(key, m, s), false);
    });
  }

  test("non-canonical encodings (v + P, negative) are rejected without throwing", () => {
    assert.equal(verifyFast(A, msg, sig), true);
    assert.equal(verifyFast({ x: A.x + P, y: A.y }, msg, sig), false);
    assert.equal(verifyFast(A, msg, { ...sig, R8y: sig.R8y + P }), false);
    assert.equal(verifyFast(A, msg + P, sig), false);
    assert.equal(verifyFast(A, msg, { ...sig, S: -1n }), false);
    assert.equal(verifyFast({ x: -A.x, y: A.y }, msg, sig), false);
  });
});

describe("small-order points (the identity tricks)", () => {
  const IDENTITY: PublicKey = { x: 0n, y: 1n };
  let torsion8: PublicKey; // a point of order 8: L · Generator

  before(() => {
    torsion8 = fromCircomlibPoint(eddsa.babyJub.mulPointEscalar(eddsa.babyJub.Generator, L));
  });

  test("the torsion point has order exactly 8", () => {
    const T = point(torsion8);
    const T4 = eddsa.babyJub.mulPointEscalar(T, 4n);
    assert.notDeepEqual(fromCircomlibPoint(T4), IDENTITY);
    assert.deepEqual(fromCircomlibPoint(eddsa.babyJub.mulPointEscalar(T, 8n)), IDENTITY);
  });

  test("a small-order key admits a forgery for any message: circomlibjs accepts, circuit and fast reject", async () => {
    // With 8·A = identity the equation reads S·Base8 = R8, so (R8, S) = (identity, 0) "signs"
    // every message. circomlibjs has no check for this; the circuit's isZero(x(8·A)) has.
    const forged: Signature = { R8x: 0n, R8y: 1n, S: 0n };
    const keys: PublicKey[] = [
      IDENTITY,
      { x: 0n, y: P - 1n }, // order 2
      torsion8,
      fromCircomlibPoint(eddsa.babyJub.mulPointEscalar(point(torsion8), 2n)), // order 4
    ];
    for (const key of keys) {
      assert.equal(circomlibVerify(key, 7n, forged), true, "circomlibjs accepts the forgery");
      assert.equal(verifyFast(key, 7n, forged), false);
      assert.equal(await circuitAccepts(key, 7n, forged), false);
    }
    // The same forgery with R8 = r·Base8 and S = r.
    const r = 12345n;
    const R8 = fromCircomlibPoint(eddsa.babyJub.mulPointEscalar(point(BASE8), r));
    const forged2: Signature = { R8x: R8.x, R8y: R8.y, S: r };
    assert.equal(circomlibVerify(torsion8, 99n, forged2), true);
    assert.equal(verifyFast(torsion8, 99n, forged2), false);
    assert.equal(await circuitAccepts(torsion8, 99n, forged2), false);
  });

  test("R8 with a small-order component is rejected by all three", async () => {
    const prv = seeded("torsion", 0);
    const msg = 5n;
    const A = publicKeyFast(prv);
    const sig = signFast(prv, msg);
    const R8t = fromCircomlibPoint(eddsa.babyJub.addPoint(point({ x: sig.R8x, y: sig.R8y }), point(torsion8)));
    const bad: Signature = { R8x: R8t.x, R8y: R8t.y, S: sig.S };
    assert.equal(verifyFast(A, msg, bad), false);
    assert.equal(circomlibVerify(A, msg, bad), false);
    assert.equal(await circuitAccepts(A, msg, bad), false);
  });

  test("R8 + torsion of order 2, 4 or 8 is rejected for every challenge (the odd-u argument)", () => {
    // verifyFast checks u·(S·Base8 − R8 − h·8A) = O for a short u derived from h; this only
    // implies the unscaled equation because u is odd. Sweep many challenges h (hence many u).
    const prv = seeded("torsion", 2);
    const A = publicKeyFast(prv);
    const T = point(torsion8);
    const torsions = [1n, 2n, 4n].map((m) => eddsa.babyJub.mulPointEscalar(T, m)); // orders 8, 4, 2
    const verifier = new EddsaVerifier({ buildAfter: 1, native: false });
    for (let i = 0; i < 64; i++) {
      const msg = seededMsg(5000 + i);
      const sig = signFast(prv, msg);
      assert.equal(verifyFast(A, msg, sig), true);
      assert.equal(verifier.verify(A, msg, sig), true);
      for (const t of torsions) {
        const R8t = fromCircomlibPoint(eddsa.babyJub.addPoint(point({ x: sig.R8x, y: sig.R8y }), t));
        const bad: Signature = { R8x: R8t.x, R8y: R8t.y, S: sig.S };
        assert.equal(verifyFast(A, msg, bad), false, `message ${i}`);
        assert.equal(verifier.verify(A, msg, bad), false, `message ${i} (cached key)`);
      }
    }
  });

  test("a mixed-order key (A + torsion) with a matching signature is accepted by all three", async () => {
    // 8·(A + T) = 8·A, so S = r + 8·hm·k (A = k·Base8) verifies for the key A + T; the sequencer
    // must not be stricter than the circuit here.
    const k = 987654321987654321n;
    const A = fromCircomlibPoint(eddsa.babyJub.mulPointEscalar(point(BASE8), k));
    const At = fromCircomlibPoint(eddsa.babyJub.addPoint(point(A), point(torsion8)));
    const msg = seededMsg(3000);
    const r = 424242n;
    const R8 = fromCircomlibPoint(eddsa.babyJub.mulPointEscalar(point(BASE8), r));
    const hm = poseidon([R8.x, R8.y, At.x, At.y, msg]);
    const sig: Signature = { R8x: R8.x, R8y: R8.y, S: (r + 8n * hm * k) % L };
    assert.equal(verifyFast(At, msg, sig), true);
    assert.equal(circomlibVerify(At, msg, sig), true);
    assert.equal(await circuitAccepts(At, msg, sig), true);
  });
});

describe("EddsaVerifier (per-key tables)", () => {
  test("agrees with verifyFast before and after a key's table is built", () => {
    const verifier = new EddsaVerifier({ buildAfter: 2, native: false });
    const prv = seeded("cached", 0);
    const A = publicKeyFast(prv);
    const other = publicKeyFast(seeded("cached", 1));
    const backed = new EddsaVerifier(); // the native verifier when it is loaded
    for (let i = 0; i < 12; i++) {
      const msg = seededMsg(4000 + i);
      const sig = signFast(prv, msg);
      assert.equal(backed.verify(A, msg, sig), true, `valid ${i} (default backend)`);
      assert.equal(backed.verify(A, msg, { ...sig, S: (sig.S + 1n) % L }), false, `wrong S ${i} (default backend)`);
      assert.equal(verifier.verify(A, msg, sig), true, `valid ${i}`);
      assert.equal(verifier.verify(A, (msg + 1n) % P, sig), false, `wrong message ${i}`);
      assert.equal(verifier.verify(A, msg, { ...sig, S: (sig.S + 1n) % L }), false, `wrong S ${i}`);
      assert.equal(verifier.verify(other, msg, sig), false, `wrong key ${i}`);
      // (x, −y) is another curve point with the same x: it must not hit A's table.
      assert.equal(verifier.verify({ x: A.x, y: P - A.y }, msg, sig), false, `mirrored key ${i}`);
    }
    assert.equal(verifier.tables, 1);
  });

  test("only successful verifications count towards a table, and the cache is bounded", () => {
    const verifier = new EddsaVerifier({ maxKeys: 2, buildAfter: 1, native: false });
    const prv = seeded("cached", 2);
    const A = publicKeyFast(prv);
    const sig = signFast(prv, 1n);
    for (let i = 0; i < 3; i++) assert.equal(verifier.verify(A, 2n, sig), false);
    assert.equal(verifier.tables, 0);
    for (let k = 0; k < 4; k++) {
      const key = seeded("cached", 10 + k);
      assert.equal(verifier.verify(publicKeyFast(key), 3n, signFast(key, 3n)), true);
    }
    assert.equal(verifier.tables, 2);
  });

  test("rejects the small-order forgery like verifyFast", () => {
    for (const verifier of [new EddsaVerifier({ buildAfter: 1, native: false }), new EddsaVerifier()])
      assert.equal(verifier.verify({ x: 0n, y: P - 1n }, 7n, { R8x: 0n, R8y: 1n, S: 0n }), false);
  });
});
