/**
 * The batch builder fails closed (issue 16): the core accepts transactions with protocol/'s
 * `check` alone, and the builder replays each closed batch on the commit state. When the two
 * disagree, whether the builder refuses a transaction or reaches other records, the venue halts
 * (HALTED) at once, with the batch and the reason, and nothing of the batch reaches the provers.
 *
 * The disagreement is injected by writing to the builder's state behind the core's back, the
 * one way the two halves can part: they run the same rule code. The builder in a process of its
 * own (the service's default) builds the same batches as the inline one, and its refusals reach
 * the venue the same way.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { withdrawalOrder } from "../../protocol/signing.ts";
import { Side, TxType } from "../../protocol/types.ts";
import type { Tx } from "../../protocol/types.ts";
import { initCrypto } from "../../protocol/index.ts";
import { getProfile } from "../../protocol/profiles.ts";
import type { Profile } from "../../protocol/types.ts";
import { snapshotRecords } from "../../sequencer/builder/builder.ts";
import type { AcceptedBatch, RecordsSnapshot } from "../../sequencer/builder/builder.ts";
import { encodeBuildRequest, RemoteBuilder } from "../../sequencer/builder/remote.ts";
import { Sequencer } from "../../sequencer/core/sequencer.ts";
import type { OpenOptions, VenueConfig } from "../../sequencer/core/sequencer.ts";
import { SequencerError } from "../../sequencer/errors.ts";
import { openVenue, tempDb, Trader, venueConfig } from "./helpers.ts";

const RICH = 100_000_000_000n; // 100,000 USDC
const ONE = 10_000n; // 1 ETH in 1e-4 units
const P = 300_000n; // 3,000.00 USD

let now = 1_800_000_000_000n;
const tick = (): bigint => (now += 1000n);

const alice = new Trader("alice", 2n);
const bob = new Trader("bob", 3n);

function deposit(venue: Sequencer, t: Trader, amount: bigint): void {
  venue.execute(
    { kind: "deposit", accountId: t.accountId, owner: t.owner, pkHash: t.pkHash, amount, queueIndex: null },
    tick(),
  );
}

/** Two funded traders, their deposits in a closed (built) batch. */
async function funded(file: string): Promise<Sequencer> {
  const venue = await openVenue(file);
  deposit(venue, alice, RICH);
  deposit(venue, bob, RICH);
  venue.execute({ kind: "closeBatch" }, tick());
  return venue;
}

/** Applies `tx` to the builder's state only: the core never sees it. */
function behindTheCore(venue: Sequencer, tx: Tx): void {
  venue.ledger.committedState.applyTx(tx, venue.ledger.context(tick()));
}

/** Alice buys 10 ETH from Bob (the core accepts it); returns the batch the fill landed in. */
function trade(venue: Sequencer, orderId: bigint): bigint {
  venue.execute(
    { kind: "place", order: bob.sign({ side: Side.SELL, size: 10n * ONE, price: P, orderId }), clientOrderId: null },
    tick(),
  );
  const taker = venue.execute(
    {
      kind: "place",
      order: alice.sign({ side: Side.BUY, size: 10n * ONE, price: P, orderId, tif: "IOC" }),
      clientOrderId: null,
    },
    tick(),
  );
  assert.equal(taker.kind === "place" && taker.result.status, "filled", "the core accepts the fill");
  return taker.kind === "place" ? taker.result.fills[0]!.batch : 0n;
}

function assertHalted(venue: Sequencer, batch: bigint, why: RegExp): void {
  const halt = venue.halt;
  assert.ok(halt !== null, "the venue halted");
  assert.equal(halt.code, "HALTED");
  assert.equal(halt.batch, batch);
  assert.match(halt.reason, why);
  assert.match(halt.reason, /batch builder disagrees with the core/);
  // It takes nothing more, and the batch never reaches the provers.
  assert.throws(
    () => deposit(venue, bob, 1n),
    (e: unknown) => e instanceof SequencerError && e.code === "HALTED",
  );
  assert.ok(!venue.unprovedBatches().some((b) => b.number === batch), "nothing of the batch is proved");
}

