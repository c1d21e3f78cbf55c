// Macros of the eight-row packed kernels (gemm_x8_amd64.s,
// gemm_legacy_amd64.s): LayoutRows8 blocks of Q4_0's or Q8_0's shape, one
// weight row per int32 lane of a ymm register.

// UNPACK8 loads block (SI) of an eight-row group: Y12 the eight weight
// scales, Y4..Y7 the low nibbles of byte chunks 0..3 (values 4k..4k+3 of
// each row in lane r) and Y8..Y11 their high nibbles (values 16+4k..).
#define UNPACK8 \
	VCVTPH2PS (SI), Y12; \
	VMOVDQU 16(SI), Y4; \
	VMOVDQU 48(SI), Y5; \
	VMOVDQU 80(SI), Y6; \
	VMOVDQU 112(SI), Y7; \
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
	VPAND Y14, Y11, Y11

// TOKEN8 adds one token's block to acc (eight rows). qi indexes the
// token's quants from DI, di its scale and offset from DX and BX. The
// weights are Y4..Y11 (values 4k..4k+3 of each row in Y(4+k)); Q8_0 passes
// Q8_0_OFF, Q4_0 nothing, as shift.
// TOKEN8_AT is TOKEN8 with explicit base registers (quants q, scales d,
// offsets o), for the eight-token kernels' second bases.
#define TOKEN8_AT(q, d, o, qi, di, acc, shift) \
	VPBROADCASTD (o)(di), Y16; \
	shift \
	VPXORD Y17, Y17, Y17; \
	VPDPBUSD.BCST 0(q)(qi), Y4, Y16; \
	VPDPBUSD.BCST 4(q)(qi), Y5, Y17; \
	VPDPBUSD.BCST 8(q)(qi), Y6, Y16; \
	VPDPBUSD.BCST 12(q)(qi), Y7, Y17; \
	VPDPBUSD.BCST 16(q)(qi), Y8, Y16; \
	VPDPBUSD.BCST 20(q)(qi), Y9, Y17; \
	VPDPBUSD.BCST 24(q)(qi), Y10, Y16; \
	VPDPBUSD.BCST 28(q)(qi), Y11, Y17; \
	VPADDD Y17, Y16, Y16; \
	VCVTDQ2PS Y16, Y16; \
	VMULPS.BCST (d)(di), Y12, Y17; \
	VFMADD231PS Y17, Y16, acc

#define TOKEN8(qi, di, acc, shift) TOKEN8_AT(DI, DX, BX, qi, di, acc, shift)

// Weights stream from memory once per step. Without software prefetch
// the kernels with several tokens, which spend ~40 cycles on a block,
// keep too few lines in flight and ran at a third of their in-cache
// speed; a prefetch for every line of the block 4 KiB ahead (about a DRAM
// latency at that pace) brought them back (engine/kernels/BENCH.md).
#define NIBBLE_MASK \
	MOVL $0x0f0f0f0f, AX; \
	VMOVD AX, X14; \
	VPBROADCASTD X14, Y14

// Prologues, block steps and stores of the one-, two- and four-token
// kernels (the eight-token ones have their own, with second bases).
#define X1_PROLOGUE \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ off+24(FP), BX; \
	MOVQ nb+32(FP), CX; \
	XORQ R12, R12; \
	VXORPS Y0, Y0, Y0

#define X1_EPILOGUE \
	MOVQ out+40(FP), AX; \
	VMOVUPS Y0, (AX); \
	VZEROUPPER; \
	RET

#define X2_PROLOGUE \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ off+24(FP), BX; \
	MOVQ nb+32(FP), CX; \
	MOVQ qstride+40(FP), R8; \
	MOVQ dstride+48(FP), R10; \
	XORQ R12, R12; \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1

#define X2_EPILOGUE \
	MOVQ out+56(FP), AX; \
	MOVQ ostride+64(FP), R13; \
	VMOVUPS Y0, (AX); \
	VMOVUPS Y1, (AX)(R13*1); \
	VZEROUPPER; \
	RET

#define X4_PROLOGUE \
	X2_PROLOGUE; \
	LEAQ (R8)(R8*2), R9; \
	LEAQ (R10)(R10*2), R11; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3

#define X4_EPILOGUE \
	MOVQ out+56(FP), AX; \
	MOVQ ostride+64(FP), R13; \
	VMOVUPS Y0, (AX); \
	VMOVUPS Y1, (AX)(R13*1); \
	VMOVUPS Y2, (AX)(R13*2); \
	LEAQ (R13)(R13*2), R13; \
	VMOVUPS Y3, (AX)(R13*1); \
	VZEROUPPER; \
	RET

// NEXT_BLOCK moves to the next block of weights (wbytes) and activations.
#define NEXT_BLOCK(wbytes) \
	ADDQ $wbytes, SI; \
	ADDQ $32, DI; \
	ADDQ $4, DX; \
	ADDQ $4, BX; \
	DECQ CX

