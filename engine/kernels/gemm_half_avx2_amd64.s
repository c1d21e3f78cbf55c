#include "textflag.h"

// F16 and BF16 tiles for CPUs with AVX2 but not AVX-512: tile_amd64.h's
// scheme on 256-bit registers. Each (row, token) pair has its own 8-lane
// accumulator: lane l sums w[8c+l]*x[8c+l] over the 8-column chunks c in
// order, then HSUM8 adds the lanes; every kernel here does exactly that,
// so a result does not depend on the batch. Sixteen registers hold two
// rows by six tokens (12 accumulators, 2 weight vectors, 1 activation
// vector): 2 weight and 6 activation loads per 12 FMAs.
//
// Arguments as tile_amd64.h's, but rows come in pairs and n counts
// 8-column chunks. Accumulator of row r, token t: Y(2t+r); weights Y12,
// Y13; activations Y14.

#define PAIR_PROLOGUE \
	MOVQ w+0(FP), SI; \
	MOVQ rb+8(FP), R8; \
	MOVQ x+16(FP), DI; \
	MOVQ xs+24(FP), R10; \
	LEAQ (R10)(R10*2), R11; \
	LEAQ (DI)(R10*4), R13; \
	MOVQ n+32(FP), CX; \
	MOVQ out+40(FP), AX; \
	MOVQ os+48(FP), BX; \
	LEAQ (SI)(R8*2), R14

#define LOADW2_F16 \
	VCVTPH2PS (SI), Y12; \
	VCVTPH2PS (SI)(R8*1), Y13

#define WIDEN8(src, y) \
	VPMOVZXWD src, y; \
	VPSLLD $16, y, y

#define LOADW2_BF16 \
	WIDEN8((SI), Y12); \
	WIDEN8((SI)(R8*1), Y13)

#define TOK2(addr, a0, a1) \
	VMOVUPS addr, Y14; \
	VFMADD231PS Y14, Y12, a0; \
	VFMADD231PS Y14, Y13, a1

#define PTOKS_1 TOK2((DI), Y0, Y1)
#define PTOKS_2 PTOKS_1; TOK2((DI)(R10*1), Y2, Y3)
#define PTOKS_4 PTOKS_2; TOK2((DI)(R10*2), Y4, Y5); TOK2((DI)(R11*1), Y6, Y7)
#define PTOKS_6 PTOKS_4; TOK2((R13), Y8, Y9); TOK2((R13)(R10*1), Y10, Y11)

#define ZERO2(a0, a1) VXORPS a0, a0, a0; VXORPS a1, a1, a1
#define PZERO_1 ZERO2(Y0, Y1)
#define PZERO_2 PZERO_1; ZERO2(Y2, Y3)
#define PZERO_4 PZERO_2; ZERO2(Y4, Y5); ZERO2(Y6, Y7)
#define PZERO_6 PZERO_4; ZERO2(Y8, Y9); ZERO2(Y10, Y11)

// HSUM8 adds y's eight lanes (x is its lower half) and stores the sum at
// dst: halves, then pairs, then the last two (HSUM16's last three steps).
#define HSUM8(y, x, dst) \
	VEXTRACTF128 $1, y, X15; \
	VADDPS x, X15, X15; \
	VPERMILPS $0x4e, X15, X14; \
	VADDPS X14, X15, X15; \
	VMOVSHDUP X15, X14; \
	VADDSS X14, X15, X15; \
	VMOVSS X15, dst

#define STORE2(y0, x0, y1, x1) \
	HSUM8(y0, x0, (AX)); \
	HSUM8(y1, x1, 4(AX)); \
	ADDQ BX, AX

#define PSTORE_1 STORE2(Y0, X0, Y1, X1)
#define PSTORE_2 PSTORE_1; STORE2(Y2, X2, Y3, X3)
#define PSTORE_4 PSTORE_2; STORE2(Y4, X4, Y5, X5); STORE2(Y6, X6, Y7, X7)
#define PSTORE_6 PSTORE_4; STORE2(Y8, X8, Y9, X9); STORE2(Y10, X10, Y11, X11)

