/**
 * Browsers call the API cross-origin (the web app): preflights are answered, replies carry the
 * CORS headers, and a rate-limited reply exposes Retry-After to scripts.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startVenue } from "./helpers.ts";

let venue: Awaited<ReturnType<typeof startVenue>>;

before(async () => {
  venue = await startVenue();
});

after(async () => {
  await venue.cleanup();
});

test("a CORS preflight for an authenticated order request is allowed", async () => {
  const res = await fetch(`${venue.service.url}/v1/orders`, {
    method: "OPTIONS",
    headers: {
      origin: "http://127.0.0.1:3000",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type",
    },
  });
  assert.ok(res.status === 204 || res.status === 200, `preflight status ${res.status}`);
  assert.equal(res.headers.get("access-control-allow-origin"), "http://127.0.0.1:3000");
  const allowed = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase();
  assert.ok(allowed.includes("authorization") && allowed.includes("content-type"), allowed);
});

test("replies to a cross-origin read carry the allow-origin header and expose Retry-After", async () => {
  const res = await fetch(`${venue.service.url}/v1/instruments`, { headers: { origin: "http://localhost:3000" } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("access-control-allow-origin"), "http://localhost:3000");
  assert.match(res.headers.get("access-control-expose-headers") ?? "", /retry-after/i);
});
