//go:build arm64

#include "textflag.h"
#include "neon_arm64.h"

// Packed (LayoutRows8) Q4_0 and Q8_0 kernels for arm64 with dotprod: each
// int32 lane is one weight row, as in the VNNI kernels. A chunk of a
// packed block holds four bytes of each of eight rows, so one SDOT by
// element (the four activation bytes of that chunk broadcast) advances
// four rows: V(lo) rows 0-3, V(hi) rows 4-7. Per block every row's exact
// integer dot is converted and fused-multiply-added with f16(d_w)·d_a
// into its float lane, which is the amd64 kernels' arithmetic bit for bit
// (pack_lanes_test.go). Q4_0's nibbles are offset by -8 before the dot,
// so the kernels need no Q8.Corr.
//
// Registers: V0-V3 one chunk's unpacked quants (Q4_0: low nibbles of rows
// 0-3, 4-7, then high nibbles; Q8_0: two chunks), V4 = 0x0f, V5 = 8 in
// every byte, V6:V7 the block's eight scales as float32, V8-V15 the four
// tokens' 32 activations (token t: V(8+2t):V(9+2t)), V16-V23 their int32
// lanes for the block, V24-V31 their float lanes.

// G_ARGS reads a packed kernel's arguments: R0 the group's blocks, R1
// token 0's activations (R5-R7 tokens 1-3, R13 bytes apart), R2 token 0's
// activation scales (R8-R10 tokens 1-3), R3 nb, R4 out.
#define G_ARGS \
	MOVD w+0(FP), R0 \
	MOVD qs+8(FP), R1 \
	MOVD d+16(FP), R2 \
	MOVD nb+24(FP), R3 \
	MOVD out+32(FP), R4 \
	LSL  $5, R3, R13 \
	LSL  $2, R3, R14 \
	ADD  R13, R1, R5 \
	ADD  R13, R5, R6 \
	ADD  R13, R6, R7 \
	ADD  R14, R2, R8 \
	ADD  R14, R8, R9 \
	ADD  R14, R9, R10 \
	VMOVI $15, V4.B16 \
	VMOVI $8, V5.B16

// G_SCALES widens the block's eight f16 row scales into V6:V7.
#define G_SCALES \
	VLD1.P 16(R0), [V6.H8] \
	FCVTL2(6, 7) \
	FCVTL(6, 6)

// Q40_CHUNK unpacks the next 32 bytes: low nibbles minus 8 into V0:V1,
// high nibbles minus 8 into V2:V3.
#define Q40_CHUNK \
	VLD1.P 32(R0), [V0.B16, V1.B16] \
	VUSHR  $4, V0.B16, V2.B16 \
	VUSHR  $4, V1.B16, V3.B16 \
	VAND   V4.B16, V0.B16, V0.B16 \
	VAND   V4.B16, V1.B16, V1.B16 \
	VSUB   V5.B16, V0.B16, V0.B16 \
	VSUB   V5.B16, V1.B16, V1.B16 \
	VSUB   V5.B16, V2.B16, V2.B16 \
	VSUB   V5.B16, V3.B16, V3.B16

// NL_CHUNK is Q40_CHUNK for IQ4_NL: each nibble looked up in the codebook
// (V5 here, instead of 8).
#define NL_CHUNK \
	VLD1.P 32(R0), [V0.B16, V1.B16] \
	VUSHR  $4, V0.B16, V2.B16 \
	VUSHR  $4, V1.B16, V3.B16 \
	VAND   V4.B16, V0.B16, V0.B16 \
	VAND   V4.B16, V1.B16, V1.B16 \
	VTBL   V0.B16, [V5.B16], V0.B16 \
	VTBL   V1.B16, [V5.B16], V1.B16 \
	VTBL   V2.B16, [V5.B16], V2.B16 \
	VTBL   V3.B16, [V5.B16], V3.B16

