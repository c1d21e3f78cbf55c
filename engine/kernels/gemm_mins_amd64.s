#include "textflag.h"
#include "x8_amd64.h"
#include "x16_amd64.h"
#include "q4x16_amd64.h"

// Packed Q4_1 and Q5_1 (pack_legacy.go): Q4_0's packed kernels with a min.
// A block unpacks as Q4_0's (Q5_1 adding its fifth bits as Q5_0 does in
// gemm_legacy_amd64.s) into unsigned quants q, whose value is d*q + m. Per
// token and block: the int32 dot of q with the token's quants from zero,
// converted and fused times d*d_y into the token's sum, then the rows'
// mins times the token's s_y (Q8.S1, ggml's q8_1 sum, passed as off) fused
// in. One arithmetic for every token count, so a token's result does not
// depend on its batch, and sixteen rows equal eight bit for bit.
//
// Eight rows: mins in Y23 (F in Y20, bytes 0x10 in Y21, Y22 scratch);
// sixteen: mins in Z19 (F in Z13, 0x10 in Z15, Z18 scratch).

#define TOKEN8M_AT(q, d, o, qi, di, acc) \
	VPXORD Y16, Y16, Y16; \
	VPXORD Y17, Y17, Y17; \
	VPDPBUSD.BCST 0(q)(qi), Y4, Y16; \
	VPDPBUSD.BCST 4(q)(qi), Y5, Y17; \
	VPDPBUSD.BCST 8(q)(qi), Y6, Y16; \
	VPDPBUSD.BCST 12(q)(qi), Y7, Y17; \
	VPDPBUSD.BCST 16(q)(qi), Y8, Y16; \
	VPDPBUSD.BCST 20(q)(qi), Y9, Y17; \
	VPDPBUSD.BCST 24(q)(qi), Y10, Y16; \
	VPDPBUSD.BCST 28(q)(qi), Y11, Y17; \
	VPADDD Y17, Y16, Y16; \
	VCVTDQ2PS Y16, Y16; \
	VMULPS.BCST (d)(di), Y12, Y17; \
	VFMADD231PS Y17, Y16, acc; \
	VFMADD231PS.BCST (o)(di), Y23, acc

#define TOKEN16M_AT(q, d, o, qi, di, acc) \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPDPBUSD.BCST 0(q)(qi), Z4, Z16; \
	VPDPBUSD.BCST 4(q)(qi), Z5, Z17; \
	VPDPBUSD.BCST 8(q)(qi), Z6, Z16; \
	VPDPBUSD.BCST 12(q)(qi), Z7, Z17; \
	VPDPBUSD.BCST 16(q)(qi), Z8, Z16; \
	VPDPBUSD.BCST 20(q)(qi), Z9, Z17; \
	VPDPBUSD.BCST 24(q)(qi), Z10, Z16; \
	VPDPBUSD.BCST 28(q)(qi), Z11, Z17; \
	VPADDD Z17, Z16, Z16; \
	VCVTDQ2PS Z16, Z16; \
	VMULPS.BCST (d)(di), Z12, Z17; \
	VFMADD231PS Z17, Z16, acc; \
	VFMADD231PS.BCST (o)(di), Z19, acc

#define TOKEN8M(qi, di, acc) TOKEN8M_AT(DI, DX, BX, qi, di, acc)

#define TOKSM8_1 TOKEN8M(R12*1, R12*1, Y0)
#define TOKSM8_2 TOKSM8_1; TOKEN8M(R8*1, R10*1, Y1)
#define TOKSM8_4 TOKSM8_2; TOKEN8M(R8*2, R10*2, Y2); TOKEN8M(R9*1, R11*1, Y3)

#define X8M_TOKENS \
	TOKEN8M_AT(DI, DX, BX, R12*1, R12*1, Y0); \
	TOKEN8M_AT(DI, DX, BX, R8*1, R10*1, Y1); \
	TOKEN8M_AT(DI, DX, BX, R8*2, R10*2, Y2); \
	TOKEN8M_AT(DI, DX, BX, R9*1, R11*1, Y3); \
	TOKEN8M_AT(R13, R14, R15, R12*1, R12*1, Y13); \
	TOKEN8M_AT(R13, R14, R15, R8*1, R10*1, Y15); \
	TOKEN8M_AT(R13, R14, R15, R8*2, R10*2, Y18); \
	TOKEN8M_AT(R13, R14, R15, R9*1, R11*1, Y19)

