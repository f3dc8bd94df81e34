/**
 * Live updates from the sequencer over one WebSocket (`/v1/ws`), shared by every component.
 *
 * Client → server (sequencer/intake/schemas.ts `wsMessageSchema`):
 * `{ "op": "subscribe" | "unsubscribe", "channel": "book" | "trades" | "ticker", "instrument" }`
 * and `{ "op": "auth", "token" }` for the account's private stream. Server → client
 * (sequencer/intake/ws.ts): flat messages `{ "type", "instrument", ... }`: `book_snapshot` then
 * `book` (sequenced changed levels) on the book channel, `trade` on trades, `ticker`; and,
 * after auth, `fill`, `orders`, `withdrawal` (applied, then at each status change of its batch)
 * and `settlement` for the account. Payload shapes are `livePayload` in api.ts.
 *
 * The connection reconnects with capped exponential backoff and resubscribes every channel that
 * still has a listener. `status` tells the UI whether prices on screen are live.
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

const MAX_BACKOFF_MS = 15_000;

export class LiveFeed {
  private socket: WebSocket | null = null;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly statusListeners = new Set<(status: LiveStatus) => void>();
  private readonly privateListeners = new Set<Listener>();
  private token: string | null = null;
  private backoffMs = 500;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  status: LiveStatus = "connecting";

  constructor(private readonly url: string) {}

  /** `http(s)://host/…` of the sequencer → `ws(s)://host/v1/ws`. */
  static urlFor(sequencerUrl: string): string {
    const url = new URL("/v1/ws", sequencerUrl);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.toString();
  }

  start(): void {
    this.closed = false;
    this.connect();
  }

  stop(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.socket?.close();
    this.socket = null;
  }

  /** Listens to a public channel of one instrument; returns the function that stops listening. */
  subscribe(channel: PublicChannel, instrument: bigint, listener: Listener): () => void {
    const key = `${channel}:${instrument}`;
    let set = this.listeners.get(key);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(key, set);
      this.send({ op: "subscribe", channel, instrument: instrument.toString() });
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(key);
      if (current === undefined) return;
      current.delete(listener);
      if (current.size === 0) {
        this.listeners.delete(key);
        this.send({ op: "unsubscribe", channel, instrument: instrument.toString() });
      }
    };
  }

  /** Authenticates the private stream with a session token (kept for reconnects). */
  authenticate(token: string | null): void {
    this.token = token;
    if (token !== null) this.send({ op: "auth", token });
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

  private setStatus(status: LiveStatus): void {
    this.status = status;
    for (const l of this.statusListeners) l(status);
  }

  private send(message: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private connect(): void {
    this.setStatus("connecting");
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.backoffMs = 500;
      this.setStatus("live");
      for (const key of this.listeners.keys()) {
        const [channel, instrument] = key.split(":");
        this.send({ op: "subscribe", channel, instrument });
      }
      if (this.token !== null) this.send({ op: "auth", token: this.token });
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
      const { type, instrument } = message as { type?: unknown; instrument?: unknown };
      if (typeof type !== "string") return;
      if (PRIVATE_TYPES.has(type)) {
        for (const l of this.privateListeners) l(message);
        return;
      }
      const channel = CHANNEL_OF[type];
      if (channel === undefined || (typeof instrument !== "string" && typeof instrument !== "number")) return;
      for (const l of this.listeners.get(`${channel}:${instrument}`) ?? []) l(message);
    };
    socket.onclose = () => {
      // A socket replaced by stop()/start() closes late: it must not reconnect.
      if (this.socket !== socket) return;
      this.socket = null;
      if (!this.closed) this.scheduleReconnect();
    };
    socket.onerror = () => socket.close();
  }

  private scheduleReconnect(): void {
    this.setStatus("offline");
    this.timer = setTimeout(() => this.connect(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
  }
}
