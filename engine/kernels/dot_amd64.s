#include "textflag.h"
#include "k4_amd64.h"
#include "hsum_amd64.h"

// AVX2/FMA dot products. Register conventions shared by the kernels:
//   SI weight blocks, DI activation quants, DX activation scales (float32),
//   BX activation group sums (Q8_K), CX block count,
//   Y0 the float accumulator, Y11..Y15 constants.
// Each kernel mirrors its reference in ref.go; the integer sums per block
// are exact, only the float accumulation order differs.

// halfScale loads the f16 at off(SI), widens it and multiplies it by the
// float32 at (DX), leaving the product broadcast in Y<dst>.
#define HALF_SCALE(off, xtmp, ytmp) \
	MOVWLZX off(SI), AX; \
	VMOVD   AX, xtmp; \
	VCVTPH2PS xtmp, xtmp; \
	VMULSS  (DX), xtmp, xtmp; \
	VBROADCASTSS xtmp, ytmp

// HSUM reduces the 8 floats of Y0 into the low lane of X0 in the order of
// ggml's hsum_float_8.
#define HSUM HSUM_FLOAT8(Y0, X0, X1)

// HSUM_HADD is the reduction of ggml's GGML_F32x8_REDUCE (F16/F32 dots).
// Q4_K uses it too: with it our Q4_K files reproduce llama.cpp's logits to
// 1e-6, where HSUM leaves one-ulp differences that flip activation quants.
#define HSUM_HADD \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS  X1, X0, X0; \
	VHADDPS X0, X0, X0; \
	VHADDPS X0, X0, X0

// SIGNED_DOT: Y<dst> (8 x int32 as float) = w·y for 32 signed int8 pairs,
// using |w| and y*sign(w) so that vpmaddubsw sees an unsigned operand.
#define SIGNED_DOT(yw, yy, ydst) \
	VPSIGNB yw, yw, Y3; \
	VPSIGNB yw, yy, Y4; \
	VPMADDUBSW Y4, Y3, ydst; \
	VPMADDWD Y15, ydst, ydst; \
	VCVTDQ2PS ydst, ydst

// func dotQ8_0AVX2(w *byte, qs *int8, d *float32, nb int) float32
TEXT ·dotQ8_0AVX2(SB), NOSPLIT, $0-36
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ nb+24(FP), CX
	VXORPS Y0, Y0, Y0
	VPCMPEQW Y15, Y15, Y15
	VPSRLW $15, Y15, Y15 // 16-bit ones

q80pair:
	CMPQ CX, $2
	JLT  q80one
	VMOVDQU 2(SI), Y1
	VMOVDQU (DI), Y2
	SIGNED_DOT(Y1, Y2, Y5)
	HALF_SCALE(0, X6, Y6)
	VFMADD231PS Y6, Y5, Y0
	VMOVDQU 36(SI), Y1
	VMOVDQU 32(DI), Y2
	SIGNED_DOT(Y1, Y2, Y7)
	ADDQ $4, DX
	HALF_SCALE(34, X8, Y8)
	VFMADD231PS Y8, Y7, Y0
	ADDQ $68, SI
	ADDQ $64, DI
	ADDQ $4, DX
	SUBQ $2, CX
	JMP  q80pair

q80one:
	TESTQ CX, CX
	JEQ   q80done
	VMOVDQU 2(SI), Y1
	VMOVDQU (DI), Y2
	SIGNED_DOT(Y1, Y2, Y5)
	HALF_SCALE(0, X6, Y6)
	VFMADD231PS Y6, Y5, Y0

q80done:
	HSUM
	VMOVSS X0, ret+32(FP)
	VZEROUPPER
	RET

// Q4_0 block: unpack 16 bytes into 32 nibbles (low nibbles first), subtract
// 8, then the Q8_0 signed dot. Unlike Q8_0, even and odd blocks go to two
// accumulators: with one, the chain of dependent FMAs (one per 18 bytes)
// caps the kernel near memory speed. llama.cpp's Q4_0 path on x86 (the
// repacked one) does not sum in ggml's generic order either, so nothing
// is lost in fidelity (its goldens match to 5e-7 both ways).
#define Q4_0_UNPACK(off, ydst, xdst, xtmp) \
	VMOVDQU off(SI), xdst; \
	VPSRLW  $4, xdst, xtmp; \
	VINSERTI128 $1, xtmp, ydst, ydst; \
	VPAND   Y14, ydst, ydst; \
	VPSUBB  Y13, ydst, ydst

