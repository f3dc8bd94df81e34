/**
 * The market-data process's copy of what the account reads need: every account record, every
 * open order (per account, in the venue's order), every account's next order id, the funding
 * index and the open batch's number.
 * Fills and settlements are not copied: they are read from the journal's file (a read-only
 * connection, `JournalReader`), which holds them once committed.
 *
 * Guarantee: after the core's messages, `GET /v1/account` and `GET /v1/account/orders` answer here
 * what the venue's own routes answer for the same state (test/sequencer/marketdata.test.ts). The
 * core sends records as they stand (never deltas), so a record sent twice is harmless.
 */
import type { Marks } from "../../protocol/margin.ts";
import type { Account } from "../../protocol/types.ts";
import type { OrderRecord } from "../core/engine/engine.ts";
import { requireRegistered } from "../core/registered.ts";
import type { AccountsInit, AccountUpdates } from "./messages.ts";

export class AccountReplica {
  private readonly accounts = new Map<bigint, Account>();
  private readonly orders = new Map<bigint, Map<bigint, OrderRecord>>();
  /** accountId → the order id it should sign next (absent: 1). */
  private readonly nextOrderIds = new Map<bigint, bigint>();
  private readonly accountDepth: number;
  private fundingIndex: readonly bigint[];
  /** The open batch's number. */
  currentBatch: bigint;
  /** The journal's length this copy includes. */
  seq: bigint;
  private waiters: { readonly seq: bigint; readonly wake: () => void }[] = [];

  private readonly empty: Account;

  constructor(init: AccountsInit) {
    this.empty = init.empty;
    for (const [id, a] of init.accounts) this.accounts.set(id, a);
    this.open(init.orders);
    for (const [id, next] of init.nextOrderIds) this.nextOrderIds.set(id, next);
    this.accountDepth = init.accountDepth;
    this.fundingIndex = init.fundingIndex;
    this.currentBatch = init.currentBatch;
    this.seq = init.seq;
  }

  /**
   * Resolves true once this copy includes journal entry `seq` (a client's own last command), or
   * false after `timeoutMs`.
   */
  reached(seq: bigint, timeoutMs: number): Promise<boolean> {
    if (this.seq >= seq) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = {
        seq,
        wake: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.waiters.push(waiter);
    });
  }

  apply(u: AccountUpdates): void {
    for (const [id, a] of u.accounts) this.accounts.set(id, a);
    this.open(u.open);
    for (const [accountId, orderId] of u.gone) {
      const byId = this.orders.get(accountId);
      byId?.delete(orderId);
      if (byId?.size === 0) this.orders.delete(accountId);
    }
    for (const [id, next] of u.nextOrderIds) this.nextOrderIds.set(id, next);
    if (u.fundingIndex !== null) this.fundingIndex = u.fundingIndex;
    if (u.currentBatch !== null) this.currentBatch = u.currentBatch;
    this.seq = u.seq;
    if (this.waiters.length > 0) {
      const due = this.waiters.filter((w) => w.seq <= this.seq);
      this.waiters = this.waiters.filter((w) => w.seq > this.seq);
      for (const w of due) w.wake();
    }
  }

  /** Enters or updates open orders; a new one goes last, as in the venue's index. */
  private open(records: readonly OrderRecord[]): void {
    for (const o of records) {
      let byId = this.orders.get(o.accountId);
      if (byId === undefined) this.orders.set(o.accountId, (byId = new Map()));
      byId.set(o.orderId, o);
    }
  }

  account(id: bigint): Account {
    return this.accounts.get(id) ?? this.empty;
  }

  /** The record of a registered account; throws UNKNOWN_ACCOUNT as the venue does. */
  requireAccount(id: bigint): Account {
    return requireRegistered(id, this.accountDepth, (inside) => this.account(inside));
  }

  /** The order id the account should sign next (`MatchingEngine.nextOrderId`). */
  nextOrderId(accountId: bigint): bigint {
    return this.nextOrderIds.get(accountId) ?? 1n;
  }

  openOrders(accountId: bigint): OrderRecord[] {
    return [...(this.orders.get(accountId)?.values() ?? [])];
  }

  /** Marks at `prices` (the oracle's) and the current funding index. */
  marks(prices: readonly bigint[]): Marks {
    return { prices, fundingIndex: this.fundingIndex };
  }
}
