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
 */
import { randomBytes } from "node:crypto";
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
/** Sessions kept at most: beyond, expired ones are pruned, then the oldest evicted. */
const MAX_SESSIONS = 100_000;

export class SessionStore {
  private readonly challenges = new Map<bigint, Challenge>();
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly ttlMs: number) {}

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
    if (this.sessions.size >= MAX_SESSIONS) {
      this.prune(nowMs);
      const oldest = this.sessions.keys().next().value;
      if (this.sessions.size >= MAX_SESSIONS && oldest !== undefined) this.sessions.delete(oldest);
    }
    const session = { token: randomBytes(32).toString("base64url"), accountId, expiresAt: nowMs + this.ttlMs };
    this.sessions.set(session.token, session);
    return session;
  }

  /** The session of a bearer token; throws UNAUTHORIZED. */
  check(token: string | undefined, nowMs: number): Session {
    const s = token === undefined ? undefined : this.sessions.get(token);
    if (s === undefined || s.expiresAt < nowMs) {
      if (s !== undefined) this.sessions.delete(s.token);
      throw new SequencerError(
        "UNAUTHORIZED",
        "missing, unknown or expired session token: sign a challenge at /v1/auth/challenge and /v1/auth/session",
      );
    }
    return s;
  }

  private prune(nowMs: number): void {
    for (const [k, c] of this.challenges) if (c.expiresAt < nowMs) this.challenges.delete(k);
    for (const [k, s] of this.sessions) if (s.expiresAt < nowMs) this.sessions.delete(k);
  }
}
