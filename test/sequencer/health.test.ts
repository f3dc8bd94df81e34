/**
 * Issue 14, findings F14 and F15 in the core, without a chain: the health gate (stale prices
 * against L1's maxOracleAge, the batch backlog against its bounds, a failed batch), the
 * submitter's finality, reorg, backoff, replacement and lag rules against an in-memory chain,
 * and a prover that fails a batch for good behind the HTTP API. The same rules on a real Hardhat
 * node: l1health.test.ts.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { WebSocket } from "ws";
import type { BatchHeader } from "../../protocol/batch.ts";
import { initCrypto } from "../../protocol/index.ts";
import { slotsUsePrices } from "../../protocol/priceUse.ts";
import { withdrawalOrder } from "../../protocol/signing.ts";
import { Side, TxType } from "../../protocol/types.ts";
import type { SolidityProof } from "../../protocol/types.ts";
import { commandSchema } from "../../sequencer/core/commands.ts";
import type { Command } from "../../sequencer/core/commands.ts";
import { gateError } from "../../sequencer/core/health.ts";
import { Sequencer } from "../../sequencer/core/sequencer.ts";
import { SequencerError } from "../../sequencer/errors.ts";
import type { HealthBounds, L1Limits } from "../../sequencer/core/health.ts";
import { L1Submitter } from "../../sequencer/l1/submitter.ts";
import type { ChainView, Replacement, RollupSubmission } from "../../sequencer/l1/submitter.ts";
import { ProvingStage } from "../../sequencer/provers/proving.ts";
import { ProvingError } from "../../prover/pool.ts";
import type { ProverPool } from "../../prover/pool.ts";
import { startVenue, tempDb, Trader, venueConfig } from "./helpers.ts";

const PROOF: SolidityProof = [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n];
const log = pino({ level: "silent" });
const LIMITS: L1Limits = {
  maxOracleAge: 60n,
  maxBatchLag: 3600n,
  priceRoundGrace: 15n,
  forcedRequestDeadline: 604_800n,
};
const T0 = 1_800_000_000n; // unix seconds

/** Every command kind the journal knows. */
const KINDS = commandSchema.options.map((o) => o.shape.kind.value) as Command["kind"][];

/**
 * The venue's mode at `now`, after checking that its per-command gate (which skips the report in
 * the common case) refuses exactly what the full report refuses, with the same code and message.
 */
function modeAt(venue: Sequencer, now: bigint): string {
  const health = venue.health(now);
  for (const kind of KINDS) {
    const full = gateError(health, kind);
    const fast = venue.gate(kind, now);
    assert.equal(fast?.code ?? null, full?.code ?? null, `${kind} at ${now}`);
    assert.equal(fast?.message ?? null, full?.message ?? null, `${kind} at ${now}`);
  }
  return health.mode;
}

function code(c: string) {
  return (e: unknown) => e instanceof SequencerError && e.code === c;
}

async function venueWith(file: string, extra: { limits?: L1Limits; health?: HealthBounds } = {}) {
  await initCrypto();
  return Sequencer.open({ ...venueConfig(), ...extra }, file);
}

const alice = new Trader("alice", 2n);
const bob = new Trader("bob", 3n);
const deposit = (t: Trader, queueIndex: bigint | null = null) =>
  ({
    kind: "deposit",
    accountId: t.accountId,
    owner: t.owner,
    pkHash: t.pkHash,
    amount: 100_000_000_000n,
    queueIndex,
  }) as const;
const place = (t: Trader, side: 0 | 1, orderId: bigint, tif: "GTC" | "IOC" = "GTC") =>
  ({
    kind: "place",
    order: t.sign({ side: side === 0 ? Side.BUY : Side.SELL, size: 10_000n, price: 300_000n, orderId, tif }),
    clientOrderId: null,
  }) as const;

