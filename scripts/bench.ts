/**
 * The benchmark report: `npm run bench` (this file under tsx) measures every headline figure
 * of Tessera and writes bench/report.json and bench/report.md; the report it replaces is kept
 * as bench/report.previous.json and the Markdown shows each figure's change against it.
 * Progress goes to stderr. See docs/benchmarks.md for what each figure means.
 *
 *   npx tsx scripts/bench.ts                 full run, writes the report (2–5 min, warm caches)
 *   npx tsx scripts/bench.ts --only e2e,tree  those sections only; prints Markdown, writes nothing
 *   npx tsx scripts/bench.ts --only attack --merge
 *                                            those sections only, merged into report.json: their
 *                                            figures replace the same figures, the rest stay
 *                                            (report.previous.json is left as it is)
 *   npx tsx scripts/bench.ts --render         rewrites report.md from report.json and report.previous.json
 *
 * Sections, in order: circuits (in this process: constraint counts and proving of the test and
 * demo circuits), slotprod (in this process: a prod-depth slot's constraints and their parts),
 * tree, crypto, eddsa, sequencer, journal, wakes, risk, attack, gas, e2e, fleet (child processes: the scripts under
 * bench/); batchsize, after gas, computes in this process the proving model of the prod batch
 * size from the figures before it (bench/lib/batchsize.ts).
 * A section that fails is listed in the report with its error, the others still run, and the
 * exit code is 1.
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { initCrypto } from "../protocol/index.ts";
import { getProfile } from "../protocol/profiles.ts";
import { SLOT_BYTES } from "../protocol/pubdata.ts";
import { BATCH_SIZES, batchSizeModelFigures } from "../bench/lib/batchsize.ts";
import { circuitFigures, slotProdFigures } from "../bench/lib/circuits.ts";
import { proverFigures } from "../bench/prover.ts";
import { BenchError, HARDHAT_CLI, numberAt, readJson, ROOT, runNode, runTs } from "../bench/lib/children.ts";
import type { E2eResult } from "../bench/lib/e2e.ts";
import { describeMachine } from "../bench/lib/machine.ts";
import { figureKey, renderMarkdown } from "../bench/lib/report.ts";
import type { Figure, Report, SectionError } from "../bench/lib/report.ts";

const REPORT = path.join(ROOT, "bench", "report.json");
const PREVIOUS = path.join(ROOT, "bench", "report.previous.json");
const MARKDOWN = path.join(ROOT, "bench", "report.md");
const CIRCUIT_PROFILES = ["test", "demo"] as const;
const MINUTE = 60_000;

const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

/** A section measures its figures; `sofar` holds those of the sections this run finished before it. */
type Section = (sofar: readonly Figure[]) => Promise<Figure[]>;

