/**
 * The builder's next order trees hashed ahead (sequencer/builder/prehash.ts) change how fast a
 * batch is built, never what is built: batch by batch, a state built with the pass gives the
 * same batches, byte for byte, as one built without it, whatever was planned: the right next
 * batch, another batch, or nothing. With the native backend the plan must also be exact: every
 * hash it remembered is one the build then asked for.
 *
 * The load: six accounts, each maker order filled across batch boundaries, order slots reused by
 * newer orders (16 slots at the demo profile), taker orders new each time, and L2 withdrawals
 * (a withdrawal writes its message's order slot too).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { serialize } from "node:v8";
import { initCrypto } from "../../protocol/index.ts";
import { loadNativeCrypto } from "../../native/index.ts";
import { poseidonBackend } from "../../protocol/poseidon.ts";
import { withdrawalOrder } from "../../protocol/signing.ts";
import { Side, TxType } from "../../protocol/types.ts";
import type { Tx } from "../../protocol/types.ts";
import { OrderTreePrehash } from "../../sequencer/builder/prehash.ts";
import {
  ctx,
  DEMO,
  ETH_PRICE,
  runBatch,
  sell,
  buy,
  sign,
  T0,
  tradeTx,
  UNIT,
  USDC,
  world,
} from "../protocol/fixtures.ts";

const ACCOUNTS = [2n, 3n, 4n, 5n, 6n, 7n];
const FUNDS = ACCOUNTS.map(() => 1_000_000n * USDC);

/** The load of the header, `steps` transactions long, in order. */
function load(steps: number): Tx[] {
  const nextId = new Map(ACCOUNTS.map((a) => [a, 1n]));
  const id = (account: bigint): bigint => {
    const v = nextId.get(account)!;
    nextId.set(account, v + 1n);
    return v;
  };
  const txs: Tx[] = [];
  let maker: { account: bigint; orderId: bigint; side: (typeof Side)[keyof typeof Side] } | null = null;
  let fills = 0;
  for (let s = 0; txs.length < steps; s++) {
    if (s % 7 === 6) {
      const account = ACCOUNTS[s % ACCOUNTS.length]!;
      const message = withdrawalOrder(account, USDC, id(account), T0 + 3600n);
      txs.push({ type: TxType.WITHDRAW, withdrawal: sign(message) });
      continue;
    }
    if (maker === null || fills === 3) {
      const account = ACCOUNTS[(s * 5) % ACCOUNTS.length]!;
      maker = { account, orderId: id(account), side: s % 2 === 0 ? Side.SELL : Side.BUY };
      fills = 0;
    }
    const taker = ACCOUNTS.filter((a) => a !== maker!.account)[s % (ACCOUNTS.length - 1)]!;
    const makerOrder = (maker.side === Side.SELL ? sell : buy)(maker.account, {
      orderId: maker.orderId,
      size: 3n * UNIT,
    });
    const takerOrder = (maker.side === Side.SELL ? buy : sell)(taker, { orderId: id(taker) });
    txs.push(tradeTx(makerOrder, takerOrder, UNIT, ETH_PRICE));
    fills += 1;
  }
  return txs;
}

function batchesOf(txs: readonly Tx[]): Tx[][] {
  const out: Tx[][] = [];
  for (let i = 0; i < txs.length; i += DEMO.nTx) out.push(txs.slice(i, i + DEMO.nTx));
  return out;
}

const memo = () => loadNativeCrypto().addon?.poseidonMemoStats() ?? { hits: 0, misses: 0, entries: 0, dropped: 0 };

/** The load in batches, and two funded states to build them on: without the pass and with it. */
async function setup(steps: number) {
  await initCrypto();
  return {
    batches: batchesOf(load(steps)),
    plain: world(FUNDS, DEMO),
    ahead: world(FUNDS, DEMO),
    prehash: new OrderTreePrehash(),
    context: ctx({}, DEMO),
  };
}

