"use client";
/**
 * "Exit with my funds" in exodus mode: rebuilds the last verified state in a Web Worker from the
 * verified batches' L1 calldata (web/lib/exit.ts, protocol/rebuild.ts) while showing the batches
 * done and the time left, then sends `exit` for every account the connected wallet owns, paying
 * each account's equity to its owner. Leaving the page cancels the rebuild.
 */
import { useEffect, useRef, useState } from "react";
import { usePublicClient, useWriteContract } from "wagmi";
import { rollupAbi } from "../../lib/contracts.ts";
import { explain } from "../../lib/errors.ts";
import { formatUsdc } from "../../lib/format.ts";
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
  /** `paid`: the USDC base units the rollup's `Exited` events report as paid to the wallet. */
  | { readonly phase: "done"; readonly count: number; readonly paid: bigint }
  | { readonly phase: "error"; readonly message: string };

function progressText(progress: ExitProgress | null): string {
  if (progress === null) return "Reading the rollup contract…";
  switch (progress.phase) {
    case "reading":
      return `Reading verified batches from L1: ${progress.done} of ${progress.total}…`;
    case "rebuilding": {
      const left =
        progress.secondsLeft === null || progress.done === progress.total
          ? ""
          : `, about ${Math.max(1, Math.ceil(progress.secondsLeft))} s left`;
      return `Rebuilding the state in a background worker: ${progress.done} of ${progress.total} batches${left}…`;
    }
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
  // The running preparation, aborted (worker terminated) when the panel unmounts.
  const running = useRef<AbortController | null>(null);
  useEffect(() => () => running.current?.abort(), []);

  const start = async () => {
    if (address === undefined || client === undefined) return;
    const controller = new AbortController();
    running.current = controller;
    tx.reset();
    setStep({ phase: "preparing", progress: null });
    try {
      const exits = await prepareExits(
        client,
        deployment,
        domain,
        address,
        (progress) => setStep({ phase: "preparing", progress }),
        controller.signal,
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
      const exited = await client.getContractEvents({
        address: deployment.contracts.rollup,
        abi: rollupAbi,
        eventName: "Exited",
        args: { accountId: exits.map((exit) => exit.args.accountId) },
        fromBlock: BigInt(deployment.deployBlock),
      });
      const paid = exited.reduce((sum, log) => sum + log.args.payout!, 0n);
      setStep({ phase: "done", count: exits.length, paid });
      onDone();
    } catch (e) {
      if (!controller.signal.aborted) setStep({ phase: "error", message: explain(e) });
    } finally {
      if (running.current === controller) running.current = null;
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
          {step.count === 1 ? "Your account has exited" : `Your ${step.count} accounts have exited`}:{" "}
          {formatUsdc(step.paid)} USDC, the equity at the last verified state, was paid to your wallet.
        </p>
      )}
      {step.phase === "error" && <ErrorText>{step.message}</ErrorText>}
      {step.phase !== "done" && <TxStatus state={tx.state} done="Exit confirmed." />}
    </>
  );
}