const SECTIONS: Readonly<Record<string, Section>> = {
  async circuits() {
    await initCrypto();
    const figures: Figure[] = [];
    for (const profile of CIRCUIT_PROFILES) figures.push(...(await circuitFigures(profile, log)));
    return figures;
  },

  // A prod slot's exact cost and where it goes (compiles only: a few minutes, no setup).
  slotprod: () => slotProdFigures(log),

  prover: proverFigures,

  async tree() {
    await runTs("bench/tree.ts", "bench/tree.ts", 5 * MINUTE);
    const j = readJson("bench/tree.json");
    const src = "bench/tree.ts";
    const depth = numberAt(j, "depth", src);
    return [
      fig(
        "tree_updates_per_s",
        "prod",
        numberAt(j, "updatesPerSecond", src),
        "1/s",
        "higher",
        src,
        `depth ${depth}, quaternary (${depth / 2} levels), each update with its root read (the path hashed)`,
      ),
      fig(
        "tree_proofs_per_s",
        "prod",
        numberAt(j, "proofsPerSecond", src),
        "1/s",
        "higher",
        src,
        `depth ${depth}, quaternary, read from a hashed tree`,
      ),
      fig(
        "poseidon2_per_s",
        "any",
        numberAt(j, "poseidon2PerSecond", src),
        "1/s",
        "higher",
        src,
        "protocol/poseidon.ts, 2 inputs",
      ),
    ];
  },

  // Native crypto (native/) against circomlibjs, same machine, same run.
  async crypto() {
    await runTs("bench/crypto.ts", "bench/crypto.ts", 5 * MINUTE);
    const j = readJson("bench/crypto.json");
    const src = "bench/crypto.ts";
    const how = `protocol/poseidon.ts, 2 inputs, one thread, best of alternating rounds`;
    return [
      fig("poseidon2_per_s_native", "any", numberAt(j, "poseidon2PerSecondNative", src), "1/s", "higher", src, how),
      fig("poseidon2_per_s_js", "any", numberAt(j, "poseidon2PerSecondJs", src), "1/s", "higher", src, how),
      fig(
        "poseidon_speedup",
        "any",
        numberAt(j, "speedup", src),
        "x",
        "higher",
        src,
        "native ÷ circomlibjs, Poseidon(2), same machine and run",
      ),
      fig(
        "eddsa_verify_per_s_native",
        "any",
        numberAt(j, "eddsaVerifyPerSecondNative", src),
        "1/s",
        "higher",
        src,
        "verifyFast with native/src/eddsa.c, one thread, one key (with its precomputed table after 4 successes); the TypeScript verifier in the same run: eddsaVerifyPerSecondJs in bench/crypto.json",
      ),
      fig(
        "eddsa_verify_per_s_native_new_key",
        "any",
        numberAt(j, "eddsaVerifyPerSecondNativeNewKey", src),
        "1/s",
        "higher",
        src,
        "verifyFast with native/src/eddsa.c, one thread, 256 keys of one signature each (none ever has a table)",
      ),
    ];
  },

  async eddsa() {
    await runTs("bench/eddsa.ts", "bench/eddsa.ts", 5 * MINUTE);
    const j = readJson("bench/eddsa.json");
    const src = "bench/eddsa.ts";
    const perCpu = "per CPU-second of one core";
    return [
      fig(
        "eddsa_verify_per_s",
        "any",
        numberAt(j, "fastVerify.perCpuSecond", src),
        "1/s",
        "higher",
        src,
        `protocol/eddsa-fast.ts, 256 keys, ${perCpu}`,
      ),
      fig(
        "eddsa_verify_cached_key_per_s",
        "any",
        numberAt(j, "fastVerifyCachedKey.perCpuSecond", src),
        "1/s",
        "higher",
        src,
        `one hot key, ${perCpu}`,
      ),
      fig("eddsa_sign_per_s", "any", numberAt(j, "fastSign.perCpuSecond", src), "1/s", "higher", src, perCpu),
      fig(
        "eddsa_verify_circomlibjs_per_s",
        "any",
        numberAt(j, "circomlibjsVerify.perCpuSecond", src),
        "1/s",
        "higher",
        src,
        `reference, ${perCpu}`,
      ),
    ];
  },

  async sequencer() {
    await runTs("bench/sequencer.ts", "bench/sequencer.ts", 20 * MINUTE);
    const j = readJson("bench/sequencer.json");
    const src = "bench/sequencer.ts";
    const profile = String((j as { profile?: unknown }).profile ?? "prod");
    const moderate = `HTTP, ${numberAt(j, "http.moderate.concurrency", src)} in flight`;
    const saturated = `HTTP, ${numberAt(j, "http.saturated.concurrency", src)} in flight`;
    return [
      fig(
        "match_orders_per_s",
        profile,
        numberAt(j, "core.fillsPerSecond", src),
        "1/s",
        "higher",
        src,
        "taker orders filled: journal, matching, risk check, both signatures",
      ),
      fig(
        "place_orders_per_s",
        profile,
        numberAt(j, "core.restingOrdersPerSecond", src),
        "1/s",
        "higher",
        src,
        "resting orders journaled (no signature check)",
      ),
      fig(
        "core_fills_per_s",
        profile,
        numberAt(j, "coreGroup.fillsPerSecond", src),
        "1/s",
        "higher",
        src,
        "taker orders each filling once through the core: matching, check, group-committed journal; the builder in its own process (goal 50,000)",
      ),
      fig(
        "core_orders_per_s",
        profile,
        numberAt(j, "coreGroup.restingOrdersPerSecond", src),
        "1/s",
        "higher",
        src,
        "resting orders through the core with group commit (goal 200,000)",
      ),
      fig(
        "builder_tx_per_s",
        profile,
        numberAt(j, "coreGroup.builderTxPerSecond", src),
        "1/s",
        "higher",
        src,
        `slots built per second of wall time by the batch builder's process while it has a backlog (Merkle trees at account depth ${getProfile(profile).accountDepth}, signatures, witness; ${numberAt(j, "coreGroup.builderVerifiers", src)} verifier thread(s) of its own checking the next batches' signatures; the next batch's order trees hashed on a thread of its own: ${numberAt(j, "coreGroup.builderPrehash", src) === 1 ? "yes" : "no"}; goal 2,000)`,
      ),
      fig(
        "builder_ms_per_batch",
        profile,
        numberAt(j, "coreGroup.builderMsPerBatch", src),
        "ms",
        "lower",
        src,
        `one full batch of fills (${getProfile(profile).nTx} slots): its wall time in the builder's process, waiting for its signatures included`,
      ),
      fig(
        "restart_ms",
        profile,
        numberAt(j, "restart.restartMs", src),
        "ms",
        "lower",
        src,
        `kill -9, then a new process serving again with ${numberAt(j, "restart.entries", src)} journal entries behind: the newest snapshot (journal seq ${numberAt(j, "restart.snapshotSeq", src)}, ${Math.round(numberAt(j, "restart.snapshotBytes", src) / 1e6)} MB) plus ${numberAt(j, "restart.tailReplayed", src)} entries of tail, the replayed batches built again (goal 10,000)`,
      ),
      fig(
        "restart_no_snapshot_ms",
        profile,
        numberAt(j, "restart.noSnapshotRestartMs", src),
        "ms",
        "lower",
        src,
        "the same restart replaying the whole journal from genesis (no snapshot read), for comparison",
      ),
      fig(
        "sustained_fills_per_s",
        profile,
        numberAt(j, "coreGroup.sustainedFillsPerSecond", src),
        "1/s",
        "higher",
        src,
        `the same fills until the builder has built them all (builder lag when the core finished: ${numberAt(j, "coreGroup.builderLagAtEnd", src)} batches)`,
      ),
      fig("http_ack_p50_ms", profile, numberAt(j, "http.moderate.ackP50Ms", src), "ms", "lower", src, moderate),
      fig("http_ack_p99_ms", profile, numberAt(j, "http.moderate.ackP99Ms", src), "ms", "lower", src, moderate),
      fig(
        "http_orders_per_s",
        profile,
        numberAt(j, "http.moderate.ordersPerSecond", src),
        "1/s",
        "higher",
        src,
        moderate,
      ),
      fig(
        "http_ack_p50_ms_saturated",
        profile,
        numberAt(j, "http.saturated.ackP50Ms", src),
        "ms",
        "lower",
        src,
        saturated,
      ),
      fig(
        "http_ack_p99_ms_saturated",
        profile,
        numberAt(j, "http.saturated.ackP99Ms", src),
        "ms",
        "lower",
        src,
        saturated,
      ),
      fig(
        "http_orders_per_s_saturated",
        profile,
        numberAt(j, "http.saturated.ordersPerSecond", src),
        "1/s",
        "higher",
        src,
        saturated,
      ),
      ...wsFigures(j, profile, src),
      ...fanoutFigures(j, profile, src),
      ...readsFigures(j, profile, src),
    ];
  },

  // The venue thread's time in each journal commit: checkpoints on their own thread, and SQLite's default.
  async journal() {
    await runTs("bench/journal.ts", "bench/journal.ts", 5 * MINUTE);
    const j = readJson("bench/journal.json");
    const src = "bench/journal.ts";
    const how = `${numberAt(j, "commands", src)} signed orders journaled ${numberAt(j, "group", src)} to a group commit, each group synced before the next`;
    const over = (mode: string): number => numberAt(j, `${mode}.over2Ms`, src);
    return [
      fig(
        "journal_commit_p999_ms",
        "any",
        numberAt(j, "thread.p999Ms", src),
        "ms",
        "lower",
        src,
        `${how}; WAL checkpoints on their own thread (${numberAt(j, "thread.checkpoints", src)} run, ${numberAt(j, "thread.restarts", src)} log restarts), ${over("thread")} commits over 2 ms`,
      ),
      fig(
        "journal_commit_max_ms",
        "any",
        numberAt(j, "thread.maxMs", src),
        "ms",
        "lower",
        src,
        `the same, the slowest commit`,
      ),
      fig(
        "journal_commit_p999_ms_sqlite_checkpoints",
        "any",
        numberAt(j, "sqlite.p999Ms", src),
        "ms",
        "lower",
        src,
        `${how}; SQLite's default, the commit past 1,000 pages checkpoints on the venue's thread (before 12-06 night), ${over("sqlite")} commits over 2 ms`,
      ),
      fig(
        "journal_commit_max_ms_sqlite_checkpoints",
        "any",
        numberAt(j, "sqlite.maxMs", src),
        "ms",
        "lower",
        src,
        `the same, the slowest commit`,
      ),
    ];
  },

  // What a lone request costs the venue's thread: a signature to the verifier threads, a group-commit sync.
  async wakes() {
    await runTs("bench/wakes.ts", "bench/wakes.ts", 5 * MINUTE);
    const j = readJson("bench/wakes.json");
    const src = "bench/wakes.ts";
    const how = `${numberAt(j, "requests", src)} requests one at a time, the caller's thread asleep in its event loop between them (1 ms)`;
    const run = (path: string): string =>
      `answered in ${numberAt(j, `${path}.answerUsP50`, src)} µs (p50); process CPU ${numberAt(j, `${path}.processCpuUsPerRequest`, src)} µs a request, polling included; ${numberAt(j, `${path}.wakes`, src)} wakes, ${numberAt(j, `${path}.polls`, src)} polls`;
    return [
      fig(
        "verify_submit_us_lone",
        "any",
        numberAt(j, "verify.poll.requestUsMean", src),
        "µs",
        "lower",
        src,
        `${how}: verifierSubmit to 2 verifier threads, one polling (TESSERA_VERIFY_POLL_US default), mean; ${run("verify.poll")}`,
      ),
      fig(
        "verify_submit_us_lone_no_poll",
        "any",
        numberAt(j, "verify.noPoll.requestUsMean", src),
        "µs",
        "lower",
        src,
        `the same with the threads asleep (TESSERA_VERIFY_POLL_US=0): each submit wakes one; ${run("verify.noPoll")}`,
      ),
      fig(
        "journal_sync_request_us_lone",
        "any",
        numberAt(j, "sync.thread.requestUsMean", src),
        "µs",
        "lower",
        src,
        `${how}: Journal.sync() after a one-command group commit, on the addon's sync thread (TESSERA_SYNC_POLL_US default), mean; ${run("sync.thread")}`,
      ),
      fig(
        "journal_sync_request_us_lone_libuv",
        "any",
        numberAt(j, "sync.libuv.requestUsMean", src),
        "µs",
        "lower",
        src,
        `the same through libuv's thread pool (fs.fdatasync, before 12-07), which wakes a pool thread; ${run("sync.libuv")}`,
      ),
    ];
  },

  // The liquidation engine's search per oracle tick: the index against the full scan.
  async risk() {
    await runTs("bench/risk.ts", "bench/risk.ts", 10 * MINUTE);
    const j = readJson("bench/risk.json");
    const src = "bench/risk.ts";
    const accounts = numberAt(j, "accounts", src);
    const how = `${accounts} accounts with perps, ${numberAt(j, "touchedPerTick", src)} changed per tick`;
    return [
      fig(
        "liquidation_scan_us_per_tick",
        "prod",
        numberAt(j, "indexUsPerTick", src),
        "us",
        "lower",
        src,
        `liquidation index, ${how}`,
      ),
      fig(
        "liquidation_full_scan_us_per_tick",
        "prod",
        numberAt(j, "fullScanUsPerTick", src),
        "us",
        "lower",
        src,
        `belowMM on every account, ${how}`,
      ),
      fig(
        "liquidation_index_build_ms",
        "prod",
        numberAt(j, "buildMs", src),
        "ms",
        "lower",
        src,
        `first pass: every account examined, ${accounts} accounts`,
      ),
    ];
  },

  async attack() {
    await runNode(
      "bench/attack.ts",
      ["--expose-gc", "--import", "tsx", path.join(ROOT, "bench/attack.ts")],
      10 * MINUTE,
    );
    const j = readJson("bench/attack.json");
    const src = "bench/attack.ts";
    const profile = String((j as { profile?: unknown }).profile ?? "prod");
    const at = (k: string): number => numberAt(j, k, src);
    return [
      fig(
        "sweep_self_trade_10k_ms",
        profile,
        at("sweep.selfTrade.ms"),
        "ms",
        "lower",
        src,
        `one IOC order cancels its account's ${at("sweep.selfTrade.cancelled")} resting orders ahead of the touch and fills ${at("sweep.selfTrade.fills")} times behind them; ${at("sweep.selfTrade.ratio10kTo1k")}× the time with 1k (10× = linear)`,
      ),
      fig(
        "sweep_fill_us_maker_10k",
        profile,
        at("sweep.maker.usPerFill"),
        "us",
        "lower",
        src,
        `per fill, ${at("sweep.maker.fills")} fills into a maker holding 10k resting orders; ${at("sweep.maker.ratio10kTo1k")}× the time with 1k`,
      ),
      fig(
        "ws_stalled_client_buffer_bytes",
        profile,
        at("wsStalled.peakBufferedBytes"),
        "B",
        "lower",
        src,
        `largest send buffer held for a client that never reads (bound ${at("wsStalled.maxBufferedBytes")} + one message); closed as slow consumer after ${at("wsStalled.closedAfterMs")} ms`,
      ),
      fig(
        "ws_stalled_client_retained_bytes",
        profile,
        at("wsStalled.retainedAfterCloseBytes"),
        "B",
        "lower",
        src,
        `venue memory (heap + external) above the baseline after the close and a GC; peak growth meanwhile ${at("wsStalled.peakMemoryGrowthBytes")} B incl. garbage`,
      ),
    ];
  },

  async gas() {
    await runNode("bench/gas.ts", [HARDHAT_CLI, "run", "bench/gas.ts"], 30 * MINUTE);
    const j = readJson("bench/gas.json");
    const src = "bench/gas.ts";
    const figures: Figure[] = [];
    const hardfork = (j as { hardfork?: unknown }).hardfork;
    if (typeof hardfork !== "string") throw new Error(`${src}: no hardfork recorded`);
    const verifier = numberAt(j, "realProof.groth16Verifier", src);
    for (const profile of ["test", "demo", "prod"]) {
      const at = (k: string): number => numberAt(j, `submitBatch.${profile}.${k}`, src);
      const nTx = at("nTx");
      figures.push(
        fig(
          "gas_per_batch",
          profile,
          at("withVerifier"),
          "gas",
          "lower",
          src,
          `${nTx} trades, the real single-input verifier inside the transaction (VerifierGasProbe less its own call), EIP-7623 floor ${at("floorGas").toLocaleString("en-US")} ${at("withVerifier") === at("floorGas") ? "binds" : "does not bind"}; ${hardfork}`,
        ),
        profile === "demo"
          ? fig(
              "gas_per_trade",
              profile,
              numberAt(j, "realProof.perTrade", src),
              "gas",
              "lower",
              src,
              `submitBatch of ${numberAt(j, "realProof.submitBatch", src)} gas ÷ ${nTx} trades, a real proof through DemoVerifier (the first batch; steady state with the same verifier: ${at("totalPerTrade")}); ${hardfork}`,
            )
          : fig(
              "gas_per_trade",
              profile,
              at("totalPerTrade"),
              "gas",
              "lower",
              src,
              `gas_per_batch ÷ nTx, all slots trades${profile === "prod" ? " (the demo verifier checks a demo proof inside the batch's transaction: one public input costs the same for any circuit)" : ""}; ${hardfork}`,
            ),
        fig(
          "gas_per_batch_contract_only",
          profile,
          at("contractOnlyAllTrades"),
          "gas",
          "lower",
          src,
          `submitBatch with a MockVerifier; ${hardfork}`,
        ),
      );
    }
    figures.push(
      fig(
        "gas_groth16_verify",
        "demo",
        verifier,
        "gas",
        "lower",
        src,
        `one public input: the same batch through DemoVerifier minus through a MockVerifier; ${hardfork}`,
      ),
      fig(
        "gas_per_batch_real_proof",
        "test",
        numberAt(j, "testRealProof.submitBatch", src),
        "gas",
        "lower",
        src,
        `first batch (deposit + withdrawal), TestVerifier; ${hardfork}`,
      ),
      fig("gas_deposit", "test", numberAt(j, "userOperations.deposit", src), "gas", "lower", src, "repeat deposit"),
      fig(
        "gas_register_and_deposit",
        "test",
        numberAt(j, "userOperations.registerAndDeposit", src),
        "gas",
        "lower",
        src,
      ),
      fig("gas_claim", "test", numberAt(j, "userOperations.claim", src), "gas", "lower", src),
      fig(
        "gas_forced_withdrawal_request",
        "test",
        numberAt(j, "userOperations.requestForcedWithdrawal", src),
        "gas",
        "lower",
        src,
        "what a censored trader pays to queue one (bounded per account)",
      ),
      fig(
        "gas_forced_close_request",
        "test",
        numberAt(j, "userOperations.requestForcedClose", src),
        "gas",
        "lower",
        src,
        "what a censored trader pays to queue one (bounded per account)",
      ),
    );
    // Issue 17 item 4: the prod profile at larger nTx, the same batch of trades (bench/gas.ts).
    const sweep = (j as { batchSizeSweep?: { batches?: Record<string, { floorBinds?: unknown }> } }).batchSizeSweep;
    for (const n of BATCH_SIZES) {
      const at = (k: string): number => numberAt(j, `batchSizeSweep.batches.${n}.${k}`, src);
      const floor = sweep?.batches?.[String(n)]?.floorBinds;
      if (typeof floor !== "boolean") throw new Error(`${src}: no floorBinds at nTx ${n}`);
      const calldata =
        `${at("calldataBytes").toLocaleString("en-US")} B calldata; EIP-7623 floor ${at("floorGas").toLocaleString("en-US")} ` +
        (floor ? "BINDS: the batch pays the floor, verifier included" : "does not bind");
      figures.push(
        fig(
          `gas_per_trade_at_batch_${n}`,
          "prod",
          at("totalPerTrade"),
          "gas",
          "lower",
          src,
          `gas_per_batch_at_batch_${n} ÷ ${n}, all slots trades, prod depths with nTx ${n}; ${hardfork}`,
        ),
        fig(
          `gas_per_batch_at_batch_${n}`,
          "prod",
          at("withVerifier"),
          "gas",
          "lower",
          src,
          `the real verifier inside the transaction (contract alone on a MockVerifier: ${at("contractOnlyAllTrades").toLocaleString("en-US")}); ${calldata}; tx gas cap (EIP-7825) ${numberAt(j, "batchSizeSweep.txGasLimitCap", src).toLocaleString("en-US")}; ${hardfork}`,
        ),
      );
    }
    // Issue 17 item 2: the bytes one more trade adds to submitBatch's calldata, measured on the
    // sweep's transactions (largest batch minus smallest, over the trades between them).
    const first = BATCH_SIZES[0]!;
    const last = BATCH_SIZES[BATCH_SIZES.length - 1]!;
    const bytesAt = (n: number): number => numberAt(j, `batchSizeSweep.batches.${n}.calldataBytes`, src);
    figures.push(
      fig(
        "calldata_bytes_per_trade",
        "prod",
        (bytesAt(last) - bytesAt(first)) / (last - first),
        "B",
        "lower",
        src,
        `submitBatch calldata at nTx ${last} minus at nTx ${first}, ÷ ${last - first}: a slot's f0 (${SLOT_BYTES.f0} bytes) and f1 (${SLOT_BYTES.f1}), every type alike`,
      ),
    );
    return figures;
  },

  // Issue 17 item 4: the proving side of the batch size, modelled from the measured circuits
  // (this run's circuits figures if it ran them, else bench/report.json's) and their zkeys.
  async batchsize(sofar) {
    const known = new Map([...(readReport(REPORT)?.figures ?? []), ...sofar].map((f) => [figureKey(f), f]));
    const at = (name: string, profile: string): Figure => {
      const f = known.get(figureKey({ name, profile }));
      if (f === undefined)
        throw new BenchError(`no ${name}@${profile} in this run or bench/report.json: run the circuits section`);
      return f;
    };
    return batchSizeModelFigures(at, describeMachine().cores);
  },

  async e2e() {
    const out = await runTs("bench/lib/e2e.ts", "bench/lib/e2e.ts", 15 * MINUTE);
    const line = out.trim().split("\n").at(-1) ?? "";
    const r = JSON.parse(line) as E2eResult;
    const src = "bench/lib/e2e.ts";
    const polled = `status polled every ${r.pollMs} ms; batch closed at once`;
    return [
      fig(
        "batch_e2e_ms",
        r.profile,
        r.acceptedToSubmittedMs,
        "ms",
        "lower",
        src,
        `order accepted → batch verified on L1; ${polled}`,
      ),
      fig(
        "batch_e2e_to_proved_ms",
        r.profile,
        r.acceptedToProvedMs,
        "ms",
        "lower",
        src,
        "order accepted → batch proved",
      ),
      fig("batch_e2e_taker_ack_ms", r.profile, r.takerAckMs, "ms", "lower", src, "the crossing order's reply"),
      fig(
        "gas_per_batch_measured",
        r.profile,
        r.submitBatchGas,
        "gas",
        "lower",
        src,
        `submitBatch on the node, TestVerifier, 1 trade of ${r.nTx} slots`,
      ),
    ];
  },

  async fleet() {
    await runTs("bench/fleet.ts", "bench/fleet.ts", 20 * MINUTE);
    const j = readJson("bench/fleet.json");
    const src = "bench/fleet.ts";
    const at = (k: string): number => numberAt(j, k, src);
    const cores = `${at("cores")} cores`;
    return [
      fig(
        "fleet_speedup",
        "test",
        at("speedup"),
        "x",
        "higher",
        src,
        `proofs per minute, 2 prover processes ÷ 1 (${at("throughput.two.perMinute")} ÷ ${at("throughput.one.perMinute")}) on one machine of ${cores}: each prover already proves on every core, so the cores bound it (on a machine loaded by other work, two processes also win a larger share of the contended cores: expect less on an idle one); more provers need more machines`,
      ),
      fig(
        "queue_overhead_ms",
        "test",
        at("queueOverheadMs"),
        "ms",
        "lower",
        src,
        `median job round trip through the Redis/BullMQ queue minus the prover's own time (${at("proverMsMedian")} ms), idle 1-prover fleet`,
      ),
      fig(
        "proved_trades_per_s_per_core",
        "test",
        at("provedTradesPerSecondPerCore"),
        "1/s",
        "higher",
        src,
        `sustained, 2 prover processes on ${cores}, batches of ${at("nTx")} trades`,
      ),
      fig(
        "prover_loop_delay_max_ms",
        "test",
        at("proverLoopDelayMaxMs"),
        "ms",
        "lower",
        src,
        `the longest wait of a prover's main event loop (lease renewal, heartbeat) during any job of the run; proofs run in a child process (was 2-3 s per proof quiet when snarkjs ran on that loop); lease ${at("lockMs")} ms, renewed every half`,
      ),
    ];
  },
};

