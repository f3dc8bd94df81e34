/**
 * Provers as a fleet on a real queue (issue 18): a Hardhat node with the `test`-profile rollup
 * (test/sequencer/rollup-fixture.ts), a Redis server of the test's own (AOF, fsync always), the
 * venue as a child process proving through the queue (`TESSERA_PROVER_QUEUE`), and prover
 * processes started as `npm run prover` starts them (prover/main.ts). Real Groth16 proofs,
 * verified by the venue and by `submitBatch` on chain.
 *
 * - every batch is proved once and submitted in order;
 * - a prover SIGKILLed mid-proof costs a lease, and another prover proves the job;
 * - a prover returning wrong proofs is caught: never recorded, the job re-run by another prover;
 * - Redis killed and restarted with jobs in the queue loses none of them.
 *
 * The test process loads Hardhat (EDR); the venue, with its SQLite journal, is a child process.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createInterface } from "node:readline";
import type { Contract } from "ethers";
import { Side } from "../../protocol/types.ts";
import { buildContracts, startChain } from "../../scripts/demo/stack.ts";
import { stopProcess } from "../../scripts/demo/processes.ts";
import type { Managed } from "../../scripts/demo/processes.ts";
import { startChild, stopChild } from "../sequencer/child.ts";
import type { ChildVenue } from "../sequencer/child.ts";
import { fundedRollup } from "../sequencer/rollup-fixture.ts";
import { ADMIN_TOKEN, Client, tempDb } from "../sequencer/traders.ts";
import type { Trader } from "../sequencer/traders.ts";
import { freePort, startProver, startRedis, stopProver } from "./servers.ts";
import type { ProverChild, RedisServer } from "./servers.ts";

/** Proofs on a loaded 2-core machine take up to ~30 s each at the test profile. */
const BATCH_TIMEOUT_MS = 240_000;

interface Pipeline {
  readonly queue: { waiting: number; active: number; requeued: number; lost: number } | null;
  readonly proofs: { accepted: number; rejected: number; discarded: number } | null;
  readonly provers: readonly { id: string; state: string }[];
  readonly unprovedBatches: number;
}

