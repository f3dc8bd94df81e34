import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AbiCoder, keccak256 } from "ethers";
import {
  domainSeparator,
  KEY_MESSAGE_V1,
  orderHash,
  pkHash,
  pkHashCached,
  poseidon,
  ProtocolError,
  publicKeyOf,
  signOrder,
  tradingKeyFromSignature,
  tradingKeyFromSignatureHex,
  verifyOrderSignature,
} from "../../protocol/index.ts";
import { eddsaVerifications, verifyFast } from "../../protocol/eddsa-fast.ts";
import { verifyOrderSignatureRemote } from "../../protocol/signing.ts";
import type { SignedOrder } from "../../protocol/types.ts";
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

  test("each order is verified once; an order object changed after its check is verified again", async () => {
    const s = sign({ ...o, orderId: 1234n });
    const n0 = eddsaVerifications();
    assert.ok(verifyOrderSignature(s, DOMAIN));
    assert.ok(verifyOrderSignature(s, DOMAIN));
    assert.equal(eddsaVerifications() - n0, 1);
    // Mutable objects (as parsed from JSON): the remembered check compares every value.
    const mutable = { order: { ...s.order }, signature: { ...s.signature }, publicKey: s.publicKey };
    assert.ok(verifyOrderSignature(mutable, DOMAIN));
    mutable.order.size += 1n;
    assert.equal(verifyOrderSignature(mutable, DOMAIN), false);
    mutable.order.size -= 1n;
    mutable.signature.S += 1n;
    assert.equal(verifyOrderSignature(mutable, DOMAIN), false);
    assert.equal(verifyOrderSignature(s, DOMAIN + 1n), false, "the domain is part of what was checked");
    // Checked elsewhere (the sequencer's verifier processes): remembered as a local check is.
    const t = sign({ ...o, orderId: 1235n });
    let asked = 0;
    const outside = async (x: SignedOrder, domain: bigint) => {
      asked += 1;
      const msg = orderHash(x.order, domain);
      return verifyFast(x.publicKey, msg, x.signature) ? msg : null;
    };
    assert.ok(await verifyOrderSignatureRemote(t, DOMAIN, outside));
    const n1 = eddsaVerifications();
    assert.ok(verifyOrderSignature(t, DOMAIN));
    assert.ok(await verifyOrderSignatureRemote(t, DOMAIN, outside));
    assert.equal(asked, 1);
    assert.equal(eddsaVerifications(), n1, "no second verification in this process");
    // A refusal is not remembered; a change during the outside check is not taken as checked.
    const u = {
      order: { ...sign({ ...o, orderId: 1236n }).order },
      signature: { ...t.signature },
      publicKey: t.publicKey,
    };
    assert.equal(await verifyOrderSignatureRemote(u, DOMAIN, outside), false);
    const w = { ...sign({ ...o, orderId: 1237n }) };
    const racing = async (x: SignedOrder, domain: bigint) => {
      const msg = orderHash(x.order, domain);
      const ok = verifyFast(x.publicKey, msg, x.signature);
      w.order = { ...w.order, price: w.order.price + 1n };
      return ok ? msg : null;
    };
    assert.ok(await verifyOrderSignatureRemote(w, DOMAIN, racing));
    assert.equal(verifyOrderSignature(w, DOMAIN), false);
  });
});

describe("the cache of verified tuples", () => {
  const o = order({ accountId: 2n, side: 0, size: 5n, price: 300_000n, orderId: 4242n });

  test("a copy of a verified order hits by its values; a copy differing in any one of them is verified, and fails", () => {
    const s = sign(o);
    assert.ok(verifyOrderSignature(s, DOMAIN));
    const n0 = eddsaVerifications();
    const copy = (): SignedOrder => ({
      order: { ...s.order },
      signature: { ...s.signature },
      publicKey: { ...s.publicKey },
    });
    assert.ok(verifyOrderSignature(copy(), DOMAIN), "another object with the same values");
    assert.equal(eddsaVerifications(), n0, "found by its values, not verified again");
    const other = publicKeyOf(keyOf(3n));
    for (const [name, changed] of [
      ["R8x", { ...copy(), signature: { ...s.signature, R8x: s.signature.R8x + 1n } }],
      ["R8y", { ...copy(), signature: { ...s.signature, R8y: s.signature.R8y + 1n } }],
      ["S", { ...copy(), signature: { ...s.signature, S: s.signature.S + 1n } }],
      ["key x", { ...copy(), publicKey: { x: other.x, y: s.publicKey.y } }],
      ["key y", { ...copy(), publicKey: { x: s.publicKey.x, y: other.y } }],
    ] as const)
      assert.equal(verifyOrderSignature(changed, DOMAIN), false, `the same message with another ${name}`);
    assert.ok(eddsaVerifications() > n0, "those were verified");
  });

  test("one message signed under several keys: each is remembered up to a bound, and every answer stays right beyond it", () => {
    const signers = [2n, 3n, 4n, 5n, 6n, 7n].map((k) => signOrder(keyOf(k), o, DOMAIN));
    for (const s of signers) assert.ok(verifyOrderSignature(s, DOMAIN));
    const again = (s: SignedOrder): SignedOrder => ({
      order: { ...s.order },
      signature: { ...s.signature },
      publicKey: { ...s.publicKey },
    });
    const n0 = eddsaVerifications();
    for (const s of signers.slice(0, 4)) assert.ok(verifyOrderSignature(again(s), DOMAIN));
    assert.equal(eddsaVerifications(), n0, "the first four are remembered");
    for (const s of signers.slice(4)) assert.ok(verifyOrderSignature(again(s), DOMAIN));
    assert.equal(eddsaVerifications(), n0 + 2, "the others are verified again, and still verify");
    // A signature of one signer under another's key is refused, remembered pairs or not.
    assert.equal(verifyOrderSignature({ ...again(signers[0]!), publicKey: signers[1]!.publicKey }, DOMAIN), false);
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

describe("pkHashCached", () => {
  test("equals pkHash for every key, and a key object changed after its lookup misses the memo", () => {
    const keys = [2n, 3n, 4n, 5n].map((id) => sign(order({ accountId: id, side: 0 })).publicKey);
    for (const k of keys) {
      assert.equal(pkHashCached(k), pkHash(k));
      assert.equal(pkHashCached(k), pkHash(k), "a second lookup (memo) gives the same");
    }
    const changed = { ...keys[0]! };
    assert.equal(pkHashCached(changed), pkHash(keys[0]!));
    (changed as { x: bigint }).x = keys[1]!.x;
    (changed as { y: bigint }).y = keys[1]!.y;
    assert.equal(pkHashCached(changed), pkHash(keys[1]!), "the memo compares the values");
  });
});
