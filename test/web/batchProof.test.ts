import { test } from "node:test";
import assert from "node:assert/strict";
import { publicInputsFromCalldata } from "../../web/lib/batchProof.ts";

test("public inputs from calldata follow docs/protocol.md §8 order", () => {
  const inputs = publicInputsFromCalldata(
    11n,
    99n,
    { newStateRoot: 12n, timestamp: 1000n, prices: [300000n, 6000000n], settlements: [7n] },
    [1n, 2n, 3n, 4n],
  );
  assert.deepEqual(inputs, [11n, 12n, 1000n, 99n, 300000n, 6000000n, 7n, 1n, 2n, 3n, 4n]);
});
