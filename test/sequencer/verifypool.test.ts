/**
 * The signature verifier processes (sequencer/intake/verify-pool.ts): an order's hash is computed
 * in the worker with its signature check, and the worker's answer must be exactly protocol/'s
 * `orderHash` and `verifyFast` on the same values, for valid orders and for every kind of
 * tampering; concurrent requests are each answered once.
 */
import type { ChildProcess } from "node:child_process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { publicKeyFast, signFast, verifyFast } from "../../protocol/eddsa-fast.ts";
import { initCrypto } from "../../protocol/index.ts";
import { orderHash } from "../../protocol/signing.ts";
import type { Order, SignedOrder } from "../../protocol/types.ts";
import { VerifierUnavailableError, VerifyPool } from "../../sequencer/intake/verify-pool.ts";

await initCrypto();
const DOMAIN = 0x1234_5678_9abc_def0_1234_5678_9abc_def0n;
const prv = keccak_256(new TextEncoder().encode("verify pool test"));
const pk = publicKeyFast(prv);

function signed(order: Order): SignedOrder {
  return { order, signature: signFast(prv, orderHash(order, DOMAIN)), publicKey: pk };
}

const base: Order = {
  accountId: (1n << 24n) - 1n,
  instrument: 1n,
  side: 1,
  size: (1n << 48n) - 1n,
  price: (1n << 40n) - 1n,
  orderId: (1n << 48n) - 1n,
  expiry: (1n << 32n) - 1n,
  flags: 4n,
};

/** The batch builder's shape: messages of 64, many in flight, sent ahead of a long build. */
const BUILDER_SHAPE = { maxBatch: 64, maxMessagesInFlight: 1024 };

/** Both transports answer alike: the addon's threads (the default) and forked processes. */
const TRANSPORTS = ["threads", "processes"] as const;

/**
 * Runs `body` with `pool`, then closes it. The pool's processes do not keep the event loop alive
 * (a service's server does): an interval does meanwhile.
 */
async function withPool(pool: VerifyPool, body: () => Promise<void>): Promise<void> {
  const alive = setInterval(() => undefined, 1000);
  try {
    await body();
  } finally {
    clearInterval(alive);
    await pool.close();
  }
}

