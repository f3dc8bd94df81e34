/**
 * Batches built by the reference model (protocol/) for the circuit tests: every transaction
 * type, on one evolving `test`-profile state, plus the compiled `test` batch circuit and the
 * "adversarial closure" used by the soundness tests.
 */
import { toCircuitInput } from "../../protocol/circuitInput.ts";
import type { CircuitInput } from "../../protocol/circuitInput.ts";
import {
  batchCommitment,
  emptyAccount,
  FIELD_MODULUS,
  InstrumentKind,
  largestLiquidation,
  leafHash,
  optionId,
  Side,
  SparseMerkleTree,
  TxType,
  withdrawalOrder,
} from "../../protocol/index.ts";
import type { Batch, Profile, RollupState, Tx } from "../../protocol/index.ts";
import { profileSource } from "../../scripts/zk/build.ts";
import { getProfile, PROFILE_NAMES } from "../../protocol/profiles.ts";
import {
  BTC,
  BTC_PRICE,
  ctx,
  depositTx,
  DOMAIN,
  ETH,
  ETH_PRICE,
  keyOf,
  order,
  ownerOf,
  pkHashOf,
  runBatch,
  sign,
  T0,
  TEST,
  tradeTx,
  UNIT,
  USDC,
  world,
} from "../protocol/fixtures.ts";
import { Circuit } from "./harness.ts";
import type { CircuitInputs, Witness } from "./harness.ts";

export { BTC, BTC_PRICE, ETH, ETH_PRICE, T0, TEST, UNIT, USDC };

/** A 3,000.00 USDC ETH call expiring 1,000 s after T0. */
export const ETH_CALL = optionId(1, InstrumentKind.CALL, 300_000n, T0 + 1_000n);
/**
 * The ETH price of the liquidation batch. Account 4 (1 ETH long from 3,000, 399.4 USDC) is
 * then at equity −100.6 USDC: liquidated, it leaves a deficit the insurance fund absorbs.
 */
export const CRASH_PRICE = 250_000n;
/**
 * Buying 1 ETH at 3,000 USDC as taker needs 300 USDC of initial margin plus the 1.5 USDC
 * taker fee: this deposit meets it exactly.
 */
export const MARGIN_BOUNDARY_DEPOSIT = 301_500_000n;
/** The ETH settlement price of the call. */
export const SETTLE_PRICE = 310_000n;
/** The widest order price and expiry protocol/ accepts (40 and 32 bits). */
export const MAX_PRICE = (1n << 40n) - 1n;
export const MAX_TIME = (1n << 32n) - 1n;
/** A call that outlives every scenario batch; account 8 holds it long, account 9 short. */
export const LATE_CALL_EXPIRY = T0 + 5_000n;
export const LATE_CALL = optionId(1, InstrumentKind.CALL, 300_000n, LATE_CALL_EXPIRY);
/** An account registered with account 1's owner and key: an insurance fund account (§4.1). */
export const SECOND_FUND = 7n;
/** Sells part of the late call to the second fund account, then trades ETH perps holding it. */
export const OPTION_HOLDER = 10n;
export const INSURANCE = 1n;
/** Prices of the second liquidation batch: ETH up (the short call loses), BTC down. */
export const STRESS_ETH = 350_000n;
export const STRESS_BTC = 5_500_000n;
/** Finding F11: account 11 goes long an ETH perp and a call, account 12 short; both force-close. */
export const FC_LONG = 11n;
export const FC_SHORT = 12n;
export const NEAR_CALL = optionId(1, InstrumentKind.CALL, 300_000n, T0 + 4_000n);
/** The batch time and ETH settlement price of the expired late call's forced close and settlement. */
export const FC_EXPIRED_TIME = LATE_CALL_EXPIRY + 100n;
export const LATE_SETTLE_PRICE = 320_000n;

export interface Scenario {
  readonly name: string;
  readonly batch: Batch;
  /** Account tree (leaf hashes) before the batch: an adversarial prover recomputes paths in it. */
  readonly accounts: SparseMerkleTree;
  /** The reference model's state before the batch (an O(1) copy). */
  readonly before: RollupState;
  /** Transaction types this batch exercises. */
  readonly types: readonly number[];
}

