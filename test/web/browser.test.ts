/**
 * The web app in a real browser against the real stack (issue 8): Debian's chromium, driven by
 * playwright-core, with an injected wallet that signs in the page's stead (browser/wallet.ts),
 * on a Hardhat node, the deployed contracts, the sequencer with real Groth16 proofs of the
 * `test` profile, and `next start` (browser/stack.ts).
 *
 * One trader (development account 5) connects, derives the trading key from one signature,
 * funds the account through the faucet, approve and deposit, places and cancels an order, buys
 * a perp and an option that a second trader (development account 6, through the SDK) offers,
 * finds the batch of the perp fill verified on L1 and verifies its proof in the browser, then
 * withdraws on L2 through the Funds panel, follows the withdrawal until claimable, claims it to
 * the wallet (checked on chain), and finds the option's short-dated series, expired during the
 * test, settled at the oracle round in force at its expiry, with what the position was paid. Each screen is saved under
 * test-results/web/. Every process and the browser stop on the way out.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`).
 */
import { createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Contract } from "ethers";
import type { Page } from "playwright-core";
import type { Hex } from "viem";
import { abs } from "../../protocol/field.ts";
import { TesseraClient } from "../../sdk/client.ts";
import { TradingKey } from "../../sdk/keys.ts";
import { stopAll, type Managed } from "../../scripts/demo/processes.ts";
import { latestRound, pushRound, wallSeconds } from "../../scripts/demo/oracle.ts";
import { buildWeb, webBuildIsFresh } from "../../scripts/demo/web.ts";
import { ANSWER_PER_CENT, DEV_ROLES, depositOnL1, devWallet } from "../../scripts/demo/stack.ts";
import { formatPrice, formatSize, formatUsdc } from "../../web/lib/format.ts";
import {
  accessibilityViolations,
  launchBrowser,
  overflowing,
  PROOF_MS,
  screenshotter,
  sees,
  until,
  type Browser,
} from "./browser/page.ts";
import { CHAIN_ID, logDir, startStack, type Stack } from "./browser/stack.ts";
import { installWallet } from "./browser/wallet.ts";

/** The counterparty's deposit: 50,000 USDC (base units). */
const MAKER_DEPOSIT = 50_000_000_000n;
/** One ETH in size units (1e-4). */
const ONE = 10_000n;
/** The perp trade's price: 3,000.00 USD in cents (the initial oracle price). */
const PERP_PRICE = 300_000n;
/** The L2 withdrawal: 100 USDC (base units). */
const WITHDRAWN = 100_000_000n;
/**
 * The short-dated series expires this long after the stack starts (the web app already built):
 * after the option is bought, about when the other steps are done. The option step comes after
 * a deposit proved and verified on L1: about 50 s in before issue 17, up to 160 s on a loaded
 * 2-core machine since the test circuit carries the SHA-256 commitment (proofs 3-4x longer).
 */
const SHORT_DATED_SECONDS = 240n;
/** The ETH price of the round pushed before the short-dated expiry, cents: the series settles at it. */
const AT_EXPIRY = 305_000n;

const children: Managed[] = [];
const browsers: Browser[] = [];
let stack: Stack;
let shortExpiry: bigint;
before(async () => {
  // Build the web app first (when its sources changed), so the expiry is timed from a ready stack.
  if (!webBuildIsFresh()) {
    mkdirSync(logDir("trade"), { recursive: true });
    const buildLog = createWriteStream(path.join(logDir("trade"), "next-build.log"));
    await buildWeb((line) => buildLog.write(line + "\n"));
  }
  shortExpiry = wallSeconds() + SHORT_DATED_SECONDS;
  stack = await startStack(children, "trade", 0, { optionExpiries: [shortExpiry] });
});
after(async () => {
  for (const b of browsers) await b.close();
  await stopAll(children);
});
const screenshot = screenshotter("trade");
/** The trader's wallet: development account 5. DEVELOPMENT KEY ONLY. */
const traderWallet = devWallet(DEV_ROLES.firstTrader);

