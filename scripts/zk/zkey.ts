/**
 * TEST-ONLY fast Groth16 setup: the final zkey of the known-tau ceremony (scripts/zk/ptau.ts)
 * followed by the public phase-2 beacon, written directly.
 *
 * The file is byte-identical to what snarkjs writes for
 *   `zkey new <r1cs> <known-tau ptau>` → `zkey beacon <name> <beaconHash> <numIterationsExp>`
 * (test/circuits/pipeline-zkey.test.ts checks this). tau, alpha and beta come from the ceremony's
 * public beacon and delta from the phase-2 beacon, so every point of the zkey is `s·G` for a scalar
 * `s` computed in Fr, and `s·G` is ptau.ts's fixed-base multiplication on both cores; no ptau file
 * is read or needed.
 *
 * Scalars, with `L_c` the Lagrange basis on the circuit's domain of size `d = 2^cirPower` and the
 * R1CS rows `nConstraints + s` (s ≤ nPublic) that snarkjs adds to A for the public inputs:
 *   A_s = Σ_c A[c][s]·L_c(tau), B_s likewise, C_s likewise, K_s = beta·A_s + alpha·B_s + C_s;
 *   section 3 IC   K_s·G1                      s ≤ nPublic
 *   section 5 A    A_s·G1, 6 B1 B_s·G1, 7 B2 B_s·G2   s < nVars
 *   section 8 L    K_s/delta·G1                s > nPublic
 *   section 9 H    L'_{2i+1}(tau)/delta·G1     i < d, L' the basis on the 2d-th roots of unity (minus
 *                  the missing term tau^(2d−1) when the ceremony's power is the circuit's: ptau.ts)
 * The circuit hash (csHash) of section 10 is the BLAKE2b-512 snarkjs's `zkey new` computes over the
 * points before delta, including its quirks (see `hHashScalars`).
 */
import { open, readFile } from "node:fs/promises";
import { blake2b } from "@noble/hashes/blake2.js";
import { ChaCha, buildBn128 } from "ffjavascript";
import type { Curve, WasmGroup } from "ffjavascript";
import { Step } from "./progress.ts";
import { groth16Power, readR1csHeader } from "./r1cs.ts";
import type { ProgressOptions } from "./progress.ts";
import {
  FixedBase,
  TEST_ONLY_CEREMONY,
  addFixedBasePlugin,
  beaconRng,
  concat,
  lagrangeScalars,
  modInverse,
  modPow,
  releaseCurve,
  u32,
  writeScalarLE,
} from "./ptau.ts";

export class ZkeyError extends Error {
  readonly code = "ZKEY";
}

/** A public phase-2 beacon contribution (snarkjs `zkey beacon`). */
export interface Phase2Beacon {
  readonly name: string;
  /** Hex, 1..255 bytes. */
  readonly beaconHash: string;
  /** 10..31 (snarkjs accepts up to 63; this generator stops at 31). */
  readonly numIterationsExp: number;
}

export interface KnownTauZkeyOptions {
  /** Power of the TEST-ONLY ceremony snarkjs would read (at least the circuit's power). */
  readonly ptauPower: number;
  readonly beacon: Phase2Beacon;
  readonly progress?: ProgressOptions | undefined;
}

/** An R1CS file's header fields and its raw constraints section (read by `evaluateQap`). */
interface R1cs {
  /** The circuit's power: its domain has 2^power points (r1cs.ts `groth16Power`). */
  readonly power: number;
  readonly nVars: number;
  readonly nPublic: number;
  readonly nConstraints: number;
  /** The raw constraints section (binfile section 2). */
  readonly constraints: Uint8Array;
}

/**
 * Seconds per 1,000 constraints (progress estimates), measured on the 2-core build machine under
 * load: the 53,340-constraint test profile in 48 s (5 s QAP, 41 s points), the 145,838-constraint
 * demo profile in 161 s (16 s, 142 s).
 */
const QAP_SECONDS_PER_1000_CONSTRAINTS = 0.1;
const POINTS_SECONDS_PER_1000_CONSTRAINTS = 0.9;
export const KNOWN_TAU_ZKEY_SECONDS_PER_1000_CONSTRAINTS =
  QAP_SECONDS_PER_1000_CONSTRAINTS + POINTS_SECONDS_PER_1000_CONSTRAINTS;

