//go:build arm64

#include "textflag.h"
#include "neon_arm64.h"
#include "dot4_arm64.h"

// The Q4_K kernel's registers: V0:V1 and V2:V3 the quants of a chunk's
// two sub-blocks, V4-V7 one token's 64 activations, V8:V9 the block's
// eight scales (int32 lanes), V10-V13 scratch, V14 0x0f in every byte,
// V15 the four tokens' summs (lane t: token t), V16-V23 their float
// lanes, V24-V31 their int32 lanes for the block. R19-R22 point at the
// tokens' bsums.

// SCALES_K4 is SCALES_K into V8:V9 (scales) and V13 (mins), R4 = d and
// R5 = dmin, with its scratch moved off the token pointers.
#define SCALES_K4 \
	MOVHU 0(R0), R4 \
	MOVHU 2(R0), R5 \
	MOVWU 4(R0), R6 \
	MOVWU 8(R0), R13 \
	MOVWU 12(R0), R14 \
	ADD   $16, R0 \
	ANDW  $0x3f3f3f3f, R6, R16 \
	ANDW  $0x0f0f0f0f, R14, R17 \
	LSRW  $6, R6, R23 \
	ANDW  $0x03030303, R23, R23 \
	ORRW  R23<<4, R17, R17 \
	ORR   R17<<32, R16, R16 \
	ANDW  $0x3f3f3f3f, R13, R17 \
	LSRW  $4, R14, R23 \
	ANDW  $0x0f0f0f0f, R23, R23 \
	LSRW  $6, R13, R24 \
	ANDW  $0x03030303, R24, R24 \
	ORRW  R24<<4, R23, R23 \
	ORR   R23<<32, R17, R17 \
	FMOVD R16, F10 \
	FMOVD R17, F13 \
	UXTL8H(10, 10) \
	UXTL4S(10, 8) \
	UXTL24S(10, 9) \
	UXTL8H(13, 13)

// MINS_K4(b, lane): token lane's Σ m_j·(bsums[2j]+bsums[2j+1]) (b its
// bsums, moving on), as float, into that lane of V12.
#define MINS_K4(b, lane) \
	VLD1.P 32(b), [V10.H8, V11.H8] \
	ADDP8H(11, 10, 10) \
	SMULL4(10, 13, 11) \
	SMLAL24(10, 13, 11) \
	ADDV4(11, 11) \
	SCVTFS(11, 11) \
	VMOV   V11.S[0], V12.S[lane]

// SUMMS_K4: every token's summs = fma(summ, f16(dmin)·a.D, summs), as
// K_FLOAT, one token a lane.
#define SUMMS_K4 \
	MINS_K4(R19, 0) \
	MINS_K4(R20, 1) \
	MINS_K4(R21, 2) \
	MINS_K4(R22, 3) \
	AD4 \
	FMOVS  R5, F11 \
	FCVTHS F11, F11 \
	FMULE(11, 10, 11) \
	FMLA4(11, 12, 15)

// CHUNK_K4 unpacks the 32-byte chunk at R0 (sub-blocks 2c and 2c+1).
#define CHUNK_K4 \
	VLD1.P 32(R0), [V2.B16, V3.B16] \
	VAND   V14.B16, V2.B16, V0.B16 \
	VAND   V14.B16, V3.B16, V1.B16 \
	VUSHR  $4, V2.B16, V2.B16 \
	VUSHR  $4, V3.B16, V3.B16

// TOK_K4(q, s, i0, lo, hi): one token's 64 activations (q, moving on)
// times the chunk's quants, scaled by lanes i0 and i0+1 of V(s), into
// its int32 lanes lo:hi (DOTS_K).
#define TOK_K4(q, s, i0, lo, hi) \
	VLD1.P 64(q), [V4.B16, V5.B16, V6.B16, V7.B16] \
	VZERO(10) \
	VZERO(11) \
	VZERO(12) \
	VZERO(13) \
	SDOT(4, 0, 10) \
	SDOT(5, 1, 11) \
	SDOT(6, 2, 12) \
	SDOT(7, 3, 13) \
	MLAE4(s, i0, 10, lo) \
	MLAE4(s, i0, 11, hi) \
	MLAE4(s, i0+1, 12, lo) \
	MLAE4(s, i0+1, 13, hi)

#define CHUNK4_K4(s, i0) \
	CHUNK_K4 \
	TOK_K4(R1, s, i0, 24, 25) \
	TOK_K4(R7, s, i0, 26, 27) \
	TOK_K4(R8, s, i0, 28, 29) \
	TOK_K4(R9, s, i0, 30, 31)

// HADD_TO: HSUM_HADD on lanes lo:hi minus lane t of V15 (summs), stored
// at off(R15).
#define HADD_TO(lo, hi, Flo, t, off) \
	FADD4(hi, lo, lo) \
	FADDP4(lo, lo, lo) \
	FADDPS(lo, lo) \
	VMOV  V15.S[t], V10.S[0] \
	FSUBS F10, Flo, Flo \
	FMOVS Flo, off(R15)

