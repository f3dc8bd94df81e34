/**
 * Gas figures of the rollup contract, written to bench/gas.json.
 *
 *   npx hardhat run bench/gas.ts
 *
 * Measured on Hardhat's in-process EVM at the newest hardfork it supports (HARDFORK, set
 * explicitly and recorded in the report: EIP-7623's calldata floor applies). `realProof` submits a
 * real `demo`-profile batch of trades through the generated single-input DemoVerifier and the same
 * batch through a MockVerifier: the difference is what the Groth16 verifier adds
 * (`groth16Verifier`). With one public input that verifier runs the same code for any circuit, so
 * a VerifierGasProbe (contracts/mocks: the DemoVerifier checking that real proof inside the
 * batch's transaction, whatever proof it is handed) stands in for prod's, whose circuit is too big
 * to prove here; the probe's own call is measured against the DemoVerifier called directly and
 * subtracted (`probeOverhead`). Every `submitBatch` figure is then measured twice: with a
 * MockVerifier (`contractOnly*`: the contract's own cost) and with the probe (`withVerifier`, the
 * whole transaction, EIP-7623's floor applied to the real total). `testRealProof` is the first
 * test-profile batch (deposit + withdrawal) through the TestVerifier.
 *
 * `batchSizeSweep` (issue 17 item 4): the prod profile with nTx overridden (BATCH_SIZES), each
 * sent a batch full of trades exactly as the prod figure is, with the trades transaction's
 * calldata, its EIP-7623 floor, whether the floor binds, and the limits it must stay under.
 * docs/benchmarks.md "Choosing the prod batch size" reads it with the proving model of
 * bench/lib/batchsize.ts.
 */
import { writeFileSync } from "node:fs";
import { network } from "hardhat";
import type { Contract, TransactionReceipt } from "ethers";
import { BATCH_SIZES } from "./lib/batchsize.ts";
import { BatchBuilder, l1Calldata } from "../protocol/batch.ts";
import { publicDataWidths } from "../protocol/commitment.ts";
import { toField } from "../protocol/field.ts";
import { initPoseidon } from "../protocol/poseidon.ts";
import { getProfile, PROFILE_NAMES } from "../protocol/profiles.ts";
import { depositData, packSlots, tradeData, withdrawData } from "../protocol/pubdata.ts";
import { KEY_MESSAGE_V1, pkHash, publicKeyOf, tradingKeyFromSignatureHex } from "../protocol/keys.ts";
import { packProof } from "../protocol/proof.ts";
import type { Groth16ProofJson } from "../protocol/proof.ts";
import { signOrder, withdrawalOrder } from "../protocol/signing.ts";
import { toCircuitInput } from "../protocol/circuitInput.ts";
import { RollupState } from "../protocol/state.ts";
import { Side, TxType } from "../protocol/types.ts";
import type { Profile } from "../protocol/types.ts";
import { deployTessera } from "../scripts/deploy.ts";
import { order, sign, world } from "../test/protocol/fixtures.ts";
import { passHeadsDeadline } from "../test/contracts/fixtures.ts";
import { ensureProfileBuilt } from "../scripts/zk/build.ts";
import { releaseCurve } from "../scripts/zk/ptau.ts";
import * as snarkjs from "snarkjs";
import { OPTIMIZER_RUNS } from "../hardhat.config.ts";

/** The newest hardfork Hardhat 3.18's EDR supports (its default; Prague's EIP-7623 included). */
const HARDFORK = "osaka";
const { ethers, networkConfig } = await network.create({ override: { hardfork: HARDFORK } });
const hardfork = (networkConfig as { hardfork?: string }).hardfork;
if (hardfork !== HARDFORK) throw new Error(`the network runs ${String(hardfork)}, not ${HARDFORK}`);
const [admin, operator, alice, feeOwner, insuranceOwner] = await ethers.getSigners();
const ETH = 300_000_000_000n;
const BTC = 6_000_000_000_000n;
const FUNDS = 10n ** 15n;

