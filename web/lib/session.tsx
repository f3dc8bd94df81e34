"use client";
/**
 * The trader's session: the connected wallet, the trading key derived from one wallet
 * signature of KEY_MESSAGE_V1 (docs/protocol.md §2), and the rollup account registered for
 * that wallet and key.
 *
 * The private key lives in memory and in this tab's sessionStorage only (it is gone when the
 * tab closes; the same signature re-derives it). It is never sent anywhere: orders are signed
 * here and only signatures leave the browser.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import { useConnection, usePublicClient, useSignMessage } from "wagmi";
import type { Address } from "viem";
import { KEY_MESSAGE_V1, pkHash, publicKeyOf, tradingKeyFromSignatureHex } from "../../protocol/keys.ts";
import type { PrivateKey } from "../../protocol/keys.ts";
import { signFast } from "../../protocol/eddsa-fast.ts";
import { initPoseidon } from "../../protocol/poseidon.ts";
import type { PublicKey } from "../../protocol/types.ts";
import { rollupAbi } from "./contracts.ts";
import { explain } from "./errors.ts";
import { useVenue } from "./venue.tsx";

export interface TradingKey {
  readonly privateKey: PrivateKey;
  readonly publicKey: PublicKey;
  readonly pkHash: bigint;
}

export interface Session {
  readonly address: Address | undefined;
  /** The wallet is on the deployment's chain. */
  readonly onChain: boolean;
  readonly key: TradingKey | null;
  /** The account registered for this wallet and key; null until registered. */
  readonly accountId: bigint | null;
  readonly accountLoading: boolean;
  /** Why the account could not be looked up on L1 (plain words), or null. */
  readonly accountError: string | null;
  /** Bearer token of the sequencer session (private reads, cancels); null until opened. */
  readonly token: string | null;
  readonly tokenError: unknown;
  /** Asks the wallet for the key signature; rejects with the wallet's error. */
  readonly unlock: () => Promise<void>;
  readonly lock: () => void;
  readonly refreshAccount: () => void;
}

const SessionContext = createContext<Session | null>(null);

/**
 * Why an order or a withdrawal cannot be signed yet for want of the venue session (its token
 * names the account's next order id), in plain words; null once the session is open.
 */
export function venueSessionBlocker(session: Pick<Session, "token" | "tokenError">): string | null {
  if (session.token !== null) return null;
  return session.tokenError === null || session.tokenError === undefined
    ? "Opening your venue session…"
    : "The venue session could not be opened (the account panel says why): try again in a moment.";
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error("useSession outside <SessionProvider>");
  return session;
}

async function keyFromPrivate(privateKey: PrivateKey): Promise<TradingKey> {
  await initPoseidon();
  const publicKey = publicKeyOf(privateKey);
  return { privateKey, publicKey, pkHash: pkHash(publicKey) };
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
}

export function SessionProvider({ children }: { readonly children: ReactNode }) {
  const { deployment, api, domain, live } = useVenue();
  const { address, chainId } = useConnection();
  const publicClient = usePublicClient({ chainId: deployment.chainId });
  const { mutateAsync: signMessage } = useSignMessage();
  const [key, setKey] = useState<TradingKey | null>(null);
  const storageKey =
    address === undefined ? null : `tessera:key:${deployment.chainId}:${deployment.contracts.rollup}:${address}`;

  // Restore this tab's key for this wallet; forget it when the wallet changes.
  useEffect(() => {
    setKey(null);
    if (storageKey === null) return;
    const saved = sessionStorage.getItem(storageKey);
    if (saved === null || !/^[0-9a-f]{64}$/.test(saved)) return;
    let live = true;
    void keyFromPrivate(fromHex(saved)).then((k) => {
      if (live) setKey(k);
    });
    return () => {
      live = false;
    };
  }, [storageKey]);

  const unlock = useCallback(async () => {
    if (storageKey === null) throw new Error("Connect a wallet first.");
    const signature = await signMessage({ message: KEY_MESSAGE_V1 });
    const k = await keyFromPrivate(tradingKeyFromSignatureHex(signature));
    sessionStorage.setItem(storageKey, toHex(k.privateKey));
    setKey(k);
  }, [signMessage, storageKey]);

  const lock = useCallback(() => {
    if (storageKey !== null) sessionStorage.removeItem(storageKey);
    setKey(null);
  }, [storageKey]);

  const account = useQuery({
    queryKey: ["accountId", deployment.contracts.rollup, address, key?.pkHash.toString()],
    enabled: address !== undefined && key !== null && publicClient !== undefined,
    queryFn: async (): Promise<bigint | null> => {
      const logs = await publicClient!.getContractEvents({
        address: deployment.contracts.rollup,
        abi: rollupAbi,
        eventName: "AccountRegistered",
        args: { owner: address },
        fromBlock: BigInt(deployment.deployBlock),
      });
      const mine = logs.find((log) => log.args.pkHash === key!.pkHash);
      return mine?.args.accountId ?? null;
    },
  });

  const accountId = account.data ?? null;
  const apiSession = useQuery({
    queryKey: ["apiSession", accountId?.toString(), key?.pkHash.toString()],
    enabled: accountId !== null && key !== null,
    queryFn: () => api.openSession(accountId!, domain, key!.publicKey, (m) => signFast(key!.privateKey, m)),
    // Renew a minute before expiry; after a refusal (e.g. the first deposit is not in yet), retry.
    refetchInterval: (q) => {
      if (q.state.error !== null) return 10_000;
      const expiresAt = q.state.data?.expiresAt;
      return expiresAt === undefined ? false : Math.max(expiresAt - Date.now() - 60_000, 5_000);
    },
    staleTime: Infinity,
    retry: 2,
  });
  const token = apiSession.data?.token ?? null;
  useEffect(() => live.authenticate(token), [live, token]);

  const session = useMemo<Session>(
    () => ({
      address,
      onChain: chainId === deployment.chainId,
      key,
      accountId,
      accountLoading: account.isLoading,
      accountError: account.error === null ? null : explain(account.error),
      token,
      tokenError: apiSession.error,
      unlock,
      lock,
      refreshAccount: () => void account.refetch(),
    }),
    [address, chainId, deployment.chainId, key, account, accountId, token, apiSession.error, unlock, lock],
  );
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}
