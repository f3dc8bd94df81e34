/**
 * Verifying a batch's proof in the browser from L1 data alone: the `submitBatch` calldata of
 * the transaction that emitted `BatchVerified`, the old root from that event, and the domain of
 * the deployment. Nothing comes from the sequencer, so a trader can check the operator's work.
 *
 * The verifier's one public input is the commitment of docs/protocol.md §8, sha256 of the public data
 *   [oldStateRoot, newStateRoot, t, domain, price[1..U], settlement[0..K), instrument[0..I),
 *    deposit record[0..D), f0/f1 of every slot]
 * at fixed widths (protocol/commitment.ts), and the proof arrives packed as `[a0, a1, b00, b01, b10, b11, c0, c1]` (§8.1); protocol/proof.ts
 * `unpackProof` turns it back into the object snarkjs verifies.
 */
import type { BatchHeader } from "../../protocol/batch.ts";
import { batchCommitment } from "../../protocol/commitment.ts";
import type { Groth16ProofJson } from "../../protocol/proof.ts";

/** The public data the commitment hashes, rebuilt from L1 calldata. */
export function publicDataFromCalldata(
  oldStateRoot: bigint,
  domain: bigint,
  header: Pick<BatchHeader, "newStateRoot" | "timestamp" | "prices" | "settlements" | "instruments" | "deposits">,
  slots: readonly bigint[],
): bigint[] {
  return [
    oldStateRoot,
    header.newStateRoot,
    header.timestamp,
    domain,
    ...header.prices,
    ...header.settlements,
    ...header.instruments,
    ...header.deposits,
    ...slots,
  ];
}

/** The public inputs the verifier checks, `[commitment]`, rebuilt from L1 calldata. */
export function publicInputsFromCalldata(
  oldStateRoot: bigint,
  domain: bigint,
  header: Pick<BatchHeader, "newStateRoot" | "timestamp" | "prices" | "settlements" | "instruments" | "deposits">,
  slots: readonly bigint[],
): bigint[] {
  const shape = {
    nTx: slots.length / 2,
    underlyings: header.prices.length,
    settlements: header.settlements.length,
    instruments: header.instruments.length,
    deposits: header.deposits.length / 2,
  };
  return [batchCommitment(shape, publicDataFromCalldata(oldStateRoot, domain, header, slots))];
}

/** Verifies with snarkjs (loaded on first use: it is large). */
export async function verifyGroth16(
  verificationKey: unknown,
  publicInputs: readonly bigint[],
  proof: Groth16ProofJson,
): Promise<boolean> {
  const declared = (verificationKey as { nPublic?: unknown } | null)?.nPublic;
  if (typeof declared !== "number") throw new Error("The verification key file is not a snarkjs Groth16 key.");
  if (declared !== publicInputs.length) {
    throw new Error(
      `The verification key takes ${declared} public inputs but this batch has ${publicInputs.length}: it is another profile's key.`,
    );
  }
  const snarkjs = await import("snarkjs");
  return snarkjs.groth16.verify(
    verificationKey,
    publicInputs.map((v) => v.toString()),
    proof,
  );
}
