/**
 * End to end on real components and real proofs (the `test` circuit profile): a Hardhat node,
 * the contracts of scripts/deploy.ts with the generated `TestVerifier`, and the sequencer as a
 * child process with its L1 watcher, Groth16 prover, risk engine (funding, liquidations) and
 * submitter. Traders derive their trading keys from their wallets and deposit on L1; they
 * trade a call and a put of a short-dated series, which expires during the test and is settled
 * at the feed round in force at expiry; they trade a perp and a weekly option; the oracle
 * moves on L1; funding is applied; a thin account is
 * liquidated when the price falls; a trader withdraws on L2 and another asks L1 for a forced
 * withdrawal, and another a forced close of his perp (issue 14 F11); every batch is proven and
 * verified on chain; both claim. Finally the batches L1
 * accepted are replayed through a protocol/ `RollupState` (replay.ts), and the L1 state root
 * and token balances must be exactly what that replay predicts.
 *
 * Every child runs in its own process group and is stopped on the way out (scripts/demo).
 */
import { createWriteStream, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { z } from "zod";
import type { Contract } from "ethers";
import { abs, max } from "../../protocol/field.ts";
import { getProfile } from "../../protocol/profiles.ts";
import { packSettlement } from "../../protocol/pubdata.ts";
import { rebuildState } from "../../protocol/rebuild.ts";
import { RollupState } from "../../protocol/state.ts";
import { withdrawalOrder } from "../../protocol/signing.ts";
import { TxType } from "../../protocol/types.ts";
import type { Tx } from "../../protocol/types.ts";
import { TesseraClient } from "../../sdk/client.ts";
import { TradingKey } from "../../sdk/keys.ts";
import { toJsonText } from "../../sdk/wire.ts";
import { ensureProfileBuilt, generatedVerifierPath } from "../../scripts/zk/build.ts";
import { latestRound, pushRound, wallSeconds } from "../../scripts/demo/oracle.ts";
import { stopAll, type Managed } from "../../scripts/demo/processes.ts";
import { ROOT } from "../../scripts/zk/compile.ts";
import {
  ANSWER_PER_CENT,
  buildContracts,
  DEV_ROLES,
  deployStack,
  depositOnL1,
  startChain,
  startSequencer,
} from "../../scripts/demo/stack.ts";
import { acceptedBatches, replay } from "./replay.ts";
import { until } from "./wait.ts";

const PROFILE = "test";
const PORT = 28_545 + (process.pid % 1000);
const RPC = `http://127.0.0.1:${PORT}`;
const ADMIN_TOKEN = "e2e-admin-token-0123456789";
/** 50,000 USDC each (base units). */
const DEPOSIT = 50_000_000_000n;
/** Carol's thin deposit: 400 USDC, enough for one ETH-PERP at 10% initial margin. */
const THIN_DEPOSIT = 400_000_000n;
/** Alice's forced withdrawal: 1,000 USDC. */
const FORCED = 1_000_000_000n;
/** Bob's L2 withdrawal: 2,000 USDC. */
const WITHDRAWN = 2_000_000_000n;
/** One ETH in size units (1e-4). */
const ONE = 10_000n;
/**
 * Seconds from the sequencer's start to the short-dated series' expiry: time to start it and
 * trade the series, and all the test waits for the expiry.
 */
const SHORT_DATED_SECONDS = 40n;
/** The short-dated series' strike, and the feed's answer in force at its expiry (cents). */
const SHORT_STRIKE = 300_000n;
const AT_EXPIRY = 305_000n;
/** Premiums of the short-dated call and put, cents per contract. */
const CALL_PREMIUM = 10_000n;
const PUT_PREMIUM = 3_000n;

/** Logs of the children, kept for diagnosis: .cache/e2e/<name>.log. */
const LOG_DIR = path.join(ROOT, ".cache", "e2e");
const children: Managed[] = [];
after(async () => {
  await stopAll(children);
});

const json = (v: unknown): string => toJsonText(v);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `GET /v1/instruments` fields the SDK's `Market` leaves out: trading status and settlement. */
const instrumentStatuses = z.object({
  instruments: z.array(
    z.object({
      instrument: z.string().transform(BigInt),
      status: z.enum(["active", "expired", "settled"]),
      settlementPrice: z.string().transform(BigInt).nullable(),
    }),
  ),
});

test(
  "deposits, option settlement at expiry, perp and option trades, oracle, funding, liquidation, withdrawals: proven on L1 and replayed by protocol/",
  {
    timeout: 1_500_000,
  },
  async () => {
    const profile = getProfile(PROFILE);
    const built = await ensureProfileBuilt(PROFILE, { quiet: true });
    const generated = generatedVerifierPath(built);
    assert.ok(
      existsSync(generated) && readFileSync(generated, "utf8") === readFileSync(built.verifier, "utf8"),
      `${path.basename(generated)} is not the verifier of the built ${PROFILE} circuit: run npm run circuits:build`,
    );
    await buildContracts();
    mkdirSync(LOG_DIR, { recursive: true });
    const dbFile = path.join(LOG_DIR, "sequencer.db");

    const chain = await startChain(PORT);
    children.push(chain);
    const { ethers } = await network.connect({ network: "localhost", override: { url: RPC } });
    const d = await deployStack(ethers, PROFILE);
    const signers = await ethers.getSigners();
    const deployer = signers[DEV_ROLES.admin]!;
    const [aliceWallet, bobWallet, carolWallet] = [0, 1, 2].map((k) => signers[DEV_ROLES.firstTrader + k]!) as [
      (typeof signers)[number],
      (typeof signers)[number],
      (typeof signers)[number],
    ];
    const rollup = d.deployment.rollup;
    const usdc = d.deployment.collateral;
    const eth = d.deployment.feeds[0]!.connect(deployer) as Contract;

    // Keys derived from the wallets' signatures, as the web app does; deposits through L1.
    const keys = await Promise.all([aliceWallet, bobWallet, carolWallet].map((w) => TradingKey.fromWallet(w)));
    const [aliceKey, bobKey, carolKey] = keys as [TradingKey, TradingKey, TradingKey];
    const aliceId = await depositOnL1(d, deployer, aliceWallet, aliceKey.pkHash, DEPOSIT);
    const bobId = await depositOnL1(d, deployer, bobWallet, bobKey.pkHash, DEPOSIT);
    const carolId = await depositOnL1(d, deployer, carolWallet, carolKey.pkHash, THIN_DEPOSIT);
    const userTxs: Tx[] = [
      {
        type: TxType.DEPOSIT,
        accountId: aliceId,
        owner: BigInt(aliceWallet.address),
        pkHash: aliceKey.pkHash,
        amount: DEPOSIT,
      },
      {
        type: TxType.DEPOSIT,
        accountId: bobId,
        owner: BigInt(bobWallet.address),
        pkHash: bobKey.pkHash,
        amount: DEPOSIT,
      },
      {
        type: TxType.DEPOSIT,
        accountId: carolId,
        owner: BigInt(carolWallet.address),
        pkHash: carolKey.pkHash,
        amount: THIN_DEPOSIT,
      },
    ];

    const log = createWriteStream(path.join(LOG_DIR, "sequencer.log"));
    // The short-dated series (docs/api.md TESSERA_OPTION_EXPIRIES).
    const expiry = wallSeconds() + SHORT_DATED_SECONDS;
    const venue = await startSequencer({
      deployed: d,
      rpcUrl: RPC,
      port: 0,
      dbFile,
      adminToken: ADMIN_TOKEN,
      provers: 1,
      optionWeeks: 1,
      optionExpiries: [expiry],
      pollMs: 200,
      onLine: (line) => log.write(line + "\n"),
    });
    children.push(venue.process);
    const client = (key: TradingKey, accountId: bigint): TesseraClient =>
      new TesseraClient({ url: venue.url, key, accountId });
    const [alice, bob, carol] = [client(aliceKey, aliceId), client(bobKey, bobId), client(carolKey, carolId)];
    const operator = new TesseraClient({ url: venue.url, adminToken: ADMIN_TOKEN });
    for (const [trader, amount] of [
      [alice, DEPOSIT],
      [bob, DEPOSIT],
      [carol, THIN_DEPOSIT],
    ] as const) {
      const account = await until("the L1 deposit at the venue", () => trader.account());
      assert.equal(account.collateral, amount);
    }

    /** `maker` rests a limit order, `taker` takes it whole (IOC); both recorded as one TRADE. */
    const trade = async (
      maker: TesseraClient,
      taker: TesseraClient,
      instrument: bigint,
      makerSide: "buy" | "sell",
      size: bigint,
      price: bigint,
    ): Promise<void> => {
      const resting = await maker.signOrder({ instrument, side: makerSide, size, price });
      assert.equal((await maker.placeSigned(resting)).status, "resting");
      const taking = await taker.signOrder({
        instrument,
        side: makerSide === "sell" ? "buy" : "sell",
        size,
        price,
        timeInForce: "IOC",
      });
      const result = await taker.placeSigned(taking);
      assert.equal(result.status, "filled", json(result));
      assert.deepEqual([result.fills[0]!.size, result.fills[0]!.price], [size, price]);
      userTxs.push({ type: TxType.TRADE, maker: resting, taker: taking, size, price });
    };
    const oracleAt = (cents: bigint): Promise<true> =>
      until(`the oracle at ${cents} at the venue`, async () =>
        (await alice.oracle())[0]!.indexPrice === cents ? true : undefined,
      );

    // The short-dated series at 3,000: alice writes the call to bob, bob writes the put to alice.
    const series = (await alice.instruments({ kind: "option", underlying: 1 })).filter(
      (m) => m.expiry === expiry && m.strike === SHORT_STRIKE,
    );
    const shortCall = series.find((m) => m.kind === "call");
    const shortPut = series.find((m) => m.kind === "put");
    assert.ok(shortCall !== undefined && shortPut !== undefined, "the short-dated series is listed");
    await trade(alice, bob, shortCall.instrument, "sell", ONE, CALL_PREMIUM);
    await trade(bob, alice, shortPut.instrument, "sell", ONE, PUT_PREMIUM);
    assert.ok(wallSeconds() < expiry, "the short-dated series was traded before its expiry");

    // The round in force at expiry (3,050: the call is in the money, the put out of it), and one
    // after it (3,000) that must not be used; the latter moves L1 time past the expiry.
    await pushRound(eth, AT_EXPIRY * ANSWER_PER_CENT, wallSeconds());
    const inForce = await latestRound(eth);
    assert.ok(inForce.updatedAt <= expiry);
    await oracleAt(AT_EXPIRY);
    const beforeSettlement = { alice: await alice.account(), bob: await bob.account() };
    for (const account of Object.values(beforeSettlement)) assert.equal(account.positions.length, 2);
    await sleep(Number(expiry + 2n - wallSeconds()) * 1000);
    await pushRound(eth, 300_000n * ANSWER_PER_CENT, wallSeconds());
    const afterExpiry = await latestRound(eth);
    assert.ok(afterExpiry.updatedAt > expiry && afterExpiry.roundId === inForce.roundId + 1n);

    // The venue settles both options at the round in force at expiry: positions closed, each
    // trader's collateral moved by size × intrinsic(S) − cost of every settled position.
    const settled = await until("the short-dated series' settlement", async () => {
      const r = await fetch(`${venue.url}/v1/instruments?kind=option&underlying=1&status=settled`);
      const list = instrumentStatuses.parse(await r.json()).instruments;
      return list.some((m) => m.instrument === shortCall.instrument) ? list : undefined;
    });
    const settlementPrices = settled
      .filter((m) => m.instrument === shortCall.instrument || m.instrument === shortPut.instrument)
      .map((m) => m.settlementPrice);
    assert.deepEqual(settlementPrices, [inForce.answer / ANSWER_PER_CENT, inForce.answer / ANSWER_PER_CENT]);
    assert.equal(inForce.answer / ANSWER_PER_CENT, AT_EXPIRY, "settled at the round in force at expiry");
    /** Intrinsic value at the settlement price, cents per contract. */
    const intrinsic = (m: { instrument: bigint }): bigint =>
      max(m.instrument === shortCall.instrument ? AT_EXPIRY - SHORT_STRIKE : SHORT_STRIKE - AT_EXPIRY, 0n);
    for (const [trader, before] of [
      [alice, beforeSettlement.alice],
      [bob, beforeSettlement.bob],
    ] as const) {
      const after = await until("the settled positions gone", async () => {
        const a = await trader.account();
        return a.positions.length === 0 ? a : undefined;
      });
      const moved = before.positions.reduce((sum, p) => sum + p.size * intrinsic(p) - p.cost, 0n);
      assert.equal(after.collateral, before.collateral + moved, `account ${before.accountId}`);
    }
    // Bob is long the call in the money (+50 USD less its premium) and short the put out of it
    // (+ its premium); alice the opposite.
    const bobMoved = ONE * (AT_EXPIRY - SHORT_STRIKE) - ONE * CALL_PREMIUM + ONE * PUT_PREMIUM;
    assert.equal(
      (await bob.account()).collateral - beforeSettlement.bob.collateral,
      bobMoved,
      "bob's collateral moved by his options' value at settlement",
    );

    // A perp: alice sells one ETH to bob at 3,000.
    const perp = (await alice.market("ETH-PERP")).instrument;
    await trade(alice, bob, perp, "sell", ONE, 300_000n);

    // The oracle rises on L1 (3,000 → 3,100 USD); the watcher carries it to the venue.
    await pushRound(eth, 310_000n * ANSWER_PER_CENT, wallSeconds());
    await oracleAt(310_000n);
    const bobPerp = (await bob.account()).positions.find((p) => p.instrument === perp);
    assert.equal(bobPerp?.size, ONE);
    assert.ok(bobPerp.pnl > 0n, `the long gains when the index rises (pnl ${bobPerp.pnl})`);

    // An option: alice writes the call nearest the money, bob buys it.
    const calls = (await alice.instruments({ kind: "option", underlying: 1 })).filter(
      (m) => m.kind === "call" && m.expiry !== expiry,
    );
    assert.ok(calls.length > 0, "options are listed");
    const call = calls.reduce((a, b) => (abs(a.strike - 310_000n) <= abs(b.strike - 310_000n) ? a : b));
    const premium = ((20_000n + call.tickSize - 1n) / call.tickSize) * call.tickSize;
    const optionSize = call.minSize > call.lotSize ? call.minSize : call.lotSize;
    await trade(alice, bob, call.instrument, "sell", optionSize, premium);

    // Carol buys one ETH at 3,100 on a thin margin; at 2,800 she is below maintenance margin.
    await trade(alice, carol, perp, "sell", ONE, 310_000n);
    await pushRound(eth, 280_000n * ANSWER_PER_CENT, wallSeconds());
    await oracleAt(280_000n);
    await until("carol's liquidation", async () =>
      (await carol.fills(5)).some((f) => f.kind === "liquidation") ? true : undefined,
    );
    // Only as much as brings her back to maintenance margin is taken over (finding F6).
    const carolPerp = (await carol.account()).positions.find((p) => p.instrument === perp);
    assert.ok(carolPerp === undefined || carolPerp.size < ONE, "the liquidation took part or all of the long");

    // Bob withdraws on L2 (the withdrawal message, signed like an order).
    const withdrawal = bobKey.signOrder(
      withdrawalOrder(bobId, WITHDRAWN, (await bob.orderIds()).next(), wallSeconds() + 3600n),
      await bob.domain(),
    );
    const accepted = await fetch(`${venue.url}/v1/withdrawals`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: toJsonText({ withdrawal }),
    });
    assert.equal(accepted.status, 200, await accepted.clone().text());
    userTxs.push({ type: TxType.WITHDRAW, withdrawal });

    // Alice asks L1 for a forced withdrawal; the venue must serve it.
    const aliceBefore = (await alice.account()).collateral;
    await (
      await (rollup.connect(aliceWallet) as Contract).getFunction("requestForcedWithdrawal")(aliceId, FORCED)
    ).wait();
    await until("the forced withdrawal at the venue", async () =>
      (await alice.account()).collateral < aliceBefore ? true : undefined,
    );
    userTxs.push({ type: TxType.FORCED_WITHDRAW, accountId: aliceId, requested: FORCED });

    // Bob asks L1 to force-close his perp (issue 14 F11): the venue serves it in queue order, the
    // insurance fund takes the long at the oracle price, and his account no longer shows it.
    await (await (rollup.connect(bobWallet) as Contract).getFunction("requestForcedClose")(bobId, perp)).wait();
    await until("bob's forced close at the venue", async () =>
      (await bob.account()).positions.some((p) => p.instrument === perp) ? undefined : true,
    );
    userTxs.push({ type: TxType.FORCED_CLOSE, accountId: bobId, instrument: perp, settlement: false });

    // Every batch is proven and verified on chain, in order.
    await operator.closeBatch();
    const last = (await operator.status()).openBatch - 1n;
    for (let n = 1n; n <= last; n++) {
      const status = await until(
        `batch ${n} on L1`,
        async () => {
          const s = (await operator.batch(n)).status;
          return s === "submitted" || s === "failed" ? s : undefined;
        },
        500,
        1200,
      );
      assert.equal(status, "submitted", `batch ${n} (see .cache/e2e/sequencer.log)`);
    }

    // Both claim what L1 credited them.
    const claimable = async (w: { address: string }): Promise<bigint> =>
      (await rollup.getFunction("claimable")(w.address)) as bigint;
    const credited = { alice: await claimable(aliceWallet), bob: await claimable(bobWallet) };
    for (const w of [aliceWallet, bobWallet]) {
      await (await (rollup.connect(w) as Contract).getFunction("claim")(w.address)).wait();
    }

    // The reference: protocol/ replays what L1 accepted, from the transactions the test sent.
    const block = await ethers.provider.getBlockNumber();
    const batches = (await acceptedBatches(rollup, ethers.provider, d.deployment.domain)).filter(
      (b) => b.blockNumber <= block,
    );
    assert.deepEqual(
      batches.map((b) => b.number),
      Array.from({ length: batches.length }, (_, i) => BigInt(i + 1)),
      "batches verified on L1 in order",
    );
    assert.ok(batches.length >= Number(last), "every closed batch is on L1");
    const reference = replay(
      profile,
      {
        feeAccount: { pkHash: d.fee.pkHash, owner: BigInt(d.fee.owner) },
        insurance: { pkHash: d.insurance.pkHash, owner: BigInt(d.insurance.owner) },
      },
      batches,
      userTxs,
    );
    const at = { blockTag: block };
    const l1Root = (await rollup.getFunction("stateRoot")(at)) as bigint;
    assert.equal(reference.state.stateRoot, l1Root, "protocol/ predicts L1's root");
    // Determinism: the same batches rebuilt from their L1 calldata alone (protocol/rebuild.ts,
    // what the exodus exit runs) give every root L1 accepted.
    const genesis = RollupState.genesis(profile, {
      feeAccount: { pkHash: d.fee.pkHash, owner: BigInt(d.fee.owner) },
      insurance: { pkHash: d.insurance.pkHash, owner: BigInt(d.insurance.owner) },
    });
    const posted = batches.map((b) => ({
      header: {
        newStateRoot: b.newStateRoot,
        timestamp: b.context.timestamp,
        prices: b.context.prices,
        priceRoundIds: b.context.prices.map(() => 0n),
        settlements: Array.from({ length: profile.settlements }, (_, k) => {
          const r = b.context.settlements[k];
          return r === undefined ? 0n : packSettlement(r);
        }),
        settlementRoundIds: Array.from({ length: profile.settlements }, () => 0n),
        instruments: b.instruments,
        deposits: b.deposits,
      },
      slots: b.slots.flatMap(([f0, f1]) => [f0, f1]),
    }));
    // rebuildState checks each batch's root against the posted one (ROOT_MISMATCH otherwise).
    const rebuilt = rebuildState(genesis, posted, d.deployment.domain);
    assert.equal(rebuilt.stateRoot, l1Root, "rebuilt from L1 calldata alone");
    const kinds = new Set(reference.applied.map((a) => a.tx.type));
    assert.ok(kinds.has(TxType.FUNDING), "funding was applied");
    assert.ok(kinds.has(TxType.LIQUIDATE), "carol was liquidated");
    const closes = reference.applied.filter((a) => a.tx.type === TxType.FORCED_CLOSE);
    assert.equal(closes.length, 1, "bob's forced close is in a batch L1 accepted");
    assert.ok(
      reference.state.account(bobId).positions.every((p) => p.instrument !== perp || p.size === 0n),
      "L1's state holds no perp of bob's",
    );
    const settlements = reference.applied.filter((a) => a.tx.type === TxType.SETTLE);
    assert.deepEqual(
      settlements.map((a) => (a.tx.type === TxType.SETTLE ? [a.tx.accountId, a.tx.instrument] : [])).sort(),
      [
        [aliceId, shortCall.instrument],
        [aliceId, shortPut.instrument],
        [bobId, shortCall.instrument],
        [bobId, shortPut.instrument],
      ].sort(),
      "protocol/ settles every position of the short-dated series",
    );
    // Every batch of SETTLE slots carried the series' record; L1 checked its round id.
    const records = batches.flatMap((b) => b.context.settlements);
    assert.ok(records.length > 0);
    for (const record of records) {
      assert.deepEqual(record, { underlying: 1, expiry, price: AT_EXPIRY }, "L1 settled the series at S");
    }
    const paidTo = (accountId: bigint): bigint =>
      reference.applied.reduce((sum, a) => sum + (a.payout?.accountId === accountId ? a.payout.amount : 0n), 0n);
    const predicted = { alice: paidTo(aliceId), bob: paidTo(bobId) };
    assert.deepEqual(predicted, { alice: FORCED, bob: WITHDRAWN }, "protocol/ pays both withdrawals in full");
    assert.deepEqual(credited, predicted, "L1 credited what protocol/ paid out");
    const balance = async (who: string): Promise<bigint> => (await usdc.getFunction("balanceOf")(who, at)) as bigint;
    assert.equal(await balance(aliceWallet.address), FORCED, "alice holds her forced withdrawal");
    assert.equal(await balance(bobWallet.address), WITHDRAWN, "bob holds his withdrawal");
    assert.equal(await balance(carolWallet.address), 0n);
    assert.equal(
      await balance(d.rollup),
      2n * DEPOSIT + THIN_DEPOSIT - FORCED - WITHDRAWN,
      "the rollup holds the deposits less what was claimed",
    );
  },
);
