/**
 * Test helpers that run the venue in-process (they load better-sqlite3): configurations, a
 * venue on a temp database, an in-process service. Actors live in traders.ts.
 */
import Database from "better-sqlite3";
import type { Service, ServiceConfig } from "../../sequencer/service.ts";
import { startService } from "../../sequencer/service.ts";
import { Sequencer } from "../../sequencer/core/sequencer.ts";
import type { VenueConfig } from "../../sequencer/core/sequencer.ts";
import { defaultListing } from "../../sequencer/core/listing.ts";
import { getProfile } from "../../protocol/profiles.ts";
import { CheckState, initCrypto, RollupState } from "../../protocol/index.ts";
import type { Profile } from "../../protocol/types.ts";
import { ProtocolLedger } from "../../sequencer/core/ledger.ts";
import { stateDifferences } from "../../sequencer/tools/snapshot-check.ts";
import { DOMAIN, ownerOf, pkHashOf } from "../protocol/fixtures.ts";
import type { Command } from "../../sequencer/core/commands.ts";
import type { PlaceResult } from "../../sequencer/core/engine/engine.ts";
import { ADMIN_TOKEN, Client, domain, LISTED_AT, tempDb } from "./traders.ts";
import type { OrderSpec, Trader } from "./traders.ts";

export * from "./traders.ts";

export function serviceConfig(dbFile: string, overrides: Partial<ServiceConfig> = {}): ServiceConfig {
  const system = { pkHash: 1n, owner: 0n };
  return {
    host: "127.0.0.1",
    port: 0,
    dbFile,
    profile: "demo",
    domain: domain(),
    system: { feeAccount: system, insurance: system },
    initialPrices: [300_000n, 6_000_000n],
    listedAt: LISTED_AT,
    optionWeeks: 1,
    strikesEachSide: 1,
    adminToken: ADMIN_TOKEN,
    verifyWorkers: 0,
    batchMaxAgeMs: 600_000,
    sessionTtlMs: 60_000,
    orderRatePerSecond: 1000,
    orderBurst: 1000,
    bodyLimit: 16 * 1024,
    synchronous: "NORMAL",
    logLevel: "warn",
    provers: 0,
    proofAttempts: 2,
    proofTimeoutMs: 300_000,
    feeSweepThreshold: 1_000_000_000n,
    ...overrides,
  };
}

export async function startVenue(
  overrides: Partial<ServiceConfig> = {},
): Promise<{ service: Service; client: Client; file: string; cleanup: () => Promise<void> }> {
  const db = tempDb();
  const service = await startService(serviceConfig(db.file, overrides));
  return {
    service,
    client: new Client(service.url),
    file: db.file,
    cleanup: async () => {
      await service.close();
      db.cleanup();
    },
  };
}

/** The in-process venue configuration matching `serviceConfig` (no HTTP). */
export function venueConfig(): VenueConfig {
  const cfg = serviceConfig(":memory:");
  const profile = getProfile(cfg.profile);
  return {
    profile,
    domain: cfg.domain,
    system: cfg.system,
    initialPrices: cfg.initialPrices,
    markets: defaultListing({
      listedAt: cfg.listedAt,
      spot: cfg.initialPrices,
      weeks: cfg.optionWeeks,
      strikesEachSide: cfg.strikesEachSide,
      underlyings: profile.underlyings,
    }),
  };
}

/** A journaled venue on `file` (created or replayed). */
export async function openVenue(file: string): Promise<Sequencer> {
  await initCrypto();
  return Sequencer.open(venueConfig(), file);
}

/**
 * The core's ledger alone on `profile` (no journal, no service), at the fixture accounts' keys
 * and prices 3,000 and 60,000 USD: for tests of how it cuts batches.
 */
export function protocolLedger(profile: Profile): ProtocolLedger {
  const system = {
    feeAccount: { pkHash: pkHashOf(0n), owner: ownerOf(0n) },
    insurance: { pkHash: pkHashOf(1n), owner: ownerOf(1n) },
  };
  return new ProtocolLedger(CheckState.genesis(profile, system), RollupState.genesis(profile, system), DOMAIN, [
    300_000n,
    6_000_000n,
  ]);
}

/**
 * Sets (or, with `value` null, deletes) journal meta keys of the closed journal `file`, as a
 * release that predates a rule's cut-over key would have left them (`FUNDING_IMPACT_FROM`,
 * `ACCEPTED_CLOSE_FROM`, `MAKER_EXPIRY_FROM` in sequencer/core/sequencer.ts).
 */
export function setJournalMeta(file: string, keys: readonly string[], value: string | null): void {
  const raw = new Database(file);
  try {
    for (const key of keys) {
      if (value === null) raw.prepare("DELETE FROM meta WHERE key = ?").run(key);
      else raw.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(key, value);
    }
  } finally {
    raw.close();
  }
}

/** Credits `t` with `amount` at `now` (unix ms) as an L2 deposit with no L1 queue entry. */
export function depositAt(venue: Sequencer, t: Trader, amount: bigint, now: bigint): void {
  const command: Command = {
    kind: "deposit",
    accountId: t.accountId,
    owner: t.owner,
    pkHash: t.pkHash,
    amount,
    queueIndex: null,
  };
  venue.execute(command, now);
}

/** `t`'s order `spec`, placed at `now` (unix ms): the engine's result (a refusal throws). */
export function placeAt(venue: Sequencer, t: Trader, spec: OrderSpec, now: bigint): PlaceResult {
  const outcome = venue.execute({ kind: "place", order: t.sign(spec), clientOrderId: null }, now);
  if (outcome.kind !== "place") throw new Error(`expected a place outcome, got ${outcome.kind}`);
  return outcome.result;
}

/** A journaled venue on `file` that builds batches on its own thread and takes no snapshots. */
export async function openInline(file: string, config: VenueConfig = venueConfig()): Promise<Sequencer> {
  await initCrypto();
  return Sequencer.open(config, file, "FULL", {}, { builder: "inline", snapshots: false });
}

/**
 * What a full replay of `live`'s journal (no snapshot) does not rebuild, but for `lastNow`, which
 * refused commands move: empty when replaying the journal rebuilds the live venue.
 */
export async function replayDifferences(
  live: Sequencer,
  file: string,
  config: VenueConfig = venueConfig(),
): Promise<string[]> {
  await initCrypto();
  const replayed = Sequencer.open(
    config,
    file,
    "FULL",
    {},
    { builder: "inline", snapshots: false, loadSnapshot: false },
  );
  try {
    return stateDifferences(live, replayed).filter((d) => d !== "lastNow");
  } finally {
    replayed.close();
  }
}
