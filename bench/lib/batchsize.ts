/**
 * The prod batch size (issue 17 item 4). What a batch of each size costs on L1 is measured
 * (bench/gas.ts `batchSizeSweep`); what it costs to prove is modelled here from the circuits
 * this machine can build. docs/benchmarks.md "Choosing the prod batch size" has the table and
 * the choice.
 *
 * Why a model: a prod circuit has 6.3M constraints at nTx 64 and 99.5M at 1,024, far beyond a
 * setup on the bench machine. Its constraints are exact enough: the `slot-prod` figures count one
 * slot and the per-batch overhead at prod depths by compiling nTx 1 and 2, and the commitment adds
 * exactly one SHA-256 block per 64-byte slot, so a batch is `overhead + nTx · perTrade`. Its
 * proving time and key size are extrapolated from two measured points, the test and demo circuits
 * (about 0.2M and 0.4M constraints): two points fit two parameters and test none, and the
 * extrapolation spans 15× to 265×, so read the predictions as orders of magnitude.
 *
 * What the fits assume: snarkjs's Groth16 prover is dominated by multi-scalar multiplications
 * (A, B1, B2 and C over the witness, H over the 2^k evaluation domain; Pippenger, near-linear in
 * the points) plus FFTs over the padded domain (n·log n field operations, cheap per element but
 * growing faster). The headline is the line through both points, prove time against
 * constraints: its slope is the marginal cost per constraint measured between them, domain
 * doubling and FFT growth included. The cross-check charges every point of the padded 2^k domain
 * `k` times (n·log n), least squares over both points. Memory and cache effects at 100× the
 * size are in neither.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { groth16Power } from "../../scripts/zk/r1cs.ts";
import { ZK_BUILD_DIR } from "../../scripts/zk/build.ts";
import type { Manifest } from "../../scripts/zk/build.ts";
import type { Figure } from "./report.ts";

/** The prod batch sizes the gas sweep measures and the model predicts. */
export const BATCH_SIZES = [64, 128, 256, 512, 1024] as const;

/**
 * The largest ceremony snarkjs supports: BN254's scalar field has 2-adicity 28, so no FFT domain
 * (and no Powers of Tau file, the Hermez `powersOfTau28_hez_final`) goes beyond 2^28 points,
 * about 268M constraints (snarkjs README).
 */
export const MAX_CEREMONY_POWER = 28;

/** A zkey's H section: one G1 point (affine, two 32-byte coordinates) per domain point. */
const H_POINT_BYTES = 64;

/** The circuit has one public input, the commitment (docs/protocol.md §8), and no outputs. */
const PUBLIC_INPUTS = 1;

/**
 * Used only when build/zk holds no artifacts of the measured circuits: the zkey sizes of
 * docs/build.md's "Measured" table (test 130 MB, demo 240 MB, rounded, MB = 10^6 bytes).
 */
const DOCUMENTED_ZKEY_BYTES: Readonly<Record<string, number>> = { test: 130e6, demo: 240e6 };

/** A circuit that was built and proved: the report's figures and its zkey. */
export interface MeasuredCircuit {
  readonly profile: string;
  readonly constraints: number;
  readonly proveSeconds: number;
  readonly witnessSeconds: number;
  /** Ceremony power of its setup. */
  readonly power: number;
  readonly zkeyBytes: number;
}

/** A prod slot's exact cost and the batch's fixed part (`slot-prod`). */
export interface SlotCost {
  readonly perTrade: number;
  readonly overhead: number;
}

export interface ProvingModel {
  /** Prove seconds = interceptSeconds + slope · constraints: the line through both points. */
  readonly proveSlope: number;
  readonly proveIntercept: number;
  /** Prove seconds = perDomainPointLog · 2^k · k, least squares over both points. */
  readonly provePerDomainPointLog: number;
  /** Witness seconds (wasm), the line through both points. */
  readonly witnessSlope: number;
  readonly witnessIntercept: number;
  /** Zkey bytes = 64 · 2^k (the H points) + this · constraints, averaged over both points. */
  readonly zkeyBytesPerConstraint: number;
}

