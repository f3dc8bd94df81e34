/**
 * `npx tsx sequencer/tools/rebuild.ts <new journal> <first lost queue index>`: rebuilds the
 * venue's journal (`TESSERA_DB`, with the configuration of the environment, sequencer/config.ts)
 * into `<new journal>` without the L1 operations from `<first lost queue index>` on, which a reorg
 * deeper than the confirmation depth took away (issue 14 F15, docs/deployment.md §3.4). Prints
 * what was kept, left out, and kept with another outcome than the traders were told; then start the venue on the new journal (the watcher reads the
 * surviving queue entries from L1 again). The old journal is not changed.
 */
import { initCrypto } from "../../protocol/index.ts";
import { configFromEnv, l1FromEnv } from "../config.ts";
import { Sequencer } from "../core/sequencer.ts";
import { venueSetup } from "../service.ts";

const [out, firstLost] = process.argv.slice(2);
if (out === undefined || firstLost === undefined || !/^\d+$/.test(firstLost)) {
  console.error("usage: tsx sequencer/tools/rebuild.ts <new journal> <first lost queue index>");
  process.exit(2);
}
const lostFrom = BigInt(firstLost);
const cfg = configFromEnv(process.env, Date.now());
const l1 = l1FromEnv(process.env);
await initCrypto();
const { venue, kept, dropped, changed } = Sequencer.rebuild(
  await venueSetup(cfg, l1),
  cfg.dbFile,
  out,
  // Every L1 priority operation (deposit, forced request) from the first lost queue index on.
  (c) => {
    const queueIndex = (c as { readonly queueIndex?: bigint | null }).queueIndex;
    return queueIndex !== undefined && queueIndex !== null && queueIndex >= lostFrom;
  },
  { listedAt: cfg.listedAt.toString() },
);
process.stdout.write(
  `${JSON.stringify(
    {
      kept,
      dropped: dropped.map((d) => ({ ...d, seq: d.seq.toString() })),
      changed: changed.map((c) => ({ ...c, seq: c.seq.toString() })),
      nextQueueIndex: venue.expectedQueueIndex.toString(),
      // The kept orders were re-executed without intake's checks: a lost fund-account deposit can
      // leave more uncovered instruments than free fund slots (docs/api.md, "Insurance fund capacity").
      insuranceFund: {
        freeSlots: venue.ledger.fundCapacity.freeSlots,
        uncoveredInstruments: venue.ledger.fundCapacity.uncovered,
        withinBound: venue.ledger.fundCapacity.uncovered <= venue.ledger.fundCapacity.freeSlots,
      },
    },
    null,
    2,
  )}\n`,
);
venue.close();
