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
