// Accumulators and stores shared by the sixteen-row kernels
// (gemm_x16_amd64.s, gemm_q4k16_amd64.s, gemm_q5k16_amd64.s,
// gemm_q6k16_amd64.s): token t's
// sixteen sums are in Z(t) for t < 4 and in Z(24+t) for tokens 4..7.
// STORE16_n writes them to AX + t*s (s3 = 3*s), moving AX for tokens 4..7.

#define ZERO16_1 VPXORD Z0, Z0, Z0
#define ZERO16_2 ZERO16_1; VPXORD Z1, Z1, Z1
#define ZERO16_4 ZERO16_2; VPXORD Z2, Z2, Z2; VPXORD Z3, Z3, Z3
#define ZERO16_8 \
	ZERO16_4; \
	VPXORD Z28, Z28, Z28; \
	VPXORD Z29, Z29, Z29; \
	VPXORD Z30, Z30, Z30; \
	VPXORD Z31, Z31, Z31

#define STORE16_1(s, s3) VMOVUPS Z0, (AX)
#define STORE16_2(s, s3) STORE16_1(s, s3); VMOVUPS Z1, (AX)(s*1)
#define STORE16_4(s, s3) \
	STORE16_2(s, s3); \
	VMOVUPS Z2, (AX)(s*2); \
	VMOVUPS Z3, (AX)(s3*1)
#define STORE16_8(s, s3) \
	STORE16_4(s, s3); \
	LEAQ (AX)(s*4), AX; \
	VMOVUPS Z28, (AX); \
	VMOVUPS Z29, (AX)(s*1); \
	VMOVUPS Z30, (AX)(s*2); \
	VMOVUPS Z31, (AX)(s3*1)

// ARGS_K16 loads the arguments of the sixteen-row K-quant kernels (Q4_K,
// Q5_K, Q6_K): w in SI, token 0's quants, scales and offsets in DI, DX,
// BX, nb in CX; the tokens' strides in R8 (quants), R10 (scales) and R13
// (offsets), three times those in R9, R11 and R15; R12 zero (token 0's
// index).
#define ARGS_K16 \
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
	XORQ R12, R12
