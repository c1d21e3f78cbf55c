#include "textflag.h"
#include "nib8avx2_amd64.h"

// Packed Q5_0, Q4_1 and Q5_1 (pack_legacy.go, LayoutRows8) on AVX2 alone,
// for CPUs without AVX-512: gemm_legacy_amd64.s and gemm_mins_amd64.s with
// vpdpbusd emulated as in gemm_x8_avx2_amd64.s (vpmaddubsw of the
// unsigned quants with a token's broadcast activation dword, int16 sums,
// vpmaddwd by ones). A pair is at most 2*31*127 = 7874, so the 5-bit
// types sum four steps in int16 (31496) before widening, the 4-bit one
// all eight (2*15*127*8 = 30480). The int32 lanes are then the VNNI
// kernels' and the float steps the same, so the results are theirs bit
// for bit.
//
// Registers: Y0..Y3 the tokens' sums, Y4..Y11 the block's quants (as
// UNPACK8), Y12 the scales, Y13 and Y14 int sums, Y15 scratch.

DATA lfifth<>+0x00(SB)/8, $0x1010101010101010
DATA lfifth<>+0x08(SB)/8, $0x1010101010101010
DATA lfifth<>+0x10(SB)/8, $0x1010101010101010
DATA lfifth<>+0x18(SB)/8, $0x1010101010101010
GLOBL lfifth<>(SB), RODATA|NOPTR, $32

DATA lones<>+0x00(SB)/8, $0x0001000100010001
DATA lones<>+0x08(SB)/8, $0x0001000100010001
DATA lones<>+0x10(SB)/8, $0x0001000100010001
DATA lones<>+0x18(SB)/8, $0x0001000100010001
GLOBL lones<>(SB), RODATA|NOPTR, $32

// FIFTH_AVX2(o): the fifth bits at o(SI) (F, see pack_legacy.go) or-ed
// into Y4..Y11, through Y14 and Y15.
#define FIFTH_AVX2(o) \
	VMOVDQU o(SI), Y14; \
	VPSLLD $4, Y14, Y15; \
	VPAND lfifth<>(SB), Y15, Y15; \
	VPOR Y15, Y4, Y4; \
	VPSLLD $3, Y14, Y15; \
	VPAND lfifth<>(SB), Y15, Y15; \
	VPOR Y15, Y5, Y5; \
	VPSLLD $2, Y14, Y15; \
	VPAND lfifth<>(SB), Y15, Y15; \
	VPOR Y15, Y6, Y6; \
	VPSLLD $1, Y14, Y15; \
	VPAND lfifth<>(SB), Y15, Y15; \
	VPOR Y15, Y7, Y7; \
	VPAND lfifth<>(SB), Y14, Y15; \
	VPOR Y15, Y8, Y8; \
	VPSRLD $1, Y14, Y15; \
	VPAND lfifth<>(SB), Y15, Y15; \
	VPOR Y15, Y9, Y9; \
	VPSRLD $2, Y14, Y15; \
	VPAND lfifth<>(SB), Y15, Y15; \
	VPOR Y15, Y10, Y10; \
	VPSRLD $3, Y14, Y15; \
	VPAND lfifth<>(SB), Y15, Y15; \
	VPOR Y15, Y11, Y11

// UNPACK_AVX2_T: block (SI)'s scales in Y12 and quants in Y4..Y11, the
// fifth bits (F, see pack_legacy.go) or-ed in where the type has them.
#define UNPACK_AVX2_Q5_0 \
	VCVTPH2PS (SI), Y12; \
	NIB8_AVX2(48); \
	FIFTH_AVX2(16)

#define UNPACK_AVX2_Q4_1 \
	VCVTPH2PS (SI), Y12; \
	NIB8_AVX2(32)

#define UNPACK_AVX2_Q5_1 \
	VCVTPH2PS (SI), Y12; \
	NIB8_AVX2(64); \
	FIFTH_AVX2(32)

#define LSTEP(o, qi, wt, acc) \
	VPBROADCASTD o(DI)(qi), Y15; \
	VPMADDUBSW Y15, wt, Y15; \
	VPADDW Y15, acc, acc

