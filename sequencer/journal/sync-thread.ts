/**
 * The journal's `fdatasync` of its write-ahead log on a thread of the native addon
 * (native/src/sync_thread.c) instead of libuv's thread pool.
 *
 * Why: the venue syncs once per group commit, and under a paced load a group is often one order.
 * Handing the sync to libuv's pool wakes a sleeping pool thread, and on a virtual machine that
 * wake (an inter-processor interrupt through the hypervisor) cost the venue's thread 40–55 µs
 * per sync, measured: about as much as the order's own work in its turn. The addon's thread
 * polls for requests every 200 µs while syncs are recent (`pollWindowUs`), so a request is a
 * store under a lock; past the window it sleeps and a request wakes it as before.
 *
 * The guarantee is the one `Journal.sync` gives: its promise resolves after an `fdatasync` that
 * began after the call, so every commit made before the call is on disk; it rejects if that sync
 * failed.
 */
import { getSystemErrorName } from "node:util";
import { loadNativeCrypto } from "../../native/index.ts";
import type { NativeCrypto, NativeSyncer } from "../../native/index.ts";

/** How long the sync thread polls after its last sync, µs (a group commit every turn keeps it polling). */
export const DEFAULT_SYNC_POLL_US = 10_000;

interface Waiter {
  readonly token: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

export class WalSyncThread {
  private readonly handle: NativeSyncer;
  private next = 1;
  private readonly waiting: Waiter[] = [];
  private closed = false;

  private constructor(
    private readonly addon: NativeCrypto,
    fd: number,
    pollWindowUs: number,
  ) {
    this.handle = addon.syncerCreate(fd, (token, errno) => this.onDone(token, errno), pollWindowUs);
  }

  /** A sync thread for `fd`, or null without the native addon (the caller uses `fs.fdatasync`). */
  static open(fd: number, pollWindowUs: number = DEFAULT_SYNC_POLL_US): WalSyncThread | null {
    const addon = loadNativeCrypto().addon;
    return addon === null ? null : new WalSyncThread(addon, fd, pollWindowUs);
  }

  /** Resolves once a sync that began after this call has completed (see the header). */
  sync(): Promise<void> {
    if (this.closed) return Promise.reject(new Error("the journal's sync thread is closed"));
    const token = this.next;
    this.next = token === 0xffff_ffff ? 1 : token + 1;
    return new Promise<void>((resolve, reject) => {
      // An awaited sync keeps the process alive, as libuv's pending request did; an idle thread does not.
      if (this.waiting.length === 0) this.addon.syncerKeepAlive(this.handle, true);
      this.waiting.push({ token, resolve, reject });
      try {
        this.addon.syncerRequest(this.handle, token);
      } catch (e) {
        this.waiting.pop();
        if (this.waiting.length === 0) this.addon.syncerKeepAlive(this.handle, false);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /** Requests that woke the sleeping thread, looks by the polling thread, and syncs run. */
  get stats(): { readonly signals: number; readonly polls: number; readonly syncs: number } {
    return this.addon.syncerStats(this.handle);
  }

  /**
   * The thread reports the latest request its sync covered: that one and every one before it
   * (tokens are handed out in request order) are durable, or failed with it.
   */
  private onDone(token: number, errno: number): void {
    const at = this.waiting.findIndex((w) => w.token === token);
    if (at < 0) return; // settled by `close` meanwhile
    const covered = this.waiting.splice(0, at + 1);
    if (this.waiting.length === 0) this.addon.syncerKeepAlive(this.handle, false);
    if (errno === 0) for (const w of covered) w.resolve();
    else {
      const code = getSystemErrorName(-errno);
      const error = Object.assign(new Error(`fdatasync of the journal's write-ahead log failed: ${code}`), { code });
      for (const w of covered) w.reject(error);
    }
  }

  /**
   * Stops the thread (a sync running finishes first). The caller has synced every commit on its
   * own thread before (`Journal.close`): the requests still waiting are durable, and resolve.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.addon.syncerClose(this.handle);
    for (const w of this.waiting.splice(0)) w.resolve();
  }
}
