/**
 * Signed-challenge sessions for private reads, cancels and WebSocket streams.
 *
 * 1. `POST /v1/auth/challenge {accountId}` returns a random 248-bit challenge (valid 60 s, one use).
 * 2. The client signs `sessionMessage(domain, accountId, challenge)` (protocol/signing.ts) with its trading key
 *    (EdDSA-Poseidon, the same key as its orders) and posts it to `/v1/auth/session`.
 * 3. The venue checks the signature and that the key is the account's, and returns a bearer
 *    token valid for `ttlMs`.
 * The message has 4 Poseidon inputs where an order hash has 9, so a session signature can
 * never be replayed as an order and vice versa; the domain binds it to this deployment.
 *
 * A token carries its account and expiry with an HMAC-SHA256 under a key of this run
 * (`SessionKey`): any process holding the key checks a token without asking the venue (the
 * market-data process serves account reads with it), and the venue keeps no per-session state.
 * A restart draws a new key, so every session ends with the process, as before.
 *
 * Pending challenges (issued, not used, not expired) are the only state, and nobody can spend
 * another's: a client IP may hold `perIp` of them (TOO_MANY_CHALLENGES beyond, 429), and when
 * `max` are pending in all a new one is refused (OVERLOADED, 503, with the wait until the oldest
 * expires); a pending challenge is never evicted to make room. Issuing one costs O(1 + the
 * challenges that expired since the last call): they expire in the order they were issued, so
 * pruning stops at the first live one.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { SequencerError } from "../errors.ts";

interface Challenge {
  readonly accountId: bigint;
  readonly expiresAt: number;
  /** The client IP it was issued to (whose `perIp` allowance it uses while pending). */
  readonly ip: string;
}

/** Bounds of the pending challenges (docs/api.md "Authentication"). */
export interface ChallengeLimits {
  /** Challenges pending across every caller (`TESSERA_AUTH_MAX_CHALLENGES`). */
  readonly max: number;
  /** Challenges pending per client IP (`TESSERA_AUTH_CHALLENGES_PER_IP`). */
  readonly perIp: number;
}

export const DEFAULT_CHALLENGE_LIMITS: ChallengeLimits = { max: 50_000, perIp: 32 };

export interface Session {
  readonly token: string;
  readonly accountId: bigint;
  /** Unix milliseconds. */
  readonly expiresAt: number;
}

export const CHALLENGE_TTL_MS = 60_000;
const TOKEN_VERSION = "s1";

/**
 * The key that signs and checks session tokens: `s1.<accountId>.<expiresAt>.<nonce>.<mac>`, the
 * MAC an HMAC-SHA256 of everything before it. Pass `bytes` to share a key with another process.
 */
export class SessionKey {
  readonly bytes: Buffer;

  constructor(bytes: Uint8Array = randomBytes(32)) {
    if (bytes.length < 32) throw new Error("a session key has at least 32 bytes");
    this.bytes = Buffer.from(bytes);
  }

  private mac(body: string): Buffer {
    return createHmac("sha256", this.bytes).update(body).digest();
  }

  /** A token for `accountId` valid until `expiresAt` (unix ms). */
  sign(accountId: bigint, expiresAt: number): string {
    const body = `${TOKEN_VERSION}.${accountId}.${expiresAt}.${randomBytes(12).toString("base64url")}`;
    return `${body}.${this.mac(body).toString("base64url")}`;
  }

  /** The session a token stands for; throws UNAUTHORIZED when missing, forged or expired. */
  check(token: string | undefined, nowMs: number): Session {
    const parts = token?.split(".") ?? [];
    const session = ((): Session | null => {
      if (token === undefined || token.length > 200 || parts.length !== 5 || parts[0] !== TOKEN_VERSION) return null;
      const [, account, expiry, , mac] = parts as [string, string, string, string, string];
      if (!/^(0|[1-9]\d{0,15})$/.test(account) || !/^[1-9]\d{0,15}$/.test(expiry)) return null;
      const given = Buffer.from(mac, "base64url");
      const wanted = this.mac(parts.slice(0, 4).join("."));
      if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return null;
      return { token, accountId: BigInt(account), expiresAt: Number(expiry) };
    })();
    if (session === null || session.expiresAt < nowMs)
      throw new SequencerError(
        "UNAUTHORIZED",
        "missing, unknown or expired session token: sign a challenge at /v1/auth/challenge and /v1/auth/session",
      );
    return session;
  }
}

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer (\S+)$/.exec(header);
  return m === null ? undefined : m[1];
}

