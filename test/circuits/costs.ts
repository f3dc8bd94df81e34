/**
 * Constraint costs of the batch circuit's parts, measured by compiling each gadget on its own
 * with the parameters of a profile (`--O2`, as the batch). Used by constraints.test.ts (which
 * pins them) and by `npx tsx test/circuits/costs.ts [profile...]`, which prints the table of
 * docs/circuits.md.
 */
import { getProfile } from "../../protocol/profiles.ts";
import type { Profile } from "../../protocol/types.ts";
import { profileSource } from "../../scripts/zk/build.ts";
import { compile } from "../../scripts/zk/compile.ts";
import { readR1cs } from "./harness.ts";

/** One measured part: its main template call and how many times one slot instantiates it. */
export interface Part {
  readonly name: string;
  readonly include: string;
  readonly main: string;
  /** Instances per slot. */
  readonly perSlot: number;
  /** Which transaction types need it. */
  readonly usedBy: string;
}

/** The parts of a slot (circuits/tx.circom) for a profile's parameters. */
export function parts(p: Profile): Part[] {
  return [
    {
      name: "AccountLeaf",
      include: "lib/account.circom",
      main: `AccountLeaf(${p.positions})`,
      perSlot: 2,
      usedBy: "all (A, B before)",
    },
    {
      name: "AccountLeafAfter",
      include: "lib/account.circom",
      main: `AccountLeafAfter(${p.positions})`,
      perSlot: 2,
      usedBy: "all (A, B after: the changed pair hashed again)",
    },
    {
      name: "MerkleUpdate (account)",
      include: "lib/merkle.circom",
      main: `MerkleUpdate(${p.accountDepth})`,
      perSlot: 2,
      usedBy: "all (A then B)",
    },
    { name: "OrderHash", include: "lib/order.circom", main: "OrderHash()", perSlot: 2, usedBy: "trade, withdraw" },
    {
      name: "OrderSignature",
      include: "lib/order.circom",
      main: "OrderSignature()",
      perSlot: 2,
      usedBy: "trade, withdraw",
    },
    {
      name: "OrderTreeUpdate",
      include: "lib/order.circom",
      main: `OrderTreeUpdate(${p.orderDepth})`,
      perSlot: 2,
      usedBy: "trade, withdraw",
    },
    {
      name: "InstrumentMarket",
      include: "lib/instrument.circom",
      main: `InstrumentMarket(${p.underlyings})`,
      perSlot: 1,
      usedBy: "trade, liquidation, settlement, forced close",
    },
    {
      name: "AssertTradable",
      include: "lib/instrument.circom",
      main: "AssertTradable()",
      perSlot: 1,
      usedBy: "trade, liquidation",
    },
    {
      name: "OptionMoneyness",
      include: "lib/margin.circom",
      main: "OptionMoneyness()",
      perSlot: 2,
      usedBy: "liquidation, settlement, forced close",
    },
    {
      name: "PositionUpdate",
      include: "lib/position.circom",
      main: `PositionUpdate(${p.positions})`,
      perSlot: 2,
      usedBy: "trade, liquidation, settlement, forced close",
    },
    {
      name: "AccountRisk",
      include: "lib/margin.circom",
      main: `AccountRisk(${p.positions}, ${p.underlyings})`,
      perSlot: 2,
      usedBy: "A and B before (F10 headroom, liquidation, forced close), and the base of their risk after",
    },
    {
      name: "AccountRiskAfter",
      include: "lib/margin.circom",
      main: `AccountRiskAfter(${p.positions}, ${p.underlyings})`,
      perSlot: 2,
      usedBy: "A and B after (trade, withdraw, forced withdrawal, forced close): the updated slot only",
    },
    {
      name: "MeetsRequirement",
      include: "lib/margin.circom",
      main: "MeetsRequirement()",
      perSlot: 9,
      usedBy: "trade (IM, solvency, headroom), withdraw, forced withdrawal (served and served + 1), liquidation",
    },
    {
      name: "DivByConst(82, 10^4)",
      include: "lib/range.circom",
      main: "DivByConst(82, 10000)",
      perSlot: 2,
      usedBy: "trade fees",
    },
    {
      name: "DivByConst(92, 10^8)",
      include: "lib/range.circom",
      main: "DivByConst(92, 100000000)",
      perSlot: 1,
      usedBy: "liquidation and forced close penalty (share of the MM released)",
    },
  ];
}

/** Constraints of a compiled main `template(args)` from `include`. */
export async function countOf(include: string, main: string, name: string): Promise<number> {
  const source = `pragma circom 2.1.6;\ninclude "${include}";\ncomponent main = ${main};\n`;
  const compiled = await compile({ name, source });
  return readR1cs(compiled.r1cs).nConstraints;
}

/** Cost of one part for a profile. */
export function partCount(part: Part): Promise<number> {
  const slug = part.main
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/-+$/, "");
  return countOf(part.include, part.main, `cost-${slug}`);
}

/** Constraints of a profile's whole batch circuit (the main the pipeline builds). */
export async function batchCount(p: Profile): Promise<number> {
  const compiled = await compile({ name: p.name, source: profileSource(p.name) });
  return readR1cs(compiled.r1cs).nConstraints;
}

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  for (const name of names.length > 0 ? names : ["test"]) {
    const p = getProfile(name);
    console.log(
      `\n### ${name}: nTx ${p.nTx}, accountDepth ${p.accountDepth}, orderDepth ${p.orderDepth}, P ${p.positions}, U ${p.underlyings}, K ${p.settlements}`,
    );
    console.log("| part | constraints | per slot | total per slot | needed by |\n| --- | ---: | ---: | ---: | --- |");
    let sum = 0;
    for (const part of parts(p)) {
      const n = await partCount(part);
      sum += n * part.perSlot;
      console.log(`| ${part.main} | ${n} | ×${part.perSlot} | ${n * part.perSlot} | ${part.usedBy} |`);
    }
    const total = await batchCount(p);
    console.log(`\nparts per slot: ${sum}; batch: ${total}; per slot incl. glue: ${Math.round(total / p.nTx)}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
