/**
 * Account leaves and position slots (docs/protocol.md §4).
 *
 *   leaf(account) = H(pkHash, owner, collateral, orderRoot, positionsHash)
 *   positionsHash = H(inst0, size0, cost0, inst1, size1, cost1)          when P = 2
 *                 = H(pairHash[0], …, pairHash[P/2 − 1])                 when P > 2
 *   orderLeaf     = H(orderId, filled)
 */
import { poseidon } from "./poseidon.ts";
import { emptyRoot } from "./tree.ts";
import type { Account, Position, Profile } from "./types.ts";

/** The canonical empty position slot: size 0 and then instrument = cost = 0. */
export const EMPTY_POSITION: Position = Object.freeze({ instrument: 0n, size: 0n, cost: 0n });

/** `H(orderId, filled)`. */
export function orderLeafHash(orderId: bigint, filled: bigint): bigint {
  return poseidon([orderId, filled]);
}

/** The empty order leaf `H(0, 0)`. */
export function emptyOrderLeaf(): bigint {
  return orderLeafHash(0n, 0n);
}

/** Root of an order tree of depth `profile.orderDepth` holding only empty leaves. */
export function emptyOrderRoot(profile: Profile): bigint {
  return emptyRoot(emptyOrderLeaf(), profile.orderDepth);
}

/** The empty account: zero key, owner and collateral, empty order tree, empty slots. */
export function emptyAccount(profile: Profile): Account {
  return {
    pkHash: 0n,
    owner: 0n,
    collateral: 0n,
    orderRoot: emptyOrderRoot(profile),
    positions: Array.from({ length: profile.positions }, () => EMPTY_POSITION),
  };
}

/** True when the account equals the empty account (an unused leaf). */
export function isEmptyAccount(account: Account, profile: Profile): boolean {
  return (
    account.pkHash === 0n &&
    account.owner === 0n &&
    account.collateral === 0n &&
    account.orderRoot === emptyOrderRoot(profile) &&
    account.positions.every(isEmptySlot)
  );
}

export function isEmptySlot(p: Position): boolean {
  return p.size === 0n;
}

/**
 * Pair hashes by the identity of the two positions. A `Position` is never changed in place (its
 * fields are readonly, and a write puts a new object in a copy of the array, `withPosition`), so
 * the same two objects always hash alike: an account written by a fill, which changes one
 * position, pays for one pair instead of all of them, and empty pairs are hashed once.
 */
const pairHashes = new WeakMap<Position, { readonly b: Position; readonly hash: bigint }>();

function pairHash(a: Position, b: Position): bigint {
  const known = pairHashes.get(a);
  if (known !== undefined && known.b === b) return known.hash;
  const hash = poseidon([a.instrument, a.size, a.cost, b.instrument, b.size, b.cost]);
  pairHashes.set(a, { b, hash });
  return hash;
}

/** `positionsHash` of §4 for exactly `profile.positions` slots. */
export function positionsHash(positions: readonly Position[], profile: Profile): bigint {
  if (positions.length !== profile.positions) {
    throw new RangeError(`expected ${profile.positions} position slots, got ${positions.length}`);
  }
  if (positions.length === 2) return pairHash(positions[0]!, positions[1]!);
  const pairs: bigint[] = [];
  for (let j = 0; j < positions.length; j += 2) pairs.push(pairHash(positions[j]!, positions[j + 1]!));
  return poseidon(pairs);
}

/** The account tree leaf `H(pkHash, owner, collateral, orderRoot, positionsHash)`. */
export function leafHash(account: Account, profile: Profile): bigint {
  return poseidon([
    account.pkHash,
    account.owner,
    account.collateral,
    account.orderRoot,
    positionsHash(account.positions, profile),
  ]);
}

/** Index of the slot holding `instrument`, or -1. */
export function findSlot(account: Account, instrument: bigint): number {
  return account.positions.findIndex((p) => p.size !== 0n && p.instrument === instrument);
}

/** The slot holding `instrument`, else the first empty slot, else -1 (§6.3.6). */
export function slotFor(account: Account, instrument: bigint): number {
  const held = findSlot(account, instrument);
  return held >= 0 ? held : account.positions.findIndex(isEmptySlot);
}

export function hasOpenPosition(account: Account): boolean {
  return account.positions.some((p) => p.size !== 0n);
}

/** A copy of `account` with slot `index` replaced (an emptied slot becomes canonical). */
export function withPosition(account: Account, index: number, position: Position): Account {
  const positions = account.positions.slice();
  positions[index] = position.size === 0n ? EMPTY_POSITION : position;
  return { ...account, positions };
}

/**
 * Applies a fill of signed size `q` (positive buys) with cost change `costDelta` to slot
 * `index` (§6.1): `size += q`, `cost += costDelta`; a slot that returns to size 0 is realised
 * (`collateral −= cost`) and cleared. The slot must be empty or hold `instrument`.
 */
export function applyFill(account: Account, index: number, instrument: bigint, q: bigint, costDelta: bigint): Account {
  const slot = account.positions[index];
  if (slot === undefined || (slot.size !== 0n && slot.instrument !== instrument)) {
    throw new RangeError(`slot ${index} cannot take instrument ${instrument}`);
  }
  const size = slot.size + q;
  const cost = slot.cost + costDelta;
  if (size === 0n) return withPosition({ ...account, collateral: account.collateral - cost }, index, EMPTY_POSITION);
  return withPosition(account, index, { instrument, size, cost });
}
