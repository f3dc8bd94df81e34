/**
 * What the fleet tests and the fleet bench start: a Redis server of their own (Debian's
 * `/usr/bin/redis-server` on a free port, data in a temp directory, AOF fsynced on every write,
 * as docs/deployment.md says to run it) and prover processes (`prover/main.ts`, as
 * `npm run prover -- --queue <url>` runs it). Each is a process group stopped by the caller (and
 * killed by an exit hook if the caller dies: scripts/demo/processes.ts).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import type { QueueTiming } from "../../prover/queue/config.ts";
import { startProcess, stopProcess, waitForLine } from "../../scripts/demo/processes.ts";
import type { Managed } from "../../scripts/demo/processes.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const REDIS_SERVER = "/usr/bin/redis-server";

/**
 * Lease timing of the tests' provers: a lost prover costs about 10 s, a heartbeat every 0.5 s.
 * The lease (renewed every 5 s) is shorter than a test-profile proof (13 s on a quiet machine,
 * about 40 s on these busy cores), so "every batch is proved once" holds only if a prover renews
 * it while it proves: it proves in a child process and renews on an event loop no proof holds.
 * When snarkjs ran on that loop (2–3 s blocks per proof, longer on busy cores), an 8 s lease was
 * lost by a live prover in CI and its job proved twice.
 */
export const TEST_TIMING: QueueTiming = { lockMs: 10_000, stalledMs: 1_000, maxStalledCount: 5, heartbeatMs: 500 };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** SIGKILL: no shutdown save; only what the AOF holds survives. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (after `kill`). */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  stop(): Promise<void>;
}

async function waitForPing(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on("error", () => undefined);
    try {
      await r.connect();
      if ((await r.ping()) === "PONG") return;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server at ${url} did not answer within ${timeoutMs} ms`);
    } finally {
      r.disconnect();
    }
    await new Promise((r2) => setTimeout(r2, 100));
  }
}

/** A redis-server of the caller's own (AOF on, `appendfsync always`, no RDB snapshots). */
export async function startRedis(): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER))
    throw new Error(`${REDIS_SERVER} is missing: apt-get install -y redis-server (.ci/run installs it)`);
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), "tessera-redis-"));
  const url = `redis://127.0.0.1:${port}`;
  let proc: Managed | null = null;
  const launch = async (): Promise<void> => {
    proc = startProcess({
      name: `redis-server :${port}`,
      command: REDIS_SERVER,
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--save",
        "",
        "--daemonize",
        "no",
        "--maxmemory-policy",
        "noeviction",
      ],
      cwd: dir,
    });
    await waitForPing(url, 10_000);
  };
  await launch();
  const kill = async (): Promise<void> => {
    if (proc === null) return;
    const p: Managed = proc;
    proc = null;
    p.child.kill("SIGKILL");
    await p.exited;
    await stopProcess(p, 0);
  };
  return {
    url,
    port,
    dir,
    kill,
    restart: launch,
    async stop() {
      if (proc !== null) {
        const p: Managed = proc;
        proc = null;
        await stopProcess(p, 5_000);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A prover's JSON log line, as the tests read it. */
export interface ProverLine {
  readonly msg?: string;
  readonly job?: string;
  readonly batch?: string | null;
  readonly queueJob?: string;
  readonly level?: number;
}

export interface ProverChild {
  readonly id: string;
  readonly process: Managed;
  /** Every JSON log line so far. */
  readonly lines: ProverLine[];
  /** Resolves with the first later line `match` accepts. */
  next(match: (l: ProverLine) => boolean, timeoutMs: number): Promise<ProverLine>;
}

export interface ProverChildOptions {
  readonly queueName?: string;
  /** Start with --dev-corrupt-proofs (and NODE_ENV=test). */
  readonly corrupt?: boolean;
  readonly timing?: QueueTiming;
  readonly profile?: string;
}

/** `node --import tsx prover/main.ts --queue <url> …` (what `npm run prover` runs); waits for `prover ready`. */
export async function startProver(url: string, id: string, o: ProverChildOptions = {}): Promise<ProverChild> {
  const t = o.timing ?? TEST_TIMING;
  const lines: ProverLine[] = [];
  const p = startProcess({
    name: `prover ${id}`,
    command: process.execPath,
    args: [
      "--import",
      "tsx",
      path.join(ROOT, "prover/main.ts"),
      "--queue",
      url,
      "--id",
      id,
      "--profile",
      o.profile ?? "test",
      "--lock-ms",
      String(t.lockMs),
      "--stalled-ms",
      String(t.stalledMs),
      "--max-stalled",
      String(t.maxStalledCount),
      "--heartbeat-ms",
      String(t.heartbeatMs),
      ...(o.queueName === undefined ? [] : ["--queue-name", o.queueName]),
      ...(o.corrupt === true ? ["--dev-corrupt-proofs"] : []),
    ],
    cwd: ROOT,
    env: { TESSERA_LOG_LEVEL: "info", ...(o.corrupt === true ? { NODE_ENV: "test" } : {}) },
    onLine: (line) => {
      try {
        lines.push(JSON.parse(line) as ProverLine);
      } catch {
        // not a log line
      }
    },
  });
  const parse = (line: string): ProverLine | undefined => {
    try {
      return JSON.parse(line) as ProverLine;
    } catch {
      return undefined;
    }
  };
  const child: ProverChild = {
    id,
    process: p,
    lines,
    next: (match, timeoutMs) =>
      waitForLine(
        p,
        (line) => {
          const l = parse(line);
          return l !== undefined && match(l) ? l : undefined;
        },
        timeoutMs,
      ),
  };
  await child.next((l) => l.msg === "prover ready", 180_000);
  return child;
}

/** SIGTERM (finishes its running proof), SIGKILL after `graceMs`. */
export function stopProver(p: ProverChild, graceMs = 30_000): Promise<void> {
  return stopProcess(p.process, graceMs);
}
