/**
 * SDK test fixtures: a real sequencer on 127.0.0.1 with a temp database (started as the
 * sequencer's own tests start it), an operator client, and funded traders whose trading keys
 * come from deterministic ethers wallets.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { Wallet } from "ethers";
import { TesseraClient } from "../../sdk/client.ts";
import { TradingKey } from "../../sdk/keys.ts";
import { startService } from "../../sequencer/service.ts";
import type { Service, ServiceConfig } from "../../sequencer/service.ts";
import { ADMIN_TOKEN, serviceConfig, tempDb } from "../sequencer/helpers.ts";

export { ADMIN_TOKEN } from "../sequencer/helpers.ts";

/** 100,000 USDC in base units. */
export const RICH = 100_000_000_000n;
/** One whole unit in size units (1e-4). */
export const ONE = 10_000n;
/** The venue's initial ETH price, cents. */
export const ETH_PRICE = 300_000n;

export interface SdkVenue {
  readonly url: string;
  readonly admin: TesseraClient;
  /** A trader with a key from the wallet of `name`, registered as `accountId` with `amount`. */
  trader(name: string, accountId: bigint, amount?: bigint): Promise<TesseraClient>;
  /** Stops the venue and starts it again on the same port and journal (state replayed). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export function walletOf(name: string): Wallet {
  return new Wallet(
    "0x" + Buffer.from(keccak_256(new TextEncoder().encode(`tessera sdk test ${name}`))).toString("hex"),
  );
}

/** Today's 00:00 UTC, unix seconds: the venue then lists options on the next two Fridays. */
function todayUtc(): bigint {
  const now = BigInt(Math.floor(Date.now() / 1000));
  return now - (now % 86_400n);
}

export async function startSdkVenue(overrides: Partial<ServiceConfig> = {}): Promise<SdkVenue> {
  const db = tempDb();
  const config = serviceConfig(db.file, { listedAt: todayUtc(), optionWeeks: 2, ...overrides });
  let service: Service = await startService(config);
  const url = service.url;
  const admin = new TesseraClient({ url, adminToken: ADMIN_TOKEN });
  return {
    url,
    admin,
    async trader(name, accountId, amount = RICH) {
      const wallet = walletOf(name);
      const key = await TradingKey.fromWallet(wallet);
      await admin.deposit({ accountId, owner: BigInt(wallet.address), pkHash: key.pkHash, amount });
      return new TesseraClient({ url, key, accountId });
    },
    async restart() {
      await service.close();
      service = await startService({ ...config, port: Number(new URL(url).port) });
    },
    async close() {
      await service.close();
      db.cleanup();
    },
  };
}