let scenarios: readonly Scenario[] | null = null;

/**
 * The scenario batches, in the order they apply to one state (accounts 2, 3 funded with 10,000
 * USDC, account 4 with 400 USDC, account 5 created at the margin boundary, account 6 writing a
 * call it cannot pay at expiry). Together they hold every transaction type and both shortfall
 * paths (liquidation and settlement).
 */
export function buildScenarios(): readonly Scenario[] {
  if (scenarios !== null) return scenarios;
  const state = world([10_000n * USDC, 10_000n * USDC, 400n * USDC]);
  const out: Scenario[] = [];
  const add = (name: string, context: Parameters<typeof runBatch>[1], txs: readonly Tx[]): void => {
    const accounts = accountTree(state);
    const before = state.clone();
    out.push({ name, batch: runBatch(state, context, txs), accounts, before, types: txs.map((t) => t.type) });
  };
  add("deposit and perp trade", ctx(), [
    depositTx(2n, 5n * USDC),
    tradeTx(
      order({ accountId: 2n, side: Side.BUY, orderId: 1n }),
      order({ accountId: 3n, side: Side.SELL, orderId: 1n }),
      UNIT / 2n,
      ETH_PRICE,
    ),
  ]);
  add("withdraw and served forced withdrawal", ctx(), [
    { type: TxType.WITHDRAW, withdrawal: sign(withdrawalOrder(2n, 100n * USDC, 7n, T0 + 60n)) },
    { type: TxType.FORCED_WITHDRAW, accountId: 3n, requested: 50n * USDC },
  ]);
  add("refused forced withdrawal and fee sweep", ctx(), [
    // Account 6 is not registered yet: nothing is withdrawable, so the request is refused (served 0).
    { type: TxType.FORCED_WITHDRAW, accountId: 6n, requested: 1_000n * USDC },
    { type: TxType.FEE_SWEEP, amount: state.globalState.feePool },
  ]);
  add("funding and no-op", ctx(), [{ type: TxType.FUNDING, underlying: 1, delta: 250n }, { type: TxType.NOOP }]);
  add("leveraged long and option trade", ctx(), [
    tradeTx(
      order({ accountId: 4n, side: Side.BUY, orderId: 2n, size: UNIT }),
      order({ accountId: 3n, side: Side.SELL, orderId: 2n, size: UNIT }),
      UNIT,
      ETH_PRICE,
    ),
    tradeTx(
      order({ accountId: 3n, side: Side.SELL, instrument: ETH_CALL, orderId: 3n, price: 5_000n, size: UNIT }),
      order({ accountId: 2n, side: Side.BUY, instrument: ETH_CALL, orderId: 2n, price: 6_000n, size: UNIT }),
      UNIT,
      5_000n,
    ),
  ]);
  add("liquidation", ctx({ prices: [CRASH_PRICE, 6_000_000n] }), [
    { type: TxType.LIQUIDATE, accountId: 4n, instrument: ETH, size: UNIT },
  ]);
  const settleCtx = ctx({
    timestamp: T0 + 2_000n,
    settlements: [{ underlying: 1, expiry: T0 + 1_000n, price: SETTLE_PRICE }],
  });
  add("option settlement", settleCtx, [
    { type: TxType.SETTLE, accountId: 2n, instrument: ETH_CALL },
    { type: TxType.SETTLE, accountId: 3n, instrument: ETH_CALL },
  ]);
  add("two fills in one order slot", ctx(), [
    tradeTx(
      order({ accountId: 2n, side: Side.BUY, orderId: 9n }),
      order({ accountId: 3n, side: Side.SELL, orderId: 9n }),
      UNIT,
      ETH_PRICE,
    ),
    tradeTx(
      order({ accountId: 2n, side: Side.BUY, orderId: 13n }),
      order({ accountId: 3n, side: Side.SELL, orderId: 13n }),
      UNIT,
      ETH_PRICE,
    ),
  ]);
  add("trade at exactly initial margin", ctx(), [
    depositTx(5n, MARGIN_BOUNDARY_DEPOSIT),
    tradeTx(
      order({ accountId: 2n, side: Side.SELL, orderId: 20n }),
      order({ accountId: 5n, side: Side.BUY, orderId: 1n }),
      UNIT,
      ETH_PRICE,
    ),
  ]);
  const shortCall = optionId(1, InstrumentKind.CALL, 300_000n, T0 + 1_500n);
  add("short call opened on thin collateral", ctx(), [
    depositTx(6n, 50n * USDC),
    tradeTx(
      order({ accountId: 6n, side: Side.SELL, instrument: shortCall, orderId: 1n, price: 5_000n, size: UNIT / 10n }),
      order({ accountId: 2n, side: Side.BUY, instrument: shortCall, orderId: 30n, price: 5_000n, size: UNIT / 10n }),
      UNIT / 10n,
      5_000n,
    ),
  ]);
  add(
    "settlement into a shortfall",
    ctx({ timestamp: T0 + 2_000n, settlements: [{ underlying: 1, expiry: T0 + 1_500n, price: 400_000n }] }),
    [
      { type: TxType.SETTLE, accountId: 6n, instrument: shortCall },
      { type: TxType.SETTLE, accountId: 2n, instrument: shortCall },
    ],
  );
  add("boundary orders", ctx(), [
    // Finding F3: the widest values protocol/ accepts must be provable.
    tradeTx(
      order({ accountId: 2n, side: Side.BUY, orderId: 40n, price: MAX_PRICE, expiry: MAX_TIME }),
      order({ accountId: 3n, side: Side.SELL, orderId: 40n, expiry: MAX_TIME }),
      UNIT / 10n,
      ETH_PRICE,
    ),
    { type: TxType.NOOP },
  ]);
  // Findings F4, F6, F7: account 8 long BTC on thin margin and long a call, account 9 short it.
  add("thin accounts for the insurance fund", ctx(), [depositTx(8n, 610n * USDC), depositTx(9n, 45n * USDC)]);
  add("a leveraged BTC long and a short call", ctx(), [
    tradeTx(
      order({ accountId: 2n, side: Side.SELL, instrument: BTC, orderId: 50n, price: BTC_PRICE, size: UNIT / 10n }),
      order({ accountId: 8n, side: Side.BUY, instrument: BTC, orderId: 1n, price: BTC_PRICE, size: UNIT / 10n }),
      UNIT / 10n,
      BTC_PRICE,
    ),
    tradeTx(
      order({ accountId: 9n, side: Side.SELL, instrument: LATE_CALL, orderId: 1n, price: 5_000n, size: UNIT / 10n }),
      order({ accountId: 8n, side: Side.BUY, instrument: LATE_CALL, orderId: 2n, price: 5_000n, size: UNIT / 10n }),
      UNIT / 10n,
      5_000n,
    ),
  ]);
  add("a second insurance fund account", ctx(), [
    { type: TxType.DEPOSIT, accountId: SECOND_FUND, owner: ownerOf(1n), pkHash: pkHashOf(1n), amount: USDC },
    depositTx(OPTION_HOLDER, 10_000n * USDC),
  ]);
  const stress = ctx({ prices: [STRESS_ETH, STRESS_BTC] });
  const marks = { prices: stress.prices, fundingIndex: state.globalState.fundingIndex };
  add("liquidations into two insurance fund accounts", stress, [
    // Account 1 holds ETH and now BTC: full (P = 2). The call goes to the second fund account.
    {
      type: TxType.LIQUIDATE,
      accountId: 8n,
      instrument: BTC,
      size: largestLiquidation(state.account(8n), BTC, marks),
    },
    {
      type: TxType.LIQUIDATE,
      accountId: 9n,
      instrument: LATE_CALL,
      size: largestLiquidation(state.account(9n), LATE_CALL, marks),
      insurance: SECOND_FUND,
    },
  ]);
  add("the fund reduces at the mark", stress, [
    tradeTx(
      order({ accountId: INSURANCE, side: Side.SELL, instrument: BTC, orderId: 1n, price: STRESS_BTC, size: 10n }),
      order({ accountId: 2n, side: Side.BUY, instrument: BTC, orderId: 51n, price: STRESS_BTC, size: 10n }),
      10n,
      STRESS_BTC,
    ),
    { type: TxType.NOOP },
  ]);
  add("a thin account reduces at the mark", stress, [
    tradeTx(
      order({ accountId: 2n, side: Side.BUY, instrument: BTC, orderId: 52n, price: STRESS_BTC, size: 10n }),
      order({ accountId: 8n, side: Side.SELL, instrument: BTC, orderId: 3n, price: STRESS_BTC, size: 10n }),
      10n,
      STRESS_BTC,
    ),
    { type: TxType.NOOP },
  ]);
  add("the second fund account buys back part of the call", ctx(), [
    {
      type: TxType.TRADE,
      // The fund's accounts share account 1's trading key.
      maker: sign(
        order({ accountId: SECOND_FUND, side: Side.BUY, instrument: LATE_CALL, orderId: 1n, price: 5_000n, size: 10n }),
        DOMAIN,
        keyOf(INSURANCE),
      ),
      taker: sign(
        order({
          accountId: OPTION_HOLDER,
          side: Side.SELL,
          instrument: LATE_CALL,
          orderId: 1n,
          price: 5_000n,
          size: 10n,
        }),
      ),
      size: 10n,
      price: 5_000n,
    },
    { type: TxType.NOOP },
  ]);
  add("a perp trade while holding a live option", ctx(), [
    tradeTx(
      order({
        accountId: OPTION_HOLDER,
        side: Side.SELL,
        orderId: 2n,
        expiry: LATE_CALL_EXPIRY + 1_000n,
        size: UNIT / 10n,
      }),
      order({ accountId: 2n, side: Side.BUY, orderId: 60n, expiry: LATE_CALL_EXPIRY + 1_000n, size: UNIT / 10n }),
      UNIT / 10n,
      ETH_PRICE,
    ),
    { type: TxType.NOOP },
  ]);
  // Finding F11: L1 forced closes (§6.10) and forced withdrawals of min(requested, withdrawable).
  add("accounts for forced closes", ctx(), [depositTx(FC_LONG, 2_000n * USDC), depositTx(FC_SHORT, 2_000n * USDC)]);
  add("a perp and a call for forced closes", ctx(), [
    // Account 11 sells the perp: its long call then sits beside a short position (F17's tests
    // point the slot choice at it).
    tradeTx(
      order({ accountId: FC_LONG, side: Side.SELL, orderId: 1n, size: UNIT / 10n }),
      order({ accountId: FC_SHORT, side: Side.BUY, orderId: 1n, size: UNIT / 10n }),
      UNIT / 10n,
      ETH_PRICE,
    ),
    tradeTx(
      order({ accountId: FC_SHORT, side: Side.SELL, instrument: NEAR_CALL, orderId: 2n, price: 5_000n, size: UNIT }),
      order({ accountId: FC_LONG, side: Side.BUY, instrument: NEAR_CALL, orderId: 2n, price: 5_000n, size: UNIT }),
      UNIT,
      5_000n,
    ),
  ]);
  add("forced close of a perp and of a short option", ctx(), [
    // Account 1 holds ETH: it takes the long perp. The short call is live: refused (finding F17),
    // though the second fund account is named and has room for it.
    { type: TxType.FORCED_CLOSE, accountId: FC_SHORT, instrument: ETH, settlement: false },
    {
      type: TxType.FORCED_CLOSE,
      accountId: FC_SHORT,
      instrument: NEAR_CALL,
      settlement: false,
      insurance: SECOND_FUND,
    },
  ]);
  add("forced close of a long option and a refusal", ctx(), [
    // The long call goes to the second fund account, which is never short an option this way.
    { type: TxType.FORCED_CLOSE, accountId: FC_LONG, instrument: NEAR_CALL, settlement: false, insurance: SECOND_FUND },
    // Account 12 holds no perp any more: refused, and the proof shows why.
    { type: TxType.FORCED_CLOSE, accountId: FC_SHORT, instrument: ETH, settlement: false },
  ]);
  add("forced withdrawals of min(requested, withdrawable)", ctx(), [
    // Account 11 still holds its perp, account 12 its short call (F17): initial margin binds both.
    { type: TxType.FORCED_WITHDRAW, accountId: FC_LONG, requested: 10_000n * USDC },
    { type: TxType.FORCED_WITHDRAW, accountId: FC_SHORT, requested: 10_000n * USDC },
  ]);
  add(
    "forced close and forced settlement of an expired call",
    ctx({
      timestamp: FC_EXPIRED_TIME,
      settlements: [{ underlying: 1, expiry: LATE_CALL_EXPIRY, price: LATE_SETTLE_PRICE }],
    }),
    [
      // The owner's forced close of an expired option is its settlement at the record.
      { type: TxType.FORCED_CLOSE, accountId: 8n, instrument: LATE_CALL, settlement: false },
      // The owner's forced settlement of her account's expired short call.
      { type: TxType.FORCED_CLOSE, accountId: OPTION_HOLDER, instrument: LATE_CALL, settlement: true },
    ],
  );
  scenarios = out;
  return out;
}

