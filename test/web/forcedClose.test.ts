import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { InstrumentKind, optionId, perpId } from "../../protocol/index.ts";
import { forceClosable } from "../../web/lib/forcedClose.ts";

const EXPIRY = 1_900_000_000n;

describe("forceClosable (finding F17)", () => {
  test("a short option waits until its expiry; perps, long options and expired options are offered", () => {
    const call = optionId(1, InstrumentKind.CALL, 300_000n, EXPIRY);
    const put = optionId(2, InstrumentKind.PUT, 5_000_000n, EXPIRY);
    const positions = [
      { instrument: perpId(1), size: -10n },
      { instrument: perpId(2), size: 10n },
      { instrument: call, size: -1n },
      { instrument: put, size: 1n },
    ];
    for (const [now, waiting] of [
      [EXPIRY - 1n, [call]],
      [EXPIRY, []],
      [EXPIRY + 1n, []],
    ] as const) {
      const split = forceClosable(positions, now);
      assert.deepEqual(
        split.waiting.map((p) => p.instrument),
        waiting,
        `at expiry ${now - EXPIRY}`,
      );
      assert.equal(split.closable.length + split.waiting.length, positions.length);
    }
  });

  test("every position lands in exactly one list, and only short live options wait", () => {
    const position = fc.record({
      kind: fc.constantFrom(InstrumentKind.PERP, InstrumentKind.CALL, InstrumentKind.PUT),
      expiry: fc.bigInt({ min: 1n, max: (1n << 32n) - 1n }),
      size: fc.bigInt({ min: -(1n << 47n), max: (1n << 47n) - 1n }).filter((s) => s !== 0n),
    });
    fc.assert(
      fc.property(fc.array(position, { maxLength: 8 }), fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), (ps, now) => {
        const held = ps.map((p) => ({
          instrument: p.kind === InstrumentKind.PERP ? perpId(1) : optionId(1, p.kind, 300_000n, p.expiry),
          size: p.size,
        }));
        const { closable, waiting } = forceClosable(held, now);
        assert.equal(closable.length + waiting.length, held.length);
        held.forEach((h, i) => {
          const p = ps[i]!;
          const waits = p.kind !== InstrumentKind.PERP && p.size < 0n && p.expiry > now;
          assert.equal(waiting.includes(h), waits);
          assert.equal(closable.includes(h), !waits);
        });
      }),
    );
  });
});
