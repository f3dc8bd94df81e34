/**
 * Sparse binary Poseidon Merkle tree (docs/protocol.md §4).
 *
 * Node = H(left, right); bit i of a leaf index (least significant first) is 1 when the path
 * node at level i is a right child. Every unset leaf holds `defaultLeaf`, and an untouched
 * subtree of height h hashes to `zeros[h]`, so only touched paths are stored.
 *
 * Nodes are immutable and shared between versions (path copying): `set` allocates exactly
 * `depth` new nodes, and `clone()` is O(1). A clone and its origin never see each other's later
 * writes, which is what a dry run needs.
 *
 * Hashes are computed when first read (a node's hash is a pure function of its children, so
 * when is invisible): `set` hashes nothing, and a proof or the root hashes only the nodes it
 * needs that no earlier read hashed. An account written by many slots of a batch (a market maker)
 * pays its path once, when the batch's root is read, not once per slot. A leaf's hash may be
 * given as a function, called on first read too.
 */
import { ProtocolError } from "./errors.ts";
import { poseidon } from "./poseidon.ts";
import type { MerkleProof } from "./types.ts";

export interface TreeNode<V> {
  /** Computed on first read for the nodes `set` creates (see the header). */
  readonly hash: bigint;
  /** On leaves: the preimage or record the caller stored with the leaf hash. */
  readonly value?: V;
  /** `null` is the default subtree of the child's height. */
  readonly left: TreeNode<V> | null;
  readonly right: TreeNode<V> | null;
}

/** `H(left, right)`, the node hash of every tree in the protocol. */
export function hashNode(left: bigint, right: bigint): bigint {
  return poseidon([left, right]);
}

/** An inner node created by `set`: its hash is `H(left, right)`, computed on first read. */
class InnerNode<V> implements TreeNode<V> {
  private memo: bigint | undefined;

  constructor(
    readonly left: TreeNode<V> | null,
    readonly right: TreeNode<V> | null,
    /** The hash of a default child (`zeros[h − 1]` for a node of height h). */
    private readonly zero: bigint,
  ) {}

  get hash(): bigint {
    this.memo ??= hashNode(this.left?.hash ?? this.zero, this.right?.hash ?? this.zero);
    return this.memo;
  }
}

/** A leaf created by `set`, whose hash is given as a value or as a function called on first read. */
class LeafNode<V> implements TreeNode<V> {
  readonly left = null;
  readonly right = null;
  private memo: bigint | undefined;

  constructor(
    private readonly leaf: bigint | (() => bigint),
    readonly value: V | undefined,
  ) {
    if (typeof leaf === "bigint") this.memo = leaf;
  }

  get hash(): bigint {
    this.memo ??= (this.leaf as () => bigint)();
    return this.memo;
  }
}

/** A tree as plain data (`SparseMerkleTree.toSnapshot`). */
export interface TreeSnapshot<U> {
  readonly depth: number;
  readonly defaultLeaf: bigint;
  readonly top: TreeNode<U> | null;
}

const zeroCache = new Map<bigint, bigint[]>();

/** `zeros[h]` is the root of a height-h subtree of default leaves, for h = 0..depth. */
export function zeroHashes(defaultLeaf: bigint, depth: number): readonly bigint[] {
  let zeros = zeroCache.get(defaultLeaf);
  if (zeros === undefined) {
    zeros = [defaultLeaf];
    zeroCache.set(defaultLeaf, zeros);
  }
  while (zeros.length <= depth) zeros.push(hashNode(zeros[zeros.length - 1]!, zeros[zeros.length - 1]!));
  return zeros;
}

/**
 * A sparse tree whose leaves may carry a value of type `V` beside their hash (the account
 * record, the order slot), versioned together with the hashes.
 */
export class SparseMerkleTree<V = never> {
  readonly depth: number;
  readonly defaultLeaf: bigint;
  private readonly zeros: readonly bigint[];
  private top: TreeNode<V> | null;

  constructor(depth: number, defaultLeaf: bigint) {
    if (!Number.isInteger(depth) || depth < 1 || depth > 64) throw new RangeError(`bad tree depth ${depth}`);
    this.depth = depth;
    this.defaultLeaf = defaultLeaf;
    this.zeros = zeroHashes(defaultLeaf, depth);
    this.top = null;
  }

  /** Number of leaves, `2^depth`. */
  get capacity(): bigint {
    return 1n << BigInt(this.depth);
  }

  get root(): bigint {
    return this.top === null ? this.zeros[this.depth]! : this.top.hash;
  }

