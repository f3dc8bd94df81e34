/**
 * Poseidon over BN254 exactly as circomlib's `Poseidon(n)` template (circomlibjs, wasm-backed).
 *
 * circomlibjs builds its hasher asynchronously; call `initPoseidon()` (or `initCrypto()` from
 * protocol/index.ts) once at start-up, then `poseidon()` is synchronous.
 */
import { buildPoseidon } from "circomlibjs";
import { FIELD_MODULUS, toField } from "./field.ts";

interface CircomlibPoseidon {
  (inputs: readonly bigint[]): Uint8Array;
  F: { toObject(x: Uint8Array): bigint };
}

let instance: CircomlibPoseidon | null = null;
let pending: Promise<void> | null = null;

export function initPoseidon(): Promise<void> {
  pending ??= (buildPoseidon() as Promise<CircomlibPoseidon>).then((p) => {
    instance = p;
  });
  return pending;
}

export function isPoseidonReady(): boolean {
  return instance !== null;
}

/**
 * Poseidon hash of 1..16 field elements. Inputs are reduced with `toField`, so signed values
 * hash as their field encoding.
 */
export function poseidon(inputs: readonly bigint[]): bigint {
  if (instance === null) throw new Error("Poseidon is not initialised: await initCrypto() first");
  if (inputs.length < 1 || inputs.length > 16)
    throw new RangeError(`Poseidon takes 1..16 inputs, got ${inputs.length}`);
  const out = instance.F.toObject(instance(inputs.map(toField)));
  if (out >= FIELD_MODULUS) throw new Error("Poseidon output out of field");
  return out;
}