describe("finding F14: the venue halts price-dependent trading on a round older than L1's maxOracleAge", () => {
  const db = tempDb();
  let venue: Sequencer;
  before(async () => {
    venue = await venueWith(db.file, { limits: LIMITS });
  });
  after(() => {
    venue.close();
    db.cleanup();
  });

  test("a stale round stops trades, funding and withdrawals of accounts with positions; deposits and flat withdrawals go on (F13); cancels work; a fresh round resumes", async () => {
    const ms = (s: bigint) => s * 1000n;
    venue.execute({ kind: "oracle", prices: [300_000n, 6_000_000n], roundIds: [1n, 1n], updatedAts: [T0, T0] }, ms(T0));
    venue.execute(deposit(alice), ms(T0 + 1n));
    venue.execute(deposit(bob), ms(T0 + 2n));
    venue.execute(place(alice, 1, 1n), ms(T0 + 3n));
    // Bob buys from alice's better-priced order 5: both hold a position from here on.
    const better = (t: Trader, side: 0 | 1, orderId: bigint, tif: "GTC" | "IOC") =>
      ({
        kind: "place",
        order: t.sign({ side: side === 0 ? Side.BUY : Side.SELL, size: 10_000n, price: 299_900n, orderId, tif }),
        clientOrderId: null,
      }) as const;
    venue.execute(better(alice, 1, 5n, "GTC"), ms(T0 + 4n));
    const fill = venue.execute(better(bob, 0, 6n, "IOC"), ms(T0 + 5n));
    assert.equal(fill.kind === "place" && fill.result.status, "filled");
    assert.equal(modeAt(venue, ms(T0 + 60n)), "normal", "exactly maxOracleAge old is still fresh (L1's rule)");

    const late = ms(T0 + 61n);
    const h = venue.health(late);
    modeAt(venue, late);
    assert.equal(h.mode, "price_stale");
    assert.equal(h.code, "PRICE_STALE");
    assert.deepEqual(
      h.staleFeeds.map((f) => [f.underlying, f.roundId, f.ageSeconds]),
      [
        [1, 1n, 61n],
        [2, 1n, 61n],
      ],
    );
    assert.match(
      h.reasons[0]!,
      /older than L1's maxOracleAge \(60 s\).*cancels, deposits, settlements and withdrawals from accounts without positions go on/,
    );
    const bobBefore = venue.ledger.state.account(bob.accountId);
    assert.throws(() => venue.execute(place(bob, 0, 1n, "IOC"), late), code("PRICE_STALE"));
    assert.deepEqual(venue.ledger.state.account(bob.accountId), bobBefore);
    // Funding is due an interval after genesis, but it reads prices: it is not scheduled.
    const far = ms(T0 + 100_000n);
    assert.ok(!venue.dueCommands(far, 1n << 60n).some((c) => c.kind === "funding"));
    // A deposit reads no price: it opens a batch at the stale time, at the same (stale) rounds,
    // which L1 accepts for a batch none of whose slots reads a price (finding F13).
    venue.execute({ kind: "closeBatch" }, late);
    const carol = new Trader("carol", 4n);
    venue.execute(deposit(carol), late);
    assert.ok(venue.ledger.pricesStale);
    // A withdrawal reads a price only through the account's positions: carol (none) withdraws,
    // bob (long) waits.
    const withdraw = (t: Trader, orderId: bigint) =>
      ({
        kind: "withdraw",
        withdrawal: t.sign(withdrawalOrder(t.accountId, 1_000_000n, orderId, T0 + 3600n)),
      }) as const;
    const out = venue.execute(withdraw(carol, 1n), late);
    assert.equal(out.kind, "withdraw");
    assert.throws(() => venue.execute(withdraw(bob, 7n), late), code("PRICE_STALE"));
    // A price-reading transaction never joins it, nor opens one (the ledger; protocol/'s
    // BatchBuilder refuses it too, test/protocol/priceUse.test.ts).
    assert.throws(
      () => venue.ledger.apply({ type: TxType.FUNDING, underlying: 1, delta: 0n }, late),
      code("PRICE_STALE"),
    );
    venue.execute({ kind: "closeBatch" }, late);
    assert.throws(
      () => venue.ledger.apply({ type: TxType.FUNDING, underlying: 1, delta: 0n }, late),
      code("PRICE_STALE"),
    );
    // Cancels always work.
    const c = venue.execute({ kind: "cancel", accountId: alice.accountId, orderId: 1n, reason: "user" }, late);
    assert.equal(c.kind === "cancel" && c.cancelled.length, 1);

    // A fresh round: trading resumes.
    const fresh = ms(T0 + 70n);
    venue.execute(
      { kind: "oracle", prices: [300_000n, 6_000_000n], roundIds: [2n, 2n], updatedAts: [T0 + 69n, T0 + 69n] },
      fresh,
    );
    assert.equal(modeAt(venue, fresh), "normal");
    venue.execute(place(alice, 1, 2n), fresh);
    const filled = venue.execute(place(bob, 0, 1n, "IOC"), fresh);
    assert.equal(filled.kind === "place" && filled.result.status, "filled");
    venue.execute({ kind: "closeBatch" }, fresh + 1n);
    let stale = 0;
    for (const b of venue.unprovedBatches()) {
      const t = b.batch.context.timestamp;
      assert.ok(b.priceRoundIds.every((id) => id > 0n));
      const fresh = t - (b.priceRoundIds[0] === 1n ? T0 : T0 + 69n) <= LIMITS.maxOracleAge;
      if (!fresh) {
        // L1's rule (contracts/TesseraRollup.sol _checkPrices): a round older than maxOracleAge
        // only in a batch none of whose slots reads a price.
        stale++;
        assert.ok(
          !slotsUsePrices(
            b.batch.witnesses.flatMap((w) => w.publicData),
            t,
          ),
          `batch ${b.number} reads no price`,
        );
      }
    }
    assert.equal(stale, 1, "the deposit's and carol's withdrawal's batch, at the stale rounds");
  });

  test("the journal replays to the same venue with the same limits", async () => {
    const again = await venueWith(db.file, { limits: LIMITS });
    try {
      assert.equal(again.ledger.currentStateRoot(), venue.ledger.currentStateRoot());
      assert.deepEqual(again.ledger.oracleUpdatedAts, [T0 + 69n, T0 + 69n]);
    } finally {
      again.close();
    }
  });
});

