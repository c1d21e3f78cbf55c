//go:build arm64

#include "textflag.h"
#include "neon_arm64.h"

// Four-token NEON kernels for prefill: each weight block is loaded and
// unpacked once for four tokens, and every token's float work is its
// row dot's (dot_arm64.s, dot_k_arm64.s) step for step, so out[t] is
// the row dot of token t bit for bit (TestQuadMatchesSingle), and a
// token's logits do not depend on the tokens batched with it.

// X4_PTRS reads the arguments shared by the four-token kernels: R0 the
// weights, R1/R7/R8/R9 the four tokens' quants (R5 bytes apart, qsz
// bytes a block), R2/R10/R11/R12 their scales (R6 bytes apart), R3 nb.
#define X4_PTRS(qsz) \
	MOVD w+0(FP), R0 \
	MOVD qs+8(FP), R1 \
	MOVD d+16(FP), R2 \
	MOVD nb+24(FP), R3 \
	MOVD tokBlocks+32(FP), R4 \
	MOVD $qsz, R5 \
	MUL  R4, R5, R5 \
	LSL  $2, R4, R6 \
	ADD  R5, R1, R7 \
	ADD  R5, R7, R8 \
	ADD  R5, R8, R9 \
	ADD  R6, R2, R10 \
	ADD  R6, R10, R11 \
	ADD  R6, R11, R12

// TOK_LANES adds one token's part of a 32-value block whose weights are
// in V0:V1 and f16 scale (widened) in F6: its activations (q, moving on)
// times the weights in two SDOT lanes, converted, times f16(w)·a.D (d,
// moving on), fused into its float lanes lo:hi, as BLOCK_LANES.
#define TOK_LANES(q, d, lo, hi) \
	VLD1.P  32(q), [V2.B16, V3.B16] \
	FMOVS.P 4(d), F5 \
	VZERO(4) \
	VZERO(7) \
	SDOT(2, 0, 4) \
	SDOT(3, 1, 7) \
	SCVTF4(4, 4) \
	SCVTF4(7, 7) \
	FMULS   F5, F6, F8 \
	FMLAE(8, 4, lo) \
	FMLAE(8, 7, hi)

#define TOK4(l0, h0, l1, h1, l2, h2, l3, h3) \
	TOK_LANES(R1, R2, l0, h0) \
	TOK_LANES(R7, R10, l1, h1) \
	TOK_LANES(R8, R11, l2, h2) \
	TOK_LANES(R9, R12, l3, h3)

// W_Q8_0 and W_Q4_0 load one weight block into V0:V1 (values 0-15 :
// 16-31) and its scale, widened, into F6 (V14 = 0x0f, V15 = 8 in every
// byte for Q4_0).
#define W_Q8_0 \
	MOVHU.P 2(R0), R13 \
	VLD1.P  32(R0), [V0.B16, V1.B16] \
	FMOVS   R13, F6 \
	FCVTHS  F6, F6

#define W_Q4_0 \
	MOVHU.P 2(R0), R13 \
	VLD1.P  16(R0), [V1.B16] \
	FMOVS   R13, F6 \
	FCVTHS  F6, F6 \
	VAND    V14.B16, V1.B16, V0.B16 \
	VUSHR   $4, V1.B16, V1.B16 \
	VSUB    V15.B16, V0.B16, V0.B16 \
	VSUB    V15.B16, V1.B16, V1.B16

#define ZERO_ACC(a, b, c, d, e, f, g, h) \
	VZERO(a) \
	VZERO(b) \
	VZERO(c) \
	VZERO(d) \
	VZERO(e) \
	VZERO(f) \
	VZERO(g) \
	VZERO(h)

// HSUM8_TO is HSUM8 on the lanes lo:hi (numbers; Vlo, Vhi and Flo name
// the same registers), the sum stored at off(R15).
#define HSUM8_TO(lo, hi, Vlo, Vhi, Flo, off) \
	FADD4(hi, lo, lo) \
	VEXT  $8, Vlo.B16, Vlo.B16, Vhi.B16 \
	FADD4(hi, lo, lo) \
	FADDPS(lo, lo) \
	FMOVS Flo, off(R15)

#define HSUM8_4 \
	HSUM8_TO(16, 17, V16, V17, F16, 0) \
	HSUM8_TO(18, 19, V18, V19, F18, 4) \
	HSUM8_TO(20, 21, V20, V21, F20, 8) \
	HSUM8_TO(22, 23, V22, V23, F22, 12)

