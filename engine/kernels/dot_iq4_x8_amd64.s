#include "textflag.h"

// Eight-token IQ4_XS row dot (AVX-512 BW + VL + VNNI). out[t] is bit for
// bit dotIQ4_XSAVX2 on token t: the same exact int32 lanes per block, then
// the same d = x.d*y.d, cvt and FMA into token t's own 8 float lanes, and
// the same hsum_float_8 at the end.
//
// Per block, once for all tokens: the eight sub-blocks' codebook values
// K_k (signed bytes, activation order, as the row dot makes them), their
// scales s_k = ls-32 as dwords on the stack, and C = Σ_k s_k·dpbusd(0x80,
// K_k), that is 128·Σ_k s_k·(lane sum of K_k). A token then flips its
// quants to unsigned (y^0x80 = y+128) and per sub-block takes one vpdpbusd
// (Σ (y+128)·kv per 4-byte lane, the row dot's lane grouping) times s_k;
// the sum over k minus C is exactly the row dot's Σ_k s_k·Σ y·kv per lane
// (|lane| < 2^24, no wrap; vpdpbusd does not saturate).
//
// Registers: Y0-Y7 float accumulators of tokens 0-7, Y8-Y15 K_0..K_7, Y16
// bytes 0x80, Y17 C, Y18 x.d broadcast, Y19-Y23 token temporaries, Y24
// codebook, Y25 bytes 0x0f, Y26 the nibble shift counts. Token t's quants
// and scale are at DI and DX after t steps of R8 and R10; R9 and R11 (seven
// steps) bring them back. SI weight blocks, CX blocks left. Frame: 0(SP)
// the eight s_k as int32.

DATA iq4x8LUT<>+0x00(SB)/8, $0xf6eaddcfbfad9881
DATA iq4x8LUT<>+0x08(SB)/8, $0x7159453526190d01
DATA iq4x8LUT<>+0x10(SB)/8, $0xf6eaddcfbfad9881
DATA iq4x8LUT<>+0x18(SB)/8, $0x7159453526190d01
GLOBL iq4x8LUT<>(SB), RODATA|NOPTR, $32

DATA iq4x8Shift<>+0x00(SB)/8, $0
DATA iq4x8Shift<>+0x08(SB)/8, $0
DATA iq4x8Shift<>+0x10(SB)/8, $0x0000000400000004
DATA iq4x8Shift<>+0x18(SB)/8, $0x0000000400000004
GLOBL iq4x8Shift<>(SB), RODATA|NOPTR, $32

