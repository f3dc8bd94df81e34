/**
 * Load from a separate process: the load generator (sequencer/tools/loadgen.ts) runs as a
 * child process against a sequencer on 127.0.0.1, bounded in count and time. Every
 * acknowledged order must be in the book and in the journal; nothing else may be.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadgenPkHash } from "../../sequencer/tools/loadgen.ts";
import type { LoadOptions, LoadReport } from "../../sequencer/tools/loadgen.ts";
import { ROOT } from "./child.ts";
import { ADMIN_TOKEN, domain, startVenue } from "./helpers.ts";

const run = promisify(execFile);
const ACCOUNTS = [20n, 21n, 22n, 23n, 24n, 25n];

test(
  "load: orders from a separate process are all acknowledged, booked and journaled",
  { timeout: 180_000 },
  async () => {
    const v = await startVenue({ profile: "prod", orderRatePerSecond: 100_000, orderBurst: 100_000, verifyWorkers: 1 });
    try {
      for (const id of ACCOUNTS) {
        const r = await v.client.post(
          "/v1/admin/deposits",
          {
            accountId: id.toString(),
            owner: (0x3000n + id).toString(),
            pkHash: loadgenPkHash(id).toString(),
            amount: "100000000000",
          },
          ADMIN_TOKEN,
        );
        assert.equal(r.status, 200);
      }
      const journalBefore = v.service.venue.journal.length;
      const options: LoadOptions = {
        url: v.service.url,
        domain: domain().toString(),
        accounts: ACCOUNTS.map(String),
        instrument: "1",
        mid: "300000",
        tick: "1",
        lot: "10",
        levels: 300,
        count: 1200,
        concurrency: 16,
        maxMs: 45_000,
        firstOrderId: "1",
        mode: "rest",
      };
      const { stdout } = await run(
        process.execPath,
        ["--import", "tsx", path.join(ROOT, "sequencer/tools/loadgen.ts"), JSON.stringify(options)],
        { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      );
      const report = JSON.parse(stdout) as LoadReport;
      assert.ok(report.acked.length > 0, "orders were acknowledged");
      assert.ok(report.sent <= options.count, "bounded in count");
      assert.deepEqual(report.errors, {}, "no rejections under load");
      assert.equal(report.acked.length, report.sent);

      const venue = v.service.venue;
      for (const ack of report.acked) {
        assert.equal(ack.status, "resting");
        const open = venue.engine.findOpen(BigInt(ack.accountId), BigInt(ack.orderId));
        assert.ok(open !== null, `acknowledged order ${ack.accountId}:${ack.orderId} is in the book`);
        assert.equal(open.remaining.toString(), ack.remaining);
      }
      const open = ACCOUNTS.reduce((n, id) => n + venue.engine.openOrders(id).length, 0);
      assert.equal(open, report.acked.length, "nothing unacknowledged is in the book");
      assert.equal(
        venue.journal.length - journalBefore,
        BigInt(report.acked.length),
        "every acknowledged order is journaled",
      );
      console.log(
        `load: ${report.acked.length} orders in ${Math.round(report.ms)} ms, p50 ${report.p50.toFixed(1)} ms, p99 ${report.p99.toFixed(1)} ms`,
      );
    } finally {
      await v.cleanup();
    }
  },
);
