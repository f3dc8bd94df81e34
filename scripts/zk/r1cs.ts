/**
 * The header of a circom `.r1cs` file (binfile "r1cs" v1, section 1), read without loading the
 * constraints: what `snarkjs r1cs info` prints, and the ceremony power a Groth16 setup needs.
 */
import { open } from "node:fs/promises";

export interface R1csHeader {
  /** Bytes per field element. */
  readonly n8: number;
  readonly prime: bigint;
  readonly nWires: number;
  readonly nOutputs: number;
  readonly nPubInputs: number;
  readonly nPrvInputs: number;
  readonly nLabels: bigint;
  readonly nConstraints: number;
}

export class R1csError extends Error {
  readonly code = "R1CS";
}

export async function readR1csHeader(file: string): Promise<R1csHeader> {
  const fd = await open(file, "r");
  try {
    const read = async (position: number, length: number): Promise<DataView> => {
      const buff = Buffer.alloc(length);
      const { bytesRead } = await fd.read(buff, 0, length, position);
      if (bytesRead !== length) throw new R1csError(`${file}: truncated`);
      return new DataView(buff.buffer, buff.byteOffset, length);
    };
    const start = await read(0, 12);
    const magic = String.fromCharCode(...[0, 1, 2, 3].map((i) => start.getUint8(i)));
    if (magic !== "r1cs") throw new R1csError(`${file}: not an r1cs file`);
    const nSections = start.getUint32(8, true);
    let pos = 12;
    for (let s = 0; s < nSections; s++) {
      const head = await read(pos, 12);
      const type = head.getUint32(0, true);
      const size = Number(head.getBigUint64(4, true));
      if (type === 1) {
        const n8 = (await read(pos + 12, 4)).getUint32(0, true);
        const primeBytes = await read(pos + 16, n8);
        let prime = 0n;
        for (let i = n8 - 1; i >= 0; i--) prime = (prime << 8n) | BigInt(primeBytes.getUint8(i));
        const rest = await read(pos + 16 + n8, 28);
        return {
          n8,
          prime,
          nWires: rest.getUint32(0, true),
          nOutputs: rest.getUint32(4, true),
          nPubInputs: rest.getUint32(8, true),
          nPrvInputs: rest.getUint32(12, true),
          nLabels: rest.getBigUint64(16, true),
          nConstraints: rest.getUint32(24, true),
        };
      }
      pos += 12 + size;
    }
    throw new R1csError(`${file}: no header section`);
  } finally {
    await fd.close();
  }
}

/**
 * The smallest ceremony power snarkjs's Groth16 setup accepts for this circuit (zkey_new.js:
 * `log2(nConstraints + nPubInputs + nOutputs) + 1`, with `log2` rounding down).
 */
export function groth16Power(h: Pick<R1csHeader, "nConstraints" | "nPubInputs" | "nOutputs">): number {
  const n = h.nConstraints + h.nPubInputs + h.nOutputs;
  return 31 - Math.clz32(n) + 1;
}
