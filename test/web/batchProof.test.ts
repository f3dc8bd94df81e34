import { test } from "node:test";
import assert from "node:assert/strict";
import { batchCommitment } from "../../protocol/commitment.ts";
import { publicDataFromCalldata, publicInputsFromCalldata } from "../../web/lib/batchProof.ts";

const header = {
  newStateRoot: 12n,
  timestamp: 1000n,
  prices: [300000n, 6000000n],
  settlements: [7n],
  instruments: [0x101n, 0n],
  deposits: [0xabcn, 55n, 0n, 0n],
};

test("public data from calldata follows docs/protocol.md §8 order", () => {
  const data = publicDataFromCalldata(11n, 99n, header, [1n, 2n, 3n, 4n]);
  assert.deepEqual(data, [
    11n,
    12n,
    1000n,
    99n,
    300000n,
    6000000n,
    7n,
    0x101n,
    0n,
    0xabcn,
    55n,
    0n,
    0n,
    1n,
    2n,
    3n,
    4n,
  ]);
});

test("the public inputs are the one commitment to that data", () => {
  const inputs = publicInputsFromCalldata(11n, 99n, header, [1n, 2n, 3n, 4n]);
  const data = publicDataFromCalldata(11n, 99n, header, [1n, 2n, 3n, 4n]);
  assert.deepEqual(inputs, [
    batchCommitment({ nTx: 2, underlyings: 2, settlements: 1, instruments: 2, deposits: 2 }, data),
  ]);
  assert.ok(inputs[0]! < 1n << 253n);
  const other = publicInputsFromCalldata(11n, 99n, { ...header, newStateRoot: 13n }, [1n, 2n, 3n, 4n]);
  assert.notEqual(other[0], inputs[0], "another new root, another commitment");
});