/**
 * Issue 16's WebSocket figures (bench/sequencer.ts `ws`): signed orders from the WS load
 * generator in another process, half of them filling, each acknowledged after its group commit.
 */
/**
 * Market data off the core's thread (issue 16 item 5): the paced WebSocket load with 100
 * subscribers in another process, on the venue's endpoint and then on the market-data process's.
 * Absent from a sequencer.json written before the section existed.
 */
function fanoutFigures(j: unknown, profile: string, src: string): Figure[] {
  if ((j as { fanout?: unknown }).fanout === undefined) return [];
  const at = (key: string): number => numberAt(j, key, src);
  const how = (endpoint: string): string =>
    `${at("fanout.connections")} subscribers (book, trades, ticker) on the ${endpoint}, ` +
    `open loop at ${at("fanout.targetRate")} orders/s for ${at("fanout.targetSeconds")} s, ` +
    `${at(`fanout.${endpoint === "venue's endpoint" ? "venue" : "marketData"}.subscribers.messages`)} messages received`;
  return [
    fig(
      "fanout_main_cpu_ms_per_order_venue_ws",
      profile,
      at("fanout.venue.mainCpuMsPerOrder"),
      "ms",
      "lower",
      src,
      `CPU of the service's own process per accepted order; ${how("venue's endpoint")}`,
    ),
    fig(
      "fanout_main_cpu_ms_per_order_market_data",
      profile,
      at("fanout.marketData.mainCpuMsPerOrder"),
      "ms",
      "lower",
      src,
      `the same with the subscribers on the market-data process (its own CPU ${at("fanout.marketData.marketDataCpuMsPerOrder")} ms per order); ${how("market-data endpoint")}`,
    ),
    fig(
      "fanout_ack_p99_ms_market_data",
      profile,
      at("fanout.marketData.ackP99Ms"),
      "ms",
      "lower",
      src,
      `acknowledgement p99 of the paced load (venue's endpoint: ${at("fanout.venue.ackP99Ms")} ms); ${how("market-data endpoint")}`,
    ),
  ];
}

