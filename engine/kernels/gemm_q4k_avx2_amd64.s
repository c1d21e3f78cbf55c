#include "textflag.h"

// Packed Q4_K (LayoutRows8, see gemm_q4k_amd64.s) on AVX2 alone, one or
// two tokens: vpdpbusd and vpdpwssd are emulated with vpmaddubsw (int16
// sums of eight steps stay within 8*3840) and vpmaddwd. The integer totals
// and the float steps, in their order, are those of the VNNI kernels, so
// results are bit for bit theirs. Sixteen registers leave no room for
// four tokens.

// CHUNKS_LO / CHUNKS_HI: group G's low or high nibbles into Y4..Y11.
#define CHUNK_LO(o, y) \
	VMOVDQU o(SI), y; \
	VPAND k4nib<>(SB), y, y

#define CHUNK_HI(o, y) \
	VMOVDQU o(SI), y; \
	VPSRLW $4, y, y; \
	VPAND k4nib<>(SB), y, y

#define CHUNKS_LO(G) \
	CHUNK_LO(160+256*G, Y4); \
	CHUNK_LO(160+256*G+32, Y5); \
	CHUNK_LO(160+256*G+64, Y6); \
	CHUNK_LO(160+256*G+96, Y7); \
	CHUNK_LO(160+256*G+128, Y8); \
	CHUNK_LO(160+256*G+160, Y9); \
	CHUNK_LO(160+256*G+192, Y10); \
	CHUNK_LO(160+256*G+224, Y11)

#define CHUNKS_HI(G) \
	CHUNK_HI(160+256*G, Y4); \
	CHUNK_HI(160+256*G+32, Y5); \
	CHUNK_HI(160+256*G+64, Y6); \
	CHUNK_HI(160+256*G+96, Y7); \
	CHUNK_HI(160+256*G+128, Y8); \
	CHUNK_HI(160+256*G+160, Y9); \
	CHUNK_HI(160+256*G+192, Y10); \
	CHUNK_HI(160+256*G+224, Y11)

#define KSTEP(o, qi, wt) \
	VPBROADCASTD o(DI)(qi), Y15; \
	VPMADDUBSW Y15, wt, Y15; \
	VPADDW Y15, Y14, Y14

// KSUB adds sub-block j of one token (scales in Y12) to tot.
#define KSUB(j, qi, tot) \
	VPBROADCASTD (32*j)(DI)(qi), Y15; \
	VPMADDUBSW Y15, Y4, Y14; \
	KSTEP(32*j+4, qi, Y5); \
	KSTEP(32*j+8, qi, Y6); \
	KSTEP(32*j+12, qi, Y7); \
	KSTEP(32*j+16, qi, Y8); \
	KSTEP(32*j+20, qi, Y9); \
	KSTEP(32*j+24, qi, Y10); \
	KSTEP(32*j+28, qi, Y11); \
	VPMADDWD k4ones<>(SB), Y14, Y14; \
	VPMULLD Y12, Y14, Y14; \
	VPADDD Y14, tot, tot

#define KSUBS_1(j) \
	VPMOVZXBD (32+8*j)(SI), Y12; \
	KSUB(j, R12*1, Y2)

#define KSUBS_2(j) \
	KSUBS_1(j); \
	KSUB(j, R8*1, Y3)

// Three lines of the block 8 KiB ahead per sub-block (PF_K in
// gemm_q4k_amd64.s: spread, not a burst).
#define KPF(j) \
	PREFETCHT0 (8192+192*j)(SI); \
	PREFETCHT0 (8192+192*j+64)(SI); \
	PREFETCHT0 (8192+192*j+128)(SI)

#define KGROUPS(SUBS) \
	KPF(0); CHUNKS_LO(0); SUBS(0); KPF(1); CHUNKS_HI(0); SUBS(1); \
	KPF(2); CHUNKS_LO(1); SUBS(2); KPF(3); CHUNKS_HI(1); SUBS(3); \
	KPF(4); CHUNKS_LO(2); SUBS(4); KPF(5); CHUNKS_HI(2); SUBS(5); \
	KPF(6); CHUNKS_LO(3); SUBS(6); KPF(7); CHUNKS_HI(3); SUBS(7)

// KMIN adds mins pair p times the token's sub-block sums to Y13.
#define KMIN(p, oi) \
	VPMOVZXBW (96+16*p)(SI), Y14; \
	VPBROADCASTD (4*p)(BX)(oi), Y15; \
	VPMADDWD Y15, Y14, Y14; \
	VPADDD Y14, Y13, Y13

// KFINISH is FINISH4K: acc += float(tot)*(d*dt), then the mins term
// -float(Σ m·sums)*(dmin*dt), computed here where Y4..Y11 are free.
#define KFINISH(di, oi, tot, acc) \
	VCVTDQ2PS tot, tot; \
	VCVTPH2PS (SI), Y4; \
	VBROADCASTSS (DX)(di), Y5; \
	VMULPS Y5, Y4, Y4; \
	VFMADD231PS Y4, tot, acc; \
	VPXOR Y13, Y13, Y13; \
	KMIN(0, oi); \
	KMIN(1, oi); \
	KMIN(2, oi); \
	KMIN(3, oi); \
	VCVTDQ2PS Y13, Y13; \
	VCVTPH2PS 16(SI), Y4; \
	VMULPS Y5, Y4, Y4; \
	VFNMADD231PS Y4, Y13, acc

