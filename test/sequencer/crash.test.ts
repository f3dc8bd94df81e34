/**
 * Crash safety: the sequencer runs as a child process, is killed with SIGKILL while a client
 * is sending orders, and is restarted on the same database. Every acknowledged order must be
 * there, nothing unknown may appear, trades acknowledged before the crash keep their fills,
 * and two restarts agree on books and state (deterministic replay). With snapshots taken every
 * few dozen commands, a kill at a random moment (possibly mid-snapshot) restarts from the newest
 * snapshot plus the journal tail, and that venue — the builder process's trees included — equals
 * a full replay from genesis.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { Side } from "../../protocol/types.ts";
import { loadgenPkHash, runLoad } from "../../sequencer/tools/loadgen.ts";
import type { Ack } from "../../sequencer/tools/loadgen.ts";
import { Sequencer } from "../../sequencer/core/sequencer.ts";
import { configFromEnv } from "../../sequencer/config.ts";
import { venueSetup } from "../../sequencer/service.ts";
import { compareWithFullReplay } from "../../sequencer/tools/snapshot-check.ts";
import { startChild, stopChild } from "./child.ts";
import { ADMIN_TOKEN, Client, domain, tempDb, Trader, venueEnv } from "./helpers.ts";

const ACCOUNTS = [10n, 11n, 12n, 13n];
const RICH = 100_000_000_000n;
const P = 300_000n;
const ONE = 10_000n;
const KILL_AFTER_ACKS = 250;
/**
 * The journal's checkpoint thread (sequencer/journal/checkpoints.ts) from the 16th command on,
 * every 16 commands, restarting the log past 32 frames: the kill lands among checkpoints and
 * restarts of the log, as it would after hours of load at the defaults.
 */
const CHECKPOINT_OFTEN = { TESSERA_CHECKPOINT_EVERY_COMMANDS: "16", TESSERA_CHECKPOINT_RESTART_FRAMES: "32" };

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
      ...CHECKPOINT_OFTEN,
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

const snapDb = tempDb();
after(() => snapDb.cleanup());

test(
  "crash with snapshots: SIGKILL at a random moment under load with fills restarts from snapshot + tail, as a full replay",
  { timeout: 240_000 },
  async () => {
    const env = venueEnv(snapDb.file, {
      TESSERA_ORDER_RATE: "100000",
      TESSERA_ORDER_BURST: "100000",
      TESSERA_SNAPSHOT_EVERY_ENTRIES: "40",
      TESSERA_SNAPSHOT_EVERY_BATCHES: "3",
      TESSERA_SNAPSHOT_KEEP: "3",
      ...CHECKPOINT_OFTEN,
    });
    let child = await startChild(env);
    let client = new Client(child.url);
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
    // Half the orders take liquidity (fills, batches of the demo profile's 4 slots), half rest.
    const killAfter = 150 + Math.floor(Math.random() * 350);
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
        levels: 50,
        count: 1500,
        concurrency: 8,
        maxMs: 60_000,
        firstOrderId: "1",
        mode: "cross",
      },
      (ack) => {
        acks.push(ack);
        if (!killed && acks.length >= killAfter) {
          killed = true;
          child.process.kill("SIGKILL");
        }
      },
    );
    assert.ok(killed, "the sequencer was killed during the load");
    assert.equal(await child.exited, "SIGKILL");
    assert.ok(
      acks.some((a) => a.fills > 0),
      "acknowledged orders filled",
    );

    // Two restarts agree (the first may take a new snapshot; the second then starts from it).
    child = await startChild(env);
    client = new Client(child.url);
    const first = (await client.get("/v1/status")).body;
    const firstBook = (await client.get("/v1/instruments/ETH-PERP/book?depth=500")).body;
    assert.equal(await stopChild(child), "0");
    child = await startChild(env);
    client = new Client(child.url);
    const second = (await client.get("/v1/status")).body;
    assert.deepEqual((await client.get("/v1/instruments/ETH-PERP/book?depth=500")).body, firstBook);
    assert.equal(second.stateRoot, first.stateRoot);
    assert.equal(second.journal, first.journal);
    assert.equal(await stopChild(child), "0");

    // In-process: snapshot + tail equals a full replay, records and trees alike.
    const config = await venueSetup(configFromEnv(env, Date.now()), null);
    const check = compareWithFullReplay(config, snapDb.file, { listedAt: env.TESSERA_LISTED_AT! });
    assert.ok(check.snapshotSeq > 0n, "the restart loads a snapshot");
    assert.ok(check.tail < check.full, "and replays only the tail");
    assert.deepEqual(check.skipped, []);
    assert.deepEqual(check.differences, []);
    const full = Sequencer.open(
      config,
      snapDb.file,
      "FULL",
      { listedAt: env.TESSERA_LISTED_AT! },
      {
        builder: "inline",
        snapshots: false,
        loadSnapshot: false,
      },
    );
    try {
      assert.equal(
        String(full.ledger.committedRoot),
        first.stateRoot,
        "the builder process's trees equal a full replay's",
      );
      // No acknowledged order is lost: a taker's fills are journaled, a resting order is open or filled since.
      for (const ack of acks) {
        const account = BigInt(ack.accountId);
        const orderId = BigInt(ack.orderId);
        const fills = full.journal.fillsOf(account, 100_000);
        if (ack.fills > 0)
          assert.equal(
            fills.filter((f) => f.takerAccount === account && f.takerOrderId === orderId).length,
            ack.fills,
            `the fills of acknowledged order ${ack.accountId}:${ack.orderId}`,
          );
        if (ack.status === "resting")
          assert.ok(
            full.engine.findOpen(account, orderId) !== null ||
              fills.some((f) => f.makerAccount === account && f.makerOrderId === orderId),
            `acknowledged resting order ${ack.accountId}:${ack.orderId} survived`,
          );
      }
      assert.ok(report.sent >= acks.length);
    } finally {
      full.close();
    }
  },
);
