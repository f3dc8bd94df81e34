/**
 * Issue 14's contract findings, against the in-process network with a MockVerifier:
 * F5 (the price round in force at the batch time, never backwards, bounded batch lag),
 * F9 (canonical settlement records), F13 (timelocked feed changes), F16 (public inputs below r,
 * settlement prices fixed once, deployment guards). F12 (pro-rata exits) is in exodus.test.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { expect } from "chai";
import { network } from "hardhat";
import type { Contract } from "ethers";
import { FIELD_MODULUS } from "../../protocol/field.ts";
import { packSettlement } from "../../protocol/pubdata.ts";
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
  now,
  slotsOf,
} from "./fixtures.ts";
import type { BatchHeader, Fixture } from "./fixtures.ts";

const { ethers, networkHelpers } = await network.create();

function as(contract: Contract, signer: { address: string }): Contract {
  return contract.connect(signer as never) as Contract;
}

async function submit(f: Fixture, header: BatchHeader, slots: bigint[] = slotsOf([])): Promise<unknown> {
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

    it("finding F5: a stale round is refused even when it is the latest", async () => {
      const f = await deployWithMockVerifier(ethers);
      await networkHelpers.time.increase(3600n + 5n);
      await expect(submit(f, await headerNow(f, 1n))).to.be.revertedWithCustomError(f.rollup, "StaleOraclePrice");
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
      const mock = await ethers.deployContract("MockVerifier", [4 + profile.underlyings + 3 + 2 * profile.nTx]);
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
      await mined(f.rollup.getFunction("activateExodus")());
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
      const slots = slotsOf([[FIELD_MODULUS + 5n, 0n]]);
      await expect(submit(f, { ...header, newStateRoot: 1n }, slots))
        .to.be.revertedWithCustomError(f.rollup, "PublicInputNotInField")
        .withArgs(BigInt(4 + PROFILE.underlyings + PROFILE.settlements), FIELD_MODULUS + 5n);
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
});