/** snarkjs's `hashHPoints` chunk: it hashes whole chunks of this many points. */
const H_HASH_CHUNK = 1 << 14;

/**
 * Writes to `outFile` the zkey snarkjs makes of `r1csFile` with the TEST-ONLY known-tau ceremony
 * of power `ptauPower` and one phase-2 beacon contribution.
 */
export async function knownTauZkey(r1csFile: string, opts: KnownTauZkeyOptions, outFile: string): Promise<void> {
  const progress = opts.progress ?? { prefix: "[zkey]", enabled: false };
  const beaconHash = Buffer.from(opts.beacon.beaconHash, "hex");
  if (beaconHash.length === 0 || beaconHash.length > 255 || beaconHash.length * 2 !== opts.beacon.beaconHash.length) {
    throw new ZkeyError("phase-2 beacon hash must be 1..255 bytes of hex");
  }
  if (!Number.isInteger(opts.beacon.numIterationsExp) || opts.beacon.numIterationsExp < 10) {
    throw new ZkeyError("phase-2 numIterationsExp must be an integer >= 10");
  }
  if (opts.beacon.numIterationsExp > 31) throw new ZkeyError("phase-2 numIterationsExp > 31 is not supported");

  await releaseCurve();
  const curve = await buildBn128(false, addFixedBasePlugin);
  try {
    await writeZkey(curve, await readR1cs(r1csFile, curve.r), opts, beaconHash, outFile, progress);
  } finally {
    await releaseCurve();
  }
}

