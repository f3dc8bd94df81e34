/**
 * The exodus exit in a real browser against the real stack (issue 8): the operator cannot lock
 * funds in. A trader (development account 7) deposits on L1 and buys 1 ETH-PERP at 2,900.00 from
 * a counterparty (development account 8, through the SDK) while the oracle says 3,000.00, so the
 * account holds 100 USDC of unrealised profit; once that fill's batch is verified on L1 the
 * operator's L1 account is emptied: the next batch (a deposit by development account 9) cannot be
 * sent, fails after its retries, and the venue halts (issue 14 F15); the custody panel shows it
 * halted and why. Then the sequencer is stopped for good. In chromium, with the trader's wallet, the page requests a
 * forced withdrawal on L1, the chain moves past the priority deadline, the custody panel shows
 * the request overdue, the page activates the exodus and "Exit with my funds" rebuilds the state
 * from L1 calldata in a Web Worker and sends `exit`, which registers the equity in the claim
 * window (issue 14 F12); after the window "Collect my payout" sends `payExit`. On chain: the account is exited, the wallet
 * received exactly the `Exited` payout, which is the equity computed here independently, and a
 * second exit is refused, in the page in plain words and by the contract.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { Contract } from "ethers";
import type { Hex } from "viem";
import { decodeInstrument } from "../../protocol/instruments.ts";
import { InstrumentKind } from "../../protocol/types.ts";
import { TesseraClient } from "../../sdk/client.ts";
import { TradingKey } from "../../sdk/keys.ts";
import { stopAll, stopProcess, type Managed } from "../../scripts/demo/processes.ts";
import { DEV_ROLES, depositOnL1, devWallet } from "../../scripts/demo/stack.ts";
import { formatUsdc } from "../../web/lib/format.ts";
import { launchBrowser, screenshotter, sees, until, type Browser } from "./browser/page.ts";
import { CHAIN_ID, startStack } from "./browser/stack.ts";
import { installWallet } from "./browser/wallet.ts";

/** Development accounts: the trader who exits, and the counterparty of its trade. */
const TRADER = 7;
const COUNTERPARTY = 8;
/** Each side's deposit: 10,000 USDC (base units). */
const DEPOSIT = 10_000_000_000n;
/** One ETH in size units (1e-4). */
const ONE = 10_000n;
/** The fill price: 2,900.00 USD in cents, 100.00 below the oracle's 3,000.00. */
const FILL_PRICE = 290_000n;
/** The forced withdrawal the operator never serves: 100 USDC. */
const FORCED_USDC = "100";
/** A deposit queued after the operator has gone, refunded in the exodus: 25 USDC. */
const LATE_DEPOSIT = 25_000_000n;

const children: Managed[] = [];
let browser: Browser | null = null;
after(async () => {
  await browser?.close();
  await stopAll(children);
});
const screenshot = screenshotter("exodus");

/** The texts every `role=status` element of the page showed, recorded as they change. */
const RECORD_STATUS = `(() => {
  window.__statusLog = [];
  const seen = () => {
    for (const el of document.querySelectorAll('[role="status"]')) {
      const text = el.textContent ?? "";
      if (window.__statusLog[window.__statusLog.length - 1] !== text) window.__statusLog.push(text);
    }
  };
  new MutationObserver(seen).observe(document.body, { subtree: true, childList: true, characterData: true });
})();`;