#define TOKS16M_1 \
	TOKEN16M_AT(DI, DX, BX, R12*1, R12*1, Z0)

#define TOKS16M_2 \
	TOKS16M_1; \
	TOKEN16M_AT(DI, DX, BX, R8*1, R10*1, Z1)

#define TOKS16M_4 \
	TOKS16M_2; \
	TOKEN16M_AT(DI, DX, BX, R8*2, R10*2, Z2); \
	TOKEN16M_AT(DI, DX, BX, R9*1, R11*1, Z3)

#define TOKS16M_8 \
	TOKS16M_4; \
	TOKEN16M_AT(R13, R14, R15, R12*1, R12*1, Z28); \
	TOKEN16M_AT(R13, R14, R15, R8*1, R10*1, Z29); \
	TOKEN16M_AT(R13, R14, R15, R8*2, R10*2, Z30); \
	TOKEN16M_AT(R13, R14, R15, R9*1, R11*1, Z31)

// UNPACK8_Q4_1 / UNPACK16_Q4_1: d, mins, then the chunks.
#define UNPACK8_Q4_1 \
	VCVTPH2PS (SI), Y12; \
	VCVTPH2PS 16(SI), Y23; \
	VMOVDQU 32(SI), Y4; \
	VMOVDQU 64(SI), Y5; \
	VMOVDQU 96(SI), Y6; \
	VMOVDQU 128(SI), Y7; \
	VPSRLW $4, Y4, Y8; \
	VPSRLW $4, Y5, Y9; \
	VPSRLW $4, Y6, Y10; \
	VPSRLW $4, Y7, Y11; \
	VPAND Y14, Y4, Y4; \
	VPAND Y14, Y5, Y5; \
	VPAND Y14, Y6, Y6; \
	VPAND Y14, Y7, Y7; \
	VPAND Y14, Y8, Y8; \
	VPAND Y14, Y9, Y9; \
	VPAND Y14, Y10, Y10; \
	VPAND Y14, Y11, Y11

#define UNPACK16_Q4_1 \
	VCVTPH2PS (SI), Z12; \
	VCVTPH2PS 32(SI), Z19; \
	VMOVDQU64 64(SI), Z4; \
	VMOVDQU64 128(SI), Z5; \
	VMOVDQU64 192(SI), Z6; \
	VMOVDQU64 256(SI), Z7; \
	VPSRLW $4, Z4, Z8; \
	VPSRLW $4, Z5, Z9; \
	VPSRLW $4, Z6, Z10; \
	VPSRLW $4, Z7, Z11; \
	VPANDD Z14, Z4, Z4; \
	VPANDD Z14, Z5, Z5; \
	VPANDD Z14, Z6, Z6; \
	VPANDD Z14, Z7, Z7; \
	VPANDD Z14, Z8, Z8; \
	VPANDD Z14, Z9, Z9; \
	VPANDD Z14, Z10, Z10; \
	VPANDD Z14, Z11, Z11

// UNPACK8_Q5_1 / UNPACK16_Q5_1: d, mins, F, then the chunks.
#define UNPACK8_Q5_1 \
	VCVTPH2PS (SI), Y12; \
	VCVTPH2PS 16(SI), Y23; \
	VMOVDQU32 32(SI), Y20; \
	VMOVDQU32 64(SI), Y4; \
	VMOVDQU32 96(SI), Y5; \
	VMOVDQU32 128(SI), Y6; \
	VMOVDQU32 160(SI), Y7; \
	VPSRLW $4, Y4, Y8; \
	VPSRLW $4, Y5, Y9; \
	VPSRLW $4, Y6, Y10; \
	VPSRLW $4, Y7, Y11; \
	VPAND Y14, Y4, Y4; \
	VPAND Y14, Y5, Y5; \
	VPAND Y14, Y6, Y6; \
	VPAND Y14, Y7, Y7; \
	VPAND Y14, Y8, Y8; \
	VPAND Y14, Y9, Y9; \
	VPAND Y14, Y10, Y10; \
	VPAND Y14, Y11, Y11; \
	VPSLLD $4, Y20, Y22; \
	VPTERNLOGD $0xf8, Y21, Y22, Y4; \
	VPSLLD $3, Y20, Y22; \
	VPTERNLOGD $0xf8, Y21, Y22, Y5; \
	VPSLLD $2, Y20, Y22; \
	VPTERNLOGD $0xf8, Y21, Y22, Y6; \
	VPSLLD $1, Y20, Y22; \
	VPTERNLOGD $0xf8, Y21, Y22, Y7; \
	VPTERNLOGD $0xf8, Y21, Y20, Y8; \
	VPSRLD $1, Y20, Y22; \
	VPTERNLOGD $0xf8, Y21, Y22, Y9; \
	VPSRLD $2, Y20, Y22; \
	VPTERNLOGD $0xf8, Y21, Y22, Y10; \
	VPSRLD $3, Y20, Y22; \
	VPTERNLOGD $0xf8, Y21, Y22, Y11

