import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  batchCommitment,
  BatchBuilder,
  decodeSlot,
  getProfile,
  instrumentTable,
  l1Calldata,
  packSettlement,
  PROFILE_NAMES,
  ProtocolError,
  publicData,
  Side,
  stateRootOf,
  TxType,
  unpackSlots,
  validateProfile,
} from "../../protocol/index.ts";
import type { Batch } from "../../protocol/index.ts";
import {
  BTC,
  checkWitness,
  ctx,
  DEMO,
  depositTx,
  DOMAIN,
  ETH,
  ETH_PRICE,
  order,
  runBatch,
  T0,
  TEST,
  tradeTx,
  UNIT,
  USDC,
  world,
} from "./fixtures.ts";

const isCode = (code: string) => (e: unknown) => e instanceof ProtocolError && e.code === code;

function checkChain(batch: Batch): void {
  const ws = batch.witnesses;
  assert.equal(ws.length, batch.profile.nTx);
  // Each slot's proofs imply its roots; they chain from the batch's root before to its root after.
  let root = batch.accountRootBefore;
  assert.equal(stateRootOf(root, ws[0]!.globalBefore), batch.oldStateRoot);
  for (let i = 0; i < ws.length; i++) {
    const roots = checkWitness(ws[i]!, batch.profile);
    assert.equal(roots.before, root, `slot ${i}: the root before is the previous slot's root after`);
    root = roots.after;
    if (i > 0) assert.deepEqual(ws[i]!.globalBefore, ws[i - 1]!.globalAfter);
  }
  assert.equal(root, batch.accountRootAfter);
  assert.equal(stateRootOf(root, ws.at(-1)!.globalAfter), batch.newStateRoot);
}

