/**
 * The next batch's order trees hashed on a thread of their own while the builder replays this
 * one.
 *
 * Most of a build is Poseidon, and a fill's two order-tree updates are the larger part of it:
 * each fill writes one slot in the maker's order tree and one in the taker's, and the account
 * leaf after the fill holds each tree's new root, so every level of both paths is hashed for
 * every fill (two leaves and 2 × orderDepth/2 nodes). `buildBatch` hashes them one after the
 * other, on the builder's thread, because it reads each root as it goes. Yet which slots a batch
 * writes, and with what, is known before the replay: a trade fills `size` of its maker's and its
 * taker's orders, a withdrawal `size` of its message, and a slot then holds `{orderId, filled}`,
 * `filled` being the slot's fill for the same order plus `size` (protocol/transition.ts
 * `fillOrder`). So while batch k is replayed, this replays only batch k + 1's slot writes, on
 * copies of the order trees (persistent trees: a copy costs nothing and the builder's state never
 * sees it), plans the hashes they need (protocol/tree.ts `planHashes`) and has the native
 * Poseidon compute them on a thread of its own (protocol/poseidon.ts `poseidonAhead`). When
 * batch k + 1's replay starts, its builder's thread takes the results, remembers them, and
 * finds each leaf and node remembered when `buildBatch` hashes it.
 *
 * Nothing here is trusted. This replay applies none of the rules; `buildBatch` applies all of
 * them and hashes through the same `poseidon`, and a remembered hash is the hash of its inputs
 * (the memo compares whole inputs, native/src/poseidon_memo.h). A write this pass got wrong, or
 * a batch the builder refuses, only costs the hashes it did not foresee. With the js crypto
 * backend there is no thread to hash on, and nothing is planned.
 *
 * The copies: after `beforeBuild(k, k + 1)` the trees and slots held here are those batch k + 1
 * leaves, for the accounts it writes; every other account's are the builder's state's once
 * batch k is built, so the next call (building k + 1, planning k + 2) finds each account's trees
 * as batch k + 1 leaves them, here or in the state. A batch that was not planned (the first one,
 * or one that arrived when the builder was idle) is replayed here without hashing first, so the
 * next plan hashes its nodes too, once, on the job's thread.
 */
import { planHashes } from "../../protocol/tree.ts";
import type { HashPlan, SparseMerkleTree, TreeNode } from "../../protocol/tree.ts";
import { orderLeafHash } from "../../protocol/account.ts";
import { fitsUnsigned } from "../../protocol/field.ts";
import { BITS } from "../../protocol/constants.ts";
import { poseidonAhead, poseidonBackend, poseidonMemoReset } from "../../protocol/poseidon.ts";
import type { PoseidonJob } from "../../protocol/poseidon.ts";
import type { RollupState } from "../../protocol/state.ts";
import type { OrderSlot } from "../../protocol/transition.ts";
import { TxType } from "../../protocol/types.ts";
import type { Order, Tx } from "../../protocol/types.ts";

/** A batch as this pass reads it. */
export interface PlannedBatch {
  readonly number: bigint;
  readonly txs: readonly Tx[];
}

/** What a plan holds: order-tree leaves and inner nodes to hash. */
export interface PrehashStats {
  readonly leaves: number;
  readonly nodes: number;
}

/** The order fills `tx` writes, in the order the transition writes them: `[order, size]`. */
function orderWrites(tx: Tx): (readonly [Order, bigint])[] {
  if (tx.type === TxType.TRADE)
    return [
      [tx.maker.order, tx.size],
      [tx.taker.order, tx.size],
    ];
  if (tx.type === TxType.WITHDRAW) return [[tx.withdrawal.order, tx.withdrawal.order.size]];
  return [];
}

/** A plan running: batch `number`'s order-tree hashes. */
type Pending = { readonly number: bigint; readonly job: PoseidonJob; readonly plan: HashPlan } | null;

/** Order trees and slots as a batch leaves them, for the accounts and slots it writes. */
class Copies {
  readonly trees = new Map<bigint, SparseMerkleTree<OrderSlot>>();
  readonly slots = new Map<string, OrderSlot>();
}