describe("batch builder disagreement (fail closed)", () => {
  test("a transaction the core accepted and the builder refuses halts the venue", async () => {
    const db = tempDb();
    const venue = await funded(db.file);
    try {
      // Behind the core's back, Alice's collateral is all but gone in the builder's state.
      behindTheCore(venue, {
        type: TxType.WITHDRAW,
        withdrawal: alice.sign(withdrawalOrder(alice.accountId, RICH - 1_000_000n, 900n, 4_000_000_000n)),
      });
      const batch = trade(venue, 1n);
      assert.throws(
        () => venue.execute({ kind: "closeBatch" }, tick()),
        (e: unknown) => e instanceof SequencerError && e.code === "HALTED",
      );
      assertHalted(venue, batch, new RegExp(`batch ${batch}: .*slot 0 \\(type ${TxType.TRADE}\\) is refused`));
    } finally {
      venue.close();
      db.cleanup();
    }
  });

  test("a batch the builder accepts with other records than the core's halts the venue", async () => {
    const db = tempDb();
    const venue = await funded(db.file);
    try {
      behindTheCore(venue, {
        type: TxType.DEPOSIT,
        accountId: alice.accountId,
        owner: alice.owner,
        pkHash: alice.pkHash,
        amount: 1n,
      });
      const batch = trade(venue, 1n);
      assert.throws(() => venue.execute({ kind: "closeBatch" }, tick()), SequencerError);
      assertHalted(venue, batch, new RegExp(`account ${alice.accountId} ends the batch with other records`));
    } finally {
      venue.close();
      db.cleanup();
    }
  });

  test("the journal keeps every acknowledged command: a restart builds the batch and serves again", async () => {
    const db = tempDb();
    const venue = await funded(db.file);
    behindTheCore(venue, {
      type: TxType.DEPOSIT,
      accountId: bob.accountId,
      owner: bob.owner,
      pkHash: bob.pkHash,
      amount: 7n,
    });
    const batch = trade(venue, 1n);
    assert.throws(() => venue.execute({ kind: "closeBatch" }, tick()), SequencerError);
    assert.equal(venue.halt?.code, "HALTED");
    venue.close();
    // The injected write was never journaled: the restarted builder agrees with the core.
    const again = await openVenue(db.file);
    try {
      assert.equal(again.halt, null);
      assert.equal(again.ledger.currentBatch, batch, "the fill's batch is open again, with the fill in it");
      assert.equal(again.ledger.state.account(alice.accountId).positions.find((p) => p.size !== 0n)?.size, 10n * ONE);
      const closed = again.execute({ kind: "closeBatch" }, tick());
      assert.equal(closed.kind === "closeBatch" && closed.batch, batch);
      assert.equal(
        again.ledger.committedState.account(alice.accountId).collateral,
        again.ledger.state.account(alice.accountId).collateral,
      );
    } finally {
      again.close();
      db.cleanup();
    }
  });
});

/**
 * Sends one batch to a builder process of its own (`verifiers` verifier processes) and collects
 * its answers until it refuses the batch or is lost.
 */
function answersOf(
  profile: Profile,
  system: VenueConfig["system"],
  verifiers: number,
  accepted: AcceptedBatch,
  records: RecordsSnapshot,
): Promise<string[]> {
  const answers: string[] = [];
  return new Promise<string[]>((resolve) => {
    const builder = new RemoteBuilder(
      profile,
      system,
      {
        onBuilt: (n) => answers.push(`built ${n}`),
        onRefused: (n, reason) => {
          answers.push(`refused ${n}: ${reason}`);
          builder.close();
          resolve(answers);
        },
        onLost: (message) => {
          answers.push(`lost: ${message}`);
          resolve(answers);
        },
      },
      null,
      verifiers,
    );
    builder.build(encodeBuildRequest(accepted, records));
  });
}

