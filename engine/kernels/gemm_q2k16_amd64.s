#include "textflag.h"
#include "x16_amd64.h"
#include "k16_amd64.h"

// Q2_K in LayoutRows16 (pack_q2k.go), multiplied with AVX-512 VNNI on
// 512-bit registers, one row per int32 lane, as the packed Q4_K kernels
// (k16_amd64.h) with sixteen-value groups: a group's four value dwords
// come from one 64-byte vector by shift and mask; its int32 dot with the
// token's quants times the rows' scales (vpmulld) goes into the token's
// block total; the mins meet the token's pairs of group sums (Q8.Off,
// makeOffQ2K) in one vpdpwssd a pair of groups; and the block ends as
// Q4_K's (FINISH16_AT): d*d_y times the total, minus dmin*d_y times the
// mins total. One arithmetic for every token count.
//
// A block of sixteen rows is 1344 bytes: d at 0, dmin at 32, the scale
// bytes of groups 2p, 2p+1 at 64+32p, group j's values at 320+64j.
// Registers: Z0..Z3, Z28..Z31 the tokens' sums; Z4..Z7 a group's values;
// Z9/Z11 the odd/even group's scales, Z10 the pair's min pairs; Z12/Z13 d
// and dmin; Z14 0x03 bytes, Z15 0x0f dwords; Z16..Z19, Z24..Z27 the
// tokens' totals; Z20 scratch; Z8, Z21..Z23 the mins totals (up to four
// tokens; eight tokens make them after the groups).

// Q2_SCALES(p) sets Z11 and Z9 to groups 2p and 2p+1's scales and Z10 to
// their min pairs (words of the scale bytes, shifted: the high nibbles).
#define Q2_SCALES(p) \
	VPMOVZXBW (64+32*p)(SI), Z9; \
	VPSRLW $4, Z9, Z10; \
	VPANDD Z15, Z9, Z11; \
	VPSRLD $16, Z9, Z9; \
	VPANDD Z15, Z9, Z9

// Q2_UNPACK(j) sets Z4..Z7 to group j's value dwords 0..3.
#define Q2_UNPACK(j) \
	VMOVDQU64 (320+64*j)(SI), Z7; \
	VPANDD Z14, Z7, Z4; \
	VPSRLW $2, Z7, Z5; \
	VPSRLW $4, Z7, Z6; \
	VPSRLW $6, Z7, Z7; \
	VPANDD Z14, Z5, Z5; \
	VPANDD Z14, Z6, Z6; \
	VPANDD Z14, Z7, Z7

// Q2_SUB adds group j of one token (quants q+qi) times the scales sc to
// the token's total tot.
#define Q2_SUB(j, q, qi, sc, tot) \
	VPXORD Z20, Z20, Z20; \
	VPDPBUSD.BCST (16*j)(q)(qi), Z4, Z20; \
	VPDPBUSD.BCST (16*j+4)(q)(qi), Z5, Z20; \
	VPDPBUSD.BCST (16*j+8)(q)(qi), Z6, Z20; \
	VPDPBUSD.BCST (16*j+12)(q)(qi), Z7, Z20; \
	VPMULLD sc, Z20, Z20; \
	VPADDD Z20, tot, tot

#define Q2_SUBS_1(j, sc) \
	Q2_SUB(j, DI, R12*1, sc, Z16)
#define Q2_SUBS_2(j, sc) \
	Q2_SUBS_1(j, sc); \
	Q2_SUB(j, DI, R8*1, sc, Z17)
#define Q2_SUBS_4(j, sc) \
	Q2_SUBS_2(j, sc); \
	Q2_SUB(j, DI, R8*2, sc, Z18); \
	Q2_SUB(j, DI, R9*1, sc, Z19)
#define Q2_SUBS_8(j, sc) \
	Q2_SUBS_4(j, sc); \
	Q2_SUB(j, R14, R12*1, sc, Z24); \
	Q2_SUB(j, R14, R8*1, sc, Z25); \
	Q2_SUB(j, R14, R8*2, sc, Z26); \
	Q2_SUB(j, R14, R9*1, sc, Z27)

// Q2_MINS_n(p): the pair's mins into the first n tokens' mins totals.
#define Q2_MINS_1(p) \
	VPDPWSSD.BCST (4*p)(BX)(R12*1), Z10, Z8
