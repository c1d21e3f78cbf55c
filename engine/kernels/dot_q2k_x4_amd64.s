#include "textflag.h"

// Four-token Q2_K row dot, for prefill and batched decode. out[t] is bit
// for bit dotQ2_KAVX2 on token t: per block the same mins FMA and then the
// same d·cvt(sumi) FMA into token t's own 8 float lanes, and the same
// horizontal sum at the end. sumi's lanes are exact int32 sums (lane i:
// bytes 4i..4i+3 of every 32-value chunk, times their scale), so how they
// are formed may differ from the one-token kernel; here it is cheaper per
// token:
//
// Each chunk's 2-bit quants q are turned once per block, by a vpshufb
// table lookup, into bytes sc·q (at most 15·3 = 45), so a token needs one
// vpmaddubsw per chunk (pairs at most 2·45·128 = 11520), one vpaddw per two
// chunks (at most 23040: no int16 overflow) and one vpmaddwd by ones per
// two chunks, instead of a vpmaddubsw and a vpmaddwd by the scales per
// chunk.
//
// The table R_k of half k holds in dword j of its low 128-bit lane
// [0, s, 2s, 3s] for s = scale 8k+2j (values 0-15 of chunk 4k+j) and in
// its high lane that of scale 8k+2j+1 (values 16-31); chunk 4k+j looks up
// q | 4j.
//
// Token t's quants are at DI + t*R8, its scales at DX + t*R10, its bsums
// at BX + t*R12 (R9, R11, R13 three times the stride). SI the weight
// blocks, CX blocks left. Y0-Y3 the float accumulators of tokens 0-3,
// Y4-Y11 the block's eight sc·q chunks; Y12-Y14 temporaries; Y15 the raw
// scales, then bytes 3 while the chunks are made, then int16 ones while
// the tokens' sums are taken. The frame holds d (the block's f16 d as
// float), as no register is left for it.

// Q2KX4_Q makes chunk j (j > 0, shift 2j) of the half in raw into dst,
// looking up q | 4j (the bytes at or) in table.
#define Q2KX4_Q(shift, or, raw, table, dst) \
	VPSRLW  $shift, raw, dst; \
	VPAND   Y15, dst, dst; \
	VPOR    q2kx4c<>+or(SB), dst, dst; \
	VPSHUFB dst, table, dst

// Q2KX4_MINS: token t's acc -= (x.d·dmin)·cvt(m·bsums pair sums), with
// the mins words in Y13 and dmin's float in Y14, as dotQ2_KAVX2.
#define Q2KX4_MINS(bsums, d, acc) \
	VPMADDWD     bsums, Y13, Y12; \
	VCVTDQ2PS    Y12, Y12; \
	VBROADCASTSS d, Y4; \
	VMULPS       Y4, Y14, Y4; \
	VFNMADD231PS Y4, Y12, acc

// Q2KX4_PAIR: the int32 lanes of chunks ca and cb (at off, off+32) of one
// token into dst.
#define Q2KX4_PAIR(q, off, ca, cb, dst) \
	VPMADDUBSW off(q), ca, dst; \
	VPMADDUBSW off+32(q), cb, Y13; \
	VPADDW     Y13, dst, dst; \
	VPMADDWD   Y15, dst, dst

// Q2KX4_SUMS: token t's acc += (x.d·d)·cvt(sumi), as dotQ2_KAVX2 (the
// product with d as its first operand, as there).
#define Q2KX4_SUMS(q, d, acc) \
	Q2KX4_PAIR(q, 0, Y4, Y5, Y14); \
	Q2KX4_PAIR(q, 64, Y6, Y7, Y12); \
	VPADDD       Y12, Y14, Y14; \
	Q2KX4_PAIR(q, 128, Y8, Y9, Y12); \
	VPADDD       Y12, Y14, Y14; \
	Q2KX4_PAIR(q, 192, Y10, Y11, Y12); \
	VPADDD       Y12, Y14, Y14; \
	VCVTDQ2PS    Y14, Y14; \
	VBROADCASTSS d, Y12; \
	VBROADCASTSS 0(SP), Y13; \
	VMULPS       Y12, Y13, Y12; \
	VFMADD231PS  Y12, Y14, acc

