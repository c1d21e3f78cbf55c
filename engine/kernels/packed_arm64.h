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
