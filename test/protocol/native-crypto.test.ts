/**
 * The native Poseidon (native/, C over Node-API) against circomlibjs, byte for byte: every width
 * 1..16, random and edge inputs, every entry point; the backend selection of protocol/poseidon.ts
 * including TESSERA_CRYPTO=js. The native EdDSA verifier against protocol/eddsa-fast.ts's
 * TypeScript one on valid signatures and on every kind of invalid one, called directly and on the
 * addon's verifier threads (with orders' hash inputs, as the venue's intake sends them). The addon must have loaded: this suite fails rather than skips
 * when it did not build, so CI always exercises it.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { before, describe, it } from "node:test";
import { loadNativeCrypto } from "../../native/index.ts";
import type { NativeCrypto } from "../../native/index.ts";
import { publicKeyFast, signFast, SUBGROUP_ORDER, verifyFast, verifyFastJs } from "../../protocol/eddsa-fast.ts";
import { FIELD_MODULUS } from "../../protocol/field.ts";
import type { PublicKey, Signature } from "../../protocol/types.ts";
import {
  initPoseidon,
  initPoseidonJs,
  poseidon,
  poseidonBackend,
  poseidonJs,
  poseidonMany,
  poseidonNative,
} from "../../protocol/poseidon.ts";

const P = FIELD_MODULUS;
const RANDOM_PER_WIDTH = 150;

/** `base^exp mod mod` by square-and-multiply (the expected values of the reduction test). */
function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
  }
  return result;
}

