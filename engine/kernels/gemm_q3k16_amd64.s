#include "textflag.h"
#include "x16_amd64.h"

// Q3_K in LayoutRows16 (pack_q3k.go), multiplied with AVX-512 VNNI on
// 512-bit registers, one row per int32 lane, as the packed Q6_K kernels
// (gemm_q6k16_amd64.s): per 16-value group, a token's lanes start at its
// offset (-4 times the group's quant sum, Q8.Off from makeOff3), take
// the group's four value dwords in vpdpbusd, are multiplied by the rows'
// scales (scale-32) and added to the token's block total; the block ends
// with one fused multiply-add by d*d_y. The values are the unsigned 3-bit
// u (weight u-4), each value dword merged from the group's L vector and
// the pair's H vector: the two shifted into place, one vpternlogd
// selecting bits 0-1 from L and the rest from H, then a mask of 0x07.
//
// A block of sixteen rows is 1824 bytes: d at 0, group j's scales at
// 32+16j, pair p's L(2p), L(2p+1) and H at 288+192p, +64, +128.
// Registers: Z0..Z3, Z28..Z31 the tokens' sums; Z4..Z7 a group's value
// dwords; Z8 its scales; Z9 L, Z10 H, Z11 scratch; Z12 d; Z13 0x07 bytes,
// Z14 0x03 bytes; Z16..Z19, Z24..Z27 the tokens' totals; Z20 scratch.

// Q3_MERGE(dst, lsrc) makes a value dword in dst, which holds H shifted
// so that the value's high bit is at bit 2: bits 0-1 from lsrc (L shifted
// so that the value's low bits are at 0-1), the rest from dst, masked to
// 0x07.
#define Q3_MERGE(dst, lsrc) \
	VPTERNLOGD $0xd8, Z14, lsrc, dst; \
	VPANDD Z13, dst, dst

// Q3_UNPACK(p, e) sets Z4..Z7 and Z8 to group 2p+e's value dwords and
// scales.
#define Q3_UNPACK_0(p) \
	VPMOVSXBD (32+16*(2*p+0))(SI), Z8; \
	VMOVDQU64 (288+192*p+0)(SI), Z9; \
	VMOVDQU64 (288+192*p+128)(SI), Z10; \
	VPSLLW $2, Z10, Z4; \
	Q3_MERGE(Z4, Z9); \
	VPSLLW $1, Z10, Z5; \
	VPSRLW $2, Z9, Z11; \
	Q3_MERGE(Z5, Z11); \
	VMOVDQA64 Z10, Z6; \
	VPSRLW $4, Z9, Z11; \
	Q3_MERGE(Z6, Z11); \
	VPSRLW $1, Z10, Z7; \
	VPSRLW $6, Z9, Z11; \
	Q3_MERGE(Z7, Z11)

#define Q3_UNPACK_1(p) \
	VPMOVSXBD (32+16*(2*p+1))(SI), Z8; \
	VMOVDQU64 (288+192*p+64)(SI), Z9; \
	VPSRLW $2, Z10, Z4; \
	Q3_MERGE(Z4, Z9); \
	VPSRLW $3, Z10, Z5; \
	VPSRLW $2, Z9, Z11; \
	Q3_MERGE(Z5, Z11); \
	VPSRLW $4, Z10, Z6; \
	VPSRLW $4, Z9, Z11; \
	Q3_MERGE(Z6, Z11); \
	VPSRLW $5, Z10, Z7; \
	VPSRLW $6, Z9, Z11; \
	Q3_MERGE(Z7, Z11)

// Q3_GRP adds group j of one token (quants q+qi, offsets o+oi) to its
// block total tot.
#define Q3_GRP(j, q, qi, o, oi, tot) \
	VPBROADCASTD (4*j)(o)(oi), Z20; \
	VPDPBUSD.BCST (16*j)(q)(qi), Z4, Z20; \
	VPDPBUSD.BCST (16*j+4)(q)(qi), Z5, Z20; \
	VPDPBUSD.BCST (16*j+8)(q)(qi), Z6, Z20; \
	VPDPBUSD.BCST (16*j+12)(q)(qi), Z7, Z20; \
	VPMULLD Z8, Z20, Z20; \
	VPADDD Z20, tot, tot

#define Q3_TOKS_1(j) \
	Q3_GRP(j, DI, R12*1, BX, R12*1, Z16)
#define Q3_TOKS_2(j) \
	Q3_TOKS_1(j); \
	Q3_GRP(j, DI, R8*1, BX, R13*1, Z17)
#define Q3_TOKS_4(j) \
	Q3_TOKS_2(j); \
	Q3_GRP(j, DI, R8*2, BX, R13*2, Z18); \
	Q3_GRP(j, DI, R9*1, BX, R15*1, Z19)
