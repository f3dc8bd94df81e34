/**
 * The web app's withdrawal and instrument-status calls against the real sequencer service (in
 * process, temp database): a withdrawal signed the way the Funds panel signs it is accepted,
 * listed with its status, and a too-large one is refused with INSUFFICIENT_FREE_COLLATERAL;
 * instruments filtered by status parse with the app's schemas.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { signFast } from "../../protocol/eddsa-fast.ts";
import { withdrawalOrder } from "../../protocol/signing.ts";
import { startService } from "../../sequencer/service.ts";
import type { Service } from "../../sequencer/service.ts";
import { ApiError, SequencerClient } from "../../web/lib/api.ts";
import { sign } from "../../web/lib/orders.ts";
import { ADMIN_TOKEN, domain, FAR_EXPIRY, serviceConfig, tempDb, Trader } from "../sequencer/helpers.ts";

const alice = new Trader("web-withdraw-alice", 2n);
const DEPOSIT = 1_000_000_000n;
let service: Service;
let api: SequencerClient;
let cleanup: () => void;

before(async () => {
  const db = tempDb();
  cleanup = db.cleanup;
  service = await startService(serviceConfig(db.file));
  api = new SequencerClient(service.url);
  const res = await fetch(`${service.url}/v1/admin/deposits`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({
      accountId: alice.accountId.toString(),
      owner: alice.owner.toString(),
      pkHash: alice.pkHash.toString(),
      amount: DEPOSIT.toString(),
    }),
  });
  assert.equal(res.status, 200);
});

after(async () => {
  await service.close();
  cleanup();
});

test("a signed L2 withdrawal is accepted, listed with its status, and a too-large one refused", async () => {
  const signed = sign(alice.privateKey, withdrawalOrder(alice.accountId, 100_000_000n, 10n, FAR_EXPIRY), domain());
  const accepted = await api.withdraw(signed);
  assert.equal(accepted.kind, "withdrawal");
  assert.equal(accepted.requested, 100_000_000n);
  assert.equal(accepted.served, 100_000_000n);
  assert.equal(accepted.outcome, "served");
  assert.equal(accepted.orderId, 10n);
  assert.equal(accepted.status, "pending");
  assert.ok(accepted.estimatedBatchCloseAt !== null && accepted.estimatedBatchCloseAt > 1_700_000_000n, "unix seconds");

  const session = await api.openSession(alice.accountId, domain(), alice.publicKey, (m) =>
    signFast(alice.privateKey, m),
  );
  const listed = await api.withdrawals(session.token);
  assert.deepEqual(
    listed.map((w) => [w.kind, w.requested, w.batch, w.slot]),
    [["withdrawal", 100_000_000n, accepted.batch, accepted.slot]],
  );
  const free = (await api.account(session.token)).freeCollateral;
  assert.equal(free, DEPOSIT - 100_000_000n);

  const tooMuch = sign(alice.privateKey, withdrawalOrder(alice.accountId, free + 1n, 11n, FAR_EXPIRY), domain());
  await assert.rejects(
    api.withdraw(tooMuch),
    (e: unknown) => e instanceof ApiError && e.code === "INSUFFICIENT_FREE_COLLATERAL",
  );
});

test("instruments carry their status and settlement price, and filter by status", async () => {
  const all = await api.instruments();
  assert.ok(all.length > 0);
  assert.ok(all.every((m) => m.status === "active" && m.settlementPrice === null));
  assert.equal((await api.instruments("active")).length, all.length);
  assert.deepEqual(await api.instruments("settled"), []);
});
