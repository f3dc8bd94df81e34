/**
 * The sequencer's commands: the only inputs that change the venue. Each is applied with the
 * `now` (unix milliseconds) at which it was accepted; the journal stores command and `now`, so
 * replaying the journal rebuilds the same books, state and batches.
 */
import { z } from "zod";
import { BITS } from "../../protocol/constants.ts";
import type { SignedOrder } from "../../protocol/types.ts";
import type { CancelReason } from "./engine/engine.ts";
import {
  accountIdSchema,
  clientOrderIdSchema,
  fieldElement,
  instrumentSchema,
  orderIdSchema,
  signedOrderSchema,
  uint,
} from "../wire.ts";

export type Command =
  | {
      readonly kind: "place";
      readonly order: SignedOrder;
      readonly clientOrderId: string | null;
      /** The cancel-on-disconnect group (WebSocket connection id) the order joins, if any. */
      readonly group?: string | null;
    }
  /** Reduces a resting order's size in place (it keeps its priority). */
  | { readonly kind: "amend"; readonly accountId: bigint; readonly orderId: bigint; readonly size: bigint }
  /** Arms (`at`, unix ms) or disarms (null) the account's dead-man switch. */
  | { readonly kind: "scheduleCancel"; readonly accountId: bigint; readonly at: bigint | null }
  /** Sets (config) or removes (null) the account's market-maker protection in an underlying. */
  | {
      readonly kind: "mmpConfig";
      readonly accountId: bigint;
      readonly underlying: number;
      readonly config: {
        readonly windowMs: bigint;
        readonly maxQuantity: bigint;
        readonly maxCount: number;
        /** |net delta| limit, 1e-4 units of the underlying; absent or 0: none (journals before it). */
        readonly maxDelta?: bigint;
      } | null;
    }
  /** Unfreezes the account's quotes in an underlying. */
  | { readonly kind: "mmpReset"; readonly accountId: bigint; readonly underlying: number }
  /** The dead-man switch of the account ran out: cancel all its orders (if still due at `now`). */
  | { readonly kind: "cancelScheduled"; readonly accountId: bigint }
  /** Cancels every resting order whose own signed expiry is before `now` (seconds). */
  | { readonly kind: "cancelExpired" }
  /**
   * Cancels every resting order of a cancel-on-disconnect group: its connection closed, or the
   * venue restarted (no connection outlives a restart).
   */
  | { readonly kind: "cancelGroup"; readonly group: string; readonly reason: CancelReason }
  | {
      readonly kind: "cancel";
      readonly accountId: bigint;
      readonly orderId: bigint;
      readonly reason: CancelReason;
    }
  | {
      readonly kind: "cancelAll";
      readonly accountId: bigint;
      readonly instrument: bigint | null;
      readonly reason: CancelReason;
    }
  | {
      readonly kind: "replace";
      readonly accountId: bigint;
      readonly oldOrderId: bigint;
      readonly order: SignedOrder;
      readonly clientOrderId: string | null;
      /** The cancel-on-disconnect group the new order joins, if any. */
      readonly group?: string | null;
    }
  /**
   * An L1 deposit. `queueIndex` is its position in the L1 priority queue (operations must be
   * applied in queue order); null for an operator deposit on a venue without L1.
   */
  | {
      readonly kind: "deposit";
      readonly accountId: bigint;
      readonly owner: bigint;
      readonly pkHash: bigint;
      readonly amount: bigint;
      readonly queueIndex: bigint | null;
    }
  /** An L1 forced withdrawal request (served min(requested, withdrawable), §6.8), in queue order. */
  | {
      readonly kind: "forcedWithdrawal";
      readonly accountId: bigint;
      readonly requested: bigint;
      readonly queueIndex: bigint | null;
    }
  /**
   * An L1 forced close of the account's whole position in `instrument` (by its owner), or a forced
   * settlement of an expired option (`settlement`, by anyone), in queue order (§6.10).
   */
  | {
      readonly kind: "forcedClose";
      readonly accountId: bigint;
      readonly instrument: bigint;
      readonly settlement: boolean;
      readonly queueIndex: bigint | null;
    }
  /**
   * New oracle prices in cents, index u−1 for underlying u, with the feed round that gives
   * each (0 when unknown, e.g. without L1); used by the next batch opened. `updatedAts`: when
   * each round was updated on L1 (unix seconds; absent or 0: unknown), so that the venue never
   * opens a batch L1 would refuse as stale (issue 14 F14).
   */
  | {
      readonly kind: "oracle";
      readonly prices: readonly bigint[];
      readonly roundIds: readonly bigint[];
      readonly updatedAts?: readonly bigint[];
    }
  /** Close the open batch (on time); a batch also closes by itself when full. */
  | { readonly kind: "closeBatch" }
  /**
   * A signed L2 withdrawal (docs/protocol.md §5.2): the withdrawal message signed as an order
   * with instrument 0; checked by protocol/ (free collateral) and paid on L1 to the owner.
   */
  | { readonly kind: "withdraw"; readonly withdrawal: SignedOrder }
  /** The funding updates due at `now` (one FUNDING per underlying whose interval elapsed). */
  | { readonly kind: "funding" }
  /** Stops trading in every option whose expiry has passed (its resting orders cancelled). */
  | { readonly kind: "expire" }
  /**
   * Settles every open position of the option series `(underlying, expiry)` at `price`
   * (cents), the feed answer of `roundId`, the round in force at expiry (§6.6, §8).
   */
  | {
      readonly kind: "settle";
      readonly underlying: number;
      readonly expiry: bigint;
      readonly price: bigint;
      readonly roundId: bigint;
    }
  /** Moves the whole fee pool to the fee account (FEE_SWEEP). */
  | { readonly kind: "sweepFees" };

