/**
 * Signature verification off the event loop: `verifyFast` (circomlib-compatible EdDSA-Poseidon,
 * natively 45–80 µs per signature on one core here, native/src/eddsa.c) on `size` threads or
 * processes. With `size = 0` the pool verifies on the calling thread.
 *
 * Two transports, the same answers:
 * - **threads** (the default when the native addon loads): the addon's verifier threads in this
 *   process (native/src/verify_pool.c). A request is copied into a job on the calling thread and
 *   its answer comes back as a call on it; nothing is serialized or written to a pipe. Each
 *   thread keeps its own per-key tables, so a market maker's key is fast in every one of them.
 * - **processes** (the js crypto backend, `TESSERA_CRYPTO=js`, or a machine without the addon):
 *   forked verifier processes (verify-worker.ts). Not worker threads: circomlibjs
 *   (protocol/poseidon.ts) loads ffjavascript, whose `web-worker` dependency takes over any
 *   worker thread it is imported in. Forked processes inherit the tsx loader through
 *   `execArgv`. A worker that dies fails its in-flight requests (the client gets a 503 and
 *   retries) and is replaced.
 *
 * Requests queued while every worker is busy are sent together as one job, so the per-job
 * overhead is amortised under load. The queue is bounded (`maxQueue`): beyond it a request is
 * refused at once (`VerifierBusyError`, 503 OVERLOADED) rather than held in memory.
 */
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadNativeCrypto } from "../../native/index.ts";
import type { NativeCrypto, NativeVerifier } from "../../native/index.ts";
import { verifyFast } from "../../protocol/eddsa-fast.ts";
import { orderHash, orderHashInputs } from "../../protocol/signing.ts";
import type { PublicKey, Signature, SignedOrder } from "../../protocol/types.ts";

/**
 * One request to a worker. The message is given (`msg`), or is the Poseidon hash the worker
 * computes of `hashInputs` (an order's `orderHashInputs`), so that the caller's thread does not
 * hash it. Field elements travel as bigints (the channel's "advanced" serialization): no decimal
 * strings to print and parse on either side, and about half the bytes of JSON.
 */
export type VerifyRequest = {
  readonly id: number;
  readonly ax: bigint;
  readonly ay: bigint;
  readonly r8x: bigint;
  readonly r8y: bigint;
  readonly s: bigint;
} & ({ readonly msg: bigint } | { readonly hashInputs: readonly bigint[] });

export interface VerifyReply {
  readonly id: number;
  readonly ok: boolean;
  /** The message verified: the order hash of an `order` request. */
  readonly msg: bigint;
}

interface Pending {
  readonly resolve: (reply: VerifyReply) => void;
  readonly reject: (e: Error) => void;
}

interface Slot {
  worker: ChildProcess;
  ready: boolean;
  /** Requests sent to the worker and not answered yet. */
  readonly inFlight: Set<number>;
  /** Messages sent to the worker and not answered yet. */
  messages: number;
  /** Messages given to the channel and not yet written to it. */
  unwritten: number;
  /** Set when the worker has exited: its channel's late write callbacks count for nothing. */
  exited: boolean;
}

/** How requests are grouped into messages to a worker. */
export interface VerifyPoolShape {
  /** Requests per message at most (default 8). */
  readonly maxBatch?: number;
  /**
   * Messages a worker may hold unanswered (default 1: the next message waits for the reply, so
   * a request is never queued behind a worker's backlog). A caller that verifies ahead of its
   * own work (the batch builder) sends more, so that the worker never waits for the caller's
   * event loop to hand it the next message.
   */
  readonly maxMessagesInFlight?: number;
  /**
   * Where the `size` workers run (the header): "threads" by default when the native addon loads
   * and the js backend is not forced, else "processes".
   */
  readonly transport?: VerifyTransport;
  /**
   * Threads only: for this long after its last job one idle verifier thread polls the queue
   * every 200 µs instead of sleeping (native/src/verify_pool.c), so that orders arriving one at
   * a time are not each charged a cross-core wake on the caller's thread. Default
   * `DEFAULT_POLL_WINDOW_US`; 0 never polls.
   */
  readonly pollWindowUs?: number;
}

