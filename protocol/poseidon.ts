/**
 * Poseidon over BN254 exactly as circomlib's `Poseidon(n)` template.
 *
 * Two implementations with the same output, byte for byte:
 * - native: native/ (C, Node-API), built from source at `npm install`; 4-5x circomlibjs on
 *   one core (bench section `crypto`, docs/benchmarks.md);
 * - js: circomlibjs (wasm-backed), the reference and the fallback.
 * `initPoseidon()` (or `initCrypto()` from protocol/index.ts) picks native when the addon loads,
 * else js; `TESSERA_CRYPTO=js` forces js. Call it once at start-up; then `poseidon()` is
 * synchronous. test/protocol/native-crypto.test.ts checks the two against each other.
 */
import { buildPoseidon } from "circomlibjs";
import { loadNativeCrypto } from "../native/index.ts";
import type { NativeCrypto } from "../native/index.ts";
import { FIELD_MODULUS, toField } from "./field.ts";

export type PoseidonBackend = "native" | "js";

interface CircomlibPoseidon {
  (inputs: readonly bigint[]): Uint8Array;
  F: { toObject(x: Uint8Array): bigint };
}

let reference: CircomlibPoseidon | null = null;
let pendingReference: Promise<void> | null = null;
let native: NativeCrypto | null = null;
let backend: PoseidonBackend | null = null;
let pending: Promise<void> | null = null;

/** Builds circomlibjs's hasher (the js backend), whichever backend is selected. Idempotent. */
export function initPoseidonJs(): Promise<void> {
  pendingReference ??= (buildPoseidon() as Promise<CircomlibPoseidon>).then((p) => {
    reference = p;
  });
  return pendingReference;
}

/** Selects the backend (native unless TESSERA_CRYPTO=js or the addon does not load). Idempotent. */
export function initPoseidon(): Promise<void> {
  pending ??= (async () => {
    const addon = process.env.TESSERA_CRYPTO === "js" ? null : loadNativeCrypto().addon;
    if (addon !== null) {
      native = addon;
      backend = "native";
    } else {
      await initPoseidonJs();
      backend = "js";
    }
  })();
  return pending;
}

export function isPoseidonReady(): boolean {
  return backend !== null;
}

/** The backend `poseidon()` uses, or null before `initPoseidon()` has finished. */
export function poseidonBackend(): PoseidonBackend | null {
  return backend;
}

function checkArity(n: number): void {
  if (n < 1 || n > 16) throw new RangeError(`Poseidon takes 1..16 inputs, got ${n}`);
}

/** The inputs as canonical field elements; the same array when they already are. */
function canonical(inputs: readonly bigint[]): readonly bigint[] {
  for (const x of inputs) if (x < 0n || x >= FIELD_MODULUS) return inputs.map(toField);
  return inputs;
}

/**
 * Poseidon hash of 1..16 field elements. Inputs are reduced with `toField`, so signed values
 * and values ≥ p hash as their field encoding (as circomlibjs does with `F.e`).
 */
export function poseidon(inputs: readonly bigint[]): bigint {
  if (native !== null) {
    checkArity(inputs.length);
    return native.poseidon(canonical(inputs));
  }
  return poseidonJs(inputs);
}

/**
 * Many Poseidon hashes of the same width in one call (one crossing into native code):
 * `poseidonMany([[a, b], [c, d]])` is `[poseidon([a, b]), poseidon([c, d])]`.
 */
export function poseidonMany(inputs: readonly (readonly bigint[])[]): bigint[] {
  if (inputs.length === 0) return [];
  const width = inputs[0].length;
  checkArity(width);
  for (const row of inputs)
    if (row.length !== width) throw new RangeError(`poseidonMany: rows of ${width} and ${row.length} inputs`);
  if (native === null) return inputs.map(poseidonJs);
  const flat: bigint[] = [];
  for (const row of inputs) for (const x of canonical(row)) flat.push(x);
  return native.poseidonMany(flat, width);
}

/** Hashes being computed on another thread (`poseidonAhead`). */
export interface PoseidonJob {
  /** Waits for the hashes and returns them, row by row; this thread remembers them from then on. */
  finish(): bigint[];
}

/**
 * Starts hashing, on a thread of its own, a plan of rows a caller will need later (the batch
 * builder's next order trees, sequencer/builder/prehash.ts; protocol/tree.ts `planHashes` makes
 * the plan): row r hashes `widths[r]` (1..4) inputs, input i being `spec[4r + i]`: `literals[s]`
 * for s >= 0, else the output of the earlier row −s − 1. Once `finish()` has returned, this
 * thread's `poseidon()` answers each row's inputs from a memo, until `poseidonMemoReset()`.
 * Poseidon is a function, so the memo makes a hash faster, never different. Null with the js
 * backend, which has no threads to spare.
 */
export function poseidonAhead(widths: Uint8Array, spec: Int32Array, literals: readonly bigint[]): PoseidonJob | null {
  if (native === null) return null;
  const addon = native;
  const job = addon.poseidonJobStart(widths, spec, canonical(literals));
  return { finish: () => addon.poseidonJobFinish(job) };
}

/** Forgets the hashes this thread remembers from `poseidonAhead` jobs (none with the js backend). */
export function poseidonMemoReset(): void {
  native?.poseidonMemoReset();
}

/** The native addon when it is the selected backend (protocol/eddsa-fast.ts verifies with it),
 * else null. */
export function nativeBackend(): NativeCrypto | null {
  return native;
}

/** Poseidon by circomlibjs, whatever the backend (needs `initPoseidonJs()` or the js backend). */
export function poseidonJs(inputs: readonly bigint[]): bigint {
  if (reference === null) throw new Error("Poseidon is not initialised: await initCrypto() first");
  checkArity(inputs.length);
  const out = reference.F.toObject(reference(inputs.map(toField)));
  if (out >= FIELD_MODULUS) throw new Error("Poseidon output out of field");
  return out;
}

/** Poseidon by the native addon, whatever the backend; throws when the addon did not load. */
export function poseidonNative(inputs: readonly bigint[]): bigint {
  const { addon, error } = loadNativeCrypto();
  if (addon === null) throw new Error(`native Poseidon unavailable: ${error}`);
  checkArity(inputs.length);
  return addon.poseidon(canonical(inputs));
}
