/**
 * The wagmi configuration for one deployment: its chain (the Hardhat chain, 31337, by default)
 * reached through its JSON-RPC URL, and the injected (browser) wallet.
 */
import { createConfig, http, injected } from "wagmi";
import type { Config } from "wagmi";
import { hardhat } from "viem/chains";
import { defineChain } from "viem";
import type { Deployment } from "./deployment.ts";

export function chainOf(deployment: Deployment): ReturnType<typeof defineChain> {
  return defineChain({
    ...hardhat,
    id: deployment.chainId,
    name: deployment.chainId === hardhat.id ? "Hardhat (local)" : `Chain ${deployment.chainId}`,
    rpcUrls: { default: { http: [deployment.rpcUrl] } },
  });
}

export function wagmiConfig(deployment: Deployment): Config {
  const chain = chainOf(deployment);
  return createConfig({
    chains: [chain],
    connectors: [injected()],
    transports: { [chain.id]: http(deployment.rpcUrl) },
    ssr: true,
  });
}
