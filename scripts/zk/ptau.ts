/**
 * TEST-ONLY known-tau powers-of-tau ceremony for BN254, written directly as a *prepared*
 * (phase-2 ready) snarkjs `.ptau` file.
 *
 * TEST-ONLY: tau, alpha and beta come from a public, fixed beacon, so anyone can forge proofs
 * for a circuit set up with this file. It exists because `snarkjs powersoftau prepare phase2`
 * needs tens of minutes at 2^16 on a 2-core machine. Never use it for anything of value; pass a
 * public ceremony file (`--ptau`, `TESSERA_PTAU`) instead.
 *
 * The file is byte-identical to what snarkjs writes for
 *   `powersoftau new bn128 <power>` → `powersoftau beacon <beaconHash> <numIterationsExp>` →
 *   `powersoftau prepare phase2`
 * (test/circuits/pipeline.test.ts checks this), so `snarkjs powersoftau verify` accepts it. The
 * speed comes from knowing tau: every point of the file is `s·G` for a scalar `s` computed in the
 * field (tau^i, alpha·tau^i, and for the Lagrange sections `L_i(tau)` with one batched inversion
 * per level, instead of inverse FFTs over curve points), and `s·G` for the fixed generator is a
 * windowed fixed-base multiplication: a table of `d·256^w·G` and at most 32 mixed additions per
 * point, in a wasm function added to ffjavascript's engine and run on its worker threads.
 *
 * File layout (snarkjs binfile "ptau" v1, little-endian, points affine in Montgomery form):
 *   1 header: n8q, q, power, ceremonyPower
 *   2 tauG1      tau^i·G1,        i < 2·2^power − 1
 *   3 tauG2      tau^i·G2,        i < 2^power
 *   4 alphaTauG1 alpha·tau^i·G1,  i < 2^power
 *   5 betaTauG1  beta·tau^i·G1,   i < 2^power
 *   6 betaG2     beta·G2
 *   7 contributions (one beacon contribution)
 *   12..15 the Lagrange forms of 2..5: for each level p = 0..power (and power+1 for 12),
 *      the 2^p points L^(p)_i(tau)·G, where L^(p)_i is the Lagrange basis on the 2^p-th roots of
 *      unity (level power+1 of section 12 has the missing last power tau^(2^(power+1)−1) left out).
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import path from "node:path";
import { blake2b } from "@noble/hashes/blake2.js";
import { ChaCha, buildBn128 } from "ffjavascript";
import type { Curve, ModuleBuilder, WasmGroup } from "ffjavascript";
import { ROOT } from "./compile.ts";
import { snarkjsVersion } from "./snarkjs-package.ts";

/** The public beacon of the TEST-ONLY ceremony. Changing it changes every test verifier. */
export const TEST_ONLY_CEREMONY = {
  name: "TESSERA TEST-ONLY known-tau ceremony",
  /** sha256("TESSERA TEST-ONLY CEREMONY: tau is public, never use it for anything of value"). */
  beaconHash: createHash("sha256")
    .update("TESSERA TEST-ONLY CEREMONY: tau is public, never use it for anything of value")
    .digest("hex"),
  /** snarkjs's minimum: 2^10 iterated SHA-256 of the beacon seed the contribution's RNG. */
  numIterationsExp: 10,
} as const;

/** Directory of cached TEST-ONLY ptau files (gitignored). */
export const PTAU_CACHE_DIR = path.join(ROOT, ".cache", "ptau");

/** Largest power this generator accepts (BN254's Fr has 2-adicity 28; memory is the real limit). */
export const MAX_POWER = 22;

/** Format version of the generator: part of the cache file name. */
const GENERATOR_VERSION = 1;

export class PtauError extends Error {
  readonly code = "PTAU";
}

/** The contribution key snarkjs derives from the beacon (scalars as ffjavascript Fr elements). */
interface BeaconKey {
  readonly tau: Uint8Array;
  readonly alpha: Uint8Array;
  readonly beta: Uint8Array;
  /** The public key in the order snarkjs stores it: 6 G1 points then 3 G2 points (projective). */
  readonly pubKeyG1: readonly Uint8Array[];
  readonly pubKeyG2: readonly Uint8Array[];
}

