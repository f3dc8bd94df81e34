/**
 * `npm run prover -- --queue redis://host:6379`: one prover of the fleet (prover/queue/prover.ts).
 * Run as many as there are cores to spare, on as many machines as needed, against the queue the
 * venue was started with (`TESSERA_PROVER_QUEUE`); docs/deployment.md, "Provers as a fleet".
 *
 *   --queue <url>          redis://[user:password@]host[:port][/db] or rediss://… (or env
 *                          TESSERA_PROVER_QUEUE)
 *   --queue-name <name>    the venue's queue name (env TESSERA_PROVER_QUEUE_NAME, default
 *                          tessera-proofs)
 *   --id <id>              this prover's name in the venue's status (default <host>-<pid>)
 *   --profile <a,b>        circuit profiles to build or load before taking jobs (others on demand)
 *   --lock-ms <ms>         job lease; renewed every half of it while proving (default 30000)
 *   --stalled-ms <ms>      how often expired leases are taken back (default 15000)
 *   --max-stalled <n>      leases a job may lose before it fails (default 3)
 *   --heartbeat-ms <ms>    presence heartbeat (default 5000)
 *   --job-timeout-ms <ms>  a proof running longer is stopped and its job failed, for the venue
 *                          to retry (default 600000)
 *   --dev-corrupt-proofs   TESTS ONLY (refused unless NODE_ENV=test): return wrong proofs
 *
 * Logs JSON lines (pino) on stdout; `prover ready` once it takes jobs. SIGINT/SIGTERM: finish
 * the running proof, then exit; a second signal abandons it (its lease passes it on).
 * Exit codes: 0 stopped, 2 bad configuration or unreachable queue.
 */
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { pino } from "pino";
import {
  DEFAULT_QUEUE_NAME,
  DEFAULT_TIMING,
  parseQueueUrl,
  probeQueue,
  QueueError,
  serverWarnings,
} from "./queue/config.ts";
import type { QueueTiming } from "./queue/config.ts";
import { QueueProver } from "./queue/prover.ts";

const log = pino({ level: process.env.TESSERA_LOG_LEVEL ?? "info", base: { service: "tessera-prover" } });

class UsageError extends Error {
  readonly code = "BAD_PROVER_CONFIG";
}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`--${name} must be a positive integer (ms or count), not ${raw}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      queue: { type: "string" },
      "queue-name": { type: "string" },
      id: { type: "string" },
      profile: { type: "string" },
      "lock-ms": { type: "string" },
      "stalled-ms": { type: "string" },
      "max-stalled": { type: "string" },
      "heartbeat-ms": { type: "string" },
      "job-timeout-ms": { type: "string" },
      "dev-corrupt-proofs": { type: "boolean", default: false },
    },
    strict: true,
  });
  const rawQueue = values.queue ?? process.env.TESSERA_PROVER_QUEUE;
  if (rawQueue === undefined || rawQueue === "")
    throw new UsageError("no queue: pass --queue redis://host:6379 (or set TESSERA_PROVER_QUEUE) as the venue has it");
  const queue = parseQueueUrl(rawQueue);
  const devCorruptProofs = values["dev-corrupt-proofs"] === true;
  if (devCorruptProofs && process.env.NODE_ENV !== "test")
    throw new UsageError("--dev-corrupt-proofs returns wrong proofs on purpose: it runs only with NODE_ENV=test");
  const timing: QueueTiming = {
    lockMs: positive("lock-ms", values["lock-ms"], DEFAULT_TIMING.lockMs),
    stalledMs: positive("stalled-ms", values["stalled-ms"], DEFAULT_TIMING.stalledMs),
    maxStalledCount: positive("max-stalled", values["max-stalled"], DEFAULT_TIMING.maxStalledCount),
    heartbeatMs: positive("heartbeat-ms", values["heartbeat-ms"], DEFAULT_TIMING.heartbeatMs),
  };
  const queueName = values["queue-name"] ?? process.env.TESSERA_PROVER_QUEUE_NAME ?? DEFAULT_QUEUE_NAME;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(queueName))
    throw new UsageError(`--queue-name must be 1-64 of A-Z a-z 0-9 _ -, not ${JSON.stringify(queueName)}`);
  const id = values.id ?? `${hostname()}-${process.pid}`;
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(id))
    throw new UsageError(`--id must be 1-100 of A-Z a-z 0-9 _ . -, not ${JSON.stringify(id)}`);

  const server = await probeQueue(queue);
  for (const w of serverWarnings(server)) log.warn({ queue: queue.redacted }, w);
  if (devCorruptProofs) log.warn("--dev-corrupt-proofs: every proof this prover returns is WRONG (tests only)");

  const prover = await QueueProver.start({
    queue,
    queueName,
    id,
    timing,
    jobTimeoutMs: positive("job-timeout-ms", values["job-timeout-ms"], 600_000),
    preload: (values.profile ?? "").split(",").filter((p) => p !== ""),
    log,
    devCorruptProofs,
  });
  let signals = 0;
  const stop = (signal: string): void => {
    signals += 1;
    log.info(
      { signal, force: signals > 1 },
      signals > 1 ? "abandoning the running proof" : "stopping after the running proof",
    );
    prover.close(signals > 1).then(
      () => process.exit(0),
      (e: unknown) => {
        log.error({ err: e }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((e: unknown) => {
  if (e instanceof QueueError || e instanceof UsageError) {
    log.fatal({ code: e.code }, e.message);
    process.exit(2);
  }
  log.fatal({ err: e }, "prover failed");
  process.exit(1);
});
