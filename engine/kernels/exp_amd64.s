#include "textflag.h"

// Vector exp for Softmax and SwiGLU: eight float32 lanes per YMM register,
// the steps of expRef (exp.go) one for one, so the results are its bits.

// expConsts holds each constant eight times (a full YMM load or memory
// operand), then the tail mask source: eight all-ones lanes, eight zeros.
#define SPLAT(off, v) \
	DATA expConsts<>+(off+0)(SB)/4, $v; \
	DATA expConsts<>+(off+4)(SB)/4, $v; \
	DATA expConsts<>+(off+8)(SB)/4, $v; \
	DATA expConsts<>+(off+12)(SB)/4, $v; \
	DATA expConsts<>+(off+16)(SB)/4, $v; \
	DATA expConsts<>+(off+20)(SB)/4, $v; \
	DATA expConsts<>+(off+24)(SB)/4, $v; \
	DATA expConsts<>+(off+28)(SB)/4, $v

SPLAT(0, 0x3fb8aa3b)   // log2e
SPLAT(32, 0x3f317200)  // ln2Hi
SPLAT(64, 0x35bfbe8e)  // ln2Lo
SPLAT(96, 0x3ab6be1a)  // c6
SPLAT(128, 0x3c090831) // c5
SPLAT(160, 0x3d2aaa59) // c4
SPLAT(192, 0x3e2aaa6c) // c3
SPLAT(224, 0x3f000000) // c2
SPLAT(256, 0x3f800000) // 1
SPLAT(288, 0x4b400000) // shift 1.5*2^23
SPLAT(320, 0x42b20000) // 89
SPLAT(352, 0xc2d00000) // -104
SPLAT(384, 0x0000007f) // 127, the exponent bias
SPLAT(416, 0x80000000) // sign bit
SPLAT(448, 0xffffffff) // mask lanes
SPLAT(480, 0x00000000)
GLOBL expConsts<>(SB), RODATA|NOPTR, $512

#define LOG2E expConsts<>+0(SB)
#define LN2HI expConsts<>+32(SB)
#define LN2LO expConsts<>+64(SB)
#define C6 expConsts<>+96(SB)
#define C5 expConsts<>+128(SB)
#define C4 expConsts<>+160(SB)
#define C3 expConsts<>+192(SB)
#define C2 expConsts<>+224(SB)
#define ONE expConsts<>+256(SB)
#define SIGN expConsts<>+416(SB)

// EXP_CONSTS loads the constants EXP keeps in registers Y12-Y15.
#define EXP_CONSTS \
	VMOVUPS expConsts<>+320(SB), Y15; \
	VMOVUPS expConsts<>+352(SB), Y14; \
	VMOVUPS expConsts<>+288(SB), Y13; \
	VMOVUPS expConsts<>+384(SB), Y12

// EXP sets x = exp(x), using z, p and t as scratch. The clamp keeps a NaN
// (VMINPS/VMAXPS return their last Go operand when one is NaN).
#define EXP(x, z, p, t) \
	VMINPS x, Y15, x; \
	VMAXPS x, Y14, x; \
	VMOVAPS Y13, z; \
	VFMADD231PS LOG2E, x, z; \
	VSUBPS Y13, z, p; \
	VFNMADD231PS LN2HI, p, x; \
	VFNMADD231PS LN2LO, p, x; \
	VPSUBD Y13, z, z; \
	VMOVUPS C6, p; \
	VFMADD213PS C5, x, p; \
	VFMADD213PS C4, x, p; \
	VFMADD213PS C3, x, p; \
	VFMADD213PS C2, x, p; \
	VFMADD213PS ONE, x, p; \
	VFMADD213PS ONE, x, p; \
	VPSRAD $1, z, t; \
	VPSUBD t, z, z; \
	VPADDD Y12, t, t; \
	VPSLLD $23, t, t; \
	VPADDD Y12, z, z; \
	VPSLLD $23, z, z; \
	VMULPS t, p, p; \
	VMULPS z, p, x

// TAILMASK sets m to all ones in the first r lanes (0 < r < 8), zero in the
// rest; r is overwritten.
#define TAILMASK(r, a, m) \
	LEAQ expConsts<>+480(SB), a; \
	SHLQ $2, r; \
	SUBQ r, a; \
	VMOVUPS (a), m

// SUM8 adds the eight floats of Y0 to the float64 lanes Y9 (elements 0-3)
// and Y10 (elements 4-7).
#define SUM8 \
	VCVTPS2PD X0, Y1; \
	VEXTRACTF128 $1, Y0, X2; \
	VCVTPS2PD X2, Y2; \
	VADDPD Y1, Y9, Y9; \
	VADDPD Y2, Y10, Y10

// func maxAVX2(x *float32, n int) float32
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS (DI), Y0
	CMPQ CX, $8
	JLT  maxScalar
	VMOVAPS Y0, Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y0, Y3

