/**
 * The page side of the tests' injected wallet, bundled for the browser by wallet.ts: reads its
 * configuration from `window.__tesseraTestWallet` and installs web/lib/localWallet.ts's provider
 * as `window.ethereum`, so the key lives and signs in the page, as in a wallet extension.
 *
 * DEVELOPMENT KEYS ONLY: the tests pass one of Hardhat's public development keys.
 */
import { defineChain, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { localWalletProvider } from "../../../web/lib/localWallet.ts";

interface Config {
  readonly privateKey: Hex;
  readonly rpcUrl: string;
  readonly chainId: number;
}

const scope = globalThis as unknown as { __tesseraTestWallet: Config; ethereum?: unknown } & Window;
const config = scope.__tesseraTestWallet;
scope.ethereum = localWalletProvider({
  account: () => privateKeyToAccount(config.privateKey),
  chain: defineChain({ ...hardhat, id: config.chainId, rpcUrls: { default: { http: [config.rpcUrl] } } }),
  rememberAs: "tessera.testWallet.connected",
});
scope.dispatchEvent(new Event("ethereum#initialized"));
