/**
 * protocol/field.ts's powers of two and masks (made once, in a table) against the shift they stand
 * for, at every width the table holds and past its end; the range checks at their edges; and
 * `ensure`'s messages, which checks that name values give as functions, called only on failure.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ensure, fitsSigned, fitsUnsigned, lowMask, pow2, ProtocolError } from "../../protocol/index.ts";

describe("powers of two and masks", () => {
  test("pow2 and lowMask equal the shift at every width, in the table and beyond it", () => {
    for (let bits = 0; bits <= 600; bits++) {
      assert.equal(pow2(bits), 1n << BigInt(bits), `2^${bits}`);
      assert.equal(lowMask(bits), (1n << BigInt(bits)) - 1n, `2^${bits} − 1`);
    }
  });

  test("fitsUnsigned and fitsSigned at 0, 1, 2^n − 1, 2^n and −2^n", () => {
    for (const bits of [0, 1, 8, 32, 48, 82, 253, 254, 512, 513]) {
      const top = 1n << BigInt(bits);
      assert.equal(fitsUnsigned(0n, bits), true);
      assert.equal(fitsUnsigned(top - 1n, bits), true);
      assert.equal(fitsUnsigned(top, bits), false);
      assert.equal(fitsUnsigned(-1n, bits), false);
      assert.equal(fitsSigned(top - 1n, bits), true);
      assert.equal(fitsSigned(-(top - 1n), bits), true);
      assert.equal(fitsSigned(top, bits), false);
      assert.equal(fitsSigned(-top, bits), false);
    }
  });
});

describe("ensure", () => {
  test("a message given as a function is called only when the check fails, and reads as the text would", () => {
    let calls = 0;
    const message = (): string => {
      calls += 1;
      return `account ${7n}: collateral ${-(1n << 200n)}`;
    };
    ensure(true, "OUT_OF_RANGE", message, 7n);
    assert.equal(calls, 0);
    assert.throws(
      () => ensure(false, "OUT_OF_RANGE", message, 7n),
      (e: unknown) =>
        e instanceof ProtocolError &&
        e.code === "OUT_OF_RANGE" &&
        e.accountId === 7n &&
        e.message === `OUT_OF_RANGE: account 7: collateral ${-(1n << 200n)}`,
    );
    assert.equal(calls, 1);
    assert.throws(
      () => ensure(false, "MARGIN", "a fixed text"),
      (e: unknown) => e instanceof ProtocolError && e.message === "MARGIN: a fixed text",
    );
  });
});