export interface Prediction {
  readonly nTx: number;
  readonly constraints: number;
  /** Smallest ceremony power the setup accepts (scripts/zk/r1cs.ts `groth16Power`). */
  readonly power: number;
  readonly zkeyBytes: number;
  /** The headline: the line through the two measured points. */
  readonly proveSeconds: number;
  /** The cross-check: the padded domain's n·log n. */
  readonly proveSecondsDomain: number;
  readonly witnessSeconds: number;
  /** A closed batch to its proof on one machine: witness + prove. */
  readonly provedSeconds: number;
  /** nTx ÷ provedSeconds ÷ cores: what a fleet proves per core, whatever the batch size. */
  readonly tradesPerSecondPerCore: number;
}

export class BatchSizeModelError extends Error {
  readonly code = "BATCH_SIZE_MODEL";
}

export function ceremonyPower(constraints: number): number {
  return groth16Power({ nConstraints: constraints, nPubInputs: PUBLIC_INPUTS, nOutputs: 0 });
}

/** Fits the model to two measured circuits (the smaller first). */
export function fitProvingModel(a: MeasuredCircuit, b: MeasuredCircuit): ProvingModel {
  if (b.constraints <= a.constraints) throw new BatchSizeModelError("the second circuit must be the larger");
  const line = (ya: number, yb: number) => {
    const slope = (yb - ya) / (b.constraints - a.constraints);
    return { slope, intercept: ya - slope * a.constraints };
  };
  const prove = line(a.proveSeconds, b.proveSeconds);
  const witness = line(a.witnessSeconds, b.witnessSeconds);
  const nLogN = (c: MeasuredCircuit): number => 2 ** c.power * c.power;
  const perDomainPointLog =
    (a.proveSeconds * nLogN(a) + b.proveSeconds * nLogN(b)) / (nLogN(a) ** 2 + nLogN(b) ** 2);
  const rest = (c: MeasuredCircuit): number => (c.zkeyBytes - H_POINT_BYTES * 2 ** c.power) / c.constraints;
  return {
    proveSlope: prove.slope,
    proveIntercept: prove.intercept,
    provePerDomainPointLog: perDomainPointLog,
    witnessSlope: witness.slope,
    witnessIntercept: witness.intercept,
    zkeyBytesPerConstraint: (rest(a) + rest(b)) / 2,
  };
}

export function predict(model: ProvingModel, slot: SlotCost, nTx: number, cores: number): Prediction {
  const constraints = slot.overhead + nTx * slot.perTrade;
  const power = ceremonyPower(constraints);
  const proveSeconds = model.proveIntercept + model.proveSlope * constraints;
  const witnessSeconds = model.witnessIntercept + model.witnessSlope * constraints;
  const provedSeconds = witnessSeconds + proveSeconds;
  return {
    nTx,
    constraints,
    power,
    zkeyBytes: H_POINT_BYTES * 2 ** power + model.zkeyBytesPerConstraint * constraints,
    proveSeconds,
    proveSecondsDomain: model.provePerDomainPointLog * 2 ** power * power,
    witnessSeconds,
    provedSeconds,
    tradesPerSecondPerCore: nTx / provedSeconds / cores,
  };
}

/** The most slots a ceremony of 2^power holds (the setup needs constraints + 1 < 2^power). */
export function largestBatch(slot: SlotCost, power: number): number {
  return Math.floor((2 ** power - PUBLIC_INPUTS - 1 - slot.overhead) / slot.perTrade);
}

/**
 * The build manifest (scripts/zk/build.ts) of `profile`'s circuit with exactly `constraints`, the
 * newest if several: the artifacts of the circuit the report measured, not of an older one.
 */
export function findManifest(profile: string, constraints: number): Manifest | null {
  if (!existsSync(ZK_BUILD_DIR)) return null;
  let best: { manifest: Manifest; mtime: number } | null = null;
  for (const entry of readdirSync(ZK_BUILD_DIR)) {
    if (!entry.startsWith(`${profile}-`)) continue;
    const file = path.join(ZK_BUILD_DIR, entry, "manifest.json");
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, "utf8")) as Manifest;
    const mtime = statSync(file).mtimeMs;
    if (manifest.name === profile && manifest.nConstraints === constraints && (best === null || mtime > best.mtime)) {
      best = { manifest, mtime };
    }
  }
  return best?.manifest ?? null;
}