describe("BatchBuilder (§8)", () => {
  test("pads with no-ops and lays out the public inputs", () => {
    const s = world();
    const old = s.stateRoot;
    const settlement = { underlying: 2, expiry: T0 - 5n, price: 123n };
    const context = ctx({ settlements: [settlement] });
    const batch = runBatch(s, context, [depositTx(2n, 5n * USDC)]);
    assert.equal(batch.witnesses[1]!.tx.type, TxType.NOOP);
    assert.equal(batch.oldStateRoot, old);
    assert.equal(batch.newStateRoot, s.stateRoot);
    const pi = batch.publicData;
    assert.equal(
      pi.length,
      4 + TEST.underlyings + TEST.settlements + TEST.instruments + 2 * TEST.deposits + 2 * TEST.nTx,
    );
    const header = 4 + TEST.underlyings + TEST.settlements + TEST.instruments + 2 * TEST.deposits;
    const deposit = batch.witnesses[0]!.tx;
    assert.ok(deposit.type === TxType.DEPOSIT);
    assert.deepEqual(pi.slice(0, header), [
      old,
      s.stateRoot,
      T0,
      DOMAIN,
      ETH_PRICE,
      context.prices[1],
      packSettlement(settlement),
      // unused settlement records are zero
      ...Array<bigint>(TEST.settlements - 1).fill(0n),
      // no trade, so an empty instrument table
      ...Array<bigint>(TEST.instruments).fill(0n),
      // deposit record 0 is the deposit's owner and key, the unused ones are zero
      deposit.owner,
      deposit.pkHash,
      ...Array<bigint>(2 * TEST.deposits - 2).fill(0n),
    ]);
    assert.deepEqual(pi.slice(header), [...batch.witnesses[0]!.publicData, 0n, 0n]);
    assert.deepEqual(publicData(batch), pi);
    assert.equal(batch.commitment, batchCommitment(TEST, pi));
    assert.deepEqual(batch.publicInputs, [batch.commitment], "one public input: the commitment");
    checkChain(batch);
  });

  test("BATCH_FULL beyond nTx and after close; a rejected tx does not take a slot", () => {
    const s = world();
    const b = new BatchBuilder(s, ctx());
    b.add(depositTx(2n, 1n));
    assert.throws(() => b.add(depositTx(16n, 1n)), isCode("OUT_OF_RANGE"));
    assert.equal(b.size, 1);
    b.add(depositTx(3n, 1n));
    assert.ok(b.isFull);
    assert.throws(() => b.add({ type: TxType.NOOP }), isCode("BATCH_FULL"));
    const batch = b.close();
    assert.equal(batch.witnesses.length, 2);
    assert.throws(() => b.close(), isCode("BATCH_FULL"));
    assert.throws(() => b.add({ type: TxType.NOOP }), isCode("BATCH_FULL"));
  });

  test("BATCH_FULL for a deposit beyond the batch's D deposit records; other types still fit", () => {
    const limited = { ...DEMO, deposits: 2 };
    const s = world([], limited);
    const b = new BatchBuilder(s, ctx({}, limited));
    b.add(depositTx(2n, 1n));
    assert.equal(b.depositCount, 1);
    b.add(depositTx(3n, 1n));
    assert.equal(b.depositCount, 2);
    const root = s.stateRoot;
    assert.throws(() => b.add(depositTx(4n, 1n)), isCode("BATCH_FULL"));
    assert.equal(s.stateRoot, root, "a refused deposit changes nothing");
    b.add({ type: TxType.FEE_SWEEP, amount: 0n });
    const batch = b.close();
    assert.equal(batch.publicData.length, 4 + 2 + 2 + DEMO.instruments + 2 * 2 + 2 * 4);
  });

  test("instrument table (§8): trades name their instrument by its entry, in order of first use; BATCH_FULL past I", () => {
    const limited = { ...DEMO, instruments: 1 };
    const s = world([10_000n * USDC, 10_000n * USDC], limited);
    const b = new BatchBuilder(s, ctx({}, limited));
    const trade = (instrument: bigint, orderId: bigint) =>
      tradeTx(
        order({ accountId: 2n, side: Side.SELL, instrument, orderId }),
        order({ accountId: 3n, side: Side.BUY, instrument, orderId }),
        UNIT,
        ETH_PRICE,
      );
    const first = b.add(trade(ETH, 1n));
    const second = b.add(trade(ETH, 2n));
    assert.equal(b.instrumentCount, 1);
    for (const w of [first, second]) {
      const d = decodeSlot(...w.publicData);
      assert.ok(d.type === TxType.TRADE && d.instrumentIndex === 0n, "both trades name entry 0");
    }
    const root = s.stateRoot;
    assert.throws(() => b.add(trade(BTC, 3n)), isCode("BATCH_FULL"));
    assert.equal(s.stateRoot, root, "a refused trade changes nothing");
    assert.equal(b.size, 2);
    const batch = b.close();
    assert.deepEqual(batch.instruments, [ETH]);
    assert.deepEqual(batch.publicData.slice(4 + 2 + 2, 4 + 2 + 2 + 1), [ETH]);
    assert.deepEqual(
      instrumentTable(
        limited,
        batch.witnesses.map((w) => w.tx),
      ),
      [ETH],
    );
    assert.throws(
      () => instrumentTable(limited, [trade(ETH, 1n), trade(BTC, 2n)]),
      isCode("BATCH_FULL"),
      "the table of a list of transactions naming two instruments does not fit one entry",
    );
  });

  test("a demo-profile batch (P = 4, nTx = 4) chains its witnesses", () => {
    const s = world([10_000n * USDC, 10_000n * USDC], DEMO);
    const batch = runBatch(s, ctx({}, DEMO), [
      tradeTx(order({ accountId: 2n, side: Side.SELL }), order({ accountId: 3n, side: Side.BUY }), UNIT, ETH_PRICE),
      { type: TxType.FUNDING, underlying: 1, delta: 100n },
      { type: TxType.FEE_SWEEP, amount: 1n },
    ]);
    assert.equal(batch.publicData.length, 4 + 2 + 2 + DEMO.instruments + 2 * DEMO.deposits + 8);
    assert.deepEqual(batch.instruments, [ETH, 0n, 0n, 0n], "the trade's instrument is entry 0 of the table");
    assert.deepEqual(batch.publicInputs, [batchCommitment(DEMO, batch.publicData)]);
    checkChain(batch);
    assert.equal(s.account(0n).collateral, 1n);
  });

  test("l1Calldata gives the header and slots, padding unused settlement records with 0", () => {
    const s = world([], DEMO);
    const settlement = { underlying: 1, expiry: T0 - 100n, price: 290_000n };
    const batch = runBatch(s, ctx({ settlements: [settlement] }, DEMO), [depositTx(4n, 9n)]);
    const { header, slots } = l1Calldata(batch, { priceRoundIds: [11n, 12n], settlementRoundIds: [13n] });
    assert.deepEqual(header, {
      newStateRoot: batch.newStateRoot,
      timestamp: T0,
      prices: batch.context.prices,
      priceRoundIds: [11n, 12n],
      settlements: [packSettlement(settlement), 0n],
      settlementRoundIds: [13n, 0n],
      instruments: [0n, 0n, 0n, 0n],
      deposits: batch.publicData.slice(4 + 2 + 2 + DEMO.instruments, 4 + 2 + 2 + DEMO.instruments + 2 * DEMO.deposits),
    });
    assert.equal(header.deposits[0], s.account(4n).owner);
    assert.equal(header.deposits[1], s.account(4n).pkHash);
    assert.deepEqual(header.deposits.slice(2), Array<bigint>(2 * DEMO.deposits - 2).fill(0n));
    assert.equal(slots.length, 2 + 2 * 24 * DEMO.nTx, "24 bytes per slot");
    assert.deepEqual(unpackSlots(slots), batch.publicData.slice(4 + 2 + 2 + DEMO.instruments + 2 * DEMO.deposits));
    assert.throws(() => l1Calldata(batch, { priceRoundIds: [1n], settlementRoundIds: [1n] }), isCode("BAD_CONTEXT"));
    assert.throws(
      () => l1Calldata(batch, { priceRoundIds: [1n, 1n << 80n], settlementRoundIds: [1n] }),
      isCode("OUT_OF_RANGE"),
    );
  });
});

