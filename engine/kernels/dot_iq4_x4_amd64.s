#include "textflag.h"
#include "hsum_amd64.h"

// Four-token IQ4_XS and IQ4_NL row dots, for prefill and batched decode.
// Each block's codebook values (and IQ4_XS scales, IQ4_NL |x|) are built
// once; every token then does the one-token kernel's (dot_iq4_amd64.s)
// integer work on them into its own int32 lanes and the same float ops
// (d = x.d*y.d, cvt, FMA into its own float lanes, hsum_float_8, IQ4_NL's
// scalar tail FMA), so out[t] is bit for bit the row dot on token t.
//
// Token t's quants are at DI + t*R8 (R9 = 3*R8), its scales at DX + t*R10
// (R11 = 3*R10). SI weight blocks, CX blocks left, AX the out array.

DATA iq4x4LUT<>+0x00(SB)/8, $0xf6eaddcfbfad9881
DATA iq4x4LUT<>+0x08(SB)/8, $0x7159453526190d01
DATA iq4x4LUT<>+0x10(SB)/8, $0xf6eaddcfbfad9881
DATA iq4x4LUT<>+0x18(SB)/8, $0x7159453526190d01
GLOBL iq4x4LUT<>(SB), RODATA|NOPTR, $32

DATA iq4x4Shift<>+0x00(SB)/8, $0
DATA iq4x4Shift<>+0x08(SB)/8, $0
DATA iq4x4Shift<>+0x10(SB)/8, $0x0000000400000004
DATA iq4x4Shift<>+0x18(SB)/8, $0x0000000400000004
GLOBL iq4x4Shift<>(SB), RODATA|NOPTR, $32

DATA iq4x4HMul<>+0x00(SB)/8, $0x0100040010004000
DATA iq4x4HMul<>+0x08(SB)/8, $0x0001000400100040
GLOBL iq4x4HMul<>(SB), RODATA|NOPTR, $16

DATA iq4x4W32<>+0x00(SB)/8, $0x0020002000200020
DATA iq4x4W32<>+0x08(SB)/8, $0x0020002000200020
GLOBL iq4x4W32<>(SB), RODATA|NOPTR, $16

#define X4_ARGS \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ nb+24(FP), CX; \
	MOVQ qstride+32(FP), R8; \
	LEAQ (R8)(R8*2), R9; \
	MOVQ dstride+40(FP), R10; \
	LEAQ (R10)(R10*2), R11; \
	MOVQ out+48(FP), AX; \
	VMOVDQU iq4x4LUT<>(SB), Y15; \
	MOVL $0x0f0f0f0f, BX; \
	VMOVD BX, X14; \
	VPBROADCASTD X14, Y14

// X4_VALUES leaves in v the 32 signed codebook values of the 16 nibble
// bytes at off(SI).
#define X4_VALUES(off, v) \
	VBROADCASTI128 off(SI), v; \
	VPSRLVD iq4x4Shift<>(SB), v, v; \
	VPAND Y14, v, v; \
	VPSHUFB v, Y15, v

// X4_HSUM8: hsum_float_8 of facc into its low lane, as the row dot.
#define X4_HSUM8(facc, xfacc, t1) HSUM_FLOAT8(facc, xfacc, t1)

// IQ4_XS: Y0-Y3 float accumulators of tokens 0-3, Y4-Y7 their int32
// block sums, Y8 the sub-block's values, Y9 its scale, Y10-Y12 temporary,
// Y13 x.d. Frame: 0(SP) the eight ls-32 as int16.

#define XS4_SCALES \
	VMOVD 4(SI), X10; \
	VPSRLW $4, X10, X11; \
	VPUNPCKLBW X11, X10, X10; \
	VPAND X14, X10, X10; \
	VPMOVZXBW X10, X10; \
	VPBROADCASTW 2(SI), X11; \
	VPMULLW iq4x4HMul<>(SB), X11, X11; \
	VPSRLW $14, X11, X11; \
	VPSLLW $4, X11, X11; \
	VPOR X11, X10, X10; \
	VPSUBW iq4x4W32<>(SB), X10, X10; \
	VMOVDQU X10, 0(SP)

// XS4_TOK: the row dot's |y|, x*sign(y), vpmaddubsw, vpmaddwd by the
// scale, into isum, for the token quants at addr.
#define XS4_TOK(addr, isum) \
	VPABSB addr, Y10; \
	VPSIGNB addr, Y8, Y11; \
	VPMADDUBSW Y11, Y10, Y11; \
	VPMADDWD Y9, Y11, Y11; \
	VPADDD Y11, isum, isum

#define XS4_SUB(k) \
	X4_VALUES(8+16*k, Y8); \
	VPBROADCASTW (2*k)(SP), Y9; \
	XS4_TOK((32*k)(DI), Y4); \
	XS4_TOK((32*k)(DI)(R8*1), Y5); \
	XS4_TOK((32*k)(DI)(R8*2), Y6); \
	XS4_TOK((32*k)(DI)(R9*1), Y7)

// XS4_SCALE: facc += float(isum) * (x.d*y.d) of the token's scale at daddr.
#define XS4_SCALE(isum, daddr, facc) \
	VCVTDQ2PS isum, isum; \
	VMULSS daddr, X13, X12; \
	VBROADCASTSS X12, Y12; \
	VFMADD231PS Y12, isum, facc

// func dotIQ4_XSx4AVX2(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)
TEXT ·dotIQ4_XSx4AVX2(SB), NOSPLIT, $16-56
	X4_ARGS
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