// K4_ARGS reads a k-quant four-token kernel's arguments: X4_PTRS with
// quants 256 bytes a block, and R19-R22 the tokens' bsums.
#define K4_ARGS \
	MOVD w+0(FP), R0 \
	MOVD qs+8(FP), R1 \
	MOVD d+16(FP), R2 \
	MOVD bsums+24(FP), R19 \
	MOVD nb+32(FP), R3 \
	MOVD tokBlocks+40(FP), R4 \
	LSL  $8, R4, R5 \
	LSL  $2, R4, R6 \
	LSL  $5, R4, R13 \
	ADD  R5, R1, R7 \
	ADD  R5, R7, R8 \
	ADD  R5, R8, R9 \
	ADD  R6, R2, R10 \
	ADD  R6, R10, R11 \
	ADD  R6, R11, R12 \
	ADD  R13, R19, R20 \
	ADD  R13, R20, R21 \
	ADD  R13, R21, R22 \
	VMOVI $15, V14.B16 \
	VZERO(15) \
	ZERO_ACC(16, 17, 18, 19, 20, 21, 22, 23)

// func dotQ8_0x4SDOT(w *byte, qs *int8, d *float32, nb, tokBlocks int, out *[4]float32)
TEXT ·dotQ8_0x4SDOT(SB), NOSPLIT, $0-48
	X4_PTRS(32)
	MOVD out+40(FP), R15
	ZERO_ACC(16, 17, 18, 19, 20, 21, 22, 23)

loop:
	W_Q8_0
	TOK4(16, 17, 18, 19, 20, 21, 22, 23)
	SUBS $1, R3, R3
	BNE  loop

	HSUM8_4
	RET

// func dotQ4_0x4SDOT(w *byte, qs *int8, d *float32, nb, tokBlocks int, out *[4]float32)
// As dotQ4_0SDOT: each token's even blocks into V16-V23, its odd ones
// into V24-V31, added before the sum.
TEXT ·dotQ4_0x4SDOT(SB), NOSPLIT, $0-48
	X4_PTRS(32)
	MOVD  out+40(FP), R15
	VMOVI $15, V14.B16
	VMOVI $8, V15.B16
	ZERO_ACC(16, 17, 18, 19, 20, 21, 22, 23)
	ZERO_ACC(24, 25, 26, 27, 28, 29, 30, 31)
	LSR   $1, R3, R4
	CBZ   R4, tail

pairs:
	W_Q4_0
	TOK4(16, 17, 18, 19, 20, 21, 22, 23)
	W_Q4_0
	TOK4(24, 25, 26, 27, 28, 29, 30, 31)
	SUBS  $1, R4, R4
	BNE   pairs

tail:
	TBZ   $0, R3, sum
	W_Q4_0
	TOK4(16, 17, 18, 19, 20, 21, 22, 23)

sum:
	FADD4(24, 16, 16)
	FADD4(25, 17, 17)
	FADD4(26, 18, 18)
	FADD4(27, 19, 19)
	FADD4(28, 20, 20)
	FADD4(29, 21, 21)
	FADD4(30, 22, 22)
	FADD4(31, 23, 23)
	HSUM8_4
	RET

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

// AD4 gathers the four tokens' a.D of this block into V10 (post: on to
// the next block, or not).
#define AD4 \
	VLD1 (R2), V10.S[0] \
	VLD1 (R10), V10.S[1] \
	VLD1 (R11), V10.S[2] \
	VLD1 (R12), V10.S[3]

#define AD4_NEXT \
	VLD1.P 4(R2), V10.S[0] \
	VLD1.P 4(R10), V10.S[1] \
	VLD1.P 4(R11), V10.S[2] \
	VLD1.P 4(R12), V10.S[3]

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

// FLOAT_K4(dv): each token's int32 lanes converted, times lane t of
// V(dv) (f16(d)·a.D), fused into its float lanes, as BLOCK_FMA.
#define FLOAT_K4(dv) \
	SCVTF4(24, 24) \
	SCVTF4(25, 25) \
	SCVTF4(26, 26) \
	SCVTF4(27, 27) \
	SCVTF4(28, 28) \
	SCVTF4(29, 29) \
	SCVTF4(30, 30) \
	SCVTF4(31, 31) \
	FMLAEI(dv, 0, 24, 16) \
	FMLAEI(dv, 0, 25, 17) \
	FMLAEI(dv, 1, 26, 18) \
	FMLAEI(dv, 1, 27, 19) \
	FMLAEI(dv, 2, 28, 20) \
	FMLAEI(dv, 2, 29, 21) \
	FMLAEI(dv, 3, 30, 22) \
	FMLAEI(dv, 3, 31, 23)

// HADD_TO: HSUM_HADD on lanes lo:hi minus lane t of V15 (summs), stored
// at off(R15).
#define HADD_TO(lo, hi, Flo, t, off) \
	FADD4(hi, lo, lo) \
	FADDP4(lo, lo, lo) \
	FADDPS(lo, lo) \
	VMOV  V15.S[t], V10.S[0] \
	FSUBS F10, Flo, Flo \
	FMOVS Flo, off(R15)

// K4_END: every token's int32 lanes times f16(d)·a.D (d's bits in R4)
// into its float lanes.
#define K4_END \
	AD4_NEXT \
	FMOVS  R4, F13 \
	FCVTHS F13, F13 \
	FMULE(13, 10, 13) \
	FLOAT_K4(13)

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
