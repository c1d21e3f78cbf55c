#include "textflag.h"
#include "cbk8_amd64.h"

// Re-encoded IQ3_S and IQ3_XXS in packed IQ4_XS layout, eight rows
// (LayoutRows8, pack_iq4xs.go and pack_iq3.go), on AVX2 alone: one row
// per int32 lane, as gemm_iq4xs16_amd64.s does with sixteen on VNNI.
//
// Without vpdpbusd the products go through vpmaddubsw, whose int16 pair
// sums saturate: so the codebook is looked up (vpshufb) as value + B, a
// bias that keeps it unsigned and at most 126 (IQ3_S B = 16, values
// 1..31; IQ3_XXS B = 64, values 2..126), and a pair is then at most
// 2*126*128 = 32256. vpmaddwd by the sub-block's scale (each lane's
// int16 scale twice) turns the pairs into the scaled int32 dot, added
// over the block's eight sub-blocks. The bias comes off in the integers:
// B times Σ_j scale_j·(sub-block j's quant sum), from the same pairs of
// sub-block sums (Q8.Off, makeOffQ4K) the VNNI kernel uses, with pairs of
// B·scale. The exact int32 total is then converted and fused times
// d*d_y into the token's sum, as in the VNNI kernel: the results are
// bit for bit its.
//
// Block of eight rows (1104 bytes): d (8 f16) at 0, sub-block j's
// scales (8 bytes) at 16+8j, its chunk k (bytes 4k..4k+3 of each row's
// 16, row r at 4r) at 80+128j+32k.
//
// Registers: Y0..Y3 the tokens' float sums, Y4..Y7 their int32 block
// totals, Y8..Y11 four weight registers (half a sub-block), Y12 the
// sub-block's doubled scales (then the rows' d), Y13 the biased
// codebook, Y14 scratch, Y15 the bias shift (then scratch). SI the
// weights, DI, DX, BX token 0's quants, scales and offsets; R8/R9,
// R10/R11 and R13/R15 one and three tokens' strides of each; R12 zero,
// CX the blocks left.

