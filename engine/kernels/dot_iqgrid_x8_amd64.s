#include "textflag.h"
#include "hsum_amd64.h"
#include "iqgrid_amd64.h"

// The eight-token kernels of the grid types (iqgrid_amd64.h).

// func dotIQ2_XXSx8AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[8]float32)
TEXT ·dotIQ2_XXSx8AVX2(SB), NOSPLIT, $256-72
	PROLOGUE8
iq2xxsx8block:
	ZERO8
iq2xxsx8group:
	IQ2XXS_DECODE(0)
	DOT8(0)
	IQ2XXS_DECODE(1)
	DOT8(32)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT iq2xxsx8group
	MOVWLZX 0(SI), AX
	BLOCK_END8(66)
	JNZ iq2xxsx8block
	FINISH8(0x3e000000)
// func dotIQ2_XSx8AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[8]float32)
TEXT ·dotIQ2_XSx8AVX2(SB), NOSPLIT, $256-72
	PROLOGUE8
iq2xsx8block:
	ZERO8
iq2xsx8group:
	IQ2XS_DECODE(0)
	DOT8(0)
	IQ2XS_DECODE(1)
	DOT8(32)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT iq2xsx8group
	MOVWLZX 0(SI), AX
	BLOCK_END8(74)
	JNZ iq2xsx8block
	FINISH8(0x3e000000)
// func dotIQ2_Sx8AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[8]float32)
TEXT ·dotIQ2_Sx8AVX2(SB), NOSPLIT, $256-72
	PROLOGUE8
iq2sx8block:
	ZERO8
iq2sx8group:
	IQ2S_DECODE(0)
	DOT8(0)
	IQ2S_DECODE(1)
	DOT8(32)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT iq2sx8group
	MOVWLZX 0(SI), AX
	BLOCK_END8(82)
	JNZ iq2sx8block
	FINISH8(0x3e000000)
// func dotIQ3_XXSx8AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[8]float32)
TEXT ·dotIQ3_XXSx8AVX2(SB), NOSPLIT, $256-72
	PROLOGUE8
iq3xxsx8block:
	ZERO8
iq3xxsx8group:
	IQ3XXS_DECODE(0)
	DOT8(0)
	IQ3XXS_DECODE(1)
	DOT8(32)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT iq3xxsx8group
	MOVWLZX 0(SI), AX
	BLOCK_END8(98)
	JNZ iq3xxsx8block
	FINISH8(0x3e800000)
// func dotIQ3_Sx8AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[8]float32)
TEXT ·dotIQ3_Sx8AVX2(SB), NOSPLIT, $256-72
	PROLOGUE8
iq3sx8block:
	ZERO8
iq3sx8group:
	IQ3S_PAIR_SCALES
	IQ3S_DECODE(0)
	DOT8(0)
	VMOVQ X15, BX
	IQ3S_DECODE(1)
	DOT8(32)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT iq3sx8group
	MOVWLZX 0(SI), AX
	BLOCK_END8(110)
	JNZ iq3sx8block
	FINISH8(0x3f800000)
// func dotIQ1_Sx8AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[8]float32)
TEXT ·dotIQ1_Sx8AVX2(SB), NOSPLIT, $256-72
	PROLOGUE8
iq1sx8block:
	ZERO8
iq1sx8group:
	IQ1S_DECODE(0)
	DOT8(0)
	IQ1S_DECODE(1)
	DOT8(32)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT iq1sx8group
	MOVWLZX 0(SI), AX
	BLOCK_END8(50)
	JNZ iq1sx8block
	FINISH8(0x3e000000)
// func dotIQ1_Mx8AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[8]float32)
TEXT ·dotIQ1_Mx8AVX2(SB), NOSPLIT, $256-72
	PROLOGUE8
iq1mx8block:
	ZERO8
iq1mx8group:
	IQ1M_DECODE(0)
	DOT8(0)
	IQ1M_DECODE(1)
	DOT8(32)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT iq1mx8group
	IQ1M_D
	BLOCK_END8(56)
	JNZ iq1mx8block
	FINISH8(0x3e000000)
