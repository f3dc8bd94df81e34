/**
 * The web app in a real browser against the real stack (issue 8): Debian's chromium, driven by
 * playwright-core, with an injected wallet that signs in the page's stead (browser/wallet.ts),
 * on a Hardhat node, the deployed contracts, the sequencer with real Groth16 proofs of the
 * `test` profile, and `next start` (browser/stack.ts).
 *
 * One trader (development account 5) connects, derives the trading key from one signature,
 * funds the account through the faucet, approve and deposit, places and cancels an order, buys
 * a perp and an option that a second trader (development account 6, through the SDK) offers,
 * finds the batch of the perp fill verified on L1 and verifies its proof in the browser. Each
 * screen is saved under test-results/web/. Every process and the browser stop on the way out.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";
import type { Hex } from "viem";
import { abs } from "../../protocol/field.ts";
import { TesseraClient } from "../../sdk/client.ts";
import { TradingKey } from "../../sdk/keys.ts";
import { stopAll, type Managed } from "../../scripts/demo/processes.ts";
import { DEV_ROLES, depositOnL1, devWallet } from "../../scripts/demo/stack.ts";
import { ROOT } from "../../scripts/zk/compile.ts";
import { formatPrice, formatSize } from "../../web/lib/format.ts";
import { CHAIN_ID, startStack } from "./browser/stack.ts";
import { installWallet } from "./browser/wallet.ts";

/** Debian's chromium; playwright never downloads a browser here. */
const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOTS = path.join(ROOT, "test-results", "web");
/** The counterparty's deposit: 50,000 USDC (base units). */
const MAKER_DEPOSIT = 50_000_000_000n;
/** One ETH in size units (1e-4). */
const ONE = 10_000n;
/** The perp trade's price: 3,000.00 USD in cents (the initial oracle price). */
const PERP_PRICE = 300_000n;
/** Longest wait for one thing the page must show (a deposit, a fill, a verified batch). */
const STEP_MS = 60_000;

const children: Managed[] = [];
let context: BrowserContext | null = null;
const profileDir = mkdtempSync(path.join(tmpdir(), "tessera-chromium-"));
after(async () => {
  await context?.close().catch(() => undefined);
  await stopAll(children);
  rmSync(profileDir, { recursive: true, force: true });
});

