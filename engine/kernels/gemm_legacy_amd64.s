#include "textflag.h"
#include "x8_amd64.h"
#include "x16_amd64.h"
#include "q4x16_amd64.h"

// Packed kernels for the legacy block types that ride on Q4_0's
// (gemm_x8_amd64.s, gemm_x16_amd64.s): IQ4_NL, whose blocks are Q4_0's
// bytes, and Q5_0, Q4_0's nibbles plus a fifth bit per value. Each unpacks
// a block into the same registers as UNPACK8/UNPACK16 (values 4k..4k+3 of
// each row in register 4+k, values 16+4k.. in 8+k, unsigned) and then runs
// Q4_0's per-token steps with its own offset, so every token count does
// the same arithmetic per token and sixteen rows equal eight bit for bit.

// IQ4_NL in LayoutRows8: Q4_0's bytes, but a nibble q stands for the
// codebook value gguf.KValuesIQ4NL[q]. The nibbles unpack as Q4_0's and
// one vpshufb per register turns them into codebook+128, the unsigned
// operand vpdpbusd wants; each token's lanes then start from -128 times
// its block sum, as Q8_0's (Q8_0_OFF). The int32 dot is exact, and the
// float steps are the Q4_0 kernels'. Y20 holds the table.
DATA iq4nlU8<>+0x00(SB)/8, $0x766a5d4f3f2d1801
DATA iq4nlU8<>+0x08(SB)/8, $0xf1d9c5b5a6998d81
GLOBL iq4nlU8<>(SB), RODATA|NOPTR, $16

#define IQ4NL_TABLE8 VBROADCASTI32X4 iq4nlU8<>(SB), Y20

#define LOOKUP8 \
	VPSHUFB Y4, Y20, Y4; \
	VPSHUFB Y5, Y20, Y5; \
	VPSHUFB Y6, Y20, Y6; \
	VPSHUFB Y7, Y20, Y7; \
	VPSHUFB Y8, Y20, Y8; \
	VPSHUFB Y9, Y20, Y9; \
	VPSHUFB Y10, Y20, Y10; \
	VPSHUFB Y11, Y20, Y11

#define PREFETCH8_Q4 \
	PREFETCHT0 4096(SI); \
	PREFETCHT0 4160(SI); \
	PREFETCHT0 4224(SI)

// func gemmIQ4_NLx8x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)
TEXT ·gemmIQ4_NLx8x1VNNI(SB), NOSPLIT, $0-48
	KERNEL8(X1_PROLOGUE, NIBBLE_MASK; IQ4NL_TABLE8, PREFETCH8_Q4, UNPACK8; LOOKUP8, TOKS8_1(Q8_0_OFF), NEXT_BLOCK(144), X1_EPILOGUE, iq4nlx8x1loop)

// func gemmIQ4_NLx8x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmIQ4_NLx8x2VNNI(SB), NOSPLIT, $0-72
	KERNEL8(X2_PROLOGUE, NIBBLE_MASK; IQ4NL_TABLE8, PREFETCH8_Q4, UNPACK8; LOOKUP8, TOKS8_2(Q8_0_OFF), NEXT_BLOCK(144), X2_EPILOGUE, iq4nlx8x2loop)

// func gemmIQ4_NLx8x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmIQ4_NLx8x4VNNI(SB), NOSPLIT, $0-72
	KERNEL8(X4_PROLOGUE, NIBBLE_MASK; IQ4NL_TABLE8, PREFETCH8_Q4, UNPACK8; LOOKUP8, TOKS8_4(Q8_0_OFF), NEXT_BLOCK(144), X4_EPILOGUE, iq4nlx8x4loop)

// func gemmIQ4_NLx8x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmIQ4_NLx8x8VNNI(SB), NOSPLIT, $0-72
	KERNEL8(X8_PROLOGUE, NIBBLE_MASK; IQ4NL_TABLE8, PREFETCH8_Q4, UNPACK8; LOOKUP8, X8_TOKENS(Q8_0_OFF), X8_NEXT(144), X8_EPILOGUE, iq4nlx8x8loop)

