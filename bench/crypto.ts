/**
 * Native crypto against circomlibjs on one core, same machine, same run: Poseidon(2) hashes per
 * second through protocol/poseidon.ts with each backend, the addon's other entry points
 * (bytes, batch, many: what the JS↔C crossing and the bigint conversions cost), every width, and
 * EdDSA-Poseidon verification (native/src/eddsa.c against protocol/eddsa-fast.ts's TypeScript).
 * Rounds of each backend alternate and the best round counts, so that load from other processes
 * on the machine (which only ever slows a round down) touches both alike.
 * Prints the figures and writes bench/crypto.json.
 *
 *   npx tsx bench/crypto.ts
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { loadNativeCrypto } from "../native/index.ts";
import { publicKeyFast, signFast, verifyFast, verifyFastJs } from "../protocol/eddsa-fast.ts";
import { FIELD_MODULUS } from "../protocol/field.ts";
import { initPoseidon, initPoseidonJs, poseidon, poseidonBackend, poseidonJs } from "../protocol/poseidon.ts";

const ROUNDS = 12;
const ROUND_MS = 60;
const BATCH = 1_000;

const { addon, error } = loadNativeCrypto();
if (addon === null) throw new Error(`the native crypto addon did not load: ${error}`);
await initPoseidonJs();
await initPoseidon();
if (poseidonBackend() !== "native") throw new Error("protocol/poseidon.ts did not select the native backend");

/** Calls `run(i)` (which does `per` hashes) for about ROUND_MS; returns hashes per second. */
function round(run: (i: number) => void, per: number): number {
  const start = performance.now();
  let calls = 0;
  let elapsed = 0;
  do {
    for (let k = 0; k < 64; k++) run(calls++);
    elapsed = performance.now() - start;
  } while (elapsed < ROUND_MS);
  return (calls * per * 1000) / elapsed;
}

/** Best rate of each case over ROUNDS alternating rounds. */
function best(cases: Record<string, { run: (i: number) => void; per: number }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of Object.values(cases)) round(c.run, c.per); // warm up
  for (let r = 0; r < ROUNDS; r++)
    for (const [name, c] of Object.entries(cases)) out[name] = Math.max(out[name] ?? 0, round(c.run, c.per));
  for (const name of Object.keys(out)) out[name] = Math.round(out[name]);
  return out;
}

const x = 0x1234567890abcdef1234567890abcdefn;
const elems = (n: number, salt: number): bigint[] =>
  Array.from({ length: n }, (_, i) => (x * BigInt(i + 1 + salt) * 0x9e3779b97f4a7c15n) % FIELD_MODULUS);
const inputs2 = elems(2, 0);
const bytes = (vs: readonly bigint[]): Uint8Array => {
  const out = new Uint8Array(32 * vs.length);
  vs.forEach((v, k) => {
    for (let i = 0; i < 32; i++) out[32 * k + i] = Number((v >> BigInt(8 * i)) & 0xffn);
  });
  return out;
};
const one = new Uint8Array(32);
const bytes2 = bytes(inputs2);
const many = elems(2 * BATCH, 1);
const manyBytes = bytes(many);
const manyOut = new Uint8Array(32 * BATCH);

const rates = best({
  native: { run: (i) => poseidon([BigInt(i), inputs2[1]]), per: 1 },
  js: { run: (i) => poseidonJs([BigInt(i), inputs2[1]]), per: 1 },
  addonBigint: { run: (i) => addon.poseidon([BigInt(i), inputs2[1]]), per: 1 },
  addonBytes: { run: () => addon.poseidonBytes(bytes2, one), per: 1 },
  addonMany: { run: () => addon.poseidonMany(many, 2), per: BATCH },
  addonBatch: { run: () => addon.poseidonBatch(manyBytes, 2, manyOut), per: BATCH },
});

const widths: Record<string, { native: number; js: number }> = {};
for (const n of [1, 4, 8, 16]) {
  const ins = elems(n, 7);
  const r = best({ native: { run: () => poseidon(ins), per: 1 }, js: { run: () => poseidonJs(ins), per: 1 } });
  widths[String(n)] = { native: r.native, js: r.js };
}

// EdDSA-Poseidon verification: verifyFast (native with the native backend) against the
// TypeScript verifier (its Poseidon is native too here, so the difference is the curve arithmetic).
// One key signs the first set: after its fourth success the native verifier has its table (a
// market maker's case). The second set has 256 keys of one signature each, more than the native
// cache remembers (128), so no key ever has a table (a crowd of retail keys).
const prv = new Uint8Array(32).fill(11);
const key = publicKeyFast(prv);
const sigs = Array.from({ length: 16 }, (_, i) => ({ msg: BigInt(i) * 977n, sig: signFast(prv, BigInt(i) * 977n) }));
const crowd = Array.from({ length: 256 }, (_, i) => {
  const p = new Uint8Array(32).fill(i);
  p[0] = 0xa5;
  return { key: publicKeyFast(p), msg: BigInt(i) * 31n, sig: signFast(p, BigInt(i) * 31n) };
});
const eddsa = best({
  native: { run: (i) => void verifyFast(key, sigs[i % 16].msg, sigs[i % 16].sig), per: 1 },
  nativeNewKey: { run: (i) => void verifyFast(crowd[i % 256].key, crowd[i % 256].msg, crowd[i % 256].sig), per: 1 },
  js: { run: (i) => void verifyFastJs(key, sigs[i % 16].msg, sigs[i % 16].sig), per: 1 },
});
// The crowd's keys never evict the repeated key's table (native/src/eddsa.c `remember_key`).
if (addon.eddsaCacheStats().tables !== 1) throw new Error("the native verifier did not keep the repeated key's table");

const result = {
  poseidon2PerSecondNative: rates.native,
  poseidon2PerSecondJs: rates.js,
  speedup: Math.round((rates.native / rates.js) * 10) / 10,
  multiplier: addon.multiplier,
  eddsaVerifyPerSecondNative: eddsa.native,
  eddsaVerifyPerSecondNativeNewKey: eddsa.nativeNewKey,
  eddsaVerifyPerSecondJs: eddsa.js,
  eddsaSpeedup: Math.round((eddsa.native / eddsa.js) * 10) / 10,
  entryPoints: {
    "protocol poseidon() (bigints, canonical check)": rates.native,
    "addon.poseidon (bigints)": rates.addonBigint,
    "addon.poseidonBytes (32-byte LE buffers, no conversion)": rates.addonBytes,
    [`addon.poseidonMany (${BATCH} hashes of bigints per call)`]: rates.addonMany,
    [`addon.poseidonBatch (${BATCH} hashes of bytes per call)`]: rates.addonBatch,
  },
  byInputs: widths,
  method: `best of ${ROUNDS} alternating rounds of ${ROUND_MS} ms per case, one thread`,
  cpu: cpus()[0]?.model ?? "unknown",
  node: process.version,
};
console.log(result);
writeFileSync(new URL("./crypto.json", import.meta.url), JSON.stringify(result, null, 2) + "\n");
