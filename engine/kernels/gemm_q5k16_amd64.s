#include "textflag.h"
#include "x16_amd64.h"
#include "k16_amd64.h"

// Q5_K in LayoutRows16 (pack16.go): the sixteen-row Q4_K kernels
// (gemm_q4k16_amd64.s) with the fifth bits merged in as the eight-row
// Q5_K kernels do (gemm_q4k_amd64.s), on 512-bit registers. The eight-row
// layout's merge costs three instructions per 32-byte vector; here the
// same three serve a 64-byte one, and each activation broadcast feeds
// sixteen rows. Per lane the arithmetic is the eight-row kernels', so the
// results are theirs bit for bit.
//
// A block of sixteen rows is 2880 bytes (twice the eight-row 1440): the
// sixteen-row Q4_K block (0..2367), then per 64-value group G two 64-byte
// vectors of fifth bits at 2368+128G (chunks 0..3) and +64 (chunks 4..7).
// Byte 4r+i of one holds, at bits 2k' and 2k'+1, the fifth bits of value
// i of chunk k' (of that half) in sub-blocks 2G and 2G+1 of row r.

// BIT5L16 / BIT5R16 / BIT5N16 move one chunk's fifth bits from H to bit 4
// (word shifts are safe: bit 4 of a byte only receives bits of its own
// byte), mask them with M (0x10 bytes) through T, and merge them under
// the nibble of dst (Z14 = 0x0f bytes: dst = T | dst&Z14).
#define BIT5L16(n, H, dst, T, M) \
	VPSLLW $n, H, T; \
	VPANDD M, T, T; \
	VPTERNLOGD $0xEC, Z14, T, dst

#define BIT5R16(n, H, dst, T, M) \
	VPSRLW $n, H, T; \
	VPANDD M, T, T; \
	VPTERNLOGD $0xEC, Z14, T, dst

#define BIT5N16(H, dst, T, M) \
	VPANDD M, H, T; \
	VPTERNLOGD $0xEC, Z14, T, dst

// LO5_16 / HI5_16 are gemm_q4k16_amd64.s's LO16 / HI16 with the fifth
// bits merged in; LO5_16 loads group G's fifth bits into H0 and H1,
// HI5_16 expects them there.
#define LO5_16(G, H0, H1, T, M) \
	VMOVDQU64 (2368+128*G)(SI), H0; \
	VMOVDQU64 (2368+128*G+64)(SI), H1; \
	VMOVDQU64 (320+512*G)(SI), Z4; \
	BIT5L16(4, H0, Z4, T, M); \
	VMOVDQU64 (320+512*G+64)(SI), Z5; \
	BIT5L16(2, H0, Z5, T, M); \
	VMOVDQU64 (320+512*G+128)(SI), Z6; \
	BIT5N16(H0, Z6, T, M); \
	VMOVDQU64 (320+512*G+192)(SI), Z7; \
	BIT5R16(2, H0, Z7, T, M); \
	VMOVDQU64 (320+512*G+256)(SI), Z8; \
	BIT5L16(4, H1, Z8, T, M); \
	VMOVDQU64 (320+512*G+320)(SI), Z9; \
	BIT5L16(2, H1, Z9, T, M); \
	VMOVDQU64 (320+512*G+384)(SI), Z10; \
	BIT5N16(H1, Z10, T, M); \
	VMOVDQU64 (320+512*G+448)(SI), Z11; \
	BIT5R16(2, H1, Z11, T, M)

#define HI5_16(G, H0, H1, T, M) \
	VPSRLW $4, (320+512*G)(SI), Z4; \
	BIT5L16(3, H0, Z4, T, M); \
	VPSRLW $4, (320+512*G+64)(SI), Z5; \
	BIT5L16(1, H0, Z5, T, M); \
	VPSRLW $4, (320+512*G+128)(SI), Z6; \
	BIT5R16(1, H0, Z6, T, M); \
	VPSRLW $4, (320+512*G+192)(SI), Z7; \
	BIT5R16(3, H0, Z7, T, M); \
	VPSRLW $4, (320+512*G+256)(SI), Z8; \
	BIT5L16(3, H1, Z8, T, M); \
	VPSRLW $4, (320+512*G+320)(SI), Z9; \
	BIT5L16(1, H1, Z9, T, M); \
	VPSRLW $4, (320+512*G+384)(SI), Z10; \
	BIT5R16(1, H1, Z10, T, M); \
	VPSRLW $4, (320+512*G+448)(SI), Z11; \
	BIT5R16(3, H1, Z11, T, M)

