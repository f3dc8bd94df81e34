/** Prometheus metrics of the venue (served at `/metrics`). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { CheckpointStats } from "../journal/checkpoints.ts";
import type { PipelineView } from "../provers/proving.ts";

export class VenueMetrics {
  readonly registry = new Registry();
  readonly orders = new Counter({
    name: "tessera_orders_total",
    help: "Order placements by outcome (status or error code)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly fills = new Counter({ name: "tessera_fills_total", help: "Fills made", registers: [this.registry] });
  readonly cancels = new Counter({
    name: "tessera_cancels_total",
    help: "Orders cancelled",
    registers: [this.registry],
  });
  readonly rejections = new Counter({
    name: "tessera_rejections_total",
    help: "API rejections by code",
    labelNames: ["code"] as const,
    registers: [this.registry],
  });
  readonly ackLatency = new Histogram({
    name: "tessera_order_ack_seconds",
    help: "Order placement latency from request to acknowledgement (verify + match + journal)",
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2],
    registers: [this.registry],
  });
  readonly batches = new Counter({
    name: "tessera_batches_closed_total",
    help: "Batches closed",
    registers: [this.registry],
  });
  readonly journalLength = new Gauge({
    name: "tessera_journal_commands",
    help: "Commands in the journal",
    registers: [this.registry],
  });
  readonly journalCheckpoints = new Gauge({
    name: "tessera_journal_checkpoints",
    help: "Checkpoints of the journal's write-ahead log run off the core's thread since the venue started",
    registers: [this.registry],
  });
  readonly journalLogRestarts = new Gauge({
    name: "tessera_journal_log_restarts",
    help: "Restarts of the journal's write-ahead log (its file reused from the start) since the venue started",
    registers: [this.registry],
  });
  readonly journalLogFrames = new Gauge({
    name: "tessera_journal_log_frames",
    help: "Pages in the journal's write-ahead log at its last checkpoint",
    registers: [this.registry],
  });
  readonly journalCheckpointMode = new Gauge({
    name: "tessera_journal_checkpoint_mode",
    help: "1 for where the journal's checkpoints run: idle (no thread yet), thread (off the core's thread), sqlite (the thread failed: on the core's thread)",
    labelNames: ["mode"] as const,
    registers: [this.registry],
  });
  readonly journalSyncWakes = new Gauge({
    name: "tessera_journal_sync_wakes",
    help: "Group-commit syncs that woke the journal's sleeping sync thread since the venue started (each a cross-core wake on the venue's thread)",
    registers: [this.registry],
  });
  readonly journalSyncPolls = new Gauge({
    name: "tessera_journal_sync_polls",
    help: "Looks for a sync request by the journal's polling sync thread since the venue started (TESSERA_SYNC_POLL_US)",
    registers: [this.registry],
  });
  readonly wsClients = new Gauge({
    name: "tessera_ws_clients",
    help: "Open WebSocket connections",
    registers: [this.registry],
  });

  readonly wsClosed = new Counter({
    name: "tessera_ws_closed_total",
    help: "WebSocket connections the venue closed, by reason (slow_consumer, too_many_connections, idle, session_expired, no_pong)",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly rateLimitKeys = new Gauge({
    name: "tessera_ratelimit_buckets",
    help: "Rate-limit buckets held, all budgets (bounded: least recently used evicted)",
    registers: [this.registry],
  });
  readonly verifyQueue = new Gauge({
    name: "tessera_verify_queue",
    help: "Signatures waiting for a verifier thread or process (bounded)",
    registers: [this.registry],
  });
  readonly verifyWakes = new Gauge({
    name: "tessera_verify_wakes",
    help: "Verifier threads woken by the venue's thread since it started (each a cross-core wake on that thread)",
    registers: [this.registry],
  });
  readonly verifyPolls = new Gauge({
    name: "tessera_verify_polls",
    help: "Looks at the verify queue by a polling verifier thread since the venue started (TESSERA_VERIFY_POLL_US)",
    registers: [this.registry],
  });

  readonly proofs = new Counter({
    name: "tessera_proofs_total",
    help: "Proof results by outcome: accepted (recorded), rejected (wrong: never recorded, job re-run), discarded (late or duplicate)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly proofRoundTrip = new Histogram({
    name: "tessera_proof_round_trip_seconds",
    help: "From a batch's job handed to the proof backend to its accepted proof (queue wait, lease, proving)",
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });
  readonly proofQueueDepth = new Gauge({
    name: "tessera_proof_queue_depth",
    help: "Proof jobs waiting for a prover",
    registers: [this.registry],
  });
  readonly proofJobsActive = new Gauge({
    name: "tessera_proof_jobs_active",
    help: "Proof jobs a prover holds a lease on",
    registers: [this.registry],
  });
  readonly proofOldestJobAge = new Gauge({
    name: "tessera_proof_oldest_job_age_seconds",
    help: "Age of the oldest unfinished proof job (0: none)",
    registers: [this.registry],
  });
  readonly proofsPerMinute = new Gauge({
    name: "tessera_proofs_per_minute",
    help: "Proofs accepted in the last 60 s",
    registers: [this.registry],
  });
  readonly fundFreeSlots = new Gauge({
    name: "tessera_insurance_fund_free_slots",
    help: "Empty position slots across the insurance fund accounts (GET /v1/status insuranceFund)",
    registers: [this.registry],
  });
  readonly fundUncovered = new Gauge({
    name: "tessera_insurance_fund_uncovered_instruments",
    help: "Instruments others hold that no insurance fund account holds; new instruments open only while below the free slots",
    registers: [this.registry],
  });
  readonly provingLagBatches = new Gauge({
    name: "tessera_proving_lag_batches",
    help: "Closed batches not yet proved (how far proving trails the book)",
    registers: [this.registry],
  });
  readonly provingLagSeconds = new Gauge({
    name: "tessera_proving_lag_seconds",
    help: "Since the oldest unproved batch closed (0: none)",
    registers: [this.registry],
  });
  readonly provers = new Gauge({
    name: "tessera_provers",
    help: "Provers that announced themselves, by state (idle, proving, stopping)",
    labelNames: ["state"] as const,
    registers: [this.registry],
  });
  readonly proverBusy = new Gauge({
    name: "tessera_prover_busy",
    help: "1 while the prover works on a job, per prover",
    labelNames: ["prover"] as const,
    registers: [this.registry],
  });
  readonly proverLastSeen = new Gauge({
    name: "tessera_prover_last_seen_seconds",
    help: "Since the prover's last heartbeat, per prover",
    labelNames: ["prover"] as const,
    registers: [this.registry],
  });
  readonly proverProved = new Gauge({
    name: "tessera_prover_proved",
    help: "Proofs the prover returned since it started, per prover",
    labelNames: ["prover"] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Sets the journal's checkpoint gauges (on each scrape). */
  setCheckpoints(stats: CheckpointStats | null): void {
    this.journalCheckpoints.set(stats?.passes ?? 0);
    this.journalLogRestarts.set(stats?.restarts ?? 0);
    this.journalLogFrames.set(stats?.logFrames ?? 0);
    for (const mode of ["idle", "thread", "sqlite"] as const)
      this.journalCheckpointMode.set({ mode }, stats?.mode === mode ? 1 : 0);
  }

  setVerifyWakes(wakes: { readonly signals: number; readonly polls: number } | null): void {
    this.verifyWakes.set(wakes?.signals ?? 0);
    this.verifyPolls.set(wakes?.polls ?? 0);
  }

  setSyncWakes(wakes: { readonly signals: number; readonly polls: number } | null): void {
    this.journalSyncWakes.set(wakes?.signals ?? 0);
    this.journalSyncPolls.set(wakes?.polls ?? 0);
  }

  /** Sets the pipeline gauges from `GET /v1/status`'s `pipeline` (on each scrape). */
  setPipeline(p: PipelineView): void {
    this.proofQueueDepth.set(p.queue?.waiting ?? 0);
    this.proofJobsActive.set(p.queue?.active ?? 0);
    this.proofOldestJobAge.set((p.queue?.oldestJobAgeMs ?? 0) / 1000);
    this.proofsPerMinute.set(p.proofsPerMinute);
    this.provingLagBatches.set(p.unprovedBatches);
    this.provingLagSeconds.set(Number(p.provingLagMs) / 1000);
    // Per-prover series of provers that left go with them.
    this.provers.reset();
    this.proverBusy.reset();
    this.proverLastSeen.reset();
    this.proverProved.reset();
    for (const state of ["idle", "proving", "stopping"] as const)
      this.provers.set({ state }, p.provers.filter((x) => x.state === state).length);
    for (const x of p.provers) {
      this.proverBusy.set({ prover: x.id }, x.state === "proving" ? 1 : 0);
      this.proverLastSeen.set({ prover: x.id }, x.lastSeenMs / 1000);
      this.proverProved.set({ prover: x.id }, x.proved);
    }
  }
}
