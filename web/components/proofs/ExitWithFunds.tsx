"use client";
/**
 * "Exit with my funds" in exodus mode: rebuilds the last verified state in the browser from the
 * verified batches' L1 calldata (web/lib/exit.ts, protocol/rebuild.ts), then sends `exit` for
 * every account the connected wallet owns, paying each account's equity to its owner.
 */
import { useState } from "react";
import { usePublicClient, useWriteContract } from "wagmi";
import { rollupAbi } from "../../lib/contracts.ts";
import { explain } from "../../lib/errors.ts";
import { prepareExits } from "../../lib/exit.ts";
import type { ExitProgress } from "../../lib/exit.ts";
import { useSession } from "../../lib/session.tsx";
import { txLabel, useL1Tx } from "../../lib/tx.ts";
import { useVenue } from "../../lib/venue.tsx";
import { ErrorText, TxStatus } from "../ui.tsx";

type Step =
  | { readonly phase: "idle" }
  | { readonly phase: "preparing"; readonly progress: ExitProgress | null }
  | { readonly phase: "exiting"; readonly accountId: bigint; readonly index: number; readonly count: number }
  | { readonly phase: "done"; readonly count: number }
  | { readonly phase: "error"; readonly message: string };

function progressText(progress: ExitProgress | null): string {
  if (progress === null) return "Reading the rollup contract…";
  switch (progress.phase) {
    case "reading":
      return `Reading verified batches from L1: ${progress.done} of ${progress.total}…`;
    case "rebuilding":
      return `Rebuilding the state from their data: ${progress.done} of ${progress.total} batches…`;
    case "proving":
      return "Computing your exit proof…";
  }
}

export function ExitWithFunds({ onDone }: { readonly onDone: () => void }) {
  const { deployment, domain } = useVenue();
  const { address } = useSession();
  const client = usePublicClient({ chainId: deployment.chainId });
  const { mutateAsync: write } = useWriteContract();
  const tx = useL1Tx();
  const [step, setStep] = useState<Step>({ phase: "idle" });
  const busy = step.phase === "preparing" || step.phase === "exiting";

  const start = async () => {
    if (address === undefined || client === undefined) return;
    setStep({ phase: "preparing", progress: null });
    try {
      const exits = await prepareExits(client, deployment, domain, address, (progress) =>
        setStep({ phase: "preparing", progress }),
      );
      for (const [index, exit] of exits.entries()) {
        setStep({ phase: "exiting", accountId: exit.args.accountId, index, count: exits.length });
        const { accountId, leafPreimage, siblings, globalPreimage } = exit.args;
        const sent = await tx.run(() =>
          write({
            address: deployment.contracts.rollup,
            abi: rollupAbi,
            functionName: "exit",
            args: [accountId, [...leafPreimage], [...siblings], [...globalPreimage], [...exit.settlementRoundIds]],
          }),
        );
        if (!sent) {
          setStep({ phase: "idle" });
          return;
        }
      }
      setStep({ phase: "done", count: exits.length });
      onDone();
    } catch (e) {
      setStep({ phase: "error", message: explain(e) });
    }
  };

  return (
    <>
      <button disabled={address === undefined || busy} onClick={() => void start()}>
        {step.phase === "exiting" ? txLabel(tx.state, "Exit with my funds") : "Exit with my funds"}
      </button>
      {address === undefined && <p className="muted">Connect the wallet that owns your account.</p>}
      {step.phase === "preparing" && (
        <p className="muted" role="status">
          {progressText(step.progress)}
        </p>
      )}
      {step.phase === "exiting" && (
        <p className="muted" role="status">
          Exiting account #{step.accountId.toString()}
          {step.count > 1 ? ` (${step.index + 1} of ${step.count})` : ""}.
        </p>
      )}
      {step.phase === "done" && (
        <p className="ok" role="status">
          {step.count === 1 ? "Your account has exited" : `Your ${step.count} accounts have exited`}: the equity at the
          last verified state was paid to your wallet.
        </p>
      )}
      {step.phase === "error" && <ErrorText>{step.message}</ErrorText>}
      {step.phase !== "done" && <TxStatus state={tx.state} done="Exit confirmed." />}
    </>
  );
}
