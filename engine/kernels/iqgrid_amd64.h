// iqgrid_amd64.h: the macros and constants of the grid types' kernels, one
// token (dot_iqgrid_amd64.s), four (_x4) and eight (_x8) at once.

// AVX2 row dots of the grid types against Q8_K, bit for bit refDotGrid
// (dot_iqgrid.go) for each type.
//
// A group of 32 weights becomes Y1, their 32 grid magnitudes (unsigned
// bytes: four 8-byte or eight 4-byte entries, loaded one by one and
// inserted), and Y2, their signs as bytes of +1 or -1 (one 8-byte word a
// run of 8, from a table indexed by the run's sign bits). With y the
// activation quants, the products go through vpmaddubsw as |y| times
// g*sign*sign(y): |y| <= 128 fits the unsigned operand, |g| <= 62 never
// wraps, and a pair is at most 2*128*62 < 2^15. vpmaddwd by the group's
// scales (Y3: words of ls0 in the low half, ls1 in the high) then gives
// the 8 int32 lanes.
//
// Registers: SI weight block, DI activation quants, DX activation scales,
// CX blocks left, R12 grid, R13 sign table (IQ2_XS and IQ2_S: a
// gridTables, whose scale vectors follow the signs; unused by IQ3_S, which
// expands its sign bits in registers: PLAIN_SIGNS), R14 the group index within
// the block (two groups an iteration, into Y10 and Y11), AX BX R8-R11
// scratch. Y0 the float lanes.

// PLAIN_SIGNS sets Y2 to the sign bytes (+1, -1) of the 32 sign bits at
// mem: each byte of the broadcast word goes to its run of 8 (vpshufb),
// then bit i%8 of it is tested.
#define PLAIN_SIGNS(mem) \
	VPBROADCASTD mem, Y2; \
	VPSHUFB iqgShuf<>(SB), Y2, Y2; \
	VPAND iqgBits<>(SB), Y2, Y2; \
	VPCMPEQB iqgBits<>(SB), Y2, Y2; \
	VPOR iqgOnes<>(SB), Y2, Y2

DATA iqgShuf<>+0x00(SB)/8, $0x0000000000000000
DATA iqgShuf<>+0x08(SB)/8, $0x0101010101010101
DATA iqgShuf<>+0x10(SB)/8, $0x0202020202020202
DATA iqgShuf<>+0x18(SB)/8, $0x0303030303030303
GLOBL iqgShuf<>(SB), RODATA|NOPTR, $32

DATA iqgBits<>+0x00(SB)/8, $0x8040201008040201
DATA iqgBits<>+0x08(SB)/8, $0x8040201008040201
DATA iqgBits<>+0x10(SB)/8, $0x8040201008040201
DATA iqgBits<>+0x18(SB)/8, $0x8040201008040201
GLOBL iqgBits<>(SB), RODATA|NOPTR, $32

DATA iqgOnes<>+0x00(SB)/8, $0x0101010101010101
DATA iqgOnes<>+0x08(SB)/8, $0x0101010101010101
DATA iqgOnes<>+0x10(SB)/8, $0x0101010101010101
DATA iqgOnes<>+0x18(SB)/8, $0x0101010101010101
GLOBL iqgOnes<>(SB), RODATA|NOPTR, $32



// SIGN_GRID applies the sign bytes in Y2 to the magnitudes in Y1: Y1 is
// then the group's 32 signed weights (as integers).
#define SIGN_GRID \
	VPSIGNB Y2, Y1, Y1

// DOT1 adds the group's weights (Y1, kept) times the 32 quants at
// yoff(DI), scaled by Y3, to acc.
#define DOT1(yoff, acc) \
	VMOVDQU yoff(DI), Y4; \
	VPSIGNB Y4, Y1, Y5; \
	VPABSB Y4, Y4; \
	VPMADDUBSW Y5, Y4, Y5; \
	VPMADDWD Y3, Y5, Y5; \
	VPADDD Y5, acc, acc

// DOT1M is DOT1 with the quants at a memory operand.
#define DOT1M(mem, acc) \
	VMOVDQU mem, Y4; \
	VPSIGNB Y4, Y1, Y5; \
	VPABSB Y4, Y4; \
	VPMADDUBSW Y5, Y4, Y5; \
	VPMADDWD Y3, Y5, Y5; \
	VPADDD Y5, acc, acc

