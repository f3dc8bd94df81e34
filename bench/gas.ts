/**
 * Gas figures of the rollup contract, written to bench/gas.json.
 *
 *   npx hardhat run bench/gas.ts
 *
 * Measured on Hardhat's in-process EVM (cancun). `submitBatch` is measured with a MockVerifier,
 * so its figure is the contract's own cost (calldata, oracle checks, public-input array, queue);
 * the Groth16 verification a real verifier adds is estimated from docs/protocol.md §8 and
 * TOOLCHAIN.md (214k + 6.8k per extra public input) and reported separately. `realProof` is a
 * measured `submitBatch` of a real `test`-profile proof through the generated TestVerifier.
 */
import { writeFileSync } from "node:fs";
import { network } from "hardhat";
import type { Contract, TransactionReceipt } from "ethers";
import { BatchBuilder, l1Calldata } from "../protocol/batch.ts";
import { toField } from "../protocol/field.ts";
import { initPoseidon } from "../protocol/poseidon.ts";
import { getProfile, PROFILE_NAMES } from "../protocol/profiles.ts";
import { depositData, tradeData, withdrawData } from "../protocol/pubdata.ts";
import { perpId } from "../protocol/instruments.ts";
import { KEY_MESSAGE_V1, pkHash, publicKeyOf, tradingKeyFromSignatureHex } from "../protocol/keys.ts";
import { packProof } from "../protocol/proof.ts";
import type { Groth16ProofJson } from "../protocol/proof.ts";
import { signOrder, withdrawalOrder } from "../protocol/signing.ts";
import { toCircuitInput } from "../protocol/circuitInput.ts";
import { RollupState } from "../protocol/state.ts";
import { Side, TxType } from "../protocol/types.ts";
import type { Profile } from "../protocol/types.ts";
import { deployTessera } from "../scripts/deploy.ts";
import { ensureProfileBuilt } from "../scripts/zk/build.ts";
import { releaseCurve } from "../scripts/zk/ptau.ts";
import * as snarkjs from "snarkjs";

const { ethers, networkHelpers } = await network.create();
const [admin, operator, alice, feeOwner, insuranceOwner] = await ethers.getSigners();
const ETH = 300_000_000_000n;
const BTC = 6_000_000_000_000n;
const FUNDS = 10n ** 15n;

async function gasOf(tx: Promise<unknown>): Promise<bigint> {
  const sent = (await tx) as { wait(): Promise<TransactionReceipt | null> };
  const receipt = await sent.wait();
  return receipt!.gasUsed;
}

function as(contract: Contract, signer: { address: string }): Contract {
  return contract.connect(signer as never) as Contract;
}

async function deploy(profile: Profile, genesisStateRoot: bigint, feePkHash = 1n, insurancePkHash = 2n) {
  const n = 4 + profile.underlyings + profile.settlements + 2 * profile.nTx;
  const mock = await ethers.deployContract("MockVerifier", [n], admin!);
  const d = await deployTessera(ethers, {
    profile,
    genesisStateRoot,
    feeAccount: { owner: feeOwner!.address, pkHash: feePkHash },
    insuranceFund: { owner: insuranceOwner!.address, pkHash: insurancePkHash },
    operator: operator!.address,
    admin: admin!.address,
    maxOracleAge: 3600n,
    forcedRequestDeadline: 86_400n,
    verifier: await mock.getAddress(),
    initialAnswers: [ETH, BTC],
    deployer: admin!,
    // Gas only: a mock verifier accepts any root, so the genesis need not match the accounts.
    unsafeArbitraryGenesis: true,
  });
  await (await d.collateral.getFunction("mint")(alice!.address, FUNDS)).wait();
  await (await as(d.collateral, alice!).getFunction("approve")(await d.rollup.getAddress(), FUNDS)).wait();
  return { ...d, publicInputs: n };
}

async function header(feeds: readonly Contract[], profile: Profile, newStateRoot: bigint) {
  const prices: bigint[] = [];
  const priceRoundIds: bigint[] = [];
  for (const feed of feeds) {
    const [roundId, answer] = (await feed.getFunction("latestRoundData")()) as [bigint, bigint];
    prices.push(answer / 1_000_000n);
    priceRoundIds.push(roundId);
  }
  const block = await ethers.provider.getBlock("latest");
  const zeros = Array.from({ length: profile.settlements }, () => 0n);
  return { newStateRoot, timestamp: BigInt(block!.timestamp), prices, priceRoundIds, settlements: zeros, settlementRoundIds: zeros };
}

