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

    
    uint256 constant IC0x = 11349308594683704417716090497302481558294979774235684541800753288035494669687;
    uint256 constant IC0y = 9723352166726720102737561495558349803387251914146381388295276664458711003565;
    
    uint256 constant IC1x = 11852816484454829489104830404441967996384634001553336452098640678887461552108;
    uint256 constant IC1y = 13020474239679888091941979466452242515523425132232305158095012605778185152674;
    
    uint256 constant IC2x = 4031912282328142417841035041234228452716146804879618468330610892169989634541;
    uint256 constant IC2y = 19909581074691405845516770223449685820787893123694695821872691591245751852738;
    
    uint256 constant IC3x = 8707073614523287004744324247438632024235421681944562382954362210246030198727;
    uint256 constant IC3y = 11484875582479223169756658446280340543434559120602297614465748293689890919473;
    
    uint256 constant IC4x = 5677989117825354848833840793105959801468610051976284313157228493734468322025;
    uint256 constant IC4y = 9131334776169173613439600672538281753436909275859298099278398916442049058146;
    
    uint256 constant IC5x = 2116355239902352527335902013826283212429754253955530804049497284456759907176;
    uint256 constant IC5y = 6075098040057089867644021251321367701338822258252224551788900681703704359446;
    
    uint256 constant IC6x = 4257026037585475708244128304741346668862369332005186437479345199194285699125;
    uint256 constant IC6y = 10222977403212126956543134885361940225994918757501147654578502568154940544959;
    
    uint256 constant IC7x = 4261914922920080537381583225082973821242014921275987084379141222346713151032;
    uint256 constant IC7y = 19689284440256514722223732480655847239584989785512024188401519503166593507480;
    
    uint256 constant IC8x = 6005196987472455895194992319443944473250713781006626997245654374428343452295;
    uint256 constant IC8y = 801328600994858233490971494200669842173272366759857006739512446119904068801;
    
    uint256 constant IC9x = 13272907396048285855451183957940361906398529996956147985828487860604912494082;
    uint256 constant IC9y = 7118541261860707495109641322022589037867168314538080698144490622420816594215;
    
    uint256 constant IC10x = 18871470845177018504953467554639755629996375951977524487926491250408387164079;
    uint256 constant IC10y = 894353974492412761194453003557888599351940681346143038848789406800369398577;
    
    uint256 constant IC11x = 2452456882208617971533853487635146900331805073349905526918289127533678705215;
    uint256 constant IC11y = 5534661182375821490835069132694306460340280538628931892170840761990164991844;
    
    uint256 constant IC12x = 851696191314100519935273887810004811461256173799173094075628575552099169394;
    uint256 constant IC12y = 21873854966515049542900627484109104790926958431641160730427946622540576981499;
    
    uint256 constant IC13x = 19359599483761606772062146726783792562519251222709017677788691753397541673926;
    uint256 constant IC13y = 5141079946167545676689481396951978500302970097068711800882162780551737000847;
    
    uint256 constant IC14x = 5768752691500420546402461646957406980033830297156385255106580635024504050704;
    uint256 constant IC14y = 13841099645665200798017681780587511627801864850545031582216651536456017066289;
    
    uint256 constant IC15x = 17887640384171906134108855772015583626092347017820113916320873760809551438908;
    uint256 constant IC15y = 4511703813414411870265142475633145073918280366338738474197848860353387025013;
    
    uint256 constant IC16x = 7712781091440982051756415141915551685882967364390814354956807105658827344515;
    uint256 constant IC16y = 2258477177389638533861904783986380100827944108374490544477209841984963003418;
    
 
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
