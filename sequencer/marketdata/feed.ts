/**
 * The core's side of the market-data process (process.ts): it forks the process, hands it the
 * public state as it stands (`init`), then forwards the public events of each event-loop turn
 * as one IPC message (`updates`), with the account records, open orders and next order ids the
 * turn changed.
 * The core's thread only copies events and records it already made; the JSON, the fan-out to
 * every subscriber, the public reads and the account reads run in the other process.
 *
 * Guarantees:
 * - The process sees the core's public events in the core's order, each after the journal commit
 *   that covers it (the venue emits nothing before; sequencer/core/sequencer.ts).
 * - The core never waits for it and its memory for it is bounded: a process that dies, fails,
 *   or falls more than `MAX_IN_FLIGHT` turns behind is replaced by a fresh one started from a
 *   new `init` (on the same port; its subscribers reconnect and get fresh snapshots).
 */
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { emptyAccount } from "../../protocol/account.ts";
import { healthView } from "../core/health.ts";
import { RECENT_TRADES } from "../core/sequencer.ts";
import type { Sequencer, VenueEvent } from "../core/sequencer.ts";
import type {
  AccountsInit,
  AccountUpdates,
  CoreToMarketData,
  MarketDataEvent,
  MarketDataOptions,
  MarketDataToCore,
} from "./messages.ts";

/** Turns of updates the process may have unread before it is replaced. */
export const MAX_IN_FLIGHT = 10_000;
/** How long a start may take before the process is replaced. */
const START_TIMEOUT_MS = 30_000;
/**
 * How often markets, oracle prices and the journal's length are compared when no event moves
 * (a command that publishes nothing, such as arming a dead-man switch, still moves the seq that
 * account reads wait for).
 */
const POLL_MS = 50;
const RESTART_DELAY_MS = 500;

export class MarketDataFeed {
  private child: ChildProcess | null = null;
  private pending: MarketDataEvent[] = [];
  private scheduled = false;
  private inFlight = 0;
  private marketsSent = 0;
  private oracleSent: readonly bigint[] = [];
  private fundingSent: readonly bigint[] = [];
  private batchSent = 0n;
  private seqSent = 0n;
  private closing = false;
  private port: number;
  private readonly unsubscribe: () => void;
  private readonly poll: NodeJS.Timeout;
  /** Processes started, the first included (for tests and the log). */
  starts = 0;

  private constructor(
    private readonly venue: Sequencer,
    private readonly clock: () => bigint,
    private readonly options: MarketDataOptions,
    private readonly log: Logger,
  ) {
    this.port = options.port;
    if (options.accounts !== null) {
      venue.engine.trackOrderChanges();
      venue.ledger.trackAccountChanges();
    }
    this.unsubscribe = venue.on((e) => this.onEvent(e));
    this.poll = setInterval(() => this.schedule(), POLL_MS);
    this.poll.unref();
  }

  /** Starts the process and resolves with its port once it listens. */
  static async start(
    venue: Sequencer,
    clock: () => bigint,
    options: MarketDataOptions,
    log: Logger,
  ): Promise<MarketDataFeed> {
    const feed = new MarketDataFeed(venue, clock, options, log);
    try {
      feed.port = await feed.spawn();
    } catch (e) {
      // A start that fails is not retried behind the caller's back.
      feed.close();
      throw e;
    }
    return feed;
  }

  /** The port the market-data endpoint listens on. */
  get listeningPort(): number {
    return this.port;
  }

