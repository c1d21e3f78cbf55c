#include "textflag.h"
#include "x16_amd64.h"
#include "q4x16_amd64.h"

// Q4_0 and Q8_0 in LayoutRows16 (pack16.go), multiplied with AVX-512 VNNI on 512-bit
// registers: one row per int32 lane as in gemm_x8_amd64.s, sixteen rows
// per register, with the eight-row kernels' per-token arithmetic, so the
// results are theirs bit for bit. Each activation dword broadcast from
// memory now feeds sixteen rows. With eight tokens the eight-row kernels
// are bound both by the vector loads (two a cycle on Zen 4: ten per token
// and block) and by the multiply pipes; halving the loads made them 17%
// faster from cache and 11% from memory (engine/kernels/BENCH.md).
//
// A block of sixteen rows is the rows' f16 scales (32 bytes), then chunk k
// (64 bytes at 32+64k) holding bytes 4k..4k+3 of each row's quants, row r
// in dword r: 4 chunks (288 bytes) for Q4_0, 8 (544 bytes) for Q8_0.

// func gemmQ4_0x16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_0x16x1VNNI(SB), NOSPLIT, $0-72
	X16_PROLOGUE
	MASK16
	ZERO16_1

q40x16x1loop:
	PREFETCH16
	UNPACK16
	TOKS16_1(;)
	X16_NEXT(288)
	JNZ q40x16x1loop

	MOVQ out+56(FP), AX
	MOVQ ostride+64(FP), R8
	LEAQ (R8)(R8*2), R9
	STORE16_1(R8, R9)
	VZEROUPPER
	RET

// func gemmQ4_0x16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_0x16x2VNNI(SB), NOSPLIT, $0-72
	X16_PROLOGUE
	MASK16
	ZERO16_2

q40x16x2loop:
	PREFETCH16
	UNPACK16
	TOKS16_2(;)
	X16_NEXT(288)
	JNZ q40x16x2loop

	MOVQ out+56(FP), AX
	MOVQ ostride+64(FP), R8
	LEAQ (R8)(R8*2), R9
	STORE16_2(R8, R9)
	VZEROUPPER
	RET

// func gemmQ4_0x16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_0x16x4VNNI(SB), NOSPLIT, $0-72
	X16_PROLOGUE
	MASK16
	ZERO16_4

q40x16x4loop:
	PREFETCH16
	UNPACK16
	TOKS16_4(;)
	X16_NEXT(288)
	JNZ q40x16x4loop

	MOVQ out+56(FP), AX
	MOVQ ostride+64(FP), R8
	LEAQ (R8)(R8*2), R9
	STORE16_4(R8, R9)
	VZEROUPPER
	RET

// func gemmQ4_0x16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_0x16x8VNNI(SB), NOSPLIT, $0-72
	X16_PROLOGUE
	MASK16
	ZERO16_8

q40x16x8loop:
	PREFETCH16
	UNPACK16
	TOKS16_8(;)
	X16_NEXT(288)
	JNZ q40x16x8loop

	MOVQ out+56(FP), AX
	MOVQ ostride+64(FP), R8
	LEAQ (R8)(R8*2), R9
	STORE16_8(R8, R9)
	VZEROUPPER
	RET

// func gemmQ8_0x16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ8_0x16x1VNNI(SB), NOSPLIT, $0-72
	X16_PROLOGUE
	FLIP16
	ZERO16_1

q80x16x1loop:
	PREFETCH16_Q8_0
	UNPACK16_Q8_0
	TOKS16_1(Q8_0_OFF16)
	X16_NEXT(544)
	JNZ q80x16x1loop

	MOVQ out+56(FP), AX
	MOVQ ostride+64(FP), R8
	LEAQ (R8)(R8*2), R9
	STORE16_1(R8, R9)
	VZEROUPPER
	RET

// func gemmQ8_0x16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ8_0x16x2VNNI(SB), NOSPLIT, $0-72
	X16_PROLOGUE
	FLIP16
	ZERO16_2

q80x16x2loop:
	PREFETCH16_Q8_0
	UNPACK16_Q8_0
	TOKS16_2(Q8_0_OFF16)
	X16_NEXT(544)
	JNZ q80x16x2loop

	MOVQ out+56(FP), AX
	MOVQ ostride+64(FP), R8
	LEAQ (R8)(R8*2), R9
	STORE16_2(R8, R9)
	VZEROUPPER
	RET

// func gemmQ8_0x16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ8_0x16x4VNNI(SB), NOSPLIT, $0-72
	X16_PROLOGUE
	FLIP16
	ZERO16_4

q80x16x4loop:
	PREFETCH16_Q8_0
	UNPACK16_Q8_0
	TOKS16_4(Q8_0_OFF16)
	X16_NEXT(544)
	JNZ q80x16x4loop

	MOVQ out+56(FP), AX
	MOVQ ostride+64(FP), R8
	LEAQ (R8)(R8*2), R9
	STORE16_4(R8, R9)
	VZEROUPPER
	RET

// func gemmQ8_0x16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ8_0x16x8VNNI(SB), NOSPLIT, $0-72
	X16_PROLOGUE
	FLIP16
	ZERO16_8

q80x16x8loop:
	PREFETCH16_Q8_0
	UNPACK16_Q8_0
	TOKS16_8(Q8_0_OFF16)
	X16_NEXT(544)
	JNZ q80x16x8loop

	MOVQ out+56(FP), AX
	MOVQ ostride+64(FP), R8
	LEAQ (R8)(R8*2), R9
	STORE16_8(R8, R9)
	VZEROUPPER
	RET
