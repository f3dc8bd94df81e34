/**
 * A WebSocket proxy for stream tests: sits between the SDK and a real sequencer's `/v1/ws`,
 * forwards every frame both ways, and on request drops one server message (to force a sequence
 * gap) or cuts every connection (to force a reconnect). Nothing in the SDK knows it is there.
 */
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";

export class DroppingProxy {
  private readonly server: WebSocketServer;
  private readonly pairs = new Set<{ client: WebSocket; upstream: WebSocket }>();
  private dropRule: ((message: Record<string, unknown>) => boolean) | null = null;
  /** While true, every server message is swallowed and the connection stays open (a silent peer). */
  muted = false;
  /** Server messages dropped so far. */
  dropped = 0;
  /** Client connections accepted so far. */
  connections = 0;

  private constructor(
    private readonly target: string,
    server: WebSocketServer,
  ) {
    this.server = server;
    server.on("connection", (client) => this.accept(client));
  }

  /** Starts a proxy to the venue at `venueUrl` (http://host:port) on a free local port. */
  static async start(venueUrl: string): Promise<DroppingProxy> {
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/v1/ws" });
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    return new DroppingProxy(venueUrl.replace(/^http/, "ws") + "/v1/ws", server);
  }

  /** The proxy's base URL, to give the SDK in place of the venue's. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Drops the next server → client message that satisfies `rule`. */
  dropNext(rule: (message: Record<string, unknown>) => boolean): void {
    this.dropRule = rule;
  }

  /** Cuts every open connection at once, as a network failure would. */
  cutAll(): void {
    for (const { client, upstream } of this.pairs) {
      client.terminate();
      upstream.terminate();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: WebSocket): void {
    this.connections += 1;
    const upstream = new WebSocket(this.target);
    const pair = { client, upstream };
    this.pairs.add(pair);
    const pending: string[] = [];
    upstream.on("open", () => {
      for (const m of pending.splice(0)) upstream.send(m);
    });
    client.on("message", (data) => {
      const text = data.toString();
      if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
      else pending.push(text);
    });
    upstream.on("message", (data) => {
      const text = data.toString();
      if (this.muted) return;
      if (this.dropRule !== null && this.dropRule(JSON.parse(text) as Record<string, unknown>)) {
        this.dropRule = null;
        this.dropped += 1;
        return;
      }
      if (client.readyState === WebSocket.OPEN) client.send(text);
    });
    const closeBoth = (): void => {
      this.pairs.delete(pair);
      client.close();
      upstream.close();
    };
    client.on("close", closeBoth);
    upstream.on("close", closeBoth);
    client.on("error", () => undefined);
    upstream.on("error", () => undefined);
  }
}
