/**
 * The short-dated listing option of the e2e scenario (`TESSERA_OPTION_EXPIRIES`): validated by
 * sequencer/config.ts and listed by sequencer/core/listing.ts besides the weekly series.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { InstrumentKind } from "../../protocol/types.ts";
import { configFromEnv } from "../../sequencer/config.ts";
import { defaultListing } from "../../sequencer/core/listing.ts";
import type { ListingOptions } from "../../sequencer/core/listing.ts";

/** Saturday 2026-11-21 00:00 UTC: the weekly series expire on Friday 2026-11-27 08:00 UTC. */
const LISTED_AT = 1_795_219_200n;
const WEEKLY = 1_795_766_400n;
const SHORT = LISTED_AT + 120n;

const listing = (o: Partial<ListingOptions> = {}): ReturnType<typeof defaultListing> =>
  defaultListing({
    listedAt: LISTED_AT,
    spot: [300_000n, 6_000_000n],
    weeks: 1,
    strikesEachSide: 1,
    underlyings: 2,
    ...o,
  });

const expiriesOf = (markets: ReturnType<typeof defaultListing>): bigint[] =>
  [...new Set(markets.filter((m) => m.expiry !== 0n).map((m) => m.expiry))].sort((a, b) => (a < b ? -1 : 1));

describe("short-dated option listing", () => {
  test("without extra expiries the listing is the weekly one", () => {
    assert.deepEqual(listing({ expiries: [] }), listing());
    assert.deepEqual(expiriesOf(listing()), [WEEKLY]);
  });

  test("an extra expiry lists calls and puts at the weekly strikes for every underlying", () => {
    const markets = listing({ expiries: [SHORT] });
    assert.deepEqual(expiriesOf(markets), [SHORT, WEEKLY]);
    for (const underlying of [1, 2]) {
      for (const kind of [InstrumentKind.CALL, InstrumentKind.PUT]) {
        const strikesAt = (expiry: bigint): bigint[] =>
          markets
            .filter((m) => m.underlying === underlying && m.expiry === expiry && m.kind === kind)
            .map((m) => m.strike);
        assert.equal(strikesAt(SHORT).length, 3);
        assert.deepEqual(strikesAt(SHORT), strikesAt(WEEKLY), `underlying ${underlying} kind ${kind}`);
      }
    }
    assert.equal(markets.length, listing().length * 2 - 2, "one more chain per underlying, perps once");
    assert.equal(new Set(markets.map((m) => m.instrument)).size, markets.length, "no instrument twice");
  });

  test("an extra expiry equal to a weekly one is listed once", () => {
    assert.deepEqual(listing({ expiries: [WEEKLY, WEEKLY] }), listing());
  });

  test("the default listing time never lists an expired weekly series (a Friday after 08:00 UTC included)", () => {
    // Friday 2026-12-04: 07:59:59, 08:00:00 and 09:03:00 UTC.
    const friday8 = 1_796_371_200;
    for (const nowS of [friday8 - 1, friday8, friday8 + 3780]) {
      const cfg = configFromEnv({ TESSERA_DB: "unused-listing.db", TESSERA_OPTION_WEEKS: "1" }, nowS * 1000);
      const weekly = expiriesOf(
        defaultListing({
          listedAt: cfg.listedAt,
          spot: [300_000n, 6_000_000n],
          weeks: 1,
          strikesEachSide: 1,
          underlyings: 2,
        }),
      );
      assert.equal(weekly.length, 1);
      assert.ok(
        weekly[0]! > BigInt(nowS),
        `listed at ${nowS}: the weekly series expires at ${weekly[0]}, after the start`,
      );
    }
  });

  test("TESSERA_OPTION_EXPIRIES is parsed to unix seconds and defaults to none", () => {
    const env = { TESSERA_LISTED_AT: LISTED_AT.toString(), TESSERA_DB: "unused.db" };
    assert.deepEqual(configFromEnv(env, 0).optionExpiries, []);
    const cfg = configFromEnv({ ...env, TESSERA_OPTION_EXPIRIES: `${SHORT},${WEEKLY}` }, 0);
    assert.deepEqual(cfg.optionExpiries, [SHORT, WEEKLY]);
  });

  test("TESSERA_OPTION_EXPIRIES rejects what is not a list of 32-bit unix seconds", () => {
    const env = { TESSERA_LISTED_AT: LISTED_AT.toString(), TESSERA_DB: "unused.db" };
    for (const bad of ["", "0", "-5", "12,", "1.5", "abc", "4294967296", `${SHORT} ,${WEEKLY}`]) {
      assert.throws(() => configFromEnv({ ...env, TESSERA_OPTION_EXPIRIES: bad }, 0), /TESSERA_OPTION_EXPIRIES/, bad);
    }
    assert.deepEqual(configFromEnv({ ...env, TESSERA_OPTION_EXPIRIES: "4294967295" }, 0).optionExpiries, [
      4_294_967_295n,
    ]);
  });
});