/** A figure of the report by name and profile; throws when it is missing. */
export type FigureLookup = (name: string, profile: string) => Figure;

/**
 * The model's figures at every size of BATCH_SIZES, profile `prod`, from the report's test and
 * demo proving figures, the `slot-prod` counts and the zkeys under build/zk (else docs/build.md).
 */
export function batchSizeModelFigures(at: FigureLookup, cores: number): Figure[] {
  const zkeySources: string[] = [];
  const measured = (profile: string): MeasuredCircuit => {
    const constraints = at("constraints_per_batch", profile).value;
    const manifest = findManifest(profile, constraints);
    const documented = DOCUMENTED_ZKEY_BYTES[profile];
    if (manifest === null && documented === undefined) {
      throw new BatchSizeModelError(`no zkey size for ${profile}: build it (npm run circuits:build ${profile})`);
    }
    zkeySources.push(
      manifest === null
        ? `${profile} ${documented! / 1e6} MB (docs/build.md, no build/zk artifacts)`
        : `${profile} ${manifest.zkeyBytes.toLocaleString("en-US")} B (build/zk/${manifest.name}-${manifest.key})`,
    );
    return {
      profile,
      constraints,
      proveSeconds: at("prove_ms_per_batch_cold", profile).value / 1000,
      witnessSeconds: at("witness_ms_per_batch_cold", profile).value / 1000,
      power: manifest?.power ?? ceremonyPower(constraints),
      zkeyBytes: manifest?.zkeyBytes ?? documented!,
    };
  };
  const test = measured("test");
  const demo = measured("demo");
  const model = fitProvingModel(test, demo);
  const slot: SlotCost = {
    perTrade: at("constraints_per_trade", "slot-prod").value,
    overhead: at("constraints_batch_overhead", "slot-prod").value,
  };
  const src = "bench/lib/batchsize.ts";
  const n = (v: number): string => Math.round(v).toLocaleString("en-US");
  const points =
    `prove_ms_per_batch_cold@test ${n(test.proveSeconds * 1000)} ms at ${n(test.constraints)} constraints ` +
    `and @demo ${n(demo.proveSeconds * 1000)} ms at ${n(demo.constraints)}`;
  const figures: Figure[] = [];
  for (const nTx of BATCH_SIZES) {
    const p = predict(model, slot, nTx, cores);
    const name = (what: string): string => `${what}_model_at_batch_${nTx}`;
    const beyond = p.power > MAX_CEREMONY_POWER ? `, beyond snarkjs's 2^${MAX_CEREMONY_POWER}` : "";
    figures.push(
      {
        name: name("constraints_per_batch"),
        profile: "prod",
        value: p.constraints,
        unit: "constraints",
        better: "lower",
        source: src,
        note: `constraints_batch_overhead@slot-prod + ${nTx} × constraints_per_trade@slot-prod; ceremony 2^${p.power}${beyond} (largest batch at that power: ${largestBatch(slot, p.power)})`,
      },
      {
        name: name("prove_s_per_batch"),
        profile: "prod",
        value: Math.round(p.proveSeconds),
        unit: "s",
        better: "lower",
        source: src,
        note:
          `snarkjs on one ${cores}-core machine, EXTRAPOLATED ${Math.round(p.constraints / demo.constraints)}× beyond the larger of two points: ` +
          `the line through ${points}; the padded domain's n·log n gives ${n(p.proveSecondsDomain)} s; ` +
          `witness (wasm) + prove ${n(p.provedSeconds)} s, ${p.tradesPerSecondPerCore.toPrecision(2)} trades/s per core`,
      },
      {
        name: name("zkey_gb"),
        profile: "prod",
        value: Math.round(p.zkeyBytes / 1e8) / 10,
        unit: "GB",
        better: "lower",
        source: src,
        note: `64 B × 2^${p.power} H points + ${Math.round(model.zkeyBytesPerConstraint)} B per constraint, fitted on the zkeys of ${zkeySources.join(" and ")}; a prover holds it in memory`,
      },
    );
  }
  return figures;
}
