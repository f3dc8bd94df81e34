/**
 * The exodus end to end on real components and real proofs (the `test` circuit profile): a
 * Hardhat node, the contracts of scripts/deploy.ts with the generated `TestVerifier`, and the
 * sequencer as a child process. Three traders deposit on L1 and trade perps; the oracle falls so
 * that the longs lose (bob closes half of his long at a loss); the batches are proven and
 * verified on L1. Then the operator stops (the
 * venue is shut down), a forced withdrawal goes unserved past `forcedRequestDeadline`, and a
 * stranger activates the exodus. Every account exits from L1 data alone: the state is rebuilt
 * from the `submitBatch` calldata (protocol/rebuild.ts, as the web app's exodus exit does) and
 * each exit proof comes from it. The exits register in the claim window and are paid after it
 * by the pro-rata rule of docs/contracts.md (issue 14 F12): `min(e, ⌊e · C / E⌋)`.
 *
 * Every child runs in its own process group and is stopped on the way out (scripts/demo).
 */
import { createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import type { Contract, ContractTransactionReceipt } from "ethers";
import { positionValue } from "../../protocol/margin.ts";
import { getProfile } from "../../protocol/profiles.ts";
import { packSettlement } from "../../protocol/pubdata.ts";
import { exitArguments, rebuildState } from "../../protocol/rebuild.ts";
import { RollupState } from "../../protocol/state.ts";
import { TesseraClient } from "../../sdk/client.ts";
import { TradingKey } from "../../sdk/keys.ts";
import { toJsonText } from "../../sdk/wire.ts";
import { ensureProfileBuilt } from "../../scripts/zk/build.ts";
import { pushRound, wallSeconds } from "../../scripts/demo/oracle.ts";
import { stopAll, stopProcess, type Managed } from "../../scripts/demo/processes.ts";
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
import { acceptedBatches } from "./replay.ts";
import { until } from "./wait.ts";

const PROFILE = "test";
const PORT = 29_545 + (process.pid % 1000);
const RPC = `http://127.0.0.1:${PORT}`;
const ADMIN_TOKEN = "e2e-admin-token-0123456789";
/** Deposits: alice and bob 20,000 USDC, carol 5,000 USDC (base units). */
const DEPOSIT = 20_000_000_000n;
const CAROL_DEPOSIT = 5_000_000_000n;
/** One ETH in size units (1e-4). */
const ONE = 10_000n;
/** Seven days: the rollup's forcedRequestDeadline in this deployment. */
const DAYS_7 = 7n * 86_400n;

const LOG_DIR = path.join(ROOT, ".cache", "e2e");
/** `until` with this test's longer default bound (900 polls): its batches prove on real keys. */
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, everyMs = 200): Promise<T> =>
  until(what, probe, everyMs, 900);
const children: Managed[] = [];
after(async () => {
  await stopAll(children);
});

/** The custom error a call reverted with (name and arguments), from ethers' decoded revert. */
async function revertOf(rollup: Contract, call: Promise<unknown>): Promise<{ name: string; args: unknown[] }> {
  try {
    await call;
  } catch (e) {
    const err = e as { revert?: { name: string; args: unknown[] }; data?: string };
    if (err.revert !== undefined && err.revert !== null) return { name: err.revert.name, args: [...err.revert.args] };
    const parsed = typeof err.data === "string" ? rollup.interface.parseError(err.data) : null;
    if (parsed !== null) return { name: parsed.name, args: [...parsed.args] };
    throw e;
  }
  throw new Error("the call did not revert");
}

