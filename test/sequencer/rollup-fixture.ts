/**
 * A `test`-profile rollup on a Hardhat node, with alice (account 2) and bob (account 3)
 * registered and funded on L1 through `registerAndDeposit`, and the environment of a sequencer
 * that runs against it (one prover, the L1 watcher and submitter). Shared by
 * test/sequencer/chain.test.ts and bench/lib/e2e.ts.
 *
 * It loads Hardhat (EDR): never import it into a process that opens a venue's SQLite journal
 * (the two native addons crash together); the venue runs as a child process.
 */
import { network } from "hardhat";
import type { Contract } from "ethers";
import { getProfile } from "../../protocol/profiles.ts";
import { RollupState } from "../../protocol/state.ts";
import { deployTessera } from "../../scripts/deploy.ts";
import { Trader, venueEnv } from "./traders.ts";

/** Hardhat's well-known development key of account #1 (the operator here). DEVELOPMENT ONLY. */
export const OPERATOR_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

/** Each trader's L1 deposit: 50,000 USDC. */
export const FUNDS = 50_000_000_000n;

export async function fundedRollup(
  port: number,
  dbFile: string,
  limits: { readonly maxOracleAge?: bigint; readonly priceRoundGrace?: bigint } = {},
) {
  const { ethers } = await network.connect({ network: "localhost", override: { url: `http://127.0.0.1:${port}` } });
  const profile = getProfile("test");
  const [admin, operator, aliceWallet, bobWallet, feeOwner, insuranceOwner] = await ethers.getSigners();
  const fee = new Trader("fee", 0n);
  const insurance = new Trader("insurance", 1n);
  const system = {
    feeAccount: { pkHash: fee.pkHash, owner: BigInt(feeOwner!.address) },
    insurance: { pkHash: insurance.pkHash, owner: BigInt(insuranceOwner!.address) },
  };
  const d = await deployTessera(ethers, {
    profile,
    genesisStateRoot: RollupState.genesis(profile, system).stateRoot,
    feeAccount: { owner: feeOwner!.address, pkHash: fee.pkHash },
    insuranceFund: { owner: insuranceOwner!.address, pkHash: insurance.pkHash },
    operator: operator!.address,
    admin: admin!.address,
    maxOracleAge: limits.maxOracleAge ?? 3600n,
    ...(limits.priceRoundGrace === undefined ? {} : { priceRoundGrace: limits.priceRoundGrace }),
    forcedRequestDeadline: 7n * 86_400n,
    initialAnswers: [300_012_345_678n, 6_000_050_000_000n],
    deployer: admin!,
  });
  const rollupAddress = await d.rollup.getAddress();
  const alice = new Trader("alice", 2n, d.domain);
  const bob = new Trader("bob", 3n, d.domain);
  for (const [wallet, trader] of [
    [aliceWallet!, alice],
    [bobWallet!, bob],
  ] as const) {
    await (await d.collateral.getFunction("mint")(wallet.address, FUNDS)).wait();
    await (await (d.collateral.connect(wallet) as Contract).getFunction("approve")(rollupAddress, FUNDS)).wait();
    await (await (d.rollup.connect(wallet) as Contract).getFunction("registerAndDeposit")(trader.pkHash, FUNDS)).wait();
  }
  const env = venueEnv(dbFile, {
    TESSERA_PROFILE: profile.name,
    TESSERA_PROVERS: "1",
    TESSERA_OPTION_WEEKS: "0",
    TESSERA_ROLLUP_ADDRESS: rollupAddress,
    TESSERA_FEE_PK_HASH: fee.pkHash.toString(),
    TESSERA_FEE_OWNER: BigInt(feeOwner!.address).toString(),
    TESSERA_INSURANCE_PK_HASH: insurance.pkHash.toString(),
    TESSERA_INSURANCE_OWNER: BigInt(insuranceOwner!.address).toString(),
    TESSERA_PRICES: "300012,6000050",
    TESSERA_L1_RPC: `http://127.0.0.1:${port}`,
    TESSERA_OPERATOR_KEY: OPERATOR_KEY,
    TESSERA_L1_POLL_MS: "200",
  });
  return { ethers, profile, d, operator: operator!, aliceWallet: aliceWallet!, alice, bob, env };
}
