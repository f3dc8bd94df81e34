/**
 * The wagmi configuration for one deployment: its chain (the Hardhat chain, 31337, by default)
 * reached through its JSON-RPC URL, the injected (browser) wallet and, on the local Hardhat
 * chain only, Hardhat's public development trader accounts (#5–#9, funded by the demo) as
 * in-page wallets (web/lib/localWallet.ts): a trader can try the demo without a wallet extension.
 */
import { createConfig, http, injected } from "wagmi";
import type { Config, CreateConnectorFn } from "wagmi";
import { hardhat } from "viem/chains";
import { defineChain } from "viem";
import type { EIP1193Provider } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { DEV_MNEMONIC, DEV_TRADER_INDICES, HARDHAT_CHAIN_ID } from "../../scripts/demo/devAccounts.ts";
import type { Deployment } from "./deployment.ts";
import { localWalletProvider } from "./localWallet.ts";

/** The id prefix of the development-account connectors; the index follows. */
export const DEV_CONNECTOR_PREFIX = "hardhat-dev-";

export function chainOf(deployment: Deployment): ReturnType<typeof defineChain> {
  return defineChain({
    ...hardhat,
    id: deployment.chainId,
    name: deployment.chainId === hardhat.id ? "Hardhat (local)" : `Chain ${deployment.chainId}`,
    rpcUrls: { default: { http: [deployment.rpcUrl] } },
  });
}

/** True when the deployment is a local Hardhat chain, where the development accounts exist. */
export const offersDevAccounts = (deployment: Deployment): boolean => deployment.chainId === HARDHAT_CHAIN_ID;

/**
 * Hardhat's development account `index` as a connector whose wallet signs in the page.
 * DEVELOPMENT KEYS ONLY: the mnemonic is public; the app offers these on chain 31337 only.
 */
function devAccountConnector(chain: ReturnType<typeof defineChain>, index: number): CreateConnectorFn {
  let provider: EIP1193Provider | undefined;
  return injected({
    target: {
      id: `${DEV_CONNECTOR_PREFIX}${index}`,
      name: `Development account #${index}`,
      provider: () => {
        provider ??= localWalletProvider({
          account: () => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index }),
          chain,
          rememberAs: `tessera.devAccount.${index}.connected`,
        }) as unknown as EIP1193Provider;
        return provider;
      },
    },
  });
}

export function wagmiConfig(deployment: Deployment): Config {
  const chain = chainOf(deployment);
  const dev = offersDevAccounts(deployment) ? DEV_TRADER_INDICES.map((i) => devAccountConnector(chain, i)) : [];
  return createConfig({
    chains: [chain],
    connectors: [injected(), ...dev],
    transports: { [chain.id]: http(deployment.rpcUrl) },
    ssr: true,
  });
}
