/**
 * The batch's one public input (docs/protocol.md §8): `commitment = sha256(bytes) mod 2^253`, where
 * `bytes` is the public data `[oldStateRoot, newStateRoot, t, domain, price[1..U],
 * settlement[0..K), instrument[0..I), deposit record[0..D) (owner, pkHash), f0/f1 of every slot]` serialized
 * big-endian at fixed widths. The same
 * reduction is `PublicCommitment` in circuits/lib/commitment.circom and `commitment` in
 * TesseraRollup.sol; the three are checked against each other at the edges of every field.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { ensure } from "./errors.ts";
import { FIELD_MODULUS } from "./field.ts";
import { SLOT_BYTES } from "./pubdata.ts";
import type { Profile } from "./types.ts";

/**
 * Bytes of each kind of word in the commitment: t (32 bits), a price (40 bits), a settlement
 * record (80 bits), an instrument-table entry (82 bits), a deposit record's owner (160 bits), a
 * slot's f0 (at most 128 bits) and f1 (at most 64 bits, `SLOT_BYTES`); roots, domain and a
 * deposit record's pkHash are field elements.
 */
export const COMMITMENT_WIDTH = {
  word: 32,
  timestamp: 4,
  price: 5,
  settlement: 10,
  instrument: 11,
  owner: 20,
  f0: SLOT_BYTES.f0,
  f1: SLOT_BYTES.f1,
} as const;

/** 2^253: the commitment is the digest with its top 3 bits cleared, always below r. */
export const COMMITMENT_BOUND = 1n << 253n;

type Shape = Pick<Profile, "nTx" | "underlyings" | "settlements" | "instruments" | "deposits">;

/** Byte width of every word of the public data of `profile`, in order (§8). */
export function publicDataWidths(profile: Shape): number[] {
  const { word, timestamp, price, settlement, instrument, owner, f0, f1 } = COMMITMENT_WIDTH;
  return [
    word,
    word,
    timestamp,
    word,
    ...Array<number>(profile.underlyings).fill(price),
    ...Array<number>(profile.settlements).fill(settlement),
    ...Array<number>(profile.instruments).fill(instrument),
    ...Array.from({ length: 2 * profile.deposits }, (_, i) => (i % 2 === 0 ? owner : word)),
    ...Array.from({ length: 2 * profile.nTx }, (_, i) => (i % 2 === 0 ? f0 : f1)),
  ];
}

/**
 * The bytes the commitment hashes. Throws `OUT_OF_RANGE` for a word that does not fit its width
 * or (a 32-byte word) is not below r, as L1 refuses such calldata.
 */
export function commitmentBytes(profile: Shape, publicData: readonly bigint[]): Uint8Array {
  const widths = publicDataWidths(profile);
  ensure(
    publicData.length === widths.length,
    "OUT_OF_RANGE",
    () => `public data has ${publicData.length} words, the profile ${widths.length}`,
  );
  const out = new Uint8Array(widths.reduce((a, b) => a + b, 0));
  let at = 0;
  publicData.forEach((v, i) => {
    const w = widths[i]!;
    const bound = w === COMMITMENT_WIDTH.word ? FIELD_MODULUS : 1n << BigInt(8 * w);
    ensure(v >= 0n && v < bound, "OUT_OF_RANGE", () => `public data word ${i} (${v}) does not fit ${w} bytes`);
    let x = v;
    for (let b = w - 1; b >= 0; b--) {
      out[at + b] = Number(x & 0xffn);
      x >>= 8n;
    }
    at += w;
  });
  return out;
}

/** `sha256(commitmentBytes) mod 2^253`: the circuit's one public input. */
export function batchCommitment(profile: Shape, publicData: readonly bigint[]): bigint {
  let v = 0n;
  for (const byte of sha256(commitmentBytes(profile, publicData))) v = (v << 8n) | BigInt(byte);
  return v % COMMITMENT_BOUND;
}