maxLoop4: // four accumulators: VMAXPS latency, not throughput, bounds one
	CMPQ   CX, $32
	JLT    maxJoin
	VMAXPS (DI), Y0, Y0
	VMAXPS 32(DI), Y1, Y1
	VMAXPS 64(DI), Y2, Y2
	VMAXPS 96(DI), Y3, Y3
	ADDQ   $128, DI
	SUBQ   $32, CX
	JMP    maxLoop4

maxJoin:
	VMAXPS Y1, Y0, Y0
	VMAXPS Y3, Y2, Y2
	VMAXPS Y2, Y0, Y0
	CMPQ   CX, $8
	JLT    maxLast

maxLoop:
	VMAXPS (DI), Y0, Y0
	ADDQ   $32, DI
	SUBQ   $8, CX
	CMPQ   CX, $8
	JGE    maxLoop

maxLast:
	TESTQ  CX, CX
	JZ     maxReduce
	LEAQ   -32(DI)(CX*4), DI // the last eight again: max ignores repeats
	VMAXPS (DI), Y0, Y0

maxReduce:
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VMAXPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VMAXSS       X1, X0, X0
	JMP          maxDone

maxScalar:
	ADDQ   $4, DI
	DECQ   CX
	JZ     maxDone
	VMAXSS (DI), X0, X0
	JMP    maxScalar

maxDone:
	VMOVSS X0, ret+16(FP)
	VZEROUPPER
	RET

// func expSubAVX2(x *float32, n int, m float32) float64
TEXT ·expSubAVX2(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS m+16(FP), Y11
	EXP_CONSTS
	VXORPD       Y9, Y9, Y9
	VXORPD       Y10, Y10, Y10
	CMPQ         CX, $8
	JLT          expSubTail

expSubLoop:
	VMOVUPS (DI), Y0
	VSUBPS  Y11, Y0, Y0
	EXP(Y0, Y1, Y2, Y3)
	VMOVUPS Y0, (DI)
	SUM8
	ADDQ    $32, DI
	SUBQ    $8, CX
	CMPQ    CX, $8
	JGE     expSubLoop

expSubTail:
	TESTQ CX, CX
	JZ    expSubDone
	TAILMASK(CX, AX, Y8)
	VMASKMOVPS (DI), Y8, Y0
	VSUBPS     Y11, Y0, Y0
	EXP(Y0, Y1, Y2, Y3)
	VANDPS     Y8, Y0, Y0   // lanes past n add +0
	VMASKMOVPS Y0, Y8, (DI)
	SUM8

expSubDone:
	// ((s0+s4)+(s2+s6)) + ((s1+s5)+(s3+s7)), as softmaxGo.
	VADDPD       Y10, Y9, Y9
	VEXTRACTF128 $1, Y9, X1
	VADDPD       X1, X9, X9
	VUNPCKHPD    X9, X9, X1
	VADDSD       X1, X9, X9
	VMOVSD       X9, ret+24(FP)
	VZEROUPPER
	RET

// func scaleAVX2(x *float32, n int, s float32)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS s+16(FP), Y1
	CMPQ         CX, $8
	JLT          scaleTail

scaleLoop:
	VMULPS  (DI), Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	SUBQ    $8, CX
	CMPQ    CX, $8
	JGE     scaleLoop

scaleTail:
	TESTQ CX, CX
	JZ    scaleDone
	TAILMASK(CX, AX, Y8)
	VMASKMOVPS (DI), Y8, Y0
	VMULPS     Y1, Y0, Y0
	VMASKMOVPS Y0, Y8, (DI)

scaleDone:
	VZEROUPPER
	RET

// SILU_MUL sets Y4 = Y4 / (1 + exp(-Y4)) * Y5.
#define SILU_MUL \
	VXORPS Y11, Y4, Y0; \
	EXP(Y0, Y1, Y2, Y3); \
	VADDPS Y10, Y0, Y0; \
	VDIVPS Y0, Y4, Y4; \
	VMULPS Y5, Y4, Y4

// func swigluAVX2(h, gate, up *float32, n int)
TEXT ·swigluAVX2(SB), NOSPLIT, $0-32
	MOVQ    h+0(FP), DI
	MOVQ    gate+8(FP), SI
	MOVQ    up+16(FP), DX
	MOVQ    n+24(FP), CX
	EXP_CONSTS
	VMOVUPS SIGN, Y11
	VMOVUPS ONE, Y10
	CMPQ    CX, $8
	JLT     swigluTail

swigluLoop:
	VMOVUPS (SI), Y4
	VMOVUPS (DX), Y5
	SILU_MUL
	VMOVUPS Y4, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	CMPQ    CX, $8
	JGE     swigluLoop

swigluTail:
	TESTQ CX, CX
	JZ    swigluDone
	TAILMASK(CX, AX, Y8)
	VMASKMOVPS (SI), Y8, Y4
	VMASKMOVPS (DX), Y8, Y5
	SILU_MUL
	VMASKMOVPS Y4, Y8, (DI)

swigluDone:
	VZEROUPPER
	RET