// DOT4 is DOT1 for four tokens, into Y10..Y13: token t's quants are
// qstride*t bytes after token 0's. The group's index registers are free
// by now.
#define DOT4(yoff) \
	MOVQ qstride+48(FP), R8; \
	LEAQ (DI)(R8*2), R9; \
	DOT1M(yoff(DI), Y10); \
	DOT1M(yoff(DI)(R8*1), Y11); \
	DOT1M(yoff(R9), Y12); \
	DOT1M(yoff(R9)(R8*1), Y13)

// LOAD4Q gathers the 8-byte entries r0..r3 of the table at tab into dst
// (its X register dstx), with tmpx as scratch.
#define LOAD4Q(tab, r0, r1, r2, r3, dst, dstx, tmpx) \
	VMOVQ (tab)(r0*8), dstx; \
	VPINSRQ $1, (tab)(r1*8), dstx, dstx; \
	VMOVQ (tab)(r2*8), tmpx; \
	VPINSRQ $1, (tab)(r3*8), tmpx, tmpx; \
	VINSERTI128 $1, tmpx, dst, dst

// LOAD4D gathers the 4-byte grid entries r0..r3 into x.
#define LOAD4D(r0, r1, r2, r3, x) \
	VMOVD (R12)(r0*4), x; \
	VPINSRD $1, (R12)(r1*4), x, x; \
	VPINSRD $2, (R12)(r2*4), x, x; \
	VPINSRD $3, (R12)(r3*4), x, x

// SCALE1 sets Y3 to words of 2*r+1; SCALE2 to 2*r0+1 (low half) and
// 2*r1+1 (high half). They clobber their registers.
#define SCALE1(r) \
	LEAL 1(r)(r*1), r; \
	VMOVD r, X3; \
	VPBROADCASTW X3, Y3

#define SCALE2(r0, r1) \
	LEAL 1(r0)(r0*1), r0; \
	LEAL 1(r1)(r1*1), r1; \
	VMOVD r0, X3; \
	VPBROADCASTW X3, X3; \
	VMOVD r1, X5; \
	VPBROADCASTW X5, X5; \
	VINSERTI128 $1, X5, Y3, Y3

// SIGNS7 gathers the sign words of the four 7-bit indices in AX (bits 0-27).
#define SIGNS7 \
	MOVL AX, R8; \
	ANDL $127, R8; \
	MOVL AX, R9; \
	SHRL $7, R9; \
	ANDL $127, R9; \
	MOVL AX, R10; \
	SHRL $14, R10; \
	ANDL $127, R10; \
	MOVL AX, R11; \
	SHRL $21, R11; \
	ANDL $127, R11; \
	LOAD4Q(R13, R8, R9, R10, R11, Y2, X2, X5)

// BLOCK_END: lanes Y10+Y11 to float, one FMA by d = x.d*y.d into Y0, and
// on to the next block of bs bytes.
#define BLOCK_END(bs) \
	MOVWLZX 0(SI), AX; \
	BLOCK_END_AX(bs)

// BLOCK_END_AX is BLOCK_END with the block's f16 d already in AX.
#define BLOCK_END_AX(bs) \
	VPADDD Y11, Y10, Y10; \
	VCVTDQ2PS Y10, Y10; \
	VMOVD AX, X6; \
	VCVTPH2PS X6, X6; \
	VMULSS (DX), X6, X6; \
	VBROADCASTSS X6, Y6; \
	VFMADD231PS Y6, Y10, Y0; \
	ADDQ $bs, SI; \
	ADDQ $4, DX; \
	DECQ CX

// GRID_HSUM8 leaves ggml's hsum_float_8 of Y0 in X0.
#define GRID_HSUM8 HSUM_FLOAT8(Y0, X0, X1)

// FINISH multiplies the sum by the float whose bits are f, and returns it.
#define FINISH(f) \
	GRID_HSUM8; \
	MOVL $f, AX; \
	VMOVD AX, X1; \
	VMULSS X1, X0, X0; \
	VMOVSS X0, ret+48(FP); \
	VZEROUPPER; \
	RET

#define PROLOGUE \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ nb+24(FP), CX; \
	MOVQ grid+32(FP), R12; \
	MOVQ signs+40(FP), R13; \
	VXORPS Y0, Y0, Y0

// The four-token kernels: each group is decoded once for four tokens,
// token t's quants and scales qstride*t and dstride*t bytes after token
// 0's; out[t] is bit for bit the row dot on token t. Y10..Y13 hold the
// tokens' int lanes, Y6..Y9 their float lanes.

