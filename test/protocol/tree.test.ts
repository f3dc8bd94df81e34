import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  computeRoot,
  hashNode,
  ProtocolError,
  SparseMerkleTree,
  emptyRoot,
  planHashes,
  poseidon,
  proofLength,
  verifyProof,
  zeroHashes,
} from "../../protocol/index.ts";
import type { TreeNode } from "../../protocol/index.ts";
import "./fixtures.ts";

/** The root of a full quaternary tree computed level by level, the slow obvious way. */
function naiveRoot(leaves: readonly bigint[]): bigint {
  let level = leaves.slice();
  while (level.length > 1) {
    const next: bigint[] = [];
    for (let i = 0; i < level.length; i += 4) next.push(hashNode(level.slice(i, i + 4)));
    level = next;
  }
  return level[0]!;
}

describe("SparseMerkleTree", () => {
  test("an empty tree's root is the zero-hash chain of its default leaf", () => {
    const tree = new SparseMerkleTree(4, 7n);
    assert.equal(tree.root, naiveRoot(Array.from({ length: 16 }, () => 7n)));
    assert.equal(tree.root, zeroHashes(7n, 2)[2]);
    assert.equal(tree.root, emptyRoot(7n, 4));
    assert.equal(tree.get(5n), 7n);
  });

  test("matches a naive full-tree root for random leaves", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.bigInt({ min: 0n, max: 1n << 200n })), { maxLength: 12 }),
        (writes) => {
          const tree = new SparseMerkleTree(4, 3n);
          const leaves = Array.from({ length: 16 }, () => 3n);
          for (const [i, v] of writes) {
            tree.set(BigInt(i), v);
            leaves[i] = v;
          }
          assert.equal(tree.root, naiveRoot(leaves));
          for (let i = 0; i < 16; i++) assert.equal(tree.get(BigInt(i)), leaves[i]);
        },
      ),
      { numRuns: 20 },
    );
  });

  test("hashes lazily: any interleaving of writes, clones and reads gives the naive roots and proofs", () => {
    // Writes give the leaf as a value or as a function (called on first read only); reads of
    // the root and of proofs at random moments force some nodes and not others; a clone taken
    // in between must keep its own roots. Every read is checked against the naive full tree.
    type Op =
      | { readonly kind: "set"; readonly i: number; readonly v: bigint; readonly lazy: boolean }
      | { readonly kind: "root" }
      | { readonly kind: "proof"; readonly i: number }
      | { readonly kind: "clone" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant("set" as const),
        i: fc.integer({ min: 0, max: 63 }),
        v: fc.bigInt({ min: 0n, max: 1n << 200n }),
        lazy: fc.boolean(),
      }),
      fc.record({ kind: fc.constant("root" as const) }),
      fc.record({ kind: fc.constant("proof" as const), i: fc.integer({ min: 0, max: 63 }) }),
      fc.record({ kind: fc.constant("clone" as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        let tree = new SparseMerkleTree(6, 9n);
        let leaves = Array.from({ length: 64 }, () => 9n);
        const clones: { tree: SparseMerkleTree; root: bigint }[] = [];
        let calls = 0;
        for (const o of ops) {
          if (o.kind === "set") {
            tree.set(BigInt(o.i), o.lazy ? () => (calls++, o.v) : o.v);
            leaves = leaves.slice();
            leaves[o.i] = o.v;
          } else if (o.kind === "root") {
            assert.equal(tree.root, naiveRoot(leaves));
          } else if (o.kind === "proof") {
            assert.equal(computeRoot(leaves[o.i]!, tree.proof(BigInt(o.i))), naiveRoot(leaves));
          } else {
            clones.push({ tree: tree.clone(), root: naiveRoot(leaves) });
            tree = tree.clone();
          }
        }
        assert.equal(tree.root, naiveRoot(leaves));
        for (const c of clones) assert.equal(c.tree.root, c.root, "a clone keeps the root it had");
        const lazyWrites = ops.filter((o) => o.kind === "set" && o.lazy).length;
        assert.ok(calls <= lazyWrites, "a lazy leaf is hashed at most once");
      }),
      { numRuns: 60 },
    );
  });

  test("planHashes: the rows of a plan, hashed in order and settled, give every version the root it would read", () => {
    // Versions made by random writes (leaves given by their preimage, computed on first read,
    // or as a plain hash), with roots and proofs read at random moments so that some nodes are
    // hashed before the plan and others not. The plan's rows are computed here one by one, as a
    // job would, and settled; then every version's root must be its twin's, read the usual way,
    // and no planned leaf may be computed again.
    type Op =
      | { readonly kind: "set"; readonly i: number; readonly a: bigint; readonly b: bigint; readonly plain: boolean }
      | { readonly kind: "read"; readonly i: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant("set" as const),
        i: fc.integer({ min: 0, max: 63 }),
        a: fc.bigInt({ min: 0n, max: 1n << 200n }),
        b: fc.bigInt({ min: 0n, max: 1n << 40n }),
        plain: fc.boolean(),
      }),
      fc.record({ kind: fc.constant("read" as const), i: fc.integer({ min: 0, max: 63 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        type Slot = { readonly a: bigint; readonly b: bigint };
        const tree = new SparseMerkleTree<Slot>(6, 9n);
        const twin = new SparseMerkleTree<Slot>(6, 9n);
        const tops: (TreeNode<Slot> | null)[] = [];
        const roots: bigint[] = [];
        let calls = 0;
        for (const o of ops) {
          if (o.kind === "set") {
            const slot = { a: o.a, b: o.b };
            tree.set(BigInt(o.i), o.plain ? poseidon([o.a, o.b]) : () => (calls++, poseidon([o.a, o.b])), slot);
            twin.set(BigInt(o.i), poseidon([o.a, o.b]), slot);
            tops.push(tree.topNode);
            roots.push(twin.root);
          } else {
            tree.proof(BigInt(o.i));
          }
        }
        const callsBefore = calls;
        const plan = planHashes(tops, tree.levels, (v) => [v!.a, v!.b]);
        assert.equal(plan.widths.length, plan.leaves + plan.nodes);
        const out: bigint[] = [];
        plan.widths.forEach((w, r) => {
          const row = Array.from({ length: w }, (_, i) => {
            const s = plan.spec[4 * r + i]!;
            assert.ok(s >= 0 ? s < plan.literals.length : -s - 1 < r, "a row refers to literals and earlier rows only");
            return s >= 0 ? plan.literals[s]! : out[-s - 1]!;
          });
          out.push(poseidon(row));
        });
        plan.settle(out);
        // Settled before any read: nothing is left to plan, and the roots need no hashing.
        assert.equal(planHashes(tops, tree.levels, (v) => [v!.a, v!.b]).widths.length, 0, "nothing left to plan");
        tops.forEach((top, k) => assert.equal(top?.hash, roots[k], `version ${k}`));
        assert.equal(calls, callsBefore, "a planned leaf is not computed again");
        if (out.length > 0) assert.throws(() => plan.settle(out.slice(1)), /hashes for/);
      }),
      { numRuns: 60 },
    );
  });

  test("a write hashes nothing until a read needs it", () => {
    const tree = new SparseMerkleTree(8, 0n);
    let calls = 0;
    tree.set(3n, () => (calls++, 5n));
    tree.set(200n, 6n);
    assert.equal(calls, 0, "set called the leaf function");
    tree.proof(200n); // leaf 3 lies in a sibling subtree of leaf 200's path: it is read now
    assert.equal(calls, 1);
    void tree.root;
    tree.set(3n, () => (calls++, 7n));
    tree.proof(2n); // leaf 3 is one of leaf 2's siblings
    void tree.root;
    assert.equal(calls, 2, "each lazy leaf is hashed once");
  });

  test("proofs verify for set and unset leaves, bottom-up, and fail for another leaf or index", () => {
    const tree = new SparseMerkleTree(6, 0n);
    tree.set(4n, 13n);
    tree.set(5n, 11n);
    tree.set(40n, 12n);
    for (const [i, v] of [
      [5n, 11n],
      [40n, 12n],
      [41n, 0n],
      [63n, 0n],
    ] as const) {
      const proof = tree.proof(i);
      assert.equal(proof.siblings.length, 9);
      assert.equal(proofLength(6), 9);
      assert.ok(verifyProof(tree.root, v, proof));
    }
    const proof = tree.proof(5n);
    // Leaf 5 = 0b00_01_01 is child 1 of its parent, whose other children are leaves 4, 6 and 7
    // in that order; one level up the parent is child 1 again, beside subtrees 0, 2 and 3.
    assert.deepEqual(proof.siblings.slice(0, 3), [13n, 0n, 0n]);
    assert.equal(proof.siblings[3], hashNode([0n, 0n, 0n, 0n]));
    assert.equal(computeRoot(11n, proof), tree.root);
    assert.equal(verifyProof(tree.root, 12n, proof), false);
    assert.equal(verifyProof(tree.root, 11n, { index: 4n, siblings: proof.siblings }), false);
    assert.equal(verifyProof(tree.root, 11n, { index: 64n, siblings: proof.siblings }), false);
    assert.equal(verifyProof(tree.root, 11n, { index: 5n, siblings: proof.siblings.slice(1) }), false);
  });

  test("odd depths and depths past 64 are refused: a level takes two index bits", () => {
    for (const depth of [0, 1, 3, 23, 66]) assert.throws(() => new SparseMerkleTree(depth, 0n), RangeError);
  });

  test("clones are independent in both directions", () => {
    const tree = new SparseMerkleTree<string>(8, 0n);
    tree.set(1n, 1n, "one");
    const copy = tree.clone();
    const root = tree.root;
    copy.set(2n, 2n, "two");
    assert.equal(tree.root, root);
    assert.equal(tree.getValue(2n), undefined);
    tree.set(1n, 9n, "nine");
    assert.equal(copy.get(1n), 1n);
    assert.equal(copy.getValue(1n), "one");
    assert.equal(tree.getValue(1n), "nine");
  });

  test("setting a leaf back to the default restores the empty root", () => {
    const tree = new SparseMerkleTree(10, 0n);
    const empty = tree.root;
    tree.set(700n, 5n);
    assert.notEqual(tree.root, empty);
    tree.set(700n, 0n);
    assert.equal(tree.root, empty);
  });

  test("indices outside the tree are OUT_OF_RANGE", () => {
    const tree = new SparseMerkleTree(4, 0n);
    for (const i of [-1n, 16n]) {
      assert.throws(
        () => tree.set(i, 1n),
        (e: unknown) => e instanceof ProtocolError && e.code === "OUT_OF_RANGE",
      );
      assert.throws(() => tree.proof(i), ProtocolError);
    }
  });

  test("depth 24 trees store only touched paths", () => {
    const tree = new SparseMerkleTree(24, 0n);
    tree.set((1n << 24n) - 1n, 42n);
    assert.ok(verifyProof(tree.root, 42n, tree.proof((1n << 24n) - 1n)));
    assert.ok(verifyProof(tree.root, 0n, tree.proof(0n)));
  });
});
