#include "textflag.h"

// Four-token forms of the Q5_0, Q4_1 and Q5_1 row dots in
// dot_legacy_amd64.s: each weight block is unpacked once and multiplied
// with the same block of four tokens. out[t] equals the row dot on token t
// bit for bit: the integer sums are exact however they are gathered, and
// the float work per block is the row dot's, done for the four tokens in
// the four lanes of one xmm (lane t = token t): t_b = (d·dy)·sumi
// (+ m·f16(dy·Σy)), then sumf += t_b in block order, sumf starting at 0.
// Lanes are independent IEEE float32 operations, so a lane is the row
// dot's scalar chain.
//
// Registers: SI weight blocks, DI token 0's quants, DX token 0's scales;
// token t's are t*R8 (quants) and t*R10 (scales) further, R9 = 3*R8,
// R11 = 3*R10. CX blocks left, X0 the four sums. Y10..Y15 constants.

DATA x4Bits<>+0x00(SB)/8, $0x8040201008040201
DATA x4Bits<>+0x08(SB)/8, $0x8040201008040201
DATA x4Bits<>+0x10(SB)/8, $0x8040201008040201
DATA x4Bits<>+0x18(SB)/8, $0x8040201008040201
GLOBL x4Bits<>(SB), RODATA|NOPTR, $32

DATA x4Shuf<>+0x00(SB)/8, $0x0000000000000000
DATA x4Shuf<>+0x08(SB)/8, $0x0101010101010101
DATA x4Shuf<>+0x10(SB)/8, $0x0202020202020202
DATA x4Shuf<>+0x18(SB)/8, $0x0303030303030303
GLOBL x4Shuf<>(SB), RODATA|NOPTR, $32

#define X4_BCAST_BYTE(v, y) \
	MOVL $v, AX; \
	VMOVD AX, X1; \
	VPBROADCASTD X1, y

// Y15 16-bit ones, Y14 0x0f, Y13 8-bit ones, Y12 shuffle, Y11 bit masks.
#define X4L_PROLOGUE \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ nb+24(FP), CX; \
	MOVQ qstride+32(FP), R8; \
	MOVQ dstride+40(FP), R10; \
	LEAQ (R8)(R8*2), R9; \
	LEAQ (R10)(R10*2), R11; \
	VXORPS X0, X0, X0; \
	VPCMPEQW Y15, Y15, Y15; \
	VPSRLW $15, Y15, Y15; \
	X4_BCAST_BYTE(0x0f0f0f0f, Y14); \
	X4_BCAST_BYTE(0x01010101, Y13); \
	VMOVDQU x4Shuf<>(SB), Y12; \
	VMOVDQU x4Bits<>(SB), Y11

#define X4L_EPILOGUE \
	MOVQ out+48(FP), AX; \
	VMOVUPS X0, (AX); \
	VZEROUPPER; \
	RET

// Y1 = the 32 nibbles of the 16 bytes at off(SI), low nibbles first.
#define X4_NIBBLES(off) \
	VMOVDQU off(SI), X1; \
	VPSRLW $4, X1, X2; \
	VINSERTI128 $1, X2, Y1, Y1; \
	VPAND Y14, Y1, Y1

// Y2 = 0xff in byte i where bit i of the u32 at off(SI) is set.
#define X4_FIFTH(off) \
	VPBROADCASTD off(SI), Y2; \
	VPSHUFB Y12, Y2, Y2; \
	VPAND Y11, Y2, Y2; \
	VPCMPEQB Y11, Y2, Y2

// X<d> = [dy0 dy1 dy2 dy3]: the four tokens' scales of this block.
#define X4_DY(xd) \
	VMOVSS (DX), xd; \
	VINSERTPS $0x10, (DX)(R10*1), xd, xd; \
	VINSERTPS $0x20, (DX)(R10*2), xd, xd; \
	VINSERTPS $0x30, (DX)(R11*1), xd, xd

#define X4_ADVANCE(bs) \
	ADDQ $bs, SI; \
	ADDQ $32, DI; \
	ADDQ $4, DX; \
	DECQ CX

// Signed weights Y1 (|x| in Y2) against the token quants at qaddr: Y<p>
// = 16 int16 pair sums of x·y, each at most 2·16·128 in magnitude.
#define Q5_0_TOK(qaddr, p) \
	VMOVDQU qaddr, Y3; \
	VPSIGNB Y1, Y3, Y3; \
	VPMADDUBSW Y3, Y2, p

// X4_SUM4 leaves in X<a> [Σ a, Σ b, Σ c, Σ d] (int32) of the int16 pair
// sums in Y<a>..Y<d>: two vphaddw rounds (8 products per word, at most
// 8·16·128, so exact), then vpmaddwd and the two lanes in int32. (Words
// are cheaper to gather than the row dot's dwords, and the sums are the
// same integers.)
#define X4_SUM4(a, b, c, d, xa, xb) \
	VPHADDW b, a, a; \
	VPHADDW d, c, c; \
	VPHADDW c, a, a; \
	VPMADDWD Y15, a, a; \
	VEXTRACTI128 $1, a, xb; \
	VPADDD xb, xa, xa

