/**
 * Sparse quaternary Poseidon Merkle tree (docs/protocol.md §4).
 *
 * A tree of depth d (d even: the index bits) has d/2 levels. Node = H(c0, c1, c2, c3); at level
 * l (0 at the leaves) a leaf's path node is child `(index >> 2l) & 3` of its parent. A proof lists,
 * bottom-up, three siblings per level: the parent's other children in child order. Every unset
 * leaf holds `defaultLeaf`, and an untouched subtree of l levels hashes to `zeros[l]`, so only
 * touched paths are stored. A 4-input Poseidon costs 297 constraints against 2 × 240 for the two
 * binary levels it replaces, and half the hashes to rebuild a path (issue 17 item 3).
 *
 * Nodes are immutable and shared between versions (path copying): `set` allocates exactly
 * `d/2` new nodes, and `clone()` is O(1). A clone and its origin never see each other's later
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

/** Children per node. */
export const TREE_ARITY = 4;
/** Index bits per level: a child position is 2 bits of the leaf index. */
const LEVEL_BITS = 2n;

/** Number of levels of a tree of `depth` index bits (`depth` even). */
export function treeLevels(depth: number): number {
  if (!Number.isInteger(depth) || depth < 2 || depth % 2 !== 0 || depth > 64) {
    throw new RangeError(`bad tree depth ${depth}: an even number of index bits, 2..64`);
  }
  return depth / 2;
}

/** Number of siblings in a proof of a tree of `depth` index bits: 3 per level. */
export function proofLength(depth: number): number {
  return 3 * treeLevels(depth);
}

/** The child position of a leaf's path node at `level`. */
function digit(index: bigint, level: number): number {
  return Number((index >> (LEVEL_BITS * BigInt(level))) & 3n);
}

export interface TreeNode<V> {
  /** Computed on first read for the nodes `set` creates (see the header). */
  readonly hash: bigint;
  /** On leaves: the preimage or record the caller stored with the leaf hash. */
  readonly value?: V;
  /** Four children on inner nodes (`null` is the default subtree one level down); empty on leaves. */
  readonly children: readonly (TreeNode<V> | null)[];
}

/** `H(c0, c1, c2, c3)`, the node hash of every tree in the protocol. */
export function hashNode(children: readonly bigint[]): bigint {
  return poseidon(children);
}

const NO_CHILDREN: readonly never[] = Object.freeze([]);

/** An inner node created by `set`: its hash is `H(children)`, computed on first read. */
class InnerNode<V> implements TreeNode<V> {
  private memo: bigint | undefined;

  constructor(
    readonly children: readonly (TreeNode<V> | null)[],
    /** The hash of a default child (`zeros[l − 1]` for a node at level l). */
    readonly zero: bigint,
  ) {}

  get hash(): bigint {
    if (this.memo === undefined) this.memo = hashNode(this.childHashes());
    return this.memo;
  }

  /** True once the hash is known (read, or given by `planHashes`). */
  get hashed(): boolean {
    return this.memo !== undefined;
  }

  /** The four child hashes, the default subtree's for an empty child. */
  childHashes(): [bigint, bigint, bigint, bigint] {
    const c = this.children;
    const z = this.zero;
    return [c[0]?.hash ?? z, c[1]?.hash ?? z, c[2]?.hash ?? z, c[3]?.hash ?? z];
  }

  /** Sets the hash computed elsewhere from `childHashes()` (`planHashes` only). */
  know(hash: bigint): void {
    this.memo = hash;
  }
}

/** A leaf created by `set`, whose hash is given as a value or as a function called on first read. */
class LeafNode<V> implements TreeNode<V> {
  readonly children = NO_CHILDREN;
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

  /** True once the hash is known (given, read, or set by `planHashes`). */
  get hashed(): boolean {
    return this.memo !== undefined;
  }

  /** Sets the hash computed elsewhere from the leaf's preimage (`planHashes` only). */
  know(hash: bigint): void {
    this.memo = hash;
  }
}

/** A tree as plain data (`SparseMerkleTree.toSnapshot`). */
export interface TreeSnapshot<U> {
  readonly depth: number;
  readonly defaultLeaf: bigint;
  readonly top: TreeNode<U> | null;
}

const zeroCache = new Map<bigint, bigint[]>();

/** `zeros[l]` is the root of an l-level subtree of default leaves, for l = 0..levels. */
export function zeroHashes(defaultLeaf: bigint, levels: number): readonly bigint[] {
  let zeros = zeroCache.get(defaultLeaf);
  if (zeros === undefined) {
    zeros = [defaultLeaf];
    zeroCache.set(defaultLeaf, zeros);
  }
  while (zeros.length <= levels) {
    const z = zeros[zeros.length - 1]!;
    zeros.push(hashNode([z, z, z, z]));
  }
  return zeros;
}

