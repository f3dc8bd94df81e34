"use client";
/** Proofs and custody: the batch explorer with in-browser verification, and the custody panel. */
import { BatchExplorer } from "../../components/proofs/BatchExplorer.tsx";
import { CustodyPanel } from "../../components/proofs/CustodyPanel.tsx";

export default function ProofsPage() {
  return (
    <main className="page">
      <h1 className="visually-hidden">Proofs and custody</h1>
      <CustodyPanel />
      <BatchExplorer />
    </main>
  );
}
