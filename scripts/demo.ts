/**
 * `npm run demo [-- --profile test]`: the whole of Tessera on this machine, in one command.
 *
 * Starts a Hardhat node, builds the profile's circuit if it is not cached (with progress),
 * deploys the contracts, starts the sequencer (L1 watcher, submitter, provers), funds the
 * market-maker bot through the real deposit path (`registerAndDeposit` on L1) and starts it,
 * pushes oracle rounds on the mock feeds (a seeded random walk), runs a small seeded taker flow
 * (market orders on the perps, so trades show from the first minute), starts the web app and
 * prints where everything is. Ctrl-C stops every process it started (each in its own process group).
 *
 * Options: --profile demo|test (default demo), --chain-port 8545, --sequencer-port 8600,
 * --web-port 3000, --provers 1, --oracle-interval-ms 15000, --seed 1, --taker-interval-ms 5000
 * (0: no taker flow), --no-web.
 * Logs of the children go to .cache/demo/<name>.log. See docs/demo.md.
 *
 * DEVELOPMENT KEYS ONLY: the accounts printed are Hardhat's public development accounts.
 */
import { createWriteStream, mkdirSync } from "node:fs";
import type { WriteStream } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { parseArgs } from "node:util";
import { network } from "hardhat";
import type { Contract } from "ethers";
import { z } from "zod";
import { getProfile } from "../protocol/profiles.ts";
import { TesseraClient } from "../sdk/client.ts";
import { TradingKey } from "../sdk/keys.ts";
import { ensureProfileBuilt, writeGeneratedVerifier } from "./zk/build.ts";
import { ROOT } from "./zk/compile.ts";
import { DEV_TRADER_INDICES } from "./demo/devAccounts.ts";
import { DemoError } from "./demo/errors.ts";
import { OracleWalk, pushRounds } from "./demo/oracle.ts";
import { DEFAULT_TAKER_FLOW, startTakerFlow } from "./demo/taker.ts";
import { startProcess, stopAll, type Managed } from "./demo/processes.ts";
import {
  assertPortFree,
  buildContracts,
  DEV_ROLES,
  INITIAL_ANSWERS,
  deployStack,
  depositOnL1,
  devWallet,
  fundAccountsFor,
  registerFundAccounts,
  startChain,
  startSequencer,
} from "./demo/stack.ts";
import { buildWeb, startWeb, webBuildIsFresh, writeWebDeployment } from "./demo/web.ts";

const CHAIN_ID = 31337;
/** The demo's option listing: one weekly expiry, three strikes, calls and puts. */
const DEMO_LISTING = { weeks: 1, strikesEachSide: 1, optionsPerUnderlying: 6 } as const;

/** Each market maker's deposit: 1,000,000 USDC (base units, 6 decimals). */
const BOT_DEPOSIT = 1_000_000_000_000n;
/** The taker flow's deposit: 100,000 USDC. */
const TAKER_DEPOSIT = 100_000_000_000n;
/** Test USDC minted to each trader account (5..9) for the web app: 100,000 USDC. */
const TRADER_MINT = 100_000_000_000n;
/** Largest oracle move per round, basis points. */
const ORACLE_STEP_BPS = 15n;

const args = z
  .object({
    profile: z.enum(["demo", "test"]).default("demo"),
    "chain-port": z.coerce.number().int().min(1).max(65535).default(8545),
    "sequencer-port": z.coerce.number().int().min(1).max(65535).default(8600),
    "web-port": z.coerce.number().int().min(1).max(65535).default(3000),
    provers: z.coerce.number().int().min(1).max(8).default(1),
    "oracle-interval-ms": z.coerce.number().int().min(1000).default(15_000),
    seed: z.coerce.bigint().default(1n),
    "taker-interval-ms": z.coerce
      .number()
      .int()
      .refine((n) => n === 0 || n >= 500, "0 (off) or at least 500")
      .default(DEFAULT_TAKER_FLOW.intervalMs),
    "no-web": z.boolean().default(false),
  })
  .parse(
    parseArgs({
      options: {
        profile: { type: "string" },
        "chain-port": { type: "string" },
        "sequencer-port": { type: "string" },
        "web-port": { type: "string" },
        provers: { type: "string" },
        "oracle-interval-ms": { type: "string" },
        seed: { type: "string" },
        "taker-interval-ms": { type: "string" },
        "no-web": { type: "boolean" },
      },
      strict: true,
    }).values,
  );

const started = performance.now();
const LOG_DIR = path.join(ROOT, ".cache", "demo");
mkdirSync(LOG_DIR, { recursive: true });
const logs: WriteStream[] = [];
function logTo(name: string): (line: string) => void {
  const stream = createWriteStream(path.join(LOG_DIR, `${name}.log`));
  logs.push(stream);
  return (line) => stream.write(line + "\n");
}
function say(msg: string): void {
  const t = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  process.stdout.write(`[demo ${t}s] ${msg}\n`);
}

