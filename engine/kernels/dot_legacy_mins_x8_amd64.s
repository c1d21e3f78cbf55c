#include "textflag.h"

// Eight-token Q4_1 and Q5_1 row dots (AVX-512 BW/VL + VNNI). out[t] is bit
// for bit the row dot on token t (dotQ4_1VNNI, dotQ5_1VNNI, the
// references): the same exact int32 sum of each block, then the same
// t_b = (d·dy)·sumi + m·s_y and sumf += t_b in block order from 0, for
// the eight tokens in the eight lanes of one ymm (lane t = token t).
//
// Each block's quants are unpacked once as unsigned bytes (the nibbles,
// Q5_1's fifth bits added through a mask loaded from qh); a token then
// costs one vpdpbusd with its quants as the signed operand, straight from
// memory. s_y is Q8.S1, made once per token (makeSums), at the same
// strides as the scales.
//
// Registers: SI weight blocks; token t's quants at DI + t*R8 (tokens 4-7
// from R12 = DI + 4*R8), its scales at DX + t*R10 (R14 = DX + 4*R10), its
// s_y at R13 + t*R10 (BX = R13 + 4*R10); R9 = 3*R8, R11 = 3*R10. CX
// blocks left. Y0-Y7 the tokens' int32 lanes, Y8 the eight sums, Y9-Y11
// scratch, Y12-Y15 dy and Y20-Y23 s_y of four blocks, Y16 bytes 0x0f,
// Y17 bytes 0x10, Y24-Y30 transpose scratch.

DATA minsx8Const<>+0x00(SB)/4, $0x0f0f0f0f
DATA minsx8Const<>+0x04(SB)/4, $0x10101010
GLOBL minsx8Const<>(SB), RODATA|NOPTR, $8

// MX8_W4 / MX8_W5: Y10 = the block's 32 quants, unsigned, value order.
#define MX8_W4(off) \
	VMOVDQU     (off+4)(SI), X9; \
	VPSRLW      $4, X9, X10; \
	VINSERTI128 $1, X10, Y9, Y10; \
	VPANDD      Y16, Y10, Y10

#define MX8_W5(off) \
	VMOVDQU     (off+8)(SI), X9; \
	VPSRLW      $4, X9, X10; \
	VINSERTI128 $1, X10, Y9, Y10; \
	VPANDD      Y16, Y10, Y10; \
	KMOVD       (off+4)(SI), K1; \
	VPADDB      Y17, Y10, K1, Y10

#define MX8_TOK(qaddr, acc) \
	VPXORD   acc, acc, acc; \
	VPDPBUSD qaddr, Y10, acc

// MX8_SUMI: Y1 = the float sumi of the eight tokens for the unpacked
// block in Y10, whose quants are qoff bytes on from DI (R12).
#define MX8_SUMI(qoff) \
	MX8_TOK(qoff(DI), Y0); \
	MX8_TOK(qoff(DI)(R8*1), Y1); \
	MX8_TOK(qoff(DI)(R8*2), Y2); \
	MX8_TOK(qoff(DI)(R9*1), Y3); \
	MX8_TOK(qoff(R12), Y4); \
	MX8_TOK(qoff(R12)(R8*1), Y5); \
	MX8_TOK(qoff(R12)(R8*2), Y6); \
	MX8_TOK(qoff(R12)(R9*1), Y7); \
	VPHADDD    Y1, Y0, Y0; \
	VPHADDD    Y3, Y2, Y2; \
	VPHADDD    Y5, Y4, Y4; \
	VPHADDD    Y7, Y6, Y6; \
	VPHADDD    Y2, Y0, Y0; \
	VPHADDD    Y6, Y4, Y4; \
	VPERM2I128 $0x20, Y4, Y0, Y1; \
	VPERM2I128 $0x31, Y4, Y0, Y2; \
	VPADDD     Y2, Y1, Y1; \
	VCVTDQ2PS  Y1, Y1

// MX8_ACC: t = (d·dy)·sumi + m·s_y for the block at off(SI); sumf += t.
#define MX8_ACC(off, dy, sy) \
	VPBROADCASTW off(SI), X11; \
	VCVTPH2PS    X11, Y11; \
	VMULPS       dy, Y11, Y11; \
	VMULPS       Y1, Y11, Y11; \
	VPBROADCASTW (off+2)(SI), X9; \
	VCVTPH2PS    X9, Y9; \
	VMULPS       sy, Y9, Y9; \
	VADDPS       Y9, Y11, Y11; \
	VADDPS       Y11, Y8, Y8

// MX8_T4: o0..o3 = block 0..3's values of the eight tokens, from the
// floats at lo + t*R10 (tokens 0-3) and hi + t*R10 (4-7): a 4x4
// transpose per 128-bit half.
#define MX8_T4(lo, hi, o0, o1, o2, o3) \
	VMOVUPS     (lo), X24; \
	VINSERTF32X4 $1, (hi), Y24, Y24; \
	VMOVUPS     (lo)(R10*1), X25; \
	VINSERTF32X4 $1, (hi)(R10*1), Y25, Y25; \
	VMOVUPS     (lo)(R10*2), X26; \
	VINSERTF32X4 $1, (hi)(R10*2), Y26, Y26; \
	VMOVUPS     (lo)(R11*1), X27; \
	VINSERTF32X4 $1, (hi)(R11*1), Y27, Y27; \
	VUNPCKLPS   Y25, Y24, Y28; \
	VUNPCKHPS   Y25, Y24, Y24; \
	VUNPCKLPS   Y27, Y26, Y29; \
	VUNPCKHPS   Y27, Y26, Y26; \
	VUNPCKLPD   Y29, Y28, o0; \
	VUNPCKHPD   Y29, Y28, o1; \
	VUNPCKLPD   Y26, Y24, o2; \
	VUNPCKHPD   Y26, Y24, o3

