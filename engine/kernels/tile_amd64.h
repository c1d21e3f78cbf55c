// Shared by the F16 and BF16 tile kernels (gemm_f16_amd64.s,
// gemm_bf16_amd64.s), which differ only in how a chunk of sixteen weights
// becomes float32 (LOADW4 and the one-row loop). Arguments: w the first
// row, rb bytes between rows, x the first token's activations, xs bytes
// between tokens, n the number of 16-column chunks, out the first result
// (row 0 of token 0), os bytes between tokens' results (rows of one token
// are 4 bytes apart).

// Accumulator of row r, token t: Z(4t+r). Weights of the chunk: Z24..Z27.
// The token's activations: Z28.

#define TILE_PROLOGUE \
	MOVQ w+0(FP), SI; \
	MOVQ rb+8(FP), R8; \
	LEAQ (R8)(R8*2), R9; \
	MOVQ x+16(FP), DI; \
	MOVQ xs+24(FP), R10; \
	LEAQ (R10)(R10*2), R11; \
	LEAQ (DI)(R10*4), R13; \
	MOVQ n+32(FP), CX; \
	MOVQ out+40(FP), AX; \
	MOVQ os+48(FP), BX; \
	LEAQ (SI)(R8*4), R14

// TOK4 adds the chunk of the token at addr to the four rows' sums a0..a3.
#define TOK4(addr, a0, a1, a2, a3) \
	VMOVUPS addr, Z28; \
	VFMADD231PS Z28, Z24, a0; \
	VFMADD231PS Z28, Z25, a1; \
	VFMADD231PS Z28, Z26, a2; \
	VFMADD231PS Z28, Z27, a3

#define TOKS_1 TOK4((DI), Z0, Z1, Z2, Z3)
#define TOKS_2 TOKS_1; TOK4((DI)(R10*1), Z4, Z5, Z6, Z7)
#define TOKS_4 TOKS_2; TOK4((DI)(R10*2), Z8, Z9, Z10, Z11); TOK4((DI)(R11*1), Z12, Z13, Z14, Z15)
#define TOKS_6 TOKS_4; TOK4((R13), Z16, Z17, Z18, Z19); TOK4((R13)(R10*1), Z20, Z21, Z22, Z23)

#define ZERO4(a0, a1, a2, a3) \
	VPXORD a0, a0, a0; \
	VPXORD a1, a1, a1; \
	VPXORD a2, a2, a2; \
	VPXORD a3, a3, a3

#define ZERO_1 ZERO4(Z0, Z1, Z2, Z3)
#define ZERO_2 ZERO_1; ZERO4(Z4, Z5, Z6, Z7)
#define ZERO_4 ZERO_2; ZERO4(Z8, Z9, Z10, Z11); ZERO4(Z12, Z13, Z14, Z15)
#define ZERO_6 ZERO_4; ZERO4(Z16, Z17, Z18, Z19); ZERO4(Z20, Z21, Z22, Z23)

// HSUM16 adds z's sixteen lanes (y is its lower half) and stores the sum
// at dst: halves, then quarters, then pairs, then the last two.
#define HSUM16(z, y, dst) \
	VEXTRACTF64X4 $1, z, Y29; \
	VADDPS y, Y29, Y29; \
	VEXTRACTF32X4 $1, Y29, X30; \
	VADDPS X30, X29, X29; \
	VPERMILPS $0x4e, X29, X30; \
	VADDPS X30, X29, X29; \
	VMOVSHDUP X29, X30; \
	VADDSS X30, X29, X29; \
	VMOVSS X29, dst

// STORE4 writes one token's four sums and moves AX to the next token's.
#define STORE4(z0, y0, z1, y1, z2, y2, z3, y3) \
	HSUM16(z0, y0, (AX)); \
	HSUM16(z1, y1, 4(AX)); \
	HSUM16(z2, y2, 8(AX)); \
	HSUM16(z3, y3, 12(AX)); \
	ADDQ BX, AX

#define STORE_1 STORE4(Z0, Y0, Z1, Y1, Z2, Y2, Z3, Y3)
#define STORE_2 STORE_1; STORE4(Z4, Y4, Z5, Y5, Z6, Y6, Z7, Y7)
#define STORE_4 STORE_2; STORE4(Z8, Y8, Z9, Y9, Z10, Y10, Z11, Y11); STORE4(Z12, Y12, Z13, Y13, Z14, Y14, Z15, Y15)
#define STORE_6 STORE_4; STORE4(Z16, Y16, Z17, Y17, Z18, Y18, Z19, Y19); STORE4(Z20, Y20, Z21, Y21, Z22, Y22, Z23, Y23)

// The first pass of tokens over a tile streams it from memory as four
// interleaved rows, which the hardware prefetcher follows badly (each row
// is a page or so). So each chunk prefetches two lines of the next four
// rows' bytes, in order: the next quad arrives while this one runs.
#define PREFETCH_NEXT \
	PREFETCHT1 (R14); \
	PREFETCHT1 64(R14); \
	ADDQ $128, R14

#define NEXT \
	ADDQ $32, SI; \
	ADDQ $64, DI; \
	ADDQ $64, R13; \
	DECQ CX