describe("profiles (§9)", () => {
  test("profiles.json loads into validated profiles", () => {
    assert.deepEqual(PROFILE_NAMES, ["test", "demo", "prod"]);
    const prod = getProfile("prod");
    assert.deepEqual(
      [
        prod.nTx,
        prod.accountDepth,
        prod.orderDepth,
        prod.positions,
        prod.underlyings,
        prod.settlements,
        prod.instruments,
        prod.deposits,
        prod.fundingInterval,
      ],
      [512, 24, 12, 4, 2, 4, 16, 8, 3600n],
    );
    assert.equal(getProfile("test").fundingInterval, 60n);
    assert.throws(() => getProfile("huge"), isCode("BAD_PROFILE"));
    assert.throws(() => validateProfile({ ...prod, positions: 3 }), isCode("BAD_PROFILE"));
    assert.throws(() => validateProfile({ ...prod, deposits: 0 }), isCode("BAD_PROFILE"));
    assert.throws(() => validateProfile({ ...getProfile("test"), deposits: 3 }), isCode("BAD_PROFILE"));
    assert.throws(() => validateProfile({ ...prod, accountDepth: 25 }), isCode("BAD_PROFILE"));
    assert.doesNotThrow(() => validateProfile({ ...prod, accountDepth: 24 }));
    assert.throws(() => validateProfile({ ...prod, instruments: 0 }), isCode("BAD_PROFILE"));
    assert.throws(() => validateProfile({ ...prod, instruments: 256 }), isCode("BAD_PROFILE"));
    assert.doesNotThrow(() => validateProfile({ ...prod, instruments: 255 }));
    assert.throws(() => validateProfile({ ...prod, underlyings: 4 }), isCode("BAD_PROFILE"));
  });
});
