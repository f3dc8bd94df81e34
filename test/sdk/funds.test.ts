/**
 * The SDK's newer endpoints against a real sequencer: withdrawals (signed, listed, streamed,
 * refused), deposits, batches paged, batch detail, a proof and the verification key refused
 * as typed errors on a venue without provers, instruments by status, funding's last rate, and
 * liquidation fills on the REST and WebSocket account channels.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { TesseraClient } from "../../sdk/client.ts";
import { TesseraApiError } from "../../sdk/errors.ts";
import { TesseraStream } from "../../sdk/stream.ts";
import { ETH_PRICE, ONE, RICH, startSdkVenue, walletOf } from "./venue.ts";
import type { SdkVenue } from "./venue.ts";

/** The typed refusal of `p`. */
async function refusal(p: Promise<unknown>): Promise<TesseraApiError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TesseraApiError, `expected a TesseraApiError, got ${String(e)}`);
    return e;
  }
  assert.fail("the request was accepted");
}

/** 1 USDC in base units. */
const USDC = 1_000_000n;

describe("withdrawals, deposits and batches", () => {
  let v: SdkVenue;
  let alice: TesseraClient;
  let bob: TesseraClient;

  before(async () => {
    v = await startSdkVenue();
    alice = await v.trader("funds-alice", 2n);
    bob = await v.trader("funds-bob", 3n, 500n * USDC);
  });
  after(async () => {
    await v.close();
  });

  test("deposits are listed newest first with their batch and status", async () => {
    await v.admin.deposit({
      accountId: 3n,
      owner: BigInt(walletOf("funds-bob").address),
      pkHash: bob.key.pkHash,
      amount: 250n * USDC,
    });
    const deposits = await bob.deposits();
    assert.deepEqual(
      deposits.map((d) => [d.accountId, d.amount, d.queueIndex, d.status]),
      [
        [3n, 250n * USDC, null, "pending"],
        [3n, 500n * USDC, null, "pending"],
      ],
    );
    const open = (await bob.status()).openBatch;
    assert.equal(deposits[0]!.batch, open);
    assert.ok(deposits[0]!.estimatedBatchCloseAt! > deposits[0]!.time, "a pending deposit has a close estimate");
    assert.equal(deposits[0]!.l1TxHash, null);
    assert.equal((await bob.deposits(1)).length, 1);
    await v.admin.closeBatch();
    const closed = await bob.deposits();
    assert.ok(closed.every((d) => d.status === "in_batch" && d.estimatedBatchCloseAt === null));
  });

  test("withdraw: allocates an order id beside resting orders, is listed and streamed with its status", async () => {
    const stream = new TesseraStream({ url: v.url, client: alice });
    try {
      await stream.connect();
      const resting = await alice.placeOrder({ instrument: 1n, side: "buy", size: ONE, price: ETH_PRICE - 5000n });
      assert.equal(resting.status, "resting");
      const pushed = stream.next("withdrawal");
      const before = (await alice.account()).collateral;
      const w = await alice.withdraw(1_000n * USDC);
      assert.equal(w.kind, "withdrawal");
      assert.equal(w.requested, 1_000n * USDC);
      assert.equal(w.served, 1_000n * USDC);
      assert.equal(w.outcome, "served");
      assert.equal(w.status, "pending");
      assert.equal(w.batch, (await alice.status()).openBatch);
      assert.ok(w.estimatedBatchCloseAt !== null);
      const allocator = await alice.orderIds();
      assert.notEqual(allocator.slotOf(w.orderId!), allocator.slotOf(resting.orderId), "not the resting order's slot");
      assert.deepEqual(await pushed, w, "the account channel pushes the same view");
      assert.equal((await alice.account()).collateral, before - 1_000n * USDC);
      // The id is burned: the next order takes a higher one.
      const next = await alice.placeOrder({ instrument: 1n, side: "buy", size: ONE, price: ETH_PRICE - 5001n });
      assert.ok(next.orderId > w.orderId!);
      await alice.cancelAll();

      const second = await alice.withdraw(5n * USDC);
      const list = await alice.withdrawals();
      assert.deepEqual(
        list.map((x) => [x.orderId, x.requested, x.status]),
        [
          [second.orderId, 5n * USDC, "pending"],
          [w.orderId, 1_000n * USDC, "pending"],
        ],
      );
      assert.equal((await alice.withdrawals(1)).length, 1);
      await v.admin.closeBatch();
      assert.ok((await alice.withdrawals()).every((x) => x.status === "in_batch" && x.estimatedBatchCloseAt === null));
    } finally {
      stream.close();
    }
  });

  test("a withdrawal above free collateral or replayed is refused with the protocol's code", async () => {
    const free = (await bob.account()).freeCollateral;
    const tooMuch = await refusal(bob.withdraw(free + 1n));
    assert.equal(tooMuch.code, "INSUFFICIENT_FREE_COLLATERAL");
    assert.equal(tooMuch.status, 422);
    const signed = await bob.signWithdrawal(USDC);
    assert.equal((await bob.submitWithdrawal(signed)).orderId, signed.order.orderId);
    const replay = await refusal(bob.submitWithdrawal(signed));
    assert.equal(replay.code, "DUPLICATE_ORDER_ID");
    assert.equal(replay.status, 409);
    assert.deepEqual(
      (await bob.withdrawals()).map((x) => x.requested),
      [USDC],
      "refused withdrawals are not listed",
    );
  });

  test("batches page newest first with roots, transaction types and detail", async () => {
    await bob.withdraw(USDC);
    const last = await v.admin.closeBatch();
    assert.ok(last !== null);
    const seen: bigint[] = [];
    let before: bigint | undefined;
    for (;;) {
      const page = await alice.batches({ limit: 2, before });
      assert.ok(page.batches.length <= 2);
      seen.push(...page.batches.map((b) => b.number));
      if (page.nextBefore === null) break;
      before = page.nextBefore;
    }
    assert.deepEqual(
      seen,
      Array.from({ length: Number(last) }, (_, i) => last - BigInt(i)),
      "every closed batch once, newest first",
    );
    const [newest] = (await alice.batches({ limit: 1 })).batches;
    assert.equal(newest!.number, last);
    // Bob's two withdrawals since the last close (the previous test's and this one).
    assert.equal(newest!.txTypes.withdraw, 2);
    assert.equal(newest!.txCount, 2);
    assert.equal(newest!.proofStatus, "closed");
    assert.equal(newest!.l1TxHash, null);
    assert.ok(newest!.closedAt >= newest!.openedAt);
    const previous = (await alice.batches({ before: last, limit: 1 })).batches[0]!;
    assert.equal(previous.newStateRoot, newest!.oldStateRoot, "batches chain by state root");
    const detail = await alice.batch(last);
    assert.deepEqual([detail.number, detail.status, detail.detail, detail.proof], [last, "closed", "", null]);
  });

  test("without provers, a proof and the verification key are NOT_FOUND (404)", async () => {
    const proof = await refusal(alice.batchProof(1n));
    assert.deepEqual([proof.code, proof.status], ["NOT_FOUND", 404]);
    assert.match(proof.message, /batch 1/);
    const vkey = await refusal(alice.verificationKey());
    assert.deepEqual([vkey.code, vkey.status], ["NOT_FOUND", 404]);
  });

  test("instruments filter by status and carry the settlement price", async () => {
    const active = await alice.instruments({ status: "active" });
    assert.ok(active.length > 2);
    assert.ok(active.every((m) => m.status === "active" && m.settlementPrice === null));
    assert.deepEqual(await alice.instruments({ status: "settled" }), []);
  });

  test("funding reports no last delta or rate before the first funding", async () => {
    const eth = (await alice.funding()).underlyings.find((u) => u.symbol === "ETH")!;
    assert.equal(eth.lastDelta, null);
    assert.equal(eth.lastRateBps, null);
    assert.equal(eth.nextFundingTime, eth.lastFundingTime + 60n);
  });
});

