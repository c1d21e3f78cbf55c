//go:build arm64

#include "textflag.h"
#include "neon_arm64.h"
#include "dot4_arm64.h"

// Four-token NEON kernels for prefill: each weight block is loaded and
// unpacked once for four tokens, and every token's float work is its
// row dot's (dot_arm64.s, dot_k_arm64.s) step for step, so out[t] is
// the row dot of token t bit for bit (TestQuadMatchesSingle), and a
// token's logits do not depend on the tokens batched with it.

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
