#include "textflag.h"
#include "cbk8_amd64.h"

// Packed Q3_K layout, eight rows (LayoutRows8, pack_q3k.go), on AVX2
// alone, for the types re-encoded into it (pack_grid3.go) and for Q3_K
// itself: gemm_q3k16_amd64.s's arithmetic on 256-bit registers, one row
// per int32 lane.
//
// A value register (four values of a 16-value group, each row's dword) is
// merged from the group's L bits (shifted, masked to bits 0-1) and the
// pair's H bits (shifted to bit 2, masked), then looked up (vpshufb) in
// the type's codebook + bias, unsigned and at most 107 (IQ2: ±43 + 64;
// Q3_K: u - 4 + 4 = u). vpmaddubsw's pairs are then at most
// 2*107*128 = 27392, and vpmaddwd by the group's scale (each lane's int16
// scale twice) gives the scaled int32 dot. Each group's lanes also take
// scale times its offset (Q8.Off: -bias times the group's quant sum,
// makeOff3). The exact int32 block total is converted and fused times
// d*d_y into the token's sum, as in the VNNI kernel: the results are bit
// for bit its.
//
// Block of eight rows (912 bytes): d (8 f16) at 0, group j's scales (8
// int8) at 16+8j, pair p's L(2p), L(2p+1) and H (32 bytes each) at
// 144+96p, +32, +64.
//
// Registers: Y0..Y3 the tokens' float sums, Y4..Y7 their int32 block
// totals, Y8..Y11 a group's value registers, Y12 the group's doubled
// scales (then the rows' d), Y13 the codebook, Y14 scratch, Y15 the
// group's scales as int32. SI the weights; DI, DX, BX token 0's quants,
// scales and offsets; R8/R9, R10/R11 and R13/R15 one and three tokens'
// strides of each; R12 zero; CX the blocks left.

DATA q3a3<>+0x00(SB)/8, $0x0303030303030303
DATA q3a3<>+0x08(SB)/8, $0x0303030303030303
DATA q3a3<>+0x10(SB)/8, $0x0303030303030303
DATA q3a3<>+0x18(SB)/8, $0x0303030303030303
GLOBL q3a3<>(SB), RODATA|NOPTR, $32

DATA q3a4<>+0x00(SB)/8, $0x0404040404040404
DATA q3a4<>+0x08(SB)/8, $0x0404040404040404
DATA q3a4<>+0x10(SB)/8, $0x0404040404040404
DATA q3a4<>+0x18(SB)/8, $0x0404040404040404
GLOBL q3a4<>(SB), RODATA|NOPTR, $32

// The H shifts that bring bit 4e+m of each byte to bit 2 (group 2p+e,
// values 4m..4m+3); word shifts, but bit 2 of each byte comes from its
// own byte.
#define H_SL2 VPSLLW $2, Y14, Y14
#define H_SL1 VPSLLW $1, Y14, Y14
#define H_SR0 VPSRLW $0, Y14, Y14
#define H_SR1 VPSRLW $1, Y14, Y14
#define H_SR2 VPSRLW $2, Y14, Y14
#define H_SR3 VPSRLW $3, Y14, Y14
#define H_SR4 VPSRLW $4, Y14, Y14
#define H_SR5 VPSRLW $5, Y14, Y14

// QA_VAL: dst = table[low bits (L at loff, shifted right lsh) | high bit
// (H at hoff, shifted by HSH)].
#define QA_VAL(loff, lsh, hoff, HSH, dst) \
	VMOVDQU (loff)(SI), dst; \
	VPSRLW $lsh, dst, dst; \
	VPAND q3a3<>(SB), dst, dst; \
	VMOVDQU (hoff)(SI), Y14; \
	HSH; \
	VPAND q3a4<>(SB), Y14, Y14; \
	VPOR Y14, dst, dst; \
	VPSHUFB dst, Y13, dst

#define QA_VALS_0(p) \
	QA_VAL(144+96*p, 0, 144+96*p+64, H_SL2, Y8); \
	QA_VAL(144+96*p, 2, 144+96*p+64, H_SL1, Y9); \
	QA_VAL(144+96*p, 4, 144+96*p+64, H_SR0, Y10); \
	QA_VAL(144+96*p, 6, 144+96*p+64, H_SR1, Y11)
