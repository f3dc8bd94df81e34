/**
 * Issue 14's contract findings, against the in-process network with a MockVerifier:
 * F5 (the price round in force at the batch time, never backwards, bounded batch lag),
 * F9 (canonical settlement records), F13 (timelocked feed changes), F16 (public inputs below r,
 * settlement prices fixed once, deployment guards), F11 (forced close and forced settlement from
 * L1, on a state built by protocol/). F12 (pro-rata exits) is in exodus.test.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { expect } from "chai";
import { network } from "hardhat";
import type { Contract } from "ethers";
import { FIELD_MODULUS } from "../../protocol/field.ts";
import { slotsUsePrices, slotUsesPrices } from "../../protocol/priceUse.ts";
import { packSettlement, packSlots } from "../../protocol/pubdata.ts";
import { BatchBuilder, l1Calldata } from "../../protocol/batch.ts";
import { optionId, perpId } from "../../protocol/instruments.ts";
import { KEY_MESSAGE_V1, pkHash, publicKeyOf, tradingKeyFromSignatureHex } from "../../protocol/keys.ts";
import type { PrivateKey } from "../../protocol/keys.ts";
import { equity } from "../../protocol/margin.ts";
import { initPoseidon } from "../../protocol/poseidon.ts";
import { signOrder } from "../../protocol/signing.ts";
import { RollupState } from "../../protocol/state.ts";
import { InstrumentKind, Side, TxType } from "../../protocol/types.ts";
import type { Batch, Tx } from "../../protocol/types.ts";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { deployTessera, DeployError } from "../../scripts/deploy.ts";
import {
  FEED_CHANGE_DELAY,
  FORCED_DEADLINE,
  MAX_BATCH_LAG,
  PROFILE,
  ZERO_PROOF,
  padK,
  cents,
  deployWithMockVerifier,
  deployWithFeeds,
  headerNow,
  latestPrices,
  now,
  recordsOf,
  slotsOf,
} from "./fixtures.ts";
import type { BatchHeader, Fixture } from "./fixtures.ts";

const { ethers, networkHelpers } = await network.create();

function as(contract: Contract, signer: { address: string }): Contract {
  return contract.connect(signer as never) as Contract;
}

async function submit(f: Fixture, header: BatchHeader, slots: string = slotsOf([])): Promise<unknown> {
  return as(f.rollup, f.operator).getFunction("submitBatch")(header, slots, ZERO_PROOF);
}

async function mined(tx: unknown): Promise<void> {
  await ((await tx) as { wait(): Promise<unknown> }).wait();
}

describe("issue 14 findings", () => {
  describe("finding F5: the price round in force at the batch time", () => {
    it("finding F5: an older round, superseded before the batch time, is refused", async () => {
      const f = await deployWithMockVerifier(ethers);
      const old = await headerNow(f, 1n);
      await networkHelpers.time.increase(30n);
      await mined(f.feeds[0]!.getFunction("pushAnswer")(310_000_000_000n));
      const round2At = await now(ethers);
      const header = { ...(await headerNow(f, 1n)), prices: old.prices, priceRoundIds: old.priceRoundIds };
      await expect(submit(f, header))
        .to.be.revertedWithCustomError(f.rollup, "OracleRoundSuperseded")
        .withArgs(1n, 1n, 2n, round2At, header.timestamp);
      // The old round is still fine for a batch stamped before round 2.
      await expect(submit(f, { ...header, timestamp: round2At - 1n })).to.emit(f.rollup, "BatchVerified");
      // Round 2 for the next batch; then round 1 again is a step back.
      await mined(submit(f, await headerNow(f, 2n)));
      assert.deepEqual([...((await f.rollup.getFunction("lastPriceRoundIds")()) as bigint[])], [2n, 1n]);
    });

    it("finding F5: with priceRoundGrace, a superseded round is usable only within the grace", async () => {
      const base = await deployWithMockVerifier(ethers);
      const d = await deployTessera(ethers, {
        profile: PROFILE,
        genesisStateRoot: 1n,
        unsafeArbitraryGenesis: true,
        feeAccount: { owner: base.feeOwner.address, pkHash: 1n },
        insuranceFund: { owner: base.insuranceOwner.address, pkHash: 2n },
        operator: base.operator.address,
        admin: base.admin.address,
        maxOracleAge: 3600n,
        forcedRequestDeadline: FORCED_DEADLINE,
        priceRoundGrace: 10n,
        verifier: await base.mock.getAddress(),
        feeds: await Promise.all(base.feeds.map((x) => x.getAddress())),
      });
      const f = { ...base, ...d };
      assert.equal(await f.rollup.getFunction("priceRoundGrace")(), 10n);
      const old = await headerNow(f, 1n);
      await networkHelpers.time.increase(30n);
      await mined(f.feeds[0]!.getFunction("pushAnswer")(310_000_000_000n));
      const round2At = await now(ethers);
      await networkHelpers.time.increase(20n);
      const late = { ...old, timestamp: round2At + 10n };
      await expect(submit(f, late))
        .to.be.revertedWithCustomError(f.rollup, "OracleRoundSuperseded")
        .withArgs(1n, 1n, 2n, round2At, round2At + 10n);
      await expect(submit(f, { ...old, timestamp: round2At + 9n })).to.emit(f.rollup, "BatchVerified");
    });

    it("finding F5: a stale round is refused even when it is the latest (in a batch that reads a price, F13)", async () => {
      const f = await deployWithMockVerifier(ethers);
      await networkHelpers.time.increase(3600n + 5n);
      const funding = 6n | (1n << 4n) | ((1n << 63n) << 12n); // funding of underlying 1, delta 0
      await expect(submit(f, await headerNow(f, 1n), slotsOf([[funding, 0n]]))).to.be.revertedWithCustomError(
        f.rollup,
        "StaleOraclePrice",
      );
    });

    it("finding F5: a backdated batch is refused beyond maxBatchLag", async () => {
      const f = await deployWithMockVerifier(ethers);
      const header = await headerNow(f, 1n);
      assert.equal(await f.rollup.getFunction("maxBatchLag")(), MAX_BATCH_LAG);
      await networkHelpers.time.increase(MAX_BATCH_LAG + 1n);
      await expect(submit(f, header))
        .to.be.revertedWithCustomError(f.rollup, "BatchTooOld")
        .withArgs(header.timestamp, (await now(ethers)) + 1n, MAX_BATCH_LAG);
    });

    it("finding F5: round ids never go back, even on overlapping proxy phases", async () => {
      const phased = await ethers.deployContract("PhasedAggregator");
      const f0 = await deployWithMockVerifier(ethers);
      await networkHelpers.time.increase(200n); // the BTC round (deployment) is in force throughout
      const t = await now(ethers);
      // Phase 1: A at t−100, B at t−20; phase 2: C at t−60. At t−50 both A and C are in force.
      await mined(phased.getFunction("push")(300_000_000_000n, t - 100n));
      await mined(phased.getFunction("push")(303_000_000_000n, t - 20n));
      await mined(phased.getFunction("nextPhase")());
      await mined(phased.getFunction("push")(305_000_000_000n, t - 60n));
      const a = (1n << 64n) | 1n;
      const c = (2n << 64n) | 1n;
      const f = await deployWithFeeds(f0, [await phased.getAddress(), await f0.feeds[1]!.getAddress()]);
      const base = await headerNow(f, 1n);
      await mined(
        submit(f, { ...base, timestamp: t - 55n, prices: [305_000n, base.prices[1]!], priceRoundIds: [c, 1n] }),
      );
      await expect(
        submit(f, { ...base, timestamp: t - 50n, prices: [300_000n, base.prices[1]!], priceRoundIds: [a, 1n] }),
      )
        .to.be.revertedWithCustomError(f.rollup, "OracleRoundBackwards")
        .withArgs(1n, a, c);
    });
  });

  describe("finding F9: canonical settlement records", () => {
    it("finding F9: nonzero records first, keys strictly increasing, zeros after the first zero", async () => {
      const profile = { ...PROFILE, settlements: 3 };
      const f0 = await deployWithMockVerifier(ethers);
      const mock = await ethers.deployContract("MockVerifier", [1]);
      const d = await deployTessera(ethers, {
        profile,
        genesisStateRoot: 1n,
        unsafeArbitraryGenesis: true,
        feeAccount: { owner: f0.feeOwner.address, pkHash: 1n },
        insuranceFund: { owner: f0.insuranceOwner.address, pkHash: 2n },
        operator: f0.operator.address,
        admin: f0.admin.address,
        maxOracleAge: 3600n,
        forcedRequestDeadline: FORCED_DEADLINE,
        verifier: await mock.getAddress(),
        feeds: await Promise.all(f0.feeds.map((x) => x.getAddress())),
      });
      const f = { ...f0, ...d };
      const t0 = await now(ethers);
      await networkHelpers.time.increase(100n);
      const base = await headerNow(f, 1n);
      const price = base.prices[0]!;
      const r = (underlying: number, expiry: bigint) =>
        packSettlement({ underlying, expiry, price: underlying === 1 ? price : base.prices[1]! });
      const a = r(1, t0 + 10n);
      const b = r(2, t0 + 10n);
      const c = r(1, t0 + 20n);
      const bad: [bigint[], number][] = [
        [[b, a, 0n], 1],
        [[a, a, 0n], 1],
        [[0n, a, 0n], 1],
        [[a, 0n, b], 2],
        [[c, a, b], 1],
      ];
      for (const [records, index] of bad) {
        await expect(submit(f, { ...base, settlements: records, settlementRoundIds: [1n, 1n, 1n] }))
          .to.be.revertedWithCustomError(f.rollup, "NonCanonicalSettlements")
          .withArgs(BigInt(index), records[index]!);
      }
      await expect(submit(f, { ...base, settlements: [a, b, c], settlementRoundIds: [1n, 1n, 1n] })).to.emit(
        f.rollup,
        "BatchVerified",
      );
    });
  });

  describe("finding F13: an oracle outage stops what reads prices, not deposits", () => {
    it("finding F13 differential: slotsUsePrices on L1 equals protocol/'s on every type, flag and instrument", async () => {
      const f = await deployWithMockVerifier(ethers);
      const t = await now(ethers);
      const option = (kind: 1 | 2, expiry: bigint) =>
        optionId(1, kind === 1 ? InstrumentKind.CALL : InstrumentKind.PUT, 300_000n, expiry);
      const instruments = [
        0n,
        perpId(1),
        perpId(2),
        option(1, t - 1n),
        option(2, t),
        option(1, t + 1n),
        option(2, 0n),
        (3n << 8n) | 1n, // kind 3: no instrument
        (1n << 82n) - 1n, // the widest instrument, bits 28..110 of a forced close's f0
      ];
      // A withdrawal's and a forced withdrawal's `flat` (bit 84), a full account id (bits 4..28),
      // and bits of f0's 16 bytes above a forced close's flags (112, 127).
      const highBits = [0n, 1n << 84n, 1n << 112n, 1n << 127n, ((1n << 24n) - 1n) << 4n];
      // The widest f1 a slot's 8 bytes hold: no type's rule reads f1 (the packed slots keep f0 and f1 apart).
      const maxF1 = (1n << 64n) - 1n;
      let cases = 0;
      for (let type = 0n; type < 16n; type++) {
        for (const served of [0n, 1n]) {
          for (const settlement of [0n, 1n]) {
            for (const high of highBits) {
              for (const instrument of instruments) {
                // A forced close's f0 (docs/protocol.md §7); the same bits of any other type.
                const f0 = type | (instrument << 28n) | (settlement << 110n) | (served << 111n) | high;
                // One slot alone, then after a no-op (the loop's stride), then after a price-free deposit.
                for (const slots of [
                  [f0, maxF1],
                  [0n, maxF1, f0, 0n],
                  [1n, 0n, f0, maxF1],
                ]) {
                  const onL1 = (await f.rollup.getFunction("slotsUsePrices")(packSlots(slots), t)) as boolean;
                  assert.equal(
                    onL1,
                    slotsUsePrices(slots, t),
                    `type ${type} served ${served} settlement ${settlement} instrument ${instrument}`,
                  );
                  cases++;
                }
              }
            }
          }
        }
      }
      assert.equal(cases, 16 * 2 * 2 * highBits.length * instruments.length * 3);
      // The rule itself, spelled out: what reads no price.
      const close = (instrument: bigint, served: boolean, settlement = false): bigint =>
        9n | (instrument << 28n) | (settlement ? 1n << 110n : 0n) | (served ? 1n << 111n : 0n);
      for (const type of [0n, 1n, 7n, 8n]) assert.equal(slotUsesPrices(type | (perpId(1) << 28n), t), false);
      for (const type of [2n, 3n, 4n, 5n, 6n, 10n, 15n]) assert.equal(slotUsesPrices(type, t), true);
      assert.equal(slotUsesPrices(close(perpId(1), false), t), false, "a refused forced close");
      assert.equal(slotUsesPrices(close(perpId(1), true), t), true, "a perp closed at the rules price");
      assert.equal(slotUsesPrices(close(option(1, t), true), t), false, "an option expired at t: settled");
      assert.equal(slotUsesPrices(close(option(1, t + 1n), true), t), true, "a live option: rules price");
      assert.equal(slotUsesPrices(close(perpId(1), true, true), t), false, "a forced settlement");
      assert.equal(slotUsesPrices(2n | (1n << 84n), t), false, "a flat withdrawal");
      assert.equal(slotUsesPrices(3n | (1n << 84n), t), false, "a flat forced withdrawal");
    });

    it("finding F13: maxOracleAge binds only a batch that reads a price; the round must still be the one in force", async () => {
      const f = await deployWithMockVerifier(ethers);
      // The feeds fall silent for longer than maxOracleAge (before any batch, too).
      await networkHelpers.time.increase(3600n + 5n);
      const stale = await headerNow(f, 1n);
      // A batch of no-ops (deposits, settlements and sweeps alike) still lands, at the stale rounds.
      await expect(submit(f, stale)).to.emit(f.rollup, "BatchVerified");
      assert.deepEqual([...((await f.rollup.getFunction("lastPriceRoundIds")()) as bigint[])], stale.priceRoundIds);
      const next = (root: bigint): BatchHeader => ({ ...stale, newStateRoot: root, timestamp: stale.timestamp + 1n });
      // A withdrawal of an account with a position reads prices: refused as ever.
      const withdrawal = 2n | (2n << 4n) | (1n << 28n);
      await expect(submit(f, next(2n), slotsOf([[withdrawal, 0n]]))).to.be.revertedWithCustomError(
        f.rollup,
        "StaleOraclePrice",
      );
      // The same withdrawal flagged flat (no position: proven by the circuit) reads none.
      assert.equal(slotUsesPrices(withdrawal | (1n << 84n), stale.timestamp), false);
      // Another price for the round is refused, price-free or not.
      const moved: BatchHeader = { ...next(2n), prices: [stale.prices[0]! + 1n, stale.prices[1]!] };
      await expect(submit(f, moved)).to.be.revertedWithCustomError(f.rollup, "OraclePriceMismatch");
      // A fresh round supersedes the silent one even for a batch that reads no price: no choice.
      for (const feed of f.feeds) {
        const [, answer] = (await feed.getFunction("latestRoundData")()) as [bigint, bigint];
        await mined(as(feed, f.admin).getFunction("pushAnswer")(answer));
      }
      await expect(submit(f, { ...next(2n), timestamp: (await now(ethers)) + 1n })).to.be.revertedWithCustomError(
        f.rollup,
        "OracleRoundSuperseded",
      );
      await expect(submit(f, await headerNow(f, 2n))).to.emit(f.rollup, "BatchVerified");
    });
  });

  describe("finding F13: feed changes are timelocked longer than the forced-request deadline", () => {
    it("finding F13: queued, cancellable, executable only after the delay, and users can leave first", async () => {
      const f = await deployWithMockVerifier(ethers);
      const delay = (await f.rollup.getFunction("feedChangeDelay")()) as bigint;
      assert.equal(delay, FEED_CHANGE_DELAY);
      assert.ok(delay > ((await f.rollup.getFunction("forcedRequestDeadline")()) as bigint));
      const next = await ethers.deployContract("MockAggregator", ["ETH / USD v2", f.admin.address]);
      const nextAddress = await next.getAddress();
      await expect(as(f.rollup, f.alice).getFunction("queueFeedChange")(1n, nextAddress))
        .to.be.revertedWithCustomError(f.rollup, "OwnableUnauthorizedAccount")
        .withArgs(f.alice.address);
      const admin = as(f.rollup, f.admin);
      await expect(admin.getFunction("queueFeedChange")(1n, nextAddress)).to.emit(f.rollup, "FeedChangeQueued");
      await expect(admin.getFunction("executeFeedChange")(1n)).to.be.revertedWithCustomError(
        f.rollup,
        "FeedChangeTooEarly",
      );
      await expect(admin.getFunction("cancelFeedChange")(1n))
        .to.emit(f.rollup, "FeedChangeCancelled")
        .withArgs(1n, nextAddress);
      await mined(admin.getFunction("queueFeedChange")(1n, nextAddress));

      // A user who distrusts the new feed asks to leave; the operator ignores her; the exodus
      // opens before the change can execute, and then the change never executes.
      const rollup = as(f.rollup, f.alice);
      await mined(rollup.getFunction("registerAndDeposit")(77n, 1_000n));
      await networkHelpers.time.increase(FORCED_DEADLINE + 1n);
      await mined(f.rollup.getFunction("activateExodus")(await f.rollup.getFunction("queueHead")()));
      await networkHelpers.time.increase(delay);
      await expect(admin.getFunction("executeFeedChange")(1n)).to.be.revertedWithCustomError(
        f.rollup,
        "ExodusIsActive",
      );
    });

    it("finding F13: after the delay the feed changes and its rounds start afresh", async () => {
      const f = await deployWithMockVerifier(ethers);
      await mined(submit(f, await headerNow(f, 1n)));
      const next = await ethers.deployContract("MockAggregator", ["ETH / USD v2", f.admin.address]);
      const admin = as(f.rollup, f.admin);
      await mined(admin.getFunction("queueFeedChange")(1n, await next.getAddress()));
      await networkHelpers.time.increase(FEED_CHANGE_DELAY);
      await mined(next.getFunction("pushAnswer")(320_000_000_000n));
      await mined(f.feeds[1]!.getFunction("pushAnswer")(6_000_050_000_000n));
      await expect(admin.getFunction("executeFeedChange")(1n)).to.emit(f.rollup, "FeedChanged");
      const header = await headerNow({ ...f, feeds: [next, f.feeds[1]!] }, 2n);
      assert.equal(header.prices[0], cents(320_000_000_000n));
      await expect(submit(f, header)).to.emit(f.rollup, "BatchVerified");
    });
  });

  describe("finding F16: input and deployment guards", () => {
    it("finding F16: public-input words at or above r are refused", async () => {
      const f = await deployWithMockVerifier(ethers);
      const header = await headerNow(f, FIELD_MODULUS);
      await expect(submit(f, header))
        .to.be.revertedWithCustomError(f.rollup, "PublicInputNotInField")
        .withArgs(1n, FIELD_MODULUS);
      // A deposit record's pkHash is the other 32-byte word a batch chooses (a slot's f0 and f1,
      // 16 + 8 bytes, are always below r).
      const records = 4 + PROFILE.underlyings + PROFILE.settlements + PROFILE.instruments;
      const deposits = recordsOf([{ owner: f.alice.address, pkHash: FIELD_MODULUS + 5n }]);
      await expect(submit(f, { ...header, newStateRoot: 1n, deposits }))
        .to.be.revertedWithCustomError(f.rollup, "PublicInputNotInField")
        .withArgs(BigInt(records + 1), FIELD_MODULUS + 5n);
    });

    it("finding F16: a settlement price is fixed by the first batch that uses the series", async () => {
      const f = await deployWithMockVerifier(ethers);
      const eth = f.feeds[0]!;
      const t0 = await now(ethers);
      await networkHelpers.time.increase(100n);
      await mined(eth.getFunction("setAnswerAt")(310_000_000_000n, t0 + 50n));
      const header = await headerNow(f, 1n);
      const expiry = t0 + 10n;
      const record = packSettlement({ underlying: 1, expiry, price: cents(300_012_345_678n) });
      await expect(submit(f, { ...header, settlements: padK([record]), settlementRoundIds: padK([1n]) }))
        .to.emit(f.rollup, "SettlementPriceFixed")
        .withArgs(1n, expiry, cents(300_012_345_678n));
      const [isFixed, price] = (await f.rollup.getFunction("settlementPrice")(1n, expiry)) as [boolean, bigint];
      assert.equal(isFixed, true);
      assert.equal(price, cents(300_012_345_678n));
      const other = packSettlement({ underlying: 1, expiry, price: 310_000n });
      await expect(
        submit(f, { ...header, newStateRoot: 2n, settlements: padK([other]), settlementRoundIds: padK([2n]) }),
      )
        .to.be.revertedWithCustomError(f.rollup, "SettlementPriceAlreadyFixed")
        .withArgs(1n, expiry, cents(300_012_345_678n), 310_000n);
    });

    it("finding F16: deployTessera refuses a genesis root that is not the system accounts' genesis", async () => {
      const [admin, operator, , , , feeOwner, insuranceOwner] = await ethers.getSigners();
      await assert.rejects(
        deployTessera(ethers, {
          profile: PROFILE,
          genesisStateRoot: 0x1234n,
          feeAccount: { owner: feeOwner!.address, pkHash: 1n },
          insuranceFund: { owner: insuranceOwner!.address, pkHash: 2n },
          operator: operator!.address,
          admin: admin!.address,
          maxOracleAge: 3600n,
          forcedRequestDeadline: FORCED_DEADLINE,
          verifier: admin!.address,
        }),
        (e: unknown) => e instanceof DeployError && e.code === "GENESIS_MISMATCH",
      );
    });

    it("finding F16: deployTessera refuses the TEST-ONLY verifier on a chain other than 31337", async () => {
      const other = await network.create({ override: { chainId: 11_155_111 } });
      const { chainId } = await other.ethers.provider.getNetwork();
      assert.equal(chainId, 11_155_111n);
      const [admin, operator, , , , feeOwner, insuranceOwner] = await other.ethers.getSigners();
      const { initPoseidon } = await import("../../protocol/poseidon.ts");
      const { RollupState } = await import("../../protocol/state.ts");
      await initPoseidon();
      const system = {
        feeAccount: { owner: feeOwner!.address, pkHash: 1n },
        insuranceFund: { owner: insuranceOwner!.address, pkHash: 2n },
      };
      const genesisStateRoot = RollupState.genesis(PROFILE, {
        feeAccount: { pkHash: 1n, owner: BigInt(feeOwner!.address) },
        insurance: { pkHash: 2n, owner: BigInt(insuranceOwner!.address) },
      }).stateRoot;
      await assert.rejects(
        deployTessera(other.ethers, {
          profile: PROFILE,
          genesisStateRoot,
          ...system,
          operator: operator!.address,
          admin: admin!.address,
          maxOracleAge: 3600n,
          forcedRequestDeadline: FORCED_DEADLINE,
        }),
        (e: unknown) => e instanceof DeployError && e.code === "TEST_ONLY_VERIFIER",
      );
    });
  });

  describe("finding F11: forced close from L1", () => {
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
    const ETH_3000 = 300_000_000_000n;
    const DEPOSIT = 20_000_000_000n; // 20,000 USDC
    const MAX_AMOUNT = (1n << 56n) - 1n;

    /** A rollup at the genesis of a protocol/ state; alice and bob registered, funded and trading 1 ETH perp. */
    async function withPositions(): Promise<{ f: Fixture; state: RollupState; alice: Trader; bob: Trader }> {
      await initPoseidon();
      const [, , a, b, , feeOwner, insuranceOwner] = await ethers.getSigners();
      const fee = await trader(feeOwner!);
      const fund = await trader(insuranceOwner!);
      const state = RollupState.genesis(PROFILE, {
        feeAccount: { pkHash: fee.pkHash, owner: BigInt(feeOwner!.address) },
        insurance: { pkHash: fund.pkHash, owner: BigInt(insuranceOwner!.address) },
      });
      const f = await deployWithMockVerifier(ethers, {
        genesisStateRoot: state.stateRoot,
        feePkHash: fee.pkHash,
        insurancePkHash: fund.pkHash,
      });
      const [alice, bob] = (await Promise.all([a!, b!].map(trader))) as [Trader, Trader];
      for (const t of [alice, bob]) {
        t.id = (await f.rollup.getFunction("nextAccountId")()) as bigint;
        await mined(as(f.rollup, t.signer).getFunction("registerAndDeposit")(t.pkHash, DEPOSIT));
      }
      await mined(f.feeds[0]!.getFunction("pushAnswer")(ETH_3000));
      const deposit = (t: Trader): Tx => ({
        type: TxType.DEPOSIT,
        accountId: t.id,
        owner: BigInt(t.signer.address),
        pkHash: t.pkHash,
        amount: DEPOSIT,
      });
      await proveAndSubmit(f, state, [deposit(alice), deposit(bob)]);
      const expiry = (await now(ethers)) + 3600n;
      const o = (t: Trader, side: 0 | 1) =>
        signOrder(
          t.key,
          {
            accountId: t.id,
            instrument: perpId(1),
            side,
            size: 10_000n,
            price: 300_000n,
            orderId: 1n,
            expiry,
            flags: 0n,
          },
          f.domain,
        );
      await proveAndSubmit(f, state, [
        { type: TxType.TRADE, maker: o(bob, Side.SELL), taker: o(alice, Side.BUY), size: 10_000n, price: 300_000n },
      ]);
      return { f, state, alice, bob };
    }

    /** Applies `txs` to `state` in one batch and submits it (MockVerifier); returns the batch and receipt. */
    async function proveAndSubmit(
      f: Fixture,
      state: RollupState,
      txs: readonly Tx[],
    ): Promise<{ batch: Batch; tx: unknown }> {
      const { prices, roundIds } = await latestPrices(f.feeds);
      const builder = new BatchBuilder(state, {
        timestamp: await now(ethers),
        domain: f.domain,
        prices,
        settlements: [],
      });
      for (const t of txs) builder.add(t);
      const batch = builder.close();
      const { header, slots } = l1Calldata(batch, { priceRoundIds: roundIds, settlementRoundIds: [] });
      const tx = as(f.rollup, f.operator).getFunction("submitBatch")(header, slots, ZERO_PROOF);
      await mined(tx);
      assert.equal(await f.rollup.getFunction("stateRoot")(), state.stateRoot);
      return { batch, tx };
    }

    it("finding F11: a forced close served within the deadline is followed by a forced withdrawal of all the equity", async () => {
      const { f, state, alice, bob } = await withPositions();
      const perp = perpId(1);
      // Only the owner asks; instrument 0, or one beyond 82 bits, is no instrument.
      await expect(as(f.rollup, bob.signer).getFunction("requestForcedClose")(alice.id, perp))
        .to.be.revertedWithCustomError(f.rollup, "NotAccountOwner")
        .withArgs(alice.id, bob.signer.address);
      await expect(as(f.rollup, alice.signer).getFunction("requestForcedClose")(alice.id, 0n))
        .to.be.revertedWithCustomError(f.rollup, "InvalidInstrument")
        .withArgs(0n);
      await expect(
        as(f.rollup, alice.signer).getFunction("requestForcedClose")(alice.id, 1n << 82n),
      ).to.be.revertedWithCustomError(f.rollup, "InvalidInstrument");
      // The insurance fund is never force-closed.
      await expect(as(f.rollup, f.insuranceOwner).getFunction("requestForcedClose")(1n, perp))
        .to.be.revertedWithCustomError(f.rollup, "InsuranceFundAccount")
        .withArgs(1n);
      const queueIndex = (await f.rollup.getFunction("priorityQueueLength")()) as bigint;
      await expect(as(f.rollup, alice.signer).getFunction("requestForcedClose")(alice.id, perp))
        .to.emit(f.rollup, "ForcedCloseRequested")
        .withArgs(queueIndex, alice.id, perp, false);
      // The queue entry: `9 | accountId << 4 | instrument << 28`, f1 = 0 (the slot's f1 is the fund account).
      const op = (await f.rollup.getFunction("priorityOp")(queueIndex)) as { f0: bigint; f1: bigint };
      assert.equal(op.f0, 9n | (alice.id << 4n) | (perp << 28n));
      assert.equal(op.f1, 0n);

      // The operator cannot skip it: a batch without it leaves the queue head where it is, and a
      // forced close of another account (or instrument) in its place does not match the queue.
      const other = state.clone();
      const wrong = new BatchBuilder(other, {
        timestamp: await now(ethers),
        domain: f.domain,
        ...(await latestPrices(f.feeds)),
        settlements: [],
      });
      wrong.add({ type: TxType.FORCED_CLOSE, accountId: bob.id, instrument: perp, settlement: false });
      const bad = l1Calldata(wrong.close(), {
        priceRoundIds: (await latestPrices(f.feeds)).roundIds,
        settlementRoundIds: [],
      });
      await expect(
        as(f.rollup, f.operator).getFunction("submitBatch")(bad.header, bad.slots, ZERO_PROOF),
      ).to.be.revertedWithCustomError(f.rollup, "PriorityOpMismatch");

      // Served in the next batch: alice's long goes to the insurance fund at the oracle price.
      const equityBefore = equity(state.account(alice.id), {
        prices: (await latestPrices(f.feeds)).prices,
        fundingIndex: state.globalState.fundingIndex,
      });
      const served = await proveAndSubmit(f, state, [
        { type: TxType.FORCED_CLOSE, accountId: alice.id, instrument: perp, settlement: false },
      ]);
      await expect(served.tx)
        .to.emit(f.rollup, "ForcedCloseServed")
        .withArgs(2n + 1n, queueIndex, alice.id, perp, true, 1n);
      const closed = state.account(alice.id);
      assert.ok(
        closed.positions.every((p) => p.size === 0n),
        "alice holds nothing",
      );
      assert.equal(state.account(1n).positions.find((p) => p.instrument === perp)?.size, 10_000n);
      // She keeps her equity minus the penalty: 1% of the notional (20% of the 5% maintenance margin).
      assert.equal(closed.collateral, equityBefore - 30_000_000n);

      // Then a forced withdrawal of everything she has left (min(requested, withdrawable)).
      await mined(as(f.rollup, alice.signer).getFunction("requestForcedWithdrawal")(alice.id, MAX_AMOUNT));
      await proveAndSubmit(f, state, [{ type: TxType.FORCED_WITHDRAW, accountId: alice.id, requested: MAX_AMOUNT }]);
      assert.equal(state.account(alice.id).collateral, 0n);
      assert.equal(await f.rollup.getFunction("claimable")(alice.signer.address), closed.collateral);
      assert.equal(await f.rollup.getFunction("queueHead")(), await f.rollup.getFunction("priorityQueueLength")());
    });

    it("finding F11: a forced close ignored past the deadline opens exodus", async () => {
      const { f, state, alice, bob } = await withPositions();
      await mined(as(f.rollup, alice.signer).getFunction("requestForcedClose")(alice.id, perpId(1)));
      // The operator keeps proving batches without it (its own funding, no-ops) ...
      await proveAndSubmit(f, state, [{ type: TxType.NOOP }]);
      await expect(
        as(f.rollup, bob.signer).getFunction("activateExodus")(await f.rollup.getFunction("queueHead")()),
      ).to.be.revertedWithCustomError(f.rollup, "ExodusTooEarly");
      // ... until the deadline passes: then anyone opens the exodus.
      await networkHelpers.time.increase(FORCED_DEADLINE + 1n);
      await expect(
        as(f.rollup, bob.signer).getFunction("activateExodus")(await f.rollup.getFunction("queueHead")()),
      ).to.emit(f.rollup, "ExodusActivated");
      await expect(
        as(f.rollup, alice.signer).getFunction("requestForcedClose")(alice.id, perpId(1)),
      ).to.be.revertedWithCustomError(f.rollup, "ExodusIsActive");
    });

    it("finding F11: the owner may force the settlement of an expired option series, not of a live one; nobody else may", async () => {
      const { f, alice, bob } = await withPositions();
      const t = await now(ethers);
      const live = optionId(1, InstrumentKind.CALL, 300_000n, t + 3_600n);
      const expired = optionId(1, InstrumentKind.PUT, 300_000n, t - 60n);
      await expect(as(f.rollup, alice.signer).getFunction("requestForcedSettlement")(alice.id, live))
        .to.be.revertedWithCustomError(f.rollup, "NotAnExpiredOption")
        .withArgs(live, t + 3_600n);
      await expect(
        as(f.rollup, alice.signer).getFunction("requestForcedSettlement")(alice.id, perpId(1)),
      ).to.be.revertedWithCustomError(f.rollup, "NotAnExpiredOption");
      // Someone else's request would spend alice's bound of open forced requests (below).
      await expect(as(f.rollup, bob.signer).getFunction("requestForcedSettlement")(alice.id, expired))
        .to.be.revertedWithCustomError(f.rollup, "NotAccountOwner")
        .withArgs(alice.id, bob.signer.address);
      const queueIndex = (await f.rollup.getFunction("priorityQueueLength")()) as bigint;
      await expect(as(f.rollup, alice.signer).getFunction("requestForcedSettlement")(alice.id, expired))
        .to.emit(f.rollup, "ForcedCloseRequested")
        .withArgs(queueIndex, alice.id, expired, true);
      const op = (await f.rollup.getFunction("priorityOp")(queueIndex)) as { f0: bigint; f1: bigint };
      // The queue entry: `9 | accountId << 4 | instrument << 28 | settlement << 110`, f1 = 0.
      assert.equal(op.f0, 9n | (alice.id << 4n) | (expired << 28n) | (1n << 110n));
      assert.equal(op.f1, 0n);
    });

    it("attack: a key holder cannot flood the priority queue with forced requests (a bound per account, freed as each is served)", async () => {
      const { f, state, alice, bob } = await withPositions();
      const bound = (await f.rollup.getFunction("MAX_OPEN_FORCED_REQUESTS")()) as bigint;
      assert.equal(bound, 4n);
      const t = await now(ethers);
      const expired = optionId(1, InstrumentKind.PUT, 300_000n, t - 60n);
      // Every kind of forced request counts: withdrawals, closes and settlements.
      await mined(as(f.rollup, alice.signer).getFunction("requestForcedWithdrawal")(alice.id, 1n));
      await mined(as(f.rollup, alice.signer).getFunction("requestForcedClose")(alice.id, perpId(1)));
      await mined(as(f.rollup, alice.signer).getFunction("requestForcedSettlement")(alice.id, expired));
      await mined(as(f.rollup, alice.signer).getFunction("requestForcedWithdrawal")(alice.id, 2n));
      assert.equal(await f.rollup.getFunction("openForcedRequests")(alice.id), bound);
      for (const request of [
        as(f.rollup, alice.signer).getFunction("requestForcedWithdrawal")(alice.id, 3n),
        as(f.rollup, alice.signer).getFunction("requestForcedClose")(alice.id, perpId(1)),
        as(f.rollup, alice.signer).getFunction("requestForcedSettlement")(alice.id, expired),
      ]) {
        await expect(request)
          .to.be.revertedWithCustomError(f.rollup, "TooManyForcedRequests")
          .withArgs(alice.id, bound);
      }
      // Another account's bound is its own.
      await mined(as(f.rollup, bob.signer).getFunction("requestForcedWithdrawal")(bob.id, 1n));
      assert.equal(await f.rollup.getFunction("openForcedRequests")(bob.id), 1n);

      // Serving frees the bound: the next batch serves alice's first request (a withdrawal of 1).
      await proveAndSubmit(f, state, [{ type: TxType.FORCED_WITHDRAW, accountId: alice.id, requested: 1n }]);
      assert.equal(await f.rollup.getFunction("openForcedRequests")(alice.id), bound - 1n);
      await mined(as(f.rollup, alice.signer).getFunction("requestForcedWithdrawal")(alice.id, 3n));
      assert.equal(await f.rollup.getFunction("openForcedRequests")(alice.id), bound);
    });
  });
});