// Q2KX4_HSUM is dotQ2_KAVX2's hsum_float_8, operand for operand.
#define Q2KX4_HSUM(acc, xacc, dst) \
	VEXTRACTF128 $1, acc, X13; \
	VADDPS    X13, xacc, X13; \
	VMOVHLPS  X13, X13, X12; \
	VADDPS    X12, X13, X13; \
	VMOVSHDUP X13, X12; \
	VADDSS    X12, X13, X13; \
	VMOVSS    X13, dst

// func dotQ2_Kx4AVX2(w *byte, qs *int8, d *float32, bsums *int16, nb, qstride, dstride, bstride int, out *[4]float32)
TEXT ·dotQ2_Kx4AVX2(SB), NOSPLIT, $8-72
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ bsums+24(FP), BX
	MOVQ nb+32(FP), CX
	MOVQ qstride+40(FP), R8
	MOVQ dstride+48(FP), R10
	MOVQ bstride+56(FP), R12
	LEAQ (R8)(R8*2), R9
	LEAQ (R10)(R10*2), R11
	LEAQ (R12)(R12*2), R13
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	TESTQ  CX, CX
	JEQ    q2kx4done

q2kx4loop:
	VBROADCASTI128 (SI), Y15
	// Mins words, as the one-token kernel makes them.
	VPSRLW    $4, X15, X13
	VPAND     q2kx4c<>+0x00(SB), X13, X13
	VPMOVZXBW X13, Y13
	MOVWLZX   82(SI), AX
	VMOVD     AX, X14
	VCVTPH2PS X14, X14
	VBROADCASTSS X14, Y14
	MOVWLZX   80(SI), AX
	VMOVD     AX, X12
	VCVTPH2PS X12, X12
	VMOVSS    X12, 0(SP)
	Q2KX4_MINS((BX), (DX), Y0)
	Q2KX4_MINS((BX)(R12*1), (DX)(R10*1), Y1)
	Q2KX4_MINS((BX)(R12*2), (DX)(R10*2), Y2)
	Q2KX4_MINS((BX)(R13*1), (DX)(R11*1), Y3)

	// Tables: S the scales (both lanes), S2 = 2S; R = pick(S) + pick(S2)
	// gives [0, s, 2s, 3s] per dword.
	VPAND   q2kx4c<>+0x00(SB), Y15, Y15
	VPADDB  Y15, Y15, Y14
	VPSHUFB q2kx4tab<>+0x00(SB), Y15, Y12
	VPSHUFB q2kx4tab<>+0x20(SB), Y14, Y13
	VPADDB  Y13, Y12, Y12
	VPSHUFB q2kx4tab<>+0x40(SB), Y15, Y13
	VPSHUFB q2kx4tab<>+0x60(SB), Y14, Y14
	VPADDB  Y14, Y13, Y13
	VMOVDQU q2kx4c<>+0x20(SB), Y15

	VMOVDQU 16(SI), Y14
	VPAND   Y15, Y14, Y4
	VPSHUFB Y4, Y12, Y4
	Q2KX4_Q(2, 0x40, Y14, Y12, Y5)
	Q2KX4_Q(4, 0x60, Y14, Y12, Y6)
	Q2KX4_Q(6, 0x80, Y14, Y12, Y7)
	VMOVDQU 48(SI), Y14
	VPAND   Y15, Y14, Y8
	VPSHUFB Y8, Y13, Y8
	Q2KX4_Q(2, 0x40, Y14, Y13, Y9)
	Q2KX4_Q(4, 0x60, Y14, Y13, Y10)
	Q2KX4_Q(6, 0x80, Y14, Y13, Y11)

	VMOVDQU   q2kx4c<>+0xa0(SB), Y15
	Q2KX4_SUMS(DI, (DX), Y0)
	ADDQ      R8, DI
	Q2KX4_SUMS(DI, (DX)(R10*1), Y1)
	ADDQ      R8, DI
	Q2KX4_SUMS(DI, (DX)(R10*2), Y2)
	ADDQ      R8, DI
	Q2KX4_SUMS(DI, (DX)(R11*1), Y3)
	SUBQ      R9, DI

	ADDQ $84, SI
	ADDQ $256, DI
	ADDQ $4, DX
	ADDQ $32, BX
	DECQ CX
	JNZ  q2kx4loop

