#include "textflag.h"
#include "x16_amd64.h"

// Q6_K in LayoutRows16 (pack16.go), multiplied with AVX-512 VNNI on
// 512-bit registers: gemm_q6k_amd64.s with sixteen rows per register, so
// that each activation broadcast (four quants dwords and the group's
// offset, per token and 16-value group) feeds sixteen rows. The
// arithmetic per lane is the eight-row kernels', so the results are
// theirs bit for bit.
//
// A block of sixteen rows is 3360 bytes: the rows' f16 d (32 bytes), 256
// bytes of scales (group j's sixteen at 32+16j), then per group j at
// 288+192j three 64-byte vectors N0 (low nibbles of chunks 0 and 2), N1
// (chunks 1 and 3) and H (the high bits of chunks 0..3 at bits 0, 2, 4, 6).

// UNPACK_Q6_16 sets Z4..Z7 to chunks 0..3 of group j and Z8 to its
// scales. Z15 = 0x0f bytes, Z14 = 0x30 bytes; vpternlogd $0xEC is (A & C) | B.
#define UNPACK_Q6_16(j) \
	VPMOVSXBD (32+16*j)(SI), Z8; \
	VMOVDQU64 (288+192*j+128)(SI), Z9; \
	VMOVDQU64 (288+192*j)(SI), Z4; \
	VPSLLW $4, Z9, Z10; \
	VPANDD Z14, Z10, Z10; \
	VPTERNLOGD $0xEC, Z15, Z10, Z4; \
	VPSRLW $4, (288+192*j)(SI), Z6; \
	VPANDD Z14, Z9, Z11; \
	VPTERNLOGD $0xEC, Z15, Z11, Z6; \
	VMOVDQU64 (288+192*j+64)(SI), Z5; \
	VPSLLW $2, Z9, Z10; \
	VPANDD Z14, Z10, Z10; \
	VPTERNLOGD $0xEC, Z15, Z10, Z5; \
	VPSRLW $4, (288+192*j+64)(SI), Z7; \
	VPSRLW $2, Z9, Z11; \
	VPANDD Z14, Z11, Z11; \
	VPTERNLOGD $0xEC, Z15, Z11, Z7

// GROUP16_AT adds group j of one token (quants q+qi, offsets o+oi) to its
// block total tot, through tmp.
#define GROUP16_AT(j, q, qi, o, oi, tmp, tot) \
	VPBROADCASTD (4*j)(o)(oi), tmp; \
	VPDPBUSD.BCST (16*j)(q)(qi), Z4, tmp; \
	VPDPBUSD.BCST (16*j+4)(q)(qi), Z5, tmp; \
	VPDPBUSD.BCST (16*j+8)(q)(qi), Z6, tmp; \
	VPDPBUSD.BCST (16*j+12)(q)(qi), Z7, tmp; \
	VPMULLD Z8, tmp, tmp; \
	VPADDD tmp, tot, tot

#define FINISH16_AT(dbase, di, tot, acc) \
	VCVTDQ2PS tot, tot; \
	VMULPS.BCST (dbase)(di), Z12, Z20; \
	VFMADD231PS Z20, tot, acc

// Each block's 52.5 lines are prefetched 4 KiB ahead, spread through the
// block as in gemm_q6k_amd64.s: seven lines per pair of groups (420 bytes).
#define PF_EVEN(j) \
	PREFETCHT0 (4096+210*j)(SI); \
	PREFETCHT0 (4096+210*j+64)(SI); \
	PREFETCHT0 (4096+210*j+128)(SI); \
	PREFETCHT0 (4096+210*j+192)(SI)
#define PF_ODD(j) \
	PREFETCHT0 (4096+210*j+46)(SI); \
	PREFETCHT0 (4096+210*j+110)(SI); \
	PREFETCHT0 (4096+210*j+174)(SI)

#define MASKS_Q6_16 \
	MOVL $0x0f0f0f0f, AX; \
	VPBROADCASTD AX, Z15; \
	MOVL $0x30303030, AX; \
	VPBROADCASTD AX, Z14

// Arguments as the eight-row kernels' (gemmQ6_Kx8x4VNNI): token t's
// quants at qs+t*qstride (R8), scales at d+t*dstride (R10), offsets at
// off+t*offstride (R13); R9, R11, R15 are three times those. Tokens 4..7
// of the eight-token kernel come from second bases R14 (quants) and AX
// (offsets, then scales).
#define PROLOGUE16 \
	ARGS_K16; \
	MASKS_Q6_16

#define NEXT16 \
	ADDQ $3360, SI; \
	ADDQ $256, DI; \
	ADDQ $4, DX; \
	ADDQ $64, BX; \
	DECQ CX


// TOKS16_n(j) runs group j for the first n tokens; PAIR16_n(j, k) unpacks
// and runs the pair of groups j (even) and k = j+1.
#define TOKS16_1(j) \
	GROUP16_AT(j, DI, R12*1, BX, R12*1, Z20, Z16)
#define PAIR16_1(j, k) \
	PF_EVEN(j); UNPACK_Q6_16(j); TOKS16_1(j); \
	PF_ODD(k); UNPACK_Q6_16(k); TOKS16_1(k)

#define TOKS16_2(j) \
	TOKS16_1(j); \
	GROUP16_AT(j, DI, R8*1, BX, R13*1, Z21, Z17)
#define PAIR16_2(j, k) \
	PF_EVEN(j); UNPACK_Q6_16(j); TOKS16_2(j); \
	PF_ODD(k); UNPACK_Q6_16(k); TOKS16_2(k)

