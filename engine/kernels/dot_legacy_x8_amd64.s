#include "textflag.h"

// Eight-token Q5_0 row dot (AVX-512 BW/VL + VNNI). out[t] is bit for bit
// dotQ5_0AVX2 on token t: the same exact int32 sum of each block, then the
// same t_b = (d·dy)·sumi and sumf += t_b in block order from 0, done for
// the eight tokens in the eight lanes of one ymm (lane t = token t).
//
// Each block's weights are unpacked once: x = q-16 as signed bytes, from
// the nibbles or-ed with 0xf0 (q-16 where the fifth bit is clear) and a
// byte add of 0x10 under the fifth bits, loaded straight into a mask. A
// token then costs one vpxord and one vpdpbusd: u = y XOR 0x80 = y+128 is
// unsigned, and Σu·x = Σy·x + 128·Σx, so starting the token's lanes at
// -128·Σx (the same for all tokens, also from vpdpbusd) leaves Σy·x. All
// magnitudes are below 2^20 and vpdpbusd does not saturate, so the sums
// are the row dot's integers however they are gathered (a vphaddd tree
// folds the eight tokens' lanes into one register).
//
// Registers: SI weight blocks; token t's quants at DI + t*R8 (tokens 4-7
// from R12 = DI + 4*R8), its scales at DX + t*R10 (R14 = DX + 4*R10);
// R9 = 3*R8, R11 = 3*R10. CX blocks left. Y0-Y7 the tokens' int32 lanes,
// Y8 the eight sums, Y9-Y15 scratch; Y16 bytes 0xf0, Y17 bytes 0x10,
// Y18 bytes 0x80, Y19 zero, Y20 -128·Σx, Y21-Y28 the tokens' u, Y29/Y30
// transpose scratch.

DATA q50x8Const<>+0x00(SB)/4, $0xf0f0f0f0
DATA q50x8Const<>+0x04(SB)/4, $0x10101010
DATA q50x8Const<>+0x08(SB)/4, $0x80808080
GLOBL q50x8Const<>(SB), RODATA|NOPTR, $12

// Q50X8_TOK: token lanes acc = -128·Σx + Σ(y+128)·x for the quants at qaddr.
#define Q50X8_TOK(qaddr, u, acc) \
	VMOVDQA32 Y20, acc; \
	VPXORD    qaddr, Y18, u; \
	VPDPBUSD  Y10, u, acc

// X<d> = the scales of this block of the four tokens at base + t*R10.
#define Q50X8_DY(base, xd) \
	VMOVSS    (base), xd; \
	VINSERTPS $0x10, (base)(R10*1), xd, xd; \
	VINSERTPS $0x20, (base)(R10*2), xd, xd; \
	VINSERTPS $0x30, (base)(R11*1), xd, xd

// Q50X8_SUMI: Y1 = the float sumi of the eight tokens for the block at
// off(SI), whose quants are qoff bytes on from DI (R12).
#define Q50X8_SUMI(off, qoff) \
	VMOVDQU     (off+6)(SI), X9; \
	VPSRLW      $4, X9, X10; \
	VINSERTI128 $1, X10, Y9, Y9; \
	VPORD       Y16, Y9, Y10; \
	KMOVD       (off+2)(SI), K1; \
	VPADDB      Y17, Y10, K1, Y10; \
	VPXORD      Y20, Y20, Y20; \
	VPDPBUSD    Y10, Y18, Y20; \
	VPSUBD      Y20, Y19, Y20; \
	Q50X8_TOK(qoff(DI), Y21, Y0); \
	Q50X8_TOK(qoff(DI)(R8*1), Y22, Y1); \
	Q50X8_TOK(qoff(DI)(R8*2), Y23, Y2); \
	Q50X8_TOK(qoff(DI)(R9*1), Y24, Y3); \
	Q50X8_TOK(qoff(R12), Y25, Y4); \
	Q50X8_TOK(qoff(R12)(R8*1), Y26, Y5); \
	Q50X8_TOK(qoff(R12)(R8*2), Y27, Y6); \
	Q50X8_TOK(qoff(R12)(R9*1), Y28, Y7); \
	VPHADDD     Y1, Y0, Y0; \
	VPHADDD     Y3, Y2, Y2; \
	VPHADDD     Y5, Y4, Y4; \
	VPHADDD     Y7, Y6, Y6; \
	VPHADDD     Y2, Y0, Y0; \
	VPHADDD     Y6, Y4, Y4; \
	VPERM2I128  $0x20, Y4, Y0, Y1; \
	VPERM2I128  $0x31, Y4, Y0, Y2; \
	VPADDD      Y2, Y1, Y1; \
	VCVTDQ2PS   Y1, Y1

