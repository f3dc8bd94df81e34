pragma circom 2.1.6;

// The Tessera batch circuit (docs/protocol.md §8, docs/circuits.md).
//
// One public input, `commitment` (§8): sha256 of the batch's public data, serialized at fixed
// widths (lib/commitment.circom), with its top 3 bits cleared. The public data, laid out as §8:
//   [0] oldStateRoot  [1] newStateRoot  [2] t  [3] domain  [4..4+U) prices (cents)
//   [4+U..4+U+K) settlement records  u | expiry<<8 | price<<40   (0 = unused)
//   [4+U+K..4+U+K+I) instrument table: the instruments trades and liquidations name by index
//   [4+U+K+I+2j], [+1]  deposit record j: owner, pkHash of the j-th deposit slot (0, 0 = unused)
//   [4+U+K+I+2D+2i], [+1]  f0, f1 of slot i
// is a private input `publicData` (what L1 posts in calldata); the circuit checks each computed
// word (old and new root, every f0/f1) against it, and hashes what it computed.
// Private inputs: the state before the batch (account root and global state preimage) and,
// per slot, the transaction parameters, accounts A and B with their Merkle paths, and the two
// orders with their order-tree leaves (protocol/circuitInput.ts maps a protocol Batch to them).

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "lib/range.circom";
include "lib/commitment.circom";
include "lib/deposits.circom";
include "tx.circom";