// Q8_0: vpdpbusd wants unsigned weights, so they are flipped to w+128
// (xor 0x80) as they are loaded, and each token's lane starts from -128
// times its block sum, which is Q8.Off (-8 times the sum) shifted left 4.
#define Q8_0_OFF VPSLLD $4, Y16, Y16;

// UNPACK8_Q8_0 loads block (SI): Y12 the eight scales, Y4..Y11 the flipped
// quants, chunk k (values 4k..4k+3 of each row) in Y(4+k).
#define UNPACK8_Q8_0 \
	VCVTPH2PS (SI), Y12; \
	VPXOR 16(SI), Y14, Y4; \
	VPXOR 48(SI), Y14, Y5; \
	VPXOR 80(SI), Y14, Y6; \
	VPXOR 112(SI), Y14, Y7; \
	VPXOR 144(SI), Y14, Y8; \
	VPXOR 176(SI), Y14, Y9; \
	VPXOR 208(SI), Y14, Y10; \
	VPXOR 240(SI), Y14, Y11

#define FLIP_MASK \
	MOVL $0x80808080, AX; \
	VMOVD AX, X14; \
	VPBROADCASTD X14, Y14

// Eight tokens: tokens 4..7 are addressed like tokens 0..3 from second
// base pointers (R13 quants, R14 scales, R15 offsets), four tokens on.
#define X8_PROLOGUE \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ off+24(FP), BX; \
	MOVQ nb+32(FP), CX; \
	MOVQ qstride+40(FP), R8; \
	MOVQ dstride+48(FP), R10; \
	LEAQ (R8)(R8*2), R9; \
	LEAQ (R10)(R10*2), R11; \
	LEAQ (DI)(R8*4), R13; \
	LEAQ (DX)(R10*4), R14; \
	LEAQ (BX)(R10*4), R15; \
	XORQ R12, R12; \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y13, Y13, Y13; \
	VXORPS Y15, Y15, Y15; \
	VXORPS Y18, Y18, Y18; \
	VXORPS Y19, Y19, Y19

#define X8_TOKENS(shift) \
	TOKEN8_AT(DI, DX, BX, R12*1, R12*1, Y0, shift); \
	TOKEN8_AT(DI, DX, BX, R8*1, R10*1, Y1, shift); \
	TOKEN8_AT(DI, DX, BX, R8*2, R10*2, Y2, shift); \
	TOKEN8_AT(DI, DX, BX, R9*1, R11*1, Y3, shift); \
	TOKEN8_AT(R13, R14, R15, R12*1, R12*1, Y13, shift); \
	TOKEN8_AT(R13, R14, R15, R8*1, R10*1, Y15, shift); \
	TOKEN8_AT(R13, R14, R15, R8*2, R10*2, Y18, shift); \
	TOKEN8_AT(R13, R14, R15, R9*1, R11*1, Y19, shift)

#define X8_NEXT(wbytes) \
	ADDQ $wbytes, SI; \
	ADDQ $32, DI; \
	ADDQ $4, DX; \
	ADDQ $4, BX; \
	ADDQ $32, R13; \
	ADDQ $4, R14; \
	ADDQ $4, R15; \
	DECQ CX

#define X8_EPILOGUE \
	MOVQ out+56(FP), AX; \
	MOVQ ostride+64(FP), R8; \
	LEAQ (R8)(R8*2), R9; \
	VMOVUPS Y0, (AX); \
	VMOVUPS Y1, (AX)(R8*1); \
	VMOVUPS Y2, (AX)(R8*2); \
	VMOVUPS Y3, (AX)(R9*1); \
	LEAQ (AX)(R8*4), AX; \
	VMOVUPS Y13, (AX); \
	VMOVUPS Y15, (AX)(R8*1); \
	VMOVUPS Y18, (AX)(R8*2); \
	VMOVUPS Y19, (AX)(R9*1); \
	VZEROUPPER; \
	RET

// TOKS8_n(shift) runs the block for the first n tokens (TOKEN8).
#define TOKS8_1(shift) TOKEN8(R12*1, R12*1, Y0, shift)
#define TOKS8_2(shift) TOKS8_1(shift); TOKEN8(R8*1, R10*1, Y1, shift)
#define TOKS8_4(shift) TOKS8_2(shift); TOKEN8(R8*2, R10*2, Y2, shift); TOKEN8(R9*1, R11*1, Y3, shift)

// KERNEL8 is the body of an eight-row kernel: PRO (X1..X8_PROLOGUE),
// SETUP (its constants), then per block PF, UNPACK, TOKS and NEXT (which
// counts CX down), then EPI (the stores and RET); loop names the label.
#define KERNEL8(PRO, SETUP, PF, UNPACK, TOKS, NEXT, EPI, loop) \
	PRO; \
	SETUP; \
loop: \
	PF; \
	UNPACK; \
	TOKS; \
	NEXT; \
	JNZ loop; \
	EPI