test(
  "the web app in chromium: key, deposit, orders, perp and option fills, proofs verified on L1 and in the browser, L2 withdrawal claimed, settled series",
  { timeout: 600_000 }, // the short-dated expiry, then its settlement proved on L1
  async () => {
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

    // The browser and its injected wallet: development account 5.
    const browser = await launchBrowser();
    browsers.push(browser);
    const { context } = browser;
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
    await sees(
      page.getByRole("table", { name: "Deposits" }).getByText("done"),
      "the deposit taken into a batch",
      PROOF_MS,
    );
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

    // An option bought from the chain: the counterparty writes the short-dated call nearest the
    // money (its expiry, the first tab, passes later in the test and the series settles).
    const call = (await maker.instruments({ kind: "option", underlying: 1 }))
      .filter((m) => m.kind === "call" && m.expiry === shortExpiry)
      .reduce((a, b) => (abs(a.strike - PERP_PRICE) <= abs(b.strike - PERP_PRICE) ? a : b));
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
    // The custody panel shows the venue's health from /v1/status (issue 14 F15; halted: exodus.test.ts).
    await sees(
      page.getByRole("region", { name: "Venue health" }).getByText(/^Normal: trading, batches proved and sent to L1$/),
      "the venue's health",
    );
    const verified = page.getByRole("table", { name: "Verified batches" });
    await sees(verified.getByRole("button", { name: batch, exact: true }), `batch ${batch} verified on L1`, PROOF_MS);
    await verified.getByRole("button", { name: batch, exact: true }).click();
    await sees(
      page.getByRole("table", { name: `Transactions of batch ${batch}` }).getByText(/ETH-PERP: #\d+ bought/),
      "the trade in the batch",
    );
    await page.getByRole("button", { name: "Verify proof in this browser" }).click();
    await sees(page.getByText(/^Valid Groth16 proof for these public inputs/), "the proof verified in the browser");
    await screenshot(page, "proof-verified");

    // An L2 withdrawal through the Funds panel: signed with the trading key, followed to L1, claimed.
    await page.goto(`${stack.webUrl}/portfolio`);
    const form = page.getByRole("form", { name: "Withdraw from your trading account" });
    await sees(form.getByRole("button", { name: /^Max: [\d,.]+ USDC$/ }), "the free collateral");
    await form.getByLabel("Amount to withdraw (USDC)").fill(formatUsdc(WITHDRAWN, { group: false }));
    await form.getByRole("button", { name: "Sign and withdraw" }).click();
    await sees(
      page.getByRole("status").filter({ hasText: `Withdrawal of ${formatUsdc(WITHDRAWN)} USDC accepted` }),
      "the accepted withdrawal",
    );
    const withdrawal = page
      .getByRole("list", { name: "Your withdrawals" })
      .getByRole("listitem")
      .filter({ hasText: `${formatUsdc(WITHDRAWN)} USDC` });
    await sees(withdrawal, "the withdrawal in the list");
    await screenshot(page, "withdrawal-sent");
    await sees(withdrawal.getByText("claimable", { exact: true }), "the withdrawal claimable", PROOF_MS);
    await screenshot(page, "withdrawal-claimable");
    const usdc = stack.deployed.deployment.collateral;
    const balanceBefore = (await usdc.getFunction("balanceOf")(address)) as bigint;
    await page.getByRole("button", { name: "Claim to wallet" }).click();
    await sees(page.getByText("Claimed: the USDC is in your wallet."), "the claim mined");
    const balanceAfter = (await usdc.getFunction("balanceOf")(address)) as bigint;
    assert.equal(balanceAfter - balanceBefore, WITHDRAWN, "the wallet received exactly the withdrawn amount");
    await sees(withdrawal.getByText("claimed", { exact: true }), "the withdrawal claimed");
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "withdrawal-claimed-390px");
    await page.setViewportSize({ width: 1440, height: 1000 });

    // The short-dated series: the round in force at its expiry (pushed now if there is time), a
    // round after it, and the series settled at the former's price in "Expired series".
    const eth = stack.deployed.deployment.feeds[0]!.connect(signers[DEV_ROLES.admin]!) as Contract;
    if (wallSeconds() + 3n < shortExpiry) await pushRound(eth, AT_EXPIRY * ANSWER_PER_CENT, wallSeconds());
    const inForce = await latestRound(eth);
    assert.ok(inForce.updatedAt <= shortExpiry, "the latest round was in force at the short-dated expiry");
    const wait = shortExpiry + 2n - wallSeconds();
    if (wait > 0n) await new Promise((r) => setTimeout(r, Number(wait) * 1000));
    await pushRound(eth, inForce.answer, wallSeconds());
    const settlementPrice = inForce.answer / ANSWER_PER_CENT;
    await page.goto(`${stack.webUrl}/options`);
    const expiredRow = page
      .getByRole("table", { name: "Expired series" })
      .getByRole("row")
      .filter({ hasText: call.name });
    await sees(expiredRow.getByText(formatPrice(settlementPrice), { exact: true }), `${call.name} settled`, PROOF_MS);
    const intrinsic = settlementPrice > call.strike ? settlementPrice - call.strike : 0n;
    assert.equal(
      await expiredRow.getByRole("cell").nth(3).textContent(),
      formatPrice(intrinsic),
      "intrinsic per contract",
    );
    // The trader's short-dated call, closed by the settlement, with what it paid.
    const settledRow = page
      .getByRole("table", { name: "Option positions" })
      .getByRole("row")
      .filter({ hasText: call.name });
    const paid = contracts * intrinsic - contracts * premium;
    await sees(
      settledRow.getByText(
        `Settled at ${formatPrice(settlementPrice)}: ${formatPrice(intrinsic)} per contract, worth ${formatUsdc(contracts * intrinsic, { plus: true })} USDC (PnL ${formatUsdc(paid, { plus: true })})`,
      ),
      "the settled position's outcome",
    );
    await screenshot(page, "series-settled");

    assert.deepEqual(pageErrors, [], "no uncaught errors in the page");
  },
);

