#include "textflag.h"

// Eight-token Q3_K row dot (AVX-512 BW + VNNI). out[t] is bit for bit
// dotQ3_KAVX2 on token t: the same exact int32 lane sums per block, then
// the same cvt, d = x.d*y.d, FMA and hsum_float_8 per token.
//
// The integer sums are gathered differently. Per block, every weight
// value is turned once into the signed byte s' = -q*scale (q = low2 -
// 4*[high bit clear], scale-32 of its 16 values): 4c*s - b0*s - 2*b1*s,
// from AVX-512 byte masks (vptestmb) and masked byte adds; with q in
// [-4,3] and scale in [-32,31], -q*scale is in [-128,124], so it fits
// (q*scale itself can be +128). A token then needs one vpxorq and one
// vpdpbusd per 64 values: u = y XOR 0x7f = 127-y is unsigned (0..255), and
// sum(u*s') = 127*sum(s') + sum(y*q*scale), so starting each token's
// lanes at -127*sum(s') (shared by all tokens, also from vpdpbusd) leaves
// exactly the AVX2 kernel's sum. vpdpbusd does not saturate and nothing
// here exceeds ~2^21, so the int32 totals are the same integers.
//
// A zmm holds two 32-value chunks (values 64p..64p+63): dword i < 8 sums
// bytes 4i..4i+3 of chunk 2p, dword 8+i the same bytes of chunk 2p+1, so
// adding the high 256 bits onto the low per block gives the AVX2 lanes.
//
// Token t's quants are at DI + t*R8 (tokens 4-7 from R12 = DI + 4*R8; R9
// = 3*R8, R13 = 0), its scales at DX + t*R10 (R14 = DX + 4*R10, R11 =
// 3*R10). BX the constant table, CX blocks left.
// Y0-Y7 float accumulators of tokens 0-7; Z8-Z11 s' of the four chunk
// pairs; Z12/Z21 the low-bit bytes of half 0/1 in both 256-bit halves,
// Z13 the hmask likewise; Z14 the 16 scales in every 128-bit lane;
// Z15/Z16/Z17 scale, 2*scale, 4*scale bytes of a pair; Z18 127*sum(s');
// Z19 bytes 0x7f; Z20 zero; Z22-Z26 token temporaries; X27 x.d.

// Q3KX8_PAIR: s' of chunks 2p, 2p+1 into dst, from the low-bit bytes qs
// (bit tests at bits(BX)) and hmask bits 2p, 2p+1.
#define Q3KX8_PAIR(p, qs, bits, dst) \
	VPSHUFB    (64*p)(BX), Z14, Z15; \
	VPADDB     Z15, Z15, Z16; \
	VPADDB     Z16, Z16, Z17; \
	VPTESTNMB  (512+64*p)(BX), Z13, K3; \
	VPTESTMB   (bits)(BX), qs, K1; \
	VPTESTMB   (bits+64)(BX), qs, K2; \
	VMOVDQU8.Z Z17, K3, dst; \
	VPSUBB     Z15, dst, K1, dst; \
	VPSUBB     Z16, dst, K2, dst; \
	VPDPBUSD   dst, Z19, Z18

// Q3KX8_TOKEN: one token's block: int32 lanes from -127*sum(s') plus
// sum(u*s') over the four pairs, folded to 8 lanes, then as dotQ3_KAVX2.
#define Q3KX8_TOKEN(base, idx, daddr, facc) \
	VPSUBD        Z18, Z20, Z22; \
	VPXORQ        0(base)(idx), Z19, Z23; \
	VPDPBUSD      Z8, Z23, Z22; \
	VPXORQ        64(base)(idx), Z19, Z24; \
	VPDPBUSD      Z9, Z24, Z22; \
	VPXORQ        128(base)(idx), Z19, Z25; \
	VPDPBUSD      Z10, Z25, Z22; \
	VPXORQ        192(base)(idx), Z19, Z26; \
	VPDPBUSD      Z11, Z26, Z22; \
	VEXTRACTI64X4 $1, Z22, Y23; \
	VPADDD        Y23, Y22, Y22; \
	VCVTDQ2PS     Y22, Y22; \
	VMULSS        daddr, X27, X24; \
	VBROADCASTSS  X24, Y24; \
	VFMADD231PS   Y24, Y22, facc

// Q3KX8_HSUM: hsum_float_8 as the one-token kernel does it.
#define Q3KX8_HSUM(facc, xfacc, dst) \
	VEXTRACTF128 $1, facc, X8; \
	VADDPS       X8, xfacc, X8; \
	VMOVHLPS     X8, X8, X9; \
	VADDPS       X9, X8, X8; \
	VMOVSHDUP    X8, X9; \
	VADDSS       X9, X8, X8; \
	VMOVSS       X8, dst