#define PROLOGUE4 \
	PROLOGUE; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	VXORPS Y8, Y8, Y8; \
	VXORPS Y9, Y9, Y9

#define ZERO4 \
	VPXOR Y10, Y10, Y10; \
	VPXOR Y11, Y11, Y11; \
	VPXOR Y12, Y12, Y12; \
	VPXOR Y13, Y13, Y13; \
	XORQ R14, R14

// TOKEN_FMA: token lanes to float, one FMA by x.d (X14) times the token's
// activation scale at dmem into facc.
#define TOKEN_FMA(lanes, dmem, facc) \
	VMULSS dmem, X14, X15; \
	VBROADCASTSS X15, Y15; \
	VCVTDQ2PS lanes, lanes; \
	VFMADD231PS Y15, lanes, facc

// BLOCK_END4 is BLOCK_END_AX for the four tokens.
#define BLOCK_END4(bs) \
	VMOVD AX, X14; \
	VCVTPH2PS X14, X14; \
	MOVQ dstride+56(FP), R8; \
	LEAQ (DX)(R8*2), R9; \
	TOKEN_FMA(Y10, (DX), Y6); \
	TOKEN_FMA(Y11, (DX)(R8*1), Y7); \
	TOKEN_FMA(Y12, (R9), Y8); \
	TOKEN_FMA(Y13, (R9)(R8*1), Y9); \
	ADDQ $bs, SI; \
	ADDQ $4, DX; \
	DECQ CX

// STORE1 writes factor (X2) times hsum of facc to off(R8).
#define STORE1(facc, off) \
	VMOVAPS facc, Y0; \
	GRID_HSUM8; \
	VMULSS X2, X0, X0; \
	VMOVSS X0, off(R8)

#define FINISH4(f) \
	MOVL $f, AX; \
	VMOVD AX, X2; \
	MOVQ out+64(FP), R8; \
	STORE1(Y6, 0); \
	STORE1(Y7, 4); \
	STORE1(Y8, 8); \
	STORE1(Y9, 12); \
	VZEROUPPER; \
	RET

// The eight-token kernels: as the four-token ones, with the eight
// tokens' int lanes in Y6..Y13 and their float lanes in the frame (there
// are not registers enough for both on AVX2), 32 bytes a token.

#define PROLOGUE8 \
	PROLOGUE; \
	VXORPS Y14, Y14, Y14; \
	VMOVUPS Y14, 0(SP); \
	VMOVUPS Y14, 32(SP); \
	VMOVUPS Y14, 64(SP); \
	VMOVUPS Y14, 96(SP); \
	VMOVUPS Y14, 128(SP); \
	VMOVUPS Y14, 160(SP); \
	VMOVUPS Y14, 192(SP); \
	VMOVUPS Y14, 224(SP)

#define ZERO8 \
	VPXOR Y6, Y6, Y6; \
	VPXOR Y7, Y7, Y7; \
	VPXOR Y8, Y8, Y8; \
	VPXOR Y9, Y9, Y9; \
	ZERO4

// DOT8 is DOT4 for eight tokens, into Y6..Y13.
#define DOT8(yoff) \
	MOVQ qstride+48(FP), R8; \
	LEAQ (DI)(R8*2), R9; \
	LEAQ (DI)(R8*4), R10; \
	LEAQ (R9)(R8*4), R11; \
	DOT1M(yoff(DI), Y6); \
	DOT1M(yoff(DI)(R8*1), Y7); \
	DOT1M(yoff(R9), Y8); \
	DOT1M(yoff(R9)(R8*1), Y9); \
	DOT1M(yoff(R10), Y10); \
	DOT1M(yoff(R10)(R8*1), Y11); \
	DOT1M(yoff(R11), Y12); \
	DOT1M(yoff(R11)(R8*1), Y13)

// TOKEN_FMA8 is TOKEN_FMA with the float lanes at off(SP).
#define TOKEN_FMA8(lanes, dmem, off) \
	VMULSS dmem, X14, X15; \
	VBROADCASTSS X15, Y15; \
	VCVTDQ2PS lanes, lanes; \
	VMOVUPS off(SP), Y0; \
	VFMADD231PS Y15, lanes, Y0; \
	VMOVUPS Y0, off(SP)