/** Deterministic 64-bit generator (splitmix64), so a failure can be replayed. */
function rng(seed: bigint): () => bigint {
  let s = seed;
  return () => {
    s = (s + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
    return z ^ (z >> 31n);
  };
}

/** Mixed field elements: uniform below p, small, near p, and sparse-bit values. */
function fieldElements(next: () => bigint, n: number): bigint[] {
  return Array.from({ length: n }, () => {
    const wide = (next() << 192n) | (next() << 128n) | (next() << 64n) | next();
    switch (Number(next() % 5n)) {
      case 0:
        return next() % 1000n;
      case 1:
        return P - 1n - (next() % 1000n);
      case 2:
        return 1n << (next() % 254n);
      default:
        return wide % P;
    }
  });
}

function leBytes(values: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(32 * values.length);
  values.forEach((v, k) => {
    for (let i = 0; i < 32; i++) out[32 * k + i] = Number((v >> BigInt(8 * i)) & 0xffn);
  });
  return out;
}

function fromLe(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

let addon: NativeCrypto;

before(async () => {
  const load = loadNativeCrypto();
  assert.ok(load.addon, `the native crypto addon did not load: ${load.error}`);
  addon = load.addon;
  await initPoseidonJs();
  await initPoseidon();
});

describe("native crypto addon", () => {
  it("loaded, and protocol/poseidon.ts uses it unless TESSERA_CRYPTO=js", () => {
    assert.equal(poseidonBackend(), process.env.TESSERA_CRYPTO === "js" ? "js" : "native");
    // x86-64 with BMI2 and ADX uses the assembly multiplication; the portable C one is tested
    // against circomlibjs below as well, so both are covered on any machine.
    assert.ok(["adx", "c"].includes(addon.multiplier), addon.multiplier);
  });

  it("equals circomlibjs on random inputs at every width 1..16 (both multiplications)", () => {
    const next = rng(20261203n);
    for (let n = 1; n <= 16; n++) {
      for (let k = 0; k < RANDOM_PER_WIDTH; k++) {
        const inputs = fieldElements(next, n);
        const want = poseidonJs(inputs);
        assert.equal(poseidonNative(inputs), want, `width ${n}: ${inputs.join(",")}`);
        assert.equal(addon.poseidonPortable(inputs), want, `portable, width ${n}: ${inputs.join(",")}`);
      }
    }
  });

  it("equals circomlibjs on edge values (0, 1, p-1) in every position at every width", () => {
    for (let n = 1; n <= 16; n++) {
      for (const edge of [0n, 1n, 2n, P - 1n, P - 2n, P >> 1n, (1n << 253n) - 1n]) {
        for (const fill of [0n, P - 1n]) {
          for (let pos = 0; pos < n; pos++) {
            const inputs = Array.from({ length: n }, (_, i) => (i === pos ? edge : fill));
            const want = poseidonJs(inputs);
            assert.equal(poseidonNative(inputs), want, `width ${n}: ${inputs.join(",")}`);
            assert.equal(addon.poseidonPortable(inputs), want, `portable, width ${n}: ${inputs.join(",")}`);
          }
        }
      }
    }
  });

  it("equals circomlibjs on 2,000 uniform inputs per width and on limb-extreme ones (both multiplications)", () => {
    // The matrix mix and the partial rounds' dot product sum up to t = 17 full products before one
    // Montgomery reduction (native/src/fe_ops.h). Uniform inputs exercise the carries; the
    // extremes are the largest values below p, limbs at their maximum (p - 1, and p's top limbs
    // over all-ones limbs), in every input. Inputs reach those sums only through rounds of hashing,
    // so no input drives a sum to its bound: the next case drives the reduction there directly.
    const next = rng(31337n);
    const uniform = (): bigint => ((next() << 192n) | (next() << 128n) | (next() << 64n) | next()) % P;
    const extremes = [P - 1n, ((P >> 192n) << 192n) - 1n, ((P >> 128n) << 128n) - 1n, ((P >> 64n) << 64n) - 1n];
    for (let n = 1; n <= 16; n++) {
      const cases = Array.from({ length: 2000 }, () => Array.from({ length: n }, uniform));
      for (const x of extremes) cases.push(Array.from({ length: n }, () => x));
      for (let k = 0; k < 20; k++) cases.push(Array.from({ length: n }, () => extremes[Number(next() % 4n)]!));
      for (const inputs of cases) {
        const want = poseidonJs(inputs);
        assert.equal(poseidonNative(inputs), want, `width ${n}: ${inputs.join(",")}`);
        assert.equal(addon.poseidonPortable(inputs), want, `portable, width ${n}: ${inputs.join(",")}`);
      }
    }
  });

  it("reduces a sum of 1..17 products once, exactly, up to its bound k·(p−1)² (both multiplications)", () => {
    // fe_ops.h's lazy reduction: k products summed in 512 bits, one Montgomery reduction, then
    // the conditional subtractions of 4p, 2p and p the bound needs for k. Hashing never drives a
    // sum to its bound (the case above), so the bound is tested here: every term p − 1, and
    // terms next to it, at each k, with the expected value in bigints.
    const rInv = modPow(1n << 256n, P - 2n, P);
    const expected = (a: readonly bigint[], b: readonly bigint[]): bigint =>
      (a.reduce((acc, x, i) => acc + x * b[i]!, 0n) * rInv) % P;
    const next = rng(20261205n);
    const near = (): bigint => P - 1n - (next() % 1024n);
    for (let k = 1; k <= 17; k++) {
      const cases: [bigint[], bigint[]][] = [
        [Array.from({ length: k }, () => P - 1n), Array.from({ length: k }, () => P - 1n)],
        [Array.from({ length: k }, () => 0n), Array.from({ length: k }, () => P - 1n)],
        [Array.from({ length: k }, () => 1n), Array.from({ length: k }, () => 1n)],
      ];
      for (let j = 0; j < 200; j++)
        cases.push([
          Array.from({ length: k }, near),
          Array.from({ length: k }, () => (j % 2 === 0 ? near() : next() % P)),
        ]);
      for (const [a, b] of cases) {
        const want = expected(a, b);
        assert.equal(addon.fieldDotMontgomery(a, b, false), want, `k = ${k}: ${a.join(",")} · ${b.join(",")}`);
        assert.equal(addon.fieldDotMontgomery(a, b, true), want, `portable, k = ${k}`);
      }
    }
    assert.throws(() => addon.fieldDotMontgomery([P], [1n], false), RangeError);
    assert.throws(
      () =>
        addon.fieldDotMontgomery(
          Array.from({ length: 18 }, () => 1n),
          Array.from({ length: 18 }, () => 1n),
          false,
        ),
      RangeError,
    );
  });

  it("reduces values outside [0, p) exactly as circomlibjs does (poseidon(), poseidonNative)", () => {
    const outside = [P, P + 1n, 2n * P - 1n, (1n << 256n) - 1n, 1n << 300n, -1n, -P, -(P + 5n)];
    for (const x of outside) {
      for (const inputs of [[x], [x, 3n], [7n, x, x, 1n]]) {
        const want = poseidonJs(inputs);
        assert.equal(poseidonNative(inputs), want, `inputs ${inputs.join(",")}`);
        assert.equal(poseidon(inputs), want, `inputs ${inputs.join(",")}`);
      }
    }
  });

  it("the raw addon rejects non-canonical inputs with a clear error", () => {
    const outOfRange = { name: "RangeError", code: "OUT_OF_RANGE" };
    for (const bad of [P, P + 1n, (1n << 256n) - 1n, 1n << 256n, -1n]) {
      assert.throws(() => addon.poseidon([1n, bad]), { ...outOfRange, message: /input 1 is not a canonical/ });
      assert.throws(() => addon.poseidonMany([1n, 2n, 3n, bad], 2), { ...outOfRange, message: /input 3/ });
      if (bad >= 0n && bad < 1n << 256n) {
        assert.throws(() => addon.poseidonBytes(leBytes([1n, bad]), new Uint8Array(32)), outOfRange);
        const out = new Uint8Array(64);
        assert.throws(() => addon.poseidonBatch(leBytes([1n, 2n, bad, 4n]), 2, out), outOfRange);
        assert.deepEqual(out, new Uint8Array(64), "a rejected batch writes nothing");
      }
    }
    assert.throws(() => addon.poseidon([]), outOfRange);
    assert.throws(() => addon.poseidon(Array.from({ length: 17 }, () => 1n)), outOfRange);
    assert.throws(() => addon.poseidon([1n, 2 as unknown as bigint]), { name: "TypeError" });
    assert.throws(() => addon.poseidonBatch(new Uint8Array(96), 2, new Uint8Array(64)), outOfRange);
    assert.throws(() => poseidon([]), RangeError);
    assert.throws(() => poseidon(Array.from({ length: 17 }, () => 1n)), RangeError);
  });

  it("every entry point agrees: bigint array, arguments, bytes, batch, many", () => {
    const next = rng(7n);
    for (const width of [1, 2, 3, 5, 16]) {
      const rows = Array.from({ length: 40 }, () => fieldElements(next, width));
      const want = rows.map(poseidonJs);
      const flat = rows.flat();
      assert.deepEqual(addon.poseidonMany(flat, width), want);
      assert.deepEqual(poseidonMany(rows), want);
      const out = new Uint8Array(32 * rows.length);
      addon.poseidonBatch(leBytes(flat), width, out);
      for (let k = 0; k < rows.length; k++) {
        assert.equal(fromLe(out.subarray(32 * k, 32 * k + 32)), want[k]);
        const one = new Uint8Array(32);
        addon.poseidonBytes(leBytes(rows[k]), one);
        assert.equal(fromLe(one), want[k]);
        const variadic = addon.poseidon as unknown as (...xs: bigint[]) => bigint;
        assert.equal(variadic(...rows[k]), want[k]);
      }
    }
    assert.deepEqual(poseidonMany([]), []);
    assert.throws(() => poseidonMany([[1n, 2n], [3n]]), RangeError);
  });

  it("TESSERA_CRYPTO=js selects circomlibjs, with the same hashes", () => {
    const code = [
      'import { initPoseidon, poseidon, poseidonBackend } from "./protocol/poseidon.ts";',
      "await initPoseidon();",
      "console.log(JSON.stringify({ backend: poseidonBackend(), h: poseidon([1n, 2n]).toString() }));",
    ].join("\n");
    const stdout = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
      env: { ...process.env, TESSERA_CRYPTO: "js" },
      encoding: "utf8",
    });
    const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as { backend: string; h: string };
    assert.equal(result.backend, "js");
    assert.equal(BigInt(result.h), poseidonNative([1n, 2n]));
    assert.equal(
      poseidonNative([1n, 2n]),
      7853200120776062878684798364095072458815029376092732009249414926327459813530n,
    );
  });
});

