//go:build arm64

#include "textflag.h"
#include "neon_arm64.h"

// func f16ToF32NEON(dst *float32, src *uint16, n int)
// Widens n halves (a multiple of 8, at least 8), exactly (FCVTL).
TEXT ·f16ToF32NEON(SB), NOSPLIT, $0-24
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD n+16(FP), R2

loop:
	VLD1.P 16(R1), [V0.H8]
	FCVTL(0, 1)
	FCVTL2(0, 2)
	VST1.P [V1.S4, V2.S4], 32(R0)
	SUBS   $8, R2, R2
	BNE    loop
	RET

// func f32ToF16NEON(dst *uint16, src *float32, n int)
// Narrows n floats (a multiple of 8, at least 8) to nearest, ties to even
// (FCVTN under Go's FPCR), as f32ToF16 and vcvtps2ph.
TEXT ·f32ToF16NEON(SB), NOSPLIT, $0-24
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD n+16(FP), R2

loop:
	VLD1.P 32(R1), [V1.S4, V2.S4]
	FCVTN4H(1, 0)
	FCVTN28H(2, 0)
	VST1.P [V0.H8], 16(R0)
	SUBS   $8, R2, R2
	BNE    loop
	RET
