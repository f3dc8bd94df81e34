/**
 * The SDK quick start of docs/sdk.md, runnable as written against a local venue:
 *
 *   TESSERA_URL=http://127.0.0.1:8600 TESSERA_ADMIN_TOKEN=… npx tsx sdk/examples/quickstart.ts
 *
 * It derives a trading key from a wallet, funds account 100 through the operator route (a
 * devnet shortcut for the L1 deposit), streams the ETH-PERP book from the market-data endpoint,
 * rests a post-only bid, reads the account, cancels, and shows a refusal as a typed error.
 */
import { Wallet } from "ethers";
import { TesseraApiError, TesseraClient, TesseraStream, TradingKey } from "../index.ts";

const say = (line: string): void => void process.stdout.write(line + "\n");
const url = process.env.TESSERA_URL ?? "http://127.0.0.1:8600";
const accountId = BigInt(process.env.TESSERA_ACCOUNT ?? "100");

// 1. A trading key from one wallet signature (the same key the web app derives).
const wallet = new Wallet("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
const key = await TradingKey.fromWallet(wallet);
const client = new TesseraClient({ url, key, accountId, adminToken: process.env.TESSERA_ADMIN_TOKEN });

// 2. Devnet only: register the key and credit 10,000 USDC (6 decimals).
if (process.env.TESSERA_ADMIN_TOKEN !== undefined) {
  await client.deposit({ accountId, owner: BigInt(wallet.address), pkHash: key.pkHash, amount: 10_000_000_000n });
}

// 3. The account's stream on the venue: quotes pulled by the venue if this process dies. A local
//    book that resyncs by itself, from the market-data endpoint (`/v1/status` names it; the
//    venue's own URL when it runs none).
const stream = new TesseraStream({ url, client, cancelOnDisconnect: true });
await stream.connect();
const marketData = new TesseraStream({ url: await client.marketDataUrl() });
await marketData.connect();
const book = marketData.subscribeBook("ETH-PERP");
await marketData.next("book", (b) => b.synced);
const [eth] = await client.oracle();
say(`ETH index ${eth!.indexPrice} cents, best bid ${book.bestBid()?.price ?? "none"}`);

// 4. A post-only bid 1% under the index: 0.5 ETH (size in 1e-4 units), price in cents.
const market = await client.market("ETH-PERP");
const price = ((eth!.indexPrice * 99n) / 100n / market.tickSize) * market.tickSize;
const placed = await client.placeOrder({
  instrument: market.instrument,
  side: "buy",
  size: 5_000n,
  price,
  postOnly: true,
});
say(`order ${placed.orderId}: ${placed.status}`);
const ours = (): boolean => book.bids().some((l) => l.price === price);
if (!ours()) await marketData.next("book", ours);
say(`the local book shows a bid at ${price}: ${book.bids().find((l) => l.price === price)!.size} in size`);

// 5. Account, then cancel.
const account = await client.account();
say(`collateral ${account.collateral}, equity ${account.equity}, open orders ${account.openOrders}`);
await client.cancelOrder(placed.orderId);

// 6. Refusals are typed: code, HTTP status, and the venue's message.
try {
  await client.placeOrder({ instrument: market.instrument, side: "buy", size: 5_001n, price });
} catch (e) {
  if (!(e instanceof TesseraApiError)) throw e;
  say(`refused: ${e.code} (${e.status}) ${e.message}`);
}
stream.close();
marketData.close();