describe("provers as a fleet on a Redis queue", { timeout: 1_500_000 }, () => {
  let chain: Managed | null = null;
  let redis: RedisServer | null = null;
  let venue: ChildVenue | null = null;
  let client: Client;
  let rollup: Contract;
  let alice: Trader;
  let bob: Trader;
  let orderId = 0n;
  const provers = new Map<string, ProverChild>();
  const db = tempDb();
  const rejections: string[] = [];

  const prover = async (id: string, corrupt = false): Promise<ProverChild> => {
    const p = await startProver(redis!.url, id, { corrupt });
    provers.set(id, p);
    return p;
  };
  const stop = async (id: string): Promise<void> => {
    const p = provers.get(id);
    if (p === undefined) return;
    provers.delete(id);
    await stopProver(p);
  };
  const pipeline = async (): Promise<Pipeline> => (await client.get("/v1/status")).body.pipeline as unknown as Pipeline;

  /** One trade in the open batch, then closes it; returns the batch number. */
  const tradeAndClose = async (): Promise<bigint> => {
    orderId += 1n;
    // Alternate who sells, so positions stay small.
    const [maker, taker] = orderId % 2n === 1n ? [alice, bob] : [bob, alice];
    const sell = await client.place(maker.sign({ side: Side.SELL, size: 10_000n, price: 300_000n, orderId }));
    assert.equal(sell.status, 200, JSON.stringify(sell.body));
    const buy = await client.place(taker.sign({ side: Side.BUY, size: 10_000n, price: 300_000n, orderId, tif: "IOC" }));
    assert.equal(buy.body.status, "filled", JSON.stringify(buy.body));
    const closed = await client.post("/v1/admin/close-batch", {}, ADMIN_TOKEN);
    return BigInt(closed.body.batch as string);
  };

  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = await probe();
      if (got !== undefined) return got;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  const submitted = (n: bigint): Promise<true> =>
    waitFor(
      `batch ${n} submitted`,
      async () => {
        const b = (await client.get(`/v1/batches/${n}`)).body;
        if (b.status === "failed") throw new Error(`batch ${n} failed: ${JSON.stringify(b)}`);
        return b.status === "submitted" ? true : undefined;
      },
      BATCH_TIMEOUT_MS,
    );

  /** The provers (alive or not) whose log says they proved `job`. */
  const provedBy = (job: string): string[] =>
    [...allProvers].filter((p) => p.lines.some((l) => l.msg === "proved" && l.job === job)).map((p) => p.id);
  const allProvers = new Set<ProverChild>();

  /** The first of `list` to log that it started proving a job. */
  const firstToStart = (list: readonly ProverChild[]): Promise<ProverChild> =>
    new Promise((resolve, reject) => {
      const unsubscribe: (() => void)[] = [];
      const done = (): void => {
        clearTimeout(timer);
        for (const u of unsubscribe) u();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error("no prover started a job"));
      }, 120_000);
      for (const p of list)
        unsubscribe.push(
          p.process.onLine((line) => {
            if (line.includes('"msg":"proving"')) {
              done();
              resolve(p);
            }
          }),
        );
    });

  before(async () => {
    await buildContracts();
    const port = await freePort();
    chain = await startChain(port);
    const funded = await fundedRollup(port, db.file);
    rollup = funded.d.rollup;
    alice = funded.alice;
    bob = funded.bob;
    redis = await startRedis();
    for (const p of await Promise.all(["p1", "p2", "p3"].map((id) => prover(id)))) allProvers.add(p);
    venue = await startChild({
      ...funded.env,
      TESSERA_PROVERS: "0",
      TESSERA_PROVER_QUEUE: redis.url,
      TESSERA_PROVER_QUEUE_POLL_MS: "200",
    });
    client = new Client(venue.url);
    // Why the venue rejected a proof, for the assertion messages (the venue logs it at warn).
    createInterface({ input: venue.process.stdout! }).on("line", (line) => {
      if (line.includes('"proof rejected')) rejections.push(line);
    });
    // The watcher applies the oracle round, then both deposits (batch 1, closed full).
    await waitFor(
      "the deposits in batch 1",
      async () => ((await client.get("/v1/status")).body.openBatch === "2" ? true : undefined),
      60_000,
    );
  });

  after(async () => {
    if (venue !== null) await stopChild(venue);
    await Promise.all([...provers.keys()].map((id) => stop(id)));
    await redis?.stop();
    if (chain !== null) await stopProcess(chain);
    db.cleanup();
  });

  test("every batch is proved once, by the fleet, and submitted to L1 in order", async () => {
    // Two trades closed back to back (the venue's funding may close batches of its own between).
    await tradeAndClose();
    const last = await tradeAndClose();
    await submitted(last);
    const all = Array.from({ length: Number(last) }, (_, i) => BigInt(i + 1));
    for (const n of all) assert.equal(provedBy(`batch-${n}`).length, 1, `batch ${n} proved once`);
    const events = await rollup.queryFilter("BatchVerified");
    const order = events
      .sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)
      .map((e) => (e as unknown as { args: { batchNumber: bigint } }).args.batchNumber);
    assert.deepEqual(order, all, "BatchVerified in batch order, each once");
    const p = await pipeline();
    assert.deepEqual(p.proofs, { accepted: all.length, rejected: 0, discarded: 0 }, rejections.join("\n"));
    assert.deepEqual(
      p.provers.map((x) => x.id),
      ["p1", "p2", "p3"],
    );
    const metrics = await fetch(`${venue!.url}/metrics`).then((r) => r.text());
    assert.match(metrics, new RegExp(`^tessera_proofs_total\\{outcome="accepted"\\} ${all.length}$`, "m"));
    assert.match(metrics, /^tessera_prover_busy\{prover="p1"\} [01]$/m);
    assert.match(metrics, /^tessera_proof_queue_depth 0$/m);
  });

  test("attack: a prover SIGKILLed mid-proof costs a lease; another prover proves its job", async () => {
    const started = firstToStart([...provers.values()]);
    const n = await tradeAndClose();
    const victim = await started;
    victim.process.child.kill("SIGKILL");
    await victim.process.exited;
    await stopProcess(victim.process, 0);
    provers.delete(victim.id);
    await submitted(n);
    const by = provedBy(`batch-${n}`);
    assert.equal(by.length, 1);
    assert.notEqual(by[0], victim.id, "the killed prover did not finish the proof");
    allProvers.add(await prover("p4"));
  });

  test("attack: a prover returning a wrong proof is caught, never recorded, and the job re-run by another", async () => {
    // Only the liar takes jobs at first.
    await Promise.all([...provers.keys()].map((id) => stop(id)));
    const liar = await prover("liar", true);
    allProvers.add(liar);
    const lied = liar.next((l) => l.msg === "proved", 120_000);
    const n = await tradeAndClose();
    assert.equal((await lied).job, `batch-${n}`);
    await waitFor(
      "the venue rejecting the wrong proof",
      async () => ((await pipeline()).proofs!.rejected >= 1 ? true : undefined),
      60_000,
    );
    assert.equal((await client.get(`/v1/batches/${n}`)).body.status, "proving", "the wrong proof was not recorded");
    // The re-run excludes the liar: it hands the job back until an honest prover takes it.
    await liar.next((l) => l.msg?.startsWith("handing back") === true && l.job === `batch-${n}-r2`, 60_000);
    for (const p of await Promise.all(["p5", "p6"].map((id) => prover(id)))) allProvers.add(p);
    await submitted(n);
    const by = provedBy(`batch-${n}-r2`);
    assert.equal(by.length, 1);
    assert.ok(["p5", "p6"].includes(by[0]!), `re-run proved by an honest prover, not ${by[0]}`);
    // Every proof the liar returned was rejected; none was recorded (L1 accepted batch n's proof).
    assert.ok((await pipeline()).proofs!.rejected >= 1);
    await stop("liar");
  });

  test("the queue server killed and restarted with jobs in it loses none of them", async () => {
    await Promise.all([...provers.keys()].map((id) => stop(id)));
    // Batches before these (the venue's funding batches) may be waiting too.
    const batches = [await tradeAndClose(), await tradeAndClose()];
    await waitFor(
      "both jobs in the queue",
      async () => ((await pipeline()).queue!.waiting >= 2 ? true : undefined),
      30_000,
    );
    await redis!.kill();
    await new Promise((r) => setTimeout(r, 1000));
    await redis!.restart();
    for (const p of await Promise.all(["p7", "p8", "p9"].map((id) => prover(id)))) allProvers.add(p);
    await submitted(batches[1]!);
    const p = await pipeline();
    assert.equal(p.queue!.lost, 0, "no job had to be added again: Redis kept them (AOF, fsync always)");
    for (const n of batches) assert.equal(provedBy(`batch-${n}`).length, 1);
  });
});
