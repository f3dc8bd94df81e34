/**
 * Journal commit benchmark: `npx tsx bench/journal.ts` prints and writes bench/journal.json.
 *
 * How long the venue's thread spends in each group commit of the journal, as the venue writes it
 * at 2,000 orders a second (group commit, `synchronous` FULL with the fsync apart, a group of two
 * commands a turn, each group synced before the next): 40,000 signed-order-sized commands, with
 * the write-ahead log's checkpoints on their own thread (sequencer/journal/checkpoints.ts), then
 * with SQLite's default, where the commit that takes the log past 1,000 pages checkpoints it on
 * the committing thread. The figure is the tail: a commit that checkpoints holds up every order
 * that arrives meanwhile. Indicative only on a shared machine.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "../sequencer/core/commands.ts";
import { Journal } from "../sequencer/journal/journal.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "bench", "journal.json");
const COMMANDS = 40_000;
const GROUP = 2;

/** A 254-bit field element, distinct per `i` and `k`. */
const fe = (i: number, k: bigint): bigint => ((1n << 253n) + BigInt(i) * 0x9e3779b97f4a7c15n * k) % (1n << 254n);

/**
 * A resting order as the venue journals it: a signed order (the signature and key are not
 * checked here: the journal stores what the venue accepted).
 */
function command(i: number): Command {
  return {
    kind: "place",
    order: {
      order: {
        accountId: BigInt(2 + (i % 4096)),
        instrument: 1n,
        side: i % 2 === 0 ? 0 : 1,
        size: 10n,
        price: 300_000n + BigInt(i % 500),
        orderId: BigInt(i + 1),
        expiry: 0n,
        flags: 0n,
      },
      signature: { R8x: fe(i, 3n), R8y: fe(i, 5n), S: fe(i, 7n) >> 3n },
      publicKey: { x: fe(i % 4096, 11n), y: fe(i % 4096, 13n) },
    },
    clientOrderId: `mm-${i}`,
  };
}

interface Run {
  readonly mode: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  /** Commits that took longer than 2 ms. */
  readonly over2Ms: number;
  readonly checkpoints: number;
  readonly restarts: number;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

async function run(thread: boolean): Promise<Run> {
  const dir = mkdtempSync(path.join(tmpdir(), "tessera-journal-bench-"));
  const journal = Journal.open(path.join(dir, "journal.db"), {}, "FULL", true);
  try {
    const ms: number[] = [];
    const outcome = "0".repeat(64);
    for (let i = 0; i < COMMANDS; i += GROUP) {
      for (let k = 0; k < GROUP; k++) journal.append(1_800_000_000_000n + BigInt(i + k), command(i + k), outcome, []);
      const t = performance.now();
      journal.commit();
      ms.push(performance.now() - t);
      await journal.sync();
      if (!thread && journal.checkpoints?.thread) {
        // SQLite's default: the thread stopped, checkpoints go back to the committing connection.
        await journal.checkpoints.thread.terminate();
        while (journal.checkpoints.stats().mode !== "sqlite") await new Promise((r) => setTimeout(r, 1));
      }
    }
    const stats = journal.checkpoints!.stats();
    if (thread && stats.mode !== "thread") throw new Error(`the checkpoint thread is ${stats.mode}: ${stats.error}`);
    ms.sort((a, b) => a - b);
    const q = (p: number): number => round(ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!);
    return {
      mode: thread ? "thread" : "sqlite",
      p50Ms: q(0.5),
      p99Ms: q(0.99),
      p999Ms: q(0.999),
      maxMs: round(ms.at(-1)!),
      over2Ms: ms.filter((x) => x > 2).length,
      checkpoints: stats.passes,
      restarts: stats.restarts,
    };
  } finally {
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const thread = await run(true);
const sqlite = await run(false);
const report = { commands: COMMANDS, group: GROUP, thread, sqlite };
writeFileSync(OUT, JSON.stringify(report, null, 2) + "\n");
console.log(JSON.stringify(report, null, 2));
