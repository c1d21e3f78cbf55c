#include "textflag.h"
#include "k4_amd64.h"

// Four-token Q4_K, for prefill (AVX2 with AVX-512VL embedded broadcasts,
// so it runs where the VNNI kernels do). Per block the 6-bit scales and
// mins are unpacked once and each 64-value chunk's nibbles once; each token
// then does exactly the one-token kernel's arithmetic (dotQ4_KAVX2), in
// the same order, so results are bit for bit four single calls.
//
// Token t's quants are at DI + t*R8, its scales at DX + t*R9, its bsums at
// BX + t*R10; token 3's bases are R11, R12, R13 (token 2's + stride).
// Float accumulators: Y0, Y12, Y13, Y15; int32 block sums: Y8..Y11; the
// mins accumulators live at 16(SP).. as four floats.

// Q4KX4_MINS: token's Σ m_j·(bsums[2j]+bsums[2j+1]) times dmin (X2) and
// its activation scale, added into its float at slot. X1 holds the mins.
#define Q4KX4_MINS(b0, b16, daddr, slot) \
	VMOVDQU b0, X3; \
	VMOVDQU b16, X4; \
	VPHADDW X4, X3, X3; \
	VPMADDWD X3, X1, X3; \
	VPHADDD X3, X3, X3; \
	VPHADDD X3, X3, X3; \
	VCVTDQ2PS X3, X3; \
	VMULSS daddr, X2, X5; \
	VMOVSS slot, X6; \
	VFMADD231SS X5, X3, X6; \
	VMOVSS X6, slot

// Q4KX4_TOKEN: one token's part of chunk k: low nibbles Y2, high Y3,
// scales Y4 / Y5.
#define Q4KX4_TOKEN(lo, hi, acc) \
	VPMADDUBSW lo, Y2, Y6; \
	VPMADDUBSW hi, Y3, Y7; \
	VPMADDWD Y4, Y6, Y6; \
	VPMADDWD Y5, Y7, Y7; \
	VPADDD  Y6, acc, acc; \
	VPADDD  Y7, acc, acc

#define Q4KX4_CHUNK(k) \
	VMOVDQU (16+32*k)(SI), Y1; \
	VPAND   Y14, Y1, Y2; \
	VPSRLW  $4, Y1, Y3; \
	VPAND   Y14, Y3, Y3; \
	VPBROADCASTW (4*k)(SP), Y4; \
	VPBROADCASTW (4*k+2)(SP), Y5; \
	Q4KX4_TOKEN((64*k)(DI), (64*k+32)(DI), Y8); \
	Q4KX4_TOKEN((64*k)(DI)(R8*1), (64*k+32)(DI)(R8*1), Y9); \
	Q4KX4_TOKEN((64*k)(DI)(R8*2), (64*k+32)(DI)(R8*2), Y10); \
	Q4KX4_TOKEN((64*k)(R11), (64*k+32)(R11), Y11)

// Q4KX4_SCALE: facc += float(isum) * (d · token's activation scale); Y1
// holds d broadcast.
#define Q4KX4_SCALE(isum, daddr, facc) \
	VCVTDQ2PS isum, isum; \
	VMULPS.BCST daddr, Y1, Y6; \
	VFMADD231PS Y6, isum, facc

// Q4KX4_OUT: the one-token kernel's final reduction, minus the mins.
#define Q4KX4_OUT(facc, xfacc, slot, dst) \
	VEXTRACTF128 $1, facc, X1; \
	VADDPS  X1, xfacc, X1; \
	VHADDPS X1, X1, X1; \
	VHADDPS X1, X1, X1; \
	VSUBSS  slot, X1, X1; \
	VMOVSS  X1, dst

// func dotQ4_Kx4VNNI(w *byte, qs *int8, d *float32, bsums *int16, nb, qstride, dstride, bstride int, out *[4]float32)
TEXT ·dotQ4_Kx4VNNI(SB), NOSPLIT, $32-72
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ bsums+24(FP), BX
	MOVQ qstride+40(FP), R8
	MOVQ dstride+48(FP), R9
	MOVQ bstride+56(FP), R10
	VXORPS Y0, Y0, Y0
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y15, Y15, Y15
	VMOVUPS X0, 16(SP)
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14

q4kx4loop:
	CMPQ nb+32(FP), $0
	JEQ  q4kx4done
	// Scales and mins as in dotQ4_KAVX2 (ggml's utmp trick).
	K4_UTMP(AX, CX, R11, R12, R13)
	VMOVQ AX, X1
	VPMOVZXBW X1, X1
	VMOVDQU X1, 0(SP)
	VMOVQ CX, X1
	VPMOVZXBW X1, X1  // mins as int16
	MOVWLZX 2(SI), AX
	VMOVD AX, X2
	VCVTPH2PS X2, X2  // dmin
	LEAQ (DI)(R8*2), R11
	ADDQ R8, R11
	LEAQ (DX)(R9*2), R12
	ADDQ R9, R12
	LEAQ (BX)(R10*2), R13
	ADDQ R10, R13
	Q4KX4_MINS((BX), 16(BX), (DX), 16(SP))
	Q4KX4_MINS((BX)(R10*1), 16(BX)(R10*1), (DX)(R9*1), 20(SP))
	Q4KX4_MINS((BX)(R10*2), 16(BX)(R10*2), (DX)(R9*2), 24(SP))
	Q4KX4_MINS((R13), 16(R13), (R12), 28(SP))

	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11
	Q4KX4_CHUNK(0)
	Q4KX4_CHUNK(1)
	Q4KX4_CHUNK(2)
	Q4KX4_CHUNK(3)
	MOVWLZX 0(SI), AX
	VMOVD AX, X1
	VCVTPH2PS X1, X1
	VBROADCASTSS X1, Y1
	Q4KX4_SCALE(Y8, (DX), Y0)
	Q4KX4_SCALE(Y9, (DX)(R9*1), Y12)
	Q4KX4_SCALE(Y10, (DX)(R9*2), Y13)
	Q4KX4_SCALE(Y11, (R12), Y15)

	ADDQ $144, SI
	ADDQ $256, DI
	ADDQ $4, DX
	ADDQ $32, BX
	DECQ nb+32(FP)
	JMP  q4kx4loop

q4kx4done:
	MOVQ out+64(FP), DI
	Q4KX4_OUT(Y0, X0, 16(SP), 0(DI))
	Q4KX4_OUT(Y12, X12, 20(SP), 4(DI))
	Q4KX4_OUT(Y13, X13, 24(SP), 8(DI))
	Q4KX4_OUT(Y15, X15, 28(SP), 12(DI))
	VZEROUPPER
	RET
