/**
 * Circuit figures of one profile: constraints per batch, per trade and per transaction type
 * (test/circuits/costs.ts), and the witness and Groth16 proving time of a batch full of trades
 * (scripts/zk/build.ts `measureProving`, which also records them in the build's manifest): cold,
 * wasm witness and zkey read from disk. `witness_ms_per_batch` and `prove_ms_per_batch` are a
 * dedicated prover's (bench/prover.ts).
 */
import { toCircuitInput } from "../../protocol/circuitInput.ts";
import { publicDataWidths } from "../../protocol/commitment.ts";
import { getProfile } from "../../protocol/profiles.ts";
import { Side, TxType } from "../../protocol/types.ts";
import type { Profile, Tx } from "../../protocol/types.ts";
import { batchArgs, ensureProfileBuilt, measureProving } from "../../scripts/zk/build.ts";
import { ctx, ETH_PRICE, order, runBatch, tradeTx, UNIT, USDC, world } from "../../test/protocol/fixtures.ts";
import { countOf, partCount, parts } from "../../test/circuits/costs.ts";
import type { Part } from "../../test/circuits/costs.ts";
import type { Figure } from "./report.ts";

/**
 * The word `Part.usedBy` (test/circuits/costs.ts) uses for a transaction type; parts marked
 * `all` count for every type. Types without a word need only the account updates.
 */
const USED_BY_WORD: Readonly<Record<keyof typeof TxType, string | null>> = {
  NOOP: null,
  DEPOSIT: null,
  WITHDRAW: "withdraw",
  FORCED_WITHDRAW: "forced withdrawal",
  TRADE: "trade",
  LIQUIDATE: "liquidation",
  FUNDING: null,
  SETTLE: "settlement",
  FEE_SWEEP: null,
  FORCED_CLOSE: "forced close",
};

/**
 * `nTx` ETH-perp trades between accounts 2 (maker, buys) and 3 (taker, sells): a full batch, the
 * one every proving figure (circuits, prover, fleet) measures.
 */
export function fullTradeBatch(profile: Profile) {
  const state = world([10_000n * USDC, 10_000n * USDC], profile);
  const txs: Tx[] = Array.from({ length: profile.nTx }, (_, i) =>
    tradeTx(
      order({ accountId: 2n, side: Side.BUY, orderId: BigInt(i + 1) }),
      order({ accountId: 3n, side: Side.SELL, orderId: BigInt(i + 1) }),
      UNIT,
      ETH_PRICE,
    ),
  );
  return runBatch(state, ctx({}, profile), txs);
}

