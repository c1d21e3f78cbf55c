//go:build arm64

#include "textflag.h"
#include "neon_arm64.h"
#include "attn_arm64.h"

// NEON attention kernels, the arm64 forms of attn_fma_amd64.s with the
// same results bit for bit (attn_lanes_test.go holds both to one Go
// model): a score's eight float lanes (two 4S registers here, one YMM
// there) take the head's values eight at a time by fused multiply-add,
// then reduce as the AVX2 network does, ((l0+l1)+(l2+l3)) +
// ((l4+l5)+(l6+l7)) for keys in eight-key groups (and in the four-head
// kernels' key pairs) and ((l0+l4)+(l1+l5)) + ((l2+l6)+(l3+l7)) for the
// last n%8 keys of the one-head kernel; an output of a mix is the running
// fused sum over the rows in order. The f16 forms widen keys and values
// exactly as they load them (FCVTL), so they give the float32 kernels'
// results over the widened rows.
//
// The macros come before every TEXT block, where vet's argument checks
// do not take their argument references for another function's.

// KEYS4_F32 and KEYS4_F16 load eight values of four keys (R8-R11, moving
// on) into V18:V19 ... V24:V25; KEY1_* one key (R8) into V18:V19.
#define KEYS4_F32 \
	VLD1.P 32(R8), [V18.S4, V19.S4] \
	VLD1.P 32(R9), [V20.S4, V21.S4] \
	VLD1.P 32(R10), [V22.S4, V23.S4] \
	VLD1.P 32(R11), [V24.S4, V25.S4]

#define KEYS4_F16 \
	VLD1.P 16(R8), [V26.H8] \
	VLD1.P 16(R9), [V27.H8] \
	VLD1.P 16(R10), [V28.H8] \
	VLD1.P 16(R11), [V29.H8] \
	FCVTL(26, 18) \
	FCVTL2(26, 19) \
	FCVTL(27, 20) \
	FCVTL2(27, 21) \
	FCVTL(28, 22) \
	FCVTL2(28, 23) \
	FCVTL(29, 24) \
	FCVTL2(29, 25)

#define KEY1_F32 VLD1.P 32(R8), [V18.S4, V19.S4]

#define KEY1_F16 \
	VLD1.P 16(R8), [V26.H8] \
	FCVTL(26, 18) \
	FCVTL2(26, 19)

// S4_START zeroes four keys' lanes and points R7 at q, R8-R11 at the
// keys' rows, R12 at the head's bytes to go.
#define S4_START \
	ZERO8 \
	MOVD R1, R7 \
	MOVD R2, R8 \
	ADD  R3, R8, R9 \
	ADD  R3, R9, R10 \
	ADD  R3, R10, R11 \
	MOVD R5, R12

// S4_FMA adds eight values of four keys (loaded by KEYS4) times the
// query's eight (loaded here) to their lanes V0:V1 ... V6:V7.
#define S4_FMA \
	VLD1.P 32(R7), [V16.S4, V17.S4] \
	FMLA4(16, 18, 0) \
	FMLA4(17, 19, 1) \
	FMLA4(16, 20, 2) \
	FMLA4(17, 21, 3) \
	FMLA4(16, 22, 4) \
	FMLA4(17, 23, 5) \
	FMLA4(16, 24, 6) \
	FMLA4(17, 25, 7)

// S4_STORE reduces the four keys' lanes as the AVX2 group network does
// and stores the four scores, times the scale; then on to the next four.
#define S4_STORE \
	FADDP4(1, 0, 0) \
	FADDP4(3, 2, 2) \
	FADDP4(5, 4, 4) \
	FADDP4(7, 6, 6) \
	FADDP4(2, 0, 0) \
	FADDP4(6, 4, 4) \
	FADDP4(4, 0, 0) \
	FMUL4(31, 0, 0) \
	VST1.P [V0.S4], 16(R0) \
	ADD    R3<<2, R2, R2

