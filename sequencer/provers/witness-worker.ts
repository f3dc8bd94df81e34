/**
 * The witness-check process (forked by witness.ts): decodes each closed batch, turns it into the
 * circuit's input and computes its witness with the circuit's wasm witness calculator, and
 * reports whether every constraint the calculator checks held. A process, not a worker thread:
 * snarkjs loads ffjavascript, which takes over any worker thread it is imported in. Exits when
 * its parent goes away.
 */
import { deserialize } from "node:v8";
import * as snarkjs from "snarkjs";
import { toCircuitInput } from "../../protocol/circuitInput.ts";
import { initCrypto } from "../../protocol/index.ts";
import type { Batch } from "../../protocol/types.ts";
import type { WitnessReply, WitnessRequest } from "./witness.ts";

// The circuit's input hashes account positions (protocol/account.ts).
await initCrypto();
const send = process.send?.bind(process);
if (send === undefined) throw new Error("witness-worker must be forked with an IPC channel");
process.on("disconnect", () => process.exit(0));
process.on("message", (request: WitnessRequest) => {
  void (async () => {
    const t0 = performance.now();
    let reply: WitnessReply;
    try {
      const input = toCircuitInput(deserialize(request.batch) as Batch);
      await snarkjs.wtns.calculate(input, request.wasm, { type: "mem" });
      reply = { id: request.id, ok: true, ms: performance.now() - t0 };
    } catch (e) {
      reply = {
        id: request.id,
        ok: false,
        ms: performance.now() - t0,
        error: e instanceof Error ? e.message : String(e),
      };
    }
    send(reply);
  })();
});
send("ready");
