/**
 * The examples of docs/sdk.md run as written: sdk/examples/quickstart.ts against a real
 * sequencer, checked by its output.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ADMIN_TOKEN, startSdkVenue } from "./venue.ts";
import type { SdkVenue } from "./venue.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
let v: SdkVenue;
before(async () => {
  // With its market-data process: the example reads the book there.
  v = await startSdkVenue({ marketData: { port: 0 } });
});
after(async () => {
  // The example's stream closes with cancel-on-disconnect; let the venue finish handling it.
  await new Promise((r) => setTimeout(r, 200));
  await v.close();
});

test("the quick start runs as written and prints what docs/sdk.md says", { timeout: 120_000 }, async () => {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "sdk/examples/quickstart.ts")], {
    cwd: ROOT,
    env: { ...process.env, TESSERA_URL: v.url, TESSERA_ADMIN_TOKEN: ADMIN_TOKEN },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split("\n");
  assert.match(lines[0]!, /^ETH index 300000 cents, best bid none$/);
  assert.match(lines[1]!, /^order \d+: resting$/);
  assert.equal(lines[2], "the local book shows a bid at 297000: 5000 in size");
  assert.equal(lines[3], "collateral 10000000000, equity 10000000000, open orders 1");
  assert.equal(lines[4], "refused: LOT_SIZE (422) size 5001 is not a multiple of the lot size 10");
});
