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

// PK1_KERNEL and PK4_KERNEL are the bodies of the one- and four-token
// kernels of these layouts (arguments w, qs, d, nb, out, [ostride,] cb,
// factor): SETUP (R4 = cb) loads the codebook and constants; per block
// R5 points at the rows' d, R6 at their scales and R0 at the quants
// (qoff bytes in), and BODY adds the block into the totals (one token:
// V(tlo):V(thi); four: V22-V29), which then go into the float lanes.
#define PK1_KERNEL(SETUP, qoff, tlo, thi, BODY) \
	MOVD  w+0(FP), R0 \
	MOVD  qs+8(FP), R1 \
	MOVD  d+16(FP), R2 \
	MOVD  nb+24(FP), R3 \
	MOVD  cb+40(FP), R4 \
	SETUP \
	VZERO(30) \
	VZERO(31) \
block: \
	MOVD R0, R5 \
	ADD  $16, R0, R6 \
	ADD  $(qoff), R0 \
	VZERO(tlo) \
	VZERO(thi) \
	BODY \
	PK_BLOCK_END(tlo, thi) \
	SUBS $1, R3, R3 \
	BNE  block \
	PK_FACTOR_STORE

// The four-token kernels keep R9 free (the scales' scratch), so token
// 2's d_a pointer is R21: tokens' quants R1-R3, R11; their d_a R7, R8,
// R21, R10; their results R15-R17, R19 (zeroed first: the float lanes
// live there).
#define PK4_KERNEL(SETUP, qoff, BODY) \
	MOVD  w+0(FP), R0 \
	MOVD  qs+8(FP), R1 \
	MOVD  d+16(FP), R7 \
	MOVD  nb+24(FP), R20 \
	MOVD  out+32(FP), R15 \
	MOVD  ostride+40(FP), R12 \
	MOVD  cb+48(FP), R4 \
	SETUP \
	LSL   $2, R12, R12 \
	LSL   $8, R20, R13 \
	LSL   $2, R20, R14 \
	ADD   R13, R1, R2 \
	ADD   R13, R2, R3 \
	ADD   R13, R3, R11 \
	ADD   R14, R7, R8 \
	ADD   R14, R8, R21 \
	ADD   R14, R21, R10 \
	ADD   R12, R15, R16 \
	ADD   R12, R16, R17 \
	ADD   R12, R17, R19 \
	VZERO(8) \
	VZERO(9) \
	VST1  [V8.S4, V9.S4], (R15) \
	VST1  [V8.S4, V9.S4], (R16) \
	VST1  [V8.S4, V9.S4], (R17) \
	VST1  [V8.S4, V9.S4], (R19) \
block: \
	MOVD R0, R5 \
	ADD  $16, R0, R6 \
	ADD  $(qoff), R0 \
	VZERO(22) \
	VZERO(23) \
	VZERO(24) \
	VZERO(25) \
	VZERO(26) \
	VZERO(27) \
	VZERO(28) \
	VZERO(29) \
	BODY \
	VLD1 (R5), [V10.H8] \
	FCVTL(10, 6) \
	FCVTL2(10, 7) \
	PK4_FLOAT(0, R7, R15) \
	PK4_FLOAT(1, R8, R16) \
	PK4_FLOAT(2, R21, R17) \
	PK4_FLOAT(3, R10, R19) \
	SUBS $1, R20, R20 \
	BNE  block \
	FMOVS factor+56(FP), F10 \
	PK4_SCALE(R15) \
	PK4_SCALE(R16) \
	PK4_SCALE(R17) \
	PK4_SCALE(R19)
