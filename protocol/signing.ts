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
import type { Order, PublicKey, Signature, SignedOrder } from "./types.ts";

/** The Poseidon inputs of `orderHash`: the domain, then the order's fields in signing order. */
export function orderHashInputs(order: Order, domain: bigint): bigint[] {
  return [
    domain,
    order.accountId,
    order.instrument,
    BigInt(order.side),
    order.size,
    order.price,
    order.orderId,
    order.expiry,
    order.flags,
  ];
}

/** `orderHash = H(domain, accountId, instrument, side, size, price, orderId, expiry, flags)`. */
export function orderHash(order: Order, domain: bigint): bigint {
  return poseidon(orderHashInputs(order, domain));
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

/** Bound of the cache of verified signatures (messages, oldest evicted first). */
const VERIFIED_CACHE_SIZE = 16_384;
/** Bound of the signatures remembered for one message (more are verified each time). */
const VERIFIED_PER_MESSAGE = 4;
/** A signature and key that verified for a message: every value a hit must match. */
interface VerifiedTuple {
  readonly R8x: bigint;
  readonly R8y: bigint;
  readonly S: bigint;
  readonly x: bigint;
  readonly y: bigint;
}
/**
 * Verified (message hash, signature, key) tuples, by message hash; insertion order = age. The
 * values are kept as the bigints they are (the order's own), not as decimal text: a key of six
 * 254-bit numbers written out took about 840 bytes and 1.5 µs per order, and outlived the
 * venue's young generation.
 */
const verified = new Map<bigint, VerifiedTuple[]>();
/**
 * Signed orders whose signature verified, with the values it verified for: an order's fields,
 * signature, key and the domain. It lives exactly as long as the order object (a resting order
 * keeps it until it leaves the book), so unlike the bounded tuple cache it is never evicted
 * while a fill may still need it. A hit compares every value (no hashing): an object changed
 * after its check misses and is verified again.
 */
const verifiedOrders = new WeakMap<SignedOrder, readonly bigint[]>();
/** Keeps per-key tables for frequent signers (market makers); see EddsaVerifier. */
const verifier = new EddsaVerifier();

function checkedValues(signed: SignedOrder, domain: bigint): bigint[] {
  const { signature: s, publicKey: pk } = signed;
  return [...orderHashInputs(signed.order, domain), s.R8x, s.R8y, s.S, pk.x, pk.y];
}

function knownValid(signed: SignedOrder, domain: bigint): boolean {
  const seen = verifiedOrders.get(signed);
  if (seen === undefined) return false;
  const now = checkedValues(signed, domain);
  return seen.every((v, i) => v === now[i]);
}

/** Whether `s` under `pk` verified for `msg` before (every value equal). */
function isVerified(msg: bigint, s: Signature, pk: PublicKey): boolean {
  const tuples = verified.get(msg);
  if (tuples === undefined) return false;
  for (const t of tuples)
    if (t.R8x === s.R8x && t.R8y === s.R8y && t.S === s.S && t.x === pk.x && t.y === pk.y) return true;
  return false;
}

/** Records a positive check of `s` under `pk` for `msg`, made for the values `values` of `signed`. */
function remember(signed: SignedOrder, values: readonly bigint[], msg: bigint, s: Signature, pk: PublicKey): void {
  if (!isVerified(msg, s, pk)) {
    const tuple: VerifiedTuple = { R8x: s.R8x, R8y: s.R8y, S: s.S, x: pk.x, y: pk.y };
    const tuples = verified.get(msg);
    if (tuples !== undefined) {
      if (tuples.length < VERIFIED_PER_MESSAGE) tuples.push(tuple);
    } else {
      if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
      verified.set(msg, [tuple]);
    }
  }
  verifiedOrders.set(signed, values);
}

function wellFormed(signed: SignedOrder): boolean {
  const { signature: s, publicKey: pk } = signed;
  return [s.R8x, s.R8y, pk.x, pk.y].every(isFieldElement) && s.S >= 0n;
}

/**
 * True when `signed.signature` is a valid EdDSA-Poseidon signature of `orderHash(order, domain)`
 * under `signed.publicKey`. (That the key's hash is the account's pkHash is the caller's check.)
 *
 * Each order is verified once: a positive result is remembered for the order object (see
 * `verifiedOrders`) and by the complete tuple (message hash, signature, key), so an order checked
 * at intake (here or by `verifyOrderSignatureWith`) is not verified again when its fills are
 * applied, dry-run or put in a batch.
 */
export function verifyOrderSignature(signed: SignedOrder, domain: bigint): boolean {
  if (knownValid(signed, domain)) return true;
  if (!wellFormed(signed)) return false;
  const { signature: s, publicKey: pk } = signed;
  const values = checkedValues(signed, domain);
  const msg = orderHash(signed.order, domain);
  if (isVerified(msg, s, pk) || verifier.verify(pk, msg, s)) {
    remember(signed, values, msg, s, pk);
    return true;
  }
  return false;
}

/**
 * `verifyOrderSignature` with the order hash and the EdDSA check done by `verify` (the
 * sequencer's verifier processes, off its thread): a positive answer is remembered exactly as a
 * check in this process would be, so the order is not verified again when it fills. `verify`
 * must return `orderHash(signed.order, domain)` when `signed.signature` is a valid signature of
 * it under `signed.publicKey` by circomlib's rule (`verifyFast`), else null; it is not called
 * for an order already known valid.
 */
export async function verifyOrderSignatureRemote(
  signed: SignedOrder,
  domain: bigint,
  verify: (signed: SignedOrder, domain: bigint) => Promise<bigint | null>,
): Promise<boolean> {
  if (knownValid(signed, domain)) return true;
  if (!wellFormed(signed)) return false;
  // The values are taken before the wait: what is remembered is what was verified.
  const values = checkedValues(signed, domain);
  const copy: SignedOrder = {
    order: { ...signed.order },
    signature: { ...signed.signature },
    publicKey: { ...signed.publicKey },
  };
  const msg = await verify(copy, domain);
  if (msg === null) return false;
  remember(signed, values, msg, copy.signature, copy.publicKey);
  return true;
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
