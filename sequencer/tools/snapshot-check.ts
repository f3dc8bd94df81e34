/**
 * The snapshot safety net (issue 16 item 3): opens a journal twice — from its newest valid
 * snapshot plus the tail, as a restart does, and by a full replay from genesis — and compares
 * everything the two rebuilt: the core's records, ledger, books and resting orders (with each
 * account's open-order totals, which a restore rebuilds), every venue map, the closed batches
 * with their witnesses and public inputs, and the builder's Merkle trees (both open with the
 * builder inline, so the trees are compared node by node, not only roots).
 *
 * `npx tsx sequencer/tools/snapshot-check.ts` checks the venue's journal (`TESSERA_DB`, with the
 * configuration of the environment, sequencer/config.ts; stop the venue first or run it on a
 * copy). Prints the report; exits 1 when the two differ. Neither opening writes a snapshot.
 */
import { isDeepStrictEqual } from "node:util";
import { pathToFileURL } from "node:url";
import type { Sequencer, VenueConfig } from "../core/sequencer.ts";
import { Sequencer as Venue } from "../core/sequencer.ts";

export interface SnapshotCheck {
  /** The snapshot the restart path loaded (0: none valid, both replayed from genesis). */
  readonly snapshotSeq: bigint;
  /** Commands the restart path replayed after it, and the full replay replayed. */
  readonly tail: number;
  readonly full: number;
  readonly skipped: readonly { readonly seq: bigint; readonly reason: string }[];
  /** The parts of the state that differ (`ledger.state`, `engine.books`...): empty when equal. */
  readonly differences: readonly string[];
}

/** The parts of two `inspectState()`s that differ, one level into the ledger and the engine. */
export function stateDifferences(a: Sequencer, b: Sequencer): string[] {
  const x = a.inspectState();
  const y = b.inspectState();
  const out: string[] = [];
  for (const key of new Set([...Object.keys(x), ...Object.keys(y)])) {
    if (isDeepStrictEqual(x[key], y[key])) continue;
    const inner = x[key];
    const other = y[key];
    if ((key === "ledger" || key === "engine") && typeof inner === "object" && typeof other === "object") {
      const i = inner as Record<string, unknown>;
      const o = other as Record<string, unknown>;
      for (const k of new Set([...Object.keys(i), ...Object.keys(o)]))
        if (!isDeepStrictEqual(i[k], o[k])) out.push(`${key}.${k}`);
    } else out.push(key);
  }
  return out;
}

/** Opens `file` from its snapshot and from genesis, compares the two and closes both. */
export function compareWithFullReplay(
  config: VenueConfig,
  file: string,
  extraMeta: Readonly<Record<string, string>> = {},
): SnapshotCheck {
  const restored = Venue.open(config, file, "FULL", extraMeta, { builder: "inline", snapshots: false });
  try {
    const full = Venue.open(config, file, "FULL", extraMeta, {
      builder: "inline",
      snapshots: false,
      loadSnapshot: false,
    });
    try {
      return {
        snapshotSeq: restored.restored.snapshotSeq,
        tail: restored.restored.replayed,
        full: full.restored.replayed,
        skipped: restored.restored.skipped,
        differences: stateDifferences(restored, full),
      };
    } finally {
      full.close();
    }
  } finally {
    restored.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { initCrypto } = await import("../../protocol/index.ts");
  const { configFromEnv, l1FromEnv } = await import("../config.ts");
  const { venueSetup } = await import("../service.ts");
  const cfg = configFromEnv(process.env, Date.now());
  await initCrypto();
  const check = compareWithFullReplay(await venueSetup(cfg, l1FromEnv(process.env)), cfg.dbFile, {
    listedAt: cfg.listedAt.toString(),
  });
  process.stdout.write(
    `${JSON.stringify(
      {
        ...check,
        snapshotSeq: check.snapshotSeq.toString(),
        skipped: check.skipped.map((s) => ({ ...s, seq: s.seq.toString() })),
      },
      null,
      2,
    )}\n`,
  );
  process.exit(check.differences.length === 0 ? 0 : 1);
}
