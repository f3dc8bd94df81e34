/**
 * The prover queue's edges: a bad queue URL or an unreachable server fails the venue's and the
 * prover's start with a stable code and a message that says what to fix, and the test-only
 * corrupting flag of prover/main.ts is refused outside tests.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { parseQueueUrl, probeQueue, QueueError } from "../../prover/queue/config.ts";
import { startService } from "../../sequencer/service.ts";
import { serviceConfig, tempDb } from "../sequencer/helpers.ts";
import { freePort, ROOT } from "./servers.ts";

/** Runs prover/main.ts with `args` and `env`; resolves with its exit code and output. */
function runProver(args: readonly string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "prover/main.ts"), ...args], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: "production", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => resolve({ code, out }));
  });
}

const code = (c: string) => (e: unknown) => e instanceof QueueError && e.code === c;

describe("prover queue URL and reachability", { timeout: 180_000 }, () => {
  test("BAD_QUEUE_URL for what is not a redis:// URL, with the expected form in the message", () => {
    for (const bad of ["", "localhost:6379", "http://127.0.0.1:6379", "redis://", "redis://h:70000", "redis://h/x"])
      assert.throws(() => parseQueueUrl(bad), code("BAD_QUEUE_URL"), bad);
    assert.throws(() => parseQueueUrl("postgres://h/db"), /redis:\/\/\[user:password@\]host/);
    assert.equal(parseQueueUrl("redis://:s3cret@10.0.0.2:6380/2").redacted, "redis://:***@10.0.0.2:6380/2");
    assert.doesNotThrow(() => parseQueueUrl("rediss://queue.internal"));
  });

  test("QUEUE_UNREACHABLE when nothing answers, naming the URL without its password", async () => {
    const port = await freePort();
    await assert.rejects(probeQueue(parseQueueUrl(`redis://:pw@127.0.0.1:${port}`), 2_000), (e: unknown) => {
      assert.ok(code("QUEUE_UNREACHABLE")(e));
      assert.match((e as Error).message, new RegExp(`redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}`));
      assert.match((e as Error).message, /appendonly yes/);
      return true;
    });
  });

  test("a venue whose queue does not answer fails its start (and closes its journal)", async () => {
    const db = tempDb();
    try {
      const port = await freePort();
      const cfg = serviceConfig(db.file, { profile: "test", optionWeeks: 0, proverQueue: `redis://127.0.0.1:${port}` });
      await assert.rejects(startService(cfg), code("QUEUE_UNREACHABLE"));
      await assert.rejects(startService({ ...cfg, proverQueue: "amqp://x" }), code("BAD_QUEUE_URL"));
    } finally {
      db.cleanup();
    }
  });

  test("prover/main.ts exits 2 with the code on a bad URL, and refuses --dev-corrupt-proofs outside tests", async () => {
    const bad = await runProver(["--queue", "http://127.0.0.1:1"]);
    assert.equal(bad.code, 2);
    assert.match(bad.out, /"code":"BAD_QUEUE_URL"/);
    const port = await freePort();
    const corrupt = await runProver(["--queue", `redis://127.0.0.1:${port}`, "--dev-corrupt-proofs"]);
    assert.equal(corrupt.code, 2);
    assert.match(corrupt.out, /only with NODE_ENV=test/);
    const none = await runProver([], { TESSERA_PROVER_QUEUE: "" });
    assert.equal(none.code, 2);
    assert.match(none.out, /no queue: pass --queue/);
  });
});
