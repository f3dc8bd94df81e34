/**
 * Hardhat's public development accounts and the roles the local stack gives them: one module
 * with no Node imports, so the demo, the tests and the web app (its "development account"
 * connector on the local chain) agree on them.
 *
 * DEVELOPMENT KEYS ONLY: the mnemonic is public (Hardhat's `test test … junk`); every key it
 * derives is known to everyone. They hold value on no real network; never use them anywhere else.
 */

/** Hardhat's public development mnemonic. DEVELOPMENT ONLY. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Hardhat's chain id: the only chain where the app offers the development accounts. */
export const HARDHAT_CHAIN_ID = 31337;

/** Roles of the development accounts (index into Hardhat's list, m/44'/60'/0'/0/index). */
export const DEV_ROLES = {
  admin: 0,
  operator: 1,
  marketMaker: 2,
  feeOwner: 3,
  insuranceOwner: 4,
  /** Accounts 5..9 are left for people and tests (traders); the demo funds them with TestUSDC. */
  firstTrader: 5,
} as const;

/** The trader accounts' indices: 5..9. */
export const DEV_TRADER_INDICES: readonly number[] = [5, 6, 7, 8, 9];
