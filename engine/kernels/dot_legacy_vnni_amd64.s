#include "textflag.h"
#include "legacy_amd64.h"

// One-token row dots of Q5_0, Q4_1 and Q5_1 (AVX-512 BW/VL + VNNI), bit
// for bit the AVX2 ones (dot_legacy_amd64.s) and so the references: the
// same exact int32 sum per block, the same float steps, sumf += t_b in
// block order.
//
// What changes is how the sums are made. The quants go to vpdpbusd as
// unsigned 0..31 (nibble, fifth bit or-ed in through a mask loaded
// straight from qh), one instruction per block instead of vpmaddubsw +
// vpmaddwd (+ vpsignb for Q5_0). The activations' per-block terms no
// longer come from each row: Q5_0's offset -16·Σy is 2·Off[b] (Off =
// -8·Σy), and Q4_1/Q5_1's s_y is S1[b], both made once per token when the
// activations are quantized (makeSums).
//
// Registers: SI weight blocks, DI activation quants, DX activation scales,
// R8 Off (Q5_0) or S1 (Q4_1, Q5_1), CX blocks left, X0 sumf. Y4..Y7 the
// four blocks' int32 lanes, Y8..Y13 scratch, Y14 bytes 0x0f, Y17 bytes
// 0x10.


#define LV_CONSTS \
	VXORPS X0, X0, X0; \
	MOVL $0x0f0f0f0f, AX; \
	VMOVD AX, X1; \
	VPBROADCASTD X1, Y14; \
	MOVL $0x10101010, AX; \
	VMOVD AX, X1; \
	VPBROADCASTD X1, Y17

// LV_NIBBLES: Y9 = the 32 nibbles of the 16 bytes at off(SI), low first.
#define LV_NIBBLES(off) \
	VMOVDQU     off(SI), X9; \
	VPSRLW      $4, X9, X10; \
	VINSERTI128 $1, X10, Y9, Y9; \
	VPANDD      Y14, Y9, Y9

// LV_FIFTH: add 16 to byte i of Y9 where bit i of the u32 at off(SI) is set.
#define LV_FIFTH(off) \
	KMOVD  off(SI), K1; \
	VPADDB Y17, Y9, K1, Y9

// LV_DOT: acc = Σ u8(Y9)·s8(y) per group of four, y the 32 quants at yoff(DI).
#define LV_DOT(yoff, acc) \
	VPXORD   acc, acc, acc; \
	VPDPBUSD yoff(DI), Y9, acc

// LV_W50, LV_W41, LV_W51: Y9 = the unsigned quants of the Q5_0, Q4_1 or
// Q5_1 block at off(SI).
#define LV_W50(off) \
	LV_NIBBLES(off+6); \
	LV_FIFTH(off+2)

#define LV_W41(off) \
	LV_NIBBLES(off+4)

#define LV_W51(off) \
	LV_NIBBLES(off+8); \
	LV_FIFTH(off+4)

// LV_DOTS4: X4 = the int32 sums of four blocks of bs bytes, unpacked by W.
#define LV_DOTS4(W, bs) \
	W(0); \
	LV_DOT(0, Y4); \
	W(bs); \
	LV_DOT(32, Y5); \
	W(2*bs); \
	LV_DOT(64, Y6); \
	W(3*bs); \
	LV_DOT(96, Y7); \
	LV_REDUCE

// LV_STEP moves the pointers past n blocks of bs bytes.
#define LV_STEP(bs, n) \
	ADDQ $(bs*n), SI; \
	ADDQ $(32*n), DI; \
	ADDQ $(4*n), DX; \
	ADDQ $(4*n), R8

// LV_REDUCE: X4 = the four blocks' sums (Y4..Y7), as floats.
#define LV_REDUCE \
	VPHADDD      Y5, Y4, Y4; \
	VPHADDD      Y7, Y6, Y6; \
	VPHADDD      Y6, Y4, Y4; \
	VEXTRACTI128 $1, Y4, X5; \
	VPADDD       X5, X4, X4

