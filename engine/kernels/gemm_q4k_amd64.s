#include "textflag.h"

// Q4_K repacked eight rows at a time (pack_q4k.go), multiplied with
// AVX-512 VNNI on 256-bit registers; each int32 lane is one row, as in
// gemm_x8_amd64.s. Per token and super-block: for each of the 8
// sub-blocks of 32 values, eight vpdpbusd of the unsigned 4-bit values,
// times the rows' 6-bit scales (vpmulld), summed; the mins term, the rows'
// 6-bit mins times the token's sub-block sums, is four vpdpwssd of int16
// pairs (Q8.Off). Both integer totals are exactly ggml's; each is then
// converted and added with one FMA, times d (or dmin) times the token's
// scale. The one-, two- and four-token kernels do the same per token.

// Packed group of a block (1184 bytes): d (8 f16) at 0, dmin at 16, the
// scales of sub-block j at 32+8j (8 bytes, row order), the mins pairs
// (m[2p], m[2p+1] for rows 0..7) at 96+16p, then for each 64-value group G
// eight 32-byte chunks at 160+256G+32k: lane r holds bytes 4k..4k+3 of
// the row's 32 quant bytes of G (low nibbles: sub-block 2G, high: 2G+1).

// MINS4K loads the four mins-pair vectors into Y8..Y11 (int16 lanes).
#define MINS4K \
	VPMOVZXBW 96(SI), Y8; \
	VPMOVZXBW 112(SI), Y9; \
	VPMOVZXBW 128(SI), Y10; \
	VPMOVZXBW 144(SI), Y11

// MINS_TOK: the token's mins total, Σ m·(sub-block sum), into macc.
#define MINS_TOK(oi, macc) \
	VPXORD macc, macc, macc; \
	VPDPWSSD.BCST 0(BX)(oi), Y8, macc; \
	VPDPWSSD.BCST 4(BX)(oi), Y9, macc; \
	VPDPWSSD.BCST 8(BX)(oi), Y10, macc; \
	VPDPWSSD.BCST 12(BX)(oi), Y11, macc

// LO4K / HI4K unpack group G's low (sub-block 2G) or high (2G+1) nibbles
// into Y4..Y11; Y14 = 0x0f bytes.
#define LO4K(G) \
	VPANDD (160+256*G)(SI), Y14, Y4; \
	VPANDD (160+256*G+32)(SI), Y14, Y5; \
	VPANDD (160+256*G+64)(SI), Y14, Y6; \
	VPANDD (160+256*G+96)(SI), Y14, Y7; \
	VPANDD (160+256*G+128)(SI), Y14, Y8; \
	VPANDD (160+256*G+160)(SI), Y14, Y9; \
	VPANDD (160+256*G+192)(SI), Y14, Y10; \
	VPANDD (160+256*G+224)(SI), Y14, Y11

#define HI4K(G) \
	VPSRLW $4, (160+256*G)(SI), Y4; \
	VPSRLW $4, (160+256*G+32)(SI), Y5; \
	VPSRLW $4, (160+256*G+64)(SI), Y6; \
	VPSRLW $4, (160+256*G+96)(SI), Y7; \
	VPSRLW $4, (160+256*G+128)(SI), Y8; \
	VPSRLW $4, (160+256*G+160)(SI), Y9; \
	VPSRLW $4, (160+256*G+192)(SI), Y10; \
	VPSRLW $4, (160+256*G+224)(SI), Y11; \
	VPANDD Y14, Y4, Y4; \
	VPANDD Y14, Y5, Y5; \
	VPANDD Y14, Y6, Y6; \
	VPANDD Y14, Y7, Y7; \
	VPANDD Y14, Y8, Y8; \
	VPANDD Y14, Y9, Y9; \
	VPANDD Y14, Y10, Y10; \
	VPANDD Y14, Y11, Y11

