/**
 * Whether an account id names a registered account, as every route that names one answers it:
 * the venue's (through the ledger) and the market-data endpoint's (from its copy of the records).
 * Light on purpose: the market-data process imports it.
 */
import type { Account } from "../../protocol/types.ts";
import { SequencerError } from "../errors.ts";

/**
 * The record of `accountId` (`lookup` is asked only for ids inside the tree) when the account is
 * registered; else UNKNOWN_ACCOUNT, as every route that names an account answers it (the venue's
 * and the market-data endpoint's).
 */
export function requireRegistered(accountId: bigint, accountDepth: number, lookup: (id: bigint) => Account): Account {
  const capacity = 1n << BigInt(accountDepth);
  if (accountId < 0n || accountId >= capacity)
    throw new SequencerError("UNKNOWN_ACCOUNT", `account ${accountId} does not exist (the tree holds ${capacity})`);
  const account = lookup(accountId);
  if (account.pkHash === 0n)
    throw new SequencerError("UNKNOWN_ACCOUNT", `account ${accountId} is not registered: deposit on L1 first`);
  return account;
}