const report: Record<string, unknown> = { evm: "hardhat in-process EDR, cancun, solc 0.8.28 optimizer 200 runs" };

// ---------------------------------------------------------------- user operations (test profile)
{
  const profile = getProfile("test");
  const d = await deploy(profile, 1n);
  const rollup = as(d.rollup, alice!);
  const register = await gasOf(rollup.getFunction("register")(77n));
  const firstDeposit = await gasOf(rollup.getFunction("deposit")(2n, 1_000_000n));
  const deposit = await gasOf(rollup.getFunction("deposit")(2n, 1_000_000n));
  const registerAndDeposit = await gasOf(rollup.getFunction("registerAndDeposit")(78n, 1_000_000n));
  const forced = await gasOf(rollup.getFunction("requestForcedWithdrawal")(2n, 500n));
  const forcedClose = await gasOf(rollup.getFunction("requestForcedClose")(2n, 1n)); // perp of underlying 1
  const slots = [
    ...depositData(2n, 1_000_000n, BigInt(alice!.address), 77n),
    ...withdrawData(2n, 400_000n, 1n),
  ];
  await (await as(d.rollup, operator!).getFunction("submitBatch")(await header(d.feeds, profile, 2n), slots, Array(8).fill(0n))).wait();
  const claim = await gasOf(rollup.getFunction("claim")(alice!.address));
  report.userOperations = { register, firstDeposit, deposit, registerAndDeposit, requestForcedWithdrawal: forced, requestForcedClose: forcedClose, claim };
}

// ---------------------------------------------------------------- submitBatch per profile
const batches: Record<string, unknown> = {};
for (const name of PROFILE_NAMES) {
  const profile = getProfile(name);
  const d = await deploy(profile, 1n);
  const submit = (slots: bigint[], root: bigint): Promise<bigint> =>
    header(d.feeds, profile, root).then((h) =>
      gasOf(as(d.rollup, operator!).getFunction("submitBatch")(h, slots, Array(8).fill(0n))),
    );
  // The first batch initialises storage (prices, counters); measure steady-state batches after it.
  await submit(Array(2 * profile.nTx).fill(0n), 2n);
  const noops = await submit(Array(2 * profile.nTx).fill(0n), 2n);
  const trade = tradeData({
    maker: 2n,
    taker: 3n,
    size: 12_345n,
    price: 300_123n,
    takerSide: Side.BUY,
    makerOrderId: 123_456n,
    takerOrderId: 654_321n,
    instrument: perpId(1),
  });
  const trades = await submit(Array.from({ length: profile.nTx }, () => [...trade]).flat(), 3n);
  const verifyEstimate = 214_000 + 6_800 * (d.publicInputs - 1);
  batches[name] = {
    nTx: profile.nTx,
    publicInputs: d.publicInputs,
    contractOnlyAllNoops: noops,
    contractOnlyAllTrades: trades,
    contractOnlyPerTrade: Math.round(Number(trades) / profile.nTx),
    groth16VerifyEstimate: verifyEstimate,
    totalPerTradeEstimate: Math.round((Number(trades) + verifyEstimate) / profile.nTx),
  };
}
report.submitBatch = batches;

