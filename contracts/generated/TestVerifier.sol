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

contract TestVerifier {
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

    
    uint256 constant IC0x = 4477544996969319305548852832612233122233937418010758450606456840948776797989;
    uint256 constant IC0y = 4491745822172141645506836082220483106452383758004361207827647543314293455112;
    
    uint256 constant IC1x = 2071035799118343388377627848354666143802559465646031204149171025579675752259;
    uint256 constant IC1y = 20365892297316780374047079975903849765155110262207566114797978169285655814938;
    
    uint256 constant IC2x = 5313637571700580350205201699071020430104384805608525444374120173260145623344;
    uint256 constant IC2y = 355750227126232953802655036159427427901762965688610679556281969240998278395;
    
    uint256 constant IC3x = 9175022732978947850996266797011886952846540592269774230283714139773671410196;
    uint256 constant IC3y = 12785745547911601568253636535342038518601875959095047275986086394156316353380;
    
    uint256 constant IC4x = 12371345536086846262711910324278536432893300489790314734544310538113624460177;
    uint256 constant IC4y = 19302321635954530561032809278314371182854091297968331750683079175040139279272;
    
    uint256 constant IC5x = 11416117762424177447577340956737541505043109976048249839352013549557655993288;
    uint256 constant IC5y = 13995201734085900730329598875464390881755713110753442520162459632026096810042;
    
    uint256 constant IC6x = 18215176408344856461444422368165279808942533618687496329396783185249736003987;
    uint256 constant IC6y = 7490931996258360679372376614800325595688329983958622030919041647050330628470;
    
    uint256 constant IC7x = 21356906552634366030210087308702995742964040921722814576501775595031024495438;
    uint256 constant IC7y = 8880586607720054784555046333487936590533846337023787484885808308051524486345;
    
    uint256 constant IC8x = 9140553864020851838840563018822921506758557668018342087956625620323010718191;
    uint256 constant IC8y = 4676195493762479770290334639144074085209188889445096219593607171108221528044;
    
    uint256 constant IC9x = 6498371608477151875162942578879071432361337812073328718650552058919140305175;
    uint256 constant IC9y = 3600083509287109940394149631411650987502009027489422488996438243396845149073;
    
    uint256 constant IC10x = 15917883793786415365496200450531615028609853036501688795372720379979586480381;
    uint256 constant IC10y = 19785989816011279422410017300584644082876885922581764081967044338968819702304;
    
    uint256 constant IC11x = 5633319231148645347583357353435844317238201424499329575547398092810880891355;
    uint256 constant IC11y = 21734063072431988871596222254192707642929580480804370632529346651114772289282;
    
 
    // Memory data
    uint16 constant pVk = 0;
    uint16 constant pPairing = 128;

    uint16 constant pLastMem = 896;

    function verifyProof(uint[2] calldata _pA, uint[2][2] calldata _pB, uint[2] calldata _pC, uint[11] calldata _pubSignals) public view returns (bool) {
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
            

            // Validate all evaluations
            let isValid := checkPairing(_pA, _pB, _pC, _pubSignals, pMem)

            mstore(0, isValid)
             return(0, 0x20)
         }
     }
 }