function readsFigures(j: unknown, profile: string, src: string): Figure[] {
  if ((j as { reads?: unknown }).reads === undefined) return [];
  const at = (key: string): number => numberAt(j, key, src);
  const how =
    `${at("reads.concurrency")} session reads in flight from another process over ${at("reads.accounts")} accounts ` +
    `(account, open orders, fills) for ${at("reads.seconds")} s`;
  const side = (endpoint: "venue" | "marketData"): string =>
    `p50 ${at(`reads.${endpoint}.p50Ms`)} ms, p99 ${at(`reads.${endpoint}.p99Ms`)} ms`;
  return [
    fig(
      "account_reads_per_s_venue",
      profile,
      at("reads.venue.readsPerSecond"),
      "1/s",
      "higher",
      src,
      `on the venue's endpoint (the core's thread); ${how}; ${side("venue")}`,
    ),
    fig(
      "account_reads_per_s_market_data",
      profile,
      at("reads.marketData.readsPerSecond"),
      "1/s",
      "higher",
      src,
      `on the market-data process (its CPU ${at("reads.marketData.marketDataCpuUsPerRead")} us per read); ${how}; ${side("marketData")}`,
    ),
    fig(
      "account_read_main_cpu_us_venue",
      profile,
      at("reads.venue.mainCpuUsPerRead"),
      "us",
      "lower",
      src,
      `CPU of the service's own process per read on the venue's endpoint; ${how}`,
    ),
    fig(
      "account_read_main_cpu_us_market_data",
      profile,
      at("reads.marketData.mainCpuUsPerRead"),
      "us",
      "lower",
      src,
      `the same with the reads on the market-data process; ${how}`,
    ),
  ];
}