#define KARGS \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ off+24(FP), BX; \
	MOVQ nb+32(FP), CX; \
	MOVQ qstride+40(FP), R8; \
	MOVQ dstride+48(FP), R10; \
	MOVQ offstride+56(FP), R13; \
	XORQ R12, R12

#define KNEXT \
	ADDQ $1184, SI; \
	ADDQ $256, DI; \
	ADDQ $4, DX; \
	ADDQ $16, BX; \
	DECQ CX

// KBODY_1 and KBODY_2 are the one- and two-token kernels' bodies, with
// the blocks' groups (GROUPS: KGROUPS, KGROUPS5) and their sub-blocks
// (SUBS), the step to the next block (NEXT) and the loop's label.
#define KBODY_1(GROUPS, SUBS, NEXT, loop) \
	KARGS; \
	VXORPS Y0, Y0, Y0; \
loop: \
	VPXOR Y2, Y2, Y2; \
	GROUPS(SUBS); \
	KFINISH(R12*1, R12*1, Y2, Y0); \
	NEXT; \
	JNZ loop; \
	MOVQ out+64(FP), AX; \
	VMOVUPS Y0, (AX); \
	VZEROUPPER; \
	RET

#define KBODY_2(GROUPS, SUBS, NEXT, loop) \
	KARGS; \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
loop: \
	VPXOR Y2, Y2, Y2; \
	VPXOR Y3, Y3, Y3; \
	GROUPS(SUBS); \
	KFINISH(R12*1, R12*1, Y2, Y0); \
	KFINISH(R10*1, R13*1, Y3, Y1); \
	NEXT; \
	JNZ loop; \
	MOVQ out+64(FP), AX; \
	MOVQ ostride+72(FP), R13; \
	VMOVUPS Y0, (AX); \
	VMOVUPS Y1, (AX)(R13*1); \
	VZEROUPPER; \
	RET

// func gemmQ4_Kx8x1AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ4_Kx8x1AVX2(SB), NOSPLIT, $0-80
	KBODY_1(KGROUPS, KSUBS_1, KNEXT, k1loop)

// func gemmQ4_Kx8x2AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ4_Kx8x2AVX2(SB), NOSPLIT, $0-80
	KBODY_2(KGROUPS, KSUBS_2, KNEXT, k2loop)

// Packed Q5_K (LayoutRows8: the Q4_K layout plus, per 64-value group G,
// two 32-byte vectors of fifth bits at 1184+64G and +32; see
// gemm_q4k_amd64.s) on AVX2 alone: each chunk's fifth bits are loaded,
// shifted to bit 4 (word shifts: bit 4 of a byte only receives bits of its
// own byte), masked and or-ed under the nibbles. A value is then at most
// 31, a vpmaddubsw pair at most 2*31*127, so a sub-block sums four steps
// in Y14 and four in Y13 (free until KFINISH) before widening. The
// integer totals and float steps are the VNNI kernels', bit for bit.
#define B5_L4 VPSLLW $4, Y15, Y15
#define B5_L3 VPSLLW $3, Y15, Y15
#define B5_L2 VPSLLW $2, Y15, Y15
#define B5_L1 VPSLLW $1, Y15, Y15
#define B5_N VPSRLW $0, Y15, Y15
#define B5_R1 VPSRLW $1, Y15, Y15
#define B5_R2 VPSRLW $2, Y15, Y15
#define B5_R3 VPSRLW $3, Y15, Y15

// FIFTH(hoff, SH, y): or the fifth bits at hoff, shifted by SH, into y.
#define FIFTH(hoff, SH, y) \
	VMOVDQU hoff(SI), Y15; \
	SH; \
	VPAND k5bit<>(SB), Y15, Y15; \
	VPOR Y15, y, y

#define CHUNKS5_LO(G) \
	CHUNK_LO(160+256*G, Y4); FIFTH(1184+64*G, B5_L4, Y4); \
	CHUNK_LO(160+256*G+32, Y5); FIFTH(1184+64*G, B5_L2, Y5); \
	CHUNK_LO(160+256*G+64, Y6); FIFTH(1184+64*G, B5_N, Y6); \
	CHUNK_LO(160+256*G+96, Y7); FIFTH(1184+64*G, B5_R2, Y7); \
	CHUNK_LO(160+256*G+128, Y8); FIFTH(1184+64*G+32, B5_L4, Y8); \
	CHUNK_LO(160+256*G+160, Y9); FIFTH(1184+64*G+32, B5_L2, Y9); \
	CHUNK_LO(160+256*G+192, Y10); FIFTH(1184+64*G+32, B5_N, Y10); \
	CHUNK_LO(160+256*G+224, Y11); FIFTH(1184+64*G+32, B5_R2, Y11)

