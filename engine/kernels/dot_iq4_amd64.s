#include "textflag.h"
#include "hsum_amd64.h"

// AVX2 row dots of IQ4_XS (against Q8_K) and IQ4_NL (against Q8_0), bit
// for bit refDotIQ4_XS and refDotIQ4_NL (dot_iq4.go).
//
// A 32-value group's 16 nibble bytes are broadcast to both 128-bit halves
// and the high half shifted right by 4 (vpsrlvd), so after masking byte k
// is value k's nibble, in the activation quants' order; one vpshufb
// through the codebook (in both halves of Y15) gives the signed values.
//
// Signed x signed bytes go through vpmaddubsw as unsigned x signed. IQ4_NL
// uses ggml's |x|, y*sign(x) (Q8_0 quants are never -128). Q8_K quants
// can be -128, which y*sign(x) would wrap, so IQ4_XS uses |y|, x*sign(y)
// instead: |y| <= 128 fits the unsigned operand and |x| <= 127 never
// wraps, and a pair is at most 2*128*127 < 2^15, so nothing saturates.
//
// Registers: SI weight blocks, DI activation quants, DX activation scales,
// CX blocks left. Constants: Y15 codebook, Y14 bytes 0x0f, Y13 the vpsrlvd
// counts, Y12 words of 1 (IQ4_NL).

DATA iq4LUT<>+0x00(SB)/8, $0xf6eaddcfbfad9881
DATA iq4LUT<>+0x08(SB)/8, $0x7159453526190d01
DATA iq4LUT<>+0x10(SB)/8, $0xf6eaddcfbfad9881
DATA iq4LUT<>+0x18(SB)/8, $0x7159453526190d01
GLOBL iq4LUT<>(SB), RODATA|NOPTR, $32

// Dwords 0..3 unshifted (low nibbles), 4..7 shifted by 4 (high nibbles).
DATA iq4Shift<>+0x00(SB)/8, $0
DATA iq4Shift<>+0x08(SB)/8, $0
DATA iq4Shift<>+0x10(SB)/8, $0x0000000400000004
DATA iq4Shift<>+0x18(SB)/8, $0x0000000400000004
GLOBL iq4Shift<>(SB), RODATA|NOPTR, $32

// Word ib times 2^(14-2ib) moves bits 2ib, 2ib+1 of scales_h to 14, 15.
DATA iq4HMul<>+0x00(SB)/8, $0x0100040010004000
DATA iq4HMul<>+0x08(SB)/8, $0x0001000400100040
GLOBL iq4HMul<>(SB), RODATA|NOPTR, $16

DATA iq4W32<>+0x00(SB)/8, $0x0020002000200020
DATA iq4W32<>+0x08(SB)/8, $0x0020002000200020
GLOBL iq4W32<>(SB), RODATA|NOPTR, $16

#define IQ4_CONSTS \
	VMOVDQU iq4LUT<>(SB), Y15; \
	VMOVDQU iq4Shift<>(SB), Y13; \
	MOVL $0x0f0f0f0f, AX; \
	VMOVD AX, X14; \
	VPBROADCASTD X14, Y14

// IQ4_VALUES leaves in Y1 the 32 signed codebook values of the 16 nibble
// bytes at off(SI).
#define IQ4_VALUES(off) \
	VBROADCASTI128 off(SI), Y1; \
	VPSRLVD Y13, Y1, Y1; \
	VPAND Y14, Y1, Y1; \
	VPSHUFB Y1, Y15, Y1

// HSUM8 leaves ggml's hsum_float_8 of Y0 in X0.
#define HSUM8 HSUM_FLOAT8(Y0, X0, X1)

// IQ4XS_SCALES stores the eight ls-32 of the block at SI as int16 at 0(SP).
#define IQ4XS_SCALES \
	VMOVD 4(SI), X1; \
	VPSRLW $4, X1, X2; \
	VPUNPCKLBW X2, X1, X1; \
	VPAND X14, X1, X1; \
	VPMOVZXBW X1, X1; \
	VPBROADCASTW 2(SI), X2; \
	VPMULLW iq4HMul<>(SB), X2, X2; \
	VPSRLW $14, X2, X2; \
	VPSLLW $4, X2, X2; \
	VPOR X2, X1, X1; \
	VPSUBW iq4W32<>(SB), X1, X1; \
	VMOVDQU X1, 0(SP)

