/**
 * The journal's binary body of a `place` command (sequencer/journal/place-body.ts) against the
 * JSON text it replaces, whose reader is `commandSchema`:
 * - every command the schema admits, with each number at its bound's edges (0, 1, 2, 2^n − 2,
 *   2^n − 1; p − 1 for field elements), round-trips to what its text parses to;
 * - a value just outside (2^n, p, −1, side 2, an id the schema refuses) is not encoded: the
 *   journal writes that command as text, where the schema decides;
 * - any body a bit flip, a cut or an extra byte makes is either refused or decodes to a command
 *   the schema admits and whose encoding is that very body (one body per command);
 * - a journal holding both kinds of rows (text written before this format, binary after) reads
 *   back every command as written.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { FIELD_MODULUS } from "../../protocol/field.ts";
import type { SignedOrder } from "../../protocol/types.ts";
import { commandSchema } from "../../sequencer/core/commands.ts";
import type { Command } from "../../sequencer/core/commands.ts";
import { placeCommandJson } from "../../sequencer/core/journal-text.ts";
import { Journal } from "../../sequencer/journal/journal.ts";
import { decodePlaceBody, encodePlaceBody, JournalBodyError } from "../../sequencer/journal/place-body.ts";
import { ORDER_FIELD_LIMITS } from "../../sequencer/wire.ts";
import { tempDb } from "./traders.ts";
import { pick, rng } from "./generate.ts";

type PlaceCommand = Extract<Command, { kind: "place" }>;

/** The admitted edges of a number below `bound`, and a random value below it. */
function edge(next: () => bigint, bound: bigint): bigint {
  const random = (next() * next() * next() * next()) % bound;
  return pick(next, [0n, 1n, 2n, bound - 2n, bound - 1n, bound / 3n, random]);
}

function signedOrder(next: () => bigint): SignedOrder {
  const L = ORDER_FIELD_LIMITS;
  const fe = (): bigint => edge(next, FIELD_MODULUS);
  return {
    order: {
      accountId: edge(next, L.accountId),
      instrument: edge(next, L.instrument),
      side: pick(next, [0, 1] as const),
      size: edge(next, L.size),
      price: edge(next, L.price),
      orderId: edge(next, L.orderId),
      expiry: edge(next, L.expiry),
      flags: edge(next, L.flags),
    },
    signature: { R8x: fe(), R8y: fe(), S: fe() },
    publicKey: { x: fe(), y: fe() },
  };
}

const CLIENT_IDS = [null, "a", "A-Za-z0-9_.:", "x".repeat(36)];
const GROUPS = ["c", "conn-1_A", "g".repeat(64)];

function placeCommand(next: () => bigint): PlaceCommand {
  const order = signedOrder(next);
  const clientOrderId = pick(next, CLIENT_IDS);
  const shape = Number(next() % 3n);
  return shape === 0
    ? { kind: "place", order, clientOrderId }
    : { kind: "place", order, clientOrderId, group: shape === 1 ? null : pick(next, GROUPS) };
}

/** What the journal's text of `c` reads back as. */
function viaText(c: PlaceCommand): Command {
  return commandSchema.parse(JSON.parse(placeCommandJson(c))) as Command;
}

