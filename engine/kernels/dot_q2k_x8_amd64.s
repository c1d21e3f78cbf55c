#include "textflag.h"

// Eight-token Q2_K row dot (AVX-512 BW + VL + VNNI). out[t] is bit for bit
// dotQ2_KAVX2 on token t: per block the same mins FMA, then the same
// (x.d·d)·cvt(sumi) FMA into token t's own 8 float lanes, and the same
// hsum_float_8 at the end.
//
// As in the four-token kernel, each 32-value chunk c is turned once per
// block, by a vpshufb lookup, into the unsigned bytes sc·q (0..45; lane i
// of the table of half k holds [0, s, 2s, 3s] in dword j for the scale of
// chunk 4k+j's lane i). A token then needs one vpdpbusd per chunk: dword i
// gets Σ sc·q·y over bytes 4i..4i+3, exactly dotQ2_KAVX2's lane i (int32,
// no saturation: |sumi| <= 256·45·128 < 2^21). The work is kept in ymm
// registers: on Zen 4 a zmm op costs two ymm ones, and 256-bit lanes need
// no fold from 16 dwords to 8.
//
// Each token walks the activations with DI (quants), DX (scales) and BX
// (bsums), stepping by R8, R10, R12 from token to token and back by R9,
// R11, R13 (seven strides) after token 7. SI the weight blocks, CX blocks
// left. Y0-Y7 float accumulators of tokens 0-7; Y8-Y15 the block's sc·q
// chunks; Y16 the mins as words; Y17 dmin, Y18 d (floats, broadcast);
// Y20/Y21 the lookup tables of halves 0/1; Y22/Y23 the quant bytes of the
// halves; Y24 bytes 3, Y25-Y27 bytes 4, 8, 12; Y19 and Y28-Y31 token
// temporaries.

// Q2KX8_CHUNK: chunk j (> 0) of a half: (q >> 2j) & 3 | 4j, looked up.
#define Q2KX8_CHUNK(shift, or, raw, table, dst) \
	VPSRLW     $shift, raw, dst; \
	VPTERNLOGD $0xea, or, Y24, dst; \
	VPSHUFB    dst, table, dst

// Q2KX8_TOKEN: one token's block, in dotQ2_KAVX2's float order; sumi in
// two chains of four vpdpbusd (halves 0 and 1), so less waits on latency.
#define Q2KX8_TOKEN(acc) \
	VPMADDWD     (BX), Y16, Y28; \
	VCVTDQ2PS    Y28, Y28; \
	VMULPS.BCST  (DX), Y17, Y29; \
	VFNMADD231PS Y29, Y28, acc; \
	VPXORD       Y30, Y30, Y30; \
	VPXORD       Y19, Y19, Y19; \
	VPDPBUSD     0(DI), Y8, Y30; \
	VPDPBUSD     128(DI), Y12, Y19; \
	VPDPBUSD     32(DI), Y9, Y30; \
	VPDPBUSD     160(DI), Y13, Y19; \
	VPDPBUSD     64(DI), Y10, Y30; \
	VPDPBUSD     192(DI), Y14, Y19; \
	VPDPBUSD     96(DI), Y11, Y30; \
	VPDPBUSD     224(DI), Y15, Y19; \
	VPADDD       Y19, Y30, Y30; \
	VCVTDQ2PS    Y30, Y30; \
	VMULPS.BCST  (DX), Y18, Y31; \
	VFMADD231PS  Y31, Y30, acc

#define Q2KX8_NEXT \
	ADDQ R8, DI; \
	ADDQ R10, DX; \
	ADDQ R12, BX

// Q2KX8_HSUM is dotQ2_KAVX2's hsum_float_8, operand for operand.
#define Q2KX8_HSUM(acc, xacc, dst) \
	VEXTRACTF128 $1, acc, X9; \
	VADDPS       X9, xacc, X9; \
	VMOVHLPS     X9, X9, X8; \
	VADDPS       X8, X9, X9; \
	VMOVSHDUP    X9, X8; \
	VADDSS       X8, X9, X9; \
	VMOVSS       X9, dst