/**
 * How long a verifier thread polls after its last job. At 2,000 orders a second (one every
 * 500 µs) a thread keeps polling; after 10 ms without an order it sleeps until signalled.
 */
export const DEFAULT_POLL_WINDOW_US = 10_000;

export type VerifyTransport = "threads" | "processes";

/** The transport a pool gets by default here (`VerifyPoolShape.transport`). */
export function defaultVerifyTransport(): VerifyTransport {
  return process.env["TESSERA_CRYPTO"] !== "js" && loadNativeCrypto().addon !== null ? "threads" : "processes";
}

/** The addon's verifier threads of a pool whose transport is "threads". */
interface Threads {
  readonly addon: NativeCrypto;
  readonly verifier: NativeVerifier;
  /** Jobs submitted and not answered yet: their requests' ids, in order. */
  readonly jobs: Map<number, readonly number[]>;
  nextJob: number;
}

/** Thrown to callers whose request was lost with a dying worker. */
export class VerifierUnavailableError extends Error {
  readonly code = "UNAVAILABLE";
}

/** Thrown when the queue of requests waiting for a worker is full: the caller gets 503 OVERLOADED. */
export class VerifierBusyError extends Error {
  readonly code = "OVERLOADED";
}

/** Requests that may wait for a worker (about 5 s of work for two workers): more are refused. */
export const DEFAULT_MAX_QUEUE = 4096;

/** Poseidon's inputs at most (native/src/poseidon.h): the widest message a request may hash. */
const MAX_HASH_INPUTS = 16;

/** Requests per message by default: amortises IPC while bounding the wait for a whole batch. */
const MAX_BATCH = 8;