#define Q2_MINS_2(p) \
	Q2_MINS_1(p); \
	VPDPWSSD.BCST (4*p)(BX)(R13*1), Z10, Z21
#define Q2_MINS_4(p) \
	Q2_MINS_2(p); \
	VPDPWSSD.BCST (4*p)(BX)(R13*2), Z10, Z22; \
	VPDPWSSD.BCST (4*p)(BX)(R15*1), Z10, Z23
#define Q2_MINS_8(p)

// Three lines of prefetch 4 KiB ahead per pair of groups (168 bytes of a
// block).
#define Q2_PF(p) \
	PREFETCHT0 (4096+168*p)(SI); \
	PREFETCHT0 (4096+168*p+64)(SI); \
	PREFETCHT0 (4096+168*p+128)(SI)

// Q2_PAIR_n(p) runs groups 2p and 2p+1 for n tokens.
#define Q2_PAIR_1(p, j, k) \
	Q2_PF(p); \
	Q2_SCALES(p); \
	Q2_MINS_1(p); \
	Q2_UNPACK(j); \
	Q2_SUBS_1(j, Z11); \
	Q2_UNPACK(k); \
	Q2_SUBS_1(k, Z9)

#define Q2_PAIR_2(p, j, k) \
	Q2_PF(p); \
	Q2_SCALES(p); \
	Q2_MINS_2(p); \
	Q2_UNPACK(j); \
	Q2_SUBS_2(j, Z11); \
	Q2_UNPACK(k); \
	Q2_SUBS_2(k, Z9)

#define Q2_PAIR_4(p, j, k) \
	Q2_PF(p); \
	Q2_SCALES(p); \
	Q2_MINS_4(p); \
	Q2_UNPACK(j); \
	Q2_SUBS_4(j, Z11); \
	Q2_UNPACK(k); \
	Q2_SUBS_4(k, Z9)

#define Q2_PAIR_8(p, j, k) \
	Q2_PF(p); \
	Q2_SCALES(p); \
	Q2_MINS_8(p); \
	Q2_UNPACK(j); \
	Q2_SUBS_8(j, Z11); \
	Q2_UNPACK(k); \
	Q2_SUBS_8(k, Z9)

#define Q2_GROUPS(PAIR) \
	PAIR(0, 0, 1); PAIR(1, 2, 3); PAIR(2, 4, 5); PAIR(3, 6, 7); \
	PAIR(4, 8, 9); PAIR(5, 10, 11); PAIR(6, 12, 13); PAIR(7, 14, 15)

#define Q2_START \
	VCVTPH2PS (SI), Z12; \
	VCVTPH2PS 32(SI), Z13

#define Q2_NEXT \
	ADDQ $1344, SI; \
	ADDQ $256, DI; \
	ADDQ $4, DX; \
	ADDQ $32, BX; \
	DECQ CX

#define Q2_ARGS \
	ARGS_K16; \
	MOVL $0x03030303, AX; \
	VPBROADCASTD AX, Z14; \
	MOVL $0x0f, AX; \
	VPBROADCASTD AX, Z15

// Q2_MINPAIR(p, dst): the pair's min pairs, for the eight-token kernel's
// mins after the groups.
#define Q2_MINPAIR(p, dst) \
	VPMOVZXBW (64+32*p)(SI), dst; \
	VPSRLW $4, dst, dst

// Q2_TOKMINS(o, oi, macc): one token's mins total from the eight min-pair
// vectors (Z4..Z7, Z9..Z11, Z21).
#define Q2_TOKMINS(o, oi, macc) \
	VPXORD macc, macc, macc; \
	VPDPWSSD.BCST 0(o)(oi), Z4, macc; \
	VPDPWSSD.BCST 4(o)(oi), Z5, macc; \
	VPDPWSSD.BCST 8(o)(oi), Z6, macc; \
	VPDPWSSD.BCST 12(o)(oi), Z7, macc; \
	VPDPWSSD.BCST 16(o)(oi), Z9, macc; \
	VPDPWSSD.BCST 20(o)(oi), Z10, macc; \
	VPDPWSSD.BCST 24(o)(oi), Z11, macc; \
	VPDPWSSD.BCST 28(o)(oi), Z21, macc

