/**
 * `npx tsx sdk/bot/main.ts --url http://127.0.0.1:8600 --key 0x… --account 2`: runs the
 * market-maker bot until SIGINT/SIGTERM, then pulls its quotes. Logs JSON lines (pino).
 *
 * Options (docs/sdk.md, "Market-maker bot"):
 *   --url URL                 the venue (default http://127.0.0.1:8600)
 *   --key HEX                 the 32-byte trading key, or
 *   --wallet-key HEX          an Ethereum private key: the trading key is derived from its
 *                             signature of KEY_MESSAGE_V1, as the web app does
 *   --account ID              the account id (required)
 *   --underlyings 1,2         underlyings to quote (default 1 = ETH)
 *   --options N               option instruments per underlying (default 2)
 *   --option-offset K         skip the K options nearest the money (several bots share a chain)
 *   --spread-bps N            perp half spread, basis points (default 5)
 *   --levels N                perp quote levels a side (default 3; sizes 1×, 2×, 3×… further out)
 *   --level-step-bps N        distance between levels, basis points (default 5)
 *   --interval-ms N           requote interval (default 2000)
 *   --deposit AMOUNT          first register and fund the account (operator route: devnets
 *   --admin-token TOKEN       and the demo only), AMOUNT in USDC base units
 *   --once                    run one quoting cycle (logged) and exit
 */
import { parseArgs } from "node:util";
import { Wallet } from "ethers";
import { pino } from "pino";
import { z } from "zod";
import { TesseraClient } from "../client.ts";
import { TradingKey } from "../keys.ts";
import { DEFAULT_BOT_CONFIG, MarketMaker } from "./bot.ts";

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected 0x and 64 hex digits");
const decimal = z
  .string()
  .regex(/^\d+$/, "expected a decimal integer")
  .transform((s) => BigInt(s));

const argsSchema = z
  .object({
    url: z.string().url().default("http://127.0.0.1:8600"),
    key: hex32.optional(),
    "wallet-key": hex32.optional(),
    account: decimal,
    underlyings: z
      .string()
      .regex(/^\d+(,\d+)*$/)
      .default("1")
      .transform((s) => s.split(",").map(Number)),
    options: z.coerce.number().int().min(0).max(32).default(DEFAULT_BOT_CONFIG.optionsPerUnderlying),
    "option-offset": z.coerce.number().int().min(0).max(64).default(DEFAULT_BOT_CONFIG.optionOffset),
    "spread-bps": decimal.default(DEFAULT_BOT_CONFIG.perpHalfSpreadBps),
    levels: z.coerce.number().int().min(1).max(10).default(DEFAULT_BOT_CONFIG.perpLevels),
    "level-step-bps": decimal.default(DEFAULT_BOT_CONFIG.levelStepBps),
    "interval-ms": z.coerce.number().int().min(100).default(DEFAULT_BOT_CONFIG.intervalMs),
    deposit: decimal.optional(),
    "admin-token": z.string().optional(),
    once: z.boolean().default(false),
  })
  .refine(
    (a) => (a.key === undefined) !== (a["wallet-key"] === undefined),
    "give exactly one of --key and --wallet-key",
  )
  .refine((a) => a.deposit === undefined || a["admin-token"] !== undefined, "--deposit needs --admin-token");

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    key: { type: "string" },
    "wallet-key": { type: "string" },
    account: { type: "string" },
    underlyings: { type: "string" },
    options: { type: "string" },
    "option-offset": { type: "string" },
    "spread-bps": { type: "string" },
    levels: { type: "string" },
    "level-step-bps": { type: "string" },
    "interval-ms": { type: "string" },
    deposit: { type: "string" },
    "admin-token": { type: "string" },
    once: { type: "boolean" },
  },
  strict: true,
});
const parsed = argsSchema.safeParse(values);
if (!parsed.success) {
  console.error(
    `bad arguments: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(args)"}: ${i.message}`).join("; ")}`,
  );
  process.exit(2);
}
const args = parsed.data;
const log = pino({ base: { service: "tessera-mm-bot" } });

const wallet = args["wallet-key"] === undefined ? null : new Wallet(args["wallet-key"]);
const key = wallet === null ? await TradingKey.fromHex(args.key!) : await TradingKey.fromWallet(wallet);
const client = new TesseraClient({ url: args.url, key, accountId: args.account, adminToken: args["admin-token"] });

if (args.deposit !== undefined) {
  const owner = wallet === null ? 0n : BigInt(wallet.address);
  const at = await client.deposit({ accountId: args.account, owner, pkHash: key.pkHash, amount: args.deposit });
  log.info(
    { accountId: args.account.toString(), amount: args.deposit.toString(), batch: at.batch.toString() },
    "deposited",
  );
}

const bot = new MarketMaker(
  client,
  {
    ...DEFAULT_BOT_CONFIG,
    underlyings: args.underlyings,
    optionsPerUnderlying: args.options,
    optionOffset: args["option-offset"],
    perpHalfSpreadBps: args["spread-bps"],
    perpLevels: args.levels,
    levelStepBps: args["level-step-bps"],
    intervalMs: args["interval-ms"],
  },
  log,
);

if (args.once) {
  await bot.cycle();
} else {
  const stop = (signal: string): void => {
    log.info({ signal }, "stopping: pulling quotes");
    bot.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error({ err: e }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
  log.info(
    { url: args.url, accountId: args.account.toString(), underlyings: args.underlyings },
    "market maker running",
  );
  await bot.run();
}