describe("finding F15: the backlog gate goes cancel-only, then halted, and back", () => {
  const db = tempDb();
  let venue: Sequencer;
  let now = T0 * 1000n;
  const bounds: HealthBounds = {
    cancelOnlyBatches: 2,
    cancelOnlyAgeMs: 600_000n,
    haltBatches: 3,
    haltAgeMs: 1_200_000n,
  };
  before(async () => {
    venue = await venueWith(db.file, { health: bounds });
  });
  after(() => {
    venue.close();
    db.cleanup();
  });

  test("count bounds: cancel-only at 2 batches not final on L1, halted at 3, normal once they are", () => {
    venue.execute(deposit(alice), (now += 1000n));
    venue.execute({ kind: "closeBatch" }, (now += 1000n));
    venue.execute(deposit(bob), (now += 1000n));
    venue.execute(place(alice, 1, 1n), (now += 1000n));
    assert.equal(modeAt(venue, now), "normal", "one pending batch");
    venue.execute({ kind: "closeBatch" }, (now += 1000n));
    const h = venue.health(now);
    modeAt(venue, now);
    assert.equal(h.mode, "cancel_only");
    assert.equal(h.backlog.batches, 2);
    assert.match(h.reasons[0]!, /2 batches \(2 unproved\) are not yet final on L1.*only cancels/);
    assert.throws(() => venue.execute(place(bob, 0, 1n, "IOC"), (now += 1000n)), code("CANCEL_ONLY"));
    // L1 operations still apply (the forced-request deadline runs), and make batch 3.
    venue.execute(
      { kind: "forcedWithdrawal", accountId: alice.accountId, requested: 1n, queueIndex: null },
      (now += 1000n),
    );
    venue.execute({ kind: "closeBatch" }, (now += 1000n));
    const halted = venue.health(now);
    modeAt(venue, now);
    assert.equal(halted.mode, "halted");
    assert.equal(halted.code, "HALTED");
    assert.throws(() => venue.execute(deposit(new Trader("carol", 4n)), (now += 1000n)), code("HALTED"));
    assert.throws(() => venue.execute(place(bob, 0, 1n, "IOC"), (now += 1000n)), code("HALTED"));
    const c = venue.execute(
      { kind: "cancel", accountId: alice.accountId, orderId: 1n, reason: "user" },
      (now += 1000n),
    );
    assert.equal(c.kind === "cancel" && c.cancelled.length, 1, "cancels work while halted");

    // The backlog drains (proved, then final on L1): back to cancel-only, then normal.
    for (const b of venue.unprovedBatches()) venue.recordProof(b.number, PROOF);
    venue.setBatchStatus(1n, "submitted", "0x01");
    assert.equal(modeAt(venue, now), "cancel_only");
    venue.setBatchStatus(2n, "submitted", "0x02");
    venue.setBatchStatus(3n, "submitted", "0x03");
    assert.equal(modeAt(venue, now), "normal");
    venue.execute(place(alice, 1, 2n), (now += 1000n));
  });

  test("age bound: a batch pending longer than cancelOnlyAgeMs, then haltAgeMs", () => {
    venue.execute(deposit(new Trader("erin", 7n)), (now += 1000n));
    venue.execute({ kind: "closeBatch" }, (now += 1000n));
    const opened = venue.unprovedBatches()[0]!.openedAt;
    assert.equal(modeAt(venue, opened + 599_999n), "normal");
    assert.equal(modeAt(venue, opened + 600_000n), "cancel_only");
    assert.equal(modeAt(venue, opened + 1_200_000n), "halted");
    venue.recordProof(venue.unprovedBatches()[0]!.number, PROOF);
    venue.setBatchStatus(venue.provedBatches()[0]!.number, "submitted", "0x04");
    assert.equal(modeAt(venue, opened + 1_200_000n), "normal");
  });

  test("a venue without L1 (batches never final) has no backlog gate", async () => {
    const db2 = tempDb();
    const v = await venueWith(db2.file);
    try {
      let t = now;
      for (let i = 0; i < 60; i++) {
        v.execute(deposit(new Trader(`t${i}`, BigInt(10 + i))), (t += 1000n));
        v.execute({ kind: "closeBatch" }, (t += 1000n));
      }
      assert.equal(modeAt(v, t + 10_000_000n), "normal");
      assert.equal(v.health(t).bounds, null);
    } finally {
      v.close();
      db2.cleanup();
    }
  });

  test("the age bounds never exceed a quarter and a half of L1's maxBatchLag", async () => {
    const db2 = tempDb();
    const v = await venueWith(db2.file, { health: bounds, limits: { ...LIMITS, maxBatchLag: 400n } });
    try {
      const h = v.health(now);
      modeAt(v, now);
      assert.equal(h.bounds?.cancelOnlyAgeMs, 100_000n);
      assert.equal(h.bounds?.haltAgeMs, 200_000n);
    } finally {
      v.close();
      db2.cleanup();
    }
  });

  test("a failed batch halts the venue until the operator restarts it, even once the backlog drains", () => {
    venue.execute(deposit(new Trader("carol", 4n)), (now += 1000n));
    venue.execute({ kind: "closeBatch" }, (now += 1000n));
    const n = venue.unprovedBatches()[0]!.number;
    const events: string[] = [];
    const off = venue.on((e) => {
      if (e.type === "health") events.push(e.health.mode);
    });
    venue.setBatchStatus(n, "failed", "prover: out of memory");
    off();
    assert.deepEqual(events, ["halted"], "the change is pushed (WebSocket status)");
    const h = venue.health(now);
    modeAt(venue, now);
    assert.equal(h.code, "HALTED");
    assert.deepEqual(h.failedBatch, { batch: n, reason: "prover: out of memory" });
    assert.match(h.reasons[0]!, /batch \d+ failed \(prover: out of memory\).*Operator: .*restart/);
    assert.throws(() => venue.execute(place(alice, 1, 3n), (now += 1000n)), code("HALTED"));
    venue.execute({ kind: "cancelAll", accountId: alice.accountId, instrument: null, reason: "user" }, (now += 1000n));
  });
});

