#include "textflag.h"

// Four-token Q3_K row dot, for prefill and batched decode. Each block's
// scales are unpacked once, and each 32-value chunk's low bits and
// "4 where the high bit is clear" bytes once; every token then does the
// one-token kernel's (dotQ3_KAVX2) integer work on them into its own int32
// lanes, and per block the same cvt, d = x.d*y.d and FMA into its own
// float lanes, reduced at the end in the same order. So out[t] is bit for
// bit dotQ3_KAVX2 on token t.
//
// Token t's quants are at DI + t*R8 (R9 = 3*R8), its scales at DX + t*R10
// (R11 = 3*R10). BX the shuffle masks, CX blocks left.
// Y0-Y3 float accumulators of tokens 0-3, Y4-Y7 their int32 block sums;
// Y8/Y9 scales of half 0/1 as int16 in both 128-bit lanes; Y10 the
// chunk's low bits, Y11 its 0-or-4 bytes, Y12 its scale pair; Y13/Y14
// temporaries; Y15 bytes 3. The other constants are read from memory, as
// sixteen registers are all taken.

// Q3KX4_TOKEN: one token's part of a chunk, as Q3K_CHUNK in dot_q3k_amd64.s.
#define Q3KX4_TOKEN(q, acc) \
	VMOVDQU    q, Y14; \
	VPMADDUBSW Y14, Y10, Y13; \
	VPMADDUBSW Y14, Y11, Y14; \
	VPSUBW     Y14, Y13, Y13; \
	VPMADDWD   Y12, Y13, Y13; \
	VPADDD     Y13, acc, acc

// Q3KX4_CHUNK: Y10 holds the chunk's low bits (0..3), Y11 the hmask
// shifted so that the chunk's bit sits at bit 2 of each byte.
#define Q3KX4_CHUNK(yoff, mask, scales) \
	VPANDN  q3kx4four<>(SB), Y11, Y11; \
	VPSHUFB mask(BX), scales, Y12; \
	Q3KX4_TOKEN(yoff(DI), Y4); \
	Q3KX4_TOKEN(yoff(DI)(R8*1), Y5); \
	Q3KX4_TOKEN(yoff(DI)(R8*2), Y6); \
	Q3KX4_TOKEN(yoff(DI)(R9*1), Y7)

// Q3KX4_LOW: low bits of chunk k (shift 2k) of the half at qoff.
#define Q3KX4_LOW(qoff, shift) \
	VMOVDQU qoff(SI), Y10; \
	VPSRLW  $shift, Y10, Y10; \
	VPAND   Y15, Y10, Y10

// Q3KX4_SCALE: facc += float(isum) * (x.d · token's y.d); X12 holds x.d.
#define Q3KX4_SCALE(isum, daddr, facc) \
	VCVTDQ2PS    isum, isum; \
	VMULSS       daddr, X12, X13; \
	VBROADCASTSS X13, Y13; \
	VFMADD231PS  Y13, isum, facc

// Q3KX4_HSUM: hsum_float_8 as the one-token kernel does it.
#define Q3KX4_HSUM(facc, xfacc, dst) \
	VEXTRACTF128 $1, facc, X8; \
	VADDPS       X8, xfacc, X8; \
	VMOVHLPS     X8, X8, X9; \
	VADDPS       X9, X8, X8; \
	VMOVSHDUP    X8, X9; \
	VADDSS       X9, X8, X8; \
	VMOVSS       X8, dst

