#include "textflag.h"
#include "x16_amd64.h"

// Q4_K in LayoutRows16 (pack16.go), multiplied with AVX-512 VNNI on
// 512-bit registers: gemm_q4k_amd64.s with sixteen rows per register, so
// that each activation broadcast (eight quants dwords per token and
// sub-block, four sub-block-sum pairs per token and block) feeds sixteen
// rows. The arithmetic per lane is the eight-row kernels', so the results
// are theirs bit for bit.
//
// A block of sixteen rows is 2368 bytes: d (16 f16) at 0, dmin at 32, the
// scales of sub-block j at 64+16j (16 bytes, row order), the mins pairs
// (m[2p], m[2p+1] for rows 0..15) at 192+32p, then for each 64-value
// group G eight 64-byte chunks at 320+512G+64k: lane r holds bytes
// 4k..4k+3 of the row's 32 quant bytes of G (low nibbles: sub-block 2G,
// high: 2G+1).

// MINS16 loads the four mins-pair vectors into Z8..Z11 (int16 lanes).
#define MINS16 \
	VPMOVZXBW 192(SI), Z8; \
	VPMOVZXBW 224(SI), Z9; \
	VPMOVZXBW 256(SI), Z10; \
	VPMOVZXBW 288(SI), Z11

// MINS16_AT: the token's mins total, Σ m·(sub-block sum), into macc.
#define MINS16_AT(o, oi, macc) \
	VPXORD macc, macc, macc; \
	VPDPWSSD.BCST 0(o)(oi), Z8, macc; \
	VPDPWSSD.BCST 4(o)(oi), Z9, macc; \
	VPDPWSSD.BCST 8(o)(oi), Z10, macc; \
	VPDPWSSD.BCST 12(o)(oi), Z11, macc

// LO16(G) / HI16(G) unpack group G's low (sub-block 2G) or high (2G+1)
// nibbles into Z4..Z11; Z14 = 0x0f bytes.
#define LO16(G) \
	VPANDD (320+512*G)(SI), Z14, Z4; \
	VPANDD (320+512*G+64)(SI), Z14, Z5; \
	VPANDD (320+512*G+128)(SI), Z14, Z6; \
	VPANDD (320+512*G+192)(SI), Z14, Z7; \
	VPANDD (320+512*G+256)(SI), Z14, Z8; \
	VPANDD (320+512*G+320)(SI), Z14, Z9; \
	VPANDD (320+512*G+384)(SI), Z14, Z10; \
	VPANDD (320+512*G+448)(SI), Z14, Z11

#define HI16(G) \
	VPSRLW $4, (320+512*G)(SI), Z4; \
	VPSRLW $4, (320+512*G+64)(SI), Z5; \
	VPSRLW $4, (320+512*G+128)(SI), Z6; \
	VPSRLW $4, (320+512*G+192)(SI), Z7; \
	VPSRLW $4, (320+512*G+256)(SI), Z8; \
	VPSRLW $4, (320+512*G+320)(SI), Z9; \
	VPSRLW $4, (320+512*G+384)(SI), Z10; \
	VPSRLW $4, (320+512*G+448)(SI), Z11; \
	VPANDD Z14, Z4, Z4; \
	VPANDD Z14, Z5, Z5; \
	VPANDD Z14, Z6, Z6; \
	VPANDD Z14, Z7, Z7; \
	VPANDD Z14, Z8, Z8; \
	VPANDD Z14, Z9, Z9; \
	VPANDD Z14, Z10, Z10; \
	VPANDD Z14, Z11, Z11

// SUB16_AT adds sub-block j of one token (quants q+qi) to its total tot,
// through tmp; Z15 holds the rows' scales of j.
#define SUB16_AT(j, q, qi, tmp, tot) \
	VPXORD tmp, tmp, tmp; \
	VPDPBUSD.BCST (32*j)(q)(qi), Z4, tmp; \
	VPDPBUSD.BCST (32*j+4)(q)(qi), Z5, tmp; \
	VPDPBUSD.BCST (32*j+8)(q)(qi), Z6, tmp; \
	VPDPBUSD.BCST (32*j+12)(q)(qi), Z7, tmp; \
	VPDPBUSD.BCST (32*j+16)(q)(qi), Z8, tmp; \
	VPDPBUSD.BCST (32*j+20)(q)(qi), Z9, tmp; \
	VPDPBUSD.BCST (32*j+24)(q)(qi), Z10, tmp; \
	VPDPBUSD.BCST (32*j+28)(q)(qi), Z11, tmp; \
	VPMULLD Z15, tmp, tmp; \
	VPADDD tmp, tot, tot

