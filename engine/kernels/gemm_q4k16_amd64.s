#include "textflag.h"
#include "x16_amd64.h"
#include "k16_amd64.h"

// Q4_K in LayoutRows16 (pack16.go), multiplied with AVX-512 VNNI on
// 512-bit registers: gemm_q4k_amd64.s with sixteen rows per register, so
// that each activation broadcast (eight quants dwords per token and
// sub-block, four sub-block-sum pairs per token and block) feeds sixteen
// rows. The arithmetic per lane is the eight-row kernels', so the results
// are theirs bit for bit.
//
// A block of sixteen rows is 2368 bytes: d (16 f16) at 0, dmin at 32, the
// scales of sub-block j at 64+16j (16 bytes, row order), the mins pairs
// (m[2p], m[2p+1] for rows 0..15) at 192+32p, then for each 64-value
// group G eight 64-byte chunks at 320+512G+64k: lane r holds bytes
// 4k..4k+3 of the row's 32 quant bytes of G (low nibbles: sub-block 2G,
// high: 2G+1).

// LO16(G) / HI16(G) unpack group G's low (sub-block 2G) or high (2G+1)
// nibbles into Z4..Z11; Z14 = 0x0f bytes.
#define LO16(G) \
	VPANDD (320+512*G)(SI), Z14, Z4; \
	VPANDD (320+512*G+64)(SI), Z14, Z5; \
	VPANDD (320+512*G+128)(SI), Z14, Z6; \
	VPANDD (320+512*G+192)(SI), Z14, Z7; \
	VPANDD (320+512*G+256)(SI), Z14, Z8; \
	VPANDD (320+512*G+320)(SI), Z14, Z9; \
	VPANDD (320+512*G+384)(SI), Z14, Z10; \
	VPANDD (320+512*G+448)(SI), Z14, Z11

#define HI16(G) \
	VPSRLW $4, (320+512*G)(SI), Z4; \
	VPSRLW $4, (320+512*G+64)(SI), Z5; \
	VPSRLW $4, (320+512*G+128)(SI), Z6; \
	VPSRLW $4, (320+512*G+192)(SI), Z7; \
	VPSRLW $4, (320+512*G+256)(SI), Z8; \
	VPSRLW $4, (320+512*G+320)(SI), Z9; \
	VPSRLW $4, (320+512*G+384)(SI), Z10; \
	VPSRLW $4, (320+512*G+448)(SI), Z11; \
	VPANDD Z14, Z4, Z4; \
	VPANDD Z14, Z5, Z5; \
	VPANDD Z14, Z6, Z6; \
	VPANDD Z14, Z7, Z7; \
	VPANDD Z14, Z8, Z8; \
	VPANDD Z14, Z9, Z9; \
	VPANDD Z14, Z10, Z10; \
	VPANDD Z14, Z11, Z11

// PF16K(j) prefetches five lines 8 KiB ahead per sub-block (2368-byte
// blocks, 296 bytes a sub-block), spread through the block as in
// gemm_q4k_amd64.s.
#define PF16K(j) \
	PREFETCHT0 (8192+296*j)(SI); \
	PREFETCHT0 (8192+296*j+64)(SI); \
	PREFETCHT0 (8192+296*j+128)(SI); \
	PREFETCHT0 (8192+296*j+192)(SI); \
	PREFETCHT0 (8192+296*j+256)(SI)

#define NEXT16K \
	ADDQ $2368, SI; \
	ADDQ $256, DI; \
	ADDQ $4, DX; \
	ADDQ $16, BX; \
	DECQ CX

#define GROUPS16(SUBS) \
	PF16K(0); LO16(0); SUBS(0); PF16K(1); HI16(0); SUBS(1); \
	PF16K(2); LO16(1); SUBS(2); PF16K(3); HI16(1); SUBS(3); \
	PF16K(4); LO16(2); SUBS(4); PF16K(5); HI16(2); SUBS(5); \
	PF16K(6); LO16(3); SUBS(6); PF16K(7); HI16(3); SUBS(7)

// func gemmQ4_Kx16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ4_Kx16x1VNNI(SB), NOSPLIT, $0-80
	ARGS16K
	ZERO16_1

q4kx16x1loop:
	KBODY16_1(GROUPS16, NEXT16K)
	JNZ q4kx16x1loop
	KEND16_1

// func gemmQ4_Kx16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ4_Kx16x2VNNI(SB), NOSPLIT, $0-80
	ARGS16K
	ZERO16_2

q4kx16x2loop:
	KBODY16_2(GROUPS16, NEXT16K)
	JNZ q4kx16x2loop
	KEND16_N(STORE16_2)

// func gemmQ4_Kx16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ4_Kx16x4VNNI(SB), NOSPLIT, $0-80
	ARGS16K
	ZERO16_4

q4kx16x4loop:
	KBODY16_4(GROUPS16, NEXT16K)
	JNZ q4kx16x4loop
	KEND16_N(STORE16_4)

// func gemmQ4_Kx16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)
TEXT ·gemmQ4_Kx16x8VNNI(SB), NOSPLIT, $0-80
	ARGS16K
	ZERO16_8

q4kx16x8loop:
	KBODY16_8(GROUPS16, NEXT16K)
	JNZ q4kx16x8loop
	KEND16_N(STORE16_8)
