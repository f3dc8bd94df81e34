// SPDX-License-Identifier: GPL-3.0
// TEST-ONLY verifier: its keys come from Tessera's known-tau ceremony and a public phase-2 beacon
// (scripts/zk/ptau.ts, scripts/zk/build.ts). Anyone can forge proofs for it. Generated; do not edit.
/*
    Copyright 2021 0KIMS association.

    This file is generated with [snarkJS](https://github.com/iden3/snarkjs).

    snarkJS is a free software: you can redistribute it and/or modify it
    under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.

    snarkJS is distributed in the hope that it will be useful, but WITHOUT
    ANY WARRANTY; without even the implied warranty of MERCHANTABILITY
    or FITNESS FOR A PARTICULAR PURPOSE. See the GNU General Public
    License for more details.

    You should have received a copy of the GNU General Public License
    along with snarkJS. If not, see <https://www.gnu.org/licenses/>.
*/

pragma solidity >=0.7.0 <0.9.0;

contract DemoVerifier {
    // Scalar field size
    uint256 constant r    = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    // Base field size
    uint256 constant q   = 21888242871839275222246405745257275088696311157297823662689037894645226208583;

    // Verification Key data
    uint256 constant alphax  = 3292485831388141788337332408577672234397809193128845199105191450738071916943;
    uint256 constant alphay  = 20451398068658785497464195873169065802842112952235286423192654177477428171365;
    uint256 constant betax1  = 7342065593697421482191206055545252040494085402443874225487556460489300139183;
    uint256 constant betax2  = 8751565431475687549085353071566828830235359445978630032370163203712877196463;
    uint256 constant betay1  = 3635405754871230287958667533699978030070238948767703365948926372756920260394;
    uint256 constant betay2  = 19644875629389588367487762126281415608656388235473387580411353096572604448707;
    uint256 constant gammax1 = 11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 constant gammax2 = 10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 constant gammay1 = 4082367875863433681332203403145435568316851327593401208105741076214120093531;
    uint256 constant gammay2 = 8495653923123431417604973247489272438418190587263600148770280649306958101930;
    uint256 constant deltax1 = 10921424473632444285591691876904894631569474096272206570377956810861874046564;
    uint256 constant deltax2 = 4404315350007883439672018579347198878905435921528260775410073551519916693264;
    uint256 constant deltay1 = 8727788041626818274144287266137957478019024253717608126470645576137744666005;
    uint256 constant deltay2 = 20318892884198177555533166909221073705714851888606104682971663177916099801881;

    
    uint256 constant IC0x = 15601272186275350689103431624453976359510171274345659117744651734536951477684;
    uint256 constant IC0y = 498375060363504109774299627269880217423946487102820638136189414739245111713;
    
    uint256 constant IC1x = 14834337324633732420680791666746722385966955280877936168508931052801293585687;
    uint256 constant IC1y = 3703195181559551804868106199195406145137755876642982360877056558204845270549;
    
    uint256 constant IC2x = 2723380213347008194147530009103964667480844587663812190604199021480374332945;
    uint256 constant IC2y = 14704421277564887333169673765910351682598719557439092865805553942734675880671;
    
    uint256 constant IC3x = 7583217527144544811202082836481996926049662685794969518138052483049419408665;
    uint256 constant IC3y = 17841958329680899578318218469403168463664090247522580075749691095189241203413;
    
    uint256 constant IC4x = 19158374207832426172536815607021514682572710941190293749358924952741872549445;
    uint256 constant IC4y = 17746729750076550639239707180249785747472679453495018927258841203299264488120;
    
    uint256 constant IC5x = 9512379752876676888349936805283970880545247860836388613995646065769102823448;
    uint256 constant IC5y = 2257285425335248457156507075740481525906650909644779709656567522908382601248;
    
    uint256 constant IC6x = 8005712843542152797435294890515141739924278683893784850510369509086199539804;
    uint256 constant IC6y = 9228413660712738339149756850487973553274938711568562211089644014952008709129;
    
    uint256 constant IC7x = 9258521923512053443207869697212162642244523183447809634195794231174651045250;
    uint256 constant IC7y = 4061554879338030466718770280697939295346342034568472871538909808535596963551;
    
    uint256 constant IC8x = 16021386339533664738335785811516966614883478856921972529424348067717294331953;
    uint256 constant IC8y = 8029884050150344571465693409293833099669871224758016599255827687011390465684;
    
    uint256 constant IC9x = 1006986737832899918098687988186232009851208596769349716452401491922326268500;
    uint256 constant IC9y = 3230809229856911555982139730769408297505543812201591201712251038193958242066;
    
    uint256 constant IC10x = 15897265388296837033702921258197151169536055230588456134160903422673097790088;
    uint256 constant IC10y = 15136270405267835827767862315844400142501423155790682690671507203036728992032;
    
    uint256 constant IC11x = 13700409406798523590827598942838487238948239579692119396223120555274944358044;
    uint256 constant IC11y = 18783201232482914683952979061876339205523803567062404688156535944335212144719;
    
    uint256 constant IC12x = 491789903116984520694483283806383094336901573166544621052437801252864667252;
    uint256 constant IC12y = 18143250202473984877597227671218026154603593196181463064893134768139231727685;
    
    uint256 constant IC13x = 2655214292899757782623461535859254818785481269889538655313659282866308173429;
    uint256 constant IC13y = 10896225495049454956510398421109642333180112380736676525010210566067954587817;
    
    uint256 constant IC14x = 13445363426099825961259455523575064526818769730795359244319580017147703235727;
    uint256 constant IC14y = 3871440672726686480852084934385791931781676941767204945991554809359497439505;
    
    uint256 constant IC15x = 8061031647578810892009344943442800985948011036847130461871710869800012082176;
    uint256 constant IC15y = 20658459788434920740168165678485100933455025165254872542337512530125766328960;
    
    uint256 constant IC16x = 15070675579046718238472182171433919770868475447462402573655133227973514275514;
    uint256 constant IC16y = 3364361770590722377396015023037132069051109114209361677955255201874949703515;
    
 
    // Memory data
    uint16 constant pVk = 0;
    uint16 constant pPairing = 128;

    uint16 constant pLastMem = 896;

    function verifyProof(uint[2] calldata _pA, uint[2][2] calldata _pB, uint[2] calldata _pC, uint[16] calldata _pubSignals) public view returns (bool) {
        assembly {
            function checkField(v) {
                if iszero(lt(v, r)) {
                    mstore(0, 0)
                    return(0, 0x20)
                }
            }
            
            // G1 function to multiply a G1 value(x,y) to value in an address
            function g1_mulAccC(pR, x, y, s) {
                let success
                let mIn := mload(0x40)
                mstore(mIn, x)
                mstore(add(mIn, 32), y)
                mstore(add(mIn, 64), s)

                success := staticcall(sub(gas(), 2000), 7, mIn, 96, mIn, 64)

                if iszero(success) {
                    mstore(0, 0)
                    return(0, 0x20)
                }

                mstore(add(mIn, 64), mload(pR))
                mstore(add(mIn, 96), mload(add(pR, 32)))

                success := staticcall(sub(gas(), 2000), 6, mIn, 128, pR, 64)

                if iszero(success) {
                    mstore(0, 0)
                    return(0, 0x20)
                }
            }

            function checkPairing(pA, pB, pC, pubSignals, pMem) -> isOk {
                let _pPairing := add(pMem, pPairing)
                let _pVk := add(pMem, pVk)

                mstore(_pVk, IC0x)
                mstore(add(_pVk, 32), IC0y)

                // Compute the linear combination vk_x
                
                g1_mulAccC(_pVk, IC1x, IC1y, calldataload(add(pubSignals, 0)))
                
                g1_mulAccC(_pVk, IC2x, IC2y, calldataload(add(pubSignals, 32)))
                
                g1_mulAccC(_pVk, IC3x, IC3y, calldataload(add(pubSignals, 64)))
                
                g1_mulAccC(_pVk, IC4x, IC4y, calldataload(add(pubSignals, 96)))
                
                g1_mulAccC(_pVk, IC5x, IC5y, calldataload(add(pubSignals, 128)))
                
                g1_mulAccC(_pVk, IC6x, IC6y, calldataload(add(pubSignals, 160)))
                
                g1_mulAccC(_pVk, IC7x, IC7y, calldataload(add(pubSignals, 192)))
                
                g1_mulAccC(_pVk, IC8x, IC8y, calldataload(add(pubSignals, 224)))
                
                g1_mulAccC(_pVk, IC9x, IC9y, calldataload(add(pubSignals, 256)))
                
                g1_mulAccC(_pVk, IC10x, IC10y, calldataload(add(pubSignals, 288)))
                
                g1_mulAccC(_pVk, IC11x, IC11y, calldataload(add(pubSignals, 320)))
                
                g1_mulAccC(_pVk, IC12x, IC12y, calldataload(add(pubSignals, 352)))
                
                g1_mulAccC(_pVk, IC13x, IC13y, calldataload(add(pubSignals, 384)))
                
                g1_mulAccC(_pVk, IC14x, IC14y, calldataload(add(pubSignals, 416)))
                
                g1_mulAccC(_pVk, IC15x, IC15y, calldataload(add(pubSignals, 448)))
                
                g1_mulAccC(_pVk, IC16x, IC16y, calldataload(add(pubSignals, 480)))
                

                // -A
                mstore(_pPairing, calldataload(pA))
                mstore(add(_pPairing, 32), mod(sub(q, calldataload(add(pA, 32))), q))

                // B
                mstore(add(_pPairing, 64), calldataload(pB))
                mstore(add(_pPairing, 96), calldataload(add(pB, 32)))
                mstore(add(_pPairing, 128), calldataload(add(pB, 64)))
                mstore(add(_pPairing, 160), calldataload(add(pB, 96)))

                // alpha1
                mstore(add(_pPairing, 192), alphax)
                mstore(add(_pPairing, 224), alphay)

                // beta2
                mstore(add(_pPairing, 256), betax1)
                mstore(add(_pPairing, 288), betax2)
                mstore(add(_pPairing, 320), betay1)
                mstore(add(_pPairing, 352), betay2)

                // vk_x
                mstore(add(_pPairing, 384), mload(add(pMem, pVk)))
                mstore(add(_pPairing, 416), mload(add(pMem, add(pVk, 32))))


                // gamma2
                mstore(add(_pPairing, 448), gammax1)
                mstore(add(_pPairing, 480), gammax2)
                mstore(add(_pPairing, 512), gammay1)
                mstore(add(_pPairing, 544), gammay2)

                // C
                mstore(add(_pPairing, 576), calldataload(pC))
                mstore(add(_pPairing, 608), calldataload(add(pC, 32)))

                // delta2
                mstore(add(_pPairing, 640), deltax1)
                mstore(add(_pPairing, 672), deltax2)
                mstore(add(_pPairing, 704), deltay1)
                mstore(add(_pPairing, 736), deltay2)


                let success := staticcall(sub(gas(), 2000), 8, _pPairing, 768, _pPairing, 0x20)

                isOk := and(success, mload(_pPairing))
            }

            let pMem := mload(0x40)
            mstore(0x40, add(pMem, pLastMem))

            // Validate that all evaluations ∈ F
            
            checkField(calldataload(add(_pubSignals, 0)))
            
            checkField(calldataload(add(_pubSignals, 32)))
            
            checkField(calldataload(add(_pubSignals, 64)))
            
            checkField(calldataload(add(_pubSignals, 96)))
            
            checkField(calldataload(add(_pubSignals, 128)))
            
            checkField(calldataload(add(_pubSignals, 160)))
            
            checkField(calldataload(add(_pubSignals, 192)))
            
            checkField(calldataload(add(_pubSignals, 224)))
            
            checkField(calldataload(add(_pubSignals, 256)))
            
            checkField(calldataload(add(_pubSignals, 288)))
            
            checkField(calldataload(add(_pubSignals, 320)))
            
            checkField(calldataload(add(_pubSignals, 352)))
            
            checkField(calldataload(add(_pubSignals, 384)))
            
            checkField(calldataload(add(_pubSignals, 416)))
            
            checkField(calldataload(add(_pubSignals, 448)))
            
            checkField(calldataload(add(_pubSignals, 480)))
            

            // Validate all evaluations
            let isValid := checkPairing(_pA, _pB, _pC, _pubSignals, pMem)

            mstore(0, isValid)
             return(0, 0x20)
         }
     }
 }
