#include "textflag.h"

// Q2_K row dot in the arithmetic of ggml's AVX2 ggml_vec_dot_q2_K_q8_K:
// per block, acc -= dmin·cvt(m·bsums pair sums) then acc += d·cvt(sumi),
// both as 8-lane FMAs, and hsum_float_8 at the end. Lane i of sumi sums
// bytes 4i..4i+3 of every 32-value chunk, as ggml's vpmaddwd lanes do, so
// the lanes (and so the float result) are ggml's bit for bit.
// Registers: SI weight blocks, DI activation quants, DX activation scales,
// BX bsums, CX blocks left; Y0 float accumulator, Y10/Y11 sumi of the two
// 128-value halves (independent chains), Y13 scales, Y14 0x0f bytes, Y15
// 0x03 bytes.

// Q2K_CHUNK does chunk c at off = 32c (32 values, bit pair c%4 of the
// quant bytes of its half, already shifted down in src): maddubs against
// y, then vpmaddwd with scale 2c (low lane, values 0-15) and 2c+1 (high
// lane, 16-31) zero-extended to words by mask c. Products stay within int16: 2·3·128 = 768.
#define Q2K_CHUNK(src, off, acc) \
	VPAND      Y15, src, Y2; \
	VPMADDUBSW off(DI), Y2, Y2; \
	VPSHUFB    q2kshuf<>+off(SB), Y13, Y3; \
	VPMADDWD   Y3, Y2, Y2; \
	VPADDD     Y2, acc, acc

// func dotQ2_KAVX2(w *byte, qs *int8, d *float32, bsums *int16, nb int) float32
TEXT ·dotQ2_KAVX2(SB), NOSPLIT, $0-44
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ bsums+24(FP), BX
	MOVQ nb+32(FP), CX
	VXORPS Y0, Y0, Y0
	MOVL $0x03030303, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14

q2kloop:
	// Both lanes get all 16 scale bytes, so one in-lane shuffle per chunk
	// can pick its two scales.
	VBROADCASTI128 (SI), Y13
	// Mins: 16 high nibbles as words against the 16 bsums; lane i is
	// m[2i]·bsum[2i] + m[2i+1]·bsum[2i+1], as in ggml.
	VPSRLW    $4, X13, X4
	VPAND     X14, X4, X4
	VPMOVZXBW X4, Y4
	VPMADDWD  (BX), Y4, Y4
	VCVTDQ2PS Y4, Y4
	MOVWLZX   82(SI), AX
	VMOVD     AX, X5
	VCVTPH2PS X5, X5
	VMULSS    (DX), X5, X5
	VBROADCASTSS X5, Y5
	// acc - dmin·x rounds once, as ggml's fmadd with -dmin does.
	VFNMADD231PS Y5, Y4, Y0
	VPAND Y14, Y13, Y13

	VPXOR   Y10, Y10, Y10
	VPXOR   Y11, Y11, Y11
	VMOVDQU 16(SI), Y1
	VMOVDQU 48(SI), Y7
	Q2K_CHUNK(Y1, 0, Y10)
	Q2K_CHUNK(Y7, 128, Y11)
	VPSRLW  $2, Y1, Y8
	VPSRLW  $2, Y7, Y9
	Q2K_CHUNK(Y8, 32, Y10)
	Q2K_CHUNK(Y9, 160, Y11)
	VPSRLW  $4, Y1, Y8
	VPSRLW  $4, Y7, Y9
	Q2K_CHUNK(Y8, 64, Y10)
	Q2K_CHUNK(Y9, 192, Y11)
	VPSRLW  $6, Y1, Y8
	VPSRLW  $6, Y7, Y9
	Q2K_CHUNK(Y8, 96, Y10)
	Q2K_CHUNK(Y9, 224, Y11)
	VPADDD  Y11, Y10, Y10
	VCVTDQ2PS Y10, Y10
	MOVWLZX   80(SI), AX
	VMOVD     AX, X6
	VCVTPH2PS X6, X6
	VMULSS    (DX), X6, X6
	VBROADCASTSS X6, Y6
	VFMADD231PS Y6, Y10, Y0

	ADDQ $84, SI
	ADDQ $256, DI
	ADDQ $4, DX
	ADDQ $32, BX
	DECQ CX
	JNZ  q2kloop

	// hsum_float_8: (lo+hi), then (0+2)+(1+3).
	VEXTRACTF128 $1, Y0, X1
	VADDPS    X1, X0, X0
	VMOVHLPS  X0, X0, X1
	VADDPS    X1, X0, X0
	VMOVSHDUP X0, X1
	VADDSS    X1, X0, X0
	VMOVSS    X0, ret+40(FP)
	VZEROUPPER
	RET

// Shuffle mask for chunk c at 32c: low lane (byte 2c, zero) x8, high lane
// (byte 2c+1, zero) x8: the two scales as int16 words.
DATA q2kshuf<>+0x00(SB)/8, $0x8000800080008000
DATA q2kshuf<>+0x08(SB)/8, $0x8000800080008000
DATA q2kshuf<>+0x10(SB)/8, $0x8001800180018001
DATA q2kshuf<>+0x18(SB)/8, $0x8001800180018001
DATA q2kshuf<>+0x20(SB)/8, $0x8002800280028002
DATA q2kshuf<>+0x28(SB)/8, $0x8002800280028002
DATA q2kshuf<>+0x30(SB)/8, $0x8003800380038003
DATA q2kshuf<>+0x38(SB)/8, $0x8003800380038003
DATA q2kshuf<>+0x40(SB)/8, $0x8004800480048004
DATA q2kshuf<>+0x48(SB)/8, $0x8004800480048004
DATA q2kshuf<>+0x50(SB)/8, $0x8005800580058005
DATA q2kshuf<>+0x58(SB)/8, $0x8005800580058005
DATA q2kshuf<>+0x60(SB)/8, $0x8006800680068006
DATA q2kshuf<>+0x68(SB)/8, $0x8006800680068006
DATA q2kshuf<>+0x70(SB)/8, $0x8007800780078007
DATA q2kshuf<>+0x78(SB)/8, $0x8007800780078007
DATA q2kshuf<>+0x80(SB)/8, $0x8008800880088008
DATA q2kshuf<>+0x88(SB)/8, $0x8008800880088008
DATA q2kshuf<>+0x90(SB)/8, $0x8009800980098009
DATA q2kshuf<>+0x98(SB)/8, $0x8009800980098009
DATA q2kshuf<>+0xa0(SB)/8, $0x800a800a800a800a
DATA q2kshuf<>+0xa8(SB)/8, $0x800a800a800a800a
DATA q2kshuf<>+0xb0(SB)/8, $0x800b800b800b800b
DATA q2kshuf<>+0xb8(SB)/8, $0x800b800b800b800b
DATA q2kshuf<>+0xc0(SB)/8, $0x800c800c800c800c
DATA q2kshuf<>+0xc8(SB)/8, $0x800c800c800c800c
DATA q2kshuf<>+0xd0(SB)/8, $0x800d800d800d800d
DATA q2kshuf<>+0xd8(SB)/8, $0x800d800d800d800d
DATA q2kshuf<>+0xe0(SB)/8, $0x800e800e800e800e
DATA q2kshuf<>+0xe8(SB)/8, $0x800e800e800e800e
DATA q2kshuf<>+0xf0(SB)/8, $0x800f800f800f800f
DATA q2kshuf<>+0xf8(SB)/8, $0x800f800f800f800f
GLOBL q2kshuf<>(SB), RODATA|NOPTR, $256
