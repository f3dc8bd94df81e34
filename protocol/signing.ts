/**
 * Order hashing and EdDSA-Poseidon signatures (docs/protocol.md §5.1, §5.2).
 *
 * All signature checks in the protocol go through `verifyOrderSignature`, which uses the fast
 * verifier of eddsa-fast.ts: it accepts exactly what circomlib's EdDSAPoseidonVerifier accepts
 * for points on the curve. (circomlibjs' own `verifyPoseidon` is not used: it accepts an
 * identity-R8, S = 0 forgery under small-order keys, which the circuit rejects.)
 */
import { EddsaVerifier, signFast } from "./eddsa-fast.ts";
import { FIELD_MODULUS } from "./field.ts";
import { WITHDRAWAL_INSTRUMENT } from "./instruments.ts";
import { publicKeyOf } from "./keys.ts";
import type { PrivateKey } from "./keys.ts";
import { poseidon } from "./poseidon.ts";
import { Side } from "./types.ts";
import type { Order, SignedOrder } from "./types.ts";

/** `orderHash = H(domain, accountId, instrument, side, size, price, orderId, expiry, flags)`. */
export function orderHash(order: Order, domain: bigint): bigint {
  return poseidon([
    domain,
    order.accountId,
    order.instrument,
    BigInt(order.side),
    order.size,
    order.price,
    order.orderId,
    order.expiry,
    order.flags,
  ]);
}

/** The order that signs an L2 withdrawal of `amount` (§5.2). */
export function withdrawalOrder(accountId: bigint, amount: bigint, orderId: bigint, expiry: bigint): Order {
  return {
    accountId,
    instrument: WITHDRAWAL_INSTRUMENT,
    side: Side.BUY,
    size: amount,
    price: 0n,
    orderId,
    expiry,
    flags: 0n,
  };
}

/** Signs `order` for `domain` with a trading key (EdDSA-Poseidon over `orderHash`). */
export function signOrder(privateKey: PrivateKey, order: Order, domain: bigint): SignedOrder {
  return { order, signature: signFast(privateKey, orderHash(order, domain)), publicKey: publicKeyOf(privateKey) };
}

function isFieldElement(v: bigint): boolean {
  return v >= 0n && v < FIELD_MODULUS;
}

/** Bound of the cache of verified signatures (entries, oldest evicted first). */
const VERIFIED_CACHE_SIZE = 16_384;
const verified = new Set<string>();
/** Keeps per-key tables for frequent signers (market makers); see EddsaVerifier. */
const verifier = new EddsaVerifier();

/**
 * True when `signed.signature` is a valid EdDSA-Poseidon signature of `orderHash(order, domain)`
 * under `signed.publicKey`. (That the key's hash is the account's pkHash is the caller's check.)
 *
 * Positive results are cached by the complete tuple (message hash, signature, key), so an order
 * checked at intake is not verified again when each of its fills is applied.
 */
export function verifyOrderSignature(signed: SignedOrder, domain: bigint): boolean {
  const { signature: s, publicKey: pk } = signed;
  if (![s.R8x, s.R8y, pk.x, pk.y].every(isFieldElement) || s.S < 0n) return false;
  const msg = orderHash(signed.order, domain);
  const key = `${msg}:${s.R8x}:${s.R8y}:${s.S}:${pk.x}:${pk.y}`;
  if (verified.has(key)) return true;
  const ok = verifier.verify(pk, msg, s);
  if (ok) {
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.values().next().value!);
    verified.add(key);
  }
  return ok;
}

/** "tessera-session" as an integer: the tag that separates session messages from orders. */
export const SESSION_TAG = 0x746573736572612d73657373696f6en;

/**
 * The field element a trading key signs to open an API session on a venue: `H(domain,
 * SESSION_TAG, accountId, challenge)`. It has 4 Poseidon inputs where an order hash has 9, so a
 * session signature can never be replayed as an order, and the domain binds it to one deployment.
 */
export function sessionMessage(domain: bigint, accountId: bigint, challenge: bigint): bigint {
  return poseidon([domain, SESSION_TAG, accountId, challenge]);
}
