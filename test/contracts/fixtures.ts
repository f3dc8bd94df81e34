/**
 * Shared set-up of the contract tests: a `test`-profile rollup on the in-process network with a
 * MockVerifier (unit tests only), funded users, and builders of batch calldata whose public data
 * comes from protocol/pubdata.ts.
 */
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { Contract } from "ethers";
import { batchCommitment } from "../../protocol/commitment.ts";
import { getProfile } from "../../protocol/profiles.ts";
import { packSlots, unpackSlots } from "../../protocol/pubdata.ts";
import type { Profile } from "../../protocol/types.ts";
import { deployTessera } from "../../scripts/deploy.ts";
import { publicDataFromCalldata } from "../../web/lib/batchProof.ts";
import type { TesseraDeployment } from "../../scripts/deploy.ts";

export const PROFILE: Profile = getProfile("test");
/** Words of the public data the commitment hashes: 4 + U + K + I + 2·D + 2·nTx. */
export const N_DATA =
  4 + PROFILE.underlyings + PROFILE.settlements + PROFILE.instruments + 2 * PROFILE.deposits + 2 * PROFILE.nTx;
/** Bytes of a slot in `submitBatch`'s `slots` and in the commitment: f0 in 16, then f1 in 8 (§7). */
export const SLOT_BYTES = 24;
/** Bytes the commitment hashes: 100 + 5·U + 10·K + 11·I + 52·D + 24·nTx (docs/protocol.md §8). */
export const COMMITMENT_BYTES =
  100 +
  5 * PROFILE.underlyings +
  10 * PROFILE.settlements +
  11 * PROFILE.instruments +
  52 * PROFILE.deposits +
  SLOT_BYTES * PROFILE.nTx;
/** Public inputs of every profile's verifier: the commitment. */
export const N_PUBLIC = 1;
export const MAX_ORACLE_AGE = 3600n;
export const FORCED_DEADLINE = 7n * 86_400n;
export const MAX_BATCH_LAG = 3600n;
export const EXIT_CLAIM_WINDOW = 3n * 86_400n;
/** `deployTessera`'s default feed-change timelock: the forced-request deadline + 1 day. */
export const FEED_CHANGE_DELAY = FORCED_DEADLINE + 86_400n;
/** 8-decimal feed answers: ETH 3,000.12345678 and BTC 60,000.5 USD. */
export const ETH_ANSWER = 300_012_345_678n;
export const BTC_ANSWER = 6_000_050_000_000n;
export const FEE_PK_HASH = 111n;
export const INSURANCE_PK_HASH = 222n;
/** Arbitrary genesis root for tests that do not exercise the exit proof. */
export const GENESIS_ROOT = 0x1234n;
export const USER_FUNDS = 1_000_000_000_000n; // 1,000,000 USDC

export interface BatchHeader {
  newStateRoot: bigint;
  timestamp: bigint;
  prices: bigint[];
  priceRoundIds: bigint[];
  settlements: bigint[];
  settlementRoundIds: bigint[];
  /** I instrument-table words: the instruments the batch's trades and liquidations name, then zeros. */
  instruments: bigint[];
  /** D deposit records, 2·D words: (owner, pkHash) of each deposit slot in order, then zeros. */
  deposits: bigint[];
}

/** A deposit record: the L1 owner (address or its value) and key hash of one deposit slot. */
export interface DepositRecordOf {
  readonly owner: string | bigint;
  readonly pkHash: bigint;
}

export interface Fixture extends TesseraDeployment {
  readonly ethers: HardhatEthers;
  readonly mock: Contract;
  readonly admin: HardhatEthersSigner;
  readonly operator: HardhatEthersSigner;
  readonly alice: HardhatEthersSigner;
  readonly bob: HardhatEthersSigner;
  readonly carol: HardhatEthersSigner;
  readonly feeOwner: HardhatEthersSigner;
  readonly insuranceOwner: HardhatEthersSigner;
}

export interface FixtureOptions {
  /** Collateral token; default a fresh TestUSDC. */
  readonly collateral?: string;
  /** Genesis root and system keys; default the arbitrary constants above. */
  readonly genesisStateRoot?: bigint;
  readonly feePkHash?: bigint;
  readonly insurancePkHash?: bigint;
}

