pragma circom 2.1.6;

// One batch slot: any transaction type, one-hot on txType (docs/protocol.md §6, §7).
// Account roles per type (fixed, docs/circuits.md):
//   no-op, funding: A = B = account 0 unchanged     deposit, withdraw, forced: A = the account
//   trade: A = maker, B = taker                     liquidation: A = an insurance fund account
//   settlement: A = the account, B = account 1      (published), B = liquidatee
//   fee sweep: A = fee account 0                   forced close: A = an insurance fund account
//                                                  (published), B = the requester
// B's Merkle proof is against the account root after A's update.

include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/bitify.circom";
include "lib/range.circom";
include "lib/select.circom";
include "lib/merkle.circom";
include "lib/account.circom";
include "lib/order.circom";
include "lib/instrument.circom";
include "lib/margin.circom";
include "lib/position.circom";

// Transaction type codes (§7).
function TX_NOOP() { return 0; }
function TX_DEPOSIT() { return 1; }
function TX_WITHDRAW() { return 2; }
function TX_FORCED() { return 3; }
function TX_TRADE() { return 4; }
function TX_LIQUIDATE() { return 5; }
function TX_FUNDING() { return 6; }
function TX_SETTLE() { return 7; }
function TX_SWEEP() { return 8; }
function TX_FORCED_CLOSE() { return 9; }

// Fee, penalty, band and funding-cap rates in basis points (§6.2; protocol/constants.ts).
function MAKER_FEE_BPS() { return 2; }
function TAKER_FEE_BPS() { return 5; }
function LIQ_PENALTY_BPS() { return 2000; }   // of the maintenance margin a liquidation releases
function FUND_BAND_BPS() { return 500; }      // insurance fund trades: |p − X| ≤ 5% of price[u]
function FUNDING_CAP_BPS() { return 10; }

// An account as the slot sees it before its update: leaf preimage and Merkle path.
// id: accountDepth bits (checked); owner: 160 bits; collateral: signed 64; pos*: see AccountLeaf.
bus AccountWitness(P, accountDepth) {
    signal id;
    signal pkHash;
    signal owner;
    signal collateral;
    signal orderRoot;
    signal posInst[P];
    signal posSize[P];
    signal posCost[P];
    signal siblings[3 * accountDepth \ 2];
}

// An order (or withdrawal message) with its signature, key and order-tree leaf before the fill.
// Fields as §5.1; widths checked in TxSlot and OrderTreeUpdate.  All zero when unused.
bus OrderWitness(orderDepth) {
    signal instrument;
    signal side;
    signal size;
    signal price;
    signal orderId;
    signal expiry;
    signal flags;
    signal Ax;
    signal Ay;
    signal R8x;
    signal R8y;
    signal S;
    signal storedId;
    signal storedFilled;
    signal siblings[3 * orderDepth \ 2];
}

// Per-slot transaction parameters (unused ones are 0).
//   amount: 56 bits (deposit, withdraw, forced `requested`, sweep);  owner: 160 bits, pkHash
//   (deposit): not free inputs but the batch's deposit record of the slot (Batch selects it, and
//   the commitment's 20-byte width range-checks the owner; 0 in every other slot);  fillSize:
//   32 bits in a trade (lots), 48 in a liquidation (the liquidated size);  fillPrice: 32 bits
//   (trade, ticks);  instIdx: [0, I), the trade's or liquidation's instrument-table entry (§8),
//   0 in every other type;
//   underlying: 1..U, delta: signed 56 (funding);  settleIdx: [0, K);  posSlotA/B: [0, P);
//   instrument: 82 bits, nonzero, flag: bit (forced close: the requested instrument and the
//   forced-settlement flag);  served: 56 bits (forced withdrawal: the amount served).
//   instrument, flag and served are 0 in every other type (checked).
bus TxParams() {
    signal txType;
    signal amount;
    signal owner;
    signal pkHash;
    signal fillSize;
    signal fillPrice;
    signal instIdx;
    signal underlying;
    signal delta;
    signal instrument;
    signal flag;
    signal served;
    signal settleIdx;
    signal posSlotA;
    signal posSlotB;
}

// Global state carried from slot to slot (§4).  feePool: 64 bits; funding: signed 56;
// lastFunding: 32 bits.
bus GlobalWitness(U) {
    signal feePool;
    signal funding[U];
    signal lastFunding[U];
}

// The batch context every slot reads (checked once per batch in Batch).
// t: 32 bits; prices: 40 bits; settle*: decoded settlement records (u 8, expiry 32, price 40);
// instruments: the batch's instrument table (§8), 88 bits each (the commitment's width);
// insOwner, insPkHash: account 1's owner and key (proven against the old root), which make an
// account an insurance fund account (§4.1).
bus BatchEnv(U, K, I) {
    signal t;
    signal domain;
    signal prices[U];
    signal instruments[I];
    signal settleU[K];
    signal settleExpiry[K];
    signal settlePrice[K];
    signal insOwner;
    signal insPkHash;
}