/** Where the TEST-ONLY prepared ptau of `power` lives (its name is the ceremony's identity). */
export function testOnlyPtauPath(power: number): string {
  return path.join(
    PTAU_CACHE_DIR,
    `TEST-ONLY-known-tau-bn128-${String(power).padStart(2, "0")}-v${GENERATOR_VERSION}-snarkjs${snarkjsVersion()}.ptau`,
  );
}

/** Writes the TEST-ONLY prepared ptau of `power` to `file` (overwriting it). */
export async function writeTestOnlyPtau(power: number, file: string): Promise<void> {
  if (!Number.isInteger(power) || power < 1 || power > MAX_POWER) {
    throw new PtauError(`ptau power must be an integer in 1..${MAX_POWER}, got ${power}`);
  }
  // A fresh curve whose wasm (main thread and workers) carries the fixed-base plugin.
  await releaseCurve();
  const curve = await buildBn128(false, addFixedBasePlugin);
  try {
    await writePtau(curve, power, file);
  } finally {
    await releaseCurve();
  }
}

/**
 * Stops ffjavascript's shared BN254 worker threads (snarkjs starts them and never stops them;
 * they keep a process alive). The next snarkjs call starts new ones.
 */
export async function releaseCurve(): Promise<void> {
  const holder = globalThis as { curve_bn128?: Curve | null };
  const curve = holder.curve_bn128;
  if (curve) await curve.terminate();
}

/** Reads a ptau file's header: its power and whether it is prepared for phase 2 (section 12). */
export async function readPtauInfo(file: string): Promise<{ power: number; prepared: boolean }> {
  const handle = await open(file, "r");
  try {
    const read = async (position: number, length: number): Promise<DataView> => {
      const buff = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buff, 0, length, position);
      if (bytesRead !== length) throw new PtauError(`${file}: truncated`);
      return new DataView(buff.buffer, buff.byteOffset, length);
    };
    const start = await read(0, 12);
    if (Buffer.from(start.buffer, start.byteOffset, 4).toString("latin1") !== "ptau") {
      throw new PtauError(`${file}: not a ptau file`);
    }
    let power = -1;
    let prepared = false;
    let pos = 12;
    for (let s = 0; s < start.getUint32(8, true); s++) {
      const head = await read(pos, 12);
      const id = head.getUint32(0, true);
      if (id === 1) {
        const n8 = (await read(pos + 12, 4)).getUint32(0, true);
        power = (await read(pos + 16 + n8, 4)).getUint32(0, true);
      }
      if (id === 12) prepared = true;
      pos += 12 + Number(head.getBigUint64(4, true));
    }
    if (power < 0) throw new PtauError(`${file}: no header section`);
    return { power, prepared };
  } finally {
    await handle.close();
  }
}

