#include "textflag.h"
#include "k4_amd64.h"

// Four-token Q5_K row dot, for prefill and batched decode. Each block's
// scales and mins are unpacked once and each sub-block's 5-bit values
// built once; every token then does the one-token kernel's (dotQ5_KAVX2)
// integer work on them into its own int32 lanes, and per block the same
// cvt, d = y.d*x.d and FMA into its own float lanes. The four tokens' min
// terms share one 4-lane vfnmadd231ps whose lane t is exactly the
// one-token kernel's scalar vfnmadd231ss. So out[t] is bit for bit
// dotQ5_KAVX2 on token t.
//
// Token t's quants are at DI + t*R8 (R9 = 3*R8), its scales at DX + t*R10
// (R11 = 3*R10), its bsums at BX + t*R12 (R13 = 3*R12); the scale
// unpacking borrows R8-R13 and reloads them. CX blocks left.
// Y0-Y3 float accumulators of tokens 0-3, Y4-Y7 their int32 block sums;
// Y8/Y9 the low/high nibbles of the current qs bytes, Y10 the current
// sub-block's values, Y11 its scale, Y12 the qh bytes, Y15 temporary.
// Constants: Y14 bytes 0x0f, Y13 bytes 0x10.
// Frame: 0(SP) the eight scales as int16, 16(SP) the four tokens' summs,
// 32(SP) their d = y.d*x.d of the current block.

// Q5KX4_SUB: sub-block k from nibbles q and hb, the qh bytes shifted so
// that bit k sits at bit 4 of each byte.
#define Q5KX4_SUB(q, hb, k) \
	VPAND        Y13, hb, Y10; \
	VPOR         q, Y10, Y10; \
	VPBROADCASTW (2*k)(SP), Y11; \
	VPMADDUBSW   (32*k)(DI), Y10, Y15; \
	VPMADDWD     Y11, Y15, Y15; \
	VPADDD       Y15, Y4, Y4; \
	VPMADDUBSW   (32*k)(DI)(R8*1), Y10, Y15; \
	VPMADDWD     Y11, Y15, Y15; \
	VPADDD       Y15, Y5, Y5; \
	VPMADDUBSW   (32*k)(DI)(R8*2), Y10, Y15; \
	VPMADDWD     Y11, Y15, Y15; \
	VPADDD       Y15, Y6, Y6; \
	VPMADDUBSW   (32*k)(DI)(R9*1), Y10, Y15; \
	VPMADDWD     Y11, Y15, Y15; \
	VPADDD       Y15, Y7, Y7

#define Q5KX4_PAIR(c) \
	VMOVDQU (48+32*c)(SI), Y9; \
	VPAND   Y14, Y9, Y8; \
	VPSRLW  $4, Y9, Y9; \
	VPAND   Y14, Y9, Y9

// Q5KX4_MINS: token's Σ m_j·(bsums[2j]+bsums[2j+1]) as 4 int32 partials;
// X8 holds the mins as int16.
#define Q5KX4_MINS(addr, addr16, dst) \
	VMOVDQU  addr, dst; \
	VPHADDW  addr16, dst, dst; \
	VPMADDWD X8, dst, dst

// Q5KX4_SCALE: facc += float(isum) * d of token t.
#define Q5KX4_SCALE(isum, t, facc) \
	VCVTDQ2PS    isum, isum; \
	VBROADCASTSS (32+4*t)(SP), Y15; \
	VFMADD231PS  Y15, isum, facc

// Q5KX4_OUT: hsum_float_8 as the one-token kernel does it, plus summs.
#define Q5KX4_OUT(facc, xfacc, t) \
	VEXTRACTF128 $1, facc, X8; \
	VADDPS       X8, xfacc, X8; \
	VMOVHLPS     X8, X8, X9; \
	VADDPS       X9, X8, X8; \
	VMOVSHDUP    X8, X9; \
	VADDSS       X9, X8, X8; \
	VADDSS       (16+4*t)(SP), X8, X8; \
	VMOVSS       X8, (4*t)(AX)

