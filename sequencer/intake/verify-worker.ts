/**
 * A signature-verifier process of the pool (forked by verify-pool.ts): checks EdDSA-Poseidon
 * signatures with protocol/'s fast verifier. Messages carry field elements as bigints (the
 * channel's "advanced" serialization).
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
function verify(batch: readonly VerifyRequest[]): void {
  const replies: VerifyReply[] = batch.map((r) => {
    // An order's hash is computed here, off the venue's thread (`VerifyPool.verifyOrder`).
    const msg = "msg" in r ? r.msg : poseidon(r.hashInputs);
    const ok = verifyFast({ x: r.ax, y: r.ay }, msg, { R8x: r.r8x, R8y: r.r8y, S: r.s });
    return { id: r.id, ok, msg };
  });
  send!(replies);
}

/**
 * One message per event-loop turn. The channel hands over every message a read brought in one
 * go; verified at once, they would keep this process from reading the channel again until all
 * are done, and a sender whose own thread is then busy for long (the batch builder, which sends
 * batches ahead) would leave the rest of its requests unwritten meanwhile. Taken in turn, the
 * channel is drained between messages, so the sender's whole backlog reaches this process.
 */
const inbox: VerifyRequest[][] = [];
function drain(): void {
  const batch = inbox.shift();
  if (batch === undefined) return;
  verify(batch);
  if (inbox.length > 0) setImmediate(drain);
}
process.on("message", (batch: VerifyRequest[]) => {
  if (inbox.push(batch) === 1) setImmediate(drain);
});
send("ready");