#define CHUNKS5_HI(G) \
	CHUNK_HI(160+256*G, Y4); FIFTH(1184+64*G, B5_L3, Y4); \
	CHUNK_HI(160+256*G+32, Y5); FIFTH(1184+64*G, B5_L1, Y5); \
	CHUNK_HI(160+256*G+64, Y6); FIFTH(1184+64*G, B5_R1, Y6); \
	CHUNK_HI(160+256*G+96, Y7); FIFTH(1184+64*G, B5_R3, Y7); \
	CHUNK_HI(160+256*G+128, Y8); FIFTH(1184+64*G+32, B5_L3, Y8); \
	CHUNK_HI(160+256*G+160, Y9); FIFTH(1184+64*G+32, B5_L1, Y9); \
	CHUNK_HI(160+256*G+192, Y10); FIFTH(1184+64*G+32, B5_R1, Y10); \
	CHUNK_HI(160+256*G+224, Y11); FIFTH(1184+64*G+32, B5_R3, Y11)

#define KSTEP5(o, qi, wt, acc) \
	VPBROADCASTD o(DI)(qi), Y15; \
	VPMADDUBSW Y15, wt, Y15; \
	VPADDW Y15, acc, acc

// KSUB5 is KSUB for 5-bit values: two int16 halves of four steps.
#define KSUB5(j, qi, tot) \
	VPBROADCASTD (32*j)(DI)(qi), Y15; \
	VPMADDUBSW Y15, Y4, Y14; \
	KSTEP5(32*j+4, qi, Y5, Y14); \
	KSTEP5(32*j+8, qi, Y6, Y14); \
	KSTEP5(32*j+12, qi, Y7, Y14); \
	VPBROADCASTD (32*j+16)(DI)(qi), Y15; \
	VPMADDUBSW Y15, Y8, Y13; \
	KSTEP5(32*j+20, qi, Y9, Y13); \
	KSTEP5(32*j+24, qi, Y10, Y13); \
	KSTEP5(32*j+28, qi, Y11, Y13); \
	VPMADDWD k4ones<>(SB), Y14, Y14; \
	VPMADDWD k4ones<>(SB), Y13, Y13; \
	VPADDD Y13, Y14, Y14; \
	VPMULLD Y12, Y14, Y14; \
	VPADDD Y14, tot, tot

#define KSUBS5_1(j) \
	VPMOVZXBD (32+8*j)(SI), Y12; \
	KSUB5(j, R12*1, Y2)

#define KSUBS5_2(j) \
	KSUBS5_1(j); \
	KSUB5(j, R8*1, Y3)

// Q5_K blocks are 1440 bytes: three lines per sub-block, 8 KiB ahead.
#define KPF5(j) \
	PREFETCHT0 (8192+180*j)(SI); \
	PREFETCHT0 (8192+180*j+64)(SI); \
	PREFETCHT0 (8192+180*j+128)(SI)

#define KGROUPS5(SUBS) \
	KPF5(0); CHUNKS5_LO(0); SUBS(0); KPF5(1); CHUNKS5_HI(0); SUBS(1); \
	KPF5(2); CHUNKS5_LO(1); SUBS(2); KPF5(3); CHUNKS5_HI(1); SUBS(3); \
	KPF5(4); CHUNKS5_LO(2); SUBS(4); KPF5(5); CHUNKS5_HI(2); SUBS(5); \
	KPF5(6); CHUNKS5_LO(3); SUBS(6); KPF5(7); CHUNKS5_HI(3); SUBS(7)

#define KNEXT5 \
	ADDQ $1440, SI; \
	ADDQ $256, DI; \
	ADDQ $4, DX; \
	ADDQ $16, BX; \
	DECQ CX

// func gemmQ5_Kx8x1AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ5_Kx8x1AVX2(SB), NOSPLIT, $0-80
	KBODY_1(KGROUPS5, KSUBS5_1, KNEXT5, k51loop)

// func gemmQ5_Kx8x2AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ5_Kx8x2AVX2(SB), NOSPLIT, $0-80
	KBODY_2(KGROUPS5, KSUBS5_2, KNEXT5, k52loop)

DATA k5bit<>+0x00(SB)/8, $0x1010101010101010
DATA k5bit<>+0x08(SB)/8, $0x1010101010101010
DATA k5bit<>+0x10(SB)/8, $0x1010101010101010
DATA k5bit<>+0x18(SB)/8, $0x1010101010101010
GLOBL k5bit<>(SB), RODATA|NOPTR, $32

DATA k4nib<>+0x00(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA k4nib<>+0x08(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA k4nib<>+0x10(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA k4nib<>+0x18(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL k4nib<>(SB), RODATA|NOPTR, $32

DATA k4ones<>+0x00(SB)/8, $0x0001000100010001
DATA k4ones<>+0x08(SB)/8, $0x0001000100010001
DATA k4ones<>+0x10(SB)/8, $0x0001000100010001
DATA k4ones<>+0x18(SB)/8, $0x0001000100010001
GLOBL k4ones<>(SB), RODATA|NOPTR, $32