#define Q3_TOKS_8(j) \
	Q3_TOKS_4(j); \
	Q3_GRP(j, R14, R12*1, AX, R12*1, Z24); \
	Q3_GRP(j, R14, R8*1, AX, R13*1, Z25); \
	Q3_GRP(j, R14, R8*2, AX, R13*2, Z26); \
	Q3_GRP(j, R14, R9*1, AX, R15*1, Z27)

// Three lines of prefetch 4 KiB ahead per pair of groups (228 bytes of a
// block), and the pair's first for the scales.
#define Q3_PF(p) \
	PREFETCHT0 (4096+228*p)(SI); \
	PREFETCHT0 (4096+228*p+64)(SI); \
	PREFETCHT0 (4096+228*p+128)(SI); \
	PREFETCHT0 (4096+228*p+192)(SI)

#define Q3_PAIR_1(p, j, k) \
	Q3_PF(p); \
	Q3_UNPACK_0(p); \
	Q3_TOKS_1(j); \
	Q3_UNPACK_1(p); \
	Q3_TOKS_1(k)

#define Q3_PAIR_2(p, j, k) \
	Q3_PF(p); \
	Q3_UNPACK_0(p); \
	Q3_TOKS_2(j); \
	Q3_UNPACK_1(p); \
	Q3_TOKS_2(k)

#define Q3_PAIR_4(p, j, k) \
	Q3_PF(p); \
	Q3_UNPACK_0(p); \
	Q3_TOKS_4(j); \
	Q3_UNPACK_1(p); \
	Q3_TOKS_4(k)

#define Q3_PAIR_8(p, j, k) \
	Q3_PF(p); \
	Q3_UNPACK_0(p); \
	Q3_TOKS_8(j); \
	Q3_UNPACK_1(p); \
	Q3_TOKS_8(k)

#define Q3_GROUPS(PAIR) \
	PAIR(0, 0, 1); PAIR(1, 2, 3); PAIR(2, 4, 5); PAIR(3, 6, 7); \
	PAIR(4, 8, 9); PAIR(5, 10, 11); PAIR(6, 12, 13); PAIR(7, 14, 15)

#define Q3_FIN(dbase, di, tot, acc) \
	VCVTDQ2PS tot, tot; \
	VMULPS.BCST (dbase)(di), Z12, Z20; \
	VFMADD231PS Z20, tot, acc

#define Q3_NEXT \
	ADDQ $1824, SI; \
	ADDQ $256, DI; \
	ADDQ $4, DX; \
	ADDQ $64, BX; \
	DECQ CX

#define Q3_ARGS \
	ARGS_K16; \
	MOVL $0x07070707, AX; \
	VPBROADCASTD AX, Z13; \
	MOVL $0x03030303, AX; \
	VPBROADCASTD AX, Z14

#define Q3_END_N(STORE) \
	MOVQ out+64(FP), AX; \
	MOVQ ostride+72(FP), R13; \
	LEAQ (R13)(R13*2), R15; \
	STORE(R13, R15); \
	VZEROUPPER; \
	RET

// The types re-encoded into this layout (pack_grid3.go) look each value
// index up in their codebook + bias (Z15, from the cb argument) after the
// merge: Q3L_PAIR_n is Q3_PAIR_n with that step.
#define Q3_LOOK \
	VPSHUFB Z4, Z15, Z4; \
	VPSHUFB Z5, Z15, Z5; \
	VPSHUFB Z6, Z15, Z6; \
	VPSHUFB Z7, Z15, Z7

#define Q3L_PAIR(TOKS, p, j, k) \
	Q3_PF(p); \
	Q3_UNPACK_0(p); \
	Q3_LOOK; \
	TOKS(j); \
	Q3_UNPACK_1(p); \
	Q3_LOOK; \
	TOKS(k)
#define Q3L_PAIR_1(p, j, k) Q3L_PAIR(Q3_TOKS_1, p, j, k)
#define Q3L_PAIR_2(p, j, k) Q3L_PAIR(Q3_TOKS_2, p, j, k)
#define Q3L_PAIR_4(p, j, k) Q3L_PAIR(Q3_TOKS_4, p, j, k)
#define Q3L_PAIR_8(p, j, k) Q3L_PAIR(Q3_TOKS_8, p, j, k)

#define Q3L_ARGS \
	Q3_ARGS; \
	MOVQ cb+80(FP), AX; \
	VBROADCASTI32X4 (AX), Z15