// Q50X8_ACC: t = (d·dy)·sumi for the block at off(SI), dy in Y<dy>;
// sumf += t.
#define Q50X8_ACC(off, dy) \
	VPBROADCASTW off(SI), X11; \
	VCVTPH2PS    X11, Y11; \
	VMULPS       dy, Y11, Y11; \
	VMULPS       Y1, Y11, Y11; \
	VADDPS       Y11, Y8, Y8

// func dotQ5_0x8AVX512(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[8]float32)
TEXT ·dotQ5_0x8AVX512(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ nb+24(FP), CX
	MOVQ qstride+32(FP), R8
	MOVQ dstride+40(FP), R10
	LEAQ (R8)(R8*2), R9
	LEAQ (R10)(R10*2), R11
	LEAQ (DI)(R8*4), R12
	LEAQ (DX)(R10*4), R14
	VXORPS       Y8, Y8, Y8
	VPBROADCASTD q50x8Const<>+0x00(SB), Y16
	VPBROADCASTD q50x8Const<>+0x04(SB), Y17
	VPBROADCASTD q50x8Const<>+0x08(SB), Y18
	VPXORD       Y19, Y19, Y19

	// Four blocks at a time: the scales of token t (t+4) are loaded as
	// four floats into the low (high) half of one register, and a 4x4
	// transpose per half leaves Y12..Y15 = the eight tokens' dy of blocks
	// 0..3.
q50x8quad:
	CMPQ CX, $4
	JLT  q50x8one
	VMOVUPS      (DX), X12
	VINSERTF128  $1, (R14), Y12, Y12
	VMOVUPS      (DX)(R10*1), X13
	VINSERTF128  $1, (R14)(R10*1), Y13, Y13
	VMOVUPS      (DX)(R10*2), X14
	VINSERTF128  $1, (R14)(R10*2), Y14, Y14
	VMOVUPS      (DX)(R11*1), X15
	VINSERTF128  $1, (R14)(R11*1), Y15, Y15
	VUNPCKLPS    Y13, Y12, Y9
	VUNPCKHPS    Y13, Y12, Y12
	VUNPCKLPS    Y15, Y14, Y10
	VUNPCKHPS    Y15, Y14, Y14
	VUNPCKLPD    Y10, Y9, Y29
	VUNPCKHPD    Y10, Y9, Y13
	VUNPCKLPD    Y14, Y12, Y30
	VUNPCKHPD    Y14, Y12, Y15
	VMOVAPS      Y29, Y12
	VMOVAPS      Y30, Y14
	Q50X8_SUMI(0, 0)
	Q50X8_ACC(0, Y12)
	Q50X8_SUMI(22, 32)
	Q50X8_ACC(22, Y13)
	Q50X8_SUMI(44, 64)
	Q50X8_ACC(44, Y14)
	Q50X8_SUMI(66, 96)
	Q50X8_ACC(66, Y15)
	ADDQ $88, SI
	ADDQ $128, DI
	ADDQ $128, R12
	ADDQ $16, DX
	ADDQ $16, R14
	SUBQ $4, CX
	JMP  q50x8quad

q50x8one:
	TESTQ CX, CX
	JEQ   q50x8done
	Q50X8_SUMI(0, 0)
	Q50X8_DY(DX, X12)
	Q50X8_DY(R14, X13)
	VINSERTF128  $1, X13, Y12, Y12
	Q50X8_ACC(0, Y12)
	ADDQ $22, SI
	ADDQ $32, DI
	ADDQ $32, R12
	ADDQ $4, DX
	ADDQ $4, R14
	DECQ CX
	JMP  q50x8one

q50x8done:
	MOVQ    out+48(FP), AX
	VMOVUPS Y8, (AX)
	VZEROUPPER
	RET
