/**
 * TesseraRollup unit tests with a MockVerifier: registry, priority queue, batch acceptance and
 * every rejection, pull payments, exodus activation and refunds, roles.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { expect } from "chai";
import { network } from "hardhat";
import type { Contract } from "ethers";
import { FIELD_MODULUS } from "../../protocol/field.ts";
import {
  depositData,
  depositQueueEntry,
  forcedWithdrawData,
  packSettlement,
  packSlots,
  unpackSlots,
  withdrawData,
} from "../../protocol/pubdata.ts";
import {
  BTC_ANSWER,
  COMMITMENT_BYTES,
  ETH_ANSWER,
  FORCED_DEADLINE,
  GENESIS_ROOT,
  INSURANCE_PK_HASH,
  MAX_ORACLE_AGE,
  N_DATA,
  N_PUBLIC,
  PROFILE,
  SLOT_BYTES,
  USER_FUNDS,
  ZERO_PROOF,
  padK,
  cents,
  deployWithMockVerifier,
  headerNow,
  now,
  recordsOf,
  referenceCommitment,
  referencePublicData,
  slotsOf,
} from "./fixtures.ts";
import type { BatchHeader, Fixture } from "./fixtures.ts";

const { ethers, networkHelpers } = await network.create();

async function fixture(): Promise<Fixture> {
  return deployWithMockVerifier(ethers);
}

function as(contract: Contract, signer: { address: string }): Contract {
  return contract.connect(signer as never) as Contract;
}

/** Registers `pkHash` for the signer and deposits `amount`; returns the account id. */
async function registerAndDeposit(f: Fixture, user: Fixture["alice"], pkHash: bigint, amount: bigint): Promise<bigint> {
  const rollup = as(f.rollup, user);
  const accountId = (await rollup.getFunction("nextAccountId")()) as bigint;
  await (await rollup.getFunction("registerAndDeposit")(pkHash, amount)).wait();
  return accountId;
}

async function submit(f: Fixture, header: BatchHeader, slots: string): Promise<unknown> {
  return as(f.rollup, f.operator).getFunction("submitBatch")(header, slots, ZERO_PROOF);
}