// Q40_DOT(t, k): token t's chunk-k dots: low nibbles with activations
// 4k..4k+3, high ones with 16+4k..16+4k+3.
#define Q40_DOT(t, k) \
	SDOTE(8+2*(t), k, 0, 16+2*(t)) \
	SDOTE(8+2*(t), k, 1, 17+2*(t)) \
	SDOTE(9+2*(t), k, 2, 16+2*(t)) \
	SDOTE(9+2*(t), k, 3, 17+2*(t))

// Q80_DOT(t, k): chunks k and k+1 (V0:V1, V2:V3), activations 4k..4k+7.
#define Q80_DOT(t, k) \
	SDOTE(8+2*(t)+(k)/4, (k)%4, 0, 16+2*(t)) \
	SDOTE(8+2*(t)+(k)/4, (k)%4, 1, 17+2*(t)) \
	SDOTE(8+2*(t)+(k)/4, (k)%4+1, 2, 16+2*(t)) \
	SDOTE(8+2*(t)+(k)/4, (k)%4+1, 3, 17+2*(t))

#define Q80_CHUNKS VLD1.P 64(R0), [V0.B16, V1.B16, V2.B16, V3.B16]

// G_FLOAT(t, d): token t's int32 lanes converted, times the row scales
// times its activation scale (d, moving on), fused into its float lanes.
#define G_FLOAT(t, d) \
	SCVTF4(16+2*(t), 16+2*(t)) \
	SCVTF4(17+2*(t), 17+2*(t)) \
	FMOVS.P 4(d), F0 \
	FMULE(0, 6, 2) \
	FMULE(0, 7, 3) \
	FMLA4(2, 16+2*(t), 24+2*(t)) \
	FMLA4(3, 17+2*(t), 25+2*(t))

#define G_ZERO4 \
	VZERO(16) \
	VZERO(17) \
	VZERO(18) \
	VZERO(19) \
	VZERO(20) \
	VZERO(21) \
	VZERO(22) \
	VZERO(23)

#define G_ACTS4 \
	VLD1.P 32(R1), [V8.B16, V9.B16] \
	VLD1.P 32(R5), [V10.B16, V11.B16] \
	VLD1.P 32(R6), [V12.B16, V13.B16] \
	VLD1.P 32(R7), [V14.B16, V15.B16]

#define Q40_DOT4(k) \
	Q40_CHUNK \
	Q40_DOT(0, k) \
	Q40_DOT(1, k) \
	Q40_DOT(2, k) \
	Q40_DOT(3, k)

#define NL_DOT4(k) \
	NL_CHUNK \
	Q40_DOT(0, k) \
	Q40_DOT(1, k) \
	Q40_DOT(2, k) \
	Q40_DOT(3, k)

#define Q80_DOT4(k) \
	Q80_CHUNKS \
	Q80_DOT(0, k) \
	Q80_DOT(1, k) \
	Q80_DOT(2, k) \
	Q80_DOT(3, k)

#define G_FLOAT4 \
	G_FLOAT(0, R2) \
	G_FLOAT(1, R8) \
	G_FLOAT(2, R9) \
	G_FLOAT(3, R10)

// G_STORE4 writes token t's eight results at out + t*ostride.
#define G_STORE4 \
	MOVD ostride+40(FP), R11 \
	LSL  $2, R11, R11 \
	VST1 [V24.S4, V25.S4], (R4) \
	ADD  R11, R4, R4 \
	VST1 [V26.S4, V27.S4], (R4) \
	ADD  R11, R4, R4 \
	VST1 [V28.S4, V29.S4], (R4) \
	ADD  R11, R4, R4 \
	VST1 [V30.S4, V31.S4], (R4)

#define G_ZEROF \
	VZERO(24) \
	VZERO(25) \
	VZERO(26) \
	VZERO(27) \
	VZERO(28) \
	VZERO(29) \
	VZERO(30) \
	VZERO(31)

