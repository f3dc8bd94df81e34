/**
 * Whether an account id names a registered account, as every route that names one answers it:
 * the venue's (through the ledger) and the market-data endpoint's (from its copy of the records).
 * Light on purpose: the market-data process imports it.
 */
import type { Account } from "../../protocol/types.ts";
import { SequencerError } from "../errors.ts";

/**
 * `account` (the record of `accountId`, null beyond the tree) when the account is registered;
 * else UNKNOWN_ACCOUNT, as every route that names an account answers it (the venue's and the
 * market-data endpoint's).
 */
export function requireRegistered(accountId: bigint, account: Account | null, accountDepth: number): Account {
  const capacity = 1n << BigInt(accountDepth);
  if (accountId >= capacity || account === null)
    throw new SequencerError("UNKNOWN_ACCOUNT", `account ${accountId} does not exist (the tree holds ${capacity})`);
  if (account.pkHash === 0n)
    throw new SequencerError("UNKNOWN_ACCOUNT", `account ${accountId} is not registered: deposit on L1 first`);
  return account;
}