/** The account tree of `state` as bare leaf hashes. */
function accountTree(state: RollupState): SparseMerkleTree {
  const profile = state.profile;
  const empty = leafHash(emptyAccount(profile), profile);
  const tree = new SparseMerkleTree(profile.accountDepth, empty);
  for (let id = 0n; id < 1n << BigInt(profile.accountDepth); id++) {
    const leaf = leafHash(state.account(id), profile);
    if (leaf !== empty) tree.set(id, leaf);
  }
  if (tree.root !== state.accountRoot) throw new Error("account tree rebuild mismatch");
  return tree;
}

export function scenario(name: string): Scenario {
  const s = buildScenarios().find((x) => x.name === name);
  if (s === undefined) throw new Error(`no scenario ${name}`);
  return s;
}

let circuit: Promise<Circuit> | null = null;

/** The `test` profile's batch circuit (compiled once per run; compile.ts caches it by content). */
export function testCircuit(): Promise<Circuit> {
  circuit ??= Circuit.fromSource(TEST.name, profileSource(TEST.name));
  return circuit;
}

export function inputOf(batch: Batch): CircuitInputs {
  return structuredClone(toCircuitInput(batch)) as CircuitInput as CircuitInputs;
}

/** Sets slot `slot` of a per-slot input array (`name[slot]`), or a nested element. */
export function setSlot(input: CircuitInputs, name: string, slot: number, value: bigint, j?: number): void {
  const arr = input[name];
  if (!Array.isArray(arr)) throw new Error(`${name} is not a per-slot array`);
  const v = ((value % FIELD_MODULUS) + FIELD_MODULUS) % FIELD_MODULUS;
  if (j === undefined) arr[slot] = v.toString();
  else (arr[slot] as string[])[j] = v.toString();
}

