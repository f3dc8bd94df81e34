import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  computeRoot,
  hashNode,
  ProtocolError,
  SparseMerkleTree,
  verifyProof,
  zeroHashes,
} from "../../protocol/index.ts";
import "./fixtures.ts";

/** The root of a full tree computed level by level, the slow obvious way. */
function naiveRoot(leaves: readonly bigint[]): bigint {
  let level = leaves.slice();
  while (level.length > 1) {
    const next: bigint[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(hashNode(level[i]!, level[i + 1]!));
    level = next;
  }
  return level[0]!;
}

describe("SparseMerkleTree", () => {
  test("an empty tree's root is the zero-hash chain of its default leaf", () => {
    const tree = new SparseMerkleTree(4, 7n);
    assert.equal(tree.root, naiveRoot(Array.from({ length: 16 }, () => 7n)));
    assert.equal(tree.root, zeroHashes(7n, 4)[4]);
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

  test("proofs verify for set and unset leaves, bottom-up, and fail for another leaf or index", () => {
    const tree = new SparseMerkleTree(6, 0n);
    tree.set(5n, 11n);
    tree.set(40n, 12n);
    for (const [i, v] of [
      [5n, 11n],
      [40n, 12n],
      [41n, 0n],
      [63n, 0n],
    ] as const) {
      const proof = tree.proof(i);
      assert.equal(proof.siblings.length, 6);
      assert.ok(verifyProof(tree.root, v, proof));
    }
    const proof = tree.proof(5n);
    // Leaf 5 = 0b000101: its sibling is leaf 4 (default), bit 0 set means it is a right child.
    assert.equal(proof.siblings[0], 0n);
    assert.equal(computeRoot(11n, proof), tree.root);
    assert.equal(verifyProof(tree.root, 12n, proof), false);
    assert.equal(verifyProof(tree.root, 11n, { index: 4n, siblings: proof.siblings }), false);
    assert.equal(verifyProof(tree.root, 11n, { index: 64n, siblings: proof.siblings }), false);
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
