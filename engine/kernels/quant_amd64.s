#include "textflag.h"

// func quantizeQ8_0AVX2(x *float32, qs *int8, d *float32, nb int)
//
// ggml's AVX2 quantize_row_q8_0, block by block: amax of the 32 values,
// scale stored as the f16 rounding of amax/127, quants round(x*127/amax)
// half to even (vcvtps2dq in the default rounding mode), all in float32.
// Results are bit for bit those of quantizeQ8_0Into's Go loop.
TEXT ·quantizeQ8_0AVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ nb+24(FP), CX
	MOVL $0x7fffffff, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15 // |x| mask
	MOVL $0x42fe0000, AX
	VMOVD AX, X14 // 127.0
	VMOVDQU q8perm<>(SB), Y13
	VXORPS X12, X12, X12

qloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VANDPS Y15, Y0, Y4
	VANDPS Y15, Y1, Y5
	VANDPS Y15, Y2, Y6
	VANDPS Y15, Y3, Y7
	VMAXPS Y5, Y4, Y4
	VMAXPS Y7, Y6, Y6
	VMAXPS Y6, Y4, Y4
	VEXTRACTF128 $1, Y4, X5
	VMAXPS X5, X4, X4
	VMOVHLPS X4, X4, X5
	VMAXPS X5, X4, X4
	VMOVSHDUP X4, X5
	VMAXSS X5, X4, X4 // amax

	// d = f16(amax/127)
	VDIVSS X14, X4, X5
	VCVTPS2PH $0, X5, X5
	VCVTPH2PS X5, X5
	VMOVSS X5, (DX)

	// id = 127/amax, or 0 when amax is 0
	VDIVSS X4, X14, X6
	VCMPSS $4, X12, X4, X8
	VANDPS X8, X6, X6
	VBROADCASTSS X6, Y6

	VMULPS Y6, Y0, Y0
	VMULPS Y6, Y1, Y1
	VMULPS Y6, Y2, Y2
	VMULPS Y6, Y3, Y3
	VCVTPS2DQ Y0, Y0
	VCVTPS2DQ Y1, Y1
	VCVTPS2DQ Y2, Y2
	VCVTPS2DQ Y3, Y3
	// Packing works within 128-bit halves: dwords come out as values
	// 0-3, 8-11, 16-19, 24-27, 4-7, 12-15, 20-23, 28-31; q8perm restores
	// the order.
	VPACKSSDW Y1, Y0, Y0
	VPACKSSDW Y3, Y2, Y2
	VPACKSSWB Y2, Y0, Y0
	VPERMD Y0, Y13, Y0
	VMOVDQU Y0, (DI)

	ADDQ $128, SI
	ADDQ $32, DI
	ADDQ $4, DX
	DECQ CX
	JNZ  qloop
	VZEROUPPER
	RET

DATA q8perm<>+0x00(SB)/4, $0
DATA q8perm<>+0x04(SB)/4, $4
DATA q8perm<>+0x08(SB)/4, $1
DATA q8perm<>+0x0c(SB)/4, $5
DATA q8perm<>+0x10(SB)/4, $2
DATA q8perm<>+0x14(SB)/4, $6
DATA q8perm<>+0x18(SB)/4, $3
DATA q8perm<>+0x1c(SB)/4, $7
GLOBL q8perm<>(SB), RODATA|NOPTR, $32
