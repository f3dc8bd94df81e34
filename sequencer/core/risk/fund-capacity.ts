/**
 * The insurance fund's position slots against the instruments it may have to take (review round
 * of 12-07, "fund capacity"): venue policy at intake, so that every liquidation and every forced
 * close the L1 queue can bring is servable.
 *
 * Why: a liquidation and a served forced close (docs/protocol.md §6.4, §6.10) move a position to
 * an insurance fund account (§4.1) that holds the instrument or has an empty slot, else protocol/
 * refuses them with NO_POSITION_SLOT. A liquidation refused that way waits (bad debt grows); a
 * forced close refused that way cannot be served at all, its L1 deadline runs out and the rollup
 * enters exodus. A griefer could aim at this: hold a lot of a cheap option in more instruments
 * than the fund has free slots, then queue their forced closes together.
 *
 * The invariant kept: `uncovered ≤ freeSlots`, where
 * - `uncovered` counts the instruments some account other than a fund account holds a position
 *   in while no fund account holds one;
 * - `freeSlots` counts the empty position slots of all insurance fund accounts.
 * While it holds, every instrument a liquidation or a forced close can name is either held by a
 * fund account (the fund adds to that slot) or is one of `uncovered`, and then a free slot exists.
 * Every transition keeps it except one: a fill that gives an instrument nobody holds its first
 * positions while the fund holds none (`uncovered` + 1). The fund taking an instrument uses a slot
 * and covers it (both − 1); its position returning to 0 frees the slot and uncovers it if others
 * still hold it (both + 1); positions closed or settled, and fund accounts registered, only lower
 * `uncovered` or raise `freeSlots`.
 *
 * So intake refuses (NO_FUND_CAPACITY) an order that would fill in an instrument nobody holds, the
 * fund holding none, when `uncovered ≥ freeSlots` (`opens`). Such an order may still rest: a fill
 * needs a taker, and the taker is checked. The operator restores capacity by registering fund
 * accounts (docs/deployment.md, "Insurance fund capacity"); `GET /v1/status` shows both counts.
 *
 * Derived state, kept per written account (`touch`, from `ProtocolLedger.apply`) in O(slots), and
 * rebuilt from the records on a restore (O(accounts · slots), no hashing). Not replayed: a rebuild
 * re-executes the orders the journal holds as they are. Pure: no clock, no I/O.
 */
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../../../protocol/constants.ts";
import type { StateView } from "../../../protocol/check.ts";

/** What one account adds to the counts. */
interface Share {
  readonly fund: boolean;
  /** Instruments the account holds a non-zero position in. */
  readonly held: readonly bigint[];
  /** Its empty slots (counted only for a fund account). */
  readonly free: number;
}

const NOTHING: Share = { fund: false, held: [], free: 0 };

export class FundCapacity {
  /** Per instrument: how many accounts other than fund accounts hold it. */
  private readonly holders = new Map<bigint, number>();
  /** Per instrument: how many fund accounts hold it. */
  private readonly fundHolders = new Map<bigint, number>();
  private readonly shares = new Map<bigint, Share>();
  private free = 0;
  private uncoveredCount = 0;

  /** Counts from the records of `ids` (the registered accounts; account 1 is added). */
  constructor(state: StateView, ids: Iterable<bigint> = []) {
    this.rebuild(state, ids);
  }

  /** Empty position slots across the insurance fund accounts. */
  get freeSlots(): number {
    return this.free;
  }

  /** Instruments held by some account, with no fund account holding them. */
  get uncovered(): number {
    return this.uncoveredCount;
  }

  /** Forgets everything and counts again from the records of `ids` and account 1. */
  rebuild(state: StateView, ids: Iterable<bigint>): void {
    this.holders.clear();
    this.fundHolders.clear();
    this.shares.clear();
    this.free = 0;
    this.uncoveredCount = 0;
    this.touch(state, [INSURANCE_ACCOUNT]);
    this.touch(state, ids);
  }

  /** Takes in the records of accounts a transaction wrote. */
  touch(state: StateView, ids: Iterable<bigint>): void {
    for (const id of ids) {
      const before = this.shares.get(id) ?? NOTHING;
      const after = shareOf(state, id);
      if (sameShare(before, after)) continue;
      this.add(before, -1);
      this.add(after, 1);
      if (after === NOTHING) this.shares.delete(id);
      else this.shares.set(id, after);
    }
  }

  /**
   * Whether a fill in `instrument` could break the invariant: nobody holds it, no fund account
   * holds it, and every free fund slot is already needed by an uncovered instrument.
   */
  opens(instrument: bigint): boolean {
    return !this.holders.has(instrument) && !this.fundHolders.has(instrument) && this.uncoveredCount >= this.free;
  }

  private add(share: Share, sign: 1 | -1): void {
    if (share.fund) {
      this.free += sign * share.free;
      for (const i of share.held) {
        const was = this.fundHolders.get(i) ?? 0;
        bump(this.fundHolders, i, sign);
        // The fund's first holder covers the instrument; its last leaving uncovers it.
        if (this.holders.has(i) && (sign === 1 ? was === 0 : was === 1)) this.uncoveredCount -= sign;
      }
    } else {
      for (const i of share.held) {
        const was = this.holders.get(i) ?? 0;
        bump(this.holders, i, sign);
        if (!this.fundHolders.has(i) && (sign === 1 ? was === 0 : was === 1)) this.uncoveredCount += sign;
      }
    }
  }
}

function shareOf(state: StateView, id: bigint): Share {
  const account = state.account(id);
  const held: bigint[] = [];
  let free = 0;
  for (const p of account.positions) {
    if (p.size === 0n) free += 1;
    else held.push(p.instrument);
  }
  // The fee account is not counted as a fund account even where a configuration gives it the
  // fund's key and owner (the test one does): its slots are never counted free and what it holds
  // counts as held by others, which only makes the bound stricter.
  const fund = id !== FEE_ACCOUNT && state.isInsuranceAccount(id);
  if (!fund && held.length === 0) return NOTHING;
  return { fund, held, free: fund ? free : 0 };
}

function sameShare(a: Share, b: Share): boolean {
  return (
    a.fund === b.fund && a.free === b.free && a.held.length === b.held.length && a.held.every((i, k) => i === b.held[k])
  );
}

function bump(map: Map<bigint, number>, key: bigint, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n === 0) map.delete(key);
  else map.set(key, n);
}