// FINISH16_AT: acc += float(tot)*(d*dt) - float(macc)*(dmin*dt), the
// token's scale at dbase+di, Z4 as the temporary (the weights are done).
#define FINISH16_AT(dbase, di, tot, macc, acc) \
	VCVTDQ2PS tot, tot; \
	VMULPS.BCST (dbase)(di), Z12, Z4; \
	VFMADD231PS Z4, tot, acc; \
	VCVTDQ2PS macc, macc; \
	VMULPS.BCST (dbase)(di), Z13, Z4; \
	VFNMADD231PS Z4, macc, acc

// PF16K(j) prefetches five lines 8 KiB ahead per sub-block (2368-byte
// blocks, 296 bytes a sub-block), spread through the block as in
// gemm_q4k_amd64.s.
#define PF16K(j) \
	PREFETCHT0 (8192+296*j)(SI); \
	PREFETCHT0 (8192+296*j+64)(SI); \
	PREFETCHT0 (8192+296*j+128)(SI); \
	PREFETCHT0 (8192+296*j+192)(SI); \
	PREFETCHT0 (8192+296*j+256)(SI)

// Arguments as gemmQ4_Kx8x4VNNI's: token t's quants at DI + t*R8, scales
// at DX + t*R10, sub-block sums at BX + t*R13 (R9, R11, R15 three times
// those); tokens 4..7 of the eight-token kernel from R14 (quants) and AX
// (sums, then scales).
#define ARGS16K \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ off+24(FP), BX; \
	MOVQ nb+32(FP), CX; \
	MOVQ qstride+40(FP), R8; \
	MOVQ dstride+48(FP), R10; \
	MOVQ offstride+56(FP), R13; \
	LEAQ (R8)(R8*2), R9; \
	LEAQ (R10)(R10*2), R11; \
	LEAQ (R13)(R13*2), R15; \
	XORQ R12, R12; \
	MOVL $0x0f0f0f0f, AX; \
	VPBROADCASTD AX, Z14

#define NEXT16K \
	ADDQ $2368, SI; \
	ADDQ $256, DI; \
	ADDQ $4, DX; \
	ADDQ $16, BX; \
	DECQ CX

// SUBS16_n(j) runs sub-block j for the first n tokens.
#define SUBS16_1(j) \
	VPMOVZXBD (64+16*j)(SI), Z15; \
	SUB16_AT(j, DI, R12*1, Z20, Z16)
#define SUBS16_2(j) \
	SUBS16_1(j); \
	SUB16_AT(j, DI, R8*1, Z21, Z17)
#define SUBS16_4(j) \
	SUBS16_2(j); \
	SUB16_AT(j, DI, R8*2, Z22, Z18); \
	SUB16_AT(j, DI, R9*1, Z23, Z19)
#define SUBS16_8(j) \
	SUBS16_4(j); \
	SUB16_AT(j, R14, R12*1, Z20, Z24); \
	SUB16_AT(j, R14, R8*1, Z21, Z25); \
	SUB16_AT(j, R14, R8*2, Z22, Z26); \
	SUB16_AT(j, R14, R9*1, Z23, Z27)

#define GROUPS16(SUBS) \
	PF16K(0); LO16(0); SUBS(0); PF16K(1); HI16(0); SUBS(1); \
	PF16K(2); LO16(1); SUBS(2); PF16K(3); HI16(1); SUBS(3); \
	PF16K(4); LO16(2); SUBS(4); PF16K(5); HI16(2); SUBS(5); \
	PF16K(6); LO16(3); SUBS(6); PF16K(7); HI16(3); SUBS(7)

// func gemmQ4_Kx16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ4_Kx16x1VNNI(SB), NOSPLIT, $0-80
	ARGS16K
	ZERO16_1