export class VerifyPool {
  private readonly slots: Slot[] = [];
  private readonly queue: VerifyRequest[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** Set while a dispatch is due at the end of this turn (`request`). */
  private dispatchDue = false;
  /** Callers of `started` waiting for every worker's first "ready". */
  private startWaiters: (() => void)[] = [];
  /** Messages given to `send` and not yet written to their worker's channel. */
  private unwritten = 0;
  /** Callers of `written` waiting for `unwritten` to reach 0. */
  private writeWaiters: (() => void)[] = [];
  /** Requests answered by a worker (`answered`). */
  private answeredCount = 0;
  /** The verifier threads (transport "threads"), or null (processes, or size 0). */
  private readonly threads: Threads | null = null;
  readonly transport: VerifyTransport;

  constructor(
    readonly size: number,
    /** Bound of the queue of requests waiting for a worker; beyond it `verify` rejects at once. */
    readonly maxQueue: number = DEFAULT_MAX_QUEUE,
    private readonly shape: VerifyPoolShape = {},
  ) {
    this.transport = shape.transport ?? defaultVerifyTransport();
    if (size > 0 && this.transport === "threads") {
      const addon = loadNativeCrypto().addon;
      if (addon === null) throw new Error("verifier threads need the native addon (npm run build:native)");
      const jobs = new Map<number, readonly number[]>();
      const verifier = addon.verifierCreate(
        size,
        (job, results) => this.onAnswers(job, results),
        shape.pollWindowUs ?? DEFAULT_POLL_WINDOW_US,
      );
      this.threads = { addon, verifier, jobs, nextJob: 1 };
    } else for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /** A job of the verifier threads is answered: `results[k]` is request k's message, or null. */
  private onAnswers(job: number, results: readonly (bigint | null)[]): void {
    const ids = this.threads?.jobs.get(job);
    if (ids === undefined) return; // closed meanwhile
    this.threads!.jobs.delete(job);
    this.answeredCount += ids.length;
    ids.forEach((id, k) => {
      const msg = results[k] ?? null;
      this.pending.get(id)?.resolve({ id, ok: msg !== null, msg: msg ?? 0n });
      this.pending.delete(id);
    });
    this.dispatch();
  }

  /** Hands queued requests to the verifier threads, at most `size × maxMessagesInFlight` jobs. */
  private dispatchThreads(t: Threads, maxBatch: number, maxMessages: number): void {
    while (this.queue.length > 0 && t.jobs.size < this.size * maxMessages) {
      // A request whose message is the hash of other than 1..16 inputs is refused alone: its
      // width could not be written in the job's byte, and no other request may pay for it.
      const batch = this.queue.splice(0, maxBatch).filter((r) => {
        if ("msg" in r || (r.hashInputs.length >= 1 && r.hashInputs.length <= MAX_HASH_INPUTS)) return true;
        this.pending.get(r.id)?.reject(new RangeError(`an order hash takes 1..${MAX_HASH_INPUTS} inputs`));
        this.pending.delete(r.id);
        return false;
      });
      if (batch.length === 0) continue;
      const widths = new Uint8Array(batch.length);
      const items: bigint[] = [];
      batch.forEach((r, k) => {
        items.push(r.ax, r.ay, r.r8x, r.r8y, r.s);
        if ("msg" in r) items.push(r.msg);
        else {
          widths[k] = r.hashInputs.length;
          items.push(...r.hashInputs);
        }
      });
      const job = t.nextJob;
      t.nextJob = t.nextJob === 0xffff_ffff ? 1 : t.nextJob + 1;
      try {
        t.addon.verifierSubmit(t.verifier, job, widths, items);
        t.jobs.set(
          job,
          batch.map((r) => r.id),
        );
      } catch (e) {
        // A request the addon cannot take (not a bigint, too many hash inputs): its callers get
        // the error, and the others are unaffected.
        for (const r of batch) {
          this.pending.get(r.id)?.reject(e instanceof Error ? e : new Error(String(e)));
          this.pending.delete(r.id);
        }
      }
    }
  }

  private spawn(): Slot {
    const worker = fork(fileURLToPath(new URL("./verify-worker.ts", import.meta.url)), [], {
      serialization: "advanced",
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    const slot: Slot = { worker, ready: false, inFlight: new Set(), messages: 0, unwritten: 0, exited: false };
    worker.on("message", (msg: VerifyReply[] | "ready") => {
      if (msg === "ready") {
        slot.ready = true;
        if (this.slots.every((s) => s.ready)) for (const w of this.startWaiters.splice(0)) w();
      } else {
        this.answeredCount += msg.length;
        for (const r of msg) {
          this.pending.get(r.id)?.resolve(r);
          this.pending.delete(r.id);
          slot.inFlight.delete(r.id);
        }
        slot.messages -= 1;
      }
      this.dispatch();
    });
    worker.on("error", () => undefined);
    worker.on("exit", () => {
      // Its unwritten messages will never be written: `written` must not wait for them.
      slot.exited = true;
      this.wrote(slot, slot.unwritten);
      for (const id of slot.inFlight) {
        this.pending.get(id)?.reject(new VerifierUnavailableError("signature verifier restarted: retry"));
        this.pending.delete(id);
      }
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) {
        this.slots[i] = this.spawn();
      }
    });
    worker.unref();
    worker.channel?.unref();
    return slot;
  }

  private dispatch(): void {
    const maxBatch = this.shape.maxBatch ?? MAX_BATCH;
    const maxMessages = this.shape.maxMessagesInFlight ?? 1;
    if (this.threads !== null) return this.dispatchThreads(this.threads, maxBatch, maxMessages);
    while (this.queue.length > 0) {
      // The ready worker with the fewest messages unanswered, below the bound.
      let slot: Slot | null = null;
      for (const s of this.slots)
        if (s.ready && s.messages < maxMessages && (slot === null || s.messages < slot.messages)) slot = s;
      if (slot === null) return;
      const batch = this.queue.splice(0, maxBatch);
      for (const r of batch) slot.inFlight.add(r.id);
      slot.messages += 1;
      this.unwritten += 1;
      slot.unwritten += 1;
      slot.worker.send(batch, undefined, undefined, () => {
        if (!slot.exited) this.wrote(slot, 1);
      });
    }
  }

  /**
   * Resolves once every worker has started (loaded its crypto and said so). A caller that
   * verifies ahead of its own work (the batch builder) waits for this once at start-up, bounded
   * by its own deadline, so its first batches are not built before its verifiers can help.
   */
  started(): Promise<void> {
    return this.slots.every((s) => s.ready) ? Promise.resolve() : new Promise((r) => this.startWaiters.push(r));
  }

  /** Counts `n` of `slot`'s messages as written (or lost with it). */
  private wrote(slot: Slot, n: number): void {
    slot.unwritten -= n;
    this.unwritten -= n;
    if (this.unwritten === 0) for (const w of this.writeWaiters.splice(0)) w();
  }

  /**
   * Resolves once every message sent to a worker so far has been written to its channel (or its
   * worker has exited). A channel takes what the socket's buffer holds and keeps the rest in this
   * process, to be written while its event loop turns: a caller about to hold its thread for long
   * (the batch builder) waits for this first, so that its workers have all their requests
   * meanwhile.
   */
  written(): Promise<void> {
    return this.unwritten === 0 ? Promise.resolve() : new Promise((r) => this.writeWaiters.push(r));
  }

  /** Messages sent to a worker and not yet written to its channel (see `written`). */
  get unwrittenMessages(): number {
    return this.unwritten;
  }

  /**
   * Threads only (null for processes): how often a submit woke a sleeping verifier thread, and
   * how often a polling thread looked at the queue, since the pool started.
   */
  get wakes(): { readonly signals: number; readonly polls: number } | null {
    return this.threads === null ? null : this.threads.addon.verifierStats(this.threads.verifier);
  }

  /** Requests waiting for a worker. */
  get queued(): number {
    return this.queue.length;
  }

  /** Requests a worker has answered since the pool started (valid or not). */
  get answered(): number {
    return this.answeredCount;
  }

  /** True iff `sig` is a valid signature of `msg` under `publicKey` (circomlib's rule). */
  async verify(publicKey: PublicKey, msg: bigint, sig: Signature): Promise<boolean> {
    if (this.size === 0) return verifyFast(publicKey, msg, sig);
    return (await this.request(publicKey, sig, { msg })).ok;
  }

  /**
   * The order hash of `signed` (`orderHash(order, domain)`, computed in a worker) if its
   * signature is valid under its key, else null: `verifyOrderSignatureRemote`'s `verify`.
   */
  async verifyOrder(signed: SignedOrder, domain: bigint): Promise<bigint | null> {
    if (this.size === 0) {
      const msg = orderHash(signed.order, domain);
      return verifyFast(signed.publicKey, msg, signed.signature) ? msg : null;
    }
    const reply = await this.request(signed.publicKey, signed.signature, {
      hashInputs: orderHashInputs(signed.order, domain),
    });
    return reply.ok ? reply.msg : null;
  }

  private request(
    publicKey: PublicKey,
    sig: Signature,
    what: { readonly msg: bigint } | { readonly hashInputs: readonly bigint[] },
  ): Promise<VerifyReply> {
    if (this.queue.length >= this.maxQueue)
      return Promise.reject(
        new VerifierBusyError(`${this.queue.length} signatures are waiting to be verified: retry in a second`),
      );
    const id = this.nextId++;
    return new Promise<VerifyReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.queue.push({
        id,
        ax: publicKey.x,
        ay: publicKey.y,
        r8x: sig.R8x,
        r8y: sig.R8y,
        s: sig.S,
        ...what,
      });
      // At the end of the turn, not now: a turn's requests (the orders one read of a socket
      // brought) go to a worker in one message, one write instead of one each.
      if (!this.dispatchDue) {
        this.dispatchDue = true;
        process.nextTick(() => {
          this.dispatchDue = false;
          this.dispatch();
        });
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.threads !== null) {
      this.threads.addon.verifierClose(this.threads.verifier);
      this.threads.jobs.clear();
    }
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.worker.exitCode !== null || s.worker.signalCode !== null) resolve();
            else {
              s.worker.ref();
              s.worker.once("exit", () => resolve());
              s.worker.kill();
            }
          }),
      ),
    );
    for (const p of this.pending.values()) p.reject(new VerifierUnavailableError("verifier closed"));
    this.pending.clear();
  }
}
