import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { Providers } from "./providers.tsx";
import "./globals.css";

export const metadata: Metadata = {
  title: "Tessera: perpetuals and options, proven",
  description: "A zk-rollup exchange for perpetual futures and European options.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1, themeColor: "#0b0e13" };

export default function RootLayout({ children }: { readonly children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