/** The root of a tree of `depth` index bits whose every leaf is `defaultLeaf`. */
export function emptyRoot(defaultLeaf: bigint, depth: number): bigint {
  const levels = treeLevels(depth);
  return zeroHashes(defaultLeaf, levels)[levels]!;
}

/**
 * A sparse tree whose leaves may carry a value of type `V` beside their hash (the account
 * record, the order slot), versioned together with the hashes.
 */
export class SparseMerkleTree<V = never> {
  /** Index bits (even); the tree has `depth / 2` levels. */
  readonly depth: number;
  readonly levels: number;
  readonly defaultLeaf: bigint;
  private readonly zeros: readonly bigint[];
  private top: TreeNode<V> | null;

  constructor(depth: number, defaultLeaf: bigint) {
    this.levels = treeLevels(depth);
    this.depth = depth;
    this.defaultLeaf = defaultLeaf;
    this.zeros = zeroHashes(defaultLeaf, this.levels);
    this.top = null;
  }

  /** Number of leaves, `2^depth`. */
  get capacity(): bigint {
    return 1n << BigInt(this.depth);
  }

  get root(): bigint {
    return this.top === null ? this.zeros[this.levels]! : this.top.hash;
  }

  /** The root node (null for a tree of default leaves), hashed or not: for `planHashes`. */
  get topNode(): TreeNode<V> | null {
    return this.top;
  }

  /**
   * The tree as plain data (nodes with their hashes, values mapped by `mapValue`), for a snapshot
   * (sequencer/journal/snapshot.ts): `fromSnapshot` restores it without hashing anything.
   */
  toSnapshot<U>(mapValue: (value: V) => U): TreeSnapshot<U> {
    const copy = (node: TreeNode<V> | null): TreeNode<U> | null => {
      if (node === null) return null;
      const out: TreeNode<U> = { hash: node.hash, children: node.children.map(copy) };
      return node.value === undefined ? out : { ...out, value: mapValue(node.value) };
    };
    return { depth: this.depth, defaultLeaf: this.defaultLeaf, top: copy(this.top) };
  }

