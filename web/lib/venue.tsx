"use client";
/**
 * The venue the app is connected to, available to every component: the deployment, the
 * sequencer's REST client, the live feed and the signature domain. Loaded once at start-up from
 * `/deployment.json`; until then, or if it fails, the app says so in plain words.
 */
import { createContext, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { WagmiProvider } from "wagmi";
import { domainSeparator } from "../../protocol/batch.ts";
import { SequencerClient } from "./api.ts";
import { loadDeployment } from "./deployment.ts";
import type { Deployment } from "./deployment.ts";
import { explain } from "./errors.ts";
import { LiveFeed } from "./live.ts";
import type { LiveStatus } from "./live.ts";
import { wagmiConfig } from "./wagmi.ts";

export interface Venue {
  readonly deployment: Deployment;
  readonly api: SequencerClient;
  readonly live: LiveFeed;
  /** The signature domain of this deployment (docs/protocol.md §2). */
  readonly domain: bigint;
}

const VenueContext = createContext<Venue | null>(null);

export function useVenue(): Venue {
  const venue = useContext(VenueContext);
  if (venue === null) throw new Error("useVenue outside <VenueProvider>");
  return venue;
}

/** Whether live updates are flowing (for the status light). */
export function useLiveStatus(): LiveStatus {
  const { live } = useVenue();
  const [status, setStatus] = useState<LiveStatus>(live.status);
  useEffect(() => live.onStatus(setStatus), [live]);
  return status;
}

function VenueReady({ deployment, children }: { readonly deployment: Deployment; readonly children: ReactNode }) {
  const venue = useMemo<Venue>(() => {
    const api = new SequencerClient(deployment.sequencerUrl);
    return {
      deployment,
      api,
      // Orders' private stream on the venue; public channels on the market-data endpoint.
      live: new LiveFeed(LiveFeed.urlFor(deployment.sequencerUrl), async () =>
        LiveFeed.urlFor(await api.marketDataUrl()),
      ),
      domain: domainSeparator(BigInt(deployment.chainId), deployment.contracts.rollup),
    };
  }, [deployment]);
  const config = useMemo(() => wagmiConfig(deployment), [deployment]);
  const [queryClient] = useState(
    () => new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false, staleTime: 2_000 } } }),
  );
  useEffect(() => {
    venue.live.start();
    return () => venue.live.stop();
  }, [venue]);
  return (
    <WagmiProvider config={config}>
      <QueryClientProvider client={queryClient}>
        <VenueContext.Provider value={venue}>{children}</VenueContext.Provider>
      </QueryClientProvider>
    </WagmiProvider>
  );
}

export function VenueProvider({ children }: { readonly children: ReactNode }) {
  const [state, setState] = useState<{ deployment: Deployment } | { error: string } | null>(null);
  useEffect(() => {
    loadDeployment().then(
      (deployment) => setState({ deployment }),
      (error: unknown) => setState({ error: explain(error) }),
    );
  }, []);
  if (state === null) {
    return (
      <main className="splash" aria-busy="true">
        <p>Connecting to the venue…</p>
      </main>
    );
  }
  if ("error" in state) {
    return (
      <main className="splash">
        <h1>Tessera is not configured</h1>
        <p role="alert">{state.error}</p>
      </main>
    );
  }
  return <VenueReady deployment={state.deployment}>{children}</VenueReady>;
}
