/**
 * The batch builder's process (forked by remote.ts): holds the commit state (protocol/'s
 * `RollupState`, the Merkle trees) and builds each closed batch the core sends, in order, with
 * `buildBatch` (builder.ts). Replies with the batch, or with the disagreement. Exits when its
 * parent goes away.
 *
 * Signatures ahead of the trees. A batch's order signatures (both orders of every trade, every
 * L2 withdrawal) are verified by this process's own verifiers (`argv[2]` of them: the native
 * addon's threads, or processes with the js backend; sequencer/intake/verify-pool.ts) while this
 * thread hashes the batches before it: up to `LOOKAHEAD` batches ahead. A positive answer is
 * remembered for that very order object (protocol/signing.ts `verifyOrderSignatureRemote`), so
 * `buildBatch`'s signature check finds it and does not verify again; anything else (a bad
 * signature, a verifier that died or was late) is simply not remembered, and `buildBatch`
 * verifies that order on this thread as before. The verifiers can therefore only save work, never
 * accept a signature: the rule stays in `buildBatch`, on this thread. With 0 verifiers every
 * signature is verified on this thread.
 *
 * The next batch's order trees ahead of its replay (unless `argv[3]` is 0). While a batch is
 * built, the order-tree leaves and nodes of the next one in the queue are hashed on a thread of
 * their own (prehash.ts), and when its build starts this thread remembers them; `buildBatch` then
 * hashes the same inputs and finds the outputs remembered. That pass too can only save work: it
 * applies no rule, and a remembered output is the hash of the very inputs asked for.
 *
 * Snapshots do not wait for the backlog. A `snapshot` request is answered as soon as it arrives,
 * between two builds (the queue yields to the event loop before each), with the trees after the
 * last batch built; the core stores the build requests of the batches not in them
 * (sequencer/core/sequencer.ts `snapshot`). Replies keep their order: every batch built before
 * the answer was sent before it.
 */
import { deserialize, serialize } from "node:v8";
import { initCrypto } from "../../protocol/index.ts";
import { verifyOrderSignatureRemote } from "../../protocol/signing.ts";
import { RollupState } from "../../protocol/state.ts";
import type { RollupStateSnapshot } from "../../protocol/state.ts";
import { TxType } from "../../protocol/types.ts";
import type { SignedOrder } from "../../protocol/types.ts";
import { VerifyPool } from "../intake/verify-pool.ts";
import type { AcceptedBatch } from "./builder.ts";
import { batchHead, buildBatch, BuilderDisagreementError } from "./builder.ts";
import { OrderTreePrehash } from "./prehash.ts";
import type { PlannedBatch } from "./prehash.ts";
import { decodeBuildRequest } from "./remote.ts";
import type { BuilderReply, BuilderRequest, BuildJob } from "./remote.ts";

/** Batches whose signatures are verified ahead of the one being built. */
const LOOKAHEAD = 4;
/** A batch waits at most this long for its verifiers, then is built (and verified) here. */
const PREVERIFY_TIMEOUT_MS = 10_000;

const channelSend = process.send?.bind(process);
if (channelSend === undefined) throw new Error("builder-worker must be forked with an IPC channel");

/**
 * The channel to the core, both ways, moves only while this thread's event loop turns, and a
 * build holds it for hundreds of milliseconds: a reply larger than the socket's buffer (a built
 * batch is about 1.2 MB per 256 slots) would leave one buffer's worth per build and queue the rest
 * here, and requests the core wrote would come in one buffer's worth per build too. Measured
 * under the WebSocket load: built replies reached the core one every 2 s, so the core saw the
 * builder dozens of batches behind while it had built them, and a snapshot answer waited behind
 * them. So a build starts only once every reply has left (`sent`) and no further request is
 * coming in (`takeInbound`).
 */
