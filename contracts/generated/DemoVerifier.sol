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

    
    uint256 constant IC0x = 5874738546843930888237105912266505285205543425785614017476662655349860305565;
    uint256 constant IC0y = 4144842080449893253335026054626482021362845828870907309972433771748674361310;
    
    uint256 constant IC1x = 12336466385595215021556017375920480467845112630618826038713056059087084587495;
    uint256 constant IC1y = 21267577979553398827798597488170401286369455788864491839654173363436259276609;
    
    uint256 constant IC2x = 14153450968154807245995169875290702493852869286944202288507467337894734066049;
    uint256 constant IC2y = 2043568993551820653303526455039265976614739835649893514368875931515646004287;
    
    uint256 constant IC3x = 9951445145456926507065228179899904996074579336894665513968162946413316892814;
    uint256 constant IC3y = 1513405243317232794965337174312053982369014629688452417474868874733464673904;
    
    uint256 constant IC4x = 11558446528096349597982853943273948164105144474512109242073886619210111464491;
    uint256 constant IC4y = 3059520664707496583214484766876830470534628767732172473026662274709296681864;
    
    uint256 constant IC5x = 6862010509799171113426583408274789494617726603852517986384159537491692987838;
    uint256 constant IC5y = 5784016516394809401970706787487196431707813349946351408980473306441577741519;
    
    uint256 constant IC6x = 19133713045194198668797370555972960055019653091404605636349253765943265924817;
    uint256 constant IC6y = 19549934412401424868779408761116760108079471366279930227178568773522074094348;
    
    uint256 constant IC7x = 20856086849119097251166252901050740523511652451579217636757994090118069874468;
    uint256 constant IC7y = 2417439309126940909403402169135096311686022968317910255401314685084642924180;
    
    uint256 constant IC8x = 10390589550525628463030752933143892940608395005903693054524670376806185888956;
    uint256 constant IC8y = 17045883971128732649569165006412304607442746646521173558848978513116665091637;
    
    uint256 constant IC9x = 8056454471527756683475206741234603039232762624964930548199029874184278505070;
    uint256 constant IC9y = 19903837434340149054174372061525158722512122504374493478749094023069458626457;
    
    uint256 constant IC10x = 11691921696414003849630849441513335599508458843080795409894416479005266738715;
    uint256 constant IC10y = 7137597129621148462647398918684974507544638765659379067099712243124566733984;
    
    uint256 constant IC11x = 3835255517456983061269396134708778308996186003557190750849786787465669809244;
    uint256 constant IC11y = 18946274477034306350881645027013788770206670522585548259831026473114045629807;
    
    uint256 constant IC12x = 1758998480477370938880306165827318983653038252326276246372566629255994675617;
    uint256 constant IC12y = 18534936523274910285197411720426627729306738263041044007396347745977243087796;
    
    uint256 constant IC13x = 2497995878294166928382139508581746004643020661371932563400092361625258568804;
    uint256 constant IC13y = 5501586708646418443620590744079084708570781639349847995909835286895189116040;
    
    uint256 constant IC14x = 10673494144656833681077233799524268802356093759481090757529546784368997065278;
    uint256 constant IC14y = 8369564025027718426053654431161195996513223354467562603279338573408952737599;
    
    uint256 constant IC15x = 10994484403070180652966699270614391042846877548204366378045293744122540106516;
    uint256 constant IC15y = 8266610276592508607317465998119975888405809635292138451806801655764979819174;
    
    uint256 constant IC16x = 14338913676312392107958600579028771628950376783720436600202110345778657449968;
    uint256 constant IC16y = 12892367661137377197612316079315925540960222241339658892433994428068363237402;
    
 
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
