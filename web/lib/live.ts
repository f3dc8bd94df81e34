/**
 * Live updates from the sequencer over WebSocket (`/v1/ws`), shared by every component.
 *
 * Two connections, each with its own reconnects:
 * - **public**: the `book`, `trades` and `ticker` channels, on the market-data endpoint that
 *   `/v1/status` names (sequencer/marketdata/, off the venue's matching thread), or on the
 *   venue's own endpoint when it runs none. The URL is asked again at every (re)connect, so a
 *   moved or restarted endpoint is found.
 * - **private**: the account's `fill`, `orders`, `withdrawal` and `settlement` messages, on the
 *   venue's endpoint, open only while the app holds a session token.
 *
 * Client → server (sequencer/intake/schemas.ts `wsMessageSchema`):
 * `{ "op": "subscribe" | "unsubscribe", "channel": "book" | "trades" | "ticker", "instrument" }`
 * and `{ "op": "auth", "token" }`. Server → client (sequencer/intake/ws.ts): flat messages
 * `{ "type", "instrument", ... }`: `book_snapshot` then `book` (sequenced changed levels) on the
 * book channel, `trade` on trades, `ticker`; and, after auth, the private messages. Payload
 * shapes are `livePayload` in api.ts.
 *
 * Each connection reconnects with capped exponential backoff; the public one resubscribes every
 * channel that still has a listener, the private one authenticates again. `status` tells the UI
 * whether what is on screen is live: both connections that should be open are.
 */

export type LiveStatus = "connecting" | "live" | "offline";

type Listener = (data: unknown) => void;

export type PublicChannel = "book" | "trades" | "ticker";

/** The channel each server message type belongs to. */
const CHANNEL_OF: Readonly<Record<string, PublicChannel>> = {
  book_snapshot: "book",
  book: "book",
  trade: "trades",
  ticker: "ticker",
};
const PRIVATE_TYPES = new Set(["fill", "orders", "withdrawal", "settlement"]);

const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 15_000;

/** One WebSocket to a URL resolved at each attempt, reconnected with capped backoff. */
class Link {
  private socket: WebSocket | null = null;
  private backoffMs = FIRST_BACKOFF_MS;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  status: LiveStatus | "stopped" = "stopped";

  constructor(
    private readonly resolveUrl: () => Promise<string>,
    private readonly onOpen: () => void,
    private readonly onMessage: (message: { type: string; instrument?: unknown }) => void,
    private readonly onStatus: () => void,
  ) {}

  /** The URL of the open connection (null while none is open). */
  get url(): string | null {
    return this.socket?.readyState === WebSocket.OPEN ? this.socket.url : null;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.socket?.close();
    this.socket = null;
    this.setStatus("stopped");
  }

