"use client";
/** Portfolio: funds (faucet, deposit, withdraw, claim), margin and all positions. */
import { FundsPanel } from "../../components/funds/FundsPanel.tsx";
import { AccountPanel, MarginHealth } from "../../components/trade/AccountPanel.tsx";
import { Empty, Panel } from "../../components/ui.tsx";
import { useAccount } from "../../lib/market.ts";

export default function PortfolioPage() {
  const account = useAccount();
  return (
    <main className="page">
      <h1 className="visually-hidden">Portfolio</h1>
      <FundsPanel />
      <div className="two-col">
        <AccountPanel />
        <Panel title="Margin" labelId="portfolio-margin-title">
          {account.data === undefined ? <Empty>No account data yet.</Empty> : <MarginHealth view={account.data} />}
        </Panel>
      </div>
    </main>
  );
}
