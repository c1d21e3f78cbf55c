#include "textflag.h"
#include "legacy_amd64.h"

// AVX2 row dots of Q5_0, Q4_1 and Q5_1 against Q8_0 activations, bit for
// bit the references in dot_legacy.go. Each block's integer sums are exact
// (vpmaddubsw/vpmaddwd, then a vphaddd tree that gathers four blocks' sums
// into one register); the float work of four blocks (scales, the f16
// rounding of s_y, the products) runs in parallel lanes, and only the
// final sumf += t_b stays a serial chain of vaddss in block order, as in
// ggml's generic loop. That chain is one add per block (3 cycles), under
// the integer work per block, so exactness costs little speed.
//
// Registers: SI weight blocks, DI activation quants, DX activation scales,
// CX blocks left, X0 sumf. Y1..Y9 scratch, Y10..Y15 constants.

// Byte k of both 16-byte halves: bit k%8 (the fifth bit's position in the
// qh byte that vpshufb with legacyShuf copies to byte k).
DATA legacyBits<>+0x00(SB)/8, $0x8040201008040201
DATA legacyBits<>+0x08(SB)/8, $0x8040201008040201
DATA legacyBits<>+0x10(SB)/8, $0x8040201008040201
DATA legacyBits<>+0x18(SB)/8, $0x8040201008040201
GLOBL legacyBits<>(SB), RODATA|NOPTR, $32

// Value i (byte i, low nibbles 0..15 then high nibbles 16..31) takes its
// fifth bit from qh byte i/8.
DATA legacyShuf<>+0x00(SB)/8, $0x0000000000000000
DATA legacyShuf<>+0x08(SB)/8, $0x0101010101010101
DATA legacyShuf<>+0x10(SB)/8, $0x0202020202020202
DATA legacyShuf<>+0x18(SB)/8, $0x0303030303030303
GLOBL legacyShuf<>(SB), RODATA|NOPTR, $32

// vpermps index taking [d0 m0 d1 m1 d2 m2 d3 m3] to [d0..d3 | m0..m3].
DATA ·legacyDeintIdx+0x00(SB)/4, $0
DATA ·legacyDeintIdx+0x04(SB)/4, $2
DATA ·legacyDeintIdx+0x08(SB)/4, $4
DATA ·legacyDeintIdx+0x0c(SB)/4, $6
DATA ·legacyDeintIdx+0x10(SB)/4, $1
DATA ·legacyDeintIdx+0x14(SB)/4, $3
DATA ·legacyDeintIdx+0x18(SB)/4, $5
DATA ·legacyDeintIdx+0x1c(SB)/4, $7
GLOBL ·legacyDeintIdx(SB), RODATA|NOPTR, $32

#define BCAST_BYTE(v, y) \
	MOVL $v, AX; \
	VMOVD AX, X1; \
	VPBROADCASTD X1, y

// LEGACY_CONSTS: Y15 16-bit ones, Y14 0x0f, Y13 8-bit ones, Y12 shuffle,
// Y11 bit masks.
#define LEGACY_CONSTS \
	VXORPS X0, X0, X0; \
	VPCMPEQW Y15, Y15, Y15; \
	VPSRLW $15, Y15, Y15; \
	BCAST_BYTE(0x0f0f0f0f, Y14); \
	BCAST_BYTE(0x01010101, Y13); \
	VMOVDQU legacyShuf<>(SB), Y12; \
	VMOVDQU legacyBits<>(SB), Y11

// NIBBLES leaves in Y1 the 32 nibbles of the 16 bytes at off(SI), low
// nibbles first.
#define NIBBLES(off) \
	VMOVDQU off(SI), X1; \
	VPSRLW $4, X1, X2; \
	VINSERTI128 $1, X2, Y1, Y1; \
	VPAND Y14, Y1, Y1

// FIFTH leaves in Y2 0xff in byte i where bit i of the u32 at off(SI) is set.
#define FIFTH(off) \
	VPBROADCASTD off(SI), Y2; \
	VPSHUFB Y12, Y2, Y2; \
	VPAND Y11, Y2, Y2; \
	VPCMPEQB Y11, Y2, Y2

