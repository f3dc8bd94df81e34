/**
 * The exodus end to end: a state built by protocol/ (deposits, a perp trade, an option trade
 * that expires unsettled), its batches accepted on chain, then the escape hatch, with every
 * account exiting through `exit` using `RollupState.exitProof` and the on-chain Poseidon. Also
 * checks that the contract's public data and commitment equal protocol/'s `batch.publicData`, `batch.commitment`.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { expect } from "chai";
import { network } from "hardhat";
import type { Contract } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { BatchBuilder, domainSeparator, l1Calldata } from "../../protocol/batch.ts";
import { decodeInstrument, optionId, perpId } from "../../protocol/instruments.ts";
import { KEY_MESSAGE_V1, pkHash, publicKeyOf, tradingKeyFromSignatureHex } from "../../protocol/keys.ts";
import type { PrivateKey } from "../../protocol/keys.ts";
import { positionValue } from "../../protocol/margin.ts";
import { initPoseidon } from "../../protocol/poseidon.ts";
import { exitArguments } from "../../protocol/rebuild.ts";
import { signOrder } from "../../protocol/signing.ts";
import { RollupState } from "../../protocol/state.ts";
import { InstrumentKind, Side, TxType } from "../../protocol/types.ts";
import type { Batch, BatchContext, Order, Tx } from "../../protocol/types.ts";
import {
  EXIT_CLAIM_WINDOW,
  FORCED_DEADLINE,
  PROFILE,
  deployWithMockVerifier,
  latestPrices,
  now,
  passHeadsDeadline,
} from "./fixtures.ts";
import type { Fixture } from "./fixtures.ts";

const { ethers, networkHelpers } = await network.create();

interface Trader {
  readonly signer: HardhatEthersSigner;
  readonly key: PrivateKey;
  readonly pkHash: bigint;
  id: bigint;
}

async function trader(signer: HardhatEthersSigner): Promise<Trader> {
  const key = tradingKeyFromSignatureHex(await signer.signMessage(KEY_MESSAGE_V1));
  return { signer, key, pkHash: pkHash(publicKeyOf(key)), id: -1n };
}

function as(contract: Contract, signer: HardhatEthersSigner): Contract {
  return contract.connect(signer) as Contract;
}

/** Rollup deployed at the genesis of a protocol/ state whose system accounts belong to the fixture's signers. */
async function deployAtGenesis(collateral?: string): Promise<{ f: Fixture; state: RollupState; traders: Trader[] }> {
  const [, , alice, bob, carol, feeOwner, insuranceOwner] = await ethers.getSigners();
  const fee = await trader(feeOwner!);
  const insurance = await trader(insuranceOwner!);
  const state = RollupState.genesis(PROFILE, {
    feeAccount: { pkHash: fee.pkHash, owner: BigInt(feeOwner!.address) },
    insurance: { pkHash: insurance.pkHash, owner: BigInt(insuranceOwner!.address) },
  });
  const f = await deployWithMockVerifier(ethers, {
    genesisStateRoot: state.stateRoot,
    feePkHash: fee.pkHash,
    insurancePkHash: insurance.pkHash,
    ...(collateral === undefined ? {} : { collateral }),
  });
  const traders = await Promise.all([alice!, bob!, carol!].map(trader));
  for (const t of traders.slice(0, 2)) {
    t.id = (await f.rollup.getFunction("nextAccountId")()) as bigint;
    await (await as(f.rollup, t.signer).getFunction("register")(t.pkHash)).wait();
  }
  return { f, state, traders };
}

async function contextNow(f: Fixture): Promise<{ ctx: BatchContext; roundIds: bigint[] }> {
  const { prices, roundIds } = await latestPrices(f.feeds);
  return { ctx: { timestamp: await now(ethers), domain: f.domain, prices, settlements: [] }, roundIds };
}

