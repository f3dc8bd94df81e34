import { test } from "node:test";
import assert from "node:assert/strict";
import { BaseError } from "viem";
import { ApiError } from "../../web/lib/api.ts";
import { explain } from "../../web/lib/errors.ts";
import { parseUsdc } from "../../web/lib/format.ts";

test("errors read as plain words", () => {
  assert.match(
    explain(new ApiError("MARGIN", 422, "MARGIN: account 2 would not meet initial margin")),
    /Not enough margin/,
  );
  assert.equal(explain(new ApiError("SOMETHING_NEW", 400, "the venue's own words")), "the venue's own words");
  assert.match(
    explain(new ApiError("ORDER_ID_WINDOW", 422, "order id 4294967296 is 2^32 or more above the id 0 ...")),
    /too far above your account's earlier ones.*Retry/,
  );
  const revert = new BaseError("Execution reverted", {
    details:
      "VM Exception while processing transaction: reverted with custom error 'FaucetCooldown(\"0x70\", 1795252864)'",
  });
  assert.match(explain(revert), /faucet gives test USDC once an hour/);
  assert.match(explain(new Error("reverted with custom error 'Unlisted(1)'")), /refused the transaction \(Unlisted\)/);
  assert.match(
    explain(new Error("reverted with custom error 'CollateralShortfall(10000, 9999)'")),
    /took a fee on this transfer.*nothing moved/,
  );
  let input: unknown;
  try {
    parseUsdc("1.0000001");
  } catch (e) {
    input = e;
  }
  assert.equal(explain(input), "Use at most 6 digits after the decimal point.");
});
