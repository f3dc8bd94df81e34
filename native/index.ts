/**
 * Loader of the native crypto addon (native/src, built by native/build.mjs at `npm install`).
 * Node-API, so one build loads in Node 20 and 22, in the main thread and in workers.
 */

/** The addon's functions. Inputs must be canonical field elements (0 <= x < p): anything
 * else throws a RangeError with code OUT_OF_RANGE. */
export interface NativeCrypto {
  /** Poseidon of 1..16 inputs (circomlibjs `poseidon`, one output). */
  poseidon(inputs: readonly bigint[]): bigint;
  /** `poseidon` with the portable C field multiplication, whatever the CPU (for tests). */
  poseidonPortable(inputs: readonly bigint[]): bigint;
  /** The field multiplication `poseidon` uses here: x86-64 BMI2+ADX assembly, or portable C. */
  readonly multiplier: "adx" | "c";
  /** EdDSA-Poseidon verification with the rule of protocol/eddsa-fast.ts `verifyFast`: false
   * for out-of-range values (negative, coordinates or msg ≥ p, S ≥ L). */
  eddsaVerify(ax: bigint, ay: bigint, r8x: bigint, r8y: bigint, s: bigint, msg: bigint): boolean;
  /** The calling thread's key cache of `eddsaVerify`: keys remembered (after a successful
   * verification) and keys with a precomputed table (after 4). A cost, never a rule. */
  eddsaCacheStats(): { readonly keys: number; readonly tables: number };
  /** Forgets the calling thread's keys and frees their tables (tests). */
  eddsaCacheClear(): void;
  /** `inputs.length / width` hashes: hash k of `inputs[k·width .. (k+1)·width)`. */
  poseidonMany(inputs: readonly bigint[], width: number): bigint[];
  /** Poseidon of `input` (n × 32 bytes, little-endian field elements), written to `out[0..32)`. */
  poseidonBytes(input: Uint8Array, out: Uint8Array): void;
  /** `input.length / (32·width)` hashes of `width` little-endian elements each, into `out`. */
  poseidonBatch(input: Uint8Array, width: number, out: Uint8Array): void;
  /** Starts hashing a plan of dependent rows on a thread of its own (native/src/poseidon_memo.h):
   * row r hashes `widths[r]` (1..4) inputs, input i being `spec[4r + i]`: `literals[s]` for
   * s >= 0, else the output of the earlier row −s − 1. */
  poseidonJobStart(widths: Uint8Array, spec: Int32Array, literals: readonly bigint[]): NativePoseidonJob;
  /** Waits for the job and returns every row's hash; the first call also has the calling thread
   * remember each row, so that `poseidon` of the same inputs answers from the memo until
   * `poseidonMemoReset`. */
  poseidonJobFinish(job: NativePoseidonJob): bigint[];
  /** Forgets what the calling thread remembers. */
  poseidonMemoReset(): void;
  /** The calling thread's memo: lookups it answered and did not while it held rows (counted
   * since the thread started), rows it holds now, and rows not remembered since the last reset
   * (their probe run was full). */
  poseidonMemoStats(): {
    readonly hits: number;
    readonly misses: number;
    readonly entries: number;
    readonly dropped: number;
  };
  /**
   * EdDSA verification on `threads` (1..64) threads of this process (native/src/verify_pool.h),
   * each with its own key cache. `onDone(id, results)` runs on this thread once per
   * `verifierSubmit`: `results[k]` is request k's message if its signature is valid, else null.
   * An idle verifier does not keep the process alive. For `pollWindowUs` (0..1,000,000, default 0)
   * after its last job one idle thread looks at the queue every 100 µs instead of sleeping, so
   * that a submit it will find need not wake a thread (native/src/verify_pool.c).
   */
  verifierCreate(
    threads: number,
    onDone: (id: number, results: readonly (bigint | null)[]) => void,
    pollWindowUs?: number,
  ): NativeVerifier;
  /**
   * Queues one job. Request k takes `items`' next elements: ax, ay, r8x, r8y, s, then its message
   * (`widths[k]` 0) or the `widths[k]` (1..16) inputs whose Poseidon hash is its message. A value
   * that is not a canonical field element makes its request invalid (null), never an error; an
   * element that is not a bigint, or lengths that disagree, throw and queue nothing.
   */
  verifierSubmit(verifier: NativeVerifier, id: number, widths: Uint8Array, items: readonly bigint[]): void;
  /** Sleepers the verifier's submits signalled, and looks at its queue by a polling thread, so far. */
  verifierStats(verifier: NativeVerifier): { readonly signals: number; readonly polls: number };
  /**
   * `fdatasync(fd)` on a thread of its own (native/src/sync_thread.h), for the journal's group
   * commit. `onDone(token, errno)` runs on this thread after each sync, with the latest token
   * it covers (errno 0 on success). For `pollWindowUs` (0..1,000,000) after its last sync the
   * thread polls for the next request every 200 µs, so that a request wakes no thread. The fd
   * must stay open until `syncerClose`. An idle syncer does not keep the process alive.
   */
  syncerCreate(fd: number, onDone: (token: number, errno: number) => void, pollWindowUs: number): NativeSyncer;
  /** Asks for a sync covering every write made to the file before this call. */
  syncerRequest(syncer: NativeSyncer, token: number): void;
  /** While `on`, the syncer keeps the process alive (a sync is awaited); off by default. */
  syncerKeepAlive(syncer: NativeSyncer, on: boolean): void;
  /** Requests that woke the sleeping thread, looks by the polling thread, and syncs run, so far. */
  syncerStats(syncer: NativeSyncer): { readonly signals: number; readonly polls: number; readonly syncs: number };
  /** Stops the thread (joined: a sync running reports first; a request not started is dropped). Idempotent. */
  syncerClose(syncer: NativeSyncer): void;
  /** Stops the verifier's threads: running jobs still report, queued ones do not. Idempotent. */
  verifierClose(verifier: NativeVerifier): void;
  /** `(Σ a[i]·b[i]) · 2^-256 mod p` with one reduction (1..17 terms): Poseidon's lazy sums, for tests. */
  fieldDotMontgomery(a: readonly bigint[], b: readonly bigint[], portable: boolean): bigint;
}