#define S1_START \
	VZERO(0) \
	VZERO(1) \
	MOVD R1, R7 \
	MOVD R2, R8 \
	MOVD R5, R12

#define S1_FMA \
	VLD1.P 32(R7), [V16.S4, V17.S4] \
	FMLA4(16, 18, 0) \
	FMLA4(17, 19, 1)

// S1_STORE: (lo+hi), then pairs, then the pair sums, as S1_STORE1 in
// attn_fma_amd64.s; times the scale.
#define S1_STORE \
	FADD4(1, 0, 0) \
	FADDP4(0, 0, 0) \
	FADDPS(0, 0) \
	FMULS   F31, F0, F0 \
	FMOVS.P F0, 4(R0) \
	ADD     R3, R2, R2

// M_START: R6 the weights, R7 row 0's slice, R8 the rows to go.
#define M_START \
	MOVD R1, R6 \
	MOVD R2, R7 \
	MOVD n+32(FP), R8

// ROW64_F32 and ROW64_F16 add 64 values of the row at R7 times the
// weight in V16 to V0-V15; ROW8_* eight of them to V0:V1.
#define ROW64_F32 \
	MOVD   R7, R9 \
	VLD1.P 64(R9), [V20.S4, V21.S4, V22.S4, V23.S4] \
	VLD1.P 64(R9), [V24.S4, V25.S4, V26.S4, V27.S4] \
	FMLA4(16, 20, 0) \
	FMLA4(16, 21, 1) \
	FMLA4(16, 22, 2) \
	FMLA4(16, 23, 3) \
	FMLA4(16, 24, 4) \
	FMLA4(16, 25, 5) \
	FMLA4(16, 26, 6) \
	FMLA4(16, 27, 7) \
	VLD1.P 64(R9), [V20.S4, V21.S4, V22.S4, V23.S4] \
	VLD1   (R9), [V24.S4, V25.S4, V26.S4, V27.S4] \
	FMLA4(16, 20, 8) \
	FMLA4(16, 21, 9) \
	FMLA4(16, 22, 10) \
	FMLA4(16, 23, 11) \
	FMLA4(16, 24, 12) \
	FMLA4(16, 25, 13) \
	FMLA4(16, 26, 14) \
	FMLA4(16, 27, 15)

#define WIDEN32 \
	FCVTL(20, 24) \
	FCVTL2(20, 25) \
	FCVTL(21, 26) \
	FCVTL2(21, 27) \
	FCVTL(22, 28) \
	FCVTL2(22, 29) \
	FCVTL(23, 30) \
	FCVTL2(23, 31)

#define ROW64_F16 \
	MOVD   R7, R9 \
	VLD1.P 64(R9), [V20.H8, V21.H8, V22.H8, V23.H8] \
	WIDEN32 \
	FMLA4(16, 24, 0) \
	FMLA4(16, 25, 1) \
	FMLA4(16, 26, 2) \
	FMLA4(16, 27, 3) \
	FMLA4(16, 28, 4) \
	FMLA4(16, 29, 5) \
	FMLA4(16, 30, 6) \
	FMLA4(16, 31, 7) \
	VLD1   (R9), [V20.H8, V21.H8, V22.H8, V23.H8] \
	WIDEN32 \
	FMLA4(16, 24, 8) \
	FMLA4(16, 25, 9) \
	FMLA4(16, 26, 10) \
	FMLA4(16, 27, 11) \
	FMLA4(16, 28, 12) \
	FMLA4(16, 29, 13) \
	FMLA4(16, 30, 14) \
	FMLA4(16, 31, 15)

#define ROW8_F32 \
	VLD1 (R7), [V20.S4, V21.S4] \
	FMLA4(16, 20, 0) \
	FMLA4(16, 21, 1)

#define ROW8_F16 \
	VLD1 (R7), [V20.H8] \
	FCVTL(20, 24) \
	FCVTL2(20, 25) \
	FMLA4(16, 24, 0) \
	FMLA4(16, 25, 1)

