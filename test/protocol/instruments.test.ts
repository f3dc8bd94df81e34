import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeInstrument,
  encodeInstrument,
  InstrumentKind,
  instrumentName,
  nextWeeklyExpiry,
  optionChain,
  optionId,
  parseInstrumentName,
  perpId,
  ProtocolError,
  strikeGrid,
  validateInstrument,
} from "../../protocol/index.ts";
import type { InstrumentKindCode, ProtocolErrorCode } from "../../protocol/index.ts";
import { TEST } from "./fixtures.ts";

const is = (code: ProtocolErrorCode) => (e: unknown) => e instanceof ProtocolError && e.code === code;
/** 2026-12-25 08:00:00 UTC. */
const XMAS = 1_798_185_600n;

describe("instrument ids", () => {
  test("encode and decode round-trip over the whole field ranges", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 3 }),
        fc.bigInt({ min: 0n, max: (1n << 40n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }),
        (underlying, kind, strike, expiry) => {
          const spec = { underlying, kind: kind as InstrumentKindCode, strike, expiry };
          const id = encodeInstrument(spec);
          assert.ok(id < 1n << 82n);
          assert.deepEqual(decodeInstrument(id), spec);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("bit layout: underlying + kind·2^8 + strike·2^10 + expiry·2^50", () => {
    assert.equal(perpId(1), 1n);
    assert.equal(perpId(2), 2n);
    const id = optionId(2, InstrumentKind.PUT, 5n, 7n);
    assert.equal(id, 2n + (2n << 8n) + (5n << 10n) + (7n << 50n));
    assert.throws(
      () => encodeInstrument({ underlying: 1, kind: 0, strike: 1n << 40n, expiry: 0n }),
      is("OUT_OF_RANGE"),
    );
    assert.throws(() => decodeInstrument(1n << 82n), is("OUT_OF_RANGE"));
  });

  test("decoding is remembered: the same frozen spec each time, an id out of range refused each time, and a full memory emptied, never wrong", () => {
    const id = optionId(2, InstrumentKind.CALL, 300_000n, XMAS);
    const first = decodeInstrument(id);
    assert.equal(decodeInstrument(id), first, "the second decode returns the remembered spec");
    assert.ok(Object.isFrozen(first), "a caller cannot change the spec another caller holds");
    assert.deepEqual(first, { underlying: 2, kind: InstrumentKind.CALL, strike: 300_000n, expiry: XMAS });
    for (let k = 0; k < 2; k++)
      assert.throws(
        () => decodeInstrument(1n << 82n),
        (e: unknown) =>
          is("OUT_OF_RANGE")(e) && (e as Error).message === `OUT_OF_RANGE: instrument id ${1n << 82n} exceeds 82 bits`,
      );
    // More ids than the memory holds (4,096): each still decodes to its own spec.
    for (let strike = 1n; strike <= 5000n; strike++) {
      const spec = { underlying: 1, kind: InstrumentKind.PUT, strike, expiry: XMAS };
      assert.deepEqual(decodeInstrument(encodeInstrument(spec)), spec);
    }
    assert.deepEqual(decodeInstrument(id), first);
  });

  test("validation: underlying, kind and the perp/option shape", () => {
    assert.deepEqual(validateInstrument(perpId(1), TEST), { underlying: 1, kind: 0, strike: 0n, expiry: 0n });
    const bad = [
      0n, // the withdrawal instrument
      perpId(3), // U = 2 in the test profile
      encodeInstrument({ underlying: 1, kind: 3 as InstrumentKindCode, strike: 1n, expiry: 1n }),
      encodeInstrument({ underlying: 1, kind: 0, strike: 100n, expiry: 0n }),
      encodeInstrument({ underlying: 1, kind: 1, strike: 0n, expiry: XMAS }),
      encodeInstrument({ underlying: 1, kind: 2, strike: 100n, expiry: 0n }),
    ];
    for (const id of bad) assert.throws(() => validateInstrument(id, TEST), is("BAD_INSTRUMENT"));
  });

  test("an option is expired at its expiry second and live one second before", () => {
    const call = optionId(1, InstrumentKind.CALL, 300_000n, XMAS);
    assert.equal(validateInstrument(call, TEST, XMAS - 1n).expiry, XMAS);
    assert.throws(() => validateInstrument(call, TEST, XMAS), is("INSTRUMENT_EXPIRED"));
  });
});

describe("instrument names", () => {
  test("perps, options at 08:00 UTC, strikes with cents, other expiry times", () => {
    assert.equal(instrumentName(perpId(1)), "ETH-PERP");
    assert.equal(instrumentName(optionId(2, InstrumentKind.CALL, 10_000_000n, XMAS)), "BTC-20261225-100000-C");
    assert.equal(instrumentName(optionId(1, InstrumentKind.PUT, 300_025n, XMAS)), "ETH-20261225-3000.25-P");
    assert.equal(instrumentName(optionId(1, InstrumentKind.PUT, 300_000n, XMAS + 3600n)), "ETH-20261225T090000-3000-P");
    for (const name of [
      "ETH-PERP",
      "BTC-PERP",
      "BTC-20261225-100000-C",
      "ETH-20261225-3000.25-P",
      "ETH-20240229T235959-1.5-C",
    ]) {
      assert.equal(instrumentName(parseInstrumentName(name)), name.replace("-1.5-", "-1.50-"));
    }
    assert.equal(parseInstrumentName("BTC-20261225-100000-C"), optionId(2, InstrumentKind.CALL, 10_000_000n, XMAS));
    for (const name of ["SOL-PERP", "ETH-20261232-3000-C", "ETH-20230229-3000-C", "ETH-20261225-3000-X", "ETH"]) {
      assert.throws(() => parseInstrumentName(name), is("BAD_INSTRUMENT"));
    }
  });

  test("names round-trip for random options", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 }),
        fc.constantFrom(InstrumentKind.CALL, InstrumentKind.PUT),
        fc.bigInt({ min: 1n, max: (1n << 40n) - 1n }),
        fc.bigInt({ min: 1n, max: (1n << 32n) - 1n }),
        (u, kind, strike, expiry) => {
          const id = optionId(u, kind, strike, expiry);
          assert.equal(parseInstrumentName(instrumentName(id)), id);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("option chain: expiries × strikes, sorted, calls and puts", () => {
    const rows = optionChain(1, [XMAS + 604_800n, XMAS], [320_000n, 300_000n, 300_000n]);
    assert.equal(rows.length, 4);
    assert.deepEqual(
      rows.map((r) => [r.expiry, r.strike]),
      [
        [XMAS, 300_000n],
        [XMAS, 320_000n],
        [XMAS + 604_800n, 300_000n],
        [XMAS + 604_800n, 320_000n],
      ],
    );
    assert.equal(instrumentName(rows[1]!.put), "ETH-20261225-3200-P");
    assert.deepEqual(strikeGrid(301_000n, 10_000n, 2), [280_000n, 290_000n, 300_000n, 310_000n, 320_000n]);
    assert.deepEqual(strikeGrid(5_000n, 10_000n, 1), [10_000n, 20_000n]);
    // 2026-12-25 is a Friday: the next Friday expiry after Thursday noon is that morning.
    assert.equal(nextWeeklyExpiry(XMAS - 20n * 3600n, 5), XMAS);
    assert.equal(nextWeeklyExpiry(XMAS, 5), XMAS + 604_800n);
  });
});
