/**
 * The venue's health gate (issue 14 F14, F15): which commands the core takes, from
 *
 * - the price rounds: a round older than L1's `maxOracleAge` at `now` makes every batch opened
 *   now one L1 refuses if a slot reads prices, so price-dependent commands wait (`PRICE_STALE`)
 *   until a fresh round; the rest (deposits, settlements, flat withdrawals) go on, L1 waiving the
 *   age bound for a batch none of whose slots reads a price (finding F13);
 * - the batch backlog (closed batches not yet final on L1: unproved, proved, sent): past a bound
 *   in count or age only cancels are taken (`CANCEL_ONLY`), past a higher bound nothing that
 *   makes a transaction (`HALTED`); both recover by themselves once the backlog drains;
 * - a batch that failed for good (its proof, or its L1 submission): `HALTED` until the operator
 *   restarts the venue (a restart retries the failed batch, docs/deployment.md); likewise when L1
 *   went back on a batch or a credited L1 operation the venue held final (`L1_REORG`).
 *
 * Pure: the core passes `now` in. Cancels (and the commands that only remove orders) always pass,
 * except after a batch the circuit refuses (`Sequencer.refuseBatch`), which stops everything.
 */
import type { CommandKind } from "./commands.ts";
import { SequencerError } from "../errors.ts";

/**
 * The detail code of a batch failed because L1 went back on what the venue held final (a reorg
 * deeper than the confirmation depth, l1/submitter.ts and l1/watcher.ts): the reason after it is
 * shown as is (it names the batch or block and tells the operator what to do).
 */
export const L1_REORG = "L1_REORG";

/** The rollup contract's limits the venue must respect, read at start (seconds). */
export interface L1Limits {
  readonly maxOracleAge: bigint;
  readonly maxBatchLag: bigint;
  readonly priceRoundGrace: bigint;
  readonly forcedRequestDeadline: bigint;
}

/** Backlog bounds: batches closed but not final on L1, by count and by the oldest one's age. */
export interface HealthBounds {
  readonly cancelOnlyBatches: number;
  readonly cancelOnlyAgeMs: bigint;
  readonly haltBatches: number;
  readonly haltAgeMs: bigint;
}

/**
 * Defaults (docs/deployment.md): cancel-only at 64 batches or 10 minutes, halted at 256 batches or
 * 20 minutes (the count bounds the memory and the provers' queue; the age keeps L1's lag). The age bounds are capped at a quarter and a half of L1's `maxBatchLag`, so a batch
 * waiting in the backlog is never one L1 would refuse as too old (`BatchTooOld`).
 */
export const DEFAULT_HEALTH_BOUNDS: HealthBounds = {
  cancelOnlyBatches: 64,
  cancelOnlyAgeMs: 600_000n,
  haltBatches: 256,
  haltAgeMs: 1_200_000n,
};

export type VenueMode = "normal" | "price_stale" | "cancel_only" | "halted";

export interface StaleFeed {
  readonly underlying: number;
  readonly roundId: bigint;
  /** Unix seconds. */
  readonly updatedAt: bigint;
  readonly ageSeconds: bigint;
}

export interface Backlog {
  /** Closed batches not final on L1 (unproved, proved, or sent and waiting for confirmations). */
  readonly batches: number;
  readonly unproved: number;
  /** The oldest of them and how long ago it opened (ms), or null. */
  readonly oldestBatch: bigint | null;
  readonly oldestAgeMs: bigint | null;
}

export interface Health {
  /** The strictest gate in force. */
  readonly mode: VenueMode;
  /** The error code commands refused by that gate get (null: normal). */
  readonly code: "PRICE_STALE" | "CANCEL_ONLY" | "HALTED" | null;
  /** Every reason in force, in words a person can act on. */
  readonly reasons: readonly string[];
  readonly staleFeeds: readonly StaleFeed[];
  readonly backlog: Backlog;
  /** A batch that failed for good (operator action needed), or null. */
  readonly failedBatch: { readonly batch: bigint; readonly reason: string } | null;
  /** Null: no backlog gate (a venue without L1, whose batches never become final). */
  readonly bounds: HealthBounds | null;
  readonly limits: L1Limits | null;
}

