/**
 * Liquidation scan benchmark: `npx tsx bench/risk.ts [accounts]` prints and writes
 * bench/risk.json.
 *
 * What one oracle tick costs the liquidation engine before it liquidates anyone: finding the
 * registered accounts below maintenance margin, with the ledger's liquidation index
 * (sequencer/core/risk/candidates.ts) and with the full scan it replaced (`belowMM` on every
 * registered account). 100,000 accounts (prod profile: 4 slots) hold positions: 60% an ETH perp,
 * 25% a BTC perp, 15% both, long or short, at 1.5× to 9.5× leverage. Each tick moves both
 * prices by a random step (σ ≈ 0.5%) and, before it, 200 accounts change (as fills would), which
 * the index re-examines. Accounts found below MM are recapitalised and re-examined, as a
 * liquidation would leave them. Both methods must find the same accounts on every tick (checked).
 * The accounts live in a plain in-memory `StateView` (no transactions, no signatures): the figure
 * is the search only. Deterministic (seeded), indicative only on a shared machine.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { INSURANCE_ACCOUNT } from "../protocol/constants.ts";
import type { StateView } from "../protocol/check.ts";
import { perpId } from "../protocol/instruments.ts";
import { belowMM, expiredOption } from "../protocol/margin.ts";
import type { Marks } from "../protocol/margin.ts";
import { getProfile } from "../protocol/profiles.ts";
import { genesisGlobal } from "../protocol/state.ts";
import type { OrderSlot } from "../protocol/transition.ts";
import type { Account, GlobalState, Position, Profile } from "../protocol/types.ts";
import { LiquidationIndex } from "../sequencer/core/risk/candidates.ts";
import { mulberry32 } from "../test/random.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "bench", "risk.json");
const PROFILE = "prod";
const ACCOUNTS = Number(process.argv[2] ?? 100_000);
const TICKS = 200;
const TOUCHED_PER_TICK = 200;
const UNIT = 10_000n;
const EMPTY: Position = { instrument: 0n, size: 0n, cost: 0n };


/** Accounts in a map: what the index and the scan read (the bench writes them directly). */
class MemoryState implements StateView {
  readonly accounts = new Map<bigint, Account>();
  readonly globalState: GlobalState;

  constructor(readonly profile: Profile) {
    this.globalState = genesisGlobal(profile);
  }

  account(id: bigint): Account {
    const a = this.accounts.get(id);
    if (a === undefined) throw new Error(`no account ${id}`);
    return a;
  }

  orderState(): OrderSlot {
    throw new Error("the bench reads no order slot");
  }

  isInsuranceAccount(id: bigint): boolean {
    return id === INSURANCE_ACCOUNT;
  }

  marks(prices: readonly bigint[]): Marks {
    return { prices, fundingIndex: this.globalState.fundingIndex };
  }
}

const profile = getProfile(PROFILE);
const random = mulberry32(16);
const state = new MemoryState(profile);
let prices: bigint[] = [300_000n, 6_000_000n];

/** A fresh position set for an account at the current prices: leverage 1.5..9.5. */
function positionsFor(kind: number): { collateral: bigint; positions: Position[] } {
  const positions: Position[] = [];
  let notional = 0n;
  for (const u of kind === 0 ? [1] : kind === 1 ? [2] : [1, 2]) {
    const price = prices[u - 1]!;
    const size = (BigInt(1 + Math.floor(random() * 20)) * UNIT) / (u === 2 ? 20n : 1n);
    const signed = random() < 0.5 ? size : -size;
    positions.push({ instrument: perpId(u), size: signed, cost: signed * price });
    notional += size * price;
  }
  const leverage = 1.5 + random() * 8;
  const collateral = (notional * 100n) / BigInt(Math.round(leverage * 100));
  while (positions.length < profile.positions) positions.push(EMPTY);
  return { collateral, positions };
}

function openAccount(id: bigint): void {
  const r = random();
  const { collateral, positions } = positionsFor(r < 0.6 ? 0 : r < 0.85 ? 1 : 2);
  state.accounts.set(id, { pkHash: id, owner: id, collateral, orderRoot: 0n, positions });
}

const registered = new Set<bigint>();
const index = new LiquidationIndex(registered, profile.underlyings);
const ids: bigint[] = [];
for (let i = 0; i < ACCOUNTS; i++) {
  const id = BigInt(i + 2);
  openAccount(id);
  registered.add(id);
  index.touch([id]);
  ids.push(id);
}

/** What liquidateUnderwater keeps of a candidate list. */
function underwater(candidates: Iterable<bigint>, marks: Marks): bigint[] {
  const out: bigint[] = [];
  for (const id of candidates) {
    const a = state.account(id);
    if (!state.isInsuranceAccount(id) && belowMM(a, marks) && expiredOption(a, 0n) === null) out.push(id);
  }
  return out;
}

const t0 = performance.now();
index.candidates(state, prices);
const buildMs = performance.now() - t0;

/** One gaussian-ish step (sum of uniforms), σ ≈ 0.5% of the price. */
const step = (p: bigint): bigint => {
  const z = random() + random() + random() - 1.5; // σ = 0.5
  return (p * BigInt(Math.round(1_000_000 + z * 10_000))) / 1_000_000n;
};

let fullMs = 0;
let indexMs = 0;
let examined = 0;
let liquidated = 0;
for (let tick = 0; tick < TICKS; tick++) {
  // Fills since the last tick: these accounts' records change (new positions at today's prices).
  const touched: bigint[] = [];
  for (let k = 0; k < TOUCHED_PER_TICK; k++) {
    const id = ids[Math.floor(random() * ids.length)]!;
    openAccount(id);
    touched.push(id);
  }
  index.touch(touched);
  prices = prices.map(step);
  const marks = state.marks(prices);

  const a = performance.now();
  const full = underwater(registered, marks);
  const b = performance.now();
  const candidates = index.candidates(state, prices);
  const found = underwater(candidates, marks);
  const c = performance.now();
  fullMs += b - a;
  indexMs += c - b;
  examined += candidates.length;
  if (full.join() !== found.join())
    throw new Error(`tick ${tick}: the index found ${found.length} accounts, the scan ${full.length}`);
  // The liquidations: each account found is recapitalised at today's prices.
  for (const id of found) openAccount(id);
  index.touch(found);
  liquidated += found.length;
}

const result = {
  profile: PROFILE,
  accounts: ACCOUNTS,
  ticks: TICKS,
  touchedPerTick: TOUCHED_PER_TICK,
  buildMs: Math.round(buildMs),
  fullScanUsPerTick: Math.round((fullMs * 1000) / TICKS),
  indexUsPerTick: Math.round((indexMs * 1000) / TICKS),
  examinedPerTick: Math.round(examined / TICKS),
  liquidatedPerTick: Number((liquidated / TICKS).toFixed(2)),
  finalPrices: prices.map(String),
};
writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