// G1_KERNEL is a one-token kernel's body: SETUP after the arguments,
// then per block the scales, the token's activations, four chunk steps
// (CH unpacks, DOT(0, k) dots chunk k) and the float step.
#define G1_KERNEL(SETUP, CH, DOT, k0, k1, k2, k3) \
	G_ARGS \
	SETUP \
	VZERO(24) \
	VZERO(25) \
loop: \
	G_SCALES \
	VLD1.P 32(R1), [V8.B16, V9.B16] \
	VZERO(16) \
	VZERO(17) \
	CH \
	DOT(0, k0) \
	CH \
	DOT(0, k1) \
	CH \
	DOT(0, k2) \
	CH \
	DOT(0, k3) \
	G_FLOAT(0, R2) \
	SUBS $1, R3, R3 \
	BNE  loop \
	VST1 [V24.S4, V25.S4], (R4)

// G4_KERNEL is a four-token kernel's body: DOT4(k) unpacks and dots the
// next chunk step k for the four tokens.
#define G4_KERNEL(SETUP, DOT4, k0, k1, k2, k3) \
	G_ARGS \
	SETUP \
	G_ZEROF \
loop: \
	G_SCALES \
	G_ACTS4 \
	G_ZERO4 \
	DOT4(k0) \
	DOT4(k1) \
	DOT4(k2) \
	DOT4(k3) \
	G_FLOAT4 \
	SUBS $1, R3, R3 \
	BNE  loop \
	G_STORE4

#define NO_SETUP

// NL_CB1 and NL_CB4: IQ4_NL's codebook (the one- and four-token
// kernels' last argument) into V5.
#define NL_CB1 \
	MOVD cb+40(FP), R11 \
	VLD1 (R11), [V5.B16]

#define NL_CB4 \
	MOVD cb+48(FP), R11 \
	VLD1 (R11), [V5.B16]

// func gemmQ4_0x8x1NEON(w *byte, qs *int8, d *float32, nb int, out *float32)
TEXT ·gemmQ4_0x8x1NEON(SB), NOSPLIT, $0-40
	G1_KERNEL(NO_SETUP, Q40_CHUNK, Q40_DOT, 0, 1, 2, 3)
	RET

// func gemmQ4_0x8x4NEON(w *byte, qs *int8, d *float32, nb int, out *float32, ostride int)
TEXT ·gemmQ4_0x8x4NEON(SB), NOSPLIT, $0-48
	G4_KERNEL(NO_SETUP, Q40_DOT4, 0, 1, 2, 3)
	RET

// func gemmQ8_0x8x1NEON(w *byte, qs *int8, d *float32, nb int, out *float32)
// Two chunks a step: chunk k's quants in V0:V1, k+1's in V2:V3.
TEXT ·gemmQ8_0x8x1NEON(SB), NOSPLIT, $0-40
	G1_KERNEL(NO_SETUP, Q80_CHUNKS, Q80_DOT, 0, 2, 4, 6)
	RET

// func gemmQ8_0x8x4NEON(w *byte, qs *int8, d *float32, nb int, out *float32, ostride int)
TEXT ·gemmQ8_0x8x4NEON(SB), NOSPLIT, $0-48
	G4_KERNEL(NO_SETUP, Q80_DOT4, 0, 2, 4, 6)
	RET

// func gemmIQ4_NLx8x1NEON(w *byte, qs *int8, d *float32, nb int, out *float32, cb *int8)
// The Q4_0 kernel with IQ4_NL's codebook (packed the same way).
TEXT ·gemmIQ4_NLx8x1NEON(SB), NOSPLIT, $0-48
	G1_KERNEL(NL_CB1, NL_CHUNK, Q40_DOT, 0, 1, 2, 3)
	RET

// func gemmIQ4_NLx8x4NEON(w *byte, qs *int8, d *float32, nb int, out *float32, ostride int, cb *int8)
TEXT ·gemmIQ4_NLx8x4NEON(SB), NOSPLIT, $0-56
	G4_KERNEL(NL_CB4, NL_DOT4, 0, 1, 2, 3)
	RET