describe("liquidation fills", () => {
  let v: SdkVenue;
  before(async () => {
    v = await startSdkVenue();
  });
  after(async () => {
    await v.close();
  });

  test("an account below maintenance margin sees a liquidation fill on REST and its stream", async () => {
    const maker = await v.trader("liq-maker", 2n, RICH);
    const lever = await v.trader("liq-lever", 3n, 400n * USDC);
    const stream = new TesseraStream({ url: v.url, client: lever });
    try {
      await stream.connect();
      await maker.placeOrder({ instrument: 1n, side: "sell", size: ONE, price: ETH_PRICE });
      const bought = await lever.placeOrder({ instrument: 1n, side: "buy", size: ONE, price: ETH_PRICE });
      assert.equal(bought.fills[0]!.kind, "trade");
      const liquidated = stream.next("fill", (f) => f.kind === "liquidation");
      // ETH from 3,000 to 2,700: equity about 98.5 USDC, below the 5% maintenance margin (135).
      await v.admin.setOracle([270_000n, 6_000_000n]);
      const pushed = await liquidated;
      const [fill] = await lever.fills(1);
      assert.equal(fill!.kind, "liquidation");
      assert.equal(fill!.tradeId, pushed.tradeId);
      assert.deepEqual([fill!.taker.accountId, fill!.taker.orderId, fill!.maker.accountId], [3n, 0n, 1n]);
      assert.equal(fill!.takerSide, "sell", "the liquidatee takes its closing side");
      // No more than brings it back to maintenance (each unit releases 135 USDC of margin for a
      // 27 USDC penalty: 36.5 / 108 of a unit).
      assert.equal(fill!.size, 3_380n);
      assert.equal(fill!.price, 270_000n, "a perp is liquidated at the oracle price");
      assert.deepEqual(
        (await lever.account()).positions.map((p) => p.size),
        [ONE - 3_380n],
      );
    } finally {
      stream.close();
    }
  });
});
