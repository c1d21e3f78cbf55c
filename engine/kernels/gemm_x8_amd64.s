#include "textflag.h"

// Q4_0 and Q8_0 weights repacked eight rows at a time (see pack.go),
// multiplied with AVX-512 VNNI on 256-bit registers. Each int32 lane is one weight
// row, so a block of eight rows against one token is eight vpdpbusd whose
// activation operand is one dword of the token's quants broadcast from
// memory: no per-row unpacking, no horizontal sums, and the weight unpack
// is shared by every token of the call.
//
// Per token and block the arithmetic is fixed: the int32 dot starts at
// the token's Q8.Off (-8 times the block's quant sum, the nibbles' offset),
// adds the even dwords' products in one register and the odd ones' in
// another, sums the two, converts to float and adds it times (weight scale
// times activation scale) with one FMA. The one- and four-token kernels do
// exactly this, so a token's result does not depend on its batch.

// UNPACK8 loads block (SI) of an eight-row group: Y12 the eight weight
// scales, Y4..Y7 the low nibbles of byte chunks 0..3 (values 4k..4k+3 of
// each row in lane r) and Y8..Y11 their high nibbles (values 16+4k..).
#define UNPACK8 \
	VCVTPH2PS (SI), Y12; \
	VMOVDQU 16(SI), Y4; \
	VMOVDQU 48(SI), Y5; \
	VMOVDQU 80(SI), Y6; \
	VMOVDQU 112(SI), Y7; \
	VPSRLW $4, Y4, Y8; \
	VPSRLW $4, Y5, Y9; \
	VPSRLW $4, Y6, Y10; \
	VPSRLW $4, Y7, Y11; \
	VPAND Y14, Y4, Y4; \
	VPAND Y14, Y5, Y5; \
	VPAND Y14, Y6, Y6; \
	VPAND Y14, Y7, Y7; \
	VPAND Y14, Y8, Y8; \
	VPAND Y14, Y9, Y9; \
	VPAND Y14, Y10, Y10; \
	VPAND Y14, Y11, Y11

// TOKEN8 adds one token's block to acc (eight rows). qi indexes the
// token's quants from DI, di its scale and offset from DX and BX. The
// weights are Y4..Y11 (values 4k..4k+3 of each row in Y(4+k)); Q8_0 passes
// Q8_0_OFF, Q4_0 nothing, as shift.
// TOKEN8_AT is TOKEN8 with explicit base registers (quants q, scales d,
// offsets o), for the eight-token kernels' second bases.
#define TOKEN8_AT(q, d, o, qi, di, acc, shift) \
	VPBROADCASTD (o)(di), Y16; \
	shift \
	VPXORD Y17, Y17, Y17; \
	VPDPBUSD.BCST 0(q)(qi), Y4, Y16; \
	VPDPBUSD.BCST 4(q)(qi), Y5, Y17; \
	VPDPBUSD.BCST 8(q)(qi), Y6, Y16; \
	VPDPBUSD.BCST 12(q)(qi), Y7, Y17; \
	VPDPBUSD.BCST 16(q)(qi), Y8, Y16; \
	VPDPBUSD.BCST 20(q)(qi), Y9, Y17; \
	VPDPBUSD.BCST 24(q)(qi), Y10, Y16; \
	VPDPBUSD.BCST 28(q)(qi), Y11, Y17; \
	VPADDD Y17, Y16, Y16; \
	VCVTDQ2PS Y16, Y16; \
	VMULPS.BCST (d)(di), Y12, Y17; \
	VFMADD231PS Y17, Y16, acc

#define TOKEN8(qi, di, acc, shift) TOKEN8_AT(DI, DX, BX, qi, di, acc, shift)

// Weights stream from memory once per step. Without software prefetch
// the kernels with several tokens, which spend ~40 cycles on a block,
// keep too few lines in flight and ran at a third of their in-cache
// speed; a prefetch for every line of the block 4 KiB ahead (about a DRAM
// latency at that pace) brought them back (engine/kernels/BENCH.md).
#define NIBBLE_MASK \
	MOVL $0x0f0f0f0f, AX; \
	VMOVD AX, X14; \
	VPBROADCASTD X14, Y14

// Prologues, block steps and stores of the one-, two- and four-token
// kernels (the eight-token ones have their own, with second bases).
#define X1_PROLOGUE \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ off+24(FP), BX; \
	MOVQ nb+32(FP), CX; \
	XORQ R12, R12; \
	VXORPS Y0, Y0, Y0