/** The app's pages, by the heading or control each shows once loaded. */
const PAGES = [
  { path: "/", name: "perps", ready: (page: Page) => page.getByRole("heading", { name: "ETH-PERP" }) },
  { path: "/options", name: "options", ready: (page: Page) => page.getByRole("region", { name: "Expired series" }) },
  { path: "/portfolio", name: "portfolio", ready: (page: Page) => page.getByRole("table", { name: "Deposits" }) },
  { path: "/proofs", name: "proofs", ready: (page: Page) => page.getByRole("table", { name: "Verified batches" }) },
] as const;

test(
  "a development account without a wallet extension, at phone and laptop widths: no sideways scrolling, no serious accessibility violations",
  { timeout: 120_000 },
  async () => {
    // A browser with no injected wallet: the app's own "Development account" connector on the
    // local chain signs in the page with Hardhat's public key of trader #5 (the trader above).
    const browser = await launchBrowser({ width: 390, height: 844 });
    browsers.push(browser);
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(stack.webUrl);
    await page.getByText("Development account", { exact: true }).click();
    await sees(page.getByText(/anyone can spend them/), "the warning that the keys are public");
    await page.getByRole("button", { name: `Use trader #${DEV_ROLES.firstTrader}` }).click();
    await sees(page.getByRole("button", { name: "Unlock trading" }), "the connected development account");
    await page.getByRole("button", { name: "Unlock trading" }).click();
    const header = page.getByRole("status").filter({ hasText: /^Account #\d+$/ });
    await sees(header, "the trader's account, found with the key the page derived");
    assert.match(
      (await page
        .getByLabel(/^Wallet 0x/)
        .first()
        .getAttribute("aria-label")) ?? "",
      new RegExp(`^Wallet ${traderWallet.address}$`, "i"),
    );

    for (const width of [390, 1440]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 1000 });
      for (const { path: route, name, ready } of PAGES) {
        await page.goto(`${stack.webUrl}${route}`);
        await sees(ready(page), `the ${name} page`);
        await sees(page.getByRole("status").filter({ hasText: /^Account #\d+$/ }), `the account on ${name}`);
        const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
        if (scrollWidth > width) {
          const culprits = await overflowing(page, width);
          assert.fail(`${name} at ${width} px scrolls sideways (${scrollWidth} px wide): ${culprits.join("; ")}`);
        }
        const violations = await accessibilityViolations(page);
        assert.deepEqual(violations, [], `${name} at ${width} px: ${JSON.stringify(violations, null, 1)}`);
        if (width === 390) await screenshot(page, `${name}-390px-dev-account`);
      }
    }

    // Keyboard: arrow keys move between the account's tabs; Tab then reaches their panel.
    await page.goto(stack.webUrl);
    await page.getByRole("tab", { name: /^Positions/ }).focus();
    await page.keyboard.press("ArrowRight");
    const ordersTab = page.getByRole("tab", { name: /^Open orders/ });
    assert.equal(await ordersTab.getAttribute("aria-selected"), "true", "ArrowRight selects the next tab");
    assert.ok(await ordersTab.evaluate((el) => el === document.activeElement), "and focuses it");
    await page.keyboard.press("Tab");
    const focused = page.locator(":focus");
    assert.equal(await focused.getAttribute("role"), "tabpanel", "Tab goes from the selected tab to its panel");
    assert.equal(await focused.getAttribute("aria-labelledby"), await ordersTab.getAttribute("id"));
    assert.deepEqual(pageErrors, [], "no uncaught errors in the page");
  },
);