/** The bounds in force: the configured ones with their ages capped by L1's `maxBatchLag`. */
export function effectiveBounds(bounds: HealthBounds, limits: L1Limits | null): HealthBounds {
  if (limits === null) return bounds;
  const lagMs = limits.maxBatchLag * 1000n;
  const min = (a: bigint, b: bigint) => (a < b ? a : b);
  return {
    ...bounds,
    cancelOnlyAgeMs: min(bounds.cancelOnlyAgeMs, lagMs / 4n),
    haltAgeMs: min(bounds.haltAgeMs, lagMs / 2n),
  };
}

/** What the backlog alone makes of the venue: `assessHealth`'s rule, shared with the core's gate. */
export function backlogGate(
  batches: number,
  oldestAgeMs: bigint | null,
  bounds: HealthBounds | null,
): "open" | "cancel_only" | "halted" {
  if (bounds === null) return "open";
  if (batches >= bounds.haltBatches || (oldestAgeMs !== null && oldestAgeMs >= bounds.haltAgeMs)) return "halted";
  if (batches >= bounds.cancelOnlyBatches || (oldestAgeMs !== null && oldestAgeMs >= bounds.cancelOnlyAgeMs))
    return "cancel_only";
  return "open";
}

export interface HealthInput {
  readonly now: bigint;
  readonly limits: L1Limits | null;
  readonly bounds: HealthBounds | null;
  readonly prices: {
    readonly roundIds: readonly bigint[];
    readonly updatedAts: readonly bigint[];
    readonly stale: readonly number[];
  };
  /** Pending batches, oldest first: number, unix ms it opened, proved or not. */
  readonly pending: readonly { readonly number: bigint; readonly openedAt: bigint; readonly proved: boolean }[];
  readonly failed: { readonly batch: bigint; readonly reason: string } | null;
  readonly refused: { readonly batch: bigint; readonly reason: string } | null;
}

export function assessHealth(input: HealthInput): Health {
  const bounds = input.bounds === null ? null : effectiveBounds(input.bounds, input.limits);
  const t = input.now / 1000n;
  const staleFeeds = input.prices.stale.map((u) => {
    const updatedAt = input.prices.updatedAts[u - 1]!;
    return { underlying: u, roundId: input.prices.roundIds[u - 1]!, updatedAt, ageSeconds: t - updatedAt };
  });
  const oldest = input.pending[0];
  const backlog: Backlog = {
    batches: input.pending.length,
    unproved: input.pending.filter((b) => !b.proved).length,
    oldestBatch: oldest?.number ?? null,
    oldestAgeMs: oldest === undefined ? null : input.now - oldest.openedAt,
  };
  const halting: string[] = [];
  const cancelOnly: string[] = [];
  if (input.refused !== null) halting.push(input.refused.reason);
  if (input.failed !== null && input.failed.reason.startsWith(`${L1_REORG}:`)) halting.push(input.failed.reason);
  else if (input.failed !== null)
    halting.push(
      `batch ${input.failed.batch} failed (${input.failed.reason}): nothing after it can reach L1. ` +
        "Operator: fix the cause (prover, L1 node, operator key and funds), then restart the venue; " +
        "the restart proves and sends the failed batch again (docs/deployment.md).",
    );
  const age = backlog.oldestAgeMs;
  const backlogText = `${backlog.batches} batches (${backlog.unproved} unproved) are not yet final on L1, the oldest (batch ${backlog.oldestBatch}) opened ${age === null ? 0n : age / 1000n} s ago`;
  const gate = backlogGate(backlog.batches, age, bounds);
  if (bounds === null || gate === "open") {
    // the backlog gate is off or open
  } else if (gate === "halted")
    halting.push(
      `${backlogText}; the venue takes no new transactions until they drain below ${bounds.haltBatches} batches and ${bounds.haltAgeMs / 1000n} s (check the provers and the L1 submitter)`,
    );
  else
    cancelOnly.push(
      `${backlogText}; only cancels are taken until they drain below ${bounds.cancelOnlyBatches} batches and ${bounds.cancelOnlyAgeMs / 1000n} s`,
    );
  const staleText =
    staleFeeds.length === 0
      ? []
      : [
          `the price round of underlying ${staleFeeds.map((f) => `${f.underlying} (round ${f.roundId}, ${f.ageSeconds} s old)`).join(", ")} is older than L1's maxOracleAge (${input.limits?.maxOracleAge ?? 0n} s): trades, liquidations, funding and withdrawals from accounts with positions wait for a fresh round; cancels, deposits, settlements and withdrawals from accounts without positions go on (L1 takes a batch at a stale round when none of its slots reads a price)`,
        ];
  const reasons = [...halting, ...cancelOnly, ...staleText];
  const [mode, code]: [VenueMode, Health["code"]] =
    halting.length > 0
      ? ["halted", "HALTED"]
      : cancelOnly.length > 0
        ? ["cancel_only", "CANCEL_ONLY"]
        : staleFeeds.length > 0
          ? ["price_stale", "PRICE_STALE"]
          : ["normal", null];
  return {
    mode,
    code,
    reasons,
    staleFeeds,
    backlog,
    failedBatch: input.failed,
    bounds,
    limits: input.limits,
  };
}

