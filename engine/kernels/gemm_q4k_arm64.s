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

// K8_GROUP: the next group's activations (R1, moving on), its eight
// chunks, then its two sub-blocks' dots times their scales into the
// total.
#define K8_GROUP \
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
	K8_SCALES

// K8_SCALES: the group's two sub-blocks' dots times their scales (16
// bytes at R6, moving on) into the block total.
#define K8_SCALES \
	VLD1.P 16(R6), [V20.B16] \
	UXTL8H(20, 21) \
	UXTL28H(20, 20) \
	UXTL4S(21, 16) \
	UXTL24S(21, 17) \
	UXTL4S(20, 18) \
	UXTL24S(20, 19) \
	MLA4S(16, 10, 24) \
	MLA4S(17, 11, 25) \
	MLA4S(18, 12, 24) \
	MLA4S(19, 13, 25)

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

// K8_ARGS reads the arguments: R0 the group's blocks, R1 the token's
// quants, R2 its scales, R3 its Q8.Off words, R4 nb.
#define K8_ARGS \
	MOVD  w+0(FP), R0 \
	MOVD  qs+8(FP), R1 \
	MOVD  d+16(FP), R2 \
	MOVD  off+24(FP), R3 \
	MOVD  nb+32(FP), R4 \
	VMOVI $15, V8.B16 \
	VZERO(30) \
	VZERO(31)

// K8_START points R5 at the block's d and dmin, R6 at its scales, R7 at
// its mins pairs and R0 at its quants, and zeroes the block total.
#define K8_START \
	MOVD R0, R5 \
	ADD  $32, R0, R6 \
	ADD  $96, R0, R7 \
	ADD  $160, R0 \
	VZERO(24) \
	VZERO(25)

// K8_END makes the mins totals and adds the block to the float lanes:
// acc = fma(total, f16(d)·d_a, acc), then fma(-mins, f16(dmin)·d_a, acc).
#define K8_END \
	VZERO(26) \
	VZERO(27) \
	VZERO(28) \
	VZERO(29) \
	K8_MINS \
	K8_MINS \
	K8_MINS \
	K8_MINS \
	ADDP4(27, 26, 26) \
	ADDP4(29, 28, 27) \
	VLD1    (R5), [V0.H8, V1.H8] \
	FCVTL(0, 2) \
	FCVTL2(0, 3) \
	FCVTL(1, 4) \
	FCVTL2(1, 5) \
	FMOVS.P 4(R2), F6 \
	FMULE(6, 2, 2) \
	FMULE(6, 3, 3) \
	FMULE(6, 4, 4) \
	FMULE(6, 5, 5) \
	SCVTF4(24, 24) \
	SCVTF4(25, 25) \
	SCVTF4(26, 26) \
	SCVTF4(27, 27) \
	FMLA4(2, 24, 30) \
	FMLA4(3, 25, 31) \
	FMLS4(4, 26, 30) \
	FMLS4(5, 27, 31)

#define K8_STORE \
	MOVD out+40(FP), R8 \
	VST1 [V30.S4, V31.S4], (R8)

// K4P_ARGS reads the four-token k-quant kernels' arguments: R0 the
// group's blocks, R1-R3, R6 the tokens' quants, R7-R10 their scales,
// R11-R14 their Q8.Off words, R15-R17, R19 their results (zeroed: the
// float lanes live there), R20 nb.
#define K4P_ARGS \
	MOVD w+0(FP), R0 \
	MOVD qs+8(FP), R1 \
	MOVD d+16(FP), R7 \
	MOVD off+24(FP), R11 \
	MOVD nb+32(FP), R20 \
	MOVD out+40(FP), R15 \
	MOVD ostride+48(FP), R23 \
	LSL  $2, R23, R23 \
	LSL  $8, R20, R24 \
	LSL  $2, R20, R25 \
	LSL  $4, R20, R26 \
	ADD  R24, R1, R2 \
	ADD  R24, R2, R3 \
	ADD  R24, R3, R6 \
	ADD  R25, R7, R8 \
	ADD  R25, R8, R9 \
	ADD  R25, R9, R10 \
	ADD  R26, R11, R12 \
	ADD  R26, R12, R13 \
	ADD  R26, R13, R14 \
	ADD  R23, R15, R16 \
	ADD  R23, R16, R17 \
	ADD  R23, R17, R19 \
	VZERO(30) \
	VZERO(31) \
	VST1 [V30.S4, V31.S4], (R15) \
	VST1 [V30.S4, V31.S4], (R16) \
	VST1 [V30.S4, V31.S4], (R17) \
	VST1 [V30.S4, V31.S4], (R19)

