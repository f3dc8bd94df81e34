/**
 * The prover pool with real Groth16 artifacts (a small Poseidon-chain circuit built by
 * scripts/zk/build.ts with its TEST-ONLY ceremony): parallel provers, a prover killed
 * mid-proof, a job that cannot be proved, a proof past its time, and provers that load the key
 * before their first job (as each fleet prover's proving process does, prover/queue/prover.ts).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ensureCircuitBuilt } from "../../scripts/zk/build.ts";
import type { BuiltCircuit } from "../../scripts/zk/build.ts";
import { initPoseidon, poseidon } from "../../protocol/poseidon.ts";
import { packProof } from "../../protocol/proof.ts";
import { ProverPool, ProvingError } from "../../prover/pool.ts";
import type { JobEvent, ProverPoolOptions } from "../../prover/pool.ts";

const LINKS = 24;
const SOURCE = `pragma circom 2.1.6;
include "circomlib/circuits/poseidon.circom";
template Chain(n) {
  signal input x;
  signal input y;
  signal output h;
  component p[n];
  for (var i = 0; i < n; i++) {
    p[i] = Poseidon(2);
    p[i].inputs[0] <== i == 0 ? x : p[i - 1].out;
    p[i].inputs[1] <== y;
  }
  h <== p[n - 1].out;
}
component main {public [y]} = Chain(${LINKS});
`;

function expected(x: bigint, y: bigint): bigint {
  let h = x;
  for (let i = 0; i < LINKS; i++) h = poseidon([h, y]);
  return h;
}

describe("prover pool", { timeout: 600_000 }, () => {
  let built: BuiltCircuit;
  const pools: ProverPool[] = [];
  const pool = (
    provers: number,
    maxAttempts: number,
    onEvent?: (e: JobEvent) => void,
    more: Partial<ProverPoolOptions> = {},
  ): ProverPool => {
    const p = new ProverPool({
      artifacts: { wasm: built.wasm, zkey: built.zkey, vkey: built.vkey },
      provers,
      maxAttempts,
      timeoutMs: 120_000,
      ...(onEvent === undefined ? {} : { onEvent }),
      ...more,
    });
    pools.push(p);
    return p;
  };

  before(async () => {
    await initPoseidon();
    built = await ensureCircuitBuilt(
      { name: "prover-test-chain", source: SOURCE, contractName: "ProverTestVerifier" },
      { quiet: true },
    );
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });

  test("two provers prove queued jobs and every proof verifies with the right public output", async () => {
    const p = pool(2, 1);
    const inputs = [1n, 2n, 3n].map((x) => ({ x: x.toString(), y: "7" }));
    const results = await Promise.all(inputs.map((input, i) => p.prove(`job-${i}`, input)));
    results.forEach((r, i) => {
      assert.equal(r.attempts, 1);
      assert.deepEqual(r.publicSignals, [expected(BigInt(i + 1), 7n).toString(), "7"]);
      assert.equal(packProof(r.proof).length, 8);
    });
  });

  test("crash: a prover killed mid-proof costs a retry, not the job", async () => {
    const events: JobEvent[] = [];
    let killed = false;
    const p: ProverPool = pool(1, 3, (e) => {
      events.push(e);
      if (!killed && e.stage === "prove") {
        killed = true;
        process.kill(p.pids()[0]!, "SIGKILL");
      }
    });
    const r = await p.prove("batch-1", { x: "5", y: "9" });
    assert.ok(killed);
    assert.equal(r.attempts, 2);
    assert.deepEqual(r.publicSignals, [expected(5n, 9n).toString(), "9"]);
    assert.ok(events.some((e) => e.stage === "retry" && /died mid-proof/.test(e.detail ?? "")));
    assert.equal(p.size, 1, "the dead prover was replaced");
  });

  test("a job that cannot be proved fails with ProvingError after its attempts", async () => {
    const p = pool(1, 2);
    await assert.rejects(p.prove("bad", { x: "1" }), (e: unknown) => e instanceof ProvingError && e.attempts === 2);
    // The pool still proves after a failure.
    const r = await p.prove("good", { x: "1", y: "1" });
    assert.equal(r.publicSignals[0], expected(1n, 1n).toString());
  });

  test("a proof past timeoutMs is stopped: its prover is replaced and the job fails with that reason", async () => {
    const p = pool(1, 2, undefined, { timeoutMs: 1 });
    const before = p.pids();
    await assert.rejects(
      p.prove("slow", { x: "1", y: "1" }),
      (e: unknown) => e instanceof ProvingError && e.attempts === 2 && /took longer than 1 ms/.test(e.message),
    );
    assert.equal(p.size, 1);
    assert.notDeepEqual(p.pids(), before, "the stopped prover was replaced");
  });

  test("preload: a prover opens the engine before its first job and reports its witness generator", async () => {
    const p = pool(1, 1, undefined, { preload: true });
    const ready = await p.whenReady();
    assert.ok(ready.witness === "native" || ready.witness === "wasm", `witness ${String(ready.witness)}`);
    const r = await p.prove("first", { x: "4", y: "2" });
    assert.equal(r.publicSignals[0], expected(4n, 2n).toString());
    assert.equal(r.witness, ready.witness);
    assert.ok(r.verifyMs !== undefined && r.verifyMs >= 0, "the prover's own verification is timed");
  });

  test("preload of artifacts that do not open: whenReady says why, and jobs fail instead of hanging", async () => {
    const p = new ProverPool({
      artifacts: { wasm: built.wasm, zkey: `${built.zkey}.missing`, vkey: built.vkey },
      provers: 1,
      maxAttempts: 1,
      timeoutMs: 120_000,
      preload: true,
    });
    pools.push(p);
    await assert.rejects(p.whenReady(), /could not open the circuit's artifacts: .*missing/);
    await assert.rejects(p.prove("x", { x: "1", y: "1" }), (e: unknown) => e instanceof ProvingError);
  });
});
