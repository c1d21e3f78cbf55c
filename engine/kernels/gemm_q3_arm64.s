//go:build arm64

#include "textflag.h"
#include "neon_arm64.h"
#include "packed_arm64.h"

// Packed (LayoutRows8, pack_q3k.go) Q3_K-layout kernel for arm64 with
// dotprod, one token: Q3_K, and the IQ2 and IQ1 types re-encoded into it
// (pack_grid3.go), each with its eight-value codebook (cb) and factor.
// A value's 3-bit index is its two low bits (L) and high bit (H), looked
// up by TBL; SDOT by element then dots four values of four rows with the
// token's. Per 16-value group the exact dot times the rows' int8 scale
// goes into the block total, per block the total into the row's float
// lane with one fused step, times the factor at the end: q3Lanes
// (pack_lanes_test.go), which the amd64 kernels meet too.
//
// Block layout (912 bytes): d (8 f16) at 0, group j's scales at 16+8j,
// then per pair p of groups at 144+96p: L of group 2p, L of 2p+1, H (32
// bytes each, rows 0-3 then 4-7). In L, value 4m+i's bits are at 2m of
// byte i; in H, at bit m (group 2p) or 4+m (2p+1).
//
// Registers: V0-V3 the activations of groups 4q..4q+3, V4-V7 the pair's
// L (group 2p: V4:V5, 2p+1: V6:V7), V24:V25 its H, V8:V9 one chunk's
// indices, then values, V10:V11 scratch, V12 = 3, V13 = 4, V14 the
// codebook, V16:V17 the group's dots, V18:V19 the block total, V20:V21
// the group's scales, V22:V23 the rows' d, V30:V31 the float lanes.

// Q3_CHUNK(a, m, Llo, Lhi, lop, ln, hop, hn): values 4m..4m+3 of the
// group whose L is Llo:Lhi (rows 0-3, 4-7), their low bits by (lop ln)
// and high bit by (hop hn) from H, looked up, dotted with lanes m of V(a).
#define Q3_CHUNK(a, m, Llo, Lhi, lop, ln, hop, hn) \
	lop   $ln, Llo, V8.B16 \
	lop   $ln, Lhi, V9.B16 \
	VAND  V12.B16, V8.B16, V8.B16 \
	VAND  V12.B16, V9.B16, V9.B16 \
	hop   $hn, V24.B16, V10.B16 \
	hop   $hn, V25.B16, V11.B16 \
	VAND  V13.B16, V10.B16, V10.B16 \
	VAND  V13.B16, V11.B16, V11.B16 \
	VORR  V10.B16, V8.B16, V8.B16 \
	VORR  V11.B16, V9.B16, V9.B16 \
	VTBL  V8.B16, [V14.B16], V8.B16 \
	VTBL  V9.B16, [V14.B16], V9.B16 \
	SDOTE(a, m, 8, 16) \
	SDOTE(a, m, 9, 17)

// Q3_SCALES: the next group's eight int8 scales (R6, moving on) times
// its dots into the block total.
#define Q3_SCALES \
	MOVD.P 8(R6), R9 \
	FMOVD  R9, F20 \
	SXTL8H(20, 20) \
	SXTL24S(20, 21) \
	SXTL4S(20, 20) \
	MLA4S(20, 16, 18) \
	MLA4S(21, 17, 19)

// Q3_PAIR(a0): pair p's two groups (activations in V(a0), V(a0+1)): the
// even group's high bits are H's bits 0-3, the odd one's 4-7.
#define Q3_PAIR(a0) \
	VLD1.P 64(R0), [V4.B16, V5.B16, V6.B16, V7.B16] \
	VLD1.P 32(R0), [V24.B16, V25.B16] \
	VZERO(16) \
	VZERO(17) \
	Q3_CHUNK(a0, 0, V4.B16, V5.B16, VSHL, 0, VSHL, 2) \
	Q3_CHUNK(a0, 1, V4.B16, V5.B16, VUSHR, 2, VSHL, 1) \
	Q3_CHUNK(a0, 2, V4.B16, V5.B16, VUSHR, 4, VSHL, 0) \
	Q3_CHUNK(a0, 3, V4.B16, V5.B16, VUSHR, 6, VUSHR, 1) \
	Q3_SCALES \
	VZERO(16) \
	VZERO(17) \
	Q3_CHUNK(a0+1, 0, V6.B16, V7.B16, VSHL, 0, VUSHR, 2) \
	Q3_CHUNK(a0+1, 1, V6.B16, V7.B16, VUSHR, 2, VUSHR, 3) \
	Q3_CHUNK(a0+1, 2, V6.B16, V7.B16, VUSHR, 4, VUSHR, 4) \
	Q3_CHUNK(a0+1, 3, V6.B16, V7.B16, VUSHR, 6, VUSHR, 5) \
	Q3_SCALES

#define Q3_PAIRS2 \
	VLD1.P 64(R1), [V0.B16, V1.B16, V2.B16, V3.B16] \
	Q3_PAIR(0) \
	Q3_PAIR(2)

// The codebook (eight bytes at R4) and masks of the one-token kernel
// (V14, V12 = 3, V13 = 4), and its block.
#define Q3_SETUP1 \
	VEOR  V14.B16, V14.B16, V14.B16 \
	VLD1  (R4), [V14.D1] \
	VMOVI $3, V12.B16 \
	VMOVI $4, V13.B16

#define Q31_BODY \
	Q3_PAIRS2 \
	Q3_PAIRS2 \
	Q3_PAIRS2 \
	Q3_PAIRS2