async function writeZkey(
  curve: Curve,
  cs: R1cs,
  opts: KnownTauZkeyOptions,
  beaconHash: Uint8Array,
  outFile: string,
  progress: ProgressOptions,
): Promise<void> {
  const { Fr, G1, G2 } = curve;
  const r = curve.r;
  const cirPower = cs.power;
  if (cirPower > opts.ptauPower) {
    throw new ZkeyError(`circuit needs power 2^${cirPower}; the ceremony has 2^${opts.ptauPower}`);
  }
  if (cirPower + 1 > 28) throw new ZkeyError("circuit too big for BN254's 2-adicity");
  const d = 2 ** cirPower;

  const rng = beaconRng(TEST_ONLY_CEREMONY.beaconHash, TEST_ONLY_CEREMONY.numIterationsExp);
  const tau = Fr.toObject(Fr.fromRng(rng));
  const alpha = Fr.toObject(Fr.fromRng(rng));
  const beta = Fr.toObject(Fr.fromRng(rng));

  // QAP polynomials at tau.
  const qapStep = new Step(progress, "zkey: QAP at tau", (QAP_SECONDS_PER_1000_CONSTRAINTS * cs.nConstraints) / 1000);
  const lagrange = lagrangeScalars(tau, Fr.toObject(Fr.w[cirPower]!), cirPower, r);
  const { a, b, k, coefs } = evaluateQap(cs, lagrange, alpha, beta, r);
  const hScalars = oddLagrangeScalars(tau, Fr.toObject(Fr.w[cirPower + 1]!), cirPower, opts.ptauPower, r);
  const hHash = hHashScalars(tau, d, opts.ptauPower, r);
  qapStep.done();

  // Points before delta: what snarkjs's `zkey new` writes and hashes.
  const pointsStep = new Step(
    progress,
    "zkey: fixed-base points",
    (POINTS_SECONDS_PER_1000_CONSTRAINTS * cs.nConstraints) / 1000,
  );
  const g1 = await FixedBase.create(curve, "G1");
  const g2 = await FixedBase.create(curve, "G2");
  const [alpha1, beta1] = split(await g1.mul([alpha, beta]), G1);
  const beta2 = await g2.mul([beta]);
  const ic = await g1.mul(k.slice(0, cs.nPublic + 1));
  const cPre = await g1.mul(k.slice(cs.nPublic + 1));
  const pointsA = await g1.mul(a);
  const pointsB1 = await g1.mul(b);
  const pointsB2 = await g2.mul(b);
  const hHashPoints = await G1.batchLEMtoU(await g1.mul(hHash.scalars));
  const hHashLast = hHash.outOfSection ? await outOfSectionHPoint(curve, g1, tau, d) : new Uint8Array(0);
  const gen1 = lem(G1, G1.g);
  const gen2 = lem(G2, G2.g);

  const csHasher = blake2b.create({ dkLen: 64 });
  for (const [g, p] of [
    [G1, alpha1],
    [G1, beta1],
    [G2, beta2],
    [G2, gen2],
    [G1, gen1],
    [G2, gen2],
  ] as const) {
    csHasher.update(await g.batchLEMtoU(p));
  }
  const hashSection = async (g: WasmGroup, count: number, points: Uint8Array): Promise<void> => {
    csHasher.update(u32be(count));
    csHasher.update(await g.batchLEMtoU(points));
  };
  await hashSection(G1, cs.nPublic + 1, ic);
  csHasher.update(u32be(d - 1));
  csHasher.update(hHashPoints);
  csHasher.update(hHashLast);
  await hashSection(G1, cs.nVars - cs.nPublic - 1, cPre);
  await hashSection(G1, cs.nVars, pointsA);
  await hashSection(G1, cs.nVars, pointsB1);
  await hashSection(G2, cs.nVars, pointsB2);
  const csHash = csHasher.digest();

  // The beacon contribution (snarkjs zkey_beacon.js): delta, its proof of knowledge, transcript.
  const phase2Rng = beaconRng(opts.beacon.beaconHash, opts.beacon.numIterationsExp);
  const deltaFr = Fr.fromRng(phase2Rng);
  const delta = Fr.toObject(deltaFr);
  const g1S = G1.toAffine(G1.fromRng(phase2Rng));
  const g1Sx = G1.toAffine(G1.timesFr(g1S, deltaFr));
  const transcriptHasher = blake2b.create({ dkLen: 64 });
  transcriptHasher.update(csHash);
  transcriptHasher.update(G1.toUncompressed(g1S));
  transcriptHasher.update(G1.toUncompressed(g1Sx));
  const transcript = transcriptHasher.digest();
  const tv = new DataView(transcript.buffer, transcript.byteOffset, transcript.byteLength);
  const g2Sp = G2.fromRng(new ChaCha(Array.from({ length: 8 }, (_, i) => tv.getUint32(i * 4, false))));
  const g2Spx = G2.toAffine(G2.timesFr(g2Sp, deltaFr));
  const delta1 = await g1.mul([delta]);
  const delta2 = await g2.mul([delta]);

  const deltaInv = modInverse(delta, r);
  const pointsL = await g1.mul(k.slice(cs.nPublic + 1).map((v) => (v * deltaInv) % r));
  const pointsH = await g1.mul(hScalars.map((v) => (v * deltaInv) % r));
  pointsStep.done();

  const name = new TextEncoder().encode(opts.beacon.name.substring(0, 64));
  const params = new Uint8Array([
    ...(opts.beacon.name ? [1, name.length, ...name] : []),
    2,
    opts.beacon.numIterationsExp,
    3,
    beaconHash.length,
    ...beaconHash,
  ]);
  const contributions = concat([
    csHash,
    u32(1),
    delta1,
    lem(G1, g1S),
    lem(G1, g1Sx),
    lem(G2, g2Spx),
    transcript,
    u32(1), // type: beacon
    u32(params.length),
    params,
  ]);

  const header = concat([
    u32(32),
    scalarLE(curve.q),
    u32(32),
    scalarLE(r),
    u32(cs.nVars),
    u32(cs.nPublic),
    u32(d),
    alpha1,
    beta1,
    beta2,
    gen2, // gamma2
    delta1,
    delta2,
  ]);
  const handle = await open(outFile, "w");
  try {
    const sections: [number, Uint8Array][] = [
      [1, u32(1)], // Groth16
      [2, header],
      [3, ic],
      [4, coefs],
      [5, pointsA],
      [6, pointsB1],
      [7, pointsB2],
      [8, pointsL],
      [9, pointsH],
      [10, contributions],
    ];
    await handle.write(concat([new TextEncoder().encode("zkey"), u32(1), u32(sections.length)]));
    for (const [id, data] of sections) {
      const head = new Uint8Array(12);
      const view = new DataView(head.buffer);
      view.setUint32(0, id, true);
      view.setBigUint64(4, BigInt(data.length), true);
      await handle.write(head);
      await handle.write(data);
    }
  } finally {
    await handle.close();
  }
}