// Each 8-column chunk is 16 bytes of two rows: one line of the next pair
// every other chunk would do; one a chunk keeps the loop branch-free.
#define PAIR_NEXT \
	PREFETCHT1 (R14); \
	ADDQ $32, R14; \
	ADDQ $16, SI; \
	ADDQ $32, DI; \
	ADDQ $32, R13; \
	DECQ CX

// func gemmF16x2x1AVX2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmF16x2x1AVX2(SB), NOSPLIT, $0-56
	PAIR_PROLOGUE
	PZERO_1
f16p1:
	LOADW2_F16
	PTOKS_1
	PAIR_NEXT
	JNZ f16p1
	PSTORE_1
	VZEROUPPER
	RET

// func gemmF16x2x2AVX2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmF16x2x2AVX2(SB), NOSPLIT, $0-56
	PAIR_PROLOGUE
	PZERO_2
f16p2:
	LOADW2_F16
	PTOKS_2
	PAIR_NEXT
	JNZ f16p2
	PSTORE_2
	VZEROUPPER
	RET

// func gemmF16x2x4AVX2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmF16x2x4AVX2(SB), NOSPLIT, $0-56
	PAIR_PROLOGUE
	PZERO_4
f16p4:
	LOADW2_F16
	PTOKS_4
	PAIR_NEXT
	JNZ f16p4
	PSTORE_4
	VZEROUPPER
	RET

// func gemmF16x2x6AVX2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmF16x2x6AVX2(SB), NOSPLIT, $0-56
	PAIR_PROLOGUE
	PZERO_6
f16p6:
	LOADW2_F16
	PTOKS_6
	PAIR_NEXT
	JNZ f16p6
	PSTORE_6
	VZEROUPPER
	RET

// func gemmBF16x2x1AVX2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmBF16x2x1AVX2(SB), NOSPLIT, $0-56
	PAIR_PROLOGUE
	PZERO_1
bf16p1:
	LOADW2_BF16
	PTOKS_1
	PAIR_NEXT
	JNZ bf16p1
	PSTORE_1
	VZEROUPPER
	RET

// func gemmBF16x2x2AVX2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmBF16x2x2AVX2(SB), NOSPLIT, $0-56
	PAIR_PROLOGUE
	PZERO_2
bf16p2:
	LOADW2_BF16
	PTOKS_2
	PAIR_NEXT
	JNZ bf16p2
	PSTORE_2
	VZEROUPPER
	RET

// func gemmBF16x2x4AVX2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmBF16x2x4AVX2(SB), NOSPLIT, $0-56
	PAIR_PROLOGUE
	PZERO_4
bf16p4:
	LOADW2_BF16
	PTOKS_4
	PAIR_NEXT
	JNZ bf16p4
	PSTORE_4
	VZEROUPPER
	RET

// func gemmBF16x2x6AVX2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
TEXT ·gemmBF16x2x6AVX2(SB), NOSPLIT, $0-56
	PAIR_PROLOGUE
	PZERO_6
bf16p6:
	LOADW2_BF16
	PTOKS_6
	PAIR_NEXT
	JNZ bf16p6
	PSTORE_6
	VZEROUPPER
	RET

// One row against one token, as the pairs do it: decode streams rows one
// after another. Every chunk prefetches 4 KiB ahead, each line four times
// over, which costs less than a branch to skip three.

// func gemmF16x1x1AVX2(w *byte, x *float32, n int, out *float32)
TEXT ·gemmF16x1x1AVX2(SB), NOSPLIT, $0-32
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ out+24(FP), AX
	VXORPS Y0, Y0, Y0
f16one:
	PREFETCHT0 4096(SI)
	VCVTPH2PS (SI), Y12
	VFMADD231PS (DI), Y12, Y0
	ADDQ $16, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  f16one
	HSUM8(Y0, X0, (AX))
	VZEROUPPER
	RET

// func gemmBF16x1x1AVX2(w *byte, x *float32, n int, out *float32)
TEXT ·gemmBF16x1x1AVX2(SB), NOSPLIT, $0-32
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ out+24(FP), AX
	VXORPS Y0, Y0, Y0
bf16one:
	PREFETCHT0 4096(SI)
	WIDEN8((SI), Y12)
	VFMADD231PS (DI), Y12, Y0
	ADDQ $16, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  bf16one
	HSUM8(Y0, X0, (AX))
	VZEROUPPER
	RET