/** An in-memory rollup and chain: blocks, a mempool, batch counts per block, reorgs. */
class MemoryChain implements RollupSubmission {
  /** Per block: the rollup's batch count and root after it. */
  blocks: { count: bigint; root: bigint; time: bigint }[];
  pool = new Map<string, { header: BatchHeader; nonce: number; fee: bigint | null }>();
  mined = new Map<string, number>();
  sends: { hash: string; replace: Replacement | undefined }[] = [];
  automine = true;
  time: bigint;
  lag: bigint | null = 3600n;
  private seq = 0;
  nonce = 0;

  /** `count`: batches the rollup accepted before (the venue numbers batches from 1, as L1 does). */
  constructor(root: bigint, time: bigint, count = 0n) {
    this.time = time;
    this.blocks = [{ count, root, time }];
    this.nonce = Number(count);
  }
  private get tip() {
    return this.blocks.at(-1)!;
  }
  tipCount(): bigint {
    return this.tip.count;
  }
  mine(hash?: string): void {
    const tip = this.tip;
    let next = { count: tip.count, root: tip.root, time: (this.time += 12n) };
    if (hash !== undefined) {
      const tx = this.pool.get(hash)!;
      this.pool.delete(hash);
      for (const [h, t] of this.pool) if (t.nonce === tx.nonce) this.pool.delete(h);
      next = { ...next, count: tip.count + 1n, root: tx.header.newStateRoot };
      this.mined.set(hash, this.blocks.length);
    }
    this.blocks.push(next);
  }
  /** Drops the last `n` blocks and their transactions. */
  reorg(n: number): void {
    const keep = this.blocks.length - n;
    this.blocks = this.blocks.slice(0, keep);
    for (const [h, b] of this.mined) if (b >= keep) this.mined.delete(h);
    this.nonce = Number(this.tip.count);
  }
  stateRoot(): Promise<bigint> {
    return Promise.resolve(this.tip.root);
  }
  submitBatch(header: BatchHeader, _slots: string, _proof: SolidityProof, replace?: Replacement) {
    const hash = `0x${(++this.seq).toString(16).padStart(64, "0")}`;
    const nonce = replace?.nonce ?? this.nonce++;
    const fee = replace?.maxFeePerGas ?? 100n;
    this.pool.set(hash, { header, nonce, fee });
    this.sends.push({ hash, replace });
    if (this.automine) this.mine(hash);
    return Promise.resolve({
      hash,
      nonce,
      maxFeePerGas: fee,
      maxPriorityFeePerGas: 10n,
      gasPrice: null,
      wait: () => Promise.resolve(null),
    });
  }
  readonly chain: ChainView = {
    head: () => Promise.resolve({ number: this.blocks.length - 1, timestamp: this.tip.time }),
    batchNumber: (tag) => Promise.resolve(tag === "latest" ? this.tip.count : this.blocks[tag]!.count),
    transaction: (hash) =>
      Promise.resolve(this.mined.has(hash) ? "mined" : this.pool.has(hash) ? "pending" : "unknown"),
    maxBatchLag: () => Promise.resolve(this.lag),
  };
}

