/**
 * API configuration that must be explicit: no operator routes that credit collateral on a venue
 * linked to L1, client addresses from `X-Forwarded-For` only when proxies are trusted, and an
 * open-order cap the prod order tree has room for. In-process (fastify inject): these are
 * routing decisions, not load.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { getProfile } from "../../protocol/profiles.ts";
import { VerifyPool } from "../../sequencer/intake/verify-pool.ts";
import { DEFAULT_MIN_ORDER_NOTIONAL, DEFAULT_MIN_WITHDRAWAL } from "../../sequencer/intake/dust.ts";
import { VenueMetrics } from "../../sequencer/intake/metrics.ts";
import { ApiLimits, DEFAULT_RATE_LIMITS } from "../../sequencer/intake/ratelimit.ts";
import type { ApiContext } from "../../sequencer/intake/routes.ts";
import { buildServer, DEFAULT_MAX_OPEN_ORDERS } from "../../sequencer/intake/server.ts";
import type { ServerOptions } from "../../sequencer/intake/server.ts";
import { SessionStore } from "../../sequencer/intake/sessions.ts";
import type { Sequencer } from "../../sequencer/core/sequencer.ts";
import { ADMIN_TOKEN, openVenue, tempDb, Trader } from "./helpers.ts";

describe("API configuration", () => {
  const db = tempDb();
  let venue: Sequencer;
  let verifier: VerifyPool;

  before(async () => {
    venue = await openVenue(db.file);
    verifier = new VerifyPool(0);
  });
  after(() => {
    venue.close();
    db.cleanup();
  });

  const context = (): ApiContext => ({
    venue,
    verifier,
    sessions: new SessionStore(60_000),
    limits: new ApiLimits({ ...DEFAULT_RATE_LIMITS, ipRate: 1, ipBurst: 2 }),
    maxOpenOrders: 10,
    minOrderNotional: DEFAULT_MIN_ORDER_NOTIONAL,
    minWithdrawal: DEFAULT_MIN_WITHDRAWAL,
    liveGroups: new Map(),
    metrics: new VenueMetrics(),
    clock: () => BigInt(Date.now()),
    batchMaxAgeMs: 600_000n,
    verificationKeyFile: null,
  });
  const server = (options: Partial<ServerOptions>) =>
    buildServer(context(), pino({ level: "silent" }), {
      bodyLimit: 16_384,
      adminToken: ADMIN_TOKEN,
      version: "test",
      ...options,
    });

  test("linked to L1: the operator routes that stand in for L1 do not exist", async () => {
    const deposit = new Trader("l1", 2n).deposit(1_000_000n) as Record<string, string>;
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const linked = await server({ l1Linked: true });
    const unlinked = await server({});
    try {
      for (const url of [
        "/v1/admin/deposits",
        "/v1/admin/forced-withdrawals",
        "/v1/admin/forced-closes",
        "/v1/admin/oracle",
        "/v1/admin/settlements",
      ]) {
        const r = await linked.inject({ method: "POST", url, headers: auth, payload: {} });
        assert.equal(r.statusCode, 404, url);
        assert.equal(r.json<{ code: string }>().code, "NOT_FOUND");
      }
      const doc = (await linked.inject({ url: "/openapi.json" })).json<{ paths: Record<string, unknown> }>();
      assert.equal(doc.paths["/v1/admin/deposits"], undefined);
      assert.ok(doc.paths["/v1/admin/close-batch"] !== undefined);
      const r = await unlinked.inject({ method: "POST", url: "/v1/admin/deposits", headers: auth, payload: deposit });
      assert.equal(r.statusCode, 200, r.body);
    } finally {
      await linked.close();
      await unlinked.close();
    }
  });

  test("X-Forwarded-For is ignored unless proxies are trusted", async () => {
    const plain = await server({});
    const proxied = await server({ trustProxy: "127.0.0.1" });
    try {
      // Untrusted: every request is the socket's address, whatever the header says (burst 2).
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await plain.inject({ url: "/v1/tickers", headers: { "x-forwarded-for": `203.0.113.${i}` } });
        codes.push(r.statusCode);
      }
      assert.deepEqual(codes, [200, 200, 429]);
      // Trusted proxy: each forwarded client has its own bucket.
      for (let i = 0; i < 3; i++) {
        const r = await proxied.inject({ url: "/v1/tickers", headers: { "x-forwarded-for": `203.0.113.${i}` } });
        assert.equal(r.statusCode, 200);
        assert.equal(r.headers["x-ratelimit-remaining"], "1");
      }
    } finally {
      await plain.close();
      await proxied.close();
    }
  });

  test("prod's order tree holds four times the default open-order cap (docs/protocol.md §9)", () => {
    // An account's resting orders each hold an order-tree slot; with at most a quarter of the
    // slots busy, an id allocator finds a free one within a few tries.
    const slots = 2 ** getProfile("prod").orderDepth;
    assert.ok(slots >= 4 * DEFAULT_MAX_OPEN_ORDERS, `${slots} slots for a cap of ${DEFAULT_MAX_OPEN_ORDERS}`);
  });
});