// func dotQ2_Kx8AVX512(w *byte, qs *int8, d *float32, bsums *int16, nb, qstride, dstride, bstride int, out *[8]float32)
TEXT ·dotQ2_Kx8AVX512(SB), NOSPLIT, $0-72
	MOVQ   w+0(FP), SI
	MOVQ   qs+8(FP), DI
	MOVQ   d+16(FP), DX
	MOVQ   bsums+24(FP), BX
	MOVQ   nb+32(FP), CX
	MOVQ   qstride+40(FP), R8
	MOVQ   dstride+48(FP), R10
	MOVQ   bstride+56(FP), R12
	IMUL3Q $7, R8, R9
	IMUL3Q $7, R10, R11
	IMUL3Q $7, R12, R13
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VMOVDQU32 q2kx8c<>+0x20(SB), Y24
	VMOVDQU32 q2kx8c<>+0x40(SB), Y25
	VMOVDQU32 q2kx8c<>+0x60(SB), Y26
	VMOVDQU32 q2kx8c<>+0x80(SB), Y27
	TESTQ  CX, CX
	JEQ    q2kx8done

q2kx8loop:
	// Mins words as the one-token kernel makes them; then the tables:
	// S the scales (both lanes), S2 = 2S, table = pick(S) + pick(S2).
	VBROADCASTI128 (SI), Y14
	VPSRLW    $4, X14, X13
	VPAND     q2kx8c<>+0x00(SB), X13, X13
	VPMOVZXBW X13, Y16
	VPAND     q2kx8c<>+0x00(SB), Y14, Y14
	VPADDB    Y14, Y14, Y13
	VPSHUFB   q2kx8tab<>+0x00(SB), Y14, Y12
	VPSHUFB   q2kx8tab<>+0x20(SB), Y13, Y11
	VPADDB    Y11, Y12, Y20
	VPSHUFB   q2kx8tab<>+0x40(SB), Y14, Y12
	VPSHUFB   q2kx8tab<>+0x60(SB), Y13, Y11
	VPADDB    Y11, Y12, Y21
	MOVWLZX   82(SI), AX
	VMOVD     AX, X12
	VCVTPH2PS X12, X12
	VBROADCASTSS X12, Y17
	MOVWLZX   80(SI), AX
	VMOVD     AX, X12
	VCVTPH2PS X12, X12
	VBROADCASTSS X12, Y18

	VMOVDQU32 16(SI), Y22
	VMOVDQU32 48(SI), Y23
	VPANDD    Y24, Y22, Y8
	VPSHUFB   Y8, Y20, Y8
	Q2KX8_CHUNK(2, Y25, Y22, Y20, Y9)
	Q2KX8_CHUNK(4, Y26, Y22, Y20, Y10)
	Q2KX8_CHUNK(6, Y27, Y22, Y20, Y11)
	VPANDD    Y24, Y23, Y12
	VPSHUFB   Y12, Y21, Y12
	Q2KX8_CHUNK(2, Y25, Y23, Y21, Y13)
	Q2KX8_CHUNK(4, Y26, Y23, Y21, Y14)
	Q2KX8_CHUNK(6, Y27, Y23, Y21, Y15)

	Q2KX8_TOKEN(Y0)
	Q2KX8_NEXT
	Q2KX8_TOKEN(Y1)
	Q2KX8_NEXT
	Q2KX8_TOKEN(Y2)
	Q2KX8_NEXT
	Q2KX8_TOKEN(Y3)
	Q2KX8_NEXT
	Q2KX8_TOKEN(Y4)
	Q2KX8_NEXT
	Q2KX8_TOKEN(Y5)
	Q2KX8_NEXT
	Q2KX8_TOKEN(Y6)
	Q2KX8_NEXT
	Q2KX8_TOKEN(Y7)
	SUBQ R9, DI
	SUBQ R11, DX
	SUBQ R13, BX

	ADDQ $84, SI
	ADDQ $256, DI
	ADDQ $4, DX
	ADDQ $32, BX
	DECQ CX
	JNZ  q2kx8loop

