/**
 * The rollup's oracle rules against Chainlink's own contracts (contracts/mocks/chainlink/, copied
 * from `@chainlink/contracts@1.5.0`): `MockV3Aggregator` behind the phased `AggregatorProxy`
 * (`DataFeedsLegacyAggregatorProxy`). Issue 14 F5 (the round in force at the batch time, across a
 * proxy phase change, never backwards) and the settlement rule at an expiry; and our doubles
 * (`MockAggregator`, `PhasedAggregator`) answer every field the rollup reads as Chainlink's do.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { expect } from "chai";
import { network } from "hardhat";
import type { Contract } from "ethers";
import { usableAt } from "../../protocol/feedRounds.ts";
import { packSettlement } from "../../protocol/pubdata.ts";
import { ZERO_PROOF, deployWithFeeds, padK, deployWithMockVerifier, headerNow, now, slotsOf } from "./fixtures.ts";
import type { BatchHeader, Fixture } from "./fixtures.ts";

const { ethers, networkHelpers } = await network.create();

const PHASE = 1n << 64n;
const ETH = (usd: bigint): bigint => usd * 100_000_000n;

async function mined(tx: unknown): Promise<void> {
  await ((await tx) as { wait(): Promise<unknown> }).wait();
}

async function submit(f: Fixture, header: BatchHeader): Promise<unknown> {
  return (f.rollup.connect(f.operator) as Contract).getFunction("submitBatch")(header, slotsOf([]), ZERO_PROOF);
}

/**
 * Chainlink's proxy over two MockV3Aggregators: phase 1 rounds at T1 (3,000) and T2 (3,100),
 * phase 2 round 1 at T3 (3,200); and the same history in our PhasedAggregator.
 */
async function phasedFeeds() {
  const agg1 = await ethers.deployContract("MockV3Aggregator", [8, ETH(3000n)]);
  const t1 = await now(ethers);
  const proxy = await ethers.deployContract("DataFeedsLegacyAggregatorProxy", [await agg1.getAddress()]);
  await networkHelpers.time.increase(100n);
  await mined(agg1.getFunction("updateAnswer")(ETH(3100n)));
  const t2 = await now(ethers);
  await networkHelpers.time.increase(100n);
  const agg2 = await ethers.deployContract("MockV3Aggregator", [8, ETH(3200n)]);
  const t3 = await now(ethers);
  await mined(proxy.getFunction("proposeAggregator")(await agg2.getAddress()));
  await mined(proxy.getFunction("confirmAggregator")(await agg2.getAddress()));
  const ours = await ethers.deployContract("PhasedAggregator");
  await mined(ours.getFunction("push")(ETH(3000n), t1));
  await mined(ours.getFunction("push")(ETH(3100n), t2));
  await mined(ours.getFunction("nextPhase")());
  await mined(ours.getFunction("push")(ETH(3200n), t3));
  await networkHelpers.time.increase(10n);
  return { proxy, ours, t1, t2, t3 };
}

/** The fields the rollup reads from `getRoundData`: (roundId, answer, updatedAt), or null when it treats the round as missing. */
async function asRollupReads(feed: Contract, roundId: bigint): Promise<[bigint, bigint, bigint] | null> {
  try {
    const r = (await feed.getFunction("getRoundData")(roundId)) as bigint[];
    return r[3] === 0n ? null : [r[0]!, r[1]!, r[3]!];
  } catch {
    return null;
  }
}

