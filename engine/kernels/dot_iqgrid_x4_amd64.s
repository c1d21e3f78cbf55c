#include "textflag.h"
#include "hsum_amd64.h"
#include "iqgrid_amd64.h"

// The four-token kernels of the grid types (iqgrid_amd64.h).

// func dotIQ2_XXSx4AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[4]float32)
TEXT ·dotIQ2_XXSx4AVX2(SB), NOSPLIT, $0-72
	PROLOGUE4
iq2xxsx4block:
	ZERO4
iq2xxsx4group:
	IQ2XXS_DECODE(0)
	DOT4(0)
	IQ2XXS_DECODE(1)
	DOT4(32)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT iq2xxsx4group
	MOVWLZX 0(SI), AX
	BLOCK_END4(66)
	JNZ iq2xxsx4block
	FINISH4(0x3e000000)
// func dotIQ2_XSx4AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[4]float32)
TEXT ·dotIQ2_XSx4AVX2(SB), NOSPLIT, $0-72
	PROLOGUE4
iq2xsx4block:
	ZERO4
iq2xsx4group:
	IQ2XS_DECODE(0)
	DOT4(0)
	IQ2XS_DECODE(1)
	DOT4(32)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT iq2xsx4group
	MOVWLZX 0(SI), AX
	BLOCK_END4(74)
	JNZ iq2xsx4block
	FINISH4(0x3e000000)
// func dotIQ2_Sx4AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[4]float32)
TEXT ·dotIQ2_Sx4AVX2(SB), NOSPLIT, $0-72
	PROLOGUE4
iq2sx4block:
	ZERO4
iq2sx4group:
	IQ2S_DECODE(0)
	DOT4(0)
	IQ2S_DECODE(1)
	DOT4(32)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT iq2sx4group
	MOVWLZX 0(SI), AX
	BLOCK_END4(82)
	JNZ iq2sx4block
	FINISH4(0x3e000000)
// func dotIQ3_XXSx4AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[4]float32)
TEXT ·dotIQ3_XXSx4AVX2(SB), NOSPLIT, $0-72
	PROLOGUE4
iq3xxsx4block:
	ZERO4
iq3xxsx4group:
	IQ3XXS_DECODE(0)
	DOT4(0)
	IQ3XXS_DECODE(1)
	DOT4(32)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT iq3xxsx4group
	MOVWLZX 0(SI), AX
	BLOCK_END4(98)
	JNZ iq3xxsx4block
	FINISH4(0x3e800000)
// func dotIQ3_Sx4AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[4]float32)
TEXT ·dotIQ3_Sx4AVX2(SB), NOSPLIT, $0-72
	PROLOGUE4
iq3sx4block:
	ZERO4
iq3sx4group:
	IQ3S_PAIR_SCALES
	IQ3S_DECODE(0)
	DOT4(0)
	VMOVQ X15, BX
	IQ3S_DECODE(1)
	DOT4(32)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT iq3sx4group
	MOVWLZX 0(SI), AX
	BLOCK_END4(110)
	JNZ iq3sx4block
	FINISH4(0x3f800000)
// func dotIQ1_Sx4AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[4]float32)
TEXT ·dotIQ1_Sx4AVX2(SB), NOSPLIT, $0-72
	PROLOGUE4
iq1sx4block:
	ZERO4
iq1sx4group:
	IQ1S_DECODE(0)
	DOT4(0)
	IQ1S_DECODE(1)
	DOT4(32)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT iq1sx4group
	MOVWLZX 0(SI), AX
	BLOCK_END4(50)
	JNZ iq1sx4block
	FINISH4(0x3e000000)
// func dotIQ1_Mx4AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[4]float32)
TEXT ·dotIQ1_Mx4AVX2(SB), NOSPLIT, $0-72
	PROLOGUE4
iq1mx4block:
	ZERO4
iq1mx4group:
	IQ1M_DECODE(0)
	DOT4(0)
	IQ1M_DECODE(1)
	DOT4(32)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT iq1mx4group
	IQ1M_D
	BLOCK_END4(56)
	JNZ iq1mx4block
	FINISH4(0x3e000000)