async function gasOf(tx: Promise<unknown>): Promise<bigint> {
  return (await sentTx(tx)).gasUsed;
}

/** A mined transaction's gas and the calldata it carried. */
async function sentTx(tx: Promise<unknown>): Promise<{ gasUsed: bigint; data: string }> {
  const sent = (await tx) as { data: string; wait(): Promise<TransactionReceipt | null> };
  const receipt = await sent.wait();
  return { gasUsed: receipt!.gasUsed, data: sent.data };
}

/**
 * EIP-7623 (Prague, so Osaka): a transaction's calldata counts `zero bytes + 4 · other bytes`
 * tokens and the transaction pays at least `21,000 + 10 · tokens`, whatever it executes. The
 * floor binds when that is what it paid (`gasUsed` equal to it): then the calldata, not the
 * execution, sets the price.
 */
function calldataFloor(data: string): { bytes: number; zeroBytes: number; tokens: bigint; floorGas: bigint } {
  const bytes = ethers.getBytes(data);
  const zeroBytes = bytes.filter((b) => b === 0).length;
  const tokens = BigInt(zeroBytes + 4 * (bytes.length - zeroBytes));
  return { bytes: bytes.length, zeroBytes, tokens, floorGas: 21_000n + 10n * tokens };
}

/** Execution gas of a transaction that paid more than its EIP-7623 floor: gas less the intrinsic cost. */
function executionGas(tx: { gasUsed: bigint; data: string }): bigint {
  const c = calldataFloor(tx.data);
  if (tx.gasUsed <= c.floorGas) throw new Error("the floor binds: execution gas is not observable");
  return tx.gasUsed - 21_000n - 4n * c.tokens;
}

/**
 * The gas of a batch with the real verifier, from the same batch sent through the probe: the
 * probe's transaction less the probe's own call, or the EIP-7623 floor if that is more (the probe's
 * transaction may already pay the floor; then the real one pays it too).
 */
function withRealVerifier(probeTx: { gasUsed: bigint; data: string }) {
  const c = calldataFloor(probeTx.data);
  const gas = probeTx.gasUsed - probeOverhead;
  const floorBinds = gas <= c.floorGas;
  return { ...c, withVerifier: floorBinds ? c.floorGas : gas, floorBinds };
}

/** EIP-7825 (Osaka): no transaction may have a gas limit above 2^24, whatever the block's limit. */
const TX_GAS_LIMIT_CAP = 1n << 24n;

function as(contract: Contract, signer: { address: string }): Contract {
  return contract.connect(signer as never) as Contract;
}

/**
 * The rollup deployed for `profile` with the bench's fixed parties and oracle answers. `verifier`:
 * an address to use instead of the profile's generated verifier. `arbitraryGenesis`: the genesis
 * root is not the empty state's (accounts funded off-chain, or a mock verifier that accepts any
 * root).
 */
function deployRollup(
  profile: Profile,
  genesisStateRoot: bigint,
  opts: { verifier?: string; arbitraryGenesis?: boolean } = {},
) {
  return deployTessera(ethers, {
    profile,
    genesisStateRoot,
    feeAccount: { owner: feeOwner!.address, pkHash: 1n },
    insuranceFund: { owner: insuranceOwner!.address, pkHash: 2n },
    operator: operator!.address,
    admin: admin!.address,
    maxOracleAge: 3600n,
    forcedRequestDeadline: 86_400n,
    initialAnswers: [ETH, BTC],
    deployer: admin!,
    ...(opts.verifier === undefined ? {} : { verifier: opts.verifier }),
    ...(opts.arbitraryGenesis === true ? { unsafeArbitraryGenesis: true } : {}),
  });
}

/**
 * The rollup on a MockVerifier (gas of the contract's own work) or on `verifier` (the probe), alice
 * funded and approved.
 */