describe("the next batch's order trees hashed ahead", () => {
  test("builds every batch byte for byte as without it, and the plan is exact", async () => {
    const { batches, plain, ahead, prehash, context } = await setup(48);
    let planned = { leaves: 0, nodes: 0 };
    batches.forEach((txs, k) => {
      const want = runBatch(plain, context, txs);
      const next = batches[k + 1];
      prehash.beforeBuild(
        ahead,
        { number: BigInt(k), txs },
        next === undefined ? null : { number: BigInt(k + 1), txs: next },
      );
      const remembered = memo().entries;
      const hits = memo().hits;
      const got = runBatch(ahead, context, txs);
      assert.deepEqual(serialize(got), serialize(want), `batch ${k}`);
      // Batch 1's plan also holds batch 0's nodes: batch 0 was not planned, so its writes were
      // replayed unhashed before batch 1's (see prehash.ts). From batch 2 on the plan is exact.
      if (poseidonBackend() === "native" && k > 1) {
        const writes = txs.reduce(
          (n, tx) => n + (tx.type === TxType.TRADE ? 2 : tx.type === TxType.WITHDRAW ? 1 : 0),
          0,
        );
        assert.equal(planned.leaves, writes, `batch ${k}: one leaf per order-slot write`);
        assert.ok(planned.nodes > 0, `batch ${k}: nodes planned`);
        assert.equal(memo().dropped, 0);
        // Every remembered hash was asked for by the build: nothing planned in vain.
        assert.ok(
          remembered > 0 && memo().hits - hits >= remembered,
          `batch ${k}: ${memo().hits - hits} hits of ${remembered}`,
        );
      }
      planned = prehash.planned;
    });
    assert.equal(ahead.stateRoot, plain.stateRoot);
    if (poseidonBackend() === "js")
      assert.deepEqual(prehash.planned, { leaves: 0, nodes: 0 }, "the js backend plans nothing");
  });

  test("a wrong plan only costs speed: another batch planned, or none, builds the same batches", async () => {
    const { batches, plain, ahead, prehash, context } = await setup(40);
    batches.forEach((txs, k) => {
      const want = runBatch(plain, context, txs);
      // Plan a batch that is not the next one (two ahead, under the next one's number), or
      // nothing on every third batch.
      const wrong = batches[k + 2];
      prehash.beforeBuild(
        ahead,
        { number: BigInt(k), txs },
        k % 3 === 2 || wrong === undefined ? null : { number: BigInt(k + 1), txs: wrong },
      );
      assert.deepEqual(serialize(runBatch(ahead, context, txs)), serialize(want), `batch ${k}`);
    });
    assert.equal(ahead.stateRoot, plain.stateRoot);
  });

  test("a failing plan is returned, never thrown: the batch is built without it, and the next plan starts afresh", async () => {
    const { batches, plain, ahead, prehash, context } = await setup(24);
    const replay = Reflect.get(prehash, "replay") as (...args: unknown[]) => unknown;
    batches.forEach((txs, k) => {
      const want = runBatch(plain, context, txs);
      // Every other batch, the plan's replay throws.
      Reflect.set(prehash, "replay", (...args: unknown[]) => {
        if (k % 2 === 1) throw new Error(`planning fails at batch ${k}`);
        return replay.apply(prehash, args);
      });
      const next = batches[k + 1];
      const failed = prehash.beforeBuild(
        ahead,
        { number: BigInt(k), txs },
        next === undefined ? null : { number: BigInt(k + 1), txs: next },
      );
      // It fails where it replays: the next batch (the current one was planned, or is the last).
      const fails = poseidonBackend() === "native" && k % 2 === 1 && next !== undefined;
      assert.equal((failed as Error | null)?.message ?? null, fails ? `planning fails at batch ${k}` : null);
      assert.deepEqual(prehash.planned.leaves > 0, poseidonBackend() === "native" && k % 2 === 0 && next !== undefined);
      assert.deepEqual(serialize(runBatch(ahead, context, txs)), serialize(want), `batch ${k}`);
    });
    assert.equal(ahead.stateRoot, plain.stateRoot);
  });
});