#define X1_EPILOGUE \
	MOVQ out+40(FP), AX; \
	VMOVUPS Y0, (AX); \
	VZEROUPPER; \
	RET

#define X2_PROLOGUE \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ off+24(FP), BX; \
	MOVQ nb+32(FP), CX; \
	MOVQ qstride+40(FP), R8; \
	MOVQ dstride+48(FP), R10; \
	XORQ R12, R12; \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1

#define X2_EPILOGUE \
	MOVQ out+56(FP), AX; \
	MOVQ ostride+64(FP), R13; \
	VMOVUPS Y0, (AX); \
	VMOVUPS Y1, (AX)(R13*1); \
	VZEROUPPER; \
	RET

#define X4_PROLOGUE \
	X2_PROLOGUE; \
	LEAQ (R8)(R8*2), R9; \
	LEAQ (R10)(R10*2), R11; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3

#define X4_EPILOGUE \
	MOVQ out+56(FP), AX; \
	MOVQ ostride+64(FP), R13; \
	VMOVUPS Y0, (AX); \
	VMOVUPS Y1, (AX)(R13*1); \
	VMOVUPS Y2, (AX)(R13*2); \
	LEAQ (R13)(R13*2), R13; \
	VMOVUPS Y3, (AX)(R13*1); \
	VZEROUPPER; \
	RET

// NEXT_BLOCK moves to the next block of weights (wbytes) and activations.
#define NEXT_BLOCK(wbytes) \
	ADDQ $wbytes, SI; \
	ADDQ $32, DI; \
	ADDQ $4, DX; \
	ADDQ $4, BX; \
	DECQ CX

// func gemmQ4_0x8x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)
TEXT ·gemmQ4_0x8x1VNNI(SB), NOSPLIT, $0-48
	X1_PROLOGUE
	NIBBLE_MASK

g1loop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	UNPACK8
	TOKEN8(R12*1, R12*1, Y0, ;)
	NEXT_BLOCK(144)
	JNZ  g1loop

	X1_EPILOGUE

// func gemmQ4_0x8x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
//
// Four tokens: token t's quants are at qs + t*qstride, its scales and
// offsets at d, off + t*dstride (bytes), its eight results at out +
// t*ostride.
TEXT ·gemmQ4_0x8x4VNNI(SB), NOSPLIT, $0-72
	X4_PROLOGUE
	NIBBLE_MASK

g4loop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	UNPACK8
	TOKEN8(R12*1, R12*1, Y0, ;)
	TOKEN8(R8*1, R10*1, Y1, ;)
	TOKEN8(R8*2, R10*2, Y2, ;)
	TOKEN8(R9*1, R11*1, Y3, ;)
	NEXT_BLOCK(144)
	JNZ  g4loop

	X4_EPILOGUE

// Q8_0: vpdpbusd wants unsigned weights, so they are flipped to w+128
// (xor 0x80) as they are loaded, and each token's lane starts from -128
// times its block sum, which is Q8.Off (-8 times the sum) shifted left 4.
#define Q8_0_OFF VPSLLD $4, Y16, Y16;

// UNPACK8_Q8_0 loads block (SI): Y12 the eight scales, Y4..Y11 the flipped
// quants, chunk k (values 4k..4k+3 of each row) in Y(4+k).
#define UNPACK8_Q8_0 \
	VCVTPH2PS (SI), Y12; \
	VPXOR 16(SI), Y14, Y4; \
	VPXOR 48(SI), Y14, Y5; \
	VPXOR 80(SI), Y14, Y6; \
	VPXOR 112(SI), Y14, Y7; \
	VPXOR 144(SI), Y14, Y8; \
	VPXOR 176(SI), Y14, Y9; \
	VPXOR 208(SI), Y14, Y10; \
	VPXOR 240(SI), Y14, Y11

#define FLIP_MASK \
	MOVL $0x80808080, AX; \
	VMOVD AX, X14; \
	VPBROADCASTD X14, Y14

// func gemmQ8_0x8x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)
TEXT ·gemmQ8_0x8x1VNNI(SB), NOSPLIT, $0-48
	X1_PROLOGUE
	FLIP_MASK

q1loop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	PREFETCHT0 4288(SI)
	PREFETCHT0 4352(SI)
	UNPACK8_Q8_0
	TOKEN8(R12*1, R12*1, Y0, Q8_0_OFF)
	NEXT_BLOCK(272)
	JNZ  q1loop

	X1_EPILOGUE

// func gemmQ8_0x8x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ8_0x8x4VNNI(SB), NOSPLIT, $0-72
	X4_PROLOGUE
	FLIP_MASK

