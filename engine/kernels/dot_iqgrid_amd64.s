#include "textflag.h"
#include "hsum_amd64.h"
#include "iqgrid_amd64.h"

// The row dots (one token) of the grid types; iqgrid_amd64.h has the
// register plan and the macros.

// func dotIQ2_XXSAVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64) float32
TEXT ·dotIQ2_XXSAVX2(SB), NOSPLIT, $0-52
	PROLOGUE
xxsblock:
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11
	XORQ R14, R14
xxsgroup:
	IQ2XXS_DECODE(0)
	DOT1(0, Y10)
	IQ2XXS_DECODE(1)
	DOT1(32, Y11)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT xxsgroup
	BLOCK_END(66)
	JNZ xxsblock
	FINISH(0x3e000000)
// func dotIQ2_XSAVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64) float32
TEXT ·dotIQ2_XSAVX2(SB), NOSPLIT, $0-52
	PROLOGUE
xsblock:
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11
	XORQ R14, R14
xsgroup:
	IQ2XS_DECODE(0)
	DOT1(0, Y10)
	IQ2XS_DECODE(1)
	DOT1(32, Y11)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT xsgroup
	BLOCK_END(74)
	JNZ xsblock
	FINISH(0x3e000000)
// func dotIQ2_SAVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64) float32
TEXT ·dotIQ2_SAVX2(SB), NOSPLIT, $0-52
	PROLOGUE
sblock:
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11
	XORQ R14, R14
sgroup:
	IQ2S_DECODE(0)
	DOT1(0, Y10)
	IQ2S_DECODE(1)
	DOT1(32, Y11)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT sgroup
	BLOCK_END(82)
	JNZ sblock
	FINISH(0x3e000000)
// func dotIQ3_XXSAVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64) float32
TEXT ·dotIQ3_XXSAVX2(SB), NOSPLIT, $0-52
	PROLOGUE
x3block:
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11
	XORQ R14, R14
x3group:
	IQ3XXS_DECODE(0)
	DOT1(0, Y10)
	IQ3XXS_DECODE(1)
	DOT1(32, Y11)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT x3group
	BLOCK_END(98)
	JNZ x3block
	FINISH(0x3e800000)
// func dotIQ3_SAVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64) float32
TEXT ·dotIQ3_SAVX2(SB), NOSPLIT, $0-52
	PROLOGUE
s3block:
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11
	XORQ R14, R14
s3group:
	IQ3S_PAIR_SCALES
	IQ3S_DECODE(0)
	DOT1(0, Y10)
	VMOVQ X15, BX
	IQ3S_DECODE(1)
	DOT1(32, Y11)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT s3group
	BLOCK_END(110)
	JNZ s3block
	FINISH(0x3f800000)
// func dotIQ1_SAVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64) float32
TEXT ·dotIQ1_SAVX2(SB), NOSPLIT, $0-52
	PROLOGUE
i1sblock:
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11
	XORQ R14, R14
i1sgroup:
	IQ1S_DECODE(0)
	DOT1(0, Y10)
	IQ1S_DECODE(1)
	DOT1(32, Y11)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT i1sgroup
	BLOCK_END(50)
	JNZ i1sblock
	FINISH(0x3e000000)
// func dotIQ1_MAVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64) float32
TEXT ·dotIQ1_MAVX2(SB), NOSPLIT, $0-52
	PROLOGUE
i1mblock:
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11
	XORQ R14, R14
i1mgroup:
	IQ1M_DECODE(0)
	DOT1(0, Y10)
	IQ1M_DECODE(1)
	DOT1(32, Y11)
	ADDQ $64, DI
	ADDQ $2, R14
	CMPQ R14, $8
	JLT i1mgroup
	IQ1M_D
	BLOCK_END_AX(56)
	JNZ i1mblock
	FINISH(0x3e000000)
