"use client";
/**
 * The proving pipeline (`GET /v1/status` `pipeline`, issue 18): how far proving trails the book,
 * in batches and in time, the proof queue (jobs waiting, being proved, the oldest one's age),
 * proofs per minute, and each prover of the fleet with what it is doing.
 */
import { formatDuration } from "../../lib/format.ts";
import { useVenueStatus } from "../../lib/market.ts";
import { Empty, Panel } from "../ui.tsx";

const BACKEND_LABEL: Readonly<Record<string, string>> = {
  none: "not proving (no provers configured)",
  embedded: "prover processes of the venue",
  queue: "a prover fleet on a queue",
  unknown: "starting",
};

const seconds = (ms: number): string => formatDuration(BigInt(Math.floor(ms / 1000)));

export function ProvingPipeline() {
  const status = useVenueStatus();
  const p = status.data?.pipeline;
  return (
    <Panel title="Proving pipeline" labelId="pipeline-title">
      {p === undefined ? (
        <Empty>{status.error !== null ? "The venue is not answering." : "No pipeline status from this venue."}</Empty>
      ) : (
        <>
          <dl className="summary" aria-label="How far proving trails the book">
            <dt>Proving trails the book by</dt>
            <dd className={p.unprovedBatches > 0 ? undefined : "pos"}>
              {p.unprovedBatches === 0
                ? "nothing: every closed batch is proved"
                : `${p.unprovedBatches} batch${p.unprovedBatches === 1 ? "" : "es"}, ${seconds(p.provingLagMs)} (oldest unproved batch closed that long ago)`}
            </dd>
            <dt>Proved through</dt>
            <dd>
              batch {p.provedThrough} (open batch {p.openBatch})
            </dd>
            <dt>Proved by</dt>
            <dd>{BACKEND_LABEL[p.backend] ?? p.backend}</dd>
            {p.queue !== null && (
              <>
                <dt>Proof queue</dt>
                <dd>
                  {p.queue.waiting} waiting, {p.queue.active} being proved
                  {p.queue.oldestJobAgeMs === null ? "" : `, oldest ${seconds(p.queue.oldestJobAgeMs)}`}
                </dd>
              </>
            )}
            <dt>Proofs per minute</dt>
            <dd>
              {p.proofsPerMinute}
              {p.proofs !== null && p.proofs.rejected > 0 ? ` (${p.proofs.rejected} wrong proofs rejected)` : ""}
            </dd>
          </dl>
          {p.provers.length > 0 && (
            <table aria-label="Provers">
              <thead>
                <tr>
                  <th scope="col">Prover</th>
                  <th scope="col">Host</th>
                  <th scope="col">State</th>
                  <th scope="col">Batch</th>
                  <th scope="col" className="num">
                    Proved
                  </th>
                </tr>
              </thead>
              <tbody>
                {p.provers.map((x) => (
                  <tr key={x.id}>
                    <td>{x.id}</td>
                    <td>{x.host}</td>
                    <td>
                      {x.state} for {seconds(x.forMs)}
                    </td>
                    <td>{x.batch ?? "—"}</td>
                    <td className="num">{x.proved}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </Panel>
  );
}
