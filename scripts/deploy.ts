/**
 * Deploys a Tessera rollup: the Poseidon hashers the exodus needs, the collateral token and
 * oracle feeds unless given, and `TesseraRollup` itself. Used by the contract tests, the demo
 * and the end-to-end test; the caller brings the genesis state root and the system accounts
 * (protocol/state.ts `RollupState.genesis`), and the verifier unless the profile's generated one
 * (`contracts/generated/<Profile>Verifier.sol`, e.g. `TestVerifier`) should be deployed.
 *
 * Guards (issue 14, F16):
 * - the genesis state root must be `RollupState.genesis(profile, system accounts)`'s root for the
 *   fee account and insurance fund given here (the contract cannot hash the empty order tree);
 * - a generated verifier whose source says TEST-ONLY (keys from the local known-tau ceremony:
 *   anyone can forge proofs) is deployed only on the local development chain (31337), unless
 *   `allowTestOnlyVerifier` is set (tests that run on another chain id).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { poseidonContract } from "circomlibjs";
import type { Contract } from "ethers";
import { initPoseidon } from "../protocol/poseidon.ts";
import { RollupState } from "../protocol/state.ts";
import type { Profile } from "../protocol/types.ts";
import { verifierContractName } from "./zk/build.ts";

/** Chain id of the local development chain (Hardhat), the only one a TEST-ONLY verifier may go to. */
export const DEV_CHAIN_ID = 31_337n;

/** Refused deployments (a TEST-ONLY verifier on a real chain, a genesis root that is not the genesis). */
export class DeployError extends Error {
  constructor(
    readonly code: "TEST_ONLY_VERIFIER" | "GENESIS_MISMATCH",
    message: string,
  ) {
    super(message);
    this.name = "DeployError";
  }
}

/** Owner address and trading-key hash of a system account (0 fee account, 1 insurance fund). */
export interface SystemAccount {
  readonly owner: string;
  readonly pkHash: bigint;
}

export interface DeployOptions {
  readonly profile: Profile;
  /** `RollupState.genesis(profile, ...).stateRoot`. */
  readonly genesisStateRoot: bigint;
  readonly feeAccount: SystemAccount;
  readonly insuranceFund: SystemAccount;
  /** Submits batches. */
  readonly operator: string;
  /** Can rotate the operator and nothing else. */
  readonly admin: string;
  /** Seconds; 3600 on a real network. */
  readonly maxOracleAge: bigint;
  /** Seconds a priority operation may wait before the exodus can start. */
  readonly forcedRequestDeadline: bigint;
  /** Seconds a batch's timestamp may lag the block that accepts it; default 3600. */
  readonly maxBatchLag?: bigint;
  /**
   * Seconds a price round stays usable after the next round was updated; default
   * DEFAULT_PRICE_ROUND_GRACE. 0 is the strict rule (only the round in force at the batch time).
   */
  readonly priceRoundGrace?: bigint;
  /** Timelock of a feed change; default `forcedRequestDeadline` + 1 day (it must exceed the deadline). */
  readonly feedChangeDelay?: bigint;
  /** Exodus claim window in seconds; default 7 days. */
  readonly exitClaimWindow?: bigint;
  /** TESTS ONLY: deploy a TEST-ONLY generated verifier on a chain other than 31337. */
  readonly allowTestOnlyVerifier?: boolean;
  /**
   * TESTS ONLY: accept a genesis root that is not the genesis of the system accounts (unit tests
   * that never prove or exit use an arbitrary root).
   */
  readonly unsafeArbitraryGenesis?: boolean;
  /** Verifier address; default: deploy the profile's generated verifier. */
  readonly verifier?: string;
  /** Collateral token address; default: deploy `TestUSDC` owned by the deployer. */
  readonly collateral?: string;
  /** One feed per underlying (index u-1); default: deploy a `MockAggregator` per underlying. */
  readonly feeds?: readonly string[];
  /** First answers (8 decimals) of the deployed mock feeds, index u-1; default none pushed. */
  readonly initialAnswers?: readonly bigint[];
  /** Deploys everything; default: the first signer. */
  readonly deployer?: HardhatEthersSigner;
}

export interface TesseraDeployment {
  readonly rollup: Contract;
  readonly collateral: Contract;
  readonly feeds: readonly Contract[];
  readonly verifier: string;
  /** Hasher address by Poseidon arity. */
  readonly hashers: ReadonlyMap<number, string>;
  /** Signature domain of the deployment (docs/protocol.md §2). */
  readonly domain: bigint;
}

/** Feed descriptions of the mock oracles, index u-1 (protocol/instruments.ts UNDERLYINGS order). */
const FEED_NAMES = ["ETH / USD", "BTC / USD", "SOL / USD"];

/** Poseidon arities the rollup calls during exit (docs/protocol.md §4): state root, tree nodes, leaf, pairs, global. */
export function hasherArities(profile: Profile): number[] {
  const arities = new Set([2, 4, 5, 6, 1 + 2 * profile.underlyings]);
  if (profile.positions > 2) arities.add(profile.positions / 2);
  return [...arities].sort((a, b) => a - b);
}

/** Deploys circomlibjs' `poseidon(uint256[n])` contract for each arity the profile needs. */
export async function deployHashers(
  ethers: HardhatEthers,
  profile: Profile,
  deployer: HardhatEthersSigner,
): Promise<Map<number, string>> {
  const hashers = new Map<number, string>();
  for (const n of hasherArities(profile)) {
    const factory = new ethers.ContractFactory([], poseidonContract.createCode(n), deployer);
    const hasher = await factory.deploy();
    await hasher.waitForDeployment();
    hashers.set(n, await hasher.getAddress());
  }
  return hashers;
}

async function deployed(contract: Contract): Promise<Contract> {
  await contract.waitForDeployment();
  return contract;
}

