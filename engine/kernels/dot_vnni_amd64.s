#include "textflag.h"

// AVX-512 VNNI (on 256-bit registers) Q4_0 kernel. The nibbles stay
// unsigned and vpdpbusd multiplies them with the activation quants; the
// -8 offset arrives as the accumulator's starting value, -8 times the sum
// of each group of four activation quants (Q8.Corr, made with the
// quantization). Every int32 lane then holds exactly what ggml's
// mul_sum_i8_pairs lane holds, in 11 instructions a block instead of 17.
// Like dotQ4_0AVX2, even and odd blocks use two accumulators.

// NIBBLE_SHIFTS sets Y13's qwords to shift counts 0, 0, 4, 4: a block's 16
// bytes broadcast to both halves and shifted by Y13 then masked give the
// low nibbles in the low half and the high nibbles in the high half (bits
// that a qword shift moves in from the next byte are masked off).
#define NIBBLE_SHIFTS \
	VPXOR X13, X13, X13; \
	MOVL $4, AX; \
	VMOVQ AX, X12; \
	VPBROADCASTQ X12, X12; \
	VINSERTI128 $1, X12, Y13, Y13

#define Q40V_BLOCK(wo, qo, co, do, acc) \
	VBROADCASTI128 wo+2(SI), Y1; \
	VPSRLVQ Y13, Y1, Y1; \
	VPAND   Y14, Y1, Y1; \
	VMOVDQU co(BX), Y3; \
	VPDPBUSD qo(DI), Y1, Y3; \
	VCVTDQ2PS Y3, Y3; \
	VPBROADCASTW wo(SI), X4; \
	VCVTPH2PS X4, Y4; \
	VMULPS.BCST do(DX), Y4, Y4; \
	VFMADD231PS Y4, Y3, acc