xs4loop:
	XS4_SCALES
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	XS4_SUB(0)
	XS4_SUB(1)
	XS4_SUB(2)
	XS4_SUB(3)
	XS4_SUB(4)
	XS4_SUB(5)
	XS4_SUB(6)
	XS4_SUB(7)

	MOVWLZX 0(SI), BX
	VMOVD BX, X13
	VCVTPH2PS X13, X13
	XS4_SCALE(Y4, (DX), Y0)
	XS4_SCALE(Y5, (DX)(R10*1), Y1)
	XS4_SCALE(Y6, (DX)(R10*2), Y2)
	XS4_SCALE(Y7, (DX)(R11*1), Y3)

	ADDQ $136, SI
	ADDQ $256, DI
	ADDQ $4, DX
	DECQ CX
	JNZ xs4loop

	X4_HSUM8(Y0, X0, X8)
	X4_HSUM8(Y1, X1, X8)
	X4_HSUM8(Y2, X2, X8)
	X4_HSUM8(Y3, X3, X8)
	VMOVSS X0, 0(AX)
	VMOVSS X1, 4(AX)
	VMOVSS X2, 8(AX)
	VMOVSS X3, 12(AX)
	VZEROUPPER
	RET

// IQ4_NL: Y0-Y3 accum1 (even blocks) of tokens 0-3, Y4-Y7 their accum2
// (odd blocks), Y8 the block's values x, Y9 |x|, Y10 x.d (8 lanes), Y11
// and Y12 temporary, Y13 words of 1.

// NL4_INT: the row dot's |x|, y*sign(x), vpmaddubsw, vpmaddwd: the int32
// lanes of the token quants at addr, in Y11.
#define NL4_INT(addr) \
	VMOVDQU addr, Y11; \
	VPSIGNB Y8, Y11, Y11; \
	VPMADDUBSW Y11, Y9, Y11; \
	VPMADDWD Y13, Y11, Y11

// NL4_TOK: facc += (y.d*x.d) * float(lanes), d as the row dot's vmulps.
#define NL4_TOK(addr, daddr, facc) \
	NL4_INT(addr); \
	VCVTDQ2PS Y11, Y11; \
	VBROADCASTSS daddr, Y12; \
	VMULPS Y10, Y12, Y12; \
	VFMADD231PS Y12, Y11, facc

// NL4_BLOCK: the block at off(SI) against quants yoff and scales doff of
// each token, into a0..a3.
#define NL4_BLOCK(off, yoff, doff, a0, a1, a2, a3) \
	X4_VALUES(off+2, Y8); \
	VPSIGNB Y8, Y8, Y9; \
	VPBROADCASTW off(SI), X10; \
	VCVTPH2PS X10, Y10; \
	NL4_TOK(yoff(DI), doff(DX), a0); \
	NL4_TOK(yoff(DI)(R8*1), doff(DX)(R10*1), a1); \
	NL4_TOK(yoff(DI)(R8*2), doff(DX)(R10*2), a2); \
	NL4_TOK(yoff(DI)(R9*1), doff(DX)(R11*1), a3)

// NL4_TAIL: the odd last block for one token: sumf = fma(d, Σlanes, sumf)
// as the row dot's tail; X10 holds x.d.
#define NL4_TAIL(addr, daddr, sumf) \
	NL4_INT(addr); \
	VEXTRACTI128 $1, Y11, X12; \
	VPADDD X12, X11, X11; \
	VPSHUFD $0x4e, X11, X12; \
	VPADDD X12, X11, X11; \
	VPSHUFD $0xb1, X11, X12; \
	VPADDD X12, X11, X11; \
	VCVTDQ2PS X11, X11; \
	VMULSS daddr, X10, X12; \
	VFMADD231SS X12, X11, sumf

// func dotIQ4_NLx4AVX2(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)
TEXT ·dotIQ4_NLx4AVX2(SB), NOSPLIT, $0-56
	X4_ARGS
	VPCMPEQW Y13, Y13, Y13
	VPSRLW $15, Y13, Y13
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ CX, BX
	SHRQ $1, BX
	JZ nl4pairs

nl4loop:
	NL4_BLOCK(0, 0, 0, Y0, Y1, Y2, Y3)
	NL4_BLOCK(18, 32, 4, Y4, Y5, Y6, Y7)
	ADDQ $36, SI
	ADDQ $64, DI
	ADDQ $8, DX
	DECQ BX
	JNZ nl4loop

nl4pairs:
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	VADDPS Y6, Y2, Y2
	VADDPS Y7, Y3, Y3
	X4_HSUM8(Y0, X0, X8)
	X4_HSUM8(Y1, X1, X8)
	X4_HSUM8(Y2, X2, X8)
	X4_HSUM8(Y3, X3, X8)
	TESTQ $1, CX
	JZ nl4done

	X4_VALUES(2, Y8)
	VPSIGNB Y8, Y8, Y9
	MOVWLZX 0(SI), BX
	VMOVD BX, X10
	VCVTPH2PS X10, X10
	NL4_TAIL((DI), (DX), X0)
	NL4_TAIL((DI)(R8*1), (DX)(R10*1), X1)
	NL4_TAIL((DI)(R8*2), (DX)(R10*2), X2)
	NL4_TAIL((DI)(R9*1), (DX)(R11*1), X3)

nl4done:
	VMOVSS X0, 0(AX)
	VMOVSS X1, 4(AX)
	VMOVSS X2, 8(AX)
	VMOVSS X3, 12(AX)
	VZEROUPPER
	RET