/** Measures the circuit figures of `profileName`; builds the circuit if the cache is cold. */
export async function circuitFigures(profileName: string, log: (msg: string) => void): Promise<Figure[]> {
  const profile = getProfile(profileName);
  const built = await ensureProfileBuilt(profileName);
  const slot = await slotCost(profile, `slot-${profileName}`, log);
  const figures: Figure[] = [
    {
      name: "constraints_per_batch",
      profile: profileName,
      value: built.nConstraints,
      unit: "constraints",
      better: "lower",
      source: "scripts/zk/build.ts",
      note: `nTx ${profile.nTx}, accountDepth ${profile.accountDepth}, orderDepth ${profile.orderDepth}, P ${profile.positions}`,
    },
    {
      name: "constraints_per_trade",
      profile: profileName,
      value: slot.perTrade,
      unit: "constraints",
      better: "lower",
      source: "bench/lib/circuits.ts slotCost",
      note: `one slot at this profile's depths (batch of 2 − batch of 1, SHA-256 at the slot's ${slot.slotBytes}/64 of a block); every slot costs this whatever type it holds`,
    },
    {
      name: "constraints_batch_overhead",
      profile: profileName,
      value: slot.overhead,
      unit: "constraints",
      better: "lower",
      source: "bench/lib/circuits.ts slotCost",
      note: "roots, global hashes, prices, settlement and deposit records, the instrument table: once per batch",
    },
    {
      name: "constraints_per_slot_in_batch",
      profile: profileName,
      value: Math.round(built.nConstraints / profile.nTx),
      unit: "constraints",
      better: "lower",
      source: "scripts/zk/build.ts",
      note: `constraints_per_batch ÷ nTx: a slot with the batch's fixed part spread over ${profile.nTx} slots`,
    },
  ];

  log(`[bench circuits ${profileName}] measuring gadget costs (test/circuits/costs.ts)`);
  const measured: { part: Part; constraints: number }[] = [];
  for (const part of parts(profile)) measured.push({ part, constraints: (await partCount(part)) * part.perSlot });
  for (const [type, word] of Object.entries(USED_BY_WORD)) {
    const used = measured.filter(
      ({ part }) => part.usedBy.startsWith("all") || (word !== null && new RegExp(`\\b${word}\\b`).test(part.usedBy)),
    );
    figures.push({
      name: `active_constraints_per_slot.${type.toLowerCase()}`,
      profile: profileName,
      value: used.reduce((sum, u) => sum + u.constraints, 0),
      unit: "constraints",
      better: "lower",
      source: "test/circuits/costs.ts",
      note: "gadgets this type uses (upper bound); its slot still costs constraints_per_trade",
    });
  }

  log(`[bench circuits ${profileName}] witness and proof of a batch of ${profile.nTx} trades`);
  const input = toCircuitInput(fullTradeBatch(profile));
  const proving = await measureProving(built, input);
  const ms = (s: number): number => Math.round(s * 1000);
  figures.push(
    {
      name: "witness_ms_per_batch_cold",
      profile: profileName,
      value: ms(proving.witnessSeconds),
      unit: "ms",
      better: "lower",
      source: "scripts/zk/build.ts measureProving",
      note: `snarkjs wasm witness, ${profile.nTx} trades`,
    },
    {
      name: "prove_ms_per_batch_cold",
      profile: profileName,
      value: ms(proving.proveSeconds),
      unit: "ms",
      better: "lower",
      source: "scripts/zk/build.ts measureProving",
      note: `snarkjs groth16.prove, ${built.nConstraints.toLocaleString("en-US")} constraints, ${profile.nTx} trades`,
    },
    {
      name: "prove_ms_per_trade",
      profile: profileName,
      value: ms(proving.proveSeconds / profile.nTx),
      unit: "ms",
      better: "lower",
      source: "scripts/zk/build.ts measureProving",
      note: "prove_ms_per_batch_cold ÷ nTx",
    },
  );
  return figures;
}

/** SHA-256 blocks of an `n`-byte message (circomlib `Sha256`: the message, a 1 bit, the 64-bit length). */
export function sha256Blocks(bytes: number): number {
  return Math.floor((8 * bytes + 64) / 512) + 1;
}

/** One slot's exact cost at a profile's depths and widths, and the batch's fixed part (see below). */
export interface SlotCost {
  readonly perTrade: number;
  readonly overhead: number;
  /** Bytes a slot adds to the committed data. */
  readonly slotBytes: number;
  /** Constraints of one 64-byte SHA-256 block past the first. */
  readonly block: number;
  /** The slot's share of the commitment: `slotBytes / 64` of a block. */
  readonly shaShare: number;
}

/**
 * `p`'s depths and widths compiled at nTx 1 and 2 (no setup; `tag` names the compilations): one
 * slot's cost is the difference of the two batches, with the correction `slotProdFigures`
 * describes (the SHA-256 blocks the difference holds replaced by the slot's exact share), and
 * the batch's fixed part is what the batch of 1 holds besides it.
 */
export async function slotCost(p: Profile, tag: string, log: (msg: string) => void): Promise<SlotCost> {
  const params = (nTx: number): string => batchArgs({ ...p, nTx });
  const count = async (nTx: number): Promise<number> => {
    log(`[bench circuits ${tag}] compiling Batch(${params(nTx)}) (no setup)`);
    return countOf("batch.circom", `Batch(${params(nTx)})`, `${tag}-${nTx}`);
  };
  const one = await count(1);
  const two = await count(2);
  log(`[bench circuits ${tag}] SHA-256 constraints per 64-byte block (circomlib Sha256 at 2 and 3 blocks)`);
  const sha = async (bits: number): Promise<number> =>
    countOf("circomlib/circuits/sha256/sha256.circom", `Sha256(${bits})`, `sha256-${bits}`);
  const block = (await sha(1000)) - (await sha(512));
  const bytes = (nTx: number): number => publicDataWidths({ ...p, nTx }).reduce((a, b) => a + b, 0);
  const slotBytes = bytes(2) - bytes(1);
  const wholeBlocks = sha256Blocks(bytes(2)) - sha256Blocks(bytes(1));
  const shaShare = Math.round((slotBytes / 64) * block);
  const perTrade = two - one - wholeBlocks * block + shaShare;
  return { perTrade, overhead: one - perTrade, slotBytes, block, shaShare };
}

