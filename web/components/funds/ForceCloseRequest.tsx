"use client";
/**
 * The forced close request (`requestForcedClose` on L1, issue 14 F11): the way to turn a position
 * into collateral without the operator. The next batches must serve it in queue order before the
 * deadline: the whole position goes to the insurance fund at the batch's oracle-based price, with
 * the liquidation penalty (an expired option is settled instead); only "you hold no such
 * position" may be refused. A forced withdrawal then pays the collateral out.
 */
import { useState } from "react";
import { useWriteContract } from "wagmi";
import { rollupAbi } from "../../lib/contracts.ts";
import { useAccount } from "../../lib/market.ts";
import { useSession } from "../../lib/session.tsx";
import { txLabel, useL1Tx } from "../../lib/tx.ts";
import { useVenue } from "../../lib/venue.tsx";
import { TxStatus } from "../ui.tsx";

export function ForceCloseRequest({ onDone }: { readonly onDone?: () => void }) {
  const { deployment } = useVenue();
  const session = useSession();
  const account = useAccount();
  const { mutateAsync: write } = useWriteContract();
  const close = useL1Tx(onDone);
  const positions = account.data?.positions ?? [];
  const [chosen, setChosen] = useState<string>("");
  const instrument = positions.find((p) => p.instrument.toString() === chosen)?.instrument ?? positions[0]?.instrument;
  return (
    <>
      <div className="field">
        <label htmlFor="force-close-instrument">Position to close</label>
        <select
          id="force-close-instrument"
          value={instrument?.toString() ?? ""}
          onChange={(e) => setChosen(e.target.value)}
          disabled={positions.length === 0}
        >
          {positions.map((p) => (
            <option key={p.instrument.toString()} value={p.instrument.toString()}>
              {p.name}
            </option>
          ))}
        </select>
      </div>
      <button
        disabled={instrument === undefined || session.accountId === null || close.busy}
        onClick={() =>
          void close.run(() =>
            write({
              address: deployment.contracts.rollup,
              abi: rollupAbi,
              functionName: "requestForcedClose",
              args: [session.accountId!, instrument!],
            }),
          )
        }
      >
        {txLabel(close.state, "Force close on L1")}
      </button>
      {positions.length === 0 && <p className="muted">No open position to close.</p>}
      <TxStatus
        state={close.state}
        done="Requested. A proven batch closes it against the insurance fund at the oracle price (1% penalty on a perp)."
      />
    </>
  );
}