describe("finding F15: the submitter keeps batches until final, re-sends after a reorg, backs off and replaces", () => {
  const db = tempDb();
  let venue: Sequencer;
  let now = T0 * 1000n;
  let clock = 0;
  const opts = { confirmations: 2, backoffMs: 1000, replaceAfterMs: 30_000, clock: () => clock };

  before(async () => {
    venue = await venueWith(db.file);
  });
  after(() => {
    venue.close();
    db.cleanup();
  });

  function provedBatch(t: Trader) {
    venue.execute(deposit(t), (now += 1000n));
    venue.execute({ kind: "closeBatch" }, (now += 1000n));
    const closed = venue.unprovedBatches().at(-1)!;
    venue.recordProof(closed.number, PROOF);
    return closed;
  }

  test("a mined batch waits for its confirmations; a reorg that drops it re-sends it", async () => {
    const b1 = provedBatch(alice);
    const chain = new MemoryChain(b1.batch.oldStateRoot, T0);
    const submitter = new L1Submitter(venue, chain, log, opts);
    await submitter.poll();
    assert.equal(chain.sends.length, 1);
    assert.equal(chain.tipCount(), 1n);
    assert.equal(venue.batchStatus(b1.number), "proved", "on L1, not final");
    assert.match(venue.journal.batchRecord(b1.number)!.detail, /^sent 0x/);
    chain.mine();
    await submitter.poll();
    assert.equal(venue.batchStatus(b1.number), "proved", "one confirmation of two");
    assert.match(venue.journal.batchRecord(b1.number)!.detail, /waiting for 2 confirmations/);
    // A reorg takes the batch's block out: it is sent again, to a chain whose root is its old root.
    chain.reorg(2);
    assert.equal(chain.tipCount(), 0n);
    await submitter.poll();
    assert.equal(chain.sends.length, 2, "sent again");
    assert.equal(chain.tipCount(), 1n);
    chain.mine();
    chain.mine();
    await submitter.poll();
    assert.equal(venue.batchStatus(b1.number), "submitted", "final after two confirmations");
    assert.equal(venue.journal.batchRecord(b1.number)!.detail, chain.sends[1]!.hash);
  });

  test("a stuck send is replaced with the same nonce and higher fees after replaceAfterMs", async () => {
    const b = provedBatch(bob);
    const chain = new MemoryChain(b.batch.oldStateRoot, T0, b.number - 1n);
    chain.automine = false;
    const submitter = new L1Submitter(venue, chain, log, { ...opts, confirmations: 0 });
    await submitter.poll();
    assert.equal(chain.sends.length, 1);
    clock += 29_999;
    await submitter.poll();
    assert.equal(chain.sends.length, 1, "not yet");
    clock += 1;
    await submitter.poll();
    assert.equal(chain.sends.length, 2);
    const [first, second] = [chain.pool.get(chain.sends[0]!.hash), chain.sends[1]!.replace!];
    assert.equal(second.nonce, first?.nonce ?? 0);
    assert.equal(second.maxFeePerGas, 126n, "100 + 25 % + 1");
    assert.equal(second.maxPriorityFeePerGas, 13n);
    chain.mine(chain.sends[1]!.hash);
    await submitter.poll();
    assert.equal(venue.batchStatus(b.number), "submitted");
    assert.equal(venue.journal.batchRecord(b.number)!.detail, chain.sends[1]!.hash);
  });

  test("failed sends back off exponentially", async () => {
    const b = provedBatch(new Trader("carol", 4n));
    const chain = new MemoryChain(b.batch.oldStateRoot, T0, b.number - 1n);
    let failures = 2;
    const send = chain.submitBatch.bind(chain);
    chain.submitBatch = (...args) => (failures-- > 0 ? Promise.reject(new Error("connection reset")) : send(...args));
    const submitter = new L1Submitter(venue, chain, log, { ...opts, confirmations: 0 });
    await submitter.poll();
    assert.match(venue.journal.batchRecord(b.number)!.detail, /next try in 1000 ms/);
    clock += 999;
    await submitter.poll();
    assert.equal(failures, 1, "waits out the backoff");
    clock += 1;
    await submitter.poll();
    assert.match(venue.journal.batchRecord(b.number)!.detail, /send 2 failed.*next try in 2000 ms/);
    clock += 2000;
    await submitter.poll();
    assert.equal(venue.batchStatus(b.number), "submitted");
  });

  test("a batch L1 would refuse as too old (maxBatchLag) is failed, not sent, and halts the venue", async () => {
    const b = provedBatch(new Trader("dave", 5n));
    const chain = new MemoryChain(b.batch.oldStateRoot, b.batch.context.timestamp + 3600n - 29n, b.number - 1n);
    const submitter = new L1Submitter(venue, chain, log, { ...opts, confirmations: 0 });
    await submitter.poll();
    assert.equal(chain.sends.length, 0);
    assert.equal(venue.batchStatus(b.number), "failed");
    assert.match(venue.journal.batchRecord(b.number)!.detail, /^BATCH_TOO_OLD: /);
    assert.equal(venue.health(now).code, "HALTED");
  });
});