  send(message: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private setStatus(status: LiveStatus | "stopped"): void {
    this.status = status;
    this.onStatus();
  }

  private connect(): void {
    this.timer = null;
    this.setStatus("connecting");
    this.resolveUrl().then(
      (url) => {
        if (this.running) this.open(url);
      },
      () => {
        if (this.running) this.scheduleReconnect();
      },
    );
  }

  private open(url: string): void {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.backoffMs = FIRST_BACKOFF_MS;
      this.setStatus("live");
      this.onOpen();
    };
    socket.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== "string") return;
      let message: unknown;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (typeof message !== "object" || message === null) return;
      const { type } = message as { type?: unknown };
      if (typeof type === "string") this.onMessage(message as { type: string; instrument?: unknown });
    };
    // A drop is either event: browsers send `close` after an `error`, Node's WebSocket only
    // `error` for a connection that never opened. The first one reconnects; the socket is let go
    // before `close()`, so the events that call fires are ignored.
    const drop = (): void => {
      // A socket replaced by stop()/start() ends late: it must not reconnect.
      if (this.socket !== socket) return;
      this.socket = null;
      socket.close();
      if (this.running) this.scheduleReconnect();
    };
    socket.onclose = drop;
    socket.onerror = drop;
  }

  private scheduleReconnect(): void {
    this.setStatus("offline");
    this.timer = setTimeout(() => this.connect(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
  }
}

export class LiveFeed {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly statusListeners = new Set<(status: LiveStatus) => void>();
  private readonly privateListeners = new Set<Listener>();
  private readonly publicLink: Link;
  private readonly privateLink: Link;
  private token: string | null = null;
  private started = false;
  status: LiveStatus = "connecting";

  /**
   * @param venueUrl the venue's `ws(s)://host/v1/ws` (orders' private stream)
   * @param publicUrl resolves the `ws(s)://…/v1/ws` of the public channels at each connect
   *   (default: the venue's)
   */
  constructor(venueUrl: string, publicUrl: () => Promise<string> = () => Promise.resolve(venueUrl)) {
    this.publicLink = new Link(
      publicUrl,
      () => {
        for (const key of this.listeners.keys()) {
          const [channel, instrument] = key.split(":");
          this.publicLink.send({ op: "subscribe", channel, instrument });
        }
      },
      (message) => {
        const channel = CHANNEL_OF[message.type];
        const { instrument } = message;
        if (channel === undefined || (typeof instrument !== "string" && typeof instrument !== "number")) return;
        for (const l of this.listeners.get(`${channel}:${instrument}`) ?? []) l(message);
      },
      () => this.updateStatus(),
    );
    this.privateLink = new Link(
      () => Promise.resolve(venueUrl),
      () => {
        if (this.token !== null) this.privateLink.send({ op: "auth", token: this.token });
      },
      (message) => {
        if (!PRIVATE_TYPES.has(message.type)) return;
        for (const l of this.privateListeners) l(message);
      },
      () => this.updateStatus(),
    );
  }

  /** `http(s)://host/…` of a sequencer or market-data endpoint → `ws(s)://host/v1/ws`. */
  static urlFor(baseUrl: string): string {
    const url = new URL("/v1/ws", baseUrl);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.toString();
  }

  /** The URL the public channels are connected to (null while connecting). */
  get publicUrl(): string | null {
    return this.publicLink.url;
  }

  start(): void {
    this.started = true;
    this.publicLink.start();
    if (this.token !== null) this.privateLink.start();
  }

  /** Closes both connections; `start()` opens them again (the status starts over). */
  stop(): void {
    this.started = false;
    this.publicLink.stop();
    this.privateLink.stop();
    this.status = "connecting";
  }

  /** Listens to a public channel of one instrument; returns the function that stops listening. */
  subscribe(channel: PublicChannel, instrument: bigint, listener: Listener): () => void {
    const key = `${channel}:${instrument}`;
    let set = this.listeners.get(key);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(key, set);
      this.publicLink.send({ op: "subscribe", channel, instrument: instrument.toString() });
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(key);
      if (current === undefined) return;
      current.delete(listener);
      if (current.size === 0) {
        this.listeners.delete(key);
        this.publicLink.send({ op: "unsubscribe", channel, instrument: instrument.toString() });
      }
    };
  }

  /**
   * Authenticates the private stream with a session token (kept for reconnects); null closes
   * it. A new token on an open connection authenticates it again.
   */
  authenticate(token: string | null): void {
    const had = this.token;
    this.token = token;
    if (token === null) {
      this.privateLink.stop();
      this.updateStatus();
    } else if (had === null || this.privateLink.status === "stopped") {
      if (this.started) this.privateLink.start();
    } else this.privateLink.send({ op: "auth", token });
  }

  /** Listens to the account's private messages (`fill`, `orders`, `withdrawal`, `settlement`). */
  onPrivate(listener: Listener): () => void {
    this.privateListeners.add(listener);
    return () => this.privateListeners.delete(listener);
  }

  onStatus(listener: (status: LiveStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Live when every connection that should be open is; offline when one is down. */
  private updateStatus(): void {
    if (!this.started) return;
    const links = [this.publicLink.status, ...(this.token === null ? [] : [this.privateLink.status])];
    const status: LiveStatus = links.includes("offline")
      ? "offline"
      : links.every((s) => s === "live")
        ? "live"
        : "connecting";
    if (status === this.status) return;
    this.status = status;
    for (const l of this.statusListeners) l(status);
  }
}