#define UNPACK16_Q5_1 \
	VCVTPH2PS (SI), Z12; \
	VCVTPH2PS 32(SI), Z19; \
	VMOVDQU64 64(SI), Z13; \
	VMOVDQU64 128(SI), Z4; \
	VMOVDQU64 192(SI), Z5; \
	VMOVDQU64 256(SI), Z6; \
	VMOVDQU64 320(SI), Z7; \
	VPSRLW $4, Z4, Z8; \
	VPSRLW $4, Z5, Z9; \
	VPSRLW $4, Z6, Z10; \
	VPSRLW $4, Z7, Z11; \
	VPANDD Z14, Z4, Z4; \
	VPANDD Z14, Z5, Z5; \
	VPANDD Z14, Z6, Z6; \
	VPANDD Z14, Z7, Z7; \
	VPANDD Z14, Z8, Z8; \
	VPANDD Z14, Z9, Z9; \
	VPANDD Z14, Z10, Z10; \
	VPANDD Z14, Z11, Z11; \
	VPSLLD $4, Z13, Z18; \
	VPTERNLOGD $0xf8, Z15, Z18, Z4; \
	VPSLLD $3, Z13, Z18; \
	VPTERNLOGD $0xf8, Z15, Z18, Z5; \
	VPSLLD $2, Z13, Z18; \
	VPTERNLOGD $0xf8, Z15, Z18, Z6; \
	VPSLLD $1, Z13, Z18; \
	VPTERNLOGD $0xf8, Z15, Z18, Z7; \
	VPTERNLOGD $0xf8, Z15, Z13, Z8; \
	VPSRLD $1, Z13, Z18; \
	VPTERNLOGD $0xf8, Z15, Z18, Z9; \
	VPSRLD $2, Z13, Z18; \
	VPTERNLOGD $0xf8, Z15, Z18, Z10; \
	VPSRLD $3, Z13, Z18; \
	VPTERNLOGD $0xf8, Z15, Z18, Z11

// Prefetch 4 KiB ahead as Q4_0's, every line of a block (2.5 to 6 lines).
#define PREFETCH_M8 \
	PREFETCHT0 4096(SI); \
	PREFETCHT0 4160(SI); \
	PREFETCHT0 4224(SI); \
	PREFETCHT0 4288(SI)

#define PREFETCH_M16 \
	PREFETCH16; \
	PREFETCHT0 4416(SI); \
	PREFETCHT0 4480(SI)

#define FIFTH_MASK8 \
	MOVL $0x10101010, AX; \
	VPBROADCASTD AX, Y21

#define FIFTH_MASK16 \
	MOVL $0x10101010, AX; \
	VPBROADCASTD AX, Z15

// func gemmQ4_1x8x1VNNI(w *byte, qs *int8, d *float32, off *float32, nb int, out *float32)
TEXT ·gemmQ4_1x8x1VNNI(SB), NOSPLIT, $0-48
	KERNEL8(X1_PROLOGUE, NIBBLE_MASK, PREFETCH_M8, UNPACK8_Q4_1, TOKSM8_1, NEXT_BLOCK(160), X1_EPILOGUE, q41x8x1loop)

// func gemmQ4_1x8x2VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_1x8x2VNNI(SB), NOSPLIT, $0-72
	KERNEL8(X2_PROLOGUE, NIBBLE_MASK, PREFETCH_M8, UNPACK8_Q4_1, TOKSM8_2, NEXT_BLOCK(160), X2_EPILOGUE, q41x8x2loop)

// func gemmQ4_1x8x4VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_1x8x4VNNI(SB), NOSPLIT, $0-72
	KERNEL8(X4_PROLOGUE, NIBBLE_MASK, PREFETCH_M8, UNPACK8_Q4_1, TOKSM8_4, NEXT_BLOCK(160), X4_EPILOGUE, q41x8x4loop)