describe("finding F15: a prover that fails a batch for good stops the venue taking orders", () => {
  test("HALTED on the API with the reason in /v1/status and a WebSocket status message", async () => {
    const v = await startVenue();
    try {
      const venue = v.service.venue;
      const ws = new WebSocket(v.service.url.replace("http", "ws") + "/v1/ws");
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      });
      const pushed = new Promise<Record<string, unknown>>((resolve) => {
        ws.on("message", (data: Buffer) => {
          const m = JSON.parse(data.toString()) as Record<string, unknown>;
          if (m.type === "status" && m.mode === "halted") resolve(m);
        });
      });
      const pool = {
        prove: (jobId: string) => Promise.reject(new ProvingError(jobId, 3, "the witness generator crashed")),
      } as unknown as ProverPool;
      const stage = new ProvingStage(venue, pool, log);
      stage.start();
      const t = BigInt(Date.now());
      venue.execute(deposit(alice), t);
      venue.execute({ kind: "closeBatch" }, t);
      // The batch event goes out once the batch is built (the builder's process) and its
      // journal commit is done (group commit).
      await venue.built();
      await venue.durable();
      await stage.idle();
      stage.stop();
      const status = (await v.client.get("/v1/status")).body as { health: Record<string, unknown> };
      assert.equal(status.health.mode, "halted");
      assert.equal(status.health.code, "HALTED");
      assert.match(String((status.health.reasons as string[])[0]), /batch 1 failed .*witness generator crashed/);
      const r = await v.client.place(alice.sign({ side: Side.SELL, size: 10_000n, price: 300_000n, orderId: 1n }));
      assert.equal(r.status, 503);
      assert.equal(r.body.code, "HALTED");
      const message = await pushed;
      assert.equal(message.mode, "halted");
      assert.equal(message.code, "HALTED");
      assert.deepEqual(message.failedBatch, {
        batch: "1",
        reason: (status.health.failedBatch as { reason: string }).reason,
      });
      ws.close();
    } finally {
      await v.cleanup();
    }
  });
});