DATA xsnib<>+0x00(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA xsnib<>+0x08(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA xsnib<>+0x10(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA xsnib<>+0x18(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL xsnib<>(SB), RODATA|NOPTR, $32

// XA_LO(j) / XA_HI(j): sub-block j's values 0..15 / 16..31, biased, in
// Y8..Y11 (values 4k.. in Y(8+k)).
#define XA_LOOK(src, dst) \
	VPAND xsnib<>(SB), src, dst; \
	VPSHUFB dst, Y13, dst
#define XA_LO(j) \
	VMOVDQU (80+128*j)(SI), Y8; \
	VMOVDQU (80+128*j+32)(SI), Y9; \
	VMOVDQU (80+128*j+64)(SI), Y10; \
	VMOVDQU (80+128*j+96)(SI), Y11; \
	XA_LOOK(Y8, Y8); \
	XA_LOOK(Y9, Y9); \
	XA_LOOK(Y10, Y10); \
	XA_LOOK(Y11, Y11)
#define XA_HI(j) \
	VMOVDQU (80+128*j)(SI), Y8; \
	VMOVDQU (80+128*j+32)(SI), Y9; \
	VMOVDQU (80+128*j+64)(SI), Y10; \
	VMOVDQU (80+128*j+96)(SI), Y11; \
	VPSRLW $4, Y8, Y8; \
	VPSRLW $4, Y9, Y9; \
	VPSRLW $4, Y10, Y10; \
	VPSRLW $4, Y11, Y11; \
	XA_LOOK(Y8, Y8); \
	XA_LOOK(Y9, Y9); \
	XA_LOOK(Y10, Y10); \
	XA_LOOK(Y11, Y11)

// XA_SCALE(j): Y12's lanes are sub-block j's scale in both int16 halves.
#define XA_SCALE(j) \
	VPMOVZXBD (16+8*j)(SI), Y12; \
	VPSLLD $16, Y12, Y14; \
	VPOR Y14, Y12, Y12

// XA_STEP: tot += scale * (the four biased weights of W times the
// token's quants at o).
#define XA_STEP(o, qi, W, tot) \
	VPBROADCASTD (o)(DI)(qi), Y14; \
	VPMADDUBSW Y14, W, Y14; \
	VPMADDWD Y12, Y14, Y14; \
	VPADDD Y14, tot, tot

#define XA_TOKS_1(o, W) XA_STEP(o, R12*1, W, Y4)
#define XA_TOKS_2(o, W) XA_TOKS_1(o, W); XA_STEP(o, R8*1, W, Y5)
#define XA_TOKS_4(o, W) XA_TOKS_2(o, W); XA_STEP(o, R8*2, W, Y6); XA_STEP(o, R9*1, W, Y7)

// XA_HALF(j, h, TOKS): half h of sub-block j (already unpacked) for
// every token.
#define XA_HALF(j, h, TOKS) \
	TOKS(32*j+16*h, Y8); \
	TOKS(32*j+16*h+4, Y9); \
	TOKS(32*j+16*h+8, Y10); \
	TOKS(32*j+16*h+12, Y11)

#define XA_PF(j) \
	PREFETCHT0 (4096+138*j)(SI); \
	PREFETCHT0 (4096+138*j+64)(SI)

#define XA_SUB(j, TOKS) \
	XA_PF(j); \
	XA_SCALE(j); \
	XA_LO(j); \
	XA_HALF(j, 0, TOKS); \
	XA_HI(j); \
	XA_HALF(j, 1, TOKS)

// XA_PAIR(p, dst): dst's lanes are (B·scale_2p, B·scale_2p+1) as int16.
#define XA_PAIR(p, dst) \
	VPMOVZXBD (16+16*p)(SI), dst; \
	VPMOVZXBD (24+16*p)(SI), Y14; \
	VPSLLD $16, Y14, Y14; \
	VPOR Y14, dst, dst; \
	VPSLLW X15, dst, dst

// XA_FINISH(oi, di, tot, acc): tot -= B·Σ scale·sum, then
// acc += float(tot) * (d * the token's d).
#define XA_FINISH(oi, di, tot, acc) \
	VPBROADCASTD 0(BX)(oi), Y14; \
	VPMADDWD Y8, Y14, Y14; \
	VPSUBD Y14, tot, tot; \
	VPBROADCASTD 4(BX)(oi), Y14; \
	VPMADDWD Y9, Y14, Y14; \
	VPSUBD Y14, tot, tot; \
	VPBROADCASTD 8(BX)(oi), Y14; \
	VPMADDWD Y10, Y14, Y14; \
	VPSUBD Y14, tot, tot; \
	VPBROADCASTD 12(BX)(oi), Y14; \
	VPMADDWD Y11, Y14, Y14; \
	VPSUBD Y14, tot, tot; \
	VCVTDQ2PS tot, tot; \
	VBROADCASTSS (DX)(di), Y14; \
	VMULPS Y14, Y12, Y14; \
	VFMADD231PS Y14, tot, acc

#define XA_FIN_1 XA_FINISH(R12*1, R12*1, Y4, Y0)
#define XA_FIN_2 XA_FIN_1; XA_FINISH(R13*1, R10*1, Y5, Y1)
#define XA_FIN_4 XA_FIN_2; XA_FINISH(R13*2, R10*2, Y6, Y2); XA_FINISH(R15*1, R11*1, Y7, Y3)

// XA_BLOCK: the eight sub-blocks, then the pairs of B·scale for the
// offsets (the bias shift from the last argument).
#define XA_BLOCK(TOKS) \
	XA_SUB(0, TOKS); \
	XA_SUB(1, TOKS); \
	XA_SUB(2, TOKS); \
	XA_SUB(3, TOKS); \
	XA_SUB(4, TOKS); \
	XA_SUB(5, TOKS); \
	XA_SUB(6, TOKS); \
	XA_SUB(7, TOKS); \
	MOVQ bshift+88(FP), AX; \
	VMOVQ AX, X15; \
	XA_PAIR(0, Y8); \
	XA_PAIR(1, Y9); \
	XA_PAIR(2, Y10); \
	XA_PAIR(3, Y11)

// IQ4_XS itself (values -127..113, scales -32..31) cannot take the bias:
// its kernels below multiply the signed values the way ggml's AVX2 code
// does, |y| times the value with y's sign (a pair at most 2*128*127),
// with the scales sign-extended into both int16 halves, and need no
// offsets. Y15 is the sign trick's scratch.
#define XI_SCALE(j) \
	VPMOVSXBD (16+8*j)(SI), Y12; \
	VPSLLD $16, Y12, Y14; \
	VPBLENDW $0xaa, Y14, Y12, Y12

#define XI_STEP(o, qi, W, tot) \
	VPBROADCASTD (o)(DI)(qi), Y14; \
	VPSIGNB Y14, W, Y15; \
	VPABSB Y14, Y14; \
	VPMADDUBSW Y15, Y14, Y14; \
	VPMADDWD Y12, Y14, Y14; \
	VPADDD Y14, tot, tot

#define XI_TOKS_1(o, W) XI_STEP(o, R12*1, W, Y4)
#define XI_TOKS_2(o, W) XI_TOKS_1(o, W); XI_STEP(o, R8*1, W, Y5)
#define XI_TOKS_4(o, W) XI_TOKS_2(o, W); XI_STEP(o, R8*2, W, Y6); XI_STEP(o, R9*1, W, Y7)

#define XI_SUB(j, TOKS) \
	XA_PF(j); \
	XI_SCALE(j); \
	XA_LO(j); \
	XA_HALF(j, 0, TOKS); \
	XA_HI(j); \
	XA_HALF(j, 1, TOKS)

#define XI_BLOCK(TOKS) \
	XI_SUB(0, TOKS); \
	XI_SUB(1, TOKS); \
	XI_SUB(2, TOKS); \
	XI_SUB(3, TOKS); \
	XI_SUB(4, TOKS); \
	XI_SUB(5, TOKS); \
	XI_SUB(6, TOKS); \
	XI_SUB(7, TOKS)

// func gemmXSx8x1AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte, bshift int)
TEXT ·gemmXSx8x1AVX2(SB), NOSPLIT, $0-96
	CBK_KERNEL(CBK_ZERO_1, CBK_TOT_1, XA_BLOCK, XA_TOKS_1, XA_FIN_1, 1104, 16, CBK_STORE_1, xa1loop)

// func gemmXSx8x2AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte, bshift int)
TEXT ·gemmXSx8x2AVX2(SB), NOSPLIT, $0-96
	CBK_KERNEL(CBK_ZERO_2, CBK_TOT_2, XA_BLOCK, XA_TOKS_2, XA_FIN_2, 1104, 16, CBK_STORE_2, xa2loop)

// func gemmXSx8x4AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte, bshift int)
TEXT ·gemmXSx8x4AVX2(SB), NOSPLIT, $0-96
	CBK_KERNEL(CBK_ZERO_4, CBK_TOT_4, XA_BLOCK, XA_TOKS_4, XA_FIN_4, 1104, 16, CBK_STORE_4, xa4loop)

// func gemmIQ4_XSx8x1AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)
TEXT ·gemmIQ4_XSx8x1AVX2(SB), NOSPLIT, $0-88
	CBK_KERNEL(CBK_ZERO_1, CBK_TOT_1, XI_BLOCK, XI_TOKS_1, CBK_FIN_1, 1104, 16, CBK_STORE_1, xi1loop)

// func gemmIQ4_XSx8x2AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)
TEXT ·gemmIQ4_XSx8x2AVX2(SB), NOSPLIT, $0-88
	CBK_KERNEL(CBK_ZERO_2, CBK_TOT_2, XI_BLOCK, XI_TOKS_2, CBK_FIN_2, 1104, 16, CBK_STORE_2, xi2loop)

// func gemmIQ4_XSx8x4AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)
TEXT ·gemmIQ4_XSx8x4AVX2(SB), NOSPLIT, $0-88
	CBK_KERNEL(CBK_ZERO_4, CBK_TOT_4, XI_BLOCK, XI_TOKS_4, CBK_FIN_4, 1104, 16, CBK_STORE_4, xi4loop)