template TxSlot(accountDepth, orderDepth, P, U, K, I, fundingInterval) {
    assert(K >= 1);
    assert(I >= 1 && I <= 256);
    input BatchEnv(U, K, I) env;
    input GlobalWitness(U) gBefore;
    signal input rootBefore;
    input TxParams() tx;
    input AccountWitness(P, accountDepth) a;
    input AccountWitness(P, accountDepth) b;
    input OrderWitness(orderDepth) oa;
    input OrderWitness(orderDepth) ob;
    output GlobalWitness(U) gAfter;
    signal output rootAfter;
    signal output f0;
    signal output f1;

    // ---- type selectors ---------------------------------------------------------------
    signal sel[10] <== OneHot(10)(tx.txType);
    signal isDeposit <== sel[TX_DEPOSIT()];
    signal isWithdraw <== sel[TX_WITHDRAW()];
    signal isForced <== sel[TX_FORCED()];
    signal isTrade <== sel[TX_TRADE()];
    signal isLiq <== sel[TX_LIQUIDATE()];
    signal isFunding <== sel[TX_FUNDING()];
    signal isSettle <== sel[TX_SETTLE()];
    signal isSweep <== sel[TX_SWEEP()];
    signal isFClose <== sel[TX_FORCED_CLOSE()];

    // ---- accounts and roles -----------------------------------------------------------
    signal aPath[accountDepth] <== IndexBits(accountDepth)(a.id);
    signal bPath[accountDepth] <== IndexBits(accountDepth)(b.id);
    // Insurance fund accounts (§4.1): account 1's owner and key. Account 1's key is not 0, so an
    // unregistered leaf never counts.
    signal aSameOwner <== IsEqual()([a.owner, env.insOwner]);
    signal aSameKey <== IsEqual()([a.pkHash, env.insPkHash]);
    signal aIsInsurance <== aSameOwner * aSameKey;
    signal bSameOwner <== IsEqual()([b.owner, env.insOwner]);
    signal bSameKey <== IsEqual()([b.pkHash, env.insPkHash]);
    signal bIsInsurance <== bSameOwner * bSameKey;
    signal sameAccount <== IsEqual()([a.id, b.id]);
    isTrade * sameAccount === 0;                                                       // SELF_TRADE
    isLiq * (1 - aIsInsurance) === 0;                                                  // BAD_LIQUIDATION: A is an insurance fund account
    isLiq * bIsInsurance === 0;                                                        // BAD_LIQUIDATION: never an insurance fund account
    isFClose * (1 - aIsInsurance) === 0;                                               // BAD_LIQUIDATION: forced close against a fund account
    isFClose * bIsInsurance === 0;                                                     // BAD_LIQUIDATION: no fund account is force-closed
    isSettle * (b.id - 1) === 0;                                                       // ROLE: B is account 1
    isSweep * a.id === 0;                                                              // ROLE: A is the fee account

    // ---- parameter widths ---------------------------------------------------------------
    RangeCheck(56)(tx.amount);
    signal posSelA[P] <== OneHot(P)(tx.posSlotA);
    signal posSelB[P] <== OneHot(P)(tx.posSlotB);
    signal isFill <== isTrade + isLiq;
    signal q <== isFill * tx.fillSize;
    RangeCheck(48)(q);
    signal qZero <== IsZero()(q);
    isFill * qZero === 0;                                                              // OUT_OF_RANGE: q >= 1
    signal qTrade <== isTrade * tx.fillSize;
    RangeCheck(32)(qTrade);                                                            // OUT_OF_RANGE: a trade posts q in 32 bits
    signal p <== isTrade * tx.fillPrice;
    RangeCheck(32)(p);                                                                 // OUT_OF_RANGE: and p in 32
    // The instrument-table entry a trade or liquidation names (§8); 0 in every other type.
    (1 - isFill) * tx.instIdx === 0;
    signal instSel[I] <== OneHot(I)(tx.instIdx);
    signal tableInst <== Select(I)(instSel, env.instruments);
    // Forced close's instrument and flag, forced withdrawal's served: 0 in every other type.
    (1 - isFClose) * tx.instrument === 0;
    (1 - isFClose) * tx.flag === 0;
    (1 - isForced) * tx.served === 0;
    AssertBit()(tx.flag);
    RangeCheck(56)(tx.served);
    signal fcInstZero <== IsZero()(tx.instrument);
    isFClose * fcInstZero === 0;                                                       // OUT_OF_RANGE: instrument >= 1

    // ---- orders: hash, signature, expiry, flags, order tree -------------------------------
    signal orderAOn <== isWithdraw + isTrade;
    signal hashA <== OrderHash()(env.domain, a.id, oa.instrument, oa.side, oa.size, oa.price, oa.orderId, oa.expiry, oa.flags);
    signal hashB <== OrderHash()(env.domain, b.id, ob.instrument, ob.side, ob.size, ob.price, ob.orderId, ob.expiry, ob.flags);
    OrderSignature()(orderAOn, a.pkHash, oa.Ax, oa.Ay, oa.R8x, oa.R8y, oa.S, hashA);   // BAD_SIGNATURE
    OrderSignature()(isTrade, b.pkHash, ob.Ax, ob.Ay, ob.R8x, ob.R8y, ob.S, hashB);
    AssertBit()(oa.side);
    AssertBit()(ob.side);
    signal flagsA[4] <== Num2Bits(4)(oa.flags);
    signal flagsB[4] <== Num2Bits(4)(ob.flags);
    AssertLessEqIfEnabled(32)(orderAOn, env.t, oa.expiry);                        // ORDER_EXPIRED
    AssertLessEqIfEnabled(32)(isTrade, env.t, ob.expiry);
    signal withdrawn <== isWithdraw * tx.amount;
    signal fillA <== qTrade + withdrawn;
    signal orderRootA, postedIdA;
    (orderRootA, postedIdA) <== OrderTreeUpdate(orderDepth)(orderAOn, a.orderRoot, oa.orderId, oa.storedId, oa.storedFilled, oa.size, fillA, oa.siblings);
    signal orderRootB, postedIdB;
    (orderRootB, postedIdB) <== OrderTreeUpdate(orderDepth)(isTrade, b.orderRoot, ob.orderId, ob.storedId, ob.storedFilled, ob.size, qTrade, ob.siblings);

    // Withdrawal message (§5.2): instrument 0, side 0, price 0, flags 0, size = amount.
    isWithdraw * oa.instrument === 0;                                                  // BAD_MESSAGE
    isWithdraw * oa.side === 0;                                                        // BAD_MESSAGE
    isWithdraw * oa.price === 0;                                                       // BAD_MESSAGE
    isWithdraw * oa.flags === 0;                                                       // BAD_MESSAGE
    isWithdraw * (oa.size - tx.amount) === 0;                                          // BAD_MESSAGE
    signal sizeZeroA <== IsZero()(oa.size);
    orderAOn * sizeZeroA === 0;                                                        // OUT_OF_RANGE: sizes >= 1

    // ---- trade matching (§6.3.1, 4, 5) -----------------------------------------------------
    isTrade * (oa.instrument - ob.instrument) === 0;                                   // INSTRUMENT_MISMATCH
    isTrade * (oa.side + ob.side - 1) === 0;                                           // SIDE_MISMATCH
    signal buyPrice <== oa.price + oa.side * (ob.price - oa.price);
    signal sellPrice <== oa.price + ob.price - buyPrice;
    AssertLessEqIfEnabled(40)(isTrade, p, buyPrice);                              // PRICE_LIMIT
    AssertLessEqIfEnabled(40)(isTrade, sellPrice, p);
    isTrade * flagsB[1] === 0;                                                         // POST_ONLY_TAKER

    // ---- the instrument this slot fills or settles -----------------------------------------
    signal instA <== Select(P)(posSelA, a.posInst);
    signal instB <== Select(P)(posSelB, b.posInst);
    signal sizeA <== Select(P)(posSelA, a.posSize);
    signal sizeB <== Select(P)(posSelB, b.posSize);
    signal tradeInst <== isTrade * oa.instrument;
    signal liqInst <== isLiq * instB;
    signal settleInst <== isSettle * instA;
    signal instrument <== tradeInst + liqInst + settleInst + tx.instrument;
    isFill * (tableInst - instrument) === 0;                                           // BAD_INSTRUMENT: the table entry the slot names
    component mkt = InstrumentMarket(U);
    mkt.id <== instrument;
    mkt.prices <== env.prices;
    mkt.funding <== gBefore.funding;
    // Trades and liquidations need a live instrument (BAD_INSTRUMENT, INSTRUMENT_EXPIRED).
    AssertTradable()(isFill, mkt.validUnderlying, mkt.strike, mkt.expiry, mkt.isPerp, mkt.isCall, mkt.isPut, env.t);

    // Liquidation price X (§6.4.2): perp price[u]; option intrinsic value at price[u].
    signal intrinsicNow;
    signal otmNow;
    (intrinsicNow, otmNow) <== OptionMoneyness()(mkt.price, mkt.strike, mkt.isCall, mkt.isPut);
    signal liqPrice <== mkt.isPerp * mkt.price + intrinsicNow;

    // Forced close (§6.10): served iff B holds the instrument (the count below is over B's slots
    // before the slot's update), unless what it holds is a short position in a live option
    // (finding F17: the fund would take its time value for the intrinsic value). The held size is
    // read from the slot that holds the instrument, never from the prover's slot choice. An
    // option expired at t is settled (§6.6, settleLike); anything else goes to the fund at X
    // (liqLike). A forced settlement (flag) is served only as a settlement.
    signal instLive <== LessThan(32)([env.t, mkt.expiry]);
    signal instExpired <== (1 - mkt.isPerp) * (1 - instLive);
    signal fcHolds[P];
    signal fcHeldSizes[P];
    var fcHeld = 0;
    var fcHeldSize = 0;
    for (var j = 0; j < P; j++) {
        fcHolds[j] <== IsEqual()([b.posInst[j], tx.instrument]);
        fcHeldSizes[j] <== fcHolds[j] * b.posSize[j];
        fcHeld += fcHolds[j];
        fcHeldSize += fcHeldSizes[j];
    }
    signal fcHolding <== isFClose * fcHeld;
    AssertBit()(fcHolding);
    signal fcSize <== isFClose * fcHeldSize;                    // 0 unless a forced close
    signal fcShort <== SignedRange(48)(fcSize);
    signal liveOption <== (mkt.isCall + mkt.isPut) * instLive;
    signal liveShort <== liveOption * fcShort;
    signal fcRefusedShort <== fcHolding * liveShort;
    signal fcServed <== fcHolding - fcRefusedShort;
    signal fcExp <== fcServed * instExpired;
    signal fcLive <== fcServed - fcExp;
    tx.flag * fcLive === 0;                                                            // NOT_EXPIRED: forced settlement
    signal liqLike <== isLiq + fcLive;
    signal settleLike <== isSettle + fcExp;

    // Settlement record (§6.6): same underlying and expiry, expiry <= t; intrinsic at S.
    signal recSel[K] <== OneHot(K)(tx.settleIdx);
    signal recU <== Select(K)(recSel, env.settleU);
    signal recExpiry <== Select(K)(recSel, env.settleExpiry);
    signal recPrice <== Select(K)(recSel, env.settlePrice);
    settleLike * (1 - mkt.isCall - mkt.isPut) === 0;                                   // BAD_INSTRUMENT: options only
    settleLike * (recU - mkt.underlying) === 0;                                        // NO_SETTLEMENT_PRICE
    settleLike * (recExpiry - mkt.expiry) === 0;                                       // NO_SETTLEMENT_PRICE
    AssertLessEqIfEnabled(32)(settleLike, mkt.expiry, env.t);                    // NOT_EXPIRED
    signal intrinsicSettle;
    signal otmSettle;
    (intrinsicSettle, otmSettle) <== OptionMoneyness()(recPrice, mkt.strike, mkt.isCall, mkt.isPut);

    // ---- position updates (§6.3.6-7, §6.4.2, §6.6) ------------------------------------------
    signal liqFillPrice <== liqLike * liqPrice;
    signal settleFillPrice <== settleLike * intrinsicSettle;
    signal fillPrice <== p + liqFillPrice + settleFillPrice;
    signal costPrice <== fillPrice - mkt.isPerp * mkt.fundingIndex;
    signal makerSigned <== q * (1 - 2 * oa.side);              // maker's signed fill (trade)
    signal sizeBNeg <== SignedRange(48)(sizeB);
    signal liqCloseB <== q * (2 * sizeBNeg - 1);                // liquidatee's closing fill
    signal tradeDqA <== isTrade * makerSigned;
    signal liqDqB <== isLiq * liqCloseB;
    signal fcDqB <== fcServed * sizeB;                          // forced close: all of it
    signal fcDqA <== fcLive * sizeB;                            // ... taken by the fund when live
    signal dqA <== tradeDqA - liqDqB - isSettle * sizeA + fcDqA;
    signal dqB <== liqDqB - tradeDqA - fcDqB;
    component updA = PositionUpdate(P);
    updA.enabled <== isFill + isSettle + fcLive;
    updA.sel <== posSelA;
    updA.inst <== a.posInst;
    updA.size <== a.posSize;
    updA.cost <== a.posCost;
    updA.instrument <== instrument;
    updA.dq <== dqA;
    updA.costPrice <== costPrice;
    component updB = PositionUpdate(P);
    updB.enabled <== isFill + fcServed;
    updB.sel <== posSelB;
    updB.inst <== b.posInst;
    updB.size <== b.posSize;
    updB.cost <== b.posCost;
    updB.instrument <== instrument;
    updB.dq <== dqB;
    updB.costPrice <== costPrice;
    isLiq * (1 - updB.reduced) === 0;                                                  // BAD_LIQUIDATION: 1 <= q <= |size|

    // ---- risk of A and B before and after their position updates -----------------------------
    // Before: every slot. After: the totals before with the one slot PositionUpdate changed
    // (posSel, one-hot) evaluated again (AccountRiskAfter), equal to AccountRisk of updX.new*.
    component riskBeforeA = AccountRisk(P, U);
    riskBeforeA.inst <== a.posInst;
    riskBeforeA.size <== a.posSize;
    riskBeforeA.cost <== a.posCost;
    riskBeforeA.prices <== env.prices;
    riskBeforeA.funding <== gBefore.funding;
    riskBeforeA.t <== env.t;
    component riskBeforeB = AccountRisk(P, U);
    riskBeforeB.inst <== b.posInst;
    riskBeforeB.size <== b.posSize;
    riskBeforeB.cost <== b.posCost;
    riskBeforeB.prices <== env.prices;
    riskBeforeB.funding <== gBefore.funding;
    riskBeforeB.t <== env.t;
    component riskA = AccountRiskAfter(P, U);
    riskA.sel <== posSelA;
    riskA.beforeValueSum <== riskBeforeA.valueSum;
    riskA.beforeIm <== riskBeforeA.im;
    riskA.beforeMm <== riskBeforeA.mm;
    riskA.beforeExpired <== riskBeforeA.expired;
    riskA.posValue <== riskBeforeA.posValue;
    riskA.posIm <== riskBeforeA.posIm;
    riskA.posMm <== riskBeforeA.posMm;
    riskA.posExpired <== riskBeforeA.posExpired;
    riskA.inst <== updA.selInst;
    riskA.size <== updA.selSize;
    riskA.cost <== updA.selCost;
    riskA.prices <== env.prices;
    riskA.funding <== gBefore.funding;
    riskA.t <== env.t;
    component riskB = AccountRiskAfter(P, U);
    riskB.sel <== posSelB;
    riskB.beforeValueSum <== riskBeforeB.valueSum;
    riskB.beforeIm <== riskBeforeB.im;
    riskB.beforeMm <== riskBeforeB.mm;
    riskB.beforeExpired <== riskBeforeB.expired;
    riskB.posValue <== riskBeforeB.posValue;
    riskB.posIm <== riskBeforeB.posIm;
    riskB.posMm <== riskBeforeB.posMm;
    riskB.posExpired <== riskBeforeB.posExpired;
    riskB.inst <== updB.selInst;
    riskB.size <== updB.selSize;
    riskB.cost <== updB.selCost;
    riskB.prices <== env.prices;
    riskB.funding <== gBefore.funding;
    riskB.t <== env.t;
    signal settledA <== IsZero()(riskA.expired);        // A holds no expired, unsettled option
    signal settledB <== IsZero()(riskB.expired);

    // ---- fees and penalty (§6.3.8, §6.4.3) ---------------------------------------------------
    // q·p < 2^88, so q·p·bps < 2^95 and every quotient fits 82 bits.
    signal notional <== q * p;
    signal makerFee;
    signal makerRem;
    (makerFee, makerRem) <== DivByConst(82, 10000)(notional * MAKER_FEE_BPS());
    signal takerFee;
    signal takerRem;
    (takerFee, takerRem) <== DivByConst(82, 10000)(notional * TAKER_FEE_BPS());
    // Penalty: LIQ_PENALTY_BPS of the maintenance margin (×10^4) the liquidation releases,
    // below 2^107·2000 < 2^92·10^8.
    signal released <== liqLike * (riskBeforeB.mm - riskB.mm);
    signal penalty;
    signal penaltyRem;
    (penalty, penaltyRem) <== DivByConst(92, 100000000)(released * LIQ_PENALTY_BPS());

    // ---- forced withdrawal (§6.8): served = min(requested, withdrawable), withdrawable the
    // largest w >= 0 with collateral − w >= 0 and IM met after; 0 with an expired series unsettled.
    // ok(w) is monotone (falls as w grows), so served = s is proven by: s <= requested; s = 0 or
    // ok(s); s = requested or not ok(s + 1).  |collateral − s − 1| < 2^65.
    signal served <== tx.served;
    AssertLessEqIfEnabled(56)(isForced, served, tx.amount);                       // FORCED_SERVED: at most requested
    signal fwUnsettled <== isForced * (1 - settledA);
    fwUnsettled * served === 0;                                                        // UNSETTLED_EXPIRY: a forced withdrawal serves 0
    signal fwCollateral <== a.collateral - served;
    signal fwNeg <== SignedRange(65)(fwCollateral);
    signal fwIm <== MeetsRequirement()(fwCollateral, riskA.valueSum, riskA.im);
    signal fwOk <== (1 - fwNeg) * fwIm;
    signal fwZero <== IsZero()(served);
    signal fwPaid <== isForced * (1 - fwZero);
    fwPaid * (1 - fwOk) === 0;                                                         // FORCED_SERVED: withdrawable
    signal fwNextNeg <== SignedRange(65)(fwCollateral - 1);
    signal fwNextIm <== MeetsRequirement()(fwCollateral - 1, riskA.valueSum, riskA.im);
    signal fwNextOk <== (1 - fwNextNeg) * fwNextIm;
    signal fwAll <== IsEqual()([served, tx.amount]);
    signal fwShort <== isForced * settledA;
    signal fwShortOf <== fwShort * (1 - fwAll);
    fwShortOf * fwNextOk === 0;                                                        // FORCED_SERVED: maximal

    // ---- collateral (§6.3.8, §6.4.3-4, §6.6, §6.8) -----------------------------------------
    signal cashA <== (isDeposit + isSweep - isWithdraw) * tx.amount;
    signal midA <== a.collateral + cashA - served - makerFee + penalty - updA.realised;
    signal midB <== b.collateral - takerFee - penalty - updB.realised;
    // |mid| < 2^97 (a realised cost is signed 96).
    signal midANeg <== SignedRange(97)(midA);
    signal midBNeg <== SignedRange(97)(midB);
    signal noOpenA <== AllZero(P)(updA.newSize);
    signal noOpenB <== AllZero(P)(updB.newSize);
    // Shortfall: a closed-out debtor's negative cash moves to the insurance fund.
    signal debtB <== (isLiq + fcServed) * noOpenB;
    signal absorbB <== debtB * midBNeg;
    // A settling insurance fund account keeps its own result: nothing moves.
    signal settleUser <== isSettle * (1 - aIsInsurance);
    signal debtA <== settleUser * noOpenA;
    signal absorbA <== debtA * midANeg;
    signal movedB <== absorbB * midB;
    signal movedA <== absorbA * midA;
    signal collateralA <== midA - movedA + movedB;
    signal collateralB <== midB - movedB + movedA;
    signal collateralANeg <== SignedRange(64)(collateralA);
    signal collateralBNeg <== SignedRange(64)(collateralB);
    // Collateral rule §6.7 (NEGATIVE_COLLATERAL), insurance fund accounts exempt.
    signal strandedA <== noOpenA * collateralANeg;
    signal strandedB <== noOpenB * collateralBNeg;
    (1 - aIsInsurance) * strandedA === 0;                                              // NEGATIVE_COLLATERAL
    (1 - bIsInsurance) * strandedB === 0;                                              // NEGATIVE_COLLATERAL

    // ---- margin (§6.3.9-11, §6.4.1, §6.8) ----------------------------------------------------
    signal imA <== MeetsRequirement()(collateralA, riskA.valueSum, riskA.im);
    signal imB <== MeetsRequirement()(collateralB, riskB.valueSum, riskB.im);
    signal solventA <== MeetsRequirement()(collateralA, riskA.valueSum, 0);
    signal solventB <== MeetsRequirement()(collateralB, riskB.valueSum, 0);
    // Maintenance headroom H = 10^4·equity − MM×10^4 does not fall (finding F10):
    // ΔH = 10^4·(Δcollateral + ΔvalueSum) − ΔMM.
    signal keepsA <== MeetsRequirement()(collateralA - a.collateral, riskA.valueSum - riskBeforeA.valueSum, riskA.mm - riskBeforeA.mm);
    signal keepsB <== MeetsRequirement()(collateralB - b.collateral, riskB.valueSum - riskBeforeB.valueSum, riskB.mm - riskBeforeB.mm);
    signal reducedSolventA <== updA.reduced * solventA;
    signal reducedSolventB <== updB.reduced * solventB;
    signal reliefA <== reducedSolventA * keepsA;
    signal reliefB <== reducedSolventB * keepsB;
    signal marginOkA <== imA + reliefA - imA * reliefA;
    signal marginOkB <== imB + reliefB - imB * reliefB;
    signal tradeA <== isTrade * (1 - aIsInsurance);
    signal tradeB <== isTrade * (1 - bIsInsurance);
    tradeA * (1 - marginOkA) === 0;                                                    // MARGIN
    tradeB * (1 - marginOkB) === 0;                                                    // MARGIN
    tradeA * (1 - settledA) === 0;                                                     // UNSETTLED_EXPIRY
    tradeB * (1 - settledB) === 0;                                                     // UNSETTLED_EXPIRY
    signal reduceOnlyA <== isTrade * flagsA[0];
    signal reduceOnlyB <== isTrade * flagsB[0];
    reduceOnlyA * (1 - updA.reduced) === 0;                                            // REDUCE_ONLY
    reduceOnlyB * (1 - updB.reduced) === 0;                                            // REDUCE_ONLY
    // Insurance fund accounts trade only to reduce, within FUND_BAND_BPS of X (finding F2).
    signal fundA <== isTrade * aIsInsurance;
    signal fundB <== isTrade * bIsInsurance;
    fundA * (1 - updA.reduced) === 0;                                                  // REDUCE_ONLY: insurance fund
    fundB * (1 - updB.reduced) === 0;                                                  // REDUCE_ONLY: insurance fund
    signal bandDiff <== p - liqPrice;
    signal bandNeg <== SignedRange(41)(bandDiff);
    signal bandAbs <== bandDiff - 2 * bandNeg * bandDiff;
    signal fundTrade <== fundA + fundB - fundA * fundB;
    signal inBand <== SafeLessEqThan(56)(bandAbs * 10000, mkt.price * FUND_BAND_BPS());
    fundTrade * (1 - inBand) === 0;                                                    // PRICE_BAND
    isWithdraw * collateralANeg === 0;                                                 // INSUFFICIENT_FREE_COLLATERAL
    isWithdraw * (1 - imA) === 0;                                                      // INSUFFICIENT_FREE_COLLATERAL
    isWithdraw * (1 - settledA) === 0;                                                 // UNSETTLED_EXPIRY
    // Liquidation (§6.4.1): the liquidatee is below maintenance margin before, holds no expired
    // unsettled option, and the position carries maintenance margin (a perp or a short option,
    // finding F6).
    signal healthyB <== MeetsRequirement()(b.collateral, riskBeforeB.valueSum, riskBeforeB.mm);
    isLiq * healthyB === 0;                                                            // ACCOUNT_HEALTHY
    isLiq * riskBeforeB.expired === 0;                                                 // UNSETTLED_EXPIRY
    signal liqOption <== isLiq * (1 - mkt.isPerp);
    liqOption * (1 - sizeBNeg) === 0;                                                  // BAD_LIQUIDATION: long option
    // ... and stops once the account is back at maintenance (finding F6): with H(0) and H(q) the
    // headroom before and after, (q − 1)·H(q) + H(0) < 0, i.e. q − 1 units would not have done.
    // |H| < 2^126, q < 2^48: the sum is below 2^175 in absolute value.
    signal hBeforeB <== 10000 * (b.collateral + riskBeforeB.valueSum) - riskBeforeB.mm;
    signal hAfterB <== 10000 * (collateralB + riskB.valueSum) - riskB.mm;
    signal qLess <== (q - 1) * hAfterB;
    signal liqStops <== SignedRange(175)(qLess + hBeforeB);
    isLiq * (1 - liqStops) === 0;                                                      // BAD_LIQUIDATION: beyond maintenance

    // ---- deposit (§6.8): the account is unregistered or already has this owner and key --------
    // Unregistered means pkHash = owner = 0 (docs/protocol.md §6.8, as protocol/ decides it).
    signal aNoKey <== IsZero()(a.pkHash);
    signal aNoOwner <== IsZero()(a.owner);
    signal aEmpty <== aNoKey * aNoOwner;
    signal samePk <== IsEqual()([a.pkHash, tx.pkHash]);
    signal sameOwner <== IsEqual()([a.owner, tx.owner]);
    signal aMatches <== samePk * sameOwner;
    signal depositMismatch <== isDeposit * (1 - aEmpty);
    depositMismatch * (1 - aMatches) === 0;                                            // ACCOUNT_MISMATCH
    signal pkHashA <== a.pkHash + isDeposit * (tx.pkHash - a.pkHash);
    signal ownerA <== a.owner + isDeposit * (tx.owner - a.owner);

    // ---- funding (§6.5) --------------------------------------------------------------------
    signal fundSel[U] <== Indicator(U, 1)(tx.underlying);
    var fundSelSum = 0;
    for (var u = 0; u < U; u++) { fundSelSum += fundSel[u]; }
    isFunding * (1 - fundSelSum) === 0;                                                // BAD_INSTRUMENT: underlying 1..U
    signal fundPrice <== Select(U)(fundSel, env.prices);
    signal fundLast <== Select(U)(fundSel, gBefore.lastFunding);
    signal delta <== isFunding * tx.delta;
    signal deltaNeg <== SignedRange(56)(delta);
    signal absDelta <== delta - 2 * deltaNeg * delta;
    AssertLessEqIfEnabled(70)(isFunding, absDelta * 10000, fundPrice * FUNDING_CAP_BPS());   // FUNDING_CAP
    AssertLessEqIfEnabled(33)(isFunding, fundLast + fundingInterval, env.t);                  // FUNDING_TOO_EARLY
    signal fundOn[U];
    for (var u = 0; u < U; u++) {
        fundOn[u] <== isFunding * fundSel[u];
        gAfter.funding[u] <== gBefore.funding[u] + fundSel[u] * delta;
        _ <== SignedRange(56)(gAfter.funding[u]);
        gAfter.lastFunding[u] <== gBefore.lastFunding[u] + fundOn[u] * (env.t - gBefore.lastFunding[u]);
    }

    // ---- fee pool (§6.3.8, §6.8 sweep; FEE_POOL when a sweep exceeds it) -------------------
    gAfter.feePool <== gBefore.feePool + makerFee + takerFee - isSweep * tx.amount;
    RangeCheck(64)(gAfter.feePool);

    // ---- account tree: A then B ----------------------------------------------------------------
    // The leaves after reuse the before leaves' pair hashes: only the pair holding the updated
    // slot (posSel, one-hot) is hashed again (AccountLeafAfter).
    signal leafABefore;
    signal pairsA[P \ 2];
    (leafABefore, pairsA) <== AccountLeaf(P)(a.pkHash, a.owner, a.collateral, a.orderRoot, a.posInst, a.posSize, a.posCost);
    signal leafAAfter <== AccountLeafAfter(P)(pkHashA, ownerA, collateralA, orderRootA, posSelA, pairsA, updA.newInst, updA.newSize, updA.newCost);
    signal leafBBefore;
    signal pairsB[P \ 2];
    (leafBBefore, pairsB) <== AccountLeaf(P)(b.pkHash, b.owner, b.collateral, b.orderRoot, b.posInst, b.posSize, b.posCost);
    signal leafBAfter <== AccountLeafAfter(P)(b.pkHash, b.owner, collateralB, orderRootB, posSelB, pairsB, updB.newInst, updB.newSize, updB.newCost);
    signal rootMid <== MerkleUpdate(accountDepth)(1, rootBefore, leafABefore, leafAAfter, aPath, a.siblings);
    rootAfter <== MerkleUpdate(accountDepth)(1, rootMid, leafBBefore, leafBAfter, bPath, b.siblings);

    // ---- public data (§7): f0 < 2^128, f1 < 2^64; every field below is range-checked above ------
    var S4 = 1 << 4;
    var S12 = 1 << 12;
    var S28 = 1 << 28;
    var S32 = 1 << 32;
    var S52 = 1 << 52;
    var S84 = 1 << 84;
    var S100 = 1 << 100;
    var S110 = 1 << 110;
    var S111 = 1 << 111;
    var S101 = 1 << 101;
    var S116 = 1 << 116;
    var S117 = 1 << 117;
    signal closeSideB <== 1 - sizeBNeg;      // the liquidatee sells when it is long
    signal pd[10][2];
    pd[0][0] <== 0;
    pd[0][1] <== 0;
    // The owner and key are the batch's deposit record of the slot, in the commitment (§8).
    pd[1][0] <== isDeposit * (1 + a.id * S4 + tx.amount * S28);
    pd[1][1] <== 0;
    // flat (bit 84): A holds no position, so the rule read no price (issue 14 F13); L1 lets such a
    // slot ride in a batch that carries a silent feed's last price.
    pd[2][0] <== isWithdraw * (2 + a.id * S4 + tx.amount * S28 + noOpenA * S84);
    pd[2][1] <== isWithdraw * postedIdA;
    pd[3][0] <== isForced * (3 + a.id * S4 + noOpenA * S84) + served * S28;
    pd[3][1] <== isForced * tx.amount;
    pd[4][0] <== isTrade * (4 + a.id * S4 + b.id * S28 + tx.fillSize * S52 + tx.fillPrice * S84 + ob.side * S116 + tx.instIdx * S117);
    pd[4][1] <== isTrade * (postedIdA + postedIdB * S32);
    pd[5][0] <== isLiq * (5 + a.id * S4 + b.id * S28 + tx.fillSize * S52 + closeSideB * S100 + tx.instIdx * S101);
    pd[5][1] <== isLiq * liqPrice;
    pd[6][0] <== isFunding * (6 + tx.underlying * S4 + (1 << 63) * S12) + delta * S12;
    pd[6][1] <== 0;
    pd[7][0] <== isSettle * (7 + a.id * S4 + instrument * S28);
    pd[7][1] <== 0;
    pd[8][0] <== isSweep * (8 + tx.amount * S28);
    pd[8][1] <== 0;
    pd[9][0] <== isFClose * (9 + b.id * S4 + tx.instrument * S28 + tx.flag * S110) + fcServed * S111;
    pd[9][1] <== isFClose * a.id;
    var sum0 = 0;
    var sum1 = 0;
    for (var i = 0; i < 10; i++) {
        sum0 += pd[i][0];
        sum1 += pd[i][1];
    }
    f0 <== sum0;
    f1 <== sum1;
}

// out = 1 iff every in[i] == 0.
template AllZero(n) {
    signal input in[n];
    signal output out;
    var zeros = 0;
    signal z[n];
    for (var i = 0; i < n; i++) {
        z[i] <== IsZero()(in[i]);
        zeros += z[i];
    }
    out <== IsEqual()([zeros, n]);
}
