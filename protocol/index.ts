/**
 * The Tessera reference model: pure TypeScript, bigint only, no I/O, no clock.
 * Call `await initCrypto()` once before hashing or signing.
 */
import { initEddsa } from "./keys.ts";
import { initPoseidon } from "./poseidon.ts";

/** Initialises Poseidon and EdDSA (both asynchronous in circomlibjs). Idempotent. */
export async function initCrypto(): Promise<void> {
  await Promise.all([initPoseidon(), initEddsa()]);
}

export * from "./account.ts";
export * from "./batch.ts";
export * from "./constants.ts";
export * from "./errors.ts";
export * from "./field.ts";
export * from "./instruments.ts";
export * from "./keys.ts";
export * from "./margin.ts";
export * from "./poseidon.ts";
export * from "./profiles.ts";
export * from "./pubdata.ts";
export * from "./signing.ts";
export * from "./state.ts";
export * from "./tree.ts";
export { validateContext } from "./transition.ts";
export * from "./types.ts";
