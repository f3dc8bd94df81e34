import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { getAddress } from "viem";
import {
  AmountInputError,
  formatDuration,
  formatFixed,
  formatPercent,
  formatPrice,
  formatSize,
  formatUsdc,
  parseFixed,
  parsePrice,
  parseRecipient,
  parseSize,
  parseUsdc,
} from "../../web/lib/format.ts";

describe("formatFixed", () => {
  test("formats the protocol's worked example exactly", () => {
    // 1.5 ETH at 3,000.25 USDC = 4,500.375 USDC (docs/protocol.md §1).
    assert.equal(formatUsdc(15000n * 300025n, { fraction: 6 }), "4,500.375000");
    assert.equal(formatUsdc(15000n * 300025n), "4,500.38");
    assert.equal(formatPrice(300025n), "3,000.25");
    assert.equal(formatSize(15000n), "1.5");
  });

  test("rounds half away from zero and signs negatives", () => {
    assert.equal(formatFixed(-4500375000n, 6, { fraction: 2 }), "−4,500.38");
    assert.equal(formatFixed(4500374999n, 6, { fraction: 2 }), "4,500.37");
    assert.equal(formatFixed(5n, 6, { fraction: 2 }), "0.00");
    assert.equal(formatFixed(-4n, 6, { fraction: 2 }), "0.00");
    assert.equal(formatFixed(1234n, 2, { plus: true, group: false }), "+12.34");
    assert.equal(formatFixed(7n, 0), "7");
  });

  test("is exact beyond the range of a double", () => {
    const huge = 2n ** 95n + 1n; // cost bound of §1
    assert.equal(formatFixed(huge, 6, { group: false }), "39614081257132168796771.975169");
  });

  test("sizes drop trailing zeros but keep one fraction digit", () => {
    assert.equal(formatSize(10000n), "1.0");
    assert.equal(formatSize(12345n), "1.2345");
    assert.equal(formatSize(10000n, { minFraction: 0 }), "1");
    assert.equal(formatSize(10000n, { fraction: 4 }), "1.0000");
  });
});

describe("parseFixed", () => {
  test("parses what a person types", () => {
    assert.equal(parseUsdc("1,000.5"), 1000500000n);
    assert.equal(parsePrice(".5"), 50n);
    assert.equal(parseSize("2"), 20000n);
    assert.equal(parseSize("0.00010"), 1n);
    assert.equal(parsePrice(" 3000. "), 300000n);
  });

  test("rejects input it cannot represent, with a code and plain words", () => {
    const cases: [string, number, AmountInputError["code"]][] = [
      ["", 2, "EMPTY_AMOUNT"],
      ["abc", 2, "NOT_A_NUMBER"],
      [".", 2, "NOT_A_NUMBER"],
      ["1.2.3", 2, "NOT_A_NUMBER"],
      ["1.234", 2, "TOO_MANY_DECIMALS"],
      ["-1", 2, "NEGATIVE_AMOUNT"],
    ];
    for (const [text, decimals, code] of cases) {
      assert.throws(
        () => parseFixed(text, decimals),
        (e: unknown) => e instanceof AmountInputError && e.code === code && e.message.length > 0,
        text,
      );
    }
  });

  test("parse inverts format for every non-negative amount", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 96n }), fc.integer({ min: 0, max: 8 }), (v, decimals) => {
        assert.equal(parseFixed(formatFixed(v, decimals), decimals), v);
      }),
    );
  });
});

describe("percent and duration", () => {
  test("formats ratios exactly", () => {
    assert.equal(formatPercent(1n, 3n), "33.33%");
    assert.equal(formatPercent(2n, 3n, 1), "66.7%");
    assert.equal(formatPercent(-1n, 8n, 3, true), "−12.500%");
    assert.equal(formatPercent(1n, 8n, 1, true), "+12.5%");
    assert.equal(formatPercent(1n, 0n), "—");
  });

  test("formats durations", () => {
    assert.equal(formatDuration(45n), "45s");
    assert.equal(formatDuration(725n), "12m 5s");
    assert.equal(formatDuration(12000n), "3h 20m");
    assert.equal(formatDuration(187200n), "2d 4h");
    assert.equal(formatDuration(-5n), "0s");
  });
});

describe("parseRecipient (claim to another address)", () => {
  const hex = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => `0x${Buffer.from(b).toString("hex")}`);

  test("any address in lower case or with its checksum is that address, checksummed", () => {
    fc.assert(
      fc.property(hex, (lower) => {
        fc.pre(BigInt(lower) !== 0n);
        const checksummed = getAddress(lower);
        for (const text of [lower, checksummed, `  ${checksummed} `])
          assert.deepEqual(parseRecipient(text), { address: checksummed });
      }),
      { numRuns: 300 },
    );
  });

  test("a checksum broken by one letter's case is refused, never read as another address", () => {
    fc.assert(
      fc.property(hex, fc.nat(), (lower, pick) => {
        const checksummed = getAddress(lower);
        const letters = [...checksummed.slice(2)].flatMap((c, i) => (/[a-fA-F]/.test(c) ? [i + 2] : []));
        fc.pre(letters.length > 0);
        const at = letters[pick % letters.length]!;
        const c = checksummed[at]!;
        const flipped =
          checksummed.slice(0, at) +
          (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) +
          checksummed.slice(at + 1);
        // Flipping one letter can only leave a valid checksum if the result is all lower case.
        if (flipped.slice(2) === flipped.slice(2).toLowerCase()) return;
        const parsed = parseRecipient(flipped);
        assert.ok("error" in parsed && parsed.error !== null && /checksum/.test(parsed.error), flipped);
      }),
      { numRuns: 300 },
    );
  });

  test("nothing typed, the zero address and what is not an address", () => {
    assert.deepEqual(parseRecipient(""), { error: null });
    assert.deepEqual(parseRecipient("   "), { error: null });
    assert.match((parseRecipient(`0x${"0".repeat(40)}`) as { error: string }).error, /zero address/);
    for (const text of ["0x1234", `0x${"g".repeat(40)}`, `${"a".repeat(40)}`, `0x${"a".repeat(41)}`, "alice.eth"])
      assert.match((parseRecipient(text) as { error: string }).error, /0x followed by 40 hex digits/, text);
  });
});
