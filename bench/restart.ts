/**
 * The restart benchmark's child process (bench/sequencer.ts runs it; issue 16 `restart_ms`):
 *
 * - `tsx bench/restart.ts generate <db> <entries> [<tail>]` writes a journal of at least `entries`
 *   commands, with at least `tail` of them after the newest stored snapshot, through
 *   the core as the service runs it (group commit, the builder in its own process, snapshots on
 *   the default policy): resting orders and their cancels from 16 accounts (each rests about 2,000
 *   orders at a time), with a taker order filling a resting order every 200 commands (a batch
 *   closes when its slots are full: 256 fills at prod). The event loop turns every 64 commands,
 *   as a service's does between the messages it reads. Progress goes to stderr; once every entry
 *   is durable it prints one JSON line and waits to be killed (`kill -9`).
 * - `tsx bench/restart.ts open <db> snapshot|genesis` restarts on that journal as the service
 *   does (`Sequencer.open`, then every replayed batch built again) from the newest snapshot plus
 *   the tail, or from genesis (no snapshot read), prints one JSON line and exits.
 *
 * Resting orders that are only ever cancelled carry a placeholder signature: the core never
 * verifies a signature (intake does, sequencer/intake/), and a replay neither. Every order that
 * fills is signed for real, and is verified when it fills, on replay as live.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { domainSeparator } from "../protocol/batch.ts";
import { publicKeyFast, signFast } from "../protocol/eddsa-fast.ts";
import { initCrypto } from "../protocol/index.ts";
import { pkHash } from "../protocol/keys.ts";
import { getProfile } from "../protocol/profiles.ts";
import { orderHash } from "../protocol/signing.ts";
import type { Order, SignedOrder } from "../protocol/types.ts";
import { Sequencer } from "../sequencer/core/sequencer.ts";
import type { VenueConfig } from "../sequencer/core/sequencer.ts";
import { defaultListing } from "../sequencer/core/listing.ts";

const DOMAIN = domainSeparator(31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
const PRICES = [300_000n, 6_000_000n];
const RICH = 1_000_000_000_000n;
const ACCOUNTS = Array.from({ length: 16 }, (_, i) => BigInt(10 + i));
const TAKER = 9n;
/** Resting orders per account before its oldest is cancelled. */
const DEPTH = 2_000;
const FILL_EVERY = 200;
/**
 * Commands between two turns of the event loop (about 2 ms of core work). A service never holds
 * its loop much longer: it reads each socket's messages between turns. With the loop held for
 * 4,096 commands (130 ms), the builder process's replies (about 1.2 MB per built 256-slot batch)
 * took seconds to reach the core, so snapshots were stored seconds late and came far apart.
 */
const YIELD_EVERY = 64;
/** Commands between two waits for the group commit. */
const DURABLE_EVERY = 4096;

const config: VenueConfig = {
  profile: getProfile("prod"),
  domain: DOMAIN,
  system: { feeAccount: { pkHash: 1n, owner: 0n }, insurance: { pkHash: 1n, owner: 0n } },
  initialPrices: PRICES,
  markets: defaultListing({ listedAt: 1_795_132_800n, spot: PRICES, weeks: 0, strikesEachSide: 0, underlyings: 2 }),
};

function key(id: bigint) {
  const prv = keccak_256(new TextEncoder().encode(`tessera restart bench ${id}`));
  return { prv, pk: publicKeyFast(prv) };
}

function order(accountId: bigint, side: 0 | 1, price: bigint, orderId: bigint, ioc = false): Order {
  return { accountId, instrument: 1n, side, size: 10n, price, orderId, expiry: 4_000_000_000n, flags: ioc ? 4n : 0n };
}

