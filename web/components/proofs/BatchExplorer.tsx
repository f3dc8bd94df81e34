"use client";
/**
 * Batches: the sequencer's pipeline (open, proving, submitted) and every batch verified on L1,
 * read from the rollup's `BatchVerified` events. A verified batch opens to its transactions,
 * decoded from the `submitBatch` calldata, and its proof can be verified here in the browser.
 */
import { Fragment, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { usePublicClient } from "wagmi";
import { instrumentName } from "../../../protocol/instruments.ts";
import { Side, TxType } from "../../../protocol/types.ts";
import { unpackProof } from "../../../protocol/proof.ts";
import { publicInputsFromCalldata, verifyGroth16 } from "../../lib/batchProof.ts";
import { explain } from "../../lib/errors.ts";
import { fieldHex, formatPrice, formatSize, formatUsdc, formatUtc, shortHex } from "../../lib/format.ts";
import { useVenueStatus } from "../../lib/market.ts";
import { decodeSlot, TX_TYPE_NAMES } from "../../../protocol/pubdata.ts";
import type { DecodedSlot } from "../../../protocol/pubdata.ts";
import { useVenue } from "../../lib/venue.tsx";
import { readBatchCalldata, readVerifiedBatches } from "../../lib/verifiedBatches.ts";
import type { VerifiedBatch } from "../../lib/verifiedBatches.ts";
import { Badge, Empty, ErrorText, Panel } from "../ui.tsx";

function useVerifiedBatches() {
  const { deployment } = useVenue();
  const client = usePublicClient({ chainId: deployment.chainId });
  return useQuery({
    queryKey: ["verifiedBatches", deployment.contracts.rollup],
    enabled: client !== undefined,
    refetchInterval: 6_000,
    queryFn: async () =>
      (await readVerifiedBatches(client!, deployment.contracts.rollup, BigInt(deployment.deployBlock))).reverse(),
  });
}

/** The `submitBatch` arguments of a verified batch, read from its L1 transaction. */
function useCalldata(batch: VerifiedBatch) {
  const { deployment } = useVenue();
  const client = usePublicClient({ chainId: deployment.chainId });
  return useQuery({
    queryKey: ["batchCalldata", batch.txHash],
    enabled: client !== undefined,
    staleTime: Infinity,
    queryFn: () => readBatchCalldata(client!, batch),
  });
}

/** One slot for people; a trade or liquidation names its instrument through the batch's table (§8). */
function describe(slot: DecodedSlot, instruments: readonly bigint[]): string {
  switch (slot.type) {
    case TxType.NOOP:
      return "—";
    case TxType.DEPOSIT:
      return `#${slot.accountId} +${formatUsdc(slot.amount)} USDC`;
    case TxType.WITHDRAW:
      return `#${slot.accountId} −${formatUsdc(slot.amount)} USDC`;
    case TxType.FORCED_WITHDRAW:
      return `#${slot.accountId} asked ${formatUsdc(slot.requested)}, paid ${formatUsdc(slot.served)} USDC`;
    case TxType.TRADE:
    case TxType.LIQUIDATE:
      return `${instrumentName(instruments[Number(slot.instrumentIndex)] ?? 0n)}: #${slot.taker} ${slot.takerSide === Side.BUY ? "bought" : "sold"} ${formatSize(slot.size)} @ ${formatPrice(slot.price)} from #${slot.maker}`;
    case TxType.FUNDING:
      return `underlying ${slot.underlying}, index ${formatPrice(slot.delta, { plus: true })}`;
    case TxType.SETTLE:
      return `#${slot.accountId} ${instrumentName(slot.instrument)}`;
    case TxType.FEE_SWEEP:
      return `${formatUsdc(slot.amount)} USDC to the fee account`;
    case TxType.FORCED_CLOSE:
      return `#${slot.accountId} ${instrumentName(slot.instrument)} ${slot.settlement ? "forced settlement" : "forced close"}: ${slot.served ? `served, fund #${slot.insurance}` : "refused (no position, or a live short option)"}`;
    default:
      return `unknown type ${slot.code}`;
  }
}

type Verification =
  | { phase: "idle" }
  | { phase: "running" }
  | { phase: "done"; valid: boolean; ms: number }
  | { phase: "error"; message: string };

function BatchDetail({ batch }: { readonly batch: VerifiedBatch }) {
  const { deployment, domain } = useVenue();
  const calldata = useCalldata(batch);
  const [check, setCheck] = useState<Verification>({ phase: "idle" });

  const verify = async () => {
    if (calldata.data === undefined) return;
    setCheck({ phase: "running" });
    try {
      const response = await fetch(deployment.verificationKeyUrl);
      if (!response.ok) throw new Error("The verification key is not published on this site.");
      const vkey: unknown = await response.json();
      const { header, slots, proof } = calldata.data;
      const inputs = publicInputsFromCalldata(batch.oldStateRoot, domain, header, slots);
      const started = performance.now();
      const valid = await verifyGroth16(vkey, inputs, unpackProof(proof));
      setCheck({ phase: "done", valid, ms: Math.round(performance.now() - started) });
    } catch (e) {
      setCheck({ phase: "error", message: explain(e) });
    }
  };

  if (calldata.error !== null) return <ErrorText>{explain(calldata.error)}</ErrorText>;
  if (calldata.data === undefined) return <Empty>Reading the batch from L1…</Empty>;
  const { header, slots } = calldata.data;
  const decoded = [];
  for (let i = 0; i + 1 < slots.length; i += 2) decoded.push(decodeSlot(slots[i]!, slots[i + 1]!));
  return (
    <div className="panel-body form">
      <dl className="summary" style={{ gridTemplateColumns: "auto 1fr" }}>
        <dt>Old state root</dt>
        <dd className="hex">{fieldHex(batch.oldStateRoot)}</dd>
        <dt>New state root</dt>
        <dd className="hex">{fieldHex(batch.newStateRoot)}</dd>
        <dt>Oracle prices</dt>
        <dd>{header.prices.map((p) => formatPrice(p)).join(" / ")}</dd>
        <dt>L1 transaction</dt>
        <dd className="hex">{batch.txHash}</dd>
      </dl>
      <table aria-label={`Transactions of batch ${batch.number}`}>
        <thead>
          <tr>
            <th>Slot</th>
            <th>Type</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          {decoded.map((s, i) => (
            <tr key={i}>
              <td className="num" style={{ textAlign: "left" }}>
                {i}
              </td>
              <td>{s.type === "unknown" ? "Unknown" : TX_TYPE_NAMES[s.type]}</td>
              <td className="muted">{describe(s, header.instruments)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row">
        <button onClick={() => void verify()} disabled={check.phase === "running"} style={{ flex: "none" }}>
          {check.phase === "running" ? "Verifying…" : "Verify proof in this browser"}
        </button>
        <span role="status" aria-live="polite">
          {check.phase === "done" &&
            (check.valid ? (
              <span className="ok">Valid Groth16 proof for these public inputs ({check.ms} ms).</span>
            ) : (
              <span className="neg">The proof does not verify against these public inputs.</span>
            ))}
          {check.phase === "error" && <span className="neg">{check.message}</span>}
        </span>
      </div>
      <p className="muted" style={{ margin: 0 }}>
        The public inputs are rebuilt from the L1 calldata and the event&apos;s old root (docs/protocol.md §8); nothing
        comes from the exchange server.
      </p>
    </div>
  );
}

function Pipeline() {
  const { api } = useVenue();
  const status = useVenueStatus();
  const unproved = status.data?.unprovedBatches ?? [];
  const statuses = useQuery({
    queryKey: ["batchStatuses", unproved.join(",")],
    enabled: unproved.length > 0,
    queryFn: () => Promise.all(unproved.slice(-10).map((n) => api.batchStatus(n))),
    refetchInterval: 5_000,
  });
  // A gone sequencer (the exodus case) is said at the first failed attempt, not after the retries.
  const failure = status.error ?? (status.data === undefined ? status.failureReason : null);
  if (failure !== null) {
    return (
      <div className="panel-body">
        <ErrorText>{explain(failure)}</ErrorText>
      </div>
    );
  }
  if (status.data === undefined) return <Empty>Loading…</Empty>;
  return (
    <div className="panel-body form">
      <dl className="summary">
        <dt>Open batch</dt>
        <dd>{status.data.openBatch}</dd>
        <dt>Sequencer state root</dt>
        <dd className="hex">{shortHex(fieldHex(status.data.stateRoot), 8)}</dd>
        <dt>Journal entries</dt>
        <dd>{status.data.journal}</dd>
      </dl>
      {unproved.length === 0 ? (
        <p className="muted">Every closed batch is proven.</p>
      ) : (
        <ul aria-label="Batches not yet verified" style={{ margin: 0, paddingLeft: 16 }}>
          {(statuses.data ?? unproved.map((n) => ({ number: n, status: "closed" as const }))).map((b) => (
            <li key={b.number}>
              Batch {b.number} <Badge status={b.status} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function BatchExplorer() {
  const batches = useVerifiedBatches();
  const [open, setOpen] = useState<bigint | null>(null);
  return (
    <div className="two-col">
      <Panel title="Verified batches (L1)" labelId="batches-title">
        {batches.error !== null ? (
          <ErrorText>{explain(batches.error)}</ErrorText>
        ) : batches.data === undefined ? (
          <Empty>Reading L1…</Empty>
        ) : batches.data.length === 0 ? (
          <Empty>No batch has been verified on L1 yet.</Empty>
        ) : (
          <div className="scroll">
            <table aria-label="Verified batches">
              <thead>
                <tr>
                  <th>Batch</th>
                  <th>Time (UTC)</th>
                  <th>New root</th>
                  <th className="num">L1 queue ops</th>
                  <th>Status</th>
                  <th>L1 tx</th>
                </tr>
              </thead>
              <tbody>
                {batches.data.map((b) => (
                  <Fragment key={b.number.toString()}>
                    <tr>
                      <td>
                        <button
                          className="link"
                          aria-expanded={open === b.number}
                          onClick={() => setOpen(open === b.number ? null : b.number)}
                        >
                          {b.number.toString()}
                        </button>
                      </td>
                      <td className="muted">{formatUtc(b.timestamp)}</td>
                      <td className="hex">{shortHex(fieldHex(b.newStateRoot), 6)}</td>
                      <td className="num">{b.priorityOps.toString()}</td>
                      <td>
                        <Badge status="verified" />
                      </td>
                      <td className="hex">{shortHex(b.txHash)}</td>
                    </tr>
                    {open === b.number && (
                      <tr>
                        <td colSpan={6}>
                          <BatchDetail batch={b} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
      <Panel title="Sequencer pipeline" labelId="pipeline-title">
        <Pipeline />
      </Panel>
    </div>
  );
}
