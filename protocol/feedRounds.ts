/**
 * The feed round in force at a time, by the rollup's rule (contracts/TesseraRollup.sol
 * `_priceInForceAt`, docs/contracts.md): the round was updated at or before the time, and the
 * round after it — the next id in its phase or, after a phase's last round, round 1 of the next
 * phase — does not exist or was updated after it.
 *
 * Chainlink's proxies number rounds per phase: `roundId = phaseId << 64 | n`, n = 1, 2, ... A
 * search walking back from the latest round therefore steps from round 1 of phase p to the last
 * round of phase p − 1, which it finds by an exponential then binary search over n (rounds of a
 * phase exist for n = 1..N). A feed with plain ids 1, 2, 3, ... is phase 0 and has no earlier phase.
 *
 * Pure: the caller passes the reader (an L1 call), so the sequencer and the web app share it.
 */

/** A feed round: its id, raw answer and update time (unix seconds). */
export interface FeedRound {
  readonly roundId: bigint;
  readonly answer: bigint;
  readonly updatedAt: bigint;
}

/** Reads one round; null when it does not exist (the call reverts or `updatedAt` is 0). */
export type RoundReader = (roundId: bigint) => Promise<FeedRound | null>;

/** Round ids are `phaseId << PHASE_SHIFT | n`. */
export const PHASE_SHIFT = 64n;
const N_MASK = (1n << PHASE_SHIFT) - 1n;

/** The phase of a round id and its number inside the phase. */
export function splitRoundId(roundId: bigint): { readonly phase: bigint; readonly n: bigint } {
  return { phase: roundId >> PHASE_SHIFT, n: roundId & N_MASK };
}

/** The id of round `n` of `phase`. */
export function roundIdOf(phase: bigint, n: bigint): bigint {
  return (phase << PHASE_SHIFT) | n;
}

/** The last round of `phase` (rounds 1..N exist), or null when the phase has none. */
export async function lastRoundOfPhase(read: RoundReader, phase: bigint): Promise<FeedRound | null> {
  const first = await read(roundIdOf(phase, 1n));
  if (first === null) return null;
  // Exponential search for an n past the end, then binary search between the last known round and it.
  let known = first;
  let knownN = 1n;
  let step = 1n;
  let beyond: bigint | null = null;
  while (beyond === null) {
    const n = knownN + step;
    if (n > N_MASK) {
      beyond = N_MASK + 1n;
      break;
    }
    const r = await read(roundIdOf(phase, n));
    if (r === null) beyond = n;
    else {
      known = r;
      knownN = n;
      step *= 2n;
    }
  }
  let lo = knownN;
  let hi = beyond;
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    const r = await read(roundIdOf(phase, mid));
    if (r === null) hi = mid;
    else {
      lo = mid;
      known = r;
    }
  }
  return known;
}

/** The round just before `roundId`: n − 1 in its phase, else the last round of an earlier phase. */
export async function previousRound(read: RoundReader, roundId: bigint): Promise<FeedRound | null> {
  const { phase, n } = splitRoundId(roundId);
  if (n > 1n) return read(roundId - 1n);
  // Phases are numbered consecutively; an empty phase (none on Chainlink) is skipped.
  for (let p = phase - 1n; p >= 0n; p--) {
    const last = await lastRoundOfPhase(read, p);
    if (last !== null) return last;
  }
  return null;
}

/**
 * The round in force at `time`, walking back from `latest` at most `maxSteps` rounds; null when
 * none is (every round is later, or the feed does not serve the older ones).
 */
export async function roundInForceAt(
  read: RoundReader,
  latest: FeedRound,
  time: bigint,
  maxSteps: number,
): Promise<FeedRound | null> {
  let round: FeedRound | null = latest;
  for (let step = 0; round !== null && step <= maxSteps; step++) {
    if (round.updatedAt !== 0n && round.updatedAt <= time) return round;
    round = await previousRound(read, round.roundId);
  }
  return null;
}

/**
 * The round in force at `time` by bisection, for a search far back (an exit long after an
 * expiry: a walk of one read per round would need as many reads as rounds since). Inside a phase
 * the rounds 1..N exist and their update times never decrease (Chainlink's aggregators), so the
 * last round updated at or before `time` takes O(log N) reads; when the phase's first round is
 * already later, the search goes on in the phase before (its last round found as `previousRound`
 * does). Null when no round is in force, or when a round inside the range does not exist (a feed
 * that does not serve it): the caller then has `roundInForceAt`'s walk, which assumes nothing about
 * update times, and checks a found round with `usableAt` if the feed may break the order.
 */
export async function roundInForceAtBisect(
  read: RoundReader,
  latest: FeedRound,
  time: bigint,
): Promise<FeedRound | null> {
  if (latest.updatedAt !== 0n && latest.updatedAt <= time) return latest;
  let { phase, n: later } = splitRoundId(latest.roundId);
  for (;;) {
    // Rounds 1..later of `phase` exist and round `later` is after `time`: find the last one not after it.
    let lo = 0n;
    let found: FeedRound | null = null;
    let hi = later;
    while (hi - lo > 1n) {
      const mid = (lo + hi) / 2n;
      const r = await read(roundIdOf(phase, mid));
      if (r === null) return null;
      if (r.updatedAt <= time) {
        lo = mid;
        found = r;
      } else hi = mid;
    }
    if (found !== null) return found;
    // Round 1 of `phase` is after `time`: the last round of an earlier phase, if any.
    const previous = await previousRound(read, roundIdOf(phase, 1n));
    if (previous === null) return null;
    if (previous.updatedAt !== 0n && previous.updatedAt <= time) return previous;
    ({ phase, n: later } = splitRoundId(previous.roundId));
  }
}

/**
 * The round after `roundId` by the rollup's rule (TesseraRollup `_nextRound`): `roundId + 1` if
 * it exists, else round 1 of the next phase; null when neither exists.
 */
export async function nextRound(read: RoundReader, roundId: bigint): Promise<FeedRound | null> {
  const same = await read(roundId + 1n);
  if (same !== null) return same;
  const { phase } = splitRoundId(roundId);
  // Proxy phase ids are 16 bits; a feed with plain ids is phase 0, whose "next phase" is 1.
  if (phase + 1n > 0xffffn) return null;
  return read(roundIdOf(phase + 1n, 1n));
}

/**
 * Whether the rollup accepts `round` as the price round of a batch stamped `time`
 * (TesseraRollup `_checkPrices`): updated at or before `time`, and the next round, if any,
 * updated after `time − grace` (grace 0: the round in force at `time`).
 */
export async function usableAt(read: RoundReader, round: FeedRound, time: bigint, grace: bigint): Promise<boolean> {
  if (round.updatedAt === 0n || round.updatedAt > time) return false;
  const next = await nextRound(read, round.roundId);
  return next === null || next.updatedAt + grace > time;
}