// func dotQ4_Kx4SDOT(w *byte, qs *int8, d *float32, bsums *int16, nb, tokBlocks int, out *[4]float32)
TEXT ·dotQ4_Kx4SDOT(SB), NOSPLIT, $0-56
	K4_ARGS

block:
	SCALES_K4
	SUMMS_K4
	ZERO_ACC(24, 25, 26, 27, 28, 29, 30, 31)
	CHUNK4_K4(8, 0)
	CHUNK4_K4(8, 2)
	CHUNK4_K4(9, 0)
	CHUNK4_K4(9, 2)
	K4_END
	SUBS   $1, R3, R3
	BNE    block

	MOVD out+48(FP), R15
	HADD_TO(16, 17, F16, 0, 0)
	HADD_TO(18, 19, F18, 1, 4)
	HADD_TO(20, 21, F20, 2, 8)
	HADD_TO(22, 23, F22, 3, 12)
	RET

// The Q6_K kernel decodes 64 values at a time into V0-V3 (sixteen values
// a register, each group of sixteen with its own scale) and runs the
// four tokens over them, 32 activations at a time (V4:V5, products in
// V6:V7). V8:V9 hold the half block's eight scales, V10-V13 and V4:V5
// the raw ql and qh while decoding, V14 = 0x0f, V15 = 0x30 and V6 = 32
// in every byte then; V16-V23 and V24-V31 as in the Q4_K kernel. R0 is
// the block's ql, R13 its qh, R14 its scales.

// Q6LOX and Q6HI3X/Q6HI4X are Q6LO, Q6HI3 and Q6HI4 (dot_k_arm64.s) into
// q, leaving ql (and qh) as they were; V7 is scratch.
#define Q6LOX(shl, qh, ql, q) \
	VSHL  $shl, qh, V7.B16 \
	VAND  V15.B16, V7.B16, V7.B16 \
	VAND  V14.B16, ql, q \
	VORR  V7.B16, q, q \
	VSUB  V6.B16, q, q

#define Q6HI3X(qh, ql, q) \
	VUSHR $4, ql, q \
	VAND  V15.B16, qh, V7.B16 \
	VORR  V7.B16, q, q \
	VSUB  V6.B16, q, q

#define Q6HI4X(qh, ql, q) \
	VUSHR $4, ql, q \
	VUSHR $2, qh, V7.B16 \
	VAND  V15.B16, V7.B16, V7.B16 \
	VORR  V7.B16, q, q \
	VSUB  V6.B16, q, q

#define RAW_Q6 \
	VLD1  (R0), [V10.B16, V11.B16, V12.B16, V13.B16] \
	VLD1  (R13), [V4.B16, V5.B16] \
	VMOVI $32, V6.B16

// LO_Q6 decodes values 0-63 of the half block, HI_Q6 64-127, in y order.
#define LO_Q6 \
	RAW_Q6 \
	Q6LOX(4, V4.B16, V10.B16, V0.B16) \
	Q6LOX(4, V5.B16, V11.B16, V1.B16) \
	Q6LOX(2, V4.B16, V12.B16, V2.B16) \
	Q6LOX(2, V5.B16, V13.B16, V3.B16)

#define HI_Q6 \
	RAW_Q6 \
	Q6HI3X(V4.B16, V10.B16, V0.B16) \
	Q6HI3X(V5.B16, V11.B16, V1.B16) \
	Q6HI4X(V4.B16, V12.B16, V2.B16) \
	Q6HI4X(V5.B16, V13.B16, V3.B16)

// TOK_Q6(q, s, lo, hi): one token's next 64 activations (q, moving on)
// times V0-V3, scaled by lanes 0-3 of V(s), into its int32 lanes lo:hi
// (Q6G's pairing: sixteen values at a time, alternating lo and hi).
#define TOK_Q6(q, s, lo, hi) \
	VLD1.P 32(q), [V4.B16, V5.B16] \
	VZERO(6) \
	VZERO(7) \
	SDOT(4, 0, 6) \
	SDOT(5, 1, 7) \
	MLAE4(s, 0, 6, lo) \
	MLAE4(s, 1, 7, hi) \
	VLD1.P 32(q), [V4.B16, V5.B16] \
	VZERO(6) \
	VZERO(7) \
	SDOT(4, 2, 6) \
	SDOT(5, 3, 7) \
	MLAE4(s, 2, 6, lo) \
	MLAE4(s, 3, 7, hi)

#define TOK4_Q6(s) \
	TOK_Q6(R1, s, 24, 25) \
	TOK_Q6(R7, s, 26, 27) \
	TOK_Q6(R8, s, 28, 29) \
	TOK_Q6(R9, s, 30, 31)

