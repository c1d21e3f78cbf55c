//go:build arm64

#include "textflag.h"
#include "neon_arm64.h"

// NEON row dots of the k-quants (ggml's Q4_K, Q5_K and Q6_K against Q8_K
// activations), each block's integer sums exact and in the eight lanes of
// llama.cpp's AVX2 code (V16: values 0-15 of each 32, V17: 16-31), so
// that the float work is dot_amd64.s's and q5_K's bit for bit (see
// dot_arm64.s).

// SCALES_K reads the 16-byte header of a Q4_K or Q5_K block at R0 (and
// moves R0 past it): R5 = d and R6 = dmin (f16 bits), V21 and V22 = the
// scales of sub-blocks 0-3 and 4-7 as int32 lanes, V23 = the eight mins as
// int16 lanes (ggml's get_scale_min_k4, four at a time). Then MINS_K:
// S26 = float(Σ m_j·(bsums[2j] + bsums[2j+1])), R3 moving past the bsums.
#define SCALES_K \
	MOVHU 0(R0), R5 \
	MOVHU 2(R0), R6 \
	MOVWU 4(R0), R7 \
	MOVWU 8(R0), R8 \
	MOVWU 12(R0), R9 \
	ADD   $16, R0 \
	ANDW  $0x3f3f3f3f, R7, R10 \
	ANDW  $0x0f0f0f0f, R9, R11 \
	LSRW  $6, R7, R12 \
	ANDW  $0x03030303, R12, R12 \
	ORRW  R12<<4, R11, R11 \
	ORR   R11<<32, R10, R10 \
	ANDW  $0x3f3f3f3f, R8, R11 \
	LSRW  $4, R9, R12 \
	ANDW  $0x0f0f0f0f, R12, R12 \
	LSRW  $6, R8, R13 \
	ANDW  $0x03030303, R13, R13 \
	ORRW  R13<<4, R12, R12 \
	ORR   R12<<32, R11, R11 \
	FMOVD R10, F20 \
	FMOVD R11, F23 \
	UXTL8H(20, 20) \
	UXTL4S(20, 21) \
	UXTL24S(20, 22) \
	UXTL8H(23, 23)

#define MINS_K \
	VLD1.P 32(R3), [V24.H8, V25.H8] \
	ADDP8H(25, 24, 24) \
	SMULL4(24, 23, 26) \
	SMLAL24(24, 23, 26) \
	ADDV4(26, 26) \
	SCVTFS(26, 26)

// K_START takes the five arguments of a Q4_K or Q5_K row dot (R0-R4),
// sets V31 to 0x0f in every byte and zeroes summs and the float lanes.
#define K_START \
	MOVD  w+0(FP), R0 \
	MOVD  qs+8(FP), R1 \
	MOVD  d+16(FP), R2 \
	MOVD  bsums+24(FP), R3 \
	MOVD  nb+32(FP), R4 \
	VMOVI $15, V31.B16 \
	VEOR  V27.B16, V27.B16, V27.B16 \
	VEOR  V28.B16, V28.B16, V28.B16 \
	VEOR  V29.B16, V29.B16, V29.B16

// K_FLOAT ends a Q4_K or Q5_K block: summs (S27) = fma(summ (S26),
// f16(dmin)·a.D, summs), and the float lanes V28:V29 = fma(f16(d)·a.D,
// float(V16:V17), V28:V29), a.D read at R2 (moving on). refDotQ5_K adds
// the negated products into its summs; subtracting ours at the end is the
// same in every bit, rounding to nearest being symmetric.
#define K_FLOAT \
	BLOCK_FMA(R5) \
	FMOVS   R6, F14 \
	FCVTHS  F14, F14 \
	FMULS   F12, F14, F14 \
	FMADDS  F14, F27, F26, F27

// NIBBLES_K loads one 32-byte chunk of qs (R0) and the 64 activations of
// its two sub-blocks (R1): low nibbles into V4:V5, high into V0:V1 (V31 =
// 0x0f in every byte).
#define NIBBLES_K \
	VLD1.P 32(R0), [V0.B16, V1.B16] \
	VLD1.P 64(R1), [V8.B16, V9.B16, V10.B16, V11.B16] \
	VAND   V31.B16, V0.B16, V4.B16 \
	VAND   V31.B16, V1.B16, V5.B16 \
	VUSHR  $4, V0.B16, V0.B16 \
	VUSHR  $4, V1.B16, V1.B16

