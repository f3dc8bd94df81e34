/**
 * Circuit profiles, declared once in circuits/profiles.json (docs/protocol.md §9).
 */
import profiles from "../circuits/profiles.json" with { type: "json" };
import { BITS } from "./constants.ts";
import { ProtocolError } from "./errors.ts";
import type { Profile } from "./types.ts";

export type ProfileName = keyof typeof profiles.profiles;

export const PROFILE_NAMES = Object.keys(profiles.profiles) as ProfileName[];

function check(name: string, condition: boolean, rule: string): void {
  if (!condition) throw new ProtocolError("BAD_PROFILE", `profile ${name}: ${rule}`);
}

/** Validates a profile against the limits the encodings impose. */
export function validateProfile(p: Profile): Profile {
  const n = p.name;
  check(n, Number.isInteger(p.nTx) && p.nTx >= 1, "nTx must be a positive integer");
  check(
    n,
    Number.isInteger(p.accountDepth) && p.accountDepth >= 1 && p.accountDepth <= BITS.maxAccountDepth,
    `accountDepth must be in 1..${BITS.maxAccountDepth}`,
  );
  // ≤ 32: the low 32 bits of an order id that a slot posts name its order-tree slot (§5.3, §7).
  check(
    n,
    Number.isInteger(p.orderDepth) && p.orderDepth >= 1 && p.orderDepth <= BITS.postedOrderId,
    `orderDepth must be in 1..${BITS.postedOrderId}`,
  );
  // Both trees are quaternary (§4): a level takes two index bits.
  check(n, p.accountDepth % 2 === 0 && p.orderDepth % 2 === 0, "accountDepth and orderDepth must be even");
  check(
    n,
    Number.isInteger(p.positions) && p.positions >= 2 && p.positions <= 16 && p.positions % 2 === 0,
    "positions must be even, 2..16",
  );
  check(n, Number.isInteger(p.underlyings) && p.underlyings >= 1 && p.underlyings <= 3, "underlyings must be 1..3");
  check(n, Number.isInteger(p.settlements) && p.settlements >= 0, "settlements must be a non-negative integer");
  check(
    n,
    Number.isInteger(p.deposits) && p.deposits >= 1 && p.deposits <= p.nTx && p.deposits <= 255,
    "deposits must be 1..min(nTx, 255)",
  );
  check(
    n,
    Number.isInteger(p.instruments) && p.instruments >= 1 && p.instruments < 1 << BITS.instrumentIndex,
    `instruments must be 1..${(1 << BITS.instrumentIndex) - 1}`,
  );
  check(n, p.fundingInterval > 0n && p.fundingInterval < 1n << BigInt(BITS.timestamp), "fundingInterval out of range");
  // globalHash = H(feePool, F[1..U], lastFundingTime[1..U]) must stay within L1's 8-input Poseidon.
  check(n, 1 + 2 * p.underlyings <= 8, "globalHash would exceed 8 inputs");
  return p;
}

/** The named profile from circuits/profiles.json, validated. */
export function getProfile(name: string): Profile {
  if (!Object.hasOwn(profiles.profiles, name)) {
    throw new ProtocolError("BAD_PROFILE", `unknown profile ${name} (known: ${PROFILE_NAMES.join(", ")})`);
  }
  const raw = profiles.profiles[name as ProfileName];
  return validateProfile({
    name,
    nTx: raw.nTx,
    accountDepth: raw.accountDepth,
    orderDepth: raw.orderDepth,
    positions: raw.positions,
    underlyings: raw.underlyings,
    settlements: raw.settlements,
    deposits: raw.deposits,
    instruments: raw.instruments,
    fundingInterval: BigInt(raw.fundingInterval),
  });
}
