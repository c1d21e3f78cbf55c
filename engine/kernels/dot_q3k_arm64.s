//go:build arm64

#include "textflag.h"
#include "neon_arm64.h"

// NEON row dot of Q3_K, bit for bit refDotQ3_K (llama.cpp's AVX2 order:
// eight int32 lanes per block, one FMA per block, hsum_float_8).

// Q3_CHUNK: 32 values of a half block: the next two bits of each qs byte
// (V2:V3, shifted on by 2), the next high bit of hmask (V18:V19, shifted
// on by 1), so value = low2 | hbit<<2, minus 4; times their activations
// (R1, moving on), the first 16 times scale lane s0i of V(s0) into V16,
// the others times lane s1i of V(s1) into V17. V25 = 3, V26 = 1, V27 = 4
// in every byte.
#define Q3_CHUNK(s0, s0i, s1, s1i) \
	VAND   V25.B16, V2.B16, V4.B16 \
	VAND   V25.B16, V3.B16, V5.B16 \
	VUSHR  $2, V2.B16, V2.B16 \
	VUSHR  $2, V3.B16, V3.B16 \
	VAND   V26.B16, V18.B16, V6.B16 \
	VAND   V26.B16, V19.B16, V7.B16 \
	VSHL   $2, V6.B16, V6.B16 \
	VSHL   $2, V7.B16, V7.B16 \
	VORR   V6.B16, V4.B16, V4.B16 \
	VORR   V7.B16, V5.B16, V5.B16 \
	VUSHR  $1, V18.B16, V18.B16 \
	VUSHR  $1, V19.B16, V19.B16 \
	VSUB   V27.B16, V4.B16, V4.B16 \
	VSUB   V27.B16, V5.B16, V5.B16 \
	VLD1.P 32(R1), [V8.B16, V9.B16] \
	VZERO(12) \
	VZERO(13) \
	SDOT(8, 4, 12) \
	SDOT(9, 5, 13) \
	MLAE4(s0, s0i, 12, 16) \
	MLAE4(s1, s1i, 13, 17)

// func dotQ3_KSDOT(w *byte, qs *int8, d *float32, nb int) float32
TEXT ·dotQ3_KSDOT(SB), NOSPLIT, $0-36
	MOVD  w+0(FP), R0
	MOVD  qs+8(FP), R1
	MOVD  d+16(FP), R2
	MOVD  nb+24(FP), R3
	VMOVI $3, V25.B16
	VMOVI $1, V26.B16
	VMOVI $4, V27.B16
	VMOVI $32, V14.B16
	VEOR  V28.B16, V28.B16, V28.B16
	VEOR  V29.B16, V29.B16, V29.B16
q3loop:
	// The sixteen 6-bit scales (ggml's aux trick on the 12 bytes at
	// 96), minus 32, as int32 lanes: V20 scales 0-3 ... V23 12-15.
	MOVWU 96(R0), R7  // low nibbles of scales 0-3 and (>>4) 8-11
	MOVWU 100(R0), R8 // low nibbles of scales 4-7 and (>>4) 12-15
	MOVWU 104(R0), R9 // the high two bits of all sixteen
	ANDW  $0x0f0f0f0f, R7, R10
	ANDW  $0x03030303, R9, R11
	ORRW  R11<<4, R10, R10
	ANDW  $0x0f0f0f0f, R8, R11
	LSRW  $2, R9, R12
	ANDW  $0x03030303, R12, R12
	ORRW  R12<<4, R11, R11
	ORR   R11<<32, R10, R10
	LSRW  $4, R7, R11
	ANDW  $0x0f0f0f0f, R11, R11
	LSRW  $4, R9, R12
	ANDW  $0x03030303, R12, R12
	ORRW  R12<<4, R11, R11
	LSRW  $4, R8, R12
	ANDW  $0x0f0f0f0f, R12, R12
	LSRW  $6, R9, R13
	ANDW  $0x03030303, R13, R13
	ORRW  R13<<4, R12, R12
	ORR   R12<<32, R11, R11
	FMOVD R10, F24
	VMOV  R11, V24.D[1]
	VSUB  V14.B16, V24.B16, V24.B16
	SXTL8H(24, 22)
	SXTL28H(24, 23)
	SXTL4S(22, 20)
	SXTL24S(22, 21)
	SXTL4S(23, 22)
	SXTL24S(23, 23)

	VLD1.P 32(R0), [V18.B16, V19.B16] // hmask
	VLD1.P 32(R0), [V2.B16, V3.B16]   // qs, first half
	VEOR   V16.B16, V16.B16, V16.B16
	VEOR   V17.B16, V17.B16, V17.B16
	Q3_CHUNK(20, 0, 20, 1)
	Q3_CHUNK(20, 2, 20, 3)
	Q3_CHUNK(21, 0, 21, 1)
	Q3_CHUNK(21, 2, 21, 3)
	VLD1.P 32(R0), [V2.B16, V3.B16]   // qs, second half
	Q3_CHUNK(22, 0, 22, 1)
	Q3_CHUNK(22, 2, 22, 3)
	Q3_CHUNK(23, 0, 23, 1)
	Q3_CHUNK(23, 2, 23, 3)
	MOVHU   12(R0), R4 // d, after the 12 scale bytes
	ADD     $14, R0
	BLOCK_FMA(R4)
	SUBS    $1, R3, R3
	BNE     q3loop
	HSUM8
	FMOVS   F28, ret+32(FP)
	RET