// func dotQ4_KSDOT(w *byte, qs *int8, d *float32, bsums *int16, nb int) float32
// As dotQ4_KAVX2: x·y = Σ_blocks d·Σ_j sc_j·(q·y)_j in eight float lanes,
// reduced as GGML_F32x8_REDUCE, minus Σ_blocks dmin·Σ_j m_j·sum(y)_j
// fused into one scalar.
TEXT ·dotQ4_KSDOT(SB), NOSPLIT, $0-44
	K_START
k4loop:
	SCALES_K
	MINS_K
	VEOR  V16.B16, V16.B16, V16.B16
	VEOR  V17.B16, V17.B16, V17.B16
	NIBBLES_K
	DOTS_K(21, 0, 21, 1)
	NIBBLES_K
	DOTS_K(21, 2, 21, 3)
	NIBBLES_K
	DOTS_K(22, 0, 22, 1)
	NIBBLES_K
	DOTS_K(22, 2, 22, 3)
	K_FLOAT
	SUBS    $1, R4, R4
	BNE     k4loop
	HSUM_HADD
	FSUBS   F27, F28, F28
	FMOVS   F28, ret+40(FP)
	RET

// Q6LO(shl, qh, ql, q): q = (ql & 0x0f) | ((qh << shl) & 0x30), minus 32
// (V31 = 0x0f, V30 = 0x30, V26 = 32 in every byte; V6 is scratch).
#define Q6LO(shl, qh, ql, q) \
	VSHL  $shl, qh, V6.B16 \
	VAND  V30.B16, V6.B16, V6.B16 \
	VAND  V31.B16, ql, q \
	VORR  V6.B16, q, q \
	VSUB  V26.B16, q, q

// Q6HI3: ql = (ql >> 4) | (qh & 0x30), minus 32.
#define Q6HI3(qh, ql) \
	VUSHR $4, ql, ql \
	VAND  V30.B16, qh, V6.B16 \
	VORR  V6.B16, ql, ql \
	VSUB  V26.B16, ql, ql

// Q6HI4: ql = (ql >> 4) | ((qh >> 2) & 0x30), minus 32.
#define Q6HI4(qh, ql) \
	VUSHR $4, ql, ql \
	VUSHR $2, qh, V6.B16 \
	VAND  V30.B16, V6.B16, V6.B16 \
	VORR  V6.B16, ql, ql \
	VSUB  V26.B16, ql, ql

// Q6G(y, q, t, s, si, lane): lane += (q·y over 16 values, four bytes per
// int32 lane) times scale si of V(s); t is scratch.
#define Q6G(y, q, t, s, si, lane) \
	VZERO(t) \
	SDOT(y, q, t) \
	MLAE4(s, si, t, lane)

// HALF_Q6_K adds one half block (128 values: 64 bytes of ql at R0, 32 of
// qh at R5, 8 scales at R6) times its activations (R1) to the lanes
// V16:V17. Value l of each 32 is, in y order, ql[l]&15 | qh[l]&3<<4,
// ql[l+32]&15 | qh[l]>>2&3<<4, ql[l]>>4 | qh[l]>>4&3<<4, ql[l+32]>>4 |
// qh[l]>>6<<4, each minus 32, and every 16 values share one int8 scale:
// the first 16 of each 32 go to V16, the others to V17.
#define HALF_Q6_K \
	VLD1.P 64(R0), [V0.B16, V1.B16, V2.B16, V3.B16] \
	VLD1.P 32(R5), [V4.B16, V5.B16] \
	MOVD.P 8(R6), R7 \
	FMOVD  R7, F23 \
	SXTL8H(23, 23) \
	SXTL4S(23, 24) \
	SXTL24S(23, 25) \
	Q6LO(4, V4.B16, V0.B16, V7.B16) \
	Q6LO(4, V5.B16, V1.B16, V9.B16) \
	Q6LO(2, V4.B16, V2.B16, V8.B16) \
	Q6LO(2, V5.B16, V3.B16, V10.B16) \
	Q6HI3(V4.B16, V0.B16) \
	Q6HI3(V5.B16, V1.B16) \
	Q6HI4(V4.B16, V2.B16) \
	Q6HI4(V5.B16, V3.B16) \
	VLD1.P 64(R1), [V11.B16, V12.B16, V13.B16, V14.B16] \
	Q6G(11, 7, 15, 24, 0, 16) \
	Q6G(12, 9, 18, 24, 1, 17) \
	Q6G(13, 8, 19, 24, 2, 16) \
	Q6G(14, 10, 20, 24, 3, 17) \
	VLD1.P 64(R1), [V11.B16, V12.B16, V13.B16, V14.B16] \
	Q6G(11, 0, 15, 25, 0, 16) \
	Q6G(12, 1, 18, 25, 1, 17) \
	Q6G(13, 2, 19, 25, 2, 16) \
	Q6G(14, 3, 20, 25, 3, 17)