describe("verifier threads and processes hash and verify orders", () => {
  for (const transport of TRANSPORTS)
    test(`${transport}: valid orders return protocol/'s order hash; tampered ones null, as verifyFast says`, async () => {
      const pool = new VerifyPool(2, undefined, { transport });
      assert.equal(pool.transport, transport);
      await withPool(pool, async () => {
        const valid = [
          base,
          { ...base, accountId: 0n, size: 1n, price: 0n, orderId: 0n, expiry: 0n, flags: 0n, side: 0 as const },
        ].map(signed);
        const cases: { readonly name: string; readonly s: SignedOrder; readonly domain: bigint }[] = [
          ...valid.map((s, i) => ({ name: `valid ${i}`, s, domain: DOMAIN })),
          { name: "another domain", s: valid[0]!, domain: DOMAIN + 1n },
          { name: "price changed", s: { ...valid[0]!, order: { ...base, price: base.price - 1n } }, domain: DOMAIN },
          { name: "side changed", s: { ...valid[0]!, order: { ...base, side: 0 } }, domain: DOMAIN },
          { name: "flags changed", s: { ...valid[0]!, order: { ...base, flags: 0n } }, domain: DOMAIN },
          {
            name: "S + 1",
            s: { ...valid[0]!, signature: { ...valid[0]!.signature, S: valid[0]!.signature.S + 1n } },
            domain: DOMAIN,
          },
          {
            name: "another key",
            s: { ...valid[0]!, publicKey: publicKeyFast(new Uint8Array(32).fill(7)) },
            domain: DOMAIN,
          },
        ];
        // All in flight at once: each is answered, and answered for itself.
        const answers = await Promise.all(cases.map((c) => pool.verifyOrder(c.s, c.domain)));
        cases.forEach((c, i) => {
          const msg = orderHash(c.s.order, c.domain);
          const expected = verifyFast(c.s.publicKey, msg, c.s.signature) ? msg : null;
          assert.equal(answers[i], expected, c.name);
        });
        assert.equal(answers.filter((a) => a !== null).length, 2, "exactly the two valid orders pass");
        // The message form is unchanged.
        const msg = orderHash(base, DOMAIN);
        assert.equal(await pool.verify(pk, msg, valid[0]!.signature), true);
        assert.equal(await pool.verify(pk, msg + 1n, valid[0]!.signature), false);
      });
    });

  for (const transport of TRANSPORTS)
    test(`${transport}: a caller that holds its thread between turns: every request handed over first, every answer its own`, async () => {
      const pool = new VerifyPool(1, Number.POSITIVE_INFINITY, { ...BUILDER_SHAPE, transport });
      await withPool(pool, async () => {
        await pool.started();
        // Distinct orders, a tenth of them tampered, more bytes than a socket's buffer holds.
        const orders = Array.from({ length: 2048 }, (_, i) => {
          const s = signed({ ...base, orderId: BigInt(i), price: BigInt(i % 97) });
          return i % 10 === 3 ? { ...s, order: { ...s.order, price: s.order.price + 1n } } : s;
        });
        // A process is stopped while the requests are written, so that its socket fills whatever
        // the other core's reader could drain meanwhile (a race a fast machine won in CI).
        const worker =
          transport === "processes"
            ? (pool as unknown as { slots: { worker: ChildProcess }[] }).slots[0]!.worker
            : null;
        worker?.kill("SIGSTOP");
        const answers = Promise.all(orders.map((s) => pool.verifyOrder(s, DOMAIN)));
        // The pool sends a turn's requests at its end.
        assert.equal(pool.queued, orders.length);
        await new Promise<void>((resolve) => process.nextTick(resolve));
        // A process's channel holds back what its socket's buffer cannot take; threads get every
        // job at once.
        if (worker !== null) {
          const heldBack = pool.unwrittenMessages;
          worker.kill("SIGCONT");
          assert.ok(heldBack > 0, "the requests outgrow the channel's buffer");
        } else assert.equal(pool.queued, 0, "every request is with the threads");
        await pool.written();
        assert.equal(pool.unwrittenMessages, 0);
        // The thread is held, as a build holds it: the worker has all it needs meanwhile.
        const until = Date.now() + 200;
        while (Date.now() < until);
        const got = await answers;
        orders.forEach((s, i) => {
          const msg = orderHash(s.order, DOMAIN);
          assert.equal(got[i], verifyFast(s.publicKey, msg, s.signature) ? msg : null, `order ${i}`);
        });
        assert.equal(got.filter((a) => a === null).length, 205, "exactly the tampered orders fail");
      });
    });

  test("threads: a request hashing 0, 17 or 257 inputs is refused alone; the orders beside it are answered", async () => {
    const pool = new VerifyPool(1, undefined, { transport: "threads" });
    await withPool(pool, async () => {
      // Not reachable through `verifyOrder` (an order hash has 9 inputs): the pool's own guard,
      // so that a width that does not fit the job's byte can never shift its neighbours' inputs.
      const request = (
        pool as unknown as {
          request(
            pk: SignedOrder["publicKey"],
            sig: SignedOrder["signature"],
            what: { hashInputs: bigint[] },
          ): Promise<unknown>;
        }
      ).request.bind(pool);
      const good = [0n, 1n, 2n].map((i) => signed({ ...base, orderId: i }));
      const answers = await Promise.allSettled([
        pool.verifyOrder(good[0]!, DOMAIN),
        request(pk, good[0]!.signature, { hashInputs: [] }),
        pool.verifyOrder(good[1]!, DOMAIN),
        request(pk, good[0]!.signature, { hashInputs: Array.from({ length: 17 }, () => 1n) }),
        request(pk, good[0]!.signature, { hashInputs: Array.from({ length: 257 }, () => 1n) }),
        pool.verifyOrder(good[2]!, DOMAIN),
      ]);
      for (const k of [1, 3, 4]) {
        const a = answers[k]!;
        assert.equal(a.status, "rejected", `request ${k}`);
        assert.ok(a.status === "rejected" && a.reason instanceof RangeError && /1\.\.16 inputs/.test(a.reason.message));
      }
      [0, 2, 5].forEach((k, i) =>
        assert.deepEqual(answers[k], { status: "fulfilled", value: orderHash(good[i]!.order, DOMAIN) }, `order ${i}`),
      );
    });
  });

  test("processes: a worker killed with requests unwritten: `written` still resolves, they fail as UNAVAILABLE, a new worker serves", async () => {
    const pool = new VerifyPool(1, Number.POSITIVE_INFINITY, { ...BUILDER_SHAPE, transport: "processes" });
    await withPool(pool, async () => {
      await pool.started();
      const orders = Array.from({ length: 2048 }, (_, i) => signed({ ...base, orderId: BigInt(i) }));
      const answers = orders.map((s) =>
        pool.verifyOrder(s, DOMAIN).then(
          (msg) => ({ msg }),
          (e: unknown) => ({ error: e }),
        ),
      );
      await new Promise<void>((resolve) => process.nextTick(resolve));
      assert.ok(pool.unwrittenMessages > 0);
      // Fault injection: the pool's only worker dies at once (its process is private to the pool).
      (pool as unknown as { slots: { worker: ChildProcess }[] }).slots[0]!.worker.kill("SIGKILL");
      let timer: NodeJS.Timeout | undefined;
      const stuck = new Promise<"stuck">((resolve) => (timer = setTimeout(() => resolve("stuck"), 30_000)));
      assert.notEqual(await Promise.race([pool.written().then(() => "written" as const), stuck]), "stuck");
      clearTimeout(timer);
      assert.equal(pool.unwrittenMessages, 0);
      const got = await Promise.all(answers);
      let lost = 0;
      got.forEach((g, i) => {
        if ("error" in g) {
          assert.ok(g.error instanceof VerifierUnavailableError, `order ${i}: ${String(g.error)}`);
          lost += 1;
        } else assert.equal(g.msg, orderHash(orders[i]!.order, DOMAIN), `order ${i}`);
      });
      assert.ok(lost > 0, "the kill lost requests in flight");
      // The replacement worker starts and answers.
      await pool.started();
      assert.equal(await pool.verifyOrder(orders[0]!, DOMAIN), orderHash(orders[0]!.order, DOMAIN));
    });
  });
});
