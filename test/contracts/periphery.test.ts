/**
 * TestUSDC (faucet) and MockAggregator (Chainlink ABI, pushed rounds).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { expect } from "chai";
import { network } from "hardhat";
import type { Contract } from "ethers";

const { ethers, networkHelpers } = await network.create();
const [owner, user] = await ethers.getSigners();

describe("TestUSDC", () => {
  it("test_faucet_rateLimited: 10,000 tUSDC per address per hour, 6 decimals", async () => {
    const usdc = await ethers.deployContract("TestUSDC", [owner!.address]);
    const asUser = usdc.connect(user!) as Contract;
    assert.equal(await usdc.getFunction("decimals")(), 6n);
    await (await asUser.getFunction("faucet")()).wait();
    assert.equal(await usdc.getFunction("balanceOf")(user!.address), 10_000_000_000n);
    const last = (await usdc.getFunction("lastFaucetAt")(user!.address)) as bigint;
    await expect(asUser.getFunction("faucet")())
      .to.be.revertedWithCustomError(usdc, "FaucetCooldown")
      .withArgs(user!.address, last + 3600n);
    await networkHelpers.time.increase(3600n);
    await (await asUser.getFunction("faucet")()).wait();
    assert.equal(await usdc.getFunction("balanceOf")(user!.address), 20_000_000_000n);
    await expect(asUser.getFunction("mint")(user!.address, 1n)).to.be.revertedWithCustomError(
      usdc,
      "OwnableUnauthorizedAccount",
    );
  });
});

describe("MockAggregator", () => {
  it("test_pushAnswer_roundsAsChainlink", async () => {
    const feed = await ethers.deployContract("MockAggregator", ["ETH / USD", owner!.address]);
    assert.equal(await feed.getFunction("decimals")(), 8n);
    assert.equal(await feed.getFunction("description")(), "ETH / USD");
    await expect(feed.getFunction("latestRoundData")()).to.be.revertedWithCustomError(feed, "RoundNotFound");
    await (await feed.getFunction("pushAnswer")(300_000_000_000n)).wait();
    const t1 = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
    await networkHelpers.time.increase(100n);
    await (await feed.getFunction("setAnswerAt")(310_000_000_000n, t1 + 50n)).wait();
    const [id, answer, startedAt, updatedAt, answeredIn] = (await feed.getFunction("latestRoundData")()) as bigint[];
    assert.deepEqual([id, answer, startedAt, updatedAt, answeredIn], [2n, 310_000_000_000n, t1 + 50n, t1 + 50n, 2n]);
    assert.equal(((await feed.getFunction("getRoundData")(1n)) as bigint[])[1], 300_000_000_000n);
    await expect(feed.getFunction("getRoundData")(3n))
      .to.be.revertedWithCustomError(feed, "RoundNotFound")
      .withArgs(3n);
    await expect(feed.getFunction("setAnswerAt")(1n, t1)).to.be.revertedWithCustomError(feed, "BadRoundTime");
    await expect(feed.getFunction("setAnswerAt")(1n, t1 + 10_000n)).to.be.revertedWithCustomError(feed, "BadRoundTime");
    await expect((feed.connect(user!) as Contract).getFunction("pushAnswer")(1n)).to.be.revertedWithCustomError(
      feed,
      "OwnableUnauthorizedAccount",
    );
  });
});
