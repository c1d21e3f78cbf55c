//go:build arm64

#include "textflag.h"
#include "neon_arm64.h"
#include "attn_arm64.h"

// The four-head NEON attention kernels (see attn_arm64.s).

// G4_ARGS loads the four-head scores' arguments: as S_ARGS, and R6 the
// distance between heads' scores in bytes.
#define G4_ARGS(eshift) \
	S_ARGS(eshift) \
	MOVD astride+56(FP), R6 \
	LSL  $2, R6, R6

// G4_START zeroes the lanes of two keys times four heads (head h, key c
// in V(4h+2c):V(4h+2c+1)) and points R8, R9 at the keys' rows, R10-R13 at
// the heads' queries, R14 at the head's bytes to go.
#define G4_START \
	ZERO16 \
	MOVD R2, R8 \
	ADD  R3, R2, R9 \
	MOVD R1, R10 \
	ADD  R5, R10, R11 \
	ADD  R5, R11, R12 \
	ADD  R5, R12, R13 \
	MOVD R5, R14

// KEYS2_F32 and KEYS2_F16 load eight values of the two keys into
// V16:V17 and V18:V19.
#define KEYS2_F32 \
	VLD1.P 32(R8), [V16.S4, V17.S4] \
	VLD1.P 32(R9), [V18.S4, V19.S4]

#define KEYS2_F16 \
	VLD1.P 16(R8), [V28.H8] \
	VLD1.P 16(R9), [V29.H8] \
	FCVTL(28, 16) \
	FCVTL2(28, 17) \
	FCVTL(29, 18) \
	FCVTL2(29, 19)

#define G4_FMA \
	VLD1.P 32(R10), [V20.S4, V21.S4] \
	VLD1.P 32(R11), [V22.S4, V23.S4] \
	VLD1.P 32(R12), [V24.S4, V25.S4] \
	VLD1.P 32(R13), [V26.S4, V27.S4] \
	FMLA4(20, 16, 0) \
	FMLA4(21, 17, 1) \
	FMLA4(20, 18, 2) \
	FMLA4(21, 19, 3) \
	FMLA4(22, 16, 4) \
	FMLA4(23, 17, 5) \
	FMLA4(22, 18, 6) \
	FMLA4(23, 19, 7) \
	FMLA4(24, 16, 8) \
	FMLA4(25, 17, 9) \
	FMLA4(24, 18, 10) \
	FMLA4(25, 19, 11) \
	FMLA4(26, 16, 12) \
	FMLA4(27, 17, 13) \
	FMLA4(26, 18, 14) \
	FMLA4(27, 19, 15)

// G4_STORE reduces the eight scores as S4_STORE in attn_fma_amd64.s
// (h0k0 h0k1 h1k0 h1k1 in V0, h2k0 h2k1 h3k0 h3k1 in V8), scales them,
// writes each head's pair and moves on two keys.
#define G4_STORE \
	FADDP4(1, 0, 0) \
	FADDP4(3, 2, 2) \
	FADDP4(5, 4, 4) \
	FADDP4(7, 6, 6) \
	FADDP4(9, 8, 8) \
	FADDP4(11, 10, 10) \
	FADDP4(13, 12, 12) \
	FADDP4(15, 14, 14) \
	FADDP4(2, 0, 0) \
	FADDP4(6, 4, 4) \
	FADDP4(10, 8, 8) \
	FADDP4(14, 12, 12) \
	FADDP4(4, 0, 0) \
	FADDP4(12, 8, 8) \
	FMUL4(31, 0, 0) \
	FMUL4(31, 8, 8) \
	FMOVD  F0, (R0) \
	VMOV   V0.D[1], R15 \
	ADD    R6, R0, R16 \
	MOVD   R15, (R16) \
	ADD    R6, R16, R16 \
	FMOVD  F8, (R16) \
	VMOV   V8.D[1], R15 \
	ADD    R6, R16, R16 \
	MOVD   R15, (R16) \
	ADD    $8, R0 \
	ADD    R3<<1, R2, R2

// GM_ARGS loads the four-head mix's arguments: R0 head 0's outputs, R1
// head 0's weights, R2 the values' slice in row 0, R3 the row stride in
// bytes, R5 hd (outputs to go per head), R6 the distance between heads'
// weights and R7 between their outputs, in bytes.
#define GM_ARGS(eshift) \
	M_ARGS(eshift) \
	MOVD astride+48(FP), R6 \
	LSL  $2, R6, R6 \
	LSL  $2, R5, R7

// GM_START: R8-R11 the heads' weights, R12 row 0's slice, R13 the rows.
#define GM_START \
	MOVD R1, R8 \
	ADD  R6, R8, R9 \
	ADD  R6, R9, R10 \
	ADD  R6, R10, R11 \
	MOVD R2, R12 \
	MOVD n+32(FP), R13

// GM_WEIGHTS broadcasts the row's weight of each head into V20-V23.
#define GM_WEIGHTS \
	VLD1R.P 4(R8), [V20.S4] \
	VLD1R.P 4(R9), [V21.S4] \
	VLD1R.P 4(R10), [V22.S4] \
	VLD1R.P 4(R11), [V23.S4]

// VALS16_* load sixteen values of the row at R12 into V16-V19, VALS8_*
// eight into V16:V17.
#define VALS16_F32 VLD1 (R12), [V16.S4, V17.S4, V18.S4, V19.S4]