// SUB_TOK adds sub-block j of one token (quants indexed qi from DI) to
// its total tot, through tmp; Y15 holds the rows' scales of j.
#define SUB_TOK(j, qi, tmp, tot) \
	VPXORD tmp, tmp, tmp; \
	VPDPBUSD.BCST (32*j)(DI)(qi), Y4, tmp; \
	VPDPBUSD.BCST (32*j+4)(DI)(qi), Y5, tmp; \
	VPDPBUSD.BCST (32*j+8)(DI)(qi), Y6, tmp; \
	VPDPBUSD.BCST (32*j+12)(DI)(qi), Y7, tmp; \
	VPDPBUSD.BCST (32*j+16)(DI)(qi), Y8, tmp; \
	VPDPBUSD.BCST (32*j+20)(DI)(qi), Y9, tmp; \
	VPDPBUSD.BCST (32*j+24)(DI)(qi), Y10, tmp; \
	VPDPBUSD.BCST (32*j+28)(DI)(qi), Y11, tmp; \
	VPMULLD Y15, tmp, tmp; \
	VPADDD tmp, tot, tot

// FINISH4K: acc += float(tot)*(d*dt) - float(macc)*(dmin*dt).
#define FINISH4K(di, tot, macc, acc) \
	VCVTDQ2PS tot, tot; \
	VMULPS.BCST (DX)(di), Y12, Y28; \
	VFMADD231PS Y28, tot, acc; \
	VCVTDQ2PS macc, macc; \
	VMULPS.BCST (DX)(di), Y13, Y28; \
	VFNMADD231PS Y28, macc, acc

// Q4_K blocks are large (1184 bytes); 8 KiB ahead measured best for decode.
#define SETUP4K \
	MOVL $0x0f0f0f0f, AX; \
	VMOVD AX, X14; \
	VPBROADCASTD X14, Y14

// Token t: quants at DI + t*R8 (R9 = 3*R8), scales at DX + t*R10 (R11 =
// 3*R10), sub-block sums at BX + t*R13 (R15 = 3*R13); R12 = 0.
#define ARGS4K \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ off+24(FP), BX; \
	MOVQ nb+32(FP), CX; \
	MOVQ qstride+40(FP), R8; \
	MOVQ dstride+48(FP), R10; \
	MOVQ offstride+56(FP), R13; \
	LEAQ (R8)(R8*2), R9; \
	LEAQ (R10)(R10*2), R11; \
	LEAQ (R13)(R13*2), R15; \
	XORQ R12, R12

#define NEXT4K \
	ADDQ $1184, SI; \
	ADDQ $256, DI; \
	ADDQ $4, DX; \
	ADDQ $16, BX; \
	DECQ CX

// SUBS_N runs sub-block j for the first n (1, 2 or 4) tokens.
#define SUBS_1(j) \
	VPMOVZXBD (32+8*j)(SI), Y15; \
	SUB_TOK(j, R12*1, Y24, Y16)

#define SUBS_2(j) \
	SUBS_1(j); \
	SUB_TOK(j, R8*1, Y25, Y17)

#define SUBS_4(j) \
	SUBS_2(j); \
	SUB_TOK(j, R8*2, Y26, Y18); \
	SUB_TOK(j, R9*1, Y27, Y19)

// PF_K(j) prefetches three lines of the block 8 KiB ahead per sub-block
// (1536 bytes per block of 1184, or 1440 for Q5_K): spread out, not in
// one burst at the top of the block (see PREFETCH_Q6_GROUP).
#define PF_K(j) \
	PREFETCHT0 (8192+192*j)(SI); \
	PREFETCHT0 (8192+192*j+64)(SI); \
	PREFETCHT0 (8192+192*j+128)(SI)

#define GROUPS(SUBS) \
	PF_K(0); LO4K(0); SUBS(0); PF_K(1); HI4K(0); SUBS(1); \
	PF_K(2); LO4K(1); SUBS(2); PF_K(3); HI4K(1); SUBS(3); \
	PF_K(4); LO4K(2); SUBS(4); PF_K(5); HI4K(2); SUBS(5); \
	PF_K(6); LO4K(3); SUBS(6); PF_K(7); HI4K(3); SUBS(7)

// The loop bodies and stores of the one-, two- and four-token kernels,
// shared by Q4_K and Q5_K: KFMT_GROUPS and KFMT_NEXT are
// defined for one format before its functions.
#define KBODY_1 \
	VCVTPH2PS (SI), Y12; \
	VCVTPH2PS 16(SI), Y13; \
	MINS4K; \
	MINS_TOK(R12*1, Y20); \
	VPXORD Y16, Y16, Y16; \
	KFMT_GROUPS(SUBS_1); \
	FINISH4K(R12*1, Y16, Y20, Y0); \
	KFMT_NEXT

