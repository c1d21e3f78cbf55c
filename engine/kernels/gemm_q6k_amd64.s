#include "textflag.h"

// Q6_K repacked eight rows at a time (pack_q6k.go), multiplied with
// AVX-512 VNNI on 256-bit registers; each int32 lane is one row, as in
// gemm_x8_amd64.s. A super-block is 16 groups of 16 values with one int8
// scale per row. Per token and group the lane starts at the token's
// Q8.Off (-32 times the group's activation sum: the values' offset), adds
// four vpdpbusd of the unsigned 6-bit values, is multiplied by the rows'
// scales (vpmulld) and added to the block's total; per block the total is
// converted to float and added times (row d times token d) with one FMA.
// The integer total is exactly ggml's; only the float rounding differs.
// The one- and four-token kernels do the same per token, so a token's
// result does not depend on its batch.

// Packed group of a block: 16 bytes of f16 d, 128 bytes of scales (group
// j's eight rows at 16+8j), then per group j at 144+96j three 32-byte
// vectors: N0 (low nibbles of chunks 0 and 2), N1 (chunks 1 and 3) and H
// (the two high bits of chunks 0..3 at bits 0, 2, 4, 6). Chunk c holds
// values 16j+4c..16j+4c+3 of each row in its lane.

// UNPACK_Q6 sets Y4..Y7 to chunks 0..3 of group j and Y8 to its scales.
// Y15 = 0x0f bytes, Y14 = 0x30 bytes. vpternlogd $0xEC is (A & C) | B.
#define UNPACK_Q6(j) \
	VPMOVSXBD (16+8*j)(SI), Y8; \
	VMOVDQU (144+96*j+64)(SI), Y9; \
	VMOVDQU (144+96*j)(SI), Y4; \
	VPSLLW $4, Y9, Y10; \
	VPANDD Y14, Y10, Y10; \
	VPTERNLOGD $0xEC, Y15, Y10, Y4; \
	VPSRLW $4, (144+96*j)(SI), Y6; \
	VPANDD Y14, Y9, Y11; \
	VPTERNLOGD $0xEC, Y15, Y11, Y6; \
	VMOVDQU (144+96*j+32)(SI), Y5; \
	VPSLLW $2, Y9, Y10; \
	VPANDD Y14, Y10, Y10; \
	VPTERNLOGD $0xEC, Y15, Y10, Y5; \
	VPSRLW $4, (144+96*j+32)(SI), Y7; \
	VPSRLW $2, Y9, Y11; \
	VPANDD Y14, Y11, Y11; \
	VPTERNLOGD $0xEC, Y15, Y11, Y7

// GROUP_TOK adds group j of one token (quants indexed qi from DI, offsets
// oi from BX) to its block total tot, through tmp.
#define GROUP_TOK(j, qi, oi, tmp, tot) \
	VPBROADCASTD (4*j)(BX)(oi), tmp; \
	VPDPBUSD.BCST (16*j)(DI)(qi), Y4, tmp; \
	VPDPBUSD.BCST (16*j+4)(DI)(qi), Y5, tmp; \
	VPDPBUSD.BCST (16*j+8)(DI)(qi), Y6, tmp; \
	VPDPBUSD.BCST (16*j+12)(DI)(qi), Y7, tmp; \
	VPMULLD Y8, tmp, tmp; \
	VPADDD tmp, tot, tot

#define MASKS_Q6 \
	MOVL $0x0f0f0f0f, AX; \
	VMOVD AX, X15; \
	VPBROADCASTD X15, Y15; \
	MOVL $0x30303030, AX; \
	VMOVD AX, X14; \
	VPBROADCASTD X14, Y14

// Weights stream from memory once per call, so each block is prefetched
// 4 KiB ahead (see gemm_x8_amd64.s): two lines per group, 2 KiB per block
// of 1680 bytes. All 27 lines at the top of the block instead, a burst
// that overran the core's outstanding-miss slots, ran the kernels from
// memory at about half their speed from L3 (engine/kernels/BENCH.md).
#define PREFETCH_Q6_GROUP(j) \
	PREFETCHT0 (4096+128*j)(SI); \
	PREFETCHT0 (4096+128*j+64)(SI)

#define G1(j) \
	PREFETCH_Q6_GROUP(j); \
	UNPACK_Q6(j); \
	GROUP_TOK(j, R12*1, R12*1, Y20, Y16)

