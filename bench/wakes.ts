/**
 * Wake benchmark: `npx tsx bench/wakes.ts` prints and writes bench/wakes.json.
 *
 * What a lone request costs the thread that makes it, as the venue's thread makes them under a
 * paced load (orders one at a time, the thread asleep in its event loop between them): handing
 * a signature to the native verifier threads (`verifierSubmit`), and asking for the journal's
 * group-commit sync (`Journal.sync`). Each is measured with the worker polling for work
 * (TESSERA_VERIFY_POLL_US, TESSERA_SYNC_POLL_US: the defaults) and without (a sleeping worker,
 * woken by the request; for the sync, libuv's thread pool as before 12-07). A wake of a thread
 * that sleeps on another core is an inter-processor interrupt, which on a virtual machine goes
 * through the hypervisor. Also: the time until the answer (verified, synced), and the process's
 * CPU per request, which counts the polling. Indicative on a shared machine.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadNativeCrypto } from "../native/index.ts";
import { publicKeyFast, signFast } from "../protocol/eddsa-fast.ts";
import { initCrypto } from "../protocol/index.ts";
import type { Command } from "../sequencer/core/commands.ts";
import { DEFAULT_POLL_WINDOW_US } from "../sequencer/intake/verify-pool.ts";
import { Journal } from "../sequencer/journal/journal.ts";
import { DEFAULT_SYNC_POLL_US } from "../sequencer/journal/sync-thread.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "bench", "wakes.json");
/** Requests per run, each alone: the next is made a millisecond after the previous was answered. */
const REQUESTS = 2_000;

await initCrypto();
const addon = loadNativeCrypto().addon;
if (addon === null) throw new Error("bench/wakes.ts needs the native addon (npm run build:native)");

interface Run {
  readonly requestUsMean: number;
  readonly requestUsP50: number;
  readonly requestUsP99: number;
  readonly answerUsP50: number;
  readonly processCpuUsPerRequest: number;
  readonly wakes: number;
  readonly polls: number;
}

const round = (x: number): number => Math.round(x * 10) / 10;
const gap = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

/**
 * Runs `request` REQUESTS times, one at a time with a gap, each after `prepare` (untimed), timing
 * its synchronous part and its answer.
 */
async function measure(
  prepare: () => void,
  request: () => Promise<unknown>,
  stats: () => { readonly signals: number; readonly polls: number } | null,
): Promise<Run> {
  for (let i = 0; i < 100; i++) {
    // Warm-up: JIT, the first keys, the threads started.
    prepare();
    await request();
  }
  const before = stats();
  const cpu = process.cpuUsage();
  const req: number[] = [];
  const ans: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    await gap();
    prepare();
    const t0 = performance.now();
    const answered = request();
    const t1 = performance.now();
    await answered;
    req.push((t1 - t0) * 1000);
    ans.push((performance.now() - t0) * 1000);
  }
  const used = process.cpuUsage(cpu);
  const after = stats();
  req.sort((a, b) => a - b);
  ans.sort((a, b) => a - b);
  const q = (xs: number[], p: number): number => round(xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!);
  return {
    requestUsMean: round(req.reduce((a, b) => a + b, 0) / req.length),
    requestUsP50: q(req, 0.5),
    requestUsP99: q(req, 0.99),
    answerUsP50: q(ans, 0.5),
    processCpuUsPerRequest: round((used.user + used.system) / REQUESTS),
    wakes: (after?.signals ?? 0) - (before?.signals ?? 0),
    polls: (after?.polls ?? 0) - (before?.polls ?? 0),
  };
}

/** One signature at a time to 2 verifier threads (the intake's default), through the addon as the pool does. */
async function verify(pollWindowUs: number): Promise<Run> {
  const key = new Uint8Array(32).fill(7);
  const pk = publicKeyFast(key);
  const sig = signFast(key, 42n);
  const items = [pk.x, pk.y, sig.R8x, sig.R8y, sig.S, 42n];
  const widths = new Uint8Array(1);
  const waiting = new Map<number, () => void>();
  const v = addon!.verifierCreate(2, (id) => waiting.get(id)?.(), pollWindowUs);
  let next = 1;
  try {
    return await measure(
      () => undefined,
      () => {
        const id = next++;
        const answered = new Promise<void>((r) => waiting.set(id, r));
        addon!.verifierSubmit(v, id, widths, items);
        return answered;
      },
      () => addon!.verifierStats(v),
    );
  } finally {
    addon!.verifierClose(v);
  }
}

/** One group-commit sync at a time: a command appended and committed (untimed), then `sync()`. */
async function sync(syncPollUs: number | null): Promise<Run> {
  const dir = mkdtempSync(path.join(tmpdir(), "tessera-wakes-bench-"));
  const journal = Journal.open(path.join(dir, "journal.db"), {}, "FULL", true, undefined, syncPollUs);
  let i = 0;
  const command = (): Command => {
    i += 1;
    return {
      kind: "deposit",
      accountId: BigInt(2 + (i % 4096)),
      owner: BigInt(0x1000 + i),
      pkHash: BigInt(i) * 7919n + 1n,
      amount: 1_000n,
      queueIndex: null,
    };
  };
  try {
    return await measure(
      () => {
        journal.append(BigInt(i + 1), command(), "ok", []);
        journal.commit();
      },
      () => journal.sync(),
      () => journal.syncStats,
    );
  } finally {
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// The addon's threads do not keep the event loop alive (a service's server does): this does.
const alive = setInterval(() => undefined, 1000);
const report = {
  requests: REQUESTS,
  verify: { poll: await verify(DEFAULT_POLL_WINDOW_US), noPoll: await verify(0) },
  sync: { thread: await sync(DEFAULT_SYNC_POLL_US), threadNoPoll: await sync(0), libuv: await sync(null) },
};
clearInterval(alive);
writeFileSync(OUT, JSON.stringify(report, null, 2) + "\n");
console.log(JSON.stringify(report, null, 2));
