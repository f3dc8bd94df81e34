/**
 * Open-order totals (issue 16): the matching engine's running totals of each account's resting
 * orders (sequencer/core/engine/totals.ts) equal the sums recomputed from its open orders, in
 * the order those first name each instrument, after every command of random histories — GTC,
 * IOC, FOK, post-only, reduce-only and short-lived orders, partial and full fills, amends,
 * replaces, cancels, cancel-all, disconnected groups, dead-man switches, market-maker protection
 * trips, liquidations, expiry and settlement — and after a restart from a snapshot. The margin
 * check on placement (sequencer/intake/reserve.ts) built on them gives the verdict, code and
 * message, of the walk over every open order it replaces (kept here as the reference).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { applyFill, slotFor } from "../../protocol/account.ts";
import { BPS } from "../../protocol/constants.ts";
import { ProtocolError } from "../../protocol/errors.ts";
import { decodeInstrument } from "../../protocol/instruments.ts";
import { equity, initialMarginScaled, meetsIM } from "../../protocol/margin.ts";
import type { Marks } from "../../protocol/margin.ts";
import { InstrumentKind, Side } from "../../protocol/types.ts";
import type { Account, SideCode, SignedOrder } from "../../protocol/types.ts";
import type { Command } from "../../sequencer/core/commands.ts";
import type { CancelReason } from "../../sequencer/core/engine/engine.ts";
import { decodeFlags } from "../../sequencer/core/engine/flags.ts";
import type { Market } from "../../sequencer/core/engine/markets.ts";
import type { OpenTotal } from "../../sequencer/core/engine/totals.ts";
import { Sequencer } from "../../sequencer/core/sequencer.ts";
import type { OpenOptions, Outcome } from "../../sequencer/core/sequencer.ts";
import { SequencerError } from "../../sequencer/errors.ts";
import { checkOpenOrderMargin } from "../../sequencer/intake/reserve.ts";
import { compareWithFullReplay } from "../../sequencer/tools/snapshot-check.ts";
import { initCrypto } from "../../protocol/index.ts";
import { BTC_PERP, ETH_PERP, tempDb, Trader, venueConfig } from "./helpers.ts";
import type { Tif } from "./helpers.ts";
import { mulberry32 } from "../random.ts";

await initCrypto();

const PRICES = [300_000n, 6_000_000n];

/** The check as it was: every open order walked, its instrument decoded, its cost summed. */
function referenceCheck(venue: Sequencer, incoming: SignedOrder): void {
  interface SideTotal {
    size: bigint;
    cost: bigint;
  }
  const unitCost = (instrument: bigint, p: bigint, marks: Marks): bigint => {
    const spec = decodeInstrument(instrument);
    return spec.kind === InstrumentKind.PERP ? p - marks.fundingIndex[spec.underlying - 1]! : p;
  };
  const filled = (account: Account, instrument: bigint, total: SideTotal, sign: 1n | -1n): Account | null => {
    if (total.size === 0n) return account;
    const slot = slotFor(account, instrument);
    if (slot < 0) return null;
    return applyFill(account, slot, instrument, sign * total.size, sign * total.cost);
  };
  const headroom = (account: Account, marks: Marks): bigint =>
    BPS * equity(account, marks) - initialMarginScaled(account, marks);

  const o = incoming.order;
  const marks = venue.ledger.state.marks(venue.ledger.oraclePrices);
  const current = venue.ledger.state.account(o.accountId);
  const totals = new Map<bigint, { buy: SideTotal; sell: SideTotal }>();
  const add = (instrument: bigint, side: number, size: bigint, price: bigint): void => {
    let t = totals.get(instrument);
    if (t === undefined) totals.set(instrument, (t = { buy: { size: 0n, cost: 0n }, sell: { size: 0n, cost: 0n } }));
    const s = side === Side.BUY ? t.buy : t.sell;
    s.size += size;
    s.cost += size * unitCost(instrument, price, marks);
  };
  for (const r of venue.engine.openOrders(o.accountId)) add(r.instrument, r.side, r.remaining, r.price);
  add(o.instrument, o.side, o.size, o.price);

  let account = current;
  for (const [instrument, t] of totals) {
    const buys = filled(account, instrument, t.buy, 1n);
    const sells = filled(account, instrument, t.sell, -1n);
    if (buys === null || sells === null)
      throw new SequencerError(
        "NO_POSITION_SLOT",
        `account ${o.accountId} has open orders in more instruments than it has position slots: cancel some`,
        422,
      );
    account = headroom(buys, marks) <= headroom(sells, marks) ? buys : sells;
  }
  if (meetsIM(account, marks) || initialMarginScaled(account, marks) <= initialMarginScaled(current, marks)) return;
  throw new SequencerError(
    "MARGIN",
    `account ${o.accountId} lacks the initial margin for its open orders with this one filled at their limit prices: deposit, or cancel or shrink orders`,
    422,
  );
}