q4loop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	PREFETCHT0 4288(SI)
	PREFETCHT0 4352(SI)
	UNPACK8_Q8_0
	TOKEN8(R12*1, R12*1, Y0, Q8_0_OFF)
	TOKEN8(R8*1, R10*1, Y1, Q8_0_OFF)
	TOKEN8(R8*2, R10*2, Y2, Q8_0_OFF)
	TOKEN8(R9*1, R11*1, Y3, Q8_0_OFF)
	NEXT_BLOCK(272)
	JNZ  q4loop

	X4_EPILOGUE

// Eight tokens: tokens 4..7 are addressed like tokens 0..3 from second
// base pointers (R13 quants, R14 scales, R15 offsets), four tokens on.
#define X8_PROLOGUE \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ off+24(FP), BX; \
	MOVQ nb+32(FP), CX; \
	MOVQ qstride+40(FP), R8; \
	MOVQ dstride+48(FP), R10; \
	LEAQ (R8)(R8*2), R9; \
	LEAQ (R10)(R10*2), R11; \
	LEAQ (DI)(R8*4), R13; \
	LEAQ (DX)(R10*4), R14; \
	LEAQ (BX)(R10*4), R15; \
	XORQ R12, R12; \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y13, Y13, Y13; \
	VXORPS Y15, Y15, Y15; \
	VXORPS Y18, Y18, Y18; \
	VXORPS Y19, Y19, Y19

#define X8_TOKENS(shift) \
	TOKEN8_AT(DI, DX, BX, R12*1, R12*1, Y0, shift); \
	TOKEN8_AT(DI, DX, BX, R8*1, R10*1, Y1, shift); \
	TOKEN8_AT(DI, DX, BX, R8*2, R10*2, Y2, shift); \
	TOKEN8_AT(DI, DX, BX, R9*1, R11*1, Y3, shift); \
	TOKEN8_AT(R13, R14, R15, R12*1, R12*1, Y13, shift); \
	TOKEN8_AT(R13, R14, R15, R8*1, R10*1, Y15, shift); \
	TOKEN8_AT(R13, R14, R15, R8*2, R10*2, Y18, shift); \
	TOKEN8_AT(R13, R14, R15, R9*1, R11*1, Y19, shift)

#define X8_NEXT(wbytes) \
	ADDQ $wbytes, SI; \
	ADDQ $32, DI; \
	ADDQ $4, DX; \
	ADDQ $4, BX; \
	ADDQ $32, R13; \
	ADDQ $4, R14; \
	ADDQ $4, R15; \
	DECQ CX

#define X8_EPILOGUE \
	MOVQ out+56(FP), AX; \
	MOVQ ostride+64(FP), R8; \
	LEAQ (R8)(R8*2), R9; \
	VMOVUPS Y0, (AX); \
	VMOVUPS Y1, (AX)(R8*1); \
	VMOVUPS Y2, (AX)(R8*2); \
	VMOVUPS Y3, (AX)(R9*1); \
	LEAQ (AX)(R8*4), AX; \
	VMOVUPS Y13, (AX); \
	VMOVUPS Y15, (AX)(R8*1); \
	VMOVUPS Y18, (AX)(R8*2); \
	VMOVUPS Y19, (AX)(R9*1); \
	VZEROUPPER; \
	RET

// func gemmQ4_0x8x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_0x8x8VNNI(SB), NOSPLIT, $0-72
	X8_PROLOGUE
	NIBBLE_MASK

g8loop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	UNPACK8
	X8_TOKENS(;)
	X8_NEXT(144)
	JNZ g8loop
	X8_EPILOGUE

// func gemmQ8_0x8x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ8_0x8x8VNNI(SB), NOSPLIT, $0-72
	X8_PROLOGUE
	FLIP_MASK

q8loop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	PREFETCHT0 4288(SI)
	PREFETCHT0 4352(SI)
	UNPACK8_Q8_0
	X8_TOKENS(Q8_0_OFF)
	X8_NEXT(272)
	JNZ q8loop
	X8_EPILOGUE

// Two tokens, so that a two-sequence decode step computes both while the
// weights stream in once (two one-token passes left memory idle during
// the second).
// func gemmQ4_0x8x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_0x8x2VNNI(SB), NOSPLIT, $0-72
	X2_PROLOGUE
	NIBBLE_MASK