// MX8_ONE: the eight tokens' value of one block from lo/hi + t*R10, in
// Y<o> (X<xo>, Y24 scratch).
#define MX8_ONE(lo, hi, o, xo) \
	VMOVSS      (lo), xo; \
	VINSERTPS   $0x10, (lo)(R10*1), xo, xo; \
	VINSERTPS   $0x20, (lo)(R10*2), xo, xo; \
	VINSERTPS   $0x30, (lo)(R11*1), xo, xo; \
	VMOVSS      (hi), X24; \
	VINSERTPS   $0x10, (hi)(R10*1), X24, X24; \
	VINSERTPS   $0x20, (hi)(R10*2), X24, X24; \
	VINSERTPS   $0x30, (hi)(R11*1), X24, X24; \
	VINSERTF32X4 $1, X24, o, o

#define MX8_ARGS \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ s1+24(FP), R13; \
	MOVQ nb+32(FP), CX; \
	MOVQ qstride+40(FP), R8; \
	MOVQ dstride+48(FP), R10; \
	LEAQ (R8)(R8*2), R9; \
	LEAQ (R10)(R10*2), R11; \
	LEAQ (DI)(R8*4), R12; \
	LEAQ (DX)(R10*4), R14; \
	LEAQ (R13)(R10*4), BX; \
	VXORPS       Y8, Y8, Y8; \
	VPBROADCASTD minsx8Const<>+0x00(SB), Y16; \
	VPBROADCASTD minsx8Const<>+0x04(SB), Y17

#define MX8_FOUR \
	MX8_T4(DX, R14, Y12, Y13, Y14, Y15); \
	MX8_T4(R13, BX, Y20, Y21, Y22, Y23)

#define MX8_STEP(bs, n) \
	ADDQ $(bs*n), SI; \
	ADDQ $(32*n), DI; \
	ADDQ $(32*n), R12; \
	ADDQ $(4*n), DX; \
	ADDQ $(4*n), R14; \
	ADDQ $(4*n), R13; \
	ADDQ $(4*n), BX

// MX8_QUAD: four blocks of bs bytes, unpacked by W (MX8_W4 or MX8_W5),
// then the pointers past them.
#define MX8_QUAD(W, bs) \
	MX8_FOUR; \
	W(0); \
	MX8_SUMI(0); \
	MX8_ACC(0, Y12, Y20); \
	W(bs); \
	MX8_SUMI(32); \
	MX8_ACC(bs, Y13, Y21); \
	W(2*bs); \
	MX8_SUMI(64); \
	MX8_ACC(2*bs, Y14, Y22); \
	W(3*bs); \
	MX8_SUMI(96); \
	MX8_ACC(3*bs, Y15, Y23); \
	MX8_STEP(bs, 4)

// MX8_SINGLE: one block of bs bytes, unpacked by W.
#define MX8_SINGLE(W, bs) \
	W(0); \
	MX8_SUMI(0); \
	MX8_ONE(DX, R14, Y12, X12); \
	MX8_ONE(R13, BX, Y20, X20); \
	MX8_ACC(0, Y12, Y20); \
	MX8_STEP(bs, 1)

#define MX8_DONE \
	MOVQ    out+56(FP), AX; \
	VMOVUPS Y8, (AX); \
	VZEROUPPER; \
	RET

// func dotQ4_1x8AVX512(w *byte, qs *int8, d, s1 *float32, nb, qstride, dstride int, out *[8]float32)
TEXT ·dotQ4_1x8AVX512(SB), NOSPLIT, $0-64
	MX8_ARGS

q41x8quad:
	CMPQ CX, $4
	JLT  q41x8one
	MX8_QUAD(MX8_W4, 20)
	SUBQ $4, CX
	JMP  q41x8quad

q41x8one:
	TESTQ CX, CX
	JEQ   q41x8done
	MX8_SINGLE(MX8_W4, 20)
	DECQ CX
	JMP  q41x8one

q41x8done:
	MX8_DONE

// func dotQ5_1x8AVX512(w *byte, qs *int8, d, s1 *float32, nb, qstride, dstride int, out *[8]float32)
TEXT ·dotQ5_1x8AVX512(SB), NOSPLIT, $0-64
	MX8_ARGS

q51x8quad:
	CMPQ CX, $4
	JLT  q51x8one
	MX8_QUAD(MX8_W5, 24)
	SUBQ $4, CX
	JMP  q51x8quad

q51x8one:
	TESTQ CX, CX
	JEQ   q51x8done
	MX8_SINGLE(MX8_W5, 24)
	DECQ CX
	JMP  q51x8one

q51x8done:
	MX8_DONE
