/**
 * Benchmark: the TEST-ONLY known-tau ptau generator against snarkjs's own path
 * (`powersoftau new` → `beacon` → `prepare phase2`) at the same power, same output bytes.
 *
 *   npx tsx scripts/zk/bench-ptau.ts <known|snarkjs> <power>...
 *
 * Results (seconds, load average at the start) are merged into build/zk/ptau-bench.json.
 * Run it under `timeout`: snarkjs's prepare needs tens of minutes from 2^16 on a 2-core machine.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import * as snarkjs from "snarkjs";
import { buildBn128 } from "ffjavascript";
import { ZK_BUILD_DIR } from "./build.ts";
import { TEST_ONLY_CEREMONY, releaseCurve, writeTestOnlyPtau } from "./ptau.ts";

const RESULTS = path.join(ZK_BUILD_DIR, "ptau-bench.json");

type Result = Record<string, number>;

function record(name: string, result: Result): void {
  mkdirSync(ZK_BUILD_DIR, { recursive: true });
  const all = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, "utf8")) as Record<string, Result>) : {};
  all[name] = result;
  writeFileSync(RESULTS, `${JSON.stringify(all, null, 2)}\n`);
  console.log(name, JSON.stringify(result));
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return Math.round((performance.now() - t) / 10) / 100;
}

async function main(): Promise<void> {
  const [kind, ...powers] = process.argv.slice(2);
  if ((kind !== "known" && kind !== "snarkjs") || powers.length === 0) {
    throw new Error("usage: bench-ptau.ts <known|snarkjs> <power>...");
  }
  const dir = mkdtempSync(path.join(tmpdir(), "tessera-ptau-bench-"));
  try {
    for (const power of powers.map(Number)) {
      const load = Math.round(loadavg()[0]! * 10) / 10;
      if (kind === "known") {
        const seconds = await timed(() => writeTestOnlyPtau(power, path.join(dir, "known.ptau")));
        record(`known-tau-2^${power}`, { seconds, loadAverage: load });
      } else {
        const curve = await buildBn128();
        const [p0, p1, p2] = ["new", "beacon", "prepared"].map((s) => path.join(dir, `${s}.ptau`)) as [
          string,
          string,
          string,
        ];
        const newAndBeacon = await timed(async () => {
          await snarkjs.powersOfTau["newAccumulator"]!(curve, power, p0);
          await snarkjs.powersOfTau["beacon"]!(
            p0,
            p1,
            TEST_ONLY_CEREMONY.name,
            TEST_ONLY_CEREMONY.beaconHash,
            TEST_ONLY_CEREMONY.numIterationsExp,
          );
        });
        const prepare = await timed(() => snarkjs.powersOfTau["preparePhase2"]!(p1, p2));
        record(`snarkjs-2^${power}`, { newAndBeacon, prepare, seconds: newAndBeacon + prepare, loadAverage: load });
        await releaseCurve();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