/** `ok`, or the error's code and message. */
function verdict(check: () => void): string {
  try {
    check();
    return "ok";
  } catch (e) {
    if (e instanceof SequencerError) return `${e.code}: ${e.message}`;
    throw e;
  }
}

/** An account's totals recomputed from its open orders, instruments in order of first appearance. */
function recomputed(venue: Sequencer, accountId: bigint): OpenTotal[] {
  const out = new Map<bigint, { instrument: bigint; buy: Sum; sell: Sum }>();
  interface Sum {
    size: bigint;
    notional: bigint;
  }
  for (const r of venue.engine.openOrders(accountId)) {
    let t = out.get(r.instrument);
    if (t === undefined)
      out.set(
        r.instrument,
        (t = { instrument: r.instrument, buy: { size: 0n, notional: 0n }, sell: { size: 0n, notional: 0n } }),
      );
    const s = r.side === Side.BUY ? t.buy : t.sell;
    s.size += r.remaining;
    s.notional += r.remaining * r.price;
  }
  return [...out.values()];
}

const plain = (t: OpenTotal): OpenTotal => ({ instrument: t.instrument, buy: { ...t.buy }, sell: { ...t.sell } });

/** Totals statistics over every history, for the coverage assertions at the end. */
const seen = new Map<string, number>();
const count = (key: string, n = 1): void => void seen.set(key, (seen.get(key) ?? 0) + n);

/** A random history's command source, and the candidate orders the check is asked about. */
class History {
  readonly traders = [2n, 3n, 4n, 5n, 6n, 7n].map((id) => new Trader(`totals-${id}`, id));
  private readonly nextId = new Map<bigint, bigint>();
  private readonly prices = PRICES.slice();
  private round = 1n;
  private readonly groups: string[] = [];
  private readonly markets: readonly Market[];
  private readonly expiry: bigint;
  private settled = false;
  now: bigint;

