/**
 * `npx tsx sequencer/main.ts`: runs the sequencer with the configuration of the environment
 * (sequencer/config.ts). Logs JSON lines (pino) on stdout; the `listening` line carries `url`.
 */
import { pino } from "pino";
import { QueueError } from "../prover/queue/config.ts";
import { configFromEnv, l1FromEnv } from "./config.ts";
import { startService } from "./service.ts";

const service = await startService(configFromEnv(process.env, Date.now()), l1FromEnv(process.env)).catch(
  (e: unknown) => {
    // A prover queue that is misnamed or down fails the start with what to fix (exit code 2).
    if (e instanceof QueueError) {
      pino({ base: { service: "tessera-sequencer" } }).fatal({ code: e.code }, e.message);
      process.exit(2);
    }
    throw e;
  },
);
const stop = (reason: string, code = 0): void => {
  service.log.info({ reason }, "shutting down");
  service.close().then(
    () => process.exit(code),
    (e: unknown) => {
      service.log.error({ err: e }, "shutdown failed");
      process.exit(1);
    },
  );
};
// A halted venue (journal write failure, internal error) exits; a restart replays the journal.
service.venue.on((e) => {
  if (e.type === "halted") stop("halted", 1);
});
process.once("SIGINT", () => stop("SIGINT"));
process.once("SIGTERM", () => stop("SIGTERM"));
