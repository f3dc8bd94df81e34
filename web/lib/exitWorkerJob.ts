/**
 * The heavy half of the exodus exit, run by the dedicated worker `exit.worker.ts`: replay every
 * verified batch's posted data on the genesis state (protocol/rebuild.ts), check the result
 * against the rollup's last verified root, and compute the `exit` arguments of the wallet's
 * accounts. Pure and synchronous: everything it needs arrives in one `RebuildRequest` of plain,
 * structured-cloneable data read from L1 on the page (web/lib/exit.ts), so it never touches the
 * network and the page stays responsive while it runs.
 */
import { getProfile } from "../../protocol/profiles.ts";
import { applyPostedBatch, exitArguments, RebuildError } from "../../protocol/rebuild.ts";
import type { ExitArguments, PostedBatch, RebuildErrorCode } from "../../protocol/rebuild.ts";
import { RollupState } from "../../protocol/state.ts";
import type { SystemAccountKeys } from "../../protocol/state.ts";

export type ExitErrorCode =
  "MISSING_BATCHES" | "GENESIS_MISMATCH" | "STALE_ROOT" | "NO_ACCOUNT" | "NO_ROUND" | "WORKER_FAILED" | "CANCELLED";

/** The exit could not be prepared from L1; the message says why in plain words. */
export class ExitError extends Error {
  readonly code: ExitErrorCode;

  constructor(code: ExitErrorCode, message: string) {
    super(message);
    this.name = "ExitError";
    this.code = code;
  }
}

/** One verified batch's posted data, with its 1-based number on L1. */
export interface NumberedBatch extends PostedBatch {
  readonly number: bigint;
}

/** What the worker is asked to do: all of it read from L1. */
export interface RebuildRequest {
  /** Circuit profile name the rollup runs (circuits/profiles.json). */
  readonly profile: string;
  /** Keys of the system accounts 0 (fees) and 1 (insurance), from `accountOwner` / `accountPkHash`. */
  readonly system: { readonly feeAccount: SystemAccountKeys; readonly insurance: SystemAccountKeys };
  /** The root before the first verified batch (its `oldStateRoot`; the current root if none). */
  readonly genesisRoot: bigint;
  /** Every verified batch, oldest first. */
  readonly batches: readonly NumberedBatch[];
  /** The rollup's signature domain (`domainSeparator`). */
  readonly domain: bigint;
  /** The rollup's last verified state root, which the replay must reach. */
  readonly stateRoot: bigint;
  /** The wallet, as a field element (its 160-bit address). */
  readonly owner: bigint;
  /** Registered accounts of `owner` that have not exited. */
  readonly accountIds: readonly bigint[];
}

/** One position slot of a rebuilt account: enough to tell whether it is an expired option. */
export interface SlotPosition {
  readonly instrument: bigint;
  /** Signed size in the instrument's size units; 0 for an empty slot. */
  readonly size: bigint;
}

/** The exit of one account: `exit` arguments but the settlement round ids, and its positions. */
export interface RebuiltExit {
  readonly args: ExitArguments;
  readonly positions: readonly SlotPosition[];
}

/**
 * A failure as plain data: structured cloning keeps an error's message but not its class or
 * `code`, so the worker sends these fields and the page rebuilds the typed error (`fromFailure`).
 */
export type WorkerFailure =
  | { readonly kind: "exit"; readonly code: ExitErrorCode; readonly message: string }
  | {
      readonly kind: "rebuild";
      readonly code: RebuildErrorCode;
      readonly batchNumber: bigint;
      readonly slot: number | undefined;
      readonly reason: string;
    };

/** Messages from the worker to the page. */
export type WorkerMessage =
  | { readonly type: "progress"; readonly done: number; readonly total: number }
  | { readonly type: "done"; readonly exits: readonly RebuiltExit[] }
  | { readonly type: "failed"; readonly failure: WorkerFailure };

/** `RebuildError`'s message prefix (`CODE: batch N[, slot S]: `), which its constructor adds again. */
const REBUILD_PREFIX = /^[A-Z_]+: batch \d+(, slot \d+)?: /;

/** The plain data of any error thrown in the worker. */
export function toFailure(error: unknown): WorkerFailure {
  if (error instanceof ExitError) return { kind: "exit", code: error.code, message: error.message };
  if (error instanceof RebuildError) {
    const { code, batchNumber, slot } = error;
    return { kind: "rebuild", code, batchNumber, slot, reason: error.message.replace(REBUILD_PREFIX, "") };
  }
  const message = `Rebuilding the state failed: ${error instanceof Error ? error.message : String(error)}`;
  return { kind: "exit", code: "WORKER_FAILED", message };
}

/** The typed error a `WorkerFailure` describes: `ExitError` or `RebuildError`. */
export function fromFailure(failure: WorkerFailure): ExitError | RebuildError {
  return failure.kind === "exit"
    ? new ExitError(failure.code, failure.message)
    : new RebuildError(failure.code, failure.batchNumber, failure.slot, failure.reason);
}

/**
 * Replays `request.batches` and returns the exits of the requested accounts that the rebuilt
 * state holds for `request.owner`. `onBatch(done, total)` runs after each batch. Throws
 * `RebuildError` when a posted batch does not replay, and `ExitError` (plain words) when the
 * genesis or the final root is not the rollup's or no requested account is in the state.
 */
export function rebuildExits(request: RebuildRequest, onBatch: (done: number, total: number) => void): RebuiltExit[] {
  const profile = getProfile(request.profile);
  const state = RollupState.genesis(profile, request.system);
  if (state.stateRoot !== request.genesisRoot) {
    throw new ExitError(
      "GENESIS_MISMATCH",
      `The genesis state built from the rollup's system accounts does not match the first batch. Is the deployment's profile (${profile.name}) the one the rollup runs?`,
    );
  }
  const total = request.batches.length;
  for (const [i, batch] of request.batches.entries()) {
    applyPostedBatch(state, batch, request.domain, batch.number);
    onBatch(i + 1, total);
  }
  if (state.stateRoot !== request.stateRoot) {
    throw new ExitError("STALE_ROOT", "A new batch was verified while the state was rebuilt. Try again.");
  }
  // An account whose first deposit no batch served is not in the state: its deposit is refunded instead.
  const inState = request.accountIds.filter((id) => state.account(id).owner === request.owner);
  if (inState.length === 0) {
    throw new ExitError(
      "NO_ACCOUNT",
      "No account of this wallet is in the last verified state: refund its unserved deposits instead.",
    );
  }
  return inState.map((id) => {
    const proof = state.exitProof(id);
    return {
      args: exitArguments(proof),
      positions: proof.account.positions.map((p) => ({ instrument: p.instrument, size: p.size })),
    };
  });
}