#define KBODY_2 \
	VCVTPH2PS (SI), Y12; \
	VCVTPH2PS 16(SI), Y13; \
	MINS4K; \
	MINS_TOK(R12*1, Y20); \
	MINS_TOK(R13*1, Y21); \
	VPXORD Y16, Y16, Y16; \
	VPXORD Y17, Y17, Y17; \
	KFMT_GROUPS(SUBS_2); \
	FINISH4K(R12*1, Y16, Y20, Y0); \
	FINISH4K(R10*1, Y17, Y21, Y1); \
	KFMT_NEXT

#define KBODY_4 \
	VCVTPH2PS (SI), Y12; \
	VCVTPH2PS 16(SI), Y13; \
	MINS4K; \
	MINS_TOK(R12*1, Y20); \
	MINS_TOK(R13*1, Y21); \
	MINS_TOK(R13*2, Y22); \
	MINS_TOK(R15*1, Y23); \
	VPXORD Y16, Y16, Y16; \
	VPXORD Y17, Y17, Y17; \
	VPXORD Y18, Y18, Y18; \
	VPXORD Y19, Y19, Y19; \
	KFMT_GROUPS(SUBS_4); \
	FINISH4K(R12*1, Y16, Y20, Y0); \
	FINISH4K(R10*1, Y17, Y21, Y1); \
	FINISH4K(R10*2, Y18, Y22, Y2); \
	FINISH4K(R11*1, Y19, Y23, Y3); \
	KFMT_NEXT

#define KZERO_1 VXORPS Y0, Y0, Y0
#define KZERO_2 KZERO_1; VXORPS Y1, Y1, Y1
#define KZERO_4 KZERO_2; VXORPS Y2, Y2, Y2; VXORPS Y3, Y3, Y3

#define KSTORE_1 \
	MOVQ out+64(FP), AX; \
	VMOVUPS Y0, (AX); \
	VZEROUPPER; \
	RET

#define KSTORE_2 \
	MOVQ out+64(FP), AX; \
	MOVQ ostride+72(FP), R13; \
	VMOVUPS Y0, (AX); \
	VMOVUPS Y1, (AX)(R13*1); \
	VZEROUPPER; \
	RET

#define KSTORE_4 \
	MOVQ out+64(FP), AX; \
	MOVQ ostride+72(FP), R13; \
	VMOVUPS Y0, (AX); \
	VMOVUPS Y1, (AX)(R13*1); \
	VMOVUPS Y2, (AX)(R13*2); \
	LEAQ (R13)(R13*2), R13; \
	VMOVUPS Y3, (AX)(R13*1); \
	VZEROUPPER; \
	RET

// The eight-token kernels' accumulators: Y0..Y3 and Y28..Y31.
#define KZERO_8 \
	KZERO_4; \
	VXORPS Y28, Y28, Y28; \
	VXORPS Y29, Y29, Y29; \
	VXORPS Y30, Y30, Y30; \
	VXORPS Y31, Y31, Y31

#define KSTORE_8 \
	MOVQ out+64(FP), AX; \
	MOVQ ostride+72(FP), R13; \
	LEAQ (R13)(R13*2), R15; \
	VMOVUPS Y0, (AX); \
	VMOVUPS Y1, (AX)(R13*1); \
	VMOVUPS Y2, (AX)(R13*2); \
	VMOVUPS Y3, (AX)(R15*1); \
	LEAQ (AX)(R13*4), AX; \
	VMOVUPS Y28, (AX); \
	VMOVUPS Y29, (AX)(R13*1); \
	VMOVUPS Y30, (AX)(R13*2); \
	VMOVUPS Y31, (AX)(R15*1); \
	VZEROUPPER; \
	RET

#define KFMT_GROUPS GROUPS
#define KFMT_NEXT NEXT4K

// func gemmQ4_Kx8x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ4_Kx8x1VNNI(SB), NOSPLIT, $0-80
	ARGS4K
	KZERO_1
	SETUP4K

q4kx1loop:
	KBODY_1
	JNZ q4kx1loop
	KSTORE_1

// func gemmQ4_Kx8x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ4_Kx8x2VNNI(SB), NOSPLIT, $0-80
	ARGS4K
	KZERO_2
	SETUP4K