/** Default timing parameters of `deployTessera` (seconds). */
export const DEFAULT_MAX_BATCH_LAG = 3600n;
export const DEFAULT_EXIT_CLAIM_WINDOW = 7n * 86_400n;
/**
 * The venue stamps a batch when it opens, with the rounds its L1 watcher has seen; a round
 * updated just before (polling, confirmations, a backdated mock round) is seen a few seconds
 * late. 15 s covers that; the operator's choice of price is then the rounds in force during the
 * 15 s before the batch time.
 */
export const DEFAULT_PRICE_ROUND_GRACE = 15n;
const ONE_DAY = 86_400n;

/** Whether the generated verifier source of `contractName` is marked TEST-ONLY (local ceremony). */
export function isTestOnlyVerifier(contractName: string): boolean {
  const file = fileURLToPath(new URL(`../contracts/generated/${contractName}.sol`, import.meta.url));
  try {
    return /TEST-ONLY/.test(readFileSync(file, "utf8").slice(0, 2_000));
  } catch {
    return false;
  }
}

/** Throws DeployError unless `genesisStateRoot` is the genesis of the given system accounts. */
export async function checkGenesisRoot(opts: DeployOptions): Promise<bigint> {
  await initPoseidon();
  const expected = RollupState.genesis(opts.profile, {
    feeAccount: { pkHash: opts.feeAccount.pkHash, owner: BigInt(opts.feeAccount.owner) },
    insurance: { pkHash: opts.insuranceFund.pkHash, owner: BigInt(opts.insuranceFund.owner) },
  }).stateRoot;
  if (expected !== opts.genesisStateRoot)
    throw new DeployError(
      "GENESIS_MISMATCH",
      `genesis root ${opts.genesisStateRoot} is not the genesis of these system accounts (${expected})`,
    );
  return expected;
}

export async function deployTessera(ethers: HardhatEthers, opts: DeployOptions): Promise<TesseraDeployment> {
  const deployer = opts.deployer ?? (await ethers.getSigners())[0]!;
  const { profile } = opts;
  if (opts.unsafeArbitraryGenesis !== true) await checkGenesisRoot(opts);
  const verifierName = verifierContractName(profile.name);
  if (opts.verifier === undefined && isTestOnlyVerifier(verifierName) && opts.allowTestOnlyVerifier !== true) {
    const { chainId } = await ethers.provider.getNetwork();
    if (chainId !== DEV_CHAIN_ID)
      throw new DeployError(
        "TEST_ONLY_VERIFIER",
        `${verifierName} is TEST-ONLY (local known-tau ceremony: anyone can forge proofs); refusing chain ${chainId}. ` +
          "Build the profile with a public ceremony file (TESSERA_PTAU) or pass a verifier address.",
      );
  }

  const collateral = opts.collateral
    ? await ethers.getContractAt("TestUSDC", opts.collateral, deployer)
    : await deployed(await ethers.deployContract("TestUSDC", [deployer.address], deployer));

  let feeds: Contract[];
  if (opts.feeds) {
    if (opts.feeds.length !== profile.underlyings) {
      throw new RangeError(
        `profile ${profile.name} has ${profile.underlyings} underlyings, got ${opts.feeds.length} feeds`,
      );
    }
    feeds = await Promise.all(opts.feeds.map((a) => ethers.getContractAt("MockAggregator", a, deployer)));
  } else {
    feeds = [];
    for (let u = 0; u < profile.underlyings; u++) {
      const feed = await deployed(
        await ethers.deployContract("MockAggregator", [FEED_NAMES[u] ?? `U${u + 1} / USD`, deployer.address], deployer),
      );
      const answer = opts.initialAnswers?.[u];
      if (answer !== undefined) await (await feed.getFunction("pushAnswer")(answer)).wait();
      feeds.push(feed);
    }
  }

  const verifier =
    opts.verifier ?? (await (await deployed(await ethers.deployContract(verifierName, [], deployer))).getAddress());

  const hashers = await deployHashers(ethers, profile, deployer);
  const poseidonHashers = Array.from({ length: 8 }, (_, i) => hashers.get(i + 1) ?? ethers.ZeroAddress);

  const config = {
    collateral: await collateral.getAddress(),
    feeds: await Promise.all(feeds.map((f) => f.getAddress())),
    verifier,
    profile: {
      nTx: profile.nTx,
      settlements: profile.settlements,
      accountDepth: profile.accountDepth,
      positions: profile.positions,
      deposits: profile.deposits,
      instruments: profile.instruments,
    },
    genesisStateRoot: opts.genesisStateRoot,
    feeAccountOwner: opts.feeAccount.owner,
    feeAccountPkHash: opts.feeAccount.pkHash,
    insuranceFundOwner: opts.insuranceFund.owner,
    insuranceFundPkHash: opts.insuranceFund.pkHash,
    operator: opts.operator,
    admin: opts.admin,
    maxOracleAge: opts.maxOracleAge,
    forcedRequestDeadline: opts.forcedRequestDeadline,
    maxBatchLag: opts.maxBatchLag ?? DEFAULT_MAX_BATCH_LAG,
    priceRoundGrace: opts.priceRoundGrace ?? DEFAULT_PRICE_ROUND_GRACE,
    feedChangeDelay: opts.feedChangeDelay ?? opts.forcedRequestDeadline + ONE_DAY,
    exitClaimWindow: opts.exitClaimWindow ?? DEFAULT_EXIT_CLAIM_WINDOW,
    poseidonHashers,
  };
  const rollup = await deployed(await ethers.deployContract("TesseraRollup", [config], deployer));
  const domain = (await rollup.getFunction("domain")()) as bigint;
  return { rollup, collateral, feeds, verifier, hashers, domain };
}
