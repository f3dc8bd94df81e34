/**
 * Batches (docs/protocol.md §8): a fixed number of transaction slots proven together, their
 * public input array, the L1 calldata that rebuilds it, and the signature domain (§2).
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { BITS, INSURANCE_ACCOUNT } from "./constants.ts";
import { ensure, ProtocolError } from "./errors.ts";
import { fitsUnsigned } from "./field.ts";
import { batchCommitment } from "./commitment.ts";
import { packSettlement, packSlots } from "./pubdata.ts";
import { txUsesPrices } from "./priceUse.ts";
import type { StateView } from "./check.ts";
import type { RollupState } from "./state.ts";
import { validateContext } from "./transition.ts";
import { TxType } from "./types.ts";
import type { Batch, BatchContext, GlobalState, Tx, TxWitness } from "./types.ts";

/**
 * The batch's deposit records (§8) as words `owner_0, pkHash_0, …, owner_{D−1}, pkHash_{D−1}`:
 * record k is the owner and key of the k-th deposit slot, unused records are 0. Throws
 * `BATCH_FULL` for more than `profile.deposits` deposits.
 */
export function depositRecords(profile: Pick<Batch["profile"], "deposits">, txs: readonly Tx[]): bigint[] {
  const out = Array<bigint>(2 * profile.deposits).fill(0n);
  let k = 0;
  for (const tx of txs) {
    if (tx.type !== TxType.DEPOSIT) continue;
    ensure(k < profile.deposits, "BATCH_FULL", () => `a batch holds at most ${profile.deposits} deposits`);
    out[2 * k] = tx.owner;
    out[2 * k + 1] = tx.pkHash;
    k++;
  }
  return out;
}

/**
 * The instrument a trade or liquidation names, so takes an entry of the batch's instrument table
 * (§8); null for every other type.
 */
export function namedInstrument(tx: Tx): bigint | null {
  if (tx.type === TxType.TRADE) return tx.maker.order.instrument;
  if (tx.type === TxType.LIQUIDATE) return tx.instrument;
  return null;
}

/**
 * The distinct instruments `txs` name (`namedInstrument`), in order of first use: the used entries
 * of their batch's instrument table (§8). Each transaction's entry is its instrument's index here,
 * so replaying `txs` against the whole list gives every slot the index it had when it was added.
 */
export function namedInstruments(txs: readonly Tx[]): bigint[] {
  const named: bigint[] = [];
  for (const tx of txs) {
    const instrument = namedInstrument(tx);
    if (instrument !== null && !named.includes(instrument)) named.push(instrument);
  }
  return named;
}

/**
 * The batch's instrument table (§8): `namedInstruments(txs)` padded with 0 to
 * `profile.instruments` entries. Throws `BATCH_FULL` for more.
 */
export function instrumentTable(profile: Pick<Batch["profile"], "instruments">, txs: readonly Tx[]): bigint[] {
  const table = namedInstruments(txs);
  ensure(
    table.length <= profile.instruments,
    "BATCH_FULL",
    () => `a batch names at most ${profile.instruments} instruments`,
  );
  while (table.length < profile.instruments) table.push(0n);
  return table;
}

/**
 * The public data `[oldStateRoot, newStateRoot, t, domain, price[1..U], settlement[0..K),
 * instrument[0..I), deposit record[0..D) (owner, pkHash), f0/f1 of every slot]` (§8) that the
 * commitment hashes; unused settlement records, instrument entries and deposit records are 0.
 */
export function publicData(
  batch: Pick<Batch, "profile" | "context" | "oldStateRoot" | "newStateRoot" | "witnesses" | "instruments">,
): bigint[] {
  const { profile, context: ctx } = batch;
  const settlements = Array.from({ length: profile.settlements }, (_, i) => {
    const r = ctx.settlements[i];
    return r === undefined ? 0n : packSettlement(r);
  });
  return [
    batch.oldStateRoot,
    batch.newStateRoot,
    ctx.timestamp,
    ctx.domain,
    ...ctx.prices,
    ...settlements,
    ...batch.instruments,
    ...depositRecords(
      profile,
      batch.witnesses.map((w) => w.tx),
    ),
    ...batch.witnesses.flatMap((w) => w.publicData),
  ];
}

/**
 * `BAD_CONTEXT` for a transaction that reads prices (protocol/priceUse.ts) in a batch whose
 * prices are stale (`pricesStale`: a round older than L1's maxOracleAge, finding F13); `state`
 * is the state the transaction is about to be applied to.
 */
