/**
 * EdDSA-Poseidon throughput on one core: protocol/eddsa-fast.ts against circomlibjs.
 * Prints the figures and writes bench/eddsa.json.
 *
 *   npx tsx bench/eddsa.ts
 *
 * Each figure is operations per second of this process's CPU time (user + system), which is
 * the single-core rate even when other work shares the machine; the wall-clock rate and the
 * load average at the start are recorded beside it so a noisy run can be told apart.
 */
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { buildEddsa } from "circomlibjs";
import { initPoseidon } from "../protocol/poseidon.ts";
import { EddsaVerifier, publicKeyFast, signFast, verifyFast } from "../protocol/eddsa-fast.ts";
import type { PublicKey, Signature } from "../protocol/types.ts";

interface CircomlibEddsa {
  readonly F: { e(v: bigint): Uint8Array };
  prv2pub(privateKey: Uint8Array): Uint8Array[];
  signPoseidon(privateKey: Uint8Array, msg: Uint8Array): { R8: Uint8Array[]; S: bigint };
  verifyPoseidon(msg: Uint8Array, sig: { R8: Uint8Array[]; S: bigint }, A: Uint8Array[]): boolean;
}

interface Rate {
  /** Operations per second of CPU time of this process. */
  readonly perCpuSecond: number;
  /** Operations per second of wall-clock time. */
  readonly perWallSecond: number;
  readonly operations: number;
}

function measure(operations: number, run: (i: number) => void): Rate {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  for (let i = 0; i < operations; i++) run(i);
  const wallSeconds = (performance.now() - wall) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  return {
    perCpuSecond: Math.round(operations / cpuSeconds),
    perWallSecond: Math.round(operations / wallSeconds),
    operations,
  };
}

function key(i: number): Uint8Array {
  const k = new Uint8Array(32);
  new DataView(k.buffer).setUint32(0, i + 1);
  k[31] = 0x5a;
  return k;
}

const load = loadavg()[0] ?? 0;
await initPoseidon();
const eddsa = (await buildEddsa()) as CircomlibEddsa;

// First call builds the Base8 table.
let start = performance.now();
const firstKey = publicKeyFast(key(0));
const base8TableMs = performance.now() - start;

const KEYS = 256;
const PER_KEY = 4;
const keys: Uint8Array[] = Array.from({ length: KEYS }, (_, i) => key(i));
const publicKeys: PublicKey[] = keys.map(publicKeyFast);
const messages: bigint[] = Array.from({ length: KEYS * PER_KEY }, (_, i) => BigInt(i) * 0x9e3779b97f4a7c15n + 1n);
const signatures: Signature[] = messages.map((m, i) => signFast(keys[i % KEYS]!, m));

const fastSign = measure(2_000, (i) => signFast(keys[i % KEYS]!, messages[i % messages.length]!));
const fastPublicKey = measure(2_000, (i) => publicKeyFast(keys[i % KEYS]!));

let accepted = 0;
const fastVerify = measure(3_000, (i) => {
  const j = i % messages.length;
  if (verifyFast(publicKeys[j % KEYS]!, messages[j]!, signatures[j]!)) accepted++;
});

// One hot key (a market maker): its table is built during warm-up.
const hotKey = keys[0]!;
const hotMessages = Array.from({ length: 1_000 }, (_, i) => BigInt(i + 1));
const hotSignatures = hotMessages.map((m) => signFast(hotKey, m));
const verifier = new EddsaVerifier({ native: false });
start = performance.now();
for (let i = 0; i < 8; i++) verifier.verify(firstKey, hotMessages[i]!, hotSignatures[i]!);
const warmupMs = performance.now() - start;
const cachedVerify = measure(3_000, (i) => {
  const j = i % hotMessages.length;
  if (verifier.verify(firstKey, hotMessages[j]!, hotSignatures[j]!)) accepted++;
});

const CIRCOMLIB_OPS = 20;
const F = eddsa.F;
const circomlibSign = measure(CIRCOMLIB_OPS, (i) => eddsa.signPoseidon(keys[i]!, F.e(messages[i]!)));
const circomlibVerify = measure(CIRCOMLIB_OPS, (i) => {
  const A = publicKeys[i]!;
  const s = signatures[i]!;
  if (eddsa.verifyPoseidon(F.e(messages[i]!), { R8: [F.e(s.R8x), F.e(s.R8y)], S: s.S }, [F.e(A.x), F.e(A.y)])) {
    accepted++;
  }
});

const expected = fastVerify.operations + cachedVerify.operations + circomlibVerify.operations;
if (accepted !== expected) throw new Error(`only ${accepted} of ${expected} verifications accepted`);

const result = {
  fastVerify,
  fastVerifyCachedKey: cachedVerify,
  circomlibjsVerify: circomlibVerify,
  fastSign,
  circomlibjsSign: circomlibSign,
  fastPublicKey,
  speedup: {
    verify: Math.round(fastVerify.perCpuSecond / circomlibVerify.perCpuSecond),
    verifyCachedKey: Math.round(cachedVerify.perCpuSecond / circomlibVerify.perCpuSecond),
    sign: Math.round(fastSign.perCpuSecond / circomlibSign.perCpuSecond),
  },
  base8TableMs: Math.round(base8TableMs),
  cachedKeyWarmupMs: Math.round(warmupMs),
  distinctKeys: KEYS,
  machine: {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: availableParallelism(),
    node: process.version,
    loadAverage1m: Math.round(load * 100) / 100,
  },
};
console.log(JSON.stringify(result, null, 2));
writeFileSync(new URL("./eddsa.json", import.meta.url), JSON.stringify(result, null, 2) + "\n");