// func dotQ5_0x4AVX2(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)
TEXT ·dotQ5_0x4AVX2(SB), NOSPLIT, $0-56
	X4L_PROLOGUE
	X4_BCAST_BYTE(0xf0f0f0f0, Y10)

q50x4loop:
	TESTQ CX, CX
	JEQ   q50x4done
	X4_NIBBLES(6)
	X4_FIFTH(2)
	VPANDN Y10, Y2, Y2
	VPOR Y2, Y1, Y1
	VPSIGNB Y1, Y1, Y2
	Q5_0_TOK((DI), Y4)
	Q5_0_TOK((DI)(R8*1), Y5)
	Q5_0_TOK((DI)(R8*2), Y6)
	Q5_0_TOK((DI)(R9*1), Y7)
	X4_SUM4(Y4, Y5, Y6, Y7, X4, X5)
	VCVTDQ2PS X4, X4
	VPBROADCASTW (SI), X5
	VCVTPH2PS X5, X5
	X4_DY(X6)
	VMULPS X6, X5, X5
	VMULPS X4, X5, X5
	VADDPS X5, X0, X0
	X4_ADVANCE(22)
	JMP q50x4loop

q50x4done:
	X4L_EPILOGUE

// MINS_X4 finishes a Q4_1/Q5_1 block (unsigned weights in Y1) for the
// four tokens, as the row dot's MINS_QUAD does for four blocks of one:
// F = [sumi t0..3 | Σy t0..3], scales [d ×4 | m ×4], dy in both halves.
// The int16 pair sums of q·y are at most 2·31·128, so two vphaddw rounds
// (8 products a word) stay exact; the sums equal the row dot's dwords.
#define MINS_X4 \
	VPMADDUBSW (DI), Y1, Y4; \
	VPMADDUBSW (DI), Y13, Y5; \
	VPMADDUBSW (DI)(R8*1), Y1, Y6; \
	VPMADDUBSW (DI)(R8*1), Y13, Y7; \
	VPMADDUBSW (DI)(R8*2), Y1, Y8; \
	VPMADDUBSW (DI)(R8*2), Y13, Y9; \
	VPMADDUBSW (DI)(R9*1), Y1, Y2; \
	VPMADDUBSW (DI)(R9*1), Y13, Y3; \
	VPHADDW Y6, Y4, Y4; \
	VPHADDW Y2, Y8, Y8; \
	VPHADDW Y8, Y4, Y4; \
	VPMADDWD Y15, Y4, Y4; \
	VPHADDW Y7, Y5, Y5; \
	VPHADDW Y3, Y9, Y9; \
	VPHADDW Y9, Y5, Y5; \
	VPMADDWD Y15, Y5, Y5; \
	VPERM2I128 $0x20, Y5, Y4, Y6; \
	VPERM2I128 $0x31, Y5, Y4, Y7; \
	VPADDD Y7, Y6, Y6; \
	VCVTDQ2PS Y6, Y6; \
	VMOVD (SI), X7; \
	VPUNPCKLWD X7, X7, X7; \
	VPUNPCKLDQ X7, X7, X7; \
	VCVTPH2PS X7, Y7; \
	X4_DY(X8); \
	VINSERTF128 $1, X8, Y8, Y8; \
	VMULPS Y6, Y8, Y9; \
	VCVTPS2PH $0, Y9, X9; \
	VCVTPH2PS X9, Y9; \
	VMULPS Y8, Y7, Y8; \
	VPBLENDD $0xf0, Y9, Y6, Y6; \
	VPBLENDD $0xf0, Y7, Y8, Y8; \
	VMULPS Y6, Y8, Y8; \
	VEXTRACTF128 $1, Y8, X9; \
	VADDPS X9, X8, X8; \
	VADDPS X8, X0, X0

// func dotQ4_1x4AVX2(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)
TEXT ·dotQ4_1x4AVX2(SB), NOSPLIT, $0-56
	X4L_PROLOGUE

q41x4loop:
	TESTQ CX, CX
	JEQ   q41x4done
	X4_NIBBLES(4)
	MINS_X4
	X4_ADVANCE(20)
	JMP q41x4loop

q41x4done:
	X4L_EPILOGUE

// func dotQ5_1x4AVX2(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)
TEXT ·dotQ5_1x4AVX2(SB), NOSPLIT, $0-56
	X4L_PROLOGUE
	X4_BCAST_BYTE(0x10101010, Y10)

q51x4loop:
	TESTQ CX, CX
	JEQ   q51x4done
	X4_NIBBLES(8)
	X4_FIFTH(4)
	VPAND Y10, Y2, Y2
	VPOR Y2, Y1, Y1
	MINS_X4
	X4_ADVANCE(24)
	JMP q51x4loop

q51x4done:
	X4L_EPILOGUE
