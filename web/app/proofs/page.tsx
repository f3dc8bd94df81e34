"use client";
/**
 * Proofs and custody: the custody panel, the proving pipeline (how far proving trails the book),
 * and the batch explorer with in-browser verification.
 */
import { BatchExplorer } from "../../components/proofs/BatchExplorer.tsx";
import { CustodyPanel } from "../../components/proofs/CustodyPanel.tsx";
import { ProvingPipeline } from "../../components/proofs/ProvingPipeline.tsx";

export default function ProofsPage() {
  return (
    <main className="page">
      <h1 className="visually-hidden">Proofs and custody</h1>
      <CustodyPanel />
      <ProvingPipeline />
      <BatchExplorer />
    </main>
  );
}