// Q5_0 block at off(SI) against the quants at yoff(DI): Y<p> = 8 int32
// partial sums of x·y. Where the fifth bit is clear, or-ing 0xf0 into the
// nibble makes it q-16 as an int8; where set, q|0x10 - 16 = q. The signed
// product goes through vpmaddubsw as |x| times y·sign(x) (exact for the
// quantizer's -127..127; a -128 quant would wrap, as in the Q4_0 kernel).
#define Q5_0_BLOCK(off, yoff, p) \
	NIBBLES(off+6); \
	FIFTH(off+2); \
	VPANDN Y10, Y2, Y2; \
	VPOR Y2, Y1, Y1; \
	VMOVDQU yoff(DI), Y3; \
	VPSIGNB Y1, Y1, Y2; \
	VPSIGNB Y1, Y3, Y3; \
	VPMADDUBSW Y3, Y2, p; \
	VPMADDWD Y15, p, p

// Q4_1 / Q5_1 blocks: Y<p> = partial sums of q·y (q unsigned 0..31),
// Y<r> = partial sums of y (for s_y).
#define MINS_DOTS(yoff, p, r) \
	VMOVDQU yoff(DI), Y3; \
	VPMADDUBSW Y3, Y1, p; \
	VPMADDWD Y15, p, p; \
	VPMADDUBSW Y3, Y13, r; \
	VPMADDWD Y15, r, r

#define Q4_1_BLOCK(off, yoff, p, r) \
	NIBBLES(off+4); \
	MINS_DOTS(yoff, p, r)

#define Q5_1_BLOCK(off, yoff, p, r) \
	NIBBLES(off+8); \
	FIFTH(off+4); \
	VPAND Y10, Y2, Y2; \
	VPOR Y2, Y1, Y1; \
	MINS_DOTS(yoff, p, r)

// MINS_QUAD finishes four Q4_1/Q5_1 blocks of bs bytes: Y4/Y5 hold the
// pair sums P01/R01 and Y6,Y7,Y8,Y9 the raw P2,R2,P3,R3. With
// F = [sumi0..3 | ysum0..3] and the scales deinterleaved to
// [d0..3 | m0..3], one multiply gives [(d·dy)·sumi | m·s] and a 128-bit
// add t = A + B, exactly the reference's rounding steps.
#define MINS_QUAD(bs) \
	VPHADDD Y8, Y6, Y6; \
	VPHADDD Y9, Y7, Y7; \
	VPHADDD Y6, Y4, Y4; \
	VPHADDD Y7, Y5, Y5; \
	VPERM2I128 $0x20, Y5, Y4, Y6; \
	VPERM2I128 $0x31, Y5, Y4, Y7; \
	VPADDD Y7, Y6, Y6; \
	VCVTDQ2PS Y6, Y6; \
	DM4(bs); \
	VBROADCASTI128 (DX), Y8; \
	VMULPS Y6, Y8, Y9; \
	VCVTPS2PH $0, Y9, X9; \
	VCVTPH2PS X9, Y9; \
	VMULPS Y8, Y7, Y8; \
	VPBLENDD $0xf0, Y9, Y6, Y6; \
	VPBLENDD $0xf0, Y7, Y8, Y8; \
	VMULPS Y6, Y8, Y8; \
	VEXTRACTF128 $1, Y8, X9; \
	VADDPS X9, X8, X8; \
	CHAIN4(X8)

// MINS_ONE finishes one Q4_1/Q5_1 block from Y4 = P, Y5 = R.
#define MINS_ONE \
	VPHADDD Y5, Y4, Y4; \
	VEXTRACTI128 $1, Y4, X5; \
	VPADDD X5, X4, X4; \
	VPHADDD X4, X4, X4; \
	VCVTDQ2PS X4, X4; \
	VMOVSHDUP X4, X5; \
	VMULSS (DX), X5, X5; \
	VCVTPS2PH $0, X5, X5; \
	VCVTPH2PS X5, X5; \
	MOVWLZX 2(SI), AX; \
	VMOVD AX, X6; \
	VCVTPH2PS X6, X6; \
	VMULSS X5, X6, X6; \
	MOVWLZX 0(SI), AX; \
	VMOVD AX, X7; \
	VCVTPH2PS X7, X7; \
	VMULSS (DX), X7, X7; \
	VMULSS X4, X7, X7; \
	VADDSS X6, X7, X7; \
	VADDSS X7, X0, X0

