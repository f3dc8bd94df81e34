/**
 * Per-IP limits key a client by `clientKey` (sequencer/intake/clientip.ts): an IPv6 client by its
 * /64, so one host's subnet cannot multiply its budgets, connection slots or pending challenges
 * (review finding: every per-IP limit keyed on the full address).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { clientKey } from "../../sequencer/intake/clientip.ts";

/** The eight 16-bit groups of a 128-bit address, uncompressed, lower case. */
function v6(groups: readonly number[]): string {
  return groups.map((g) => g.toString(16)).join(":");
}

const group = fc.integer({ min: 0, max: 0xffff });
const groups = fc.array(group, { minLength: 8, maxLength: 8 });

describe("attack: per-IP limits against one IPv6 subnet", () => {
  test("every address of one /64 is one client; addresses of different /64s are different clients", () => {
    fc.assert(
      fc.property(groups, groups, (a, b) => {
        const sameSubnet = [...a.slice(0, 4), ...b.slice(4)];
        assert.equal(clientKey(v6(a)), clientKey(v6(sameSubnet)));
        const differs = a.slice(0, 4).some((g, i) => g !== b[i]);
        // An IPv4-mapped address (::ffff:0:0/96) is read as IPv4: it never shares a key with a /64.
        const mapped = (x: readonly number[]) => x.slice(0, 5).every((g) => g === 0) && x[5] === 0xffff;
        if (differs && !mapped(a) && !mapped(b)) assert.notEqual(clientKey(v6(a)), clientKey(v6(b)));
      }),
      { numRuns: 2_000 },
    );
  });

  test("one address in any of its spellings is one key; IPv4-mapped IPv6 is its IPv4 address", () => {
    const spellings = [
      "2001:db8:0:0:1:2:3:4",
      "2001:0DB8:0000:0000:0001:0002:0003:0004",
      "2001:db8::1:2:3:4",
      "2001:db8::ffff:ffff:ffff:ffff",
      "2001:db8::",
    ];
    const keys = new Set(spellings.map(clientKey));
    assert.deepEqual([...keys], ["2001:db8:0:0::/64"]);
    assert.equal(clientKey("::ffff:203.0.113.7"), "203.0.113.7");
    assert.equal(clientKey("203.0.113.7"), "203.0.113.7");
    assert.notEqual(clientKey("203.0.113.7"), clientKey("203.0.113.8"), "IPv4 clients stay per address");
    assert.equal(clientKey("127.0.0.2"), "127.0.0.2");
    assert.equal(clientKey("::1"), "0:0:0:0::/64");
  });

  test("a value that is not an address keys itself", () => {
    for (const label of ["", "unknown", "10.0.0", "2001:db8::g", "client-a"]) assert.equal(clientKey(label), label);
  });
});
