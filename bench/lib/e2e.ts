/**
 * End-to-end batch latency: from a crossing order's acceptance to the batch holding its fill
 * being verified on L1. Prints one JSON object (`E2eResult`) on stdout; progress on stderr.
 *
 *   node --import tsx bench/lib/e2e.ts
 *
 * Runs the set-up of test/sequencer/chain.test.ts: a Hardhat node (child process), the contracts
 * deployed by scripts/deploy.ts with the generated TestVerifier, and the sequencer as a child
 * process with its L1 watcher, one prover and the submitter (`test` profile). Two L1 deposits
 * fill batch 1; once it is on chain, a resting sell and a crossing IOC buy trade, the batch is
 * closed at once (`/v1/admin/close-batch`, so no batch-age wait is included) and its status is
 * polled every POLL_MS until `submitted` (the submitter marks it after `submitBatch`'s receipt:
 * the Groth16 proof was verified by the contract). Runs in its own process because
 * better-sqlite3 and Hardhat's EDR addon cannot share one.
 */
import { createInterface } from "node:readline";
import type { Contract } from "ethers";
import { Side } from "../../protocol/types.ts";
import { buildContracts, startChain } from "../../scripts/demo/stack.ts";
import { stopProcess } from "../../scripts/demo/processes.ts";
import { startChild, stopChild } from "../../test/sequencer/child.ts";
import { fundedRollup } from "../../test/sequencer/rollup-fixture.ts";
import { ADMIN_TOKEN, Client, tempDb } from "../../test/sequencer/traders.ts";

/** What the parent (scripts/bench.ts) reads. Times in milliseconds. */
export interface E2eResult {
  readonly profile: string;
  /** Reply time of the crossing (taker) order. */
  readonly takerAckMs: number;
  /** From the taker's acceptance to each batch status first seen (polled every `pollMs`). */
  readonly acceptedToClosedMs: number;
  readonly acceptedToProvedMs: number;
  readonly acceptedToSubmittedMs: number;
  readonly pollMs: number;
  /** Gas of the `submitBatch` that carried the fill (real TestVerifier, 1 trade + no-ops). */
  readonly submitBatchGas: number;
  readonly nTx: number;
}

const PORT = 28_545 + (process.pid % 1000);
const POLL_MS = 50;

