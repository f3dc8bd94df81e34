/**
 * The pieces of a local Tessera stack, shared by `npm run demo` and the end-to-end test:
 * Hardhat node, contract deployment, sequencer (with L1 watcher, submitter and provers) and
 * the market-maker bot, each a child process in its own process group (processes.ts).
 *
 * DEVELOPMENT KEYS ONLY: every key here is one of Hardhat's well-known development accounts
 * (the public mnemonic `test test … junk`). They hold value on no real network; never use them
 * anywhere else.
 */
import { execFile } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { HDNodeWallet, type Contract } from "ethers";
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { getProfile } from "../../protocol/profiles.ts";
import { RollupState } from "../../protocol/state.ts";
import { TradingKey } from "../../sdk/keys.ts";
import { deployTessera, type TesseraDeployment } from "../deploy.ts";
import { ROOT } from "../zk/compile.ts";
import { DEV_MNEMONIC, DEV_ROLES } from "./devAccounts.ts";
import { DemoError } from "./errors.ts";
import { pushRound, wallSeconds } from "./oracle.ts";
import { startProcess, stopProcess, waitForLine, type Managed } from "./processes.ts";
import { snapshotsFile } from "../../sequencer/journal/snapshot-store.ts";

export { DEV_MNEMONIC, DEV_ROLES } from "./devAccounts.ts";