// IQ4XS_SUB adds sub-block k's scaled int32 lanes to acc.
#define IQ4XS_SUB(k, acc) \
	IQ4_VALUES(8+16*k); \
	VPABSB (32*k)(DI), Y2; \
	VPSIGNB (32*k)(DI), Y1, Y1; \
	VPMADDUBSW Y1, Y2, Y1; \
	VPBROADCASTW (2*k)(SP), Y3; \
	VPMADDWD Y3, Y1, Y1; \
	VPADDD Y1, acc, acc

// func dotIQ4_XSAVX2(w *byte, qs *int8, d *float32, nb int) float32
TEXT ·dotIQ4_XSAVX2(SB), NOSPLIT, $16-36
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ nb+24(FP), CX
	IQ4_CONSTS
	VXORPS Y0, Y0, Y0

xsloop:
	IQ4XS_SCALES
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11
	IQ4XS_SUB(0, Y10)
	IQ4XS_SUB(1, Y11)
	IQ4XS_SUB(2, Y10)
	IQ4XS_SUB(3, Y11)
	IQ4XS_SUB(4, Y10)
	IQ4XS_SUB(5, Y11)
	IQ4XS_SUB(6, Y10)
	IQ4XS_SUB(7, Y11)
	VPADDD Y11, Y10, Y10
	VCVTDQ2PS Y10, Y10

	// d = x.d * y.d, one FMA per block into the float lanes.
	MOVWLZX 0(SI), AX
	VMOVD AX, X6
	VCVTPH2PS X6, X6
	VMULSS (DX), X6, X6
	VBROADCASTSS X6, Y6
	VFMADD231PS Y6, Y10, Y0

	ADDQ $136, SI
	ADDQ $256, DI
	ADDQ $4, DX
	DECQ CX
	JNZ xsloop

	HSUM8
	VMOVSS X0, ret+32(FP)
	VZEROUPPER
	RET

// IQ4NL_INT leaves in Y3 the 8 int32 lanes of the block at off(SI) against
// the quants at yoff(DI).
#define IQ4NL_INT(off, yoff) \
	IQ4_VALUES(off+2); \
	VPSIGNB Y1, Y1, Y2; \
	VMOVDQU yoff(DI), Y3; \
	VPSIGNB Y1, Y3, Y3; \
	VPMADDUBSW Y3, Y2, Y3; \
	VPMADDWD Y12, Y3, Y3

// IQ4NL_BLOCK: acc += (y.d*x.d) * float(lanes).
#define IQ4NL_BLOCK(off, yoff, doff, acc) \
	IQ4NL_INT(off, yoff); \
	VCVTDQ2PS Y3, Y3; \
	VPBROADCASTW off(SI), X4; \
	VCVTPH2PS X4, Y4; \
	VBROADCASTSS doff(DX), Y5; \
	VMULPS Y5, Y4, Y4; \
	VFMADD231PS Y4, Y3, acc

// func dotIQ4_NLAVX2(w *byte, qs *int8, d *float32, nb int) float32
TEXT ·dotIQ4_NLAVX2(SB), NOSPLIT, $0-36
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ nb+24(FP), CX
	IQ4_CONSTS
	VPCMPEQW Y12, Y12, Y12
	VPSRLW $15, Y12, Y12
	VXORPS Y0, Y0, Y0
	VXORPS Y9, Y9, Y9
	MOVQ CX, BX
	SHRQ $1, BX
	JZ nlpairs

nlloop:
	IQ4NL_BLOCK(0, 0, 0, Y0)
	IQ4NL_BLOCK(18, 32, 4, Y9)
	ADDQ $36, SI
	ADDQ $64, DI
	ADDQ $8, DX
	DECQ BX
	JNZ nlloop

nlpairs:
	VADDPS Y9, Y0, Y0
	HSUM8
	TESTQ $1, CX
	JZ nldone

	// Odd last block: sumf += d * Σlanes (an FMA, as in ggml's tail).
	IQ4NL_INT(0, 0)
	VEXTRACTI128 $1, Y3, X2
	VPADDD X2, X3, X3
	VPSHUFD $0x4e, X3, X2
	VPADDD X2, X3, X3
	VPSHUFD $0xb1, X3, X2
	VPADDD X2, X3, X3
	VCVTDQ2PS X3, X3
	MOVWLZX 0(SI), AX
	VMOVD AX, X6
	VCVTPH2PS X6, X6
	VMULSS (DX), X6, X6
	VFMADD231SS X6, X3, X0

nldone:
	VMOVSS X0, ret+32(FP)
	VZEROUPPER
	RET
