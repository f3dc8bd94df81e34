"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useState } from "react";
import { useConnect, useConnectors, useDisconnect, useSwitchChain } from "wagmi";
import { explain } from "../lib/errors.ts";
import { shortHex } from "../lib/format.ts";
import { useSession } from "../lib/session.tsx";
import { useLiveStatus, useVenue } from "../lib/venue.tsx";
import { DEV_CONNECTOR_PREFIX, offersDevAccounts } from "../lib/wagmi.ts";

const NAV = [
  { href: "/", label: "Perps" },
  { href: "/options", label: "Options" },
  { href: "/portfolio", label: "Portfolio" },
  { href: "/proofs", label: "Proofs" },
] as const;

function LiveLight() {
  const status = useLiveStatus();
  const text = status === "live" ? "Live" : status === "connecting" ? "Connecting" : "Offline: prices may be stale";
  return (
    <span className="live hide-narrow" role="status" aria-live="polite">
      <span className={`dot ${status}`} aria-hidden="true" />
      {text}
    </span>
  );
}

/** Connect, switch chain, unlock trading (one signature), and the account. */
function Wallet() {
  const { deployment } = useVenue();
  const session = useSession();
  const connectors = useConnectors();
  const connect = useConnect();
  const switchChain = useSwitchChain();
  const disconnect = useDisconnect();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const act = async (action: () => Promise<unknown>) => {
    setError(null);
    setBusy(true);
    try {
      await action();
    } catch (e) {
      setError(explain(e));
    } finally {
      setBusy(false);
    }
  };

  let control;
  if (session.address === undefined) {
    const injected = connectors.find((c) => c.id === "injected");
    const devAccounts = offersDevAccounts(deployment)
      ? connectors.filter((c) => c.id.startsWith(DEV_CONNECTOR_PREFIX))
      : [];
    control = (
      <>
        <button
          className="primary"
          disabled={busy}
          onClick={() =>
            void act(async () => {
              if (injected === undefined || typeof window === "undefined" || !("ethereum" in window)) {
                throw new Error(
                  "No browser wallet found. Install a wallet extension such as MetaMask" +
                    (devAccounts.length > 0 ? ", or use a development account," : "") +
                    " then reload.",
                );
              }
              await connect.mutateAsync({ connector: injected });
            })
          }
        >
          Connect wallet
        </button>
        {devAccounts.length > 0 && (
          <details className="menu">
            <summary>Development account</summary>
            <div className="panel menu-body" role="group" aria-label="Development accounts">
              <p className="muted">
                Hardhat&apos;s public test keys on this local chain: the page signs for them, and anyone can spend them.
                Never send real funds to these addresses.
              </p>
              {devAccounts.map((c) => (
                <button
                  key={c.uid}
                  disabled={busy}
                  onClick={() => void act(() => connect.mutateAsync({ connector: c }))}
                >
                  Use {c.name.replace("Development account ", "trader ")}
                </button>
              ))}
            </div>
          </details>
        )}
      </>
    );
  } else if (!session.onChain) {
    control = (
      <button
        className="primary"
        disabled={busy}
        onClick={() => void act(() => switchChain.mutateAsync({ chainId: deployment.chainId }))}
      >
        Switch to chain {deployment.chainId}
      </button>
    );
  } else if (session.key === null) {
    control = (
      <button
        className="primary"
        disabled={busy}
        title="Your wallet signs one message; the trading key is derived from it and stays in this tab."
        onClick={() => void act(session.unlock)}
      >
        {busy ? "Sign in your wallet…" : "Unlock trading"}
      </button>
    );
  } else {
    control = (
      <span className={session.accountError === null ? "muted" : "neg"} role="status">
        {session.accountError !== null
          ? session.accountError
          : session.accountLoading
            ? "Finding account…"
            : session.accountId === null
              ? "No account yet"
              : `Account #${session.accountId}`}
      </span>
    );
  }

  return (
    <div className="wallet">
      {error !== null && (
        <span className="error" role="alert">
          {error}
        </span>
      )}
      {control}
      {session.address !== undefined && (
        <details className="menu">
          <summary className="num" aria-label={`Wallet ${session.address}`}>
            {shortHex(session.address)}
          </summary>
          <div className="panel menu-body">
            {session.key !== null && <button onClick={session.lock}>Lock trading key</button>}
            <button onClick={() => void act(() => disconnect.mutateAsync({}))}>Disconnect</button>
          </div>
        </details>
      )}
    </div>
  );
}

export function AppHeader() {
  const path = usePathname();
  return (
    <header className="top">
      <Link href="/" className="brand">
        TESSERA
      </Link>
      <nav className="nav" aria-label="Main">
        {NAV.map((item) => (
          <Link key={item.href} href={item.href} aria-current={path === item.href ? "page" : undefined}>
            {item.label}
          </Link>
        ))}
      </nav>
      <span className="spacer" />
      <LiveLight />
      <Wallet />
    </header>
  );
}