export function refuseStalePriceReads(
  pricesStale: boolean,
  tx: Tx,
  state: Pick<StateView, "account">,
  t: bigint,
): void {
  ensure(
    !pricesStale || !txUsesPrices(tx, state, t),
    "BAD_CONTEXT",
    "the batch has a price older than L1's maxOracleAge, so it takes no transaction that reads prices (trades, liquidations, funding, withdrawals from accounts with positions, forced closes at the rules price)",
  );
}

/**
 * Collects up to `profile.nTx` transactions applied to `state` at one batch context, then
 * closes them into a `Batch`, padding with no-ops. Each `add` is atomic (see `applyTx`): a
 * rejected transaction leaves both the state and the batch unchanged.
 */
export class BatchBuilder {
  readonly context: BatchContext;
  private readonly state: RollupState;
  private readonly witnesses: TxWitness[] = [];
  private deposits = 0;
  /** The instrument table so far (§8): the instruments of the trades and liquidations added. */
  private readonly instruments: bigint[] = [];
  private readonly oldStateRoot: bigint;
  private readonly globalBefore: GlobalState;
  private readonly accountRootBefore: bigint;
  private readonly insurance: Batch["insurance"];
  private closed = false;
  /**
   * A price of the batch comes from a round older than L1's maxOracleAge (a silent feed, finding
   * F13): L1 accepts the batch only if no slot reads a price, so no such transaction is added.
   */
  readonly pricesStale: boolean;

  constructor(state: RollupState, context: BatchContext, options: { readonly pricesStale?: boolean } = {}) {
    validateContext(context, state.profile);
    this.state = state;
    this.context = context;
    this.pricesStale = options.pricesStale ?? false;
    this.oldStateRoot = state.stateRoot;
    this.globalBefore = state.globalState;
    this.accountRootBefore = state.accountRoot;
    const fund = state.exitProof(INSURANCE_ACCOUNT);
    this.insurance = { account: fund.account, proof: fund.proof };
  }

  /** Transactions added so far. */
  get size(): number {
    return this.witnesses.length;
  }

  get isFull(): boolean {
    return this.witnesses.length >= this.state.profile.nTx;
  }

  /** Deposits added so far: a batch holds at most `profile.deposits` (its deposit records, §8). */
  get depositCount(): number {
    return this.deposits;
  }

  /** Instruments named so far: a batch names at most `profile.instruments` (its instrument table, §8). */
  get instrumentCount(): number {
    return this.instruments.length;
  }

  /**
   * Applies `tx` to the state in the next slot; throws `BATCH_FULL` when every slot is used, for
   * a deposit when every deposit record is, and for a trade or liquidation of a new instrument
   * when every instrument-table entry is.
   */
  add(tx: Tx): TxWitness {
    ensure(!this.closed, "BATCH_FULL", "the batch is closed");
    ensure(!this.isFull, "BATCH_FULL", () => `the batch already holds ${this.state.profile.nTx} transactions`);
    const deposit = tx.type === TxType.DEPOSIT;
    ensure(
      !deposit || this.deposits < this.state.profile.deposits,
      "BATCH_FULL",
      () => `the batch already holds ${this.state.profile.deposits} deposits (its deposit records)`,
    );
    refuseStalePriceReads(this.pricesStale, tx, this.state, this.context.timestamp);
    const witness = this.state.applyTx(tx, this.context, { instruments: { table: this.instruments } });
    this.witnesses.push(witness);
    if (deposit) this.deposits++;
    const instrument = namedInstrument(tx);
    if (instrument !== null && !this.instruments.includes(instrument)) this.instruments.push(instrument);
    return witness;
  }

  /** Pads the remaining slots with no-ops and returns the batch. The builder is spent after. */
  close(): Batch {
    ensure(!this.closed, "BATCH_FULL", "the batch is already closed");
    while (!this.isFull) this.add({ type: TxType.NOOP });
    this.closed = true;
    const profile = this.state.profile;
    const witnesses = this.witnesses.slice();
    const newStateRoot = this.state.stateRoot;
    const batch = {
      profile,
      context: this.context,
      oldStateRoot: this.oldStateRoot,
      newStateRoot,
      globalBefore: this.globalBefore,
      globalAfter: this.state.globalState,
      accountRootBefore: this.accountRootBefore,
      accountRootAfter: this.state.accountRoot,
      witnesses,
      // The table built as the slots were added, padded to its I entries (§8).
      instruments: [...this.instruments, ...Array<bigint>(profile.instruments - this.instruments.length).fill(0n)],
      insurance: this.insurance,
    };
    const data = publicData(batch);
    const commitment = batchCommitment(profile, data);
    return { ...batch, publicData: data, commitment, publicInputs: [commitment] };
  }
}

