#include "textflag.h"
#include "hsum_amd64.h"

// Eight-token IQ4_NL row dot (AVX-512 BW + VL + VNNI), for an even number
// of blocks (the wrapper sends odd counts to the four-token kernel).
// out[t] is bit for bit dotIQ4_NLAVX2 on token t: the same exact int32
// lanes per block, d = y.d*x.d, the same cvt and FMA into token t's
// accum1 (even blocks) or accum2 (odd blocks), then accum1+accum2 and the
// same hsum_float_8.
//
// Per block, once for all tokens: its 32 codebook values K (signed bytes,
// activation order, as the row dot makes them) and N = -128·(lane sum of
// K) from vpdpbusd with 0x80 bytes. A token flips its quants to unsigned
// (y^0x80 = y+128), starts its lanes at N and takes one vpdpbusd: Σ
// (y+128)·K - 128·ΣK = Σ y·K per 4-byte lane, the row dot's lanes (no
// wrap: |lane| < 2^17; vpdpbusd does not saturate).
//
// Registers: Y0-Y7 accum1 and Y8-Y15 accum2 of tokens 0-7; Y16 bytes
// 0x80, Y17 the codebook, Y18 bytes 0x0f, Y19 the nibble shift counts;
// Y20/Y21 K of the even/odd block, Y22/Y23 their N, Y24/Y25 their x.d
// broadcast, Y26-Y31 token temporaries. Token t's quants and scales are
// at DI and DX after t steps of R8 and R10; R9 and R11 (seven steps)
// bring them back. SI weight blocks, CX blocks left.

DATA iq4nlx8LUT<>+0x00(SB)/8, $0xf6eaddcfbfad9881
DATA iq4nlx8LUT<>+0x08(SB)/8, $0x7159453526190d01
DATA iq4nlx8LUT<>+0x10(SB)/8, $0xf6eaddcfbfad9881
DATA iq4nlx8LUT<>+0x18(SB)/8, $0x7159453526190d01
GLOBL iq4nlx8LUT<>(SB), RODATA|NOPTR, $32

DATA iq4nlx8Shift<>+0x00(SB)/8, $0
DATA iq4nlx8Shift<>+0x08(SB)/8, $0
DATA iq4nlx8Shift<>+0x10(SB)/8, $0x0000000400000004
DATA iq4nlx8Shift<>+0x18(SB)/8, $0x0000000400000004
GLOBL iq4nlx8Shift<>(SB), RODATA|NOPTR, $32

DATA iq4nlx8Mask<>+0x00(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA iq4nlx8Mask<>+0x08(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA iq4nlx8Mask<>+0x10(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA iq4nlx8Mask<>+0x18(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL iq4nlx8Mask<>(SB), RODATA|NOPTR, $32

DATA iq4nlx8Flip<>+0x00(SB)/8, $0x8080808080808080
DATA iq4nlx8Flip<>+0x08(SB)/8, $0x8080808080808080
DATA iq4nlx8Flip<>+0x10(SB)/8, $0x8080808080808080
DATA iq4nlx8Flip<>+0x18(SB)/8, $0x8080808080808080
GLOBL iq4nlx8Flip<>(SB), RODATA|NOPTR, $32

// NL8_BLOCK: K, N and the broadcast x.d of the block at off(SI).
#define NL8_BLOCK(off, k, n, xd) \
	VBROADCASTI32X4 (off+2)(SI), k; \
	VPSRLVD        Y19, k, k; \
	VPANDD         Y18, k, k; \
	VPSHUFB        k, Y17, k; \
	VPXORD         Y26, Y26, Y26; \
	VPXORD         n, n, n; \
	VPDPBUSD       k, Y16, n; \
	VPSUBD         n, Y26, n; \
	VPBROADCASTW   off(SI), X27; \
	VCVTPH2PS      X27, xd

// NL8_TOKEN: one token's two blocks into its accum1 (a1) and accum2 (a2).
#define NL8_TOKEN(a1, a2) \
	VPXORD      0(DI), Y16, Y26; \
	VMOVDQA32   Y22, Y27; \
	VPDPBUSD    Y20, Y26, Y27; \
	VCVTDQ2PS   Y27, Y27; \
	VMULPS.BCST 0(DX), Y24, Y28; \
	VFMADD231PS Y28, Y27, a1; \
	VPXORD      32(DI), Y16, Y29; \
	VMOVDQA32   Y23, Y30; \
	VPDPBUSD    Y21, Y29, Y30; \
	VCVTDQ2PS   Y30, Y30; \
	VMULPS.BCST 4(DX), Y25, Y31; \
	VFMADD231PS Y31, Y30, a2

#define NL8_NEXT \
	ADDQ R8, DI; \
	ADDQ R10, DX

// NL8_OUT: out[t] = hsum_float_8 of token t's accum1+accum2 (in acc;
// X8 is free by then).
#define NL8_OUT(acc, xacc, t) \
	HSUM_FLOAT8(acc, xacc, X8); \
	VMOVSS xacc, (4*t)(AX)

// func dotIQ4_NLx8AVX512(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[8]float32)
TEXT ·dotIQ4_NLx8AVX512(SB), NOSPLIT, $0-56
	MOVQ   w+0(FP), SI
	MOVQ   qs+8(FP), DI
	MOVQ   d+16(FP), DX
	MOVQ   nb+24(FP), CX
	MOVQ   qstride+32(FP), R8
	MOVQ   dstride+40(FP), R10
	IMUL3Q $7, R8, R9
	IMUL3Q $7, R10, R11
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
	VMOVDQU32 iq4nlx8Flip<>(SB), Y16
	VMOVDQU32 iq4nlx8LUT<>(SB), Y17
	VMOVDQU32 iq4nlx8Mask<>(SB), Y18
	VMOVDQU32 iq4nlx8Shift<>(SB), Y19
	TESTQ  CX, CX
	JEQ    nl8done

nl8loop:
	NL8_BLOCK(0, Y20, Y22, Y24)
	NL8_BLOCK(18, Y21, Y23, Y25)
	NL8_TOKEN(Y0, Y8)
	NL8_NEXT
	NL8_TOKEN(Y1, Y9)
	NL8_NEXT
	NL8_TOKEN(Y2, Y10)
	NL8_NEXT
	NL8_TOKEN(Y3, Y11)
	NL8_NEXT
	NL8_TOKEN(Y4, Y12)
	NL8_NEXT
	NL8_TOKEN(Y5, Y13)
	NL8_NEXT
	NL8_TOKEN(Y6, Y14)
	NL8_NEXT
	NL8_TOKEN(Y7, Y15)
	SUBQ R9, DI
	SUBQ R11, DX
	ADDQ $36, SI
	ADDQ $64, DI
	ADDQ $8, DX
	SUBQ $2, CX
	JNZ  nl8loop

nl8done:
	VADDPS Y8, Y0, Y0
	VADDPS Y9, Y1, Y1
	VADDPS Y10, Y2, Y2
	VADDPS Y11, Y3, Y3
	VADDPS Y12, Y4, Y4
	VADDPS Y13, Y5, Y5
	VADDPS Y14, Y6, Y6
	VADDPS Y15, Y7, Y7
	MOVQ   out+48(FP), AX
	NL8_OUT(Y0, X0, 0)
	NL8_OUT(Y1, X1, 1)
	NL8_OUT(Y2, X2, 2)
	NL8_OUT(Y3, X3, 3)
	NL8_OUT(Y4, X4, 4)
	NL8_OUT(Y5, X5, 5)
	NL8_OUT(Y6, X6, 6)
	NL8_OUT(Y7, X7, 7)
	VZEROUPPER
	RET
