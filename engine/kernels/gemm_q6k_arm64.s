//go:build arm64

#include "textflag.h"
#include "neon_arm64.h"

// Packed (LayoutRows8, pack_q6k.go) Q6_K kernel, one token. Per group j
// of 16 values the rows' lanes start at the token's Q8.Off (-32 times the
// group's activation sum: the values' offset), gain four SDOT by element
// of the unsigned 6-bit values (chunk c: values 4c..4c+3), are multiplied
// by the rows' int8 scales and added to the block total; per block the
// total goes into the float lane with one fused step (kLanes).
//
// Block layout (1680 bytes): d (8 f16) at 0, group j's scales at 16+8j,
// then per group j at 144+96j the vectors N0 (low nibbles: chunk 0, high:
// chunk 2), N1 (chunks 1, 3) and H (two high bits of chunks 0-3 at bits
// 0, 2, 4, 6), 32 bytes each (rows 0-3, then 4-7).
//
// Registers: V0-V3 the activations of groups 4i..4i+3, V4-V9 the group's
// N0, N1 and H (rows 0-3, 4-7 each), V10-V17 its chunks 0-3 (rows 0-3,
// 4-7), V18:V19 scratch, V20 = 0x0f, V21 = 0x30, V22:V23 the group's
// dots, V24-V26 its scales, V27:V28 the block total, V30:V31 the float
// lanes.

// Q6P_CHUNKS unpacks group j's (R0, moving on) chunks into V10-V17.
#define Q6P_CHUNKS \
	VLD1.P 64(R0), [V4.B16, V5.B16, V6.B16, V7.B16] \
	VLD1.P 32(R0), [V8.B16, V9.B16] \
	VSHL   $4, V8.B16, V18.B16 \
	VSHL   $4, V9.B16, V19.B16 \
	VAND   V21.B16, V18.B16, V18.B16 \
	VAND   V21.B16, V19.B16, V19.B16 \
	VAND   V20.B16, V4.B16, V10.B16 \
	VAND   V20.B16, V5.B16, V11.B16 \
	VORR   V18.B16, V10.B16, V10.B16 \
	VORR   V19.B16, V11.B16, V11.B16 \
	VSHL   $2, V8.B16, V18.B16 \
	VSHL   $2, V9.B16, V19.B16 \
	VAND   V21.B16, V18.B16, V18.B16 \
	VAND   V21.B16, V19.B16, V19.B16 \
	VAND   V20.B16, V6.B16, V12.B16 \
	VAND   V20.B16, V7.B16, V13.B16 \
	VORR   V18.B16, V12.B16, V12.B16 \
	VORR   V19.B16, V13.B16, V13.B16 \
	VAND   V21.B16, V8.B16, V18.B16 \
	VAND   V21.B16, V9.B16, V19.B16 \
	VUSHR  $4, V4.B16, V14.B16 \
	VUSHR  $4, V5.B16, V15.B16 \
	VORR   V18.B16, V14.B16, V14.B16 \
	VORR   V19.B16, V15.B16, V15.B16 \
	VUSHR  $2, V8.B16, V18.B16 \
	VUSHR  $2, V9.B16, V19.B16 \
	VAND   V21.B16, V18.B16, V18.B16 \
	VAND   V21.B16, V19.B16, V19.B16 \
	VUSHR  $4, V6.B16, V16.B16 \
	VUSHR  $4, V7.B16, V17.B16 \
	VORR   V18.B16, V16.B16, V16.B16 \
	VORR   V19.B16, V17.B16, V17.B16

// Q6P_GROUP(a, j): group j (its activations in lanes of V(a)) into the
// block total: the Q8.Off start (R3, moving on), the dots of chunks
// 0-3, times the scales (8 bytes at R6, moving on).
#define Q6P_GROUP(a, j) \
	Q6P_CHUNKS \
	VLD1R.P 4(R3), [V22.S4] \
	VORR   V22.B16, V22.B16, V23.B16 \
	SDOTE(a, 0, 10, 22) \
	SDOTE(a, 0, 11, 23) \
	SDOTE(a, 1, 12, 22) \
	SDOTE(a, 1, 13, 23) \
	SDOTE(a, 2, 14, 22) \
	SDOTE(a, 2, 15, 23) \
	SDOTE(a, 3, 16, 22) \
	SDOTE(a, 3, 17, 23) \
	MOVD.P 8(R6), R9 \
	FMOVD  R9, F26 \
	SXTL8H(26, 26) \
	SXTL4S(26, 24) \
	SXTL24S(26, 25) \
	MLA4S(24, 22, 27) \
	MLA4S(25, 23, 28)

