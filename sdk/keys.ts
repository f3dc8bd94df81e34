/**
 * Trading keys for the SDK (docs/protocol.md §2): derived from one wallet signature of
 * `KEY_MESSAGE_V1`, so nothing needs storing. Signing uses protocol/'s fast EdDSA-Poseidon
 * (`signFast`, byte-identical to circomlibjs).
 *
 * Accepted wallets: an ethers v6 `Signer` (e.g. `Wallet`, `JsonRpcSigner`), a viem `Account`
 * with `signMessage` (e.g. `privateKeyToAccount`), or a viem `WalletClient` with an account.
 */
import type { Signer } from "ethers";
import type { Account as ViemAccount, WalletClient } from "viem";
import { publicKeyFast, signFast } from "../protocol/eddsa-fast.ts";
import { KEY_MESSAGE_V1, pkHash, tradingKeyFromSignatureHex } from "../protocol/keys.ts";
import type { PrivateKey } from "../protocol/keys.ts";
import { initPoseidon } from "../protocol/poseidon.ts";
import { orderHash } from "../protocol/signing.ts";
import type { Order, PublicKey, Signature, SignedOrder } from "../protocol/types.ts";
import { sessionMessage } from "../protocol/signing.ts";
import { TesseraSdkError } from "./errors.ts";

/** A wallet that can sign `KEY_MESSAGE_V1` with EIP-191 `personal_sign`. */
export type KeyWallet = Signer | ViemAccount | WalletClient;

function isEthersSigner(w: KeyWallet): w is Signer {
  return "getAddress" in w && typeof w.getAddress === "function" && "provider" in w;
}

function isWalletClient(w: KeyWallet): w is WalletClient {
  return "transport" in w && "request" in w;
}

/** The wallet's 65-byte signature of `KEY_MESSAGE_V1`, as 0x-prefixed hex. */
async function signKeyMessage(wallet: KeyWallet): Promise<string> {
  if (isEthersSigner(wallet)) return wallet.signMessage(KEY_MESSAGE_V1);
  if (isWalletClient(wallet)) {
    const account = wallet.account;
    if (account === undefined) throw new TesseraSdkError("the viem WalletClient has no account: create it with one");
    return wallet.signMessage({ account, message: KEY_MESSAGE_V1 });
  }
  if (wallet.signMessage === undefined) {
    throw new TesseraSdkError("this viem account cannot sign messages: use a local account or a WalletClient");
  }
  return wallet.signMessage({ message: KEY_MESSAGE_V1 });
}

/** A Baby Jubjub trading key: signs orders and session challenges for one deployment. */
export class TradingKey {
  readonly publicKey: PublicKey;
  /** `H(Ax, Ay)`: what the account leaf stores and a deposit registers. */
  readonly pkHash: bigint;

  private constructor(private readonly privateKey: PrivateKey) {
    this.publicKey = publicKeyFast(privateKey);
    this.pkHash = pkHash(this.publicKey);
  }

  /** The key of a 32-byte private key (e.g. one kept in a secret store). */
  static async fromPrivateKey(privateKey: Uint8Array): Promise<TradingKey> {
    if (privateKey.length !== 32) throw new TesseraSdkError(`a trading key is 32 bytes, got ${privateKey.length}`);
    await initPoseidon();
    return new TradingKey(privateKey.slice());
  }

  /** The key of a 0x-prefixed 64-hex-digit private key. */
  static async fromHex(hex: string): Promise<TradingKey> {
    const body = hex.startsWith("0x") ? hex.slice(2) : hex;
    if (!/^[0-9a-fA-F]{64}$/.test(body)) throw new TesseraSdkError("a trading key is 32 bytes of hex (64 digits)");
    return TradingKey.fromPrivateKey(Uint8Array.from(Buffer.from(body, "hex")));
  }

  /** Derives the key from one wallet signature of `KEY_MESSAGE_V1` (deterministic per wallet). */
  static async fromWallet(wallet: KeyWallet): Promise<TradingKey> {
    return TradingKey.fromPrivateKey(tradingKeyFromSignatureHex(await signKeyMessage(wallet)));
  }

  /** The private key as 0x-prefixed hex, for a secret store (the bot's `--key`). */
  exportHex(): string {
    return "0x" + Buffer.from(this.privateKey).toString("hex");
  }

  /** Signs `order` for the deployment `domain` (from `GET /v1/status`). */
  signOrder(order: Order, domain: bigint): SignedOrder {
    return { order, signature: signFast(this.privateKey, orderHash(order, domain)), publicKey: this.publicKey };
  }

  /** Signs a session challenge of `accountId` (sequencer/intake/sessions.ts). */
  signChallenge(domain: bigint, accountId: bigint, challenge: bigint): Signature {
    return signFast(this.privateKey, sessionMessage(domain, accountId, challenge));
  }
}