#define TOKS16_4(j) \
	TOKS16_2(j); \
	GROUP16_AT(j, DI, R8*2, BX, R13*2, Z22, Z18); \
	GROUP16_AT(j, DI, R9*1, BX, R15*1, Z23, Z19)
#define PAIR16_4(j, k) \
	PF_EVEN(j); UNPACK_Q6_16(j); TOKS16_4(j); \
	PF_ODD(k); UNPACK_Q6_16(k); TOKS16_4(k)

#define TOKS16_8(j) \
	TOKS16_4(j); \
	GROUP16_AT(j, R14, R12*1, AX, R12*1, Z20, Z24); \
	GROUP16_AT(j, R14, R8*1, AX, R13*1, Z21, Z25); \
	GROUP16_AT(j, R14, R8*2, AX, R13*2, Z22, Z26); \
	GROUP16_AT(j, R14, R9*1, AX, R15*1, Z23, Z27)
#define PAIR16_8(j, k) \
	PF_EVEN(j); UNPACK_Q6_16(j); TOKS16_8(j); \
	PF_ODD(k); UNPACK_Q6_16(k); TOKS16_8(k)

// func gemmQ6_Kx16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ6_Kx16x1VNNI(SB), NOSPLIT, $0-80
	PROLOGUE16
	ZERO16_1

q6x16x1loop:
	VCVTPH2PS (SI), Z12
	VPXORD Z16, Z16, Z16
	PAIR16_1(0, 1)
	PAIR16_1(2, 3)
	PAIR16_1(4, 5)
	PAIR16_1(6, 7)
	PAIR16_1(8, 9)
	PAIR16_1(10, 11)
	PAIR16_1(12, 13)
	PAIR16_1(14, 15)
	FINISH16_AT(DX, R12*1, Z16, Z0)
	NEXT16
	JNZ q6x16x1loop

	MOVQ out+64(FP), AX
	STORE16_1(R13, R15)
	VZEROUPPER
	RET

// func gemmQ6_Kx16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ6_Kx16x2VNNI(SB), NOSPLIT, $0-80
	PROLOGUE16
	ZERO16_2

q6x16x2loop:
	VCVTPH2PS (SI), Z12
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	PAIR16_2(0, 1)
	PAIR16_2(2, 3)
	PAIR16_2(4, 5)
	PAIR16_2(6, 7)
	PAIR16_2(8, 9)
	PAIR16_2(10, 11)
	PAIR16_2(12, 13)
	PAIR16_2(14, 15)
	FINISH16_AT(DX, R12*1, Z16, Z0)
	FINISH16_AT(DX, R10*1, Z17, Z1)
	NEXT16
	JNZ q6x16x2loop

	MOVQ out+64(FP), AX
	MOVQ ostride+72(FP), R13
	LEAQ (R13)(R13*2), R15
	STORE16_2(R13, R15)
	VZEROUPPER
	RET

// func gemmQ6_Kx16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ6_Kx16x4VNNI(SB), NOSPLIT, $0-80
	PROLOGUE16
	ZERO16_4

q6x16x4loop:
	VCVTPH2PS (SI), Z12
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	PAIR16_4(0, 1)
	PAIR16_4(2, 3)
	PAIR16_4(4, 5)
	PAIR16_4(6, 7)
	PAIR16_4(8, 9)
	PAIR16_4(10, 11)
	PAIR16_4(12, 13)
	PAIR16_4(14, 15)
	FINISH16_AT(DX, R12*1, Z16, Z0)
	FINISH16_AT(DX, R10*1, Z17, Z1)
	FINISH16_AT(DX, R10*2, Z18, Z2)
	FINISH16_AT(DX, R11*1, Z19, Z3)
	NEXT16
	JNZ q6x16x4loop

	MOVQ out+64(FP), AX
	MOVQ ostride+72(FP), R13
	LEAQ (R13)(R13*2), R15
	STORE16_4(R13, R15)
	VZEROUPPER
	RET

// func gemmQ6_Kx16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ6_Kx16x8VNNI(SB), NOSPLIT, $0-80
	PROLOGUE16
	ZERO16_8

q6x16x8loop:
	VCVTPH2PS (SI), Z12
	LEAQ (DI)(R8*4), R14
	LEAQ (BX)(R13*4), AX
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27
	PAIR16_8(0, 1)
	PAIR16_8(2, 3)
	PAIR16_8(4, 5)
	PAIR16_8(6, 7)
	PAIR16_8(8, 9)
	PAIR16_8(10, 11)
	PAIR16_8(12, 13)
	PAIR16_8(14, 15)
	LEAQ (DX)(R10*4), AX
	FINISH16_AT(DX, R12*1, Z16, Z0)
	FINISH16_AT(DX, R10*1, Z17, Z1)
	FINISH16_AT(DX, R10*2, Z18, Z2)
	FINISH16_AT(DX, R11*1, Z19, Z3)
	FINISH16_AT(AX, R12*1, Z24, Z28)
	FINISH16_AT(AX, R10*1, Z25, Z29)
	FINISH16_AT(AX, R10*2, Z26, Z30)
	FINISH16_AT(AX, R11*1, Z27, Z31)
	NEXT16
	JNZ q6x16x8loop

	MOVQ out+64(FP), AX
	MOVQ ostride+72(FP), R13
	LEAQ (R13)(R13*2), R15
	STORE16_8(R13, R15)
	VZEROUPPER
	RET