// func dotQ4_0VNNI(w *byte, qs *int8, d *float32, corr *int32, nb int) float32
TEXT ·dotQ4_0VNNI(SB), NOSPLIT, $0-44
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ corr+24(FP), BX
	MOVQ nb+32(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y9, Y9, Y9
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	NIBBLE_SHIFTS

q40vpair:
	CMPQ CX, $2
	JLT  q40vone
	// Decode streams each weight row from memory once; asking for the
	// line 1 KiB ahead (about one 2048-wide row) hides part of the
	// latency that the hardware prefetcher leaves at row starts.
	PREFETCHT0 1024(SI)
	Q40V_BLOCK(0, 0, 0, 0, Y0)
	Q40V_BLOCK(18, 32, 32, 4, Y9)
	ADDQ $36, SI
	ADDQ $64, DI
	ADDQ $64, BX
	ADDQ $8, DX
	SUBQ $2, CX
	JMP  q40vpair

q40vone:
	TESTQ CX, CX
	JEQ   q40vdone
	Q40V_BLOCK(0, 0, 0, 0, Y0)

q40vdone:
	VADDPS Y9, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS  X1, X0, X0
	VMOVHLPS X0, X0, X1
	VADDPS  X1, X0, X0
	VMOVSHDUP X0, X1
	VADDSS  X1, X0, X0
	VMOVSS X0, ret+40(FP)
	VZEROUPPER
	RET

// Four-token Q4_0 with VNNI, for prefill: the unsigned nibbles and the
// weight scale are prepared once per block; per token, 5 instructions.
// Token t's quants and corrections are at +t*R8 (both 32 bytes a block),
// its scales at +t*R10.
#define Q40V_TOKEN(qaddr, caddr, daddr, acc) \
	VMOVDQU caddr, Y7; \
	VPDPBUSD qaddr, Y1, Y7; \
	VCVTDQ2PS Y7, Y7; \
	VMULPS.BCST daddr, Y6, Y8; \
	VFMADD231PS Y8, Y7, acc

#define HSUMV(acc, xacc, dst) \
	VEXTRACTF128 $1, acc, X1; \
	VADDPS  X1, xacc, X1; \
	VMOVHLPS X1, X1, X2; \
	VADDPS  X2, X1, X1; \
	VMOVSHDUP X1, X2; \
	VADDSS  X2, X1, X1; \
	VMOVSS  X1, dst

// func dotQ4_0x4VNNI(w *byte, qs *int8, d *float32, corr *int32, nb, qstride, dstride int, out *[4]float32)
TEXT ·dotQ4_0x4VNNI(SB), NOSPLIT, $0-64
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ corr+24(FP), BX
	MOVQ nb+32(FP), CX
	MOVQ qstride+40(FP), R8
	MOVQ dstride+48(FP), R10
	LEAQ (R8)(R8*2), R9
	LEAQ (R10)(R10*2), R11
	VXORPS Y0, Y0, Y0
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	NIBBLE_SHIFTS

q40x4vloop:
	TESTQ CX, CX
	JEQ   q40x4vdone
	VBROADCASTI128 2(SI), Y1
	VPSRLVQ Y13, Y1, Y1
	VPAND   Y14, Y1, Y1
	VPBROADCASTW (SI), X6
	VCVTPH2PS X6, Y6
	Q40V_TOKEN((DI), (BX), (DX), Y0)
	Q40V_TOKEN((DI)(R8*1), (BX)(R8*1), (DX)(R10*1), Y9)
	Q40V_TOKEN((DI)(R8*2), (BX)(R8*2), (DX)(R10*2), Y10)
	Q40V_TOKEN((DI)(R9*1), (BX)(R9*1), (DX)(R11*1), Y11)
	ADDQ $18, SI
	ADDQ $32, DI
	ADDQ $32, BX
	ADDQ $4, DX
	DECQ CX
	JMP  q40x4vloop

q40x4vdone:
	MOVQ out+56(FP), DI
	HSUMV(Y0, X0, 0(DI))
	HSUMV(Y9, X9, 4(DI))
	HSUMV(Y10, X10, 8(DI))
	HSUMV(Y11, X11, 12(DI))
	VZEROUPPER
	RET

// Four-token Q8_0 with VNNI, for prefill. vpdpbusd wants one unsigned
// operand, so the weights are flipped to w+128 (xor 0x80) once per block
// and each lane starts from -128 times its four activation quants' sum,
// which is Q8.Corr (made for -8) shifted left by 4. Every int32 lane then
// equals the AVX2 kernel's (sum of four products, exact), and the float
// steps are the same, so results are bit for bit those of dotQ8_0AVX2.
#define Q80V_TOKEN(qaddr, caddr, daddr, acc) \
	VMOVDQU caddr, Y7; \
	VPSLLD $4, Y7, Y7; \
	VPDPBUSD qaddr, Y1, Y7; \
	VCVTDQ2PS Y7, Y7; \
	VMULPS.BCST daddr, Y6, Y8; \
	VFMADD231PS Y8, Y7, acc

// func dotQ8_0x4VNNI(w *byte, qs *int8, d *float32, corr *int32, nb, qstride, dstride int, out *[4]float32)
TEXT ·dotQ8_0x4VNNI(SB), NOSPLIT, $0-64
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ corr+24(FP), BX
	MOVQ nb+32(FP), CX
	MOVQ qstride+40(FP), R8
	MOVQ dstride+48(FP), R10
	LEAQ (R8)(R8*2), R9
	LEAQ (R10)(R10*2), R11
	VXORPS Y0, Y0, Y0
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	MOVL $0x80808080, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14

q80x4vloop:
	TESTQ CX, CX
	JEQ   q80x4vdone
	VPXOR 2(SI), Y14, Y1
	MOVWLZX (SI), AX
	VMOVD   AX, X6
	VCVTPH2PS X6, X6
	VBROADCASTSS X6, Y6
	Q80V_TOKEN((DI), (BX), (DX), Y0)
	Q80V_TOKEN((DI)(R8*1), (BX)(R8*1), (DX)(R10*1), Y9)
	Q80V_TOKEN((DI)(R8*2), (BX)(R8*2), (DX)(R10*2), Y10)
	Q80V_TOKEN((DI)(R9*1), (BX)(R9*1), (DX)(R11*1), Y11)
	ADDQ $34, SI
	ADDQ $32, DI
	ADDQ $32, BX
	ADDQ $4, DX
	DECQ CX
	JMP  q80x4vloop

q80x4vdone:
	MOVQ out+56(FP), DI
	HSUMV(Y0, X0, 0(DI))
	HSUMV(Y9, X9, 4(DI))
	HSUMV(Y10, X10, 8(DI))
	HSUMV(Y11, X11, 12(DI))
	VZEROUPPER
	RET