// func gemmQ6_Kx8x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)
TEXT ·gemmQ6_Kx8x1VNNI(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ off+24(FP), BX
	MOVQ nb+32(FP), CX
	XORQ R12, R12
	VXORPS Y0, Y0, Y0
	MASKS_Q6

q6x1loop:
	VCVTPH2PS (SI), Y12
	VPXORD Y16, Y16, Y16
	G1(0)
	G1(1)
	G1(2)
	G1(3)
	G1(4)
	G1(5)
	G1(6)
	G1(7)
	G1(8)
	G1(9)
	G1(10)
	G1(11)
	G1(12)
	G1(13)
	G1(14)
	G1(15)
	VCVTDQ2PS Y16, Y16
	VMULPS.BCST (DX), Y12, Y20
	VFMADD231PS Y20, Y16, Y0
	ADDQ $1680, SI
	ADDQ $256, DI
	ADDQ $4, DX
	ADDQ $64, BX
	DECQ CX
	JNZ  q6x1loop

	MOVQ out+40(FP), AX
	VMOVUPS Y0, (AX)
	VZEROUPPER
	RET

// Four tokens: quants at DI + t*R8 (R9 = 3*R8), scales at DX + t*R10
// (R11 = 3*R10), offsets at BX + t*R13 (R15 = 3*R13).
#define G4(j) \
	PREFETCH_Q6_GROUP(j); \
	UNPACK_Q6(j); \
	GROUP_TOK(j, R12*1, R12*1, Y20, Y16); \
	GROUP_TOK(j, R8*1, R13*1, Y21, Y17); \
	GROUP_TOK(j, R8*2, R13*2, Y22, Y18); \
	GROUP_TOK(j, R9*1, R15*1, Y23, Y19)

#define FINISH4(di, tot, acc) \
	VCVTDQ2PS tot, tot; \
	VMULPS.BCST (DX)(di), Y12, Y20; \
	VFMADD231PS Y20, tot, acc

// func gemmQ6_Kx8x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ6_Kx8x4VNNI(SB), NOSPLIT, $0-80
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ off+24(FP), BX
	MOVQ nb+32(FP), CX
	MOVQ qstride+40(FP), R8
	MOVQ dstride+48(FP), R10
	MOVQ offstride+56(FP), R13
	LEAQ (R8)(R8*2), R9
	LEAQ (R10)(R10*2), R11
	LEAQ (R13)(R13*2), R15
	XORQ R12, R12
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MASKS_Q6

q6x4loop:
	VCVTPH2PS (SI), Y12
	VPXORD Y16, Y16, Y16
	VPXORD Y17, Y17, Y17
	VPXORD Y18, Y18, Y18
	VPXORD Y19, Y19, Y19
	G4(0)
	G4(1)
	G4(2)
	G4(3)
	G4(4)
	G4(5)
	G4(6)
	G4(7)
	G4(8)
	G4(9)
	G4(10)
	G4(11)
	G4(12)
	G4(13)
	G4(14)
	G4(15)
	FINISH4(R12*1, Y16, Y0)
	FINISH4(R10*1, Y17, Y1)
	FINISH4(R10*2, Y18, Y2)
	FINISH4(R11*1, Y19, Y3)
	ADDQ $1680, SI
	ADDQ $256, DI
	ADDQ $4, DX
	ADDQ $64, BX
	DECQ CX
	JNZ  q6x4loop

	MOVQ out+64(FP), AX
	MOVQ ostride+72(FP), R13
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, (AX)(R13*1)
	VMOVUPS Y2, (AX)(R13*2)
	LEAQ (R13)(R13*2), R13
	VMOVUPS Y3, (AX)(R13*1)
	VZEROUPPER
	RET

// Two tokens (see gemm_x8_amd64.s): quants at DI + t*R8, scales at DX +
// t*R10, offsets at BX + t*R13.
#define G2(j) \
	PREFETCH_Q6_GROUP(j); \
	UNPACK_Q6(j); \
	GROUP_TOK(j, R12*1, R12*1, Y20, Y16); \
	GROUP_TOK(j, R8*1, R13*1, Y21, Y17)

// func gemmQ6_Kx8x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ6_Kx8x2VNNI(SB), NOSPLIT, $0-80
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ off+24(FP), BX
	MOVQ nb+32(FP), CX
	MOVQ qstride+40(FP), R8
	MOVQ dstride+48(FP), R10
	MOVQ offstride+56(FP), R13
	XORQ R12, R12
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	MASKS_Q6

q6x2loop:
	VCVTPH2PS (SI), Y12
	VPXORD Y16, Y16, Y16
	VPXORD Y17, Y17, Y17
	G2(0)
	G2(1)
	G2(2)
	G2(3)
	G2(4)
	G2(5)
	G2(6)
	G2(7)
	G2(8)
	G2(9)
	G2(10)
	G2(11)
	G2(12)
	G2(13)
	G2(14)
	G2(15)
	FINISH4(R12*1, Y16, Y0)
	FINISH4(R10*1, Y17, Y1)
	ADDQ $1680, SI
	ADDQ $256, DI
	ADDQ $4, DX
	ADDQ $64, BX
	DECQ CX
	JNZ  q6x2loop

	MOVQ out+64(FP), AX
	MOVQ ostride+72(FP), R13
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, (AX)(R13*1)
	VZEROUPPER
	RET

// Eight tokens: tokens 4..7 are addressed like tokens 0..3 from second
// bases made per block, R14 = DI + 4*qstride and AX = BX + 4*offstride
// (then DX + 4*dstride for the scales at the end).
#define GROUP_TOK_AT(j, q, qi, o, oi, tmp, tot) \
	VPBROADCASTD (4*j)(o)(oi), tmp; \
	VPDPBUSD.BCST (16*j)(q)(qi), Y4, tmp; \
	VPDPBUSD.BCST (16*j+4)(q)(qi), Y5, tmp; \
	VPDPBUSD.BCST (16*j+8)(q)(qi), Y6, tmp; \
	VPDPBUSD.BCST (16*j+12)(q)(qi), Y7, tmp; \
	VPMULLD Y8, tmp, tmp; \
	VPADDD tmp, tot, tot

#define G8(j) \
	PREFETCH_Q6_GROUP(j); \
	UNPACK_Q6(j); \
	GROUP_TOK_AT(j, DI, R12*1, BX, R12*1, Y20, Y16); \
	GROUP_TOK_AT(j, DI, R8*1, BX, R13*1, Y21, Y17); \
	GROUP_TOK_AT(j, DI, R8*2, BX, R13*2, Y22, Y18); \
	GROUP_TOK_AT(j, DI, R9*1, BX, R15*1, Y23, Y19); \
	GROUP_TOK_AT(j, R14, R12*1, AX, R12*1, Y20, Y24); \
	GROUP_TOK_AT(j, R14, R8*1, AX, R13*1, Y21, Y25); \
	GROUP_TOK_AT(j, R14, R8*2, AX, R13*2, Y22, Y26); \
	GROUP_TOK_AT(j, R14, R9*1, AX, R15*1, Y23, Y27)

#define FINISH_AT(dbase, di, tot, acc) \
	VCVTDQ2PS tot, tot; \
	VMULPS.BCST (dbase)(di), Y12, Y20; \
	VFMADD231PS Y20, tot, acc

// func gemmQ6_Kx8x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ6_Kx8x8VNNI(SB), NOSPLIT, $0-80
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ off+24(FP), BX
	MOVQ nb+32(FP), CX
	MOVQ qstride+40(FP), R8
	MOVQ dstride+48(FP), R10
	MOVQ offstride+56(FP), R13
	LEAQ (R8)(R8*2), R9
	LEAQ (R10)(R10*2), R11
	LEAQ (R13)(R13*2), R15
	XORQ R12, R12
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y28, Y28, Y28
	VXORPS Y29, Y29, Y29
	VXORPS Y30, Y30, Y30
	VXORPS Y31, Y31, Y31
	MASKS_Q6

q6x8loop:
	VCVTPH2PS (SI), Y12
	LEAQ (DI)(R8*4), R14
	LEAQ (BX)(R13*4), AX
	VPXORD Y16, Y16, Y16
	VPXORD Y17, Y17, Y17
	VPXORD Y18, Y18, Y18
	VPXORD Y19, Y19, Y19
	VPXORD Y24, Y24, Y24
	VPXORD Y25, Y25, Y25
	VPXORD Y26, Y26, Y26
	VPXORD Y27, Y27, Y27
	G8(0)
	G8(1)
	G8(2)
	G8(3)
	G8(4)
	G8(5)
	G8(6)
	G8(7)
	G8(8)
	G8(9)
	G8(10)
	G8(11)
	G8(12)
	G8(13)
	G8(14)
	G8(15)
	LEAQ (DX)(R10*4), AX
	FINISH_AT(DX, R12*1, Y16, Y0)
	FINISH_AT(DX, R10*1, Y17, Y1)
	FINISH_AT(DX, R10*2, Y18, Y2)
	FINISH_AT(DX, R11*1, Y19, Y3)
	FINISH_AT(AX, R12*1, Y24, Y28)
	FINISH_AT(AX, R10*1, Y25, Y29)
	FINISH_AT(AX, R10*2, Y26, Y30)
	FINISH_AT(AX, R11*1, Y27, Y31)
	ADDQ $1680, SI
	ADDQ $256, DI
	ADDQ $4, DX
	ADDQ $64, BX
	DECQ CX
	JNZ  q6x8loop

	MOVQ out+64(FP), AX
	MOVQ ostride+72(FP), R13
	LEAQ (R13)(R13*2), R15
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, (AX)(R13*1)
	VMOVUPS Y2, (AX)(R13*2)
	VMOVUPS Y3, (AX)(R15*1)
	LEAQ (AX)(R13*4), AX
	VMOVUPS Y28, (AX)
	VMOVUPS Y29, (AX)(R13*1)
	VMOVUPS Y30, (AX)(R13*2)
	VMOVUPS Y31, (AX)(R15*1)
	VZEROUPPER
	RET