/** The journal's sync thread in the addon (`syncerCreate`); stopped when closed or collected. */
export type NativeSyncer = { readonly __nativeSyncer: unique symbol };

/** Verifier threads in the addon (`verifierCreate`); stopped when closed or collected. */
export type NativeVerifier = { readonly __nativeVerifier: unique symbol };

/** A hashing job running in the addon (`poseidonJobStart`); freed when collected. */
export type NativePoseidonJob = { readonly __nativePoseidonJob: unique symbol };

export interface NativeLoad {
  readonly addon: NativeCrypto | null;
  /** Why the addon did not load (null when it did). */
  readonly error: string | null;
}

export const ADDON_PATH = "./build/Release/tessera_crypto.node";

/**
 * The addon's path, resolved at run time only: bundlers (the web app's Next/Turbopack build,
 * which imports protocol/ for the browser) must not try to place a `.node` file in a chunk.
 * In a browser there is no Node.js, and the pure-JS backend is used.
 */
function addonPath(): string | null {
  if (typeof process === "undefined" || typeof process.versions?.node !== "string") return null;
  return process.env["TESSERA_NATIVE_ADDON"] ?? ADDON_PATH;
}

let loaded: NativeLoad | null = null;

/** Loads the addon once per thread; never throws. */
export function loadNativeCrypto(): NativeLoad {
  if (loaded === null) {
    try {
      const file = addonPath();
      if (file === null) {
        loaded = { addon: null, error: "not running on Node.js" };
        return loaded;
      }
      // node:module through process (Node >= 20.16), not an import: the web app's browser bundle
      // of protocol/ must not reference a Node built-in.
      const { createRequire } = process.getBuiltinModule("node:module");
      const addon = createRequire(import.meta.url)(
        /* turbopackIgnore: true */ /* webpackIgnore: true */ file,
      ) as NativeCrypto;
      loaded = { addon, error: null };
    } catch (err) {
      const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
      loaded = { addon: null, error: `${message} (build it with npm run build:native)` };
    }
  }
  return loaded;
}
