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

// func gemmXSx8x1NEON(w *byte, qs *int8, d *float32, nb int, out *float32, cb *int8, factor float32)
TEXT ·gemmXSx8x1NEON(SB), NOSPLIT, $0-52
	MOVD  w+0(FP), R0
	MOVD  qs+8(FP), R1
	MOVD  d+16(FP), R2
	MOVD  nb+24(FP), R3
	MOVD  cb+40(FP), R4
	VLD1  (R4), [V5.B16]
	VMOVI $15, V4.B16
	VZERO(30)
	VZERO(31)

block:
	MOVD R0, R5          // d
	ADD  $16, R0, R6     // scales
	ADD  $80, R0         // chunks
	VZERO(12)
	VZERO(13)
	XS_SUB1
	XS_SUB1
	XS_SUB1
	XS_SUB1
	XS_SUB1
	XS_SUB1
	XS_SUB1
	XS_SUB1
	PK_BLOCK_END(12, 13)
	SUBS $1, R3, R3
	BNE  block

	PK_FACTOR_STORE
	RET