async function writePtau(curve: Curve, power: number, file: string): Promise<void> {
  const { Fr, G1, G2 } = curve;
  const n = 2 ** power;
  const challenge = firstChallengeHash(curve, power);
  const key = beaconKey(curve, challenge);

  // Sections 2..6: what snarkjs's beacon makes of the generators of `powersoftau new`.
  const r = curve.r;
  const tau = Fr.toObject(key.tau);
  const alpha = Fr.toObject(key.alpha);
  const beta = Fr.toObject(key.beta);
  const tauPowers = new Array<bigint>(2 * n - 1);
  tauPowers[0] = 1n;
  for (let i = 1; i < tauPowers.length; i++) tauPowers[i] = (tauPowers[i - 1]! * tau) % r;
  const g1 = await FixedBase.create(curve, "G1");
  const g2 = await FixedBase.create(curve, "G2");
  const sec2 = await g1.mul(tauPowers);
  const sec3 = await g2.mul(tauPowers.slice(0, n));
  const sec4 = await g1.mul(tauPowers.slice(0, n).map((t) => (t * alpha) % r));
  const sec5 = await g1.mul(tauPowers.slice(0, n).map((t) => (t * beta) % r));
  const sec6 = await g2.mul([beta]);
  const powerSections = [
    { id: 2, g: G1, data: sec2 },
    { id: 3, g: G2, data: sec3 },
    { id: 4, g: G1, data: sec4 },
    { id: 5, g: G1, data: sec5 },
    { id: 6, g: G2, data: sec6 },
  ];

  // Section 7: the contribution record, with the transcript hashes snarkjs computes.
  const responseHasher = blake2b.create({ dkLen: 64 });
  responseHasher.update(challenge);
  for (const s of powerSections) responseHasher.update(await s.g.batchLEMtoC(s.data));
  const partialHash = toPartialHash(responseHasher);
  responseHasher.update(pubKeyBytes(curve, key, false));
  const nextChallengeHasher = blake2b.create({ dkLen: 64 });
  nextChallengeHasher.update(responseHasher.digest());
  for (const s of powerSections) nextChallengeHasher.update(await s.g.batchLEMtoU(s.data));
  const contribution = concat([
    u32(1), // one contribution
    sliceLEM(sec2, G1, 1),
    sliceLEM(sec3, G2, 1),
    sliceLEM(sec4, G1, 0),
    sliceLEM(sec5, G1, 0),
    sliceLEM(sec6, G2, 0),
    pubKeyBytes(curve, key, true),
    partialHash,
    nextChallengeHasher.digest(),
    u32(1), // type: beacon
    beaconParams(),
  ]);

  // Sections 12..15: L^(p)_i(tau) times the generator (and alpha, beta for 14, 15).
  const sec12: Uint8Array[] = [];
  const sec13: Uint8Array[] = [];
  const sec14: Uint8Array[] = [];
  const sec15: Uint8Array[] = [];
  for (let p = 0; p <= power + 1; p++) {
    const omega = Fr.toObject(Fr.w[p]!);
    const lagrange = lagrangeScalars(tau, omega, p, r);
    if (p === power + 1) {
      // snarkjs prepares this level from the 2^(power+1) − 1 stored powers plus a zero point:
      // subtract the missing term tau^(M−1)·ω^i / M.
      const m = BigInt(2 ** p);
      const last = (modPow(tau, m - 1n, r) * modInverse(m, r)) % r;
      let w = 1n;
      for (let i = 0; i < lagrange.length; i++) {
        lagrange[i] = (lagrange[i]! - ((last * w) % r) + r) % r;
        w = (w * omega) % r;
      }
      sec12.push(await g1.mul(lagrange));
      break;
    }
    sec12.push(await g1.mul(lagrange));
    sec13.push(await g2.mul(lagrange));
    sec14.push(await g1.mul(lagrange.map((l) => (l * alpha) % r)));
    sec15.push(await g1.mul(lagrange.map((l) => (l * beta) % r)));
  }

  const handle = await open(file, "w");
  try {
    const write = async (b: Uint8Array): Promise<void> => {
      await handle.write(b);
    };
    await write(concat([new TextEncoder().encode("ptau"), u32(1), u32(11)]));
    await writeSection(write, 1, [header(curve, power)]);
    for (const s of powerSections) await writeSection(write, s.id, [s.data]);
    await writeSection(write, 7, [contribution]);
    await writeSection(write, 12, sec12);
    await writeSection(write, 13, sec13);
    await writeSection(write, 14, sec14);
    await writeSection(write, 15, sec15);
  } finally {
    await handle.close();
  }
}

/**
 * `L^(p)_i(tau)` for `i < 2^p`: the Lagrange basis on the 2^p-th roots of unity `ω^i`,
 * `L_i(x) = ω^i·(x^M − 1) / (M·(x − ω^i))`, with one batched inversion.
 */
export function lagrangeScalars(tau: bigint, omega: bigint, p: number, r: bigint): bigint[] {
  const m = 2 ** p;
  const tauM1 = (modPow(tau, BigInt(m), r) - 1n + r) % r;
  if (tauM1 === 0n) throw new PtauError("tau is a root of unity of the domain");
  const coeff = (tauM1 * modInverse(BigInt(m), r)) % r;
  const roots = new Array<bigint>(m);
  const denominators = new Array<bigint>(m);
  let w = 1n;
  for (let i = 0; i < m; i++) {
    roots[i] = w;
    denominators[i] = (tau - w + r) % r;
    w = (w * omega) % r;
  }
  const inverses = batchInverse(denominators, r);
  return roots.map((root, i) => (((coeff * root) % r) * inverses[i]!) % r);
}

function batchInverse(values: readonly bigint[], r: bigint): bigint[] {
  const prefix = new Array<bigint>(values.length);
  let acc = 1n;
  for (let i = 0; i < values.length; i++) {
    prefix[i] = acc;
    acc = (acc * values[i]!) % r;
  }
  let inv = modInverse(acc, r);
  const out = new Array<bigint>(values.length);
  for (let i = values.length - 1; i >= 0; i--) {
    out[i] = (inv * prefix[i]!) % r;
    inv = (inv * values[i]!) % r;
  }
  return out;
}