export class OrderTreePrehash {
  /** The copies as the last batch replayed here leaves them (see the header). */
  private copies = new Copies();
  private pending: Pending = null;
  /** What the last `beforeBuild` planned (for the bench and the tests). */
  planned: PrehashStats = { leaves: 0, nodes: 0 };

  /**
   * Call as `current` is about to be built on `state` (the state after the batch before it):
   * waits for `current`'s hashes if they were planned and leaves them remembered for its build
   * (this thread's memo, which forgets the batch before's), then starts `next`'s, if given.
   * Never throws: this only saves work, so a failure (which would be a bug here) is returned,
   * the copies start again from the state, and the build goes on without help.
   */
  beforeBuild(state: RollupState, current: PlannedBatch, next: PlannedBatch | null): unknown {
    poseidonMemoReset();
    const pending = this.pending;
    this.pending = null;
    this.planned = { leaves: 0, nodes: 0 };
    if (poseidonBackend() !== "native") return null;
    try {
      this.plan(state, current, pending, next);
      return null;
    } catch (e) {
      this.copies = new Copies();
      this.pending = null;
      this.planned = { leaves: 0, nodes: 0 };
      return e;
    }
  }

  private plan(state: RollupState, current: PlannedBatch, pending: Pending, next: PlannedBatch | null): void {
    if (pending !== null && pending.number === current.number) {
      pending.plan.settle(pending.job.finish());
    } else {
      // Not planned (or planned for another batch): the copies start again from the state.
      const after = new Copies();
      this.replay(state, new Copies(), after, current.txs);
      this.copies = after;
    }
    if (next === null) return;
    const after = new Copies();
    const tops = this.replay(state, this.copies, after, next.txs);
    this.copies = after;
    if (tops.length === 0) return;
    // A leaf's preimage is its slot (protocol/account.ts `orderLeafHash`).
    const plan = planHashes(tops, state.profile.orderDepth / 2, (slot) => [slot!.orderId, slot!.filled]);
    const job = poseidonAhead(plan.widths, plan.spec, plan.literals);
    if (job === null) return;
    this.pending = { number: next.number, job, plan };
    this.planned = { leaves: plan.leaves, nodes: plan.nodes };
  }

  /**
   * Replays `txs`' slot writes (no rule, no hashing) on the trees of `before`, else of `state`,
   * into `after`; returns the root node of each tree version a write made.
   */
  private replay(state: RollupState, before: Copies, after: Copies, txs: readonly Tx[]): TreeNode<OrderSlot>[] {
    const { accountDepth, orderDepth } = state.profile;
    const mask = (1n << BigInt(orderDepth)) - 1n;
    const tops: TreeNode<OrderSlot>[] = [];
    for (const tx of txs) {
      for (const [order, size] of orderWrites(tx)) {
        const { accountId, orderId } = order;
        // Out-of-range values are the replay's to refuse; nothing to foresee for them.
        if (!fitsUnsigned(accountId, accountDepth) || !fitsUnsigned(orderId, BITS.orderId)) continue;
        if (!fitsUnsigned(size, BITS.size)) continue;
        const index = orderId & mask;
        const key = `${accountId}:${index}`;
        const stored = after.slots.get(key) ?? before.slots.get(key) ?? state.orderState(accountId, orderId);
        const slot = { orderId, filled: (orderId === stored.orderId ? stored.filled : 0n) + size };
        after.slots.set(key, slot);
        let tree = after.trees.get(accountId);
        if (tree === undefined) {
          tree = (before.trees.get(accountId) ?? state.orderTree(accountId)).clone();
          after.trees.set(accountId, tree);
        }
        // A leaf computed on first read, as protocol/account.ts `orderLeafHash`, unless the plan
        // sets it first (this pass never reads it before).
        tree.set(index, () => orderLeafHash(slot.orderId, slot.filled), slot);
        const top = tree.topNode;
        if (top !== null) tops.push(top);
      }
    }
    return tops;
  }
}
