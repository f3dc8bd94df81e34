/**
 * The market-maker bot on a real sequencer: it quotes perps and options within its margin,
 * keeps unchanged quotes, skews after a fill, hedges its delta with the perpetual, pulls its
 * quotes when stopped, and runs as a process (`sdk/bot/main.ts`) as the demo starts it.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { TesseraClient } from "../../sdk/client.ts";
import { TradingKey } from "../../sdk/keys.ts";
import { DEFAULT_BOT_CONFIG, MarketMaker } from "../../sdk/bot/bot.ts";
import type { BotConfig } from "../../sdk/bot/bot.ts";
import { ADMIN_TOKEN, ETH_PRICE, ONE, RICH, startSdkVenue, walletOf } from "./venue.ts";
import type { SdkVenue } from "./venue.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const silent = pino({ level: "silent" });
const config: BotConfig = { ...DEFAULT_BOT_CONFIG, underlyings: [1], optionsPerUnderlying: 2, perpLevels: 1 };

describe("market-maker bot", () => {
  let v: SdkVenue;
  let taker: TesseraClient;

  before(async () => {
    v = await startSdkVenue();
    taker = await v.trader("bot-taker", 3n);
  });
  after(async () => {
    await v.close();
  });

  test("quotes the perp and options around the oracle with greeks, then keeps unchanged quotes", async () => {
    const client = await v.trader("bot-1", 2n);
    const bot = new MarketMaker(client, config, silent);
    const first = await bot.cycle();
    assert.equal(first.quotes.length, 3, "the perp and two options");
    const [perpQuote, ...options] = first.quotes;
    assert.equal(perpQuote!.name, "ETH-PERP");
    assert.ok(perpQuote!.bid!.price < ETH_PRICE && perpQuote!.ask!.price > ETH_PRICE);
    for (const q of options) {
      assert.ok(q.vol! > 0.1 && q.vol! < 3, `${q.name} vol ${q.vol}`);
      assert.ok(q.bid!.price < q.theo && q.theo < q.ask!.price);
      assert.ok(Math.abs(q.greeks.delta) > 0.2 && Math.abs(q.greeks.delta) < 0.8, "near the money");
      assert.ok(q.greeks.gamma > 0 && q.greeks.vega > 0 && q.greeks.theta < 0);
    }
    assert.equal(first.placed, 6);
    assert.deepEqual(first.rejected, []);
    const open = await client.openOrders();
    assert.equal(open.length, 6);
    assert.ok(
      open.every((o) => (o.flags & 2n) === 2n),
      "quotes are post-only",
    );
    const second = await bot.cycle();
    assert.equal(second.kept, 6);
    assert.equal(second.placed + second.replaced + second.cancelled, 0);
    await bot.stop();
    assert.equal((await client.openOrders()).length, 0, "stop pulls every quote");
  });

  test("several levels a side on the perp, sizes growing away from the touch; a smaller size is amended in place", async () => {
    const client = await v.trader("bot-levels", 11n);
    const levels: BotConfig = { ...config, optionsPerUnderlying: 0, perpLevels: 3, levelStepBps: 5n };
    const bot = new MarketMaker(client, levels, silent);
    const first = await bot.cycle();
    assert.equal(first.placed, 6, "three bids and three asks, in one batch");
    const open = await client.openOrders();
    const side = (s: "buy" | "sell") =>
      open
        .filter((o) => o.side === s)
        .sort((a, b) => (s === "buy" ? Number(b.price - a.price) : Number(a.price - b.price)));
    for (const s of ["buy", "sell"] as const) {
      const ladder = side(s);
      assert.equal(ladder.length, 3);
      const gap = (i: number) =>
        s === "buy" ? ladder[i - 1]!.price - ladder[i]!.price : ladder[i]!.price - ladder[i - 1]!.price;
      const step = gap(1);
      assert.ok(step > 0n && step <= (ladder[0]!.price * 5n) / 10_000n, `step ${step}: about 5 bps`);
      ladder.forEach((o, i) => {
        assert.equal(o.size, ladder[0]!.size * BigInt(i + 1), "level i holds (i + 1)× the touch size");
        assert.equal(o.clientOrderId, `q:1:${s}:${i}`);
        if (i > 0) assert.equal(s === "buy" ? ladder[i - 1]!.price - o.price : o.price - ladder[i - 1]!.price, step);
      });
    }
    const book = await client.book(1n, 10);
    assert.ok(book.bids.length >= 3 && book.asks.length >= 3);
    assert.equal((await bot.cycle()).kept, 6);
    // The same prices with half the size: every quote amended in place, none replaced.
    const smaller = new MarketMaker(client, { ...levels, perpNotional: levels.perpNotional / 2n }, silent);
    const third = await smaller.cycle();
    assert.equal(third.amended, 6);
    assert.equal(third.placed + third.replaced + third.cancelled, 0);
    const after = await client.openOrders();
    assert.deepEqual(
      after.map((o) => o.orderId).sort(),
      open.map((o) => o.orderId).sort(),
      "the same orders (priority kept)",
    );
    await smaller.stop();
  });

  test("after its ask is lifted the bot is short and skews its quotes up", async () => {
    const client = await v.trader("bot-2", 4n);
    const bot = new MarketMaker(client, { ...config, optionsPerUnderlying: 0 }, silent);
    const before = (await bot.cycle()).quotes[0]!;
    const fill = await taker.placeOrder({
      instrument: 1n,
      side: "buy",
      size: before.ask!.size,
      price: before.ask!.price,
      timeInForce: "IOC",
    });
    assert.equal(fill.status, "filled");
    const after = await bot.cycle();
    assert.ok(after.greeks.get(1)!.delta < -0.9, "short about one ETH");
    const q = after.quotes[0]!;
    assert.ok(q.theo > ETH_PRICE && q.bid!.price > before.bid!.price, "reservation price above the index: keen to buy");
    assert.equal(after.hedge, null, "inside the hedge band");
    await bot.stop();
  });

  test("outside its band the bot hedges net delta with an IOC perp order", async () => {
    const client = await v.trader("bot-3", 5n);
    const seller = await v.trader("bot-liquidity", 6n);
    const bot = new MarketMaker(
      client,
      { ...config, optionsPerUnderlying: 0, hedgeBandNotional: 1_000_000_000n },
      silent,
    );
    const quotes = (await bot.cycle()).quotes[0]!;
    await taker.placeOrder({
      instrument: 1n,
      side: "buy",
      size: quotes.ask!.size,
      price: quotes.ask!.price,
      timeInForce: "IOC",
    });
    await seller.placeOrder({ instrument: 1n, side: "sell", size: 5n * ONE, price: ETH_PRICE + 100n });
    const report = await bot.cycle();
    assert.equal(report.hedge!.order.side, "buy");
    assert.equal(report.hedge!.status, "filled");
    assert.ok(Math.abs(report.greeks.get(1)!.delta) < 0.01, `delta after hedge ${report.greeks.get(1)!.delta}`);
    assert.equal((await client.account()).positions.length, 0, "flat again");
    await bot.stop();
    await seller.cancelAll();
  });

  test("a thinly funded bot drops the quotes its margin could not carry instead of sending them", async () => {
    const client = await v.trader("bot-poor", 7n, 400_000_000n); // 400 USDC
    const bot = new MarketMaker(client, config, silent);
    const report = await bot.cycle();
    assert.ok(report.droppedForMargin > 0);
    assert.ok(report.placed > 0, "the quotes it can carry are sent");
    assert.deepEqual(report.rejected, []);
    await bot.stop();
  });

  test(
    "run(): quotes on its interval, requotes at once after a fill, and stop() pulls its quotes",
    { timeout: 60_000 },
    async () => {
      const client = await v.trader("bot-loop", 9n);
      // An interval far longer than the test: only the fill can trigger the second cycle in time.
      const bot = new MarketMaker(client, { ...config, optionsPerUnderlying: 0, intervalMs: 600_000 }, silent);
      const running = bot.run();
      const waitFor = async (what: string, ok: () => Promise<boolean>): Promise<void> => {
        for (let i = 0; i < 500; i++) {
          if (await ok()) return;
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.fail(`timed out waiting for ${what}`);
      };
      await waitFor("the first quotes", async () => (await client.openOrders()).length === 2);
      const ask = (await client.openOrders()).find((o) => o.side === "sell")!;
      await taker.placeOrder({
        instrument: 1n,
        side: "buy",
        size: ask.remaining,
        price: ask.price,
        timeInForce: "IOC",
      });
      await waitFor("the requote after the fill", async () => {
        const open = await client.openOrders();
        return open.length === 2 && open.some((o) => o.side === "sell" && o.orderId !== ask.orderId);
      });
      await bot.stop();
      await running;
      assert.equal((await client.openOrders()).length, 0);
    },
  );

  test("runs as a process: sdk/bot/main.ts --once registers, quotes and exits", { timeout: 120_000 }, async () => {
    const wallet = walletOf("bot-process");
    const args = [
      "--import",
      "tsx",
      path.join(ROOT, "sdk/bot/main.ts"),
      "--url",
      v.url,
      "--wallet-key",
      wallet.privateKey,
    ];
    args.push("--account", "8", "--deposit", RICH.toString(), "--admin-token", ADMIN_TOKEN, "--once");
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    assert.equal(code, 0, stderr);
    const lines = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { msg: string; placed?: number });
    assert.deepEqual(
      lines.map((l) => l.msg),
      ["deposited", "quotes"],
    );
    // The defaults: three levels a side on the perp, one on each of two options.
    assert.equal(lines[1]!.placed, 10);
    const key = await TradingKey.fromWallet(wallet);
    const same = new TesseraClient({ url: v.url, key, accountId: 8n });
    assert.equal((await same.openOrders()).length, 10);
    await same.cancelAll();
  });
});