describe("finding F15: a restart rebuilds the venue from L1 plus its journal", () => {
  test("batches the journal calls submitted but L1 lost (a reorg deeper than the depth) are sent again", async () => {
    const db = tempDb();
    let now = T0 * 1000n;
    try {
      const venue = await venueWith(db.file);
      const batchesMade: bigint[] = [];
      for (const t of [alice, bob]) {
        venue.execute(deposit(t), (now += 1000n));
        venue.execute({ kind: "closeBatch" }, (now += 1000n));
        const b = venue.unprovedBatches().at(-1)!;
        venue.recordProof(b.number, PROOF);
        batchesMade.push(b.number);
      }
      const [b1, b2] = venue.provedBatches();
      const chain = new MemoryChain(b1!.batch.oldStateRoot, T0);
      await new L1Submitter(venue, chain, log, { clock: () => 0 }).poll();
      assert.deepEqual(
        batchesMade.map((n) => venue.batchStatus(n)),
        ["submitted", "submitted"],
      );
      const root = venue.ledger.currentStateRoot();
      venue.close();

      // L1 lost batch 2 (deeper than the confirmation depth) while the venue was down.
      chain.reorg(1);
      const restarted = await venueWith(db.file);
      assert.deepEqual(restarted.provedBatches(), [], "without L1's count the journal is trusted");
      restarted.close();
      const rebuilt = await Sequencer.open({ ...venueConfig(), l1Batches: chain.tipCount() }, db.file);
      try {
        assert.equal(rebuilt.ledger.currentStateRoot(), root);
        assert.deepEqual(
          rebuilt.provedBatches().map((b) => b.number),
          [b2!.number],
        );
        assert.match(rebuilt.journal.batchRecord(b2!.number)!.detail, /not on L1 at restart \(L1 holds 1 batches\)/);
        await new L1Submitter(rebuilt, chain, log, { clock: () => 0 }).poll();
        assert.equal(rebuilt.batchStatus(b2!.number), "submitted");
        assert.equal(await chain.stateRoot(), root, "L1 is back at the venue's root");
      } finally {
        rebuilt.close();
      }
    } finally {
      db.cleanup();
    }
  });
});