  private spawn(): Promise<number> {
    this.starts += 1;
    const child = fork(fileURLToPath(new URL("./process.ts", import.meta.url)), {
      execArgv: process.execArgv,
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.child = child;
    this.inFlight = 0;
    const started = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`the market-data process did not listen within ${START_TIMEOUT_MS} ms`));
        child.kill("SIGKILL");
      }, START_TIMEOUT_MS);
      child.on("message", (m: MarketDataToCore) => {
        if (m.type === "listening") {
          clearTimeout(timer);
          resolve(m.port);
        } else {
          clearTimeout(timer);
          this.log.error({ reason: m.message }, "market-data process failed");
          reject(new Error(`market-data process: ${m.message}`));
        }
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the market-data process exited (${signal ?? code})`));
        if (this.child === child) this.child = null;
        if (!this.closing) {
          this.log.warn({ code, signal }, "market-data process exited: starting a new one");
          setTimeout(() => this.respawn(), RESTART_DELAY_MS).unref();
        }
      });
      child.on("error", () => undefined);
    });
    this.send({ type: "start", options: { ...this.options, port: this.port } });
    this.send(this.init());
    return started;
  }

  private respawn(): void {
    if (this.closing || this.child !== null) return;
    this.spawn().catch((e: unknown) => this.log.error({ err: e }, "market-data process did not start"));
  }

  /** The public state as it stands (see replica.ts on events still held for their commit). */
  private init(): CoreToMarketData {
    const { venue } = this;
    const markets = venue.engine.listMarkets();
    this.pending = [];
    this.marketsSent = markets.length;
    this.oracleSent = [...venue.ledger.oraclePrices];
    return {
      accounts: this.accountsInit(),
      type: "init",
      markets,
      books: markets.map((m) => venue.engine.snapshot(m.instrument, Number.MAX_SAFE_INTEGER)),
      trades: markets.map((m) => [m.instrument, venue.recentTrades(m.instrument, RECENT_TRADES).reverse()] as const),
      stats: markets.map((m) => [m.instrument, { ...venue.marketStats(m.instrument) }] as const),
      oraclePrices: this.oracleSent,
      health: healthView(venue.health(this.clock())),
      recentTrades: RECENT_TRADES,
    };
  }

  /** The account state as it stands; the changes recorded so far are in it, so they are dropped. */
  private accountsInit(): AccountsInit | null {
    if (this.options.accounts === null) return null;
    const { venue } = this;
    venue.engine.flushOrderChanges();
    venue.ledger.flushAccountChanges();
    this.fundingSent = venue.ledger.state.globalState.fundingIndex;
    this.batchSent = venue.ledger.currentBatch;
    this.seqSent = venue.journal.committedLength;
    return {
      seq: this.seqSent,
      accounts: [...venue.ledger.state.toSnapshot().accounts],
      empty: emptyAccount(venue.config.profile),
      orders: venue.engine.openOrderRecords(),
      nextOrderIds: venue.engine.nextOrderIdRecords(),
      accountDepth: venue.config.profile.accountDepth,
      fundingIndex: this.fundingSent,
      currentBatch: this.batchSent,
    };
  }

  /** The account state's changes since the last call (null: nothing changed or not served). */
  private accountUpdates(): AccountUpdates | null {
    if (this.options.accounts === null) return null;
    const { venue } = this;
    const accounts = venue.ledger.flushAccountChanges();
    const { open, gone, nextOrderIds } = venue.engine.flushOrderChanges();
    const funding = venue.ledger.state.globalState.fundingIndex;
    const fundingIndex = funding.some((f, i) => f !== this.fundingSent[i]) ? funding : null;
    if (fundingIndex !== null) this.fundingSent = fundingIndex;
    const batch = venue.ledger.currentBatch;
    const currentBatch = batch !== this.batchSent ? batch : null;
    this.batchSent = batch;
    // Every command the journal committed moves the seq, even one that changed no account (a
    // client waits for the seq of its own last command before it reads here). Committed: the
    // fills and settlements are read from the journal's file, which shows only those.
    const seq = venue.journal.committedLength;
    if (
      accounts.length + open.length + gone.length + nextOrderIds.length === 0 &&
      fundingIndex === null &&
      currentBatch === null &&
      seq === this.seqSent
    )
      return null;
    this.seqSent = seq;
    return { accounts, open, gone, nextOrderIds, fundingIndex, currentBatch, seq };
  }

  private send(m: CoreToMarketData): void {
    const child = this.child;
    if (child === null || !child.connected) return;
    this.inFlight += 1;
    child.send(m, (err) => {
      if (this.child === child) this.inFlight -= 1;
      if (err !== null && this.child === child) child.kill("SIGKILL");
    });
  }

  private onEvent(e: VenueEvent): void {
    switch (e.type) {
      case "book":
      case "trade":
        this.pending.push(e);
        break;
      case "health":
        this.pending.push({ type: "health", health: healthView(e.health) });
        break;
      default:
        // Private events carry nothing to forward, but what they tell of may have changed
        // accounts (a deposit, a withdrawal): the next flush sends those.
        if (this.options.accounts === null) return;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.child === null) {
      // The next process starts from a fresh `init`, which holds all of it.
      this.pending = [];
      return;
    }
    const { venue } = this;
    const markets = venue.engine.listMarkets();
    // Newly listed markets go first: their book updates follow in this message.
    if (markets.length !== this.marketsSent) {
      this.pending.unshift({ type: "markets", markets: markets.slice(this.marketsSent) });
      this.marketsSent = markets.length;
    }
    const oracle = venue.ledger.oraclePrices;
    if (oracle.some((p, i) => p !== this.oracleSent[i])) {
      this.oracleSent = [...oracle];
      this.pending.push({ type: "oracle", prices: this.oracleSent });
    }
    const accounts = this.accountUpdates();
    if (this.pending.length === 0 && accounts === null) return;
    if (this.inFlight > MAX_IN_FLIGHT) {
      this.log.warn({ inFlight: this.inFlight }, "market-data process is behind: replacing it");
      this.pending = [];
      this.child.kill("SIGKILL");
      return;
    }
    const events = this.pending;
    this.pending = [];
    this.send({ type: "updates", events, accounts });
  }

  close(): void {
    this.closing = true;
    clearInterval(this.poll);
    this.unsubscribe();
    this.child?.kill("SIGTERM");
    this.child = null;
  }
}
