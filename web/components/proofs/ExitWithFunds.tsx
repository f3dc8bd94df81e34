"use client";
/**
 * "Exit with my funds" in exodus mode: rebuilds the last verified state in a Web Worker from the
 * verified batches' L1 calldata (web/lib/exit.ts, protocol/rebuild.ts) while showing the batches
 * done and the time left, then sends `exit` for every account the connected wallet owns. In the
 * exodus claim window `exit` registers the equity; after the window "Collect my payout" sends
 * `payExit`, which pays every registered account the same share of the custody (issue 14 F12,
 * docs/contracts.md). An exit sent after the window is paid at once. A payment the USDC contract
 * refuses to send to the wallet (a frozen address) is kept in the wallet's claimable balance
 * (`PayoutCredited`), and the page says so. Leaving the page cancels the rebuild.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { flushSync } from "react-dom";
import { usePublicClient, useWriteContract } from "wagmi";
import { rollupAbi } from "../../lib/contracts.ts";
import { explain } from "../../lib/errors.ts";
import { formatUsdc } from "../../lib/format.ts";
import { prepareExits, registeredExits } from "../../lib/exit.ts";
import type { ExitProgress, RegisteredExits } from "../../lib/exit.ts";
import { useSession } from "../../lib/session.tsx";
import { txLabel, useL1Tx } from "../../lib/tx.ts";
import { useVenue } from "../../lib/venue.tsx";
import { ErrorText, TxStatus } from "../ui.tsx";

type Step =
  | { readonly phase: "idle" }
  | { readonly phase: "preparing"; readonly progress: ExitProgress | null }
  | { readonly phase: "exiting"; readonly accountId: bigint; readonly index: number; readonly count: number }
  | { readonly phase: "collecting"; readonly accountId: bigint }
  /**
   * `paid`: the USDC base units the rollup's `Exited` events report as paid to the wallet;
   * `credited`: what of the wallet's exodus payments the token refused to send, which the rollup
   * added to its claimable balance instead (`PayoutCredited`).
   */
  | { readonly phase: "done"; readonly count: number; readonly paid: bigint; readonly credited: bigint }
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
  const busy = step.phase === "preparing" || step.phase === "exiting" || step.phase === "collecting";
  // The running preparation, aborted (worker terminated) when the panel unmounts.
  const running = useRef<AbortController | null>(null);
  useEffect(() => () => running.current?.abort(), []);
  // Exits registered in the claim window and not paid yet.
  const [registered, setRegistered] = useState<RegisteredExits | null>(null);
  const loadRegistered = useCallback(async (): Promise<RegisteredExits | null> => {
    if (address === undefined || client === undefined) return null;
    const found = await registeredExits(client, deployment, address);
    setRegistered(found);
    return found;
  }, [address, client, deployment]);
  useEffect(() => {
    loadRegistered().catch(() => setRegistered(null));
  }, [loadRegistered]);

  /** The `done` step: the `Exited` payouts of `accountIds`, and the wallet's exodus payments credited instead of sent. */
  const outcome = async (accountIds: readonly bigint[]) => {
    const base = { address: deployment.contracts.rollup, abi: rollupAbi, fromBlock: BigInt(deployment.deployBlock) };
    const [exited, credits] = await Promise.all([
      client!.getContractEvents({ ...base, eventName: "Exited", args: { accountId: [...accountIds] } }),
      client!.getContractEvents({ ...base, eventName: "PayoutCredited", args: { owner: address } }),
    ]);
    return {
      phase: "done" as const,
      count: accountIds.length,
      paid: exited.reduce((sum, log) => sum + log.args.payout!, 0n),
      credited: credits.reduce((sum, log) => sum + log.args.amount!, 0n),
    };
  };

  const collect = async () => {
    if (client === undefined) return;
    tx.reset();
    try {
      const found = await loadRegistered();
      if (found === null || found.accounts.length === 0) return;
      if (found.chainTime <= found.windowEnd) {
        setStep({
          phase: "error",
          message: `The claim window is open until ${windowEndText(found.windowEnd)}: payouts start after it.`,
        });
        return;
      }
      for (const { accountId } of found.accounts) {
        setStep({ phase: "collecting", accountId });
        const sent = await tx.run(() =>
          write({
            address: deployment.contracts.rollup,
            abi: rollupAbi,
            functionName: "payExit",
            args: [accountId],
          }),
        );
        if (!sent) {
          setStep({ phase: "idle" });
          return;
        }
      }
      const ids = found.accounts.map((a) => a.accountId);
      setStep(await outcome(ids));
      await loadRegistered();
      onDone();
    } catch (e) {
      setStep({ phase: "error", message: explain(e) });
    }
  };

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
        // Each progress report is rendered as it comes (flushSync): React would otherwise batch
        // the worker's reports of a fast rebuild into its last one, and the trader would never
        // see the batches done and the time left.
        (progress) => flushSync(() => setStep({ phase: "preparing", progress })),
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
      const ids = exits.map((exit) => exit.args.accountId);
      const found = await loadRegistered();
      const waiting = found?.accounts.filter((a) => ids.includes(a.accountId)) ?? [];
      if (waiting.length > 0) {
        setStep({ phase: "idle" });
        onDone();
        return;
      }
      setStep(await outcome(ids));
      onDone();
    } catch (e) {
      if (!controller.signal.aborted) setStep({ phase: "error", message: explain(e) });
    } finally {
      if (running.current === controller) running.current = null;
    }
  };

  const waiting = registered?.accounts ?? [];
  const registeredEquity = waiting.reduce((sum, a) => sum + a.equity, 0n);
  return (
    <>
      <button disabled={address === undefined || busy} onClick={() => void start()}>
        {step.phase === "exiting" ? txLabel(tx.state, "Exit with my funds") : "Exit with my funds"}
      </button>
      {waiting.length > 0 && registered !== null && (
        <>
          <p className="ok" role="status">
            Your equity of {formatUsdc(registeredEquity)} USDC is registered for the exodus payout. Payouts start after
            the claim window ends ({windowEndText(registered.windowEnd)}): then every registered account gets the same
            share of the rollup&apos;s custody, all of its equity unless the system carries bad debt.
          </p>
          <button disabled={busy} onClick={() => void collect()}>
            {step.phase === "collecting" ? txLabel(tx.state, "Collect my payout") : "Collect my payout"}
          </button>
        </>
      )}
      {address === undefined && <p className="muted">Connect the wallet that owns your account.</p>}
      {step.phase === "preparing" && (
        <p className="muted" role="status">
          {progressText(step.progress)}
        </p>
      )}
      {step.phase === "collecting" && (
        <p className="muted" role="status">
          Collecting the payout of account #{step.accountId.toString()}.
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
          {formatUsdc(step.paid)} USDC {step.credited === 0n ? "was paid to your wallet" : "was paid out"} (your equity
          at the last verified state, or its pro-rata share of the custody if the system carries bad debt).
        </p>
      )}
      {step.phase === "done" && step.credited > 0n && (
        <p className="warn" role="status">
          {formatUsdc(step.credited)} USDC of your exodus payments could not be sent to this wallet: the USDC contract
          refused it (a frozen address). The rollup keeps it in your claimable balance: claim it on the Portfolio page
          (Withdraw, &quot;Claim to another address&quot;).
        </p>
      )}
      {step.phase === "error" && <ErrorText>{step.message}</ErrorText>}
      {step.phase !== "done" && <TxStatus state={tx.state} done="Exit confirmed." />}
    </>
  );
}

/** The end of the claim window (unix seconds) as a UTC date and time. */
function windowEndText(windowEnd: bigint): string {
  return `${new Date(Number(windowEnd) * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