/** Waits until `locator` is visible; `what` names it in the failure. */
async function sees(locator: Locator, what: string, timeout = STEP_MS): Promise<void> {
  try {
    await locator.first().waitFor({ state: "visible", timeout });
  } catch (e) {
    throw new Error(`the page never showed ${what}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
}

let shot = 0;
async function screenshot(page: Page, name: string): Promise<void> {
  shot += 1;
  await page.screenshot({
    path: path.join(SCREENSHOTS, `${String(shot).padStart(2, "0")}-${name}.png`),
    fullPage: true,
  });
}

/** Polls `probe` until it returns a value other than undefined (errors retry). */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = STEP_MS): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown = null;
  while (performance.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last === null ? "" : `: ${String(last)}`}`);
}

test(
  "the web app in chromium: key, deposit, orders, perp and option fills, proofs verified on L1 and in the browser",
  { timeout: 280_000 },
  async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    const stack = await startStack(children);

    // The counterparty: development account 6 deposits through L1 and trades through the SDK.
    const signers = await stack.ethers.getSigners();
    const makerKey = await TradingKey.fromWallet(devWallet(DEV_ROLES.firstTrader + 1));
    const makerId = await depositOnL1(
      stack.deployed,
      signers[DEV_ROLES.admin]!,
      signers[DEV_ROLES.firstTrader + 1]!,
      makerKey.pkHash,
      MAKER_DEPOSIT,
    );
    const maker = new TesseraClient({ url: stack.sequencerUrl, key: makerKey, accountId: makerId });
    await until("the counterparty's deposit at the venue", () => maker.account());

    // The browser and its wallet: development account 5. DEVELOPMENT KEY ONLY.
    const traderWallet = devWallet(DEV_ROLES.firstTrader);
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1440, height: 1000 },
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
      ],
    });
    const address = await installWallet(context, {
      privateKey: traderWallet.privateKey as Hex,
      rpcUrl: stack.rpcUrl,
      chainId: CHAIN_ID,
    });
    assert.equal(address.toLowerCase(), traderWallet.address.toLowerCase());
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));

    // Connect and derive the trading key (one signature).
    await page.goto(`${stack.webUrl}/portfolio`);
    await page.getByRole("button", { name: "Connect wallet" }).click();
    await page.getByRole("button", { name: "Unlock trading" }).click();
    await sees(page.getByRole("status").filter({ hasText: "No account yet" }), "the unlocked key without an account");
    await screenshot(page, "key-derived");

    // Deposit: faucet, approve, deposit; the account appears once the venue has the deposit.
    await page.getByRole("button", { name: "Get 10,000 test USDC" }).click();
    await sees(page.getByText("10,000 test USDC arrived in your wallet."), "the faucet's USDC");
    await page.getByRole("region", { name: "Deposit" }).getByLabel("Amount (USDC)").fill("10000");
    await page.getByRole("button", { name: "1. Approve" }).click();
    await sees(page.getByText("Approved.", { exact: true }), "the approval");
    await page.getByRole("button", { name: "2. Deposit" }).click();
    await sees(page.getByText("Deposit queued on L1."), "the queued deposit");
    const header = page.getByRole("status").filter({ hasText: /^Account #\d+$/ });
    await sees(header, "the registered account");
    const accountId = BigInt((await header.first().textContent())!.replace("Account #", ""));
    // The key the page derived is the wallet's: the venue accepts a session signed with it.
    const trader = new TesseraClient({
      url: stack.sequencerUrl,
      key: await TradingKey.fromWallet(traderWallet),
      accountId,
    });
    const funded = await until("the trader's deposit at the venue", () => trader.account());
    assert.equal(funded.collateral, 10_000_000_000n);
    await sees(page.getByRole("table", { name: "Deposits" }).getByText("done"), "the deposit taken into a batch");
    await screenshot(page, "deposited");

    // Place a resting order and cancel it.
    await page.goto(stack.webUrl);
    await sees(page.getByRole("heading", { name: "ETH-PERP" }), "the ETH-PERP ticket");
    await sees(page.getByRole("tab", { name: /^Positions/ }), "the account panel");
    await page.getByRole("button", { name: "Buy / Long" }).click();
    await page.locator("#perp-ticket-price").fill(formatPrice(250_000n, { group: false }));
    await page.locator("#perp-ticket-size").fill(formatSize(ONE / 10n));
    await page.getByRole("button", { name: "Buy ETH-PERP" }).click();
    await sees(page.getByRole("status").filter({ hasText: "Order resting" }), "the resting order");
    await page.getByRole("tab", { name: /^Open orders/ }).click();
    await sees(page.getByRole("table", { name: "Open orders" }), "the open order");
    await screenshot(page, "order-resting");
    await page.getByRole("button", { name: /^Cancel order \d+ on ETH-PERP$/ }).click();
    await sees(page.getByText("No open orders."), "the cancelled order gone");
    assert.equal((await trader.openOrders()).length, 0);

    // A perp trade that fills: the counterparty offers 1 ETH at 3,000, the page buys it.
    const perp = await maker.market("ETH-PERP");
    assert.equal(
      (await maker.placeOrder({ instrument: perp.instrument, side: "sell", size: ONE, price: PERP_PRICE })).status,
      "resting",
    );
    await page.locator("#perp-ticket-price").fill(formatPrice(PERP_PRICE, { group: false }));
    await page.locator("#perp-ticket-size").fill(formatSize(ONE));
    await page.getByRole("button", { name: "Buy ETH-PERP" }).click();
    await sees(page.getByRole("status").filter({ hasText: "Order filled" }), "the filled order");
    await page.getByRole("tab", { name: /^Positions/ }).click();
    const positions = page.getByRole("table", { name: "Positions" });
    await sees(positions.getByRole("row").filter({ hasText: "ETH-PERP" }), "the ETH-PERP position");
    assert.match((await positions.getByRole("row").filter({ hasText: "ETH-PERP" }).textContent()) ?? "", /\+1/);
    await screenshot(page, "perp-position");

    // An option bought from the chain: the counterparty writes the call nearest the money.
    const calls = (await maker.instruments({ kind: "option", underlying: 1 })).filter((m) => m.kind === "call");
    assert.ok(calls.length > 0, "options are listed");
    const call = calls.reduce((a, b) => (abs(a.strike - PERP_PRICE) <= abs(b.strike - PERP_PRICE) ? a : b));
    const premium = ((20_000n + call.tickSize - 1n) / call.tickSize) * call.tickSize;
    const contracts = call.minSize > call.lotSize ? call.minSize : call.lotSize;
    assert.equal(
      (await maker.placeOrder({ instrument: call.instrument, side: "sell", size: contracts, price: premium })).status,
      "resting",
    );
    await page.goto(`${stack.webUrl}/options`);
    const pick = page.getByRole("button", {
      name: new RegExp(`^Trade ${call.name}: .*ask ${formatPrice(premium).replace(/[.]/g, "\\.")}$`),
    });
    await sees(pick, `the ${call.name} ask in the chain`);
    await pick.click();
    await sees(page.getByRole("heading", { name: call.name }), "the option ticket");
    await page.getByRole("button", { name: "Buy", exact: true }).click();
    await page.locator("#option-ticket-price").fill(formatPrice(premium, { group: false }));
    await page.locator("#option-ticket-size").fill(formatSize(contracts));
    await page.getByRole("button", { name: `Buy ${call.name}` }).click();
    await sees(page.getByRole("status").filter({ hasText: "Order filled" }), "the filled option order");
    await sees(
      page.getByRole("table", { name: "Option positions" }).getByRole("row").filter({ hasText: call.name }),
      "the option position",
    );
    await screenshot(page, "option-position");

    // The perp fill's batch, verified on L1, and its proof verified in this browser.
    const fill = await until("the perp fill in a batch", async () =>
      (await trader.fills()).find((f) => f.instrument === perp.instrument),
    );
    const batch = String(fill.batch);
    await page.goto(`${stack.webUrl}/proofs`);
    const verified = page.getByRole("table", { name: "Verified batches" });
    await sees(verified.getByRole("button", { name: batch, exact: true }), `batch ${batch} verified on L1`, 120_000);
    await verified.getByRole("button", { name: batch, exact: true }).click();
    await sees(
      page.getByRole("table", { name: `Transactions of batch ${batch}` }).getByText(/ETH-PERP: #\d+ bought/),
      "the trade in the batch",
    );
    await page.getByRole("button", { name: "Verify proof in this browser" }).click();
    await sees(page.getByText(/^Valid Groth16 proof for these public inputs/), "the proof verified in the browser");
    await screenshot(page, "proof-verified");

    assert.deepEqual(pageErrors, [], "no uncaught errors in the page");
  },
);
