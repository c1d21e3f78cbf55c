// The frame of the eight-row AVX2 kernels that take a codebook table
// (gemm_xs_avx2_amd64.s, gemm_q3l_avx2_amd64.s): their arguments are
// (w, qs, d, off, nb, qstride, dstride, offstride, out, ostride, cb, ...).
// Registers: Y0..Y3 the tokens' float sums, Y4..Y7 their int32 block
// totals, Y13 the table; SI the weights; DI, DX, BX token 0's quants,
// scales and offsets; R8/R9, R10/R11 and R13/R15 one and three tokens'
// strides of each; R12 zero; CX the blocks left.

#define CBK_ARGS \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ off+24(FP), BX; \
	MOVQ nb+32(FP), CX; \
	MOVQ qstride+40(FP), R8; \
	MOVQ dstride+48(FP), R10; \
	MOVQ offstride+56(FP), R13; \
	MOVQ cb+80(FP), AX; \
	VBROADCASTI128 (AX), Y13; \
	LEAQ (R8)(R8*2), R9; \
	LEAQ (R10)(R10*2), R11; \
	LEAQ (R13)(R13*2), R15; \
	XORQ R12, R12

#define CBK_ZERO_1 VXORPS Y0, Y0, Y0
#define CBK_ZERO_2 CBK_ZERO_1; VXORPS Y1, Y1, Y1
#define CBK_ZERO_4 CBK_ZERO_2; VXORPS Y2, Y2, Y2; VXORPS Y3, Y3, Y3

#define CBK_TOT_1 VPXOR Y4, Y4, Y4
#define CBK_TOT_2 CBK_TOT_1; VPXOR Y5, Y5, Y5
#define CBK_TOT_4 CBK_TOT_2; VPXOR Y6, Y6, Y6; VPXOR Y7, Y7, Y7

#define CBK_STORE_1 VMOVUPS Y0, (AX)
#define CBK_STORE_2 CBK_STORE_1; VMOVUPS Y1, (AX)(R13*1)
#define CBK_STORE_4 CBK_STORE_2; VMOVUPS Y2, (AX)(R13*2); LEAQ (R13)(R13*2), R13; VMOVUPS Y3, (AX)(R13*1)

// CBK_FIN_n: each token's acc += float(tot) * (the rows' d * its d).
#define CBK_FINISH(di, tot, acc) \
	VCVTDQ2PS tot, tot; \
	VBROADCASTSS (DX)(di), Y14; \
	VMULPS Y14, Y12, Y14; \
	VFMADD231PS Y14, tot, acc
#define CBK_FIN_1 CBK_FINISH(R12*1, Y4, Y0)
#define CBK_FIN_2 CBK_FIN_1; CBK_FINISH(R10*1, Y5, Y1)
#define CBK_FIN_4 CBK_FIN_2; CBK_FINISH(R10*2, Y6, Y2); CBK_FINISH(R11*1, Y7, Y3)

// CBK_NEXT moves to the next block (bb weight bytes, offb offset bytes a
// token) and counts it down.
#define CBK_NEXT(bb, offb) \
	ADDQ $bb, SI; \
	ADDQ $256, DI; \
	ADDQ $4, DX; \
	ADDQ $offb, BX; \
	DECQ CX

// CBK_END stores the tokens' sums (STORE, CBK_STORE_n) and returns.
#define CBK_END(STORE) \
	MOVQ out+64(FP), AX; \
	MOVQ ostride+72(FP), R13; \
	STORE; \
	VZEROUPPER; \
	RET

// CBK_KERNEL is a whole kernel: per block, the token totals zeroed (TOT),
// the block's work (BLOCK(TOKS)), the rows' d into Y12, the totals into
// the sums (FIN), then the next block (bb weight bytes, offb offset
// bytes a token).
#define CBK_KERNEL(ZERO, TOT, BLOCK, TOKS, FIN, bb, offb, STORE, loop) \
	CBK_ARGS; \
	ZERO; \
loop: \
	TOT; \
	BLOCK(TOKS); \
	VCVTPH2PS (SI), Y12; \
	FIN; \
	CBK_NEXT(bb, offb); \
	JNZ loop; \
	CBK_END(STORE)