// func dotQ4_0AVX2(w *byte, qs *int8, d *float32, nb int) float32
TEXT ·dotQ4_0AVX2(SB), NOSPLIT, $0-36
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ nb+24(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y9, Y9, Y9
	VPCMPEQW Y15, Y15, Y15
	VPSRLW $15, Y15, Y15
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	MOVL $0x08080808, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13

q40pair:
	CMPQ CX, $2
	JLT  q40one
	Q4_0_UNPACK(2, Y1, X1, X2)
	VMOVDQU (DI), Y2
	SIGNED_DOT(Y1, Y2, Y5)
	HALF_SCALE(0, X6, Y6)
	VFMADD231PS Y6, Y5, Y0
	Q4_0_UNPACK(20, Y1, X1, X2)
	VMOVDQU 32(DI), Y2
	SIGNED_DOT(Y1, Y2, Y7)
	ADDQ $4, DX
	HALF_SCALE(18, X8, Y8)
	VFMADD231PS Y8, Y7, Y9
	ADDQ $36, SI
	ADDQ $64, DI
	ADDQ $4, DX
	SUBQ $2, CX
	JMP  q40pair

q40one:
	TESTQ CX, CX
	JEQ   q40done
	Q4_0_UNPACK(2, Y1, X1, X2)
	VMOVDQU (DI), Y2
	SIGNED_DOT(Y1, Y2, Y5)
	HALF_SCALE(0, X6, Y6)
	VFMADD231PS Y6, Y5, Y0

q40done:
	VADDPS Y9, Y0, Y0
	HSUM
	VMOVSS X0, ret+32(FP)
	VZEROUPPER
	RET

// Q4_K: per 64 values, 32 bytes give 32 low nibbles (sub-block 2k) and 32
// high nibbles (sub-block 2k+1). Scales are unpacked into 0(SP) as eight
// 16-bit values; mins go straight into a vpmaddwd against the pair sums of
// the activation's bsums.
#define Q4K_CHUNK(k) \
	VMOVDQU (16+32*k)(SI), Y1; \
	VPAND   Y14, Y1, Y2; \
	VPSRLW  $4, Y1, Y3; \
	VPAND   Y14, Y3, Y3; \
	VPMADDUBSW (64*k)(DI), Y2, Y2; \
	VPMADDUBSW (64*k+32)(DI), Y3, Y3; \
	VPBROADCASTW (4*k)(SP), Y4; \
	VPMADDWD Y4, Y2, Y2; \
	VPBROADCASTW (4*k+2)(SP), Y5; \
	VPMADDWD Y5, Y3, Y3; \
	VPADDD  Y2, Y10, Y10; \
	VPADDD  Y3, Y10, Y10

// func dotQ4_KAVX2(w *byte, qs *int8, d *float32, bsums *int16, nb int) float32
TEXT ·dotQ4_KAVX2(SB), NOSPLIT, $16-44
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ bsums+24(FP), BX
	MOVQ nb+32(FP), CX
	VXORPS Y0, Y0, Y0  // d·sumi accumulator
	VXORPS X11, X11, X11 // dmin·summ accumulator (lane 0)
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14

q4kloop:
	TESTQ CX, CX
	JEQ   q4kdone
	// ggml's utmp trick: 12 packed bytes -> 8 scales, 8 mins (6 bits each).
	K4_UTMP(R8, R9, R10, R11, R12)
	VMOVQ R8, X1
	VPMOVZXBW X1, X1 // 8 scales as int16
	VMOVDQU X1, 0(SP)
	// Mins: Σ m_j·(bsums[2j]+bsums[2j+1]).
	VMOVQ R9, X2
	VPMOVZXBW X2, X2
	VMOVDQU (BX), X3
	VMOVDQU 16(BX), X4
	VPHADDW X4, X3, X3
	VPMADDWD X3, X2, X2
	VPHADDD X2, X2, X2
	VPHADDD X2, X2, X2
	VCVTDQ2PS X2, X2
	MOVWLZX 2(SI), AX
	VMOVD AX, X5
	VCVTPH2PS X5, X5
	VMULSS (DX), X5, X5
	VFMADD231SS X5, X2, X11

	VPXOR Y10, Y10, Y10
	Q4K_CHUNK(0)
	Q4K_CHUNK(1)
	Q4K_CHUNK(2)
	Q4K_CHUNK(3)
	VCVTDQ2PS Y10, Y10
	HALF_SCALE(0, X6, Y6)
	VFMADD231PS Y6, Y10, Y0

	ADDQ $144, SI
	ADDQ $256, DI
	ADDQ $4, DX
	ADDQ $32, BX
	DECQ CX
	JMP  q4kloop

q4kdone:
	HSUM_HADD
	VSUBSS X11, X0, X0
	VMOVSS X0, ret+40(FP)
	VZEROUPPER
	RET

// Q6_K: 32 values per chunk c (0..7) are (low nibble | two high bits << 4)
// in 0..63; the -32 offset is subtracted per chunk as 32·y, which is what
// ggml does and keeps each lane's partial sum (and so the float rounding)
// identical to ggml's.
// Chunk c uses scales 2c (first 16 values) and 2c+1 (next 16), picked by a
// byte shuffle from X12 and sign-extended to 16 bits.
#define Q6K_CHUNK(qlo, hb, yoff, c) \
	VPOR    hb, qlo, qlo; \
	VPMADDUBSW yoff(DI), qlo, qlo; \
	VPMADDUBSW yoff(DI), Y11, Y15; \
	VPSUBW  Y15, qlo, qlo; \
	VPSHUFB (16*c)(R8), X12, X7; \
	VPMOVSXBW X7, Y7; \
	VPMADDWD Y7, qlo, qlo; \
	VPADDD  qlo, Y10, Y10

// Q6K_HALF handles 128 values: ql at qlo(SI), qh at qho(SI), y at yo(DI).
#define Q6K_HALF(qlo, qho, yo, c0) \
	VMOVDQU qlo(SI), Y1; \
	VMOVDQU (qlo+32)(SI), Y2; \
	VMOVDQU qho(SI), Y3; \
	VPSLLW  $4, Y3, Y4; \
	VPAND   Y13, Y4, Y4; \
	VPSLLW  $2, Y3, Y5; \
	VPAND   Y13, Y5, Y5; \
	VPAND   Y13, Y3, Y6; \
	VPSRLW  $2, Y3, Y3; \
	VPAND   Y13, Y3, Y3; \
	VPSRLW  $4, Y1, Y8; \
	VPAND   Y14, Y8, Y8; \
	VPAND   Y14, Y1, Y1; \
	VPSRLW  $4, Y2, Y9; \
	VPAND   Y14, Y9, Y9; \
	VPAND   Y14, Y2, Y2; \
	Q6K_CHUNK(Y1, Y4, yo, c0); \
	Q6K_CHUNK(Y2, Y5, (yo+32), (c0+1)); \
	Q6K_CHUNK(Y8, Y6, (yo+64), (c0+2)); \
	Q6K_CHUNK(Y9, Y3, (yo+96), (c0+3))

// func dotQ6_KAVX2(w *byte, qs *int8, d *float32, bsums *int16, nb int) float32
TEXT ·dotQ6_KAVX2(SB), NOSPLIT, $0-44
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ bsums+24(FP), BX
	MOVQ nb+32(FP), CX
	LEAQ ·q6kshuf(SB), R8
	VXORPS Y0, Y0, Y0
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	MOVL $0x30303030, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13
	MOVL $0x20202020, AX
	VMOVD AX, X11
	VPBROADCASTD X11, Y11

q6kloop:
	TESTQ CX, CX
	JEQ   q6kdone
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	PREFETCHT0 4288(SI)
	VMOVDQU 192(SI), X12 // 16 int8 scales
	VPXOR Y10, Y10, Y10
	Q6K_HALF(0, 128, 0, 0)
	Q6K_HALF(64, 160, 128, 4)
	VCVTDQ2PS Y10, Y10
	HALF_SCALE(208, X6, Y6)
	VFMADD231PS Y6, Y10, Y0
	ADDQ $210, SI
	ADDQ $256, DI
	ADDQ $4, DX
	ADDQ $32, BX
	DECQ CX
	JMP  q6kloop

q6kdone:
	HSUM
	VMOVSS X0, ret+40(FP)
	VZEROUPPER
	RET

// Shuffle masks for Q6_K chunk c: bytes 0-7 pick scale 2c, 8-15 scale 2c+1.
DATA ·q6kshuf+0x00(SB)/8, $0x0000000000000000
DATA ·q6kshuf+0x08(SB)/8, $0x0101010101010101
DATA ·q6kshuf+0x10(SB)/8, $0x0202020202020202
DATA ·q6kshuf+0x18(SB)/8, $0x0303030303030303
DATA ·q6kshuf+0x20(SB)/8, $0x0404040404040404
DATA ·q6kshuf+0x28(SB)/8, $0x0505050505050505
DATA ·q6kshuf+0x30(SB)/8, $0x0606060606060606
DATA ·q6kshuf+0x38(SB)/8, $0x0707070707070707
DATA ·q6kshuf+0x40(SB)/8, $0x0808080808080808
DATA ·q6kshuf+0x48(SB)/8, $0x0909090909090909
DATA ·q6kshuf+0x50(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA ·q6kshuf+0x58(SB)/8, $0x0b0b0b0b0b0b0b0b
DATA ·q6kshuf+0x60(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA ·q6kshuf+0x68(SB)/8, $0x0d0d0d0d0d0d0d0d
DATA ·q6kshuf+0x70(SB)/8, $0x0e0e0e0e0e0e0e0e
DATA ·q6kshuf+0x78(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL ·q6kshuf(SB), RODATA|NOPTR, $128

// func dotF16AVX2(w *byte, x *float32, n int) float32; n is a multiple of 32.
TEXT ·dotF16AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

f16loop:
	CMPQ CX, $32
	JLT  f16done
	VCVTPH2PS (SI), Y1
	VCVTPH2PS 16(SI), Y2
	VCVTPH2PS 32(SI), Y3
	VCVTPH2PS 48(SI), Y4
	VFMADD231PS (DI), Y1, Y0
	VFMADD231PS 32(DI), Y2, Y5
	VFMADD231PS 64(DI), Y3, Y6
	VFMADD231PS 96(DI), Y4, Y7
	ADDQ $64, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  f16loop

f16done:
	VADDPS Y6, Y0, Y0
	VADDPS Y7, Y5, Y5
	VADDPS Y5, Y0, Y0
	HSUM_HADD
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func dotF32AVX2(w *byte, x *float32, n int) float32; n is a multiple of 32.
TEXT ·dotF32AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

f32loop:
	CMPQ CX, $32
	JLT  f32done
	VMOVUPS (SI), Y1
	VMOVUPS 32(SI), Y2
	VMOVUPS 64(SI), Y3
	VMOVUPS 96(SI), Y4
	VFMADD231PS (DI), Y1, Y0
	VFMADD231PS 32(DI), Y2, Y5
	VFMADD231PS 64(DI), Y3, Y6
	VFMADD231PS 96(DI), Y4, Y7
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  f32loop

f32done:
	VADDPS Y6, Y0, Y0
	VADDPS Y7, Y5, Y5
	VADDPS Y5, Y0, Y0
	HSUM_HADD
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func roundF16AVX2(dst, src *float32, n int); n is a multiple of 8.
// Rounds each value to the nearest f16 (ties to even) and back.
TEXT ·roundF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

rf16loop:
	CMPQ CX, $8
	JLT  rf16done
	VMOVUPS (SI), Y0
	VCVTPS2PH $0, Y0, X1
	VCVTPH2PS X1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  rf16loop

rf16done:
	VZEROUPPER
	RET
