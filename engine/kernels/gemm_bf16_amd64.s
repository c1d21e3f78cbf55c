#include "textflag.h"

// BF16 weights times float32 activations (rounded to bfloat16 first, as
// ggml does): gemm_f16_amd64.s's tiles and arithmetic, with sixteen
// bfloat16s widened to float32 by a zero-extension and a shift (a bfloat16
// is the top half of a float32) instead of VCVTPH2PS.

#include "tile_amd64.h"

#define WIDEN(src, z) \
	VPMOVZXWD src, z; \
	VPSLLD $16, z, z

#define LOADW4 \
	WIDEN((SI), Z24); \
	WIDEN((SI)(R8*1), Z25); \
	WIDEN((SI)(R8*2), Z26); \
	WIDEN((SI)(R9*1), Z27)

// func gemmBF16x4x1(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmBF16x4x1(SB), NOSPLIT, $0-56
	TILE_PROLOGUE
	ZERO_1

bf16x4x1loop:
	LOADW4
	TOKS_1
	PREFETCH_NEXT
	NEXT
	JNZ bf16x4x1loop
	STORE_1
	VZEROUPPER
	RET

// func gemmBF16x4x2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmBF16x4x2(SB), NOSPLIT, $0-56
	TILE_PROLOGUE
	ZERO_2

bf16x4x2loop:
	LOADW4
	TOKS_2
	PREFETCH_NEXT
	NEXT
	JNZ bf16x4x2loop
	STORE_2
	VZEROUPPER
	RET

// func gemmBF16x4x4(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmBF16x4x4(SB), NOSPLIT, $0-56
	TILE_PROLOGUE
	ZERO_4

bf16x4x4loop:
	LOADW4
	TOKS_4
	PREFETCH_NEXT
	NEXT
	JNZ bf16x4x4loop
	STORE_4
	VZEROUPPER
	RET

// func gemmBF16x4x6(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmBF16x4x6(SB), NOSPLIT, $0-56
	TILE_PROLOGUE
	ZERO_6

bf16x4x6loop:
	LOADW4
	TOKS_6
	PREFETCH_NEXT
	NEXT
	JNZ bf16x4x6loop
	STORE_6
	VZEROUPPER
	RET

// func gemmBF16x1x1(w *byte, x *float32, n int, out *float32)
// One token over one row, as gemmF16x1x1.
TEXT ·gemmBF16x1x1(SB), NOSPLIT, $0-32
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ out+24(FP), AX
	VPXORD Z0, Z0, Z0
	CMPQ CX, $2
	JLT  bf16x1x1tail

bf16x1x1loop:
	PREFETCHT0 4096(SI)
	WIDEN((SI), Z24)
	VFMADD231PS (DI), Z24, Z0
	WIDEN(32(SI), Z25)
	VFMADD231PS 64(DI), Z25, Z0
	ADDQ $64, SI
	ADDQ $128, DI
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  bf16x1x1loop

bf16x1x1tail:
	TESTQ CX, CX
	JZ    bf16x1x1done
	WIDEN((SI), Z24)
	VFMADD231PS (DI), Z24, Z0

bf16x1x1done:
	HSUM16(Z0, Y0, (AX))
	VZEROUPPER
	RET
