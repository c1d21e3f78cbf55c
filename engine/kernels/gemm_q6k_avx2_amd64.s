#include "textflag.h"

// Packed Q6_K (LayoutRows8, see gemm_q6k_amd64.s) on AVX2 alone, one or
// two tokens. A vpmaddubsw pair of 6-bit values and activations reaches
// 2*63*128 = 16128, so two chunks are summed in int16 before vpmaddwd
// widens them; the rest (offset, vpmulld by the scales, the block's float
// steps in their order) is that of the VNNI kernels, bit for bit.

// Y15 = 0x0f bytes, Y14 = 0x30 bytes; Y9 holds the group's high bits.
// MERGE6: y = (y & 0x0f) | (t & 0x30), t a scratch of shifted high bits.
#define MERGE6(t, y) \
	VPAND Y14, t, t; \
	VPAND Y15, y, y; \
	VPOR t, y, y

// UNPACK6_AVX2 sets Y4..Y7 to chunks 0..3 of group j and Y8 to its scales.
#define UNPACK6_AVX2(j) \
	VPMOVSXBD (16+8*j)(SI), Y8; \
	VMOVDQU (144+96*j+64)(SI), Y9; \
	VMOVDQU (144+96*j)(SI), Y4; \
	VPSRLW $4, Y4, Y6; \
	VPSLLW $4, Y9, Y10; \
	MERGE6(Y10, Y4); \
	VMOVDQA Y9, Y10; \
	MERGE6(Y10, Y6); \
	VMOVDQU (144+96*j+32)(SI), Y5; \
	VPSRLW $4, Y5, Y7; \
	VPSLLW $2, Y9, Y10; \
	MERGE6(Y10, Y5); \
	VPSRLW $2, Y9, Y10; \
	MERGE6(Y10, Y7)

// GROUP6_AVX2 adds group j of one token (quants qi from DI, offsets oi
// from BX) to tot: (Off + Σ q·a) times the rows' scales.
#define GROUP6_AVX2(j, qi, oi, tot) \
	VPBROADCASTD (16*j)(DI)(qi), Y11; \
	VPMADDUBSW Y11, Y4, Y12; \
	VPBROADCASTD (16*j+4)(DI)(qi), Y11; \
	VPMADDUBSW Y11, Y5, Y11; \
	VPADDW Y11, Y12, Y12; \
	VPMADDWD q6ones<>(SB), Y12, Y12; \
	VPBROADCASTD (16*j+8)(DI)(qi), Y11; \
	VPMADDUBSW Y11, Y6, Y13; \
	VPBROADCASTD (16*j+12)(DI)(qi), Y11; \
	VPMADDUBSW Y11, Y7, Y11; \
	VPADDW Y11, Y13, Y13; \
	VPMADDWD q6ones<>(SB), Y13, Y13; \
	VPADDD Y13, Y12, Y12; \
	VPBROADCASTD (4*j)(BX)(oi), Y11; \
	VPADDD Y11, Y12, Y12; \
	VPMULLD Y8, Y12, Y12; \
	VPADDD Y12, tot, tot

#define G1_AVX2(j) \
	UNPACK6_AVX2(j); \
	GROUP6_AVX2(j, R12*1, R12*1, Y2)

#define G2_AVX2(j) \
	G1_AVX2(j); \
	GROUP6_AVX2(j, R8*1, R13*1, Y3)

// Each group also prefetches two lines of the block 4 KiB ahead
// (PREFETCH_Q6_GROUP in gemm_q6k_amd64.s: spread, not a burst).
#define PG6(G, j) PREFETCHT0 (4096+128*j)(SI); PREFETCHT0 (4096+128*j+64)(SI); G(j)
#define GROUPS6(G) \
	PG6(G, 0); PG6(G, 1); PG6(G, 2); PG6(G, 3); PG6(G, 4); PG6(G, 5); PG6(G, 6); PG6(G, 7); \
	PG6(G, 8); PG6(G, 9); PG6(G, 10); PG6(G, 11); PG6(G, 12); PG6(G, 13); PG6(G, 14); PG6(G, 15)

// FINISH6_AVX2: acc += float(tot) * (row d * token d), as FINISH4.
#define FINISH6_AVX2(di, tot, acc) \
	VCVTDQ2PS tot, tot; \
	VCVTPH2PS (SI), Y4; \
	VBROADCASTSS (DX)(di), Y5; \
	VMULPS Y5, Y4, Y4; \
	VFMADD231PS Y4, tot, acc

#define ARGS6_AVX2 \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ off+24(FP), BX; \
	MOVQ nb+32(FP), CX; \
	MOVQ qstride+40(FP), R8; \
	MOVQ dstride+48(FP), R10; \
	MOVQ offstride+56(FP), R13; \
	XORQ R12, R12; \
	VMOVDQU q6m0f<>(SB), Y15; \
	VMOVDQU q6m30<>(SB), Y14

#define NEXT6_AVX2 \
	ADDQ $1680, SI; \
	ADDQ $256, DI; \
	ADDQ $4, DX; \
	ADDQ $64, BX; \
	DECQ CX

// func gemmQ6_Kx8x1AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ6_Kx8x1AVX2(SB), NOSPLIT, $0-80
	ARGS6_AVX2
	VXORPS Y0, Y0, Y0

q6a1loop:
	VPXOR Y2, Y2, Y2
	GROUPS6(G1_AVX2)
	FINISH6_AVX2(R12*1, Y2, Y0)
	NEXT6_AVX2
	JNZ q6a1loop

	MOVQ out+64(FP), AX
	VMOVUPS Y0, (AX)
	VZEROUPPER
	RET

// func gemmQ6_Kx8x2AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ6_Kx8x2AVX2(SB), NOSPLIT, $0-80
	ARGS6_AVX2
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

q6a2loop:
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	GROUPS6(G2_AVX2)
	FINISH6_AVX2(R12*1, Y2, Y0)
	FINISH6_AVX2(R10*1, Y3, Y1)
	NEXT6_AVX2
	JNZ q6a2loop

	MOVQ out+64(FP), AX
	MOVQ ostride+72(FP), R13
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, (AX)(R13*1)
	VZEROUPPER
	RET

DATA q6m0f<>+0x00(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q6m0f<>+0x08(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q6m0f<>+0x10(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q6m0f<>+0x18(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL q6m0f<>(SB), RODATA|NOPTR, $32

DATA q6m30<>+0x00(SB)/8, $0x3030303030303030
DATA q6m30<>+0x08(SB)/8, $0x3030303030303030
DATA q6m30<>+0x10(SB)/8, $0x3030303030303030
DATA q6m30<>+0x18(SB)/8, $0x3030303030303030
GLOBL q6m30<>(SB), RODATA|NOPTR, $32

DATA q6ones<>+0x00(SB)/8, $0x0001000100010001
DATA q6ones<>+0x08(SB)/8, $0x0001000100010001
DATA q6ones<>+0x10(SB)/8, $0x0001000100010001
DATA q6ones<>+0x18(SB)/8, $0x0001000100010001
GLOBL q6ones<>(SB), RODATA|NOPTR, $32