/** Applies `txs` in one batch to `state` and submits it; checks the contract's inputs equal protocol/'s. */
async function proveAndSubmit(f: Fixture, state: RollupState, txs: readonly Tx[]): Promise<Batch> {
  const { ctx, roundIds } = await contextNow(f);
  const builder = new BatchBuilder(state, ctx);
  for (const tx of txs) builder.add(tx);
  const batch = builder.close();
  const { header, slots } = l1Calldata(batch, { priceRoundIds: roundIds, settlementRoundIds: [] });
  const onChain = (await f.rollup.getFunction("publicData")(header, slots)) as bigint[];
  assert.deepEqual([...onChain], batch.publicData);
  assert.equal(await f.rollup.getFunction("commitment")(header, slots), batch.commitment);
  await (await as(f.rollup, f.operator).getFunction("submitBatch")(header, slots, Array(8).fill(0n))).wait();
  assert.equal(await f.rollup.getFunction("stateRoot")(), state.stateRoot);
  return batch;
}

function depositTx(t: Trader, amount: bigint): Tx {
  return { type: TxType.DEPOSIT, accountId: t.id, owner: BigInt(t.signer.address), pkHash: t.pkHash, amount };
}

function order(t: Trader, fields: Omit<Order, "accountId" | "flags">, domain: bigint): ReturnType<typeof signOrder> {
  return signOrder(t.key, { ...fields, accountId: t.id, flags: 0n }, domain);
}

/** `exit` arguments for `accountId` from protocol/'s exit proof (signed values field-encoded). */
function exitArgs(state: RollupState, accountId: bigint, roundIds: readonly bigint[]): unknown[] {
  const a = exitArguments(state.exitProof(accountId));
  return [a.accountId, [...a.leafPreimage], [...a.siblings], [...a.globalPreimage], [...roundIds]];
}

const ETH_3000 = 300_000_000_000n;
const ETH_3100 = 310_000_000_000n;
const ETH_3300 = 330_000_000_000n;
const DEPOSIT = 20_000_000_000n; // 20,000 USDC

