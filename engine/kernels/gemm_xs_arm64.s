//go:build arm64

#include "textflag.h"
#include "neon_arm64.h"
#include "packed_arm64.h"

// Packed (LayoutRows8, pack_iq4xs.go) IQ4_XS-layout kernels for arm64
// with dotprod: IQ4_XS, and IQ3_S and IQ3_XXS re-encoded into it
// (pack_iq3.go), each with its codebook (cb) and factor. A sub-block of
// 32 values is one packed Q4_0 block's chunks (gemm_arm64.s) with the
// nibbles looked up by TBL; its exact dot times the rows' int8 scale goes
// into the block total, and per block the total into the row's float
// lane with one fused step, times the factor at the end: xsLanes
// (pack_lanes_test.go), which the amd64 kernels meet too.
//
// Block layout (1104 bytes): d (8 f16) at 0, sub-block j's scales at
// 16+8j, its chunk k at 80+128j+32k (rows 0-3, then 4-7).

// XS_CHUNK unpacks the chunk at R0 (moving on): low nibbles looked up
// into V0:V1, high ones into V2:V3 (V4 = 0x0f, V5 the codebook).
#define XS_CHUNK \
	VLD1.P 32(R0), [V0.B16, V1.B16] \
	VUSHR  $4, V0.B16, V2.B16 \
	VUSHR  $4, V1.B16, V3.B16 \
	VAND   V4.B16, V0.B16, V0.B16 \
	VAND   V4.B16, V1.B16, V1.B16 \
	VTBL   V0.B16, [V5.B16], V0.B16 \
	VTBL   V1.B16, [V5.B16], V1.B16 \
	VTBL   V2.B16, [V5.B16], V2.B16 \
	VTBL   V3.B16, [V5.B16], V3.B16

// XS_DOT(a, k, lo, hi): chunk k's dots with the activations V(a):V(a+1).
#define XS_DOT(a, k, lo, hi) \
	SDOTE(a, k, 0, lo) \
	SDOTE(a, k, 1, hi) \
	SDOTE(a+1, k, 2, lo) \
	SDOTE(a+1, k, 3, hi)

// XS_SCALES(s): the next sub-block's eight int8 scales (R6, moving on) as
// int32 lanes in V(s):V(s+1).
#define XS_SCALES(s) \
	MOVD.P 8(R6), R9 \
	FMOVD  R9, F(s) \
	SXTL8H(s, s) \
	SXTL24S(s, s+1) \
	SXTL4S(s, s)

// XS_SUB1: one sub-block for one token (activations R1, moving on) into
// the block total V12:V13.
#define XS_SUB1 \
	VLD1.P 32(R1), [V8.B16, V9.B16] \
	VZERO(10) \
	VZERO(11) \
	XS_CHUNK \
	XS_DOT(8, 0, 10, 11) \
	XS_CHUNK \
	XS_DOT(8, 1, 10, 11) \
	XS_CHUNK \
	XS_DOT(8, 2, 10, 11) \
	XS_CHUNK \
	XS_DOT(8, 3, 10, 11) \
	XS_SCALES(14) \
	MLA4S(14, 10, 12) \
	MLA4S(15, 11, 13)

// The codebook (V5) and mask (V4 = 0x0f) of both kernels, and the
// one-token kernel's block.
#define XS_SETUP \
	VLD1  (R4), [V5.B16] \
	VMOVI $15, V4.B16

#define XS1_BODY \
	XS_SUB1 \
	XS_SUB1 \
	XS_SUB1 \
	XS_SUB1 \
	XS_SUB1 \
	XS_SUB1 \
	XS_SUB1 \
	XS_SUB1

// func gemmXSx8x1NEON(w *byte, qs *int8, d *float32, nb int, out *float32, cb *int8, factor float32)
TEXT ·gemmXSx8x1NEON(SB), NOSPLIT, $0-52
	PK1_KERNEL(XS_SETUP, 80, 12, 13, XS1_BODY)
	RET

// gemmXSx8x4NEON is the kernel for four tokens (nb blocks apart; R9 is
// XS_SCALES' scratch, so token 2's d_a pointer is R21): each
// chunk is unpacked once for the four, and the float lanes live in the
// results (out + t*ostride), updated once a block. Registers: V0-V5 as
// above, V6-V13 the tokens' 32 activations of the sub-block (token t:
// V(6+2t):V(7+2t)), V14-V21 their dots, V22-V29 their block totals,
// V30:V31 the sub-block's scales; at a block's end V0-V3 and V6-V21 are
// scratch.

// XS4_DOT(k): chunk k's dots for the four tokens.
#define XS4_DOT(k) \
	XS_CHUNK \
	XS_DOT(6, k, 14, 15) \
	XS_DOT(8, k, 16, 17) \
	XS_DOT(10, k, 18, 19) \
	XS_DOT(12, k, 20, 21)

#define XS4_SUB \
	VLD1.P 32(R1), [V6.B16, V7.B16] \
	VLD1.P 32(R2), [V8.B16, V9.B16] \
	VLD1.P 32(R3), [V10.B16, V11.B16] \
	VLD1.P 32(R11), [V12.B16, V13.B16] \
	VZERO(14) \
	VZERO(15) \
	VZERO(16) \
	VZERO(17) \
	VZERO(18) \
	VZERO(19) \
	VZERO(20) \
	VZERO(21) \
	XS4_DOT(0) \
	XS4_DOT(1) \
	XS4_DOT(2) \
	XS4_DOT(3) \
	XS_SCALES(30) \
	MLA4S(30, 14, 22) \
	MLA4S(31, 15, 23) \
	MLA4S(30, 16, 24) \
	MLA4S(31, 17, 25) \
	MLA4S(30, 18, 26) \
	MLA4S(31, 19, 27) \
	MLA4S(30, 20, 28) \
	MLA4S(31, 21, 29)



#define XS4_BODY \
	XS4_SUB \
	XS4_SUB \
	XS4_SUB \
	XS4_SUB \
	XS4_SUB \
	XS4_SUB \
	XS4_SUB \
	XS4_SUB

// func gemmXSx8x4NEON(w *byte, qs *int8, d *float32, nb int, out *float32, ostride int, cb *int8, factor float32)
TEXT ·gemmXSx8x4NEON(SB), NOSPLIT, $0-60
	PK4_KERNEL(XS_SETUP, 80, XS4_BODY)
	RET
