#include "textflag.h"

// Four-token Q6_K, for batched decode steps and prefill logits: each
// 256-value block is unpacked once (6-bit values, per-chunk scales) and
// multiplied with four tokens' Q8_K blocks. Per token the integer lanes,
// the float steps and the final reduction are those of dotQ6_KAVX2, so
// results are bit for bit four single calls. AVX-512 (BW, VL) is used
// only for its extra registers: four tokens' accumulators do not fit in
// sixteen.
//
// Token t's quants are at DI + t*qstride, its scales at DX + t*dstride.

// Q6X4_TOK: q·y - 32·y pairwise (vpmaddubsw, as ggml), times the chunk's
// scales (Y7), into the token's int32 accumulator.
#define Q6X4_TOK(q, yaddr, iacc) \
	VPMADDUBSW yaddr, q, Y10; \
	VPMADDUBSW yaddr, Y11, Y15; \
	VPSUBW  Y15, Y10, Y10; \
	VPMADDWD Y7, Y10, Y10; \
	VPADDD  Y10, iacc, iacc

#define Q6X4_CHUNK(q, yoff, c) \
	VPSHUFB (16*c)(R8), X12, X7; \
	VPMOVSXBW X7, Y7; \
	Q6X4_TOK(q, yoff(DI)(R14*1), Y16); \
	Q6X4_TOK(q, yoff(DI)(R9*1), Y17); \
	Q6X4_TOK(q, yoff(DI)(R9*2), Y18); \
	Q6X4_TOK(q, yoff(DI)(R11*1), Y19)

// Q6X4_HALF unpacks 128 values (ql at qlo(SI), qh at qho(SI)) as
// Q6K_HALF does, then runs its four chunks for the four tokens.
#define Q6X4_HALF(qlo, qho, yo, c0) \
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
	VPOR    Y4, Y1, Y1; \
	VPOR    Y5, Y2, Y2; \
	VPOR    Y6, Y8, Y8; \
	VPOR    Y3, Y9, Y9; \
	Q6X4_CHUNK(Y1, yo, c0); \
	Q6X4_CHUNK(Y2, (yo+32), (c0+1)); \
	Q6X4_CHUNK(Y8, (yo+64), (c0+2)); \
	Q6X4_CHUNK(Y9, (yo+96), (c0+3))

// Q6X4_SCALE: acc += float(iacc) * (block scale X6 * token scale at daddr).
#define Q6X4_SCALE(daddr, iacc, acc) \
	VCVTDQ2PS iacc, iacc; \
	VMULSS  daddr, X6, X10; \
	VBROADCASTSS X10, Y10; \
	VFMADD231PS Y10, iacc, acc

// Q6X4_HSUM is HSUM (dot_amd64.s) on Y0 into dst.
#define Q6X4_HSUM(dst) \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS  X1, X0, X0; \
	VMOVHLPS X0, X0, X1; \
	VADDPS  X1, X0, X0; \
	VMOVSHDUP X0, X1; \
	VADDSS  X1, X0, X0; \
	VMOVSS  X0, dst

// func dotQ6_Kx4AVX512(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)
TEXT ·dotQ6_Kx4AVX512(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ nb+24(FP), CX
	MOVQ qstride+32(FP), R9
	MOVQ dstride+40(FP), R12
	LEAQ (R9)(R9*2), R11
	LEAQ (R12)(R12*2), R13
	XORQ R14, R14
	LEAQ ·q6kshuf(SB), R8
	VXORPS Y0, Y0, Y0
	VXORPS Y20, Y20, Y20
	VXORPS Y21, Y21, Y21
	VXORPS Y22, Y22, Y22
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	MOVL $0x30303030, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13
	MOVL $0x20202020, AX
	VMOVD AX, X11
	VPBROADCASTD X11, Y11

q6kx4loop:
	TESTQ CX, CX
	JEQ   q6kx4done
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	PREFETCHT0 4288(SI)
	VMOVDQU 192(SI), X12 // 16 int8 scales
	VPXORD Y16, Y16, Y16
	VPXORD Y17, Y17, Y17
	VPXORD Y18, Y18, Y18
	VPXORD Y19, Y19, Y19
	Q6X4_HALF(0, 128, 0, 0)
	Q6X4_HALF(64, 160, 128, 4)
	MOVWLZX 208(SI), AX
	VMOVD   AX, X6
	VCVTPH2PS X6, X6
	Q6X4_SCALE((DX), Y16, Y0)
	Q6X4_SCALE((DX)(R12*1), Y17, Y20)
	Q6X4_SCALE((DX)(R12*2), Y18, Y21)
	Q6X4_SCALE((DX)(R13*1), Y19, Y22)
	ADDQ $210, SI
	ADDQ $256, DI
	ADDQ $4, DX
	DECQ CX
	JMP  q6kx4loop

q6kx4done:
	MOVQ out+48(FP), DI
	Q6X4_HSUM(0(DI))
	VMOVAPS Y20, Y0
	Q6X4_HSUM(4(DI))
	VMOVAPS Y21, Y0
	Q6X4_HSUM(8(DI))
	VMOVAPS Y22, Y0
	Q6X4_HSUM(12(DI))
	VZEROUPPER
	RET