// The one- to four-token kernels keep the fifth bits in Z30/Z31 and the
// mask in Z29 (Z28..Z31 are free there). The eight-token kernel has no
// register to spare across a sub-block: it reloads them into Z20..Z23,
// which its sub-blocks use only in between, as gemm_q4k_amd64.s's does.
#define LO5K16(G) LO5_16(G, Z30, Z31, Z28, Z29)
#define HI5K16(G) HI5_16(G, Z30, Z31, Z28, Z29)

#define MASK5_16 VPBROADCASTD ·q5kbit(SB), Z21
#define LO5K16_8(G) MASK5_16; LO5_16(G, Z22, Z23, Z20, Z21)
#define HI5K16_8(G) \
	MASK5_16; \
	VMOVDQU64 (2368+128*G)(SI), Z22; \
	VMOVDQU64 (2368+128*G+64)(SI), Z23; \
	HI5_16(G, Z22, Z23, Z20, Z21)

// PF16K5(j) prefetches six lines 8 KiB ahead per sub-block: 360 bytes a
// sub-block of a 2880-byte block, so that no line of the block is missed
// (the gaps between prefetched addresses stay under 64 bytes).
#define PF16K5(j) \
	PREFETCHT0 (8192+360*j)(SI); \
	PREFETCHT0 (8192+360*j+64)(SI); \
	PREFETCHT0 (8192+360*j+128)(SI); \
	PREFETCHT0 (8192+360*j+192)(SI); \
	PREFETCHT0 (8192+360*j+256)(SI); \
	PREFETCHT0 (8192+360*j+320)(SI)

#define GROUPS5_16_AT(SUBS, LO, HI) \
	PF16K5(0); LO(0); SUBS(0); PF16K5(1); HI(0); SUBS(1); \
	PF16K5(2); LO(1); SUBS(2); PF16K5(3); HI(1); SUBS(3); \
	PF16K5(4); LO(2); SUBS(4); PF16K5(5); HI(2); SUBS(5); \
	PF16K5(6); LO(3); SUBS(6); PF16K5(7); HI(3); SUBS(7)

#define GROUPS5_16(SUBS) GROUPS5_16_AT(SUBS, LO5K16, HI5K16)
#define GROUPS5_16_8(SUBS) GROUPS5_16_AT(SUBS, LO5K16_8, HI5K16_8)

#define NEXT16K5 \
	ADDQ $2880, SI; \
	ADDQ $256, DI; \
	ADDQ $4, DX; \
	ADDQ $16, BX; \
	DECQ CX

#define SETUP16K5 \
	MOVL $0x10101010, AX; \
	VPBROADCASTD AX, Z29

// func gemmQ5_Kx16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ5_Kx16x1VNNI(SB), NOSPLIT, $0-80
	ARGS16K
	ZERO16_1
	SETUP16K5

q5kx16x1loop:
	KBODY16_1(GROUPS5_16, NEXT16K5)
	JNZ q5kx16x1loop
	KEND16_1

// func gemmQ5_Kx16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ5_Kx16x2VNNI(SB), NOSPLIT, $0-80
	ARGS16K
	ZERO16_2
	SETUP16K5

q5kx16x2loop:
	KBODY16_2(GROUPS5_16, NEXT16K5)
	JNZ q5kx16x2loop
	KEND16_N(STORE16_2)

// func gemmQ5_Kx16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ5_Kx16x4VNNI(SB), NOSPLIT, $0-80
	ARGS16K
	ZERO16_4
	SETUP16K5

q5kx16x4loop:
	KBODY16_4(GROUPS5_16, NEXT16K5)
	JNZ q5kx16x4loop
	KEND16_N(STORE16_4)

// func gemmQ5_Kx16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ5_Kx16x8VNNI(SB), NOSPLIT, $0-80
	ARGS16K
	ZERO16_8

q5kx16x8loop:
	KBODY16_8(GROUPS5_16_8, NEXT16K5)
	JNZ q5kx16x8loop
	KEND16_N(STORE16_8)
