/** Prometheus metrics of the venue (served at `/metrics`). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

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
    help: "Signatures waiting for a verifier process (bounded)",
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