template Batch(nTx, accountDepth, orderDepth, P, U, K, I, D, fundingInterval) {
    // D > nTx only wastes records (slot-prod measures prod's D at nTx 1 and 2); protocol/ keeps D ≤ nTx.
    assert(D >= 1);
    var nPub = 4 + U + K + I + 2 * D + 2 * nTx;
    var INST = 4 + U + K;         // first instrument-table word
    var REC = INST + I;           // first deposit record word
    var SLOTS = REC + 2 * D;      // first slot word
    // The one public input: 253 bits (PublicCommitment).
    signal input commitment;
    // The public data L1 hashes (§8); t: 32 bits, prices: 40 bits, settlement records: 80 bits,
    // instrument-table entries: 88 bits, deposit owners: 160 bits, f0: 128 bits, f1: 64 bits,
    // range-checked below and by the commitment's fixed widths.
    signal input publicData[nPub];

    // State before the batch.  feePool0: 64 bits; funding0: signed 56; lastFunding0: 32 bits
    // (bound by oldStateRoot to a state whose fields were checked when they were written).
    signal input accountRoot0;
    // Account 1 (the insurance fund) in the account tree before the batch: its owner and key
    // (fixed at genesis) define the insurance fund's accounts (§4.1).  insOwner: 160 bits.
    signal input insPkHash;
    signal input insOwner;
    signal input insCollateral;
    signal input insOrderRoot;
    signal input insPositionsHash;
    signal input insSiblings[3 * accountDepth \ 2];
    signal input feePool0;
    signal input funding0[U];
    signal input lastFunding0[U];

    // Per-slot transaction parameters (TxParams in tx.circom).
    signal input txType[nTx];
    signal input amount[nTx];
    signal input fillSize[nTx];
    signal input fillPrice[nTx];
    signal input instIdx[nTx];
    signal input underlying[nTx];
    signal input delta[nTx];
    signal input instrument[nTx];
    signal input flag[nTx];
    signal input served[nTx];
    signal input settleIdx[nTx];
    signal input posSlotA[nTx];
    signal input posSlotB[nTx];

    // Accounts A and B before each slot (AccountWitness in tx.circom).
    signal input aId[nTx];
    signal input aPkHash[nTx];
    signal input aOwner[nTx];
    signal input aCollateral[nTx];
    signal input aOrderRoot[nTx];
    signal input aPosInst[nTx][P];
    signal input aPosSize[nTx][P];
    signal input aPosCost[nTx][P];
    signal input aSiblings[nTx][3 * accountDepth \ 2];
    signal input bId[nTx];
    signal input bPkHash[nTx];
    signal input bOwner[nTx];
    signal input bCollateral[nTx];
    signal input bOrderRoot[nTx];
    signal input bPosInst[nTx][P];
    signal input bPosSize[nTx][P];
    signal input bPosCost[nTx][P];
    signal input bSiblings[nTx][3 * accountDepth \ 2];

    // Orders A and B (OrderWitness in tx.circom); all zero when the slot has none.
    signal input oaInstrument[nTx];
    signal input oaSide[nTx];
    signal input oaSize[nTx];
    signal input oaPrice[nTx];
    signal input oaOrderId[nTx];
    signal input oaExpiry[nTx];
    signal input oaFlags[nTx];
    signal input oaAx[nTx];
    signal input oaAy[nTx];
    signal input oaR8x[nTx];
    signal input oaR8y[nTx];
    signal input oaS[nTx];
    signal input oaStoredId[nTx];
    signal input oaStoredFilled[nTx];
    signal input oaSiblings[nTx][3 * orderDepth \ 2];
    signal input obInstrument[nTx];
    signal input obSide[nTx];
    signal input obSize[nTx];
    signal input obPrice[nTx];
    signal input obOrderId[nTx];
    signal input obExpiry[nTx];
    signal input obFlags[nTx];
    signal input obAx[nTx];
    signal input obAy[nTx];
    signal input obR8x[nTx];
    signal input obR8y[nTx];
    signal input obS[nTx];
    signal input obStoredId[nTx];
    signal input obStoredFilled[nTx];
    signal input obSiblings[nTx][3 * orderDepth \ 2];

    // ---- batch context: t, domain, prices, settlement records --------------------------------
    BatchEnv(U, K, I) env;
    env.t <== publicData[2];
    env.domain <== publicData[3];
    RangeCheck(32)(env.t);
    for (var u = 0; u < U; u++) {
        env.prices[u] <== publicData[4 + u];
        RangeCheck(40)(env.prices[u]);
    }
    signal recBits[K][80];
    signal recKey[K];
    signal recZero[K];
    for (var k = 0; k < K; k++) {
        recBits[k] <== Num2Bits(80)(publicData[4 + U + k]);
        var ru = 0;
        for (var i = 0; i < 8; i++) { ru += recBits[k][i] * (1 << i); }
        var re = 0;
        for (var i = 0; i < 32; i++) { re += recBits[k][8 + i] * (1 << i); }
        var rp = 0;
        for (var i = 0; i < 40; i++) { rp += recBits[k][40 + i] * (1 << i); }
        env.settleU[k] <== ru;
        env.settleExpiry[k] <== re;
        env.settlePrice[k] <== rp;
        recKey[k] <== ru + re * (1 << 8);
        recZero[k] <== IsZero()(publicData[4 + U + k]);
    }
    // Canonical records (findings F1, F9): every record after a zero one is zero, and the keys
    // `underlying + expiry·2^8` of the others strictly increase, so a series has one record and a
    // slot's record index is fixed by its instrument.
    signal recBothOn[K];
    signal recOrdered[K];
    for (var k = 1; k < K; k++) {
        recZero[k - 1] * (1 - recZero[k]) === 0;                                       // BAD_CONTEXT: record after a zero one
        recBothOn[k] <== 1 - recZero[k];
        recOrdered[k] <== SafeLessThan(41)(recKey[k - 1], recKey[k]);
        recBothOn[k] * (1 - recOrdered[k]) === 0;                                       // BAD_CONTEXT: records out of order
    }
    // The instrument table (§8): any 88-bit words (the commitment's width); a slot that names an
    // entry proves it is the instrument it trades or liquidates.
    for (var j = 0; j < I; j++) env.instruments[j] <== publicData[INST + j];
    // Account 1's leaf against the old account root: env.insOwner and env.insPkHash.
    signal insBits[accountDepth] <== IndexBits(accountDepth)(1);
    signal insLeaf <== Poseidon(5)([insPkHash, insOwner, insCollateral, insOrderRoot, insPositionsHash]);
    signal insRoot <== MerkleRoot(accountDepth)(insLeaf, insBits, insSiblings);
    insRoot === accountRoot0;                                                          // OLD_ROOT: insurance fund leaf
    // Account 1 is registered at genesis (its key is never 0), so no unregistered leaf matches.
    signal insKeyInv <-- insPkHash != 0 ? 1 / insPkHash : 0;
    insPkHash * insKeyInv === 1;
    env.insOwner <== insOwner;
    env.insPkHash <== insPkHash;

    // ---- old state root ------------------------------------------------------------------------
    signal globalPre0[1 + 2 * U];
    globalPre0[0] <== feePool0;
    for (var u = 0; u < U; u++) {
        globalPre0[1 + u] <== funding0[u];
        globalPre0[1 + U + u] <== lastFunding0[u];
    }
    signal globalHash0 <== Poseidon(1 + 2 * U)(globalPre0);
    signal oldStateRoot <== Poseidon(2)([accountRoot0, globalHash0]);
    publicData[0] === oldStateRoot;  // OLD_ROOT

    // ---- deposit records (§8): the k-th deposit slot takes record k (lib/deposits.circom) -------
    signal isDep[nTx];
    for (var i = 0; i < nTx; i++) isDep[i] <== IsEqual()([txType[i], 1]);
    signal depOwner[D];
    signal depPkHash[D];
    for (var j = 0; j < D; j++) {
        depOwner[j] <== publicData[REC + 2 * j];
        depPkHash[j] <== publicData[REC + 2 * j + 1];
    }
    component records = DepositRecords(nTx, D);
    records.isDeposit <== isDep;
    records.owner <== depOwner;
    records.pkHash <== depPkHash;

    // ---- slots, chained: global state and account root -----------------------------------------
    component slot[nTx];
    for (var i = 0; i < nTx; i++) {
        slot[i] = TxSlot(accountDepth, orderDepth, P, U, K, I, fundingInterval);
        slot[i].env <== env;
        if (i == 0) {
            slot[i].rootBefore <== accountRoot0;
            slot[i].gBefore.feePool <== feePool0;
            slot[i].gBefore.funding <== funding0;
            slot[i].gBefore.lastFunding <== lastFunding0;
        } else {
            slot[i].rootBefore <== slot[i - 1].rootAfter;
            slot[i].gBefore <== slot[i - 1].gAfter;
        }
        slot[i].tx.txType <== txType[i];
        slot[i].tx.amount <== amount[i];
        slot[i].tx.owner <== records.slotOwner[i];
        slot[i].tx.pkHash <== records.slotPkHash[i];
        slot[i].tx.fillSize <== fillSize[i];
        slot[i].tx.fillPrice <== fillPrice[i];
        slot[i].tx.instIdx <== instIdx[i];
        slot[i].tx.underlying <== underlying[i];
        slot[i].tx.delta <== delta[i];
        slot[i].tx.instrument <== instrument[i];
        slot[i].tx.flag <== flag[i];
        slot[i].tx.served <== served[i];
        slot[i].tx.settleIdx <== settleIdx[i];
        slot[i].tx.posSlotA <== posSlotA[i];
        slot[i].tx.posSlotB <== posSlotB[i];

        slot[i].a.id <== aId[i];
        slot[i].a.pkHash <== aPkHash[i];
        slot[i].a.owner <== aOwner[i];
        slot[i].a.collateral <== aCollateral[i];
        slot[i].a.orderRoot <== aOrderRoot[i];
        slot[i].a.posInst <== aPosInst[i];
        slot[i].a.posSize <== aPosSize[i];
        slot[i].a.posCost <== aPosCost[i];
        slot[i].a.siblings <== aSiblings[i];
        slot[i].b.id <== bId[i];
        slot[i].b.pkHash <== bPkHash[i];
        slot[i].b.owner <== bOwner[i];
        slot[i].b.collateral <== bCollateral[i];
        slot[i].b.orderRoot <== bOrderRoot[i];
        slot[i].b.posInst <== bPosInst[i];
        slot[i].b.posSize <== bPosSize[i];
        slot[i].b.posCost <== bPosCost[i];
        slot[i].b.siblings <== bSiblings[i];

        slot[i].oa.instrument <== oaInstrument[i];
        slot[i].oa.side <== oaSide[i];
        slot[i].oa.size <== oaSize[i];
        slot[i].oa.price <== oaPrice[i];
        slot[i].oa.orderId <== oaOrderId[i];
        slot[i].oa.expiry <== oaExpiry[i];
        slot[i].oa.flags <== oaFlags[i];
        slot[i].oa.Ax <== oaAx[i];
        slot[i].oa.Ay <== oaAy[i];
        slot[i].oa.R8x <== oaR8x[i];
        slot[i].oa.R8y <== oaR8y[i];
        slot[i].oa.S <== oaS[i];
        slot[i].oa.storedId <== oaStoredId[i];
        slot[i].oa.storedFilled <== oaStoredFilled[i];
        slot[i].oa.siblings <== oaSiblings[i];
        slot[i].ob.instrument <== obInstrument[i];
        slot[i].ob.side <== obSide[i];
        slot[i].ob.size <== obSize[i];
        slot[i].ob.price <== obPrice[i];
        slot[i].ob.orderId <== obOrderId[i];
        slot[i].ob.expiry <== obExpiry[i];
        slot[i].ob.flags <== obFlags[i];
        slot[i].ob.Ax <== obAx[i];
        slot[i].ob.Ay <== obAy[i];
        slot[i].ob.R8x <== obR8x[i];
        slot[i].ob.R8y <== obR8y[i];
        slot[i].ob.S <== obS[i];
        slot[i].ob.storedId <== obStoredId[i];
        slot[i].ob.storedFilled <== obStoredFilled[i];
        slot[i].ob.siblings <== obSiblings[i];

        slot[i].f0 === publicData[SLOTS + 2 * i];  // PUBLIC_DATA
        slot[i].f1 === publicData[SLOTS + 2 * i + 1];  // PUBLIC_DATA
    }

    // ---- new state root ------------------------------------------------------------------------
    signal globalPreN[1 + 2 * U];
    globalPreN[0] <== slot[nTx - 1].gAfter.feePool;
    for (var u = 0; u < U; u++) {
        globalPreN[1 + u] <== slot[nTx - 1].gAfter.funding[u];
        globalPreN[1 + U + u] <== slot[nTx - 1].gAfter.lastFunding[u];
    }
    signal globalHashN <== Poseidon(1 + 2 * U)(globalPreN);
    signal newStateRoot <== Poseidon(2)([slot[nTx - 1].rootAfter, globalHashN]);
    publicData[1] === newStateRoot;  // NEW_ROOT

    // ---- the commitment: what the circuit computed, and the batch context ----------------------
    component commit = PublicCommitment(U, K, I, D, nTx, 1);
    commit.words[0] <== oldStateRoot;
    commit.words[1] <== newStateRoot;
    for (var j = 2; j < SLOTS; j++) commit.words[j] <== publicData[j];
    for (var i = 0; i < nTx; i++) {
        commit.words[SLOTS + 2 * i] <== slot[i].f0;
        commit.words[SLOTS + 2 * i + 1] <== slot[i].f1;
    }
    commitment === commit.out;  // COMMITMENT
}