  constructor(
    private readonly venue: () => Sequencer,
    readonly random: () => number,
  ) {
    this.markets = venue().engine.listMarkets();
    this.expiry = this.markets.find((m) => m.expiry > 0n)!.expiry;
    this.now = (this.expiry - 240n) * 1000n;
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.random() * xs.length)]!;
  }

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  deposits(): Command[] {
    // One thin account (margin refusals, liquidations), one medium, the rest rich.
    const amounts = [250_000_000n, 3_000_000_000n, 100_000_000_000n];
    return this.traders.map((t, i) => ({
      kind: "deposit" as const,
      accountId: t.accountId,
      owner: t.owner,
      pkHash: t.pkHash,
      amount: amounts[Math.min(i, 2)]!,
      queueIndex: null,
    }));
  }

  /** The next order id of `t` whose order-tree slot is free (ORDER_SLOT_BUSY otherwise). */
  private id(t: Trader): bigint {
    let id = this.nextId.get(t.accountId) ?? 0n;
    for (let i = 0; i < 16; i++) {
      id += 1n;
      try {
        this.venue().engine.checkOrderId(t.accountId, id);
        break;
      } catch {
        continue;
      }
    }
    this.nextId.set(t.accountId, id);
    return id;
  }

  /** A random order of `t`, near the touch (perps) or in a small option price range. */
  order(t: Trader, instrument?: bigint, side?: SideCode): SignedOrder {
    const market =
      instrument !== undefined
        ? this.markets.find((m) => m.instrument === instrument)!
        : this.random() < 0.55
          ? this.markets[0]!
          : this.random() < 0.2
            ? this.markets.find((m) => m.underlying === 2 && m.expiry === 0n)!
            : this.pick(this.markets.filter((m) => m.expiry > 0n));
    const perp = market.expiry === 0n;
    const tick = market.tickSize;
    const round = (x: bigint): bigint => (x / tick > 0n ? (x / tick) * tick : tick);
    // Perps within ±0.25 % of the oracle, options within ±25 % of a thirtieth of it.
    const oracle = this.prices[market.underlying - 1]!;
    const base = round(perp ? oracle : oracle / 30n);
    const step = round(base / (perp ? 2000n : 20n));
    const price = base + BigInt(this.int(11) - 5) * step;
    const r = this.random();
    const tif = r < 0.15 ? "IOC" : r < 0.25 ? "FOK" : "GTC";
    return t.sign({
      instrument: market.instrument,
      side: side ?? (this.random() < 0.5 ? Side.BUY : Side.SELL),
      size: BigInt(1 + this.int(perp ? 12 : 4)) * market.lotSize * (perp ? 100n : 10n),
      price: price > 0n ? price : tick,
      orderId: this.id(t),
      tif,
      postOnly: tif === "GTC" && this.random() < 0.1,
      reduceOnly: this.random() < 0.08,
      // Some orders run out while resting: the maker is cancelled when reached (ORDER_EXPIRED).
      ...(this.random() < 0.1 ? { expiry: this.now / 1000n + BigInt(2 + this.int(8)) } : {}),
    });
  }

  /** The next random command (time moves on by 0.2–1.8 s: the options expire on the way). */
  next(): Command {
    this.now += BigInt(200 + this.int(1600));
    const venue = this.venue();
    // The thin account trades a quarter of the time: it rests orders when it is liquidated.
    const t = this.random() < 0.25 ? this.traders[0]! : this.pick(this.traders);
    const open = venue.engine.openOrders(t.accountId);
    const r = this.random();
    if (r < 0.42) {
      const group = this.random() < 0.15 ? `conn-${t.accountId}-${this.int(3)}` : null;
      if (group !== null && !this.groups.includes(group)) this.groups.push(group);
      return { kind: "place", order: this.order(t), clientOrderId: null, group };
    }
    if (r < 0.5 && open.length > 0)
      return { kind: "cancel", accountId: t.accountId, orderId: this.pick(open).orderId, reason: "user" };
    if (r < 0.53)
      return {
        kind: "cancelAll",
        accountId: t.accountId,
        instrument: this.random() < 0.5 && open.length > 0 ? this.pick(open).instrument : null,
        reason: "user",
      };
    if (r < 0.59 && open.length > 0) {
      const o = this.pick(open);
      const lot = venue.engine.market(o.instrument).lotSize;
      const total = o.filled + o.remaining;
      const lots = (total - o.filled) / lot;
      const size = lots > 1n ? o.filled + BigInt(1 + this.int(Number(lots - 1n))) * lot : total - lot;
      return { kind: "amend", accountId: t.accountId, orderId: o.orderId, size };
    }
    if (r < 0.65 && open.length > 0) {
      const o = this.pick(open);
      const order = this.order(t, this.random() < 0.7 ? o.instrument : undefined);
      return { kind: "replace", accountId: t.accountId, oldOrderId: o.orderId, order, clientOrderId: null };
    }
    if (r < 0.67 && this.groups.length > 0)
      return { kind: "cancelGroup", group: this.pick(this.groups), reason: "disconnect" };
    if (r < 0.7)
      return { kind: "scheduleCancel", accountId: t.accountId, at: this.now + BigInt(1000 + this.int(4000)) };
    if (r < 0.74) return { kind: "cancelScheduled", accountId: t.accountId };
    if (r < 0.77)
      return {
        kind: "mmpConfig",
        accountId: t.accountId,
        underlying: 1,
        config: { windowMs: 10_000n, maxQuantity: 5_000n, maxCount: 2, maxDelta: 0n },
      };
    if (r < 0.79) return { kind: "mmpReset", accountId: t.accountId, underlying: 1 };
    if (r < 0.87) {
      // Moves of up to ±5 %, now and then ±15 %: the thin account is liquidated.
      const range = this.random() < 0.2 ? 3000 : 1000;
      for (let u = 0; u < this.prices.length; u++) {
        const bps = BigInt(this.int(range) - range / 2);
        this.prices[u] = (this.prices[u]! * (10_000n + bps)) / 10_000n;
      }
      this.round += 1n;
      return { kind: "oracle", prices: this.prices.slice(), roundIds: [this.round, this.round] };
    }
    if (r < 0.92) return { kind: "funding" };
    const expired = this.now / 1000n >= this.expiry;
    if (r < 0.95 && expired && !this.settled) {
      this.settled = true;
      return { kind: "settle", underlying: 1, expiry: this.expiry, price: this.prices[0]!, roundId: this.round };
    }
    if (r < 0.97) return { kind: "expire" };
    return { kind: "closeBatch" };
  }

  /** Orders to ask the check about for `t`: in an instrument it rests in, and a random one. */
  candidates(t: Trader): SignedOrder[] {
    const open = this.venue().engine.openOrders(t.accountId);
    const out = [this.order(t)];
    if (open.length > 0) out.push(this.order(t, this.pick(open).instrument));
    return out;
  }
}