// func dotQ5_0AVX2(w *byte, qs *int8, d *float32, nb int) float32
TEXT ·dotQ5_0AVX2(SB), NOSPLIT, $0-36
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ nb+24(FP), CX
	LEGACY_CONSTS
	BCAST_BYTE(0xf0f0f0f0, Y10)

q50quad:
	CMPQ CX, $4
	JLT  q50one
	Q5_0_BLOCK(0, 0, Y4)
	Q5_0_BLOCK(22, 32, Y5)
	VPHADDD Y5, Y4, Y4
	Q5_0_BLOCK(44, 64, Y5)
	Q5_0_BLOCK(66, 96, Y6)
	VPHADDD Y6, Y5, Y5
	VPHADDD Y5, Y4, Y4
	VEXTRACTI128 $1, Y4, X5
	VPADDD X5, X4, X4
	Q5_0_FLOATS4
	ADDQ $88, SI
	ADDQ $128, DI
	ADDQ $16, DX
	SUBQ $4, CX
	JMP  q50quad

q50one:
	TESTQ CX, CX
	JEQ   q50done
	Q5_0_BLOCK(0, 0, Y4)
	HSUM_I32(Y4, X4, X5)
	Q5_0_FLOAT1
	ADDQ $22, SI
	ADDQ $32, DI
	ADDQ $4, DX
	DECQ CX
	JMP  q50one

q50done:
	VMOVSS X0, ret+32(FP)
	VZEROUPPER
	RET

// func dotQ4_1AVX2(w *byte, qs *int8, d *float32, nb int) float32
TEXT ·dotQ4_1AVX2(SB), NOSPLIT, $0-36
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ nb+24(FP), CX
	LEGACY_CONSTS

q41quad:
	CMPQ CX, $4
	JLT  q41one
	Q4_1_BLOCK(0, 0, Y4, Y5)
	Q4_1_BLOCK(20, 32, Y6, Y7)
	VPHADDD Y6, Y4, Y4
	VPHADDD Y7, Y5, Y5
	Q4_1_BLOCK(40, 64, Y6, Y7)
	Q4_1_BLOCK(60, 96, Y8, Y9)
	MINS_QUAD(20)
	ADDQ $80, SI
	ADDQ $128, DI
	ADDQ $16, DX
	SUBQ $4, CX
	JMP  q41quad

q41one:
	TESTQ CX, CX
	JEQ   q41done
	Q4_1_BLOCK(0, 0, Y4, Y5)
	MINS_ONE
	ADDQ $20, SI
	ADDQ $32, DI
	ADDQ $4, DX
	DECQ CX
	JMP  q41one

q41done:
	VMOVSS X0, ret+32(FP)
	VZEROUPPER
	RET

// func dotQ5_1AVX2(w *byte, qs *int8, d *float32, nb int) float32
TEXT ·dotQ5_1AVX2(SB), NOSPLIT, $0-36
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ nb+24(FP), CX
	LEGACY_CONSTS
	BCAST_BYTE(0x10101010, Y10)

q51quad:
	CMPQ CX, $4
	JLT  q51one
	Q5_1_BLOCK(0, 0, Y4, Y5)
	Q5_1_BLOCK(24, 32, Y6, Y7)
	VPHADDD Y6, Y4, Y4
	VPHADDD Y7, Y5, Y5
	Q5_1_BLOCK(48, 64, Y6, Y7)
	Q5_1_BLOCK(72, 96, Y8, Y9)
	MINS_QUAD(24)
	ADDQ $96, SI
	ADDQ $128, DI
	ADDQ $16, DX
	SUBQ $4, CX
	JMP  q51quad

q51one:
	TESTQ CX, CX
	JEQ   q51done
	Q5_1_BLOCK(0, 0, Y4, Y5)
	MINS_ONE
	ADDQ $24, SI
	ADDQ $32, DI
	ADDQ $4, DX
	DECQ CX
	JMP  q51one

q51done:
	VMOVSS X0, ret+32(FP)
	VZEROUPPER
	RET