/**
 * `slot-prod`: the prod profile's depths and widths compiled at nTx 1 and 2 (no setup), so a
 * slot's cost at production depths is counted exactly: the difference of the two batches, with
 * one correction. The commitment hashes 24 bytes a slot, so from one batch size to the next the
 * SHA-256 block count grows by 0 or 1 (a block is 64 bytes); the difference's whole blocks are
 * replaced by the slot's exact share, 24/64 of a block (measured from circomlib's Sha256 at 2 and
 * 3 blocks, past the first, whose constant initial state the compiler folds). That share is what every slot of a prod batch costs on average, whatever it
 * holds; the rest is the batch overhead.
 */
export async function slotProdFigures(log: (msg: string) => void): Promise<Figure[]> {
  const p = getProfile("prod");
  const { perTrade, overhead, slotBytes, block, shaShare } = await slotCost(p, "slot-prod", log);
  const note = `accountDepth ${p.accountDepth}, orderDepth ${p.orderDepth}, P ${p.positions}, U ${p.underlyings}, K ${p.settlements}, I ${p.instruments}, D ${p.deposits}`;
  // Where a slot's constraints go at prod depths (issue 17 item 3: the levers, measured): each
  // gadget compiled alone with prod's parameters, times its instances per slot.
  log("[bench circuits slot-prod] measuring gadget costs at prod depths (test/circuits/costs.ts)");
  const partFigures: Figure[] = [];
  let partsSum = 0;
  for (const part of parts(p)) {
    const each = await partCount(part);
    partsSum += each * part.perSlot;
    partFigures.push({
      name: `constraints_part.${slug(part.name)}`,
      profile: "slot-prod",
      value: each * part.perSlot,
      unit: "constraints",
      better: "lower",
      source: "test/circuits/costs.ts",
      note: `${part.main}: ${each.toLocaleString("en-US")} × ${part.perSlot} per slot; needed by ${part.usedBy}`,
    });
  }
  partFigures.push(
    {
      name: "constraints_part.commitment_share",
      profile: "slot-prod",
      value: shaShare,
      unit: "constraints",
      better: "lower",
      source: "bench/lib/circuits.ts slotProdFigures",
      note: `the slot's ${slotBytes} bytes of the SHA-256 commitment: ${slotBytes}/64 of a block of ${block.toLocaleString("en-US")} constraints`,
    },
    {
      name: "constraints_part.glue",
      profile: "slot-prod",
      value: perTrade - partsSum - shaShare,
      unit: "constraints",
      better: "lower",
      source: "bench/lib/circuits.ts slotProdFigures",
      note: "constraints_per_trade − the parts above − the commitment share: the decompositions of f0 and f1 (208 + 136 bits), selectors, range checks, fees, public data, the deposit record selection",
    },
  );
  return [
    ...partFigures,
    {
      name: "constraints_per_trade",
      profile: "slot-prod",
      value: perTrade,
      unit: "constraints",
      better: "lower",
      source: "bench/lib/circuits.ts slotProdFigures",
      note: `one slot at prod depths (batch of 2 − batch of 1, SHA-256 at the slot's ${slotBytes}/64 of a block); ${note}`,
    },
    {
      name: "constraints_batch_overhead",
      profile: "slot-prod",
      value: overhead,
      unit: "constraints",
      better: "lower",
      source: "bench/lib/circuits.ts slotProdFigures",
      note: "roots, global hashes, prices, settlement and deposit records, the insurance fund leaf: once per batch (batch of 1 − constraints_per_trade)",
    },
  ];
}

/** `MerkleUpdate (account)` → `merkle_update_account`: a part's name as a figure name. */
function slug(name: string): string {
  return name
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_|_$/g, "")
    .toLowerCase();
}
