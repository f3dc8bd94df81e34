/**
 * One table of the public data's fields and widths (docs/protocol.md §8) and the edge values of
 * each (0, 1, 2^n − 1 and, for a 32-byte word, r − 1). protocol/'s `batchCommitment`, the circuit
 * (test/circuits/commitment.test.ts) and the contract (test/contracts/commitment.test.ts) are
 * checked to agree on every case it yields.
 */
import { FIELD_MODULUS } from "../../protocol/field.ts";
import { publicDataWidths } from "../../protocol/commitment.ts";
import type { Profile } from "../../protocol/types.ts";

type Shape = Pick<Profile, "nTx" | "underlyings" | "settlements" | "instruments" | "deposits">;

/** Every field of the public data with its bit width in the commitment (32-byte words: a field element). */
export function commitmentFields(p: Shape): { readonly name: string; readonly bits: number }[] {
  const names = [
    "oldStateRoot",
    "newStateRoot",
    "t",
    "domain",
    ...Array.from({ length: p.underlyings }, (_, u) => `price[${u + 1}]`),
    ...Array.from({ length: p.settlements }, (_, k) => `settlement[${k}]`),
    ...Array.from({ length: p.instruments }, (_, j) => `instrument[${j}]`),
    ...Array.from({ length: p.deposits }, (_, j) => [`depositOwner[${j}]`, `depositPkHash[${j}]`]).flat(),
    ...Array.from({ length: p.nTx }, (_, i) => [`f0[${i}]`, `f1[${i}]`]).flat(),
  ];
  return publicDataWidths(p).map((w, i) => ({ name: names[i]!, bits: w === 32 ? 254 : 8 * w }));
}

/** Edge values of a field: 0, 1, 2^n − 1 (n its width in bits), and r − 1 for a field element. */
export function edges(bits: number): bigint[] {
  return bits === 254 ? [0n, 1n, (1n << 253n) - 1n, FIELD_MODULUS - 1n] : [0n, 1n, (1n << BigInt(bits)) - 1n];
}

/**
 * Cases: every field at each of its edges, the others at 0 (so each edge is seen alone), then
 * every field at its largest value, then a mix (field i at edge i mod #edges). `fixed` pins words
 * a caller cannot choose (the contract's old root and domain).
 */
export function commitmentCases(
  p: Shape,
  fixed: Readonly<Record<number, bigint>> = {},
): { readonly name: string; readonly data: bigint[] }[] {
  const fields = commitmentFields(p);
  const base = (): bigint[] => fields.map((_, i) => fixed[i] ?? 0n);
  const out: { name: string; data: bigint[] }[] = [];
  fields.forEach((f, i) => {
    if (fixed[i] !== undefined) return;
    for (const e of edges(f.bits)) {
      const data = base();
      data[i] = e;
      out.push({
        name: `${f.name} = ${e === 0n ? "0" : e === 1n ? "1" : `max(${f.bits})${e === FIELD_MODULUS - 1n ? " r-1" : ""}`}`,
        data,
      });
    }
  });
  out.push({ name: "every field at its maximum", data: fields.map((f, i) => fixed[i] ?? edges(f.bits).at(-1)!) });
  out.push({
    name: "a mix of edges",
    data: fields.map((f, i) => {
      const e = edges(f.bits);
      return fixed[i] ?? e[i % e.length]!;
    }),
  });
  return out;
}