#define BLOCK_END8(bs) \
	VMOVD AX, X14; \
	VCVTPH2PS X14, X14; \
	MOVQ dstride+56(FP), R8; \
	LEAQ (DX)(R8*2), R9; \
	LEAQ (DX)(R8*4), R10; \
	LEAQ (R9)(R8*4), R11; \
	TOKEN_FMA8(Y6, (DX), 0); \
	TOKEN_FMA8(Y7, (DX)(R8*1), 32); \
	TOKEN_FMA8(Y8, (R9), 64); \
	TOKEN_FMA8(Y9, (R9)(R8*1), 96); \
	TOKEN_FMA8(Y10, (R10), 128); \
	TOKEN_FMA8(Y11, (R10)(R8*1), 160); \
	TOKEN_FMA8(Y12, (R11), 192); \
	TOKEN_FMA8(Y13, (R11)(R8*1), 224); \
	ADDQ $bs, SI; \
	ADDQ $4, DX; \
	DECQ CX

// STORE8 writes factor (X2) times hsum of the float lanes at off(SP) to
// out[off/32].
#define STORE8(off) \
	VMOVUPS off(SP), Y0; \
	GRID_HSUM8; \
	VMULSS X2, X0, X0; \
	VMOVSS X0, (off/8)(R8)

#define FINISH8(f) \
	MOVL $f, AX; \
	VMOVD AX, X2; \
	MOVQ out+64(FP), R8; \
	STORE8(0); \
	STORE8(32); \
	STORE8(64); \
	STORE8(96); \
	STORE8(128); \
	STORE8(160); \
	STORE8(192); \
	STORE8(224); \
	VZEROUPPER; \
	RET

// IQ2_XXS group j of the pair at R14 (decoded into Y1, Y3): index bytes at 2+8ib, then a u32 of
// four 7-bit sign indices and the scale in bits 28-31.
#define IQ2XXS_DECODE(j) \
	MOVBLZX (2+8*j)(SI)(R14*8), R8; \
	MOVBLZX (3+8*j)(SI)(R14*8), R9; \
	MOVBLZX (4+8*j)(SI)(R14*8), R10; \
	MOVBLZX (5+8*j)(SI)(R14*8), R11; \
	LOAD4Q(R12, R8, R9, R10, R11, Y1, X1, X5); \
	MOVL (6+8*j)(SI)(R14*8), AX; \
	SIGNS7; \
	SHRL $28, AX; \
	SCALE1(AX); \
	SIGN_GRID

// IQ2_XS group j: four u16 at 2+8ib (9-bit index, 7-bit sign index), a
// scale byte at 66+ib (a nibble for each 16 weights).
#define IQ2XS_DECODE(j) \
	MOVWLZX (2+8*j)(SI)(R14*8), R8; \
	MOVWLZX (4+8*j)(SI)(R14*8), R9; \
	MOVWLZX (6+8*j)(SI)(R14*8), R10; \
	MOVWLZX (8+8*j)(SI)(R14*8), R11; \
	ANDL $511, R8; \
	ANDL $511, R9; \
	ANDL $511, R10; \
	ANDL $511, R11; \
	LOAD4Q(R12, R8, R9, R10, R11, Y1, X1, X5); \
	MOVWLZX (2+8*j)(SI)(R14*8), R8; \
	MOVWLZX (4+8*j)(SI)(R14*8), R9; \
	MOVWLZX (6+8*j)(SI)(R14*8), R10; \
	MOVWLZX (8+8*j)(SI)(R14*8), R11; \
	SHRL $9, R8; \
	SHRL $9, R9; \
	SHRL $9, R10; \
	SHRL $9, R11; \
	LOAD4Q(R13, R8, R9, R10, R11, Y2, X2, X5); \
	MOVBLZX (66+j)(SI)(R14*1), AX; \
	SHLL $5, AX; \
	VMOVDQU 2048(R13)(AX*1), Y3; \
	SIGN_GRID

// IQ2S_INDEX sets r to run l's 10-bit index: byte l of the group's low
// bits, and bits 2l, 2l+1 of its qh byte (in AX) as bits 8, 9.
#define IQ2S_INDEX(j, l, shift, r, rb) \
	MOVL AX, r; \
	SHLL $shift, r; \
	ANDL $0x300, r; \
	ORB (2+4*j+l)(SI)(R14*4), rb

