/**
 * The whole Tessera stack for the browser test, from scripts/demo: a Hardhat node, the
 * contracts of the `test` circuit profile (real proofs), the sequencer with its L1 watcher,
 * submitter and one prover, and the web app (`next start`) configured for them. Ports are
 * derived from the test's pid so a demo or the e2e test can run alongside.
 *
 * Every process it starts is pushed to `children` as soon as it runs, so the caller stops them
 * all (stopAll) whether the start succeeded or not.
 */
import { createWriteStream, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { network } from "hardhat";
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import { ensureProfileBuilt, generatedVerifierPath } from "../../../scripts/zk/build.ts";
import { ROOT } from "../../../scripts/zk/compile.ts";
import type { Managed } from "../../../scripts/demo/processes.ts";
import { buildContracts, deployStack, startChain, startSequencer, type Deployed } from "../../../scripts/demo/stack.ts";
import { buildWeb, startWeb, webBuildIsFresh, writeWebDeployment } from "../../../scripts/demo/web.ts";

export const PROFILE = "test";
/** Hardhat's chain id. */
export const CHAIN_ID = 31337;
/** Logs and journals of the children, one folder per test, kept for diagnosis. */
export const logDir = (name: string): string => path.join(ROOT, ".cache", "web-browser", name);

export interface Stack {
  readonly rpcUrl: string;
  readonly sequencerUrl: string;
  readonly webUrl: string;
  readonly ethers: HardhatEthers;
  readonly deployed: Deployed;
  /** The sequencer process (with its provers), for tests that take the operator away. */
  readonly sequencer: Managed;
}

/** What a test may add to the stack. */
export interface StackOptions {
  /** Further option expiries to list, unix seconds (short-dated series; none by default). */
  readonly optionExpiries?: readonly bigint[];
}

/**
 * Starts the stack; `children` receives every process started, newest last. `name` keeps each
 * test's logs and journal apart; ports also differ by `portOffset`, so two tests never share one.
 */
export async function startStack(
  children: Managed[],
  name: string,
  portOffset = 0,
  options: StackOptions = {},
): Promise<Stack> {
  const built = await ensureProfileBuilt(PROFILE, { quiet: true });
  const generated = generatedVerifierPath(built);
  if (!existsSync(generated) || readFileSync(generated, "utf8") !== readFileSync(built.verifier, "utf8")) {
    throw new Error(
      `${path.basename(generated)} is not the verifier of the built ${PROFILE} circuit: run npm run circuits:build`,
    );
  }
  await buildContracts();
  const dir = logDir(name);
  mkdirSync(dir, { recursive: true });

  const chainPort = 26_545 + ((process.pid + portOffset) % 1000);
  const rpcUrl = `http://127.0.0.1:${chainPort}`;
  children.push(await startChain(chainPort));
  const { ethers } = await network.connect({ network: "localhost", override: { url: rpcUrl } });
  const deployed = await deployStack(ethers, PROFILE);

  const log = createWriteStream(path.join(dir, "sequencer.log"));
  const sequencer = await startSequencer({
    deployed,
    rpcUrl,
    port: 0,
    dbFile: path.join(dir, "sequencer.db"),
    adminToken: "browser-test-admin-token-0123456789",
    provers: 1,
    optionWeeks: 1,
    ...(options.optionExpiries === undefined ? {} : { optionExpiries: options.optionExpiries }),
    pollMs: 200,
    batchMaxAgeMs: 2000,
    onLine: (line) => log.write(line + "\n"),
  });
  children.push(sequencer.process);

  writeWebDeployment({
    chainId: CHAIN_ID,
    rpcUrl,
    sequencerUrl: sequencer.url,
    profile: PROFILE,
    rollup: deployed.rollup,
    usdc: deployed.collateral,
    feeds: deployed.feeds,
    deployBlock: deployed.deployBlock,
    vkeyFile: built.vkey,
  });
  if (!webBuildIsFresh()) {
    const buildLog = createWriteStream(path.join(dir, "next-build.log"));
    await buildWeb((line) => buildLog.write(line + "\n"));
  }
  const webPort = 23_000 + ((process.pid + portOffset) % 1000);
  children.push(await startWeb(webPort));
  return {
    rpcUrl,
    sequencerUrl: sequencer.url,
    webUrl: `http://127.0.0.1:${webPort}`,
    ethers,
    deployed,
    sequencer: sequencer.process,
  };
}
