//go:build arm64

#include "textflag.h"
#include "neon_arm64.h"

// Packed (LayoutRows8, pack_legacy.go) Q5_0, Q4_1 and Q5_1 kernels for
// arm64 with dotprod, one token: the packed Q4_0 kernel (gemm_arm64.s)
// with each nibble's fifth bit merged from the rows' F words (Q5_0,
// Q5_1), Q5_0's values offset by -16, and for Q4_1 and Q5_1 the rows' m
// times the block's s_y (Q8.S1) as a second fused step: legacyLanes
// (pack_lanes_test.go), which the amd64 kernels meet too.
//
// Registers: V0:V1 and V2:V3 one chunk's low and high nibbles (rows 0-3,
// 4-7), V4 = 0x0f, V5 = 0x10, V6:V7 the block's F (rows 0-3, 4-7), V8:V9
// the token's 32 activations, V10:V11 scratch, V12 = 16, V16:V17 the
// block's dots, V20-V25 the rows' d (then times d_a) and m, V30:V31 the
// float lanes.

// LG_FIFTH(k): chunk k's fifth bits: bit k of F's bytes under the low
// nibbles, bit 4+k under the high ones (shifted to bit 4 by the four
// amounts given per chunk).
#define LG_FIVE(lop, ln, hop, hn) \
	lop  $ln, V6.B16, V10.B16 \
	lop  $ln, V7.B16, V11.B16 \
	VAND V5.B16, V10.B16, V10.B16 \
	VAND V5.B16, V11.B16, V11.B16 \
	VORR V10.B16, V0.B16, V0.B16 \
	VORR V11.B16, V1.B16, V1.B16 \
	hop  $hn, V6.B16, V10.B16 \
	hop  $hn, V7.B16, V11.B16 \
	VAND V5.B16, V10.B16, V10.B16 \
	VAND V5.B16, V11.B16, V11.B16 \
	VORR V10.B16, V2.B16, V2.B16 \
	VORR V11.B16, V3.B16, V3.B16

#define LG_NIBBLES \
	VLD1.P 32(R0), [V0.B16, V1.B16] \
	VUSHR  $4, V0.B16, V2.B16 \
	VUSHR  $4, V1.B16, V3.B16 \
	VAND   V4.B16, V0.B16, V0.B16 \
	VAND   V4.B16, V1.B16, V1.B16

#define LG_SUB16 \
	VSUB V12.B16, V0.B16, V0.B16 \
	VSUB V12.B16, V1.B16, V1.B16 \
	VSUB V12.B16, V2.B16, V2.B16 \
	VSUB V12.B16, V3.B16, V3.B16

#define LG_DOT(k) \
	SDOTE(8, k, 0, 16) \
	SDOTE(8, k, 1, 17) \
	SDOTE(9, k, 2, 16) \
	SDOTE(9, k, 3, 17)

#define LG_ARGS \
	MOVD  w+0(FP), R0 \
	MOVD  qs+8(FP), R1 \
	MOVD  d+16(FP), R2 \
	MOVD  s1+24(FP), R3 \
	MOVD  nb+32(FP), R4 \
	VMOVI $15, V4.B16 \
	VMOVI $16, V5.B16 \
	VMOVI $16, V12.B16 \
	VZERO(30) \
	VZERO(31)

// LG_START: the block's d widened into V20:V21 (R0 moving past it), the
// token's activations, zero dots.
#define LG_START \
	VLD1.P 16(R0), [V26.H8] \
	FCVTL(26, 20) \
	FCVTL2(26, 21) \
	VLD1.P 32(R1), [V8.B16, V9.B16] \
	VZERO(16) \
	VZERO(17)

// LG_MINS: the rows' m widened into V24:V25 (R0 moving past it).
#define LG_MINS \
	VLD1.P 16(R0), [V26.H8] \
	FCVTL(26, 24) \
	FCVTL2(26, 25)

#define LG_F VLD1.P 32(R0), [V6.B16, V7.B16]

// LG_DFMA: acc = fma(dot, f16(d)·d_a, acc).
#define LG_DFMA \
	FMOVS.P 4(R2), F27 \
	VDUP    V27.S[0], V27.S4 \
	FMUL4(27, 20, 22) \
	FMUL4(27, 21, 23) \
	SCVTF4(16, 16) \
	SCVTF4(17, 17) \
	FMLA4(22, 16, 30) \
	FMLA4(23, 17, 31)

// LG_MFMA: acc = fma(f16(m), s_y, acc).
#define LG_MFMA \
	FMOVS.P 4(R3), F28 \
	VDUP    V28.S[0], V28.S4 \
	FMLA4(28, 24, 30) \
	FMLA4(28, 25, 31)

#define LG_END \
	MOVD out+40(FP), R8 \
	VST1 [V30.S4, V31.S4], (R8)

// LG_FIVE4(SUB): the block's four chunks with their fifth bits (then
// SUB: Q5_0's offset, or nothing) and dots.
#define LG_FIVE4(SUB) \
	LG_NIBBLES \
	LG_FIVE(VSHL, 4, VSHL, 0) \
	SUB \
	LG_DOT(0) \
	LG_NIBBLES \
	LG_FIVE(VSHL, 3, VUSHR, 1) \
	SUB \
	LG_DOT(1) \
	LG_NIBBLES \
	LG_FIVE(VSHL, 2, VUSHR, 2) \
	SUB \
	LG_DOT(2) \
	LG_NIBBLES \
	LG_FIVE(VSHL, 1, VUSHR, 3) \
	SUB \
	LG_DOT(3)

#define NOTHING

#define Q50_CHUNKS LG_FIVE4(LG_SUB16)

#define Q51_CHUNKS LG_FIVE4(NOTHING)

#define Q41_CHUNKS \
	LG_NIBBLES \
	LG_DOT(0) \
	LG_NIBBLES \
	LG_DOT(1) \
	LG_NIBBLES \
	LG_DOT(2) \
	LG_NIBBLES \
	LG_DOT(3)

#define Q51_HEAD \
	LG_MINS \
	LG_F

// LG_KERNEL is a kernel's body: per block its d, HEAD (the mins and
// fifth bits its type has), CHUNKS, the scales' fused step, then MIN (the
// mins' step, or nothing).
#define LG_KERNEL(HEAD, CHUNKS, MIN) \
	LG_ARGS \
block: \
	LG_START \
	HEAD \
	CHUNKS \
	LG_DFMA \
	MIN \
	SUBS $1, R4, R4 \
	BNE  block \
	LG_END

// func gemmQ5_0x8x1NEON(w *byte, qs *int8, d, s1 *float32, nb int, out *float32)
TEXT ·gemmQ5_0x8x1NEON(SB), NOSPLIT, $0-48
	LG_KERNEL(LG_F, Q50_CHUNKS, NOTHING)
	RET

// func gemmQ4_1x8x1NEON(w *byte, qs *int8, d, s1 *float32, nb int, out *float32)
TEXT ·gemmQ4_1x8x1NEON(SB), NOSPLIT, $0-48
	LG_KERNEL(LG_MINS, Q41_CHUNKS, LG_MFMA)
	RET

// func gemmQ5_1x8x1NEON(w *byte, qs *int8, d, s1 *float32, nb int, out *float32)
TEXT ·gemmQ5_1x8x1NEON(SB), NOSPLIT, $0-48
	LG_KERNEL(Q51_HEAD, Q51_CHUNKS, LG_MFMA)
	RET
