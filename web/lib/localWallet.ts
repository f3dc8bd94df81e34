/**
 * A wallet that lives in the page: an EIP-1193 provider over a viem local account. It signs
 * messages, typed data and transactions itself, in the page, and forwards every other JSON-RPC
 * call to the chain's node unchanged (so revert data reaches the app). The node never signs.
 *
 * Two users: the app's "development account" connector on the local Hardhat chain
 * (web/lib/wagmi.ts; Hardhat's public development keys only), and the browser tests' injected
 * `window.ethereum` (test/web/browser/wallet.ts). Like a browser wallet it reports no account
 * until a page asks for accounts once (`eth_requestAccounts` or `wallet_requestPermissions`), and,
 * with `rememberAs`, remembers that connection in the tab's session storage across page loads.
 */
import { createWalletClient, http, numberToHex } from "viem";
import type { Address, Chain, Hex, LocalAccount, TypedDataDefinition } from "viem";

/** EIP-1193: the user rejected the request. */
export const USER_REJECTED = 4001;
/** EIP-1193: the requested account is not this wallet's. */
export const UNAUTHORIZED = 4100;
/** EIP-1193: the wallet does not support this method. */
export const UNSUPPORTED_METHOD = 4200;
/** EIP-3085: the chain is not known to the wallet. */
export const UNRECOGNIZED_CHAIN = 4902;
/** JSON-RPC: internal error. */
const INTERNAL_ERROR = -32603;

/** An EIP-1193 error: `code` and, for node errors, the node's `data` (e.g. revert data). */
export class ProviderRpcError extends Error {
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = "ProviderRpcError";
    this.code = code;
    this.data = data;
  }
}

export interface RequestArguments {
  readonly method: string;
  readonly params?: readonly unknown[] | object;
}

type Listener = (...args: unknown[]) => void;

/** The EIP-1193 provider: `request` and the event methods wagmi's injected connector uses. */
export interface LocalWalletProvider {
  request(args: RequestArguments): Promise<unknown>;
  on(event: string, listener: Listener): LocalWalletProvider;
  removeListener(event: string, listener: Listener): LocalWalletProvider;
  /** The wallet's address (derives the key on first use). */
  readonly address: Address;
}

export interface LocalWalletOptions {
  /** Signs everything; created lazily on the first request that needs it. */
  readonly account: () => LocalAccount;
  /** The chain, with the node's JSON-RPC URL as its default HTTP URL. */
  readonly chain: Chain;
  /** Session-storage key remembering the connection across page loads (none: forget on load). */
  readonly rememberAs?: string;
}

interface TransactionParams {
  readonly from?: string;
  readonly to?: Hex | null;
  readonly data?: Hex;
  readonly value?: Hex;
  readonly gas?: Hex;
  readonly nonce?: Hex;
}

const permissions = (accounts: readonly Address[]) => [
  { parentCapability: "eth_accounts", caveats: [{ type: "restrictReturnedAccounts", value: accounts }] },
];

const asBigInt = (v: Hex | undefined): bigint | undefined => (v === undefined ? undefined : BigInt(v));

function sessionFlag(key: string | undefined): { get(): boolean; set(on: boolean): void } {
  let memory = false;
  const storage = (): Storage | null => {
    try {
      return key !== undefined && typeof sessionStorage !== "undefined" ? sessionStorage : null;
    } catch {
      return null; // storage disabled: remember in memory only
    }
  };
  return {
    get: () => storage()?.getItem(key!) === "1" || memory,
    set: (on) => {
      memory = on;
      const s = storage();
      if (s === null) return;
      if (on) s.setItem(key!, "1");
      else s.removeItem(key!);
    },
  };
}

/** Forwards one JSON-RPC request to the node, keeping its error code and data. */
async function forward(rpcUrl: string, method: string, params: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: params ?? [] }),
    });
  } catch {
    throw new ProviderRpcError(INTERNAL_ERROR, `The chain's node at ${rpcUrl} cannot be reached.`);
  }
  const body = (await response.json()) as {
    result?: unknown;
    error?: { code: number; message: string; data?: unknown };
  };
  if (body.error !== undefined) throw new ProviderRpcError(body.error.code, body.error.message, body.error.data);
  return body.result ?? null;
}

/** Finds the node's error (code and data) under a viem error, if any. */
function rpcErrorOf(e: unknown): ProviderRpcError {
  if (e instanceof ProviderRpcError) return e;
  for (let cause: unknown = e; cause instanceof Error; cause = cause.cause) {
    const { code, data } = cause as { code?: unknown; data?: unknown };
    if (typeof code === "number") {
      const short = (e as { shortMessage?: unknown }).shortMessage;
      return new ProviderRpcError(code, typeof short === "string" ? short : cause.message, data);
    }
  }
  return new ProviderRpcError(INTERNAL_ERROR, e instanceof Error ? e.message : String(e));
}

