#include "textflag.h"

// Four-token variants of the Q8_0 and Q4_0 kernels, for prefill: each
// weight block is loaded and unpacked once and multiplied with the same
// block of four tokens' activations. Per token the arithmetic and the
// accumulation order are those of the one-token Q8_0 kernel in
// dot_amd64.s (one accumulator, ggml's order), so Q8_0 results are
// bit-identical to four single calls; the one-token Q4_0 kernel splits
// its sum over two accumulators and so differs by float rounding.
//
// Token t's quants are at qs + t*R8 and its scales at d + t*R10.

#define HSUM4(acc, xacc, dst) \
	VEXTRACTF128 $1, acc, X1; \
	VADDPS  X1, xacc, X1; \
	VMOVHLPS X1, X1, X2; \
	VADDPS  X2, X1, X1; \
	VMOVSHDUP X1, X2; \
	VADDSS  X2, X1, X1; \
	VMOVSS  X1, dst

// X4_TOKEN multiplies the signed weights Y4 (|w| in Y5, dx in Y6) with
// token t's block: quants at qaddr, scale at daddr.
#define X4_TOKEN(qaddr, daddr, acc) \
	VMOVDQU qaddr, Y7; \
	VPSIGNB Y4, Y7, Y7; \
	VPMADDUBSW Y7, Y5, Y7; \
	VPMADDWD Y15, Y7, Y7; \
	VCVTDQ2PS Y7, Y7; \
	VBROADCASTSS daddr, Y8; \
	VMULPS  Y8, Y6, Y8; \
	VFMADD231PS Y8, Y7, acc

#define X4_BLOCK \
	VPSIGNB Y4, Y4, Y5; \
	MOVWLZX (SI), AX; \
	VMOVD   AX, X6; \
	VCVTPH2PS X6, X6; \
	VBROADCASTSS X6, Y6; \
	X4_TOKEN((DI), (DX), Y0); \
	X4_TOKEN((DI)(R8*1), (DX)(R10*1), Y9); \
	X4_TOKEN((DI)(R8*2), (DX)(R10*2), Y10); \
	X4_TOKEN((DI)(R9*1), (DX)(R11*1), Y11)

#define X4_PROLOGUE \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ nb+24(FP), CX; \
	MOVQ qstride+32(FP), R8; \
	MOVQ dstride+40(FP), R10; \
	LEAQ (R8)(R8*2), R9; \
	LEAQ (R10)(R10*2), R11; \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y9, Y9, Y9; \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11; \
	VPCMPEQW Y15, Y15, Y15; \
	VPSRLW $15, Y15, Y15

#define X4_EPILOGUE \
	MOVQ out+48(FP), DI; \
	HSUM4(Y0, X0, 0(DI)); \
	HSUM4(Y9, X9, 4(DI)); \
	HSUM4(Y10, X10, 8(DI)); \
	HSUM4(Y11, X11, 12(DI)); \
	VZEROUPPER; \
	RET

// func dotQ8_0x4AVX2(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)
TEXT ·dotQ8_0x4AVX2(SB), NOSPLIT, $0-56
	X4_PROLOGUE

q80x4loop:
	TESTQ CX, CX
	JEQ   q80x4done
	VMOVDQU 2(SI), Y4
	X4_BLOCK
	ADDQ $34, SI
	ADDQ $32, DI
	ADDQ $4, DX
	DECQ CX
	JMP  q80x4loop

q80x4done:
	X4_EPILOGUE

// func dotQ4_0x4AVX2(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)
TEXT ·dotQ4_0x4AVX2(SB), NOSPLIT, $0-56
	X4_PROLOGUE
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	MOVL $0x08080808, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13

q40x4loop:
	TESTQ CX, CX
	JEQ   q40x4done
	VMOVDQU 2(SI), X4
	VPSRLW  $4, X4, X5
	VINSERTI128 $1, X5, Y4, Y4
	VPAND   Y14, Y4, Y4
	VPSUBB  Y13, Y4, Y4
	X4_BLOCK
	ADDQ $18, SI
	ADDQ $32, DI
	ADDQ $4, DX
	DECQ CX
	JMP  q40x4loop

q40x4done:
	X4_EPILOGUE