/** Deploys a test-profile rollup around a MockVerifier and funds alice, bob and carol. */
export async function deployWithMockVerifier(ethers: HardhatEthers, options: FixtureOptions = {}): Promise<Fixture> {
  const [admin, operator, alice, bob, carol, feeOwner, insuranceOwner] = await ethers.getSigners();
  const mock = await ethers.deployContract("MockVerifier", [N_PUBLIC], admin);
  await mock.waitForDeployment();
  const deployment = await deployTessera(ethers, {
    profile: PROFILE,
    genesisStateRoot: options.genesisStateRoot ?? GENESIS_ROOT,
    feeAccount: { owner: feeOwner!.address, pkHash: options.feePkHash ?? FEE_PK_HASH },
    insuranceFund: { owner: insuranceOwner!.address, pkHash: options.insurancePkHash ?? INSURANCE_PK_HASH },
    operator: operator!.address,
    admin: admin!.address,
    maxOracleAge: MAX_ORACLE_AGE,
    forcedRequestDeadline: FORCED_DEADLINE,
    maxBatchLag: MAX_BATCH_LAG,
    priceRoundGrace: 0n,
    exitClaimWindow: EXIT_CLAIM_WINDOW,
    verifier: await mock.getAddress(),
    unsafeArbitraryGenesis: options.genesisStateRoot === undefined,
    initialAnswers: [ETH_ANSWER, BTC_ANSWER],
    deployer: admin!,
    ...(options.collateral === undefined ? {} : { collateral: options.collateral }),
  });
  const rollupAddress = await deployment.rollup.getAddress();
  for (const user of [alice!, bob!, carol!]) {
    await (await deployment.collateral.getFunction("mint").send(user.address, USER_FUNDS)).wait();
    const token = deployment.collateral.connect(user) as Contract;
    await (await token.getFunction("approve").send(rollupAddress, USER_FUNDS)).wait();
  }
  return {
    ...deployment,
    ethers,
    mock,
    admin: admin!,
    operator: operator!,
    alice: alice!,
    bob: bob!,
    carol: carol!,
    feeOwner: feeOwner!,
    insuranceOwner: insuranceOwner!,
  };
}

/** `⌊answer / 10^(decimals − 2)⌋` for the 8-decimal mock feeds. */
export function cents(answer: bigint): bigint {
  return answer / 1_000_000n;
}

/** The latest round of every feed: its id and the price in cents. */
export async function latestPrices(feeds: readonly Contract[]): Promise<{ prices: bigint[]; roundIds: bigint[] }> {
  const prices: bigint[] = [];
  const roundIds: bigint[] = [];
  for (const feed of feeds) {
    const [roundId, answer] = (await feed.getFunction("latestRoundData")()) as [bigint, bigint];
    prices.push(cents(answer));
    roundIds.push(roundId);
  }
  return { prices, roundIds };
}

/** Timestamp of the latest block. */
export async function now(ethers: HardhatEthers): Promise<bigint> {
  const block = await ethers.provider.getBlock("latest");
  return BigInt(block!.timestamp);
}

/**
 * Moves the chain just past the queue head's deadline (`overdueAt(queueHead)`: the fixed
 * `forcedRequestDeadline`, plus a share for each operation that was ahead of the head when it was
 * queued), so that `activateExodus` succeeds in the next block.
 */
export async function passHeadsDeadline(ethers: HardhatEthers, rollup: Contract): Promise<void> {
  const head = (await rollup.getFunction("queueHead")()) as bigint;
  const overdueAt = (await rollup.getFunction("overdueAt")(head)) as bigint;
  const wait = overdueAt + 1n - (await now(ethers));
  if (wait > 0n) {
    await ethers.provider.send("evm_increaseTime", [Number(wait)]);
    await ethers.provider.send("evm_mine", []);
  }
}

/**
 * A header at the latest block's time with the feeds' latest rounds, no settlement, the deposit
 * records `deposits` (the batch's deposit slots' owners and keys, in slot order) and the
 * instrument table `instruments` (padded with zeros to I entries).
 */
