/**
 * Account-tree throughput at production depth: leaf updates per second of the sparse quaternary
 * Poseidon tree (protocol/tree.ts) at depth 24 (12 levels), on a tree pre-filled with
 * random-looking leaves. The tree hashes when read, so an update is timed with the root read
 * after it (its whole path hashed), and proofs are then read from a hashed tree.
 * Prints the figures and writes bench/tree.json.
 *
 *   npx tsx bench/tree.ts
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { initPoseidon, poseidon } from "../protocol/poseidon.ts";
import { SparseMerkleTree } from "../protocol/tree.ts";

const DEPTH = 24;
const PREFILL = 2_000;
const UPDATES = 2_000;

await initPoseidon();
const tree = new SparseMerkleTree(DEPTH, 0n);
const capacity = 1n << BigInt(DEPTH);
// Deterministic spread of indices over the whole tree (an odd multiplier is a bijection mod 2^24).
const indexOf = (i: number): bigint => (BigInt(i) * 2_654_435_761n) % capacity;

for (let i = 0; i < PREFILL; i++) tree.set(indexOf(i), BigInt(i + 1));
void tree.root;

let start = performance.now();
for (let i = 0; i < UPDATES; i++) {
  tree.set(indexOf(i % PREFILL), BigInt(i) + 7n);
  void tree.root;
}
const updateSeconds = (performance.now() - start) / 1000;

start = performance.now();
for (let i = 0; i < UPDATES; i++) tree.proof(indexOf(i % PREFILL));
const proofSeconds = (performance.now() - start) / 1000;

start = performance.now();
const HASHES = 20_000;
for (let i = 0; i < HASHES; i++) poseidon([BigInt(i), 1n]);
const hashSeconds = (performance.now() - start) / 1000;

const result = {
  depth: DEPTH,
  prefilledLeaves: PREFILL,
  updates: UPDATES,
  updatesPerSecond: Math.round(UPDATES / updateSeconds),
  proofsPerSecond: Math.round(UPDATES / proofSeconds),
  poseidon2PerSecond: Math.round(HASHES / hashSeconds),
  cpu: cpus()[0]?.model ?? "unknown",
  node: process.version,
};
console.log(result);
writeFileSync(new URL("./tree.json", import.meta.url), JSON.stringify(result, null, 2) + "\n");
