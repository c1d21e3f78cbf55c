#include "textflag.h"

// Q3_K row dot, ggml's AVX2 scheme: for each 32-value chunk the 2 low bits
// (0..3) and the "minus 4 where the high bit is clear" part (0 or 4) go
// through vpmaddubsw against the activation quants separately and are
// subtracted as int16 (|pair| <= 1792, no saturation); vpmaddwd with the
// chunk's two scales (one per 16 values) widens to 8 int32 lanes. Those
// lanes are the ones refDotQ3_K keeps, so the per-block FMA and the final
// reduction match it bit for bit.
//
// Registers: SI weight block, DI activation quants, DX activation scales,
// CX blocks left, R8 scale shuffle masks. Y0 float accumulator, Y1 hmask,
// Y2 low-bit bytes of the current half, Y4 int32 lane sums, Y9/Y10 the
// scales of half 0/1 as int16 in both 128-bit lanes, Y5-Y7 temporaries.
// Constants: Y15 bytes 3, Y14 bytes 4, Y12 bytes 0x0f, Y11 bytes 32.

// Q3K_CHUNK: Y5 holds the chunk's low bits (0..3), hi the hmask shifted so
// that this chunk's bit sits at bit 2 of each byte.
#define Q3K_CHUNK(hi, yoff, mask, scales) \
	VPANDN     Y14, hi, Y6; \
	VPMADDUBSW yoff(DI), Y5, Y5; \
	VPMADDUBSW yoff(DI), Y6, Y6; \
	VPSUBW     Y6, Y5, Y5; \
	VPSHUFB    mask(R8), scales, Y7; \
	VPMADDWD   Y7, Y5, Y5; \
	VPADDD     Y5, Y4, Y4

// func dotQ3_KAVX2(w *byte, qs *int8, d *float32, nb int) float32
TEXT ·dotQ3_KAVX2(SB), NOSPLIT, $0-36
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ nb+24(FP), CX
	LEAQ q3kshuf<>(SB), R8
	VXORPS Y0, Y0, Y0
	MOVL $0x03030303, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	MOVL $0x04040404, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X12
	VPBROADCASTD X12, Y12
	MOVL $0x20202020, AX
	VMOVD AX, X11
	VPBROADCASTD X11, Y11

q3kloop:
	// Scales: bytes 0-7 give the low nibbles of scales 0-7 (low nibbles)
	// and 8-15 (high nibbles); 2-bit fields of bytes 8-11, shifted by
	// 0, 2, 4, 6 for scales 0-3, 4-7, 8-11, 12-15, give the top bits.
	VMOVQ        96(SI), X8
	VPSRLW       $4, X8, X9
	VPUNPCKLQDQ  X9, X8, X8
	VPAND        X12, X8, X8
	VPBROADCASTD 104(SI), X9
	VPSRLVD      q3kshift<>(SB), X9, X9
	VPAND        X15, X9, X9
	VPSLLW       $4, X9, X9
	VPOR         X9, X8, X8
	VPSUBB       X11, X8, X8
	VPMOVSXBW    X8, Y8
	VPERMQ       $0x44, Y8, Y9  // scales 0-7 in both lanes
	VPERMQ       $0xee, Y8, Y10 // scales 8-15 in both lanes

	VMOVDQU (SI), Y1
	VPXOR   Y4, Y4, Y4

	// Half 0: values 0-127, hmask bits 0-3.
	VMOVDQU 32(SI), Y2
	VPAND   Y15, Y2, Y5
	VPSLLW  $2, Y1, Y6
	Q3K_CHUNK(Y6, 0, 0, Y9)
	VPSRLW  $2, Y2, Y5
	VPAND   Y15, Y5, Y5
	VPSLLW  $1, Y1, Y6
	Q3K_CHUNK(Y6, 32, 32, Y9)
	VPSRLW  $4, Y2, Y5
	VPAND   Y15, Y5, Y5
	Q3K_CHUNK(Y1, 64, 64, Y9)
	VPSRLW  $6, Y2, Y5
	VPAND   Y15, Y5, Y5
	VPSRLW  $1, Y1, Y6
	Q3K_CHUNK(Y6, 96, 96, Y9)

	// Half 1: values 128-255, hmask bits 4-7.
	VMOVDQU 64(SI), Y2
	VPAND   Y15, Y2, Y5
	VPSRLW  $2, Y1, Y6
	Q3K_CHUNK(Y6, 128, 0, Y10)
	VPSRLW  $2, Y2, Y5
	VPAND   Y15, Y5, Y5
	VPSRLW  $3, Y1, Y6
	Q3K_CHUNK(Y6, 160, 32, Y10)
	VPSRLW  $4, Y2, Y5
	VPAND   Y15, Y5, Y5
	VPSRLW  $4, Y1, Y6
	Q3K_CHUNK(Y6, 192, 64, Y10)
	VPSRLW  $6, Y2, Y5
	VPAND   Y15, Y5, Y5
	VPSRLW  $5, Y1, Y6
	Q3K_CHUNK(Y6, 224, 96, Y10)

	// d = y.d * x.d, then one FMA per block into the float lanes.
	VCVTDQ2PS    Y4, Y4
	MOVWLZX      108(SI), AX
	VMOVD        AX, X6
	VCVTPH2PS    X6, X6
	VMULSS       (DX), X6, X6
	VBROADCASTSS X6, Y6
	VFMADD231PS  Y6, Y4, Y0

	ADDQ $110, SI
	ADDQ $256, DI
	ADDQ $4, DX
	DECQ CX
	JNZ  q3kloop

	// hsum_float_8: (lo+hi), then lanes (0+2)+(1+3).
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0
	VMOVSS       X0, ret+32(FP)
	VZEROUPPER
	RET

// Shuffle masks for chunk k of a half: the low 128-bit lane repeats int16
// scale 2k (bytes 4k, 4k+1), the high lane scale 2k+1.
DATA q3kshuf<>+0x00(SB)/8, $0x0100010001000100
DATA q3kshuf<>+0x08(SB)/8, $0x0100010001000100
DATA q3kshuf<>+0x10(SB)/8, $0x0302030203020302
DATA q3kshuf<>+0x18(SB)/8, $0x0302030203020302
DATA q3kshuf<>+0x20(SB)/8, $0x0504050405040504
DATA q3kshuf<>+0x28(SB)/8, $0x0504050405040504
DATA q3kshuf<>+0x30(SB)/8, $0x0706070607060706
DATA q3kshuf<>+0x38(SB)/8, $0x0706070607060706
DATA q3kshuf<>+0x40(SB)/8, $0x0908090809080908
DATA q3kshuf<>+0x48(SB)/8, $0x0908090809080908
DATA q3kshuf<>+0x50(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q3kshuf<>+0x58(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q3kshuf<>+0x60(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q3kshuf<>+0x68(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q3kshuf<>+0x70(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA q3kshuf<>+0x78(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL q3kshuf<>(SB), RODATA|NOPTR, $128

// Per-dword shifts that bring each group of scales' 2-bit fields down.
DATA q3kshift<>+0x00(SB)/4, $0
DATA q3kshift<>+0x04(SB)/4, $2
DATA q3kshift<>+0x08(SB)/4, $4
DATA q3kshift<>+0x0c(SB)/4, $6
GLOBL q3kshift<>(SB), RODATA|NOPTR, $16
