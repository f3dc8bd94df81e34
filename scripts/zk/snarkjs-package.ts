/**
 * Files of the installed snarkjs package that its `exports` map hides (package.json, the
 * Solidity verifier templates).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);

/** The snarkjs package directory (`require.resolve("snarkjs")` is `<dir>/build/main.cjs`). */
export const SNARKJS_DIR = path.resolve(path.dirname(require.resolve("snarkjs")), "..");

export function snarkjsVersion(): string {
  return (JSON.parse(readFileSync(path.join(SNARKJS_DIR, "package.json"), "utf8")) as { version: string }).version;
}

/** The EJS template snarkjs renders into a Groth16 Solidity verifier. */
export function groth16VerifierTemplate(): string {
  return readFileSync(path.join(SNARKJS_DIR, "templates", "verifier_groth16.sol.ejs"), "utf8");
}
