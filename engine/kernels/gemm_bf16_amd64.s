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

// With AVX-512 BF16 (vdpbf16ps), on rows whose length is a multiple of
// 32: a chunk is 32 columns, a row's 64 bytes taken as they are, and a
// token's 32 activations, packed as bfloat16 pairs once per matmul
// (packBF16); vdpbf16ps then adds, in each of sixteen float32 lanes, the
// products of columns 2i+1 and 2i, each rounded once (a bfloat16 product
// is exact in float32) with denormals flushed, as llama.cpp's BF16 dot
// does on such CPUs. Half the instructions of widening and FMA. Lanes,
// their sums and the stores are the tiles' (tile_amd64.h).
//
// Go's assembler does not know vdpbf16ps, so it is spelled out in bytes
// (EVEX.512.F3.0F38.W0 52, register operands only; checked with objdump):
// DP_k_w is vdpbf16ps zmm k, zmm28, zmm w.

#define DP_0_24 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xc0
#define DP_0_25 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xc1
#define DP_0_26 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xc2
#define DP_0_27 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xc3
#define DP_1_24 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xc8
#define DP_1_25 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xc9
#define DP_1_26 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xca
#define DP_1_27 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xcb
#define DP_2_24 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xd0
#define DP_2_25 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xd1
#define DP_2_26 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xd2
#define DP_2_27 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xd3
#define DP_3_24 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xd8
#define DP_3_25 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xd9
#define DP_3_26 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xda
#define DP_3_27 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xdb
#define DP_4_24 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xe0
#define DP_4_25 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xe1
#define DP_4_26 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xe2
#define DP_4_27 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xe3
#define DP_5_24 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xe8
#define DP_5_25 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xe9
#define DP_5_26 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xea
#define DP_5_27 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xeb
#define DP_6_24 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xf0
#define DP_6_25 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xf1
#define DP_6_26 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xf2
#define DP_6_27 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xf3
#define DP_7_24 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xf8
#define DP_7_25 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xf9
#define DP_7_26 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xfa
#define DP_7_27 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xfb
#define DP_8_24 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xc0
#define DP_8_25 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xc1
#define DP_8_26 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xc2
#define DP_8_27 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xc3
#define DP_9_24 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xc8
#define DP_9_25 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xc9
#define DP_9_26 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xca
#define DP_9_27 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xcb
#define DP_10_24 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xd0
#define DP_10_25 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xd1
#define DP_10_26 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xd2
#define DP_10_27 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xd3
#define DP_11_24 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xd8
#define DP_11_25 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xd9
#define DP_11_26 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xda
#define DP_11_27 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xdb
#define DP_12_24 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xe0
#define DP_12_25 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xe1
#define DP_12_26 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xe2
#define DP_12_27 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xe3
#define DP_13_24 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xe8
#define DP_13_25 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xe9
#define DP_13_26 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xea
#define DP_13_27 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xeb
#define DP_14_24 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xf0
#define DP_14_25 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xf1
#define DP_14_26 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xf2
#define DP_14_27 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xf3
#define DP_15_24 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xf8
#define DP_15_25 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xf9
#define DP_15_26 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xfa
#define DP_15_27 BYTE $0x62; BYTE $0x12; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xfb
#define DP_16_24 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xc0
#define DP_16_25 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xc1
#define DP_16_26 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xc2
#define DP_16_27 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xc3
#define DP_17_24 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xc8
#define DP_17_25 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xc9
#define DP_17_26 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xca
#define DP_17_27 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xcb
#define DP_18_24 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xd0
#define DP_18_25 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xd1
#define DP_18_26 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xd2
#define DP_18_27 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xd3
#define DP_19_24 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xd8
#define DP_19_25 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xd9
#define DP_19_26 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xda
#define DP_19_27 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xdb
#define DP_20_24 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xe0
#define DP_20_25 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xe1
#define DP_20_26 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xe2
#define DP_20_27 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xe3
#define DP_21_24 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xe8
#define DP_21_25 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xe9
#define DP_21_26 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xea
#define DP_21_27 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xeb
#define DP_22_24 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xf0
#define DP_22_25 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xf1
#define DP_22_26 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xf2
#define DP_22_27 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xf3
#define DP_23_24 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xf8
#define DP_23_25 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xf9
#define DP_23_26 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xfa
#define DP_23_27 BYTE $0x62; BYTE $0x82; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xfb

#define DP1_0_24 BYTE $0x62; BYTE $0x92; BYTE $0x1e; BYTE $0x40; BYTE $0x52; BYTE $0xc0

#define LOADDP4 \
	VMOVDQU64 (SI), Z24; \
	VMOVDQU64 (SI)(R8*1), Z25; \
	VMOVDQU64 (SI)(R8*2), Z26; \
	VMOVDQU64 (SI)(R9*1), Z27

