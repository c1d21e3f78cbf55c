#include "textflag.h"
#include "x16_amd64.h"
#include "k16_amd64.h"

// IQ4_XS in LayoutRows16 (pack_iq4xs.go), multiplied with AVX-512 VNNI on
// 512-bit registers, one row per int32 lane. A sub-block (32 values)
// unpacks as a Q4_0 block does in gemm_x16_amd64.s and one vpshufb per
// register gives codebook+128, unsigned for vpdpbusd; its int32 dot times
// the rows' scales (ls-32) goes into the token's block total, as Q4_K's
// sub-blocks do (k16_amd64.h). The +128 comes off in the integers: each
// token's block total loses 128 times Σ_j scale_j·(sub-block j's quant
// sum), made with Q4_K's mins step (MINS16_AT, the sub-block sum pairs of
// Q8.Off) from pairs of 128·scale built from the scale bytes. The exact
// int32 result is converted once and fused times d*d_y into the token's
// sum: one arithmetic for every token count.
//
// A block of sixteen rows is 2208 bytes: d (16 f16) at 0, sub-block j's
// scales (16 int8) at 32+16j, its chunk k (bytes 4k..4k+3 of each row's
// 16, row r at 4r) at 160+256j+64k. Registers as k16_amd64.h's, with Z13
// the codebook table (no dmin).

// XS_UNPACK(j) loads sub-block j's codebook values +128 into Z4..Z11
// (values 4k.. in Z(4+k), 16+4k.. in Z(8+k)) and its scales into Z15.
#define XS_UNPACK(j) \
	VPMOVSXBD (32+16*j)(SI), Z15; \
	VPSRLW $4, (160+256*j)(SI), Z8; \
	VPSRLW $4, (160+256*j+64)(SI), Z9; \
	VPSRLW $4, (160+256*j+128)(SI), Z10; \
	VPSRLW $4, (160+256*j+192)(SI), Z11; \
	VPANDD (160+256*j)(SI), Z14, Z4; \
	VPANDD (160+256*j+64)(SI), Z14, Z5; \
	VPANDD (160+256*j+128)(SI), Z14, Z6; \
	VPANDD (160+256*j+192)(SI), Z14, Z7; \
	VPANDD Z14, Z8, Z8; \
	VPANDD Z14, Z9, Z9; \
	VPANDD Z14, Z10, Z10; \
	VPANDD Z14, Z11, Z11; \
	VPSHUFB Z4, Z13, Z4; \
	VPSHUFB Z5, Z13, Z5; \
	VPSHUFB Z6, Z13, Z6; \
	VPSHUFB Z7, Z13, Z7; \
	VPSHUFB Z8, Z13, Z8; \
	VPSHUFB Z9, Z13, Z9; \
	VPSHUFB Z10, Z13, Z10; \
	VPSHUFB Z11, Z13, Z11

// XS_PAIR(p, dst) makes dst's int16 pairs (128·scale of sub-blocks 2p and
// 2p+1) for MINS16_AT; Z15 holds 0x0000ffff dwords, Z4 is scratch.
#define XS_PAIR(p, dst) \
	VPMOVSXBD (32+32*p)(SI), dst; \
	VPMOVSXBD (48+32*p)(SI), Z4; \
	VPSLLD $7, dst, dst; \
	VPSLLD $23, Z4, Z4; \
	VPTERNLOGD $0xec, Z15, Z4, dst

// XS_PAIRS puts the four pair vectors in Z8..Z11 (the weights' registers,
// free before the sub-blocks or after them), through AX.
#define XS_PAIRS \
	MOVL $0xffff, AX; \
	VPBROADCASTD AX, Z15; \
	XS_PAIR(0, Z8); \
	XS_PAIR(1, Z9); \
	XS_PAIR(2, Z10); \
	XS_PAIR(3, Z11)

// XS_FINISH: acc += float(tot - corr)*(d*dt), the token's scale at
// dbase+di, Z4 as the temporary.
#define XS_FINISH(dbase, di, tot, corr, acc) \
	VPSUBD corr, tot, tot; \
	VCVTDQ2PS tot, tot; \
	VMULPS.BCST (dbase)(di), Z12, Z4; \
	VFMADD231PS Z4, tot, acc

// Five lines of prefetch 8 KiB ahead per sub-block (276 bytes of a block).
#define XS_PF(j) \
	PREFETCHT0 (8192+276*j)(SI); \
	PREFETCHT0 (8192+276*j+64)(SI); \
	PREFETCHT0 (8192+276*j+128)(SI); \
	PREFETCHT0 (8192+276*j+192)(SI); \
	PREFETCHT0 (8192+276*j+256)(SI)

#define XS_SUBS_1(j) \
	SUB16_AT(j, DI, R12*1, Z20, Z16)
#define XS_SUBS_2(j) \
	XS_SUBS_1(j); \
	SUB16_AT(j, DI, R8*1, Z21, Z17)
#define XS_SUBS_4(j) \
	XS_SUBS_2(j); \
	SUB16_AT(j, DI, R8*2, Z22, Z18); \
	SUB16_AT(j, DI, R9*1, Z23, Z19)