#define STORE64 \
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0) \
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0) \
	VST1.P [V8.S4, V9.S4, V10.S4, V11.S4], 64(R0) \
	VST1.P [V12.S4, V13.S4, V14.S4, V15.S4], 64(R0)

// SCORES_KERNEL is a one-head scores kernel's body (keys 1<<eshift bytes
// an element, loaded by KEYS4 and KEY1): keys in whole eight-key groups
// four at a time with the group reduction, the rest one at a time with
// the single key's.
#define SCORES_KERNEL(eshift, KEYS4, KEY1) \
	S_ARGS(eshift) \
	AND $-8, R4, R6 \
	SUB R6, R4, R4 \
	CBZ R6, one \
four: \
	S4_START \
four8: \
	KEYS4 \
	S4_FMA \
	SUBS $32, R12, R12 \
	BNE  four8 \
	S4_STORE \
	SUBS $4, R6, R6 \
	BNE  four \
one: \
	CBZ R4, done \
	S1_START \
one8: \
	KEY1 \
	S1_FMA \
	SUBS $32, R12, R12 \
	BNE  one8 \
	S1_STORE \
	SUB  $1, R4 \
	B    one \
done:

// MIX_KERNEL is a one-head mix kernel's body (values 1<<eshift bytes an
// element, ROW64 and ROW8 adding 64 or 8 of a row): 64 outputs at a time
// stay in registers while every row goes past them, then eight at a time.
#define MIX_KERNEL(eshift, ROW64, ROW8) \
	M_ARGS(eshift) \
block: \
	CMP $64, R5 \
	BLT chunk \
	ZERO16 \
	M_START \
row64: \
	VLD1R.P 4(R6), [V16.S4] \
	ROW64 \
	ADD     R3, R7, R7 \
	SUBS    $1, R8, R8 \
	BNE     row64 \
	STORE64 \
	ADD     $(64<<eshift), R2 \
	SUB     $64, R5 \
	B       block \
chunk: \
	CBZ   R5, done \
	VZERO(0) \
	VZERO(1) \
	M_START \
row8: \
	VLD1R.P 4(R6), [V16.S4] \
	ROW8 \
	ADD     R3, R7, R7 \
	SUBS    $1, R8, R8 \
	BNE     row8 \
	VST1.P  [V0.S4, V1.S4], 32(R0) \
	ADD     $(8<<eshift), R2 \
	SUB     $8, R5 \
	B       chunk \
done:

// func attnScoresFMA(att, q, k *float32, stride, n, hd int, scale float32)
// att[j] = (q · k[j*stride : j*stride+hd]) * scale for j < n; hd is a
// multiple of 8.
TEXT ·attnScoresFMA(SB), NOSPLIT, $0-52
	SCORES_KERNEL(2, KEYS4_F32, KEY1_F32)
	RET

// func attnScoresFMA16(att, q *float32, k *uint16, stride, n, hd int, scale float32)
// attnScoresFMA over f16 keys.
TEXT ·attnScoresFMA16(SB), NOSPLIT, $0-52
	SCORES_KERNEL(1, KEYS4_F16, KEY1_F16)
	RET

// func attnMixFMA(o, att, v *float32, stride, n, hd int)
// o[i] = the running fused sum over j < n of att[j] * v[j*stride+i]; n
// is at least 1 and hd a multiple of 8.
TEXT ·attnMixFMA(SB), NOSPLIT, $0-48
	MIX_KERNEL(2, ROW64_F32, ROW8_F32)
	RET

// func attnMixFMA16(o, att *float32, v *uint16, stride, n, hd int)
// attnMixFMA over f16 values.
TEXT ·attnMixFMA16(SB), NOSPLIT, $0-48
	MIX_KERNEL(1, ROW64_F16, ROW8_F16)
	RET
