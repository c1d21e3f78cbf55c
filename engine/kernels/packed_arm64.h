// The block end and the last step shared by the packed kernels of the
// layouts whose dequantization carries a factor (gemm_xs_arm64.s,
// gemm_q3_arm64.s). Included before any TEXT block, where vet takes
// PK_FACTOR_STORE's argument references for the kernel that expands it.

// PK_BLOCK_END(tlo, thi): the block total V(tlo):V(thi) into the float
// lanes V30:V31 with one fused step, times the rows' d (8 f16 at R5)
// times the token's d_a (R2, moving on). Clobbers V7, V22, V23, V26.
#define PK_BLOCK_END(tlo, thi) \
	VLD1    (R5), [V26.H8] \
	FCVTL(26, 22) \
	FCVTL2(26, 23) \
	FMOVS.P 4(R2), F7 \
	FMULE(7, 22, 22) \
	FMULE(7, 23, 23) \
	SCVTF4(tlo, tlo) \
	SCVTF4(thi, thi) \
	FMLA4(22, tlo, 30) \
	FMLA4(23, thi, 31)

// PK_FACTOR_STORE: the float lanes times the factor (the float32 argument
// at +48), stored at out (+32).
#define PK_FACTOR_STORE \
	FMOVS factor+48(FP), F6 \
	FMULE(6, 30, 30) \
	FMULE(6, 31, 31) \
	MOVD  out+32(FP), R8 \
	VST1  [V30.S4, V31.S4], (R8)

// PK4_FLOAT(t, d, out), for the four-token kernels: token t's block total
// (V(22+2t):V(23+2t)) into its float lanes at out: fma(total, f16(d)·d_a
// (d moving on), lanes). The rows' d in V6:V7; clobbers V0-V2, V8:V9.
#define PK4_FLOAT(t, d, out) \
	FMOVS.P 4(d), F0 \
	FMULE(0, 6, 1) \
	FMULE(0, 7, 2) \
	SCVTF4(22+2*(t), 22+2*(t)) \
	SCVTF4(23+2*(t), 23+2*(t)) \
	VLD1  (out), [V8.S4, V9.S4] \
	FMLA4(1, 22+2*(t), 8) \
	FMLA4(2, 23+2*(t), 9) \
	VST1  [V8.S4, V9.S4], (out)

// PK4_SCALE(out): a token's results times the factor (lane 0 of V10).
#define PK4_SCALE(out) \
	VLD1 (out), [V8.S4, V9.S4] \
	FMULE(10, 8, 8) \
	FMULE(10, 9, 9) \
	VST1 [V8.S4, V9.S4], (out)
