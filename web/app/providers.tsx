"use client";
import type { ReactNode } from "react";
import { AppHeader } from "../components/AppHeader.tsx";
import { SessionProvider } from "../lib/session.tsx";
import { VenueProvider } from "../lib/venue.tsx";

export function Providers({ children }: { readonly children: ReactNode }) {
  return (
    <VenueProvider>
      <SessionProvider>
        <AppHeader />
        {children}
      </SessionProvider>
    </VenueProvider>
  );
}
