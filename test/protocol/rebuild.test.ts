import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeSlot,
  FIELD_MODULUS,
  leafHash,
  poseidon,
  proofLength,
  verifyProof,
  InstrumentKind,
  l1Calldata,
  largestLiquidation,
  optionId,
  perpId,
  ProtocolError,
  TxType,
  withdrawalOrder,
  unpackSlots,
} from "../../protocol/index.ts";
import type { Batch, BatchContext, RollupState, Tx } from "../../protocol/index.ts";
import {
  applyPostedBatch,
  exitArguments,
  orderIdsOf,
  provenTx,
  RebuildError,
  rebuildState,
} from "../../protocol/rebuild.ts";
import type { PostedBatch, RebuildErrorCode } from "../../protocol/rebuild.ts";
import {
  BTC_PRICE,
  buy,
  ctx,
  DEMO,
  depositTx,
  DOMAIN,
  ETH_PRICE,
  runBatch,
  sell,
  sign,
  T0,
  tradeTx,
  UNIT,
  USDC,
  world,
} from "./fixtures.ts";

const BIG = 100_000n * USDC;
const EXP = T0 + 86_400n;
const CALL = optionId(1, InstrumentKind.CALL, 300_000n, EXP);
/** Leaves account 3 exactly at initial margin after buying 1 ETH at 3,000 as taker. */
const LEVERAGED = 300n * USDC + (UNIT * ETH_PRICE * 5n) / 10_000n;

const at = (over: Partial<BatchContext>): BatchContext => ctx(over, DEMO);
const posted = (batch: Batch): PostedBatch => {
  const { header, slots } = l1Calldata(batch, {
    priceRoundIds: batch.context.prices.map((_, i) => BigInt(i + 1)),
    settlementRoundIds: batch.context.settlements.map((_, i) => BigInt(i + 10)),
  });
  return { header, slots: unpackSlots(slots) };
};

/**
 * Four batches on the demo profile with every transaction type: deposits; perp and option
 * trades with one maker order filled across two batches; a liquidation, a withdrawal, a served
 * and a refused forced withdrawal, funding; then option settlement, a fee sweep and funding.
 */
function history(): { genesis: RollupState; live: RollupState; batches: Batch[] } {
  const genesis = world([], DEMO);
  const live = genesis.clone();
  const batches: Batch[] = [];
  const run = (context: BatchContext, txs: readonly Tx[]) => batches.push(runBatch(live, context, txs));

  run(at({}), [depositTx(2n, BIG), depositTx(3n, LEVERAGED), depositTx(4n, BIG), depositTx(5n, BIG)]);
  run(at({}), [
    tradeTx(sell(2n), buy(3n), UNIT, ETH_PRICE),
    tradeTx(sell(4n, { instrument: CALL, price: 5_000n }), buy(5n, { instrument: CALL, price: 5_000n }), UNIT, 5_000n),
    tradeTx(sell(2n, { orderId: 2n, size: 2n * UNIT, price: 299_000n }), buy(4n, { orderId: 2n }), UNIT / 2n, 299_500n),
  ]);
  run(at({ timestamp: T0 + 60n, prices: [280_000n, BTC_PRICE] }), [
    {
      type: TxType.LIQUIDATE,
      accountId: 3n,
      instrument: buy(3n).instrument,
      size: largestLiquidation(live.account(3n), buy(3n).instrument, live.marks([280_000n, BTC_PRICE])),
    },
    tradeTx(sell(2n, { orderId: 2n, size: 2n * UNIT, price: 279_000n }), buy(5n, { orderId: 2n }), UNIT / 2n, 280_000n),
    { type: TxType.WITHDRAW, withdrawal: sign(withdrawalOrder(5n, 10n * USDC, 3n, T0 + 60n)) },
    { type: TxType.FUNDING, underlying: 1, delta: 120n },
  ]);
  run(at({ timestamp: T0 + 61n }), [
    { type: TxType.FORCED_WITHDRAW, accountId: 4n, requested: 25n * USDC },
    // Nothing withdrawable (account 7 is not registered): refused, served 0.
    { type: TxType.FORCED_WITHDRAW, accountId: 7n, requested: BIG },
    // Finding F11: account 4's long perp forced closed into the fund; a refusal (no BTC held).
    { type: TxType.FORCED_CLOSE, accountId: 4n, instrument: buy(4n).instrument, settlement: false },
    { type: TxType.FORCED_CLOSE, accountId: 3n, instrument: perpId(2), settlement: false },
  ]);
  const feePool = live.globalState.feePool;
  run(at({ timestamp: EXP + 10n, settlements: [{ underlying: 1, expiry: EXP, price: 320_000n }] }), [
    { type: TxType.SETTLE, accountId: 5n, instrument: CALL },
    { type: TxType.SETTLE, accountId: 4n, instrument: CALL },
    { type: TxType.FEE_SWEEP, amount: feePool / 2n },
    { type: TxType.FUNDING, underlying: 1, delta: -80n },
  ]);
  return { genesis, live, batches };
}

