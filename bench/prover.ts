/**
 * The `prover` bench section: what one dedicated prover process (prover/engine.ts) costs per
 * batch, at the test and demo profiles, on a batch full of ETH-perp trades.
 *
 * - witness: circom's native C++ generator against the in-process wasm calculator;
 * - prove: the zkey kept in memory across jobs against re-read from disk for every job (what
 *   snarkjs does when given a file name), both with the native witness;
 * - threads (test profile): ffjavascript's default (one worker thread per core) against
 *   `singleThread`;
 * - proved trades per second per core at demo: nTx ÷ (witness + prove + verify) ÷ cores.
 *
 * Runs are interleaved (kept, reload, kept, ...) and reported as medians, since other work on
 * the machine moves single runs by tens of percent. `npx tsx scripts/bench.ts --only prover`
 * runs this file in a child process (which writes bench/prover.json) and reads its figures.
 */
import { readFileSync, writeFileSync } from "node:fs";
import os, { loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { toCircuitInput } from "../protocol/circuitInput.ts";
import { initCrypto } from "../protocol/index.ts";
import { getProfile } from "../protocol/profiles.ts";
import { Prover } from "../prover/engine.ts";
import type { ProveOutput } from "../prover/engine.ts";
import { nativeWitness, wasmWitness } from "../prover/witness.ts";
import { ensureProfileBuilt } from "../scripts/zk/build.ts";
import { fullTradeBatch } from "./lib/circuits.ts";
import { numberAt, readJson, ROOT, runTs } from "./lib/children.ts";
import type { Figure } from "./lib/report.ts";

const OUT = "bench/prover.json";
const SRC = "bench/prover.ts";
/** Interleaved rounds per comparison (each round: one run of each variant). */
const ROUNDS = { test: 4, demo: 3 } as const;
const WITNESS_RUNS = 7;

type Stat = { readonly median: number; readonly runs: readonly number[] };

function stat(runs: readonly number[]): Stat {
  const s = [...runs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median: Math.round(median), runs: runs.map((r) => Math.round(r)) };
}


const log = (msg: string): void => void process.stderr.write(`[bench prover] ${msg}\n`);

async function measureProfile(name: "test" | "demo") {
  const profile = getProfile(name);
  const built = await ensureProfileBuilt(name, { native: true });
  if (built.native === undefined) throw new Error(`${name}: no native witness generator (is the C++ toolchain installed?)`);
  const input = toCircuitInput(fullTradeBatch(profile));
  const wasmBytes = new Uint8Array(readFileSync(built.wasm));

  // Witness: native against wasm (the wasm kept in memory, as the engine keeps it). The two must
  // be byte-identical: test/circuits/witness-native.test.ts checks it at the test profile, this
  // at each profile the bench builds (demo included, which CI does not build).
  const first = await nativeWitness(input, built.native);
  const reference = await wasmWitness(input, built.wasm, wasmBytes);
  if (Buffer.compare(Buffer.from(first), Buffer.from(reference)) !== 0)
    throw new Error(`${name}: the native witness differs from the wasm one (${first.length} against ${reference.length} bytes)`);
  const native: number[] = [];
  const wasm: number[] = [];
  for (let i = 0; i < WITNESS_RUNS; i++) {
    let t = performance.now();
    await nativeWitness(input, built.native);
    native.push(performance.now() - t);
    t = performance.now();
    await wasmWitness(input, built.wasm, wasmBytes);
    wasm.push(performance.now() - t);
  }
  log(`${name}: witness native ${stat(native).median} ms, wasm ${stat(wasm).median} ms`);

  // Prove: key kept against key re-read, both with the native witness. One warm-up proof first
  // (it builds snarkjs's curve and starts its threads, which both variants then share).
  const kept = await Prover.open(built, { witness: "native" });
  const reload = await Prover.open(built, { witness: "native", keepKey: false });
  const runs: { kept: ProveOutput[]; reload: ProveOutput[] } = { kept: [], reload: [] };
  try {
    await kept.prove(input);
    for (let r = 0; r < ROUNDS[name]; r++) {
      runs.kept.push(await kept.prove(input));
      runs.reload.push(await reload.prove(input));
      log(
        `${name}: round ${r + 1}/${ROUNDS[name]}: prove kept ${Math.round(runs.kept.at(-1)!.proveMs)} ms, ` +
          `reload ${Math.round(runs.reload.at(-1)!.proveMs)} ms (load ${loadavg()[0]!.toFixed(1)})`,
      );
    }
  } finally {
    await reload.close();
    await kept.close();
  }
  const job = runs.kept.map((r) => r.witnessMs + r.proveMs + r.verifyMs);
  return {
    nTx: profile.nTx,
    constraints: built.nConstraints,
    witnessNativeMs: stat(native),
    witnessWasmMs: stat(wasm),
    proveKeptMs: stat(runs.kept.map((r) => r.proveMs)),
    proveReloadMs: stat(runs.reload.map((r) => r.proveMs)),
    verifyMs: stat(runs.kept.map((r) => r.verifyMs)),
    jobMs: stat(job),
  };
}

/** ffjavascript's default threads (one per core) against `singleThread`, at the test profile. */
async function measureThreads() {
  const built = await ensureProfileBuilt("test", { native: true });
  const input = toCircuitInput(fullTradeBatch(getProfile("test")));
  const multi = await Prover.open(built);
  const single = await Prover.open(built, { singleThread: true });
  const m: number[] = [];
  const s: number[] = [];
  try {
    await multi.prove(input);
    await single.prove(input);
    for (let r = 0; r < 3; r++) {
      m.push((await multi.prove(input)).proveMs);
      s.push((await single.prove(input)).proveMs);
    }
  } finally {
    await single.close();
    await multi.close();
  }
  log(`threads (test): default ${stat(m).median} ms, singleThread ${stat(s).median} ms`);
  return { profile: "test", defaultMs: stat(m), singleThreadMs: stat(s) };
}

async function main(): Promise<void> {
  await initCrypto();
  const loadBefore = loadavg().map((l) => Math.round(l * 100) / 100);
  const test = await measureProfile("test");
  const demo = await measureProfile("demo");
  const threads = await measureThreads();
  const cores = os.availableParallelism();
  const result = {
    cores,
    cpu: os.cpus()[0]?.model ?? "unknown",
    loadBefore,
    loadAfter: loadavg().map((l) => Math.round(l * 100) / 100),
    profiles: { test, demo },
    threads,
    provedTradesPerSecondPerCore: Math.round((demo.nTx / (demo.jobMs.median / 1000) / cores) * 1000) / 1000,
  };
  writeFileSync(path.join(ROOT, OUT), `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${OUT}`);
}

/** The section: runs this file in a child process, then turns bench/prover.json into figures. */
export async function proverFigures(): Promise<Figure[]> {
  await runTs(SRC, SRC, 60 * 60_000);
  const j = readJson(OUT);
  const at = (k: string): number => numberAt(j, k, SRC);
  const load = `load ${at("loadBefore.0")} → ${at("loadAfter.0")} on ${at("cores")} cores`;
  const figures: Figure[] = [];
  const f = (name: string, profile: string, value: number, unit: string, better: Figure["better"], note: string) =>
    figures.push({ name, profile, value, unit, better, source: SRC, note });
  for (const p of ["test", "demo"] as const) {
    const k = (s: string): number => at(`profiles.${p}.${s}`);
    const trades = `${k("nTx")} trades, ${k("constraints").toLocaleString("en-US")} constraints`;
    const n = (s: string): number => (j as { profiles: Record<string, Record<string, Stat>> }).profiles[p]![s]!.runs.length;
    f(
      "witness_ms_per_batch",
      p,
      k("witnessNativeMs.median"),
      "ms",
      "lower",
      `circom's native C++ witness generator (a process per batch, input and .wtns through temp files), median of ${n("witnessNativeMs")}; ${trades}; ${load}`,
    );
    f(
      "witness_ms_per_batch_wasm",
      p,
      k("witnessWasmMs.median"),
      "ms",
      "lower",
      `circom's wasm witness calculator in process (wasm bytes kept in memory), median of ${n("witnessWasmMs")}; ${load}`,
    );
    f(
      "prove_ms_per_batch",
      p,
      k("proveKeptMs.median"),
      "ms",
      "lower",
      `snarkjs groth16.prove with the zkey kept in memory across jobs and the native witness (prover/engine.ts), median of ${n("proveKeptMs")} interleaved with the reload runs; ${trades}; ${load}`,
    );
    f(
      "prove_ms_per_batch_reload",
      p,
      k("proveReloadMs.median"),
      "ms",
      "lower",
      `the same with the zkey re-read from disk for every job (snarkjs given the file name), median of ${n("proveReloadMs")}; ${load}`,
    );
  }
  f(
    "prove_ms_per_batch_single_thread",
    "test",
    at("threads.singleThreadMs.median"),
    "ms",
    "lower",
    `snarkjs with ffjavascript's singleThread, against ${at("threads.defaultMs.median")} ms with its default (one worker thread per core, what provers use); ${load}`,
  );
  f(
    "proved_trades_per_s_per_core",
    "demo",
    at("provedTradesPerSecondPerCore"),
    "1/s",
    "higher",
    `one dedicated prover: ${at("profiles.demo.nTx")} trades ÷ (witness + prove + verify, median ${at("profiles.demo.jobMs.median")} ms) ÷ ${at("cores")} cores it proves on; ${load}`,
  );
  return figures;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  });
}