describe("oracle rules on Chainlink's contracts", () => {
  it("finding F5: on Chainlink's AggregatorProxy the last round of a phase is superseded by the next phase's first", async () => {
    const base = await deployWithMockVerifier(ethers);
    const { proxy, t3 } = await phasedFeeds();
    const f = await deployWithFeeds(base, [await proxy.getAddress(), await base.feeds[1]!.getAddress()]);
    const p1r2 = PHASE | 2n;
    const p2r1 = (2n * PHASE) | 1n;
    const latest = (await proxy.getFunction("latestRoundData")()) as bigint[];
    assert.equal(latest[0], p2r1, "the proxy numbers phase 2's first round 2 << 64 | 1");
    const h = await headerNow(f, 1n);
    const old = { ...h, prices: [310_000n, h.prices[1]!], priceRoundIds: [p1r2, 1n] };
    // Stamped before phase 2 began, phase 1's last round is the one in force.
    await mined(submit(f, { ...old, timestamp: t3 - 1n }));
    await expect(submit(f, old))
      .to.be.revertedWithCustomError(f.rollup, "OracleRoundSuperseded")
      .withArgs(1n, p1r2, p2r1, t3, h.timestamp);
    await mined(submit(f, { ...h, prices: [320_000n, h.prices[1]!], priceRoundIds: [p2r1, 1n] }));
    await expect(submit(f, { ...old, timestamp: await now(ethers) }))
      .to.be.revertedWithCustomError(f.rollup, "OracleRoundBackwards")
      .withArgs(1n, p1r2, p2r1);
  });

  it("finding F16: a settlement at an expiry between phases takes phase 1's last round, fixed once", async () => {
    const base = await deployWithMockVerifier(ethers);
    const { proxy, t2, t3 } = await phasedFeeds();
    const f = await deployWithFeeds(base, [await proxy.getAddress(), await base.feeds[1]!.getAddress()]);
    const h = await headerNow(f, 1n);
    const header = { ...h, prices: [320_000n, h.prices[1]!], priceRoundIds: [(2n * PHASE) | 1n, 1n] };
    const expiry = (t2 + t3) / 2n;
    const record = packSettlement({ underlying: 1, expiry, price: 310_000n });
    await expect(submit(f, { ...header, settlements: padK([record]), settlementRoundIds: padK([(2n * PHASE) | 1n]) }))
      .to.be.revertedWithCustomError(f.rollup, "RoundNotInForceAtExpiry")
      .withArgs(1n, (2n * PHASE) | 1n, expiry);
    await expect(submit(f, { ...header, settlements: padK([record]), settlementRoundIds: padK([PHASE | 2n]) }))
      .to.emit(f.rollup, "SettlementPriceFixed")
      .withArgs(1n, expiry, 310_000n);
  });

  it("our PhasedAggregator and MockAggregator answer what the rollup reads exactly as Chainlink's contracts", async () => {
    const { proxy, ours } = await phasedFeeds();
    const ids = [PHASE | 1n, PHASE | 2n, PHASE | 3n, (2n * PHASE) | 1n, (2n * PHASE) | 2n, (3n * PHASE) | 1n, 1n, 0n];
    for (const id of ids)
      assert.deepEqual(await asRollupReads(ours, id), await asRollupReads(proxy, id), `round ${id}`);
    const latest = async (c: Contract) => [...((await c.getFunction("latestRoundData")()) as bigint[])].slice(0, 4);
    assert.deepEqual(await latest(ours), await latest(proxy));
    assert.equal(await ours.getFunction("decimals")(), await proxy.getFunction("decimals")());

    // Plain round ids 1, 2, ...: MockAggregator against MockV3Aggregator (missing rounds: ours
    // reverts like Chainlink's OCR aggregators, the V3 mock answers zeros; the rollup treats both as missing).
    const [owner] = await ethers.getSigners();
    const v3 = await ethers.deployContract("MockV3Aggregator", [8, ETH(3000n)]);
    const t = await now(ethers);
    const mock = await ethers.deployContract("MockAggregator", ["ETH / USD", owner!.address]);
    await mined(mock.getFunction("setAnswerAt")(ETH(3000n), t));
    await networkHelpers.time.increase(5n);
    await mined(v3.getFunction("updateAnswer")(ETH(3050n)));
    await mined(mock.getFunction("setAnswerAt")(ETH(3050n), await now(ethers)));
    for (const id of [0n, 1n, 2n, 3n])
      assert.deepEqual(await asRollupReads(mock, id), await asRollupReads(v3, id), `round ${id}`);
    assert.deepEqual(await latest(mock), await latest(v3));
  });
});

describe("one price-round rule in Solidity and protocol/", () => {
  it("finding F5: the contract accepts a price round exactly when protocol/feedRounds.ts usableAt does", async () => {
    const base = await deployWithMockVerifier(ethers);
    await networkHelpers.time.increase(1000n);
    const t0 = await now(ethers);
    // A phased feed whose phases overlap in time: phase 1 rounds 20–80 s apart from t0 − 900,
    // phase 2 from t0 − 500, phase 3 from t0 − 300 (each a few rounds).
    const phased = await ethers.deployContract("PhasedAggregator");
    const rounds: { roundId: bigint; answer: bigint; updatedAt: bigint }[] = [];
    let seed = 7n;
    const rand = (n: bigint): bigint => {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) % (1n << 64n);
      return (seed >> 33n) % n;
    };
    for (const [phase, start] of [
      [1n, t0 - 900n],
      [2n, t0 - 500n],
      [3n, t0 - 300n],
    ] as const) {
      if (phase > 1n) await mined(phased.getFunction("nextPhase")());
      let at = start;
      for (let n = 1n; n <= 6n; n++) {
        const answer = ETH(3000n + rand(100n));
        await mined(phased.getFunction("push")(answer, at));
        rounds.push({ roundId: (phase << 64n) | n, answer, updatedAt: at });
        at += 20n + rand(60n);
      }
    }
    const read = async (roundId: bigint) => rounds.find((r) => r.roundId === roundId) ?? null;
    const feeds = [await phased.getAddress(), await base.feeds[1]!.getAddress()];
    for (const grace of [0n, 25n]) {
      const f = await deployWithFeeds(base, feeds, grace);
      const h = await headerNow(f, 1n);
      const seen = { accepted: 0, refused: 0 };
      const latestBlock = await now(ethers);
      for (let i = 0; i < 60; i++) {
        const round = rounds[Number(rand(BigInt(rounds.length)))]!;
        const t = round.updatedAt - 10n + rand(90n); // around the round: before, in force, superseded
        if (t > latestBlock) continue; // TimestampInFuture: another rule
        const header = {
          ...h,
          timestamp: t,
          prices: [round.answer / 1_000_000n, h.prices[1]!],
          priceRoundIds: [round.roundId, 1n],
        };
        const expected = (await usableAt(read, round, t, grace)) && t - round.updatedAt <= 3600n;
        let accepted = true;
        try {
          await (f.rollup.connect(f.operator) as Contract)
            .getFunction("submitBatch")
            .staticCall(header, slotsOf([]), ZERO_PROOF);
        } catch {
          accepted = false;
        }
        assert.equal(accepted, expected, `round ${round.roundId} at ${t} with grace ${grace}`);
        seen[accepted ? "accepted" : "refused"] += 1;
      }
      assert.ok(seen.accepted > 3 && seen.refused > 3, `both outcomes sampled: ${JSON.stringify(seen)}`);
    }
  });
});