describe("native Poseidon hashed ahead (jobs) and the memo", () => {
  /** A random plan: `rows` rows of 1..4 inputs, each a literal or an earlier row. */
  function randomPlan(next: () => bigint, rows: number) {
    const widths = new Uint8Array(rows);
    const spec = new Int32Array(4 * rows);
    const literals: bigint[] = [];
    for (let r = 0; r < rows; r++) {
      widths[r] = 1 + Number(next() % 4n);
      for (let i = 0; i < widths[r]!; i++) {
        if (r > 0 && next() % 2n === 0n) spec[4 * r + i] = -1 - Number(next() % BigInt(r));
        else {
          spec[4 * r + i] = literals.length;
          literals.push(fieldElements(next, 1)[0]!);
        }
      }
    }
    return { widths, spec, literals };
  }

  /** The plan's rows hashed one by one with circomlibjs, and each row's inputs. */
  function expected(plan: ReturnType<typeof randomPlan>) {
    const out: bigint[] = [];
    const inputs: bigint[][] = [];
    plan.widths.forEach((w, r) => {
      const row = Array.from({ length: w }, (_, i) => {
        const s = plan.spec[4 * r + i]!;
        return s >= 0 ? plan.literals[s]! : out[-s - 1]!;
      });
      inputs.push(row);
      out.push(poseidonJs(row));
    });
    return { out, inputs };
  }

  it("a job's rows equal circomlibjs, rows built on earlier rows included, and the memo then answers them", () => {
    const next = rng(20261206n);
    for (const rows of [0, 1, 7, 300]) {
      const plan = randomPlan(next, rows);
      const want = expected(plan);
      addon.poseidonMemoReset();
      const job = addon.poseidonJobStart(plan.widths, plan.spec, plan.literals);
      assert.deepEqual(addon.poseidonJobFinish(job), want.out, `${rows} rows`);
      assert.deepEqual(addon.poseidonJobFinish(job), want.out, "a second finish returns the same rows");
      const distinct = new Set(want.inputs.map((row) => row.join(","))).size;
      assert.equal(addon.poseidonMemoStats().entries, distinct, "every row remembered, once");
      const before = addon.poseidonMemoStats().hits;
      want.inputs.forEach((row, r) => assert.equal(addon.poseidon(row), want.out[r], `row ${r} from the memo`));
      assert.equal(addon.poseidonMemoStats().hits - before, rows, "each row answered from the memo");
    }
  });

  it("the memo answers only the very inputs it holds: a neighbour, a reordering or an extension is hashed", () => {
    // Inputs that share the memo's home slot digest (the low limbs) but differ in a high limb,
    // the same inputs in another order or width: each must be computed, not answered.
    const row = [P - 1n, 5n, (1n << 200n) + 7n, 3n];
    const variants = [
      [P - 1n - (1n << 64n), 5n, (1n << 200n) + 7n, 3n],
      [P - 1n, 5n, (1n << 201n) + 7n, 3n],
      [5n, P - 1n, (1n << 200n) + 7n, 3n],
      [P - 1n, 5n, (1n << 200n) + 7n],
      [P - 1n, 5n, (1n << 200n) + 7n, 3n, 0n],
    ];
    addon.poseidonMemoReset();
    const plan = { widths: Uint8Array.of(4), spec: Int32Array.of(0, 1, 2, 3), literals: row };
    const [h] = addon.poseidonJobFinish(addon.poseidonJobStart(plan.widths, plan.spec, plan.literals));
    assert.equal(h, poseidonJs(row));
    for (const v of variants) assert.equal(addon.poseidon(v), poseidonJs(v), v.join(","));
    assert.equal(addon.poseidonPortable(row), h);
    addon.poseidonMemoReset();
    assert.equal(addon.poseidonMemoStats().entries, 0, "a reset forgets every row");
    const hits = addon.poseidonMemoStats().hits;
    assert.equal(addon.poseidon(row), h);
    assert.equal(addon.poseidonMemoStats().hits, hits, "after a reset the row is hashed again");
  });

  it("refuses a plan with a width out of 1..4, a forward or missing reference, or a literal not below p", () => {
    const bad: [Uint8Array, Int32Array, bigint[], RegExp][] = [
      [Uint8Array.of(0), new Int32Array(4), [], /width/],
      [Uint8Array.of(5), new Int32Array(4), [1n, 2n, 3n, 4n, 5n], /width/],
      [Uint8Array.of(1), Int32Array.of(-1, 0, 0, 0), [], /out of range/],
      [Uint8Array.of(1, 1), Int32Array.of(0, 0, 0, 0, -2, 0, 0, 0), [1n], /out of range/],
      [Uint8Array.of(1), Int32Array.of(1, 0, 0, 0), [1n], /out of range/],
      [Uint8Array.of(1), Int32Array.of(0, 0, 0, 0), [P], /canonical/],
      [Uint8Array.of(1), Int32Array.of(0, 0, 0), [1n], /4 entries per row/],
    ];
    for (const [widths, spec, literals, message] of bad)
      assert.throws(() => addon.poseidonJobStart(widths, spec, literals), message);
    assert.throws(() => addon.poseidonJobFinish({} as never), /poseidonJobStart/);
  });
});