function wsFigures(j: unknown, profile: string, src: string): Figure[] {
  const at = (key: string): number => numberAt(j, key, src);
  const rejected = (mode: string): string => {
    const n = at(`ws.${mode}.rejected`);
    return n === 0 ? "none rejected" : `${n} REJECTED (not counted; bench/sequencer.json has the codes)`;
  };
  const load = (mode: string): string => {
    const l = (j as { ws?: Record<string, { loadAverageAtEnd?: unknown }> }).ws?.[mode]?.loadAverageAtEnd;
    return Array.isArray(l) ? `load average ${l.join(" ")}` : "load average unknown";
  };
  const warmup = (mode: string): string => {
    const w = (j as { ws?: Record<string, { warmup?: { orders?: unknown } | null }> }).ws?.[mode]?.warmup;
    return typeof w?.orders === "number" ? `after ${w.orders} warm-up orders sent alike (not counted)` : "no warm-up";
  };
  const saturated =
    `WebSocket, ${at("ws.saturated.inFlight")} orders in flight over ${at("ws.saturated.connections")} connections, ` +
    `${Math.round(at("ws.saturated.filledShare") * 100)} % filling, ${at("ws.saturated.messagesPerSecond")} messages/s, ` +
    `${warmup("saturated")}, ${rejected("saturated")}, ${load("saturated")}`;
  const paced =
    `WebSocket, open loop at ${at("ws.paced.targetRate")} orders/s for ${at("ws.paced.targetSeconds")} s, ` +
    `latency from each order's due time, ${Math.round(at("ws.paced.filledShare") * 100)} % filling, ` +
    `${warmup("paced")}, ${rejected("paced")}, ${load("paced")}`;
  return [
    fig(
      "orders_accepted_per_s",
      profile,
      at("ws.saturated.ordersPerSecond"),
      "1/s",
      "higher",
      src,
      `signed orders accepted, acknowledged after the group commit; ${saturated} (goal 5,000)`,
    ),
    fig("ws_ack_p50_ms_saturated", profile, at("ws.saturated.ackP50Ms"), "ms", "lower", src, saturated),
    fig("ws_ack_p99_ms_saturated", profile, at("ws.saturated.ackP99Ms"), "ms", "lower", src, saturated),
    fig(
      "ws_main_cpu_ms_per_order",
      profile,
      at("ws.saturated.mainCpuMsPerOrder"),
      "ms",
      "lower",
      src,
      `CPU of the service's own process (main thread, GC and I/O threads, not its verifier threads) per accepted order (signature verifiers ${at("ws.saturated.verifiersCpuMsPerOrder")} ms, batch builder with its verifiers ${at("ws.saturated.builderCpuMsPerOrder")} ms); ${saturated}`,
    ),
    fig("ack_p99_ms", profile, at("ws.paced.ackP99Ms"), "ms", "lower", src, `${paced} (goal 5)`),
    fig("ack_p50_ms", profile, at("ws.paced.ackP50Ms"), "ms", "lower", src, paced),
    fig("ack_p999_ms", profile, at("ws.paced.ackP999Ms"), "ms", "lower", src, paced),
    fig("ack_max_ms", profile, at("ws.paced.ackMaxMs"), "ms", "lower", src, paced),
    fig(
      "ack_p99_ms_warmup",
      profile,
      at("ws.paced.warmup.ackP99Ms"),
      "ms",
      "lower",
      src,
      `the paced run's warm-up alone: the first ${at("ws.paced.warmup.orders")} orders a fresh venue process takes at the same pace (JIT, first keys, first batches); ${load("paced")}`,
    ),
    // What held the venue's thread during the paced run (absent from a sequencer.json written
    // before bench/sequencer.ts measured it): its event loop's delay and its GC pauses, so that
    // the acknowledgement tail can be set against the thread's own stalls.
    ...((j as { ws?: { paced?: { loopDelayP99Ms?: unknown } } }).ws?.paced?.loopDelayP99Ms === undefined
      ? []
      : [
          fig(
            "ws_paced_loop_delay_p99_ms",
            profile,
            at("ws.paced.loopDelayP99Ms"),
            "ms",
            "lower",
            src,
            `how late the venue's event loop ran a 1 ms timer, 99th percentile (worst ${at("ws.paced.loopDelayMaxMs")} ms), warm-up included; ${paced}`,
          ),
          fig(
            "ws_paced_gc_max_ms",
            profile,
            at("ws.paced.gcMaxMs"),
            "ms",
            "lower",
            src,
            `the venue process's longest GC pause (${at("ws.paced.gcPauses")} pauses, ${at("ws.paced.gcPausesOver5Ms")} over 5 ms; scavenges up to ${at("ws.paced.gcScavengeMaxMs")} ms, ${at("ws.paced.gcMarkCompacts")} mark-compacts up to ${at("ws.paced.gcMarkCompactMaxMs")} ms), warm-up included; ${paced}`,
          ),
        ]),
    fig(
      "ws_paced_orders_per_s",
      profile,
      at("ws.paced.ordersPerSecond"),
      "1/s",
      "higher",
      src,
      `orders accepted per second of the paced run (below the target when the venue fell behind); ${paced}`,
    ),
  ];
}

