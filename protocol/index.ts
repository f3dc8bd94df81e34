/**
 * The Tessera reference model: pure TypeScript, bigint only, no I/O, no clock.
 * Call `await initCrypto()` once before hashing or signing.
 */
import { initPoseidon } from "./poseidon.ts";

/** Initialises the hash (circomlibjs' Poseidon builds asynchronously). Idempotent. */
export async function initCrypto(): Promise<void> {
  await initPoseidon();
}

export * from "./account.ts";
export * from "./batch.ts";
export * from "./commitment.ts";
export * from "./circuitInput.ts";
export * from "./constants.ts";
export * from "./errors.ts";
export * from "./field.ts";
export * from "./instruments.ts";
export * from "./keys.ts";
export * from "./margin.ts";
export * from "./poseidon.ts";
export * from "./profiles.ts";
export * from "./proof.ts";
export * from "./priceUse.ts";
export * from "./pubdata.ts";
export * from "./rebuild.ts";
export * from "./signing.ts";
export * from "./state.ts";
export * from "./check.ts";
export * from "./tree.ts";
export { largestLiquidation, rulesPrice, settlementKey, validateContext, withinBand } from "./transition.ts";
export * from "./types.ts";
