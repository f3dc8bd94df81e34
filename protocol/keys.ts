/**
 * Trading keys (docs/protocol.md §2): a Baby Jubjub EdDSA key derived from a wallet signature.
 *
 * The wallet signs `KEY_MESSAGE_V1` with EIP-191 `personal_sign`; the 32-byte private key is
 * keccak256 of the 65-byte r‖s‖v signature. The public key is circomlib's `prv2pub` of it and
 * `pkHash = H(Ax, Ay)` is what an account leaf stores.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { publicKeyFast } from "./eddsa-fast.ts";
import { ProtocolError } from "./errors.ts";
import { poseidon } from "./poseidon.ts";
import type { PublicKey } from "./types.ts";

export const KEY_MESSAGE_V1 =
  "Tessera trading key v1\nThis signature derives your Tessera trading key. Sign it only on the Tessera app.";

/** A trading private key: 32 bytes. */
export type PrivateKey = Uint8Array;

/** keccak256 of the wallet's 65-byte signature of `KEY_MESSAGE_V1`. */
export function tradingKeyFromSignature(signature: Uint8Array): PrivateKey {
  if (signature.length !== 65) {
    throw new ProtocolError("BAD_SIGNATURE", `a wallet signature is 65 bytes (r‖s‖v), got ${signature.length}`);
  }
  return keccak_256(signature);
}

/** Same as `tradingKeyFromSignature` for a 0x-prefixed hex signature as wallets return it. */
export function tradingKeyFromSignatureHex(hex: string): PrivateKey {
  const body = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (!/^[0-9a-fA-F]{130}$/.test(body)) throw new ProtocolError("BAD_SIGNATURE", "expected 65 bytes of hex");
  const bytes = new Uint8Array(65);
  for (let i = 0; i < 65; i++) bytes[i] = parseInt(body.slice(2 * i, 2 * i + 2), 16);
  return tradingKeyFromSignature(bytes);
}

/** The trading public key: circomlib's `prv2pub`, computed by the fast implementation. */
export function publicKeyOf(privateKey: PrivateKey): PublicKey {
  return publicKeyFast(privateKey);
}

/** `pkHash = H(Ax, Ay)`, stored in the account leaf. */
export function pkHash(publicKey: PublicKey): bigint {
  return poseidon([publicKey.x, publicKey.y]);
}

/** Bound of `pkHashCached`'s memo: far more trading keys than a venue has active at once. */
const KEY_HASH_CACHE_SIZE = 100_000;
const keyHashes = new Map<string, bigint>();
/** The same per key object: a resting order's key is looked up at each of its fills. */
const keyObjects = new WeakMap<PublicKey, { readonly x: bigint; readonly y: bigint; readonly h: bigint }>();

/**
 * `pkHash`, remembered per key: the transition checks the signer's key against the account on
 * every fill, and a market maker signs with one key all day. Bounded (oldest dropped first).
 */
export function pkHashCached(publicKey: PublicKey): bigint {
  const seen = keyObjects.get(publicKey);
  // The values are compared too: an object changed after its lookup misses.
  if (seen !== undefined && seen.x === publicKey.x && seen.y === publicKey.y) return seen.h;
  const k = `${publicKey.x}:${publicKey.y}`;
  let h = keyHashes.get(k);
  if (h === undefined) {
    h = pkHash(publicKey);
    if (keyHashes.size >= KEY_HASH_CACHE_SIZE) keyHashes.delete(keyHashes.keys().next().value!);
    keyHashes.set(k, h);
  }
  keyObjects.set(publicKey, { x: publicKey.x, y: publicKey.y, h });
  return h;
}
