#include "textflag.h"
#include "nib8avx2_amd64.h"

// Packed IQ4_NL (LayoutRows8: Q4_0's bytes, see gemm_x8_avx2_amd64.s) on
// AVX2 alone. The nibbles are looked up (vpshufb) as the signed codebook
// values, -127..113; vpmaddubsw takes them the way ggml's AVX2 code
// does, with the sign trick: |y| (unsigned, at most 128) times the value
// with y's sign, so a pair is at most 2*128*127 = 32512 and nothing
// saturates, a -128 quant included. Each pair is widened (vpmaddwd by
// ones) and added in int32: the block's exact Σ value·y, the VNNI
// kernels' integer, then the same float steps, so the results are theirs
// bit for bit. No offset: the values are used as they are.
//
// Registers: Y0..Y3 the tokens' float sums, Y4..Y11 the block's values
// (as UNPACK8_AVX2's nibbles), Y12 the rows' scales, Y13 the codebook,
// then a token's int32 total, Y14 and Y15 scratch.

DATA nlones<>+0x00(SB)/8, $0x0001000100010001
DATA nlones<>+0x08(SB)/8, $0x0001000100010001
DATA nlones<>+0x10(SB)/8, $0x0001000100010001
DATA nlones<>+0x18(SB)/8, $0x0001000100010001
GLOBL nlones<>(SB), RODATA|NOPTR, $32

// kvalues_iq4nl as signed bytes.
DATA nlvals<>+0x00(SB)/8, $0xf6eaddcfbfad9881
DATA nlvals<>+0x08(SB)/8, $0x7159453526190d01
GLOBL nlvals<>(SB), RODATA|NOPTR, $16

#define NL_LOOK(y) VPSHUFB y, Y13, y

// NL_UNPACK: Y12 the scales, Y4..Y11 the values of the block at SI.
#define NL_UNPACK \
	VCVTPH2PS (SI), Y12; \
	VBROADCASTI128 nlvals<>(SB), Y13; \
	NIB8_AVX2(16); \
	NL_LOOK(Y4); NL_LOOK(Y5); NL_LOOK(Y6); NL_LOOK(Y7); \
	NL_LOOK(Y8); NL_LOOK(Y9); NL_LOOK(Y10); NL_LOOK(Y11)

// NL_PAIRS(o, qi, wt): Y15 = wt's values times the token's activation
// dword o, as int32 lanes (each the sum of four products).
#define NL_PAIRS(o, qi, wt) \
	VPBROADCASTD o(DI)(qi), Y15; \
	VPSIGNB Y15, wt, Y14; \
	VPABSB Y15, Y15; \
	VPMADDUBSW Y14, Y15, Y15; \
	VPMADDWD nlones<>(SB), Y15, Y15

#define NL_STEP(o, qi, wt) \
	NL_PAIRS(o, qi, wt); \
	VPADDD Y15, Y13, Y13

// NL_TOKEN: acc += float(Σ value·y) * (scales * the token's d).
#define NL_TOKEN(qi, di, acc) \
	NL_PAIRS(0, qi, Y4); \
	VMOVDQA Y15, Y13; \
	NL_STEP(4, qi, Y5); \
	NL_STEP(8, qi, Y6); \
	NL_STEP(12, qi, Y7); \
	NL_STEP(16, qi, Y8); \
	NL_STEP(20, qi, Y9); \
	NL_STEP(24, qi, Y10); \
	NL_STEP(28, qi, Y11); \
	VCVTDQ2PS Y13, Y13; \
	VBROADCASTSS (DX)(di), Y15; \
	VMULPS Y15, Y12, Y15; \
	VFMADD231PS Y15, Y13, acc

#define NL_TOKS_1 NL_TOKEN(R12*1, R12*1, Y0)
#define NL_TOKS_2 NL_TOKS_1; NL_TOKEN(R8*1, R10*1, Y1)
#define NL_TOKS_4 NL_TOKS_2; NL_TOKEN(R8*2, R10*2, Y2); NL_TOKEN(R9*1, R11*1, Y3)

#define NL_ZERO_1 VXORPS Y0, Y0, Y0
#define NL_ZERO_2 NL_ZERO_1; VXORPS Y1, Y1, Y1
#define NL_ZERO_4 NL_ZERO_2; VXORPS Y2, Y2, Y2; VXORPS Y3, Y3, Y3

#define NL_STORE_1 VMOVUPS Y0, (AX)
#define NL_STORE_2 NL_STORE_1; VMOVUPS Y1, (AX)(R13*1)
#define NL_STORE_4 NL_STORE_2; VMOVUPS Y2, (AX)(R13*2); LEAQ (R13)(R13*2), R13; VMOVUPS Y3, (AX)(R13*1)

#define NL_KERNEL(ZERO, TOKS, STORE, loop) \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ nb+32(FP), CX; \
	MOVQ qstride+40(FP), R8; \
	MOVQ dstride+48(FP), R10; \
	LEAQ (R8)(R8*2), R9; \
	LEAQ (R10)(R10*2), R11; \
	XORQ R12, R12; \
	ZERO; \
loop: \
	PREFETCHT0 4096(SI); \
	PREFETCHT0 4160(SI); \
	PREFETCHT0 4224(SI); \
	NL_UNPACK; \
	TOKS; \
	ADDQ $144, SI; \
	ADDQ $32, DI; \
	ADDQ $4, DX; \
	DECQ CX; \
	JNZ loop; \
	MOVQ out+56(FP), AX; \
	MOVQ ostride+64(FP), R13; \
	STORE; \
	VZEROUPPER; \
	RET

// func gemmIQ4_NLx8x1AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmIQ4_NLx8x1AVX2(SB), NOSPLIT, $0-72
	NL_KERNEL(NL_ZERO_1, NL_TOKS_1, NL_STORE_1, nl1loop)

// func gemmIQ4_NLx8x2AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmIQ4_NLx8x2AVX2(SB), NOSPLIT, $0-72
	NL_KERNEL(NL_ZERO_2, NL_TOKS_2, NL_STORE_2, nl2loop)

// func gemmIQ4_NLx8x4AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmIQ4_NLx8x4AVX2(SB), NOSPLIT, $0-72
	NL_KERNEL(NL_ZERO_4, NL_TOKS_4, NL_STORE_4, nl4loop)