  /**
   * The tree as plain data (nodes with their hashes, values mapped by `mapValue`), for a snapshot
   * (sequencer/journal/snapshot.ts): `fromSnapshot` restores it without hashing anything.
   */
  toSnapshot<U>(mapValue: (value: V) => U): TreeSnapshot<U> {
    const copy = (node: TreeNode<V> | null): TreeNode<U> | null => {
      if (node === null) return null;
      const out: TreeNode<U> = { hash: node.hash, left: copy(node.left), right: copy(node.right) };
      return node.value === undefined ? out : { ...out, value: mapValue(node.value) };
    };
    return { depth: this.depth, defaultLeaf: this.defaultLeaf, top: copy(this.top) };
  }

  /** The tree `toSnapshot` wrote (values mapped back by `mapValue`). Hashes are taken as stored. */
  static fromSnapshot<U, V>(snapshot: TreeSnapshot<U>, mapValue: (value: U) => V): SparseMerkleTree<V> {
    const copy = (node: TreeNode<U> | null): TreeNode<V> | null => {
      if (node === null) return null;
      const out: TreeNode<V> = { hash: node.hash, left: copy(node.left), right: copy(node.right) };
      return node.value === undefined ? out : { ...out, value: mapValue(node.value) };
    };
    const tree = new SparseMerkleTree<V>(snapshot.depth, snapshot.defaultLeaf);
    tree.top = copy(snapshot.top);
    return tree;
  }

  /** An independent copy in O(1); later writes to either do not affect the other. */
  clone(): SparseMerkleTree<V> {
    const copy = new SparseMerkleTree<V>(this.depth, this.defaultLeaf);
    copy.top = this.top;
    return copy;
  }

  private checkIndex(index: bigint): void {
    if (index < 0n || index >= this.capacity) {
      throw new ProtocolError("OUT_OF_RANGE", `leaf index ${index} outside a depth-${this.depth} tree`);
    }
  }

  /** The path from the root down, `path[h]` being the node of height h (null = default). */
  private path(index: bigint): (TreeNode<V> | null)[] {
    const path = new Array<TreeNode<V> | null>(this.depth + 1);
    let node = this.top;
    path[this.depth] = node;
    for (let h = this.depth - 1; h >= 0; h--) {
      if (node !== null) node = (index >> BigInt(h)) & 1n ? node.right : node.left;
      path[h] = node;
    }
    return path;
  }

  private leafNode(index: bigint): TreeNode<V> | null {
    this.checkIndex(index);
    let node = this.top;
    for (let h = this.depth - 1; h >= 0 && node !== null; h--) {
      node = (index >> BigInt(h)) & 1n ? node.right : node.left;
    }
    return node;
  }

  /** The leaf hash at `index` (`defaultLeaf` when never set). */
  get(index: bigint): bigint {
    return this.leafNode(index)?.hash ?? this.defaultLeaf;
  }

  /** The value stored with the leaf at `index`, if any. */
  getValue(index: bigint): V | undefined {
    return this.leafNode(index)?.value;
  }

  /**
   * Sets leaf `index` to `leaf` (with an optional value): a new path, hashed when read (see the
   * header). `leaf` may be a function computing the leaf hash; it must be pure.
   */
  set(index: bigint, leaf: bigint | (() => bigint), value?: V): void {
    this.checkIndex(index);
    const path = this.path(index);
    let node: TreeNode<V> = new LeafNode<V>(leaf, value);
    for (let h = 0; h < this.depth; h++) {
      const parent = path[h + 1] ?? null;
      const isRight = ((index >> BigInt(h)) & 1n) === 1n;
      const sibling = parent === null ? null : isRight ? parent.left : parent.right;
      node = isRight
        ? new InnerNode<V>(sibling, node, this.zeros[h]!)
        : new InnerNode<V>(node, sibling, this.zeros[h]!);
    }
    this.top = node;
  }

  /** Siblings of leaf `index`, bottom-up (siblings[0] is the leaf's sibling). */
  proof(index: bigint): MerkleProof {
    this.checkIndex(index);
    const path = this.path(index);
    const siblings = new Array<bigint>(this.depth);
    for (let h = 0; h < this.depth; h++) {
      const parent = path[h + 1] ?? null;
      const sibling = parent === null ? null : (index >> BigInt(h)) & 1n ? parent.left : parent.right;
      siblings[h] = sibling === null ? this.zeros[h]! : sibling.hash;
    }
    return { index, siblings };
  }
}

/** The root implied by `leaf` at `proof.index` with `proof.siblings`. */
export function computeRoot(leaf: bigint, proof: MerkleProof): bigint {
  let node = leaf;
  proof.siblings.forEach((sibling, h) => {
    node = (proof.index >> BigInt(h)) & 1n ? hashNode(sibling, node) : hashNode(node, sibling);
  });
  return node;
}

/** True when `proof` shows `leaf` at `proof.index` under `root`. */
export function verifyProof(root: bigint, leaf: bigint, proof: MerkleProof): boolean {
  if (proof.index < 0n || proof.index >= 1n << BigInt(proof.siblings.length)) return false;
  return computeRoot(leaf, proof) === root;
}
