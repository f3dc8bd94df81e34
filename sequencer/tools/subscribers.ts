/**
 * Market-data subscribers from a process of their own, for the fan-out figures of
 * bench/sequencer.ts (docs/benchmarks.md "Market data off the core's thread").
 *
 * CLI: `npx tsx sequencer/tools/subscribers.ts '<SubscriberOptions as JSON>'` opens `connections`
 * WebSocket connections to `url` (`/v1/ws`), subscribes each to the `book`, `trades` and
 * `ticker` channels of `instrument`, prints `ready` once every subscription is confirmed, and on
 * SIGTERM prints a `SubscriberReport` as JSON (messages and bytes received) and exits. Every
 * connection reads everything it is sent: these are well-behaved clients.
 */
import { WebSocket } from "ws";

export interface SubscriberOptions {
  /** Base URL of the endpoint (`http://127.0.0.1:port`). */
  readonly url: string;
  readonly connections: number;
  readonly instrument: string;
}

export interface SubscriberReport {
  readonly connections: number;
  readonly messages: number;
  readonly bytes: number;
  /** Connections the server closed before SIGTERM. */
  readonly closed: number;
}

const CHANNELS = ["book", "trades", "ticker"] as const;

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? "") as SubscriberOptions;
  const wsUrl = options.url.replace(/^http/, "ws") + "/v1/ws";
  let messages = 0;
  let bytes = 0;
  let closed = 0;
  let stopping = false;
  const sockets = await Promise.all(
    Array.from(
      { length: options.connections },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(wsUrl);
          let confirmed = 0;
          ws.on("message", (data: Buffer) => {
            messages += 1;
            bytes += data.length;
            const m = JSON.parse(data.toString()) as { type?: string };
            if (m.type === "error") reject(new Error(`subscription refused: ${data.toString()}`));
            if (m.type === "subscribed" && ++confirmed === CHANNELS.length) resolve(ws);
          });
          ws.once("error", reject);
          ws.once("close", () => {
            if (!stopping) closed += 1;
          });
          ws.once("open", () => {
            for (const channel of CHANNELS)
              ws.send(JSON.stringify({ op: "subscribe", channel, instrument: options.instrument }));
          });
        }),
    ),
  );
  // Only what the load makes is counted.
  messages = 0;
  bytes = 0;
  process.stdout.write("ready\n");
  process.once("SIGTERM", () => {
    stopping = true;
    for (const ws of sockets) ws.terminate();
    const report: SubscriberReport = { connections: sockets.length, messages, bytes, closed };
    process.stdout.write(JSON.stringify(report) + "\n", () => process.exit(0));
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