/** Hardhat's development account `index` (m/44'/60'/0'/0/index). DEVELOPMENT ONLY. */
export function devWallet(index: number): HDNodeWallet {
  return HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`);
}

const HARDHAT_CLI = path.join(ROOT, "node_modules/hardhat/dist/src/cli.js");

/** Initial oracle answers (8 decimals) of the mock feeds: ETH 3,000.00 and BTC 60,000.00 USD. */
export const INITIAL_ANSWERS: readonly bigint[] = [300_000_000_000n, 6_000_000_000_000n];
/** Feed answers have 8 decimals, protocol prices are cents. */
export const ANSWER_PER_CENT = 1_000_000n;

/** Compiles the contracts (a no-op when up to date). */
export async function buildContracts(): Promise<void> {
  await promisify(execFile)(process.execPath, [HARDHAT_CLI, "build"], { cwd: ROOT });
}

/** Fails fast when something already answers on `port` (another demo, a stray node). */
export async function assertPortFree(port: number, what: string): Promise<void> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    if (cause?.code === "ECONNREFUSED") return;
  }
  throw new DemoError("PORT_IN_USE", `port ${port} (${what}) is in use; stop what runs there or pick another port`);
}

/** Starts a Hardhat node on 127.0.0.1:`port`; resolves once it serves JSON-RPC. */
export async function startChain(port: number): Promise<Managed> {
  const node = startProcess({
    name: "hardhat node",
    command: process.execPath,
    args: [HARDHAT_CLI, "node", "--hostname", "127.0.0.1", "--port", String(port)],
    cwd: ROOT,
  });
  try {
    await waitForLine(node, (l) => (l.includes("Started HTTP") ? true : undefined), 120_000);
  } catch (e) {
    await stopProcess(node);
    throw e;
  }
  return node;
}

/** A deployed rollup with its system accounts. */
export interface Deployed {
  readonly profile: string;
  readonly deployment: TesseraDeployment;
  readonly rollup: string;
  readonly collateral: string;
  readonly feeds: readonly string[];
  readonly deployBlock: number;
  readonly fee: { readonly pkHash: bigint; readonly owner: string };
  readonly insurance: { readonly pkHash: bigint; readonly owner: string };
  readonly genesisRoot: bigint;
}

/**
 * Deploys the rollup for `profile` with the generated verifier; the fee account and the
 * insurance fund use trading keys derived (as the web app does) from development accounts 3
 * and 4. The mock feeds start at INITIAL_ANSWERS (oracle.ts `pushRound`).
 */
export async function deployStack(
  ethers: HardhatEthers,
  profileName: string,
  opts: { maxOracleAge?: bigint; forcedRequestDeadline?: bigint } = {},
): Promise<Deployed> {
  const profile = getProfile(profileName);
  const signers = await ethers.getSigners();
  const signer = (i: number): HardhatEthersSigner => signers[i]!;
  const feeKey = await TradingKey.fromWallet(devWallet(DEV_ROLES.feeOwner));
  const insuranceKey = await TradingKey.fromWallet(devWallet(DEV_ROLES.insuranceOwner));
  const fee = { pkHash: feeKey.pkHash, owner: signer(DEV_ROLES.feeOwner).address };
  const insurance = { pkHash: insuranceKey.pkHash, owner: signer(DEV_ROLES.insuranceOwner).address };
  const genesisRoot = RollupState.genesis(profile, {
    feeAccount: { pkHash: fee.pkHash, owner: BigInt(fee.owner) },
    insurance: { pkHash: insurance.pkHash, owner: BigInt(insurance.owner) },
  }).stateRoot;
  const deployBlock = await ethers.provider.getBlockNumber();
  const deployment = await deployTessera(ethers, {
    profile,
    genesisStateRoot: genesisRoot,
    feeAccount: fee,
    insuranceFund: insurance,
    operator: signer(DEV_ROLES.operator).address,
    admin: signer(DEV_ROLES.admin).address,
    maxOracleAge: opts.maxOracleAge ?? 3600n,
    forcedRequestDeadline: opts.forcedRequestDeadline ?? 7n * 86_400n,
    deployer: signer(DEV_ROLES.admin),
  });
  for (const [i, feed] of deployment.feeds.entries()) await pushRound(feed, INITIAL_ANSWERS[i]!, wallSeconds());
  return {
    profile: profileName,
    deployment,
    rollup: await deployment.rollup.getAddress(),
    collateral: await deployment.collateral.getAddress(),
    feeds: await Promise.all(deployment.feeds.map((f) => f.getAddress())),
    deployBlock,
    fee,
    insurance,
    genesisRoot,
  };
}

/**
 * Registers `wallet`'s trading key and deposits `amount` (USDC base units) through the real L1
 * path: mint (the deployer owns TestUSDC), approve, `registerAndDeposit`. Returns the account id.
 */
export async function depositOnL1(
  d: Deployed,
  deployer: HardhatEthersSigner,
  wallet: HardhatEthersSigner,
  pkHash: bigint,
  amount: bigint,
): Promise<bigint> {
  const usdc = d.deployment.collateral;
  await (await (usdc.connect(deployer) as Contract).getFunction("mint")(wallet.address, amount)).wait();
  await (await (usdc.connect(wallet) as Contract).getFunction("approve")(d.rollup, amount)).wait();
  const rollup = d.deployment.rollup.connect(wallet) as Contract;
  const receipt = await (await rollup.getFunction("registerAndDeposit")(pkHash, amount)).wait();
  for (const log of receipt!.logs) {
    const parsed = d.deployment.rollup.interface.parseLog(log);
    if (parsed?.name === "AccountRegistered") return parsed.args.getValue("accountId") as bigint;
  }
  throw new DemoError("NO_ACCOUNT_EVENT", "registerAndDeposit emitted no AccountRegistered");
}

/**
 * Registers `count` more insurance fund accounts through the real L1 path: the fund's L1 owner
 * registers account 1's trading key again with a small deposit (`depositOnL1`), and every account
 * with that owner and key is an insurance fund account (docs/protocol.md §4.1). Each adds P
 * position slots for liquidations and forced closes to use; the venue opens an instrument to
 * trading only while the fund has a free slot for it (docs/deployment.md, "Insurance fund
 * capacity"). Returns the account ids.
 */
export async function registerFundAccounts(
  d: Deployed,
  deployer: HardhatEthersSigner,
  fundOwner: HardhatEthersSigner,
  count: number,
): Promise<bigint[]> {
  if (fundOwner.address.toLowerCase() !== d.insurance.owner.toLowerCase())
    throw new DemoError(
      "NOT_FUND_OWNER",
      `${fundOwner.address} is not the insurance fund's owner ${d.insurance.owner}`,
    );
  const ids: bigint[] = [];
  for (let k = 0; k < count; k++) ids.push(await depositOnL1(d, deployer, fundOwner, d.insurance.pkHash, FUND_DEPOSIT));
  return ids;
}

/** What each further insurance fund account is opened with: 1 USDC (base units). */
const FUND_DEPOSIT = 1_000_000n;