function fig(
  name: string,
  profile: string,
  value: number,
  unit: string,
  better: Figure["better"],
  source: string,
  note?: string,
): Figure {
  return note === undefined
    ? { name, profile, value, unit, better, source }
    : { name, profile, value, unit, better, source, note };
}

type Command =
  | { readonly kind: "run"; readonly only: readonly string[] | null; readonly merge: boolean }
  | { readonly kind: "render" };

function parseArgs(argv: readonly string[]): Command {
  if (argv.length === 0) return { kind: "run", only: null, merge: false };
  if (argv.length === 1 && argv[0] === "--render") return { kind: "render" };
  const merge = argv.length === 3 && argv[2] === "--merge";
  if (argv[0] !== "--only" || argv.length !== (merge ? 3 : 2)) {
    throw new BenchError("usage: scripts/bench.ts [--only section,... [--merge] | --render]");
  }
  const only = argv[1]!.split(",");
  for (const s of only) {
    if (!(s in SECTIONS)) throw new BenchError(`unknown section ${s}; known: ${Object.keys(SECTIONS).join(", ")}`);
  }
  return { kind: "run", only, merge };
}

/**
 * `previous` with the figures of `report` in place of the same figures (name and profile) and
 * the errors of the sections run replaced. Merged figures note when and at what load they were
 * measured, since the report's own time and machine stay those of its last full run.
 */