test(
  "exodus: the operator stops, a forced request goes unserved, every account exits from L1 calldata and is paid pro rata after the claim window",
  { timeout: 900_000 },
  async () => {
    const profile = getProfile(PROFILE);
    await ensureProfileBuilt(PROFILE, { quiet: true });
    await buildContracts();
    mkdirSync(LOG_DIR, { recursive: true });
    const dbFile = path.join(LOG_DIR, "exodus.db");

    const chain = await startChain(PORT);
    children.push(chain);
    const { ethers } = await network.connect({ network: "localhost", override: { url: RPC } });
    const d = await deployStack(ethers, PROFILE, { forcedRequestDeadline: DAYS_7 });
    const provider = ethers.provider;
    const signers = await ethers.getSigners();
    const deployer = signers[DEV_ROLES.admin]!;
    const [aliceWallet, bobWallet, carolWallet, stranger] = [0, 1, 2, 3].map(
      (k) => signers[DEV_ROLES.firstTrader + k]!,
    ) as [(typeof signers)[number], (typeof signers)[number], (typeof signers)[number], (typeof signers)[number]];
    const rollup = d.deployment.rollup;
    const usdc = d.deployment.collateral;
    const eth = d.deployment.feeds[0]!.connect(deployer) as Contract;
    const read = async <T>(name: string, ...args: unknown[]): Promise<T> =>
      (await rollup.getFunction(name)(...args)) as T;

    const keys = await Promise.all([aliceWallet, bobWallet, carolWallet].map((w) => TradingKey.fromWallet(w)));
    const [aliceKey, bobKey, carolKey] = keys as [TradingKey, TradingKey, TradingKey];
    const aliceId = await depositOnL1(d, deployer, aliceWallet, aliceKey.pkHash, DEPOSIT);
    const bobId = await depositOnL1(d, deployer, bobWallet, bobKey.pkHash, DEPOSIT);
    const carolId = await depositOnL1(d, deployer, carolWallet, carolKey.pkHash, CAROL_DEPOSIT);

    const log = createWriteStream(path.join(LOG_DIR, "exodus-sequencer.log"));
    const venue = await startSequencer({
      deployed: d,
      rpcUrl: RPC,
      port: 0,
      dbFile,
      adminToken: ADMIN_TOKEN,
      provers: 1,
      optionWeeks: 0,
      pollMs: 200,
      batchMaxAgeMs: 2000,
      onLine: (line) => log.write(line + "\n"),
    });
    children.push(venue.process);
    const client = (key: TradingKey, accountId: bigint): TesseraClient =>
      new TesseraClient({ url: venue.url, key, accountId });
    const [alice, bob, carol] = [client(aliceKey, aliceId), client(bobKey, bobId), client(carolKey, carolId)];
    const operator = new TesseraClient({ url: venue.url, adminToken: ADMIN_TOKEN });
    for (const trader of [alice, bob, carol]) await waitFor("the L1 deposit at the venue", () => trader.account());

    // alice sells 3 ETH-PERP at 3,000: 2 to bob, 1 to carol. Then ETH falls to 2,800 on L1.
    const perp = (await alice.market("ETH-PERP")).instrument;
    for (const [taker, size] of [
      [bob, 2n * ONE],
      [carol, ONE],
    ] as const) {
      const resting = await alice.signOrder({ instrument: perp, side: "sell", size, price: 300_000n });
      assert.equal((await alice.placeSigned(resting)).status, "resting");
      const taking = await taker.signOrder({
        instrument: perp,
        side: "buy",
        size,
        price: 300_000n,
        timeInForce: "IOC",
      });
      const result = await taker.placeSigned(taking);
      assert.equal(result.status, "filled", toJsonText(result));
    }
    await pushRound(eth, 280_000n * ANSWER_PER_CENT, wallSeconds());
    await waitFor("the oracle at 2,800 at the venue", async () =>
      (await alice.oracle())[0]!.indexPrice === 280_000n ? true : undefined,
    );
    // bob sells 1 ETH back to alice at 2,800 (a transaction after the new round, so the batch
    // that holds it is priced at 2,800); every batch is proven and verified on L1.
    const back = await bob.signOrder({ instrument: perp, side: "sell", size: ONE, price: 280_000n });
    assert.equal((await bob.placeSigned(back)).status, "resting");
    const closing = await alice.signOrder({
      instrument: perp,
      side: "buy",
      size: ONE,
      price: 280_000n,
      timeInForce: "IOC",
    });
    assert.equal((await alice.placeSigned(closing)).status, "filled");
    await operator.closeBatch();
    const last = (await operator.status()).openBatch - 1n;
    for (let n = 1n; n <= last; n++) {
      const status = await waitFor(`batch ${n} on L1`, async () => {
        const s = (await operator.batch(n)).status;
        return s === "submitted" || s === "failed" ? s : undefined;
      });
      assert.equal(status, "submitted", `batch ${n} (see .cache/e2e/exodus-sequencer.log)`);
    }
    const lastPrices = [...(await read<bigint[]>("lastPrices"))];
    assert.equal(lastPrices[0], 280_000n, "the last verified batch is priced at 2,800");

    // The operator stops. alice asks L1 for a forced withdrawal that nobody serves.
    await stopProcess(venue.process);
    await (
      await (rollup.connect(aliceWallet) as Contract).getFunction("requestForcedWithdrawal")(aliceId, 1_000_000n)
    ).wait();
    const early = await revertOf(
      rollup,
      (rollup.connect(stranger) as Contract).getFunction("activateExodus")(await read<bigint>("queueHead")),
    );
    assert.equal(early.name, "ExodusTooEarly");
    await provider.send("evm_increaseTime", [Number(DAYS_7) + 1]);
    await provider.send("evm_mine", []);
    await (
      await (rollup.connect(stranger) as Contract).getFunction("activateExodus")(await read<bigint>("queueHead"))
    ).wait();
    assert.equal(await read("exodus"), true);
    const custody = await read<bigint>("exitCustody");
    assert.equal(custody, 2n * DEPOSIT + CAROL_DEPOSIT, "the custody is what the verified batches deposited");

    // The state from L1 calldata alone (BatchVerified events and their submitBatch calldata).
    const system = {
      feeAccount: { pkHash: d.fee.pkHash, owner: BigInt(d.fee.owner) },
      insurance: { pkHash: d.insurance.pkHash, owner: BigInt(d.insurance.owner) },
    };
    const batches = await acceptedBatches(rollup, provider, d.deployment.domain);
    assert.equal(BigInt(batches.length), await read<bigint>("batchNumber"));
    const state = rebuildState(
      RollupState.genesis(profile, system),
      batches.map((b) => ({
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
      })),
      d.deployment.domain,
    );
    assert.equal(state.stateRoot, await read<bigint>("stateRoot"), "rebuilt from L1 calldata alone");

    /** The exit rule (docs/contracts.md): perps valued at the last batch's prices, + feePool for account 0. */
    const fundingIndex = state.globalState.fundingIndex;
    const equityOf = (id: bigint): bigint => {
      const account = state.account(id);
      let equity = account.collateral;
      for (const pos of account.positions) equity += positionValue(pos, { prices: lastPrices, fundingIndex });
      return id === 0n ? equity + state.globalState.feePool : equity;
    };
    const exitArgs = (id: bigint): unknown[] => {
      const a = exitArguments(state.exitProof(id));
      const rounds = state.account(id).positions.map(() => 0n);
      return [a.accountId, [...a.leafPreimage], [...a.siblings], [...a.globalPreimage], rounds];
    };
    assert.ok(equityOf(bobId) < DEPOSIT && equityOf(carolId) < CAROL_DEPOSIT, "the longs lost");
    assert.ok(equityOf(aliceId) > DEPOSIT, "the short gained");
    const sum = [0n, 1n, aliceId, bobId, carolId].reduce((s, id) => s + equityOf(id), 0n);
    assert.equal(sum, custody, "the equities add up to the custody (no bad debt here)");

    // In the claim window the traders and the fee account register (anyone may send the proof).
    const registered = [aliceId, bobId, carolId, 0n];
    const owners = new Map<bigint, string>();
    for (const id of registered) {
      const receipt = (await (
        await (rollup.connect(stranger) as Contract).getFunction("exit")(...exitArgs(id))
      ).wait()) as ContractTransactionReceipt;
      const event = receipt.logs.map((l) => rollup.interface.parseLog(l)).find((e) => e?.name === "ExitRegistered");
      assert.ok(event !== undefined && event !== null, `account ${id} registered`);
      assert.equal(event.args.getValue("accountId"), id);
      assert.equal(event.args.getValue("equity"), equityOf(id), `account ${id}'s equity`);
      owners.set(id, event.args.getValue("owner") as string);
    }
    assert.equal(owners.get(aliceId), aliceWallet.address);
    const again = await revertOf(rollup, rollup.getFunction("exit")(...exitArgs(bobId)));
    assert.deepEqual([again.name, again.args], ["AlreadyExited", [bobId]], "nobody registers twice");
    const windowEnd = await read<bigint>("exitClaimWindowEnd");
    const open = await revertOf(rollup, rollup.getFunction("payExit")(aliceId));
    assert.deepEqual([open.name, open.args], ["ExitClaimWindowOpen", [windowEnd]]);

    // After the window: each registered exit is paid min(e, ⌊e · C / E⌋), in any order.
    const head = (await provider.getBlock("latest"))!.timestamp;
    await provider.send("evm_increaseTime", [Number(windowEnd) - head + 1]);
    await provider.send("evm_mine", []);
    const positive = (id: bigint): bigint => (equityOf(id) > 0n ? equityOf(id) : 0n);
    const total = registered.reduce((s, id) => s + positive(id), 0n);
    assert.equal(await read<bigint>("totalExitEquity"), total);
    const rule = (id: bigint): bigint => {
      const e = positive(id);
      const share = (e * custody) / total;
      return e < share ? e : share;
    };
    let paid = 0n;
    for (const id of [...registered].reverse()) {
      assert.equal(await read<bigint>("exitPayout", id), rule(id), `account ${id}'s payout`);
      const owner = owners.get(id)!;
      const before = (await usdc.getFunction("balanceOf")(owner)) as bigint;
      await (await (rollup.connect(stranger) as Contract).getFunction("payExit")(id)).wait();
      assert.equal((await usdc.getFunction("balanceOf")(owner)) as bigint, before + rule(id), `account ${id} paid`);
      paid += rule(id);
    }
    assert.ok(paid <= custody, "the payouts never exceed the custody");
    for (const id of registered) {
      const twice = await revertOf(rollup, rollup.getFunction("payExit")(id));
      assert.deepEqual([twice.name, twice.args], ["ExitAlreadyPaid", [id]], "nobody is paid twice");
    }
    // A claim after the window by an account that did not register in it is refused.
    const late = await revertOf(rollup, rollup.getFunction("payExit")(1n));
    assert.deepEqual([late.name, late.args], ["ExitNotRegistered", [1n]]);
    assert.equal(await read<bigint>("exitPayout", 1n), 0n);
    assert.equal(
      (await usdc.getFunction("balanceOf")(await rollup.getAddress())) as bigint,
      custody - paid,
      "the rollup holds the custody less the payouts (the forced request moved no funds)",
    );
  },
);
