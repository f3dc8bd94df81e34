/**
 * `npx tsx sequencer/main.ts`: runs the sequencer with the configuration of the environment
 * (sequencer/config.ts). Logs JSON lines (pino) on stdout; the `listening` line carries `url`.
 */
import { configFromEnv, l1FromEnv } from "./config.ts";
import { startService } from "./service.ts";

const service = await startService(configFromEnv(process.env, Date.now()), l1FromEnv(process.env));
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
