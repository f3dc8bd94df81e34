/**
 * Test actors without the venue: deterministic traders that sign with protocol/'s fast signer,
 * a JSON HTTP client, temp databases and the child-process environment. Importing this file
 * does not load better-sqlite3 (tests that load Hardhat's EDR must not: the two native addons
 * crash one process).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { publicKeyFast, signFast } from "../../protocol/eddsa-fast.ts";
import { FLAG_POST_ONLY, FLAG_REDUCE_ONLY, TIF_SHIFT, TimeInForce } from "../../protocol/constants.ts";
import { pkHash } from "../../protocol/keys.ts";
import { domainSeparator } from "../../protocol/batch.ts";
import { orderHash } from "../../protocol/signing.ts";
import type { Order, PublicKey, SideCode, SignedOrder } from "../../protocol/types.ts";
import { initCrypto } from "../../protocol/index.ts";
import { sessionMessage } from "../../protocol/signing.ts";
import { toWire } from "../../sequencer/wire.ts";

// Traders hash their keys at construction.
await initCrypto();

export const DOMAIN_CHAIN_ID = 31337n;
export const ROLLUP_ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
export const ADMIN_TOKEN = "test-admin-token-0123456789";
/** 2026-11-20 00:00 UTC: options list on the Fridays after it. */
export const LISTED_AT = 1_795_132_800n;
export const ETH_PERP = 1n;
export const BTC_PERP = 2n;
export const FAR_EXPIRY = 4_000_000_000n;

/** The signature domain of the test configuration (chain 31337, ROLLUP_ADDRESS). */
export function testDomain(): bigint {
  return domainSeparator(DOMAIN_CHAIN_ID, ROLLUP_ADDRESS);
}

export const domain = testDomain;

export type Tif = "GTC" | "IOC" | "FOK";

export interface OrderSpec {
  readonly instrument?: bigint;
  readonly side: SideCode;
  readonly size: bigint;
  readonly price: bigint;
  readonly orderId: bigint;
  readonly expiry?: bigint;
  readonly tif?: Tif;
  readonly postOnly?: boolean;
  readonly reduceOnly?: boolean;
}

export function flagsOf(spec: Pick<OrderSpec, "tif" | "postOnly" | "reduceOnly">): bigint {
  const tif = TimeInForce[spec.tif ?? "GTC"];
  return (
    (spec.reduceOnly === true ? FLAG_REDUCE_ONLY : 0n) |
    (spec.postOnly === true ? FLAG_POST_ONLY : 0n) |
    (tif << TIF_SHIFT)
  );
}

/** A trader with a deterministic trading key (keccak of its name). */
export class Trader {
  readonly privateKey: Uint8Array;
  readonly publicKey: PublicKey;
  readonly pkHash: bigint;
  readonly owner: bigint;

  constructor(
    readonly name: string,
    readonly accountId: bigint,
    /** The deployment's signature domain (default: the test constants'). */
    readonly domain: bigint = testDomain(),
  ) {
    this.privateKey = keccak_256(new TextEncoder().encode(`tessera test trader ${name}`));
    this.publicKey = publicKeyFast(this.privateKey);
    this.pkHash = pkHash(this.publicKey);
    this.owner = 0x1000n + accountId;
  }

  order(spec: OrderSpec): Order {
    return {
      accountId: this.accountId,
      instrument: spec.instrument ?? ETH_PERP,
      side: spec.side,
      size: spec.size,
      price: spec.price,
      orderId: spec.orderId,
      expiry: spec.expiry ?? FAR_EXPIRY,
      flags: flagsOf(spec),
    };
  }

  sign(spec: OrderSpec | Order): SignedOrder {
    const order = "accountId" in spec ? spec : this.order(spec);
    return { order, signature: signFast(this.privateKey, orderHash(order, this.domain)), publicKey: this.publicKey };
  }

  /** The deposit body that registers this trader with `amount` collateral. */
  deposit(amount: bigint) {
    return toWire({ accountId: this.accountId, owner: this.owner, pkHash: this.pkHash, amount });
  }

  signSession(challenge: bigint) {
    return toWire({
      accountId: this.accountId,
      challenge,
      publicKey: this.publicKey,
      signature: signFast(this.privateKey, sessionMessage(this.domain, this.accountId, challenge)),
    });
  }
}

export function tempDb(): { file: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), "tessera-seq-"));
  return { file: path.join(dir, "journal.db"), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Environment for a sequencer child process or `configFromEnv`. */
export function venueEnv(dbFile: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    TESSERA_HOST: "127.0.0.1",
    TESSERA_PORT: "0",
    TESSERA_DB: dbFile,
    TESSERA_PROFILE: "demo",
    TESSERA_CHAIN_ID: DOMAIN_CHAIN_ID.toString(),
    TESSERA_ROLLUP_ADDRESS: ROLLUP_ADDRESS,
    TESSERA_LISTED_AT: LISTED_AT.toString(),
    TESSERA_ADMIN_TOKEN: ADMIN_TOKEN,
    TESSERA_LOG_LEVEL: "warn",
    TESSERA_BATCH_MAX_AGE_MS: "600000",
    ...extra,
  };
}

export interface HttpReply {
  readonly status: number;
  // The API's JSON: tests read fields by name.
  readonly body: Record<string, unknown>;
  readonly headers?: Headers;
}

export class Client {
  constructor(readonly url: string) {}

  async request(method: string, route: string, body?: unknown, token?: string, rawBody?: string): Promise<HttpReply> {
    const headers: Record<string, string> = {};
    if (body !== undefined || rawBody !== undefined) headers["content-type"] = "application/json";
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const res = await fetch(this.url + route, {
      method,
      headers,
      body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  get(route: string, token?: string): Promise<HttpReply> {
    return this.request("GET", route, undefined, token);
  }

  post(route: string, body: unknown, token?: string): Promise<HttpReply> {
    return this.request("POST", route, body, token);
  }

  place(signed: SignedOrder, clientOrderId?: string): Promise<HttpReply> {
    return this.post("/v1/orders", {
      order: toWire(signed),
      ...(clientOrderId === undefined ? {} : { clientOrderId }),
    });
  }

  async deposit(trader: Trader, amount: bigint): Promise<HttpReply> {
    return this.post("/v1/admin/deposits", trader.deposit(amount), ADMIN_TOKEN);
  }

  async session(trader: Trader): Promise<string> {
    const c = await this.post("/v1/auth/challenge", { accountId: trader.accountId.toString() });
    if (c.status !== 200) throw new Error(`challenge failed: ${JSON.stringify(c.body)}`);
    const s = await this.post("/v1/auth/session", trader.signSession(BigInt(c.body.challenge as string)));
    if (s.status !== 200) throw new Error(`session failed: ${JSON.stringify(s.body)}`);
    return s.body.token as string;
  }
}