// func gemmQ4_Kx8x1NEON(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)
TEXT ·gemmQ4_Kx8x1NEON(SB), NOSPLIT, $0-48
	K8_ARGS

block:
	K8_START
	K8_GROUP
	K8_GROUP
	K8_GROUP
	K8_GROUP
	K8_END
	SUBS $1, R4, R4
	BNE  block

	K8_STORE
	RET

// gemmQ4_Kx8x4NEON is the Q4_K kernel for four tokens (nb blocks apart).
// Each group's chunks are unpacked once per sub-block for the four
// tokens (two passes over the group: low nibbles, then high), and the
// float lanes live in the results (out + t*ostride), updated once a block.
// Registers: V0:V1 a chunk, V2:V3 its nibbles, V4 = 0x0f, V5-V12 the
// tokens' 32 activations of the sub-block (token t: V(5+2t):V(6+2t)),
// V13-V20 their dots, V21-V28 their block totals, V29-V31 scratch; at
// the block's end V5-V12 hold the widened mins pairs and V13-V16 the rows'
// d and dmin.

// K4P_PASS(DEC, j, CH, sh, QH): sub-block j of the group at R0 for the
// four tokens: CH(DEC, k, sh) runs chunk k (DEC unpacks its nibbles: low,
// VAND, or high, VUSHR; Q5_K's chunks then merge their fifth bits, sh and
// QH(h) serving those), and the dots times the rows' scales of j (8
// bytes at R21+8j) go into the totals.
#define K4P_PASS(DEC, j, CH, sh, QH) \
	VLD1.P 32(R1), [V5.B16, V6.B16] \
	VLD1.P 32(R2), [V7.B16, V8.B16] \
	VLD1.P 32(R3), [V9.B16, V10.B16] \
	VLD1.P 32(R6), [V11.B16, V12.B16] \
	VZERO(13) \
	VZERO(14) \
	VZERO(15) \
	VZERO(16) \
	VZERO(17) \
	VZERO(18) \
	VZERO(19) \
	VZERO(20) \
	QH(0) \
	CH(DEC, 0, sh) \
	CH(DEC, 1, sh) \
	CH(DEC, 2, sh) \
	CH(DEC, 3, sh) \
	QH(1) \
	CH(DEC, 4, sh) \
	CH(DEC, 5, sh) \
	CH(DEC, 6, sh) \
	CH(DEC, 7, sh) \
	ADD    $(8*(j)), R21, R23 \
	VLD1   (R23), [V31.B8] \
	UXTL8H(31, 31) \
	UXTL4S(31, 29) \
	UXTL24S(31, 30) \
	MLA4S(29, 13, 21) \
	MLA4S(30, 14, 22) \
	MLA4S(29, 15, 23) \
	MLA4S(30, 16, 24) \
	MLA4S(29, 17, 25) \
	MLA4S(30, 18, 26) \
	MLA4S(29, 19, 27) \
	MLA4S(30, 20, 28)

#define K4P_LO \
	VAND V4.B16, V0.B16, V2.B16 \
	VAND V4.B16, V1.B16, V3.B16

#define K4P_HI \
	VUSHR $4, V0.B16, V2.B16 \
	VUSHR $4, V1.B16, V3.B16

#define K4P_CHUNK(DEC, k, sh) \
	ADD  $(32*(k)), R0, R23 \
	VLD1 (R23), [V0.B16, V1.B16] \
	DEC \
	K4P_DOTS(k)

// K4P_DOTS(k): the four tokens' dots of chunk k's unpacked quants.
#define K4P_DOTS(k) \
	SDOTE(5+(k)/4, (k)%4, 2, 13) \
	SDOTE(5+(k)/4, (k)%4, 3, 14) \
	SDOTE(7+(k)/4, (k)%4, 2, 15) \
	SDOTE(7+(k)/4, (k)%4, 3, 16) \
	SDOTE(9+(k)/4, (k)%4, 2, 17) \
	SDOTE(9+(k)/4, (k)%4, 3, 18) \
	SDOTE(11+(k)/4, (k)%4, 2, 19) \
	SDOTE(11+(k)/4, (k)%4, 3, 20)

#define NO_QH(h)

#define K4P_GROUP(G) \
	K4P_PASS(K4P_LO, 2*(G), K4P_CHUNK, 0, NO_QH) \
	K4P_PASS(K4P_HI, 2*(G)+1, K4P_CHUNK, 0, NO_QH) \
	ADD $256, R0

