/**
 * WebSocket load from a separate process: the WS load generator (sequencer/tools/wsload.ts)
 * runs as a child process against a prod-profile venue on 127.0.0.1 (group commit on, the
 * builder in its own process), in both modes, bounded in count and time. Every order must be
 * acknowledged as accepted, half of them must fill (one fill per maker/taker pair), and the
 * book must agree with the acknowledgements. Counts only: speed is the benchmark's business (bench/sequencer.ts).
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadgenPkHash } from "../../sequencer/tools/loadgen.ts";
import type { WsLoadOptions, WsLoadReport } from "../../sequencer/tools/wsload.ts";
import { ROOT } from "./child.ts";
import { ADMIN_TOKEN, domain, startVenue } from "./helpers.ts";

const run = promisify(execFile);
const MAKER = 40n;
const TAKER = 41n;

async function wsload(options: WsLoadOptions): Promise<WsLoadReport> {
  const { stdout } = await run(
    process.execPath,
    ["--import", "tsx", path.join(ROOT, "sequencer/tools/wsload.ts"), JSON.stringify(options)],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 },
  );
  return JSON.parse(stdout) as WsLoadReport;
}

test(
  "wsload: signed orders over WebSocket from another process, saturating and paced, are all accepted and half fill",
  { timeout: 240_000 },
  async () => {
    const v = await startVenue({
      profile: "prod",
      verifyWorkers: 1,
      groupCommit: true,
      builder: "process",
      orderRatePerSecond: 100_000,
      orderBurst: 100_000,
      api: { rateLimits: { readRate: 100_000, readBurst: 100_000 } },
    });
    try {
      for (const id of [MAKER, TAKER]) {
        const r = await v.client.post(
          "/v1/admin/deposits",
          {
            accountId: id.toString(),
            owner: (0x4000n + id).toString(),
            pkHash: loadgenPkHash(id).toString(),
            amount: "100000000000",
          },
          ADMIN_TOKEN,
        );
        assert.equal(r.status, 200);
      }
      const venue = v.service.venue;
      // No firstOrderId: each run starts at the venue's next order id of each account.
      const base: Omit<WsLoadOptions, "mode" | "count"> = {
        url: v.service.url,
        domain: domain().toString(),
        maker: MAKER.toString(),
        taker: TAKER.toString(),
        instrument: "1",
        mid: "300000",
        tick: "1",
        lot: "10",
        levels: 100,
        seed: 40,
        batch: 1,
        inFlight: 32,
        rate: 400,
        maxMs: 60_000,
      };
      const runs: [WsLoadOptions, number][] = [
        [{ ...base, mode: "saturate", count: 400 }, 400],
        [{ ...base, mode: "paced", count: 300 }, 300],
        // placeBatch: 10 orders a message, orders counted one by one.
        [{ ...base, mode: "saturate", batch: 10, inFlight: 40, count: 200 }, 200],
        // A warm-up first, at the same pace, counted apart.
        [{ ...base, mode: "paced", count: 200, warmup: 100 }, 200],
      ];
      for (const [options, orders] of runs) {
        const warmup = options.warmup ?? 0;
        const openBefore = venue.engine.openOrders(MAKER).length;
        const journalBefore = venue.journal.length;
        const nextBefore = [venue.engine.nextOrderId(MAKER), venue.engine.nextOrderId(TAKER)];
        const report = await wsload(options);
        const label = `${options.mode} batch ${options.batch}${warmup > 0 ? ` after ${warmup} warm-up orders` : ""}`;
        assert.deepEqual(report.rejected, {}, `${label}: no rejections`);
        assert.equal(report.orders, orders, `${label}: every order sent`);
        assert.equal(report.messages, orders / options.batch, `${label}: one message per ${options.batch} orders`);
        assert.equal(report.accepted, orders, `${label}: every order acknowledged as accepted`);
        const sum = (statuses: Readonly<Record<string, number>>): number =>
          Object.values(statuses).reduce((a, b) => a + b, 0);
        assert.equal(sum(report.makerStatus), orders / 2, `${label}: maker orders acknowledged`);
        assert.equal(sum(report.takerStatus), orders / 2, `${label}: taker orders acknowledged`);
        // The warm-up's orders are all accepted, and counted apart from the measured ones.
        if (warmup === 0) assert.equal(report.warmup, null, `${label}: no warm-up`);
        else {
          assert.equal(report.warmup?.orders, warmup, `${label}: every warm-up order sent`);
          assert.equal(report.warmup?.accepted, warmup, `${label}: every warm-up order accepted`);
          assert.equal(report.warmup?.rejected, 0);
          assert.ok(report.warmup!.latency.max >= report.warmup!.latency.p50);
        }
        // One lot each, the maker's asks at least as many as the taker's bids: one fill per pair,
        // warm-up and measured orders together (the pair at the boundary reports it in either).
        const all = orders + warmup;
        assert.equal(report.fills + (report.warmup?.fills ?? 0), all / 2, `${label}: half the orders filled`);
        assert.equal(
          report.filledOrders + (report.warmup?.filledOrders ?? 0),
          all / 2,
          `${label}: one fill per filling order`,
        );
        if (warmup === 0) assert.equal(report.fills, orders / 2, `${label}: half the measured orders filled`);
        assert.equal(report.seedOrders, options.seed);
        // Ids counted up from the venue's next id, one per accepted order.
        assert.deepEqual(
          [venue.engine.nextOrderId(MAKER), venue.engine.nextOrderId(TAKER)],
          [nextBefore[0]! + BigInt(options.seed + all / 2), nextBefore[1]! + BigInt(all / 2)],
          `${label}: the next order ids moved past every id used`,
        );
        assert.ok(report.latency.p50 > 0 && report.latency.max >= report.latency.p99);
        // The book agrees with the acknowledgements: every taker bid filled, the seeds rest on.
        assert.equal(venue.engine.openOrders(MAKER).length, openBefore + options.seed, `${label}: maker's open orders`);
        assert.equal(venue.engine.openOrders(TAKER).length, 0, `${label}: no taker order rests`);
        assert.ok(
          venue.journal.length - journalBefore >= BigInt(report.seedOrders + all),
          `${label}: every accepted order is journaled`,
        );
        console.log(
          `wsload ${label}: ${report.accepted} orders in ${report.messages} messages, ${report.fills} fills, ${report.ordersPerSecond}/s, p50 ${report.latency.p50} ms, p99 ${report.latency.p99} ms`,
        );
        // Cancel what rests so the next run starts from a book the maker's open-order cap allows.
        for (const o of venue.engine.openOrders(MAKER))
          venue.execute({ kind: "cancel", accountId: MAKER, orderId: o.orderId, reason: "user" }, BigInt(Date.now()));
      }
      assert.equal(venue.halt, null, "the venue did not halt");
    } finally {
      await v.cleanup();
    }
  },
);
