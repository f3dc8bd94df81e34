/**
 * The demo's oracle: a gentle random walk of the mock feeds' answers, seeded so that every
 * run of the demo sees the same price path (round k of a run is the same in every run).
 */
import type { Contract } from "ethers";
import type { FeedRound } from "../../protocol/feedRounds.ts";

/** xorshift64*: a small deterministic generator over 64-bit bigints (not for secrets). */
export class SeededRandom {
  private state: bigint;

  constructor(seed: bigint) {
    const MASK = (1n << 64n) - 1n;
    this.state = (seed & MASK) === 0n ? 0x9e3779b97f4a7c15n : seed & MASK;
  }

  /** The next value in [0, 2^64). */
  next(): bigint {
    const MASK = (1n << 64n) - 1n;
    let x = this.state;
    x ^= x >> 12n;
    x ^= (x << 25n) & MASK;
    x ^= x >> 27n;
    this.state = x;
    return (x * 0x2545f4914f6cdd1dn) & MASK;
  }

  /** A uniform integer in [lo, hi] (hi - lo < 2^32). */
  between(lo: bigint, hi: bigint): bigint {
    return lo + ((this.next() >> 32n) % (hi - lo + 1n));
  }
}

/**
 * The next answer of a walk: `answer × (1 + r / 10,000)` with `r` uniform in
 * [−maxStepBps, maxStepBps], floored at 1 (answers stay positive).
 */
export function walkStep(answer: bigint, random: SeededRandom, maxStepBps: bigint): bigint {
  const r = random.between(-maxStepBps, maxStepBps);
  const next = (answer * (10_000n + r)) / 10_000n;
  return next > 0n ? next : 1n;
}

/** One walk per feed, each from its own seed (`seed + feed index`). */
export class OracleWalk {
  private readonly randoms: SeededRandom[];
  private answers: bigint[];

  constructor(
    initialAnswers: readonly bigint[],
    seed: bigint,
    private readonly maxStepBps: bigint,
  ) {
    this.randoms = initialAnswers.map((_, i) => new SeededRandom(seed + BigInt(i)));
    this.answers = [...initialAnswers];
  }

  /** Advances every feed one step; the new answers (8 decimals), index u−1. */
  step(): readonly bigint[] {
    this.answers = this.answers.map((a, i) => walkStep(a, this.randoms[i]!, this.maxStepBps));
    return this.answers;
  }
}

/** A feed's latest round (`latestRoundData`): id, raw answer, update time (unix seconds). */
export async function latestRound(feed: Contract): Promise<FeedRound> {
  const r = (await feed.getFunction("latestRoundData")()) as readonly bigint[];
  return { roundId: r[0]!, answer: r[1]!, updatedAt: r[3]! };
}

/**
 * Pushes a round with `answer` (8 decimals) to a mock feed, stamped one second before the wall
 * clock `nowSeconds` (never before the previous round). Hardhat mines each block at least a
 * second after the previous one, so after a burst of transactions its block time runs ahead of
 * the wall clock, while the sequencer stamps batches with the wall clock; a round stamped with
 * a block time ahead of the batch that first uses it would make L1 reject that batch
 * (`OracleRoundAfterBatch`). `setAnswerAt` keeps every round at or before the wall clock.
 */
export async function pushRound(feed: Contract, answer: bigint, nowSeconds: bigint): Promise<void> {
  let previous = 0n;
  try {
    previous = (await latestRound(feed)).updatedAt;
  } catch {
    // no round yet
  }
  const at = nowSeconds - 1n > previous ? nowSeconds - 1n : previous;
  await (await feed.getFunction("setAnswerAt")(answer, at)).wait();
}

/** The wall clock in unix seconds (the demo's and the test's only clock). */
export function wallSeconds(): bigint {
  return BigInt(Math.floor(Date.now() / 1000));
}

/**
 * Pushes a round of `walk` to the mock feeds (`pushAnswer`, owner only) every `intervalMs`
 * until the returned stop function is called. Rounds are sent one after another, never
 * overlapping; `onRound` sees each round's answers, `onError` each failure (the loop goes on).
 */
export function pushRounds(
  feeds: readonly Contract[],
  walk: OracleWalk,
  intervalMs: number,
  hooks: { onRound?: (answers: readonly bigint[]) => void; onError?: (e: unknown) => void } = {},
): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = (): void => {
    running = (async () => {
      const answers = walk.step();
      try {
        for (const [i, feed] of feeds.entries()) await pushRound(feed, answers[i]!, wallSeconds());
        hooks.onRound?.(answers);
      } catch (e) {
        hooks.onError?.(e);
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    })();
  };
  timer = setTimeout(tick, intervalMs);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