// K4P_MINS_PAIRS widens the block's four mins pairs (R22) into V5-V12
// (pair p: rows 0-3 in V(5+2p), rows 4-7 in V(6+2p)).
#define K4P_MINS_PAIRS \
	VLD1 (R22), [V29.B16, V30.B16, V31.B16, V0.B16] \
	UXTL8H(29, 5) \
	UXTL28H(29, 6) \
	UXTL8H(30, 7) \
	UXTL28H(30, 8) \
	UXTL8H(31, 9) \
	UXTL28H(31, 10) \
	UXTL8H(0, 11) \
	UXTL28H(0, 12)

#define K4P_MINP(off, p) \
	VLD1R.P 4(off), [V29.S4] \
	SMLAL4(29, 5+2*(p), 17) \
	SMLAL24(29, 5+2*(p), 18) \
	SMLAL4(29, 6+2*(p), 19) \
	SMLAL24(29, 6+2*(p), 20)

// K4P_FLOAT(t, d, off, out): token t's mins total, then its float lanes
// (at out) = fma(total, f16(d)·d_a, lanes), then fma(-mins, f16(dmin)·d_a).
#define K4P_FLOAT(t, d, off, out) \
	VZERO(17) \
	VZERO(18) \
	VZERO(19) \
	VZERO(20) \
	K4P_MINP(off, 0) \
	K4P_MINP(off, 1) \
	K4P_MINP(off, 2) \
	K4P_MINP(off, 3) \
	ADDP4(18, 17, 17) \
	ADDP4(20, 19, 18) \
	SCVTF4(21+2*(t), 21+2*(t)) \
	SCVTF4(22+2*(t), 22+2*(t)) \
	SCVTF4(17, 17) \
	SCVTF4(18, 18) \
	FMOVS.P 4(d), F0 \
	FMULE(0, 13, 1) \
	FMULE(0, 14, 2) \
	FMULE(0, 15, 3) \
	FMULE(0, 16, 29) \
	VLD1  (out), [V30.S4, V31.S4] \
	FMLA4(1, 21+2*(t), 30) \
	FMLA4(2, 22+2*(t), 31) \
	FMLS4(3, 17, 30) \
	FMLS4(29, 18, 31) \
	VST1  [V30.S4, V31.S4], (out)

// K4P_START points R5 at the block's d and dmin, R21 at its scales, R22
// at its mins pairs and R0 at its quants, and zeroes the totals.
#define K4P_START \
	VMOVI $15, V4.B16 \
	MOVD R0, R5 \
	ADD  $32, R0, R21 \
	ADD  $96, R0, R22 \
	ADD  $160, R0 \
	VZERO(21) \
	VZERO(22) \
	VZERO(23) \
	VZERO(24) \
	VZERO(25) \
	VZERO(26) \
	VZERO(27) \
	VZERO(28)

// K4P_END makes every token's mins total and adds the block to its float
// lanes.
#define K4P_END \
	K4P_MINS_PAIRS \
	VLD1 (R5), [V0.H8, V1.H8] \
	FCVTL(0, 13) \
	FCVTL2(0, 14) \
	FCVTL(1, 15) \
	FCVTL2(1, 16) \
	K4P_FLOAT(0, R7, R11, R15) \
	K4P_FLOAT(1, R8, R12, R16) \
	K4P_FLOAT(2, R9, R13, R17) \
	K4P_FLOAT(3, R10, R14, R19)

// func gemmQ4_Kx8x4NEON(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32, ostride int)
TEXT ·gemmQ4_Kx8x4NEON(SB), NOSPLIT, $0-56
	K4P_ARGS

block:
	K4P_START
	K4P_GROUP(0)
	K4P_GROUP(1)
	K4P_GROUP(2)
	K4P_GROUP(3)
	K4P_END
	SUBS $1, R20, R20
	BNE  block
	RET

// gemmQ5_Kx8x4NEON is gemmQ4_Kx8x4NEON with each chunk's fifth bits
// merged: during a pass V29:V30 hold the group's fifth-bit vector in use
// (R24 at the group's two vectors), shifted right two bits a chunk so
// that the chunk's bit (2k' in the low pass, 2k'+1 in the high) moves to
// bit 4 by one fixed shift, sh, and V31 = 0x10.
#define K5P_QH(h) \
	ADD   $(32*(h)), R24, R23 \
	VLD1  (R23), [V29.B16, V30.B16] \
	VMOVI $16, V31.B16

