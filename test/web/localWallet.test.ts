/**
 * web/lib/localWallet.ts, the in-page wallet of the development-account connector and of the
 * browser tests, against a real Hardhat node: it shows no account before a connection, signs
 * messages and typed data that recover to its address, signs and sends a transaction itself
 * (the node only relays the raw transaction), refuses other accounts, other chains and
 * unsupported methods with EIP-1193 codes, and forwards the node's own errors with their code.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  createPublicClient,
  defineChain,
  http,
  keccak256,
  recoverMessageAddress,
  recoverTypedDataAddress,
  toHex,
} from "viem";
import type { Hex } from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { DEV_MNEMONIC } from "../../scripts/demo/devAccounts.ts";
import { startChain } from "../../scripts/demo/stack.ts";
import { stopProcess, type Managed } from "../../scripts/demo/processes.ts";
import {
  ProviderRpcError,
  UNAUTHORIZED,
  UNRECOGNIZED_CHAIN,
  UNSUPPORTED_METHOD,
  localWalletProvider,
} from "../../web/lib/localWallet.ts";

/**
 * The wallet's key: NOT one of the node's unlocked development accounts, so a transaction the node
 * accepts from it can only have been signed by the wallet. A throwaway test key, funded with
 * `hardhat_setBalance` on the test's own node only.
 */
const OWN = privateKeyToAccount(keccak256(toHex("tessera local wallet test key")));
/** Development account 8. DEVELOPMENT KEY ONLY. */
const OTHER = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 8 });

const port = 24_545 + (process.pid % 1000);
const rpcUrl = `http://127.0.0.1:${port}`;
const chain = defineChain({ ...hardhat, rpcUrls: { default: { http: [rpcUrl] } } });
let node: Managed | null = null;

before(async () => {
  node = await startChain(port);
  await rpc("hardhat_setBalance", [OWN.address, toHex(10n ** 18n)]);
});

/** One JSON-RPC call straight to the node. */
async function rpc(method: string, params: readonly unknown[]): Promise<unknown> {
  const response = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}
after(async () => {
  if (node !== null) await stopProcess(node);
});

const wallet = () => localWalletProvider({ account: () => OWN, chain });

async function rejects(promise: Promise<unknown>, code: number): Promise<ProviderRpcError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof ProviderRpcError, `a ProviderRpcError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected an error with code ${code}`);
}

describe("the in-page wallet", () => {
  test("no account until the page connects, then its own; chain id of its chain", async () => {
    const w = wallet();
    const seen: unknown[] = [];
    w.on("accountsChanged", (accounts) => seen.push(accounts));
    assert.deepEqual(await w.request({ method: "eth_accounts" }), []);
    await rejects(w.request({ method: "personal_sign", params: [toHex("hi"), OWN.address] }), UNAUTHORIZED);
    assert.deepEqual(await w.request({ method: "eth_requestAccounts" }), [OWN.address]);
    assert.deepEqual(await w.request({ method: "eth_accounts" }), [OWN.address]);
    assert.deepEqual(seen, [[OWN.address]]);
    assert.equal(await w.request({ method: "eth_chainId" }), toHex(hardhat.id));
    await w.request({ method: "wallet_revokePermissions", params: [{ eth_accounts: {} }] });
    assert.deepEqual(await w.request({ method: "eth_accounts" }), []);
  });

  test("signs messages and typed data in the page; refuses another account's", async () => {
    const w = wallet();
    await w.request({ method: "wallet_requestPermissions", params: [{ eth_accounts: {} }] });
    const message = toHex("Tessera trading key v1");
    const signature = (await w.request({ method: "personal_sign", params: [message, OWN.address] })) as Hex;
    assert.equal(await recoverMessageAddress({ message: { raw: message }, signature }), OWN.address);
    await rejects(w.request({ method: "personal_sign", params: [message, OTHER.address] }), UNAUTHORIZED);

    const typed = {
      domain: { name: "Tessera", chainId: hardhat.id },
      types: { Note: [{ name: "text", type: "string" }] },
      primaryType: "Note",
      message: { text: "hello" },
    } as const;
    const typedSignature = (await w.request({
      method: "eth_signTypedData_v4",
      params: [OWN.address, JSON.stringify(typed)],
    })) as Hex;
    assert.equal(await recoverTypedDataAddress({ ...typed, signature: typedSignature }), OWN.address);
  });

  test("signs and sends a transaction itself; the node only relays it", async () => {
    const w = wallet();
    await w.request({ method: "eth_requestAccounts" });
    const client = createPublicClient({ chain, transport: http(rpcUrl) });
    const before = await client.getBalance({ address: OTHER.address });
    const hash = (await w.request({
      method: "eth_sendTransaction",
      params: [{ from: OWN.address, to: OTHER.address, value: toHex(12_345n) }],
    })) as Hex;
    const receipt = await client.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, "success");
    assert.equal(receipt.from.toLowerCase(), OWN.address.toLowerCase());
    assert.equal(await client.getBalance({ address: OTHER.address }), before + 12_345n);
    // The node holds no key for OWN: it could only relay a transaction the wallet signed.
    assert.ok(!((await rpc("eth_accounts", [])) as string[]).includes(OWN.address.toLowerCase()));

    await rejects(
      w.request({ method: "eth_sendTransaction", params: [{ from: OTHER.address, to: OWN.address, value: "0x1" }] }),
      UNAUTHORIZED,
    );
  });

  test("other chains and unsupported methods get EIP-1193 codes; node errors keep theirs", async () => {
    const w = wallet();
    assert.equal(
      await w.request({ method: "wallet_switchEthereumChain", params: [{ chainId: toHex(hardhat.id) }] }),
      null,
    );
    await rejects(
      w.request({ method: "wallet_switchEthereumChain", params: [{ chainId: "0x1" }] }),
      UNRECOGNIZED_CHAIN,
    );
    await rejects(w.request({ method: "eth_sign", params: [OWN.address, "0x00"] }), UNSUPPORTED_METHOD);
    const e = await rejects(w.request({ method: "eth_getBalance", params: ["not an address", "latest"] }), -32602);
    assert.match(e.message, /.+/);
  });
});
