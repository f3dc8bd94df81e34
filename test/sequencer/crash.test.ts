/**
 * Crash safety: the sequencer runs as a child process, is killed with SIGKILL while a client
 * is sending orders, and is restarted on the same database. Every acknowledged order must be
 * there, nothing unknown may appear, trades acknowledged before the crash keep their fills,
 * and two restarts agree on books and state (deterministic replay).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { Side } from "../../protocol/types.ts";
import { loadgenPkHash, runLoad } from "../../sequencer/tools/loadgen.ts";
import type { Ack } from "../../sequencer/tools/loadgen.ts";
import { startChild, stopChild } from "./child.ts";
import { ADMIN_TOKEN, Client, domain, tempDb, Trader, venueEnv } from "./helpers.ts";

const ACCOUNTS = [10n, 11n, 12n, 13n];
const RICH = 100_000_000_000n;
const P = 300_000n;
const ONE = 10_000n;
const KILL_AFTER_ACKS = 250;

const db = tempDb();
after(() => db.cleanup());

async function snapshot(client: Client, tokens: Map<bigint, string>) {
  const status = (await client.get("/v1/status")).body;
  const book = (await client.get("/v1/instruments/ETH-PERP/book?depth=500")).body;
  const open = new Map<string, string>();
  for (const [id, token] of tokens) {
    const orders = (await client.get("/v1/account/orders", token)).body.orders as Record<string, string>[];
    for (const o of orders) open.set(`${id}:${o.orderId}`, o.remaining!);
  }
  return { status, book, open };
}

async function sessions(client: Client): Promise<Map<bigint, string>> {
  const tokens = new Map<bigint, string>();
  for (const id of ACCOUNTS) {
    const t = new Trader(`load-${id}`, id);
    // Loadgen accounts sign with loadgen keys: borrow them for the session.
    const { loadgenKey } = await import("../../sequencer/tools/loadgen.ts");
    const { publicKeyFast } = await import("../../protocol/eddsa-fast.ts");
    Object.assign(t, { privateKey: loadgenKey(id), publicKey: publicKeyFast(loadgenKey(id)) });
    tokens.set(id, await client.session(t));
  }
  return tokens;
}

test(
  "crash: SIGKILL during load loses no acknowledged order and replays to the same books",
  { timeout: 240_000 },
  async () => {
    const env = venueEnv(db.file, {
      TESSERA_PROFILE: "prod",
      TESSERA_ORDER_RATE: "100000",
      TESSERA_ORDER_BURST: "100000",
    });
    let child = await startChild(env);
    let client = new Client(child.url);

    // Setup, acknowledged before the load: deposits and two trades.
    for (const id of ACCOUNTS) {
      const r = await client.post(
        "/v1/admin/deposits",
        {
          accountId: id.toString(),
          owner: (0x2000n + id).toString(),
          pkHash: loadgenPkHash(id).toString(),
          amount: RICH.toString(),
        },
        ADMIN_TOKEN,
      );
      assert.equal(r.status, 200);
    }
    const alice = new Trader("alice", 2n);
    const bob = new Trader("bob", 3n);
    for (const t of [alice, bob]) assert.equal((await client.deposit(t, RICH)).status, 200);
    await client.place(alice.sign({ side: Side.SELL, size: 2n * ONE, price: P, orderId: 1n }));
    const trade = await client.place(bob.sign({ side: Side.BUY, size: 2n * ONE, price: P, orderId: 1n, tif: "IOC" }));
    assert.equal(trade.body.status, "filled");
    const rootBefore = (await client.get("/v1/status")).body.stateRoot;

    // Load: non-crossing orders from 8 concurrent requests; SIGKILL after KILL_AFTER_ACKS acks.
    const acks: Ack[] = [];
    let killed = false;
    const report = await runLoad(
      {
        url: child.url,
        domain: domain().toString(),
        accounts: ACCOUNTS.map(String),
        instrument: "1",
        mid: P.toString(),
        tick: "1",
        lot: "10",
        levels: 200,
        count: 2000,
        concurrency: 8,
        maxMs: 60_000,
        firstOrderId: "1",
        mode: "rest",
      },
      (ack) => {
        acks.push(ack);
        if (!killed && acks.length >= KILL_AFTER_ACKS) {
          killed = true;
          child.process.kill("SIGKILL");
        }
      },
    );
    assert.ok(killed, "the sequencer was killed during the load");
    assert.equal(await child.exited, "SIGKILL");
    assert.ok(report.sent > acks.length, "requests were in flight when the process died");

    // Restart on the same database.
    child = await startChild(env);
    client = new Client(child.url);
    const tokens = await sessions(client);
    const first = await snapshot(client, tokens);
    for (const ack of acks) {
      assert.equal(ack.status, "resting");
      assert.equal(
        first.open.get(`${ack.accountId}:${ack.orderId}`),
        ack.remaining,
        `acknowledged order ${ack.accountId}:${ack.orderId} survived`,
      );
    }
    assert.ok(first.open.size <= report.sent, "no order appears that was never sent");
    assert.ok(first.open.size >= acks.length);
    assert.equal(first.status.stateRoot, rootBefore, "resting orders do not touch the rollup state");
    const bobToken = await client.session(bob);
    const fills = (await client.get("/v1/account/fills", bobToken)).body.fills as Record<string, string>[];
    assert.equal(fills.length, 1);
    assert.equal(fills[0]!.size, (2n * ONE).toString());

    // A second restart replays to exactly the same venue.
    assert.equal(await stopChild(child), "0");
    child = await startChild(env);
    client = new Client(child.url);
    const second = await snapshot(client, await sessions(client));
    assert.deepEqual(second.book, first.book);
    assert.deepEqual([...second.open].sort(), [...first.open].sort());
    assert.equal(second.status.journal, first.status.journal);
    assert.equal(second.status.stateRoot, first.status.stateRoot);
    await stopChild(child);
  },
);