// IQ4_NL in LayoutRows16: Q4_0's bytes with codebook nibbles, as in
// gemm_x8_amd64.s: vpshufb turns the unpacked nibbles into codebook+128
// (Z15 holds the table in every 128-bit lane) and each token's lanes start
// from -128 times its block sum. Per lane, the eight-row kernels'
// arithmetic.
DATA iq4nlU16<>+0x00(SB)/8, $0x766a5d4f3f2d1801
DATA iq4nlU16<>+0x08(SB)/8, $0xf1d9c5b5a6998d81
GLOBL iq4nlU16<>(SB), RODATA|NOPTR, $16

#define IQ4NL_TABLE16 VBROADCASTI32X4 iq4nlU16<>(SB), Z15

#define LOOKUP16 \
	VPSHUFB Z4, Z15, Z4; \
	VPSHUFB Z5, Z15, Z5; \
	VPSHUFB Z6, Z15, Z6; \
	VPSHUFB Z7, Z15, Z7; \
	VPSHUFB Z8, Z15, Z8; \
	VPSHUFB Z9, Z15, Z9; \
	VPSHUFB Z10, Z15, Z10; \
	VPSHUFB Z11, Z15, Z11

// func gemmIQ4_NLx16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmIQ4_NLx16x1VNNI(SB), NOSPLIT, $0-72
	KERNEL16(MASK16; IQ4NL_TABLE16, ZERO16_1, PREFETCH16, UNPACK16; LOOKUP16, TOKS16_1(Q8_0_OFF16), 288, STORE16R_1, iq4nlx16x1loop)

// func gemmIQ4_NLx16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmIQ4_NLx16x2VNNI(SB), NOSPLIT, $0-72
	KERNEL16(MASK16; IQ4NL_TABLE16, ZERO16_2, PREFETCH16, UNPACK16; LOOKUP16, TOKS16_2(Q8_0_OFF16), 288, STORE16R_2, iq4nlx16x2loop)

// func gemmIQ4_NLx16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmIQ4_NLx16x4VNNI(SB), NOSPLIT, $0-72
	KERNEL16(MASK16; IQ4NL_TABLE16, ZERO16_4, PREFETCH16, UNPACK16; LOOKUP16, TOKS16_4(Q8_0_OFF16), 288, STORE16R_4, iq4nlx16x4loop)

// func gemmIQ4_NLx16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmIQ4_NLx16x8VNNI(SB), NOSPLIT, $0-72
	KERNEL16(MASK16; IQ4NL_TABLE16, ZERO16_8, PREFETCH16, UNPACK16; LOOKUP16, TOKS16_8(Q8_0_OFF16), 288, STORE16R_8, iq4nlx16x8loop)

// Q5_0 in LayoutRows8/16 (pack_legacy.go): per block, the rows' f16 scales,
// then each row's fifth bits as one dword F (bit 8i+c is the fifth bit of
// byte i of chunk c: chunk c < 4 holds values 4c..4c+3 in its low
// nibbles, chunk c >= 4 values 16+4(c-4).. in the high ones), then the
// four chunks of nibbles as Q4_0's. Chunk c's fifth bits are F shifted so
// that bit c of each byte lands on bit 4, masked to 0x10 and or-ed into
// the nibbles (one vpternlogd, A|(B&C)): the unsigned 5-bit quants q,
// whose value is q-16, so each token's lanes start at -16 times its block
// sum (Q8.Off shifted left 1).

