"use client";
/**
 * The forced close request (`requestForcedClose` on L1, issue 14 F11): the way to turn a position
 * into collateral without the operator. The next batches must serve it in queue order before the
 * deadline: the whole position goes to the insurance fund at the batch's oracle-based price, with
 * the liquidation penalty (an expired option is settled instead). It is refused when the account
 * holds no such position, and when it holds a short position in a live option (finding F17: the
 * fund would take the option's time value for its intrinsic value); that one is offered again
 * once it has expired, when the forced close settles it. A forced withdrawal then pays the
 * collateral out.
 */
import { useState } from "react";
import { useWriteContract } from "wagmi";
import { rollupAbi } from "../../lib/contracts.ts";
import { forceClosable } from "../../lib/forcedClose.ts";
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
  const held = account.data?.positions ?? [];
  const { closable: positions, waiting } = forceClosable(held, BigInt(Math.floor(Date.now() / 1000)));
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
      {held.length === 0 && <p className="muted">No open position to close.</p>}
      {waiting.length > 0 && (
        <p className="muted">
          {waiting.map((p) => p.name).join(", ")}: a short option is not force-closed before its expiry. After it, it
          appears here again, and the forced close settles it at its series&apos; settlement price.
        </p>
      )}
      <TxStatus
        state={close.state}
        done="Requested. A proven batch closes it against the insurance fund at the oracle price (1% penalty on a perp)."
      />
    </>
  );
}