let unsent = 0;
const sentWaiters: (() => void)[] = [];
/** Messages received so far (`takeInbound` watches it). */
let received = 0;
/** Turns `takeInbound` waits at most for the core's requests to stop coming. */
const MAX_INBOUND_TURNS = 256;

function send(m: BuilderReply): void {
  unsent += 1;
  channelSend!(m, undefined, undefined, (e: Error | null) => {
    if (e !== null) fatal(e);
    unsent -= 1;
    if (unsent === 0) for (const w of sentWaiters.splice(0)) w();
  });
}

/** Resolves once every reply sent so far has been written to the channel. */
function sent(): Promise<void> {
  return unsent === 0 ? Promise.resolve() : new Promise((r) => sentWaiters.push(r));
}

/** Turns the event loop until a turn brings no new message (the requests the core has written). */
async function takeInbound(): Promise<void> {
  for (let i = 0; i < MAX_INBOUND_TURNS; i++) {
    const before = received;
    await new Promise((r) => setImmediate(r));
    if (received === before) return;
  }
}
process.on("disconnect", () => process.exit(0));

const verifiers = Number(process.argv[2] ?? "0");
if (!Number.isInteger(verifiers) || verifiers < 0)
  throw new Error(`builder-worker: bad verifier count ${process.argv[2]}`);
if (process.argv[3] !== undefined && process.argv[3] !== "0" && process.argv[3] !== "1")
  throw new Error(`builder-worker: bad prehash flag ${process.argv[3]}`);
/** The next batch's order trees hashed while this one is built (prehash.ts), unless argv[3] is 0. */
const prehash = process.argv[3] === "0" ? null : new OrderTreePrehash();
// Unbounded queue: the lookahead bounds it (LOOKAHEAD batches of 2 orders per slot). Every
// request goes out at once, in messages of 64: this thread hashes for tens of milliseconds at a
// time, and a verifier waiting for it to hand over the next message would idle meanwhile.
const pool =
  verifiers > 0
    ? new VerifyPool(verifiers, Number.POSITIVE_INFINITY, { maxBatch: 64, maxMessagesInFlight: 1024 })
    : null;

let state: RollupState | null = null;

/** A request as queued here: a build's bytes decoded on arrival (its orders are verified ahead). */
type Job = Exclude<BuilderRequest, { readonly type: "build" }> | ({ readonly type: "build" } & BuildJob);

interface Queued {
  readonly request: Job;
  /** When it arrived (performance.now()). */
  readonly arrived: number;
  /** Its signatures' verification, once started (builds only). */
  verified: Promise<void> | null;
}
const queue: Queued[] = [];
let pumping = false;
let ready = false;
/** When the last request finished (performance.now()). */
let lastDone = 0;

/** The signed orders of a batch's transactions, each once. */
function signedOrders(accepted: AcceptedBatch): Set<SignedOrder> {
  const orders = new Set<SignedOrder>();
  for (const tx of accepted.txs) {
    if (tx.type === TxType.TRADE) orders.add(tx.maker).add(tx.taker);
    else if (tx.type === TxType.WITHDRAW) orders.add(tx.withdrawal);
  }
  return orders;
}

/** Verifies a batch's signatures in the pool; settles (never rejects) when all are answered or late. */
function preverify(verifierPool: VerifyPool, accepted: AcceptedBatch): Promise<void> {
  const domain = accepted.context.domain;
  const answers = Promise.allSettled(
    [...signedOrders(accepted)].map((s) =>
      verifyOrderSignatureRemote(s, domain, (copy, d) => verifierPool.verifyOrder(copy, d)),
    ),
  );
  return settledWithin(answers, PREVERIFY_TIMEOUT_MS);
}

/** Resolves when `p` settles or `ms` have passed, whichever comes first; never rejects. */
function settledWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([
    p.then(
      () => undefined,
      () => undefined,
    ),
    late,
  ]).finally(() => clearTimeout(timer));
}

