"use client";
/**
 * Claiming to another address (`claimTo` on L1): for an owner the collateral token will not pay,
 * such as an address its issuer froze. The wallet's whole claimable balance goes to the address
 * entered; only the owner's own wallet can send it (the contract pays the caller's balance).
 */
import { useState } from "react";
import { useWriteContract } from "wagmi";
import { rollupAbi } from "../../lib/contracts.ts";
import { parseRecipient } from "../../lib/format.ts";
import { txLabel, useL1Tx } from "../../lib/tx.ts";
import { useVenue } from "../../lib/venue.tsx";
import { ErrorText, TxStatus } from "../ui.tsx";

export function ClaimElsewhere({ claimable, onDone }: { readonly claimable: bigint; readonly onDone?: () => void }) {
  const { deployment } = useVenue();
  const { mutateAsync: write } = useWriteContract();
  const claim = useL1Tx(onDone);
  const [text, setText] = useState("");
  const parsed = parseRecipient(text);
  const recipient =
    "address" in parsed && parsed.address.toLowerCase() === deployment.contracts.rollup.toLowerCase()
      ? { error: "That is the rollup's own address: the USDC would stay in it, owed to nobody." }
      : parsed;
  return (
    <details>
      <summary className="muted">Claim to another address</summary>
      <p className="muted" style={{ margin: "4px 0" }}>
        If the USDC contract will not pay your wallet (its issuer froze the address), send what you can claim to another
        address of yours.
      </p>
      <div className="field">
        <label htmlFor="claim-recipient">Recipient address</label>
        <input
          id="claim-recipient"
          value={text}
          spellCheck={false}
          autoComplete="off"
          onChange={(e) => setText(e.target.value)}
          aria-invalid={"error" in recipient && recipient.error !== null}
        />
      </div>
      {"error" in recipient && recipient.error !== null && <ErrorText>{recipient.error}</ErrorText>}
      <button
        disabled={!("address" in recipient) || claimable === 0n || claim.busy}
        onClick={() => {
          if (!("address" in recipient)) return;
          void claim.run(() =>
            write({
              address: deployment.contracts.rollup,
              abi: rollupAbi,
              functionName: "claimTo",
              args: [recipient.address],
            }),
          );
        }}
      >
        {txLabel(claim.state, "Claim to this address")}
      </button>
      <TxStatus state={claim.state} done="Claimed: the USDC went to that address." />
    </details>
  );
}