// DOT4_AVX2(qi): Y14 the token's int32 lanes of the block, 4-bit quants.
#define DOT4_AVX2(qi) \
	VPBROADCASTD 0(DI)(qi), Y15; \
	VPMADDUBSW Y15, Y4, Y14; \
	LSTEP(4, qi, Y5, Y14); \
	LSTEP(8, qi, Y6, Y14); \
	LSTEP(12, qi, Y7, Y14); \
	LSTEP(16, qi, Y8, Y14); \
	LSTEP(20, qi, Y9, Y14); \
	LSTEP(24, qi, Y10, Y14); \
	LSTEP(28, qi, Y11, Y14); \
	VPMADDWD lones<>(SB), Y14, Y14

// DOT5_AVX2(qi): the same for 5-bit quants, in two int16 halves.
#define DOT5_AVX2(qi) \
	VPBROADCASTD 0(DI)(qi), Y15; \
	VPMADDUBSW Y15, Y4, Y14; \
	LSTEP(4, qi, Y5, Y14); \
	LSTEP(8, qi, Y6, Y14); \
	LSTEP(12, qi, Y7, Y14); \
	VPBROADCASTD 16(DI)(qi), Y15; \
	VPMADDUBSW Y15, Y8, Y13; \
	LSTEP(20, qi, Y9, Y13); \
	LSTEP(24, qi, Y10, Y13); \
	LSTEP(28, qi, Y11, Y13); \
	VPMADDWD lones<>(SB), Y14, Y14; \
	VPMADDWD lones<>(SB), Y13, Y13; \
	VPADDD Y13, Y14, Y14

// SCALE_AVX2: acc += float(Y14) * (scales * the token's d).
#define SCALE_AVX2(di, acc) \
	VCVTDQ2PS Y14, Y14; \
	VBROADCASTSS (DX)(di), Y15; \
	VMULPS Y15, Y12, Y15; \
	VFMADD231PS Y15, Y14, acc

// TOKEN_AVX2_Q5_0: lanes from -16 times the block sum (Q8.Off << 1).
#define TOKEN_AVX2_Q5_0(qi, di, acc) \
	DOT5_AVX2(qi); \
	VPBROADCASTD (BX)(di), Y15; \
	VPSLLD $1, Y15, Y15; \
	VPADDD Y15, Y14, Y14; \
	SCALE_AVX2(di, acc)

// MINS_AVX2: acc += the rows' mins * the token's s_y (Q8.S1 at BX).
#define MINS_AVX2(di, acc) \
	VCVTPH2PS 16(SI), Y15; \
	VBROADCASTSS (BX)(di), Y14; \
	VFMADD231PS Y14, Y15, acc

#define TOKEN_AVX2_Q4_1(qi, di, acc) \
	DOT4_AVX2(qi); \
	SCALE_AVX2(di, acc); \
	MINS_AVX2(di, acc)

#define TOKEN_AVX2_Q5_1(qi, di, acc) \
	DOT5_AVX2(qi); \
	SCALE_AVX2(di, acc); \
	MINS_AVX2(di, acc)

#define ARGS_LAVX2 \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ off+24(FP), BX; \
	MOVQ nb+32(FP), CX; \
	MOVQ qstride+40(FP), R8; \
	MOVQ dstride+48(FP), R10; \
	LEAQ (R8)(R8*2), R9; \
	LEAQ (R10)(R10*2), R11; \
	XORQ R12, R12

#define PREFETCH_LAVX2 \
	PREFETCHT0 4096(SI); \
	PREFETCHT0 4160(SI); \
	PREFETCHT0 4224(SI); \
	PREFETCHT0 4288(SI)

// The n-token kernels' bodies: zero n sums, then per block unpack (UNPACK)
// and each token's step (TOKEN), bb bytes a block; store the n sums.
#define ZERO_LAVX2_1 VXORPS Y0, Y0, Y0
#define ZERO_LAVX2_2 ZERO_LAVX2_1; VXORPS Y1, Y1, Y1
#define ZERO_LAVX2_4 ZERO_LAVX2_2; VXORPS Y2, Y2, Y2; VXORPS Y3, Y3, Y3

#define TOKS_LAVX2_1(TOKEN) TOKEN(R12*1, R12*1, Y0)
#define TOKS_LAVX2_2(TOKEN) TOKS_LAVX2_1(TOKEN); TOKEN(R8*1, R10*1, Y1)
#define TOKS_LAVX2_4(TOKEN) TOKS_LAVX2_2(TOKEN); TOKEN(R8*2, R10*2, Y2); TOKEN(R9*1, R11*1, Y3)