// func gemmQ3x8x1NEON(w *byte, qs *int8, d *float32, nb int, out *float32, cb *int8, factor float32)
TEXT ·gemmQ3x8x1NEON(SB), NOSPLIT, $0-52
	PK1_KERNEL(Q3_SETUP1, 144, 18, 19, Q31_BODY)
	RET

// gemmQ3x8x4NEON is the kernel for four tokens (nb blocks apart): each
// chunk is unpacked once for the four, a group at a time, and the float
// lanes live in the results (out + t*ostride), updated once a block.
// Registers: V0:V1 a chunk's values (rows 0-3, 4-7), V2:V3 scratch, then
// the group's scales, V4:V5 the group's L, V6:V7 its pair's H, V8-V11 the
// tokens' 16 activations of the group (token t: V(8+t)), V12 = 3, V13 =
// 4, V14-V21 the tokens' dots, V22-V29 their block totals, V30 the
// codebook. R9 is scratch (XS_SCALES-like), so token 2's d_a is R21.

// Q34_CHUNK(m, lop, ln, hop, hn): values 4m..4m+3 of the group (as
// Q3_CHUNK), dotted with lanes m of the four tokens' activations.
#define Q34_CHUNK(m, lop, ln, hop, hn) \
	lop   $ln, V4.B16, V0.B16 \
	lop   $ln, V5.B16, V1.B16 \
	VAND  V12.B16, V0.B16, V0.B16 \
	VAND  V12.B16, V1.B16, V1.B16 \
	hop   $hn, V6.B16, V2.B16 \
	hop   $hn, V7.B16, V3.B16 \
	VAND  V13.B16, V2.B16, V2.B16 \
	VAND  V13.B16, V3.B16, V3.B16 \
	VORR  V2.B16, V0.B16, V0.B16 \
	VORR  V3.B16, V1.B16, V1.B16 \
	VTBL  V0.B16, [V30.B16], V0.B16 \
	VTBL  V1.B16, [V30.B16], V1.B16 \
	SDOTE(8, m, 0, 14) \
	SDOTE(8, m, 1, 15) \
	SDOTE(9, m, 0, 16) \
	SDOTE(9, m, 1, 17) \
	SDOTE(10, m, 0, 18) \
	SDOTE(10, m, 1, 19) \
	SDOTE(11, m, 0, 20) \
	SDOTE(11, m, 1, 21)

// Q34_GROUP(loff, c0, c1, c2, c3): one group of the pair at R0 (its L at
// R0+loff): the tokens' activations, its four chunks (each c the shift
// pair of Q3_PAIR's calls), then its scales times the dots into the
// totals.
#define Q34_START(loff) \
	VLD1.P 16(R1), [V8.B16] \
	VLD1.P 16(R2), [V9.B16] \
	VLD1.P 16(R3), [V10.B16] \
	VLD1.P 16(R11), [V11.B16] \
	ADD    $(loff), R0, R9 \
	VLD1   (R9), [V4.B16, V5.B16] \
	ADD    $64, R0, R9 \
	VLD1   (R9), [V6.B16, V7.B16] \
	VZERO(14) \
	VZERO(15) \
	VZERO(16) \
	VZERO(17) \
	VZERO(18) \
	VZERO(19) \
	VZERO(20) \
	VZERO(21)

#define Q34_SCALES \
	MOVD.P 8(R6), R9 \
	FMOVD  R9, F2 \
	SXTL8H(2, 2) \
	SXTL24S(2, 3) \
	SXTL4S(2, 2) \
	MLA4S(2, 14, 22) \
	MLA4S(3, 15, 23) \
	MLA4S(2, 16, 24) \
	MLA4S(3, 17, 25) \
	MLA4S(2, 18, 26) \
	MLA4S(3, 19, 27) \
	MLA4S(2, 20, 28) \
	MLA4S(3, 21, 29)

#define Q34_PAIR \
	Q34_START(0) \
	Q34_CHUNK(0, VSHL, 0, VSHL, 2) \
	Q34_CHUNK(1, VUSHR, 2, VSHL, 1) \
	Q34_CHUNK(2, VUSHR, 4, VSHL, 0) \
	Q34_CHUNK(3, VUSHR, 6, VUSHR, 1) \
	Q34_SCALES \
	Q34_START(32) \
	Q34_CHUNK(0, VSHL, 0, VUSHR, 2) \
	Q34_CHUNK(1, VUSHR, 2, VUSHR, 3) \
	Q34_CHUNK(2, VUSHR, 4, VUSHR, 4) \
	Q34_CHUNK(3, VUSHR, 6, VUSHR, 5) \
	Q34_SCALES \
	ADD    $96, R0

#define Q3_SETUP4 \
	VEOR  V30.B16, V30.B16, V30.B16 \
	VLD1  (R4), [V30.D1] \
	VMOVI $3, V12.B16 \
	VMOVI $4, V13.B16

#define Q34_BODY \
	Q34_PAIR \
	Q34_PAIR \
	Q34_PAIR \
	Q34_PAIR \
	Q34_PAIR \
	Q34_PAIR \
	Q34_PAIR \
	Q34_PAIR

// func gemmQ3x8x4NEON(w *byte, qs *int8, d *float32, nb int, out *float32, ostride int, cb *int8, factor float32)
TEXT ·gemmQ3x8x4NEON(SB), NOSPLIT, $0-60
	PK4_KERNEL(Q3_SETUP4, 144, Q34_BODY)
	RET
