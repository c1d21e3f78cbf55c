// Pieces shared by the four-token NEON kernels (dot4_arm64.s: Q8_0,
// Q4_0; dot4_k_arm64.s: Q4_K, Q5_K, Q6_K). Included before any TEXT
// block, where vet takes K4_ARGS's argument references for the kernel
// that expands it.

// X4_PTRS reads the arguments shared by the four-token kernels: R0 the
// weights, R1/R7/R8/R9 the four tokens' quants (R5 bytes apart, qsz
// bytes a block), R2/R10/R11/R12 their scales (R6 bytes apart), R3 nb.
#define X4_PTRS(qsz) \
	MOVD w+0(FP), R0 \
	MOVD qs+8(FP), R1 \
	MOVD d+16(FP), R2 \
	MOVD nb+24(FP), R3 \
	MOVD tokBlocks+32(FP), R4 \
	MOVD $qsz, R5 \
	MUL  R4, R5, R5 \
	LSL  $2, R4, R6 \
	ADD  R5, R1, R7 \
	ADD  R5, R7, R8 \
	ADD  R5, R8, R9 \
	ADD  R6, R2, R10 \
	ADD  R6, R10, R11 \
	ADD  R6, R11, R12

#define ZERO_ACC(a, b, c, d, e, f, g, h) \
	VZERO(a) \
	VZERO(b) \
	VZERO(c) \
	VZERO(d) \
	VZERO(e) \
	VZERO(f) \
	VZERO(g) \
	VZERO(h)

// HSUM8_TO is HSUM8 on the lanes lo:hi (numbers; Vlo, Vhi and Flo name
// the same registers), the sum stored at off(R15).
#define HSUM8_TO(lo, hi, Vlo, Vhi, Flo, off) \
	FADD4(hi, lo, lo) \
	VEXT  $8, Vlo.B16, Vlo.B16, Vhi.B16 \
	FADD4(hi, lo, lo) \
	FADDPS(lo, lo) \
	FMOVS Flo, off(R15)

#define HSUM8_4 \
	HSUM8_TO(16, 17, V16, V17, F16, 0) \
	HSUM8_TO(18, 19, V18, V19, F18, 4) \
	HSUM8_TO(20, 21, V20, V21, F20, 8) \
	HSUM8_TO(22, 23, V22, V23, F22, 12)

// K4_ARGS reads a k-quant four-token kernel's arguments: X4_PTRS with
// quants 256 bytes a block, and R19-R22 the tokens' bsums.
#define K4_ARGS \
	MOVD w+0(FP), R0 \
	MOVD qs+8(FP), R1 \
	MOVD d+16(FP), R2 \
	MOVD bsums+24(FP), R19 \
	MOVD nb+32(FP), R3 \
	MOVD tokBlocks+40(FP), R4 \
	LSL  $8, R4, R5 \
	LSL  $2, R4, R6 \
	LSL  $5, R4, R13 \
	ADD  R5, R1, R7 \
	ADD  R5, R7, R8 \
	ADD  R5, R8, R9 \
	ADD  R6, R2, R10 \
	ADD  R6, R10, R11 \
	ADD  R6, R11, R12 \
	ADD  R13, R19, R20 \
	ADD  R13, R20, R21 \
	ADD  R13, R21, R22 \
	VMOVI $15, V14.B16 \
	VZERO(15) \
	ZERO_ACC(16, 17, 18, 19, 20, 21, 22, 23)

// AD4 gathers the four tokens' a.D of this block into V10 (post: on to
// the next block, or not).
#define AD4 \
	VLD1 (R2), V10.S[0] \
	VLD1 (R10), V10.S[1] \
	VLD1 (R11), V10.S[2] \
	VLD1 (R12), V10.S[3]

#define AD4_NEXT \
	VLD1.P 4(R2), V10.S[0] \
	VLD1.P 4(R10), V10.S[1] \
	VLD1.P 4(R11), V10.S[2] \
	VLD1.P 4(R12), V10.S[3]

// FLOAT_K4(dv): each token's int32 lanes converted, times lane t of
// V(dv) (f16(d)·a.D), fused into its float lanes, as BLOCK_FMA.
#define FLOAT_K4(dv) \
	SCVTF4(24, 24) \
	SCVTF4(25, 25) \
	SCVTF4(26, 26) \
	SCVTF4(27, 27) \
	SCVTF4(28, 28) \
	SCVTF4(29, 29) \
	SCVTF4(30, 30) \
	SCVTF4(31, 31) \
	FMLAEI(dv, 0, 24, 16) \
	FMLAEI(dv, 0, 25, 17) \
	FMLAEI(dv, 1, 26, 18) \
	FMLAEI(dv, 1, 27, 19) \
	FMLAEI(dv, 2, 28, 20) \
	FMLAEI(dv, 2, 29, 21) \
	FMLAEI(dv, 3, 30, 22) \
	FMLAEI(dv, 3, 31, 23)

// K4_END: every token's int32 lanes times f16(d)·a.D (d's bits in R4)
// into its float lanes.
#define K4_END \
	AD4_NEXT \
	FMOVS  R4, F13 \
	FCVTHS F13, F13 \
	FMULE(13, 10, 13) \
	FLOAT_K4(13)