async function deploy(profile: Profile, genesisStateRoot: bigint, verifier?: string) {
  const address = verifier ?? (await (await ethers.deployContract("MockVerifier", [1], admin!)).getAddress());
  // Gas only: neither verifier checks the batch, so the genesis need not match the accounts.
  const d = await deployRollup(profile, genesisStateRoot, { verifier: address, arbitraryGenesis: true });
  await (await d.collateral.getFunction("mint")(alice!.address, FUNDS)).wait();
  await (await as(d.collateral, alice!).getFunction("approve")(await d.rollup.getAddress(), FUNDS)).wait();
  return d;
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
  const deposits = Array.from({ length: 2 * profile.deposits }, () => 0n);
  // The instrument table as a trading batch fills it: the ETH and BTC perpetuals (ids 1 and 2).
  const instruments = Array.from({ length: profile.instruments }, (_, i) => (i < 2 ? BigInt(i + 1) : 0n));
  return {
    newStateRoot,
    timestamp: BigInt(block!.timestamp),
    prices,
    priceRoundIds,
    settlements: zeros,
    settlementRoundIds: zeros,
    instruments,
    deposits,
  };
}

const report: Record<string, unknown> = {
  evm: `hardhat in-process EDR, hardfork ${hardfork}, solc 0.8.28 (evmVersion cancun) optimizer ${OPTIMIZER_RUNS} runs`,
  hardfork,
};

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
  const slots = packSlots([...depositData(2n, 1_000_000n), ...withdrawData(2n, 400_000n, 1n)]);
  const h = await header(d.feeds, profile, 2n);
  h.deposits[0] = BigInt(alice!.address);
  h.deposits[1] = 77n;
  await (await as(d.rollup, operator!).getFunction("submitBatch")(h, slots, Array(8).fill(0n))).wait();
  const claim = await gasOf(rollup.getFunction("claim")(alice!.address));
  report.userOperations = { register, firstDeposit, deposit, registerAndDeposit, requestForcedWithdrawal: forced, requestForcedClose: forcedClose, claim };
}

