/**
 * The key a client is counted under by every per-IP limit (request and authentication budgets,
 * pending challenges, HTTP and WebSocket connection caps): an IPv4 address as it is (an
 * IPv4-mapped IPv6 address, `::ffff:a.b.c.d`, read as its IPv4 address), an IPv6 address by its
 * /64 prefix. A single IPv6 host is routinely given a whole /64, so keying on the full address
 * would give one client 2^64 independent budgets. Anything that does not parse as an address
 * (a test's made-up label) is its own key.
 */
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/** IPv6 prefix length a client's addresses share (one subnet, one client). */
export const IPV6_CLIENT_PREFIX = 64;

const PREFIX_GROUPS = IPV6_CLIENT_PREFIX / 16;

/** Bound of the memo below: parsing is cheap, but a request-rate path should not repeat it. */
const CACHE_SIZE = 10_000;
const cache = new Map<string, string>();

function computeKey(ip: string): string {
  const family = isIP(ip);
  if (family === 4) return ip;
  if (family !== 6) return ip;
  const address = ipaddr.IPv6.parse(ip);
  if (address.isIPv4MappedAddress()) return address.toIPv4Address().toString();
  const groups = address.parts.slice(0, PREFIX_GROUPS).map((p) => p.toString(16));
  return `${groups.join(":")}::/${IPV6_CLIENT_PREFIX}`;
}

/** The per-IP limits' key of the remote address `ip` (see the header). */
export function clientKey(ip: string): string {
  let key = cache.get(ip);
  if (key === undefined) {
    key = computeKey(ip);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(ip, key);
  }
  return key;
}
