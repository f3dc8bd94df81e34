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
import { pick, rng } from "./generate.ts";

function edges(bits: number): bigint[] {
  return [0n, 1n, 2n, (1n << BigInt(bits)) - 2n, (1n << BigInt(bits)) - 1n];
}

const FIELD_EDGES = [0n, 1n, FIELD_MODULUS - 1n, FIELD_MODULUS / 3n];

/** An edge value of a `bits`-wide field. */
function edge(next: () => bigint, bits: number): bigint {
  return pick(next, edges(bits));
}

function signedOrder(next: () => bigint): SignedOrder {
  return {
    order: {
      accountId: edge(next, BITS.accountId),
      instrument: edge(next, BITS.instrument),
      side: pick(next, [0, 1] as const),
      size: edge(next, BITS.size),
      price: edge(next, BITS.price),
      orderId: edge(next, BITS.orderId),
      expiry: edge(next, BITS.timestamp),
      flags: edge(next, BITS.flags),
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
    for (let i = 0; i < 2_000; i++) {
      const fills: Fill[] = Array.from({ length: Number(next() % 4n) }, () => ({
        tradeId: edge(next, 64),
        kind: "trade",
        instrument: edge(next, BITS.instrument),
        price: edge(next, BITS.price),
        size: edge(next, BITS.size),
        takerSide: pick(next, [0, 1] as const),
        makerAccount: edge(next, BITS.accountId),
        makerOrderId: edge(next, BITS.orderId),
        takerAccount: edge(next, BITS.accountId),
        takerOrderId: edge(next, BITS.orderId),
        batch: edge(next, 64),
        slot: pick(next, [0, 1, 255, 511]),
        time: edge(next, 64),
      }));
      const cancelled: CancelledOrder[] = Array.from({ length: Number(next() % 3n) }, () => ({
        order: {
          accountId: edge(next, BITS.accountId),
          orderId: edge(next, BITS.orderId),
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
        remaining: edge(next, BITS.size),
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