DATA iq4x8Mask<>+0x00(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA iq4x8Mask<>+0x08(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA iq4x8Mask<>+0x10(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA iq4x8Mask<>+0x18(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL iq4x8Mask<>(SB), RODATA|NOPTR, $32

DATA iq4x8Flip<>+0x00(SB)/8, $0x8080808080808080
DATA iq4x8Flip<>+0x08(SB)/8, $0x8080808080808080
DATA iq4x8Flip<>+0x10(SB)/8, $0x8080808080808080
DATA iq4x8Flip<>+0x18(SB)/8, $0x8080808080808080
GLOBL iq4x8Flip<>(SB), RODATA|NOPTR, $32

DATA iq4x8HMul<>+0x00(SB)/8, $0x0100040010004000
DATA iq4x8HMul<>+0x08(SB)/8, $0x0001000400100040
GLOBL iq4x8HMul<>(SB), RODATA|NOPTR, $16

DATA iq4x8W32<>+0x00(SB)/8, $0x0020002000200020
DATA iq4x8W32<>+0x08(SB)/8, $0x0020002000200020
GLOBL iq4x8W32<>(SB), RODATA|NOPTR, $16

// X8_VALUES: K_k, the row dot's IQ4_VALUES.
#define X8_VALUES(k, v) \
	VBROADCASTI128 (8+16*k)(SI), v; \
	VPSRLVD        Y26, v, v; \
	VPANDD         Y25, v, v; \
	VPSHUFB        v, Y24, v

// X8_CORR: C += s_k·dpbusd(0x80, K_k).
#define X8_CORR(k, v, t) \
	VPXORD       t, t, t; \
	VPDPBUSD     v, Y16, t; \
	VPMULLD.BCST (4*k)(SP), t, t; \
	VPADDD       t, Y17, Y17

// X8_SUB: t = s_k·Σ (y+128)·kv per lane of sub-block k.
#define X8_SUB(k, v, u, t) \
	VPXORD       (32*k)(DI), Y16, u; \
	VPXORD       t, t, t; \
	VPDPBUSD     v, u, t; \
	VPMULLD.BCST (4*k)(SP), t, t

// X8_TOKEN: one token's block: the int32 lanes, then the row dot's float
// steps.
#define X8_TOKEN(acc) \
	X8_SUB(0, Y8, Y19, Y20); \
	VPSUBD      Y17, Y20, Y22; \
	X8_SUB(1, Y9, Y27, Y21); \
	VPADDD      Y21, Y22, Y22; \
	X8_SUB(2, Y10, Y19, Y20); \
	VPADDD      Y20, Y22, Y22; \
	X8_SUB(3, Y11, Y27, Y21); \
	VPADDD      Y21, Y22, Y22; \
	X8_SUB(4, Y12, Y19, Y20); \
	VPADDD      Y20, Y22, Y22; \
	X8_SUB(5, Y13, Y27, Y21); \
	VPADDD      Y21, Y22, Y22; \
	X8_SUB(6, Y14, Y19, Y20); \
	VPADDD      Y20, Y22, Y22; \
	X8_SUB(7, Y15, Y27, Y21); \
	VPADDD      Y21, Y22, Y22; \
	VCVTDQ2PS   Y22, Y22; \
	VMULPS.BCST (DX), Y18, Y23; \
	VFMADD231PS Y23, Y22, acc

#define X8_NEXT \
	ADDQ R8, DI; \
	ADDQ R10, DX

// X8_HSUM: the row dot's hsum_float_8, operand for operand.
#define X8_HSUM(acc, xacc, dst) \
	VEXTRACTF128 $1, acc, X9; \
	VADDPS       X9, xacc, X9; \
	VMOVHLPS     X9, X9, X8; \
	VADDPS       X8, X9, X9; \
	VMOVSHDUP    X9, X8; \
	VADDSS       X8, X9, X9; \
	VMOVSS       X9, dst

// func dotIQ4_XSx8AVX512(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[8]float32)
TEXT ·dotIQ4_XSx8AVX512(SB), NOSPLIT, $32-56
	MOVQ   w+0(FP), SI
	MOVQ   qs+8(FP), DI
	MOVQ   d+16(FP), DX
	MOVQ   nb+24(FP), CX
	MOVQ   qstride+32(FP), R8
	MOVQ   dstride+40(FP), R10
	IMUL3Q $7, R8, R9
	IMUL3Q $7, R10, R11
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VMOVDQU32 iq4x8Flip<>(SB), Y16
	VMOVDQU32 iq4x8LUT<>(SB), Y24
	VMOVDQU32 iq4x8Mask<>(SB), Y25
	VMOVDQU32 iq4x8Shift<>(SB), Y26

x8loop:
	// The row dot's ls-32 words, widened to dwords for vpmulld.
	VMOVD        4(SI), X8
	VPSRLW       $4, X8, X9
	VPUNPCKLBW   X9, X8, X8
	VPAND        iq4x8Mask<>(SB), X8, X8
	VPMOVZXBW    X8, X8
	VPBROADCASTW 2(SI), X9
	VPMULLW      iq4x8HMul<>(SB), X9, X9
	VPSRLW       $14, X9, X9
	VPSLLW       $4, X9, X9
	VPOR         X9, X8, X8
	VPSUBW       iq4x8W32<>(SB), X8, X8
	VPMOVSXWD    X8, Y8
	VMOVDQU      Y8, 0(SP)

	MOVWLZX      0(SI), AX
	VMOVD        AX, X9
	VCVTPH2PS    X9, X9
	VBROADCASTSS X9, Y18

	X8_VALUES(0, Y8)
	X8_VALUES(1, Y9)
	X8_VALUES(2, Y10)
	X8_VALUES(3, Y11)
	X8_VALUES(4, Y12)
	X8_VALUES(5, Y13)
	X8_VALUES(6, Y14)
	X8_VALUES(7, Y15)

	VPXORD Y17, Y17, Y17
	X8_CORR(0, Y8, Y20)
	X8_CORR(1, Y9, Y21)
	X8_CORR(2, Y10, Y20)
	X8_CORR(3, Y11, Y21)
	X8_CORR(4, Y12, Y20)
	X8_CORR(5, Y13, Y21)
	X8_CORR(6, Y14, Y20)
	X8_CORR(7, Y15, Y21)

	X8_TOKEN(Y0)
	X8_NEXT
	X8_TOKEN(Y1)
	X8_NEXT
	X8_TOKEN(Y2)
	X8_NEXT
	X8_TOKEN(Y3)
	X8_NEXT
	X8_TOKEN(Y4)
	X8_NEXT
	X8_TOKEN(Y5)
	X8_NEXT
	X8_TOKEN(Y6)
	X8_NEXT
	X8_TOKEN(Y7)
	SUBQ R9, DI
	SUBQ R11, DX

	ADDQ $136, SI
	ADDQ $256, DI
	ADDQ $4, DX
	DECQ CX
	JNZ  x8loop

	MOVQ out+48(FP), DI
	X8_HSUM(Y0, X0, 0(DI))
	X8_HSUM(Y1, X1, 4(DI))
	X8_HSUM(Y2, X2, 8(DI))
	X8_HSUM(Y3, X3, 12(DI))
	X8_HSUM(Y4, X4, 16(DI))
	X8_HSUM(Y5, X5, 20(DI))
	X8_HSUM(Y6, X6, 24(DI))
	X8_HSUM(Y7, X7, 28(DI))
	VZEROUPPER
	RET