// ---------------------------------------------------------------- real proof, demo profile, all slots trades
// First: it measures the verifier and deploys the probe that every submitBatch figure below uses.
let verifier = 0;
let probe = "";
let probeOverhead = 0n;
{
  await initPoseidon();
  const profile = getProfile("demo");
  const built = await ensureProfileBuilt(profile.name, { quiet: true });
  const accounts = [2n, 3n, 4n, 5n];
  const fresh = (): RollupState => world(accounts.map(() => 10_000_000_000n), profile);
  // The accounts were funded off-chain (protocol's `world`): the genesis is that state.
  const deployAt = (verifierAddress?: string) =>
    deployRollup(profile, fresh().stateRoot, {
      arbitraryGenesis: true,
      ...(verifierAddress === undefined ? {} : { verifier: verifierAddress }),
    });
  const real = await deployAt();
  const mock = await ethers.deployContract("MockVerifier", [1], admin!);
  const mocked = await deployAt(await mock.getAddress());
  const batchFor = async (d: Awaited<ReturnType<typeof deployAt>>) => {
    const h = await header(d.feeds, profile, 0n);
    const t = h.timestamp;
    const trade = (maker: bigint, taker: bigint, id: bigint) => ({
      type: TxType.TRADE,
      maker: sign(order({ accountId: maker, side: Side.BUY, orderId: id, expiry: t + 3600n }), d.domain),
      taker: sign(order({ accountId: taker, side: Side.SELL, orderId: id, expiry: t + 3600n }), d.domain),
      size: 10_000n,
      price: 300_000n,
    });
    const builder = new BatchBuilder(fresh(), { timestamp: t, domain: d.domain, prices: h.prices, settlements: [] });
    for (const tx of [trade(2n, 3n, 1n), trade(4n, 5n, 1n), trade(3n, 2n, 2n), trade(5n, 4n, 2n)]) builder.add(tx);
    const batch = builder.close();
    return { batch, ...l1Calldata(batch, { priceRoundIds: h.priceRoundIds, settlementRoundIds: [] }) };
  };
  // Each deployment has its own domain, so each gets its own (equal-shaped) batch.
  const onMock = await batchFor(mocked);
  const mockTx = await sentTx(
    as(mocked.rollup, operator!).getFunction("submitBatch")(onMock.header, onMock.slots, Array(8).fill(0n)),
  );
  const onReal = await batchFor(real);
  const started = performance.now();
  const { proof } = await snarkjs.groth16.fullProve(toCircuitInput(onReal.batch), built.wasm, built.zkey);
  const proveSeconds = (performance.now() - started) / 1000;
  await releaseCurve();
  const packed = [...packProof(proof as Groth16ProofJson)];
  const commitment = (await real.rollup.getFunction("commitment")(onReal.header, onReal.slots)) as bigint;
  const realTx = await sentTx(as(real.rollup, operator!).getFunction("submitBatch")(onReal.header, onReal.slots, packed));
  verifier = Number(realTx.gasUsed) - Number(mockTx.gasUsed);
  // The probe: the same DemoVerifier checking this proof, inside a third deployment's batch.
  const demoVerifier = (await real.rollup.getFunction("verifier")()) as string;
  const probeContract = await ethers.deployContract("VerifierGasProbe", [demoVerifier, packed, commitment], admin!);
  probe = await probeContract.getAddress();
  const probed = await deployAt(probe);
  const onProbe = await batchFor(probed);
  const probeTx = await sentTx(
    as(probed.rollup, operator!).getFunction("submitBatch")(onProbe.header, onProbe.slots, Array(8).fill(0n)),
  );
  // What the probe's own call adds, in execution gas: the floor binds at neither (checked), so a
  // transaction's execution is its gas less 21,000 and 4 per calldata token.
  probeOverhead = executionGas(probeTx) - executionGas(realTx);
  if (probeOverhead <= 0n || probeOverhead > 20_000n) throw new Error(`probe overhead ${probeOverhead}: not one call`);
  report.realProof = {
    profile: "demo",
    slots: `${profile.nTx} trades, the deployment's first batch (it also initialises the price storage)`,
    submitBatch: realTx.gasUsed,
    perTrade: Math.round(Number(realTx.gasUsed) / profile.nTx),
    sameBatchMockVerifier: mockTx.gasUsed,
    groth16Verifier: verifier,
    sameBatchProbe: probeTx.gasUsed,
    probeOverhead,
    proveSeconds: Math.round(proveSeconds * 10) / 10,
  };
}

// ---------------------------------------------------------------- submitBatch per profile
/**
 * The trade every slot of the measured batches holds (its bytes set the calldata's price, zero
 * bytes being cheaper): what a prod trade looks like, 24-bit account ids, 1.2345 ETH at
 * 3,001.23 USD, and order ids as the SDK and the web app allocate them, counted up from the
 * venue's `nextOrderId` (one above the account's highest id): a market maker's millionth orders,
 * 1,000,017 and 1,000,042 (3 nonzero bytes of the 4 a slot posts), in the ETH perpetual (entry 0 of
 * the header's instrument table).
 */
const TRADE = tradeData({
  maker: 1_234_567n,
  taker: 7_654_321n,
  size: 12_345n,
  price: 300_123n,
  takerSide: Side.BUY,
  makerOrderId: 1_000_017n,
  takerOrderId: 1_000_042n,
  instrumentIndex: 0n,
});

/**
 * `submitBatch` of `profile` on a fresh deployment on a MockVerifier, or on `verifierAddress` (the
 * probe): a batch of no-ops, then one of nTx trades. The first batch initialises storage (prices,
 * counters); both measured batches are steady state after it. The prod figure and the batch-size
 * sweep both come from here.
 */