describe("the place command's binary body", () => {
  test("every admitted command round-trips to what its text parses to, numbers at their edges", () => {
    const next = rng(0xb1a5en);
    for (let i = 0; i < 3_000; i++) {
      const c = placeCommand(next);
      const body = encodePlaceBody(c);
      assert.ok(body !== null, `case ${i}: encoded`);
      const decoded = decodePlaceBody(Buffer.from(body));
      assert.deepEqual(decoded, c, `case ${i}: the command itself`);
      assert.deepEqual(decoded, viaText(c), `case ${i}: as its text reads back`);
      // Smaller than the text it replaces.
      assert.ok(body.length < placeCommandJson(c).length / 2, `case ${i}: ${body.length} bytes`);
    }
  });

  test("a value the schema refuses is not encoded (the journal writes the text, where the schema decides)", () => {
    const base = placeCommand(rng(5n));
    const L = ORDER_FIELD_LIMITS;
    const withOrder = (patch: Partial<SignedOrder["order"]>): PlaceCommand => ({
      ...base,
      order: { ...base.order, order: { ...base.order.order, ...patch } },
    });
    const bad: [string, PlaceCommand][] = [
      ["accountId 2^n", withOrder({ accountId: L.accountId })],
      ["instrument 2^n", withOrder({ instrument: L.instrument })],
      ["size 2^n", withOrder({ size: L.size })],
      ["price 2^n", withOrder({ price: L.price })],
      ["orderId 2^n", withOrder({ orderId: L.orderId })],
      ["expiry 2^n", withOrder({ expiry: L.expiry })],
      ["flags 2^n", withOrder({ flags: L.flags })],
      ["price −1", withOrder({ price: -1n })],
      ["side 2", withOrder({ side: 2 as never })],
      ["S = p", { ...base, order: { ...base.order, signature: { ...base.order.signature, S: FIELD_MODULUS } } }],
      ["x = p", { ...base, order: { ...base.order, publicKey: { ...base.order.publicKey, x: FIELD_MODULUS } } }],
      ["empty client id", { ...base, clientOrderId: "" }],
      ["37-character client id", { ...base, clientOrderId: "x".repeat(37) }],
      ["client id with a space", { ...base, clientOrderId: "a b" }],
      ["non-ASCII client id", { ...base, clientOrderId: "é" }],
      ["65-character group", { ...base, group: "g".repeat(65) }],
      ["group with a dot", { ...base, group: "a.b" }],
    ];
    for (const [what, c] of bad) {
      assert.equal(encodePlaceBody(c), null, what);
      assert.throws(() => viaText(c), Error, `${what}: the text is refused too`);
    }
  });

  test("a damaged body is refused or is exactly the body of a command the schema admits", () => {
    const next = rng(0xdead_beefn);
    let refused = 0;
    let decoded = 0;
    for (let i = 0; i < 4_000; i++) {
      const body = Buffer.from(encodePlaceBody(placeCommand(next))!);
      const kind = Number(next() % 4n);
      let damaged: Buffer;
      if (kind === 0) {
        damaged = Buffer.from(body);
        const bit = Number(next() % BigInt(body.length * 8));
        damaged[bit >> 3] ^= 1 << (bit & 7);
      } else if (kind === 1) damaged = body.subarray(0, Number(next() % BigInt(body.length)));
      else if (kind === 2) damaged = Buffer.concat([body, Buffer.from([Number(next() % 256n)])]);
      else {
        damaged = Buffer.from(body);
        damaged[Number(next() % BigInt(body.length))] = Number(next() % 256n);
      }
      let c: PlaceCommand;
      try {
        c = decodePlaceBody(damaged);
      } catch (e) {
        assert.ok(e instanceof JournalBodyError, `case ${i}: ${String(e)}`);
        refused += 1;
        continue;
      }
      decoded += 1;
      assert.deepEqual(Buffer.from(encodePlaceBody(c)!), damaged, `case ${i}: one body per command`);
      assert.deepEqual(viaText(c), c, `case ${i}: the schema admits it`);
    }
    // Both outcomes happened: the property was exercised either way.
    assert.ok(refused > 100 && decoded > 100, `refused ${refused}, decoded ${decoded}`);
  });

  test("a journal with text rows from before and binary rows after reads back every command", () => {
    const db = tempDb();
    const next = rng(77n);
    const commands = Array.from({ length: 6 }, () => placeCommand(next));
    try {
      const journal = Journal.open(db.file, {}, "FULL");
      for (let i = 0; i < 3; i++) journal.append(BigInt(i + 1), commands[i]!, "o", []);
      journal.close();
      // Rows as a journal written before the binary body holds them: the command's JSON text.
      const raw = new Database(db.file);
      const insert = raw.prepare("INSERT INTO commands (seq, now, kind, body, outcome) VALUES (?, ?, 'place', ?, 'o')");
      for (let i = 3; i < 6; i++) insert.run(i + 1, String(i + 1), placeCommandJson(commands[i]!));
      const types = raw.prepare("SELECT typeof(body) AS t FROM commands ORDER BY seq").all() as { t: string }[];
      raw.close();
      assert.deepEqual(
        types.map((r) => r.t),
        ["blob", "blob", "blob", "text", "text", "text"],
      );
      const again = Journal.open(db.file, {}, "FULL");
      try {
        const read = [...again.entries()];
        assert.deepEqual(
          read.map((e) => e.command),
          commands.map((c) => viaText(c)),
        );
        assert.deepEqual(
          read.map((e) => e.now),
          [1n, 2n, 3n, 4n, 5n, 6n],
        );
      } finally {
        again.close();
      }
    } finally {
      db.cleanup();
    }
  });
});