/** Executes `command` as the API does (a GTC order passes the margin check first, most of the time). */
function run(venue: Sequencer, history: History, command: Command): Outcome | string {
  try {
    const gtc = command.kind === "place" && decodeFlags(command.order.order.flags).timeInForce === "GTC";
    if (gtc && history.random() < 0.7) checkOpenOrderMargin(venue, command.order);
    return venue.execute(command, history.now);
  } catch (e) {
    if (e instanceof SequencerError || e instanceof ProtocolError) return e.code;
    throw e;
  }
}

/** Every account's totals against the recomputed sums, and the check against the reference. */
function assertTotals(venue: Sequencer, history: History, where: string): void {
  const expected = new Map<bigint, OpenTotal[]>();
  for (const t of history.traders) {
    const sums = recomputed(venue, t.accountId);
    assert.deepEqual(venue.engine.openTotals(t.accountId).map(plain), sums, `${where}: account ${t.accountId}`);
    if (sums.length > 0) expected.set(t.accountId, sums);
    for (const c of history.candidates(t)) {
      const v = verdict(() => checkOpenOrderMargin(venue, c));
      assert.equal(
        v,
        verdict(() => referenceCheck(venue, c)),
        `${where}: check of account ${t.accountId}`,
      );
      count(v.split(":")[0]!);
    }
  }
  assert.deepEqual(venue.engine.inspectOpenTotals(), expected, `${where}: no totals without orders`);
}