// func dotQ3_Kx4AVX2(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)
TEXT ·dotQ3_Kx4AVX2(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ nb+24(FP), CX
	MOVQ qstride+32(FP), R8
	MOVQ dstride+40(FP), R10
	LEAQ (R8)(R8*2), R9
	LEAQ (R10)(R10*2), R11
	LEAQ q3kx4shuf<>(SB), BX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVL $0x03030303, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15

q3kx4loop:
	// Scales as in dotQ3_KAVX2.
	VMOVQ        96(SI), X12
	VPSRLW       $4, X12, X13
	VPUNPCKLQDQ  X13, X12, X12
	VPAND        q3kx4lo4<>(SB), X12, X12
	VPBROADCASTD 104(SI), X13
	VPSRLVD      q3kx4shift<>(SB), X13, X13
	VPAND        X15, X13, X13
	VPSLLW       $4, X13, X13
	VPOR         X13, X12, X12
	VPSUBB       q3kx4c32<>(SB), X12, X12
	VPMOVSXBW    X12, Y12
	VPERMQ       $0x44, Y12, Y8 // scales 0-7 in both lanes
	VPERMQ       $0xee, Y12, Y9 // scales 8-15 in both lanes

	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7

	// Half 0: values 0-127, low bits at 32(SI), hmask bits 0-3.
	VMOVDQU 32(SI), Y10
	VPAND   Y15, Y10, Y10
	VMOVDQU (SI), Y11
	VPSLLW  $2, Y11, Y11
	Q3KX4_CHUNK(0, 0, Y8)
	Q3KX4_LOW(32, 2)
	VMOVDQU (SI), Y11
	VPSLLW  $1, Y11, Y11
	Q3KX4_CHUNK(32, 32, Y8)
	Q3KX4_LOW(32, 4)
	VMOVDQU (SI), Y11
	Q3KX4_CHUNK(64, 64, Y8)
	Q3KX4_LOW(32, 6)
	VMOVDQU (SI), Y11
	VPSRLW  $1, Y11, Y11
	Q3KX4_CHUNK(96, 96, Y8)

	// Half 1: values 128-255, low bits at 64(SI), hmask bits 4-7.
	VMOVDQU 64(SI), Y10
	VPAND   Y15, Y10, Y10
	VMOVDQU (SI), Y11
	VPSRLW  $2, Y11, Y11
	Q3KX4_CHUNK(128, 0, Y9)
	Q3KX4_LOW(64, 2)
	VMOVDQU (SI), Y11
	VPSRLW  $3, Y11, Y11
	Q3KX4_CHUNK(160, 32, Y9)
	Q3KX4_LOW(64, 4)
	VMOVDQU (SI), Y11
	VPSRLW  $4, Y11, Y11
	Q3KX4_CHUNK(192, 64, Y9)
	Q3KX4_LOW(64, 6)
	VMOVDQU (SI), Y11
	VPSRLW  $5, Y11, Y11
	Q3KX4_CHUNK(224, 96, Y9)

	// Per token: d = x.d * y.d, one FMA into its float lanes.
	MOVWLZX   108(SI), AX
	VMOVD     AX, X12
	VCVTPH2PS X12, X12
	Q3KX4_SCALE(Y4, (DX), Y0)
	Q3KX4_SCALE(Y5, (DX)(R10*1), Y1)
	Q3KX4_SCALE(Y6, (DX)(R10*2), Y2)
	Q3KX4_SCALE(Y7, (DX)(R11*1), Y3)

	ADDQ $110, SI
	ADDQ $256, DI
	ADDQ $4, DX
	DECQ CX
	JNZ  q3kx4loop

	MOVQ out+48(FP), DI
	Q3KX4_HSUM(Y0, X0, 0(DI))
	Q3KX4_HSUM(Y1, X1, 4(DI))
	Q3KX4_HSUM(Y2, X2, 8(DI))
	Q3KX4_HSUM(Y3, X3, 12(DI))
	VZEROUPPER
	RET

// Shuffle masks for chunk k of a half: the low 128-bit lane repeats int16
// scale 2k (bytes 4k, 4k+1), the high lane scale 2k+1.
DATA q3kx4shuf<>+0x00(SB)/8, $0x0100010001000100
DATA q3kx4shuf<>+0x08(SB)/8, $0x0100010001000100
DATA q3kx4shuf<>+0x10(SB)/8, $0x0302030203020302
DATA q3kx4shuf<>+0x18(SB)/8, $0x0302030203020302
DATA q3kx4shuf<>+0x20(SB)/8, $0x0504050405040504
DATA q3kx4shuf<>+0x28(SB)/8, $0x0504050405040504
DATA q3kx4shuf<>+0x30(SB)/8, $0x0706070607060706
DATA q3kx4shuf<>+0x38(SB)/8, $0x0706070607060706
DATA q3kx4shuf<>+0x40(SB)/8, $0x0908090809080908
DATA q3kx4shuf<>+0x48(SB)/8, $0x0908090809080908
DATA q3kx4shuf<>+0x50(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q3kx4shuf<>+0x58(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q3kx4shuf<>+0x60(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q3kx4shuf<>+0x68(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q3kx4shuf<>+0x70(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA q3kx4shuf<>+0x78(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL q3kx4shuf<>(SB), RODATA|NOPTR, $128

// Per-dword shifts that bring each group of scales' 2-bit fields down.
DATA q3kx4shift<>+0x00(SB)/4, $0
DATA q3kx4shift<>+0x04(SB)/4, $2
DATA q3kx4shift<>+0x08(SB)/4, $4
DATA q3kx4shift<>+0x0c(SB)/4, $6
GLOBL q3kx4shift<>(SB), RODATA|NOPTR, $16

DATA q3kx4four<>+0x00(SB)/8, $0x0404040404040404
DATA q3kx4four<>+0x08(SB)/8, $0x0404040404040404
DATA q3kx4four<>+0x10(SB)/8, $0x0404040404040404
DATA q3kx4four<>+0x18(SB)/8, $0x0404040404040404
GLOBL q3kx4four<>(SB), RODATA|NOPTR, $32

DATA q3kx4lo4<>+0x00(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q3kx4lo4<>+0x08(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL q3kx4lo4<>(SB), RODATA|NOPTR, $16

DATA q3kx4c32<>+0x00(SB)/8, $0x2020202020202020
DATA q3kx4c32<>+0x08(SB)/8, $0x2020202020202020
GLOBL q3kx4c32<>(SB), RODATA|NOPTR, $16
