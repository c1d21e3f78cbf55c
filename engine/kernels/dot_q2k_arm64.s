//go:build arm64

#include "textflag.h"
#include "neon_arm64.h"

// NEON row dot of Q2_K, bit for bit dot_q2k_amd64.s and its model
// q2kAVX2Model (llama.cpp's AVX2 order: per block the mins' eight int32
// lane sums fused in with -dmin, then the scaled quants' with d, into
// eight float lanes; hsum_float_8 at the end).

// Q2_CHUNK: 32 values of a half block, the next two bits of each qs byte
// (V2:V3, shifted on by 2; V27 = 3 in every byte), times their
// activations (R1, moving on), the first 16 times scale lane s0i of V(s0)
// into V16, the others times lane s1i of V(s1) into V17.
#define Q2_CHUNK(s0, s0i, s1, s1i) \
	VAND   V27.B16, V2.B16, V4.B16 \
	VAND   V27.B16, V3.B16, V5.B16 \
	VUSHR  $2, V2.B16, V2.B16 \
	VUSHR  $2, V3.B16, V3.B16 \
	VLD1.P 32(R1), [V8.B16, V9.B16] \
	VZERO(12) \
	VZERO(13) \
	SDOT(8, 4, 12) \
	SDOT(9, 5, 13) \
	MLAE4(s0, s0i, 12, 16) \
	MLAE4(s1, s1i, 13, 17)

// func dotQ2_KSDOT(w *byte, qs *int8, d *float32, bsums *int16, nb int) float32
TEXT ·dotQ2_KSDOT(SB), NOSPLIT, $0-44
	MOVD  w+0(FP), R0
	MOVD  qs+8(FP), R1
	MOVD  d+16(FP), R2
	MOVD  bsums+24(FP), R3
	MOVD  nb+32(FP), R4
	VMOVI $15, V25.B16
	VMOVI $3, V27.B16
	VEOR  V28.B16, V28.B16, V28.B16
	VEOR  V29.B16, V29.B16, V29.B16
q2loop:
	// Scale bytes: the scale of 16 values in the low nibble, their min
	// in the high one. Lane l of the mins: bsums[2l]·min[2l] +
	// bsums[2l+1]·min[2l+1], in V26 (l = 0-3) and V24 (4-7).
	VLD1.P 16(R0), [V20.B16]
	VAND   V25.B16, V20.B16, V21.B16
	VUSHR  $4, V20.B16, V22.B16
	VLD1.P 32(R3), [V23.H8, V24.H8]
	UXTL8H(22, 18)
	UXTL28H(22, 19)
	SMULL4(23, 18, 26)
	SMULL24(23, 18, 14)
	ADDP4(14, 26, 26)
	SMULL4(24, 19, 14)
	SMULL24(24, 19, 15)
	ADDP4(15, 14, 24)
	SCVTF4(26, 26)
	SCVTF4(24, 24)
	// The scales as int32 lanes: V20 0-3 ... V23 12-15.
	UXTL8H(21, 18)
	UXTL28H(21, 19)
	UXTL4S(18, 20)
	UXTL24S(18, 21)
	UXTL4S(19, 22)
	UXTL24S(19, 23)

	// Lanes of Σ sc_g·(q·y)_g
	VEOR   V16.B16, V16.B16, V16.B16
	VEOR   V17.B16, V17.B16, V17.B16
	VLD1.P 32(R0), [V2.B16, V3.B16]
	Q2_CHUNK(20, 0, 20, 1)
	Q2_CHUNK(20, 2, 20, 3)
	Q2_CHUNK(21, 0, 21, 1)
	Q2_CHUNK(21, 2, 21, 3)
	VLD1.P 32(R0), [V2.B16, V3.B16]
	Q2_CHUNK(22, 0, 22, 1)
	Q2_CHUNK(22, 2, 22, 3)
	Q2_CHUNK(23, 0, 23, 1)
	Q2_CHUNK(23, 2, 23, 3)
	SCVTF4(16, 16)
	SCVTF4(17, 17)

	// lanes = fma(-a.D·f16(dmin), mins, lanes), then fma(a.D·f16(d),
	// sums, lanes)
	MOVHU.P 2(R0), R5
	MOVHU.P 2(R0), R6
	FMOVS.P 4(R2), F12
	FMOVS   R6, F14
	FCVTHS  F14, F14
	FMULS   F14, F12, F14
	FNEGS   F14, F14
	FMLAE(14, 26, 28)
	FMLAE(14, 24, 29)
	FMOVS   R5, F13
	FCVTHS  F13, F13
	FMULS   F13, F12, F13
	FMLAE(13, 16, 28)
	FMLAE(13, 17, 29)
	SUBS    $1, R4, R4
	BNE     q2loop
	HSUM8
	FMOVS   F28, ret+40(FP)
	RET