export type CommandKind = Command["kind"];

const reasonSchema = z.enum(["user", "self_trade", "replaced", "disconnect", "maker_rejected", "scheduled", "mmp"]);

/** What a cancel-on-disconnect group (a WebSocket connection id) may be. */
export const GROUP_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A cancel-on-disconnect group: a WebSocket connection id. */
export const groupSchema = z.string().regex(GROUP_ID, "a connection id");

/** Decodes a journaled command (the same wire format as the API). */
export const commandSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("place"),
    order: signedOrderSchema,
    clientOrderId: clientOrderIdSchema.nullable(),
    group: groupSchema.nullable().optional(),
  }),
  z.object({ kind: z.literal("cancelGroup"), group: groupSchema, reason: reasonSchema }),
  z.object({
    kind: z.literal("amend"),
    accountId: accountIdSchema,
    orderId: orderIdSchema,
    size: uint(BITS.size, "size, 1e-4 units"),
  }),
  z.object({ kind: z.literal("scheduleCancel"), accountId: accountIdSchema, at: uint(63, "unix ms").nullable() }),
  z.object({ kind: z.literal("cancelScheduled"), accountId: accountIdSchema }),
  z.object({ kind: z.literal("cancelExpired") }),
  z.object({
    kind: z.literal("mmpConfig"),
    accountId: accountIdSchema,
    underlying: z.number().int().min(1).max(255),
    config: z
      .object({
        windowMs: uint(63, "window, ms"),
        maxQuantity: uint(BITS.size, "size, 1e-4 units"),
        maxCount: z.number().int().min(1),
        maxDelta: uint(BITS.size, "net delta, 1e-4 units").optional(),
      })
      .nullable(),
  }),
  z.object({ kind: z.literal("mmpReset"), accountId: accountIdSchema, underlying: z.number().int().min(1).max(255) }),
  z.object({ kind: z.literal("cancel"), accountId: accountIdSchema, orderId: orderIdSchema, reason: reasonSchema }),
  z.object({
    kind: z.literal("cancelAll"),
    accountId: accountIdSchema,
    instrument: instrumentSchema.nullable(),
    reason: reasonSchema,
  }),
  z.object({
    kind: z.literal("replace"),
    accountId: accountIdSchema,
    oldOrderId: orderIdSchema,
    order: signedOrderSchema,
    clientOrderId: clientOrderIdSchema.nullable(),
    group: groupSchema.nullable().optional(),
  }),
  z.object({
    kind: z.literal("deposit"),
    accountId: accountIdSchema,
    owner: uint(BITS.owner, "L1 owner address"),
    pkHash: fieldElement,
    amount: uint(BITS.amount, "quote base units"),
    queueIndex: uint(64, "L1 priority queue index").nullable(),
  }),
  z.object({
    kind: z.literal("forcedWithdrawal"),
    accountId: accountIdSchema,
    requested: uint(BITS.amount, "quote base units"),
    queueIndex: uint(64, "L1 priority queue index").nullable(),
  }),
  z.object({
    kind: z.literal("forcedClose"),
    accountId: accountIdSchema,
    instrument: uint(BITS.instrument, "instrument id"),
    settlement: z.boolean(),
    queueIndex: uint(64, "L1 priority queue index").nullable(),
  }),
  z.object({
    kind: z.literal("oracle"),
    prices: z.array(uint(BITS.price, "cents")).min(1),
    roundIds: z.array(uint(80, "feed round id")).min(1),
    updatedAts: z.array(uint(64, "unix seconds")).min(1).optional(),
  }),
  z.object({ kind: z.literal("closeBatch") }),
  z.object({ kind: z.literal("withdraw"), withdrawal: signedOrderSchema }),
  z.object({ kind: z.literal("funding") }),
  z.object({ kind: z.literal("expire") }),
  z.object({
    kind: z.literal("settle"),
    underlying: z.number().int().min(1).max(255),
    expiry: uint(BITS.timestamp, "unix seconds"),
    price: uint(BITS.price, "cents"),
    roundId: uint(80, "feed round id"),
  }),
  z.object({ kind: z.literal("sweepFees") }),
]);