export function modPow(base: bigint, exp: bigint, r: bigint): bigint {
  let result = 1n;
  let b = base % r;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % r;
    b = (b * b) % r;
    e >>= 1n;
  }
  return result;
}

export function modInverse(a: bigint, r: bigint): bigint {
  return modPow(a, r - 2n, r);
}

/** Base-256 digits per scalar: Fr elements are < 2^254, written as 32 little-endian bytes. */
const WINDOWS = 32;

/**
 * wasmbuilder plugin: `<g>_tesseraFixedBase(pTable, pScalars, n, pOut)` for g1m and g2m. For each
 * of `n` scalars (32 LE bytes each) it sums the table entries `T[w][byte w]` into a Jacobian
 * point, where `T[w][d] = d·256^w·G` (affine Montgomery, `T[w][0]` unused): a fixed-base windowed
 * multiplication with at most 32 mixed additions and no doublings, about 10 times fewer group
 * operations than a double-and-add scalar multiplication.
 */
export function addFixedBasePlugin(module: ModuleBuilder): void {
  for (const [prefix, n8] of [
    ["g1m", 32],
    ["g2m", 64],
  ] as const) {
    const sAffine = n8 * 2;
    const sJacobian = n8 * 3;
    const f = module.addFunction(`${prefix}_tesseraFixedBase`);
    f.addParam("pTable", "i32");
    f.addParam("pScalars", "i32");
    f.addParam("n", "i32");
    f.addParam("pOut", "i32");
    f.addLocal("i", "i32");
    f.addLocal("w", "i32");
    f.addLocal("d", "i32");
    f.addLocal("pAcc", "i32");
    f.addLocal("pDigit", "i32");
    const c = f.getCodeBuilder();
    f.addCode(
      c.setLocal("pAcc", c.getLocal("pOut")),
      c.setLocal("pDigit", c.getLocal("pScalars")),
      c.setLocal("i", c.i32_const(0)),
      c.block(
        c.loop(
          c.br_if(1, c.i32_eq(c.getLocal("i"), c.getLocal("n"))),
          c.call(`${prefix}_zero`, c.getLocal("pAcc")),
          c.setLocal("w", c.i32_const(0)),
          c.block(
            c.loop(
              c.br_if(1, c.i32_eq(c.getLocal("w"), c.i32_const(WINDOWS))),
              c.setLocal("d", c.i32_load8_u(c.getLocal("pDigit"))),
              c.if(
                c.getLocal("d"),
                c.call(
                  `${prefix}_addMixed`,
                  c.getLocal("pAcc"),
                  c.i32_add(
                    c.getLocal("pTable"),
                    c.i32_mul(
                      c.i32_add(c.i32_mul(c.getLocal("w"), c.i32_const(256)), c.getLocal("d")),
                      c.i32_const(sAffine),
                    ),
                  ),
                  c.getLocal("pAcc"),
                ),
              ),
              c.setLocal("pDigit", c.i32_add(c.getLocal("pDigit"), c.i32_const(1))),
              c.setLocal("w", c.i32_add(c.getLocal("w"), c.i32_const(1))),
              c.br(0),
            ),
          ),
          c.setLocal("pAcc", c.i32_add(c.getLocal("pAcc"), c.i32_const(sJacobian))),
          c.setLocal("i", c.i32_add(c.getLocal("i"), c.i32_const(1))),
          c.br(0),
        ),
      ),
    );
    module.exportFunction(`${prefix}_tesseraFixedBase`);
  }
}

/** `s_i·G` for the generator G of G1 or G2, on ffjavascript's worker threads (both cores). */
export class FixedBase {
  private constructor(
    private readonly curve: Curve,
    private readonly g: WasmGroup,
    private readonly prefix: "g1m" | "g2m",
    /** `T[w][d] = d·256^w·G`, affine Montgomery, `WINDOWS × 256` entries. */
    private readonly table: Uint8Array,
  ) {}