/** Starts the verification of the next `LOOKAHEAD` batches in the queue. */
function lookAhead(): void {
  if (pool === null) return;
  let builds = 0;
  for (const q of queue) {
    if (q.request.type !== "build") continue;
    if (builds++ >= LOOKAHEAD) return;
    q.verified ??= preverify(pool, q.request.accepted);
  }
}

/**
 * Handles one request. A build's `ms` is its wall time in this process's pipeline: from when it
 * could start (it had arrived and the request before it was done) to its reply, so it includes
 * any wait for its verifiers, and the sum over a backlog is the builder's wall time.
 */
function handle(m: Job, arrived: number, next: PlannedBatch | null): void {
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
    answerSnapshot(state, m.id);
    return;
  }
  const started = Math.max(arrived, lastDone);
  let reply: BuilderReply;
  try {
    // This batch's order-tree hashes, computed while the one before was built, and the next's
    // started now, to be computed while this one is built.
    const failed = prehash?.beforeBuild(state, m.accepted, next) ?? null;
    if (failed !== null) console.error("builder-worker: hashing ahead failed; this batch is built without it:", failed);
    const batch = buildBatch(state, m.accepted, m.records);
    // Serialized here, once: the core stores these bytes as they are (Journal.storeBuiltBatch)
    // and reads only the head; the provers and the submitter decode them.
    reply = {
      type: "built",
      number: m.accepted.number,
      batch: serialize(batch),
      head: batchHead(batch),
      ms: performance.now() - started,
    };
  } catch (e) {
    if (!(e instanceof BuilderDisagreementError)) throw e;
    reply = { type: "refused", number: m.accepted.number, reason: e.reason };
  }
  send(reply);
}

/** The trees after the last batch built, for a snapshot. */
function answerSnapshot(trees: RollupState, id: number): void {
  send({ type: "state", id, state: serialize(trees.toSnapshot()) });
}

/**
 * Handles the queue in order; a build waits for its verifiers (which never reject). Before each
 * request it lets the channel move (see `send`): every request the core has written is taken in
 * first, so a snapshot request behind a backlog is answered before the next build, not after the
 * last, and every reply has left, so the core has the batches built so far.
 */
async function pump(): Promise<void> {
  if (pumping || !ready) return;
  pumping = true;
  for (;;) {
    await takeInbound();
    await sent();
    if (queue.length === 0) break;
    lookAhead();
    // The verifiers take the requests while this thread turns, not while it builds (`written`);
    // a verifier that stopped reading delays a build by the same bound as a late answer, no more.
    if (pool !== null) await settledWithin(pool.written(), PREVERIFY_TIMEOUT_MS);
    const head = queue[0]!;
    if (head.verified !== null) await head.verified;
    queue.shift();
    const following = queue.find((q) => q.request.type === "build")?.request;
    handle(head.request, head.arrived, following?.type === "build" ? following.accepted : null);
    lastDone = performance.now();
  }
  pumping = false;
}

function fatal(e: unknown): never {
  console.error("builder-worker:", e);
  process.exit(1);
}

// Registered before the first await, so no message sent while the crypto loads is lost.
process.on("message", (m: BuilderRequest) => {
  received += 1;
  // A snapshot request is answered at once once the trees exist (after the genesis or restore,
  // which come first): not behind the queued builds.
  if (m.type === "snapshot" && state !== null) {
    answerSnapshot(state, m.id);
    return;
  }
  const request: Job = m.type === "build" ? { type: "build", ...decodeBuildRequest(m.request) } : m;
  queue.push({ request, arrived: performance.now(), verified: null });
  pump().catch(fatal);
});
await initCrypto();
// Its verifiers load their crypto meanwhile; the first batches wait for them (bounded), as the
// ones after do, instead of being verified here while the verifiers start.
if (pool !== null) await settledWithin(pool.started(), PREVERIFY_TIMEOUT_MS);
ready = true;
pump().catch(fatal);