async function generate(file: string, entries: number, tail: number): Promise<void> {
  const venue = Sequencer.open(config, file, "FULL", {}, {
    groupCommit: true,
    builder: "process",
    log: (level, message, fields) => process.stderr.write(`[restart] ${level} ${message} ${JSON.stringify(fields)}\n`),
  });
  const keys = new Map([...ACCOUNTS, TAKER].map((id) => [id, key(id)]));
  let now = 1_800_000_000_000n;
  for (const [id, k] of keys)
    venue.execute({ kind: "deposit", accountId: id, owner: id, pkHash: pkHash(k.pk), amount: RICH, queueIndex: null }, (now += 1n));
  const placeholder: SignedOrder["signature"] = { R8x: 1n, R8y: 1n, S: 1n };
  const nextId = new Map<bigint, bigint>(ACCOUNTS.map((id) => [id, 1n]));
  const resting = new Map<bigint, bigint[]>(ACCOUNTS.map((id) => [id, []]));
  let takerId = 1n;
  let fills = 0;
  let i = 0;
  const started = performance.now();
  let reported = 0;
  // At least `entries`, and then on until `tail` entries follow the newest stored snapshot: the
  // kill then falls late in a snapshot interval, so the restart replays a long tail.
  const tailNow = (): bigint => venue.journal.length - (venue.journal.snapshots.seqs()[0] ?? 0n);
  while (venue.journal.length < BigInt(entries) || tailNow() < BigInt(tail)) {
    i += 1;
    const id = ACCOUNTS[i % ACCOUNTS.length]!;
    const k = keys.get(id)!;
    if (i % FILL_EVERY === 0) {
      // A real-signed ask at the touch and a taker buying it (one fill, one TRADE slot).
      const orderId = nextId.get(id)!;
      nextId.set(id, orderId + 1n);
      const ask = order(id, 1, 300_000n, orderId);
      venue.execute({ kind: "place", order: { order: ask, signature: signFast(k.prv, orderHash(ask, DOMAIN)), publicKey: k.pk }, clientOrderId: null }, (now += 1n));
      const t = keys.get(TAKER)!;
      const bid = order(TAKER, 0, 300_000n, takerId++, true);
      const r = venue.execute({ kind: "place", order: { order: bid, signature: signFast(t.prv, orderHash(bid, DOMAIN)), publicKey: t.pk }, clientOrderId: null }, (now += 1n));
      if (r.kind === "place") fills += r.result.fills.length;
      continue;
    }
    const mine = resting.get(id)!;
    if (mine.length >= DEPTH) {
      venue.execute({ kind: "cancel", accountId: id, orderId: mine.shift()!, reason: "user" }, (now += 1n));
      continue;
    }
    const orderId = nextId.get(id)!;
    nextId.set(id, orderId + 1n);
    const sell = orderId % 2n === 0n;
    // Away from the touch on both sides: never crossed by the takers.
    const price = sell ? 300_100n + (orderId % 500n) : 299_900n - (orderId % 500n);
    venue.execute({ kind: "place", order: { order: order(id, sell ? 1 : 0, price, orderId), signature: placeholder, publicKey: k.pk }, clientOrderId: null }, (now += 1n));
    mine.push(orderId);
    // The event loop turns every YIELD_EVERY commands, as a service's does between the messages
    // it reads, so the builder's answers come in; every DURABLE_EVERY the loop waits for the
    // group commit.
    if (i % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
    if (i % DURABLE_EVERY === 0) {
      await venue.durable();
      const done = Number(venue.journal.length);
      if (done - reported >= 100_000) {
        reported = done;
        process.stderr.write(`[restart] ${done} journal entries, ${fills} fills, ${Math.round((performance.now() - started) / 1000)} s\n`);
      }
    }
  }
  await venue.durable();
  await venue.built();
  if (venue.halt !== null) throw new Error(`the venue halted: ${venue.halt.reason}`);
  // A last snapshot may be waiting for the builder's trees, then for its store.
  await new Promise((r) => setTimeout(r, 1000));
  venue.journal.snapshots.flush();
  process.stdout.write(
    `${JSON.stringify({
      entries: Number(venue.journal.length),
      fills,
      batches: Number(venue.ledger.currentBatch - 1n),
      restingOrders: ACCOUNTS.reduce((n, id) => n + venue.engine.openCount(id), 0),
      snapshots: venue.journal.snapshots.seqs().map(Number),
      snapshotBytes: (() => {
        const newest = venue.journal.snapshots.seqs()[0];
        const stored = newest === undefined ? null : venue.journal.snapshots.read(newest);
        return stored === null ? 0 : stored.core.length + stored.builder.length;
      })(),
      generateMs: Math.round(performance.now() - started),
    })}\n`,
  );
  // Serving until killed.
  setInterval(() => {}, 60_000);
}

async function open(file: string, from: "snapshot" | "genesis"): Promise<void> {
  const started = performance.now();
  const venue = Sequencer.open(config, file, "FULL", {}, {
    groupCommit: true,
    builder: "process",
    ...(from === "genesis" ? { loadSnapshot: false, snapshots: false } : {}),
  });
  await venue.built();
  const ms = performance.now() - started;
  if (venue.halt !== null) throw new Error(`the venue halted: ${venue.halt.reason}`);
  process.stdout.write(
    `${JSON.stringify({
      openMs: Math.round(ms),
      snapshotSeq: Number(venue.restored.snapshotSeq),
      replayed: venue.restored.replayed,
      skipped: venue.restored.skipped.length,
      entries: Number(venue.journal.length),
      stateRoot: venue.ledger.committedRoot.toString(),
    })}\n`,
  );
  venue.close();
}

const [mode, file, arg, extra] = process.argv.slice(2);
await initCrypto();
if (mode === "generate" && file !== undefined && arg !== undefined) await generate(file, Number(arg), Number(extra ?? 0));
else if (mode === "open" && file !== undefined && (arg === "snapshot" || arg === "genesis")) await open(file, arg);
else {
  process.stderr.write("usage: tsx bench/restart.ts generate <db> <entries> [<tail>] | open <db> snapshot|genesis\n");
  process.exit(2);
}