/** `BatchHeader` of the rollup contract (§8.1), field for field. */
export interface BatchHeader {
  readonly newStateRoot: bigint;
  readonly timestamp: bigint;
  readonly prices: readonly bigint[];
  readonly priceRoundIds: readonly bigint[];
  readonly settlements: readonly bigint[];
  readonly settlementRoundIds: readonly bigint[];
  /** The instrument table (I words, unused 0): a trade's or liquidation's slot names its instrument by index. */
  readonly instruments: readonly bigint[];
  /** D deposit records `owner, pkHash` (2·D words, unused 0): the owner and key of each deposit slot in order. */
  readonly deposits: readonly bigint[];
}

/** Oracle rounds backing a batch: one per price, one per settlement record in use. */
export interface OracleRounds {
  readonly priceRoundIds: readonly bigint[];
  readonly settlementRoundIds: readonly bigint[];
}

/**
 * The arguments of `submitBatch` but the proof: the header and `slots`, every slot's f0 and f1
 * packed in 16 + 8 bytes (`packSlots`, §7).
 */
export function l1Calldata(batch: Batch, rounds: OracleRounds): { header: BatchHeader; slots: `0x${string}` } {
  const { profile, context: ctx } = batch;
  ensure(
    rounds.priceRoundIds.length === profile.underlyings,
    "BAD_CONTEXT",
    () => `expected ${profile.underlyings} price round ids`,
  );
  ensure(
    rounds.settlementRoundIds.length === ctx.settlements.length,
    "BAD_CONTEXT",
    () => `expected ${ctx.settlements.length} settlement round ids`,
  );
  const roundBits = 80;
  for (const id of [...rounds.priceRoundIds, ...rounds.settlementRoundIds]) {
    ensure(fitsUnsigned(id, roundBits), "OUT_OF_RANGE", () => `round id ${id} exceeds uint80`);
  }
  const pad = (values: readonly bigint[]): bigint[] =>
    Array.from({ length: profile.settlements }, (_, i) => values[i] ?? 0n);
  return {
    header: {
      newStateRoot: batch.newStateRoot,
      timestamp: ctx.timestamp,
      prices: ctx.prices.slice(),
      priceRoundIds: rounds.priceRoundIds.slice(),
      settlements: pad(ctx.settlements.map(packSettlement)),
      settlementRoundIds: pad(rounds.settlementRoundIds),
      instruments: batch.instruments.slice(),
      deposits: depositRecords(
        profile,
        batch.witnesses.map((w) => w.tx),
      ),
    },
    slots: packSlots(batch.witnesses.flatMap((w) => w.publicData)),
  };
}

function word(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let x = v;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** An L1 address from `0x`-prefixed hex or its integer value. */
export function parseAddress(address: string | bigint): bigint {
  if (typeof address === "bigint") {
    ensure(fitsUnsigned(address, BITS.owner), "OUT_OF_RANGE", "an address is 160 bits");
    return address;
  }
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new ProtocolError("OUT_OF_RANGE", `bad address ${address}`);
  return BigInt(address);
}

/**
 * `domain = uint256(keccak256(abi.encode("tessera", chainId, rollupAddress))) >> 4` (§2): 252
 * bits, so it is a field element.
 */
export function domainSeparator(chainId: bigint, rollupAddress: string | bigint): bigint {
  ensure(fitsUnsigned(chainId, 256), "OUT_OF_RANGE", () => `chain id ${chainId}`);
  const tag = new TextEncoder().encode("tessera");
  const tail = new Uint8Array(32);
  tail.set(tag);
  // abi.encode(string, uint256, address): head (offset, chainId, address), then length and data.
  const parts = [word(96n), word(chainId), word(parseAddress(rollupAddress)), word(BigInt(tag.length)), tail];
  const encoded = new Uint8Array(32 * parts.length);
  parts.forEach((p, i) => encoded.set(p, 32 * i));
  const digest = keccak_256(encoded);
  let v = 0n;
  for (const byte of digest) v = (v << 8n) | BigInt(byte);
  return v >> 4n;
}