export class SessionStore {
  /** Pending challenges in the order they were issued (so in expiry order, the TTL being fixed). */
  private readonly challenges = new Map<bigint, Challenge>();
  /** Pending challenges per client IP (absent: none). */
  private readonly pendingByIp = new Map<string, number>();
  /** Challenges examined by pruning since the store was made (what issuing costs, for tests). */
  pruneVisits = 0;

  /**
   * @param key signs the tokens (default: a fresh random key, valid for this process's life)
   * @param limits bounds of the pending challenges
   */
  constructor(
    private readonly ttlMs: number,
    readonly key: SessionKey = new SessionKey(),
    readonly limits: ChallengeLimits = DEFAULT_CHALLENGE_LIMITS,
  ) {}

  /** Challenges pending (at most `limits.max`). */
  get pending(): number {
    return this.challenges.size;
  }

  /**
   * A fresh one-time challenge for `accountId`, issued to the client at `ip`. Throws
   * TOO_MANY_CHALLENGES when that IP holds `limits.perIp` pending, OVERLOADED when `limits.max`
   * are pending in all; a pending challenge is never evicted.
   */
  challenge(accountId: bigint, nowMs: number, ip: string): { challenge: bigint; expiresAt: number } {
    this.prune(nowMs);
    const mine = this.pendingByIp.get(ip) ?? 0;
    if (mine >= this.limits.perIp)
      throw new SequencerError(
        "TOO_MANY_CHALLENGES",
        `${mine} challenges issued to your address are pending, the most one address may hold: sign one at /v1/auth/session, or wait for them to expire (${CHALLENGE_TTL_MS / 1000} s after issue)`,
      );
    if (this.challenges.size >= this.limits.max) {
      const oldest = this.challenges.values().next().value;
      const waitMs = Math.max(1, (oldest?.expiresAt ?? nowMs) - nowMs + 1);
      const err = new SequencerError(
        "OVERLOADED",
        `the venue holds ${this.challenges.size} pending challenges, the most it keeps: retry in ${waitMs} ms`,
      );
      err.retryAfterMs = waitMs;
      throw err;
    }
    const challenge = BigInt("0x" + randomBytes(31).toString("hex"));
    const expiresAt = nowMs + CHALLENGE_TTL_MS;
    this.challenges.set(challenge, { accountId, expiresAt, ip });
    this.pendingByIp.set(ip, mine + 1);
    return { challenge, expiresAt };
  }

  /** Consumes a challenge; throws UNAUTHORIZED when unknown, expired or for another account. */
  consume(accountId: bigint, challenge: bigint, nowMs: number): void {
    const c = this.challenges.get(challenge);
    if (c !== undefined) this.remove(challenge, c);
    if (c === undefined || c.expiresAt < nowMs || c.accountId !== accountId)
      throw new SequencerError("UNAUTHORIZED", "unknown or expired challenge: request a new one");
  }

  open(accountId: bigint, nowMs: number): Session {
    const expiresAt = nowMs + this.ttlMs;
    return { token: this.key.sign(accountId, expiresAt), accountId, expiresAt };
  }

  /** The session of a bearer token; throws UNAUTHORIZED. */
  check(token: string | undefined, nowMs: number): Session {
    return this.key.check(token, nowMs);
  }

  /**
   * Drops the expired challenges from the head of the issue order, up to the first live one:
   * O(expired). (Were the clock to step back, a challenge behind a live head would wait for the
   * head to expire; `consume` checks each one's expiry anyway.)
   */
  private prune(nowMs: number): void {
    for (const [k, c] of this.challenges) {
      this.pruneVisits += 1;
      if (c.expiresAt >= nowMs) return;
      this.remove(k, c);
    }
  }

  private remove(key: bigint, c: Challenge): void {
    this.challenges.delete(key);
    const left = (this.pendingByIp.get(c.ip) ?? 1) - 1;
    if (left > 0) this.pendingByIp.set(c.ip, left);
    else this.pendingByIp.delete(c.ip);
  }
}