q4kx2loop:
	KBODY_2
	JNZ q4kx2loop
	KSTORE_2

// func gemmQ4_Kx8x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ4_Kx8x4VNNI(SB), NOSPLIT, $0-80
	ARGS4K
	KZERO_4
	SETUP4K

q4kx4loop:
	KBODY_4
	JNZ q4kx4loop
	KSTORE_4

// Eight tokens (Q5_K too, reloading its fifth bits per sub-block: see
// LO5K8 below).
// Tokens 4..7 are addressed from second bases: R14 = DI + 4*qstride for
// the quants, AX = BX + 4*offstride for the sub-block sums, then DX +
// 4*dstride for the scales. Each token's sub-block is one chain of eight
// vpdpbusd: eight tokens are eight independent chains. The mins totals
// are made after the sub-blocks (their vectors reuse the weights'
// registers) and FINISH adds the scales' term first, as the other
// kernels do, so results are bit for bit theirs.
#define SUB_TOK8(j, q, qi, tmp, tot) \
	VPXORD tmp, tmp, tmp; \
	VPDPBUSD.BCST (32*j)(q)(qi), Y4, tmp; \
	VPDPBUSD.BCST (32*j+4)(q)(qi), Y5, tmp; \
	VPDPBUSD.BCST (32*j+8)(q)(qi), Y6, tmp; \
	VPDPBUSD.BCST (32*j+12)(q)(qi), Y7, tmp; \
	VPDPBUSD.BCST (32*j+16)(q)(qi), Y8, tmp; \
	VPDPBUSD.BCST (32*j+20)(q)(qi), Y9, tmp; \
	VPDPBUSD.BCST (32*j+24)(q)(qi), Y10, tmp; \
	VPDPBUSD.BCST (32*j+28)(q)(qi), Y11, tmp; \
	VPMULLD Y15, tmp, tmp; \
	VPADDD tmp, tot, tot

#define SUBS_8(j) \
	VPMOVZXBD (32+8*j)(SI), Y15; \
	SUB_TOK8(j, DI, R12*1, Y20, Y16); \
	SUB_TOK8(j, DI, R8*1, Y21, Y17); \
	SUB_TOK8(j, DI, R8*2, Y22, Y18); \
	SUB_TOK8(j, DI, R9*1, Y23, Y19); \
	SUB_TOK8(j, R14, R12*1, Y20, Y24); \
	SUB_TOK8(j, R14, R8*1, Y21, Y25); \
	SUB_TOK8(j, R14, R8*2, Y22, Y26); \
	SUB_TOK8(j, R14, R9*1, Y23, Y27)

#define MINS_TOK_AT(o, oi, macc) \
	VPXORD macc, macc, macc; \
	VPDPWSSD.BCST 0(o)(oi), Y8, macc; \
	VPDPWSSD.BCST 4(o)(oi), Y9, macc; \
	VPDPWSSD.BCST 8(o)(oi), Y10, macc; \
	VPDPWSSD.BCST 12(o)(oi), Y11, macc

// FINISH4K with the scales at dbase and Y4 as the temporary.
#define FINISH8K(dbase, di, tot, macc, acc) \
	VCVTDQ2PS tot, tot; \
	VMULPS.BCST (dbase)(di), Y12, Y4; \
	VFMADD231PS Y4, tot, acc; \
	VCVTDQ2PS macc, macc; \
	VMULPS.BCST (dbase)(di), Y13, Y4; \
	VFNMADD231PS Y4, macc, acc