describe("exodus end to end with protocol/ state", () => {
  before(async () => {
    await initPoseidon();
  });

  it("test_domain_matchesProtocolDomainSeparator", async () => {
    const { f } = await deployAtGenesis();
    const { chainId } = await ethers.provider.getNetwork();
    assert.equal(f.domain, domainSeparator(chainId, await f.rollup.getAddress()));
  });

  it("test_exodus_exitPaysEquityAtLastBatch: perps, expired unsettled options, fee pool, refunds", async () => {
    const { f, state, traders } = await deployAtGenesis();
    const [alice, bob, carol] = traders as [Trader, Trader, Trader];
    const eth = f.feeds[0]!;
    await (await eth.getFunction("pushAnswer")(ETH_3000)).wait();
    for (const t of [alice, bob]) await (await as(f.rollup, t.signer).getFunction("deposit")(t.id, DEPOSIT)).wait();
    await proveAndSubmit(f, state, [depositTx(alice, DEPOSIT), depositTx(bob, DEPOSIT)]);

    // Batch 2: alice buys 2 ETH perp and 1 ETH call (strike 3,000, expiring in 60 s) from bob.
    const t2 = await now(ethers);
    const call = optionId(1, InstrumentKind.CALL, 300_000n, t2 + 60n);
    const perp = perpId(1);
    const expiry = t2 + 3600n;
    const d = f.domain;
    const perpTrade: Tx = {
      type: TxType.TRADE,
      maker: order(bob, { instrument: perp, side: Side.SELL, size: 20_000n, price: 300_000n, orderId: 1n, expiry }, d),
      taker: order(alice, { instrument: perp, side: Side.BUY, size: 20_000n, price: 300_500n, orderId: 1n, expiry }, d),
      size: 20_000n,
      price: 300_000n,
    };
    const callTrade: Tx = {
      type: TxType.TRADE,
      maker: order(bob, { instrument: call, side: Side.SELL, size: 10_000n, price: 5_000n, orderId: 2n, expiry }, d),
      taker: order(alice, { instrument: call, side: Side.BUY, size: 10_000n, price: 5_000n, orderId: 2n, expiry }, d),
      size: 10_000n,
      price: 5_000n,
    };
    await proveAndSubmit(f, state, [perpTrade, callTrade]);

    // ETH moves to 3,100 before the call expires (round in force at expiry) and 3,300 after.
    await networkHelpers.time.increase(30n);
    await (await eth.getFunction("pushAnswer")(ETH_3100)).wait();
    const settlementRound = ((await eth.getFunction("latestRoundData")()) as bigint[])[0]!;
    await networkHelpers.time.increase(60n);
    await (await eth.getFunction("pushAnswer")(ETH_3300)).wait();
    // Batch 3 after expiry leaves the call unsettled: the exit must value it at S = 3,100.
    await proveAndSubmit(f, state, []);
    const lastPrices = [...((await f.rollup.getFunction("lastPrices")()) as bigint[])];

    // carol's deposit is never served: the hatch opens after the deadline.
    carol.id = (await f.rollup.getFunction("nextAccountId")()) as bigint;
    await (await as(f.rollup, carol.signer).getFunction("registerAndDeposit")(carol.pkHash, 1_234n)).wait();
    await expect(f.rollup.getFunction("exit")(...exitArgs(state, alice.id, [0n, 0n]))).to.be.revertedWithCustomError(
      f.rollup,
      "ExodusNotActive",
    );
    await networkHelpers.time.increase(FORCED_DEADLINE + 1n);
    await (await f.rollup.getFunction("activateExodus")(await f.rollup.getFunction("queueHead")())).wait();

    const fundingIndex = state.globalState.fundingIndex;
    const lastBatchTimestamp = (await f.rollup.getFunction("lastBatchTimestamp")()) as bigint;
    /** The exit rule in protocol/ terms: options expired by the last batch are valued at S = 3,100.00. */
    const expectedEquity = (id: bigint): bigint => {
      const account = state.account(id);
      let equity = account.collateral;
      for (const pos of account.positions) {
        const spec = pos.size === 0n ? null : decodeInstrument(pos.instrument);
        const prices = lastPrices.slice();
        if (spec && spec.kind !== InstrumentKind.PERP && spec.expiry <= lastBatchTimestamp) {
          prices[spec.underlying - 1] = 310_000n;
        }
        equity += positionValue(pos, { prices, fundingIndex });
      }
      return id === 0n ? equity + state.globalState.feePool : equity;
    };
    const roundIdsFor = (id: bigint): bigint[] =>
      state.account(id).positions.map((pos) => (pos.instrument === call ? settlementRound : 0n));

    assert.ok(state.account(alice.id).positions.some((pos) => pos.instrument === call && pos.size === 10_000n));
    const latestRound = ((await eth.getFunction("latestRoundData")()) as bigint[])[0]!;
    const wrongRound = roundIdsFor(alice.id).map((r) => (r === 0n ? 0n : latestRound));
    await expect(f.rollup.getFunction("exit")(...exitArgs(state, alice.id, wrongRound)))
      .to.be.revertedWithCustomError(f.rollup, "RoundNotInForceAtExpiry")
      .withArgs(1n, latestRound, t2 + 60n);

    let paid = 0n;
    const users: [bigint, HardhatEthersSigner][] = [
      [alice.id, alice.signer],
      [bob.id, bob.signer],
      [0n, f.feeOwner],
      [1n, f.insuranceOwner],
    ];
    // alice and bob register in the claim window (anyone may send the proof); nothing is paid yet.
    for (const [id, owner] of users.slice(0, 2)) {
      const equity = expectedEquity(id);
      await expect(as(f.rollup, carol.signer).getFunction("exit")(...exitArgs(state, id, roundIdsFor(id))))
        .to.emit(f.rollup, "ExitRegistered")
        .withArgs(id, owner.address, equity);
    }
    await expect(f.rollup.getFunction("payExit")(alice.id)).to.be.revertedWithCustomError(
      f.rollup,
      "ExitClaimWindowOpen",
    );
    await networkHelpers.time.increase(EXIT_CLAIM_WINDOW + 1n);
    // No bad debt: the registered exits are paid in full; the late ones (fee account, insurance
    // fund) from what is left, at once.
    for (const [id, owner] of users) {
      const equity = expectedEquity(id);
      const payout = equity > 0n ? equity : 0n;
      const before = (await f.collateral.getFunction("balanceOf")(owner.address)) as bigint;
      const registered = id === alice.id || id === bob.id;
      if (registered) {
        assert.equal(await f.rollup.getFunction("exitPayout")(id), payout);
        await expect(as(f.rollup, carol.signer).getFunction("payExit")(id))
          .to.emit(f.rollup, "Exited")
          .withArgs(id, owner.address, payout, payout);
      } else {
        await expect(as(f.rollup, carol.signer).getFunction("exit")(...exitArgs(state, id, roundIdsFor(id))))
          .to.emit(f.rollup, "Exited")
          .withArgs(id, owner.address, equity, payout);
      }
      assert.equal(await f.collateral.getFunction("balanceOf")(owner.address), before + payout);
      paid += payout;
    }
    await expect(f.rollup.getFunction("payExit")(alice.id))
      .to.be.revertedWithCustomError(f.rollup, "ExitAlreadyPaid")
      .withArgs(alice.id);
    // alice is long 2 ETH from 3,000 at 3,300 and holds a call worth 100 USD at expiry.
    assert.ok(expectedEquity(alice.id) > DEPOSIT);
    assert.ok(state.globalState.feePool > 0n);

    await expect(f.rollup.getFunction("exit")(...exitArgs(state, alice.id, roundIdsFor(alice.id))))
      .to.be.revertedWithCustomError(f.rollup, "AlreadyExited")
      .withArgs(alice.id);
    await (await f.rollup.getFunction("refundDeposit")(2n)).wait();
    // Value conservation: everything deposited left the contract exactly once.
    assert.equal(paid, 2n * DEPOSIT);
    assert.equal(await f.collateral.getFunction("balanceOf")(await f.rollup.getAddress()), 0n);
    assert.equal(await f.rollup.getFunction("l2Custody")(), 0n);
  });

  it("finding F12: two-phase exits pay pro rata with bad debt in the state", async () => {
    const { f, state, traders } = await deployAtGenesis();
    const [alice, bob, carol] = traders as [Trader, Trader, Trader];
    const eth = f.feeds[0]!;
    const small = 2_000_000_000n; // 2,000 USDC each
    await (await eth.getFunction("pushAnswer")(ETH_3000)).wait();
    for (const t of [alice, bob]) await (await as(f.rollup, t.signer).getFunction("deposit")(t.id, small)).wait();
    await proveAndSubmit(f, state, [depositTx(alice, small), depositTx(bob, small)]);
    // alice buys 2 ETH-PERP at 3,000.00 from bob; then ETH falls to 1,500.00 and nobody liquidates her.
    const expiry = (await now(ethers)) + 3600n;
    const perp = perpId(1);
    const d = f.domain;
    await proveAndSubmit(f, state, [
      {
        type: TxType.TRADE,
        maker: order(
          bob,
          { instrument: perp, side: Side.SELL, size: 20_000n, price: 300_000n, orderId: 1n, expiry },
          d,
        ),
        taker: order(
          alice,
          { instrument: perp, side: Side.BUY, size: 20_000n, price: 300_000n, orderId: 1n, expiry },
          d,
        ),
        size: 20_000n,
        price: 300_000n,
      },
    ]);
    await networkHelpers.time.increase(10n);
    await (await eth.getFunction("pushAnswer")(150_000_000_000n)).wait();
    await proveAndSubmit(f, state, []);
    const lastPrices = [...((await f.rollup.getFunction("lastPrices")()) as bigint[])];
    const fundingIndex = state.globalState.fundingIndex;
    const equityOf = (id: bigint): bigint => {
      const account = state.account(id);
      let equity = account.collateral;
      for (const pos of account.positions) equity += positionValue(pos, { prices: lastPrices, fundingIndex });
      return id === 0n ? equity + state.globalState.feePool : equity;
    };
    assert.ok(equityOf(alice.id) < 0n, "alice carries bad debt");

    carol.id = (await f.rollup.getFunction("nextAccountId")()) as bigint;
    await (await as(f.rollup, carol.signer).getFunction("registerAndDeposit")(carol.pkHash, 1_234n)).wait();
    await networkHelpers.time.increase(FORCED_DEADLINE + 1n);
    await (await f.rollup.getFunction("activateExodus")(await f.rollup.getFunction("queueHead")())).wait();
    const custody = (await f.rollup.getFunction("exitCustody")()) as bigint;
    assert.equal(custody, 2n * small);

    const ids = [alice.id, bob.id, 0n, 1n];
    for (const id of ids) await (await f.rollup.getFunction("exit")(...exitArgs(state, id, [0n, 0n]))).wait();
    const positive = ids.map((id) => (equityOf(id) > 0n ? equityOf(id) : 0n));
    const total = positive.reduce((a, b) => a + b, 0n);
    assert.equal(await f.rollup.getFunction("totalExitEquity")(), total);
    assert.ok(total > custody, "the positive equity exceeds the custody by the bad debt");

    await networkHelpers.time.increase(EXIT_CLAIM_WINDOW + 1n);
    // The order of the payouts does not matter: each gets equity × custody / Σ equity.
    let paid = 0n;
    for (const [i, id] of [...ids.entries()].reverse()) {
      const expected = (positive[i]! * custody) / total;
      assert.equal(await f.rollup.getFunction("exitPayout")(id), expected);
      const owner = (await f.rollup.getFunction("accountOwner")(id)) as string;
      await expect(f.rollup.getFunction("payExit")(id))
        .to.emit(f.rollup, "Exited")
        .withArgs(id, owner, positive[i]!, expected);
      paid += expected;
    }
    assert.ok(paid <= custody && custody - paid < BigInt(ids.length), "all of the custody, up to rounding");
    // The queued deposit is not part of the custody: its depositor gets it back in full.
    await (await f.rollup.getFunction("refundDeposit")(2n)).wait();
    assert.equal(await f.collateral.getFunction("balanceOf")(await f.rollup.getAddress()), custody - paid);
  });

  it("test_exodus_exitRejectsForgedProofs", async () => {
    const { f, state, traders } = await deployAtGenesis();
    const [alice, bob] = traders as [Trader, Trader];
    for (const t of [alice, bob]) await (await as(f.rollup, t.signer).getFunction("deposit")(t.id, DEPOSIT)).wait();
    await proveAndSubmit(f, state, [depositTx(alice, DEPOSIT)]); // bob's deposit stays queued
    // bob's deposit was queued behind alice's: its deadline is one operation's share later.
    await passHeadsDeadline(ethers, f.rollup);
    await (await f.rollup.getFunction("activateExodus")(await f.rollup.getFunction("queueHead")())).wait();

    const args = exitArgs(state, alice.id, [0n, 0n]);
    const leaf = args[1] as bigint[];
    const richer = [leaf[0], leaf[1], leaf[2]! + 1n, ...leaf.slice(3)];
    await expect(
      f.rollup.getFunction("exit")(alice.id, richer, args[2], args[3], args[4]),
    ).to.be.revertedWithCustomError(f.rollup, "ExitProofMismatch");
    // collateral + r hashes like collateral but would decode differently: refused as a non-field element.
    const aliased = [
      leaf[0],
      leaf[1],
      leaf[2]! + 2n * 21888242871839275222246405745257275088548364400416034343698204186575808495617n,
      ...leaf.slice(3),
    ];
    await expect(
      f.rollup.getFunction("exit")(alice.id, aliased, args[2], args[3], args[4]),
    ).to.be.revertedWithCustomError(f.rollup, "NotAFieldElement");
    await expect(f.rollup.getFunction("exit")(bob.id, leaf, args[2], args[3], args[4]))
      .to.be.revertedWithCustomError(f.rollup, "LeafOwnerMismatch")
      .withArgs(bob.id, BigInt(alice.signer.address), bob.signer.address);
    await expect(f.rollup.getFunction("exit")(9n, leaf, args[2], args[3], args[4]))
      .to.be.revertedWithCustomError(f.rollup, "UnknownAccount")
      .withArgs(9n);
    await expect(
      f.rollup.getFunction("exit")(alice.id, leaf, (args[2] as bigint[]).slice(1), args[3], args[4]),
    ).to.be.revertedWithCustomError(f.rollup, "BadExitProofShape");
    // bob registered but never reached L2: his (empty) leaf is not in the tree under his owner.
    const bobArgs = exitArgs(state, bob.id, [0n, 0n]);
    const bobLeaf = [...(bobArgs[1] as bigint[])];
    bobLeaf[1] = BigInt(bob.signer.address);
    await expect(
      f.rollup.getFunction("exit")(bob.id, bobLeaf, bobArgs[2], bobArgs[3], bobArgs[4]),
    ).to.be.revertedWithCustomError(f.rollup, "ExitProofMismatch");
    await expect(f.rollup.getFunction("exit")(...args))
      .to.emit(f.rollup, "ExitRegistered")
      .withArgs(alice.id, alice.signer.address, DEPOSIT);
    await expect(f.rollup.getFunction("payExit")(bob.id))
      .to.be.revertedWithCustomError(f.rollup, "ExitClaimWindowOpen")
      .withArgs(((await f.rollup.getFunction("exodusActivatedAt")()) as bigint) + EXIT_CLAIM_WINDOW);
    await networkHelpers.time.increase(EXIT_CLAIM_WINDOW + 1n);
    await expect(f.rollup.getFunction("payExit")(bob.id))
      .to.be.revertedWithCustomError(f.rollup, "ExitNotRegistered")
      .withArgs(bob.id);
  });

  it("test_exodus_exitReentrancy: a token re-entering exit cannot pay twice", async () => {
    const token = await ethers.deployContract("ReentrantToken");
    await token.waitForDeployment();
    const { f, state, traders } = await deployAtGenesis(await token.getAddress());
    const [alice, bob] = traders as [Trader, Trader];
    for (const t of [alice, bob]) await (await as(f.rollup, t.signer).getFunction("deposit")(t.id, DEPOSIT)).wait();
    await proveAndSubmit(f, state, [depositTx(alice, DEPOSIT)]); // bob's deposit stays queued
    await passHeadsDeadline(ethers, f.rollup);
    await (await f.rollup.getFunction("activateExodus")(await f.rollup.getFunction("queueHead")())).wait();
    // After the claim window an exit pays at once: the transfer is where a token could re-enter.
    await networkHelpers.time.increase(EXIT_CLAIM_WINDOW + 1n);

    const args = exitArgs(state, alice.id, [0n, 0n]);
    const rollupAddress = await f.rollup.getAddress();
    await (await token.getFunction("arm")(rollupAddress, f.rollup.interface.encodeFunctionData("exit", args))).wait();
    const before = (await token.getFunction("balanceOf")(alice.signer.address)) as bigint;
    await (await f.rollup.getFunction("exit")(...args)).wait();
    assert.equal(await token.getFunction("reentryAttempted")(), true);
    assert.equal(await token.getFunction("reentrySucceeded")(), false);
    const selector = f.rollup.interface.getError("ReentrancyGuardReentrantCall")!.selector;
    assert.equal(await token.getFunction("reentryRevertData")(), selector);
    assert.equal(await token.getFunction("balanceOf")(alice.signer.address), before + DEPOSIT);
    assert.equal(await token.getFunction("balanceOf")(rollupAddress), DEPOSIT); // bob's queued deposit
  });
});