  static async create(curve: Curve, group: "G1" | "G2"): Promise<FixedBase> {
    const g = curve[group];
    const sJacobian = g.F.n8 * 3;
    const table = new Uint8Array(WINDOWS * 256 * sJacobian);
    let base = g.g;
    for (let w = 0; w < WINDOWS; w++) {
      let acc = base;
      for (let d = 1; d < 256; d++) {
        table.set(acc, (w * 256 + d) * sJacobian);
        acc = g.add(acc, base);
      }
      base = acc; // 256·base
    }
    // Entry 0 of each window is never read; make it a valid point so the conversion is defined.
    for (let w = 0; w < WINDOWS; w++) table.set(g.g, w * 256 * sJacobian);
    return new FixedBase(curve, g, group === "G1" ? "g1m" : "g2m", await g.batchToAffine(table));
  }

  /** The points `s_i·G`, affine Montgomery (ffjavascript's LEM), concatenated. */
  async mul(scalars: readonly bigint[]): Promise<Uint8Array> {
    const sAffine = this.g.F.n8 * 2;
    const sJacobian = this.g.F.n8 * 3;
    const chunk = Math.max(256, Math.ceil(scalars.length / (this.curve.tm.concurrency * 4)));
    const tasks: Promise<Uint8Array[]>[] = [];
    for (let start = 0; start < scalars.length; start += chunk) {
      const count = Math.min(chunk, scalars.length - start);
      const scalarBytes = new Uint8Array(count * 32);
      for (let i = 0; i < count; i++) writeScalarLE(scalarBytes, i * 32, scalars[start + i]!);
      tasks.push(
        this.curve.tm.queueAction([
          { cmd: "ALLOCSET", var: 0, buff: this.table },
          { cmd: "ALLOCSET", var: 1, buff: scalarBytes },
          { cmd: "ALLOC", var: 2, len: count * sJacobian },
          {
            cmd: "CALL",
            fnName: `${this.prefix}_tesseraFixedBase`,
            params: [{ var: 0 }, { var: 1 }, { val: count }, { var: 2 }],
          },
          { cmd: "CALL", fnName: `${this.prefix}_batchToAffine`, params: [{ var: 2 }, { val: count }, { var: 2 }] },
          { cmd: "GET", out: 0, var: 2, len: count * sAffine },
        ]),
      );
    }
    return concat((await Promise.all(tasks)).map((out) => out[0]!));
  }
}

/** Writes `v < 2^256` as 32 little-endian bytes. */
export function writeScalarLE(buff: Uint8Array, offset: number, v: bigint): void {
  const hex = v.toString(16).padStart(64, "0");
  for (let i = 0; i < 32; i++) buff[offset + i] = parseInt(hex.slice(62 - 2 * i, 64 - 2 * i), 16);
}

function sliceLEM(section: Uint8Array, g: WasmGroup, index: number): Uint8Array {
  const s = g.F.n8 * 2;
  return section.slice(index * s, (index + 1) * s);
}

/** snarkjs `calculateFirstChallengeHash`: the transcript hash of a fresh `powersoftau new`. */
function firstChallengeHash(curve: Curve, power: number): Uint8Array {
  const hasher = blake2b.create({ dkLen: 64 });
  hasher.update(blake2b.create({ dkLen: 64 }).digest());
  const g1 = curve.G1.toUncompressed(curve.G1.g);
  const g2 = curve.G2.toUncompressed(curve.G2.g);
  const n = 2 ** power;
  const hashRepeated = (point: Uint8Array, count: number): void => {
    const block = Math.min(count, 4096);
    const buff = new Uint8Array(block * point.length);
    for (let i = 0; i < block; i++) buff.set(point, i * point.length);
    let left = count;
    while (left > 0) {
      const k = Math.min(left, block);
      hasher.update(buff.subarray(0, k * point.length));
      left -= k;
    }
  };
  hashRepeated(g1, 2 * n - 1);
  hashRepeated(g2, n);
  hashRepeated(g1, n);
  hashRepeated(g1, n);
  hasher.update(g2);
  return hasher.digest();
}

/**
 * snarkjs `misc.rngFromBeaconParams`: ChaCha seeded with `sha256^(2^numIterationsExp)(beacon)`
 * (numIterationsExp < 32, the range this project uses).
 */
export function beaconRng(beaconHashHex: string, numIterationsExp: number): ChaCha {
  let h: Uint8Array = Buffer.from(beaconHashHex, "hex");
  for (let i = 0; i < 2 ** numIterationsExp; i++) h = createHash("sha256").update(h).digest();
  const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
  return new ChaCha(Array.from({ length: 8 }, (_, i) => view.getUint32(i * 4, false)));
}