// LOADX_DP loads a token's 32-column chunk, already bfloat16 pairs
// (packBF16), into Z28.
#define LOADX_DP(addr) VMOVDQU64 addr, Z28

#define TOKSDP_1 \
	LOADX_DP((DI)); \
	DP_0_24; \
	DP_1_25; \
	DP_2_26; \
	DP_3_27

#define TOKSDP_2 \
	LOADX_DP((DI)); \
	DP_0_24; \
	DP_1_25; \
	DP_2_26; \
	DP_3_27; \
	LOADX_DP((DI)(R10*1)); \
	DP_4_24; \
	DP_5_25; \
	DP_6_26; \
	DP_7_27

#define TOKSDP_4 \
	LOADX_DP((DI)); \
	DP_0_24; \
	DP_1_25; \
	DP_2_26; \
	DP_3_27; \
	LOADX_DP((DI)(R10*1)); \
	DP_4_24; \
	DP_5_25; \
	DP_6_26; \
	DP_7_27; \
	LOADX_DP((DI)(R10*2)); \
	DP_8_24; \
	DP_9_25; \
	DP_10_26; \
	DP_11_27; \
	LOADX_DP((DI)(R11*1)); \
	DP_12_24; \
	DP_13_25; \
	DP_14_26; \
	DP_15_27

#define TOKSDP_6 \
	LOADX_DP((DI)); \
	DP_0_24; \
	DP_1_25; \
	DP_2_26; \
	DP_3_27; \
	LOADX_DP((DI)(R10*1)); \
	DP_4_24; \
	DP_5_25; \
	DP_6_26; \
	DP_7_27; \
	LOADX_DP((DI)(R10*2)); \
	DP_8_24; \
	DP_9_25; \
	DP_10_26; \
	DP_11_27; \
	LOADX_DP((DI)(R11*1)); \
	DP_12_24; \
	DP_13_25; \
	DP_14_26; \
	DP_15_27; \
	LOADX_DP((R13)); \
	DP_16_24; \
	DP_17_25; \
	DP_18_26; \
	DP_19_27; \
	LOADX_DP((R13)(R10*1)); \
	DP_20_24; \
	DP_21_25; \
	DP_22_26; \
	DP_23_27

// The next four rows' 256 bytes of a chunk, ahead of them (as PREFETCH_NEXT).
#define PREFETCH_NEXT_DP \
	PREFETCHT1 (R14); \
	PREFETCHT1 64(R14); \
	PREFETCHT1 128(R14); \
	PREFETCHT1 192(R14); \
	ADDQ $256, R14

#define NEXT_DP \
	ADDQ $64, SI; \
	ADDQ $64, DI; \
	ADDQ $64, R13; \
	DECQ CX

// func gemmBF16DPx4x1(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmBF16DPx4x1(SB), NOSPLIT, $0-56
	TILE_PROLOGUE
	ZERO_1

bf16dpx4x1loop:
	LOADDP4
	TOKSDP_1
	PREFETCH_NEXT_DP
	NEXT_DP
	JNZ bf16dpx4x1loop
	STORE_1
	VZEROUPPER
	RET

// func gemmBF16DPx4x2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmBF16DPx4x2(SB), NOSPLIT, $0-56
	TILE_PROLOGUE
	ZERO_2

bf16dpx4x2loop:
	LOADDP4
	TOKSDP_2
	PREFETCH_NEXT_DP
	NEXT_DP
	JNZ bf16dpx4x2loop
	STORE_2
	VZEROUPPER
	RET

// func gemmBF16DPx4x4(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmBF16DPx4x4(SB), NOSPLIT, $0-56
	TILE_PROLOGUE
	ZERO_4

bf16dpx4x4loop:
	LOADDP4
	TOKSDP_4
	PREFETCH_NEXT_DP
	NEXT_DP
	JNZ bf16dpx4x4loop
	STORE_4
	VZEROUPPER
	RET

// func gemmBF16DPx4x6(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmBF16DPx4x6(SB), NOSPLIT, $0-56
	TILE_PROLOGUE
	ZERO_6

bf16dpx4x6loop:
	LOADDP4
	TOKSDP_6
	PREFETCH_NEXT_DP
	NEXT_DP
	JNZ bf16dpx4x6loop
	STORE_6
	VZEROUPPER
	RET

// func gemmBF16DPx1x1(w *byte, x *float32, n int, out *float32)
// One token over one row, n 32-column chunks.
TEXT ·gemmBF16DPx1x1(SB), NOSPLIT, $0-32
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ out+24(FP), AX
	VPXORD Z0, Z0, Z0

bf16dpx1x1loop:
	PREFETCHT0 4096(SI)
	VMOVDQU64 (SI), Z24
	LOADX_DP((DI))
	DP1_0_24
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  bf16dpx1x1loop

	HSUM16(Z0, Y0, (AX))
	VZEROUPPER
	RET
