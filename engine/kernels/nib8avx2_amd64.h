// NIB8_AVX2(o) unpacks the 128 bytes of nibbles at o(SI) (a packed
// block of eight rows in Q4_0's chunk layout: four 32-byte chunks) into
// Y4..Y7 (the low nibbles, chunk k in Y(4+k)) and Y8..Y11 (the high
// ones), for the AVX2 kernels of gemm_x8_avx2_amd64.s,
// gemm_legacy_avx2_amd64.s and gemm_iq4nl_avx2_amd64.s.

DATA nib8mask<>+0x00(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nib8mask<>+0x08(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nib8mask<>+0x10(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nib8mask<>+0x18(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL nib8mask<>(SB), RODATA|NOPTR, $32

#define NIB8_AVX2(o) \
	VMOVDQU o(SI), Y4; \
	VMOVDQU (o+32)(SI), Y5; \
	VMOVDQU (o+64)(SI), Y6; \
	VMOVDQU (o+96)(SI), Y7; \
	VPSRLW $4, Y4, Y8; \
	VPSRLW $4, Y5, Y9; \
	VPSRLW $4, Y6, Y10; \
	VPSRLW $4, Y7, Y11; \
	VPAND nib8mask<>(SB), Y4, Y4; \
	VPAND nib8mask<>(SB), Y5, Y5; \
	VPAND nib8mask<>(SB), Y6, Y6; \
	VPAND nib8mask<>(SB), Y7, Y7; \
	VPAND nib8mask<>(SB), Y8, Y8; \
	VPAND nib8mask<>(SB), Y9, Y9; \
	VPAND nib8mask<>(SB), Y10, Y10; \
	VPAND nib8mask<>(SB), Y11, Y11
