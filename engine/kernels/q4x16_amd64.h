// Macros of the sixteen-row packed kernels of Q4_0's and Q8_0's block
// shape (gemm_x16_amd64.s, gemm_legacy_amd64.s): one weight row per int32
// lane of a zmm register. Include after x16_amd64.h.

// UNPACK16 loads block (SI): Z12 the sixteen weight scales, Z4..Z7 the low
// nibbles of chunks 0..3 (values 4k..4k+3 of row r in lane r) and Z8..Z11
// their high nibbles (values 16+4k..).
#define UNPACK16 \
	VCVTPH2PS (SI), Z12; \
	VMOVDQU64 32(SI), Z4; \
	VMOVDQU64 96(SI), Z5; \
	VMOVDQU64 160(SI), Z6; \
	VMOVDQU64 224(SI), Z7; \
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

// UNPACK16_Q8_0 loads block (SI): Z12 the sixteen scales, Z4..Z11 the
// quants flipped to unsigned (Z14 = 0x80 bytes), chunk k in Z(4+k).
#define UNPACK16_Q8_0 \
	VCVTPH2PS (SI), Z12; \
	VPXORD 32(SI), Z14, Z4; \
	VPXORD 96(SI), Z14, Z5; \
	VPXORD 160(SI), Z14, Z6; \
	VPXORD 224(SI), Z14, Z7; \
	VPXORD 288(SI), Z14, Z8; \
	VPXORD 352(SI), Z14, Z9; \
	VPXORD 416(SI), Z14, Z10; \
	VPXORD 480(SI), Z14, Z11

// TOKEN16_AT adds one token's block to acc (sixteen rows): quants from
// q+qi, scale from d+di, offset (-8 times the block's quant sum) from
// o+di, which Q8_0 passes through shift (times 16: the flip's -128); as
// TOKEN8_AT in gemm_x8_amd64.s.
#define TOKEN16_AT(q, d, o, qi, di, acc, shift) \
	VPBROADCASTD (o)(di), Z16; \
	shift \
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
	VFMADD231PS Z17, Z16, acc

#define Q8_0_OFF16 VPSLLD $4, Z16, Z16;

// Each block's lines (4.5 for Q4_0, 8.5 for Q8_0) are prefetched ahead as
// in gemm_x8_amd64.s: 4 KiB for Q4_0, 8 KiB for Q8_0, whose blocks pass
// twice as fast (from memory with four tokens: 113 vs 107 GMAC/s at 4 KiB).
#define PREFETCH16_Q8_0 \
	PREFETCHT0 8192(SI); \
	PREFETCHT0 8256(SI); \
	PREFETCHT0 8320(SI); \
	PREFETCHT0 8384(SI); \
	PREFETCHT0 8448(SI); \
	PREFETCHT0 8512(SI); \
	PREFETCHT0 8576(SI); \
	PREFETCHT0 8640(SI); \
	PREFETCHT0 8704(SI)

#define PREFETCH16 \
	PREFETCHT0 4096(SI); \
	PREFETCHT0 4160(SI); \
	PREFETCHT0 4224(SI); \
	PREFETCHT0 4288(SI); \
	PREFETCHT0 4352(SI)

#define MASK16 \
	MOVL $0x0f0f0f0f, AX; \
	VPBROADCASTD AX, Z14

#define FLIP16 \
	MOVL $0x80808080, AX; \
	VPBROADCASTD AX, Z14

// Arguments as the eight-row kernels': token t's quants at qs+t*qstride,
// its scales and offsets at d+t*dstride and off+t*dstride, its sixteen
// results at out+t*ostride. The eight-token kernel addresses tokens 4..7
// from second bases R13 (quants), R14 (scales) and R15 (offsets).
#define X16_PROLOGUE \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ off+24(FP), BX; \
	MOVQ nb+32(FP), CX; \
	MOVQ qstride+40(FP), R8; \
	MOVQ dstride+48(FP), R10; \
	LEAQ (R8)(R8*2), R9; \
	LEAQ (R10)(R10*2), R11; \
	LEAQ (DI)(R8*4), R13; \
	LEAQ (DX)(R10*4), R14; \
	LEAQ (BX)(R10*4), R15; \
	XORQ R12, R12

#define X16_NEXT(wbytes) \
	ADDQ $wbytes, SI; \
	ADDQ $32, DI; \
	ADDQ $4, DX; \
	ADDQ $4, BX; \
	ADDQ $32, R13; \
	ADDQ $4, R14; \
	ADDQ $4, R15; \
	DECQ CX

// TOKS16_n(shift) adds the block to the first n tokens' sums.
#define TOKS16_1(shift) \
	TOKEN16_AT(DI, DX, BX, R12*1, R12*1, Z0, shift)

#define TOKS16_2(shift) \
	TOKS16_1(shift); \
	TOKEN16_AT(DI, DX, BX, R8*1, R10*1, Z1, shift)

#define TOKS16_4(shift) \
	TOKS16_2(shift); \
	TOKEN16_AT(DI, DX, BX, R8*2, R10*2, Z2, shift); \
	TOKEN16_AT(DI, DX, BX, R9*1, R11*1, Z3, shift)

#define TOKS16_8(shift) \
	TOKS16_4(shift); \
	TOKEN16_AT(R13, R14, R15, R12*1, R12*1, Z28, shift); \
	TOKEN16_AT(R13, R14, R15, R8*1, R10*1, Z29, shift); \
	TOKEN16_AT(R13, R14, R15, R8*2, R10*2, Z30, shift); \
	TOKEN16_AT(R13, R14, R15, R9*1, R11*1, Z31, shift)

// STORE16R_n stores n tokens' sums, AX the output, R8 and R9 one and three
// token strides.
#define STORE16R_1 STORE16_1(R8, R9)
#define STORE16R_2 STORE16_2(R8, R9)
#define STORE16R_4 STORE16_4(R8, R9)
#define STORE16R_8 STORE16_8(R8, R9)

// KERNEL16 is the body of a sixteen-row kernel: the arguments, SETUP (its
// constants), ZERO (the n sums), then per block PF, UNPACK and TOKS, bb
// bytes a block, then STORE (STORE16R_n); loop names the label.
#define KERNEL16(SETUP, ZERO, PF, UNPACK, TOKS, bb, STORE, loop) \
	X16_PROLOGUE; \
	SETUP; \
	ZERO; \
loop: \
	PF; \
	UNPACK; \
	TOKS; \
	X16_NEXT(bb); \
	JNZ loop; \
	MOVQ out+56(FP), AX; \
	MOVQ ostride+64(FP), R8; \
	LEAQ (R8)(R8*2), R9; \
	STORE; \
	VZEROUPPER; \
	RET
