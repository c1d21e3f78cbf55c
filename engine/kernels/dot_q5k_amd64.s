#include "textflag.h"
#include "k4_amd64.h"

// Q5_K row dot, ggml's AVX2 scheme: each 32-value sub-block k is its low
// (k even) or high (k odd) nibbles of 32 qs bytes plus bit k of the 32 qh
// bytes moved to bit 4, so 0..31; vpmaddubsw against the activation quants
// (|pair| <= 2*31*128, no saturation) and vpmaddwd with the sub-block's
// scale give 8 int32 lanes, lane i holding bytes 4i..4i+3 of every
// sub-block. Those are the lanes refDotQ5_K keeps, so the per-block FMA,
// the per-block min FMA and the final reduction match it bit for bit.
//
// Registers: SI weight block, DI activation quants, DX activation scales,
// BX activation bsums, CX blocks left. Y0 float accumulator, X11 summs,
// Y10 int32 lane sums, Y12 the qh bytes, Y1-Y6 temporaries. Constants:
// Y14 bytes 0x0f, Y13 bytes 0x10. The eight scales are kept as int16 at
// 0(SP) for vpbroadcastw.

// Q5K_SUB: q holds sub-block k's nibbles, hb the qh bytes shifted so that
// bit k sits at bit 4 of each byte.
#define Q5K_SUB(q, hb, k) \
	VPAND      Y13, hb, Y4; \
	VPOR       Y4, q, q; \
	VPMADDUBSW (32*k)(DI), q, q; \
	VPBROADCASTW (2*k)(SP), Y6; \
	VPMADDWD   Y6, q, q; \
	VPADDD     q, Y10, Y10

// Q5K_PAIR loads the 32 qs bytes of sub-blocks 2c and 2c+1 into Y2 (low
// nibbles) and Y3 (high nibbles).
#define Q5K_PAIR(c) \
	VMOVDQU (48+32*c)(SI), Y1; \
	VPAND   Y14, Y1, Y2; \
	VPSRLW  $4, Y1, Y3; \
	VPAND   Y14, Y3, Y3

// func dotQ5_KAVX2(w *byte, qs *int8, d *float32, bsums *int16, nb int) float32
TEXT ·dotQ5_KAVX2(SB), NOSPLIT, $16-44
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ bsums+24(FP), BX
	MOVQ nb+32(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS X11, X11, X11
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	MOVL $0x10101010, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13

q5kloop:
	// ggml's utmp trick: 12 packed bytes -> 8 scales, 8 mins (6 bits each).
	K4_UTMP(R8, R9, R10, R11, R12)
	VMOVQ R8, X1
	VPMOVZXBW X1, X1
	VMOVDQU X1, 0(SP)

	// summs += (-y.d*dmin) · Σ m_j·(bsums[2j]+bsums[2j+1]), one FMA.
	VMOVQ R9, X2
	VPMOVZXBW X2, X2
	VMOVDQU (BX), X3
	VMOVDQU 16(BX), X4
	VPHADDW X4, X3, X3
	VPMADDWD X3, X2, X2
	VPHADDD X2, X2, X2
	VPHADDD X2, X2, X2
	VCVTDQ2PS X2, X2
	MOVWLZX 2(SI), AX
	VMOVD AX, X5
	VCVTPH2PS X5, X5
	VMULSS (DX), X5, X5
	VFNMADD231SS X5, X2, X11

	VMOVDQU 16(SI), Y12
	VPXOR   Y10, Y10, Y10

	Q5K_PAIR(0)
	VPSLLW $4, Y12, Y5
	Q5K_SUB(Y2, Y5, 0)
	VPSLLW $3, Y12, Y5
	Q5K_SUB(Y3, Y5, 1)
	Q5K_PAIR(1)
	VPSLLW $2, Y12, Y5
	Q5K_SUB(Y2, Y5, 2)
	VPSLLW $1, Y12, Y5
	Q5K_SUB(Y3, Y5, 3)
	Q5K_PAIR(2)
	Q5K_SUB(Y2, Y12, 4)
	VPSRLW $1, Y12, Y5
	Q5K_SUB(Y3, Y5, 5)
	Q5K_PAIR(3)
	VPSRLW $2, Y12, Y5
	Q5K_SUB(Y2, Y5, 6)
	VPSRLW $3, Y12, Y5
	Q5K_SUB(Y3, Y5, 7)

	// d = y.d * x.d, then one FMA per block into the float lanes.
	VCVTDQ2PS    Y10, Y10
	MOVWLZX      0(SI), AX
	VMOVD        AX, X6
	VCVTPH2PS    X6, X6
	VMULSS       (DX), X6, X6
	VBROADCASTSS X6, Y6
	VFMADD231PS  Y6, Y10, Y0

	ADDQ $176, SI
	ADDQ $256, DI
	ADDQ $4, DX
	ADDQ $32, BX
	DECQ CX
	JNZ  q5kloop

	// hsum_float_8: (lo+hi), then lanes (0+2)+(1+3); then + summs.
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0
	VADDSS       X11, X0, X0
	VMOVSS       X0, ret+40(FP)
	VZEROUPPER
	RET