const processes: Managed[] = [];
let stopOracle: (() => Promise<void>) | null = null;
let stopTaker: (() => Promise<void>) | null = null;
let stopping: Promise<void> | null = null;

/** Stops everything this run started, newest first; idempotent. */
function shutdown(reason: string, code: number): Promise<void> {
  stopping ??= (async () => {
    say(`stopping (${reason})…`);
    await stopTaker?.();
    await stopOracle?.();
    await stopAll(processes);
    for (const s of logs) s.end();
    say("stopped");
    process.exit(code);
  })();
  return stopping;
}
// Every signal is handled (never the default exit): npm, tsx and terminals may deliver Ctrl-C
// more than once, and dying halfway through the shutdown would orphan the children.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void shutdown(signal, 0));

/** A child that dies while the demo runs takes the demo down (and is named). */
function supervise(p: Managed): Managed {
  processes.push(p);
  void p.exited.then((how) => {
    if (stopping === null) {
      process.stderr.write(`${p.name} exited (${how}); last output:\n${p.tail()}\n`);
      void shutdown(`${p.name} exited`, 1);
    }
  });
  return p;
}

/** Waits (up to a minute) until the venue has seen the account's L1 deposit. */
async function waitForAccount(client: TesseraClient, who: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await client.account();
      return;
    } catch (e) {
      if (i >= 300)
        throw new DemoError("DEPOSIT_NOT_SEEN", `the venue never saw the ${who}'s L1 deposit: ${String(e)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

try {
  const chainPort = args["chain-port"];
  const rpcUrl = `http://127.0.0.1:${chainPort}`;
  await assertPortFree(chainPort, "chain");
  await assertPortFree(args["sequencer-port"], "sequencer");
  // The sequencer serves market data on the next port (TESSERA_MARKET_DATA_PORT).
  await assertPortFree(args["sequencer-port"] + 1, "market data");
  if (!args["no-web"]) await assertPortFree(args["web-port"], "web");

  say(`circuit profile ${args.profile}: building unless cached (the first demo build takes about 4–6 min here)`);
  const built = await ensureProfileBuilt(args.profile);
  if (writeGeneratedVerifier(built)) say(`wrote contracts/generated/${built.contractName}.sol`);
  say(`circuit ${built.built ? "built" : "cached"}: ${built.nConstraints} constraints (TEST-ONLY ceremony)`);
  await buildContracts();
  say("contracts compiled");

  supervise(await startChain(chainPort));
  say(`hardhat node on ${rpcUrl}`);
  const connection = await network.connect({ network: "localhost", override: { url: rpcUrl } });
  const { ethers } = connection;
  const signers = await ethers.getSigners();
  const deployer = signers[DEV_ROLES.admin]!;
  const deployed = await deployStack(ethers, args.profile);
  say(`rollup deployed at ${deployed.rollup}`);
  for (const i of DEV_TRADER_INDICES) {
    const usdc = deployed.deployment.collateral.connect(deployer) as Contract;
    await (await usdc.getFunction("mint")(signers[i]!.address, TRADER_MINT)).wait();
  }

  const adminToken = randomBytes(24).toString("hex");
  const sequencer = await startSequencer({
    deployed,
    rpcUrl,
    port: args["sequencer-port"],
    dbFile: path.join(LOG_DIR, "sequencer.db"),
    adminToken,
    provers: args.provers,
    optionWeeks: DEMO_LISTING.weeks,
    strikesEachSide: DEMO_LISTING.strikesEachSide,
    onLine: logTo("sequencer"),
  });
  supervise(sequencer.process);
  say(`sequencer on ${sequencer.url} (L1 watcher, submitter, ${args.provers} prover(s))`);

  // Insurance fund capacity: a slot for every listed instrument (account 1 and as many more fund
  // accounts as that takes), so no order is refused NO_FUND_CAPACITY (docs/deployment.md).
  const positions = getProfile(args.profile).positions;
  const listed = deployed.feeds.length * (1 + DEMO_LISTING.optionsPerUnderlying);
  const funds = await registerFundAccounts(
    deployed,
    deployer,
    signers[DEV_ROLES.insuranceOwner]!,
    fundAccountsFor(listed, positions) - 1,
  );
  say(
    `insurance fund accounts 1, ${funds.join(", ")}: ${(funds.length + 1) * positions} position slots for ${listed} instruments`,
  );

  // Market makers: every listed instrument gets a two-sided quote. A quote needs a position
  // slot free for its fill, and each bot keeps one slot for its perp hedge, so each bot account
  // quotes its underlying's perp and at most P − 1 options; enough accounts per underlying share
  // the chain (--option-offset). With the demo profile (P = 4) and DEMO_LISTING: two accounts per
  // underlying, 8 resting quotes each, within the 16 order slots.
  const botWallet = devWallet(DEV_ROLES.marketMaker);
  const botKey = await TradingKey.fromWallet(botWallet);
  const optionsPerBot = Math.max(1, getProfile(args.profile).positions - 1);
  const botsPerUnderlying = Math.ceil(DEMO_LISTING.optionsPerUnderlying / optionsPerBot);
  const botAccounts: bigint[] = [];
  for (let u = 1; u <= deployed.feeds.length; u++) {
    for (let k = 0; k < botsPerUnderlying; k++) {
      const account = await depositOnL1(
        deployed,
        deployer,
        signers[DEV_ROLES.marketMaker]!,
        botKey.pkHash,
        BOT_DEPOSIT,
      );
      botAccounts.push(account);
      await waitForAccount(new TesseraClient({ url: sequencer.url, key: botKey, accountId: account }), "bot");
      const name = `market-maker-${u}-${k + 1}`;
      supervise(
        startProcess({
          name,
          command: process.execPath,
          args: [
            "--import",
            "tsx",
            path.join(ROOT, "sdk/bot/main.ts"),
            ...["--url", sequencer.url, "--wallet-key", botWallet.privateKey, "--account", account.toString()],
            ...["--underlyings", String(u), "--options", String(optionsPerBot)],
            ...["--option-offset", String(k * optionsPerBot)],
          ],
          cwd: ROOT,
          onLine: logTo(name),
        }),
      );
    }
  }
  say(`${botAccounts.length} market-maker accounts funded on L1 (${botAccounts.join(", ")}; 1,000,000 USDC each)`);

  let takerAccount: bigint | null = null;
  if (args["taker-interval-ms"] > 0) {
    takerAccount = await depositOnL1(deployed, deployer, signers[DEV_ROLES.marketMaker]!, botKey.pkHash, TAKER_DEPOSIT);
    const takerClient = new TesseraClient({ url: sequencer.url, key: botKey, accountId: takerAccount });
    await waitForAccount(takerClient, "taker");
    stopTaker = startTakerFlow(takerClient, {
      ...DEFAULT_TAKER_FLOW,
      intervalMs: args["taker-interval-ms"],
      seed: args.seed,
      log: logTo("taker"),
    });
    say(
      `taker flow on account ${takerAccount}: a market order every ${args["taker-interval-ms"]} ms (seed ${args.seed})`,
    );
  }

  const walk = new OracleWalk(INITIAL_ANSWERS.slice(0, deployed.feeds.length), args.seed, ORACLE_STEP_BPS);
  const oracleLog = logTo("oracle");
  stopOracle = pushRounds(deployed.deployment.feeds, walk, args["oracle-interval-ms"], {
    onRound: (a) => oracleLog(`round ${a.map(String).join(",")}`),
    onError: (e) => oracleLog(`round failed: ${String(e)}`),
  });

  let webUrl: string | null = null;
  if (!args["no-web"]) {
    writeWebDeployment({
      chainId: CHAIN_ID,
      rpcUrl,
      sequencerUrl: sequencer.url,
      profile: args.profile,
      rollup: deployed.rollup,
      usdc: deployed.collateral,
      feeds: deployed.feeds,
      deployBlock: deployed.deployBlock,
      vkeyFile: built.vkey,
    });
    if (!webBuildIsFresh()) {
      say("web app: building (next build web)…");
      await buildWeb(logTo("next-build"));
    }
    supervise(await startWeb(args["web-port"]));
    webUrl = `http://127.0.0.1:${args["web-port"]}`;
  }

  const readySeconds = ((performance.now() - started) / 1000).toFixed(1);
  const lines = [
    "",
    `Tessera is running (profile ${args.profile}, ready in ${readySeconds} s). Ctrl-C stops everything.`,
    "",
    `  web app        ${webUrl ?? "(not started: --no-web)"}`,
    `  sequencer      ${sequencer.url}   (REST + WS /v1/ws; docs/api.md)`,
    `  chain          ${rpcUrl}   chain id ${CHAIN_ID}`,
    `  rollup         ${deployed.rollup}`,
    `  TestUSDC       ${deployed.collateral}`,
    ...deployed.feeds.map((f, i) => `  feed ${["ETH", "BTC", "SOL"][i] ?? i + 1}       ${f}`),
    `  logs           ${path.relative(ROOT, LOG_DIR)}/*.log`,
    "",
    "DEVELOPMENT ACCOUNTS (Hardhat's public keys: never use them on a real network)",
    ...DEV_TRADER_INDICES.map((i) => {
      const w = devWallet(i);
      return `  trader #${i}  ${w.address}  key ${w.privateKey}  (100,000 TestUSDC)`;
    }),
    `  market maker ${botWallet.address} (accounts ${botAccounts.join(", ")}${takerAccount === null ? "" : `; taker flow ${takerAccount}`}), operator ${devWallet(DEV_ROLES.operator).address}`,
    'In the app, "Development account" (header) trades as one of them with no wallet extension;',
    "or import a trader key into your wallet and add the network (RPC above, chain id 31337).",
    "Then deposit from the Portfolio page.",
    "",
  ];
  process.stdout.write(lines.join("\n"));
} catch (e) {
  process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
  await shutdown("error", 1);
}
