import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  applyFill,
  EMPTY_POSITION,
  emptyAccount,
  emptyOrderRoot,
  findSlot,
  hashNode,
  isEmptyAccount,
  leafHash,
  orderLeafHash,
  poseidon,
  positionsHash,
  slotFor,
} from "../../protocol/index.ts";
import type { Account } from "../../protocol/index.ts";
import { BTC, DEMO, ETH, TEST } from "./fixtures.ts";

describe("account leaves", () => {
  test("the empty order root is the quaternary tree of H(0, 0) leaves", () => {
    const leaf = orderLeafHash(0n, 0n);
    assert.equal(leaf, poseidon([0n, 0n]));
    assert.equal(emptyOrderRoot(TEST), hashNode([leaf, leaf, leaf, leaf]), "test: orderDepth 2, one quaternary level");
    assert.equal(emptyOrderRoot(DEMO), poseidon(Array.from({ length: 4 }, () => hashNode([leaf, leaf, leaf, leaf]))));
  });

  test("leaf = H(pkHash, owner, collateral, orderRoot, positionsHash); P = 2 hashes six values", () => {
    const acc: Account = {
      ...emptyAccount(TEST),
      pkHash: 5n,
      owner: 6n,
      collateral: -7n,
      positions: [
        { instrument: ETH, size: -3n, cost: -900n },
        { instrument: BTC, size: 2n, cost: 1200n },
      ],
    };
    const ph = poseidon([ETH, -3n, -900n, BTC, 2n, 1200n]);
    assert.equal(positionsHash(acc.positions, TEST), ph);
    assert.equal(leafHash(acc, TEST), poseidon([5n, 6n, -7n, acc.orderRoot, ph]));
    assert.ok(isEmptyAccount(emptyAccount(TEST), TEST));
    assert.equal(isEmptyAccount(acc, TEST), false);
  });

  test("P = 4 hashes the pair hashes", () => {
    const positions = [
      { instrument: ETH, size: 1n, cost: 2n },
      EMPTY_POSITION,
      EMPTY_POSITION,
      { instrument: BTC, size: -1n, cost: -3n },
    ];
    const pair0 = poseidon([ETH, 1n, 2n, 0n, 0n, 0n]);
    const pair1 = poseidon([0n, 0n, 0n, BTC, -1n, -3n]);
    assert.equal(positionsHash(positions, DEMO), poseidon([pair0, pair1]));
    assert.throws(() => positionsHash(positions, TEST), RangeError);
  });

  test("pair hashes remembered by identity equal fresh ones along a history of fills (P = 4)", () => {
    // protocol/account.ts remembers a pair's hash by its two position objects. Along a seeded
    // history of fills (each one a new account sharing the untouched positions), the leaf must
    // equal the leaf of a deep copy, whose objects it has never seen, and the formula itself.
    let seed = 0x2545f491n;
    const next = (n: bigint): bigint => {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
      return seed % n;
    };
    let acc: Account = { ...emptyAccount(DEMO), pkHash: 9n, owner: 10n, collateral: 10n ** 12n };
    const instruments = [ETH, BTC, ETH + 1000n];
    for (let step = 0; step < 200; step++) {
      const instrument = instruments[Number(next(3n))]!;
      const index = slotFor(acc, instrument);
      if (index < 0) continue;
      const q = next(7n) - 3n;
      acc = applyFill(acc, index, instrument, q === 0n ? 1n : q, (next(2001n) - 1000n) * 100n);
      const copy: Account = { ...acc, positions: acc.positions.map((p) => ({ ...p })) };
      const pairs = [0, 2].map((j) => {
        const [a, b] = [acc.positions[j]!, acc.positions[j + 1]!];
        return poseidon([a.instrument, a.size, a.cost, b.instrument, b.size, b.cost]);
      });
      const expected = poseidon([acc.pkHash, acc.owner, acc.collateral, acc.orderRoot, poseidon(pairs)]);
      assert.equal(leafHash(acc, DEMO), expected, `step ${step}`);
      assert.equal(leafHash(copy, DEMO), expected, `step ${step}, fresh objects`);
    }
  });
});

describe("position slots", () => {
  test("slotFor prefers the slot holding the instrument, else the first empty one", () => {
    const acc: Account = {
      ...emptyAccount(DEMO),
      positions: [EMPTY_POSITION, { instrument: BTC, size: 1n, cost: 1n }, EMPTY_POSITION, EMPTY_POSITION],
    };
    assert.equal(findSlot(acc, BTC), 1);
    assert.equal(slotFor(acc, BTC), 1);
    assert.equal(findSlot(acc, ETH), -1);
    assert.equal(slotFor(acc, ETH), 0);
    const full: Account = {
      ...acc,
      positions: acc.positions.map((_, i) => ({ instrument: BigInt(i + 10), size: 1n, cost: 0n })),
    };
    assert.equal(slotFor(full, ETH), -1);
  });

  test("a fill that closes a slot realises its cost into collateral and leaves it canonical", () => {
    let acc: Account = { ...emptyAccount(TEST), collateral: 1_000n };
    acc = applyFill(acc, 0, ETH, 5n, 500n);
    acc = applyFill(acc, 0, ETH, -2n, -260n);
    assert.deepEqual(acc.positions[0], { instrument: ETH, size: 3n, cost: 240n });
    acc = applyFill(acc, 0, ETH, -3n, -390n);
    // cost went 500 → 240 → -150: closing realises a profit of 150.
    assert.equal(acc.collateral, 1_150n);
    assert.equal(acc.positions[0], EMPTY_POSITION);
    assert.throws(
      () => applyFill({ ...acc, positions: [{ instrument: BTC, size: 1n, cost: 0n }, EMPTY_POSITION] }, 0, ETH, 1n, 1n),
      RangeError,
    );
  });
});