#define VALS16_F16 \
	VLD1 (R12), [V24.H8, V25.H8] \
	FCVTL(24, 16) \
	FCVTL2(24, 17) \
	FCVTL(25, 18) \
	FCVTL2(25, 19)

#define VALS8_F32 VLD1 (R12), [V16.S4, V17.S4]

#define VALS8_F16 \
	VLD1 (R12), [V24.H8] \
	FCVTL(24, 16) \
	FCVTL2(24, 17)

// GM_FMA16: head h's sixteen outputs in V(4h)..V(4h+3).
#define GM_FMA16 \
	FMLA4(20, 16, 0) \
	FMLA4(20, 17, 1) \
	FMLA4(20, 18, 2) \
	FMLA4(20, 19, 3) \
	FMLA4(21, 16, 4) \
	FMLA4(21, 17, 5) \
	FMLA4(21, 18, 6) \
	FMLA4(21, 19, 7) \
	FMLA4(22, 16, 8) \
	FMLA4(22, 17, 9) \
	FMLA4(22, 18, 10) \
	FMLA4(22, 19, 11) \
	FMLA4(23, 16, 12) \
	FMLA4(23, 17, 13) \
	FMLA4(23, 18, 14) \
	FMLA4(23, 19, 15)

// GM_FMA8: head h's eight outputs in V(2h):V(2h+1).
#define GM_FMA8 \
	FMLA4(20, 16, 0) \
	FMLA4(20, 17, 1) \
	FMLA4(21, 16, 2) \
	FMLA4(21, 17, 3) \
	FMLA4(22, 16, 4) \
	FMLA4(22, 17, 5) \
	FMLA4(23, 16, 6) \
	FMLA4(23, 17, 7)

#define GM_STORE16 \
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R0) \
	ADD  R7, R0, R14 \
	VST1 [V4.S4, V5.S4, V6.S4, V7.S4], (R14) \
	ADD  R7, R14, R14 \
	VST1 [V8.S4, V9.S4, V10.S4, V11.S4], (R14) \
	ADD  R7, R14, R14 \
	VST1 [V12.S4, V13.S4, V14.S4, V15.S4], (R14) \
	ADD  $64, R0

#define GM_STORE8 \
	VST1 [V0.S4, V1.S4], (R0) \
	ADD  R7, R0, R14 \
	VST1 [V2.S4, V3.S4], (R14) \
	ADD  R7, R14, R14 \
	VST1 [V4.S4, V5.S4], (R14) \
	ADD  R7, R14, R14 \
	VST1 [V6.S4, V7.S4], (R14) \
	ADD  $32, R0

// SCORES4_KERNEL is a four-head scores kernel's body (keys 1<<eshift
// bytes an element, two at a time by KEYS2).
#define SCORES4_KERNEL(eshift, KEYS2) \
	G4_ARGS(eshift) \
pair: \
	CBZ R4, done \
	G4_START \
pair8: \
	KEYS2 \
	G4_FMA \
	SUBS $32, R14, R14 \
	BNE  pair8 \
	G4_STORE \
	SUB  $2, R4 \
	B    pair \
done:

// MIX4_KERNEL is a four-head mix kernel's body (values 1<<eshift bytes an
// element, sixteen or eight loaded by VALS16 and VALS8).
#define MIX4_KERNEL(eshift, VALS16, VALS8) \
	GM_ARGS(eshift) \
slice: \
	CMP $16, R5 \
	BLT half \
	ZERO16 \
	GM_START \
row16: \
	GM_WEIGHTS \
	VALS16 \
	GM_FMA16 \
	ADD  R3, R12, R12 \
	SUBS $1, R13, R13 \
	BNE  row16 \
	GM_STORE16 \
	ADD  $(16<<eshift), R2 \
	SUB  $16, R5 \
	B    slice \
half: \
	CBZ R5, done \
	ZERO8 \
	GM_START \
row8: \
	GM_WEIGHTS \
	VALS8 \
	GM_FMA8 \
	ADD  R3, R12, R12 \
	SUBS $1, R13, R13 \
	BNE  row8 \
	GM_STORE8 \
	ADD  $(8<<eshift), R2 \
	SUB  $8, R5 \
	B    slice \
done:

// func attnScores4FMA(att, q, k *float32, stride, n, hd int, scale float32, astride int)
// The scores of four query heads that share a KV head: head h's query at
// q + h*hd, its scores at att + h*astride. Two keys at a time, each key's
// values loaded once for the four heads. n is even, hd a multiple of 8.
TEXT ·attnScores4FMA(SB), NOSPLIT, $0-64
	SCORES4_KERNEL(2, KEYS2_F32)
	RET

// func attnScores4FMA16(att, q *float32, k *uint16, stride, n, hd int, scale float32, astride int)
TEXT ·attnScores4FMA16(SB), NOSPLIT, $0-64
	SCORES4_KERNEL(1, KEYS2_F16)
	RET

// func attnMix4FMA(o, att, v *float32, stride, n, hd, astride int)
// attnMixFMA for the four query heads sharing a KV head: head h's outputs
// at o + h*hd, its weights at att + h*astride; each row's values are
// loaded once for the four heads, sixteen outputs at a time, then eight.
TEXT ·attnMix4FMA(SB), NOSPLIT, $0-56
	MIX4_KERNEL(2, VALS16_F32, VALS8_F32)
	RET

// func attnMix4FMA16(o, att *float32, v *uint16, stride, n, hd, astride int)
TEXT ·attnMix4FMA16(SB), NOSPLIT, $0-56
	MIX4_KERNEL(1, VALS16_F16, VALS8_F16)
	RET
