/**
 * A browser wallet without an extension, for tests: an EIP-1193 provider injected as
 * `window.ethereum` before any page script runs. The page's provider only relays requests to a
 * Node-side wallet (`page.exposeFunction`) which, like a real wallet, holds the private key,
 * signs `personal_sign` messages and transactions itself (viem `privateKeyToAccount`), and
 * forwards every other JSON-RPC call to the node. The node never signs. Like a wallet, it
 * answers `eth_accounts` with no account until a page has asked for accounts once, and
 * remembers that connection across page loads.
 *
 * DEVELOPMENT KEYS ONLY: tests pass one of Hardhat's public development keys.
 */
import type { BrowserContext } from "playwright-core";
import { createWalletClient, http, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";

/** The name of the Node-side function the page's provider calls. */
const BRIDGE = "__tesseraTestWallet";

/** EIP-1193 error: the wallet does not support this method. */
const UNSUPPORTED_METHOD = 4200;
/** EIP-3085: the chain is not known to the wallet. */
const UNRECOGNIZED_CHAIN = 4902;

interface RpcRequest {
  readonly method: string;
  readonly params?: readonly unknown[];
}

interface RpcError {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

type RpcReply = { readonly result: unknown } | { readonly error: RpcError };

/**
 * The page side: a minimal EIP-1193 provider relaying every request to the Node side. Events
 * are accepted and never fired (the account and chain do not change during a test).
 */
const PAGE_PROVIDER = `(() => {
  const provider = {
    async request({ method, params }) {
      const reply = JSON.parse(await window.${BRIDGE}(JSON.stringify({ method, params: params ?? [] })));
      if ("error" in reply) {
        const error = new Error(reply.error.message);
        error.code = reply.error.code;
        error.data = reply.error.data;
        throw error;
      }
      return reply.result;
    },
    on() { return provider; },
    removeListener() { return provider; },
  };
  window.ethereum = provider;
  window.dispatchEvent(new Event("ethereum#initialized"));
})();`;

/** Forwards one JSON-RPC request to the node, keeping its error (code and revert data). */
async function forward(rpcUrl: string, request: RpcRequest): Promise<RpcReply> {
  const response = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: request.method, params: request.params ?? [] }),
  });
  const body = (await response.json()) as { result?: unknown; error?: RpcError };
  return body.error !== undefined ? { error: body.error } : { result: body.result ?? null };
}

const optionalBigInt = (v: unknown): bigint | undefined => (typeof v === "string" ? BigInt(v) : undefined);

/**
 * Installs the wallet of `privateKey` in every page of `context`; its chain is the node at
 * `rpcUrl` (chain id `chainId`). Returns the wallet's address.
 */
export async function installWallet(
  context: BrowserContext,
  opts: { readonly privateKey: Hex; readonly rpcUrl: string; readonly chainId: number },
): Promise<Hex> {
  const account = privateKeyToAccount(opts.privateKey);
  const chain = { ...hardhat, id: opts.chainId, rpcUrls: { default: { http: [opts.rpcUrl] } } };
  const wallet = createWalletClient({ account, chain, transport: http(opts.rpcUrl) });

  let connected = false;
  const answer = async (request: RpcRequest): Promise<RpcReply> => {
    const params = request.params ?? [];
    switch (request.method) {
      case "eth_requestAccounts":
        connected = true;
        return { result: [account.address] };
      case "eth_accounts":
        return { result: connected ? [account.address] : [] };
      case "wallet_requestPermissions":
      case "wallet_revokePermissions":
        return { error: { code: UNSUPPORTED_METHOD, message: `${request.method} is not supported` } };
      case "wallet_switchEthereumChain": {
        const wanted = (params[0] as { chainId?: string } | undefined)?.chainId;
        return wanted !== undefined && Number(wanted) === opts.chainId
          ? { result: null }
          : { error: { code: UNRECOGNIZED_CHAIN, message: `chain ${wanted} is not configured` } };
      }
      case "personal_sign":
        return { result: await account.signMessage({ message: { raw: params[0] as Hex } }) };
      case "eth_sendTransaction": {
        const tx = params[0] as { to?: Hex; data?: Hex; value?: string; gas?: string };
        const hash = await wallet.sendTransaction({
          to: tx.to ?? null,
          ...(tx.data !== undefined ? { data: tx.data } : {}),
          ...(tx.value !== undefined ? { value: optionalBigInt(tx.value)! } : {}),
          ...(tx.gas !== undefined ? { gas: optionalBigInt(tx.gas)! } : {}),
        });
        return { result: hash };
      }
      default:
        return forward(opts.rpcUrl, request);
    }
  };

  await context.exposeFunction(BRIDGE, async (text: string): Promise<string> => {
    try {
      return JSON.stringify(await answer(JSON.parse(text) as RpcRequest));
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return JSON.stringify({ error: { code: -32603, message } } satisfies RpcReply);
    }
  });
  await context.addInitScript({ content: PAGE_PROVIDER });
  return account.address;
}
