//go:build arm64

#include "textflag.h"
#include "neon_arm64.h"

// NEON row dots with SDOT (ARMv8.2 dotprod), the arm64 counterparts of
// dot_amd64.s. The integer part of each block is exact, as in the Go
// references (ref.go); the float part multiplies each block's int32 sums
// by its two scales, with lanes summed in another order than the
// references (dot_arm64_test.go bounds the difference).
// Go operand order: VAND Vm, Vn, Vd is Vd = Vn & Vm; VSUB Vm, Vn, Vd is
// Vd = Vn - Vm.

// BLOCK_Q8_0 adds one Q8_0 block times its activations to float lanes acc
// (R0: weights, R1: activation quants, R2: activation scales; all three
// advance). Clobbers V0-V6 and R4.
#define BLOCK_Q8_0(acc) \
	MOVHU.P 2(R0), R4 \
	VLD1.P  32(R0), [V0.B16, V1.B16] \
	VLD1.P  32(R1), [V2.B16, V3.B16] \
	FMOVS.P 4(R2), F5 \
	VEOR    V4.B16, V4.B16, V4.B16 \
	SDOT(2, 0, 4) \
	SDOT(3, 1, 4) \
	SCVTF4(4, 4) \
	FMOVS   R4, F6 \
	FCVTHS  F6, F6 \
	FMULS   F5, F6, F6 \
	FMLAE(6, 4, acc)

// BLOCK_Q4_0 is BLOCK_Q8_0 for Q4_0: byte j holds value j in its low
// nibble and j+16 in its high one, both offset by 8 (V30 = 0x0f, V31 = 8
// in every byte).
#define BLOCK_Q4_0(acc) \
	MOVHU.P 2(R0), R4 \
	VLD1.P  16(R0), [V0.B16] \
	VLD1.P  32(R1), [V2.B16, V3.B16] \
	FMOVS.P 4(R2), F5 \
	VAND    V30.B16, V0.B16, V1.B16 \
	VUSHR   $4, V0.B16, V0.B16 \
	VSUB    V31.B16, V1.B16, V1.B16 \
	VSUB    V31.B16, V0.B16, V0.B16 \
	VEOR    V4.B16, V4.B16, V4.B16 \
	SDOT(2, 1, 4) \
	SDOT(3, 0, 4) \
	SCVTF4(4, 4) \
	FMOVS   R4, F6 \
	FCVTHS  F6, F6 \
	FMULS   F5, F6, F6 \
	FMLAE(6, 4, acc)

// SUM2 leaves in F28 the sum of the float lanes of V28 and V29.
#define SUM2 \
	FADD4(29, 28, 28) \
	FADDP4(28, 28, 28) \
	FADDPS(28, 28)

// func dotQ8_0SDOT(w *byte, qs *int8, d *float32, nb int) float32
TEXT ·dotQ8_0SDOT(SB), NOSPLIT, $0-36
	MOVD w+0(FP), R0
	MOVD qs+8(FP), R1
	MOVD d+16(FP), R2
	MOVD nb+24(FP), R3
	VEOR V28.B16, V28.B16, V28.B16
	VEOR V29.B16, V29.B16, V29.B16
	// Two blocks a round into two accumulators, so that consecutive
	// FMLAs do not wait for each other.
	LSR  $1, R3, R5
	CBZ  R5, q8tail
q8loop:
	BLOCK_Q8_0(28)
	BLOCK_Q8_0(29)
	SUBS $1, R5, R5
	BNE  q8loop
q8tail:
	TBZ  $0, R3, q8done
	BLOCK_Q8_0(28)
q8done:
	SUM2
	FMOVS F28, ret+32(FP)
	RET

// func dotQ4_0SDOT(w *byte, qs *int8, d *float32, nb int) float32
TEXT ·dotQ4_0SDOT(SB), NOSPLIT, $0-36
	MOVD  w+0(FP), R0
	MOVD  qs+8(FP), R1
	MOVD  d+16(FP), R2
	MOVD  nb+24(FP), R3
	VMOVI $15, V30.B16
	VMOVI $8, V31.B16
	VEOR  V28.B16, V28.B16, V28.B16
	VEOR  V29.B16, V29.B16, V29.B16
	LSR   $1, R3, R5
	CBZ   R5, q4tail
q4loop:
	BLOCK_Q4_0(28)
	BLOCK_Q4_0(29)
	SUBS  $1, R5, R5
	BNE   q4loop
q4tail:
	TBZ   $0, R3, q4done
	BLOCK_Q4_0(28)
q4done:
	SUM2
	FMOVS F28, ret+32(FP)
	RET

// func dotF32NEON(w *byte, x *float32, n int) float32
// n is a multiple of 16 and at least 16.
TEXT ·dotF32NEON(SB), NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+16(FP), R2
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
f32loop:
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R1), [V8.S4, V9.S4, V10.S4, V11.S4]
	VFMLA  V8.S4, V4.S4, V0.S4
	VFMLA  V9.S4, V5.S4, V1.S4
	VFMLA  V10.S4, V6.S4, V2.S4
	VFMLA  V11.S4, V7.S4, V3.S4
	SUBS   $16, R2, R2
	BNE    f32loop
	FADD4(1, 0, 0)
	FADD4(3, 2, 2)
	FADD4(2, 0, 0)
	FADDP4(0, 0, 0)
	FADDPS(0, 0)
	FMOVS  F0, ret+24(FP)
	RET

// func dotF16NEON(w *byte, x *float32, n int) float32
// n is a multiple of 16 and at least 16.
TEXT ·dotF16NEON(SB), NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+16(FP), R2
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
f16loop:
	VLD1.P 32(R0), [V12.H8, V13.H8]
	VLD1.P 64(R1), [V8.S4, V9.S4, V10.S4, V11.S4]
	FCVTL(12, 4)
	FCVTL2(12, 5)
	FCVTL(13, 6)
	FCVTL2(13, 7)
	VFMLA  V8.S4, V4.S4, V0.S4
	VFMLA  V9.S4, V5.S4, V1.S4
	VFMLA  V10.S4, V6.S4, V2.S4
	VFMLA  V11.S4, V7.S4, V3.S4
	SUBS   $16, R2, R2
	BNE    f16loop
	FADD4(1, 0, 0)
	FADD4(3, 2, 2)
	FADD4(2, 0, 0)
	FADDP4(0, 0, 0)
	FADDPS(0, 0)
	FMOVS  F0, ret+24(FP)
	RET
