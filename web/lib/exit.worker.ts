/**
 * The dedicated worker of the exodus exit (started by web/lib/exit.ts): receives one
 * `RebuildRequest`, replays the verified batches off the page's thread (exitWorkerJob.ts) and
 * posts a `progress` message after each batch, then `done` with the exits or `failed` with the
 * error as plain data. The page terminates it when it is no longer wanted.
 */
import { initPoseidon } from "../../protocol/poseidon.ts";
import { rebuildExits, toFailure } from "./exitWorkerJob.ts";
import type { RebuildRequest, WorkerMessage } from "./exitWorkerJob.ts";

const post = (message: WorkerMessage) => self.postMessage(message);

self.addEventListener(
  "message",
  (event: MessageEvent<RebuildRequest>) => {
    void (async () => {
      try {
        await initPoseidon();
        const exits = rebuildExits(event.data, (done, total) => post({ type: "progress", done, total }));
        post({ type: "done", exits });
      } catch (e) {
        post({ type: "failed", failure: toFailure(e) });
      }
    })();
  },
  { once: true },
);
