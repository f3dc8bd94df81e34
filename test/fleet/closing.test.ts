/**
 * Backpressure: the venue closes a partial batch on age only when proving capacity is idle, and
 * in any case at the hard age bound. A venue on a real Redis queue with no prover keeps a partial
 * batch open up to `batchHardMaxAgeMs`; once a prover is up and idle, a partial batch closes at
 * `batchMaxAgeMs`. The health gate's backlog counts the queued batch like any unproved one.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startVenue, Trader } from "../sequencer/helpers.ts";
import type { Client } from "../sequencer/helpers.ts";
import { startProver, startRedis, stopProver } from "./servers.ts";
import type { ProverChild, RedisServer } from "./servers.ts";

const MAX_AGE_MS = 300;
const HARD_MAX_AGE_MS = 4_000;

describe("batch closing considers prover capacity", { timeout: 1_200_000 }, () => {
  let redis: RedisServer;
  let venue: Awaited<ReturnType<typeof startVenue>>;
  let client: Client;
  let prover: ProverChild | null = null;

  before(async () => {
    redis = await startRedis();
    venue = await startVenue({
      profile: "test",
      optionWeeks: 0,
      proverQueue: redis.url,
      proverQueuePollMs: 100,
      batchMaxAgeMs: MAX_AGE_MS,
      batchHardMaxAgeMs: HARD_MAX_AGE_MS,
    });
    client = venue.client;
  });
  after(async () => {
    await venue.cleanup();
    if (prover !== null) await stopProver(prover);
    await redis.stop();
  });

  const status = async () => (await client.get("/v1/status")).body as Record<string, unknown>;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /**
   * Deposits `amount` for `t` (opening a partial batch) and resolves with the ms until that batch
   * closed, and whether the venue's status showed idle proving capacity at every poll until then;
   * or null when the venue's own funding (every 60 s of the test profile, 2 slots: a full batch)
   * joined it (read from the batch's transaction types once it is built). Starts clear of a
   * funding time.
   */
  const depositUntilClosed = async (
    t: Trader,
    amount: bigint,
  ): Promise<{ ms: number; idleThroughout: boolean } | null> => {
    while ((Date.now() / 1000) % 60 < 2 || (Date.now() / 1000) % 60 > 50) await sleep(250);
    const t0 = Date.now();
    const deposited = await client.deposit(t, amount);
    assert.equal(deposited.status, 200);
    // The batch the deposit landed in, as the venue answers it: a number read from the status
    // before the deposit could be a batch that was closing then (it measured that one instead).
    const open = BigInt((deposited.body as { batch: string }).batch);
    let idleThroughout = true;
    for (;;) {
      const s = await status();
      if (BigInt(s.openBatch as string) > open) break;
      if ((s.pipeline as { idleCapacity: boolean | null }).idleCapacity !== true) idleThroughout = false;
      if (Date.now() - t0 > 60_000) throw new Error("the batch never closed");
      await sleep(25);
    }
    const ms = Date.now() - t0;
    // The batch is listed once the builder process has built it, a moment after it closed: until
    // then it is not in /v1/batches (reading it at once took a batch not yet built for a funding
    // that joined it).
    for (;;) {
      const batches = (await client.get("/v1/batches")).body.batches as { number: string; txTypes: object }[];
      const closed = batches.find((b) => b.number === open.toString());
      if (closed !== undefined)
        return JSON.stringify(closed.txTypes) === JSON.stringify({ deposit: 1, noop: 1 })
          ? { ms, idleThroughout }
          : null;
      if (Date.now() - t0 > 60_000) throw new Error(`batch ${open} closed but was never listed`);
      await sleep(25);
    }
  };
  /**
   * `depositUntilClosed` until no funding got in the way (3 tries). With `needIdle`, a try in which
   * the venue itself did not see an idle prover (a heartbeat late on a loaded machine) does not
   * test the rule and is tried again; three such tries fail.
   */
  const measure = async (t: Trader, before?: () => Promise<void>, needIdle = false): Promise<number> => {
    const seen: string[] = [];
    for (let i = 1; ; i++) {
      await before?.();
      const r = await depositUntilClosed(t, 1_000_000_000n * BigInt(i));
      if (r !== null && (!needIdle || r.idleThroughout)) return r.ms;
      seen.push(r === null ? "funding joined" : `no idle prover seen (${r.ms} ms)`);
      if (i === 3) throw new Error(`three tries did not test the rule: ${seen.join("; ")}`);
    }
  };

  test("no idle prover: a partial batch stays open to the hard bound, and counts in the backlog", async () => {
    const ms = await measure(new Trader("alice", 2n));
    assert.ok(ms >= HARD_MAX_AGE_MS - 100, `closed after ${ms} ms, before the hard bound`);
    const s = await status();
    const pipeline = s.pipeline as { backend: string; unprovedBatches: number; idleCapacity: boolean | null };
    assert.equal(pipeline.backend, "queue");
    assert.equal(pipeline.idleCapacity, false);
    assert.ok(pipeline.unprovedBatches >= 1);
    const health = s.health as { backlog: { unproved: number } };
    assert.ok(health.backlog.unproved >= 1, "the queued batch is in the health gate's backlog");
  });

  test("an idle prover: a partial batch closes at batchMaxAgeMs", async () => {
    prover = await startProver(redis.url, "closer");
    // Each try waits until the prover has proved what was queued and is idle.
    const idle = async (): Promise<void> => {
      const t0 = Date.now();
      while (((await status()).pipeline as { idleCapacity: boolean | null }).idleCapacity !== true) {
        if (Date.now() - t0 > 300_000) throw new Error("the prover never became idle");
        await sleep(200);
      }
    };
    const ms = await measure(new Trader("bob", 3n), idle, true);
    assert.ok(ms < HARD_MAX_AGE_MS - 1_000, `closed after ${ms} ms: it waited as if no prover were idle`);
    assert.ok(ms >= MAX_AGE_MS - 50, `closed after ${ms} ms, before batchMaxAgeMs`);
  });
});