function mergeReport(previous: Report, report: Report, sections: readonly string[]): Report {
  const when = `measured ${report.measuredAt} (load ${report.machine.loadAverageAtStart.join("/")}, merged)`;
  const fresh = report.figures.map((f) => ({ ...f, note: f.note === undefined ? when : `${f.note}; ${when}` }));
  const replaced = new Set(fresh.map(figureKey));
  return {
    ...previous,
    figures: [...previous.figures.filter((f) => !replaced.has(figureKey(f))), ...fresh],
    errors: [...previous.errors.filter((e) => !sections.includes(e.section)), ...report.errors],
  };
}

function readReport(file: string): Report | null {
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Report) : null;
}

async function main(): Promise<void> {
  const command = parseArgs(process.argv.slice(2));
  if (command.kind === "render") {
    const report = readReport(REPORT);
    if (report === null) throw new BenchError(`${path.relative(ROOT, REPORT)} does not exist: run the benchmark first`);
    writeFileSync(MARKDOWN, renderMarkdown(report, readReport(PREVIOUS)));
    log(`[bench] rewrote ${path.relative(ROOT, MARKDOWN)}`);
    return;
  }
  const { only, merge } = command;
  const machine = describeMachine();
  const measuredAt = new Date().toISOString();
  const started = performance.now();
  log(`[bench] ${machine.cpu}, ${machine.cores} cores, load ${machine.loadAverageAtStart.join(" / ")}`);

  const figures: Figure[] = [];
  const errors: SectionError[] = [];
  for (const [section, run] of Object.entries(SECTIONS)) {
    if (only !== null && !only.includes(section)) continue;
    const t = performance.now();
    log(`[bench] ${section} …`);
    try {
      const got = await run(figures);
      figures.push(...got);
      log(`[bench] ${section}: ${got.length} figures in ${Math.round((performance.now() - t) / 1000)} s`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      errors.push({ section, message });
      log(`[bench] ${section} FAILED after ${Math.round((performance.now() - t) / 1000)} s: ${message}`);
    }
  }

  const report: Report = {
    schema: 1,
    measuredAt,
    durationSeconds: Math.round((performance.now() - started) / 1000),
    machine,
    figures,
    errors,
  };
  const previous = readReport(REPORT);
  if (only !== null && merge && previous !== null) {
    // report.previous.json stays the last full run's baseline.
    const merged = mergeReport(previous, report, only);
    writeFileSync(REPORT, `${JSON.stringify(merged, null, 2)}\n`);
    writeFileSync(MARKDOWN, renderMarkdown(merged, readReport(PREVIOUS)));
    log(`[bench] merged ${figures.length} figures into ${path.relative(ROOT, REPORT)}`);
  } else if (only !== null) {
    process.stdout.write(renderMarkdown(report, previous));
  } else {
    if (previous !== null) copyFileSync(REPORT, PREVIOUS);
    writeFileSync(REPORT, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(MARKDOWN, renderMarkdown(report, previous));
    log(
      `[bench] wrote ${path.relative(ROOT, REPORT)} and ${path.relative(ROOT, MARKDOWN)} in ${report.durationSeconds} s`,
    );
  }
  if (errors.length > 0) process.exitCode = 1;
}

await main();
