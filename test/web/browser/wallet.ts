/**
 * A browser wallet without an extension, for tests: an EIP-1193 provider injected as
 * `window.ethereum` before any page script runs. Like a wallet extension it holds the private key
 * in the page and signs `personal_sign` messages, typed data and transactions there (the app's
 * own in-page wallet, web/lib/localWallet.ts, bundled with esbuild from browser/injectedWallet.ts),
 * forwarding every other JSON-RPC call to the node. The node never signs. It answers
 * `eth_accounts` with no account until the page has asked for accounts once, and remembers that
 * connection across page loads of the tab.
 *
 * DEVELOPMENT KEYS ONLY: tests pass one of Hardhat's public development keys.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { BrowserContext } from "playwright-core";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

const ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), "injectedWallet.ts");

let bundle: Promise<string> | null = null;

/** The page-side wallet as one classic script (built once per test process, ~1 s). */
function pageWallet(): Promise<string> {
  bundle ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "chrome120",
    minify: true,
    write: false,
    logLevel: "silent",
  }).then((result) => result.outputFiles[0]!.text);
  return bundle;
}

/**
 * Installs the wallet of `privateKey` in every page of `context`; its chain is the node at
 * `rpcUrl` (chain id `chainId`). Returns the wallet's address.
 */
export async function installWallet(
  context: BrowserContext,
  opts: { readonly privateKey: Hex; readonly rpcUrl: string; readonly chainId: number },
): Promise<Hex> {
  const config = { privateKey: opts.privateKey, rpcUrl: opts.rpcUrl, chainId: opts.chainId };
  await context.addInitScript({
    content: `window.__tesseraTestWallet = ${JSON.stringify(config)};\n${await pageWallet()}`,
  });
  return privateKeyToAccount(opts.privateKey).address;
}