describe("native EdDSA-Poseidon verification", () => {
  const L = SUBGROUP_ORDER;
  /** Both verifiers must give `expected` (when given) and agree with each other. */
  function check(A: PublicKey, msg: bigint, sig: Signature, expected: boolean | null, what: string): void {
    const js = verifyFastJs(A, msg, sig);
    const native = addon.eddsaVerify(A.x, A.y, sig.R8x, sig.R8y, sig.S, msg);
    assert.equal(native, js, `${what}: native ${native}, TypeScript ${js}`);
    if (expected !== null) assert.equal(js, expected, what);
  }

  it("verifyFast uses the native verifier with the native backend", () => {
    const prv = new Uint8Array(32).fill(3);
    const A = publicKeyFast(prv);
    const sig = signFast(prv, 42n);
    assert.equal(verifyFast(A, 42n, sig), true);
    assert.equal(verifyFast(A, 43n, sig), false);
  });

  it("agrees with the TypeScript verifier on random valid and tampered signatures", () => {
    const next = rng(99n);
    for (let i = 0; i < 60; i++) {
      const prv = new Uint8Array(32);
      for (let k = 0; k < 32; k++) prv[k] = Number(next() & 0xffn);
      const A = publicKeyFast(prv);
      const [msg] = fieldElements(next, 1);
      const sig = signFast(prv, msg);
      const B = publicKeyFast(new Uint8Array(32).fill(i + 1));
      check(A, msg, sig, true, `valid ${i}`);
      check(A, (msg + 1n) % P, sig, false, `other message ${i}`);
      check(B, msg, sig, false, `other key ${i}`);
      check({ x: A.x, y: P - A.y }, msg, sig, false, `mirrored key ${i}`);
      check({ x: P - A.x, y: A.y }, msg, sig, false, `negated key ${i}`);
      check(A, msg, { ...sig, S: (sig.S + 1n) % L }, false, `S + 1 ${i}`);
      check(A, msg, { ...sig, S: sig.S + L }, false, `S + L ${i}`);
      check(A, msg, { ...sig, S: -sig.S }, false, `negative S ${i}`);
      check(A, msg, { ...sig, R8x: sig.R8y, R8y: sig.R8x }, null, `R8 swapped ${i}`);
      check(A, msg, { ...sig, R8x: (sig.R8x + 1n) % P }, false, `R8 off the curve ${i}`);
      check(A, msg, { ...sig, R8x: P - sig.R8x }, false, `R8 negated ${i}`);
      check(A, msg, { ...sig, R8x: sig.R8x + P }, false, `R8x not canonical ${i}`);
      check({ x: A.x + P, y: A.y }, msg, sig, false, `Ax not canonical ${i}`);
      check({ x: (A.x + 1n) % P, y: A.y }, msg, sig, false, `A off the curve ${i}`);
      check(A, msg + P, sig, false, `msg not canonical ${i}`);
      check(A, -msg - 1n, sig, false, `negative msg ${i}`);
      const [gx, gy, gs] = fieldElements(next, 3);
      check({ x: gx, y: gy }, msg, { R8x: gy, R8y: gx, S: gs % L }, false, `garbage ${i}`);
    }
  });

  it("keys with a precomputed table (after 4 successes) give the same answers as the TypeScript verifier", () => {
    addon.eddsaCacheClear();
    const next = rng(7n);
    const prvs = Array.from({ length: 3 }, (_, i) => new Uint8Array(32).fill(40 + i));
    const keys = prvs.map(publicKeyFast);
    // Invalid signatures never count towards a table, however many.
    for (let i = 0; i < 10; i++) {
      const sig = signFast(prvs[0]!, BigInt(i));
      check(keys[0]!, BigInt(i) + 1n, sig, false, `invalid ${i}`);
    }
    assert.deepEqual(addon.eddsaCacheStats(), { keys: 0, tables: 0 }, "no key remembered from failures");
    for (let round = 0; round < 12; round++) {
      for (const [k, prv] of prvs.entries()) {
        const A = keys[k]!;
        // Edges of the scalars the tables recode (0, 1, L - 1, around 2^n) and random messages.
        const [msg] = round < 4 ? [[0n, 1n, P - 1n, 1n << 252n][round]!] : fieldElements(next, 1);
        const sig = signFast(prv, msg!);
        check(A, msg!, sig, true, `key ${k} round ${round} valid`);
        check(A, (msg! + 1n) % P, sig, false, `key ${k} round ${round} other message`);
        check(A, msg!, { ...sig, S: (sig.S + 1n) % L }, false, `key ${k} round ${round} S + 1`);
        check(A, msg!, { ...sig, S: 0n }, false, `key ${k} round ${round} S = 0`);
        check(A, msg!, { ...sig, S: L - 1n }, false, `key ${k} round ${round} S = L - 1`);
        check(A, msg!, { ...sig, R8x: P - sig.R8x }, false, `key ${k} round ${round} R8 negated`);
        check(keys[(k + 1) % keys.length]!, msg!, sig, false, `key ${k} round ${round} another key's table`);
        check({ x: P - A.x, y: A.y }, msg!, sig, false, `key ${k} round ${round} negated key`);
      }
    }
    assert.deepEqual(addon.eddsaCacheStats(), { keys: 3, tables: 3 }, "each key got its table");
    // A crowd of keys seen once each (more than the cache holds) does not evict the tables.
    for (let i = 0; i < 200; i++) {
      const p = new Uint8Array(32).fill(i);
      p[1] = 0x5a;
      check(publicKeyFast(p), 9n, signFast(p, 9n), true, `crowd key ${i}`);
    }
    assert.equal(addon.eddsaCacheStats().tables, 3, "the tabled keys survive a crowd of one-off keys");
    for (const [k, prv] of prvs.entries()) check(keys[k]!, 77n, signFast(prv, 77n), true, `key ${k} after the crowd`);
    // A tabled key still applies the range rule before any arithmetic (S < L).
    const sig = signFast(prvs[1]!, 5n);
    check(keys[1]!, 5n, sig, true, "tabled valid");
    check(keys[1]!, 5n, { ...sig, S: sig.S + L }, false, "tabled S + L");
    addon.eddsaCacheClear();
    assert.deepEqual(addon.eddsaCacheStats(), { keys: 0, tables: 0 });
  });

  it("rejects small-order keys and the identity forgery, as the TypeScript verifier does", () => {
    const identity = { R8x: 0n, R8y: 1n, S: 0n };
    for (const A of [
      { x: 0n, y: 1n },
      { x: 0n, y: P - 1n },
    ]) {
      for (const msg of [0n, 7n, P - 1n]) check(A, msg, identity, false, `small-order key (${A.x}, ${A.y})`);
    }
    const prv = new Uint8Array(32).fill(7);
    const A = publicKeyFast(prv);
    check(A, 1n, identity, false, "identity R8 with S = 0");
    check(A, 1n, { ...signFast(prv, 1n), S: L - 1n }, false, "S = L - 1");
    check(A, 1n, { ...signFast(prv, 1n), S: L }, false, "S = L");
    check(A, 1n, { ...signFast(prv, 1n), S: 1n << 256n }, false, "S beyond 256 bits");
  });
});

