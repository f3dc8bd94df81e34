/**
 * A real proof on chain: a `test`-profile batch built by protocol/ (a deposit and a signed
 * withdrawal), proven with snarkjs against the circuit of scripts/zk, packed with `packProof`,
 * and accepted by `submitBatch` through the generated `TestVerifier`, whose one public input is
 * the sha256 commitment. Also checks that the contract's public data and commitment equal
 * protocol/'s and snarkjs's one public signal, and that the same proof fails once replayed or
 * with tampered public data.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { expect } from "chai";
import { network } from "hardhat";
import type { Contract } from "ethers";
import * as snarkjs from "snarkjs";
import { BatchBuilder, l1Calldata } from "../../protocol/batch.ts";
import { toCircuitInput } from "../../protocol/circuitInput.ts";
import { KEY_MESSAGE_V1, pkHash, publicKeyOf, tradingKeyFromSignatureHex } from "../../protocol/keys.ts";
import { initPoseidon } from "../../protocol/poseidon.ts";
import { packProof } from "../../protocol/proof.ts";
import { packSlots, unpackSlots } from "../../protocol/pubdata.ts";
import { rebuildState } from "../../protocol/rebuild.ts";
import type { Groth16ProofJson } from "../../protocol/proof.ts";
import { signOrder, withdrawalOrder } from "../../protocol/signing.ts";
import { RollupState } from "../../protocol/state.ts";
import { TxType } from "../../protocol/types.ts";
import { deployTessera } from "../../scripts/deploy.ts";
import { ensureProfileBuilt } from "../../scripts/zk/build.ts";
import { releaseCurve } from "../../scripts/zk/ptau.ts";
import { ETH_ANSWER, BTC_ANSWER, MAX_ORACLE_AGE, FORCED_DEADLINE, PROFILE, latestPrices, now } from "./fixtures.ts";

const { ethers } = await network.create();

describe("real proof", () => {
  before(async () => {
    await initPoseidon();
  });
  // snarkjs leaves BN254 worker threads running; they would keep the test process alive.
  after(releaseCurve);

  it("test_submitBatch_realProof: a snarkjs proof of a protocol/ batch verifies on chain through TestVerifier", async () => {
    const built = await ensureProfileBuilt(PROFILE.name, { quiet: true });
    const [admin, operator, alice, feeOwner, insuranceOwner] = await ethers.getSigners();
    const keyOf = async (s: typeof admin) => tradingKeyFromSignatureHex(await s!.signMessage(KEY_MESSAGE_V1));
    const [feeKey, insuranceKey, aliceKey] = await Promise.all([keyOf(feeOwner), keyOf(insuranceOwner), keyOf(alice)]);
    const system = {
      feeAccount: { pkHash: pkHash(publicKeyOf(feeKey)), owner: BigInt(feeOwner!.address) },
      insurance: { pkHash: pkHash(publicKeyOf(insuranceKey)), owner: BigInt(insuranceOwner!.address) },
    };
    const state = RollupState.genesis(PROFILE, system);
    const d = await deployTessera(ethers, {
      profile: PROFILE,
      genesisStateRoot: state.stateRoot,
      feeAccount: { owner: feeOwner!.address, pkHash: system.feeAccount.pkHash },
      insuranceFund: { owner: insuranceOwner!.address, pkHash: system.insurance.pkHash },
      operator: operator!.address,
      admin: admin!.address,
      maxOracleAge: MAX_ORACLE_AGE,
      forcedRequestDeadline: FORCED_DEADLINE,
      initialAnswers: [ETH_ANSWER, BTC_ANSWER],
      deployer: admin!,
    }); // no verifier given: deploys the generated TestVerifier
    const rollup = d.rollup.connect(alice!) as Contract;
    const usdc = d.collateral;
    const amount = 25_000_000n;
    await (await usdc.getFunction("mint")(alice!.address, amount)).wait();
    await (await (usdc.connect(alice!) as Contract).getFunction("approve")(await rollup.getAddress(), amount)).wait();
    const alicePk = pkHash(publicKeyOf(aliceKey));
    await (await rollup.getFunction("registerAndDeposit")(alicePk, amount)).wait();

    const { prices, roundIds } = await latestPrices(d.feeds);
    const t = await now(ethers);
    const ctx = { timestamp: t, domain: d.domain, prices, settlements: [] };
    const builder = new BatchBuilder(state, ctx);
    builder.add({ type: TxType.DEPOSIT, accountId: 2n, owner: BigInt(alice!.address), pkHash: alicePk, amount });
    const withdrawal = signOrder(aliceKey, withdrawalOrder(2n, 10_000_000n, 1n, t + 3600n), d.domain);
    builder.add({ type: TxType.WITHDRAW, withdrawal });
    const batch = builder.close();

    const { proof, publicSignals } = await snarkjs.groth16.fullProve(toCircuitInput(batch), built.wasm, built.zkey);
    assert.deepEqual(publicSignals.map(BigInt), [batch.commitment]);
    assert.deepEqual(batch.publicInputs, [batch.commitment]);
    const packed = packProof(proof as Groth16ProofJson);
    const { header, slots } = l1Calldata(batch, { priceRoundIds: roundIds, settlementRoundIds: [] });
    const onChain = (await d.rollup.getFunction("publicData")(header, slots)) as bigint[];
    assert.deepEqual([...onChain], batch.publicData);
    assert.equal(await d.rollup.getFunction("commitment")(header, slots), batch.commitment);

    const asOperator = d.rollup.connect(operator!) as Contract;
    // Tampered public data: a bigger withdrawal than the one proven.
    const tampered = unpackSlots(slots);
    tampered[2] = tampered[2]! + (1n << 28n); // the withdrawal amount, at bit 28
    await expect(
      asOperator.getFunction("submitBatch")(header, packSlots(tampered), [...packed]),
    ).to.be.revertedWithCustomError(d.rollup, "InvalidProof");
    const tx = asOperator.getFunction("submitBatch")(header, slots, [...packed]);
    await expect(tx).to.emit(d.rollup, "BatchVerified").withArgs(1n, batch.oldStateRoot, batch.newStateRoot, t, 1n);
    const receipt = await (await tx).wait();
    console.log(`real proof: submitBatch (test profile, TestVerifier) used ${receipt.gasUsed} gas`);
    assert.equal(await d.rollup.getFunction("stateRoot")(), state.stateRoot);
    // Determinism: the proved batch rebuilt from its L1 calldata alone gives the root L1 holds.
    const rebuilt = rebuildState(
      RollupState.genesis(PROFILE, system),
      [{ header, slots: unpackSlots(slots) }],
      d.domain,
    );
    assert.equal(rebuilt.stateRoot, await d.rollup.getFunction("stateRoot")());
    assert.equal(await d.rollup.getFunction("claimable")(alice!.address), 10_000_000n);
    // Replayed: the commitment now hashes the new root as the old one, so the same proof fails.
    await expect(asOperator.getFunction("submitBatch")(header, slots, [...packed])).to.be.revertedWithCustomError(
      d.rollup,
      "InvalidProof",
    );
  });
});
