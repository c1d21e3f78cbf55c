#include "textflag.h"

// Attention kernels over a KV cache whose rows are stride floats apart.
// Both keep the plain Go order of additions and round every product
// before adding it (no FMA), so they equal the reference bit for bit.

// DOT4_REDUCE leaves (s0+s1)+(s2+s3) of the four lanes of x in its low lane.
#define DOT4_REDUCE(x, t) \
	VMOVSHDUP x, t; \
	VADDPS t, x, x; \
	VMOVHLPS x, x, t; \
	VADDSS t, x, x

// func attnScoresAVX2(att, q, k *float32, stride, n, hd int, scale float32)
// att[j] = (q · k[j*stride : j*stride+hd]) * scale for j < n; hd is a
// multiple of 4, n >= 1. Lane l of a row's accumulator is the reference's
// partial sum s_l over i ≡ l mod 4. Four rows go at once to hide latency.
TEXT ·attnScoresAVX2(SB), NOSPLIT, $0-52
	MOVQ att+0(FP), DI
	MOVQ q+8(FP), SI
	MOVQ k+16(FP), DX
	MOVQ stride+24(FP), R8
	SHLQ $2, R8
	MOVQ n+32(FP), CX
	MOVQ hd+40(FP), R9
	VMOVSS scale+48(FP), X15

scoreQuad:
	CMPQ CX, $4
	JLT  scoreOne
	MOVQ DX, R10
	LEAQ (DX)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	VXORPS X0, X0, X0
	VXORPS X1, X1, X1
	VXORPS X2, X2, X2
	VXORPS X3, X3, X3
	XORQ AX, AX
	MOVQ R9, BX

scoreQuadInner:
	VMOVUPS (SI)(AX*1), X4
	VMULPS (R10)(AX*1), X4, X5
	VADDPS X5, X0, X0
	VMULPS (R11)(AX*1), X4, X6
	VADDPS X6, X1, X1
	VMULPS (R12)(AX*1), X4, X7
	VADDPS X7, X2, X2
	VMULPS (R13)(AX*1), X4, X8
	VADDPS X8, X3, X3
	ADDQ $16, AX
	SUBQ $4, BX
	JNZ  scoreQuadInner
	DOT4_REDUCE(X0, X5)
	DOT4_REDUCE(X1, X6)
	DOT4_REDUCE(X2, X7)
	DOT4_REDUCE(X3, X8)
	VMULSS X15, X0, X0
	VMULSS X15, X1, X1
	VMULSS X15, X2, X2
	VMULSS X15, X3, X3
	VMOVSS X0, (DI)
	VMOVSS X1, 4(DI)
	VMOVSS X2, 8(DI)
	VMOVSS X3, 12(DI)
	ADDQ $16, DI
	LEAQ (R13)(R8*1), DX
	SUBQ $4, CX
	JMP  scoreQuad

scoreOne:
	TESTQ CX, CX
	JZ    scoreDone
	VXORPS X0, X0, X0
	XORQ AX, AX
	MOVQ R9, BX

scoreOneInner:
	VMOVUPS (SI)(AX*1), X4
	VMULPS (DX)(AX*1), X4, X5
	VADDPS X5, X0, X0
	ADDQ $16, AX
	SUBQ $4, BX
	JNZ  scoreOneInner
	DOT4_REDUCE(X0, X5)
	VMULSS X15, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ R8, DX
	DECQ CX
	JMP  scoreOne

scoreDone:
	RET

// func attnMixAVX2(o, att, v *float32, stride, n, hd int)
// o[i] = sum over j < n, in order, of att[j] * v[j*stride+i], for i < hd;
// hd is a multiple of 8, n >= 1. A chunk of o stays in registers while
// every row goes past it.
TEXT ·attnMixAVX2(SB), NOSPLIT, $0-48
	MOVQ o+0(FP), DI
	MOVQ att+8(FP), SI
	MOVQ v+16(FP), DX
	MOVQ stride+24(FP), R8
	SHLQ $2, R8
	MOVQ hd+40(FP), R9

mixChunk:
	CMPQ R9, $32
	JLT  mix8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ SI, R11
	MOVQ DX, R10
	MOVQ n+32(FP), CX

mix32Row:
	VBROADCASTSS (R11), Y4
	VMULPS (R10), Y4, Y5
	VADDPS Y5, Y0, Y0
	VMULPS 32(R10), Y4, Y6
	VADDPS Y6, Y1, Y1
	VMULPS 64(R10), Y4, Y7
	VADDPS Y7, Y2, Y2
	VMULPS 96(R10), Y4, Y8
	VADDPS Y8, Y3, Y3
	ADDQ $4, R11
	ADDQ R8, R10
	DECQ CX
	JNZ  mix32Row
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	ADDQ $128, DX
	SUBQ $32, R9
	JMP  mixChunk

mix8:
	TESTQ R9, R9
	JZ    mixDone
	VXORPS Y0, Y0, Y0
	MOVQ SI, R11
	MOVQ DX, R10
	MOVQ n+32(FP), CX

mix8Row:
	VBROADCASTSS (R11), Y4
	VMULPS (R10), Y4, Y5
	VADDPS Y5, Y0, Y0
	ADDQ $4, R11
	ADDQ R8, R10
	DECQ CX
	JNZ  mix8Row
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, DX
	SUBQ $8, R9
	JMP  mix8

mixDone:
	VZEROUPPER
	RET
