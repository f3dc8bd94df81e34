/**
 * A signature-verifier process of the pool (forked by verify-pool.ts): checks EdDSA-Poseidon
 * signatures with protocol/'s fast verifier. Messages carry field elements as decimal strings.
 * Exits when its parent goes away.
 */
import { verifyFast } from "../../protocol/eddsa-fast.ts";
import { initPoseidon, poseidon } from "../../protocol/poseidon.ts";
import type { VerifyReply, VerifyRequest } from "./verify-pool.ts";

const send = process.send?.bind(process);
if (send === undefined) throw new Error("verify-worker must be forked with an IPC channel");
process.on("disconnect", () => process.exit(0));
// A send to a parent already gone (a pool closed while this process started): exit quietly.
process.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE" || e.code === "ERR_IPC_CHANNEL_CLOSED") process.exit(0);
  throw e;
});
await initPoseidon();
process.on("message", (batch: VerifyRequest[]) => {
  const replies: VerifyReply[] = batch.map((r) => {
    // An order's hash is computed here, off the venue's thread (`VerifyPool.verifyOrder`).
    const msg = "msg" in r ? BigInt(r.msg) : poseidon(r.hashInputs.map((v) => BigInt(v)));
    const ok = verifyFast({ x: BigInt(r.ax), y: BigInt(r.ay) }, msg, {
      R8x: BigInt(r.r8x),
      R8y: BigInt(r.r8y),
      S: BigInt(r.s),
    });
    return { id: r.id, ok, msg: msg.toString() };
  });
  send(replies);
});
send("ready");