// func dotQ5_Kx4AVX2(w *byte, qs *int8, d *float32, bsums *int16, nb, qstride, dstride, bstride int, out *[4]float32)
TEXT ·dotQ5_Kx4AVX2(SB), NOSPLIT, $48-72
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ bsums+24(FP), BX
	MOVQ nb+32(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VMOVUPS X0, 16(SP)
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	MOVL $0x10101010, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13

q5kx4loop:
	// Scales and mins as in dotQ5_KAVX2.
	K4_UTMP(R8, R9, R10, R11, R12)
	VMOVQ R8, X9
	VPMOVZXBW X9, X9
	VMOVDQU X9, 0(SP)
	VMOVQ R9, X8
	VPMOVZXBW X8, X8

	MOVQ qstride+40(FP), R8
	LEAQ (R8)(R8*2), R9
	MOVQ dstride+48(FP), R10
	LEAQ (R10)(R10*2), R11
	MOVQ bstride+56(FP), R12
	LEAQ (R12)(R12*2), R13

	// summs[t] += (-y_t.d*dmin) · summ_t, lane t of one vfnmadd231ps.
	Q5KX4_MINS((BX), 16(BX), X9)
	Q5KX4_MINS((BX)(R12*1), 16(BX)(R12*1), X10)
	Q5KX4_MINS((BX)(R12*2), 16(BX)(R12*2), X11)
	Q5KX4_MINS((BX)(R13*1), 16(BX)(R13*1), X15)
	VPHADDD X10, X9, X9
	VPHADDD X15, X11, X11
	VPHADDD X11, X9, X9
	VCVTDQ2PS X9, X9
	VMOVSS    (DX), X10
	VINSERTPS $0x10, (DX)(R10*1), X10, X10
	VINSERTPS $0x20, (DX)(R10*2), X10, X10
	VINSERTPS $0x30, (DX)(R11*1), X10, X10 // the four tokens' y.d
	MOVWLZX 2(SI), AX
	VMOVD AX, X11
	VCVTPH2PS X11, X11
	VBROADCASTSS X11, X11
	VMULPS X11, X10, X11
	VMOVUPS 16(SP), X15
	VFNMADD231PS X11, X9, X15
	VMOVUPS X15, 16(SP)
	MOVWLZX 0(SI), AX
	VMOVD AX, X11
	VCVTPH2PS X11, X11
	VBROADCASTSS X11, X11
	VMULPS X11, X10, X11
	VMOVUPS X11, 32(SP)

	VMOVDQU 16(SI), Y12
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7

	Q5KX4_PAIR(0)
	VPSLLW $4, Y12, Y10
	Q5KX4_SUB(Y8, Y10, 0)
	VPSLLW $3, Y12, Y10
	Q5KX4_SUB(Y9, Y10, 1)
	Q5KX4_PAIR(1)
	VPSLLW $2, Y12, Y10
	Q5KX4_SUB(Y8, Y10, 2)
	VPSLLW $1, Y12, Y10
	Q5KX4_SUB(Y9, Y10, 3)
	Q5KX4_PAIR(2)
	Q5KX4_SUB(Y8, Y12, 4)
	VPSRLW $1, Y12, Y10
	Q5KX4_SUB(Y9, Y10, 5)
	Q5KX4_PAIR(3)
	VPSRLW $2, Y12, Y10
	Q5KX4_SUB(Y8, Y10, 6)
	VPSRLW $3, Y12, Y10
	Q5KX4_SUB(Y9, Y10, 7)

	Q5KX4_SCALE(Y4, 0, Y0)
	Q5KX4_SCALE(Y5, 1, Y1)
	Q5KX4_SCALE(Y6, 2, Y2)
	Q5KX4_SCALE(Y7, 3, Y3)

	ADDQ $176, SI
	ADDQ $256, DI
	ADDQ $4, DX
	ADDQ $32, BX
	DECQ CX
	JNZ  q5kx4loop

	MOVQ out+64(FP), AX
	Q5KX4_OUT(Y0, X0, 0)
	Q5KX4_OUT(Y1, X1, 1)
	Q5KX4_OUT(Y2, X2, 2)
	Q5KX4_OUT(Y3, X3, 3)
	VZEROUPPER
	RET
