#include "textflag.h"

// F16 weights in GGUF's row layout times float32 activations, on AVX-512
// (F and VL): four rows against one, two, four or six tokens, and one row
// against one token. Each (row, token) pair has its own 512-bit
// accumulator: lane l sums w[16c+l]*x[16c+l] over the 16-column chunks c
// in order, one FMA a chunk, and the sixteen lanes are then added by
// HSUM16. Every kernel does exactly that for every pair, so a result does
// not depend on which kernel, tile or batch produced it (the batch
// invariance engine/cpu promises).
//
// Why tiles: a token's F16 dot alone makes two loads per FMA (weights and
// activations), so prefill was load-bound at half the FMA rate. A tile of
// four rows and six tokens loads four weight vectors and six activation
// vectors for 24 FMAs, which makes it FMA-bound: on Zen 4 one 512-bit FMA
// a cycle.

#include "tile_amd64.h"

#define LOADW4 \
	VCVTPH2PS (SI), Z24; \
	VCVTPH2PS (SI)(R8*1), Z25; \
	VCVTPH2PS (SI)(R8*2), Z26; \
	VCVTPH2PS (SI)(R9*1), Z27

// func gemmF16x4x1(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmF16x4x1(SB), NOSPLIT, $0-56
	TILE_PROLOGUE
	ZERO_1

f16x4x1loop:
	LOADW4
	TOKS_1
	PREFETCH_NEXT
	NEXT
	JNZ f16x4x1loop
	STORE_1
	VZEROUPPER
	RET

// func gemmF16x4x2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmF16x4x2(SB), NOSPLIT, $0-56
	TILE_PROLOGUE
	ZERO_2

f16x4x2loop:
	LOADW4
	TOKS_2
	PREFETCH_NEXT
	NEXT
	JNZ f16x4x2loop
	STORE_2
	VZEROUPPER
	RET

// func gemmF16x4x4(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmF16x4x4(SB), NOSPLIT, $0-56
	TILE_PROLOGUE
	ZERO_4

f16x4x4loop:
	LOADW4
	TOKS_4
	PREFETCH_NEXT
	NEXT
	JNZ f16x4x4loop
	STORE_4
	VZEROUPPER
	RET

// func gemmF16x4x6(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmF16x4x6(SB), NOSPLIT, $0-56
	TILE_PROLOGUE
	ZERO_6

f16x4x6loop:
	LOADW4
	TOKS_6
	PREFETCH_NEXT
	NEXT
	JNZ f16x4x6loop
	STORE_6
	VZEROUPPER
	RET

// func gemmF16x1x1(w *byte, x *float32, n int, out *float32)
// One token over one row: what decode runs, row after row, streaming the
// matrix from memory; a line (two chunks) is prefetched 4 KiB ahead.
TEXT ·gemmF16x1x1(SB), NOSPLIT, $0-32
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ out+24(FP), AX
	VPXORD Z0, Z0, Z0
	CMPQ CX, $2
	JLT  f16x1x1tail

f16x1x1loop:
	PREFETCHT0 4096(SI)
	VCVTPH2PS (SI), Z24
	VFMADD231PS (DI), Z24, Z0
	VCVTPH2PS 32(SI), Z25
	VFMADD231PS 64(DI), Z25, Z0
	ADDQ $64, SI
	ADDQ $128, DI
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  f16x1x1loop

f16x1x1tail:
	TESTQ CX, CX
	JZ    f16x1x1done
	VCVTPH2PS (SI), Z24
	VFMADD231PS (DI), Z24, Z0

f16x1x1done:
	HSUM16(Z0, Y0, (AX))
	VZEROUPPER
	RET