#define Q6P_GROUPS4 \
	VLD1.P 64(R1), [V0.B16, V1.B16, V2.B16, V3.B16] \
	Q6P_GROUP(0, 0) \
	Q6P_GROUP(1, 1) \
	Q6P_GROUP(2, 2) \
	Q6P_GROUP(3, 3)

// func gemmQ6_Kx8x1NEON(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)
TEXT ·gemmQ6_Kx8x1NEON(SB), NOSPLIT, $0-48
	MOVD  w+0(FP), R0
	MOVD  qs+8(FP), R1
	MOVD  d+16(FP), R2
	MOVD  off+24(FP), R3
	MOVD  nb+32(FP), R4
	VMOVI $15, V20.B16
	VMOVI $48, V21.B16
	VZERO(30)
	VZERO(31)

block:
	MOVD R0, R5          // d
	ADD  $16, R0, R6     // scales
	ADD  $144, R0        // groups
	VZERO(27)
	VZERO(28)
	Q6P_GROUPS4
	Q6P_GROUPS4
	Q6P_GROUPS4
	Q6P_GROUPS4
	VLD1    (R5), [V0.H8]
	FCVTL(0, 2)
	FCVTL2(0, 3)
	FMOVS.P 4(R2), F6
	FMULE(6, 2, 2)
	FMULE(6, 3, 3)
	SCVTF4(27, 27)
	SCVTF4(28, 28)
	FMLA4(2, 27, 30)
	FMLA4(3, 28, 31)
	SUBS $1, R4, R4
	BNE  block

	MOVD out+40(FP), R8
	VST1 [V30.S4, V31.S4], (R8)
	RET

// gemmQ6_Kx8x4NEON is the Q6_K kernel for four tokens (nb blocks apart):
// each group is unpacked once for the four. Registers: V0-V7 the group's
// chunks 0-3 (rows 0-3, 4-7), V8:V9 its H, then its scales, V10:V11 its
// N0 then N1, then one token's activations (V10), V12:V13 scratch, then
// one token's dots, V14 = 0x0f, V15 = 0x30, V16-V23 the tokens' block
// totals (token t: V(16+2t):V(17+2t)), V24-V31 their float lanes.

#define Q6P4_CHUNKS \
	VLD1   (R0), [V10.B16, V11.B16] \
	ADD    $64, R0, R9 \
	VLD1   (R9), [V8.B16, V9.B16] \
	VSHL   $4, V8.B16, V12.B16 \
	VSHL   $4, V9.B16, V13.B16 \
	VAND   V15.B16, V12.B16, V12.B16 \
	VAND   V15.B16, V13.B16, V13.B16 \
	VAND   V14.B16, V10.B16, V0.B16 \
	VAND   V14.B16, V11.B16, V1.B16 \
	VORR   V12.B16, V0.B16, V0.B16 \
	VORR   V13.B16, V1.B16, V1.B16 \
	VAND   V15.B16, V8.B16, V12.B16 \
	VAND   V15.B16, V9.B16, V13.B16 \
	VUSHR  $4, V10.B16, V4.B16 \
	VUSHR  $4, V11.B16, V5.B16 \
	VORR   V12.B16, V4.B16, V4.B16 \
	VORR   V13.B16, V5.B16, V5.B16 \
	ADD    $32, R0, R9 \
	VLD1   (R9), [V10.B16, V11.B16] \
	VSHL   $2, V8.B16, V12.B16 \
	VSHL   $2, V9.B16, V13.B16 \
	VAND   V15.B16, V12.B16, V12.B16 \
	VAND   V15.B16, V13.B16, V13.B16 \
	VAND   V14.B16, V10.B16, V2.B16 \
	VAND   V14.B16, V11.B16, V3.B16 \
	VORR   V12.B16, V2.B16, V2.B16 \
	VORR   V13.B16, V3.B16, V3.B16 \
	VUSHR  $2, V8.B16, V12.B16 \
	VUSHR  $2, V9.B16, V13.B16 \
	VAND   V15.B16, V12.B16, V12.B16 \
	VAND   V15.B16, V13.B16, V13.B16 \
	VUSHR  $4, V10.B16, V6.B16 \
	VUSHR  $4, V11.B16, V7.B16 \
	VORR   V12.B16, V6.B16, V6.B16 \
	VORR   V13.B16, V7.B16, V7.B16 \
	ADD    $96, R0 \
	MOVD.P 8(R6), R9 \
	FMOVD  R9, F8 \
	SXTL8H(8, 8) \
	SXTL24S(8, 9) \
	SXTL4S(8, 8)