describe("finding F15: a deposit a deep reorg took away is undone by rebuilding the journal", () => {
  test("the venue is rebuilt without the lost deposit; orders L1 can still take are kept", async () => {
    const from = tempDb();
    const to = tempDb();
    let now = T0 * 1000n;
    const carol = new Trader("carol", 4n);
    try {
      const venue = await venueWith(from.file);
      venue.execute(deposit(alice, 0n), (now += 1000n));
      venue.execute(deposit(bob, 1n), (now += 1000n));
      venue.execute({ kind: "closeBatch" }, (now += 1000n));
      const prefix = venue.unprovedBatches()[0]!;
      // carol's deposit (queue index 2) is credited; carol quotes; alice and bob trade.
      venue.execute(deposit(carol, 2n), (now += 1000n));
      venue.execute(place(carol, 1, 1n), (now += 1000n));
      venue.execute(place(alice, 1, 1n), (now += 1000n));
      const fill = venue.execute(place(bob, 0, 1n, "IOC"), (now += 1000n));
      assert.equal(fill.kind === "place" && fill.result.fills[0]!.makerAccount, carol.accountId, "carol was first");
      venue.execute(place(bob, 0, 2n, "IOC"), (now += 1000n));
      venue.close();

      // L1 lost queue entries from 2 on: rebuild without them.
      const lost = (c: { kind: string; queueIndex?: bigint | null }) =>
        (c.kind === "deposit" || c.kind === "forcedWithdrawal") && c.queueIndex != null && c.queueIndex >= 2n;
      const { venue: rebuilt, kept, dropped, changed } = Sequencer.rebuild(venueConfig(), from.file, to.file, lost);
      try {
        assert.deepEqual(
          dropped.map((d) => [d.kind, d.reason.split(":")[0]]),
          [
            ["deposit", "dropped by the rebuild (not on L1)"],
            ["place", "UNKNOWN_ACCOUNT"],
          ],
        );
        assert.equal(kept, 6);
        // Kept, but told otherwise: bob's first order filled against carol's offer and now
        // against alice's; his second filled against alice's and now finds nothing. Alice's own
        // order, the deposits and the batch close (renumbered) tell the same: not reported.
        const makers = (digest: string) => (JSON.parse(digest) as { f: string[][] }).f.map((f) => f[3]!);
        assert.deepEqual(
          changed.map((c) => [c.kind, makers(c.was), makers(c.now)]),
          [
            ["place", [carol.accountId.toString()], [alice.accountId.toString()]],
            ["place", [alice.accountId.toString()], []],
          ],
        );
        assert.equal(rebuilt.expectedQueueIndex, 2n, "the watcher reads queue entry 2 from L1 again");
        assert.equal(rebuilt.ledger.state.account(carol.accountId).pkHash, 0n, "carol is not credited");
        // Both of bob's orders now fill against alice's offer and the rest of the book as it is.
        const bobPos = rebuilt.ledger.state.account(bob.accountId).positions.find((p) => p.size !== 0n);
        assert.equal(bobPos?.size, 10_000n, "bob's first order took alice's offer; the second found nothing");
        // The batches before the lost deposit are the same: L1 keeps them.
        assert.equal(rebuilt.unprovedBatches()[0]!.batch.newStateRoot, prefix.batch.newStateRoot);
      } finally {
        rebuilt.close();
      }
      // The rebuilt journal replays like any journal.
      const again = await venueWith(to.file);
      try {
        assert.equal(again.expectedQueueIndex, 2n);
        assert.equal(again.ledger.state.account(carol.accountId).pkHash, 0n);
      } finally {
        again.close();
      }
    } finally {
      from.cleanup();
      to.cleanup();
    }
  });
});