// func dotQ3_Kx8AVX512(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[8]float32)
TEXT ·dotQ3_Kx8AVX512(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ nb+24(FP), CX
	MOVQ qstride+32(FP), R8
	MOVQ dstride+40(FP), R10
	LEAQ (R8)(R8*2), R9
	LEAQ (R10)(R10*2), R11
	LEAQ (DI)(R8*4), R12
	LEAQ (DX)(R10*4), R14
	XORQ R13, R13
	LEAQ q3kx8tab<>(SB), BX
	VXORPS   Y0, Y0, Y0
	VXORPS   Y1, Y1, Y1
	VXORPS   Y2, Y2, Y2
	VXORPS   Y3, Y3, Y3
	VXORPS   Y4, Y4, Y4
	VXORPS   Y5, Y5, Y5
	VXORPS   Y6, Y6, Y6
	VXORPS   Y7, Y7, Y7
	VPXORQ   Z20, Z20, Z20
	VMOVDQU8 768(BX), Z19

q3kx8loop:
	// The 16 scales (minus 32) as in dotQ3_KAVX2, then in every lane.
	VMOVQ        96(SI), X14
	VPSRLW       $4, X14, X15
	VPUNPCKLQDQ  X15, X14, X14
	VPAND        832(BX), X14, X14
	VPBROADCASTD 104(SI), X15
	VPSRLVD      880(BX), X15, X15
	VPAND        848(BX), X15, X15
	VPSLLW       $4, X15, X15
	VPOR         X15, X14, X14
	VPSUBB       864(BX), X14, X14
	VSHUFI32X4   $0, Z14, Z14, Z14

	VBROADCASTI64X4 (SI), Z13
	VBROADCASTI64X4 32(SI), Z12
	VBROADCASTI64X4 64(SI), Z21
	VPXORQ          Z18, Z18, Z18
	Q3KX8_PAIR(0, Z12, 256, Z8)
	Q3KX8_PAIR(1, Z12, 384, Z9)
	Q3KX8_PAIR(2, Z21, 256, Z10)
	Q3KX8_PAIR(3, Z21, 384, Z11)

	MOVWLZX   108(SI), AX
	VMOVD     AX, X24
	VCVTPH2PS X24, X27
	Q3KX8_TOKEN(DI, R13*1, (DX), Y0)
	Q3KX8_TOKEN(DI, R8*1, (DX)(R10*1), Y1)
	Q3KX8_TOKEN(DI, R8*2, (DX)(R10*2), Y2)
	Q3KX8_TOKEN(DI, R9*1, (DX)(R11*1), Y3)
	Q3KX8_TOKEN(R12, R13*1, (R14), Y4)
	Q3KX8_TOKEN(R12, R8*1, (R14)(R10*1), Y5)
	Q3KX8_TOKEN(R12, R8*2, (R14)(R10*2), Y6)
	Q3KX8_TOKEN(R12, R9*1, (R14)(R11*1), Y7)

	ADDQ $110, SI
	ADDQ $256, DI
	ADDQ $256, R12
	ADDQ $4, DX
	ADDQ $4, R14
	DECQ CX
	JNZ  q3kx8loop

	MOVQ out+48(FP), DI
	Q3KX8_HSUM(Y0, X0, 0(DI))
	Q3KX8_HSUM(Y1, X1, 4(DI))
	Q3KX8_HSUM(Y2, X2, 8(DI))
	Q3KX8_HSUM(Y3, X3, 12(DI))
	Q3KX8_HSUM(Y4, X4, 16(DI))
	Q3KX8_HSUM(Y5, X5, 20(DI))
	Q3KX8_HSUM(Y6, X6, 24(DI))
	Q3KX8_HSUM(Y7, X7, 28(DI))
	VZEROUPPER
	RET

// Constants (offsets into q3kx8tab): 0-255 vpshufb controls of pair p,
// 128-bit lane i all byte 4p+i (scale of values 64p+16i..); 256-511 the
// low-bit tests of chunks (0,1) and (2,3) of a half: bit 0 then bit 1 of
// the 2-bit field, chunk 2m in the low 256 bits, 2m+1 in the high;
// 512-767 the hmask tests of pair p (bits 2p, 2p+1); 768 bytes 0x7f;
// 832 bytes 0x0f, 848 bytes 3, 864 bytes 32 (16 each); 880 dwords 0 2 4 6.
DATA q3kx8tab<>+0x000(SB)/8, $0x0000000000000000
DATA q3kx8tab<>+0x008(SB)/8, $0x0000000000000000
DATA q3kx8tab<>+0x010(SB)/8, $0x0101010101010101
DATA q3kx8tab<>+0x018(SB)/8, $0x0101010101010101
DATA q3kx8tab<>+0x020(SB)/8, $0x0202020202020202
DATA q3kx8tab<>+0x028(SB)/8, $0x0202020202020202
DATA q3kx8tab<>+0x030(SB)/8, $0x0303030303030303
DATA q3kx8tab<>+0x038(SB)/8, $0x0303030303030303
DATA q3kx8tab<>+0x040(SB)/8, $0x0404040404040404
DATA q3kx8tab<>+0x048(SB)/8, $0x0404040404040404
DATA q3kx8tab<>+0x050(SB)/8, $0x0505050505050505
DATA q3kx8tab<>+0x058(SB)/8, $0x0505050505050505
DATA q3kx8tab<>+0x060(SB)/8, $0x0606060606060606
DATA q3kx8tab<>+0x068(SB)/8, $0x0606060606060606
DATA q3kx8tab<>+0x070(SB)/8, $0x0707070707070707
DATA q3kx8tab<>+0x078(SB)/8, $0x0707070707070707
DATA q3kx8tab<>+0x080(SB)/8, $0x0808080808080808
DATA q3kx8tab<>+0x088(SB)/8, $0x0808080808080808
DATA q3kx8tab<>+0x090(SB)/8, $0x0909090909090909
DATA q3kx8tab<>+0x098(SB)/8, $0x0909090909090909
DATA q3kx8tab<>+0x0a0(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA q3kx8tab<>+0x0a8(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA q3kx8tab<>+0x0b0(SB)/8, $0x0b0b0b0b0b0b0b0b
DATA q3kx8tab<>+0x0b8(SB)/8, $0x0b0b0b0b0b0b0b0b
DATA q3kx8tab<>+0x0c0(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA q3kx8tab<>+0x0c8(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA q3kx8tab<>+0x0d0(SB)/8, $0x0d0d0d0d0d0d0d0d
DATA q3kx8tab<>+0x0d8(SB)/8, $0x0d0d0d0d0d0d0d0d
DATA q3kx8tab<>+0x0e0(SB)/8, $0x0e0e0e0e0e0e0e0e
DATA q3kx8tab<>+0x0e8(SB)/8, $0x0e0e0e0e0e0e0e0e
DATA q3kx8tab<>+0x0f0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q3kx8tab<>+0x0f8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q3kx8tab<>+0x100(SB)/8, $0x0101010101010101
DATA q3kx8tab<>+0x108(SB)/8, $0x0101010101010101
DATA q3kx8tab<>+0x110(SB)/8, $0x0101010101010101
DATA q3kx8tab<>+0x118(SB)/8, $0x0101010101010101
DATA q3kx8tab<>+0x120(SB)/8, $0x0404040404040404
DATA q3kx8tab<>+0x128(SB)/8, $0x0404040404040404
DATA q3kx8tab<>+0x130(SB)/8, $0x0404040404040404
DATA q3kx8tab<>+0x138(SB)/8, $0x0404040404040404
DATA q3kx8tab<>+0x140(SB)/8, $0x0202020202020202
DATA q3kx8tab<>+0x148(SB)/8, $0x0202020202020202
DATA q3kx8tab<>+0x150(SB)/8, $0x0202020202020202
DATA q3kx8tab<>+0x158(SB)/8, $0x0202020202020202
DATA q3kx8tab<>+0x160(SB)/8, $0x0808080808080808
DATA q3kx8tab<>+0x168(SB)/8, $0x0808080808080808
DATA q3kx8tab<>+0x170(SB)/8, $0x0808080808080808
DATA q3kx8tab<>+0x178(SB)/8, $0x0808080808080808
DATA q3kx8tab<>+0x180(SB)/8, $0x1010101010101010
DATA q3kx8tab<>+0x188(SB)/8, $0x1010101010101010
DATA q3kx8tab<>+0x190(SB)/8, $0x1010101010101010
DATA q3kx8tab<>+0x198(SB)/8, $0x1010101010101010
DATA q3kx8tab<>+0x1a0(SB)/8, $0x4040404040404040
DATA q3kx8tab<>+0x1a8(SB)/8, $0x4040404040404040
DATA q3kx8tab<>+0x1b0(SB)/8, $0x4040404040404040
DATA q3kx8tab<>+0x1b8(SB)/8, $0x4040404040404040
DATA q3kx8tab<>+0x1c0(SB)/8, $0x2020202020202020
DATA q3kx8tab<>+0x1c8(SB)/8, $0x2020202020202020
DATA q3kx8tab<>+0x1d0(SB)/8, $0x2020202020202020
DATA q3kx8tab<>+0x1d8(SB)/8, $0x2020202020202020
DATA q3kx8tab<>+0x1e0(SB)/8, $0x8080808080808080
DATA q3kx8tab<>+0x1e8(SB)/8, $0x8080808080808080
DATA q3kx8tab<>+0x1f0(SB)/8, $0x8080808080808080
DATA q3kx8tab<>+0x1f8(SB)/8, $0x8080808080808080
DATA q3kx8tab<>+0x200(SB)/8, $0x0101010101010101
DATA q3kx8tab<>+0x208(SB)/8, $0x0101010101010101
DATA q3kx8tab<>+0x210(SB)/8, $0x0101010101010101
DATA q3kx8tab<>+0x218(SB)/8, $0x0101010101010101
DATA q3kx8tab<>+0x220(SB)/8, $0x0202020202020202
DATA q3kx8tab<>+0x228(SB)/8, $0x0202020202020202
DATA q3kx8tab<>+0x230(SB)/8, $0x0202020202020202
DATA q3kx8tab<>+0x238(SB)/8, $0x0202020202020202
DATA q3kx8tab<>+0x240(SB)/8, $0x0404040404040404
DATA q3kx8tab<>+0x248(SB)/8, $0x0404040404040404
DATA q3kx8tab<>+0x250(SB)/8, $0x0404040404040404
DATA q3kx8tab<>+0x258(SB)/8, $0x0404040404040404
DATA q3kx8tab<>+0x260(SB)/8, $0x0808080808080808
DATA q3kx8tab<>+0x268(SB)/8, $0x0808080808080808
DATA q3kx8tab<>+0x270(SB)/8, $0x0808080808080808
DATA q3kx8tab<>+0x278(SB)/8, $0x0808080808080808
DATA q3kx8tab<>+0x280(SB)/8, $0x1010101010101010
DATA q3kx8tab<>+0x288(SB)/8, $0x1010101010101010
DATA q3kx8tab<>+0x290(SB)/8, $0x1010101010101010
DATA q3kx8tab<>+0x298(SB)/8, $0x1010101010101010
DATA q3kx8tab<>+0x2a0(SB)/8, $0x2020202020202020
DATA q3kx8tab<>+0x2a8(SB)/8, $0x2020202020202020
DATA q3kx8tab<>+0x2b0(SB)/8, $0x2020202020202020
DATA q3kx8tab<>+0x2b8(SB)/8, $0x2020202020202020
DATA q3kx8tab<>+0x2c0(SB)/8, $0x4040404040404040
DATA q3kx8tab<>+0x2c8(SB)/8, $0x4040404040404040
DATA q3kx8tab<>+0x2d0(SB)/8, $0x4040404040404040
DATA q3kx8tab<>+0x2d8(SB)/8, $0x4040404040404040
DATA q3kx8tab<>+0x2e0(SB)/8, $0x8080808080808080
DATA q3kx8tab<>+0x2e8(SB)/8, $0x8080808080808080
DATA q3kx8tab<>+0x2f0(SB)/8, $0x8080808080808080
DATA q3kx8tab<>+0x2f8(SB)/8, $0x8080808080808080
DATA q3kx8tab<>+0x300(SB)/8, $0x7f7f7f7f7f7f7f7f
DATA q3kx8tab<>+0x308(SB)/8, $0x7f7f7f7f7f7f7f7f
DATA q3kx8tab<>+0x310(SB)/8, $0x7f7f7f7f7f7f7f7f
DATA q3kx8tab<>+0x318(SB)/8, $0x7f7f7f7f7f7f7f7f
DATA q3kx8tab<>+0x320(SB)/8, $0x7f7f7f7f7f7f7f7f
DATA q3kx8tab<>+0x328(SB)/8, $0x7f7f7f7f7f7f7f7f
DATA q3kx8tab<>+0x330(SB)/8, $0x7f7f7f7f7f7f7f7f
DATA q3kx8tab<>+0x338(SB)/8, $0x7f7f7f7f7f7f7f7f
DATA q3kx8tab<>+0x340(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q3kx8tab<>+0x348(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q3kx8tab<>+0x350(SB)/8, $0x0303030303030303
DATA q3kx8tab<>+0x358(SB)/8, $0x0303030303030303
DATA q3kx8tab<>+0x360(SB)/8, $0x2020202020202020
DATA q3kx8tab<>+0x368(SB)/8, $0x2020202020202020
DATA q3kx8tab<>+0x370(SB)/8, $0x0000000200000000
DATA q3kx8tab<>+0x378(SB)/8, $0x0000000600000004
GLOBL q3kx8tab<>(SB), RODATA|NOPTR, $896