/** Insurance fund accounts (account 1 included) that give every one of `instruments` a slot at `positions` slots each. */
export function fundAccountsFor(instruments: number, positions: number): number {
  return Math.ceil(instruments / positions);
}

export interface SequencerOptions {
  readonly deployed: Deployed;
  readonly rpcUrl: string;
  readonly port: number;
  readonly dbFile: string;
  readonly adminToken: string;
  readonly provers: number;
  readonly optionWeeks?: number;
  /** Further option expiries, unix seconds (short-dated series; `TESSERA_OPTION_EXPIRIES`). */
  readonly optionExpiries?: readonly bigint[];
  /** Option strikes listed either side of the money (default: the venue's, 3). */
  readonly strikesEachSide?: number;
  readonly pollMs?: number;
  /**
   * `TESSERA_BATCH_MAX_AGE_MS` (default 8000). The venue timer first runs a quarter of it after
   * the start, and its first job is the genesis FUNDING; it must come after the watcher's first
   * poll has brought the feeds' round ids, or batch 1 carries round id 0 and L1 rejects it
   * (`InvalidOracleRound`). That race is the sequencer's to close; a timer of 2 s avoids it here.
   */
  readonly batchMaxAgeMs?: number;
  readonly onLine?: (line: string) => void;
}

/**
 * Starts `sequencer/main.ts` on a fresh journal (the chain is fresh too) with its L1 watcher,
 * submitter (operator key: development account 1) and `provers` prover processes. Resolves
 * with the process and its URL once it listens.
 */
export async function startSequencer(o: SequencerOptions): Promise<{ process: Managed; url: string }> {
  // The journal and its snapshots file (sequencer/journal/snapshot-store.ts), with their WALs.
  for (const file of [o.dbFile, snapshotsFile(o.dbFile)])
    for (const suffix of ["", "-wal", "-shm"]) if (existsSync(file + suffix)) rmSync(file + suffix);
  const d = o.deployed;
  const env: Record<string, string> = {
    TESSERA_PORT: String(o.port),
    TESSERA_DB: o.dbFile,
    TESSERA_PROFILE: d.profile,
    TESSERA_ROLLUP_ADDRESS: d.rollup,
    TESSERA_FEE_PK_HASH: d.fee.pkHash.toString(),
    TESSERA_FEE_OWNER: BigInt(d.fee.owner).toString(),
    TESSERA_INSURANCE_PK_HASH: d.insurance.pkHash.toString(),
    TESSERA_INSURANCE_OWNER: BigInt(d.insurance.owner).toString(),
    TESSERA_PRICES: INITIAL_ANSWERS.slice(0, d.feeds.length)
      .map((a) => (a / ANSWER_PER_CENT).toString())
      .join(","),
    TESSERA_ADMIN_TOKEN: o.adminToken,
    TESSERA_PROVERS: String(o.provers),
    TESSERA_OPTION_WEEKS: String(o.optionWeeks ?? 2),
    ...(o.strikesEachSide === undefined ? {} : { TESSERA_STRIKES_EACH_SIDE: String(o.strikesEachSide) }),
    ...(o.optionExpiries?.length ? { TESSERA_OPTION_EXPIRIES: o.optionExpiries.join(",") } : {}),
    TESSERA_L1_RPC: o.rpcUrl,
    TESSERA_OPERATOR_KEY: devWallet(DEV_ROLES.operator).privateKey,
    TESSERA_L1_POLL_MS: String(o.pollMs ?? 250),
    TESSERA_BATCH_MAX_AGE_MS: String(o.batchMaxAgeMs ?? 8000),
    TESSERA_LOG_LEVEL: "info",
  };
  const proc = startProcess({
    name: "sequencer",
    command: process.execPath,
    args: ["--import", "tsx", path.join(ROOT, "sequencer/main.ts")],
    cwd: ROOT,
    env,
    ...(o.onLine ? { onLine: o.onLine } : {}),
  });
  try {
    const url = await waitForLine(
      proc,
      (line) => {
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          return entry.msg === "listening" ? entry.url : undefined;
        } catch {
          return undefined;
        }
      },
      120_000,
    );
    return { process: proc, url };
  } catch (e) {
    await stopProcess(proc);
    throw e;
  }
}