// LV_MINS4 finishes four Q4_1/Q5_1 blocks of bs bytes from X4 (int sums):
// with the blocks' (d, m) deinterleaved to [d0..3 | m0..3] and multiplied
// by [dy0..3 | s_y0..3], t = (d·dy)·sumi + m·s_y per block.
#define LV_MINS4(bs) \
	VCVTDQ2PS     X4, X4; \
	DM4(bs); \
	VMOVUPS       (DX), X8; \
	VINSERTF128   $1, (R8), Y8, Y8; \
	VMULPS        Y8, Y7, Y7; \
	VMULPS        X4, X7, X8; \
	VEXTRACTF128  $1, Y7, X9; \
	VADDPS        X9, X8, X8; \
	CHAIN4(X8)

// LV_MINS1 finishes one Q4_1/Q5_1 block from Y4.
#define LV_MINS1 \
	HSUM_I32(Y4, X4, X5); \
	VCVTDQ2PS    X4, X4; \
	MOVWLZX      2(SI), AX; \
	VMOVD        AX, X6; \
	VCVTPH2PS    X6, X6; \
	VMULSS       (R8), X6, X6; \
	MOVWLZX      0(SI), AX; \
	VMOVD        AX, X7; \
	VCVTPH2PS    X7, X7; \
	VMULSS       (DX), X7, X7; \
	VMULSS       X4, X7, X7; \
	VADDSS       X6, X7, X7; \
	VADDSS       X7, X0, X0

// func dotQ5_0VNNI(w *byte, qs *int8, d *float32, off *int32, nb int) float32
TEXT ·dotQ5_0VNNI(SB), NOSPLIT, $0-44
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ off+24(FP), R8
	MOVQ nb+32(FP), CX
	LV_CONSTS

lq50quad:
	CMPQ CX, $4
	JLT  lq50one
	LV_DOTS4(LV_W50, 22)
	VMOVDQU   (R8), X5
	VPSLLD    $1, X5, X5
	VPADDD    X5, X4, X4
	Q5_0_FLOATS4
	LV_STEP(22, 4)
	SUBQ      $4, CX
	JMP       lq50quad

lq50one:
	TESTQ        CX, CX
	JEQ          lq50done
	LV_W50(0)
	LV_DOT(0, Y4)
	HSUM_I32(Y4, X4, X5)
	MOVL         (R8), AX
	SHLL         $1, AX
	VMOVD        AX, X5
	VPADDD       X5, X4, X4
	Q5_0_FLOAT1
	LV_STEP(22, 1)
	DECQ         CX
	JMP          lq50one

lq50done:
	VMOVSS X0, ret+40(FP)
	VZEROUPPER
	RET

// func dotQ4_1VNNI(w *byte, qs *int8, d *float32, s1 *float32, nb int) float32
TEXT ·dotQ4_1VNNI(SB), NOSPLIT, $0-44
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ s1+24(FP), R8
	MOVQ nb+32(FP), CX
	LV_CONSTS

lq41quad:
	CMPQ CX, $4
	JLT  lq41one
	LV_DOTS4(LV_W41, 20)
	LV_MINS4(20)
	LV_STEP(20, 4)
	SUBQ $4, CX
	JMP  lq41quad

lq41one:
	TESTQ CX, CX
	JEQ   lq41done
	LV_W41(0)
	LV_DOT(0, Y4)
	LV_MINS1
	LV_STEP(20, 1)
	DECQ  CX
	JMP   lq41one

lq41done:
	VMOVSS X0, ret+40(FP)
	VZEROUPPER
	RET

// func dotQ5_1VNNI(w *byte, qs *int8, d *float32, s1 *float32, nb int) float32
TEXT ·dotQ5_1VNNI(SB), NOSPLIT, $0-44
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ s1+24(FP), R8
	MOVQ nb+32(FP), CX
	LV_CONSTS

lq51quad:
	CMPQ CX, $4
	JLT  lq51one
	LV_DOTS4(LV_W51, 24)
	LV_MINS4(24)
	LV_STEP(24, 4)
	SUBQ $4, CX
	JMP  lq51quad

lq51one:
	TESTQ CX, CX
	JEQ   lq51done
	LV_W51(0)
	LV_DOT(0, Y4)
	LV_MINS1
	LV_STEP(24, 1)
	DECQ  CX
	JMP   lq51one

lq51done:
	VMOVSS X0, ret+40(FP)
	VZEROUPPER
	RET