/** snarkjs `keyFromBeacon` + `createPTauKey` for the TEST-ONLY beacon. */
function beaconKey(curve: Curve, challenge: Uint8Array): BeaconKey {
  const { Fr, G1, G2 } = curve;
  const rng = beaconRng(TEST_ONLY_CEREMONY.beaconHash, TEST_ONLY_CEREMONY.numIterationsExp);
  const tau = Fr.fromRng(rng);
  const alpha = Fr.fromRng(rng);
  const beta = Fr.fromRng(rng);
  const proofOfKnowledge = (prv: Uint8Array, personalization: number) => {
    const g1s = G1.toAffine(G1.fromRng(rng));
    const g1sx = G1.toAffine(G1.timesFr(g1s, prv));
    const sp = blake2b.create({ dkLen: 64 });
    sp.update(new Uint8Array([personalization]));
    sp.update(challenge);
    sp.update(G1.toUncompressed(g1s));
    sp.update(G1.toUncompressed(g1sx));
    const digest = sp.digest();
    const dv = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
    const g2sp = G2.fromRng(new ChaCha(Array.from({ length: 8 }, (_, i) => dv.getUint32(i * 4))));
    const g2spx = G2.toAffine(G2.timesFr(G2.toAffine(g2sp), prv));
    return { g1s, g1sx, g2spx };
  };
  const t = proofOfKnowledge(tau, 0);
  const a = proofOfKnowledge(alpha, 1);
  const b = proofOfKnowledge(beta, 2);
  return {
    tau,
    alpha,
    beta,
    pubKeyG1: [t.g1s, t.g1sx, a.g1s, a.g1sx, b.g1s, b.g1sx],
    pubKeyG2: [t.g2spx, a.g2spx, b.g2spx],
  };
}

/** snarkjs `toPtauPubKeyRpr`: Montgomery LE for the file, uncompressed BE for the transcript. */
function pubKeyBytes(curve: Curve, key: BeaconKey, montgomery: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [g, points] of [
    [curve.G1, key.pubKeyG1],
    [curve.G2, key.pubKeyG2],
  ] as const) {
    for (const point of points) {
      const b = new Uint8Array(g.F.n8 * 2);
      if (montgomery) g.toRprLEM(b, 0, point);
      else g.toRprUncompressed(b, 0, point);
      parts.push(b);
    }
  }
  return concat(parts);
}

/** The beacon contribution's parameters: name (1), numIterationsExp (2), beacon hash (3). */
function beaconParams(): Uint8Array {
  const name = new TextEncoder().encode(TEST_ONLY_CEREMONY.name.substring(0, 64));
  const beacon = Buffer.from(TEST_ONLY_CEREMONY.beaconHash, "hex");
  const params = new Uint8Array([
    1,
    name.length,
    ...name,
    2,
    TEST_ONLY_CEREMONY.numIterationsExp,
    3,
    beacon.length,
    ...beacon,
  ]);
  return concat([u32(params.length), params]);
}

/**
 * snarkjs `misc.toPartialHash`: the BLAKE2b state (buffer, chaining words, counters) after the
 * response points, stored so a verifier can finish the hash with the public key.
 */
function toPartialHash(hash: ReturnType<typeof blake2b.create>): Uint8Array {
  // snarkjs reads the same internal fields of @noble/hashes's BLAKE2b.
  const state = hash as unknown as { buffer: Uint8Array; pos: number; length: number; get(): number[] };
  const out = new Uint8Array(216);
  const words = new Uint32Array(out.buffer, 128, 22);
  out.set(state.buffer);
  words.set(state.get().map((v) => v >>> 0));
  words[18] = state.pos;
  words[16] = state.length - state.pos;
  return out;
}

function header(curve: Curve, power: number): Uint8Array {
  const n8 = curve.F1.n64 * 8;
  const q = new Uint8Array(n8);
  writeScalarLE(q, 0, curve.q);
  return concat([u32(n8), q, u32(power), u32(power)]);
}

async function writeSection(write: (b: Uint8Array) => Promise<void>, id: number, parts: Uint8Array[]) {
  const size = parts.reduce((s, p) => s + p.length, 0);
  const head = new Uint8Array(12);
  const view = new DataView(head.buffer);
  view.setUint32(0, id, true);
  view.setBigUint64(4, BigInt(size), true);
  await write(head);
  for (const p of parts) await write(p);
}

export function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