/** Reads an .r1cs file (binfile "r1cs" v1): its header and raw constraints section. */
async function readR1cs(file: string, r: bigint): Promise<R1cs> {
  const header = await readR1csHeader(file);
  if (header.n8 !== 32 || header.prime !== r) throw new ZkeyError(`${file}: not a BN254 r1cs`);
  const bytes = await readFile(file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 12;
  for (let s = 0; s < view.getUint32(8, true); s++) {
    const size = Number(view.getBigUint64(pos + 4, true));
    if (view.getUint32(pos, true) === 2) {
      return {
        power: groth16Power(header),
        nVars: header.nWires,
        nPublic: header.nOutputs + header.nPubInputs,
        nConstraints: header.nConstraints,
        constraints: bytes.subarray(pos + 12, pos + 12 + size),
      };
    }
    pos += 12 + size;
  }
  throw new ZkeyError(`${file}: no constraints section`);
}

/**
 * A_s(tau), B_s(tau) and K_s = beta·A_s + alpha·B_s + C_s for every signal, and section 4: the A
 * and B coefficients in snarkjs's order, each `(matrix, constraint, signal, coef·R² mod r)` with
 * R = 2^256 (snarkjs stores them ready for Montgomery multiplication).
 */
function evaluateQap(
  cs: R1cs,
  lagrange: readonly bigint[],
  alpha: bigint,
  beta: bigint,
  r: bigint,
): { a: bigint[]; b: bigint[]; k: bigint[]; coefs: Uint8Array } {
  const a = new Array<bigint>(cs.nVars).fill(0n);
  const b = new Array<bigint>(cs.nVars).fill(0n);
  const c = new Array<bigint>(cs.nVars).fill(0n);
  const r2 = modPow(2n, 512n, r);
  const view = new DataView(cs.constraints.buffer, cs.constraints.byteOffset, cs.constraints.byteLength);
  // Every coefficient takes at least 36 bytes of the section; the extra rows add nPublic + 1.
  const coefs = new Uint8Array(4 + 44 * (Math.floor(cs.constraints.length / 36) + cs.nPublic + 1));
  const coefsView = new DataView(coefs.buffer);
  let nCoefs = 0;
  const pushCoef = (matrix: number, constraint: number, signal: number, value: bigint): void => {
    const at = 4 + 44 * nCoefs++;
    coefsView.setUint32(at, matrix, true);
    coefsView.setUint32(at + 4, constraint, true);
    coefsView.setUint32(at + 8, signal, true);
    writeScalarLE(coefs, at + 12, (value * r2) % r);
  };
  let pos = 0;
  for (let constraint = 0; constraint < cs.nConstraints; constraint++) {
    const l = lagrange[constraint]!;
    for (const [matrix, acc] of [
      [0, a],
      [1, b],
      [2, c],
    ] as const) {
      const n = view.getUint32(pos, true);
      pos += 4;
      for (let i = 0; i < n; i++) {
        const signal = view.getUint32(pos, true);
        const coef = readScalar(view, pos + 4);
        pos += 36;
        acc[signal] = (acc[signal]! + coef * l) % r;
        if (matrix < 2) pushCoef(matrix, constraint, signal, coef);
      }
    }
  }
  for (let s = 0; s <= cs.nPublic; s++) {
    a[s] = (a[s]! + lagrange[cs.nConstraints + s]!) % r;
    pushCoef(0, cs.nConstraints + s, s, 1n);
  }
  coefsView.setUint32(0, nCoefs, true);
  const k = a.map((v, s) => (beta * v + alpha * b[s]! + c[s]!) % r);
  return { a, b, k, coefs: coefs.slice(0, 4 + 44 * nCoefs) };
}

/**
 * The H query's scalars: `L'_{2i+1}(tau)` for i < d on the 2d-th roots of unity (snarkjs takes the
 * odd points of the prepared ptau's level cirPower + 1). When that level is the ceremony's top one,
 * snarkjs prepared it without the power tau^(2d−1), so its term `tau^(2d−1)·ω^j/(2d)` is left out.
 */
function oddLagrangeScalars(tau: bigint, omega: bigint, cirPower: number, ptauPower: number, r: bigint): bigint[] {
  const all = lagrangeScalars(tau, omega, cirPower + 1, r);
  const m = BigInt(2 ** (cirPower + 1));
  const last = cirPower === ptauPower ? (modPow(tau, m - 1n, r) * modInverse(m, r)) % r : 0n;
  const omega2 = (omega * omega) % r;
  const out = new Array<bigint>(all.length / 2);
  let w = omega; // ω^(2i+1)
  for (let i = 0; i < out.length; i++) {
    out[i] = (all[2 * i + 1]! - ((last * w) % r) + r) % r;
    w = (w * omega2) % r;
  }
  return out;
}

/**
 * The scalars of the points snarkjs's `zkey new` hashes for the H section: `(tau^(i+d) − tau^i)`
 * from the ceremony's tauG1 section. snarkjs hashes whole chunks of 2^14, so for d > 2^14 it hashes
 * d points, not d − 1; the last then reads `tau^(2d−1)·G1`, which lies past the end of the tauG1
 * section when the ceremony's power is the circuit's (`outOfSection`: see `outOfSectionHPoint`).
 */
function hHashScalars(
  tau: bigint,
  d: number,
  ptauPower: number,
  r: bigint,
): { scalars: bigint[]; outOfSection: boolean } {
  const count = d - 1 <= H_HASH_CHUNK ? d - 1 : Math.ceil((d - 1) / H_HASH_CHUNK) * H_HASH_CHUNK;
  const tauG1Points = 2 * 2 ** ptauPower - 1;
  const regular = Math.min(count, tauG1Points - d);
  const powers = new Array<bigint>(d + regular);
  powers[0] = 1n;
  for (let i = 1; i < powers.length; i++) powers[i] = (powers[i - 1]! * tau) % r;
  const scalars = new Array<bigint>(regular);
  for (let i = 0; i < regular; i++) scalars[i] = (powers[i + d]! - powers[i]! + r) % r;
  if (count - regular > 1) throw new ZkeyError("unexpected H hash layout");
  return { scalars, outOfSection: count > regular };
}

/**
 * The last H hash point when it lies past the tauG1 section (d > 2^14, ceremony power = circuit
 * power): snarkjs reads 64 bytes of the next section (its 12-byte header and the start of
 * tauG2[0] = G2) as a G1 point and subtracts `tau^(d−1)·G1` from it with the same wasm calls,
 * repeated here on the same bytes. Returns it uncompressed, as hashed.
 */
async function outOfSectionHPoint(curve: Curve, g1: FixedBase, tau: bigint, d: number): Promise<Uint8Array> {
  const sG1 = curve.G1.F.n8 * 2;
  const bytes = new Uint8Array(sG1);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 3, true); // section id: tauG2
  view.setBigUint64(4, BigInt(d * curve.G2.F.n8 * 2), true); // its size: 2^power G2 points
  bytes.set(lem(curve.G2, curve.G2.g).subarray(0, sG1 - 12), 12);
  const lastPower = await g1.mul([modPow(tau, BigInt(d - 1), curve.r)]);
  const sGmid = curve.G1.F.n8 * 3;
  const [out] = await curve.tm.queueAction([
    { cmd: "ALLOCSET", var: 0, buff: bytes },
    { cmd: "ALLOCSET", var: 1, buff: lastPower },
    { cmd: "ALLOC", var: 2, len: sGmid },
    { cmd: "CALL", fnName: "g1m_subAffine", params: [{ var: 0 }, { var: 1 }, { var: 2 }] },
    { cmd: "CALL", fnName: "g1m_batchToAffine", params: [{ var: 2 }, { val: 1 }, { var: 2 }] },
    { cmd: "CALL", fnName: "g1m_batchLEMtoU", params: [{ var: 2 }, { val: 1 }, { var: 2 }] },
    { cmd: "GET", out: 0, var: 2, len: sG1 },
  ]);
  return out!;
}

/** A point (projective or affine, Montgomery) as snarkjs writes it: affine LEM. */
function lem(g: WasmGroup, p: Uint8Array): Uint8Array {
  const out = new Uint8Array(g.F.n8 * 2);
  g.toRprLEM(out, 0, p);
  return out;
}

function split(points: Uint8Array, g: WasmGroup): Uint8Array[] {
  const s = g.F.n8 * 2;
  return Array.from({ length: points.length / s }, (_, i) => points.slice(i * s, (i + 1) * s));
}

function readScalar(view: DataView, at: number): bigint {
  return (
    view.getBigUint64(at, true) |
    (view.getBigUint64(at + 8, true) << 64n) |
    (view.getBigUint64(at + 16, true) << 128n) |
    (view.getBigUint64(at + 24, true) << 192n)
  );
}

function scalarLE(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  writeScalarLE(out, 0, v);
  return out;
}

function u32be(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, v, false);
  return out;
}