#define KBODY_8(GR, NEXT) \
	VCVTPH2PS (SI), Y12; \
	VCVTPH2PS 16(SI), Y13; \
	LEAQ (DI)(R8*4), R14; \
	VPXORD Y16, Y16, Y16; \
	VPXORD Y17, Y17, Y17; \
	VPXORD Y18, Y18, Y18; \
	VPXORD Y19, Y19, Y19; \
	VPXORD Y24, Y24, Y24; \
	VPXORD Y25, Y25, Y25; \
	VPXORD Y26, Y26, Y26; \
	VPXORD Y27, Y27, Y27; \
	GR(SUBS_8); \
	MINS4K; \
	MINS_TOK_AT(BX, R12*1, Y20); \
	MINS_TOK_AT(BX, R13*1, Y21); \
	MINS_TOK_AT(BX, R13*2, Y22); \
	MINS_TOK_AT(BX, R15*1, Y23); \
	FINISH8K(DX, R12*1, Y16, Y20, Y0); \
	FINISH8K(DX, R10*1, Y17, Y21, Y1); \
	FINISH8K(DX, R10*2, Y18, Y22, Y2); \
	FINISH8K(DX, R11*1, Y19, Y23, Y3); \
	LEAQ (BX)(R13*4), AX; \
	MINS_TOK_AT(AX, R12*1, Y20); \
	MINS_TOK_AT(AX, R13*1, Y21); \
	MINS_TOK_AT(AX, R13*2, Y22); \
	MINS_TOK_AT(AX, R15*1, Y23); \
	LEAQ (DX)(R10*4), AX; \
	FINISH8K(AX, R12*1, Y24, Y20, Y28); \
	FINISH8K(AX, R10*1, Y25, Y21, Y29); \
	FINISH8K(AX, R10*2, Y26, Y22, Y30); \
	FINISH8K(AX, R11*1, Y27, Y23, Y31); \
	NEXT

// func gemmQ4_Kx8x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ4_Kx8x8VNNI(SB), NOSPLIT, $0-80
	ARGS4K
	KZERO_8
	SETUP4K

q4kx8loop:
	KBODY_8(GROUPS, NEXT4K)
	JNZ q4kx8loop

	KSTORE_8

// Q5_K: the Q4_K layout (same offsets, 0..1183) plus, per 64-value group
// G, two 32-byte vectors of fifth bits at 1184+64G (chunks 0..3) and
// +32 (chunks 4..7): in the byte of lane r, value i, bit 2k' is the fifth
// bit of that value in chunk k' of sub-block 2G, bit 2k'+1 of sub-block
// 2G+1. Each is moved to bit 4 (word shifts are safe: bit 4 of each byte
// only receives bits of its own byte), masked with Y29 = 0x10 bytes and
// merged under the nibbles. Blocks are 1440 bytes, 2.3% more than eight
// Q5_K blocks.
// The fifth-bit pieces take their registers as arguments: H the fifth
// bits, T a temporary, M the 0x10 mask. The one- to four-token kernels
// keep H in Y30/Y31 and M in Y29 (LO5K, HI5K); the eight-token kernel has
// no registers to spare across a sub-block and reloads them in Y20..Y23,
// which its sub-blocks use only in between (LO5K8, HI5K8).
#define BIT5L(n, H, dst, T, M) \
	VPSLLW $n, H, T; \
	VPANDD M, T, T; \
	VPTERNLOGD $0xEC, Y14, T, dst

#define BIT5R(n, H, dst, T, M) \
	VPSRLW $n, H, T; \
	VPANDD M, T, T; \
	VPTERNLOGD $0xEC, Y14, T, dst

#define BIT5N(H, dst, T, M) \
	VPANDD M, H, T; \
	VPTERNLOGD $0xEC, Y14, T, dst

// LO5K_R / HI5K_R are LO4K / HI4K with the fifth bits merged in; LO5K_R
// loads group G's fifth bits into H0 and H1, HI5K_R expects them there.
#define LO5K_R(G, H0, H1, T, M) \
	VMOVDQU64 (1184+64*G)(SI), H0; \
	VMOVDQU64 (1184+64*G+32)(SI), H1; \
	VMOVDQU (160+256*G)(SI), Y4; \
	BIT5L(4, H0, Y4, T, M); \
	VMOVDQU (160+256*G+32)(SI), Y5; \
	BIT5L(2, H0, Y5, T, M); \
	VMOVDQU (160+256*G+64)(SI), Y6; \
	BIT5N(H0, Y6, T, M); \
	VMOVDQU (160+256*G+96)(SI), Y7; \
	BIT5R(2, H0, Y7, T, M); \
	VMOVDQU (160+256*G+128)(SI), Y8; \
	BIT5L(4, H1, Y8, T, M); \
	VMOVDQU (160+256*G+160)(SI), Y9; \
	BIT5L(2, H1, Y9, T, M); \
	VMOVDQU (160+256*G+192)(SI), Y10; \
	BIT5N(H1, Y10, T, M); \
	VMOVDQU (160+256*G+224)(SI), Y11; \
	BIT5R(2, H1, Y11, T, M)