q2kx4done:
	MOVQ out+64(FP), DI
	Q2KX4_HSUM(Y0, X0, 0(DI))
	Q2KX4_HSUM(Y1, X1, 4(DI))
	Q2KX4_HSUM(Y2, X2, 8(DI))
	Q2KX4_HSUM(Y3, X3, 12(DI))
	VZEROUPPER
	RET

// q2kx4c: bytes 0x0f at 0x00, bytes 3 at 0x20, bytes 4, 8 and 12 (the
// table offsets of chunks 1-3 of a half) at 0x40, 0x60, 0x80, int16 ones
// at 0xa0.
DATA q2kx4c<>+0x00(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q2kx4c<>+0x08(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q2kx4c<>+0x10(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q2kx4c<>+0x18(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q2kx4c<>+0x20(SB)/8, $0x0303030303030303
DATA q2kx4c<>+0x28(SB)/8, $0x0303030303030303
DATA q2kx4c<>+0x30(SB)/8, $0x0303030303030303
DATA q2kx4c<>+0x38(SB)/8, $0x0303030303030303
DATA q2kx4c<>+0x40(SB)/8, $0x0404040404040404
DATA q2kx4c<>+0x48(SB)/8, $0x0404040404040404
DATA q2kx4c<>+0x50(SB)/8, $0x0404040404040404
DATA q2kx4c<>+0x58(SB)/8, $0x0404040404040404
DATA q2kx4c<>+0x60(SB)/8, $0x0808080808080808
DATA q2kx4c<>+0x68(SB)/8, $0x0808080808080808
DATA q2kx4c<>+0x70(SB)/8, $0x0808080808080808
DATA q2kx4c<>+0x78(SB)/8, $0x0808080808080808
DATA q2kx4c<>+0x80(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA q2kx4c<>+0x88(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA q2kx4c<>+0x90(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA q2kx4c<>+0x98(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA q2kx4c<>+0xa0(SB)/8, $0x0001000100010001
DATA q2kx4c<>+0xa8(SB)/8, $0x0001000100010001
DATA q2kx4c<>+0xb0(SB)/8, $0x0001000100010001
DATA q2kx4c<>+0xb8(SB)/8, $0x0001000100010001
GLOBL q2kx4c<>(SB), RODATA|NOPTR, $192

// q2kx4tab: vpshufb masks picking, per dword j, [-, s, -, s] from S and
// [-, -, 2s, 2s] from S2 for s = scale 8k+2j (low lane) or 8k+2j+1 (high
// lane): half 0 at 0x00 (S) and 0x20 (S2), half 1 at 0x40 and 0x60.
DATA q2kx4tab<>+0x00(SB)/8, $0x0280028000800080
DATA q2kx4tab<>+0x08(SB)/8, $0x0680068004800480
DATA q2kx4tab<>+0x10(SB)/8, $0x0380038001800180
DATA q2kx4tab<>+0x18(SB)/8, $0x0780078005800580
DATA q2kx4tab<>+0x20(SB)/8, $0x0202808000008080
DATA q2kx4tab<>+0x28(SB)/8, $0x0606808004048080
DATA q2kx4tab<>+0x30(SB)/8, $0x0303808001018080
DATA q2kx4tab<>+0x38(SB)/8, $0x0707808005058080
DATA q2kx4tab<>+0x40(SB)/8, $0x0a800a8008800880
DATA q2kx4tab<>+0x48(SB)/8, $0x0e800e800c800c80
DATA q2kx4tab<>+0x50(SB)/8, $0x0b800b8009800980
DATA q2kx4tab<>+0x58(SB)/8, $0x0f800f800d800d80
DATA q2kx4tab<>+0x60(SB)/8, $0x0a0a808008088080
DATA q2kx4tab<>+0x68(SB)/8, $0x0e0e80800c0c8080
DATA q2kx4tab<>+0x70(SB)/8, $0x0b0b808009098080
DATA q2kx4tab<>+0x78(SB)/8, $0x0f0f80800d0d8080
GLOBL q2kx4tab<>(SB), RODATA|NOPTR, $128
