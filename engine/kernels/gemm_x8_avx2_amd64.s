#include "textflag.h"
#include "nib8avx2_amd64.h"

// Packed Q4_0 (LayoutRows8) on AVX2 alone, for CPUs without AVX-512 VNNI.
// vpdpbusd is emulated the way ggml does it: vpmaddubsw multiplies the
// unsigned nibbles with a token's broadcast activation dword into int16
// pairs (at most 2*15*128 = 3840), eight of them are summed in int16
// (at most 30720, no saturation), and one vpmaddwd with ones widens to
// int32. Each int32 lane then holds exactly the VNNI kernels' value and
// the float steps are the same, so results are bit for bit those of the
// VNNI kernels in gemm_x8_amd64.s.

// UNPACK8_AVX2: Y12 the eight scales, Y4..Y11 the chunks (see UNPACK8).
#define UNPACK8_AVX2 \
	VCVTPH2PS (SI), Y12; \
	NIB8_AVX2(16)

// STEP_AVX2 adds chunk wt times activation dword o of the token to Y14.
#define STEP_AVX2(o, qi, wt) \
	VPBROADCASTD o(DI)(qi), Y15; \
	VPMADDUBSW Y15, wt, Y15; \
	VPADDW Y15, Y14, Y14

// TOKEN8_AVX2 is TOKEN8 (gemm_x8_amd64.s) for one token into acc.
#define TOKEN8_AVX2(qi, di, acc) \
	VPBROADCASTD 0(DI)(qi), Y15; \
	VPMADDUBSW Y15, Y4, Y14; \
	STEP_AVX2(4, qi, Y5); \
	STEP_AVX2(8, qi, Y6); \
	STEP_AVX2(12, qi, Y7); \
	STEP_AVX2(16, qi, Y8); \
	STEP_AVX2(20, qi, Y9); \
	STEP_AVX2(24, qi, Y10); \
	STEP_AVX2(28, qi, Y11); \
	VPMADDWD ones16<>(SB), Y14, Y14; \
	VPBROADCASTD (BX)(di), Y15; \
	VPADDD Y15, Y14, Y14; \
	VCVTDQ2PS Y14, Y14; \
	VBROADCASTSS (DX)(di), Y15; \
	VMULPS Y15, Y12, Y15; \
	VFMADD231PS Y15, Y14, acc

#define ARGS_AVX2 \
	MOVQ w+0(FP), SI; \
	MOVQ qs+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ off+24(FP), BX; \
	MOVQ nb+32(FP), CX; \
	MOVQ qstride+40(FP), R8; \
	MOVQ dstride+48(FP), R10; \
	LEAQ (R8)(R8*2), R9; \
	LEAQ (R10)(R10*2), R11; \
	XORQ R12, R12

#define NEXT_AVX2 \
	ADDQ $144, SI; \
	ADDQ $32, DI; \
	ADDQ $4, DX; \
	ADDQ $4, BX; \
	DECQ CX

#define PREFETCH_AVX2 \
	PREFETCHT0 4096(SI); \
	PREFETCHT0 4160(SI); \
	PREFETCHT0 4224(SI)

// func gemmQ4_0x8x1AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_0x8x1AVX2(SB), NOSPLIT, $0-72
	ARGS_AVX2
	VXORPS Y0, Y0, Y0

a1loop:
	PREFETCH_AVX2
	UNPACK8_AVX2
	TOKEN8_AVX2(R12*1, R12*1, Y0)
	NEXT_AVX2
	JNZ a1loop

	MOVQ out+56(FP), AX
	VMOVUPS Y0, (AX)
	VZEROUPPER
	RET

// func gemmQ4_0x8x2AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_0x8x2AVX2(SB), NOSPLIT, $0-72
	ARGS_AVX2
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

a2loop:
	PREFETCH_AVX2
	UNPACK8_AVX2
	TOKEN8_AVX2(R12*1, R12*1, Y0)
	TOKEN8_AVX2(R8*1, R10*1, Y1)
	NEXT_AVX2
	JNZ a2loop

	MOVQ out+56(FP), AX
	MOVQ ostride+64(FP), R13
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, (AX)(R13*1)
	VZEROUPPER
	RET

// func gemmQ4_0x8x4AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_0x8x4AVX2(SB), NOSPLIT, $0-72
	ARGS_AVX2
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

a4loop:
	PREFETCH_AVX2
	UNPACK8_AVX2
	TOKEN8_AVX2(R12*1, R12*1, Y0)
	TOKEN8_AVX2(R8*1, R10*1, Y1)
	TOKEN8_AVX2(R8*2, R10*2, Y2)
	TOKEN8_AVX2(R9*1, R11*1, Y3)
	NEXT_AVX2
	JNZ a4loop

	MOVQ out+56(FP), AX
	MOVQ ostride+64(FP), R13
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, (AX)(R13*1)
	VMOVUPS Y2, (AX)(R13*2)
	LEAQ (R13)(R13*2), R13
	VMOVUPS Y3, (AX)(R13*1)
	VZEROUPPER
	RET

DATA ones16<>+0x00(SB)/8, $0x0001000100010001
DATA ones16<>+0x08(SB)/8, $0x0001000100010001
DATA ones16<>+0x10(SB)/8, $0x0001000100010001
DATA ones16<>+0x18(SB)/8, $0x0001000100010001
GLOBL ones16<>(SB), RODATA|NOPTR, $32