// UNPACK8_Q5_0 loads block (SI): Y12 the scales, Y4..Y11 the 5-bit quants
// (Y20 F, Y21 bytes 0x10, Y22 scratch).
#define UNPACK8_Q5_0 \
	VCVTPH2PS (SI), Y12; \
	VMOVDQU32 16(SI), Y20; \
	VMOVDQU 48(SI), Y4; \
	VMOVDQU 80(SI), Y5; \
	VMOVDQU 112(SI), Y6; \
	VMOVDQU 144(SI), Y7; \
	VPSRLW $4, Y4, Y8; \
	VPSRLW $4, Y5, Y9; \
	VPSRLW $4, Y6, Y10; \
	VPSRLW $4, Y7, Y11; \
	VPAND Y14, Y4, Y4; \
	VPAND Y14, Y5, Y5; \
	VPAND Y14, Y6, Y6; \
	VPAND Y14, Y7, Y7; \
	VPAND Y14, Y8, Y8; \
	VPAND Y14, Y9, Y9; \
	VPAND Y14, Y10, Y10; \
	VPAND Y14, Y11, Y11; \
	VPSLLD $4, Y20, Y22; \
	VPTERNLOGD $0xf8, Y21, Y22, Y4; \
	VPSLLD $3, Y20, Y22; \
	VPTERNLOGD $0xf8, Y21, Y22, Y5; \
	VPSLLD $2, Y20, Y22; \
	VPTERNLOGD $0xf8, Y21, Y22, Y6; \
	VPSLLD $1, Y20, Y22; \
	VPTERNLOGD $0xf8, Y21, Y22, Y7; \
	VPTERNLOGD $0xf8, Y21, Y20, Y8; \
	VPSRLD $1, Y20, Y22; \
	VPTERNLOGD $0xf8, Y21, Y22, Y9; \
	VPSRLD $2, Y20, Y22; \
	VPTERNLOGD $0xf8, Y21, Y22, Y10; \
	VPSRLD $3, Y20, Y22; \
	VPTERNLOGD $0xf8, Y21, Y22, Y11

// UNPACK16_Q5_0 is UNPACK8_Q5_0 for sixteen rows (Z13 F, Z15 bytes 0x10,
// Z18 scratch).
#define UNPACK16_Q5_0 \
	VCVTPH2PS (SI), Z12; \
	VMOVDQU64 32(SI), Z13; \
	VMOVDQU64 96(SI), Z4; \
	VMOVDQU64 160(SI), Z5; \
	VMOVDQU64 224(SI), Z6; \
	VMOVDQU64 288(SI), Z7; \
	VPSRLW $4, Z4, Z8; \
	VPSRLW $4, Z5, Z9; \
	VPSRLW $4, Z6, Z10; \
	VPSRLW $4, Z7, Z11; \
	VPANDD Z14, Z4, Z4; \
	VPANDD Z14, Z5, Z5; \
	VPANDD Z14, Z6, Z6; \
	VPANDD Z14, Z7, Z7; \
	VPANDD Z14, Z8, Z8; \
	VPANDD Z14, Z9, Z9; \
	VPANDD Z14, Z10, Z10; \
	VPANDD Z14, Z11, Z11; \
	VPSLLD $4, Z13, Z18; \
	VPTERNLOGD $0xf8, Z15, Z18, Z4; \
	VPSLLD $3, Z13, Z18; \
	VPTERNLOGD $0xf8, Z15, Z18, Z5; \
	VPSLLD $2, Z13, Z18; \
	VPTERNLOGD $0xf8, Z15, Z18, Z6; \
	VPSLLD $1, Z13, Z18; \
	VPTERNLOGD $0xf8, Z15, Z18, Z7; \
	VPTERNLOGD $0xf8, Z15, Z13, Z8; \
	VPSRLD $1, Z13, Z18; \
	VPTERNLOGD $0xf8, Z15, Z18, Z9; \
	VPSRLD $2, Z13, Z18; \
	VPTERNLOGD $0xf8, Z15, Z18, Z10; \
	VPSRLD $3, Z13, Z18; \
	VPTERNLOGD $0xf8, Z15, Z18, Z11

#define Q5_0_OFF VPSLLD $1, Y16, Y16;
#define Q5_0_OFF16 VPSLLD $1, Z16, Z16;