  /** The tree `toSnapshot` wrote (values mapped back by `mapValue`). Hashes are taken as stored. */
  static fromSnapshot<U, V>(snapshot: TreeSnapshot<U>, mapValue: (value: U) => V): SparseMerkleTree<V> {
    const copy = (node: TreeNode<U> | null): TreeNode<V> | null => {
      if (node === null) return null;
      const out: TreeNode<V> = { hash: node.hash, children: node.children.map(copy) };
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

  /** The path from the root down, `path[l]` being the node at level l (null = default). */
  private path(index: bigint): (TreeNode<V> | null)[] {
    const path = new Array<TreeNode<V> | null>(this.levels + 1);
    let node = this.top;
    path[this.levels] = node;
    for (let l = this.levels - 1; l >= 0; l--) {
      if (node !== null) node = node.children[digit(index, l)] ?? null;
      path[l] = node;
    }
    return path;
  }

  private leafNode(index: bigint): TreeNode<V> | null {
    this.checkIndex(index);
    let node = this.top;
    for (let l = this.levels - 1; l >= 0 && node !== null; l--) node = node.children[digit(index, l)] ?? null;
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
    for (let l = 0; l < this.levels; l++) {
      const parent = path[l + 1] ?? null;
      const children: (TreeNode<V> | null)[] =
        parent === null ? new Array<TreeNode<V> | null>(TREE_ARITY).fill(null) : [...parent.children];
      children[digit(index, l)] = node;
      node = new InnerNode<V>(children, this.zeros[l]!);
    }
    this.top = node;
  }

  /** Siblings of leaf `index`, bottom-up: per level, the parent's other three children in order. */
  proof(index: bigint): MerkleProof {
    this.checkIndex(index);
    const path = this.path(index);
    const siblings: bigint[] = [];
    for (let l = 0; l < this.levels; l++) {
      const parent = path[l + 1] ?? null;
      const own = digit(index, l);
      for (let c = 0; c < TREE_ARITY; c++) {
        if (c === own) continue;
        const sibling = parent === null ? null : (parent.children[c] ?? null);
        siblings.push(sibling === null ? this.zeros[l]! : sibling.hash);
      }
    }
    return { index, siblings };
  }
}

/**
 * The hashing that tree versions still need, as rows for protocol/poseidon.ts `poseidonAhead`:
 * row r hashes `widths[r]` inputs, input i being `spec[4r + i]`, `literals[s]` for s >= 0 or the
 * output of the earlier row −s − 1. `settle` gives each planned node the output of its row.
 */
export interface HashPlan {
  readonly widths: Uint8Array;
  readonly spec: Int32Array;
  readonly literals: bigint[];
  /** Rows that hash leaves (the first ones) and inner nodes. */
  readonly leaves: number;
  readonly nodes: number;
  settle(outputs: readonly bigint[]): void;
}

/**
 * Plans the hashes not yet known under `tops` (root nodes of trees of `levels` levels): the
 * leaves first, a leaf's inputs given by `leafInputs(value)` (its preimage: 1..4 elements whose
 * Poseidon is the leaf hash), then the inner nodes a level at a time from the bottom, each
 * node's inputs its children's hashes: a literal where known, else the row that computes it.
 * Rows only ever refer to earlier rows. A node whose hash is known has every node under it
 * hashed, so the walk stops there. `settle(outputs)` then sets each node's hash as reading
 * `hash` would have computed it, provided `leafInputs` is the leaves' preimage.
 */
export function planHashes<V>(
  tops: Iterable<TreeNode<V> | null>,
  levels: number,
  leafInputs: (value: V | undefined) => readonly bigint[],
): HashPlan {
  // byLevel[l]: the unhashed nodes at level l, each once (level 0: leaves).
  const byLevel: (InnerNode<V> | LeafNode<V>)[][] = Array.from({ length: levels + 1 }, () => []);
  const seen = new Set<TreeNode<V>>();
  const nodes: TreeNode<V>[] = [];
  const at: number[] = [];
  for (const top of tops)
    if (top !== null) {
      nodes.push(top);
      at.push(levels);
    }
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const level = at.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    if (node instanceof LeafNode) {
      if (!node.hashed) byLevel[0]!.push(node);
    } else if (node instanceof InnerNode && !node.hashed) {
      byLevel[level]!.push(node);
      for (const child of node.children)
        if (child !== null) {
          nodes.push(child);
          at.push(level - 1);
        }
    }
  }
  const order = byLevel.flat();
  const row = new Map<TreeNode<V>, number>();
  order.forEach((node, r) => row.set(node, r));
  const widths = new Uint8Array(order.length);
  const spec = new Int32Array(4 * order.length);
  const literals: bigint[] = [];
  const input = (r: number, i: number, child: TreeNode<V> | null, zero: bigint): void => {
    const ref = child === null ? undefined : row.get(child);
    if (ref !== undefined) spec[4 * r + i] = -ref - 1;
    else {
      spec[4 * r + i] = literals.length;
      literals.push(child === null ? zero : child.hash);
    }
  };
  order.forEach((node, r) => {
    if (node instanceof LeafNode) {
      const inputs = leafInputs(node.value);
      if (inputs.length < 1 || inputs.length > TREE_ARITY)
        throw new RangeError(`a leaf preimage of ${inputs.length} inputs`);
      widths[r] = inputs.length;
      inputs.forEach((x, i) => {
        spec[4 * r + i] = literals.length;
        literals.push(x);
      });
    } else {
      widths[r] = TREE_ARITY;
      node.children.forEach((child, i) => input(r, i, child, node.zero));
    }
  });
  return {
    widths,
    spec,
    literals,
    leaves: byLevel[0]!.length,
    nodes: order.length - byLevel[0]!.length,
    settle(outputs: readonly bigint[]): void {
      if (outputs.length !== order.length) throw new RangeError(`${outputs.length} hashes for ${order.length} rows`);
      order.forEach((node, r) => node.know(outputs[r]!));
    },
  };
}

/** The root implied by `leaf` at `proof.index` with `proof.siblings` (3 per level, bottom-up). */
export function computeRoot(leaf: bigint, proof: MerkleProof): bigint {
  if (proof.siblings.length % 3 !== 0)
    throw new RangeError(`a proof holds 3 siblings per level, not ${proof.siblings.length}`);
  let node = leaf;
  for (let l = 0; l < proof.siblings.length / 3; l++) {
    const own = digit(proof.index, l);
    const [s0, s1, s2] = proof.siblings.slice(3 * l, 3 * l + 3) as [bigint, bigint, bigint];
    const children = [s0, s1, s2];
    children.splice(own, 0, node);
    node = hashNode(children);
  }
  return node;
}

/** True when `proof` shows `leaf` at `proof.index` under `root`. */
export function verifyProof(root: bigint, leaf: bigint, proof: MerkleProof): boolean {
  if (proof.siblings.length % 3 !== 0) return false;
  const depth = (2 * proof.siblings.length) / 3;
  if (proof.index < 0n || proof.index >= 1n << BigInt(depth)) return false;
  return computeRoot(leaf, proof) === root;
}
