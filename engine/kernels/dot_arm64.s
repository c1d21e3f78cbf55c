//go:build arm64

#include "textflag.h"
#include "neon_arm64.h"

// NEON row dots with SDOT (ARMv8.2 dotprod), the arm64 counterparts of
// dot_amd64.s, in the same float order: an SDOT lane holds the products
// of four consecutive bytes, as a lane of ggml's AVX2 vpmaddubsw +
// vpmaddwd does, so two 4-lane registers (lo: bytes 0-15 of 32, hi:
// 16-31) are those kernels' eight lanes, and each block's lanes are
// converted and fused-multiply-added with its scale as there. The results
// are the AVX2 kernels' bit for bit (lanes_test.go), which is what makes
// them reproduce llama.cpp's x86 runs (engine/cpu TestGoldenKernels).
// Go operand order: VAND Vm, Vn, Vd is Vd = Vn & Vm; VSUB Vm, Vn, Vd is
// Vd = Vn - Vm; FMULS Fm, Fn, Fd is Fd = Fn * Fm.

// BLOCK_Q8_0 adds one Q8_0 block times its activations to the float
// lanes lo:hi (R0: weights, R1: activation quants, R2: activation scales;
// all three advance). Clobbers V0-V7 and R4.
#define BLOCK_Q8_0(lo, hi) \
	MOVHU.P 2(R0), R4 \
	VLD1.P  32(R0), [V0.B16, V1.B16] \
	VLD1.P  32(R1), [V2.B16, V3.B16] \
	FMOVS.P 4(R2), F5 \
	BLOCK_LANES(lo, hi)

// BLOCK_Q4_0 is BLOCK_Q8_0 for Q4_0: byte j holds value j in its low
// nibble and j+16 in its high one, both offset by 8 (V30 = 0x0f, V31 = 8
// in every byte).
#define BLOCK_Q4_0(lo, hi) \
	MOVHU.P 2(R0), R4 \
	VLD1.P  16(R0), [V1.B16] \
	VLD1.P  32(R1), [V2.B16, V3.B16] \
	FMOVS.P 4(R2), F5 \
	VAND    V30.B16, V1.B16, V0.B16 \
	VUSHR   $4, V1.B16, V1.B16 \
	VSUB    V31.B16, V0.B16, V0.B16 \
	VSUB    V31.B16, V1.B16, V1.B16 \
	BLOCK_LANES(lo, hi)

// func dotQ8_0SDOT(w *byte, qs *int8, d *float32, nb int) float32
// One accumulator, as dotQ8_0AVX2.
TEXT ·dotQ8_0SDOT(SB), NOSPLIT, $0-36
	MOVD w+0(FP), R0
	MOVD qs+8(FP), R1
	MOVD d+16(FP), R2
	MOVD nb+24(FP), R3
	VEOR V28.B16, V28.B16, V28.B16
	VEOR V29.B16, V29.B16, V29.B16
q8loop:
	BLOCK_Q8_0(28, 29)
	SUBS $1, R3, R3
	BNE  q8loop
	HSUM8
	FMOVS F28, ret+32(FP)
	RET

// func dotQ4_0SDOT(w *byte, qs *int8, d *float32, nb int) float32
// Even blocks into V28:V29, odd ones into V26:V27, as dotQ4_0AVX2.
TEXT ·dotQ4_0SDOT(SB), NOSPLIT, $0-36
	MOVD  w+0(FP), R0
	MOVD  qs+8(FP), R1
	MOVD  d+16(FP), R2
	MOVD  nb+24(FP), R3
	VMOVI $15, V30.B16
	VMOVI $8, V31.B16
	VEOR  V26.B16, V26.B16, V26.B16
	VEOR  V27.B16, V27.B16, V27.B16
	VEOR  V28.B16, V28.B16, V28.B16
	VEOR  V29.B16, V29.B16, V29.B16
	LSR   $1, R3, R5
	CBZ   R5, q4tail
q4loop:
	BLOCK_Q4_0(28, 29)
	BLOCK_Q4_0(26, 27)
	SUBS  $1, R5, R5
	BNE   q4loop
q4tail:
	TBZ   $0, R3, q4done
	BLOCK_Q4_0(28, 29)
q4done:
	FADD4(26, 28, 28)
	FADD4(27, 29, 29)
	HSUM8
	FMOVS F28, ret+32(FP)
	RET

// F32_CHUNK: 32 weights as float32 lanes in V8-V15 times x at R1 (moving
// on), into the four eight-lane accumulators V0:V1 ... V6:V7, as
// dotF32AVX2's four registers.
#define F32_CHUNK \
	VLD1.P 64(R1), [V16.S4, V17.S4, V18.S4, V19.S4] \
	VLD1.P 64(R1), [V20.S4, V21.S4, V22.S4, V23.S4] \
	VFMLA  V16.S4, V8.S4, V0.S4 \
	VFMLA  V17.S4, V9.S4, V1.S4 \
	VFMLA  V18.S4, V10.S4, V2.S4 \
	VFMLA  V19.S4, V11.S4, V3.S4 \
	VFMLA  V20.S4, V12.S4, V4.S4 \
	VFMLA  V21.S4, V13.S4, V5.S4 \
	VFMLA  V22.S4, V14.S4, V6.S4 \
	VFMLA  V23.S4, V15.S4, V7.S4

// F32_FINISH: (acc0+acc2) + (acc1+acc3), then HSUM_HADD, into S28.
#define F32_FINISH \
	FADD4(4, 0, 0) \
	FADD4(5, 1, 1) \
	FADD4(6, 2, 2) \
	FADD4(7, 3, 3) \
	FADD4(2, 0, 28) \
	FADD4(3, 1, 29) \
	HSUM_HADD

#define ZERO_ACC8 \
	VEOR V0.B16, V0.B16, V0.B16 \
	VEOR V1.B16, V1.B16, V1.B16 \
	VEOR V2.B16, V2.B16, V2.B16 \
	VEOR V3.B16, V3.B16, V3.B16 \
	VEOR V4.B16, V4.B16, V4.B16 \
	VEOR V5.B16, V5.B16, V5.B16 \
	VEOR V6.B16, V6.B16, V6.B16 \
	VEOR V7.B16, V7.B16, V7.B16

// func dotF32NEON(w *byte, x *float32, n int) float32
// n is a multiple of 32 and at least 32.
TEXT ·dotF32NEON(SB), NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+16(FP), R2
	ZERO_ACC8
f32loop:
	VLD1.P 64(R0), [V8.S4, V9.S4, V10.S4, V11.S4]
	VLD1.P 64(R0), [V12.S4, V13.S4, V14.S4, V15.S4]
	F32_CHUNK
	SUBS   $32, R2, R2
	BNE    f32loop
	F32_FINISH
	FMOVS  F28, ret+24(FP)
	RET

// func dotF16NEON(w *byte, x *float32, n int) float32
// n is a multiple of 32 and at least 32.
TEXT ·dotF16NEON(SB), NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+16(FP), R2
	ZERO_ACC8
f16loop:
	VLD1.P 64(R0), [V24.H8, V25.H8, V26.H8, V27.H8]
	FCVTL(24, 8)
	FCVTL2(24, 9)
	FCVTL(25, 10)
	FCVTL2(25, 11)
	FCVTL(26, 12)
	FCVTL2(26, 13)
	FCVTL(27, 14)
	FCVTL2(27, 15)
	F32_CHUNK
	SUBS   $32, R2, R2
	BNE    f16loop
	F32_FINISH
	FMOVS  F28, ret+24(FP)
	RET
