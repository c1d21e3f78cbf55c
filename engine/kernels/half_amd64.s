#include "textflag.h"

// func f16ToF32AVX2(dst *float32, src *uint16, n int); n is a multiple of 8.
TEXT ·f16ToF32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

h2sloop:
	CMPQ CX, $8
	JLT  h2sdone
	VCVTPH2PS (SI), Y0
	VMOVUPS Y0, (DI)
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  h2sloop

h2sdone:
	VZEROUPPER
	RET

// func f32ToF16AVX2(dst *uint16, src *float32, n int); n is a multiple of 8.
// Rounds to nearest, ties to even (immediate 0), as F32ToF16.
TEXT ·f32ToF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

s2hloop:
	CMPQ CX, $8
	JLT  s2hdone
	VMOVUPS (SI), Y0
	VCVTPS2PH $0, Y0, X1
	VMOVDQU X1, (DI)
	ADDQ $32, SI
	ADDQ $16, DI
	SUBQ $8, CX
	JMP  s2hloop

s2hdone:
	VZEROUPPER
	RET