const { genesis, live, batches } = history();
const genesisRoot = genesis.stateRoot;
const calldata = batches.map(posted);

function rejectsWith(code: RebuildErrorCode, slot: number | undefined, fn: () => unknown): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof RebuildError && e.code === code && e.slot === slot,
    `expected ${code}`,
  );
}

/** The calldata with slot value `index` of batch `b` replaced by `value`. */
function withSlot(b: number, index: number, value: bigint): PostedBatch[] {
  return calldata.map((c, i) => (i === b ? { ...c, slots: c.slots.map((v, j) => (j === index ? value : v)) } : c));
}

describe("rebuilding the state from L1 calldata (§12)", () => {
  test("the history uses every transaction type and both forced-withdrawal outcomes", () => {
    const types = new Set(batches.flatMap((b) => b.witnesses.map((w) => w.tx.type)));
    assert.deepEqual([...types].sort(), Object.values(TxType).sort());
    const forced = batches[3]!.witnesses.map((w) => w.served);
    assert.deepEqual(forced, [25n * USDC, 0n, 1n, 0n]);
  });

  test("order ids past 2^32 come back from their posted low 32 bits and the id their slot holds (§5.3)", () => {
    const W = 1n << 32n;
    const start = world([], DEMO);
    const s = start.clone();
    // orderDepth 4: W − 15 and W + 1 share slot 1 (16 apart), W − 1 and 2W − 17 slot 15 (W − 16 apart).
    const txs = [
      [depositTx(2n, BIG), depositTx(3n, BIG)],
      [tradeTx(sell(2n, { orderId: W - 15n }), buy(3n, { orderId: W - 1n }), UNIT, ETH_PRICE)],
      [tradeTx(sell(2n, { orderId: W + 1n }), buy(3n, { orderId: 2n * W - 17n }), UNIT, ETH_PRICE)],
    ];
    const posts = txs.map((t) => posted(runBatch(s, at({}), t)));
    const [f0, f1] = posts[2]!.slots;
    const slot = decodeSlot(f0!, f1!);
    assert.ok(slot.type === TxType.TRADE);
    assert.deepEqual([slot.makerOrderIdLow, slot.takerOrderIdLow], [1n, W - 17n], "only the low 32 bits are posted");
    const rebuilt = rebuildState(start, posts, DOMAIN);
    assert.equal(rebuilt.stateRoot, s.stateRoot);
    assert.deepEqual(rebuilt.orderState(2n, 1n), { orderId: W + 1n, filled: UNIT });
    assert.deepEqual(rebuilt.orderState(3n, 15n), { orderId: 2n * W - 17n, filled: UNIT });
  });

  test("rebuilds every account, the global state and every exit proof", () => {
    const progress: number[] = [];
    const rebuilt = rebuildState(genesis, calldata, DOMAIN, (done) => progress.push(done));
    assert.deepEqual(progress, [1, 2, 3, 4, 5]);
    assert.equal(rebuilt.stateRoot, live.stateRoot);
    assert.equal(rebuilt.accountRoot, live.accountRoot);
    assert.deepEqual(rebuilt.globalState, live.globalState);
    for (let id = 0n; id < 1n << BigInt(DEMO.accountDepth); id++) {
      assert.deepEqual(rebuilt.account(id), live.account(id), `account ${id}`);
      assert.deepEqual(rebuilt.exitProof(id), live.exitProof(id), `exit proof of ${id}`);
    }
    assert.deepEqual(rebuilt.orderState(2n, 2n), { orderId: 2n, filled: UNIT }, "a maker order filled across batches");
    assert.equal(genesis.stateRoot, genesisRoot, "the genesis state is left untouched");
  });

  test("every prefix of the history rebuilds to that batch's posted root", () => {
    const state = genesis.clone();
    calldata.forEach((c, i) => {
      applyPostedBatch(state, c, DOMAIN, BigInt(i + 1));
      assert.equal(state.stateRoot, batches[i]!.newStateRoot);
    });
  });

  test("a posted root that the data does not produce is ROOT_MISMATCH", () => {
    const bad = calldata.map((c, i) => (i === 2 ? { ...c, header: { ...c.header, newStateRoot: 1n } } : c));
    rejectsWith("ROOT_MISMATCH", undefined, () => rebuildState(genesis, bad, DOMAIN));
    // A deposit re-encodes to the tampered data, so only the root gives it away.
    rejectsWith("ROOT_MISMATCH", undefined, () =>
      rebuildState(genesis, withSlot(0, 0, calldata[0]!.slots[0]! + (1n << 28n)), DOMAIN),
    );
  });

  test("a slot whose replay gives other public data is PUBDATA_MISMATCH", () => {
    // The second forced withdrawal claims it was served: the rules refuse it.
    const f0 = calldata[3]!.slots[2]!;
    rejectsWith("PUBDATA_MISMATCH", 1, () => rebuildState(genesis, withSlot(3, 2, f0 + (BIG << 28n)), DOMAIN));
  });

  test("a slot the rules reject is TX_REJECTED, an unknown type UNKNOWN_TX_TYPE, a short list BAD_CALLDATA", () => {
    // Trade slot 0 of batch 1 with the taker set to the maker (a self-trade).
    const f0 = calldata[1]!.slots[0]!;
    const selfTrade = (f0 & ~(((1n << 24n) - 1n) << 28n)) | (2n << 28n);
    rejectsWith("TX_REJECTED", 0, () => rebuildState(genesis, withSlot(1, 0, selfTrade), DOMAIN));
    rejectsWith("UNKNOWN_TX_TYPE", 3, () => rebuildState(genesis, withSlot(0, 6, 10n), DOMAIN));
    const short = calldata.map((c, i) => (i === 0 ? { ...c, slots: c.slots.slice(2) } : c));
    rejectsWith("BAD_CALLDATA", undefined, () => rebuildState(genesis, short, DOMAIN));
  });

  test("deposit records: the k-th deposit takes record k; a wrong record, a stray one or a short table is refused", () => {
    const records = calldata[0]!.header.deposits;
    assert.equal(records.length, 2 * DEMO.deposits);
    assert.deepEqual(
      records,
      batches[0]!.witnesses.flatMap((w) => (w.tx.type === TxType.DEPOSIT ? [w.tx.owner, w.tx.pkHash] : [])),
      "batch 0 is four deposits: every record in slot order",
    );
    const withRecords = (i: number, deposits: bigint[]) =>
      calldata.map((c, j) => (j === i ? { ...c, header: { ...c.header, deposits } } : c));
    // Another owner for the second deposit: the replay registers account 3 to it, so the root differs.
    const swapped = records.slice();
    swapped[2] = swapped[2]! + 1n;
    rejectsWith("ROOT_MISMATCH", undefined, () => rebuildState(genesis, withRecords(0, swapped), DOMAIN));
    // Batch 1 has no deposit: a record there is stray calldata.
    const stray = calldata[1]!.header.deposits.slice();
    stray[1] = 5n;
    rejectsWith("BAD_CALLDATA", undefined, () => rebuildState(genesis, withRecords(1, stray), DOMAIN));
    rejectsWith("BAD_CALLDATA", undefined, () => rebuildState(genesis, withRecords(0, records.slice(2)), DOMAIN));
  });

  test("instrument table: a slot's index names the posted entry, however the table is laid out", () => {
    const table = calldata[1]!.header.instruments;
    const ETH_PERP = buy(3n).instrument;
    assert.deepEqual(table, [ETH_PERP, CALL, 0n, 0n], "batch 1 trades the ETH perp, then the call");
    const INDEX = 117n; // a trade's instrument index in f0 (§7)
    const withIndex = (f0: bigint, index: bigint) => (f0 & ~(0xffn << INDEX)) | (index << INDEX);
    const withTable = (entries: bigint[], slots: readonly bigint[]) =>
      calldata.map((c, i) => (i === 1 ? { header: { ...c.header, instruments: entries }, slots } : c));
    // The circuit takes any table whose named entries are the slots' instruments: a reordered
    // one, or the third trade naming a duplicate entry. The rebuild must take them too, or a
    // proven batch would stop the exit.
    const slots = calldata[1]!.slots.slice();
    slots[0] = withIndex(slots[0]!, 3n);
    slots[2] = withIndex(slots[2]!, 0n);
    slots[4] = withIndex(slots[4]!, 2n);
    const rebuilt = rebuildState(genesis, withTable([CALL, 0n, ETH_PERP, ETH_PERP], slots), DOMAIN);
    assert.equal(rebuilt.stateRoot, live.stateRoot);
    // An entry that is not the slot's instrument, an index past the table, a short table.
    assert.throws(
      () => rebuildState(genesis, withTable([perpId(2), CALL, 0n, 0n], calldata[1]!.slots), DOMAIN),
      (e: unknown) => e instanceof RebuildError && e.batchNumber === 2n,
    );
    const past = calldata[1]!.slots.slice();
    past[0] = withIndex(past[0]!, 4n);
    rejectsWith("BAD_CALLDATA", 0, () => rebuildState(genesis, withTable(table.slice(), past), DOMAIN));
    rejectsWith("BAD_CALLDATA", undefined, () =>
      rebuildState(genesis, withTable(table.slice(0, 3), calldata[1]!.slots), DOMAIN),
    );
  });

  test("synthetic orders are refused unless the replay is explicitly proven", () => {
    const state = genesis.clone();
    applyPostedBatch(state, calldata[0]!, DOMAIN, 1n);
    const trade = batches[1]!.witnesses[0]!.publicData;
    const slot = decodeSlot(trade[0], trade[1]);
    assert.ok(slot.type === TxType.TRADE);
    const tx = provenTx(slot, orderIdsOf(state), undefined, batches[1]!.instruments[Number(slot.instrumentIndex)]);
    assert.ok(tx !== null);
    const root = state.stateRoot;
    assert.throws(
      () => state.applyTx(tx, ctx({}, DEMO)),
      (e: unknown) => e instanceof ProtocolError && e.code === "BAD_SIGNATURE",
    );
    assert.equal(state.stateRoot, root);
    const instruments = { table: batches[1]!.instruments };
    assert.deepEqual(state.applyTx(tx, ctx({}, DEMO), { proven: true, instruments }).publicData, trade);
  });

  test("exit arguments carry the leaf and global preimages field-encoded, and the path to the root", () => {
    const rebuilt = rebuildState(genesis, calldata, DOMAIN);
    assert.ok(
      rebuilt.account(2n).positions.some((p) => p.size < 0n),
      "account 2 is short: a negative value to encode",
    );
    for (const id of [0n, 1n, 2n, 3n, 4n, 5n]) {
      const proof = rebuilt.exitProof(id);
      const args = exitArguments(proof);
      assert.equal(args.accountId, id);
      assert.equal(args.leafPreimage.length, 4 + 3 * DEMO.positions);
      assert.equal(args.siblings.length, proofLength(DEMO.accountDepth), "three siblings per quaternary level");
      assert.equal(args.globalPreimage.length, 1 + 2 * DEMO.underlyings);
      for (const v of [...args.leafPreimage, ...args.globalPreimage]) assert.ok(v >= 0n && v < FIELD_MODULUS);
      assert.equal(leafHash(proof.account, DEMO), proof.leaf);
      assert.ok(verifyProof(proof.accountRoot, proof.leaf, { index: id, siblings: args.siblings }));
      assert.equal(poseidon([...args.globalPreimage]), proof.globalHash);
      assert.equal(poseidon([proof.accountRoot, proof.globalHash]), live.stateRoot);
    }
  });
});