#define FIFTH_MASK8 \
	MOVL $0x10101010, AX; \
	VPBROADCASTD AX, Y21

#define FIFTH_MASK16 \
	MOVL $0x10101010, AX; \
	VPBROADCASTD AX, Z15

// A block is 2.75 lines (eight rows) or 5.5 (sixteen); prefetched 4 KiB
// ahead as Q4_0's.
#define PREFETCH8_Q5 \
	PREFETCHT0 4096(SI); \
	PREFETCHT0 4160(SI); \
	PREFETCHT0 4224(SI); \
	PREFETCHT0 4288(SI)

#define PREFETCH16_Q5 \
	PREFETCHT0 4096(SI); \
	PREFETCHT0 4160(SI); \
	PREFETCHT0 4224(SI); \
	PREFETCHT0 4288(SI); \
	PREFETCHT0 4352(SI); \
	PREFETCHT0 4416(SI)

// func gemmQ5_0x8x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)
TEXT ·gemmQ5_0x8x1VNNI(SB), NOSPLIT, $0-48
	KERNEL8(X1_PROLOGUE, NIBBLE_MASK; FIFTH_MASK8, PREFETCH8_Q5, UNPACK8_Q5_0, TOKS8_1(Q5_0_OFF), NEXT_BLOCK(176), X1_EPILOGUE, q50x8x1loop)

// func gemmQ5_0x8x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_0x8x2VNNI(SB), NOSPLIT, $0-72
	KERNEL8(X2_PROLOGUE, NIBBLE_MASK; FIFTH_MASK8, PREFETCH8_Q5, UNPACK8_Q5_0, TOKS8_2(Q5_0_OFF), NEXT_BLOCK(176), X2_EPILOGUE, q50x8x2loop)

// func gemmQ5_0x8x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_0x8x4VNNI(SB), NOSPLIT, $0-72
	KERNEL8(X4_PROLOGUE, NIBBLE_MASK; FIFTH_MASK8, PREFETCH8_Q5, UNPACK8_Q5_0, TOKS8_4(Q5_0_OFF), NEXT_BLOCK(176), X4_EPILOGUE, q50x8x4loop)

// func gemmQ5_0x8x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_0x8x8VNNI(SB), NOSPLIT, $0-72
	KERNEL8(X8_PROLOGUE, NIBBLE_MASK; FIFTH_MASK8, PREFETCH8_Q5, UNPACK8_Q5_0, X8_TOKENS(Q5_0_OFF), X8_NEXT(176), X8_EPILOGUE, q50x8x8loop)

// func gemmQ5_0x16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_0x16x1VNNI(SB), NOSPLIT, $0-72
	KERNEL16(MASK16; FIFTH_MASK16, ZERO16_1, PREFETCH16_Q5, UNPACK16_Q5_0, TOKS16_1(Q5_0_OFF16), 352, STORE16R_1, q50x16x1loop)

// func gemmQ5_0x16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_0x16x2VNNI(SB), NOSPLIT, $0-72
	KERNEL16(MASK16; FIFTH_MASK16, ZERO16_2, PREFETCH16_Q5, UNPACK16_Q5_0, TOKS16_2(Q5_0_OFF16), 352, STORE16R_2, q50x16x2loop)

// func gemmQ5_0x16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_0x16x4VNNI(SB), NOSPLIT, $0-72
	KERNEL16(MASK16; FIFTH_MASK16, ZERO16_4, PREFETCH16_Q5, UNPACK16_Q5_0, TOKS16_4(Q5_0_OFF16), 352, STORE16R_4, q50x16x4loop)

// func gemmQ5_0x16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ5_0x16x8VNNI(SB), NOSPLIT, $0-72
	KERNEL16(MASK16; FIFTH_MASK16, ZERO16_8, PREFETCH16_Q5, UNPACK16_Q5_0, TOKS16_8(Q5_0_OFF16), 352, STORE16R_8, q50x16x8loop)