export function slotValue(input: CircuitInputs, name: string, slot: number, j?: number): bigint {
  const arr = input[name] as unknown[];
  const v = j === undefined ? arr[slot] : (arr[slot] as unknown[])[j];
  return BigInt(v as string);
}

/** Wire index of the one public input, the commitment (wire 0 is the constant 1; no outputs). */
export const COMMITMENT_WIRE = 1;

/**
 * Wire index of `publicData[j]` in `c`'s witness. circom's --O2 may replace an input wire by an
 * equal linear combination (the deposit records' owners are, by their bit decompositions), so
 * the index comes from the symbol file; read posted values from `adversarialWitness`'s
 * `published` instead where a word may be such an input.
 */
export function publicWire(c: Circuit, j: number): number {
  return c.index(`main.publicData[${j}]`);
}

/** Indices in `publicData` the circuit computes: the new state root and every f0, f1. */
export function computedPublicInputs(nTx: number, profile: Profile = TEST): number[] {
  const base = 4 + profile.underlyings + profile.settlements + profile.instruments + 2 * profile.deposits;
  return [1, ...Array.from({ length: 2 * nTx }, (_, k) => base + k)];
}

/**
 * The adversarial prover's completion of a tampered input: the witness the wasm computes
 * (asserts ignored) with the public new state root and every slot's f0/f1 replaced by what
 * the circuit computed for them, i.e. what the prover would publish for its own transition,
 * and the commitment of that published data, computed again through the whole circuit.
 * `failedAsserts` and `messages` are those of the input as given.
 * With `accounts` (the tree before the batch) it also recomputes every slot's Merkle paths
 * from the leaves the circuit computed, as a prover must when an early slot changes.
 * What remains violated is the broken rule itself. Indices in `keep` are published as given
 * (a prover whose public data disagrees with what it proves).
 */