// IQ2_S group j: low index bytes at 2+4ib, plain sign bytes at 34+4ib,
// the high index bits at 66+ib, the scale byte at 74+ib.
#define IQ2S_DECODE(j) \
	MOVBLZX (66+j)(SI)(R14*1), AX; \
	IQ2S_INDEX(j, 0, 8, R8, R8B); \
	IQ2S_INDEX(j, 1, 6, R9, R9B); \
	IQ2S_INDEX(j, 2, 4, R10, R10B); \
	IQ2S_INDEX(j, 3, 2, R11, R11B); \
	LOAD4Q(R12, R8, R9, R10, R11, Y1, X1, X5); \
	MOVBLZX (34+4*j)(SI)(R14*4), R8; \
	MOVBLZX (35+4*j)(SI)(R14*4), R9; \
	MOVBLZX (36+4*j)(SI)(R14*4), R10; \
	MOVBLZX (37+4*j)(SI)(R14*4), R11; \
	LOAD4Q(R13, R8, R9, R10, R11, Y2, X2, X5); \
	MOVBLZX (74+j)(SI)(R14*1), AX; \
	SHLL $5, AX; \
	VMOVDQU 2048(R13)(AX*1), Y3; \
	SIGN_GRID

// IQ3_XXS group j: eight index bytes at 2+8ib (4 weights each), a u32 at
// 66+4ib as IQ2_XXS's.
#define IQ3XXS_DECODE(j) \
	MOVBLZX (2+8*j)(SI)(R14*8), R8; \
	MOVBLZX (3+8*j)(SI)(R14*8), R9; \
	MOVBLZX (4+8*j)(SI)(R14*8), R10; \
	MOVBLZX (5+8*j)(SI)(R14*8), R11; \
	LOAD4D(R8, R9, R10, R11, X1); \
	MOVBLZX (6+8*j)(SI)(R14*8), R8; \
	MOVBLZX (7+8*j)(SI)(R14*8), R9; \
	MOVBLZX (8+8*j)(SI)(R14*8), R10; \
	MOVBLZX (9+8*j)(SI)(R14*8), R11; \
	LOAD4D(R8, R9, R10, R11, X5); \
	VINSERTI128 $1, X5, Y1, Y1; \
	MOVL (66+4*j)(SI)(R14*4), AX; \
	SIGNS7; \
	SHRL $28, AX; \
	SCALE1(AX); \
	SIGN_GRID

// IQ3S_INDEX sets r to entry k's 9-bit index: byte k of the group's low
// bits and bit k of its qh byte (in AX) as bit 8.
#define IQ3S_INDEX(j, k, r, rb) \
	MOVL AX, r; \
	SHLL $(8-k), r; \
	ANDL $256, r; \
	ORB (2+8*j+k)(SI)(R14*8), rb

// IQ3_S group j: low index bytes at 2+8ib, high bits at 66+ib, plain sign
// bytes at 74+4ib; its scale, 2*nibble+1 of byte 106+ib/2, is in BX.
#define IQ3S_DECODE(j) \
	MOVBLZX (66+j)(SI)(R14*1), AX; \
	IQ3S_INDEX(j, 0, R8, R8B); \
	IQ3S_INDEX(j, 1, R9, R9B); \
	IQ3S_INDEX(j, 2, R10, R10B); \
	IQ3S_INDEX(j, 3, R11, R11B); \
	LOAD4D(R8, R9, R10, R11, X1); \
	IQ3S_INDEX(j, 4, R8, R8B); \
	IQ3S_INDEX(j, 5, R9, R9B); \
	IQ3S_INDEX(j, 6, R10, R10B); \
	IQ3S_INDEX(j, 7, R11, R11B); \
	LOAD4D(R8, R9, R10, R11, X5); \
	VINSERTI128 $1, X5, Y1, Y1; \
	PLAIN_SIGNS((74+4*j)(SI)(R14*4)); \
	VMOVD BX, X3; \
	VPBROADCASTW X3, Y3; \
	SIGN_GRID

// IQ1_VALUES adds the delta bytes in Y2 (+1 or -1) to the grid bytes in
// Y1, read from the grid times 8 (-8, 0, 8): Y1 is then 8g+delta, at most
// 9 in magnitude.
#define IQ1_VALUES \
	VPADDB Y2, Y1, Y1

// IQ1_INDEX sets r to an 11-bit grid index: the bits of AX at mask
// after shifting it (by sh, with op), and the low byte at addr.
#define IQ1_INDEX(op, sh, mask, addr, r, rb) \
	MOVL AX, r; \
	op $sh, r; \
	ANDL $mask, r; \
	ORB addr, rb

