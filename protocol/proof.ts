/**
 * Groth16 proofs between snarkjs's JSON and the Solidity verifier (docs/protocol.md §8.1).
 *
 * The snarkjs-generated verifier takes `verifyProof(uint256[2] a, uint256[2][2] b, uint256[2] c,
 * uint256[N] publicInputs)`, with each G2 coordinate of `b` written as `[c1, c0]` (the EVM
 * pairing precompile's order): `b = [[pi_b[0][1], pi_b[0][0]], [pi_b[1][1], pi_b[1][0]]]`, exactly
 * as `snarkjs zkey export soliditycalldata` prints it. Tessera passes the proof as one flat
 * `uint256[8]`: `[a0, a1, b00, b01, b10, b11, c0, c1]`.
 */
import { ProtocolError } from "./errors.ts";
import type { SolidityProof } from "./types.ts";

/** The BN254 base field modulus: every proof coordinate is below it. */
export const BASE_FIELD_MODULUS = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

/** snarkjs's Groth16 proof JSON (projective coordinates as decimal strings). */
export interface Groth16ProofJson {
  readonly pi_a: readonly [string, string, string];
  readonly pi_b: readonly [readonly [string, string], readonly [string, string], readonly [string, string]];
  readonly pi_c: readonly [string, string, string];
  readonly protocol: "groth16";
  readonly curve: "bn128";
}

/** Packs a snarkjs Groth16 proof into the `uint256[8]` the rollup contract forwards. */
export function packProof(proof: Groth16ProofJson): SolidityProof {
  if (proof.protocol !== "groth16") throw new ProtocolError("BAD_MESSAGE", `not a Groth16 proof: ${proof.protocol}`);
  // snarkjs always emits normalised points (z = 1); anything else is not what the verifier checks.
  if (proof.pi_a[2] !== "1" || proof.pi_c[2] !== "1" || proof.pi_b[2][0] !== "1" || proof.pi_b[2][1] !== "0") {
    throw new ProtocolError("BAD_MESSAGE", "proof points are not in affine form (z != 1)");
  }
  return [
    coordinate(proof.pi_a[0]),
    coordinate(proof.pi_a[1]),
    coordinate(proof.pi_b[0][1]),
    coordinate(proof.pi_b[0][0]),
    coordinate(proof.pi_b[1][1]),
    coordinate(proof.pi_b[1][0]),
    coordinate(proof.pi_c[0]),
    coordinate(proof.pi_c[1]),
  ];
}

/** Inverse of `packProof` (for verifying a packed proof with snarkjs). */
export function unpackProof(p: SolidityProof): Groth16ProofJson {
  for (const v of p) checkCoordinate(v);
  const s = (v: bigint): string => v.toString(10);
  return {
    pi_a: [s(p[0]), s(p[1]), "1"],
    pi_b: [
      [s(p[3]), s(p[2])],
      [s(p[5]), s(p[4])],
      ["1", "0"],
    ],
    pi_c: [s(p[6]), s(p[7]), "1"],
    protocol: "groth16",
    curve: "bn128",
  };
}

function coordinate(decimal: string): bigint {
  if (!/^(0|[1-9][0-9]*)$/.test(decimal)) {
    throw new ProtocolError("BAD_MESSAGE", `proof coordinate is not a decimal string: ${JSON.stringify(decimal)}`);
  }
  return checkCoordinate(BigInt(decimal));
}

function checkCoordinate(v: bigint): bigint {
  if (v < 0n || v >= BASE_FIELD_MODULUS) throw new ProtocolError("OUT_OF_RANGE", `proof coordinate out of range: ${v}`);
  return v;
}
