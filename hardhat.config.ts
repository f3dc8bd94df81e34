import { createRequire } from "node:module";
import type { HardhatUserConfig } from "hardhat/config";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import hardhatNodeTestRunner from "@nomicfoundation/hardhat-node-test-runner";
import hardhatEthersChaiMatchers from "@nomicfoundation/hardhat-ethers-chai-matchers";

const require = createRequire(import.meta.url);

// Compiles offline with the npm `solc` wasm build (pinned to exactly this version in
// package.json; Hardhat does not compare them).
/**
 * The optimizer's runs: 50, not 200, so that the rollup's runtime code stays under EIP-170's
 * 24,576 bytes (docs/contracts.md, "Code size"); at 200 the review fixes of 12-08 did not fit.
 * bench/gas.ts records it with the figures.
 */
export const OPTIMIZER_RUNS = 50;

const config: HardhatUserConfig = {
  plugins: [hardhatEthers, hardhatNetworkHelpers, hardhatNodeTestRunner, hardhatEthersChaiMatchers],
  solidity: {
    profiles: {
      default: {
        version: "0.8.28",
        path: require.resolve("solc/soljson.js"),
        settings: { optimizer: { enabled: true, runs: OPTIMIZER_RUNS }, evmVersion: "cancun" },
      },
    },
  },
  paths: {
    sources: "./contracts",
    tests: { nodejs: "./test/contracts", solidity: "./contracts/test" },
  },
  networks: {
    localhost: {
      type: "http",
      chainType: "l1",
      url: "http://127.0.0.1:8545",
    },
  },
};

export default config;