q2kx8done:
	MOVQ out+64(FP), DI
	Q2KX8_HSUM(Y0, X0, 0(DI))
	Q2KX8_HSUM(Y1, X1, 4(DI))
	Q2KX8_HSUM(Y2, X2, 8(DI))
	Q2KX8_HSUM(Y3, X3, 12(DI))
	Q2KX8_HSUM(Y4, X4, 16(DI))
	Q2KX8_HSUM(Y5, X5, 20(DI))
	Q2KX8_HSUM(Y6, X6, 24(DI))
	Q2KX8_HSUM(Y7, X7, 28(DI))
	VZEROUPPER
	RET

// q2kx8c: bytes 0x0f at 0x00, bytes 3 at 0x20, bytes 4, 8 and 12 (the
// table offsets of chunks 1-3 of a half) at 0x40, 0x60, 0x80.
DATA q2kx8c<>+0x00(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q2kx8c<>+0x08(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q2kx8c<>+0x10(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q2kx8c<>+0x18(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q2kx8c<>+0x20(SB)/8, $0x0303030303030303
DATA q2kx8c<>+0x28(SB)/8, $0x0303030303030303
DATA q2kx8c<>+0x30(SB)/8, $0x0303030303030303
DATA q2kx8c<>+0x38(SB)/8, $0x0303030303030303
DATA q2kx8c<>+0x40(SB)/8, $0x0404040404040404
DATA q2kx8c<>+0x48(SB)/8, $0x0404040404040404
DATA q2kx8c<>+0x50(SB)/8, $0x0404040404040404
DATA q2kx8c<>+0x58(SB)/8, $0x0404040404040404
DATA q2kx8c<>+0x60(SB)/8, $0x0808080808080808
DATA q2kx8c<>+0x68(SB)/8, $0x0808080808080808
DATA q2kx8c<>+0x70(SB)/8, $0x0808080808080808
DATA q2kx8c<>+0x78(SB)/8, $0x0808080808080808
DATA q2kx8c<>+0x80(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA q2kx8c<>+0x88(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA q2kx8c<>+0x90(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA q2kx8c<>+0x98(SB)/8, $0x0c0c0c0c0c0c0c0c
GLOBL q2kx8c<>(SB), RODATA|NOPTR, $160

// q2kx8tab: vpshufb masks picking, per dword j, [-, s, -, s] from S and
// [-, -, 2s, 2s] from S2 for s = scale 8k+2j (low lane) or 8k+2j+1 (high
// lane): half 0 at 0x00 (S) and 0x20 (S2), half 1 at 0x40 and 0x60.
DATA q2kx8tab<>+0x00(SB)/8, $0x0280028000800080
DATA q2kx8tab<>+0x08(SB)/8, $0x0680068004800480
DATA q2kx8tab<>+0x10(SB)/8, $0x0380038001800180
DATA q2kx8tab<>+0x18(SB)/8, $0x0780078005800580
DATA q2kx8tab<>+0x20(SB)/8, $0x0202808000008080
DATA q2kx8tab<>+0x28(SB)/8, $0x0606808004048080
DATA q2kx8tab<>+0x30(SB)/8, $0x0303808001018080
DATA q2kx8tab<>+0x38(SB)/8, $0x0707808005058080
DATA q2kx8tab<>+0x40(SB)/8, $0x0a800a8008800880
DATA q2kx8tab<>+0x48(SB)/8, $0x0e800e800c800c80
DATA q2kx8tab<>+0x50(SB)/8, $0x0b800b8009800980
DATA q2kx8tab<>+0x58(SB)/8, $0x0f800f800d800d80
DATA q2kx8tab<>+0x60(SB)/8, $0x0a0a808008088080
DATA q2kx8tab<>+0x68(SB)/8, $0x0e0e80800c0c8080
DATA q2kx8tab<>+0x70(SB)/8, $0x0b0b808009098080
DATA q2kx8tab<>+0x78(SB)/8, $0x0f0f80800d0d8080
GLOBL q2kx8tab<>(SB), RODATA|NOPTR, $128