/** Counts what an outcome did to resting orders. */
function tally(venue: Sequencer, outcome: Outcome | string): void {
  if (typeof outcome === "string") return;
  const cancelled: { reason: CancelReason }[] = [];
  if (outcome.kind === "place" || outcome.kind === "replace") {
    const placed = outcome.kind === "place" ? outcome.result : outcome.placed;
    cancelled.push(...placed.cancelled);
    for (const f of placed.fills)
      count(venue.engine.findOpen(f.makerAccount, f.makerOrderId) === null ? "full fill" : "partial fill");
  }
  if (outcome.kind === "replace") cancelled.push(outcome.cancelled);
  if (outcome.kind === "cancel" || outcome.kind === "cancelScheduled") cancelled.push(...outcome.cancelled);
  if (outcome.kind === "oracle" || outcome.kind === "funding") {
    cancelled.push(...outcome.risk.cancelled);
    count("liquidation", outcome.risk.fills.length);
  }
  if (outcome.kind === "expire" || outcome.kind === "settle") cancelled.push(...outcome.cancelled);
  if (outcome.kind === "amend") count("amend");
  for (const c of cancelled) count(`cancel:${c.reason}`);
}

function open(file: string, options: OpenOptions = {}): Sequencer {
  return Sequencer.open(venueConfig(), file, "NORMAL", {}, options);
}

describe("open-order totals equal the sums over the open orders", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    test(`random history ${seed}, then a restart from a snapshot`, { timeout: 240_000 }, () => {
      const db = tempDb();
      try {
        const random = mulberry32(seed);
        let venue = open(db.file, { snapshots: { everyEntries: 60, everyBatches: 8, keep: 2 } });
        const history = new History(() => venue, random);
        for (const c of history.deposits()) run(venue, history, c);
        let funded = false;
        for (let i = 0; i < 300; i++) {
          const c = history.next();
          tally(venue, run(venue, history, c));
          assertTotals(venue, history, `seed ${seed}, command ${i} (${c.kind})`);
          funded ||= venue.ledger.state.marks(venue.ledger.oraclePrices).fundingIndex.some((f) => f !== 0n);
        }
        if (funded) count("funding index set");
        const resting = history.traders.reduce((n, t) => n + venue.engine.openCount(t.accountId), 0);
        assert.ok(resting > 0, "orders rest at the end");
        venue.close();

        // The restart rebuilds the totals from the snapshot's resting orders, then replays the tail.
        const check = compareWithFullReplay(venueConfig(), db.file);
        assert.ok(check.snapshotSeq > 0n, "the restart loaded a snapshot");
        assert.deepEqual(check.differences, [], "the restored totals are the replayed ones");
        // The history goes on on the restored venue.
        venue = open(db.file, { snapshots: false });
        try {
          assert.equal(venue.restored.snapshotSeq, check.snapshotSeq);
          assertTotals(venue, history, `seed ${seed}, restored`);
          for (let i = 0; i < 40; i++) {
            const c = history.next();
            tally(venue, run(venue, history, c));
            assertTotals(venue, history, `seed ${seed}, restored, command ${i} (${c.kind})`);
          }
        } finally {
          venue.close();
        }
      } finally {
        db.cleanup();
      }
    });
  }

  test("the histories cover every way an order changes, and every verdict", () => {
    const reasons: CancelReason[] = [
      "user",
      "self_trade",
      "replaced",
      "disconnect",
      "maker_rejected",
      "scheduled",
      "mmp",
      "liquidation",
      "expired",
    ];
    const counts = [...seen].map(([k, n]) => `${k}=${n}`).join(" ");
    for (const key of [
      ...reasons.map((r) => `cancel:${r}`),
      "full fill",
      "partial fill",
      "amend",
      "liquidation",
      "funding index set",
    ])
      assert.ok((seen.get(key) ?? 0) > 0, `${key} happens: ${counts}`);
    for (const key of ["ok", "MARGIN", "NO_POSITION_SLOT"]) assert.ok((seen.get(key) ?? 0) > 0, `${key}: ${counts}`);
  });
});