#define STORE_LAVX2_1 VMOVUPS Y0, (AX)
#define STORE_LAVX2_2 STORE_LAVX2_1; VMOVUPS Y1, (AX)(R13*1)
#define STORE_LAVX2_4 STORE_LAVX2_2; VMOVUPS Y2, (AX)(R13*2); LEAQ (R13)(R13*2), R13; VMOVUPS Y3, (AX)(R13*1)

#define KERNEL_LAVX2(ZERO, UNPACK, TOKS, bb, STORE, loop) \
	ARGS_LAVX2; \
	ZERO; \
loop: \
	PREFETCH_LAVX2; \
	UNPACK; \
	TOKS; \
	ADDQ $bb, SI; \
	ADDQ $32, DI; \
	ADDQ $4, DX; \
	ADDQ $4, BX; \
	DECQ CX; \
	JNZ loop; \
	MOVQ out+56(FP), AX; \
	MOVQ ostride+64(FP), R13; \
	STORE; \
	VZEROUPPER; \
	RET

// func gemmQ5_0x8x1AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_0x8x1AVX2(SB), NOSPLIT, $0-72
	KERNEL_LAVX2(ZERO_LAVX2_1, UNPACK_AVX2_Q5_0, TOKS_LAVX2_1(TOKEN_AVX2_Q5_0), 176, STORE_LAVX2_1, q50a1loop)

// func gemmQ5_0x8x2AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_0x8x2AVX2(SB), NOSPLIT, $0-72
	KERNEL_LAVX2(ZERO_LAVX2_2, UNPACK_AVX2_Q5_0, TOKS_LAVX2_2(TOKEN_AVX2_Q5_0), 176, STORE_LAVX2_2, q50a2loop)

// func gemmQ5_0x8x4AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_0x8x4AVX2(SB), NOSPLIT, $0-72
	KERNEL_LAVX2(ZERO_LAVX2_4, UNPACK_AVX2_Q5_0, TOKS_LAVX2_4(TOKEN_AVX2_Q5_0), 176, STORE_LAVX2_4, q50a4loop)

// func gemmQ4_1x8x1AVX2(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_1x8x1AVX2(SB), NOSPLIT, $0-72
	KERNEL_LAVX2(ZERO_LAVX2_1, UNPACK_AVX2_Q4_1, TOKS_LAVX2_1(TOKEN_AVX2_Q4_1), 160, STORE_LAVX2_1, q41a1loop)

// func gemmQ4_1x8x2AVX2(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_1x8x2AVX2(SB), NOSPLIT, $0-72
	KERNEL_LAVX2(ZERO_LAVX2_2, UNPACK_AVX2_Q4_1, TOKS_LAVX2_2(TOKEN_AVX2_Q4_1), 160, STORE_LAVX2_2, q41a2loop)

// func gemmQ4_1x8x4AVX2(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_1x8x4AVX2(SB), NOSPLIT, $0-72
	KERNEL_LAVX2(ZERO_LAVX2_4, UNPACK_AVX2_Q4_1, TOKS_LAVX2_4(TOKEN_AVX2_Q4_1), 160, STORE_LAVX2_4, q41a4loop)

// func gemmQ5_1x8x1AVX2(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_1x8x1AVX2(SB), NOSPLIT, $0-72
	KERNEL_LAVX2(ZERO_LAVX2_1, UNPACK_AVX2_Q5_1, TOKS_LAVX2_1(TOKEN_AVX2_Q5_1), 192, STORE_LAVX2_1, q51a1loop)

// func gemmQ5_1x8x2AVX2(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_1x8x2AVX2(SB), NOSPLIT, $0-72
	KERNEL_LAVX2(ZERO_LAVX2_2, UNPACK_AVX2_Q5_1, TOKS_LAVX2_2(TOKEN_AVX2_Q5_1), 192, STORE_LAVX2_2, q51a2loop)

// func gemmQ5_1x8x4AVX2(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_1x8x4AVX2(SB), NOSPLIT, $0-72
	KERNEL_LAVX2(ZERO_LAVX2_4, UNPACK_AVX2_Q5_1, TOKS_LAVX2_4(TOKEN_AVX2_Q5_1), 192, STORE_LAVX2_4, q51a4loop)