#define HI5K_R(G, H0, H1, T, M) \
	VPSRLW $4, (160+256*G)(SI), Y4; \
	BIT5L(3, H0, Y4, T, M); \
	VPSRLW $4, (160+256*G+32)(SI), Y5; \
	BIT5L(1, H0, Y5, T, M); \
	VPSRLW $4, (160+256*G+64)(SI), Y6; \
	BIT5R(1, H0, Y6, T, M); \
	VPSRLW $4, (160+256*G+96)(SI), Y7; \
	BIT5R(3, H0, Y7, T, M); \
	VPSRLW $4, (160+256*G+128)(SI), Y8; \
	BIT5L(3, H1, Y8, T, M); \
	VPSRLW $4, (160+256*G+160)(SI), Y9; \
	BIT5L(1, H1, Y9, T, M); \
	VPSRLW $4, (160+256*G+192)(SI), Y10; \
	BIT5R(1, H1, Y10, T, M); \
	VPSRLW $4, (160+256*G+224)(SI), Y11; \
	BIT5R(3, H1, Y11, T, M)

#define LO5K(G) LO5K_R(G, Y30, Y31, Y24, Y29)
#define HI5K(G) HI5K_R(G, Y30, Y31, Y24, Y29)

#define MASK5_8 VPBROADCASTD ·q5kbit(SB), Y21
#define LO5K8(G) MASK5_8; LO5K_R(G, Y22, Y23, Y20, Y21)
#define HI5K8(G) \
	MASK5_8; \
	VMOVDQU64 (1184+64*G)(SI), Y22; \
	VMOVDQU64 (1184+64*G+32)(SI), Y23; \
	HI5K_R(G, Y22, Y23, Y20, Y21)

#define GROUPS5_AT(SUBS, LO, HI) \
	PF_K(0); LO(0); SUBS(0); PF_K(1); HI(0); SUBS(1); \
	PF_K(2); LO(1); SUBS(2); PF_K(3); HI(1); SUBS(3); \
	PF_K(4); LO(2); SUBS(4); PF_K(5); HI(2); SUBS(5); \
	PF_K(6); LO(3); SUBS(6); PF_K(7); HI(3); SUBS(7)

#define GROUPS5(SUBS) GROUPS5_AT(SUBS, LO5K, HI5K)
#define GROUPS5_8(SUBS) GROUPS5_AT(SUBS, LO5K8, HI5K8)

#define SETUP5K \
	SETUP4K; \
	MOVL $0x10101010, AX; \
	VMOVD AX, X29; \
	VPBROADCASTD X29, Y29

#define NEXT5K \
	ADDQ $1440, SI; \
	ADDQ $256, DI; \
	ADDQ $4, DX; \
	ADDQ $16, BX; \
	DECQ CX

#undef KFMT_GROUPS
#undef KFMT_NEXT
#define KFMT_GROUPS GROUPS5
#define KFMT_NEXT NEXT5K

// func gemmQ5_Kx8x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ5_Kx8x1VNNI(SB), NOSPLIT, $0-80
	ARGS4K
	KZERO_1
	SETUP5K

q5kx1loop:
	KBODY_1
	JNZ q5kx1loop
	KSTORE_1

// func gemmQ5_Kx8x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ5_Kx8x2VNNI(SB), NOSPLIT, $0-80
	ARGS4K
	KZERO_2
	SETUP5K

q5kx2loop:
	KBODY_2
	JNZ q5kx2loop
	KSTORE_2

// func gemmQ5_Kx8x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ5_Kx8x4VNNI(SB), NOSPLIT, $0-80
	ARGS4K
	KZERO_4
	SETUP5K

q5kx4loop:
	KBODY_4
	JNZ q5kx4loop
	KSTORE_4

// func gemmQ5_Kx8x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ5_Kx8x8VNNI(SB), NOSPLIT, $0-80
	ARGS4K
	KZERO_8
	SETUP4K

q5kx8loop:
	KBODY_8(GROUPS5_8, NEXT5K)
	JNZ q5kx8loop

	KSTORE_8

// 0x10 in each byte: the fifth bit's place, for MASK5_8.
DATA ·q5kbit+0(SB)/4, $0x10101010
GLOBL ·q5kbit(SB), RODATA|NOPTR, $4