// ---------------------------------------------------------------- exodus exit (test profile, real Poseidon)
{
  await initPoseidon();
  const profile = getProfile("test");
  const owner = (s: { address: string }): bigint => BigInt(s.address);
  const state = RollupState.genesis(profile, {
    feeAccount: { pkHash: 1n, owner: owner(feeOwner!) },
    insurance: { pkHash: 2n, owner: owner(insuranceOwner!) },
  });
  const d = await deploy(profile, state.stateRoot);
  const rollup = as(d.rollup, alice!);
  await (await rollup.getFunction("registerAndDeposit")(77n, 5_000_000n)).wait();
  await (await rollup.getFunction("registerAndDeposit")(78n, 5_000_000n)).wait();
  const h = await header(d.feeds, profile, 0n);
  const builder = new BatchBuilder(state, { timestamp: h.timestamp, domain: d.domain, prices: h.prices, settlements: [] });
  builder.add({ type: TxType.DEPOSIT, accountId: 2n, owner: owner(alice!), pkHash: 77n, amount: 5_000_000n });
  const batch = builder.close();
  const { header: hdr, slots } = l1Calldata(batch, { priceRoundIds: h.priceRoundIds, settlementRoundIds: [] });
  await (await as(d.rollup, operator!).getFunction("submitBatch")(hdr, slots, Array(8).fill(0n))).wait();
  await networkHelpers.time.increase(86_401n);
  const activateExodus = await gasOf(rollup.getFunction("activateExodus")());
  const p = state.exitProof(2n);
  const a = p.account;
  const leaf = [a.pkHash, a.owner, toField(a.collateral), a.orderRoot, ...a.positions.flatMap((x) => [x.instrument, toField(x.size), toField(x.cost)])];
  const global = [p.global.feePool, ...p.global.fundingIndex.map(toField), ...p.global.lastFundingTime];
  const exit = await gasOf(rollup.getFunction("exit")(2n, leaf, [...p.proof.siblings], global, [0n, 0n]));
  const refundDeposit = await gasOf(rollup.getFunction("refundDeposit")(1n));
  report.exodus = { profile: "test (accountDepth 4, P 2)", activateExodus, exit, refundDeposit };
}

// ---------------------------------------------------------------- real proof (test profile, generated TestVerifier)
{
  const profile = getProfile("test");
  const built = await ensureProfileBuilt(profile.name, { quiet: true });
  const key = tradingKeyFromSignatureHex(await alice!.signMessage(KEY_MESSAGE_V1));
  const alicePk = pkHash(publicKeyOf(key));
  const state = RollupState.genesis(profile, {
    feeAccount: { pkHash: 1n, owner: BigInt(feeOwner!.address) },
    insurance: { pkHash: 2n, owner: BigInt(insuranceOwner!.address) },
  });
  const d = await deployTessera(ethers, {
    profile,
    genesisStateRoot: state.stateRoot,
    feeAccount: { owner: feeOwner!.address, pkHash: 1n },
    insuranceFund: { owner: insuranceOwner!.address, pkHash: 2n },
    operator: operator!.address,
    admin: admin!.address,
    maxOracleAge: 3600n,
    forcedRequestDeadline: 86_400n,
    initialAnswers: [ETH, BTC],
    deployer: admin!,
  });
  await (await d.collateral.getFunction("mint")(alice!.address, FUNDS)).wait();
  await (await as(d.collateral, alice!).getFunction("approve")(await d.rollup.getAddress(), FUNDS)).wait();
  await (await as(d.rollup, alice!).getFunction("registerAndDeposit")(alicePk, 5_000_000n)).wait();
  const h = await header(d.feeds, profile, 0n);
  const builder = new BatchBuilder(state, { timestamp: h.timestamp, domain: d.domain, prices: h.prices, settlements: [] });
  builder.add({ type: TxType.DEPOSIT, accountId: 2n, owner: BigInt(alice!.address), pkHash: alicePk, amount: 5_000_000n });
  builder.add({
    type: TxType.WITHDRAW,
    withdrawal: signOrder(key, withdrawalOrder(2n, 1_000_000n, 1n, h.timestamp + 3600n), d.domain),
  });
  const batch = builder.close();
  const { proof } = await snarkjs.groth16.fullProve(toCircuitInput(batch), built.wasm, built.zkey);
  await releaseCurve();
  const { header: hdr, slots } = l1Calldata(batch, { priceRoundIds: h.priceRoundIds, settlementRoundIds: [] });
  const gas = await gasOf(
    as(d.rollup, operator!).getFunction("submitBatch")(hdr, slots, [...packProof(proof as Groth16ProofJson)]),
  );
  report.realProof = { profile: "test", slots: "deposit + withdrawal (first batch)", submitBatch: gas };
}

const json = JSON.stringify(report, (_, v: unknown) => (typeof v === "bigint" ? Number(v) : v), 2);
writeFileSync(new URL("./gas.json", import.meta.url), `${json}\n`);
console.log(json);