test(
  "exodus in chromium: the operator disappears, the trader forces the exodus and exits with its equity rebuilt from L1 in a worker",
  { timeout: 420_000 },
  async () => {
    const stack = await startStack(children, "exodus", 500);
    const signers = await stack.ethers.getSigners();
    const admin = signers[DEV_ROLES.admin]!;
    const rollup = stack.deployed.deployment.rollup;
    const usdc = stack.deployed.deployment.collateral;

    // Two funded accounts and a perp fill 100.00 below the oracle price, through the SDK.
    const traderWallet = devWallet(TRADER);
    const traderKey = await TradingKey.fromWallet(traderWallet);
    const traderId = await depositOnL1(stack.deployed, admin, signers[TRADER]!, traderKey.pkHash, DEPOSIT);
    const makerKey = await TradingKey.fromWallet(devWallet(COUNTERPARTY));
    const makerId = await depositOnL1(stack.deployed, admin, signers[COUNTERPARTY]!, makerKey.pkHash, DEPOSIT);
    const trader = new TesseraClient({ url: stack.sequencerUrl, key: traderKey, accountId: traderId });
    const maker = new TesseraClient({ url: stack.sequencerUrl, key: makerKey, accountId: makerId });
    await until("the trader's deposit at the venue", () => trader.account());
    await until("the counterparty's deposit at the venue", () => maker.account());
    const perp = await maker.market("ETH-PERP");
    const offer = { instrument: perp.instrument, size: ONE, price: FILL_PRICE } as const;
    assert.equal((await maker.placeOrder({ ...offer, side: "sell" })).status, "resting");
    assert.equal((await trader.placeOrder({ ...offer, side: "buy" })).status, "filled");
    const fill = await until("the fill in a batch", async () =>
      (await trader.fills()).find((f) => f.instrument === perp.instrument),
    );
    await until(
      `batch ${fill.batch} verified on L1`,
      async () => ((await rollup.getFunction("batchNumber")()) as bigint) >= fill.batch || undefined,
      120_000,
    );

    // What the venue says the account holds, read when every batch it closed is verified on L1
    // and none is open, the journal unchanged across the reads: a funding update can come at any
    // interval (its premium sampled while the maker's offer rested below the oracle price), and a
    // read between it and its verification would mix the venue's state with L1's. Then the
    // operator goes.
    type VenueStatus = { openBatch: string; openSince: string | null; journal: string };
    const status = async () => (await (await fetch(`${stack.sequencerUrl}/v1/status`)).json()) as VenueStatus;
    const { account, funding } = await until(
      "the venue's whole state verified on L1",
      async () => {
        const before = await status();
        if (before.openSince !== null) return undefined;
        const verified = (await rollup.getFunction("batchNumber")()) as bigint;
        if (verified < BigInt(before.openBatch) - 1n) return undefined;
        const account = await trader.account();
        const funding = (await (await fetch(`${stack.sequencerUrl}/v1/funding`)).json()) as {
          underlyings: { underlying: number; fundingIndex: string }[];
        };
        const after = await status();
        return after.journal === before.journal && after.openSince === null ? { account, funding } : undefined;
      },
      180_000,
    );

    // The operator runs out of ETH: the next batch (a deposit by account 9) is never sent, its
    // retries fail, and the venue halts; the custody panel says so, with the reason.
    const operator = signers[DEV_ROLES.operator]!;
    await stack.ethers.provider.send("hardhat_setBalance", [operator.address, "0x0"]);
    const lateKey = await TradingKey.fromWallet(devWallet(9));
    await depositOnL1(stack.deployed, admin, signers[9]!, lateKey.pkHash, DEPOSIT);
    browser = await launchBrowser();
    const { context } = browser;
    await installWallet(context, {
      privateKey: traderWallet.privateKey as Hex,
      rpcUrl: stack.rpcUrl,
      chainId: CHAIN_ID,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    const workers: string[] = [];
    page.on("worker", (w) => workers.push(w.url()));
    await page.goto(`${stack.webUrl}/proofs`);
    const health = page.getByRole("region", { name: "Venue health" });
    await sees(
      health.getByText(/^Halted: the venue takes no new orders \(cancels work\) \(HALTED\)$/),
      "the venue halted",
      120_000,
    );
    await sees(health.getByText(/^batch \d+ failed \(batch \d+: [\s\S]*Operator: fix the cause/), "why it halted");
    await screenshot(page, "venue-halted");
    await stopProcess(stack.sequencer);

    // A deposit of the trader's that no batch will consume, queued behind the others: in the
    // exodus the page finds it from the wallet's own DepositQueued events and refunds it.
    const trader1 = signers[TRADER]!;
    await (await (usdc.connect(admin) as Contract).getFunction("mint")(trader1.address, LATE_DEPOSIT)).wait();
    await (
      await (usdc.connect(trader1) as Contract).getFunction("approve")(stack.deployed.rollup, LATE_DEPOSIT)
    ).wait();
    const lateReceipt = await (
      await (rollup.connect(trader1) as Contract).getFunction("deposit")(traderId, LATE_DEPOSIT)
    ).wait();
    const lateIndex = lateReceipt!.logs
      .map((l: { topics: readonly string[]; data: string }) => rollup.interface.parseLog(l))
      .find((e: { name: string } | null) => e?.name === "DepositQueued")!
      .args.getValue("queueIndex") as bigint;

    // Equity at the last verified batch (docs/protocol.md §6.1): collateral + Σ size × (price[u] −
    // F[u]) − cost over the perp positions, with the batch prices the rollup stores on L1 and the
    // funding index F of the venue's state (the book is empty after the fill, so no funding moved it).
    const prices = (await rollup.getFunction("lastPrices")()) as bigint[];
    let equity = account.collateral;
    assert.equal(account.positions.length, 1, "one position: the perp");
    for (const position of account.positions) {
      const spec = decodeInstrument(position.instrument);
      assert.equal(spec.kind, InstrumentKind.PERP);
      const index = BigInt(funding.underlyings.find((u) => u.underlying === spec.underlying)!.fundingIndex);
      equity += position.size * (prices[spec.underlying - 1]! - index) - position.cost;
    }
    assert.equal(account.positions[0]!.size, ONE);
    assert.equal(equity, account.equity, "the venue's equity at the same prices");
    assert.ok(equity > account.collateral, "the exit pays the perp's profit on top of the collateral");

    // The trader's browser and wallet (opened above). DEVELOPMENT KEY ONLY.
    // Connect, unlock the key (the account is found on L1) and request a forced withdrawal.
    await page.getByRole("button", { name: "Connect wallet" }).click();
    await page.getByRole("button", { name: "Unlock trading" }).click();
    await page.locator("#withdraw-amount").fill(FORCED_USDC);
    await page.getByRole("button", { name: "Request withdrawal on L1" }).click();
    await sees(page.getByText("Requested. It is served by a proven batch, then claimable."), "the queued request");
    await sees(
      page.getByRole("table", { name: "Pending L1 requests" }).getByText(/^Withdrawal 100/),
      "the request in the L1 queue",
    );
    await screenshot(page, "withdrawal-requested");

    // Nobody serves it: move the chain past the priority deadline.
    const deadline = (await rollup.getFunction("forcedRequestDeadline")()) as bigint;
    await stack.ethers.provider.send("evm_increaseTime", [Number(deadline) + 60]);
    await stack.ethers.provider.send("evm_mine", []);
    await sees(page.locator("dd.neg").filter({ hasText: /^now$/ }), "the request overdue");
    await screenshot(page, "request-overdue");

    await page.getByRole("button", { name: "Activate exodus" }).click();
    await sees(page.getByRole("alert").filter({ hasText: "Exodus mode" }), "the exodus activated");
    assert.equal(await rollup.getFunction("exodus")(), true);
    await screenshot(page, "exodus-active");

    const beforeRefund = (await usdc.getFunction("balanceOf")(trader1.address)) as bigint;
    await page.getByRole("button", { name: `Refund deposit #${lateIndex} (${formatUsdc(LATE_DEPOSIT)} USDC)` }).click();
    await sees(page.getByText("Refunded to your wallet."), "the deposit refunded");
    assert.equal(
      ((await usdc.getFunction("balanceOf")(trader1.address)) as bigint) - beforeRefund,
      LATE_DEPOSIT,
      "the unconsumed deposit came back",
    );
    assert.equal(((await rollup.getFunction("priorityOp")(lateIndex)) as { refunded: boolean }).refunded, true);
    await until(
      "the refund button gone once refunded",
      async () => (await page.getByRole("button", { name: /^Refund deposit/ }).count()) === 0 || undefined,
    );

    // Exit: rebuild from L1 in a worker, then `exit`.
    const before = (await usdc.getFunction("balanceOf")(traderWallet.address)) as bigint;
    await page.evaluate(RECORD_STATUS);
    const workersBefore = workers.length;
    await page.getByRole("button", { name: "Exit with my funds" }).click();
    await screenshot(page, "exit-progress");
    await sees(page.getByText(/^Your equity of [\d,.]+ USDC is registered/), "the exit registered", 120_000);
    await screenshot(page, "exit-registered");
    assert.equal(await rollup.getFunction("exited")(traderId), true);
    assert.equal(await rollup.getFunction("exitPaid")(traderId), false, "nothing paid in the claim window");

    // After the claim window every registered account is paid its pro-rata share (here: all of it).
    const window = (await rollup.getFunction("exitClaimWindow")()) as bigint;
    await stack.ethers.provider.send("evm_increaseTime", [Number(window) + 60]);
    await stack.ethers.provider.send("evm_mine", []);
    await page.getByRole("button", { name: "Collect my payout" }).click();
    await sees(page.getByText(/^Your account has exited/), "the exit done", 60_000);
    await screenshot(page, "exited");
    const statuses = (await page.evaluate("window.__statusLog")) as string[];
    const shown = (pattern: RegExp) => statuses.some((s) => pattern.test(s));
    assert.ok(shown(/^Reading verified batches from L1: \d+ of \d+/), `the L1 reads: ${JSON.stringify(statuses)}`);
    assert.ok(
      shown(/^Rebuilding the state in a background worker: [1-9]\d* of \d+ batches, about \d+ s left/),
      `the rebuild's progress with the time left: ${JSON.stringify(statuses)}`,
    );
    assert.ok(workers.length > workersBefore, "the rebuild ran in a dedicated worker");

    // On chain: exited, paid exactly the Exited payout, which is the equity computed above.
    assert.equal(await rollup.getFunction("exited")(traderId), true);
    const events = await (rollup as Contract).queryFilter(rollup.filters.Exited!(traderId));
    assert.equal(events.length, 1);
    const [, owner, exitedEquity, payout] = (events[0] as unknown as { args: [bigint, string, bigint, bigint] }).args;
    assert.equal(owner.toLowerCase(), traderWallet.address.toLowerCase());
    const after = (await usdc.getFunction("balanceOf")(traderWallet.address)) as bigint;
    assert.equal(after - before, payout, "the wallet received the Exited payout");
    assert.equal(exitedEquity, equity, "the contract's equity is the one computed from the venue's account");
    assert.equal(payout, equity);
    await sees(page.getByText(`Your account has exited: ${formatUsdc(payout)} USDC`), "the amount paid, in the page");

    // A second exit is refused: in the page in plain words, and by the contract.
    await page.getByRole("button", { name: "Exit with my funds" }).click();
    await sees(
      page.getByRole("alert").filter({ hasText: "Every account of this wallet has already exited." }),
      "the refusal",
    );
    await screenshot(page, "second-exit-refused");
    await assert.rejects(
      (rollup.connect(signers[TRADER]!) as Contract).getFunction("exit").staticCall(traderId, [], [], [], []),
      (e: unknown) => /AlreadyExited/.test(String((e as { revert?: { name?: string } }).revert?.name ?? e)),
    );

    assert.deepEqual(pageErrors, [], "no uncaught errors in the page");
  },
);
