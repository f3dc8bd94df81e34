/**
 * The web app in the demo: its runtime configuration (`web/public/deployment.json`, the shape
 * `web/lib/deployment.ts` validates, and the profile's verification key), and `next start`
 * after `next build` when the production build is missing or older than its sources.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../zk/compile.ts";
import { DemoError } from "./errors.ts";
import { startProcess, waitForLine, stopProcess, type Managed } from "./processes.ts";

export const WEB_DIR = path.join(ROOT, "web");
const NEXT_CLI = path.join(ROOT, "node_modules/next/dist/bin/next");
/** What a production build of the app is made from (the app imports protocol/). */
const WEB_SOURCES = ["web/app", "web/components", "web/lib", "web/next.config.ts", "web/tsconfig.json", "protocol"];
const UNDERLYING_NAMES = ["ETH", "BTC", "SOL"];

export interface WebDeployment {
  readonly chainId: number;
  readonly rpcUrl: string;
  readonly sequencerUrl: string;
  readonly profile: string;
  readonly rollup: string;
  readonly usdc: string;
  /** Feed address per underlying, index u−1. */
  readonly feeds: readonly string[];
  readonly deployBlock: number;
  /** The profile's snarkjs verification key (build/zk/<profile>-<key>/vkey.json). */
  readonly vkeyFile: string;
}

/** Writes `web/public/deployment.json` and `web/public/verification_key.json`. */
export function writeWebDeployment(d: WebDeployment): string {
  // web/public holds only these generated files, so a fresh clone has no such folder.
  mkdirSync(path.join(WEB_DIR, "public"), { recursive: true });
  const file = path.join(WEB_DIR, "public", "deployment.json");
  const json = {
    chainId: d.chainId,
    rpcUrl: d.rpcUrl,
    sequencerUrl: d.sequencerUrl,
    profile: d.profile,
    contracts: {
      rollup: d.rollup,
      usdc: d.usdc,
      feeds: Object.fromEntries(d.feeds.map((a, i) => [UNDERLYING_NAMES[i] ?? `U${i + 1}`, a])),
    },
    verificationKeyUrl: "/verification_key.json",
    deployBlock: d.deployBlock,
  };
  writeFileSync(file, JSON.stringify(json, null, 2) + "\n");
  copyFileSync(d.vkeyFile, path.join(WEB_DIR, "public", "verification_key.json"));
  return file;
}

function newestMtimeMs(p: string): number {
  if (!existsSync(p)) return 0;
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const e of readdirSync(p)) {
    if (e === "node_modules" || e === ".next") continue;
    newest = Math.max(newest, newestMtimeMs(path.join(p, e)));
  }
  return newest;
}

/** True when `web/.next` holds a production build newer than every source it is made from. */
export function webBuildIsFresh(): boolean {
  const buildId = path.join(WEB_DIR, ".next", "BUILD_ID");
  if (!existsSync(buildId)) return false;
  const built = statSync(buildId).mtimeMs;
  return WEB_SOURCES.every((s) => newestMtimeMs(path.join(ROOT, s)) <= built);
}

const NEXT_ENV = { NEXT_TELEMETRY_DISABLED: "1" };

/** `next build web`, forwarding its output lines to `onLine`. */
export async function buildWeb(onLine: (line: string) => void): Promise<void> {
  const build = startProcess({
    name: "next build",
    command: process.execPath,
    args: [NEXT_CLI, "build", "web"],
    cwd: ROOT,
    env: NEXT_ENV,
    onLine,
  });
  const how = await build.exited;
  if (how !== "0") throw new DemoError("WEB_BUILD_FAILED", `next build web failed (${how}):\n${build.tail()}`);
}

/** `next start web -p port`; resolves once it is ready. */
export async function startWeb(port: number): Promise<Managed> {
  const web = startProcess({
    name: "next start",
    command: process.execPath,
    args: [NEXT_CLI, "start", "web", "-p", String(port), "-H", "127.0.0.1"],
    cwd: ROOT,
    env: NEXT_ENV,
  });
  try {
    await waitForLine(web, (l) => (/ready|Local:/i.test(l) ? true : undefined), 120_000);
  } catch (e) {
    await stopProcess(web);
    throw e;
  }
  return web;
}
