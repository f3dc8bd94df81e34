/**
 * The journal's text for orders (sequencer/core/journal-text.ts) against `toJson`, the generic
 * encoder it stands in for: the `place` command's body must be the same text and parse to the same
 * command, and a placed order's digest must be the same text byte for byte (a replay compares it
 * with the journaled one). Values at each field's edges (0, 1, 2^n − 1 from protocol/'s bit
 * widths, p − 1 for field elements), strings that JSON must escape, every optional shape.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BITS } from "../../protocol/constants.ts";
import { FIELD_MODULUS } from "../../protocol/field.ts";
import type { SignedOrder } from "../../protocol/types.ts";
import { commandSchema } from "../../sequencer/core/commands.ts";
import type { Command } from "../../sequencer/core/commands.ts";
import type { CancelledOrder, CancelReason, Fill, PlaceResult } from "../../sequencer/core/engine/engine.ts";
import type { RestingOrder } from "../../sequencer/core/engine/book.ts";
import { placeCommandJson, placedDigest, placedDigestValue } from "../../sequencer/core/journal-text.ts";
import { SequencerError } from "../../sequencer/errors.ts";
import { toJson } from "../../sequencer/wire.ts";

/** A deterministic generator (xorshift64*), so a failure names its case. */
function rng(seed: bigint): () => bigint {
  let x = seed | 1n;
  return () => {
    x ^= x >> 12n;
    x ^= (x << 25n) & 0xffff_ffff_ffff_ffffn;
    x ^= x >> 27n;
    return (x * 0x2545_f491_4f6c_dd1dn) & 0xffff_ffff_ffff_ffffn;
  };
}

function edges(bits: number): bigint[] {
  return [0n, 1n, 2n, (1n << BigInt(bits)) - 2n, (1n << BigInt(bits)) - 1n];
}

const FIELD_EDGES = [0n, 1n, FIELD_MODULUS - 1n, FIELD_MODULUS / 3n];

function pick<T>(next: () => bigint, xs: readonly T[]): T {
  return xs[Number(next() % BigInt(xs.length))]!;
}

function signedOrder(next: () => bigint): SignedOrder {
  return {
    order: {
      accountId: pick(next, edges(BITS.accountId)),
      instrument: pick(next, edges(BITS.instrument)),
      side: pick(next, [0, 1] as const),
      size: pick(next, edges(BITS.size)),
      price: pick(next, edges(BITS.price)),
      orderId: pick(next, edges(BITS.orderId)),
      expiry: pick(next, edges(BITS.timestamp)),
      flags: pick(next, edges(BITS.flags)),
    },
    signature: { R8x: pick(next, FIELD_EDGES), R8y: pick(next, FIELD_EDGES), S: pick(next, FIELD_EDGES) },
    publicKey: { x: pick(next, FIELD_EDGES), y: pick(next, FIELD_EDGES) },
  };
}

/** Valid client order ids and connection ids (what the schema admits), and null. */
const VALID_IDS = [null, "a", "A-Za-z0-9_.:", "x".repeat(36)];
/** Strings JSON must escape: the fast path must write them as JSON.stringify does. */
const AWKWARD = ['"', "\\", "\n\t\u0000\u001f", "é€😀", "\u2028\u2029", "</script>"];

describe("the journal's text for orders", () => {
  test("a place command's body is toJson's text and parses to the same command", () => {
    const next = rng(0x7e55e7an);
    for (let i = 0; i < 2_000; i++) {
      const order = signedOrder(next);
      const clientOrderId = pick(next, VALID_IDS);
      const shape = Number(next() % 3n);
      const command: Extract<Command, { kind: "place" }> =
        shape === 0
          ? { kind: "place", order, clientOrderId }
          : { kind: "place", order, clientOrderId, group: shape === 1 ? null : pick(next, ["conn-1", "c_9"]) };
      const text = placeCommandJson(command);
      assert.equal(text, toJson(command), `case ${i}`);
      assert.deepEqual(commandSchema.parse(JSON.parse(text)), commandSchema.parse(JSON.parse(toJson(command))));
      // As the API hands it over: parsed by the schema, in the schema's key order.
      const parsed = commandSchema.parse(JSON.parse(text));
      assert.equal(parsed.kind, "place");
      if (parsed.kind === "place") assert.equal(placeCommandJson(parsed), toJson(parsed), `case ${i}, parsed`);
    }
    for (const s of AWKWARD) {
      const command = { kind: "place", order: signedOrder(rng(7n)), clientOrderId: s, group: s } as const;
      assert.equal(placeCommandJson(command), toJson(command), JSON.stringify(s));
    }
  });

  test("a placed order's digest is toJson's text, byte for byte", () => {
    const next = rng(0xd19e57n);
    const reasons: CancelReason[] = ["user", "self_trade", "replaced", "maker_rejected", "mmp", "liquidation"];
    const u64 = edges(64);
    for (let i = 0; i < 2_000; i++) {
      const fills: Fill[] = Array.from({ length: Number(next() % 4n) }, () => ({
        tradeId: pick(next, u64),
        kind: "trade",
        instrument: pick(next, edges(BITS.instrument)),
        price: pick(next, edges(BITS.price)),
        size: pick(next, edges(BITS.size)),
        takerSide: pick(next, [0, 1] as const),
        makerAccount: pick(next, edges(BITS.accountId)),
        makerOrderId: pick(next, edges(BITS.orderId)),
        takerAccount: pick(next, edges(BITS.accountId)),
        takerOrderId: pick(next, edges(BITS.orderId)),
        batch: pick(next, u64),
        slot: pick(next, [0, 1, 255, 511]),
        time: pick(next, u64),
      }));
      const cancelled: CancelledOrder[] = Array.from({ length: Number(next() % 3n) }, () => ({
        order: {
          accountId: pick(next, edges(BITS.accountId)),
          orderId: pick(next, edges(BITS.orderId)),
        } as RestingOrder,
        reason: pick(next, reasons),
        code: null,
      }));
      const result: PlaceResult = {
        accountId: 2n,
        orderId: 1n,
        instrument: 1n,
        clientOrderId: null,
        status: pick(next, ["resting", "filled", "cancelled"] as const),
        filled: 0n,
        remaining: pick(next, edges(BITS.size)),
        fills,
        cancelled,
        stopCode: null,
        rejection: pick(next, [
          null,
          new SequencerError("ORDER_EXPIRED", "expired"),
          new SequencerError("BAD_REQUEST", 'a "quoted" reason'),
        ]),
      };
      assert.equal(placedDigest(result), toJson(placedDigestValue(result)), `case ${i}`);
    }
  });
});
