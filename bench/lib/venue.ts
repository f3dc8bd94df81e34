/**
 * What the benchmarks that run a venue share (bench/sequencer.ts, bench/attack.ts): the domain,
 * the oracle's starting prices, and the settings of every service they start.
 */
import { domainSeparator } from "../../protocol/batch.ts";

/** The domain of the local Hardhat chain (31337) and the rollup's first deployment address there. */
export const DOMAIN = domainSeparator(31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
/** ETH and BTC in cents. */
export const PRICES = [300_000n, 6_000_000n];

/** What every service the benches start shares: the markets, the system accounts, no provers, quiet logs. */
export const BENCH_VENUE = {
  system: { feeAccount: { pkHash: 1n, owner: 0n }, insurance: { pkHash: 1n, owner: 0n } },
  initialPrices: PRICES,
  listedAt: 1_795_132_800n,
  optionWeeks: 0,
  strikesEachSide: 0,
  adminToken: "bench-admin-token-0123456789",
  bodyLimit: 16 * 1024,
  logLevel: "warn",
  provers: 0,
  proofAttempts: 1,
  proofTimeoutMs: 60_000,
} as const;