/**
 * Creates the wallet of `options.account`. The key is derived (by `options.account`, once) on
 * the first request: deriving from a mnemonic takes a moment, and a page may never use it.
 */
export function localWalletProvider(options: LocalWalletOptions): LocalWalletProvider {
  const rpcUrl = options.chain.rpcUrls.default.http[0];
  if (rpcUrl === undefined) throw new Error(`chain ${options.chain.id} has no JSON-RPC URL`);
  const connected = sessionFlag(options.rememberAs);
  const listeners = new Map<string, Set<Listener>>();
  const emit = (event: string, ...args: unknown[]) => {
    for (const listener of listeners.get(event) ?? []) listener(...args);
  };
  let signer: { account: LocalAccount; wallet: ReturnType<typeof createWalletClient> } | null = null;
  const sign = () => {
    if (signer === null) {
      const account = options.account();
      signer = { account, wallet: createWalletClient({ account, chain: options.chain, transport: http(rpcUrl) }) };
    }
    return signer;
  };
  const mine = (who: unknown) => {
    const address = sign().account.address;
    if (typeof who !== "string" || who.toLowerCase() !== address.toLowerCase()) {
      throw new ProviderRpcError(UNAUTHORIZED, `This wallet holds ${address} only, not ${String(who)}.`);
    }
    if (!connected.get()) throw new ProviderRpcError(UNAUTHORIZED, "Connect the wallet first.");
  };
  const connect = () => {
    const address = sign().account.address;
    const was = connected.get();
    connected.set(true);
    if (!was) emit("accountsChanged", [address]);
    return [address];
  };

  const answer = async (method: string, params: readonly unknown[]): Promise<unknown> => {
    switch (method) {
      case "eth_requestAccounts":
        return connect();
      case "eth_accounts":
        return connected.get() ? [sign().account.address] : [];
      case "eth_chainId":
        return numberToHex(options.chain.id);
      case "net_version":
        return String(options.chain.id);
      case "wallet_requestPermissions":
        return permissions(connect());
      case "wallet_getPermissions":
        return connected.get() ? permissions([sign().account.address]) : [];
      case "wallet_revokePermissions":
        connected.set(false);
        emit("accountsChanged", []);
        return null;
      case "wallet_switchEthereumChain": {
        const wanted = (params[0] as { chainId?: string } | undefined)?.chainId;
        if (wanted !== undefined && Number(wanted) === options.chain.id) return null;
        throw new ProviderRpcError(UNRECOGNIZED_CHAIN, `This wallet knows chain ${options.chain.id} only.`);
      }
      case "personal_sign":
        mine(params[1]);
        return sign().account.signMessage({ message: { raw: params[0] as Hex } });
      case "eth_signTypedData_v4": {
        mine(params[0]);
        const typed = JSON.parse(params[1] as string) as TypedDataDefinition;
        return sign().account.signTypedData(typed);
      }
      case "eth_sendTransaction": {
        const tx = params[0] as TransactionParams;
        mine(tx.from ?? sign().account.address);
        const { account, wallet } = sign();
        const value = asBigInt(tx.value);
        const gas = asBigInt(tx.gas);
        const nonce = tx.nonce === undefined ? undefined : Number(tx.nonce);
        return wallet.sendTransaction({
          account,
          chain: options.chain,
          to: tx.to ?? null,
          ...(tx.data !== undefined ? { data: tx.data } : {}),
          ...(value !== undefined ? { value } : {}),
          ...(gas !== undefined ? { gas } : {}),
          ...(nonce !== undefined ? { nonce } : {}),
        });
      }
      case "eth_sign":
      case "eth_signTransaction":
      case "eth_signTypedData":
      case "eth_signTypedData_v3":
      case "wallet_addEthereumChain":
      case "wallet_watchAsset":
        throw new ProviderRpcError(UNSUPPORTED_METHOD, `${method} is not supported by this wallet.`);
      default:
        return forward(rpcUrl, method, params);
    }
  };

  const provider: LocalWalletProvider = {
    get address() {
      return sign().account.address;
    },
    async request({ method, params }) {
      try {
        return await answer(method, Array.isArray(params) ? params : params === undefined ? [] : [params]);
      } catch (e) {
        throw rpcErrorOf(e);
      }
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set<Listener>();
      set.add(listener);
      listeners.set(event, set);
      return provider;
    },
    removeListener(event, listener) {
      listeners.get(event)?.delete(listener);
      return provider;
    },
  };
  return provider;
}