// IQ1_S group j: low index bytes at 2+4ib, a u16 at 34+2ib with the high
// index bits (3 per run), the scale (bits 12-14) and the delta's sign
// (bit 15). R13 holds the two delta words (+1s, -1s).
#define IQ1S_DECODE(j) \
	MOVWLZX (34+2*j)(SI)(R14*2), AX; \
	IQ1_INDEX(SHLL, 8, 0x700, (2+4*j)(SI)(R14*4), R8, R8B); \
	IQ1_INDEX(SHLL, 5, 0x700, (3+4*j)(SI)(R14*4), R9, R9B); \
	IQ1_INDEX(SHLL, 2, 0x700, (4+4*j)(SI)(R14*4), R10, R10B); \
	IQ1_INDEX(SHRL, 1, 0x700, (5+4*j)(SI)(R14*4), R11, R11B); \
	LOAD4Q(R12, R8, R9, R10, R11, Y1, X1, X5); \
	MOVL AX, R8; \
	SHRL $15, R8; \
	VPBROADCASTQ (R13)(R8*8), Y2; \
	SHRL $12, AX; \
	ANDL $7, AX; \
	SCALE1(AX); \
	IQ1_VALUES

// IQ1_M group j: low index bytes at 4ib, a nibble per run in the u16 at
// 32+2ib (3 high index bits, the delta's sign), and two 3-bit scales in
// bits 6j..6j+5 of the u16 at 48+ib (the pair's). The four sign bits (3,
// 7, 11, 15) are gathered by one multiply (0x1248 moves them to bits
// 15-18 without carries) into an index of R13's 16 delta vectors; the
// group's 6 scale bits index the 64 scale vectors after them.
#define IQ1M_DECODE(j) \
	MOVWLZX (32+2*j)(SI)(R14*2), AX; \
	IQ1_INDEX(SHLL, 8, 0x700, (0+4*j)(SI)(R14*4), R8, R8B); \
	IQ1_INDEX(SHLL, 4, 0x700, (1+4*j)(SI)(R14*4), R9, R9B); \
	IQ1_INDEX(SHLL, 0, 0x700, (2+4*j)(SI)(R14*4), R10, R10B); \
	IQ1_INDEX(SHRL, 4, 0x700, (3+4*j)(SI)(R14*4), R11, R11B); \
	LOAD4Q(R12, R8, R9, R10, R11, Y1, X1, X5); \
	ANDL $0x8888, AX; \
	IMULL $0x1248, AX; \
	SHRL $10, AX; \
	ANDL $0x1e0, AX; \
	VMOVDQU (R13)(AX*1), Y2; \
	MOVWLZX 48(SI)(R14*1), BX; \
	SHLL $5, BX; \
	SHRL $(6*j), BX; \
	ANDL $0x7e0, BX; \
	VMOVDQU 512(R13)(BX*1), Y3; \
	IQ1_VALUES

// IQ1M_D sets AX to IQ1_M's f16 d: the top nibbles of the block's four
// 16-bit scales, lowest first.
#define IQ1M_D \
	MOVWLZX 48(SI), AX; \
	SHRL $12, AX; \
	MOVWLZX 50(SI), R8; \
	SHRL $12, R8; \
	SHLL $4, R8; \
	ORL R8, AX; \
	MOVWLZX 52(SI), R8; \
	SHRL $12, R8; \
	SHLL $8, R8; \
	ORL R8, AX; \
	MOVWLZX 54(SI), R8; \
	ANDL $0xf000, R8; \
	ORL R8, AX

// IQ3S_PAIR_SCALES reads the scale byte of the IQ3_S group pair at R14
// (byte 106+ib/2): BX gets 2*low nibble+1 (the even group's scale), X15
// keeps 2*high nibble+1 for the odd group (VMOVQ X15, BX before it).
#define IQ3S_PAIR_SCALES \
	MOVL R14, AX; \
	SHRL $1, AX; \
	MOVBLZX 106(SI)(AX*1), AX; \
	MOVL AX, BX; \
	ANDL $15, BX; \
	LEAL 1(BX)(BX*1), BX; \
	MOVL AX, R8; \
	SHRL $4, R8; \
	LEAL 1(R8)(R8*1), R8; \
	VMOVQ R8, X15
