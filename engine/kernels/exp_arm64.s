//go:build arm64

#include "textflag.h"
#include "neon_arm64.h"

// NEON exp for Softmax and SwiGLU: the steps of expRef (exp.go) one for
// one on four float32 lanes, each fused step one FMLA or FMLS (single
// rounding, as VFMADD and fma32), so the results are its bits and
// exp_amd64.s's. The Go wrappers (exp_arm64.go) run the last n%8 (n%4)
// values on the Go forms.

// EXP_CONSTS puts every constant EXP needs in a register, in all lanes:
// V16 log2e, V17 ln2Hi, V18 ln2Lo, V19-V23 c6, c5, c4, c3, c2, V24 1,
// V25 the shift 1.5*2^23, V26 89, V27 -104, V28 127 (int32).
#define SPLAT(bits, v) \
	MOVW $bits, R9 \
	VDUP R9, v.S4

#define EXP_CONSTS \
	SPLAT(0x3fb8aa3b, V16) \
	SPLAT(0x3f317200, V17) \
	SPLAT(0x35bfbe8e, V18) \
	SPLAT(0x3ab6be1a, V19) \
	SPLAT(0x3c090831, V20) \
	SPLAT(0x3d2aaa59, V21) \
	SPLAT(0x3e2aaa6c, V22) \
	SPLAT(0x3f000000, V23) \
	SPLAT(0x3f800000, V24) \
	SPLAT(0x4b400000, V25) \
	SPLAT(0x42b20000, V26) \
	SPLAT(0xc2d00000, V27) \
	SPLAT(0x0000007f, V28)

// EXP(x, z, p, t) sets V(x) = exp(V(x)), with V(z), V(p), V(t) as scratch
// (register numbers). FMIN and FMAX keep a NaN, as the clamp in expRef.
#define EXP(x, xv, z, zv, p, pv, t, tv) \
	FMIN4(26, x, x) \
	FMAX4(27, x, x) \
	VORR  V25.B16, V25.B16, zv.B16 \
	FMLA4(16, x, z) \
	FSUB4(25, z, p) \
	FMLS4(17, p, x) \
	FMLS4(18, p, x) \
	VSUB  V25.S4, zv.S4, zv.S4 \
	VORR  V20.B16, V20.B16, tv.B16 \
	FMLA4(19, x, t) \
	VORR  V21.B16, V21.B16, pv.B16 \
	FMLA4(t, x, p) \
	VORR  V22.B16, V22.B16, tv.B16 \
	FMLA4(p, x, t) \
	VORR  V23.B16, V23.B16, pv.B16 \
	FMLA4(t, x, p) \
	VORR  V24.B16, V24.B16, tv.B16 \
	FMLA4(p, x, t) \
	VORR  V24.B16, V24.B16, pv.B16 \
	FMLA4(t, x, p) \
	SSHR4_1(z, t) \
	VSUB  tv.S4, zv.S4, zv.S4 \
	VADD  V28.S4, tv.S4, tv.S4 \
	VSHL  $23, tv.S4, tv.S4 \
	VADD  V28.S4, zv.S4, zv.S4 \
	VSHL  $23, zv.S4, zv.S4 \
	FMUL4(t, p, p) \
	FMUL4(z, p, x)

// func expSubNEON(x *float32, n int, m float32, s *[8]float64)
// x[i] = exp(x[i]-m) for i < n (a multiple of 8, at least 8), adding x[i]
// to s[i%8] in float64.
TEXT ·expSubNEON(SB), NOSPLIT, $0-32
	MOVD  x+0(FP), R0
	MOVD  n+8(FP), R1
	FMOVS m+16(FP), F29
	VDUP  V29.S[0], V29.S4
	MOVD  s+24(FP), R2
	EXP_CONSTS
	VLD1  (R2), [V8.D2, V9.D2, V10.D2, V11.D2]

loop:
	VLD1  (R0), [V0.S4, V1.S4]
	FSUB4(29, 0, 0)
	FSUB4(29, 1, 1)
	EXP(0, V0, 2, V2, 3, V3, 4, V4)
	EXP(1, V1, 5, V5, 6, V6, 7, V7)
	VST1.P [V0.S4, V1.S4], 32(R0)
	FCVTL2D(0, 2)
	FCVTL22D(0, 3)
	FCVTL2D(1, 4)
	FCVTL22D(1, 5)
	FADD2D(2, 8, 8)
	FADD2D(3, 9, 9)
	FADD2D(4, 10, 10)
	FADD2D(5, 11, 11)
	SUBS  $8, R1, R1
	BNE   loop

	VST1  [V8.D2, V9.D2, V10.D2, V11.D2], (R2)
	RET

// func swigluNEON(h, gate, up *float32, n int)
// h[i] = gate[i] / (1 + exp(-gate[i])) * up[i] for i < n (a multiple of
// 4, at least 4), in SILU_MUL's order.
TEXT ·swigluNEON(SB), NOSPLIT, $0-32
	MOVD h+0(FP), R0
	MOVD gate+8(FP), R1
	MOVD up+16(FP), R2
	MOVD n+24(FP), R3
	EXP_CONSTS

loop:
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R2), [V1.S4]
	FNEG4(0, 2)
	EXP(2, V2, 3, V3, 4, V4, 5, V5)
	FADD4(24, 2, 2)
	FDIV4(2, 0, 0)
	FMUL4(1, 0, 0)
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R3, R3
	BNE    loop
	RET

// func scaleNEON(x *float32, n int, s float32)
// x[i] *= s for i < n (a multiple of 4, at least 4).
TEXT ·scaleNEON(SB), NOSPLIT, $0-20
	MOVD  x+0(FP), R0
	MOVD  n+8(FP), R1
	FMOVS s+16(FP), F1

loop:
	VLD1  (R0), [V0.S4]
	FMULE(1, 0, 0)
	VST1.P [V0.S4], 16(R0)
	SUBS  $4, R1, R1
	BNE   loop
	RET

// func maxNEON(x *float32, n int) float32
// The largest of x[:n], n a multiple of 4 and at least 4.
TEXT ·maxNEON(SB), NOSPLIT, $0-20
	MOVD x+0(FP), R0
	MOVD n+8(FP), R1
	VLD1 (R0), [V0.S4]

loop:
	VLD1.P 16(R0), [V1.S4]
	FMAX4(1, 0, 0)
	SUBS   $4, R1, R1
	BNE    loop
	FMAXV4(0, 0)
	FMOVS  F0, ret+16(FP)
	RET