describe("the batch builder in a process of its own", () => {
  /** The same commands on a venue built `options.builder`: every closed batch, built. */
  async function run(file: string, options: OpenOptions): Promise<{ venue: Sequencer; roots: string[] }> {
    await initCrypto();
    const venue = Sequencer.open(venueConfig(), file, "FULL", {}, options);
    now = 1_800_000_000_000n;
    deposit(venue, alice, RICH);
    deposit(venue, bob, RICH);
    venue.execute({ kind: "closeBatch" }, tick());
    for (let id = 1n; id <= 6n; id++) trade(venue, id);
    venue.execute({ kind: "closeBatch" }, tick());
    await venue.built();
    const roots = venue.unprovedBatches().map((b) => `${b.number}:${b.batch.publicInputs.join(",")}`);
    return { venue, roots };
  }

  test("builds exactly the batches the inline builder builds, while the core goes on, with or without its verifiers and hashing ahead", async () => {
    const a = tempDb();
    const inline = await run(a.file, {});
    try {
      assert.ok(inline.roots.length >= 3, `batches: ${inline.roots.length}`);
      // The default (1 verifier, the next batch's order trees hashed ahead), none (every
      // signature on the builder's thread), 2, and without hashing ahead.
      const variants: OpenOptions[] = [{}, { builderVerifiers: 0 }, { builderVerifiers: 2 }, { builderPrehash: false }];
      for (const variant of variants) {
        const b = tempDb();
        const remote = await run(b.file, { builder: "process", ...variant });
        try {
          const label = JSON.stringify(variant);
          assert.deepEqual(remote.roots, inline.roots, `${label}: same batches, same public inputs`);
          assert.equal(remote.venue.ledger.committedRoot, inline.venue.ledger.committedRoot, label);
          assert.equal(remote.venue.ledger.builderLag, 0, label);
          assert.equal(remote.venue.halt, null, label);
        } finally {
          remote.venue.close();
          b.cleanup();
        }
      }
    } finally {
      inline.venue.close();
      a.cleanup();
    }
  });

  test("attack: a bad signature is refused by the builder process although its verifiers check signatures ahead", async () => {
    // The builder's verifiers only save work: what they do not vouch for, the builder verifies
    // itself. A trade whose taker signature is forged (S + 1) in a batch the core claims it
    // accepted must be refused at that slot, whatever the verifiers answered, with 0, 1 or 2 of them.
    await initCrypto();
    const profile = getProfile("demo"); // 4 slots: both deposits and the trade in one batch
    const { domain, system } = venueConfig();
    const context = { timestamp: 1_800_000_000n, domain, prices: [300_000n, 6_000_000n], settlements: [] };
    const maker = bob.sign({ side: Side.SELL, size: ONE, price: P, orderId: 1n });
    const honest = alice.sign({ side: Side.BUY, size: ONE, price: P, orderId: 1n });
    const forged = { ...honest, signature: { ...honest.signature, S: honest.signature.S + 1n } };
    const depositOf = (t: Trader) =>
      ({ type: TxType.DEPOSIT, accountId: t.accountId, owner: t.owner, pkHash: t.pkHash, amount: RICH }) as const;
    const trade = { type: TxType.TRADE, maker, taker: forged, size: ONE, price: P } as const;
    const claimed = {
      account: () => ({ pkHash: 0n, owner: 0n, collateral: 0n, orderRoot: 0n, positions: [] }),
      orderState: () => ({ orderId: 0n, filled: 0n }),
      globalState: { feePool: 0n, fundingIndex: [0n, 0n], lastFundingTime: [0n, 0n] },
    };
    for (const verifiers of [0, 1, 2]) {
      const answers = await answersOf(
        profile,
        system,
        verifiers,
        { number: 1n, context, pricesStale: false, txs: [depositOf(alice), depositOf(bob), trade] },
        snapshotRecords(claimed, [alice.accountId, bob.accountId], []),
      );
      assert.equal(answers.length, 1, `${verifiers} verifiers: ${answers.join("; ")}`);
      assert.match(
        answers[0]!,
        /^refused 1: slot 2 \(type 4\) is refused: BAD_SIGNATURE: .*order 1 of account 2: invalid signature$/,
        `${verifiers} verifiers`,
      );
    }
  });

  test("batches waiting for the builder count in the health gate's backlog (its lag is bounded)", async () => {
    await initCrypto();
    const db = tempDb();
    const health = { cancelOnlyBatches: 1, cancelOnlyAgeMs: 10n ** 12n, haltBatches: 100, haltAgeMs: 10n ** 12n };
    const venue = Sequencer.open({ ...venueConfig(), health }, db.file, "FULL", {}, { builder: "process" });
    try {
      deposit(venue, alice, RICH);
      venue.execute({ kind: "closeBatch" }, tick());
      assert.equal(venue.ledger.builderLag, 1, "the batch is with the builder");
      const waiting = venue.health(now);
      assert.equal(waiting.backlog.unproved, 1);
      assert.equal(waiting.mode, "cancel_only");
      await venue.built();
      assert.equal(venue.ledger.builderLag, 0);
      assert.equal(venue.health(now).backlog.unproved, 1, "built, it waits for a proof");
    } finally {
      venue.close();
      db.cleanup();
    }
  });

  test("a refusal in the builder process reaches the venue as a disagreement", async () => {
    await initCrypto();
    const profile = getProfile("test");
    const system = { feeAccount: { pkHash: 1n, owner: 0n }, insurance: { pkHash: 1n, owner: 0n } };
    const context = { timestamp: 1_800_000_000n, domain: 5n, prices: [300_000n, 6_000_000n], settlements: [] };
    const depositTx = {
      type: TxType.DEPOSIT,
      accountId: alice.accountId,
      owner: alice.owner,
      pkHash: alice.pkHash,
      amount: 100n,
    } as const;
    // The core claims Alice ends with 99: the builder reaches 100.
    const claimed = {
      account: (id: bigint) => ({
        pkHash: id === alice.accountId ? alice.pkHash : id === 0n ? 1n : 0n,
        owner: id === alice.accountId ? alice.owner : 0n,
        collateral: id === alice.accountId ? 99n : 0n,
        orderRoot: 0n,
        positions: Array.from({ length: profile.positions }, () => ({ instrument: 0n, size: 0n, cost: 0n })),
      }),
      orderState: () => ({ orderId: 0n, filled: 0n }),
      globalState: { feePool: 0n, fundingIndex: [0n, 0n], lastFundingTime: [0n, 0n] },
    };
    const answers = await answersOf(
      profile,
      system,
      0,
      { number: 1n, context, pricesStale: false, txs: [depositTx] },
      snapshotRecords(claimed, [alice.accountId], []),
    );
    assert.equal(answers.length, 1);
    assert.match(answers[0]!, new RegExp(`^refused 1: account ${alice.accountId} ends the batch with other records`));
  });
});
