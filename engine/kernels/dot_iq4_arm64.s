//go:build arm64

#include "textflag.h"
#include "neon_arm64.h"

// NEON row dots of IQ4_NL and IQ4_XS (the non-linear 4-bit codebook, one
// TBL per 16 nibbles), bit for bit refDotIQ4_NL and refDotIQ4_XS: the
// AVX2 branch's eight int32 lanes, per-block FMAs and reductions.

// NL_VALUES: the 16 nibble bytes in V1 through the codebook (V31), low
// nibbles into V0 (values 0-15), high into V1 (16-31); V30 = 0x0f.
#define NL_VALUES \
	VAND    V30.B16, V1.B16, V0.B16 \
	VUSHR   $4, V1.B16, V1.B16 \
	VTBL    V0.B16, [V31.B16], V0.B16 \
	VTBL    V1.B16, [V31.B16], V1.B16

// BLOCK_IQ4_NL is dot_arm64.s's BLOCK_Q4_0 with the codebook (V31)
// instead of the offset 8 (V30 = 0x0f in every byte).
#define BLOCK_IQ4_NL(lo, hi) \
	MOVHU.P 2(R0), R4 \
	VLD1.P  16(R0), [V1.B16] \
	VLD1.P  32(R1), [V2.B16, V3.B16] \
	FMOVS.P 4(R2), F5 \
	NL_VALUES \
	BLOCK_LANES(lo, hi)

// func dotIQ4_NLSDOT(w *byte, qs *int8, d *float32, nb int, cb *int8) float32
// Pairs of blocks into V28:V29 (even) and V26:V27 (odd), added and
// reduced as hsum_float_8; an odd last block's lanes are summed as
// integers and fused in with its scale, as ggml's scalar tail.
TEXT ·dotIQ4_NLSDOT(SB), NOSPLIT, $0-44
	MOVD   w+0(FP), R0
	MOVD   qs+8(FP), R1
	MOVD   d+16(FP), R2
	MOVD   nb+24(FP), R3
	MOVD   cb+32(FP), R5
	VLD1   (R5), [V31.B16]
	VMOVI  $15, V30.B16
	VEOR   V26.B16, V26.B16, V26.B16
	VEOR   V27.B16, V27.B16, V27.B16
	VEOR   V28.B16, V28.B16, V28.B16
	VEOR   V29.B16, V29.B16, V29.B16
	LSR    $1, R3, R5
	CBZ    R5, nlsum
nlloop:
	BLOCK_IQ4_NL(28, 29)
	BLOCK_IQ4_NL(26, 27)
	SUBS   $1, R5, R5
	BNE    nlloop
nlsum:
	FADD4(26, 28, 28)
	FADD4(27, 29, 29)
	HSUM8
	TBZ    $0, R3, nldone
	// The odd last block: Σ lanes as an int32, then fma(d, sum, sumf).
	MOVHU  (R0), R4
	ADD    $2, R0, R6
	VLD1   (R6), [V1.B16]
	VLD1   (R1), [V2.B16, V3.B16]
	FMOVS  (R2), F5
	NL_VALUES
	VEOR   V4.B16, V4.B16, V4.B16
	SDOT(2, 0, 4)
	SDOT(3, 1, 4)
	ADDV4(4, 4)
	SCVTFS(4, 4)
	FMOVS  R4, F6
	FCVTHS F6, F6
	FMULS  F5, F6, F6
	FMADDS F4, F28, F6, F28
nldone:
	FMOVS  F28, ret+40(FP)
	RET

// IQ4_PAIR: two sub-blocks (32 bytes of nibbles at R0, activations at R1)
// through the codebook into V4:V5 and V0:V1, then DOTS_K with their
// scales (lane s0i of V(s0), lane s1i of V(s1)).
#define IQ4_PAIR(s0, s0i, s1, s1i) \
	VLD1.P 32(R0), [V0.B16, V1.B16] \
	VLD1.P 64(R1), [V8.B16, V9.B16, V10.B16, V11.B16] \
	VAND   V30.B16, V0.B16, V4.B16 \
	VUSHR  $4, V0.B16, V5.B16 \
	VAND   V30.B16, V1.B16, V0.B16 \
	VUSHR  $4, V1.B16, V1.B16 \
	VTBL   V4.B16, [V31.B16], V4.B16 \
	VTBL   V5.B16, [V31.B16], V5.B16 \
	VTBL   V0.B16, [V31.B16], V0.B16 \
	VTBL   V1.B16, [V31.B16], V1.B16 \
	DOTS_K(s0, s0i, s1, s1i)

// func dotIQ4_XSSDOT(w *byte, qs *int8, d *float32, nb int, cb *int8) float32
TEXT ·dotIQ4_XSSDOT(SB), NOSPLIT, $0-44
	MOVD  w+0(FP), R0
	MOVD  qs+8(FP), R1
	MOVD  d+16(FP), R2
	MOVD  nb+24(FP), R3
	MOVD  cb+32(FP), R5
	VLD1  (R5), [V31.B16]
	VMOVI $15, V30.B16
	VMOVI $32, V26.B16
	VEOR  V28.B16, V28.B16, V28.B16
	VEOR  V29.B16, V29.B16, V29.B16
xsloop:
	MOVHU 0(R0), R4  // d
	MOVHU 2(R0), R7  // scales_h: two bits per sub-block
	MOVWU 4(R0), R8  // scales_l: one nibble per sub-block
	ADD   $8, R0

	// Sub-block ib's scale, nibble ib of scales_l | bits 2ib..2ib+1 of
	// scales_h << 4, minus 32, as byte ib: each spread by shifts and masks.
	ORR   R8<<16, R8, R9
	AND   $0x0000FFFF0000FFFF, R9, R9
	ORR   R9<<8, R9, R9
	AND   $0x00FF00FF00FF00FF, R9, R9
	ORR   R9<<4, R9, R9
	AND   $0x0F0F0F0F0F0F0F0F, R9, R9
	ORR   R7<<24, R7, R10
	AND   $0x000000FF000000FF, R10, R10
	ORR   R10<<12, R10, R10
	AND   $0x000F000F000F000F, R10, R10
	ORR   R10<<6, R10, R10
	AND   $0x0303030303030303, R10, R10
	ORR   R10<<4, R9, R9
	FMOVD R9, F20
	VSUB  V26.B16, V20.B16, V20.B16
	SXTL8H(20, 20)
	SXTL4S(20, 21)
	SXTL24S(20, 22)

	VEOR  V16.B16, V16.B16, V16.B16
	VEOR  V17.B16, V17.B16, V17.B16
	IQ4_PAIR(21, 0, 21, 1)
	IQ4_PAIR(21, 2, 21, 3)
	IQ4_PAIR(22, 0, 22, 1)
	IQ4_PAIR(22, 2, 22, 3)
	BLOCK_FMA(R4)
	SUBS    $1, R3, R3
	BNE     xsloop
	HSUM8
	FMOVS   F28, ret+40(FP)
	RET