export function adversarialWitness(
  c: Circuit,
  input: CircuitInputs,
  keep: readonly number[] = [],
  accounts?: SparseMerkleTree,
): {
  witness: Witness;
  /** The public data the adversary posts: the input's, with the computed words as computed. */
  published: bigint[];
  failedAsserts: number;
  messages: readonly string[];
} {
  const nTx = (input["txType"] as unknown[]).length;
  const nPub = (input["publicData"] as unknown[]).length;
  const inp = structuredClone(input);
  let result = c.witnessIgnoringAsserts(inp);
  if (accounts !== undefined) {
    for (let pass = 0; pass < nTx; pass++) {
      const tree = accounts.clone();
      let changed = false;
      for (let i = 0; i < nTx; i++) {
        for (const side of ["a", "b"] as const) {
          const id = slotValue(inp, `${side}Id`, i);
          const siblings = tree.proof(id).siblings;
          const current = inp[`${side}Siblings`] as string[][];
          if (siblings.some((v, level) => current[i]![level] !== v.toString())) {
            current[i] = siblings.map(String);
            changed = true;
          }
          tree.set(id, c.get(result.witness, `slot[${i}].leaf${side.toUpperCase()}After`));
        }
      }
      if (!changed) break;
      result = c.witnessIgnoringAsserts(inp);
    }
  }
  // The computed entries are [1] and the last 2·nTx (f0, f1 of every slot): the prover publishes
  // what its transition computed for them, and the commitment of what it publishes. Both are fed
  // back through the witness calculator, so the commitment's own wires (the bits of every word,
  // the SHA-256 rounds) are those of the published data: an adversary that only patched the
  // public data wires would break the commitment's decomposition of them and be refused for that,
  // never reaching the rule under test.
  const computed = [1, ...Array.from({ length: 2 * nTx }, (_, k) => nPub - 2 * nTx + k)];
  const published = (inp["publicData"] as string[]).map((v) => BigInt(v));
  for (const j of computed) {
    if (keep.includes(j)) continue;
    try {
      published[j] = c.solveWire(result.witness, publicWire(c, j));
    } catch (e) {
      // Two constraints give the word different values (an f0 over a wrapped field value that
      // its 208-bit decomposition cannot hold): no value is consistent, so the prover posts the
      // given one and is refused whatever it posts.
      if (!(e instanceof Error && e.message.startsWith("constraints disagree"))) throw e;
    }
  }
  // A word that does not fit its width breaks a range check first; the commitment is then 0
  // (refused either way).
  const shape = PROFILE_NAMES.map((name) => getProfile(name)).find(
    (p) => p.nTx === nTx && 4 + p.underlyings + p.settlements + p.instruments + 2 * p.deposits + 2 * nTx === nPub,
  );
  if (shape === undefined) throw new Error(`no profile has ${nTx} slots and ${nPub} public data words`);
  let commitment = 0n;
  try {
    commitment = batchCommitment(shape, published);
  } catch {
    commitment = 0n;
  }
  inp["publicData"] = published.map(String);
  inp["commitment"] = commitment.toString();
  // The asserts reported are those of the input as given (paths fixed): the broken rule, and
  // the equality of each computed word with the given one where they differ.
  const { failedAsserts, messages } = result;
  return { witness: c.witnessIgnoringAsserts(inp).witness, published, failedAsserts, messages };
}
