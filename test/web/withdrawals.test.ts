/**
 * The Funds panel's withdrawal logic: each status the venue reports and the L1 claim turned
 * into one stage with its words and estimate, live updates merged into the list, order ids
 * shared with the order ticket, and the refusal that says how much is free.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ApiError } from "../../web/lib/api.ts";
import type { Withdrawal } from "../../web/lib/api.ts";
import { explainWithdrawal } from "../../web/lib/errors.ts";
import { allocateOrderId, lastOrderIdKey } from "../../web/lib/orderIds.ts";
import { logPosition, mergeWithdrawal, withdrawalStage } from "../../web/lib/withdrawals.ts";
import type { L1Withdrawals } from "../../web/lib/withdrawals.ts";

const NOW = 1_795_000_000n;
const HASH = "0x" + "ab".repeat(32);

function withdrawal(over: Partial<Withdrawal> = {}): Withdrawal {
  return {
    kind: "withdrawal",
    accountId: 7n,
    requested: 100_000_000n,
    served: 100_000_000n,
    outcome: "served",
    orderId: 1_123n,
    batch: 12,
    slot: 3,
    time: NOW - 2n,
    status: "pending",
    l1TxHash: null,
    estimatedBatchCloseAt: NOW + 4n,
    ...over,
  };
}

const NO_L1: L1Withdrawals = { creditedAt: new Map(), lastClaimAt: null };

describe("withdrawal stages", () => {
  test("pending shows the batch and the time left until it closes", () => {
    const stage = withdrawalStage(withdrawal(), NO_L1, NOW);
    assert.equal(stage.step, "pending");
    assert.equal(stage.tone, "pending");
    assert.match(stage.detail, /batch 12 to close \(closes in about 4s\)/);
    const late = withdrawalStage(withdrawal({ estimatedBatchCloseAt: NOW - 1n }), NO_L1, NOW);
    assert.match(late.detail, /closing now/);
    const unknown = withdrawalStage(withdrawal({ estimatedBatchCloseAt: null }), NO_L1, NOW);
    assert.doesNotMatch(unknown.detail, /closes in/);
  });

  test("in batch, proven, claimable, then claimed once a Claimed event follows the credit", () => {
    const proving = withdrawalStage(withdrawal({ status: "in_batch" }), NO_L1, NOW, [10, 11, 12, 13]);
    assert.equal(proving.label, "in batch 12: proving");
    assert.match(proving.detail, /\(2 batches ahead of it\)/);
    assert.match(withdrawalStage(withdrawal({ status: "in_batch" }), NO_L1, NOW, [12]).detail, /next in line/);
    assert.equal(withdrawalStage(withdrawal({ status: "proven" }), NO_L1, NOW).step, "proven");
    const verified = withdrawal({ status: "claimable", l1TxHash: HASH, estimatedBatchCloseAt: null });
    const credited = logPosition(40n, 2);
    const claimable = withdrawalStage(verified, { creditedAt: new Map([[12, credited]]), lastClaimAt: null }, NOW);
    assert.equal(claimable.step, "claimable");
    assert.match(claimable.detail, /claim 100\.00 USDC/);
    assert.equal(claimable.final, false);
    // A claim before the credit (an earlier withdrawal's) does not claim this one.
    const earlier = { creditedAt: new Map([[12, credited]]), lastClaimAt: logPosition(39n, 7) };
    assert.equal(withdrawalStage(verified, earlier, NOW).step, "claimable");
    const sameBlockLater = { creditedAt: new Map([[12, credited]]), lastClaimAt: logPosition(40n, 3) };
    const claimed = withdrawalStage(verified, sameBlockLater, NOW);
    assert.equal(claimed.step, "claimed");
    assert.equal(claimed.final, true);
    // Without the credit seen on L1 yet, it stays claimable.
    assert.equal(withdrawalStage(verified, { creditedAt: new Map(), lastClaimAt: 1n << 40n }, NOW).step, "claimable");
  });

  test("failed batches and refused forced withdrawals say so", () => {
    const failed = withdrawalStage(withdrawal({ status: "failed" }), NO_L1, NOW);
    assert.equal(failed.step, "failed");
    assert.match(failed.detail, /request the withdrawal on L1/);
    const refused = withdrawal({ kind: "forced", orderId: null, served: 0n, outcome: "refused", status: "claimable" });
    const stage = withdrawalStage(refused, NO_L1, NOW);
    assert.equal(stage.step, "refused");
    assert.equal(stage.tone, "failed");
    assert.equal(stage.final, true);
    assert.match(stage.detail, /under-margined/);
    const servedForced = withdrawal({ kind: "forced", orderId: null, status: "in_batch" });
    assert.equal(withdrawalStage(servedForced, NO_L1, NOW).step, "in_batch");
  });

  test("log positions order by block, then by index in the block", () => {
    assert.ok(logPosition(10n, 0) > logPosition(9n, 4_000));
    assert.ok(logPosition(10n, 2) > logPosition(10n, 1));
  });
});

test("a live update replaces the same withdrawal or comes first", () => {
  const a = withdrawal({ batch: 3, slot: 0, status: "in_batch" });
  const b = withdrawal({ batch: 5, slot: 1 });
  const updated = mergeWithdrawal([b, a], { ...a, status: "proven" });
  assert.deepEqual(
    updated.map((w) => [w.batch, w.status]),
    [
      [5, "pending"],
      [3, "proven"],
    ],
  );
  const added = mergeWithdrawal(updated, withdrawal({ batch: 6, slot: 0 }));
  assert.deepEqual(
    added.map((w) => w.batch),
    [6, 5, 3],
  );
});

test("withdrawal ids come from the order ticket's allocator and are remembered", () => {
  const store = new Map<string, string>();
  const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => store.set(k, v) };
  const venueNext = 32n; // the venue's next order id for account 7: slot 0 of 16
  const first = allocateOrderId(storage, 7n, venueNext, [], 4);
  assert.equal(first, venueNext);
  assert.equal(store.get(lastOrderIdKey(7n)), venueNext.toString());
  // The next id is above the last one even when the venue has not seen it yet; slot 1 is busy.
  assert.equal(allocateOrderId(storage, 7n, venueNext, [1n], 4), venueNext + 2n);
  assert.equal(lastOrderIdKey(7n), "tessera:lastOrderId:7");
  const full = Array.from({ length: 16 }, (_, i) => BigInt(i));
  assert.equal(allocateOrderId(storage, 7n, venueNext, full, 4), null);
  assert.equal(store.get(lastOrderIdKey(7n)), (venueNext + 2n).toString(), "a failed allocation records nothing");
});

test("a withdrawal above the free collateral says how much is free", () => {
  const refusal = new ApiError("INSUFFICIENT_FREE_COLLATERAL", 422, "withdrawal exceeds free collateral");
  assert.match(explainWithdrawal(refusal, 1_234_560_000n), /1,234\.56 USDC is free/);
  assert.match(explainWithdrawal(refusal, -5n), /0\.00 USDC is free/);
  assert.match(explainWithdrawal(refusal, null), /cannot withdraw that much/);
  assert.match(explainWithdrawal(new ApiError("ORDER_EXPIRED", 422, "x"), 1n), /expired/);
});
