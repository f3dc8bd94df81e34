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
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { SequencerError } from "../errors.ts";

interface Challenge {
  readonly accountId: bigint;
  readonly expiresAt: number;
}

export interface Session {
  readonly token: string;
  readonly accountId: bigint;
  /** Unix milliseconds. */
  readonly expiresAt: number;
}

const CHALLENGE_TTL_MS = 60_000;
const MAX_CHALLENGES = 50_000;
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
  private readonly challenges = new Map<bigint, Challenge>();

  /** @param key signs the tokens (default: a fresh random key, valid for this process's life) */
  constructor(
    private readonly ttlMs: number,
    readonly key: SessionKey = new SessionKey(),
  ) {}

  /** A fresh one-time challenge for `accountId`. */
  challenge(accountId: bigint, nowMs: number): { challenge: bigint; expiresAt: number } {
    this.prune(nowMs);
    if (this.challenges.size >= MAX_CHALLENGES) {
      const oldest = this.challenges.keys().next().value;
      if (oldest !== undefined) this.challenges.delete(oldest);
    }
    const challenge = BigInt("0x" + randomBytes(31).toString("hex"));
    const expiresAt = nowMs + CHALLENGE_TTL_MS;
    this.challenges.set(challenge, { accountId, expiresAt });
    return { challenge, expiresAt };
  }

  /** Consumes a challenge; throws UNAUTHORIZED when unknown, expired or for another account. */
  consume(accountId: bigint, challenge: bigint, nowMs: number): void {
    const c = this.challenges.get(challenge);
    this.challenges.delete(challenge);
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

  private prune(nowMs: number): void {
    for (const [k, c] of this.challenges) if (c.expiresAt < nowMs) this.challenges.delete(k);
  }
}
