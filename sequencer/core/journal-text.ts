/**
 * The journal's text for what every order makes: the `place` command's body and its outcome's
 * digest, written field by field. `toJson` calls its replacer once per value of the document,
 * which was 15 % of the core's time per command (docs/benchmarks.md, "The builder's verifier
 * fed, the core's gate and its journal text"); these write the same text without it.
 *
 * - `placeCommandJson` is the document `toJson` writes for a `place` command whose objects have
 *   the fields of their types in the order of the types; the journal reads it back with
 *   `commandSchema`, so what matters is that it parses to the same command, and
 *   test/sequencer/journal-text.test.ts checks both the text and the parse.
 * - `placedDigest` is exactly `toJson(placedDigestValue(result))`: a replay compares the digest
 *   it computes with the journaled text, so the two must agree byte for byte, on old journals
 *   too.
 */
import type { Command } from "./commands.ts";
import type { PlaceResult } from "./engine/engine.ts";

type PlaceCommand = Extract<Command, { readonly kind: "place" }>;

/** True when T has exactly the keys K: a type that gains a field fails to compile here. */
type HasExactly<T, K extends keyof T> = [Exclude<keyof T, K>] extends [never] ? true : false;
type Order = PlaceCommand["order"]["order"];
type Signature = PlaceCommand["order"]["signature"];
type PublicKey = PlaceCommand["order"]["publicKey"];
const FIELDS_COVERED: [
  HasExactly<PlaceCommand, "kind" | "order" | "clientOrderId" | "group">,
  HasExactly<PlaceCommand["order"], "order" | "signature" | "publicKey">,
  HasExactly<Order, "accountId" | "instrument" | "side" | "size" | "price" | "orderId" | "expiry" | "flags">,
  HasExactly<Signature, "R8x" | "R8y" | "S">,
  HasExactly<PublicKey, "x" | "y">,
] = [true, true, true, true, true];
void FIELDS_COVERED;

/** A JSON string or null, as `JSON.stringify` writes it. */
function stringOrNull(s: string | null): string {
  return s === null ? "null" : JSON.stringify(s);
}

/** `toJson(command)` for a `place` command (bigints as decimal strings). */
export function placeCommandJson(command: PlaceCommand): string {
  const o = command.order.order;
  const s = command.order.signature;
  const k = command.order.publicKey;
  // `group` is optional: absent (undefined) is left out, as JSON.stringify leaves it out.
  const group = command.group === undefined ? "" : `,"group":${stringOrNull(command.group)}`;
  return (
    `{"kind":"place","order":{"order":{"accountId":"${o.accountId}","instrument":"${o.instrument}",` +
    `"side":${o.side},"size":"${o.size}","price":"${o.price}","orderId":"${o.orderId}",` +
    `"expiry":"${o.expiry}","flags":"${o.flags}"},"signature":{"R8x":"${s.R8x}","R8y":"${s.R8y}",` +
    `"S":"${s.S}"},"publicKey":{"x":"${k.x}","y":"${k.y}"}},"clientOrderId":${stringOrNull(command.clientOrderId)}${group}}`
  );
}

/** What the digest of a placed order records: enough to detect any divergence on replay. */
export function placedDigestValue(r: PlaceResult) {
  return {
    s: r.status,
    f: r.fills.map((f) => [f.tradeId, f.size, f.price, f.makerAccount, f.makerOrderId, f.batch, f.slot]),
    c: r.cancelled.map((c) => [c.order.accountId, c.order.orderId, c.reason]),
    r: r.remaining,
    e: r.rejection?.code ?? null,
  };
}

/** `toJson(placedDigestValue(r))`, byte for byte. */
export function placedDigest(r: PlaceResult): string {
  let fills = "";
  for (const f of r.fills) {
    if (fills !== "") fills += ",";
    fills += `["${f.tradeId}","${f.size}","${f.price}","${f.makerAccount}","${f.makerOrderId}","${f.batch}",${JSON.stringify(f.slot)}]`;
  }
  let cancelled = "";
  for (const c of r.cancelled) {
    if (cancelled !== "") cancelled += ",";
    cancelled += `["${c.order.accountId}","${c.order.orderId}",${JSON.stringify(c.reason)}]`;
  }
  return `{"s":${JSON.stringify(r.status)},"f":[${fills}],"c":[${cancelled}],"r":"${r.remaining}","e":${stringOrNull(r.rejection?.code ?? null)}}`;
}