// Q3_BODY_n is the n-token kernel's body: the arguments (ARGS), per block
// the sixteen groups in pairs (PAIR), one fused multiply-add per token.
#define Q3_BODY_1(ARGS, PAIR, loop) \
	ARGS; \
	ZERO16_1; \
loop: \
	VCVTPH2PS (SI), Z12; \
	VPXORD Z16, Z16, Z16; \
	Q3_GROUPS(PAIR); \
	Q3_FIN(DX, R12*1, Z16, Z0); \
	Q3_NEXT; \
	JNZ loop; \
	MOVQ out+64(FP), AX; \
	STORE16_1(R13, R15); \
	VZEROUPPER; \
	RET

#define Q3_BODY_2(ARGS, PAIR, loop) \
	ARGS; \
	ZERO16_2; \
loop: \
	VCVTPH2PS (SI), Z12; \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	Q3_GROUPS(PAIR); \
	Q3_FIN(DX, R12*1, Z16, Z0); \
	Q3_FIN(DX, R10*1, Z17, Z1); \
	Q3_NEXT; \
	JNZ loop; \
	Q3_END_N(STORE16_2)

#define Q3_BODY_4(ARGS, PAIR, loop) \
	ARGS; \
	ZERO16_4; \
loop: \
	VCVTPH2PS (SI), Z12; \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19; \
	Q3_GROUPS(PAIR); \
	Q3_FIN(DX, R12*1, Z16, Z0); \
	Q3_FIN(DX, R10*1, Z17, Z1); \
	Q3_FIN(DX, R10*2, Z18, Z2); \
	Q3_FIN(DX, R11*1, Z19, Z3); \
	Q3_NEXT; \
	JNZ loop; \
	Q3_END_N(STORE16_4)

#define Q3_BODY_8(ARGS, PAIR, loop) \
	ARGS; \
	ZERO16_8; \
loop: \
	VCVTPH2PS (SI), Z12; \
	LEAQ (DI)(R8*4), R14; \
	LEAQ (BX)(R13*4), AX; \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19; \
	VPXORD Z24, Z24, Z24; \
	VPXORD Z25, Z25, Z25; \
	VPXORD Z26, Z26, Z26; \
	VPXORD Z27, Z27, Z27; \
	Q3_GROUPS(PAIR); \
	LEAQ (DX)(R10*4), AX; \
	Q3_FIN(DX, R12*1, Z16, Z0); \
	Q3_FIN(DX, R10*1, Z17, Z1); \
	Q3_FIN(DX, R10*2, Z18, Z2); \
	Q3_FIN(DX, R11*1, Z19, Z3); \
	Q3_FIN(AX, R12*1, Z24, Z28); \
	Q3_FIN(AX, R10*1, Z25, Z29); \
	Q3_FIN(AX, R10*2, Z26, Z30); \
	Q3_FIN(AX, R11*1, Z27, Z31); \
	Q3_NEXT; \
	JNZ loop; \
	Q3_END_N(STORE16_8)

// func gemmQ3_Kx16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ3_Kx16x1VNNI(SB), NOSPLIT, $0-80
	Q3_BODY_1(Q3_ARGS, Q3_PAIR_1, q3x1loop)

// func gemmQ3Lx16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)
TEXT ·gemmQ3Lx16x1VNNI(SB), NOSPLIT, $0-88
	Q3_BODY_1(Q3L_ARGS, Q3L_PAIR_1, q3lx1loop)

// func gemmQ3_Kx16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ3_Kx16x2VNNI(SB), NOSPLIT, $0-80
	Q3_BODY_2(Q3_ARGS, Q3_PAIR_2, q3x2loop)

// func gemmQ3Lx16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)
TEXT ·gemmQ3Lx16x2VNNI(SB), NOSPLIT, $0-88
	Q3_BODY_2(Q3L_ARGS, Q3L_PAIR_2, q3lx2loop)

// func gemmQ3_Kx16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ3_Kx16x4VNNI(SB), NOSPLIT, $0-80
	Q3_BODY_4(Q3_ARGS, Q3_PAIR_4, q3x4loop)

// func gemmQ3Lx16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)
TEXT ·gemmQ3Lx16x4VNNI(SB), NOSPLIT, $0-88
	Q3_BODY_4(Q3L_ARGS, Q3L_PAIR_4, q3lx4loop)

// func gemmQ3_Kx16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ3_Kx16x8VNNI(SB), NOSPLIT, $0-80
	Q3_BODY_8(Q3_ARGS, Q3_PAIR_8, q3x8loop)

// func gemmQ3Lx16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)
TEXT ·gemmQ3Lx16x8VNNI(SB), NOSPLIT, $0-88
	Q3_BODY_8(Q3L_ARGS, Q3L_PAIR_8, q3lx8loop)