q4kx16x1loop:
	VCVTPH2PS (SI), Z12
	VCVTPH2PS 32(SI), Z13
	VPXORD Z16, Z16, Z16
	MINS16
	MINS16_AT(BX, R12*1, Z24)
	GROUPS16(SUBS16_1)
	FINISH16_AT(DX, R12*1, Z16, Z24, Z0)
	NEXT16K
	JNZ q4kx16x1loop

	MOVQ out+64(FP), AX
	STORE16_1(R13, R15)
	VZEROUPPER
	RET

// func gemmQ4_Kx16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ4_Kx16x2VNNI(SB), NOSPLIT, $0-80
	ARGS16K
	ZERO16_2

q4kx16x2loop:
	VCVTPH2PS (SI), Z12
	VCVTPH2PS 32(SI), Z13
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	MINS16
	MINS16_AT(BX, R12*1, Z24)
	MINS16_AT(BX, R13*1, Z25)
	GROUPS16(SUBS16_2)
	FINISH16_AT(DX, R12*1, Z16, Z24, Z0)
	FINISH16_AT(DX, R10*1, Z17, Z25, Z1)
	NEXT16K
	JNZ q4kx16x2loop

	MOVQ out+64(FP), AX
	MOVQ ostride+72(FP), R13
	LEAQ (R13)(R13*2), R15
	STORE16_2(R13, R15)
	VZEROUPPER
	RET

// func gemmQ4_Kx16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ4_Kx16x4VNNI(SB), NOSPLIT, $0-80
	ARGS16K
	ZERO16_4

q4kx16x4loop:
	VCVTPH2PS (SI), Z12
	VCVTPH2PS 32(SI), Z13
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	MINS16
	MINS16_AT(BX, R12*1, Z24)
	MINS16_AT(BX, R13*1, Z25)
	MINS16_AT(BX, R13*2, Z26)
	MINS16_AT(BX, R15*1, Z27)
	GROUPS16(SUBS16_4)
	FINISH16_AT(DX, R12*1, Z16, Z24, Z0)
	FINISH16_AT(DX, R10*1, Z17, Z25, Z1)
	FINISH16_AT(DX, R10*2, Z18, Z26, Z2)
	FINISH16_AT(DX, R11*1, Z19, Z27, Z3)
	NEXT16K
	JNZ q4kx16x4loop

	MOVQ out+64(FP), AX
	MOVQ ostride+72(FP), R13
	LEAQ (R13)(R13*2), R15
	STORE16_4(R13, R15)
	VZEROUPPER
	RET

// func gemmQ4_Kx16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ4_Kx16x8VNNI(SB), NOSPLIT, $0-80
	ARGS16K
	ZERO16_8

q4kx16x8loop:
	VCVTPH2PS (SI), Z12
	VCVTPH2PS 32(SI), Z13
	LEAQ (DI)(R8*4), R14
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27
	GROUPS16(SUBS16_8)
	MINS16
	MINS16_AT(BX, R12*1, Z20)
	MINS16_AT(BX, R13*1, Z21)
	MINS16_AT(BX, R13*2, Z22)
	MINS16_AT(BX, R15*1, Z23)
	FINISH16_AT(DX, R12*1, Z16, Z20, Z0)
	FINISH16_AT(DX, R10*1, Z17, Z21, Z1)
	FINISH16_AT(DX, R10*2, Z18, Z22, Z2)
	FINISH16_AT(DX, R11*1, Z19, Z23, Z3)
	LEAQ (BX)(R13*4), AX
	MINS16_AT(AX, R12*1, Z20)
	MINS16_AT(AX, R13*1, Z21)
	MINS16_AT(AX, R13*2, Z22)
	MINS16_AT(AX, R15*1, Z23)
	LEAQ (DX)(R10*4), AX
	FINISH16_AT(AX, R12*1, Z24, Z20, Z28)
	FINISH16_AT(AX, R10*1, Z25, Z21, Z29)
	FINISH16_AT(AX, R10*2, Z26, Z22, Z30)
	FINISH16_AT(AX, R11*1, Z27, Z23, Z31)
	NEXT16K
	JNZ q4kx16x8loop

	MOVQ out+64(FP), AX
	MOVQ ostride+72(FP), R13
	LEAQ (R13)(R13*2), R15
	STORE16_8(R13, R15)
	VZEROUPPER
	RET