#define K5P_CHUNK(DEC, k, sh) \
	ADD   $(32*(k)), R0, R23 \
	VLD1  (R23), [V0.B16, V1.B16] \
	DEC \
	VSHL  $sh, V29.B16, V0.B16 \
	VSHL  $sh, V30.B16, V1.B16 \
	VAND  V31.B16, V0.B16, V0.B16 \
	VAND  V31.B16, V1.B16, V1.B16 \
	VORR  V0.B16, V2.B16, V2.B16 \
	VORR  V1.B16, V3.B16, V3.B16 \
	VUSHR $2, V29.B16, V29.B16 \
	VUSHR $2, V30.B16, V30.B16 \
	K4P_DOTS(k)

#define K5P_GROUP(G) \
	K4P_PASS(K4P_LO, 2*(G), K5P_CHUNK, 4, K5P_QH) \
	K4P_PASS(K4P_HI, 2*(G)+1, K5P_CHUNK, 3, K5P_QH) \
	ADD $256, R0 \
	ADD $64, R24

// func gemmQ5_Kx8x4NEON(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32, ostride int)
TEXT ·gemmQ5_Kx8x4NEON(SB), NOSPLIT, $0-56
	K4P_ARGS

block:
	K4P_START
	ADD  $1024, R0, R24  // the fifth bits, after the quants
	K5P_GROUP(0)
	K5P_GROUP(1)
	K5P_GROUP(2)
	K5P_GROUP(3)
	ADD  $256, R0        // past them
	K4P_END
	SUBS $1, R20, R20
	BNE  block
	RET

// The packed Q5_K kernel is the Q4_K one with each chunk's fifth bits
// merged under its nibbles: after the Q4_K part of a block (0..1183), per
// group G two 32-byte vectors at 1184+64G (chunks 0-3) and +32 (chunks
// 4-7) hold, in row r's byte i, the fifth bit of chunk k' of sub-block 2G
// at bit 2k' and of sub-block 2G+1 at bit 2k'+1. Each is shifted to bit
// 4, masked (V9 = 0x10) and or-ed in. V22:V23 hold the vector in use
// (rows 0-3, 4-7; R8 moving on), V14:V15 are scratch.

// BIT5(op, n, h, t, q): q |= (h op n) & 0x10.
#define BIT5(op, n, h, t, q) \
	op    $n, h, t \
	VAND  V9.B16, t, t \
	VORR  t, q, q

// K5_CHUNK(k, lop, ln, hop, hn): K8_CHUNK with the fifth bits, chunk k
// taking its low nibbles' bits by (lop ln) and its high ones' by (hop hn).
#define K5_CHUNK(k, lop, ln, hop, hn) \
	VLD1.P 32(R0), [V4.B16, V5.B16] \
	VAND   V8.B16, V4.B16, V6.B16 \
	VAND   V8.B16, V5.B16, V7.B16 \
	VUSHR  $4, V4.B16, V4.B16 \
	VUSHR  $4, V5.B16, V5.B16 \
	BIT5(lop, ln, V22.B16, V14.B16, V6.B16) \
	BIT5(lop, ln, V23.B16, V15.B16, V7.B16) \
	BIT5(hop, hn, V22.B16, V14.B16, V4.B16) \
	BIT5(hop, hn, V23.B16, V15.B16, V5.B16) \
	SDOTE((k)/4, (k)%4, 6, 10) \
	SDOTE((k)/4, (k)%4, 7, 11) \
	SDOTE(2+(k)/4, (k)%4, 4, 12) \
	SDOTE(2+(k)/4, (k)%4, 5, 13)

#define K5_CHUNKS4(k0) \
	VLD1.P 32(R8), [V22.B16, V23.B16] \
	K5_CHUNK(k0, VSHL, 4, VSHL, 3) \
	K5_CHUNK(k0+1, VSHL, 2, VSHL, 1) \
	K5_CHUNK(k0+2, VSHL, 0, VUSHR, 1) \
	K5_CHUNK(k0+3, VUSHR, 2, VUSHR, 3)

#define K5_GROUP \
	VLD1.P 64(R1), [V0.B16, V1.B16, V2.B16, V3.B16] \
	VZERO(10) \
	VZERO(11) \
	VZERO(12) \
	VZERO(13) \
	K5_CHUNKS4(0) \
	K5_CHUNKS4(4) \
	K8_SCALES

// func gemmQ5_Kx8x1NEON(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)
TEXT ·gemmQ5_Kx8x1NEON(SB), NOSPLIT, $0-48
	K8_ARGS
	VMOVI $16, V9.B16

block:
	ADD  $1184, R0, R8   // fifth bits
	K8_START
	K5_GROUP
	K5_GROUP
	K5_GROUP
	K5_GROUP
	K8_END
	ADD  $256, R0        // past the fifth bits
	SUBS $1, R4, R4
	BNE  block

	K8_STORE
	RET
