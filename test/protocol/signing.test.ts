import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AbiCoder, keccak256 } from "ethers";
import {
  domainSeparator,
  KEY_MESSAGE_V1,
  orderHash,
  pkHash,
  poseidon,
  ProtocolError,
  publicKeyOf,
  tradingKeyFromSignature,
  tradingKeyFromSignatureHex,
  verifyOrderSignature,
} from "../../protocol/index.ts";
import { DOMAIN, keyOf, order, sign } from "./fixtures.ts";

describe("trading keys", () => {
  test("the private key is keccak256 of the 65-byte wallet signature", () => {
    const sig = Uint8Array.from({ length: 65 }, (_, i) => i);
    const key = tradingKeyFromSignature(sig);
    assert.equal("0x" + Buffer.from(key).toString("hex"), keccak256(sig));
    assert.deepEqual(tradingKeyFromSignatureHex("0x" + Buffer.from(sig).toString("hex")), key);
    assert.throws(() => tradingKeyFromSignature(new Uint8Array(64)), ProtocolError);
    assert.throws(() => tradingKeyFromSignatureHex("0x1234"), ProtocolError);
    assert.match(KEY_MESSAGE_V1, /^Tessera trading key v1\n/);
  });

  test("the public key is deterministic and pkHash = H(Ax, Ay)", () => {
    const a = publicKeyOf(keyOf(2n));
    assert.deepEqual(publicKeyOf(keyOf(2n)), a);
    assert.notDeepEqual(publicKeyOf(keyOf(3n)), a);
    assert.equal(pkHash(a), poseidon([a.x, a.y]));
  });
});

describe("order signatures", () => {
  const o = order({ accountId: 2n, side: 1, size: 12_345n, price: 299_999n, orderId: 77n, flags: 3n });

  test("orderHash = H(domain, accountId, instrument, side, size, price, orderId, expiry, flags)", () => {
    assert.equal(
      orderHash(o, DOMAIN),
      poseidon([DOMAIN, o.accountId, o.instrument, 1n, o.size, o.price, o.orderId, o.expiry, o.flags]),
    );
  });

  test("a signature verifies, and fails for any changed field, another domain or another key", () => {
    const s = sign(o);
    assert.ok(verifyOrderSignature(s, DOMAIN));
    assert.equal(verifyOrderSignature(s, DOMAIN + 1n), false);
    for (const change of [
      { size: 12_346n },
      { price: 300_000n },
      { orderId: 78n },
      { flags: 1n },
      { side: 0 as const },
    ]) {
      assert.equal(verifyOrderSignature({ ...s, order: { ...o, ...change } }, DOMAIN), false);
    }
    assert.equal(verifyOrderSignature({ ...s, publicKey: publicKeyOf(keyOf(3n)) }, DOMAIN), false);
    assert.equal(verifyOrderSignature({ ...s, signature: { ...s.signature, S: s.signature.S + 1n } }, DOMAIN), false);
    // A cached positive result does not leak to a tampered copy.
    assert.ok(verifyOrderSignature(s, DOMAIN));
    assert.equal(
      verifyOrderSignature({ ...s, signature: { ...s.signature, R8x: s.signature.R8x + 1n } }, DOMAIN),
      false,
    );
  });
});

describe("domain separator", () => {
  test("equals keccak256(abi.encode('tessera', chainId, address)) >> 4", () => {
    const address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    const expected =
      BigInt(
        keccak256(AbiCoder.defaultAbiCoder().encode(["string", "uint256", "address"], ["tessera", 31337n, address])),
      ) >> 4n;
    assert.equal(domainSeparator(31337n, address), expected);
    assert.equal(domainSeparator(31337n, BigInt(address)), expected);
    assert.ok(expected < 1n << 252n);
    assert.notEqual(domainSeparator(1n, address), expected);
    assert.throws(() => domainSeparator(1n, "0x1234"), ProtocolError);
  });
});