export async function headerNow(
  f: Fixture,
  newStateRoot: bigint,
  deposits: readonly DepositRecordOf[] = [],
  instruments: readonly bigint[] = [],
): Promise<BatchHeader> {
  const { prices, roundIds } = await latestPrices(f.feeds);
  return {
    newStateRoot,
    timestamp: await now(f.ethers),
    prices,
    priceRoundIds: roundIds,
    settlements: Array.from({ length: PROFILE.settlements }, () => 0n),
    settlementRoundIds: Array.from({ length: PROFILE.settlements }, () => 0n),
    instruments: tableOf(instruments),
    deposits: recordsOf(deposits),
  };
}

/** The header's instrument table: `instruments` padded with zeros to the profile's I entries. */
export function tableOf(instruments: readonly bigint[]): bigint[] {
  if (instruments.length > PROFILE.instruments) throw new RangeError(`at most ${PROFILE.instruments} instruments`);
  return Array.from({ length: PROFILE.instruments }, (_, i) => instruments[i] ?? 0n);
}

/** The header's deposit table: `records` as words `owner, pkHash`, padded with (0, 0) to D records. */
export function recordsOf(records: readonly DepositRecordOf[]): bigint[] {
  if (records.length > PROFILE.deposits) throw new RangeError(`at most ${PROFILE.deposits} deposit records`);
  const out = records.flatMap((r) => [BigInt(r.owner), r.pkHash]);
  while (out.length < 2 * PROFILE.deposits) out.push(0n);
  return out;
}

/** Slot public data as words `f0, f1`, padded with no-ops to nTx slots. */
export function slotWords(data: readonly (readonly [bigint, bigint])[]): bigint[] {
  if (data.length > PROFILE.nTx) throw new RangeError(`at most ${PROFILE.nTx} slots`);
  const out = data.flatMap(([f0, f1]) => [f0, f1]);
  while (out.length < 2 * PROFILE.nTx) out.push(0n);
  return out;
}

/** `submitBatch`'s `slots` for that data: 24 bytes per slot (protocol/'s `packSlots`). */
export function slotsOf(data: readonly (readonly [bigint, bigint])[]): `0x${string}` {
  return packSlots(slotWords(data));
}

/**
 * Reference public data of docs/protocol.md §8, computed independently of the contract: the web
 * app's reading of the same calldata (web/lib/batchProof.ts), which checks proofs in the browser.
 */
export function referencePublicData(oldRoot: bigint, header: BatchHeader, slots: string, domain: bigint): bigint[] {
  return publicDataFromCalldata(oldRoot, domain, header, unpackSlots(slots));
}

/** The verifier's one public input for that data: protocol/'s `batchCommitment`. */
export function referenceCommitment(oldRoot: bigint, header: BatchHeader, slots: string, domain: bigint): bigint {
  return batchCommitment(PROFILE, referencePublicData(oldRoot, header, slots, domain));
}

export const ZERO_PROOF: bigint[] = Array.from({ length: 8 }, () => 0n);

/** `values` padded with zeros to the profile's K settlement records (or their round ids). */
export function padK(values: readonly bigint[]): bigint[] {
  if (values.length > PROFILE.settlements) throw new RangeError(`at most ${PROFILE.settlements} records`);
  return Array.from({ length: PROFILE.settlements }, (_, i) => values[i] ?? 0n);
}

/** The fixture's rollup again, with other feeds (same system accounts, MockVerifier). */
export async function deployWithFeeds(f: Fixture, feeds: readonly string[], priceRoundGrace = 0n): Promise<Fixture> {
  const d = await deployTessera(f.ethers, {
    profile: PROFILE,
    genesisStateRoot: 1n,
    unsafeArbitraryGenesis: true,
    feeAccount: { owner: f.feeOwner.address, pkHash: 1n },
    insuranceFund: { owner: f.insuranceOwner.address, pkHash: 2n },
    operator: f.operator.address,
    admin: f.admin.address,
    maxOracleAge: 3600n,
    forcedRequestDeadline: FORCED_DEADLINE,
    priceRoundGrace,
    verifier: await f.mock.getAddress(),
    feeds,
  });
  return { ...f, ...d };
}
