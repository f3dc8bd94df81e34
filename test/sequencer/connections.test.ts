/**
 * The connection bookkeeping's writes (sequencer/intake/connections.ts): the frames one turn of
 * the event loop sends to a connection leave in one write of its stream (corked until the turn
 * ends), in the order they were sent, for every connection written in that turn; a connection
 * over its send bound is closed as a slow consumer whatever is corked.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { WebSocket } from "ws";
import { Connections } from "../../sequencer/intake/connections.ts";
import type { Connection } from "../../sequencer/intake/connections.ts";
import { DEFAULT_WS_LIMITS } from "../../sequencer/intake/ws.ts";

/** A connection whose socket and stream record what is done to them in `log`. */
function fake(name: string, log: string[], bufferedAmount = 0): Connection {
  const socket = {
    readyState: 1,
    OPEN: 1,
    bufferedAmount,
    send: (text: string) => log.push(`${name} send ${text}`),
    close: (code: number) => log.push(`${name} close ${code}`),
    terminate: () => undefined,
    on: () => undefined,
  };
  return {
    socket: socket as unknown as WebSocket,
    stream: { cork: () => log.push(`${name} cork`), uncork: () => log.push(`${name} uncork`) },
    ip: `10.0.0.${name.length}`,
    channels: new Set(),
    lastMessageAt: 0,
    pingSentAt: 0,
    awaitingPong: false,
    gone: false,
  };
}

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));

describe("connection writes", () => {
  test("a turn's frames to each connection are corked together and released when the turn ends", async () => {
    const log: string[] = [];
    const conns = new Connections<Connection>(DEFAULT_WS_LIMITS);
    const [a, b] = [fake("a", log), fake("bb", log)];
    assert.ok(conns.admit(a) && conns.admit(b));
    conns.sendText(a, "1");
    conns.sendText(b, "2");
    conns.sendText(a, "3");
    assert.deepEqual(log, ["a cork", "a send 1", "bb cork", "bb send 2", "a send 3"]);
    await nextTick();
    assert.deepEqual(log.slice(5), ["a uncork", "bb uncork"]);
    // The next turn corks again: one cork and one uncork per connection per turn.
    log.length = 0;
    conns.sendText(b, "4");
    await nextTick();
    assert.deepEqual(log, ["bb cork", "bb send 4", "bb uncork"]);
  });

  test("a slow consumer is closed, not written; a connection without a stream is written as is", async () => {
    const log: string[] = [];
    const conns = new Connections<Connection>(DEFAULT_WS_LIMITS);
    const slow = fake("slow", log, DEFAULT_WS_LIMITS.maxBufferedBytes + 1);
    const plain = { ...fake("plain", log), stream: null };
    assert.ok(conns.admit(slow) && conns.admit(plain));
    conns.sendText(slow, "x");
    conns.sendText(plain, "y");
    await nextTick();
    assert.deepEqual(log, ["slow close 4001", "plain send y"]);
    assert.equal(slow.gone, true);
  });
});
