/**
 * Fleet benchmark: `npx tsx bench/fleet.ts` prints and writes bench/fleet.json.
 *
 * A Redis server of its own (test/fleet/servers.ts), the venue's queue client
 * (prover/queue/client.ts) and prover processes (prover/main.ts, as `npm run prover` runs them)
 * proving `test`-profile batches full of trades:
 *
 * - throughput: JOBS jobs queued at once, drained by 1 prover, then by 2 provers; proofs per
 *   minute of each and their ratio (`fleet_speedup`). Each prover proves with snarkjs's worker
 *   threads on every core, so on a 2-core machine a second prover only fills the single-threaded
 *   gaps (witness, verification, queue round trips): the cores bound the speedup here.
 * - queue overhead: one job at a time on an idle 1-prover fleet; the job's round trip (queued by
 *   the client → result in the client's hand) minus the prover's own time (witness + prove +
 *   verify); the median.
 * - proved trades per second per core, sustained, from the 2-prover run.
 * - the longest a prover's main event loop (the one that renews its lease and writes its
 *   heartbeat) waited during any job of the run, from each prover's "proved" log line: proofs
 *   run in a child process, so this stays far below the lease's renewal interval.
 */
import { cpus, loadavg } from "node:os";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { toCircuitInput } from "../protocol/circuitInput.ts";
import { initCrypto } from "../protocol/index.ts";
import { getProfile } from "../protocol/profiles.ts";
import { QueueBackend } from "../prover/queue/client.ts";
import { parseQueueUrl } from "../prover/queue/config.ts";
import { ensureProfileBuilt } from "../scripts/zk/build.ts";
import { releaseCurve } from "../scripts/zk/ptau.ts";
import { startProver, startRedis, stopProver } from "../test/fleet/servers.ts";
import { fullTradeBatch } from "./lib/circuits.ts";
import type { ProverChild } from "../test/fleet/servers.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "bench", "fleet.json");
const PROFILE = "test";
/** Jobs per throughput run. */
const JOBS = 8;
/** Sequential jobs for the queue overhead. */
const OVERHEAD_SAMPLES = 5;
/** Bench provers keep the production lease timing (no lost prover here). */
const TIMING = { lockMs: 30_000, stalledMs: 15_000, maxStalledCount: 3, heartbeatMs: 1_000 } as const;

const progress = (msg: string): void => void process.stderr.write(`[bench fleet] ${msg}\n`);
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

await initCrypto();
const profile = getProfile(PROFILE);
const built = await ensureProfileBuilt(PROFILE, { quiet: true });
const input = toCircuitInput(fullTradeBatch(profile));

const redis = await startRedis();
const log = pino({ level: "warn" });
const client = await QueueBackend.connect({
  queue: parseQueueUrl(redis.url),
  queueName: "bench",
  profile: PROFILE,
  vkeyFile: built.vkey,
  maxAttempts: 1,
  pollMs: 1000,
  log,
});
const provers: ProverChild[] = [];
let run = 0;
const prove = (i: number) => client.prove(`bench-${run}-${i}`, input, { inputKey: `${Date.now()}` });

try {
  const throughput = async (n: number): Promise<{ provers: number; jobs: number; wallMs: number; perMinute: number }> => {
    while (provers.length < n)
      provers.push(await startProver(redis.url, `bench-${provers.length + 1}`, { queueName: "bench", timing: TIMING }));
    run += 1;
    // Warm-up: one job per prover (its first proof builds snarkjs's curve and threads).
    await Promise.all(provers.map((_, i) => prove(1000 + i)));
    run += 1;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: JOBS }, (_, i) => prove(i)));
    const wallMs = performance.now() - t0;
    const perMinute = (JOBS * 60_000) / wallMs;
    progress(`${n} prover(s): ${JOBS} proofs in ${Math.round(wallMs)} ms, ${perMinute.toFixed(2)} per minute`);
    return { provers: n, jobs: JOBS, wallMs: Math.round(wallMs), perMinute: Number(perMinute.toFixed(3)) };
  };

  const one = await throughput(1);
  // Queue overhead on the idle 1-prover fleet, one job at a time.
  run += 1;
  const overhead: number[] = [];
  const proverMs: number[] = [];
  for (let i = 0; i < OVERHEAD_SAMPLES; i++) {
    const r = await prove(i);
    overhead.push(r.roundTripMs! - r.proverMs!);
    proverMs.push(r.proverMs!);
  }
  progress(`queue overhead per job (round trip − prover time): ${overhead.map((x) => Math.round(x)).join(", ")} ms`);
  const two = await throughput(2);
  const speedup = two.perMinute / one.perMinute;
  const cores = cpus().length;
  const result = {
    profile: PROFILE,
    nTx: profile.nTx,
    constraints: built.nConstraints,
    cores,
    loadAverageAtEnd: loadavg().map((x) => Number(x.toFixed(2))),
    throughput: { one, two },
    speedup: Number(speedup.toFixed(3)),
    queueOverheadMs: Math.round(median(overhead)),
    queueOverheadSamplesMs: overhead.map((x) => Math.round(x)),
    proverMsMedian: Math.round(median(proverMs)),
    provedTradesPerSecondPerCore: Number(((two.perMinute * profile.nTx) / 60 / cores).toFixed(4)),
    proverLoopDelayMaxMs: Math.max(
      ...provers.flatMap((p) =>
        p.lines.filter((l) => l.msg === "proved").map((l) => (l as { loopDelayMaxMs?: number }).loopDelayMaxMs ?? NaN),
      ),
    ),
    lockMs: TIMING.lockMs,
  };
  if (!Number.isFinite(result.proverLoopDelayMaxMs)) throw new Error("a prover's \"proved\" line carried no loopDelayMaxMs");
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await Promise.all(provers.map((p) => stopProver(p)));
  await client.close();
  await redis.stop();
  await releaseCurve();
}