// func gemmQ4_1x8x8VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_1x8x8VNNI(SB), NOSPLIT, $0-72
	KERNEL8(X8_PROLOGUE, NIBBLE_MASK, PREFETCH_M8, UNPACK8_Q4_1, X8M_TOKENS, X8_NEXT(160), X8_EPILOGUE, q41x8x8loop)

// func gemmQ4_1x16x1VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_1x16x1VNNI(SB), NOSPLIT, $0-72
	KERNEL16(MASK16, ZERO16_1, PREFETCH_M16, UNPACK16_Q4_1, TOKS16M_1, 320, STORE16R_1, q41x16x1loop)

// func gemmQ4_1x16x2VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_1x16x2VNNI(SB), NOSPLIT, $0-72
	KERNEL16(MASK16, ZERO16_2, PREFETCH_M16, UNPACK16_Q4_1, TOKS16M_2, 320, STORE16R_2, q41x16x2loop)

// func gemmQ4_1x16x4VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_1x16x4VNNI(SB), NOSPLIT, $0-72
	KERNEL16(MASK16, ZERO16_4, PREFETCH_M16, UNPACK16_Q4_1, TOKS16M_4, 320, STORE16R_4, q41x16x4loop)

// func gemmQ4_1x16x8VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_1x16x8VNNI(SB), NOSPLIT, $0-72
	KERNEL16(MASK16, ZERO16_8, PREFETCH_M16, UNPACK16_Q4_1, TOKS16M_8, 320, STORE16R_8, q41x16x8loop)

// func gemmQ5_1x8x1VNNI(w *byte, qs *int8, d *float32, off *float32, nb int, out *float32)
TEXT ·gemmQ5_1x8x1VNNI(SB), NOSPLIT, $0-48
	KERNEL8(X1_PROLOGUE, NIBBLE_MASK; FIFTH_MASK8, PREFETCH_M8, UNPACK8_Q5_1, TOKSM8_1, NEXT_BLOCK(192), X1_EPILOGUE, q51x8x1loop)

// func gemmQ5_1x8x2VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_1x8x2VNNI(SB), NOSPLIT, $0-72
	KERNEL8(X2_PROLOGUE, NIBBLE_MASK; FIFTH_MASK8, PREFETCH_M8, UNPACK8_Q5_1, TOKSM8_2, NEXT_BLOCK(192), X2_EPILOGUE, q51x8x2loop)

// func gemmQ5_1x8x4VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_1x8x4VNNI(SB), NOSPLIT, $0-72
	KERNEL8(X4_PROLOGUE, NIBBLE_MASK; FIFTH_MASK8, PREFETCH_M8, UNPACK8_Q5_1, TOKSM8_4, NEXT_BLOCK(192), X4_EPILOGUE, q51x8x4loop)

// func gemmQ5_1x8x8VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_1x8x8VNNI(SB), NOSPLIT, $0-72
	KERNEL8(X8_PROLOGUE, NIBBLE_MASK; FIFTH_MASK8, PREFETCH_M8, UNPACK8_Q5_1, X8M_TOKENS, X8_NEXT(192), X8_EPILOGUE, q51x8x8loop)

// func gemmQ5_1x16x1VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_1x16x1VNNI(SB), NOSPLIT, $0-72
	KERNEL16(MASK16; FIFTH_MASK16, ZERO16_1, PREFETCH_M16, UNPACK16_Q5_1, TOKS16M_1, 384, STORE16R_1, q51x16x1loop)

// func gemmQ5_1x16x2VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_1x16x2VNNI(SB), NOSPLIT, $0-72
	KERNEL16(MASK16; FIFTH_MASK16, ZERO16_2, PREFETCH_M16, UNPACK16_Q5_1, TOKS16M_2, 384, STORE16R_2, q51x16x2loop)

// func gemmQ5_1x16x4VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_1x16x4VNNI(SB), NOSPLIT, $0-72
	KERNEL16(MASK16; FIFTH_MASK16, ZERO16_4, PREFETCH_M16, UNPACK16_Q5_1, TOKS16M_4, 384, STORE16R_4, q51x16x4loop)

// func gemmQ5_1x16x8VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_1x16x8VNNI(SB), NOSPLIT, $0-72
	KERNEL16(MASK16; FIFTH_MASK16, ZERO16_8, PREFETCH_M16, UNPACK16_Q5_1, TOKS16M_8, 384, STORE16R_8, q51x16x8loop)
