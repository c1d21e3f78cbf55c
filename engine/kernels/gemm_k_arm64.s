//go:build arm64

#include "textflag.h"
#include "neon_arm64.h"

// Packed (LayoutRows8, pack_q4k.go) Q4_K kernel for arm64 with dotprod,
// one token: each int32 lane is one row (V(lo) rows 0-3, V(hi) rows 4-7).
// Per block and 64-value group G, eight chunks of four bytes per row
// give sub-block 2G's dots (low nibbles) and 2G+1's (high nibbles) by
// SDOT by element; the rows' scales multiply them into the block total,
// the rows' mins times the token's sub-block sums (Q8.Off pairs) make the
// mins total, and both go into the row's float lane with one fused step
// each: kLanes (pack_lanes_test.go), which the amd64 kernels also meet.
//
// Block layout (1184 bytes): d (8 f16) at 0, dmin at 16, sub-block j's
// scales at 32+8j, the mins pairs at 96+16p, group G's chunk k at
// 160+256G+32k.
//
// Registers: V0-V3 the group's 64 activations, V4-V7 one chunk's
// nibbles (high 0-3, 4-7; low 0-3, 4-7), V8 = 0x0f, V10:V11 and V12:V13
// the sub-blocks' dots, V16-V19 their scales, V20 and V21 scratch,
// V24:V25 the block total, V26-V29 the mins products, V30:V31 the float
// lanes.

// K8_CHUNK(k): chunk k of the group (R0, moving on) into the dots.
#define K8_CHUNK(k) \
	VLD1.P 32(R0), [V4.B16, V5.B16] \
	VAND   V8.B16, V4.B16, V6.B16 \
	VAND   V8.B16, V5.B16, V7.B16 \
	VUSHR  $4, V4.B16, V4.B16 \
	VUSHR  $4, V5.B16, V5.B16 \
	SDOTE((k)/4, (k)%4, 6, 10) \
	SDOTE((k)/4, (k)%4, 7, 11) \
	SDOTE(2+(k)/4, (k)%4, 4, 12) \
	SDOTE(2+(k)/4, (k)%4, 5, 13)

// K8_GROUP(G): group G's activations (R1, moving on), its eight chunks,
// then its two sub-blocks' dots times their scales into the total (the
// scales of sub-blocks 2G and 2G+1: 16 bytes at R6+16G).
#define K8_GROUP(G) \
	VLD1.P 64(R1), [V0.B16, V1.B16, V2.B16, V3.B16] \
	VZERO(10) \
	VZERO(11) \
	VZERO(12) \
	VZERO(13) \
	K8_CHUNK(0) \
	K8_CHUNK(1) \
	K8_CHUNK(2) \
	K8_CHUNK(3) \
	K8_CHUNK(4) \
	K8_CHUNK(5) \
	K8_CHUNK(6) \
	K8_CHUNK(7) \
	VLD1   (R6), [V20.B16] \
	ADD    $16, R6 \
	UXTL8H(20, 21) \
	UXTL28H(20, 20) \
	UXTL4S(21, 16) \
	UXTL24S(21, 17) \
	UXTL4S(20, 18) \
	UXTL24S(20, 19) \
	MLA4S(16, 10, 24) \
	MLA4S(17, 11, 24+1) \
	MLA4S(18, 12, 24) \
	MLA4S(19, 13, 24+1)

// K8_MINS(p): mins pair p (16 bytes at R7, moving on: rows' m_2p, m_2p+1)
// times the token's sums of sub-blocks 2p, 2p+1 (the Q8.Off word at R3,
// moving on), as int16 products into V26-V29 (rows 0-1, 2-3, 4-5, 6-7,
// each row's two products side by side).
#define K8_MINS \
	VLD1.P  16(R7), [V20.B16] \
	VLD1R.P 4(R3), [V21.S4] \
	UXTL8H(20, 4) \
	UXTL28H(20, 5) \
	SMLAL4(21, 4, 26) \
	SMLAL24(21, 4, 27) \
	SMLAL4(21, 5, 28) \
	SMLAL24(21, 5, 29)

// func gemmQ4_Kx8x1NEON(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)
TEXT ·gemmQ4_Kx8x1NEON(SB), NOSPLIT, $0-48
	MOVD  w+0(FP), R0
	MOVD  qs+8(FP), R1
	MOVD  d+16(FP), R2
	MOVD  off+24(FP), R3
	MOVD  nb+32(FP), R4
	VMOVI $15, V8.B16
	VZERO(30)
	VZERO(31)

block:
	MOVD R0, R5          // d, dmin
	ADD  $32, R0, R6     // scales
	ADD  $96, R0, R7     // mins pairs
	ADD  $160, R0        // quants
	VZERO(24)
	VZERO(25)
	K8_GROUP(0)
	K8_GROUP(1)
	K8_GROUP(2)
	K8_GROUP(3)
	VZERO(26)
	VZERO(27)
	VZERO(28)
	VZERO(29)
	K8_MINS
	K8_MINS
	K8_MINS
	K8_MINS
	ADDP4(27, 26, 26)    // rows 0-3' mins totals
	ADDP4(29, 28, 27)    // rows 4-7'
	// acc = fma(total, f16(d)·d_a, acc), then fma(-mins, f16(dmin)·d_a, acc)
	VLD1    (R5), [V0.H8, V1.H8]
	FCVTL(0, 2)
	FCVTL2(0, 3)
	FCVTL(1, 4)
	FCVTL2(1, 5)
	FMOVS.P 4(R2), F6
	FMULE(6, 2, 2)
	FMULE(6, 3, 3)
	FMULE(6, 4, 4)
	FMULE(6, 5, 5)
	SCVTF4(24, 24)
	SCVTF4(25, 25)
	SCVTF4(26, 26)
	SCVTF4(27, 27)
	FMLA4(2, 24, 30)
	FMLA4(3, 25, 31)
	FMLS4(4, 26, 30)
	FMLS4(5, 27, 31)
	SUBS $1, R4, R4
	BNE  block

	MOVD out+40(FP), R8
	VST1 [V30.S4, V31.S4], (R8)
	RET