/** Commands that only remove orders or close the open batch: taken in every mode. */
const ALWAYS: ReadonlySet<string> = new Set<CommandKind>([
  "cancel",
  "cancelAll",
  "cancelGroup",
  "cancelScheduled",
  "cancelExpired",
  "scheduleCancel",
  "amend",
  "mmpConfig",
  "mmpReset",
  "closeBatch",
  "expire",
]);

/**
 * Commands whose transactions read no price (protocol/priceUse.ts): under a stale feed they go on
 * in batches at the stale round (finding F13). A withdrawal is one when the account holds no
 * position, a forced close when it is refused or a settlement; the ledger refuses the others with
 * PRICE_STALE, and they wait like the rest.
 */
const PRICE_FREE: ReadonlySet<string> = new Set<CommandKind>([
  "deposit",
  "settle",
  "sweepFees",
  "forcedClose",
  "withdraw",
  "forcedWithdrawal",
]);

/** New risk a user asks for: refused in cancel-only mode. */
const USER_RISK: ReadonlySet<string> = new Set<CommandKind>(["place", "replace", "withdraw"]);

/**
 * Why `health` refuses a command of `kind`, or null when it is taken. Under a stale price every
 * price-dependent command waits (a batch opened now would carry the stale round), as does any
 * command but those in PRICE_FREE (the ledger then checks each transaction) and a new oracle
 * round, which is what ends it.
 */
export function gateError(health: Health, kind: string): SequencerError | null {
  if (ALWAYS.has(kind)) return null;
  const why = health.reasons.join("; ");
  if (health.mode === "halted") return new SequencerError("HALTED", `the venue is halted: ${why}`);
  if (health.mode === "cancel_only" && USER_RISK.has(kind))
    return new SequencerError("CANCEL_ONLY", `the venue is cancel-only: ${why}`);
  if (health.staleFeeds.length > 0 && kind !== "oracle" && !PRICE_FREE.has(kind))
    return new SequencerError("PRICE_STALE", `prices are stale: ${why}`);
  return null;
}

/** The health as `GET /v1/status` (`health`) and the WebSocket `status` message show it. */
export function healthView(h: Health) {
  return {
    mode: h.mode,
    code: h.code,
    reasons: h.reasons,
    staleFeeds: h.staleFeeds,
    backlog: h.backlog,
    failedBatch: h.failedBatch,
    bounds: h.bounds,
    limits: h.limits,
  };
}