#define XS_SUBS_8(j) \
	XS_SUBS_4(j); \
	SUB16_AT(j, R14, R12*1, Z20, Z24); \
	SUB16_AT(j, R14, R8*1, Z21, Z25); \
	SUB16_AT(j, R14, R8*2, Z22, Z26); \
	SUB16_AT(j, R14, R9*1, Z23, Z27)

#define XS_GROUPS(SUBS) \
	XS_PF(0); XS_UNPACK(0); SUBS(0); XS_PF(1); XS_UNPACK(1); SUBS(1); \
	XS_PF(2); XS_UNPACK(2); SUBS(2); XS_PF(3); XS_UNPACK(3); SUBS(3); \
	XS_PF(4); XS_UNPACK(4); SUBS(4); XS_PF(5); XS_UNPACK(5); SUBS(5); \
	XS_PF(6); XS_UNPACK(6); SUBS(6); XS_PF(7); XS_UNPACK(7); SUBS(7)

#define XS_NEXT \
	ADDQ $2208, SI; \
	ADDQ $256, DI; \
	ADDQ $4, DX; \
	ADDQ $16, BX; \
	DECQ CX

// The codebook+128 (16 bytes, xsTable) is the last argument: IQ4_NL's for
// IQ4_XS, the grid levels for re-encoded IQ3_S and IQ3_XXS (pack_iq3.go).
#define XS_ARGS \
	ARGS16K; \
	MOVQ cb+80(FP), AX; \
	VBROADCASTI32X4 (AX), Z13

// func gemmIQ4_XSx16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)
TEXT ·gemmIQ4_XSx16x1VNNI(SB), NOSPLIT, $0-88
	XS_ARGS
	ZERO16_1

xsx1loop:
	VCVTPH2PS (SI), Z12
	VPXORD Z16, Z16, Z16
	XS_PAIRS
	MINS16_AT(BX, R12*1, Z24)
	XS_GROUPS(XS_SUBS_1)
	XS_FINISH(DX, R12*1, Z16, Z24, Z0)
	XS_NEXT
	JNZ xsx1loop
	KEND16_1

// func gemmIQ4_XSx16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)
TEXT ·gemmIQ4_XSx16x2VNNI(SB), NOSPLIT, $0-88
	XS_ARGS
	ZERO16_2

xsx2loop:
	VCVTPH2PS (SI), Z12
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	XS_PAIRS
	MINS16_AT(BX, R12*1, Z24)
	MINS16_AT(BX, R13*1, Z25)
	XS_GROUPS(XS_SUBS_2)
	XS_FINISH(DX, R12*1, Z16, Z24, Z0)
	XS_FINISH(DX, R10*1, Z17, Z25, Z1)
	XS_NEXT
	JNZ xsx2loop
	KEND16_N(STORE16_2)

// func gemmIQ4_XSx16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)
TEXT ·gemmIQ4_XSx16x4VNNI(SB), NOSPLIT, $0-88
	XS_ARGS
	ZERO16_4

xsx4loop:
	VCVTPH2PS (SI), Z12
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	XS_PAIRS
	MINS16_AT(BX, R12*1, Z24)
	MINS16_AT(BX, R13*1, Z25)
	MINS16_AT(BX, R13*2, Z26)
	MINS16_AT(BX, R15*1, Z27)
	XS_GROUPS(XS_SUBS_4)
	XS_FINISH(DX, R12*1, Z16, Z24, Z0)
	XS_FINISH(DX, R10*1, Z17, Z25, Z1)
	XS_FINISH(DX, R10*2, Z18, Z26, Z2)
	XS_FINISH(DX, R11*1, Z19, Z27, Z3)
	XS_NEXT
	JNZ xsx4loop
	KEND16_N(STORE16_4)

// Eight tokens: the corrections need the weights' registers, so they come
// after the sub-blocks (integer sums: the order changes no result).
// func gemmIQ4_XSx16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)
TEXT ·gemmIQ4_XSx16x8VNNI(SB), NOSPLIT, $0-88
	XS_ARGS
	ZERO16_8

xsx8loop:
	VCVTPH2PS (SI), Z12
	LEAQ (DI)(R8*4), R14
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27
	XS_GROUPS(XS_SUBS_8)
	XS_PAIRS
	MINS16_AT(BX, R12*1, Z20)
	MINS16_AT(BX, R13*1, Z21)
	MINS16_AT(BX, R13*2, Z22)
	MINS16_AT(BX, R15*1, Z23)
	XS_FINISH(DX, R12*1, Z16, Z20, Z0)
	XS_FINISH(DX, R10*1, Z17, Z21, Z1)
	XS_FINISH(DX, R10*2, Z18, Z22, Z2)
	XS_FINISH(DX, R11*1, Z19, Z23, Z3)
	LEAQ (BX)(R13*4), AX
	MINS16_AT(AX, R12*1, Z20)
	MINS16_AT(AX, R13*1, Z21)
	MINS16_AT(AX, R13*2, Z22)
	MINS16_AT(AX, R15*1, Z23)
	LEAQ (DX)(R10*4), AX
	XS_FINISH(AX, R12*1, Z24, Z20, Z28)
	XS_FINISH(AX, R10*1, Z25, Z21, Z29)
	XS_FINISH(AX, R10*2, Z26, Z22, Z30)
	XS_FINISH(AX, R11*1, Z27, Z23, Z31)
	XS_NEXT
	JNZ xsx8loop
	KEND16_N(STORE16_8)