describe("TesseraRollup", () => {
  describe("deployment", () => {
    it("test_deployedCode_fitsEIP170: the rollup's runtime code fits mainnet's 24,576-byte limit", async () => {
      // Hardhat's node deploys larger code too; Ethereum refuses it (EIP-170). The margin is small
      // (docs/contracts.md): a change that adds code must pay for it elsewhere.
      const f = await networkHelpers.loadFixture(fixture);
      const code = await ethers.provider.getCode(await f.rollup.getAddress());
      const bytes = (code.length - 2) / 2;
      assert.ok(bytes > 0, "the rollup has code");
      assert.ok(bytes <= 24_576, `the rollup's runtime code is ${bytes} bytes, over EIP-170's 24,576`);
    });
    it("test_constructor_domainAndShape: domain is keccak(abi.encode('tessera', chainId, address)) >> 4", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const { chainId } = await ethers.provider.getNetwork();
      const encoded = ethers.AbiCoder.defaultAbiCoder().encode(
        ["string", "uint256", "address"],
        ["tessera", chainId, await f.rollup.getAddress()],
      );
      assert.equal(f.domain, BigInt(ethers.keccak256(encoded)) >> 4n);
      assert.equal(await f.rollup.getFunction("publicDataCount")(), BigInt(N_DATA));
      assert.equal(await f.rollup.getFunction("depositRecords")(), BigInt(PROFILE.deposits));
      assert.equal(await f.rollup.getFunction("instrumentTable")(), BigInt(PROFILE.instruments));
      assert.equal(await f.rollup.getFunction("commitmentByteLength")(), BigInt(COMMITMENT_BYTES));
      assert.equal(await f.rollup.getFunction("stateRoot")(), GENESIS_ROOT);
      assert.equal(await f.rollup.getFunction("nextAccountId")(), 2n);
      assert.equal(await f.rollup.getFunction("accountOwner")(1n), f.insuranceOwner.address);
      assert.equal(await f.rollup.getFunction("accountPkHash")(1n), INSURANCE_PK_HASH);
      const selector = ethers.id(`verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[${N_PUBLIC}])`).slice(0, 10);
      assert.equal(N_PUBLIC, 1);
      assert.equal(await f.rollup.getFunction("VERIFY_SELECTOR")(), selector);
    });

    it("test_constructor_rejectsZeroOperator", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const factory = await ethers.getContractFactory("TesseraRollup");
      const config = {
        collateral: await f.collateral.getAddress(),
        feeds: await Promise.all(f.feeds.map((x) => x.getAddress())),
        verifier: f.verifier,
        profile: { nTx: 2, settlements: 1, accountDepth: 4, positions: 2, deposits: 2, instruments: 2 },
        genesisStateRoot: 1n,
        feeAccountOwner: f.feeOwner.address,
        feeAccountPkHash: 1n,
        insuranceFundOwner: f.insuranceOwner.address,
        insuranceFundPkHash: 2n,
        operator: ethers.ZeroAddress,
        admin: f.admin.address,
        maxOracleAge: 1n,
        forcedRequestDeadline: 1n,
        maxBatchLag: 1n,
        priceRoundGrace: 0n,
        feedChangeDelay: 2n,
        exitClaimWindow: 1n,
        poseidonHashers: Array.from({ length: 8 }, (_, i) => f.hashers.get(i + 1) ?? ethers.ZeroAddress),
      };
      await expect(factory.deploy(config))
        .to.be.revertedWithCustomError(f.rollup, "InvalidConfig")
        .withArgs("operator");
      await expect(
        factory.deploy({
          ...config,
          operator: f.operator.address,
          poseidonHashers: config.poseidonHashers.map(() => ethers.ZeroAddress),
        }),
      )
        .to.be.revertedWithCustomError(f.rollup, "InvalidConfig")
        .withArgs("poseidonHashers");
      // D deposit records: 1..nTx.
      for (const deposits of [0, 3]) {
        await expect(
          factory.deploy({ ...config, operator: f.operator.address, profile: { ...config.profile, deposits } }),
        )
          .to.be.revertedWithCustomError(f.rollup, "InvalidConfig")
          .withArgs("deposits");
      }
      // I instrument-table entries: at least 1 (uint8, so at most 255).
      await expect(
        factory.deploy({ ...config, operator: f.operator.address, profile: { ...config.profile, instruments: 0 } }),
      )
        .to.be.revertedWithCustomError(f.rollup, "InvalidConfig")
        .withArgs("instruments");
      // Slot data carries 24-bit account ids: the tree is at most 24 deep.
      for (const accountDepth of [0, 25, 32]) {
        await expect(
          factory.deploy({ ...config, operator: f.operator.address, profile: { ...config.profile, accountDepth } }),
        )
          .to.be.revertedWithCustomError(f.rollup, "InvalidConfig")
          .withArgs("accountDepth");
      }
      const deepest = await factory.deploy({
        ...config,
        operator: f.operator.address,
        profile: { ...config.profile, accountDepth: 24, instruments: 255 },
      });
      assert.equal(await deepest.getFunction("accountDepth")(), 24n);
      assert.equal(await deepest.getFunction("instrumentTable")(), 255n);
    });
  });

  describe("accounts and deposits", () => {
    it("test_register_assignsIdsFrom2", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await expect(as(f.rollup, f.alice).getFunction("register")(77n))
        .to.emit(f.rollup, "AccountRegistered")
        .withArgs(2n, f.alice.address, 77n);
      await (await as(f.rollup, f.bob).getFunction("register")(78n)).wait();
      assert.equal(await f.rollup.getFunction("accountOwner")(3n), f.bob.address);
      assert.equal(await f.rollup.getFunction("accountPkHash")(3n), 78n);
    });

    it("test_register_rejectsBadPkHash", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const rollup = as(f.rollup, f.alice);
      await expect(rollup.getFunction("register")(0n))
        .to.be.revertedWithCustomError(rollup, "InvalidPkHash")
        .withArgs(0n);
      await expect(rollup.getFunction("register")(FIELD_MODULUS))
        .to.be.revertedWithCustomError(rollup, "InvalidPkHash")
        .withArgs(FIELD_MODULUS);
    });

    it("test_register_treeFull: ids stop at 2^accountDepth", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const rollup = as(f.rollup, f.alice);
      const capacity = 1n << BigInt(PROFILE.accountDepth);
      for (let id = 2n; id < capacity; id++) await (await rollup.getFunction("register")(id)).wait();
      await expect(rollup.getFunction("register")(5n))
        .to.be.revertedWithCustomError(rollup, "AccountTreeFull")
        .withArgs(capacity);
    });

    it("test_deposit_queuesPublicDataOfProtocol", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const rollupAddress = await f.rollup.getAddress();
      await (await as(f.rollup, f.alice).getFunction("register")(77n)).wait();
      const amount = 5_000_000_000n;
      const [f0, f1] = depositData(2n, amount);
      assert.equal(f1, 0n);
      // bob funds alice's account: the leaf owner stays alice.
      const tx = as(f.rollup, f.bob).getFunction("deposit")(2n, amount);
      await expect(tx).to.emit(f.rollup, "DepositQueued").withArgs(0n, 2n, f.bob.address, amount);
      await expect(tx).to.emit(f.rollup, "PriorityOpQueued");
      const op = (await f.rollup.getFunction("priorityOp")(0n)) as { f0: bigint; f1: bigint; requester: string };
      // Queued: the slot's f0 with the owner at bit 84, and the key; the batch carries those two in
      // its deposit record.
      assert.equal(op.f0, f0 | (BigInt(f.alice.address) << 84n));
      assert.equal(op.f1, 77n);
      assert.deepEqual([op.f0, op.f1], depositQueueEntry(2n, amount, BigInt(f.alice.address), 77n));
      assert.equal(op.requester, f.bob.address);
      assert.equal(await f.collateral.getFunction("balanceOf")(rollupAddress), amount);
      assert.equal(await f.collateral.getFunction("balanceOf")(f.bob.address), USER_FUNDS - amount);
    });

    it("test_deposit_rejectsUnknownAccountAndBadAmount", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const rollup = as(f.rollup, f.alice);
      await expect(rollup.getFunction("deposit")(2n, 1n))
        .to.be.revertedWithCustomError(rollup, "UnknownAccount")
        .withArgs(2n);
      await (await rollup.getFunction("register")(77n)).wait();
      await expect(rollup.getFunction("deposit")(2n, 0n))
        .to.be.revertedWithCustomError(rollup, "InvalidAmount")
        .withArgs(0n);
      await expect(rollup.getFunction("deposit")(2n, 1n << 56n))
        .to.be.revertedWithCustomError(rollup, "InvalidAmount")
        .withArgs(1n << 56n);
    });

    it("test_requestForcedWithdrawal_ownerOnly", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const id = await registerAndDeposit(f, f.alice, 77n, 1_000n);
      await expect(as(f.rollup, f.bob).getFunction("requestForcedWithdrawal")(id, 10n))
        .to.be.revertedWithCustomError(f.rollup, "NotAccountOwner")
        .withArgs(id, f.bob.address);
      await expect(as(f.rollup, f.alice).getFunction("requestForcedWithdrawal")(id, 10n))
        .to.emit(f.rollup, "ForcedWithdrawalRequested")
        .withArgs(1n, id, 10n);
      // Queued: `3 | accountId << 4` (served and flat 0) and the requested amount in f1.
      const op = (await f.rollup.getFunction("priorityOp")(1n)) as { f0: bigint; f1: bigint };
      assert.deepEqual([op.f0, op.f1], [...forcedWithdrawData(id, 0n, 10n)]);
      assert.equal(op.f0, 3n | (id << 4n));
      assert.equal(op.f1, 10n);
    });
  });

  describe("submitBatch", () => {
    it("test_submitBatch_acceptsDepositAndWithdrawal", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const id = await registerAndDeposit(f, f.alice, 77n, 1_000_000n);
      const header = await headerNow(f, 0xabcn, [{ owner: f.alice.address, pkHash: 77n }]);
      const slots = slotsOf([depositData(id, 1_000_000n), withdrawData(id, 400_000n, 9n)]);
      const data = referencePublicData(GENESIS_ROOT, header, slots, f.domain);
      assert.deepEqual([...((await f.rollup.getFunction("publicData")(header, slots)) as bigint[])], data);
      const commitment = referenceCommitment(GENESIS_ROOT, header, slots, f.domain);
      assert.equal(await f.rollup.getFunction("commitment")(header, slots), commitment);
      await (
        await f.mock.getFunction("setExpectedInputsHash")(ethers.solidityPackedKeccak256(["uint256"], [commitment]))
      ).wait();

      const tx = submit(f, header, slots);
      await expect(tx).to.emit(f.rollup, "BatchVerified").withArgs(1n, GENESIS_ROOT, 0xabcn, header.timestamp, 1n);
      await expect(tx).to.emit(f.rollup, "WithdrawalCredited").withArgs(1n, id, f.alice.address, 400_000n, false);
      assert.equal(await f.rollup.getFunction("stateRoot")(), 0xabcn);
      assert.equal(await f.rollup.getFunction("batchNumber")(), 1n);
      assert.equal(await f.rollup.getFunction("queueHead")(), 1n);
      assert.equal(await f.rollup.getFunction("claimable")(f.alice.address), 400_000n);
      assert.equal(await f.rollup.getFunction("l2Custody")(), 600_000n);
      assert.deepEqual(
        [...((await f.rollup.getFunction("lastPrices")()) as bigint[])],
        [cents(ETH_ANSWER), cents(BTC_ANSWER)],
      );
    });

    it("test_submitBatch_forcedWithdrawalServedAndRefused", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const id = await registerAndDeposit(f, f.alice, 77n, 1_000n);
      await (await as(f.rollup, f.alice).getFunction("requestForcedWithdrawal")(id, 300n)).wait();
      await (await as(f.rollup, f.alice).getFunction("requestForcedWithdrawal")(id, 5_000n)).wait();
      const deposit = depositData(id, 1_000n);
      const header = await headerNow(f, 1n, [{ owner: f.alice.address, pkHash: 77n }]);
      await (
        (await submit(f, header, slotsOf([deposit, forcedWithdrawData(id, 300n, 300n)]))) as {
          wait(): Promise<unknown>;
        }
      ).wait();
      assert.equal(await f.rollup.getFunction("claimable")(f.alice.address), 300n);
      // Refused (served = 0) is still consumed, and proven so.
      await expect(submit(f, await headerNow(f, 2n), slotsOf([forcedWithdrawData(id, 0n, 5_000n)])))
        .to.emit(f.rollup, "WithdrawalCredited")
        .withArgs(2n, id, f.alice.address, 0n, true);
      assert.equal(await f.rollup.getFunction("queueHead")(), 3n);
      assert.equal(await f.rollup.getFunction("claimable")(f.alice.address), 300n);
    });

    it("test_submitBatch_rejectsNonOperatorAndBadShape", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const header = await headerNow(f, 1n);
      await expect(as(f.rollup, f.admin).getFunction("submitBatch")(header, slotsOf([]), ZERO_PROOF))
        .to.be.revertedWithCustomError(f.rollup, "NotOperator")
        .withArgs(f.admin.address);
      const { underlyings: u, settlements: k, instruments: i, deposits: d, nTx } = PROFILE;
      const shape = (entries: number, words: number, bytes: number): bigint[] =>
        [u, u, k, k, entries, words, bytes].map(BigInt);
      // One slot of 24 bytes, one byte short or long of nTx slots: the length must be exactly 24·nTx.
      for (const slots of [packSlots([0n, 0n]), slotsOf([]).slice(0, -2), `${slotsOf([])}00`]) {
        await expect(submit(f, header, slots))
          .to.be.revertedWithCustomError(f.rollup, "BadBatchShape")
          .withArgs(...shape(i, 2 * d, (slots.length - 2) / 2));
      }
      // The old layouts, two 32-byte words, 43 or 28 bytes per slot, are refused as a wrong length.
      for (const perSlot of [64, 43, 28]) {
        assert.notEqual(perSlot * nTx, SLOT_BYTES * nTx);
        await expect(submit(f, header, `0x${"00".repeat(perSlot * nTx)}`))
          .to.be.revertedWithCustomError(f.rollup, "BadBatchShape")
          .withArgs(...shape(i, 2 * d, perSlot * nTx));
      }
      // The deposit table is exactly 2·D words, the instrument table exactly I.
      await expect(submit(f, { ...header, deposits: header.deposits.slice(1) }, slotsOf([])))
        .to.be.revertedWithCustomError(f.rollup, "BadBatchShape")
        .withArgs(...shape(i, 2 * d - 1, SLOT_BYTES * nTx));
      for (const instruments of [header.instruments.slice(1), [...header.instruments, 0n]]) {
        await expect(submit(f, { ...header, instruments }, slotsOf([])))
          .to.be.revertedWithCustomError(f.rollup, "BadBatchShape")
          .withArgs(...shape(instruments.length, 2 * d, SLOT_BYTES * nTx));
      }
      await expect(submit(f, { ...header, prices: [1n] }, slotsOf([]))).to.be.revertedWithCustomError(
        f.rollup,
        "BadBatchShape",
      );
    });

    it("test_submitBatch_wrongProof: the verifier says false", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await (await f.mock.getFunction("setResult")(false)).wait();
      await expect(submit(f, await headerNow(f, 1n), slotsOf([]))).to.be.revertedWithCustomError(
        f.rollup,
        "InvalidProof",
      );
    });

    it("test_submitBatch_tamperedPublicData and replayed batch are rejected by the proof binding", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const id = await registerAndDeposit(f, f.alice, 77n, 1_000n);
      const header = await headerNow(f, 5n, [{ owner: f.alice.address, pkHash: 77n }]);
      const slots = slotsOf([depositData(id, 1_000n), withdrawData(id, 10n, 1n)]);
      const commitment = referenceCommitment(GENESIS_ROOT, header, slots, f.domain);
      await (
        await f.mock.getFunction("setExpectedInputsHash")(ethers.solidityPackedKeccak256(["uint256"], [commitment]))
      ).wait();
      // Tampered: a bigger withdrawal than the proof covers, or another new root.
      const tampered = unpackSlots(slots);
      tampered[2] = withdrawData(id, 1_000n, 1n)[0];
      await expect(submit(f, header, packSlots(tampered))).to.be.revertedWithCustomError(f.rollup, "InvalidProof");
      await expect(submit(f, { ...header, newStateRoot: 6n }, slots)).to.be.revertedWithCustomError(
        f.rollup,
        "InvalidProof",
      );
      // The deposit records are public data too: another record fails the proof before any queue check.
      const otherRecord = recordsOf([{ owner: f.bob.address, pkHash: 77n }]);
      await expect(submit(f, { ...header, deposits: otherRecord }, slots)).to.be.revertedWithCustomError(
        f.rollup,
        "InvalidProof",
      );
      // So is the instrument table, which L1 does not read: another entry fails the proof.
      const otherTable = header.instruments.map((x, j) => (j === 0 ? x + 1n : x));
      await expect(submit(f, { ...header, instruments: otherTable }, slots)).to.be.revertedWithCustomError(
        f.rollup,
        "InvalidProof",
      );
      await ((await await submit(f, header, slots)) as { wait(): Promise<unknown> }).wait();
      // Replayed: the commitment hashes the old root, now the new root, so the same proof no longer verifies.
      await expect(submit(f, header, slots)).to.be.revertedWithCustomError(f.rollup, "InvalidProof");
    });

    it("test_submitBatch_skippedDeposit and deposit data mismatch", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const id = await registerAndDeposit(f, f.alice, 77n, 1_000n);
      await (await as(f.rollup, f.alice).getFunction("deposit")(id, 2_000n)).wait();
      const first = depositData(id, 1_000n);
      const second = depositData(id, 2_000n);
      const alice = { owner: f.alice.address, pkHash: 77n };
      const header = await headerNow(f, 1n, [alice]);
      await expect(submit(f, header, slotsOf([second])))
        .to.be.revertedWithCustomError(f.rollup, "PriorityOpMismatch")
        .withArgs(0n, 0n, first[0], second[0]);
      // A deposit slot's f1 is 0: the key travels in the deposit record.
      await expect(submit(f, header, slotsOf([[first[0], 77n]])))
        .to.be.revertedWithCustomError(f.rollup, "PriorityOpMismatch")
        .withArgs(0n, 0n, first[0], first[0]);
      // The record must be the queued owner and key: a wrong key, a wrong owner, or none at all.
      for (const deposits of [
        recordsOf([{ ...alice, pkHash: 78n }]),
        recordsOf([{ ...alice, owner: f.bob.address }]),
        recordsOf([]),
        recordsOf([{ owner: 0n, pkHash: 0n }, alice]),
      ]) {
        await expect(submit(f, { ...header, deposits }, slotsOf([first])))
          .to.be.revertedWithCustomError(f.rollup, "DepositRecordMismatch")
          .withArgs(0n, 0n);
      }
      // A record left over after the last deposit slot must be zero.
      await expect(submit(f, { ...header, deposits: recordsOf([alice, alice]) }, slotsOf([first])))
        .to.be.revertedWithCustomError(f.rollup, "UnusedDepositRecordNotZero")
        .withArgs(1n);
      const forcedInstead = forcedWithdrawData(id, 0n, 1_000n);
      await expect(submit(f, header, slotsOf([forcedInstead]))).to.be.revertedWithCustomError(
        f.rollup,
        "PriorityOpMismatch",
      );
      // The k-th deposit slot takes record k: the second deposit's record is record 1.
      await expect(submit(f, header, slotsOf([first, second])))
        .to.be.revertedWithCustomError(f.rollup, "DepositRecordMismatch")
        .withArgs(1n, 1n);
      const both = { ...header, deposits: recordsOf([alice, alice]) };
      await expect(submit(f, both, slotsOf([first, second]))).to.emit(f.rollup, "BatchVerified");
      await expect(submit(f, header, slotsOf([first])))
        .to.be.revertedWithCustomError(f.rollup, "PriorityQueueExhausted")
        .withArgs(0n);
    });

    it("test_submitBatch_staleOrInventedOraclePrice", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const header = await headerNow(f, 1n);
      await expect(submit(f, { ...header, prices: [header.prices[0]! + 1n, header.prices[1]!] }, slotsOf([])))
        .to.be.revertedWithCustomError(f.rollup, "OraclePriceMismatch")
        .withArgs(1n, header.priceRoundIds[0], header.prices[0], header.prices[0]! + 1n);
      await expect(submit(f, { ...header, priceRoundIds: [header.priceRoundIds[0]!, 99n] }, slotsOf([])))
        .to.be.revertedWithCustomError(f.rollup, "InvalidOracleRound")
        .withArgs(2n, 99n, 0n, 0n);
      await networkHelpers.time.increase(MAX_ORACLE_AGE + 10n);
      const late = { ...header, timestamp: await now(ethers) };
      // Stale rounds bind a batch that reads a price (a funding update here); issue 14 F13.
      const funding = 6n | (1n << 4n) | ((1n << 63n) << 12n);
      await expect(submit(f, late, slotsOf([[funding, 0n]]))).to.be.revertedWithCustomError(
        f.rollup,
        "StaleOraclePrice",
      );
    });

    it("test_submitBatch_oracleRoundAfterBatch and non-positive answers", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const before = await now(ethers);
      await networkHelpers.time.increase(10n);
      await (await f.feeds[0]!.getFunction("pushAnswer")(310_000_000_000n)).wait();
      const header = await headerNow(f, 1n);
      await expect(submit(f, { ...header, timestamp: before }, slotsOf([]))).to.be.revertedWithCustomError(
        f.rollup,
        "OracleRoundAfterBatch",
      );
      await (await f.feeds[1]!.getFunction("pushAnswer")(-1n)).wait();
      const negative = await headerNow(f, 1n);
      await expect(
        submit(f, { ...negative, prices: [negative.prices[0]!, 0n] }, slotsOf([])),
      ).to.be.revertedWithCustomError(f.rollup, "InvalidOracleRound");
    });

    it("test_submitBatch_timestampInFutureOrBackwards", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const header = await headerNow(f, 1n);
      await expect(
        submit(f, { ...header, timestamp: header.timestamp + 100n }, slotsOf([])),
      ).to.be.revertedWithCustomError(f.rollup, "TimestampInFuture");
      await ((await await submit(f, header, slotsOf([]))) as { wait(): Promise<unknown> }).wait();
      await expect(submit(f, { ...header, timestamp: header.timestamp - 1n }, slotsOf([])))
        .to.be.revertedWithCustomError(f.rollup, "TimestampBeforeLastBatch")
        .withArgs(header.timestamp - 1n, header.timestamp);
      // Equal timestamps are fine.
      await expect(submit(f, header, slotsOf([]))).to.emit(f.rollup, "BatchVerified");
    });

    it("test_submitBatch_settlementRecords: good record accepted, bad price and wrong round rejected", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const eth = f.feeds[0]!;
      // Rounds: 1 (deployment), 2 at t0+100 with 3,100.00, 3 at t0+200 with 3,200.00.
      const t0 = await now(ethers);
      await networkHelpers.time.increase(100n);
      await (await eth.getFunction("setAnswerAt")(310_000_000_000n, t0 + 100n)).wait();
      await networkHelpers.time.increase(100n);
      await (await eth.getFunction("setAnswerAt")(320_000_000_000n, t0 + 200n)).wait();
      const expiry = t0 + 150n; // round 2 is in force
      const base = await headerNow(f, 1n);
      const record = packSettlement({ underlying: 1, expiry, price: 310_000n });
      const good = { ...base, settlements: padK([record]), settlementRoundIds: padK([2n]) };
      assert.equal(
        ((await f.rollup.getFunction("publicData")(good, slotsOf([]))) as bigint[])[4 + PROFILE.underlyings],
        record,
      );

      const badPrice = { ...good, settlements: padK([packSettlement({ underlying: 1, expiry, price: 320_000n })]) };
      await expect(submit(f, badPrice, slotsOf([])))
        .to.be.revertedWithCustomError(f.rollup, "SettlementPriceMismatch")
        .withArgs(0n, 310_000n, 320_000n);
      await expect(submit(f, { ...good, settlementRoundIds: padK([1n]) }, slotsOf([])))
        .to.be.revertedWithCustomError(f.rollup, "RoundNotInForceAtExpiry")
        .withArgs(1n, 1n, expiry);
      await expect(submit(f, { ...good, settlementRoundIds: padK([3n]) }, slotsOf([])))
        .to.be.revertedWithCustomError(f.rollup, "RoundNotInForceAtExpiry")
        .withArgs(1n, 3n, expiry);
      const future = packSettlement({ underlying: 1, expiry: base.timestamp + 1n, price: 320_000n });
      await expect(submit(f, { ...good, settlements: padK([future]), settlementRoundIds: padK([3n]) }, slotsOf([])))
        .to.be.revertedWithCustomError(f.rollup, "InvalidSettlementRecord")
        .withArgs(0n, future);
      const noUnderlying = packSettlement({ underlying: 3, expiry, price: 310_000n });
      await expect(
        submit(f, { ...good, settlements: padK([noUnderlying]) }, slotsOf([])),
      ).to.be.revertedWithCustomError(f.rollup, "InvalidSettlementRecord");
      await expect(submit(f, good, slotsOf([]))).to.emit(f.rollup, "BatchVerified");
    });
  });

  describe("claim", () => {
    it("test_claim_paysOwnerOnce: anyone triggers, the owner is paid, a second claim fails", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const id = await registerAndDeposit(f, f.alice, 77n, 1_000n);
      const slots = slotsOf([depositData(id, 1_000n), withdrawData(id, 700n, 3n)]);
      const header = await headerNow(f, 1n, [{ owner: f.alice.address, pkHash: 77n }]);
      await ((await await submit(f, header, slots)) as { wait(): Promise<unknown> }).wait();
      const before = (await f.collateral.getFunction("balanceOf")(f.alice.address)) as bigint;
      await expect(as(f.rollup, f.carol).getFunction("claim")(f.alice.address))
        .to.emit(f.rollup, "Claimed")
        .withArgs(f.alice.address, 700n);
      assert.equal(await f.collateral.getFunction("balanceOf")(f.alice.address), before + 700n);
      await expect(as(f.rollup, f.alice).getFunction("claim")(f.alice.address))
        .to.be.revertedWithCustomError(f.rollup, "NothingToClaim")
        .withArgs(f.alice.address);
    });

    /** A rollup on HostileToken where alice deposited 1,000 and a batch credited her `credited`. */
    async function hostileWithCredit(credited: bigint): Promise<{ f: Fixture; token: Contract }> {
      const token = await ethers.deployContract("HostileToken");
      await token.waitForDeployment();
      const f = await deployWithMockVerifier(ethers, { collateral: await token.getAddress() });
      const id = await registerAndDeposit(f, f.alice, 77n, 1_000n);
      const slots = slotsOf([depositData(id, 1_000n), withdrawData(id, credited, 3n)]);
      const header = await headerNow(f, 1n, [{ owner: f.alice.address, pkHash: 77n }]);
      await ((await await submit(f, header, slots)) as { wait(): Promise<unknown> }).wait();
      assert.equal(await f.rollup.getFunction("claimable")(f.alice.address), credited);
      return { f, token };
    }

    it("test_claimTo_paysTheCallersBalanceElsewhere: once, never another owner's, never to address zero or the rollup", async () => {
      const { f, token } = await hostileWithCredit(700n);
      const rollupAddress = await f.rollup.getAddress();
      for (const to of [ethers.ZeroAddress, rollupAddress])
        await expect(as(f.rollup, f.alice).getFunction("claimTo")(to))
          .to.be.revertedWithCustomError(f.rollup, "InvalidRecipient")
          .withArgs(to);
      // Carol has nothing credited: she cannot draw on alice's balance by naming herself.
      await expect(as(f.rollup, f.carol).getFunction("claimTo")(f.carol.address))
        .to.be.revertedWithCustomError(f.rollup, "NothingToClaim")
        .withArgs(f.carol.address);
      const bobBefore = (await token.getFunction("balanceOf")(f.bob.address)) as bigint;
      await expect(as(f.rollup, f.alice).getFunction("claimTo")(f.bob.address))
        .to.emit(f.rollup, "Claimed")
        .withArgs(f.alice.address, 700n);
      assert.equal(await token.getFunction("balanceOf")(f.bob.address), bobBefore + 700n);
      assert.equal(await token.getFunction("balanceOf")(rollupAddress), 300n);
      assert.equal(await f.rollup.getFunction("claimable")(f.alice.address), 0n);
      await expect(as(f.rollup, f.alice).getFunction("claimTo")(f.bob.address))
        .to.be.revertedWithCustomError(f.rollup, "NothingToClaim")
        .withArgs(f.alice.address);
      await expect(as(f.rollup, f.carol).getFunction("claim")(f.alice.address)).to.be.revertedWithCustomError(
        f.rollup,
        "NothingToClaim",
      );
    });

    it("attack: a collateral token that blocklists an owner cannot lock the owner's withdrawal in", async () => {
      const { f, token } = await hostileWithCredit(700n);
      await (await token.getFunction("setBlocked")(f.alice.address, true)).wait();
      // The pull payment to the owner is refused by the token, and changes nothing...
      await expect(as(f.rollup, f.carol).getFunction("claim")(f.alice.address))
        .to.be.revertedWithCustomError(token, "Blocklisted")
        .withArgs(f.alice.address);
      assert.equal(await f.rollup.getFunction("claimable")(f.alice.address), 700n);
      // ...and the owner, blocklisted or not, sends it to an address the token still pays.
      await (await as(f.rollup, f.alice).getFunction("claimTo")(f.carol.address)).wait();
      assert.equal(await token.getFunction("balanceOf")(f.carol.address), USER_FUNDS + 700n);
      assert.equal(await f.rollup.getFunction("claimable")(f.alice.address), 0n);
      assert.equal(await token.getFunction("balanceOf")(await f.rollup.getAddress()), 300n);
    });
  });

  describe("collateral with a fee on transfer", () => {
    it("attack: once the token's fee switch is on, a deposit cannot credit more than the rollup received", async () => {
      const token = await ethers.deployContract("HostileToken");
      await token.waitForDeployment();
      const f = await deployWithMockVerifier(ethers, { collateral: await token.getAddress() });
      const rollupAddress = await f.rollup.getAddress();
      const queued = async () => (await f.rollup.getFunction("priorityQueueLength")()) as bigint;
      // Fee off: the whole amount arrives and is queued.
      await registerAndDeposit(f, f.alice, 77n, 10_000n);
      assert.equal(await token.getFunction("balanceOf")(rollupAddress), 10_000n);
      assert.equal(await queued(), 1n);
      // 1 basis point: 10,000 loses 1 and is refused whole; 9,999 loses nothing (the fee rounds down) and is queued.
      await (await token.getFunction("setFee")(1n)).wait();
      const id = 2n;
      await expect(as(f.rollup, f.alice).getFunction("deposit")(id, 10_000n))
        .to.be.revertedWithCustomError(f.rollup, "CollateralShortfall")
        .withArgs(10_000n, 9_999n);
      await expect(as(f.rollup, f.bob).getFunction("registerAndDeposit")(88n, 20_000n))
        .to.be.revertedWithCustomError(f.rollup, "CollateralShortfall")
        .withArgs(20_000n, 19_998n);
      assert.equal(await queued(), 1n);
      assert.equal(await token.getFunction("balanceOf")(rollupAddress), 10_000n);
      await (await as(f.rollup, f.alice).getFunction("deposit")(id, 9_999n)).wait();
      assert.equal(await queued(), 2n);
      // The whole value as the fee: nothing arrives, nothing is queued.
      await (await token.getFunction("setFee")(10_000n)).wait();
      await expect(as(f.rollup, f.alice).getFunction("deposit")(id, 1n))
        .to.be.revertedWithCustomError(f.rollup, "CollateralShortfall")
        .withArgs(1n, 0n);
      assert.equal(await queued(), 2n);
      // Custody equals what the queue credits.
      assert.equal(await token.getFunction("balanceOf")(rollupAddress), 10_000n + 9_999n);
      assert.equal(await f.rollup.getFunction("queuedDeposits")(), 2n);
    });
  });

  describe("reentrancy", () => {
    it("test_claim_reentrancy: a token re-entering claim cannot pay twice", async () => {
      const token = await ethers.deployContract("ReentrantToken");
      await token.waitForDeployment();
      const f = await deployWithMockVerifier(ethers, { collateral: await token.getAddress() });
      const id = await registerAndDeposit(f, f.alice, 77n, 1_000n);
      const slots = slotsOf([depositData(id, 1_000n), withdrawData(id, 600n, 3n)]);
      const header = await headerNow(f, 1n, [{ owner: f.alice.address, pkHash: 77n }]);
      await ((await await submit(f, header, slots)) as { wait(): Promise<unknown> }).wait();
      const rollupAddress = await f.rollup.getAddress();
      const reenter = f.rollup.interface.encodeFunctionData("claim", [f.alice.address]);
      await (await token.getFunction("arm")(rollupAddress, reenter)).wait();
      const before = (await token.getFunction("balanceOf")(f.alice.address)) as bigint;
      await (await as(f.rollup, f.bob).getFunction("claim")(f.alice.address)).wait();
      assert.equal(await token.getFunction("reentryAttempted")(), true);
      assert.equal(await token.getFunction("reentrySucceeded")(), false);
      const selector = f.rollup.interface.getError("ReentrancyGuardReentrantCall")!.selector;
      assert.equal(await token.getFunction("reentryRevertData")(), selector);
      assert.equal(await token.getFunction("balanceOf")(f.alice.address), before + 600n);
      assert.equal(await token.getFunction("balanceOf")(rollupAddress), 400n);
    });
  });

  describe("exodus", () => {
    it("test_activateExodus_tooEarly and without pending operations", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await expect(f.rollup.getFunction("activateExodus")(0n)).to.be.revertedWithCustomError(
        f.rollup,
        "NoPendingPriorityOp",
      );
      await registerAndDeposit(f, f.alice, 77n, 1_000n);
      const op = (await f.rollup.getFunction("priorityOp")(0n)) as { queuedAt: bigint };
      await expect(f.rollup.getFunction("activateExodus")(0n))
        .to.be.revertedWithCustomError(f.rollup, "ExodusTooEarly")
        .withArgs(0n, op.queuedAt + FORCED_DEADLINE);
      // At exactly queuedAt + deadline it is still too early; one second later it opens.
      await networkHelpers.time.increaseTo(op.queuedAt + FORCED_DEADLINE - 1n);
      await expect(f.rollup.getFunction("activateExodus")(0n)).to.be.revertedWithCustomError(
        f.rollup,
        "ExodusTooEarly",
      );
      await networkHelpers.time.increaseTo(op.queuedAt + FORCED_DEADLINE);
      await expect(f.rollup.getFunction("activateExodus")(0n))
        .to.emit(f.rollup, "ExodusActivated")
        .withArgs(0n, op.queuedAt);
    });

    it("test_exodus_servedQueueCannotTrigger: a served forced request does not open the hatch", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const id = await registerAndDeposit(f, f.alice, 77n, 1_000n);
      const slots = slotsOf([depositData(id, 1_000n)]);
      const header = await headerNow(f, 1n, [{ owner: f.alice.address, pkHash: 77n }]);
      await ((await await submit(f, header, slots)) as { wait(): Promise<unknown> }).wait();
      await networkHelpers.time.increase(FORCED_DEADLINE + 1n);
      await expect(f.rollup.getFunction("activateExodus")(0n)).to.be.revertedWithCustomError(
        f.rollup,
        "NoPendingPriorityOp",
      );
    });

    it("test_exodus_activation blocks batches and deposits, refunds unconsumed deposits once", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const id = await registerAndDeposit(f, f.alice, 77n, 1_000n);
      await (await as(f.rollup, f.bob).getFunction("deposit")(id, 2_500n)).wait();
      await expect(as(f.rollup, f.carol).getFunction("refundDeposit")(1n)).to.be.revertedWithCustomError(
        f.rollup,
        "ExodusNotActive",
      );
      await networkHelpers.time.increase(FORCED_DEADLINE + 1n);
      await expect(as(f.rollup, f.carol).getFunction("activateExodus")(0n)).to.emit(f.rollup, "ExodusActivated");
      await expect(submit(f, await headerNow(f, 1n), slotsOf([]))).to.be.revertedWithCustomError(
        f.rollup,
        "ExodusIsActive",
      );
      await expect(as(f.rollup, f.alice).getFunction("deposit")(id, 1n)).to.be.revertedWithCustomError(
        f.rollup,
        "ExodusIsActive",
      );
      await expect(as(f.rollup, f.alice).getFunction("requestForcedWithdrawal")(id, 1n)).to.be.revertedWithCustomError(
        f.rollup,
        "ExodusIsActive",
      );
      const bobBefore = (await f.collateral.getFunction("balanceOf")(f.bob.address)) as bigint;
      await expect(as(f.rollup, f.carol).getFunction("refundDeposit")(1n))
        .to.emit(f.rollup, "DepositRefunded")
        .withArgs(1n, f.bob.address, 2_500n);
      assert.equal(await f.collateral.getFunction("balanceOf")(f.bob.address), bobBefore + 2_500n);
      await expect(as(f.rollup, f.carol).getFunction("refundDeposit")(1n))
        .to.be.revertedWithCustomError(f.rollup, "NotRefundable")
        .withArgs(1n);
      await expect(as(f.rollup, f.carol).getFunction("refundDeposit")(2n)).to.be.revertedWithCustomError(
        f.rollup,
        "NotRefundable",
      );
    });
  });

  describe("roles", () => {
    it("test_setOperator_adminOnly, and the admin cannot submit", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await expect(as(f.rollup, f.alice).getFunction("setOperator")(f.alice.address))
        .to.be.revertedWithCustomError(f.rollup, "OwnableUnauthorizedAccount")
        .withArgs(f.alice.address);
      await expect(as(f.rollup, f.admin).getFunction("setOperator")(f.carol.address))
        .to.emit(f.rollup, "OperatorChanged")
        .withArgs(f.operator.address, f.carol.address);
      const header = await headerNow(f, 1n);
      await expect(submit(f, header, slotsOf([]))).to.be.revertedWithCustomError(f.rollup, "NotOperator");
      await expect(as(f.rollup, f.carol).getFunction("submitBatch")(header, slotsOf([]), ZERO_PROOF)).to.emit(
        f.rollup,
        "BatchVerified",
      );
    });
  });
});