#define QA_VALS_1(p) \
	QA_VAL(144+96*p+32, 0, 144+96*p+64, H_SR2, Y8); \
	QA_VAL(144+96*p+32, 2, 144+96*p+64, H_SR3, Y9); \
	QA_VAL(144+96*p+32, 4, 144+96*p+64, H_SR4, Y10); \
	QA_VAL(144+96*p+32, 6, 144+96*p+64, H_SR5, Y11)

// QA_SCALE(j): Y15 group j's scales as int32, Y12 the same in both int16
// halves of each lane.
#define QA_SCALE(j) \
	VPMOVSXBD (16+8*j)(SI), Y15; \
	VPSLLD $16, Y15, Y12; \
	VPBLENDW $0xaa, Y12, Y15, Y12

// QA_STEP: tot += scale * (value register W times the token's quants at
// o); QA_OFF: tot += scale * the group's offset at o.
#define QA_STEP(o, qi, W, tot) \
	VPBROADCASTD (o)(DI)(qi), Y14; \
	VPMADDUBSW Y14, W, Y14; \
	VPMADDWD Y12, Y14, Y14; \
	VPADDD Y14, tot, tot
#define QA_OFF(o, oi, tot) \
	VPBROADCASTD (o)(BX)(oi), Y14; \
	VPMULLD Y15, Y14, Y14; \
	VPADDD Y14, tot, tot

// QA_TOK(j, qi, oi, tot): group j of one token.
#define QA_TOK(j, qi, oi, tot) \
	QA_OFF(4*j, oi, tot); \
	QA_STEP(16*j, qi, Y8, tot); \
	QA_STEP(16*j+4, qi, Y9, tot); \
	QA_STEP(16*j+8, qi, Y10, tot); \
	QA_STEP(16*j+12, qi, Y11, tot)

#define QA_TOKS_1(j) QA_TOK(j, R12*1, R12*1, Y4)
#define QA_TOKS_2(j) QA_TOKS_1(j); QA_TOK(j, R8*1, R13*1, Y5)
#define QA_TOKS_4(j) QA_TOKS_2(j); QA_TOK(j, R8*2, R13*2, Y6); QA_TOK(j, R9*1, R15*1, Y7)

// Group indices go in parentheses: macro arguments are substituted as text.
#define QA_PAIR(TOKS, p) \
	PREFETCHT0 (4096+114*p)(SI); \
	PREFETCHT0 (4096+114*p+64)(SI); \
	QA_SCALE((2*p)); \
	QA_VALS_0(p); \
	TOKS((2*p)); \
	QA_SCALE((2*p+1)); \
	QA_VALS_1(p); \
	TOKS((2*p+1))

#define QA_BLOCK(TOKS) \
	QA_PAIR(TOKS, 0); \
	QA_PAIR(TOKS, 1); \
	QA_PAIR(TOKS, 2); \
	QA_PAIR(TOKS, 3); \
	QA_PAIR(TOKS, 4); \
	QA_PAIR(TOKS, 5); \
	QA_PAIR(TOKS, 6); \
	QA_PAIR(TOKS, 7)

// func gemmQ3Lx8x1AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)
TEXT ·gemmQ3Lx8x1AVX2(SB), NOSPLIT, $0-88
	CBK_KERNEL(CBK_ZERO_1, CBK_TOT_1, QA_BLOCK, QA_TOKS_1, CBK_FIN_1, 912, 64, CBK_STORE_1, qa1loop)

// func gemmQ3Lx8x2AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)
TEXT ·gemmQ3Lx8x2AVX2(SB), NOSPLIT, $0-88
	CBK_KERNEL(CBK_ZERO_2, CBK_TOT_2, QA_BLOCK, QA_TOKS_2, CBK_FIN_2, 912, 64, CBK_STORE_2, qa2loop)

// func gemmQ3Lx8x4AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)
TEXT ·gemmQ3Lx8x4AVX2(SB), NOSPLIT, $0-88
	CBK_KERNEL(CBK_ZERO_4, CBK_TOT_4, QA_BLOCK, QA_TOKS_4, CBK_FIN_4, 912, 64, CBK_STORE_4, qa4loop)
