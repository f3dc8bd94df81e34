/**
 * The batch builder's process (forked by remote.ts): holds the commit state (protocol/'s
 * `RollupState`, the Merkle trees) and builds each closed batch the core sends, in order, with
 * `buildBatch` (builder.ts). Replies with the batch, or with the disagreement. Exits when its
 * parent goes away.
 */
import { deserialize, serialize } from "node:v8";
import { initCrypto } from "../../protocol/index.ts";
import { RollupState } from "../../protocol/state.ts";
import type { RollupStateSnapshot } from "../../protocol/state.ts";
import { buildBatch, BuilderDisagreementError } from "./builder.ts";
import type { BuilderReply, BuilderRequest } from "./remote.ts";

const send = process.send?.bind(process);
if (send === undefined) throw new Error("builder-worker must be forked with an IPC channel");
process.on("disconnect", () => process.exit(0));

let state: RollupState | null = null;
const queue: BuilderRequest[] = [];
let ready = false;

function handle(m: BuilderRequest): void {
  if (m.type === "genesis") {
    state = RollupState.genesis(m.profile, m.system);
    return;
  }
  if (m.type === "restore") {
    state = RollupState.fromSnapshot(m.profile, deserialize(m.state) as RollupStateSnapshot);
    if (state.stateRoot !== m.root)
      throw new Error(`builder-worker: the snapshot's trees reach root ${state.stateRoot}, the core expects ${m.root}`);
    return;
  }
  if (state === null) throw new Error("builder-worker: a request before the genesis");
  if (m.type === "snapshot") {
    send!({ type: "state", id: m.id, state: serialize(state.toSnapshot()) } satisfies BuilderReply);
    return;
  }
  const started = performance.now();
  let reply: BuilderReply;
  try {
    const batch = buildBatch(state, m.accepted, m.records);
    reply = { type: "built", number: m.accepted.number, batch, ms: performance.now() - started };
  } catch (e) {
    if (!(e instanceof BuilderDisagreementError)) throw e;
    reply = { type: "refused", number: m.accepted.number, reason: e.reason };
  }
  send!(reply);
}

// Registered before the first await, so no message sent while the crypto loads is lost.
process.on("message", (m: BuilderRequest) => {
  if (ready) handle(m);
  else queue.push(m);
});
await initCrypto();
ready = true;
for (const m of queue.splice(0)) handle(m);
