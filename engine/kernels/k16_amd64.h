// The sixteen-row Q4_K and Q5_K kernels (gemm_q4k16_amd64.s,
// gemm_q5k16_amd64.s) share everything but the unpacking of the quants:
// Q5_K's block begins with Q4_K's 2368 bytes, so the scales, mins and
// f16 factors are at the same offsets. The loop bodies take the format's
// GROUPS (unpack and multiply the eight sub-blocks) and NEXT (advance to
// the next block) as arguments. Registers: Z0..Z3 and Z28..Z31 the
// tokens' sums (x16_amd64.h), Z4..Z11 a sub-block's weights, Z12/Z13 d
// and dmin, Z14 0x0f bytes, Z15 the scales, Z16..Z19 and Z24..Z27 the
// integer totals, Z20..Z23 temporaries; with up to four tokens Z24..Z27
// hold the mins totals instead and Z28..Z31 are free.

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

// Arguments as gemmQ4_Kx8x4VNNI's: token t's quants at DI + t*R8, scales
// at DX + t*R10, sub-block sums at BX + t*R13 (R9, R11, R15 three times
// those); tokens 4..7 of the eight-token kernel from R14 (quants) and AX
// (sums, then scales).
#define ARGS16K \
	ARGS_K16; \
	MOVL $0x0f0f0f0f, AX; \
	VPBROADCASTD AX, Z14

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

// KBODY16_n is one block for n tokens. With up to four the mins totals
// are made before the sub-blocks (made after them, the one-token Q4_K
// kernel was slower); with eight they need the weights' registers, so
// they come after, which changes no result (integer sums).
#define KBODY16_1(GR, NEXT) \
	VCVTPH2PS (SI), Z12; \
	VCVTPH2PS 32(SI), Z13; \
	VPXORD Z16, Z16, Z16; \
	MINS16; \
	MINS16_AT(BX, R12*1, Z24); \
	GR(SUBS16_1); \
	FINISH16_AT(DX, R12*1, Z16, Z24, Z0); \
	NEXT

#define KBODY16_2(GR, NEXT) \
	VCVTPH2PS (SI), Z12; \
	VCVTPH2PS 32(SI), Z13; \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	MINS16; \
	MINS16_AT(BX, R12*1, Z24); \
	MINS16_AT(BX, R13*1, Z25); \
	GR(SUBS16_2); \
	FINISH16_AT(DX, R12*1, Z16, Z24, Z0); \
	FINISH16_AT(DX, R10*1, Z17, Z25, Z1); \
	NEXT

#define KBODY16_4(GR, NEXT) \
	VCVTPH2PS (SI), Z12; \
	VCVTPH2PS 32(SI), Z13; \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19; \
	MINS16; \
	MINS16_AT(BX, R12*1, Z24); \
	MINS16_AT(BX, R13*1, Z25); \
	MINS16_AT(BX, R13*2, Z26); \
	MINS16_AT(BX, R15*1, Z27); \
	GR(SUBS16_4); \
	FINISH16_AT(DX, R12*1, Z16, Z24, Z0); \
	FINISH16_AT(DX, R10*1, Z17, Z25, Z1); \
	FINISH16_AT(DX, R10*2, Z18, Z26, Z2); \
	FINISH16_AT(DX, R11*1, Z19, Z27, Z3); \
	NEXT

#define KBODY16_8(GR, NEXT) \
	VCVTPH2PS (SI), Z12; \
	VCVTPH2PS 32(SI), Z13; \
	LEAQ (DI)(R8*4), R14; \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19; \
	VPXORD Z24, Z24, Z24; \
	VPXORD Z25, Z25, Z25; \
	VPXORD Z26, Z26, Z26; \
	VPXORD Z27, Z27, Z27; \
	GR(SUBS16_8); \
	MINS16; \
	MINS16_AT(BX, R12*1, Z20); \
	MINS16_AT(BX, R13*1, Z21); \
	MINS16_AT(BX, R13*2, Z22); \
	MINS16_AT(BX, R15*1, Z23); \
	FINISH16_AT(DX, R12*1, Z16, Z20, Z0); \
	FINISH16_AT(DX, R10*1, Z17, Z21, Z1); \
	FINISH16_AT(DX, R10*2, Z18, Z22, Z2); \
	FINISH16_AT(DX, R11*1, Z19, Z23, Z3); \
	LEAQ (BX)(R13*4), AX; \
	MINS16_AT(AX, R12*1, Z20); \
	MINS16_AT(AX, R13*1, Z21); \
	MINS16_AT(AX, R13*2, Z22); \
	MINS16_AT(AX, R15*1, Z23); \
	LEAQ (DX)(R10*4), AX; \
	FINISH16_AT(AX, R12*1, Z24, Z20, Z28); \
	FINISH16_AT(AX, R10*1, Z25, Z21, Z29); \
	FINISH16_AT(AX, R10*2, Z26, Z22, Z30); \
	FINISH16_AT(AX, R11*1, Z27, Z23, Z31); \
	NEXT

// KEND16_n stores the n tokens' sums: out at AX, token stride ostride.
#define KEND16_1 \
	MOVQ out+64(FP), AX; \
	STORE16_1(R13, R15); \
	VZEROUPPER; \
	RET

#define KEND16_N(STORE) \
	MOVQ out+64(FP), AX; \
	MOVQ ostride+72(FP), R13; \
	LEAQ (R13)(R13*2), R15; \
	STORE(R13, R15); \
	VZEROUPPER; \
	RET