// Q6P4_TOK(q, off, t): token t's group (activations at q, Q8.Off at off,
// both moving on) into its block total.
#define Q6P4_TOK(q, off, t) \
	VLD1.P  16(q), [V10.B16] \
	VLD1R.P 4(off), [V12.S4] \
	VORR    V12.B16, V12.B16, V13.B16 \
	SDOTE(10, 0, 0, 12) \
	SDOTE(10, 0, 1, 13) \
	SDOTE(10, 1, 2, 12) \
	SDOTE(10, 1, 3, 13) \
	SDOTE(10, 2, 4, 12) \
	SDOTE(10, 2, 5, 13) \
	SDOTE(10, 3, 6, 12) \
	SDOTE(10, 3, 7, 13) \
	MLA4S(8, 12, 16+2*(t)) \
	MLA4S(9, 13, 17+2*(t))

#define Q6P4_GROUP \
	Q6P4_CHUNKS \
	Q6P4_TOK(R1, R3, 0) \
	Q6P4_TOK(R10, R13, 1) \
	Q6P4_TOK(R11, R14, 2) \
	Q6P4_TOK(R12, R15, 3)

#define Q6P4_GROUPS4 \
	Q6P4_GROUP \
	Q6P4_GROUP \
	Q6P4_GROUP \
	Q6P4_GROUP

// Q6P4_FLOAT(d, t): token t's total into its float lanes, times the rows'
// d (V2:V3) times its activation scale (d, moving on).
#define Q6P4_FLOAT(d, t) \
	SCVTF4(16+2*(t), 16+2*(t)) \
	SCVTF4(17+2*(t), 17+2*(t)) \
	FMOVS.P 4(d), F4 \
	FMULE(4, 2, 5) \
	FMULE(4, 3, 6) \
	FMLA4(5, 16+2*(t), 24+2*(t)) \
	FMLA4(6, 17+2*(t), 25+2*(t))

// func gemmQ6_Kx8x4NEON(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32, ostride int)
TEXT ·gemmQ6_Kx8x4NEON(SB), NOSPLIT, $0-56
	MOVD  w+0(FP), R0
	MOVD  qs+8(FP), R1
	MOVD  d+16(FP), R2
	MOVD  off+24(FP), R3
	MOVD  nb+32(FP), R4
	LSL   $8, R4, R16      // a token's quants
	LSL   $2, R4, R17      // its scales
	LSL   $6, R4, R19      // its offsets
	ADD   R16, R1, R10
	ADD   R16, R10, R11
	ADD   R16, R11, R12
	ADD   R17, R2, R20
	ADD   R17, R20, R21
	ADD   R17, R21, R22
	ADD   R19, R3, R13
	ADD   R19, R13, R14
	ADD   R19, R14, R15
	VMOVI $15, V14.B16
	VMOVI $48, V15.B16
	VZERO(24)
	VZERO(25)
	VZERO(26)
	VZERO(27)
	VZERO(28)
	VZERO(29)
	VZERO(30)
	VZERO(31)

block:
	MOVD R0, R5          // d
	ADD  $16, R0, R6     // scales
	ADD  $144, R0        // groups
	VZERO(16)
	VZERO(17)
	VZERO(18)
	VZERO(19)
	VZERO(20)
	VZERO(21)
	VZERO(22)
	VZERO(23)
	Q6P4_GROUPS4
	Q6P4_GROUPS4
	Q6P4_GROUPS4
	Q6P4_GROUPS4
	VLD1 (R5), [V0.H8]
	FCVTL(0, 2)
	FCVTL2(0, 3)
	Q6P4_FLOAT(R2, 0)
	Q6P4_FLOAT(R20, 1)
	Q6P4_FLOAT(R21, 2)
	Q6P4_FLOAT(R22, 3)
	SUBS $1, R4, R4
	BNE  block

	MOVD out+40(FP), R8
	MOVD ostride+48(FP), R9
	LSL  $2, R9, R9
	VST1 [V24.S4, V25.S4], (R8)
	ADD  R9, R8, R8
	VST1 [V26.S4, V27.S4], (R8)
	ADD  R9, R8, R8
	VST1 [V28.S4, V29.S4], (R8)
	ADD  R9, R8, R8
	VST1 [V30.S4, V31.S4], (R8)
	RET