describe("the instruments are taken in the order the open orders first name them", () => {
  test("a closing fill frees a position slot only for the instruments after it", () => {
    const db = tempDb();
    const venue = open(db.file);
    try {
      const [a, b] = [new Trader("order-a", 2n), new Trader("order-b", 3n)];
      const markets = venue.engine.listMarkets();
      const option = (u: number, kind: number) =>
        markets.find((m) => m.underlying === u && m.kind === kind)!.instrument;
      const [call, put, btcCall] = [
        option(1, InstrumentKind.CALL),
        option(1, InstrumentKind.PUT),
        option(2, InstrumentKind.CALL),
      ];
      let now = (markets.find((m) => m.expiry > 0n)!.expiry - 3600n) * 1000n;
      const ids = new Map<bigint, bigint>();
      const exec = (command: Command): Outcome => venue.execute(command, (now += 1000n));
      const place = (t: Trader, instrument: bigint, side: SideCode, size: bigint, price: bigint, tif: Tif = "GTC") => {
        const orderId = (ids.get(t.accountId) ?? 0n) + 1n;
        ids.set(t.accountId, orderId);
        exec({ kind: "place", order: t.sign({ instrument, side, size, price, orderId, tif }), clientOrderId: null });
        return orderId;
      };
      for (const t of [a, b])
        exec({
          kind: "deposit",
          accountId: t.accountId,
          owner: t.owner,
          pkHash: t.pkHash,
          amount: 100_000_000_000n,
          queueIndex: null,
        });
      // Every position slot of A taken: 1 ETH-PERP long, BTC-PERP, an ETH call and an ETH put.
      for (const [instrument, size, price] of [
        [ETH_PERP, 10_000n, 300_000n],
        [BTC_PERP, 100n, 6_000_000n],
        [call, 100n, 10_000n],
        [put, 100n, 10_000n],
      ] as const) {
        place(b, instrument, Side.SELL, size, price);
        place(a, instrument, Side.BUY, size, price, "IOC");
      }
      assert.ok(venue.ledger.state.account(a.accountId).positions.every((p) => p.size !== 0n));

      // Open orders, oldest first: a sell of ETH-PERP, a bid in a BTC call (no slot for it),
      // the sell that closes the whole ETH-PERP position at 10 % under the oracle (the side
      // with less headroom: its fill frees the slot); the first sell is then cancelled.
      const first = place(a, ETH_PERP, Side.SELL, 10_000n, 265_000n);
      const bid = place(a, btcCall, Side.BUY, 100n, 100_000n);
      place(a, ETH_PERP, Side.SELL, 10_000n, 260_000n);
      exec({ kind: "cancel", accountId: a.accountId, orderId: first, reason: "user" });
      assert.deepEqual(
        venue.engine.openTotals(a.accountId).map((t) => t.instrument),
        [btcCall, ETH_PERP],
      );
      const more = (): SignedOrder => {
        const orderId = (ids.get(a.accountId) ?? 0n) + 1n;
        ids.set(a.accountId, orderId);
        return a.sign({ instrument: btcCall, side: Side.BUY, size: 100n, price: 100_000n, orderId });
      };
      // The BTC call comes first: no slot is free for it yet.
      let incoming = more();
      assert.match(
        verdict(() => checkOpenOrderMargin(venue, incoming)),
        /^NO_POSITION_SLOT/,
      );
      assert.equal(
        verdict(() => checkOpenOrderMargin(venue, incoming)),
        verdict(() => referenceCheck(venue, incoming)),
      );

      // The same orders with the bid placed again after the closing sell: its slot is freed first.
      exec({ kind: "cancel", accountId: a.accountId, orderId: bid, reason: "user" });
      place(a, btcCall, Side.BUY, 100n, 100_000n);
      assert.deepEqual(
        venue.engine.openTotals(a.accountId).map((t) => t.instrument),
        [ETH_PERP, btcCall],
      );
      incoming = more();
      assert.equal(
        verdict(() => checkOpenOrderMargin(venue, incoming)),
        "ok",
      );
      assert.equal(
        verdict(() => referenceCheck(venue, incoming)),
        "ok",
      );
    } finally {
      venue.close();
      db.cleanup();
    }
  });
});