describe("native EdDSA-Poseidon verification on the addon's threads (verifierCreate)", () => {
  const L = SUBGROUP_ORDER;

  /** One request as the addon takes it, and the answer protocol/'s TypeScript gives for it. */
  interface Case {
    readonly width: number;
    readonly items: readonly bigint[];
    readonly expected: bigint | null;
    readonly what: string;
  }

  /** The message a request's inputs give, by circomlibjs; null when an input is not canonical. */
  function messageOf(width: number, tail: readonly bigint[]): bigint | null {
    if (width === 0) return tail[0]!;
    return tail.every((x) => x >= 0n && x < P) ? poseidonJs(tail) : null;
  }

  function makeCase(A: PublicKey, sig: Signature, width: number, tail: readonly bigint[], what: string): Case {
    const msg = messageOf(width, tail);
    const ok = msg !== null && verifyFastJs(A, msg, sig);
    return { width, items: [A.x, A.y, sig.R8x, sig.R8y, sig.S, ...tail], expected: ok ? msg : null, what };
  }

  /** Valid and tampered requests of both forms, widths 0..16, a few keys seen often (tables). */
  function cases(seed: bigint, count: number): Case[] {
    const next = rng(seed);
    const prvs = Array.from({ length: 4 }, (_, i) => new Uint8Array(32).fill(90 + i));
    const keys = prvs.map(publicKeyFast);
    const out: Case[] = [];
    for (let i = 0; out.length < count; i++) {
      const k = i % 5 === 4 ? -1 : Number(next() % 4n);
      const prv = k < 0 ? new Uint8Array(32).fill(i & 0xff).map((b, j) => (j === 2 ? 0x77 : b)) : prvs[k]!;
      const A = k < 0 ? publicKeyFast(prv) : keys[k]!;
      const width = Number(next() % 17n);
      const tail = fieldElements(next, width === 0 ? 1 : width);
      const msg = messageOf(width, tail)!;
      const sig = signFast(prv, msg);
      out.push(makeCase(A, sig, width, tail, `valid ${i} (width ${width})`));
      switch (i % 8) {
        case 0:
          out.push(makeCase(A, { ...sig, S: (sig.S + 1n) % L }, width, tail, `S + 1 ${i}`));
          break;
        case 1:
          out.push(makeCase(A, { ...sig, S: sig.S + L }, width, tail, `S + L ${i}`));
          break;
        case 2: {
          const other = [...tail];
          other[other.length - 1] = (other[other.length - 1]! + 1n) % P;
          out.push(makeCase(A, sig, width, other, `last input + 1 ${i}`));
          break;
        }
        case 3: {
          const bad = [...tail];
          bad[0] = bad[0]! + P;
          out.push(makeCase(A, sig, width, bad, `first input not canonical ${i}`));
          break;
        }
        case 4:
          out.push(
            makeCase(
              A,
              sig,
              width,
              tail.map((x, j) => (j === 0 ? -x - 1n : x)),
              `negative input ${i}`,
            ),
          );
          break;
        case 5:
          out.push(makeCase(A, { ...sig, R8x: sig.R8x + P }, width, tail, `R8x not canonical ${i}`));
          break;
        case 6:
          out.push(makeCase(keys[(Math.max(k, 0) + 1) % 4]!, sig, width, tail, `another key ${i}`));
          break;
        default:
          out.push(makeCase({ x: A.x, y: P - A.y }, sig, width, tail, `mirrored key ${i}`));
      }
    }
    return out;
  }

  /** Submits `all` in jobs of 1..24 requests; resolves with each job's answers, by id. */
  function runAll(threads: number, all: readonly Case[]): Promise<Map<number, readonly (bigint | null)[]>> {
    const jobs: Case[][] = [];
    const next = rng(5n);
    for (let at = 0; at < all.length;) {
      const n = 1 + Number(next() % 24n);
      jobs.push(all.slice(at, at + n));
      at += n;
    }
    const answers = new Map<number, readonly (bigint | null)[]>();
    return new Promise<Map<number, readonly (bigint | null)[]>>((resolve, reject) => {
      const alive = setInterval(() => undefined, 1000);
      const v = addon.verifierCreate(threads, (id, results) => {
        if (answers.has(id)) reject(new Error(`job ${id} answered twice`));
        answers.set(id, results);
        if (answers.size === jobs.length) {
          clearInterval(alive);
          addon.verifierClose(v);
          resolve(answers);
        }
      });
      jobs.forEach((job, id) =>
        addon.verifierSubmit(
          v,
          id,
          new Uint8Array(job.map((c) => c.width)),
          job.flatMap((c) => c.items),
        ),
      );
    }).then((a) => {
      // Every job answered once, each request in its own place.
      let at = 0;
      jobs.forEach((job, id) => {
        const got = a.get(id);
        assert.ok(got !== undefined, `job ${id} answered`);
        assert.equal(got.length, job.length, `job ${id}'s answers`);
        job.forEach((c, k) => assert.equal(got[k], c.expected, `${c.what} (request ${at + k})`));
        at += job.length;
      });
      return a;
    });
  }

  it("answer every request as the TypeScript verifier and circomlibjs do, on 1 and 3 threads", async () => {
    const all = cases(2024n, 1200);
    const valid = all.filter((c) => c.expected !== null).length;
    assert.ok(valid > 500 && valid < all.length - 400, `both kinds are present (${valid} valid of ${all.length})`);
    await runAll(1, all);
    await runAll(3, all);
  });

  it(
    "wake a sleeping thread whenever no awake one will take a job, polling or not: every rhythm is answered",
    { timeout: 60_000 },
    async () => {
      // The pool signals a sleeper only for jobs beyond the threads awake (verify_pool.c): a
      // missed wake would leave a job unanswered with every thread asleep, and this test would
      // time out. Each rhythm lets the threads fall asleep between its steps: without polling;
      // with a window shorter than the pause (each pause ends the polling, so the threads go
      // from polling to sleeping); and with one longer than the whole test (a thread polls).
      const all = cases(77n, 48);
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      // The addon's answers do not keep the loop alive (its thread-safe function is unref'd).
      const alive = setInterval(() => undefined, 1000);
      try {
        for (const pollUs of [0, 1_000, 1_000_000])
          for (const threads of [1, 2, 3])
            for (const step of [1, 2, 5]) {
              const answers = new Map<number, readonly (bigint | null)[]>();
              let notify: (() => void) | null = null;
              const v = addon.verifierCreate(
                threads,
                (id, results) => {
                  assert.equal(answers.has(id), false, `job ${id} answered twice`);
                  answers.set(id, results);
                  notify?.();
                },
                pollUs,
              );
              try {
                for (let at = 0; at < all.length; at += step) {
                  // `step` jobs of one request each at once, then a pause once they are answered.
                  const jobs = all.slice(at, at + step);
                  const answered = new Promise<void>((resolve) => {
                    notify = () => {
                      if (answers.size >= at + jobs.length) resolve();
                    };
                  });
                  jobs.forEach((c, k) => addon.verifierSubmit(v, at + k, new Uint8Array([c.width]), [...c.items]));
                  notify!();
                  await answered;
                  await sleep(2);
                }
              } finally {
                addon.verifierClose(v);
              }
              const rhythm = `${threads} threads, ${step} at once, polling ${pollUs} µs`;
              all.forEach((c, id) => assert.deepEqual(answers.get(id), [c.expected], `${c.what}, ${rhythm}`));
              const { signals, polls } = addon.verifierStats(v);
              if (pollUs === 0) {
                assert.equal(polls, 0, `no thread polls: ${rhythm}`);
                // Each pause lets every thread fall asleep, so a lone job must wake one.
                if (step === 1) assert.ok(signals > 0, `lone jobs woke a sleeper: ${rhythm}`);
              }
              // One job at a time while a thread polls: it finds each, so no submit wakes anyone
              // (the point of polling: no cross-core wake on the submitter's thread).
              if (pollUs === 1_000_000 && step === 1) {
                assert.equal(signals, 0, `lone jobs found by the poller: ${rhythm}`);
                assert.ok(polls > 0, `a thread polled: ${rhythm}`);
              }
            }
      } finally {
        clearInterval(alive);
      }
    },
  );

  it("refuse malformed submissions whole, and a closed verifier, with clear errors", async () => {
    const answered: number[] = [];
    const v = addon.verifierCreate(2, (id) => answered.push(id));
    const good = cases(11n, 1)[0]!;
    const widths = new Uint8Array([good.width]);
    const expectError = (f: () => void, name: string, pattern: RegExp): void =>
      assert.throws(f, (e: unknown) => e instanceof Error && e.name === name && pattern.test(e.message));
    expectError(
      () => addon.verifierSubmit(v, 1, widths, [...good.items.slice(0, -1), 5 as unknown as bigint]),
      "TypeError",
      /not a bigint/,
    );
    expectError(() => addon.verifierSubmit(v, 2, widths, good.items.slice(1)), "RangeError", /widths describe/);
    expectError(() => addon.verifierSubmit(v, 3, new Uint8Array([17]), good.items), "RangeError", /0\.\.16/);
    expectError(() => addon.verifierSubmit(v, 4, new Uint8Array(0), []), "RangeError", /requests at a time/);
    expectError(
      () => addon.verifierSubmit({} as typeof v, 5, widths, good.items),
      "TypeError",
      /verifier from verifierCreate/,
    );
    expectError(() => addon.verifierCreate(0, () => undefined), "RangeError", /1\.\.64/);
    expectError(() => addon.verifierCreate(1, () => undefined, -1), "RangeError", /pollWindowUs/);
    expectError(() => addon.verifierCreate(1, () => undefined, 1_000_001), "RangeError", /pollWindowUs/);
    // A well-formed job after the refused ones: only it is answered.
    const alive = setInterval(() => undefined, 1000);
    addon.verifierSubmit(v, 6, widths, good.items);
    while (!answered.includes(6)) await new Promise((r) => setTimeout(r, 5));
    clearInterval(alive);
    assert.deepEqual(answered, [6]);
    addon.verifierClose(v);
    addon.verifierClose(v);
    expectError(() => addon.verifierSubmit(v, 7, widths, good.items), "Error", /closed/);
  });

  it("closed with jobs queued: the running ones report, the rest are dropped, nothing else happens", async () => {
    const all = cases(12n, 64);
    const answered = new Map<number, readonly (bigint | null)[]>();
    const v = addon.verifierCreate(2, (id, results) => answered.set(id, results));
    for (let id = 0; id < 200; id++)
      addon.verifierSubmit(
        v,
        id,
        new Uint8Array(all.map((c) => c.width)),
        all.flatMap((c) => c.items),
      );
    addon.verifierClose(v);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(answered.size < 200, `${answered.size} of 200 jobs answered after the close`);
    for (const [id, results] of answered)
      all.forEach((c, k) => assert.equal(results[k], c.expected, `job ${id}: ${c.what}`));
  });
});
