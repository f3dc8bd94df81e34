/**
 * The demo profile's circuit (P = 4 with pair hashing, depth 8, two settlement records)
 * accepts a protocol batch and computes the same new state root and public data.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Side, TxType } from "../../protocol/index.ts";
import { profileSource } from "../../scripts/zk/build.ts";
import {
  BTC,
  ctx,
  DEMO,
  depositTx,
  ETH,
  ETH_PRICE,
  order,
  runBatch,
  tradeTx,
  UNIT,
  USDC,
  world,
} from "../protocol/fixtures.ts";
import { Circuit } from "./harness.ts";
import { adversarialWitness, computedPublicInputs, inputOf } from "./scenarios.ts";

test("demo profile: a deposit, two trades and a funding update are accepted with protocol's outputs", async () => {
  const circuit = await Circuit.fromSource(DEMO.name, profileSource(DEMO.name));
  const state = world([10_000n * USDC, 10_000n * USDC], DEMO);
  const batch = runBatch(state, ctx({}, DEMO), [
    depositTx(2n, 5n * USDC),
    tradeTx(order({ accountId: 2n, side: Side.BUY }), order({ accountId: 3n, side: Side.SELL }), UNIT, ETH_PRICE),
    tradeTx(
      order({ accountId: 3n, side: Side.BUY, instrument: BTC, orderId: 2n, price: 6_000_000n }),
      order({ accountId: 2n, side: Side.SELL, instrument: BTC, orderId: 2n, price: 6_000_000n }),
      UNIT / 10n,
      6_000_000n,
    ),
    { type: TxType.FUNDING, underlying: 2, delta: -1_000n },
  ]);
  assert.equal(batch.witnesses[1]!.b.after.positions[0]!.instrument, ETH);
  const input = inputOf(batch);
  assert.deepEqual(circuit.violated(circuit.witness(input)), []);
  const blanked = structuredClone(input);
  const indices = computedPublicInputs(DEMO.nTx, DEMO);
  for (const j of indices) (blanked["publicData"] as string[])[j] = "0";
  const { published } = adversarialWitness(circuit, blanked);
  assert.deepEqual(
    indices.map((j) => published[j]),
    indices.map((j) => batch.publicData[j]),
  );
});