async function measureSubmitBatch(profile: Profile, verifierAddress?: string) {
  const d = await deploy(profile, 1n, verifierAddress);
  const submit = (slots: bigint[], root: bigint) =>
    header(d.feeds, profile, root).then((h) =>
      sentTx(as(d.rollup, operator!).getFunction("submitBatch")(h, packSlots(slots), Array(8).fill(0n))),
    );
  await submit(Array(2 * profile.nTx).fill(0n), 2n);
  const noops = await submit(Array(2 * profile.nTx).fill(0n), 2n);
  const trades = await submit(Array.from({ length: profile.nTx }, () => [...TRADE]).flat(), 3n);
  return { noops: noops.gasUsed, trades };
}

/**
 * `profile`'s all-trades batch measured on a MockVerifier (the contract's own cost) and through the
 * probe (the whole transaction with the real verifier, the EIP-7623 floor applied to that total).
 */
async function measureProfile(profile: Profile) {
  const { noops, trades } = await measureSubmitBatch(profile);
  const probed = await measureSubmitBatch(profile, probe);
  const c = calldataFloor(trades.data);
  if (trades.gasUsed < c.floorGas) throw new Error(`nTx ${profile.nTx}: paid ${trades.gasUsed}, below the floor`);
  const total = withRealVerifier(probed.trades);
  return {
    nTx: profile.nTx,
    publicInputs: 1,
    commitmentBytes: commitmentBytes(profile),
    calldataBytes: total.bytes,
    calldataZeroBytes: total.zeroBytes,
    calldataTokens: total.tokens,
    floorGas: total.floorGas,
    contractOnlyAllNoops: noops,
    contractOnlyAllTrades: trades.gasUsed,
    contractOnlyPerTrade: Math.round(Number(trades.gasUsed) / profile.nTx),
    groth16Verify: verifier,
    withVerifier: total.withVerifier,
    floorBinds: total.floorBinds,
    totalPerTrade: Math.round(Number(total.withVerifier) / profile.nTx),
  };
}

/** Bytes the batch commitment hashes (docs/protocol.md §8): the sum of the public data's widths. */
const commitmentBytes = (p: Profile): number => publicDataWidths(p).reduce((a, b) => a + b, 0);

const batches: Record<string, unknown> = {};
for (const name of PROFILE_NAMES) batches[name] = await measureProfile(getProfile(name));
report.submitBatch = batches;

// ---------------------------------------------------------------- batch-size sweep (prod depths, nTx varied)
// nTx is a constructor parameter of the rollup (and of the circuit): the same prod profile with
// a larger batch is what a larger prod batch would cost on L1.
const latest = await ethers.provider.getBlock("latest");
const sweep = {
  profile: "prod",
  sizes: [...BATCH_SIZES],
  slots: "every slot the same trade, like submitBatch.prod; steady state (after a first and a no-op batch)",
  blockGasLimit: latest!.gasLimit,
  txGasLimitCap: TX_GAS_LIMIT_CAP,
  batches: {} as Record<string, unknown>,
};
for (const nTx of BATCH_SIZES) {
  const point = await measureProfile({ ...getProfile("prod"), nTx });
  sweep.batches[String(nTx)] = {
    ...point,
    belowTxGasLimitCap: point.withVerifier <= TX_GAS_LIMIT_CAP,
    belowBlockGasLimit: point.withVerifier <= latest!.gasLimit,
  };
}
report.batchSizeSweep = sweep;

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
  // The second deposit waits at the head, queued behind the first: its deadline is 86,400 s plus
  // one operation's share (`overdueAt`).
  await passHeadsDeadline(ethers, rollup);
  const head = (await rollup.getFunction("queueHead")()) as bigint;
  const activateExodus = await gasOf(rollup.getFunction("activateExodus")(head));
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
  const d = await deployRollup(profile, state.stateRoot);
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
  report.testRealProof = { profile: "test", slots: "deposit + withdrawal (first batch)", submitBatch: gas };
}

const json = JSON.stringify(report, (_, v: unknown) => (typeof v === "bigint" ? Number(v) : v), 2);
writeFileSync(new URL("./gas.json", import.meta.url), `${json}\n`);
console.log(json);