// HALF_Q6X is HALF_Q6_K for four tokens: the half's scales, then its two
// 64-value groups.
#define HALF_Q6X \
	MOVD.P 8(R14), R16 \
	FMOVD  R16, F8 \
	SXTL8H(8, 8) \
	SXTL24S(8, 9) \
	SXTL4S(8, 8) \
	LO_Q6 \
	TOK4_Q6(8) \
	HI_Q6 \
	TOK4_Q6(9) \
	ADD    $64, R0 \
	ADD    $32, R13

// func dotQ6_Kx4SDOT(w *byte, qs *int8, d *float32, nb, tokBlocks int, out *[4]float32)
TEXT ·dotQ6_Kx4SDOT(SB), NOSPLIT, $0-48
	X4_PTRS(256)
	MOVD  out+40(FP), R15
	VMOVI $15, V14.B16
	VMOVI $48, V15.B16
	ZERO_ACC(16, 17, 18, 19, 20, 21, 22, 23)

block:
	ADD    $128, R0, R13
	ADD    $192, R0, R14
	ZERO_ACC(24, 25, 26, 27, 28, 29, 30, 31)
	HALF_Q6X
	HALF_Q6X
	MOVHU  (R14), R16
	ADD    $2, R14, R0
	AD4_NEXT
	FMOVS  R16, F13
	FCVTHS F13, F13
	FMULE(13, 10, 13)
	FLOAT_K4(13)
	SUBS   $1, R3, R3
	BNE    block

	HSUM8_4
	RET

// The Q5_K kernel is the Q4_K one with each chunk's fifth bits or-ed in
// (FIFTH): V6:V7 hold the block's qh, shifted on as the chunks use their
// bits, and one token's activations come 32 at a time (V4:V5); V12 = 1
// in every byte and V13 scratch while a chunk is unpacked.

#define FIFTHX(q, qh) \
	VAND  V12.B16, qh, V13.B16 \
	VSHL  $4, V13.B16, V13.B16 \
	VORR  V13.B16, q, q \
	VUSHR $1, qh, qh

#define CHUNK_Q5K4 \
	CHUNK_K4 \
	VMOVI $1, V12.B16 \
	FIFTHX(V0.B16, V6.B16) \
	FIFTHX(V1.B16, V7.B16) \
	FIFTHX(V2.B16, V6.B16) \
	FIFTHX(V3.B16, V7.B16)

#define TOK_Q5K4(q, s, i0, lo, hi) \
	VLD1.P 32(q), [V4.B16, V5.B16] \
	VZERO(10) \
	VZERO(11) \
	SDOT(4, 0, 10) \
	SDOT(5, 1, 11) \
	VLD1.P 32(q), [V4.B16, V5.B16] \
	VZERO(12) \
	VZERO(13) \
	SDOT(4, 2, 12) \
	SDOT(5, 3, 13) \
	MLAE4(s, i0, 10, lo) \
	MLAE4(s, i0, 11, hi) \
	MLAE4(s, i0+1, 12, lo) \
	MLAE4(s, i0+1, 13, hi)

#define CHUNK4_Q5K4(s, i0) \
	CHUNK_Q5K4 \
	TOK_Q5K4(R1, s, i0, 24, 25) \
	TOK_Q5K4(R7, s, i0, 26, 27) \
	TOK_Q5K4(R8, s, i0, 28, 29) \
	TOK_Q5K4(R9, s, i0, 30, 31)

// HSUM8_SUB: HSUM8 on lanes lo:hi minus lane t of V15, stored at off(R15)
// (dotQ5_KSDOT's end).
#define HSUM8_SUB(lo, hi, Vlo, Vhi, Flo, t, off) \
	FADD4(hi, lo, lo) \
	VEXT  $8, Vlo.B16, Vlo.B16, Vhi.B16 \
	FADD4(hi, lo, lo) \
	FADDPS(lo, lo) \
	VMOV  V15.S[t], V10.S[0] \
	FSUBS F10, Flo, Flo \
	FMOVS Flo, off(R15)

// func dotQ5_Kx4SDOT(w *byte, qs *int8, d *float32, bsums *int16, nb, tokBlocks int, out *[4]float32)
TEXT ·dotQ5_Kx4SDOT(SB), NOSPLIT, $0-56
	K4_ARGS

block:
	SCALES_K4
	SUMMS_K4
	VLD1.P 32(R0), [V6.B16, V7.B16]
	ZERO_ACC(24, 25, 26, 27, 28, 29, 30, 31)
	CHUNK4_Q5K4(8, 0)
	CHUNK4_Q5K4(8, 2)
	CHUNK4_Q5K4(9, 0)
	CHUNK4_Q5K4(9, 2)
	K4_END
	SUBS   $1, R3, R3
	BNE    block

	MOVD out+48(FP), R15
	HSUM8_SUB(16, 17, V16, V17, F16, 0, 0)
	HSUM8_SUB(18, 19, V18, V19, F18, 1, 4)
	HSUM8_SUB(20, 21, V20, V21, F20, 2, 8)
	HSUM8_SUB(22, 23, V22, V23, F22, 3, 12)
	RET