const log = (msg: string): void => void process.stderr.write(`[bench e2e] ${msg}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class E2eError extends Error {
  readonly code = "BENCH_E2E";
}

/** Polls `fetch` until `done` holds or `timeoutMs` passes; returns the last value. */
async function pollUntil<T>(fetchValue: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await fetchValue();
    if (done(v) || performance.now() > deadline) return v;
    await sleep(POLL_MS);
  }
}

async function run(): Promise<E2eResult> {
  log(`hardhat node on 127.0.0.1:${PORT}`);
  await buildContracts();
  const chain = await startChain(PORT);
  const db = tempDb();
  try {
    log("deploying the contracts (TestVerifier) and funding two traders on L1");
    const { ethers, profile, d, operator, alice, bob, env } = await fundedRollup(PORT, db.file);
    log("starting the sequencer with 1 prover and the L1 submitter");
    const venue = await startChild(env);

    // The sequencer's warnings and errors (pino JSON on stdout), to explain a failed batch.
    const problems: string[] = [];
    createInterface({ input: venue.process.stdout! }).on("line", (line) => {
      if (!/"level":(40|50|60)\b/.test(line)) return;
      problems.push(line.slice(0, 600));
      if (problems.length > 5) problems.shift();
    });
    const failure = (what: string): E2eError =>
      new E2eError(`${what}; sequencer warnings and errors: ${problems.join(" | ") || "none logged"}`);
    try {
      const client = new Client(venue.url);
      const batchStatus = async (n: number): Promise<string> =>
        (await client.get(`/v1/batches/${n}`)).body.status as string;
      const open = await pollUntil(
        async () => (await client.get("/v1/status")).body.openBatch as string,
        (b) => b === "2",
        60_000,
      );
      if (open !== "2") throw new E2eError(`the L1 deposits did not fill batch 1 (open batch ${open})`);
      log("waiting for batch 1 (the deposits) to be verified on L1");
      const first = await pollUntil(() => batchStatus(1), (s) => s === "submitted" || s === "failed", 600_000);
      if (first !== "submitted") throw failure(`batch 1 ended ${first}`);

      const maker = await client.place(alice.sign({ side: Side.SELL, size: 10_000n, price: 300_000n, orderId: 1n }));
      if (maker.body.status !== "resting") throw new E2eError(`the maker order did not rest: ${JSON.stringify(maker.body)}`);
      const sent = performance.now();
      const trade = await client.place(bob.sign({ side: Side.BUY, size: 10_000n, price: 300_000n, orderId: 1n, tif: "IOC" }));
      const accepted = performance.now();
      if (trade.body.status !== "filled") throw new E2eError(`the crossing order was not filled: ${JSON.stringify(trade.body)}`);
      const closed = await client.post("/v1/admin/close-batch", {}, ADMIN_TOKEN);
      if (closed.body.batch !== "2") throw new E2eError(`closed batch ${JSON.stringify(closed.body)}, expected 2`);
      const closedAt = performance.now();
      log("batch 2 (the fill) closed; waiting until it is verified on L1");

      let provedAt: number | null = null;
      const last = await pollUntil(
        () => batchStatus(2),
        (s) => {
          if (provedAt === null && (s === "proved" || s === "submitted")) provedAt = performance.now();
          return s === "submitted" || s === "failed";
        },
        600_000,
      );
      const submittedAt = performance.now();
      if (last !== "submitted") throw failure(`batch 2 ended ${last}`);

      const submitBatchGas = await lastSubmitBatchGas(ethers.provider, d.rollup, operator.address);
      return {
        profile: profile.name,
        takerAckMs: Math.round(accepted - sent),
        acceptedToClosedMs: Math.round(closedAt - accepted),
        acceptedToProvedMs: Math.round((provedAt ?? submittedAt) - accepted),
        acceptedToSubmittedMs: Math.round(submittedAt - accepted),
        pollMs: POLL_MS,
        submitBatchGas,
        nTx: profile.nTx,
      };
    } finally {
      await stopChild(venue);
    }
  } finally {
    await stopProcess(chain);
    db.cleanup();
  }
}

interface ReceiptSource {
  getBlockNumber(): Promise<number>;
  getBlock(n: number): Promise<{ readonly transactions: readonly string[] } | null>;
  getTransaction(hash: string): Promise<{ readonly to: string | null; readonly from: string; readonly data: string } | null>;
  getTransactionReceipt(hash: string): Promise<{ readonly gasUsed: bigint; readonly status: number | null } | null>;
}

/** Gas of the operator's most recent successful `submitBatch` (scans the node's few blocks). */
async function lastSubmitBatchGas(provider: ReceiptSource, rollup: Contract, operator: string): Promise<number> {
  const rollupAddress = (await rollup.getAddress()).toLowerCase();
  const selector = rollup.interface.getFunction("submitBatch")!.selector;
  for (let n = await provider.getBlockNumber(); n >= 0; n--) {
    const block = await provider.getBlock(n);
    for (const hash of [...(block?.transactions ?? [])].reverse()) {
      const tx = await provider.getTransaction(hash);
      if (tx?.to?.toLowerCase() !== rollupAddress || tx.from.toLowerCase() !== operator.toLowerCase()) continue;
      if (!tx.data.startsWith(selector)) continue;
      const receipt = await provider.getTransactionReceipt(hash);
      if (receipt?.status === 1) return Number(receipt.gasUsed);
    }
  }
  throw new E2eError("no successful submitBatch found on the node");
}

process.stdout.write(`${JSON.stringify(await run())}\n`);
