"use client";
/**
 * One L1 transaction as the UI shows it: waiting for the wallet, pending on chain, done, or
 * failed with a plain-words reason.
 */
import { useCallback, useState } from "react";
import { useConfig } from "wagmi";
import { waitForTransactionReceipt } from "wagmi/actions";
import type { Hash } from "viem";
import { explain } from "./errors.ts";

export type TxState =
  | { readonly phase: "idle" }
  | { readonly phase: "wallet" }
  | { readonly phase: "pending"; readonly hash: Hash }
  | { readonly phase: "done"; readonly hash: Hash }
  | { readonly phase: "error"; readonly message: string };

export function txLabel(state: TxState, idle: string): string {
  switch (state.phase) {
    case "wallet":
      return "Confirm in your wallet…";
    case "pending":
      return "Waiting for the block…";
    default:
      return idle;
  }
}

/** Runs `send` (which asks the wallet and returns the hash) and waits for the receipt. */
export function useL1Tx(onDone?: () => void) {
  const config = useConfig();
  const [state, setState] = useState<TxState>({ phase: "idle" });
  const run = useCallback(
    async (send: () => Promise<Hash>): Promise<boolean> => {
      setState({ phase: "wallet" });
      try {
        const hash = await send();
        setState({ phase: "pending", hash });
        const receipt = await waitForTransactionReceipt(config, { hash });
        if (receipt.status !== "success") {
          setState({ phase: "error", message: "The transaction was reverted on chain." });
          return false;
        }
        setState({ phase: "done", hash });
        onDone?.();
        return true;
      } catch (error) {
        setState({ phase: "error", message: explain(error) });
        return false;
      }
    },
    [config, onDone],
  );
  const busy = state.phase === "wallet" || state.phase === "pending";
  return { state, run, busy, reset: () => setState({ phase: "idle" }) };
}