// func dotQ6_KSDOT(w *byte, qs *int8, d *float32, nb int) float32
// As dotQ6_KAVX2: per block the lanes times d·a.D, fused into eight
// float lanes, reduced as hsum_float_8.
TEXT ·dotQ6_KSDOT(SB), NOSPLIT, $0-36
	MOVD  w+0(FP), R0
	MOVD  qs+8(FP), R1
	MOVD  d+16(FP), R2
	MOVD  nb+24(FP), R3
	VMOVI $15, V31.B16
	VMOVI $48, V30.B16
	VMOVI $32, V26.B16
	VEOR  V28.B16, V28.B16, V28.B16
	VEOR  V29.B16, V29.B16, V29.B16
k6loop:
	ADD     $128, R0, R5 // qh
	ADD     $192, R0, R6 // scales, then d
	VEOR    V16.B16, V16.B16, V16.B16
	VEOR    V17.B16, V17.B16, V17.B16
	HALF_Q6_K
	HALF_Q6_K
	MOVHU   (R6), R7
	ADD     $2, R6, R0
	BLOCK_FMA(R7)
	SUBS    $1, R3, R3
	BNE     k6loop
	HSUM8
	FMOVS   F28, ret+32(FP)
	RET

// FIFTH(q, qh): q |= (qh & 1) << 4, then qh >>= 1 (V30 = 1 in every
// byte; V6 is scratch): sub-block j's fifth bits are bit j of qh.
#define FIFTH(q, qh) \
	VAND  V30.B16, qh, V6.B16 \
	VSHL  $4, V6.B16, V6.B16 \
	VORR  V6.B16, q, q \
	VUSHR $1, qh, qh

// PAIR_Q5_K: NIBBLES_K with the fifth bits (the next two of qh, in V18:
// V19), then DOTS_K.
#define PAIR_Q5_K(s0, s0i, s1, s1i) \
	NIBBLES_K \
	FIFTH(V4.B16, V18.B16) \
	FIFTH(V5.B16, V19.B16) \
	FIFTH(V0.B16, V18.B16) \
	FIFTH(V1.B16, V19.B16) \
	DOTS_K(s0, s0i, s1, s1i)

// func dotQ5_KSDOT(w *byte, qs *int8, d *float32, bsums *int16, nb int) float32
// Bit for bit refDotQ5_K (dot_q5k.go): the eight int32 lanes of each
// block are converted and fused-multiply-added with d into eight float
// lanes (V28, V29), the mins go into the fused scalar summs (F27), and
// the lanes are summed as hsum_float_8 does.
TEXT ·dotQ5_KSDOT(SB), NOSPLIT, $0-44
	K_START
	VMOVI $1, V30.B16
k5loop:
	SCALES_K
	MINS_K
	VLD1.P 32(R0), [V18.B16, V19.B16]
	VEOR   V16.B16, V16.B16, V16.B16
	VEOR   V17.B16, V17.B16, V17.B16
	PAIR_Q5_K(21, 0, 21, 1)
	PAIR_Q5_K(21, 2, 21, 3)
	PAIR_Q5_K(22, 0, 22, 1)
	PAIR_Q5_K(22, 2, 22, 3)
	K_FLOAT
	SUBS    $1, R4, R4
	BNE     k5loop

	// ((acc0+acc4) + (acc2+acc6)) + ((acc1+acc5) + (acc3+acc7)) + summs
	HSUM8
	FSUBS   F27, F28, F28
	FMOVS   F28, ret+40(FP)
	RET