// Q2_FIN is FINISH16_AT with Z22 as its temporary (Z4 holds min pairs).
#define Q2_FIN(dbase, di, tot, macc, acc) \
	VCVTDQ2PS tot, tot; \
	VMULPS.BCST (dbase)(di), Z12, Z22; \
	VFMADD231PS Z22, tot, acc; \
	VCVTDQ2PS macc, macc; \
	VMULPS.BCST (dbase)(di), Z13, Z22; \
	VFNMADD231PS Z22, macc, acc

// func gemmQ2_Kx16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ2_Kx16x1VNNI(SB), NOSPLIT, $0-80
	Q2_ARGS
	ZERO16_1

q2x1loop:
	Q2_START
	VPXORD Z16, Z16, Z16
	VPXORD Z8, Z8, Z8
	Q2_GROUPS(Q2_PAIR_1)
	FINISH16_AT(DX, R12*1, Z16, Z8, Z0)
	Q2_NEXT
	JNZ q2x1loop
	KEND16_1

// func gemmQ2_Kx16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ2_Kx16x2VNNI(SB), NOSPLIT, $0-80
	Q2_ARGS
	ZERO16_2

q2x2loop:
	Q2_START
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z8, Z8, Z8
	VPXORD Z21, Z21, Z21
	Q2_GROUPS(Q2_PAIR_2)
	FINISH16_AT(DX, R12*1, Z16, Z8, Z0)
	FINISH16_AT(DX, R10*1, Z17, Z21, Z1)
	Q2_NEXT
	JNZ q2x2loop
	KEND16_N(STORE16_2)

// func gemmQ2_Kx16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ2_Kx16x4VNNI(SB), NOSPLIT, $0-80
	Q2_ARGS
	ZERO16_4

q2x4loop:
	Q2_START
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z8, Z8, Z8
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	Q2_GROUPS(Q2_PAIR_4)
	FINISH16_AT(DX, R12*1, Z16, Z8, Z0)
	FINISH16_AT(DX, R10*1, Z17, Z21, Z1)
	FINISH16_AT(DX, R10*2, Z18, Z22, Z2)
	FINISH16_AT(DX, R11*1, Z19, Z23, Z3)
	Q2_NEXT
	JNZ q2x4loop
	KEND16_N(STORE16_4)

// Eight tokens: the mins totals have no registers during the groups, so
// they are made after them, token by token, from the eight min-pair
// vectors (integer sums: the order changes no result).
// func gemmQ2_Kx16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ2_Kx16x8VNNI(SB), NOSPLIT, $0-80
	Q2_ARGS
	ZERO16_8

q2x8loop:
	Q2_START
	LEAQ (DI)(R8*4), R14
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27
	Q2_GROUPS(Q2_PAIR_8)
	Q2_MINPAIR(0, Z4)
	Q2_MINPAIR(1, Z5)
	Q2_MINPAIR(2, Z6)
	Q2_MINPAIR(3, Z7)
	Q2_MINPAIR(4, Z9)
	Q2_MINPAIR(5, Z10)
	Q2_MINPAIR(6, Z11)
	Q2_MINPAIR(7, Z21)
	Q2_TOKMINS(BX, R12*1, Z20)
	Q2_FIN(DX, R12*1, Z16, Z20, Z0)
	Q2_TOKMINS(BX, R13*1, Z20)
	Q2_FIN(DX, R10*1, Z17, Z20, Z1)
	Q2_TOKMINS(BX, R13*2, Z20)
	Q2_FIN(DX, R10*2, Z18, Z20, Z2)
	Q2_TOKMINS(BX, R15*1, Z20)
	Q2_FIN(DX, R11*1, Z19, Z20, Z3)
	LEAQ (BX)(R13*4), R14
	LEAQ (DX)(R10*4), AX
	Q2_TOKMINS(R14, R12*1, Z20)
	Q2_FIN(AX, R12*1, Z24, Z20, Z28)
	Q2_TOKMINS(R14, R13*1, Z20)
	Q2_FIN(AX, R10*1, Z25, Z20, Z29)
	Q2_TOKMINS(R14, R13*2, Z20)
	Q2_FIN(AX, R10*2, Z26, Z20, Z30)
	Q2_TOKMINS(R14, R15*1, Z20)
	Q2_FIN(AX, R11*1, Z27, Z20, Z31)
	Q2_NEXT
	JNZ q2x8loop
	KEND16_N(STORE16_8)