g2loop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	UNPACK8
	TOKEN8(R12*1, R12*1, Y0, ;)
	TOKEN8(R8*1, R10*1, Y1, ;)
	NEXT_BLOCK(144)
	JNZ  g2loop
	X2_EPILOGUE

// func gemmQ8_0x8x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ8_0x8x2VNNI(SB), NOSPLIT, $0-72
	X2_PROLOGUE
	FLIP_MASK

q2loop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	PREFETCHT0 4288(SI)
	PREFETCHT0 4352(SI)
	UNPACK8_Q8_0
	TOKEN8(R12*1, R12*1, Y0, Q8_0_OFF)
	TOKEN8(R8*1, R10*1, Y1, Q8_0_OFF)
	NEXT_BLOCK(272)
	JNZ  q2loop
	X2_EPILOGUE

// IQ4_NL in LayoutRows8: Q4_0's bytes, but a nibble q stands for the
// codebook value gguf.KValuesIQ4NL[q]. The nibbles unpack as Q4_0's and
// one vpshufb per register turns them into codebook+128, the unsigned
// operand vpdpbusd wants; each token's lanes then start from -128 times
// its block sum, as Q8_0's (Q8_0_OFF). The int32 dot is exact, and the
// float steps are the Q4_0 kernels'. Y20 holds the table.
DATA iq4nlU8<>+0x00(SB)/8, $0x766a5d4f3f2d1801
DATA iq4nlU8<>+0x08(SB)/8, $0xf1d9c5b5a6998d81
GLOBL iq4nlU8<>(SB), RODATA|NOPTR, $16

#define IQ4NL_TABLE8 VBROADCASTI32X4 iq4nlU8<>(SB), Y20

#define LOOKUP8 \
	VPSHUFB Y4, Y20, Y4; \
	VPSHUFB Y5, Y20, Y5; \
	VPSHUFB Y6, Y20, Y6; \
	VPSHUFB Y7, Y20, Y7; \
	VPSHUFB Y8, Y20, Y8; \
	VPSHUFB Y9, Y20, Y9; \
	VPSHUFB Y10, Y20, Y10; \
	VPSHUFB Y11, Y20, Y11

#define PREFETCH8_Q4 \
	PREFETCHT0 4096(SI); \
	PREFETCHT0 4160(SI); \
	PREFETCHT0 4224(SI)

// func gemmIQ4_NLx8x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)
TEXT ·gemmIQ4_NLx8x1VNNI(SB), NOSPLIT, $0-48
	X1_PROLOGUE
	NIBBLE_MASK
	IQ4NL_TABLE8

nl1loop:
	PREFETCH8_Q4
	UNPACK8
	LOOKUP8
	TOKEN8(R12*1, R12*1, Y0, Q8_0_OFF)
	NEXT_BLOCK(144)
	JNZ  nl1loop

	X1_EPILOGUE

// func gemmIQ4_NLx8x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmIQ4_NLx8x2VNNI(SB), NOSPLIT, $0-72
	X2_PROLOGUE
	NIBBLE_MASK
	IQ4NL_TABLE8

nl2loop:
	PREFETCH8_Q4
	UNPACK8
	LOOKUP8
	TOKEN8(R12*1, R12*1, Y0, Q8_0_OFF)
	TOKEN8(R8*1, R10*1, Y1, Q8_0_OFF)
	NEXT_BLOCK(144)
	JNZ  nl2loop
	X2_EPILOGUE

// func gemmIQ4_NLx8x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmIQ4_NLx8x4VNNI(SB), NOSPLIT, $0-72
	X4_PROLOGUE
	NIBBLE_MASK
	IQ4NL_TABLE8

nl4loop:
	PREFETCH8_Q4
	UNPACK8
	LOOKUP8
	TOKEN8(R12*1, R12*1, Y0, Q8_0_OFF)
	TOKEN8(R8*1, R10*1, Y1, Q8_0_OFF)
	TOKEN8(R8*2, R10*2, Y2, Q8_0_OFF)
	TOKEN8(R9*1, R11*1, Y3, Q8_0_OFF)
	NEXT_BLOCK(144)
	JNZ  nl4loop
	X4_EPILOGUE

// func gemmIQ4_NLx8x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmIQ4_NLx8x8VNNI(SB), NOSPLIT, $0-72
	X8_PROLOGUE
	NIBBLE_MASK
	IQ4NL_TABLE8

nl8loop:
	PREFETCH8_Q4
	UNPACK8
	LOOKUP8
	X8_TOKENS(Q8_0_OFF)
	X8_NEXT(144)
	JNZ nl8loop
	X8_EPILOGUE
