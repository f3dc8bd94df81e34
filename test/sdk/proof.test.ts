/**
 * A batch's proof fetched through the SDK from a venue running a real prover (the `test`
 * profile's circuit and TEST-ONLY keys): a trade, the batch closed by the operator, the fill
 * reported proved, and the proof with its public signals and the venue's verification key
 * verified here with snarkjs — and refused when one public signal is changed.
 *
 * The venue closes a batch when it is full or after `batchMaxAgeMs` (10 minutes in tests), so
 * the test closes it through the admin API rather than waiting. (An earlier version of this test
 * "hung": it waited for that timer, and snarkjs's worker threads then kept the process alive.)
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as snarkjs from "snarkjs";
import { releaseCurve } from "../../scripts/zk/ptau.ts";
import type { TesseraClient } from "../../sdk/client.ts";
import { TesseraApiError } from "../../sdk/errors.ts";
import { ETH_PRICE, ONE, startSdkVenue } from "./venue.ts";
import type { SdkVenue } from "./venue.ts";

/** Longest wait for the proof (one test-profile proof takes 5–20 s here). */
const PROOF_MS = 180_000;

let v: SdkVenue;
let alice: TesseraClient;
let bob: TesseraClient;
before(async () => {
  v = await startSdkVenue({ profile: "test", provers: 1, optionWeeks: 0 });
  alice = await v.trader("proof-alice", 2n);
  bob = await v.trader("proof-bob", 3n);
});
after(async () => {
  await v.close();
  await releaseCurve(); // snarkjs's worker threads would keep this process alive
});

test(
  "a fill's batch is proved and its proof verifies with the venue's key",
  { timeout: PROOF_MS + 30_000 },
  async () => {
    await alice.placeOrder({ instrument: 1n, side: "sell", size: ONE, price: ETH_PRICE });
    const bought = await bob.placeOrder({ instrument: 1n, side: "buy", size: ONE, price: ETH_PRICE });
    assert.equal(bought.status, "filled");
    const closed = await v.admin.closeBatch();
    const fill = (await bob.fills())[0]!;
    assert.equal(fill.batch, closed, "the fill is in the batch the operator closed");

    const deadline = performance.now() + PROOF_MS;
    let proved = null;
    while (proved === null) {
      try {
        proved = await bob.batchProof(closed!);
      } catch (e) {
        assert.ok(e instanceof TesseraApiError && e.code === "NOT_FOUND", `only NOT_FOUND until proved: ${String(e)}`);
        assert.ok(performance.now() < deadline, `batch ${closed} not proved within ${PROOF_MS} ms`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    assert.equal(proved.number, closed);
    assert.equal((await bob.fills())[0]!.proofStatus, "proved");

    const summary = (await bob.batches({ limit: 5 })).batches.find((b) => b.number === closed)!;
    assert.ok(summary.newStateRoot !== summary.oldStateRoot, "the batch moved the root");
    assert.equal(proved.publicSignals.length, 1, "one public signal: the commitment");
    assert.ok(BigInt(proved.publicSignals[0]!) < 1n << 253n, "the commitment has 253 bits");

    const vkey = await bob.verificationKey();
    assert.equal(vkey.nPublic, proved.publicSignals.length);
    assert.equal(await snarkjs.groth16.verify(vkey, proved.publicSignals, proved.proof), true);
    const forged = [...proved.publicSignals];
    forged[0] = (BigInt(forged[0]!) + 1n).toString();
    assert.equal(await snarkjs.groth16.verify(vkey, forged, proved.proof), false, "another commitment is refused");
  },
);
